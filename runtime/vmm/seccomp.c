/* seccomp.c: once the guest is set up, the monitor needs very little from the
 * kernel: KVM_RUN (and register reads for fault reports) on its vCPU,
 * pread/pwrite on its block devices, read/write on its taps, write on
 * stdout/stderr, ppoll, the clock, and exiting. This filter allows exactly
 * that, on exactly those descriptors, and kills the process on anything else.
 *
 * Sanitizer builds (UR_SANITIZED) skip the filter: their runtimes make
 * syscalls of their own (mmap, and ptrace for leak checks) at any time.
 */
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/kvm.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "vmm.h"

#define MAX_INSNS 512

struct prog {
    struct sock_filter f[MAX_INSNS];
    unsigned n;
    bool overflow;
};

static void emit(struct prog *p, uint16_t code, uint32_t k, uint8_t jt, uint8_t jf)
{
    if (p->n == MAX_INSNS) {
        p->overflow = true;
        return;
    }
    p->f[p->n++] = (struct sock_filter){code, jt, jf, k};
}

#define ARG_LO(i) (offsetof(struct seccomp_data, args) + 8 * (i))

/* Check the low 32 bits of argument arg against a set; fall through on a
 * match, return KILL otherwise. (fds and ioctl numbers are 32-bit in the kernel.) */
static void emit_arg_in(struct prog *p, unsigned arg, const uint32_t *vals, unsigned n)
{
    emit(p, BPF_LD | BPF_W | BPF_ABS, (uint32_t)ARG_LO(arg), 0, 0);
    for (unsigned i = 0; i < n; i++)
        emit(p, BPF_JMP | BPF_JEQ | BPF_K, vals[i], (uint8_t)(n - i), 0);
    emit(p, BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS, 0, 0);
}

/* "if nr == sysno: [arg0 in a0] [arg1 in a1] allow" as one self-contained block. */
static void emit_rule(struct prog *p, long sysno, const uint32_t *a0, unsigned n0,
                      const uint32_t *a1, unsigned n1)
{
    unsigned len = 1 + (a0 ? n0 + 2 : 0) + (a1 ? n1 + 2 : 0); /* after the JEQ */
    emit(p, BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr), 0, 0);
    emit(p, BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)sysno, 0, (uint8_t)len);
    if (a0)
        emit_arg_in(p, 0, a0, n0);
    if (a1)
        emit_arg_in(p, 1, a1, n1);
    emit(p, BPF_RET | BPF_K, SECCOMP_RET_ALLOW, 0, 0);
}

int vmm_seccomp_install(const struct vmm *vmm, struct ur_err *err)
{
    uint32_t vcpu[] = {(uint32_t)vmm->vcpu_fd};
    uint32_t kvm_cmds[] = {KVM_RUN, KVM_GET_REGS, KVM_GET_SREGS};
    uint32_t blk[MFT_MAX_ENTRIES], net[MFT_MAX_ENTRIES], out[MFT_MAX_ENTRIES + 2];
    unsigned nblk = 0, nnet = 0, nout = 0;
    out[nout++] = STDOUT_FILENO;
    out[nout++] = STDERR_FILENO;
    for (unsigned i = 1; i < vmm->mft->entries; i++) {
        const struct mft_entry *e = &vmm->mft->e[i];
        if (!e->attached)
            continue;
        if (e->type == MFT_DEV_BLOCK_BASIC)
            blk[nblk++] = (uint32_t)e->b.hostfd;
        else if (e->type == MFT_DEV_NET_BASIC)
            net[nnet++] = out[nout++] = (uint32_t)e->b.hostfd;
    }

    struct prog p = {.n = 0};
    emit(&p, BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch), 0, 0);
    emit(&p, BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0);
    emit(&p, BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS, 0, 0);
    emit(&p, BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr), 0, 0);
    emit(&p, BPF_JMP | BPF_JGE | BPF_K, 0x40000000u, 0, 1); /* x32 ABI */
    emit(&p, BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS, 0, 0);

    emit_rule(&p, SYS_ioctl, vcpu, 1, kvm_cmds, 3);
    emit_rule(&p, SYS_write, out, nout, NULL, 0);
    if (nnet)
        emit_rule(&p, SYS_read, net, nnet, NULL, 0);
    if (nblk) {
        emit_rule(&p, SYS_pread64, blk, nblk, NULL, 0);
        emit_rule(&p, SYS_pwrite64, blk, nblk, NULL, 0);
    }
    static const long plain[] = {SYS_ppoll, SYS_clock_gettime, SYS_rt_sigreturn, SYS_exit,
                                 SYS_exit_group, SYS_close, SYS_munmap, SYS_brk};
    for (unsigned i = 0; i < sizeof(plain) / sizeof(plain[0]); i++)
        emit_rule(&p, plain[i], NULL, 0, NULL, 0);
    emit(&p, BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS, 0, 0);
    if (p.overflow)
        return ur_errf(err, -E2BIG, "seccomp filter too large");

#ifdef UR_SANITIZED
    return 0; /* built (so it is checked), not installed */
#else
    struct sock_fprog fprog = {.len = (unsigned short)p.n, .filter = p.f};
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        return ur_errf_sys(err, -errno, "PR_SET_NO_NEW_PRIVS");
    if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fprog) < 0)
        return ur_errf_sys(err, -errno, "cannot install the seccomp filter");
    return 0;
#endif
}
