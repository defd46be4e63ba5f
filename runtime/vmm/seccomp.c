/* seccomp.c: once the guest is set up, the monitor needs very little from the
 * kernel: KVM_RUN (and register reads for fault reports) on its vCPU, write
 * on stdout/stderr, ppoll, the clock, and exiting; plus what each attached
 * device's module says its hypercalls need (pread/pwrite on block devices,
 * read/write on taps: the modules' hvt_rules), and what the net ring's I/O
 * thread does (ring_rules). This filter, installed on both threads, allows exactly
 * that, on exactly those descriptors, and kills the process on anything else
 * (assembled by runtime/tender/bpf.c, which searches the numbers in a tree).
 *
 * Sanitizer builds (UR_SANITIZED) build the filter but do not install it:
 * their runtimes make syscalls of their own (mmap, ptrace for leak checks).
 */
#include <errno.h>
#include <linux/filter.h>
#include <linux/kvm.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "vmm.h"
#include "vmm_ring.h"

#define MAX_INSNS 512
#define MAX_RULES (24 + TENDER_MAX_DEVICE_RULES)

/* The net ring (ring.c): its I/O thread waits on and reads the kick's
 * eventfd, reads and writes the taps (the net module's rules), signals the
 * vCPU thread when the guest broke the ring; the vCPU thread wakes it with a
 * write to the eventfd and joins it (futex), and the thread's exit (glibc)
 * blocks signals, unregisters its rseq area and returns its stack (madvise).
 * tests/unit/test_vmm_ringio.c runs the thread under this filter. */
static unsigned ring_rules(const struct vmm *vmm, struct tender_rule *r, unsigned n)
{
    const struct vmm_ring *g = vmm->ring;
    if (!g)
        return n;
    TENDER_RULE(r, n, SYS_read, tender_eq32(0, (uint32_t)g->efd));
    TENDER_RULE(r, n, SYS_write, tender_eq32(0, (uint32_t)g->efd));
    TENDER_RULE(r, n, SYS_tgkill, tender_eq32(0, (uint32_t)g->pid), tender_eq32(1, (uint32_t)g->vcpu_tid),
                tender_eq32(2, VMM_RING_SIGNAL));
    TENDER_RULE_ANY(r, n, SYS_futex);
    TENDER_RULE(r, n, SYS_madvise, tender_eq32(2, MADV_DONTNEED));
    TENDER_RULE_ANY(r, n, SYS_rt_sigprocmask); /* glibc's thread exit blocks signals */
    TENDER_RULE(r, n, SYS_rseq, tender_eq32(2, 1 /* RSEQ_FLAG_UNREGISTER */));
    return n;
}

int vmm_seccomp_build(const struct vmm *vmm, struct sock_filter *out, unsigned max,
                      struct ur_err *err)
{
    static struct tender_rule r[MAX_RULES];
    unsigned n = 0;
    const uint32_t vcpu = (uint32_t)vmm->vcpu_fd;
    static const unsigned long kvm_cmds[] = {KVM_RUN, KVM_GET_REGS, KVM_GET_SREGS};
    for (unsigned i = 0; i < sizeof(kvm_cmds) / sizeof(kvm_cmds[0]); i++)
        TENDER_RULE(r, n, SYS_ioctl, tender_eq32(0, vcpu), tender_eq32(1, (uint32_t)kvm_cmds[i]));
    TENDER_RULE(r, n, SYS_write, tender_eq32(0, STDOUT_FILENO));
    TENDER_RULE(r, n, SYS_write, tender_eq32(0, STDERR_FILENO));
    static const int plain[] = {SYS_ppoll, SYS_clock_gettime, SYS_rt_sigreturn, SYS_exit,
                                SYS_exit_group, SYS_close, SYS_munmap, SYS_brk};
    for (unsigned i = 0; i < sizeof(plain) / sizeof(plain[0]); i++)
        TENDER_RULE_ANY(r, n, plain[i]);
    n = tender_device_rules(&vmm->reg, &vmm->t, false, r, n);
    n = ring_rules(vmm, r, n);
    return tender_bpf_build(r, n, out, max, err);
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
    return tender_bpf_install(f, (unsigned)n, err);
#endif
}
