/* bpf.c: assemble a seccomp BPF program from allow rules (see tender.h).
 *
 * Layout: check the architecture, refuse x32 numbers, then find the call's
 * number by a binary search over the numbers the rules name (a number no
 * rule names is killed there); each number leads (by a 32-bit BPF_JA) to its
 * rules, one block each: "every condition holds -> allow", falling through
 * to the next rule on a mismatch, and after its last rule, kill. Installing
 * a filter makes the kernel run it once for each syscall number (to cache
 * the always-allowed ones), so a short path for numbers not allowed keeps
 * install cheap. Conditions compare 64-bit arguments as two 32-bit halves
 * (EQ32 the low half only). Conditional jumps are forward and at most 255
 * instructions, which one rule never exceeds.
 */
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
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
    if (a->cmp == TENDER_EQ32) { /* the low half only */
        emit(c, BPF_LD | BPF_W | BPF_ABS, 0, 0, ARG_LO(a->arg));
        j = emit(c, BPF_JMP | BPF_JEQ | BPF_K, 0, 0, lo);
        fails[(*nfails)++] = j * 2;
        return 0;
    }
    emit(c, BPF_LD | BPF_W | BPF_ABS, 0, 0, ARG_HI(a->arg));
    switch (a->cmp) {
    case TENDER_EQ32:
        break;
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

/* Rules sorted by number, then by their given order (rules is qsort_r's arg). */
static int cmp_index(const void *x, const void *y, void *rules)
{
    const struct tender_rule *r = rules;
    unsigned a = *(const unsigned *)x, b = *(const unsigned *)y;
    int na = r[a].nr, nb = r[b].nr;
    return na != nb ? (na > nb) - (na < nb) : (a > b) - (a < b);
}

struct tree {
    const int *nr;     /* the distinct numbers, ascending */
    unsigned *ja;      /* per number: its BPF_JA, patched to its rules */
    bool range;        /* a tree jump was out of reach */
};

/* Binary search over numbers [lo, hi) with the number in A. */
static void emit_tree(struct asm_ctx *c, struct tree *t, unsigned lo, unsigned hi)
{
    if (hi - lo <= 3) {
        for (unsigned g = lo; g < hi; g++) {
            emit(c, BPF_JMP | BPF_JEQ | BPF_K, 0, 1, (uint32_t)t->nr[g]);
            t->ja[g] = emit(c, BPF_JMP | BPF_JA, 0, 0, 0);
        }
        emit(c, BPF_RET | BPF_K, 0, 0, SECCOMP_RET_KILL_PROCESS);
        return;
    }
    unsigned mid = (lo + hi) / 2;
    unsigned j = emit(c, BPF_JMP | BPF_JGE | BPF_K, 0, 0, (uint32_t)t->nr[mid]);
    emit_tree(c, t, lo, mid);
    if (patch(c, j, 1, c->n) < 0)
        t->range = true;
    emit_tree(c, t, mid, hi);
}

int tender_bpf_build(const struct tender_rule *rules, unsigned n, struct sock_filter *out,
                     unsigned max, struct ur_err *err)
{
    for (unsigned r = 0; r < n; r++) {
        if (rules[r].nargs > TENDER_RULE_MAX_ARGS || rules[r].nr < 0)
            return ur_errf(err, -EINVAL, "seccomp rule %u: bad rule", r);
        for (unsigned i = 0; i < rules[r].nargs; i++)
            if (rules[r].a[i].arg > 5 || (unsigned)rules[r].a[i].cmp > TENDER_EQ32)
                return ur_errf(err, -EINVAL, "seccomp rule %u: argument %u", r, rules[r].a[i].arg);
    }
    unsigned *order = calloc(n ? 3 * n : 1, sizeof(unsigned));
    int *nrs = calloc(n ? n : 1, sizeof(int));
    if (!order || !nrs) {
        free(order);
        free(nrs);
        return ur_errf(err, -ENOMEM, "out of memory");
    }
    for (unsigned r = 0; r < n; r++)
        order[r] = r;
    qsort_r(order, n, sizeof(order[0]), cmp_index, (void *)rules);
    unsigned ngroups = 0, *first = order + n, *ja = order + 2 * n; /* first rule of each number */
    for (unsigned k = 0; k < n; k++)
        if (k == 0 || rules[order[k]].nr != rules[order[k - 1]].nr) {
            first[ngroups] = k;
            nrs[ngroups++] = rules[order[k]].nr;
        }

    struct asm_ctx c = {.out = out, .max = max};
    emit(&c, BPF_LD | BPF_W | BPF_ABS, 0, 0, offsetof(struct seccomp_data, arch));
    emit(&c, BPF_JMP | BPF_JEQ | BPF_K, 1, 0, AUDIT_ARCH_X86_64);
    emit(&c, BPF_RET | BPF_K, 0, 0, SECCOMP_RET_KILL_PROCESS);
    emit(&c, BPF_LD | BPF_W | BPF_ABS, 0, 0, offsetof(struct seccomp_data, nr));
    emit(&c, BPF_JMP | BPF_JGE | BPF_K, 0, 1, X32_SYSCALL_BIT);
    emit(&c, BPF_RET | BPF_K, 0, 0, SECCOMP_RET_KILL_PROCESS);
    struct tree t = {.nr = nrs, .ja = ja};
    emit_tree(&c, &t, 0, ngroups);

    int rc = 0;
    for (unsigned g = 0; g < ngroups && rc == 0; g++) {
        if (!c.overflow)
            c.out[ja[g]].k = c.n - ja[g] - 1;
        unsigned end = g + 1 < ngroups ? first[g + 1] : n;
        for (unsigned k = first[g]; k < end && rc == 0; k++) {
            const struct tender_rule *rl = &rules[order[k]];
            unsigned fails[2 * TENDER_RULE_MAX_ARGS + 1], nfails = 0;
            for (unsigned i = 0; i < rl->nargs && rc == 0; i++)
                if (emit_cond(&c, &rl->a[i], fails, &nfails) < 0)
                    rc = ur_errf(err, -EINVAL, "seccomp rule %u: bad condition", order[k]);
            emit(&c, BPF_RET | BPF_K, 0, 0, SECCOMP_RET_ALLOW);
            for (unsigned i = 0; i < nfails && rc == 0; i++)
                if (patch(&c, fails[i] / 2, fails[i] & 1, c.n) < 0)
                    rc = ur_errf(err, -E2BIG, "seccomp rule %u too long", order[k]);
        }
        emit(&c, BPF_RET | BPF_K, 0, 0, SECCOMP_RET_KILL_PROCESS);
    }
    if (ngroups == 0)
        emit(&c, BPF_RET | BPF_K, 0, 0, SECCOMP_RET_KILL_PROCESS);
    free(order);
    free(nrs);
    if (rc < 0)
        return rc;
    if (t.range)
        return ur_errf(err, -E2BIG, "seccomp filter: too many system call numbers");
    if (c.overflow || c.n > BPF_MAXINSNS)
        return ur_errf(err, -E2BIG, "seccomp filter longer than %u instructions", max);
    return (int)c.n;
}

int tender_bpf_install(const struct sock_filter *prog, unsigned len, struct ur_err *err)
{
    struct sock_fprog fp = {.len = (unsigned short)len, .filter = (struct sock_filter *)prog};
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        return ur_errf_sys(err, -errno, "prctl(PR_SET_NO_NEW_PRIVS)");
    /* TSYNC: every thread of the process gets the filter (uniroot-vmm's net
     * ring thread too); it returns a thread id when one could not be synced. */
    long rc = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, &fp);
    if (rc < 0)
        return ur_errf_sys(err, -errno, "seccomp(SECCOMP_SET_MODE_FILTER)");
    if (rc > 0)
        return ur_errf(err, -EBUSY, "seccomp: thread %ld could not take the filter", rc);
    return 0;
}
