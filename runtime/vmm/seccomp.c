/* seccomp.c: once the guest is set up, the monitor needs very little from the
 * kernel: KVM_RUN (and register reads for fault reports) on its vCPU,
 * pread/pwrite on its block devices, read/write on its taps, write on
 * stdout/stderr, ppoll, the clock, and exiting. This filter allows exactly
 * that, on exactly those descriptors, and kills the process on anything else.
 *
 * Shape: check the architecture, then find the syscall number with a binary
 * search over the allowed numbers, then check arguments where a rule has
 * any. Installing a filter makes the kernel run it once for every syscall
 * number (to cache the always-allowed ones), so a short path for numbers we
 * do not allow keeps install cheap: a linear chain cost ~100 us here, about
 * a tenth of a small guest's whole boot.
 *
 * Sanitizer builds (UR_SANITIZED) build the filter but do not install it:
 * their runtimes make syscalls of their own (mmap, ptrace for leak checks).
 */
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/kvm.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "vmm.h"

#define MAX_INSNS 256
#define MAX_LABELS 64
#define NEXT (-1) /* jump target: the following instruction */

/* A tiny assembler: jumps name labels, resolved once all is emitted. */
struct prog {
    struct sock_filter f[MAX_INSNS];
    int jt[MAX_INSNS], jf[MAX_INSNS];
    int label_at[MAX_LABELS];
    unsigned n, nlabels;
    bool overflow;
};

static int new_label(struct prog *p)
{
    if (p->nlabels == MAX_LABELS) {
        p->overflow = true;
        return 0;
    }
    p->label_at[p->nlabels] = -1;
    return (int)p->nlabels++;
}

static void place(struct prog *p, int label)
{
    p->label_at[label] = (int)p->n;
}

static void emit(struct prog *p, uint16_t code, uint32_t k, int jt, int jf)
{
    if (p->n == MAX_INSNS) {
        p->overflow = true;
        return;
    }
    p->f[p->n] = (struct sock_filter){code, 0, 0, k};
    p->jt[p->n] = jt;
    p->jf[p->n] = jf;
    p->n++;
}

/* Turn label references into the 8-bit forward offsets cBPF wants. */
static int resolve(struct prog *p)
{
    for (unsigned i = 0; i < p->n; i++) {
        if (BPF_CLASS(p->f[i].code) != BPF_JMP)
            continue;
        int t[2] = {p->jt[i], p->jf[i]};
        for (int k = 0; k < 2; k++) {
            int off = 0;
            if (t[k] != NEXT) {
                int at = p->label_at[t[k]];
                off = at - (int)i - 1;
                if (at < 0 || off < 0 || off > 255)
                    return -ERANGE;
            }
            if (k == 0)
                p->f[i].jt = (uint8_t)off;
            else
                p->f[i].jf = (uint8_t)off;
        }
    }
    return 0;
}

#define LD_ABS(p, off) emit(p, BPF_LD | BPF_W | BPF_ABS, (uint32_t)(off), NEXT, NEXT)
#define RET(p, action) emit(p, BPF_RET | BPF_K, action, NEXT, NEXT)
#define ARG_LO(i) (offsetof(struct seccomp_data, args) + 8 * (i))

struct rule {
    uint32_t nr;
    const uint32_t *a0, *a1; /* allowed values of the low 32 bits of args 0/1, or NULL */
    unsigned n0, n1;
    int label;
};

/* Low 32 bits of argument arg must be in vals, else KILL. (fds and ioctl
 * numbers are 32-bit in the kernel.) */
static void emit_arg_in(struct prog *p, unsigned arg, const uint32_t *vals, unsigned n)
{
    int ok = new_label(p);
    LD_ABS(p, ARG_LO(arg));
    for (unsigned i = 0; i < n; i++)
        emit(p, BPF_JMP | BPF_JEQ | BPF_K, vals[i], ok, NEXT);
    RET(p, SECCOMP_RET_KILL_PROCESS);
    place(p, ok);
}

/* Binary search over rules[lo, hi) sorted by nr, with the number in A. */
static void emit_tree(struct prog *p, struct rule *r, unsigned lo, unsigned hi)
{
    if (hi - lo <= 3) {
        for (unsigned i = lo; i < hi; i++)
            emit(p, BPF_JMP | BPF_JEQ | BPF_K, r[i].nr, r[i].label, NEXT);
        RET(p, SECCOMP_RET_KILL_PROCESS);
        return;
    }
    unsigned mid = (lo + hi) / 2;
    int upper = new_label(p);
    emit(p, BPF_JMP | BPF_JGE | BPF_K, r[mid].nr, upper, NEXT);
    emit_tree(p, r, lo, mid);
    place(p, upper);
    emit_tree(p, r, mid, hi);
}

