/* vmm.h: uniroot-vmm's core types: the KVM side of the monitor.
 *
 * The monitor is a small core (guest memory on KVM, vCPU loop, the core
 * hypercalls) on the shared monitor code of runtime/tender: the guest's
 * monitor-neutral context (struct tender_ctx) is embedded in struct vmm,
 * and the device modules and the hypercall table come from the registry.
 * Nothing here is global: everything hangs off struct vmm.
 */
#ifndef UNIROOT_VMM_H
#define UNIROOT_VMM_H

#include <signal.h>
#include <stdio.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "solo5_abi.h"
#include "tender.h"

#define VMM_VERSION TENDER_VERSION

/* The monitor's own low pages (Solo5 leaves 0x9000..0x10000 unused): what a
 * guest without an IDT of its own finds when it takes an exception. The GDT
 * page also holds a TSS (IST1 = the exception stack) and an IDT whose
 * vectors 0..31 lead to one stub each, which reports the vector with a
 * 32-bit OUT to VMM_TRAP_PIO_BASE + vector. Further pages hold the page
 * tables of the 2 MiB regions whose permissions are mixed. */
#define VMM_X86_TSS_BASE     (HVT_X86_GDT_BASE + 0x80)
#define VMM_X86_IDT_BASE     (HVT_X86_GDT_BASE + 0x100)
#define VMM_X86_TRAP_BASE    0x9000u  /* stubs, 16 bytes each: read-only, executable */
#define VMM_X86_IST_BASE     0xa000u  /* exception stack page: writable, no-execute */
#define VMM_X86_PT_POOL      0xb000u  /* extra page tables: not mapped for the guest */
#define VMM_X86_PT_POOL_END  HVT_X86_BOOT_INFO_BASE
#define VMM_TRAP_VECTORS     32
#define VMM_TRAP_STUB_SIZE   16
#define VMM_TRAP_PIO_BASE    0x700u

struct vmm {
    struct tender_ctx t;  /* guest memory, image, manifest, devices */
    struct tender_registry reg;

    /* KVM */
    int kvm_fd, vm_fd, vcpu_fd;
    struct kvm_run *run;
    size_t run_size;
    uint64_t tsc_hz;

    volatile int *stop_signal;  /* set by the signal handler, may be NULL */

    /* Solo5's net ring (ring.c); guest_top is what the boot info offers the
     * guest: all of t.mem_size, or up to the ring reserved at the top. */
    uint64_t guest_top;
    struct vmm_ring *ring; /* NULL: not offered */
};

/* What uniroot-vmm is, for the shared command line (main.c). */
extern const struct tender_monitor vmm_monitor;

/* ---- x86_setup.c */
int x86_mem_size(uint64_t requested, uint64_t *out, struct ur_err *err);
/* Identity-map mem_size bytes with the permissions of ro (see struct tender_ro);
 * fails only when the image needs more page tables than the monitor has. */
int x86_setup_pagetables(uint8_t *mem, uint64_t mem_size, const struct tender_ro *ro,
                         struct ur_err *err);
void x86_setup_gdt(uint8_t *mem);

/* ---- trap.c: exceptions of a guest that has no IDT of its own */
void trap_setup(uint8_t *mem);
/* What the CPU pushed on the exception stack, in the order it lies there. */
struct trap_frame {
    uint64_t error_code; /* 0 for vectors without one */
    uint64_t rip, cs, rflags, rsp, ss;
};
bool trap_has_error_code(unsigned vec);
/* One line saying what vector vec at frame (cr2 for page faults) was and,
 * for a page fault, which address and what the guest memory there is. */
void trap_describe(const struct vmm *vmm, unsigned vec, const struct trap_frame *f, uint64_t cr2,
                   char *buf, size_t len);

/* ---- boot_info.c */
int boot_info_write(struct vmm *vmm, char *const *argv, struct ur_err *err);

/* ---- kvm.c */
int kvm_create(struct vmm *vmm, struct ur_err *err);
int kvm_setup_vcpu(struct vmm *vmm, struct ur_err *err);
struct kvm_cpuid2;
/* Does this CPUID list offer NX (leaf 0x80000001, EDX bit 20)? */
bool kvm_cpuid_has_nx(const struct kvm_cpuid2 *c);
void kvm_destroy(struct vmm *vmm);

/* ---- hypercall.c */
/* The core hypercalls (walltime, puts, poll, halt), as a module without devices. */
extern const struct tender_module vmm_core_module;
int hypercall_dispatch(struct vmm *vmm, unsigned nr, uint64_t gpa, struct ur_err *err);

/* ---- run.c */
int vmm_run(struct vmm *vmm, struct ur_err *err);
void vmm_install_signals(struct vmm *vmm);

/* ---- ring.c: the hvt net ring (HVT_FEATURE_RING_IO), served by an I/O thread
 * that a guest kick (a 32-bit OUT of HVT_RING_KICK_WAKE to
 * HVT_RING_KICK_PIO_BASE, an ioeventfd) wakes, and by the vCPU thread itself
 * on a HVT_RING_KICK_SERVE kick and before a poll hypercall. Offered only
 * when a net device is attached, guest memory has room above the image and
 * KVM takes the ioeventfd; otherwise the guest keeps the hypercalls (a line
 * on stderr says so when KVM refuses the ioeventfd). */
struct vmm_ring;
/* Reserve the ring at the top of guest memory (sets guest_top) and register
 * the kick's ioeventfd; before the page tables, the vCPU and the boot info. */
int vmm_ring_setup(struct vmm *vmm, struct ur_err *err);
/* Start the I/O thread and wait until its libc start-up is done (before
 * seccomp: the filter, installed on every thread, then covers it too). */
int vmm_ring_start(struct vmm *vmm, struct ur_err *err);
/* Set by the I/O thread when the guest broke the ring: what it did in err. */
bool vmm_ring_failed(const struct vmm *vmm, struct ur_err *err);
/* Serve the ring in the calling (vCPU) thread: a HVT_RING_KICK_SERVE kick,
 * or a poll hypercall about to block. 0, or the guest broke the ring (err). */
int vmm_ring_serve(struct vmm *vmm, struct ur_err *err);
/* Stop and join the I/O thread, serve what the guest left (unless it broke
 * the ring), close the eventfd. */
void vmm_ring_stop(struct vmm *vmm);
/* The eventfd the kick signals, or -1 (for the seccomp rules). */
int vmm_ring_efd(const struct vmm *vmm);
/* The signal the I/O thread sends the vCPU thread to make it exit KVM_RUN. */
#define VMM_RING_SIGNAL SIGUSR1

/* ---- seccomp.c */
struct sock_filter;
/* Build the run-loop filter into out (max instructions); returns its length. */
int vmm_seccomp_build(const struct vmm *vmm, struct sock_filter *out, unsigned max,
                      struct ur_err *err);
int vmm_seccomp_install(const struct vmm *vmm, struct ur_err *err);

#endif
