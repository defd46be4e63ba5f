/* spawn.h: starting the monitor process (uniroot-vmm, uniroot-spt) as the
 * container's init. */
#ifndef UNIROOT_OCI_SPAWN_H
#define UNIROOT_OCI_SPAWN_H

#include "cgroup.h"
#include "oci.h"

#define SPAWN_MAX_KEEP 2

struct spawn_req {
    const char *vmm;             /* path of the monitor */
    const char *name;            /* its name in messages ("uniroot-vmm") */
    char **argv;                 /* full argv; must contain "--ready-fd=<ready_fd>" */
    int ready_fd;                /* = 3 + preserve_fds: where the VMM finds the ready pipe */
    int keep[SPAWN_MAX_KEEP];    /* fds the VMM inherits at ready_fd + 1 + i ... */
    unsigned nkeep;              /* ... for i < nkeep (the kernel, a block device or image) */
    const char *console_socket;  /* NULL: inherit stdio */
    const struct oci_spec *spec; /* namespaces to join */
    const struct cg_plan *cg;
    int ready_timeout_ms;
};

/* Fork and exec the VMM (session leader, in its cgroups and namespaces),
 * wait until it is ready. On success *pid is the VMM, which keeps running;
 * on failure it has been reaped and err says why. */
int vmm_spawn(const struct spawn_req *r, pid_t *pid, struct ur_err *err);

/* Send the pty master's fd over the console socket (runc's protocol). */
int console_send(const char *socket_path, int master, struct ur_err *err);

#endif
