/* core.h: the container lifecycle, under the command files. The cmd_*.c
 * files only parse runc's command line and print; everything a command does
 * to a container is here, as crun's libcrun is under its src/ commands:
 *   core_create.c  create (bundle, description, backend, rootfs, monitor, state)
 *   core_rootfs.c  taking the container rootfs device from the host, and giving it back
 *   core_life.c    start, kill, delete, pause/resume, run
 *   core_net.c     the guest's network: taps in the container's netns, net.json, undo
 *   core_info.c    the OCI state of one container, of all, their processes
 * A container that is not ours (runc's, or a bundle with no unikernel) is
 * handed to runc from here, with uniroot's own argv (handoff.c).
 */
#ifndef UNIROOT_OCI_CORE_H
#define UNIROOT_OCI_CORE_H

#include "net.h"
#include "oci.h"
#include "rootfs.h"

/* create's and run's options, as runc has them */
struct core_create_opts {
    const char *bundle;          /* NULL: the current directory */
    const char *pid_file;        /* NULL: none */
    const char *console_socket;  /* NULL: the monitor inherits our stdio */
    int preserve_fds;            /* fds 3..3+N-1 passed on */
};

/* Create container id, its monitor held before the guest runs; *monitor is
 * that process (our child until we exit). A bundle that is not a unikernel
 * is handed to runc (no return unless that fails). */
int core_create(struct ctx *c, const char *id, const struct core_create_opts *o, pid_t *monitor,
                struct ur_err *err);
/* Let the held guest of a created container run. */
int core_start(struct ctx *c, const char *id, struct ur_err *err);
/* create + start; unless detach, wait and return the guest's exit status
 * (128+N for a signal), deleting the container unless keep. */
int core_run(struct ctx *c, const char *id, const struct core_create_opts *o, bool detach, bool keep,
             struct ur_err *err);
/* Send sig to the monitor (all: to its process group; a stopped container is
 * then no error). */
int core_kill(struct ctx *c, const char *id, int sig, bool all, struct ur_err *err);
/* Remove the container and everything made for it; a container that does not
 * exist is no error. force kills a running one first. */
int core_delete(struct ctx *c, const char *id, bool force, struct ur_err *err);
/* Stop (pause) or continue (resume) the monitor and so the guest. */
int core_pause(struct ctx *c, const char *id, bool pause, struct ur_err *err);

/* The OCI state object of container id (*out, caller deletes). */
int core_state(struct ctx *c, const char *id, cJSON **out, struct ur_err *err);
/* The state objects of every container in --root, ours and runc's (array). */
int core_list(struct ctx *c, cJSON **out, struct ur_err *err);
/* The monitor's pid (*pid 0 when the container is stopped). */
int core_pid(struct ctx *c, const char *id, pid_t *pid, struct ur_err *err);

struct cstate;
/* Open and lock container id for a command (core_life.c): 1 when it is ours;
 * runc's is handed to runc (no return unless that fails: negative). */
int core_open(struct ctx *c, const char *id, struct cstate *cs, struct ur_err *err);

/* ---- core_rootfs.c: the container rootfs as the guest's block device */
struct rootfs_takeover {
    bool unmounted;                   /* root.path was unmounted from the host */
    char device[PATH_MAX], fstype[32], target[PATH_MAX];
    unsigned long mflags;             /* root.path's mount flags, for the mount back */
    int ref_fd;                       /* keeps an autoclear loop device alive */
    int excl_fd;                      /* O_EXCL on the device: what the monitor inherits */
};
#define ROOTFS_TAKEOVER_INIT {.ref_fd = -1, .excl_fd = -1}
/* Copy uk's binary (to kernel, in the state directory dir) and urunc.json
 * out of the rootfs (*root_fd, closed here), unmount root.path and open the
 * verified device r exclusively: nobody else may have it mounted. */
int rootfs_take(const struct oci_spec *s, const struct uk_desc *uk, const struct rootfs_record *r,
                const char *dir, int *root_fd, char *kernel, size_t klen, struct rootfs_takeover *t,
                struct ur_err *err);
/* A failed create: close the device, mount root.path back as it was. */
void rootfs_give_back(struct rootfs_takeover *t);
/* A created container: close our fds on the device (the monitor has its own). */
void rootfs_taken(struct rootfs_takeover *t);

/* ---- core_net.c: the guest's network (taps in the container's netns) */
#define CORE_NET_MAX 4
struct core_net {
    int dirfd;                        /* the state directory: net.json goes there */
    unsigned n;                       /* net devices of the manifest (attached or tried) */
    struct {
        char name[68];                /* the manifest's device name */
        char mac[18];                 /* the interface's MAC, for --net-mac */
        int fd;                       /* the tap, -1 when none */
        struct ur_net_state st;
    } dev[CORE_NET_MAX];
};
/* One tap per net device of ki in the spec's network namespace, recorded in
 * net.json in dirfd before each step; the first device's address goes into
 * cmdline (guest_net_args). No net device: nothing, 0. */
int core_net_attach(const struct oci_spec *s, const struct uk_desc *uk, const struct kernel_info *ki,
                    int dirfd, struct core_net *n, char *cmdline, size_t len, struct ur_err *err);
/* The guest's address the way its type takes it: solo5 and mirage
 * "--ipv4=A/P --ipv4-gateway=G" before cmdline, rumprun its JSON "net". */
int guest_net_args(const char *type, const struct ur_net_iface *ifc, char *cmdline, size_t len,
                   struct ur_err *err);
/* Close our tap fds (the monitor has its own). */
void core_net_close(struct core_net *n);
/* A failed create: close the taps and undo what n made. */
void core_net_abort(struct core_net *n);
/* delete: undo what <dirfd>/net.json records (nothing recorded: 0). */
int core_net_undo(int dirfd, struct ur_err *err);

#endif
