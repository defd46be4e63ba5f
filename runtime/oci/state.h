/* state.h: one state directory per container under --root.
 *
 * <root>/<id>/ holds state.json (written atomically: temp, fsync, rename),
 * the start FIFO and anything copied out of the rootfs. The directory itself
 * is the lock: every command holds flock(LOCK_EX) on it while it works, so
 * concurrent calls on one container are serialised; a waiter that finds the
 * directory deleted under it treats the container as gone.
 * state.json is a JSON object whose "uniroot" member marks it as ours (runc's
 * containers, handed off, live in the same --root with runc's own files).
 */
#ifndef UNIROOT_OCI_STATE_H
#define UNIROOT_OCI_STATE_H

#include "oci.h"
#include "procstat.h"

struct cstate {
    char id[256];
    char dir[PATH_MAX];
    int dirfd;       /* locked */
    cJSON *j;        /* state.json */
    bool learnt;     /* state_status() learnt the exit status: worth saving */
};

/* The id is valid as a runc id and a file name (common/ctrstate.h). */
int state_check_id(const char *id, struct ur_err *err);
/* Make <root>/<id>/, locked and holding a state.json marked as ours from the
 * moment it appears (built under a temporary name, renamed into place;
 * -EEXIST if the id is taken), status "creating". */
int state_create(const struct ctx *c, const char *id, struct cstate *cs, struct ur_err *err);
/* Open and lock an existing container. -ENOENT: no such container;
 * -EMEDIUMTYPE: the directory is not ours (a runc container). */
int state_open(const struct ctx *c, const char *id, struct cstate *cs, struct ur_err *err);
int state_save(struct cstate *cs, struct ur_err *err);
/* Remove the directory and everything in it; releases the lock. */
int state_remove(struct cstate *cs, struct ur_err *err);
void state_close(struct cstate *cs);
/* Is <root>/<id>/ one of ours? (no lock taken) */
bool state_is_ours(const struct ctx *c, const char *id);
/* Does runc hold a container id (a directory in its root that is not ours)? */
bool state_is_runc(const struct ctx *c, const char *id);

/* Helpers over cs->j */
const char *state_str(const struct cstate *cs, const char *key);
long long state_num(const struct cstate *cs, const char *key, long long dflt);
int state_set_str(struct cstate *cs, const char *key, const char *v);
int state_set_num(struct cstate *cs, const char *key, double v);
cJSON *state_annotations(struct cstate *cs); /* creates the object if absent */

/* created | running | paused | stopped, updating exit_status when learnt. */
const char *state_status(struct cstate *cs);

#endif
