/* bpf.c: assemble a seccomp BPF program from allow rules (see tender.h).
 *
 * Layout: check the architecture, refuse x32 numbers, then one block per
 * rule: "nr matches and each condition holds -> allow", falling through to
 * the next rule on any mismatch; after the last rule, kill the process.
 * Conditions compare 64-bit arguments as two 32-bit halves. Jumps are
 * forward and at most 255 instructions, which one rule never exceeds.
 */
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "tender.h"

#define X32_SYSCALL_BIT 0x40000000u
#define ARG_LO(i) ((unsigned)(offsetof(struct seccomp_data, args) + 8 * (i)))
#define ARG_HI(i) (ARG_LO(i) + 4)

struct asm_ctx {
    struct sock_filter *out;
    unsigned max, n;
    bool overflow;
};

static unsigned emit(struct asm_ctx *c, uint16_t code, uint8_t jt, uint8_t jf, uint32_t k)
{
    if (c->n == c->max) {
        c->overflow = true;
        return c->n;
    }
    c->out[c->n] = (struct sock_filter){.code = code, .jt = jt, .jf = jf, .k = k};
    return c->n++;
}

/* Point the jt (which=1) or jf (which=0) of instruction at to target. */
static int patch(struct asm_ctx *c, unsigned at, bool which, unsigned target)
{
    if (c->overflow)
        return 0;
    unsigned d = target - at - 1;
    if (d > 255)
        return -E2BIG;
    if (which)
        c->out[at].jt = (uint8_t)d;
    else
        c->out[at].jf = (uint8_t)d;
    return 0;
}

/* Emit one condition. Jumps to "next rule" are recorded in fails[] (as
 * instruction index * 2 + which) for the caller to patch. */
static int emit_cond(struct asm_ctx *c, const struct tender_arg_cond *a, unsigned *fails,
                     unsigned *nfails)
{
    uint32_t hi = (uint32_t)(a->val >> 32), lo = (uint32_t)a->val;
    unsigned j, pass;
    emit(c, BPF_LD | BPF_W | BPF_ABS, 0, 0, ARG_HI(a->arg));
    switch (a->cmp) {
    case TENDER_EQ:
        j = emit(c, BPF_JMP | BPF_JEQ | BPF_K, 0, 0, hi);  /* jf: fail */
        fails[(*nfails)++] = j * 2;
        emit(c, BPF_LD | BPF_W | BPF_ABS, 0, 0, ARG_LO(a->arg));
        j = emit(c, BPF_JMP | BPF_JEQ | BPF_K, 0, 0, lo);
        fails[(*nfails)++] = j * 2;
        return 0;
    case TENDER_LE: /* arg <= val: hi < vhi, or hi == vhi and lo <= vlo */
        j = emit(c, BPF_JMP | BPF_JGT | BPF_K, 0, 0, hi);  /* jt: fail */
        fails[(*nfails)++] = j * 2 + 1;
        pass = emit(c, BPF_JMP | BPF_JEQ | BPF_K, 0, 0, hi); /* jf: passes */
        emit(c, BPF_LD | BPF_W | BPF_ABS, 0, 0, ARG_LO(a->arg));
        j = emit(c, BPF_JMP | BPF_JGT | BPF_K, 0, 0, lo);
        fails[(*nfails)++] = j * 2 + 1;
        return patch(c, pass, 0, c->n);
    case TENDER_GE: /* arg >= val: hi > vhi, or hi == vhi and lo >= vlo */
        j = emit(c, BPF_JMP | BPF_JGE | BPF_K, 0, 0, hi);  /* jf: fail (hi < vhi) */
        fails[(*nfails)++] = j * 2;
        pass = emit(c, BPF_JMP | BPF_JEQ | BPF_K, 0, 0, hi); /* jf: hi > vhi passes */
        emit(c, BPF_LD | BPF_W | BPF_ABS, 0, 0, ARG_LO(a->arg));
        j = emit(c, BPF_JMP | BPF_JGE | BPF_K, 0, 0, lo);
        fails[(*nfails)++] = j * 2;
        return patch(c, pass, 0, c->n);
    }
    return -EINVAL;
}

int tender_bpf_build(const struct tender_rule *rules, unsigned n, struct sock_filter *out,
                  unsigned max, struct ur_err *err)
{
    struct asm_ctx c = {.out = out, .max = max};
    emit(&c, BPF_LD | BPF_W | BPF_ABS, 0, 0, offsetof(struct seccomp_data, arch));
    emit(&c, BPF_JMP | BPF_JEQ | BPF_K, 1, 0, AUDIT_ARCH_X86_64);
    emit(&c, BPF_RET | BPF_K, 0, 0, SECCOMP_RET_KILL_PROCESS);
    emit(&c, BPF_LD | BPF_W | BPF_ABS, 0, 0, offsetof(struct seccomp_data, nr));
    emit(&c, BPF_JMP | BPF_JGE | BPF_K, 0, 1, X32_SYSCALL_BIT);
    emit(&c, BPF_RET | BPF_K, 0, 0, SECCOMP_RET_KILL_PROCESS);
    for (unsigned r = 0; r < n; r++) {
        const struct tender_rule *rl = &rules[r];
        unsigned fails[2 * TENDER_RULE_MAX_ARGS + 1], nfails = 0;
        if (rl->nargs > TENDER_RULE_MAX_ARGS || rl->nr < 0)
            return ur_errf(err, -EINVAL, "seccomp rule %u: bad rule", r);
        emit(&c, BPF_LD | BPF_W | BPF_ABS, 0, 0, offsetof(struct seccomp_data, nr));
        unsigned j = emit(&c, BPF_JMP | BPF_JEQ | BPF_K, 0, 0, (uint32_t)rl->nr);
        fails[nfails++] = j * 2;
        for (unsigned i = 0; i < rl->nargs; i++) {
            if (rl->a[i].arg > 5)
                return ur_errf(err, -EINVAL, "seccomp rule %u: argument %u", r, rl->a[i].arg);
            if (emit_cond(&c, &rl->a[i], fails, &nfails) < 0)
                return ur_errf(err, -EINVAL, "seccomp rule %u: bad condition", r);
        }
        emit(&c, BPF_RET | BPF_K, 0, 0, SECCOMP_RET_ALLOW);
        for (unsigned i = 0; i < nfails; i++)
            if (patch(&c, fails[i] / 2, fails[i] & 1, c.n) < 0)
                return ur_errf(err, -E2BIG, "seccomp rule %u too long", r);
    }
    emit(&c, BPF_RET | BPF_K, 0, 0, SECCOMP_RET_KILL_PROCESS);
    if (c.overflow || c.n > BPF_MAXINSNS)
        return ur_errf(err, -E2BIG, "seccomp filter longer than %u instructions", max);
    return (int)c.n;
}

int tender_bpf_install(const struct sock_filter *prog, unsigned len, struct ur_err *err)
{
    struct sock_fprog fp = {.len = (unsigned short)len, .filter = (struct sock_filter *)prog};
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        return ur_errf_sys(err, -errno, "prctl(PR_SET_NO_NEW_PRIVS)");
    if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fp) < 0)
        return ur_errf_sys(err, -errno, "seccomp(SECCOMP_SET_MODE_FILTER)");
    return 0;
}
