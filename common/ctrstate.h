/* ctrstate.h: a container's state as the OCI runtime `uniroot` keeps it,
 * read the way any program may read it (unirootctl explain): without the
 * runtime's lock (state.json is only ever replaced whole), as hostile input.
 *
 * <root>/<id>/state.json (root: uniroot's --root, default
 * UR_RUNTIME_ROOT_DEFAULT) is a JSON object whose "uniroot" member marks it
 * as uniroot's; runc's containers (handed off) live beside them with runc's
 * own state.json. Members read here: id, status, pid, pid_start,
 * exit_status, bundle, rootfs, created, hypervisor, vmm_cmdline, annotations
 * and "decision" (ctrdecision.h). A state written before "decision" existed
 * still reads: the decision is rebuilt (version 0) from the
 * dev.uniroot.rootfs.* annotations, "hypervisor" and "vmm_cmdline".
 */
#ifndef UNIROOT_COMMON_CTRSTATE_H
#define UNIROOT_COMMON_CTRSTATE_H

#include <stdbool.h>

#include <cjson/cJSON.h>

#include "ctrdecision.h"
#include "err.h"

#define UR_RUNTIME_ROOT_DEFAULT "/run/uniroot"
#define UR_CTR_ID_MAX 255               /* bytes */
#define UR_CTR_STATE_MAX (16u << 20)    /* state.json bound, as the runtime's own reader */

/* A valid runc container id, usable as a file name: 1..255 bytes of
 * letters, digits, '_', '-', '.', '+', and not "." or "..". */
int ur_ctr_id_check(const char *id, struct ur_err *err);

struct ur_ctr_state {
    cJSON *doc;                   /* owns the strings below */
    bool ours;                    /* false: another runtime's (runc's) state */
    const char *id, *status;      /* status as stored ("" when absent) */
    const char *bundle, *rootfs, *created, *vmm_cmdline;   /* "" when absent */
    long long pid, pid_start, exit_status;                 /* 0, 0, -1 when absent */
    const cJSON *annotations;     /* object or NULL */
    struct ur_decision decision;  /* ours only */
};

/* Parse state.json text. 0 with *s filled (free with ur_ctr_state_free);
 * -EBADMSG when it is not a JSON object, or a member read here has the
 * wrong type or size. */
int ur_ctr_state_parse(const char *json, struct ur_ctr_state *s, struct ur_err *err);
/* Read <root>/<id>/state.json: the id checked (-EINVAL), the directory
 * opened inside root without following a symlink, state.json a regular
 * file of at most UR_CTR_STATE_MAX bytes. -ENOENT: no such container. */
int ur_ctr_state_read(const char *root, const char *id, struct ur_ctr_state *s, struct ur_err *err);
void ur_ctr_state_free(struct ur_ctr_state *s);

/* What the container is now, from its stored status and its monitor's
 * liveness: created | running | paused | stopped (creating while create
 * runs). When the monitor is found exited with a readable status,
 * *exit_status gets it (else it is left as it is). */
const char *ur_ctr_status(const char *stored, long long pid, long long pid_start, int *exit_status);

#endif
