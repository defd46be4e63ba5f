/* oci.h: the uniroot OCI runtime's shared types.
 *
 * The runtime is a thin CLI (main.c, one cmd_*.c per group of commands, which
 * only parse arguments and print) over the lifecycle core (core.h: create,
 * start, kill, delete, state) and small modules: spec.c (config.json),
 * unikernel.c (the urunc-compatible description), backend*.c (the monitors:
 * hvt, spt), rootfs.c (where the guest's root filesystem comes from), state.c
 * (per-container state directory), spawn.c (the monitor process), cgroup.c,
 * handoff.c (runc for ordinary containers), log.c.
 * Everything returns 0 / -errno with a struct ur_err; only main() prints.
 */
#ifndef UNIROOT_OCI_H
#define UNIROOT_OCI_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <cjson/cJSON.h>

#include "ctrstate.h"
#include "err.h"
#include "ukbundle.h"

#define UNIROOT_VERSION "0.1.0"
#define UNIROOT_OCI_VERSION "1.0.2"
#define UNIROOT_DEFAULT_ROOT UR_RUNTIME_ROOT_DEFAULT /* common/ctrstate.h: unirootctl reads it too */
#define RUNC_DEFAULT_ROOT "/run/runc"

struct rt_settings;

/* Global options, shared by every command. */
struct ctx {
    const char *root;        /* --root: state directories live here */
    const char *runc_root;   /* where runc keeps handed-off containers: --root, or runc's default */
    const char *log_path;    /* --log, may be NULL */
    bool log_json;           /* --log-format json */
    bool debug;              /* --debug */
    const char *runc_path;   /* runc for the hand-off */
    const struct rt_settings *set; /* the node's config file (settings.h) */
    int argc;                /* the whole original command line, for the hand-off */
    char **argv;
};

