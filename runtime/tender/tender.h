/* tender.h: what the monitors (uniroot-vmm for hvt, uniroot-spt) share.
 *
 * A monitor describes itself (struct tender_monitor) and owns its guest; the
 * shared code sees only a monitor-neutral context (struct tender_ctx: guest
 * memory, image, manifest, descriptors to wait on). Devices are modules
 * (struct tender_module) listed once in tender_modules[] (module.c): each
 * owns its command-line options and their usage text, its hvt hypercalls,
 * and the seccomp rules its attached devices need under either monitor.
 * A registry collects them at start and refuses any option or hypercall
 * number registered twice. The image reader and manifest are in image.h.
 */
#ifndef UNIROOT_TENDER_H
#define UNIROOT_TENDER_H

#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "err.h"
#include "image.h"
#include "solo5_abi.h"

#define TENDER_VERSION "0.1.0"

/* Exit statuses of a monitor itself (a halted guest exits with its own). */
#define TENDER_EXIT_SETUP 1        /* bad command line, image or device */
#define TENDER_EXIT_GUEST_FAULT 255 /* guest crashed or broke the ABI */
#define TENDER_EXIT_SIGNAL_BASE 128 /* stopped by signal N: 128 + N */

#define TENDER_MAX_DEVICE_OPTS 64
#define TENDER_DEFAULT_MEM_MB 512
#define TENDER_MAX_POLLFDS MFT_MAX_ENTRIES
#define TENDER_MAX_MODULES 8

/* ---- the guest, as the shared code and the modules see it */
struct tender_ctx {
    uint8_t *mem;       /* host address of guest address 0, for tender_gpa() (hvt);
                         * NULL where the guest's addresses are the monitor's own (spt) */
    uint64_t mem_size;
    uint64_t entry, kernel_end;
    struct tender_ro ro;

    /* host copy of the manifest; entries carry host fds while attached */
    struct mft *mft;
    size_t mft_size;

    /* descriptors the guest waits on, each with its manifest index */
    struct pollfd pollfds[TENDER_MAX_POLLFDS];
    unsigned pollidx[TENDER_MAX_POLLFDS];
    unsigned npollfds;

    int exit_status; /* set when the guest halts */
};

/* ---- gmem.c: checked access to guest memory (monitors with ctx->mem) */
/* Host pointer for [gpa, gpa+len) or NULL if any of it is outside guest memory. */
void *tender_gpa(const struct tender_ctx *ctx, uint64_t gpa, uint64_t len);
/* The same for memory the monitor will write: NULL also if any of it is read-only. */
void *tender_gpa_w(const struct tender_ctx *ctx, uint64_t gpa, uint64_t len);
/* Fill err for a guest address outside memory (or read-only); returns -EFAULT. */
int tender_violation(struct ur_err *err, const char *call, const char *what, uint64_t gpa,
                     uint64_t len);
int tender_add_pollfd(struct tender_ctx *ctx, int fd, unsigned mft_index, struct ur_err *err);

/* ---- bpf.c: a seccomp filter from a list of allow rules
 *
 * A rule allows syscall nr when every one of its argument conditions holds
 * (64-bit unsigned compares; TENDER_EQ32 compares the low 32 bits only, for
 * descriptors and ioctl numbers, which the kernel takes as 32-bit); anything
 * no rule allows, or any other architecture or x32 call, kills the process.
 * The filter finds a call's rules by a binary search on its number. */
enum tender_cmp { TENDER_EQ, TENDER_LE, TENDER_GE, TENDER_EQ32 };
#define TENDER_RULE_MAX_ARGS 6
struct tender_arg_cond {
    unsigned arg;  /* 0..5 */
    enum tender_cmp cmp;
    uint64_t val;
};
struct tender_rule {
    int nr;
    unsigned nargs;
    struct tender_arg_cond a[TENDER_RULE_MAX_ARGS];
};
struct sock_filter;
/* Assemble rules into out (max instructions); returns the length or -E2BIG /
 * -EINVAL with err filled. */
int tender_bpf_build(const struct tender_rule *rules, unsigned n, struct sock_filter *out,
                     unsigned max, struct ur_err *err);
