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

#define VMM_VERSION "0.1.0"

/* Exit statuses of the monitor itself (a halted guest exits with its own). */
#define VMM_EXIT_SETUP 1        /* bad command line, image or device */
#define VMM_EXIT_GUEST_FAULT 255 /* guest crashed or broke the ABI */
#define VMM_EXIT_SIGNAL_BASE 128 /* stopped by signal N: 128 + N */

#define VMM_MAX_DEVICE_OPTS 64
#define VMM_DEFAULT_MEM_MB 512

/* One --block:/--net:/--net-mac:/--block-sector-size: option. */
enum vmm_opt_kind { VMM_OPT_BLOCK, VMM_OPT_BLOCK_SECTOR, VMM_OPT_NET, VMM_OPT_NET_MAC };

struct vmm_dev_opt {
    enum vmm_opt_kind kind;
    char name[MFT_NAME_SIZE];
    const char *value;  /* points into argv */
};

/* What the command line asked for; filled by vmm_parse_args(). */
struct vmm_opts {
    uint64_t mem_bytes;
    struct vmm_dev_opt dev[VMM_MAX_DEVICE_OPTS];
    unsigned ndev;
    const char *kernel;
    char *const *guest_argv;  /* NULL-terminated, may be empty */
    int guest_argc;
    const char *start_fifo;   /* uniroot extension: wait here before running */
    int ready_fd;             /* uniroot extension: write "ready\n" here, -1 if unset */
    bool help, version;
};

struct vmm;

/* A hypercall handler. Returns 0 to resume the guest, VMM_HC_HALT once the
 * guest has halted (vmm->exit_status set), or a negative errno with *err
 * filled when the guest broke the ABI and must be stopped. */
#define VMM_HC_HALT 1
typedef int (*vmm_hypercall_fn)(struct vmm *vmm, uint64_t gpa, struct ur_err *err);

/* A device module: attaches what the options name to manifest entries. */
struct vmm_module {
    const char *name;
    int (*attach)(struct vmm *vmm, const struct vmm_opts *opts, struct ur_err *err);
    void (*cleanup)(struct vmm *vmm);
};

#define VMM_MAX_POLLFDS MFT_MAX_ENTRIES

/* Guest-physical ranges the image declares read-only (code, constants):
 * the pages of its segments that are not writable, sorted, page-aligned.
 * The host maps them read-only, the guest page tables map them read-only,
 * and the monitor never writes there on the guest's behalf. Those with exec
 * set (the image's executable segments) are the only guest memory the guest
 * page tables leave executable; everything else is no-execute. */
#define VMM_MAX_RO 8
struct vmm_ro {
    uint64_t start[VMM_MAX_RO], end[VMM_MAX_RO];
    bool exec[VMM_MAX_RO];
    unsigned n;
};

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
    struct vmm_ro ro;

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

/* ---- cli.c */
int vmm_parse_args(int argc, char *const argv[], struct vmm_opts *o, struct ur_err *err);
void vmm_usage(FILE *out, const char *prog);

/* ---- gmem.c: checked access to guest memory */
/* Host pointer for [gpa, gpa+len) or NULL if any of it is outside guest memory. */
void *vmm_gpa(const struct vmm *vmm, uint64_t gpa, uint64_t len);
/* The same for memory the monitor will write: NULL also if any of it is read-only. */
void *vmm_gpa_w(const struct vmm *vmm, uint64_t gpa, uint64_t len);

/* ---- elf_image.c */
struct elf_image;
int elf_image_open(struct elf_image **out, const void *buf, size_t len, struct ur_err *err);
void elf_image_close(struct elf_image *img);
int elf_image_check_abi(const struct elf_image *img, struct ur_err *err); /* hvt */
int elf_image_check_target(const struct elf_image *img, uint32_t target, struct ur_err *err);
int elf_image_manifest(const struct elf_image *img, struct mft **out, size_t *out_size, struct ur_err *err);
int elf_image_load(const struct elf_image *img, uint8_t *mem, uint64_t mem_size,
                   uint64_t *entry, uint64_t *kernel_end, struct vmm_ro *ro, struct ur_err *err);

/* ---- mft.c */
int mft_validate(const struct mft *m, size_t size, struct ur_err *err);
struct mft_entry *mft_find(struct mft *m, const char *name, uint32_t type);
struct mft_entry *mft_at(struct mft *m, uint64_t index, uint32_t type);
int mft_check_all_attached(const struct mft *m, struct ur_err *err);
const char *mft_type_name(uint32_t type);

/* ---- x86_setup.c */
int x86_mem_size(uint64_t requested, uint64_t *out, struct ur_err *err);
/* Identity-map mem_size bytes with the permissions of ro (see struct vmm_ro);
 * fails only when the image needs more page tables than the monitor has. */
int x86_setup_pagetables(uint8_t *mem, uint64_t mem_size, const struct vmm_ro *ro,
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
int net_parse_mac(const char *s, uint8_t mac[6]);

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

/* tender.c: shared by uniroot-vmm and uniroot-spt. */
/* Map the unikernel at path read-only and private (a regular, non-empty file). */
int tender_map_kernel(const char *path, void **buf, size_t *len, struct ur_err *err);
/* --ready-fd / --start-fifo: report ready, then wait for the start byte. */
int tender_wait_for_start(const struct vmm_opts *o, struct ur_err *err);

#endif
