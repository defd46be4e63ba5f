/* vmm.h: uniroot-vmm's core types, shared by its modules.
 *
 * The monitor is a small core (guest memory, vCPU loop, hypercall table) plus
 * device modules (block, net) that attach host resources named on the command
 * line to manifest entries and register their hypercalls through one table.
 * Nothing here is global: everything hangs off struct vmm.
 */
#ifndef UNIROOT_VMM_H
#define UNIROOT_VMM_H

#include <poll.h>
#include <stdio.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "solo5_abi.h"
#include "tender.h"

#define VMM_VERSION TENDER_VERSION

struct vmm;

/* A hypercall handler. Returns 0 to resume the guest, VMM_HC_HALT once the
 * guest has halted (vmm->exit_status set), or a negative errno with *err
 * filled when the guest broke the ABI and must be stopped. */
#define VMM_HC_HALT 1
typedef int (*vmm_hypercall_fn)(struct vmm *vmm, uint64_t gpa, struct ur_err *err);

/* A device module: attaches what the options name to manifest entries. */
struct vmm_module {
    const char *name;
    int (*attach)(struct vmm *vmm, const struct tender_opts *opts, struct ur_err *err);
    void (*cleanup)(struct vmm *vmm);
};

#define VMM_MAX_POLLFDS MFT_MAX_ENTRIES

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
    /* guest memory */
    uint8_t *mem;
    uint64_t mem_size;

    /* KVM */
    int kvm_fd, vm_fd, vcpu_fd;
    struct kvm_run *run;
    size_t run_size;
    uint64_t tsc_hz;

    /* the image */
    uint64_t entry, kernel_end;
    struct tender_ro ro;

    /* host copy of the manifest; entries carry host fds while attached */
    struct mft *mft;
    size_t mft_size;

    /* hypercall table, filled by the core and the modules */
    vmm_hypercall_fn hc[HVT_HYPERCALL_MAX];

    /* descriptors poll() waits on, each with its manifest index */
    struct pollfd pollfds[VMM_MAX_POLLFDS];
    unsigned pollidx[VMM_MAX_POLLFDS];
    unsigned npollfds;

    int exit_status;
    volatile int *stop_signal;  /* set by the signal handler, may be NULL */
};

/* ---- gmem.c: checked access to guest memory */
/* Host pointer for [gpa, gpa+len) or NULL if any of it is outside guest memory. */
void *vmm_gpa(const struct vmm *vmm, uint64_t gpa, uint64_t len);
/* The same for memory the monitor will write: NULL also if any of it is read-only. */
void *vmm_gpa_w(const struct vmm *vmm, uint64_t gpa, uint64_t len);

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
void hypercall_register_core(struct vmm *vmm);
/* Fill err for a guest address outside memory (or read-only); returns -EFAULT. */
int vmm_violation(struct ur_err *err, const char *call, const char *what, uint64_t gpa,
                  uint64_t len);
int hypercall_dispatch(struct vmm *vmm, unsigned nr, uint64_t gpa, struct ur_err *err);
int vmm_add_pollfd(struct vmm *vmm, int fd, unsigned mft_index, struct ur_err *err);

/* ---- block.c, net.c */
extern const struct vmm_module vmm_block_module;
extern const struct vmm_module vmm_net_module;

/* ---- run.c */
int vmm_run(struct vmm *vmm, struct ur_err *err);
void vmm_install_signals(struct vmm *vmm);
int vmm_stop_signal(void); /* the stop signal received, or 0 */

/* ---- seccomp.c */
struct sock_filter;
/* Build the run-loop filter into out (max instructions); returns its length. */
int vmm_seccomp_build(const struct vmm *vmm, struct sock_filter *out, unsigned max,
                      struct ur_err *err);
int vmm_seccomp_install(const struct vmm *vmm, struct ur_err *err);

#endif
