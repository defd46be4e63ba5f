/* spt.h: uniroot-spt, the Solo5 spt monitor: the guest runs inside this
 * process, confined by a seccomp filter that lets it make only the system
 * calls its bindings need, on the descriptors the monitor opened.
 *
 * The image reader, manifest, command line and the block and tap attach
 * code are uniroot-vmm's (runtime/vmm/), linked in; what is spt's own lives
 * here: the memory layout and launch (main.c), and the filter (filter.c,
 * built with the small BPF assembler in bpf.c).
 */
#ifndef UNIROOT_SPT_H
#define UNIROOT_SPT_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "solo5_abi.h"

/* ---- bpf.c: a seccomp filter from a list of allow rules
 *
 * A rule allows syscall nr when every one of its argument conditions holds
 * (64-bit unsigned compares); anything no rule allows, or any other
 * architecture or x32 call, kills the process. */
enum spt_cmp { SPT_EQ, SPT_LE, SPT_GE };
#define SPT_RULE_MAX_ARGS 6
struct spt_arg_cond {
    unsigned arg;  /* 0..5 */
    enum spt_cmp cmp;
    uint64_t val;
};
struct spt_rule {
    int nr;
    unsigned nargs;
    struct spt_arg_cond a[SPT_RULE_MAX_ARGS];
};
struct sock_filter;
/* Assemble rules into out (max instructions); returns the length or -E2BIG /
 * -EINVAL with err filled. */
int spt_bpf_build(const struct spt_rule *rules, unsigned n, struct sock_filter *out,
                  unsigned max, struct ur_err *err);
/* PR_SET_NO_NEW_PRIVS and load the filter (no libc allocation). */
int spt_bpf_install(const struct sock_filter *prog, unsigned len, struct ur_err *err);

/* ---- filter.c: the rules a guest gets */
struct mft;
struct spt_fds {
    int epollfd, timerfd;
    uint64_t mem_size;
};
#define SPT_MAX_RULES (16 + 2 * MFT_MAX_ENTRIES)
/* The rules for a guest with memory [SPT_HOST_MEM_BASE, mem_size) and the
 * attached devices of m; returns how many were written into out. */
unsigned spt_filter_rules(const struct spt_fds *f, const struct mft *m, struct spt_rule *out);

#endif