/* PR_SET_NO_NEW_PRIVS and load the filter (no libc allocation). */
int tender_bpf_install(const struct sock_filter *prog, unsigned len, struct ur_err *err);
/* Shorthands for rule tables. */
static inline struct tender_arg_cond tender_eq(unsigned arg, uint64_t v)
{
    return (struct tender_arg_cond){arg, TENDER_EQ, v};
}
static inline struct tender_arg_cond tender_eq32(unsigned arg, uint64_t v)
{
    return (struct tender_arg_cond){arg, TENDER_EQ32, v};
}
static inline struct tender_arg_cond tender_le(unsigned arg, uint64_t v)
{
    return (struct tender_arg_cond){arg, TENDER_LE, v};
}
static inline struct tender_arg_cond tender_ge(unsigned arg, uint64_t v)
{
    return (struct tender_arg_cond){arg, TENDER_GE, v};
}
/* Append a rule for NR with the given conditions to out[n++]. */
#define TENDER_RULE(out, n, NR, ...)                                                   \
    do {                                                                               \
        const struct tender_arg_cond c_[] = {__VA_ARGS__};                             \
        (out)[n] = (struct tender_rule){.nr = (NR), .nargs = sizeof(c_) / sizeof(c_[0])}; \
        for (unsigned k_ = 0; k_ < (out)[n].nargs; k_++)                               \
            (out)[n].a[k_] = c_[k_];                                                   \
        (n)++;                                                                         \
    } while (0)
#define TENDER_RULE_ANY(out, n, NR) ((out)[(n)++] = (struct tender_rule){.nr = (NR)})

/* ---- device modules (block.c, net.c; the table in module.c) */

/* A device option --FLAGNAME=VALUE (flag ends in ':'), e.g. --block:rootfs=/x. */
struct tender_option {
    const char *flag;   /* "--block:" */
    const char *value;  /* what VALUE is, for the usage: "PATH" */
    const char *help;   /* usage text; '\n' starts an indented continuation line */
    /* VALUE checked at parse time: NULL if fine, else what it must be. */
    const char *(*check)(const char *value);
};

/* One device option as given. */
struct tender_dev_opt {
    const struct tender_option *opt;
    char name[MFT_NAME_SIZE];
    const char *value;  /* points into argv */
};

/* What the command line asked for; filled by tender_parse_args(). */
struct tender_opts {
    uint64_t mem_bytes;
    struct tender_dev_opt dev[TENDER_MAX_DEVICE_OPTS];
    unsigned ndev;
    const char *kernel;
    char *const *guest_argv;  /* NULL-terminated, may be empty */
    int guest_argc;
    const char *start_fifo;   /* uniroot extension: wait here before running */
    int ready_fd;             /* uniroot extension: write "ready\n" here, -1 if unset */
    bool help, version;
};
/* The value given for opt and device name, or NULL. */
const char *tender_opt_value(const struct tender_opts *o, const struct tender_option *opt,
                             const char *name);

/* An hvt hypercall handler. Returns 0 to resume the guest, TENDER_HC_HALT
 * once the guest has halted (ctx->exit_status set), or a negative errno with
 * *err filled when the guest broke the ABI and must be stopped. */
#define TENDER_HC_HALT 1
typedef int (*tender_hc_fn)(struct tender_ctx *ctx, uint64_t gpa, struct ur_err *err);
struct tender_hypercall {
    unsigned nr;
    tender_hc_fn fn;
};

/* Seccomp rules for one attached manifest entry e, appended to out[n..];
 * returns the new n (at most TENDER_MODULE_MAX_RULES more). */
#define TENDER_MODULE_MAX_RULES 4
typedef unsigned (*tender_rules_fn)(const struct tender_ctx *ctx, const struct mft_entry *e,
                                    struct tender_rule *out, unsigned n);

struct tender_module {
    const char *name;
    uint32_t mft_type;  /* the manifest entries it attaches (0: none, a core module) */
    const struct tender_option *opts;
    unsigned nopts;
    /* Attach what its options name to manifest entries; may be NULL. */
    int (*attach)(struct tender_ctx *ctx, const struct tender_opts *o, struct ur_err *err);
    /* Close what attach opened (also after a failed attach). */
    void (*cleanup)(struct tender_ctx *ctx);
    /* hvt: its hypercalls, and what the monitor's run loop does for it */
    const struct tender_hypercall *hvt_calls;
    unsigned nhvt_calls;
    tender_rules_fn hvt_rules;
    /* spt: the system calls the guest's bindings make for it */
    tender_rules_fn spt_rules;
};

extern const struct tender_module tender_block_module, tender_net_module;
/* net.c: a unicast MAC written as six hex pairs (02:00:00:00:00:01). */
int net_parse_mac(const char *s, uint8_t mac[6]);
#define NET_ETHER_HDR 14 /* a frame may be MTU + this many bytes */
int net_frame_write(const struct mft_entry *e, const void *p, uint64_t len);
int net_frame_read(const struct mft_entry *e, void *p, uint64_t len, uint64_t *got);

/* ---- net_ring.c: the hvt net ring (HVT_FEATURE_RING_IO, common/solo5_abi.h).
 * The monitor keeps its own copies of the indices it owns: what the guest
 * writes into ent_head/com_tail is never read back. */
