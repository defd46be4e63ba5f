/* tender.h: what the monitors (uniroot-vmm for hvt, uniroot-spt) share: the
 * command line, the runtime's create/start handshake, exit statuses and the
 * seccomp filter assembler. The image reader and manifest are in image.h.
 */
#ifndef UNIROOT_TENDER_H
#define UNIROOT_TENDER_H

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

/* One --block:/--net:/--net-mac:/--block-sector-size: option. */
enum tender_opt_kind { TENDER_OPT_BLOCK, TENDER_OPT_BLOCK_SECTOR, TENDER_OPT_NET, TENDER_OPT_NET_MAC };

struct tender_dev_opt {
    enum tender_opt_kind kind;
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

/* ---- cli.c */
int tender_parse_args(int argc, char *const argv[], struct tender_opts *o, struct ur_err *err);
void tender_usage(FILE *out, const char *prog);
int net_parse_mac(const char *s, uint8_t mac[6]);

/* ---- tender.c */
/* Map the unikernel at path read-only and private (a regular, non-empty file). */
int tender_map_kernel(const char *path, void **buf, size_t *len, struct ur_err *err);
/* --ready-fd / --start-fifo: report ready, then wait for the start byte;
 * stopped() says whether a stop signal arrived meanwhile (0 or the signal). */
int tender_wait_for_start(const struct tender_opts *o, int (*stopped)(void), struct ur_err *err);

/* ---- bpf.c: a seccomp filter from a list of allow rules
 *
 * A rule allows syscall nr when every one of its argument conditions holds
 * (64-bit unsigned compares); anything no rule allows, or any other
 * architecture or x32 call, kills the process. */
enum tender_cmp { TENDER_EQ, TENDER_LE, TENDER_GE };
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

#endif
