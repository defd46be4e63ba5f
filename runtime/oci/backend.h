/* backend.h: the monitors a unikernel container runs on, behind one
 * interface. A backend is named by the urunc annotation
 * com.urunc.unikernel.hypervisor ("hvt", "spt") and says what it runs (the
 * unikernel types and the rootfs filesystems each reads, the Solo5 ABI target
 * its images carry), where its monitor is, what the node must have for it,
 * how the monitor's command line and inherited fds are made, and how a
 * monitor held at create is released at start.
 *
 * backend.c holds the table and what the Solo5 monitors share (their command
 * line, the --ready-fd/--start-fifo protocol); backend_hvt.c and
 * backend_spt.c describe one monitor each. A new monitor (qemu, firecracker)
 * is one new backend_*.c and one line in the table.
 */
#ifndef UNIROOT_OCI_BACKEND_H
#define UNIROOT_OCI_BACKEND_H

#include "oci.h"
#include "spawn.h"

/* A unikernel type a backend runs, with the filesystems its guests can boot
 * from on a rootfs block device (NULL: none, no rootfs device is handed over). */
struct backend_type {
    const char *type;
    const char *const *fs;
};

/* What create hands a backend to build the monitor's command line. */
struct backend_launch {
    const char *monitor;   /* backend_monitor(): the program to exec */
    int ready_fd;          /* 3 + --preserve-fds: the ready pipe's number in the monitor */
    const char *start_fifo;/* the FIFO the monitor waits on until start */
    uint64_t mem_mb;       /* guest memory, 0: the monitor's default */
    int kernel_fd;         /* the binary, inherited; -1 when kernel_path is a file of ours */
    const char *kernel_path; /* used when kernel_fd is -1 (a copy in the state directory) */
    int block_fd;          /* block device "rootfs" (device or image), -1: none */
    const char *cmdline;   /* the guest's command line, "" for none */
    unsigned nnet;         /* net devices: each a tap fd, inherited (--net:NAME=@FD) */
    struct { const char *name, *mac; int fd; } net[4];
};

/* The monitor's argv and the fds it inherits (spawn.c puts keep[i] at
 * ready_fd + 1 + i). argv points into buf. */
#define BACKEND_MAX_ARGS 24
struct backend_cmd {
    char *argv[BACKEND_MAX_ARGS + 1];
    int argc;
    int keep[SPAWN_MAX_KEEP];
    unsigned nkeep;
    char buf[PATH_MAX * 2 + 8192];
    size_t used;
};

struct backend {
    const char *name;          /* the hypervisor annotation's value */
    const char *monitor;       /* the monitor's file name (beside uniroot, else on PATH) */
    const char *monitor_env;   /* environment variable naming another monitor */
    uint32_t solo5_target;     /* SOLO5_ABI_TARGET_* its images carry */
    uint32_t solo5_abi;        /* the ABI version of that target the monitor speaks */
    uint64_t max_mem_mb;       /* the most guest memory its monitor gives (--mem) */
    const struct backend_type *types;
    unsigned ntypes;
    /* What the node must have; NULL: nothing. Not asked when monitor_env
     * names another monitor (that one is trusted to know its needs). */
    int (*node_check)(const struct backend *b, struct ur_err *err);
    /* The monitor's argv and inherited fds for l. */
    int (*command)(const struct backend *b, const struct backend_launch *l, struct backend_cmd *cmd,
                   struct ur_err *err);
    /* Release the monitor of container id, held since create (its state
     * directory is dir; gone(arg) says it died meanwhile). */
    int (*start)(const struct backend *b, const char *id, const char *dir, bool (*gone)(void *),
                 void *arg, struct ur_err *err);
};

/* Every backend, in the order messages list them. */
extern const struct backend *const backends[];
extern const unsigned n_backends;

/* The backend named hypervisor, or NULL. */
const struct backend *backend_find(const char *hypervisor);
/* The backend for d, checking its type is one the backend runs; a clear error otherwise. */
int backend_for(const struct uk_desc *d, const struct backend **out, struct ur_err *err);
/* Does type on backend b read fstype from a rootfs block device? */
bool backend_supports_fs(const struct backend *b, const char *type, const char *fstype);
/* The monitor to run: $monitor_env, else configured (the config file's
 * HV.monitor, may be NULL), else b->monitor beside this program, else on
 * PATH, else /usr/local/bin/<monitor>. *overridden says it came from the
 * environment (a configured monitor is still checked for the node's needs).
 * The string is static (one per backend) or configured. */
const char *backend_monitor(const struct backend *b, const char *configured, bool *overridden);
/* The node check, unless the monitor is overridden. */
int backend_check_node(const struct backend *b, struct ur_err *err);
/* "a, b, c": the names of every backend (sep between them) into buf. */
void backend_names(char *buf, size_t n, const char *sep);
/* Every unikernel type some backend runs, each once, comma-separated. */
void backend_type_names(char *buf, size_t n);

/* ---- shared by the Solo5 monitors (backend.c) */
/* uniroot-vmm's and uniroot-spt's command line (solo5-hvt's and solo5-spt's):
 * MONITOR --ready-fd=N --start-fifo=F [--mem=MB] [--block:rootfs=/proc/self/fd/K]
 * [--net:NAME=@T --net-mac:NAME=MAC]... -- KERNEL [CMDLINE]; the kernel, the
 * block device and the taps are inherited fds. */
int backend_solo5_command(const struct backend *b, const struct backend_launch *l,
                          struct backend_cmd *cmd, struct ur_err *err);
/* start: one byte into <dir>/start.fifo once the monitor has it open (it opens
 * it right after it said ready; waits while gone(arg) is false, at most 10 s). */
int backend_fifo_start(const struct backend *b, const char *id, const char *dir,
                       bool (*gone)(void *), void *arg, struct ur_err *err);

extern const struct backend backend_hvt, backend_spt;

#endif
