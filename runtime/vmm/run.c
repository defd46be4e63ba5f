/* run.c: the vCPU loop. Each exit is a hypercall (a 32-bit OUT to the
 * hypercall ports), a net ring kick that asks to be served here (ring.c), a
 * stop signal, the net ring's I/O thread reporting that
 * the guest broke the ring, an exception reported by the monitor's
 * exception stubs (trap.c), or a guest fault; nothing else is expected from
 * an hvt guest, so everything else ends the guest with the reason and its
 * registers on stderr (status 255).
 */
#include <errno.h>
#include <inttypes.h>
#include <linux/kvm.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>

#include "vmm.h"

/* Read by the stop-signal hook (tender_install_stop_signals()). */
static struct kvm_run *volatile signal_run;

static void kick_vcpu(void)
{
    struct kvm_run *r = signal_run;
    if (r)
        r->immediate_exit = 1; /* make a KVM_RUN about to start return at once */
}

static void on_ring_signal(int sig)
{
    (void)sig;
    kick_vcpu();
}

void vmm_install_signals(struct vmm *vmm)
{
    signal_run = vmm->run;
    tender_install_stop_signals(kick_vcpu);
    /* The net ring's I/O thread sends this when the guest broke the ring:
     * no SA_RESTART, so a KVM_RUN in progress returns EINTR. */
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_ring_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(VMM_RING_SIGNAL, &sa, NULL);
}

/* Print the vCPU's registers after a fault: one line, enough to find the
 * spot. After an exception, rip, rsp and rflags are those of the frame (the
 * vCPU itself is then in the monitor's stub, on its stack). */
static void dump_registers(const struct vmm *vmm, const struct trap_frame *tf)
{
    struct kvm_regs r;
    struct kvm_sregs s;
    if (ioctl(vmm->vcpu_fd, KVM_GET_REGS, &r) < 0 || ioctl(vmm->vcpu_fd, KVM_GET_SREGS, &s) < 0) {
        fprintf(stderr, "uniroot-vmm: (registers unavailable: %s)\n", strerror(errno));
        return;
    }
    if (tf) {
        r.rip = tf->rip;
        r.rsp = tf->rsp;
        r.rflags = tf->rflags;
    }
    fprintf(stderr,
            "uniroot-vmm: registers: rip=0x%llx rsp=0x%llx rbp=0x%llx rflags=0x%llx "
            "rax=0x%llx rbx=0x%llx rcx=0x%llx rdx=0x%llx rsi=0x%llx rdi=0x%llx "
            "cr0=0x%llx cr2=0x%llx cr3=0x%llx cr4=0x%llx efer=0x%llx\n",
            r.rip, r.rsp, r.rbp, r.rflags, r.rax, r.rbx, r.rcx, r.rdx, r.rsi, r.rdi,
            s.cr0, s.cr2, s.cr3, s.cr4, s.efer);
}