struct tender_net_ring {
    uint64_t gpa;               /* the ring in guest memory */
    uint32_t ent_head, com_tail;
};
/* Start serving the ring at gpa (zeroed by the caller, wholly in writable guest memory). */
int tender_net_ring_init(const struct tender_ctx *ctx, struct tender_net_ring *r, uint64_t gpa,
                         struct ur_err *err);
/* Serve every entry the guest has submitted; *served counts them. -EFAULT
 * (err says why) when the guest broke the ring: stop the guest. */
int tender_net_ring_service(const struct tender_ctx *ctx, struct tender_net_ring *r,
                            unsigned *served, struct ur_err *err);
/* The device modules, in attach order, NULL-terminated: the one list. */
extern const struct tender_module *const tender_modules[];

/* What a monitor is, for its command line and usage text. */
struct tender_monitor {
    const char *prog;         /* "uniroot-vmm" */
    const char *summary;      /* second usage line(s) */
    uint64_t max_mem_mb;
    const char *mem_note;     /* appended to the --mem help, may hold '\n' */
    const char *mem_who;      /* "an hvt guest": who can have at most max_mem_mb */
    const char *mem_why;      /* "(why)", for the error */
    const char *fault_note;   /* after "255 if the guest faulted" */
    const char *exit_note;    /* appended to the exit-status paragraph */
    const struct tender_module *core; /* the monitor's own hypercalls, or NULL */
};

/* The registered modules and the hvt hypercall table. */
struct tender_registry {
    const struct tender_monitor *mon;
    const struct tender_module *mod[TENDER_MAX_MODULES];
    unsigned nmod;
    tender_hc_fn hc[HVT_HYPERCALL_MAX];
};

/* Register mon->core, then every module of tender_modules[]. */
int tender_registry_init(struct tender_registry *r, const struct tender_monitor *mon,
                         struct ur_err *err);
/* Add one module; -EEXIST if one of its options or hypercall numbers is taken
 * (or an option collides with a monitor option), -EINVAL if malformed. */
int tender_register(struct tender_registry *r, const struct tender_module *m, struct ur_err *err);
/* The module attaching manifest entries of type, or NULL. */
const struct tender_module *tender_module_for(const struct tender_registry *r, uint32_t type);
/* Each module's attach, in order; then every manifest entry must be attached. */
int tender_attach_all(const struct tender_registry *r, struct tender_ctx *ctx,
                      const struct tender_opts *o, struct ur_err *err);
void tender_cleanup_all(const struct tender_registry *r, struct tender_ctx *ctx);
/* For a module's cleanup: close the host fd of every attached entry of type. */
void tender_detach_all(struct tender_ctx *ctx, uint32_t type);
/* Append the rules (hvt_rules or spt_rules, chosen by spt) of every attached
 * device; returns the new n. */
unsigned tender_device_rules(const struct tender_registry *r, const struct tender_ctx *ctx,
                             bool spt, struct tender_rule *out, unsigned n);
#define TENDER_MAX_DEVICE_RULES (TENDER_MODULE_MAX_RULES * MFT_MAX_ENTRIES)

/* ---- cli.c: solo5-hvt's and solo5-spt's command line:
 *   PROG [--mem=MB] [module options]... [--ready-fd=N] [--start-fifo=PATH] [--] KERNEL [ARGS...]
 * Pure (no I/O). */
int tender_parse_args(const struct tender_registry *r, int argc, char *const argv[],
                      struct tender_opts *o, struct ur_err *err);
void tender_usage(const struct tender_registry *r, FILE *out);

/* ---- tender.c: before the guest runs */
/* Map the unikernel at path read-only and private (a regular, non-empty file). */
int tender_map_kernel(const char *path, void **buf, size_t *len, struct ur_err *err);
/* An image mapped and checked: target and ABI version, manifest into ctx. */
struct tender_image {
    void *buf;
    size_t len;
    struct elf_image *img;
};
int tender_image_open(struct tender_image *ti, const char *path, uint32_t target,
                      struct tender_ctx *ctx, struct ur_err *err);
void tender_image_close(struct tender_image *ti);
/* --ready-fd / --start-fifo: report ready, then wait for the start byte
 * (cancelled by a stop signal: see tender_stop_signal()). */
int tender_wait_for_start(const struct tender_opts *o, struct ur_err *err);
/* A setup error: one line on stderr, and "error: MESSAGE" on --ready-fd. */
void tender_report_setup_error(const struct tender_registry *r, const struct tender_opts *o,
                               const struct ur_err *err);

/* ---- signal.c: SIGTERM/SIGINT end the monitor with 128+N */
/* Record stop signals from now on (hook, if any, runs in the handler). */
void tender_install_stop_signals(void (*hook)(void));
int tender_stop_signal(void); /* the stop signal received, or 0 */

#endif