static int cmp_rule(const void *a, const void *b)
{
    const struct rule *x = a, *y = b;
    return (x->nr > y->nr) - (x->nr < y->nr);
}

int vmm_seccomp_build(const struct vmm *vmm, struct sock_filter *out, unsigned max,
                      struct ur_err *err)
{
    uint32_t vcpu[] = {(uint32_t)vmm->vcpu_fd};
    uint32_t kvm_cmds[] = {KVM_RUN, KVM_GET_REGS, KVM_GET_SREGS};
    uint32_t blk[MFT_MAX_ENTRIES], net[MFT_MAX_ENTRIES], outfds[MFT_MAX_ENTRIES + 2];
    unsigned nblk = 0, nnet = 0, nout = 0;
    outfds[nout++] = STDOUT_FILENO;
    outfds[nout++] = STDERR_FILENO;
    for (unsigned i = 1; i < vmm->mft->entries; i++) {
        const struct mft_entry *e = &vmm->mft->e[i];
        if (!e->attached)
            continue;
        if (e->type == MFT_DEV_BLOCK_BASIC)
            blk[nblk++] = (uint32_t)e->b.hostfd;
        else if (e->type == MFT_DEV_NET_BASIC)
            net[nnet++] = outfds[nout++] = (uint32_t)e->b.hostfd;
    }

    struct prog *p = calloc(1, sizeof(*p));
    if (!p)
        return ur_errf(err, -ENOMEM, "out of memory");
    int kill = new_label(p), allow = new_label(p);
    struct rule r[16];
    unsigned nr = 0;
    r[nr++] = (struct rule){SYS_ioctl, vcpu, kvm_cmds, 1, 3, new_label(p)};
    r[nr++] = (struct rule){SYS_write, outfds, NULL, nout, 0, new_label(p)};
    if (nnet)
        r[nr++] = (struct rule){SYS_read, net, NULL, nnet, 0, new_label(p)};
    if (nblk) {
        r[nr++] = (struct rule){SYS_pread64, blk, NULL, nblk, 0, new_label(p)};
        r[nr++] = (struct rule){SYS_pwrite64, blk, NULL, nblk, 0, new_label(p)};
    }
    static const uint32_t plain[] = {SYS_ppoll, SYS_clock_gettime, SYS_rt_sigreturn, SYS_exit,
                                     SYS_exit_group, SYS_close, SYS_munmap, SYS_brk};
    for (unsigned i = 0; i < sizeof(plain) / sizeof(plain[0]); i++)
        r[nr++] = (struct rule){plain[i], NULL, NULL, 0, 0, allow};
    qsort(r, nr, sizeof(r[0]), cmp_rule);

    LD_ABS(p, offsetof(struct seccomp_data, arch));
    emit(p, BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, NEXT, kill);
    LD_ABS(p, offsetof(struct seccomp_data, nr));
    emit(p, BPF_JMP | BPF_JGE | BPF_K, 0x40000000u, kill, NEXT); /* x32 ABI */
    emit_tree(p, r, 0, nr);
    for (unsigned i = 0; i < nr; i++) {
        if (r[i].label == allow)
            continue;
        place(p, r[i].label);
        if (r[i].a0)
            emit_arg_in(p, 0, r[i].a0, r[i].n0);
        if (r[i].a1)
            emit_arg_in(p, 1, r[i].a1, r[i].n1);
        RET(p, SECCOMP_RET_ALLOW);
    }
    place(p, allow);
    RET(p, SECCOMP_RET_ALLOW);
    place(p, kill);
    RET(p, SECCOMP_RET_KILL_PROCESS);

    int rc;
    if (p->overflow || p->n > max || resolve(p) < 0)
        rc = ur_errf(err, -E2BIG, "seccomp filter too large");
    else {
        for (unsigned i = 0; i < p->n; i++)
            out[i] = p->f[i];
        rc = (int)p->n;
    }
    free(p);
    return rc;
}

int vmm_seccomp_install(const struct vmm *vmm, struct ur_err *err)
{
    struct sock_filter f[MAX_INSNS];
    int n = vmm_seccomp_build(vmm, f, MAX_INSNS, err);
    if (n < 0)
        return n;
#ifdef UR_SANITIZED
    return 0; /* built (so it is checked), not installed */
#else
    struct sock_fprog fprog = {.len = (unsigned short)n, .filter = f};
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        return ur_errf_sys(err, -errno, "PR_SET_NO_NEW_PRIVS");
    if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fprog) < 0)
        return ur_errf_sys(err, -errno, "cannot install the seccomp filter");
    return 0;
#endif
}