/* The guest faulted: say why, show the registers, return the fault status. */
static int guest_fault(const struct vmm *vmm, struct ur_err *err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int guest_fault(const struct vmm *vmm, struct ur_err *err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
    va_end(ap);
    err->code = -EFAULT;
    fprintf(stderr, "uniroot-vmm: %s\n", err->msg);
    dump_registers(vmm, NULL);
    return TENDER_EXIT_GUEST_FAULT;
}

/* The stub of exception vec reported it: read the frame the CPU pushed on the
 * exception stack (rsp points at it) and CR2, say what happened. */
static int guest_trap(const struct vmm *vmm, unsigned vec, struct ur_err *err)
{
    struct kvm_regs r;
    struct kvm_sregs s;
    if (ioctl(vmm->vcpu_fd, KVM_GET_REGS, &r) < 0 || ioctl(vmm->vcpu_fd, KVM_GET_SREGS, &s) < 0)
        return guest_fault(vmm, err, "guest fault: exception %u (registers unavailable: %s)", vec,
                           strerror(errno));
    bool ec = trap_has_error_code(vec);
    uint64_t w[6] = {0};
    const void *p = tender_gpa(&vmm->t, r.rsp, (ec ? 6 : 5) * sizeof(uint64_t));
    if (!p)
        return guest_fault(vmm, err, "guest fault: exception %u, frame unreadable at rsp=0x%llx",
                           vec, r.rsp);
    memcpy(ec ? w : w + 1, p, (ec ? 6 : 5) * sizeof(uint64_t));
    struct trap_frame tf = {.error_code = w[0], .rip = w[1], .cs = w[2], .rflags = w[3],
                            .rsp = w[4], .ss = w[5]};
    trap_describe(vmm, vec, &tf, s.cr2, err->msg, sizeof(err->msg));
    err->code = -EFAULT;
    fprintf(stderr, "uniroot-vmm: %s\n", err->msg);
    dump_registers(vmm, &tf);
    return TENDER_EXIT_GUEST_FAULT;
}

int vmm_run(struct vmm *vmm, struct ur_err *err)
{
    struct kvm_run *run = vmm->run;
    for (;;) {
        int stop_signo = tender_stop_signal();
        if (stop_signo) {
            fprintf(stderr, "uniroot-vmm: stopped by signal %d (%s)\n", stop_signo,
                    strsignal(stop_signo));
            return TENDER_EXIT_SIGNAL_BASE + stop_signo;
        }
        struct ur_err ring_err;
        if (vmm_ring_failed(vmm, &ring_err))
            return guest_fault(vmm, err, "%s", ring_err.msg);
        if (ioctl(vmm->vcpu_fd, KVM_RUN, 0) < 0) {
            if (errno == EINTR || errno == EAGAIN) {
                run->immediate_exit = 0;
                continue;
            }
            if (errno == EFAULT)
                return guest_fault(vmm, err, "guest fault: host/guest translation fault (a write to "
                                   "the guest's read-only code or constants?)");
            return guest_fault(vmm, err, "KVM_RUN failed: %s", strerror(errno));
        }
        switch (run->exit_reason) {
        case KVM_EXIT_IO: {
            uint16_t port = run->io.port;
            if (run->io.direction == KVM_EXIT_IO_OUT && run->io.size == 4 &&
                port >= VMM_TRAP_PIO_BASE && port < VMM_TRAP_PIO_BASE + VMM_TRAP_VECTORS)
                return guest_trap(vmm, port - VMM_TRAP_PIO_BASE, err);
            if (port == HVT_RING_KICK_PIO_BASE && vmm->ring && run->io.direction == KVM_EXIT_IO_OUT &&
                run->io.size == 4) {
                /* a kick the ioeventfd did not take (HVT_RING_KICK_SERVE): serve it here */
                if (vmm_ring_serve(vmm, &ring_err) < 0)
                    return guest_fault(vmm, err, "%s", ring_err.msg);
                break;
            }
            if (run->io.direction != KVM_EXIT_IO_OUT || run->io.size != 4 || run->io.count != 1 ||
                port < HVT_HYPERCALL_PIO_BASE || port >= HVT_HYPERCALL_PIO_BASE + HVT_HYPERCALL_MAX)
                return guest_fault(vmm, err, "guest broke the ABI: %s of %u byte(s) at I/O port 0x%x",
                                   run->io.direction == KVM_EXIT_IO_OUT ? "write" : "read",
                                   run->io.size, port);
            uint32_t gpa;
            memcpy(&gpa, (uint8_t *)run + run->io.data_offset, sizeof(gpa));
            /* what waits in the net ring goes out before the guest blocks */
            if (port == HVT_HYPERCALL_PIO_BASE + HVT_HYPERCALL_POLL && vmm_ring_serve(vmm, &ring_err) < 0)
                return guest_fault(vmm, err, "%s", ring_err.msg);
            int rc = hypercall_dispatch(vmm, port - HVT_HYPERCALL_PIO_BASE, gpa, err);
            if (rc == TENDER_HC_HALT)
                return vmm->t.exit_status;
            if (rc < 0) {
                fprintf(stderr, "uniroot-vmm: %s\n", err->msg);
                return TENDER_EXIT_GUEST_FAULT;
            }
            break;
        }
        case KVM_EXIT_SHUTDOWN:
            return guest_fault(vmm, err, "guest fault: triple fault (an exception the guest could not handle)");
        case KVM_EXIT_HLT:
            return guest_fault(vmm, err, "guest fault: the guest stopped its CPU (hlt) instead of calling halt");
        case KVM_EXIT_MMIO:
            if (run->mmio.phys_addr < vmm->t.mem_size)
                return guest_fault(vmm, err, "guest fault: write to read-only guest memory at 0x%llx "
                                   "(the guest's code or constants)", run->mmio.phys_addr);
            return guest_fault(vmm, err, "guest fault: %s at guest-physical address 0x%llx, outside guest memory",
                               run->mmio.is_write ? "write" : "read", run->mmio.phys_addr);
        case KVM_EXIT_FAIL_ENTRY:
            return guest_fault(vmm, err, "KVM could not enter the guest (reason 0x%llx)",
                               run->fail_entry.hardware_entry_failure_reason);
        case KVM_EXIT_INTERNAL_ERROR:
            return guest_fault(vmm, err, "guest fault: KVM internal error %u (often an instruction "
                               "KVM could not emulate)", run->internal.suberror);
        default:
            return guest_fault(vmm, err, "guest fault: unexpected VM exit %u", run->exit_reason);
        }
    }
}