/* ---- log.c: the --log file (text or JSON lines) and stderr */
void log_init(const struct ctx *c);
/* The config file's log-level (an enum rt_log_level); --debug still logs all. */
void log_set_level(int min);
void log_msg(const char *level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#define log_info(...) log_msg("info", __VA_ARGS__)
#define log_debug(...) log_msg("debug", __VA_ARGS__)
#define log_warn(...) log_msg("warning", __VA_ARGS__)
/* One error line to --log (JSON or text) and plain text to stderr. */
void log_error(const char *msg);

/* ---- opts.c: runc-style option parsing ("-x", "--name", "--name=v", "-name v") */
enum opt_kind { OPT_FLAG, OPT_STR, OPT_INT };
struct opt {
    const char *name;   /* long name, without dashes */
    char short_name;    /* 0 when none */
    enum opt_kind kind;
    void *dst;          /* bool*, const char**, or int* */
};
/* Parses options from argv[*idx] on, stopping at the first non-option or
 * "--"; leaves *idx at the first positional argument. */
int opts_parse(int argc, char **argv, int *idx, const struct opt *tbl, struct ur_err *err);

/* ---- path.c: name found in a $PATH directory (out: its path), as execvp does. */
bool path_lookup(const char *name, char *out, size_t n);

/* snprintf that may truncate on purpose (opts.c); returns the would-be length. */
int fmt_into(char *buf, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* ---- spec.c: the bundle's config.json */
struct ns_path {
    int type;                 /* CLONE_NEW* */
    char path[PATH_MAX];
};
#define SPEC_MAX_NS 8
struct oci_spec {
    cJSON *doc;                  /* owns every pointer below */
    char bundle[PATH_MAX];       /* absolute */
    char rootfs[PATH_MAX];       /* root.path made absolute against the bundle */
    bool rootfs_readonly;
    const cJSON *annotations;    /* object or NULL */
    const char *cgroups_path;    /* linux.cgroupsPath or NULL */
    struct ns_path ns[SPEC_MAX_NS];
    unsigned nns;
    char **args;                 /* process.args, NULL-terminated (malloc'ed) */
    unsigned nargs;
    bool terminal;
    uint64_t mem_limit;          /* linux.resources.memory.limit, 0 when unset */
};
int spec_parse(const char *json, const char *bundle, struct oci_spec *s, struct ur_err *err);
int spec_load(const char *bundle, struct oci_spec *s, struct ur_err *err);
void spec_free(struct oci_spec *s);
/* The string value of annotation key, or NULL. */
const char *spec_annotation(const struct oci_spec *s, const char *key);

/* ---- guest_mem.c: guest memory (MiB) for a memory limit (bytes, not 0) on a
 * backend whose guests have at most max_mb (hv names it in messages): 0 when
 * the guest gets the limit, 1 when it gets less (max_mb: the caller says so),
 * negative when the limit is too small. */
int guest_mem_mb(uint64_t limit, uint64_t max_mb, const char *hv, uint64_t *mb, struct ur_err *err);
/* What decides a guest's memory, first match wins: the annotation, the
 * memory limit, the config file, the built-in default (guest_mem.c). */
#define GUEST_MEM_ANNOTATION "dev.uniroot.memory-mb"
struct guest_mem_req {
    const char *annotation;    /* GUEST_MEM_ANNOTATION's value, NULL when absent */
    uint64_t limit;            /* linux.resources.memory.limit, 0 when unset */
    uint64_t max_mb;           /* the most the backend's guests can have */
    const char *hv;            /* the backend's name, for messages */
    uint64_t config_mb;        /* HV.memory-mb of the config file, else the built-in default */
    const char *config_where;  /* "FILE:LINE" of that setting, NULL for the built-in default */
};
struct guest_mem {
    uint64_t mb;               /* what the monitor is given (--mem) */
    bool clipped;              /* the limit was more than max_mb: the guest has less */
    char from[PATH_MAX + 48];  /* what decided: "annotation ...", "memory limit", "FILE:LINE", "built-in default" */
};
int guest_mem_decide(const struct guest_mem_req *q, struct guest_mem *out, struct ur_err *err);

/* ---- unikernel.c: the urunc-compatible unikernel description */
#define UK_PREFIX UR_UK_PREFIX  /* common/ukbundle.h: what a unikernel bundle is */
struct uk_desc {
    char source[16];            /* "annotations" or "urunc.json" */
    char type[64];
    char hypervisor[64];
    char version[64];
    char binary[PATH_MAX];
    char cmdline[4096];
    char initrd[PATH_MAX];
    char block[PATH_MAX];
    char blk_mnt_point[PATH_MAX];
    bool mount_rootfs;
};
/* 1 and *d filled when annotations describe a unikernel, 0 when they hold no
 * com.urunc.unikernel.* key, negative on a bad description. */
int uk_from_annotations(const cJSON *annotations, struct uk_desc *d, struct ur_err *err);
/* Same for the content of urunc.json (values base64-encoded). */
int uk_from_urunc_json(const char *json, struct uk_desc *d, struct ur_err *err);
/* Checks hypervisor and type are ones uniroot runs (backend.h); a clear error otherwise. */
int uk_validate(const struct uk_desc *d, struct ur_err *err);
/* Does d's unikernel type on d's hypervisor read fstype from its rootfs block device? */
bool uk_supports_fs(const struct uk_desc *d, const char *fstype);
/* Decode base64 (standard alphabet, padding optional); *out NUL-terminated, malloc'ed. */
int base64_decode(const char *in, char **out, size_t *outlen, struct ur_err *err);

/* ---- kernel.c: what the unikernel binary expects, read by the monitors'
 * own image reader (runtime/tender/image.h) */
#define KERNEL_MAX_DEVS 64
struct kernel_dev {
    char name[68];
    bool net;       /* net device, else block */
};
struct kernel_info {
    uint32_t abi_target;  /* SOLO5_ABI_TARGET_*: the one asked for */
    struct kernel_dev dev[KERNEL_MAX_DEVS]; /* the manifest's devices */
    unsigned ndev;
};
/* An x86_64 Solo5 ELF of target (SOLO5_ABI_TARGET_*) at the ABI version
 * uniroot's monitor of that target speaks; fills the manifest's devices. An
 * image of another known target is refused naming both. */
int kernel_inspect(const char *path, uint32_t target, struct kernel_info *ki, struct ur_err *err);
/* The same on an open fd (read whole, pread only); path names it in messages. */
int kernel_inspect_fd(int fd, const char *path, uint32_t target, struct kernel_info *ki,
                      struct ur_err *err);
const struct kernel_dev *kernel_find_dev(const struct kernel_info *ki, const char *name, bool net);

/* ---- commands (cmd_*.c): argv starts after the command name; each returns
 * the process exit status (>= 0) or a negative errno with err filled. */
typedef int (*cmd_fn)(struct ctx *c, int argc, char **argv, struct ur_err *err);
int cmd_create(struct ctx *c, int argc, char **argv, struct ur_err *err);
int cmd_run(struct ctx *c, int argc, char **argv, struct ur_err *err);
int cmd_start(struct ctx *c, int argc, char **argv, struct ur_err *err);
int cmd_kill(struct ctx *c, int argc, char **argv, struct ur_err *err);
int cmd_delete(struct ctx *c, int argc, char **argv, struct ur_err *err);
int cmd_pause(struct ctx *c, int argc, char **argv, struct ur_err *err);
int cmd_resume(struct ctx *c, int argc, char **argv, struct ur_err *err);
int cmd_state(struct ctx *c, int argc, char **argv, struct ur_err *err);
int cmd_list(struct ctx *c, int argc, char **argv, struct ur_err *err);
int cmd_ps(struct ctx *c, int argc, char **argv, struct ur_err *err);
int cmd_features(struct ctx *c, int argc, char **argv, struct ur_err *err);
int cmd_spec(struct ctx *c, int argc, char **argv, struct ur_err *err);
int cmd_exec(struct ctx *c, int argc, char **argv, struct ur_err *err);
/* Commands uniroot has no unikernel meaning for (checkpoint, update, ...):
 * handed to runc for runc's containers, a clear error for ours. */
int cmd_other(struct ctx *c, int argc, char **argv, struct ur_err *err);

/* ---- handoff.c: ordinary containers go to runc with the same argv. Returns
 * only on failure. */
int handoff_runc(const struct ctx *c, struct ur_err *err);
/* The id for an id-taking command: the first positional after its options
 * (opts is that command's table), or NULL. */
const char *find_id(int argc, char **argv, const struct opt *opts);

/* ---- signals.c */
/* "9", "KILL", "SIGKILL", "sigkill" -> 9; negative when unknown. */
int signal_parse(const char *s);

#endif
