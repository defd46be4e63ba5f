/* kvm.c: the KVM side of the monitor: a VM with one memory slot holding all
 * guest memory, one vCPU entered straight in 64-bit long mode (no firmware,
 * no real-mode steps) with no-execute pages enabled (EFER.NXE), CPUID as KVM
 * supports it (which must offer NX), the monitor's exception IDT and TSS
 * (trap.c), and the TSC frequency the guest uses for its clock.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vmm.h"

#define CR0_PE (1ull << 0)
#define CR0_NE (1ull << 5)
#define CR0_WP (1ull << 16)
#define CR0_PG (1ull << 31)
#define CR4_PAE (1ull << 5)
#define CR4_OSFXSR (1ull << 9)
#define CR4_OSXMMEXCPT (1ull << 10)
#define EFER_LME (1ull << 8)
#define EFER_LMA (1ull << 10)
#define EFER_NXE (1ull << 11)
#define CPUID_EXT_LEAF 0x80000001u
#define CPUID_EXT_EDX_NX (1u << 20)

int kvm_create(struct vmm *vmm, struct ur_err *err)
{
    vmm->kvm_fd = vmm->vm_fd = vmm->vcpu_fd = -1;
    vmm->kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    if (vmm->kvm_fd < 0)
        return ur_errf_sys(err, -errno, "cannot open /dev/kvm");
    int v = ioctl(vmm->kvm_fd, KVM_GET_API_VERSION, 0);
    if (v != KVM_API_VERSION)
        return ur_errf(err, -ENOTSUP, "KVM API version %d, need %d", v, KVM_API_VERSION);
    vmm->vm_fd = ioctl(vmm->kvm_fd, KVM_CREATE_VM, 0);
    if (vmm->vm_fd < 0)
        return ur_errf_sys(err, -errno, "KVM_CREATE_VM");

    vmm->t.mem = mmap(NULL, vmm->t.mem_size, PROT_READ | PROT_WRITE,
                    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (vmm->t.mem == MAP_FAILED) {
        vmm->t.mem = NULL;
        return ur_errf_sys(err, -errno, "cannot map %llu MiB of guest memory",
                           (unsigned long long)(vmm->t.mem_size >> 20));
    }
    madvise(vmm->t.mem, vmm->t.mem_size, MADV_DONTDUMP);
    struct kvm_userspace_memory_region region = {
        .slot = 0,
        .guest_phys_addr = 0,
        .memory_size = vmm->t.mem_size,
        .userspace_addr = (uint64_t)(uintptr_t)vmm->t.mem,
    };
    if (ioctl(vmm->vm_fd, KVM_SET_USER_MEMORY_REGION, &region) < 0)
        return ur_errf_sys(err, -errno, "KVM_SET_USER_MEMORY_REGION");

    vmm->vcpu_fd = ioctl(vmm->vm_fd, KVM_CREATE_VCPU, 0);
    if (vmm->vcpu_fd < 0)
        return ur_errf_sys(err, -errno, "KVM_CREATE_VCPU");
    int sz = ioctl(vmm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
    if (sz < (int)sizeof(struct kvm_run))
        return ur_errf_sys(err, -errno, "KVM_GET_VCPU_MMAP_SIZE");
    vmm->run_size = (size_t)sz;
    vmm->run = mmap(NULL, vmm->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vmm->vcpu_fd, 0);
    if (vmm->run == MAP_FAILED) {
        vmm->run = NULL;
        return ur_errf_sys(err, -errno, "cannot map the vCPU run structure");
    }
    return 0;
}

bool kvm_cpuid_has_nx(const struct kvm_cpuid2 *c)
{
    for (uint32_t i = 0; i < c->nent; i++)
        if (c->entries[i].function == CPUID_EXT_LEAF)
            return (c->entries[i].edx & CPUID_EXT_EDX_NX) != 0;
    return false;
}

/* Give the vCPU the CPUID leaves KVM supports on this host. They must offer
 * NX: without it KVM refuses EFER.NXE, and guest data would be executable. */
static int setup_cpuid(struct vmm *vmm, struct ur_err *err)
{
    int n = 128;
    for (;;) {
        struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + (size_t)n * sizeof(c->entries[0]));
        if (!c)
            return ur_errf(err, -ENOMEM, "out of memory");
        c->nent = (uint32_t)n;
        if (ioctl(vmm->kvm_fd, KVM_GET_SUPPORTED_CPUID, c) < 0) {
            int e = errno;
            free(c);
            if (e == E2BIG && n < 4096) {
                n *= 2;
                continue;
            }
            return ur_errf_sys(err, -e, "KVM_GET_SUPPORTED_CPUID");
        }
        if (!kvm_cpuid_has_nx(c)) {
            free(c);
            return ur_errf(err, -ENOTSUP, "KVM on this host offers guests no NX (no-execute) "
                           "pages (CPUID 0x80000001 EDX bit 20): cannot keep guest data "
                           "non-executable");
        }
        int rc = ioctl(vmm->vcpu_fd, KVM_SET_CPUID2, c);
        int e = errno;
        free(c);
        return rc < 0 ? ur_errf_sys(err, -e, "KVM_SET_CPUID2") : 0;
    }
}

static struct kvm_segment flat_segment(uint16_t index, uint8_t type, bool code)
{
    struct kvm_segment s = {
        .base = 0, .limit = 0xffffffff, .selector = (uint16_t)(index * 8), .type = type,
        .present = 1, .dpl = 0, .db = code ? 0 : 1, .s = 1, .l = code ? 1 : 0, .g = 1,
    };
    return s;
}

int kvm_setup_vcpu(struct vmm *vmm, struct ur_err *err)
{
    int rc = setup_cpuid(vmm, err);
    if (rc < 0)
        return rc;

    struct kvm_sregs sregs;
    if (ioctl(vmm->vcpu_fd, KVM_GET_SREGS, &sregs) < 0)
        return ur_errf_sys(err, -errno, "KVM_GET_SREGS");
    sregs.cr0 = CR0_PE | CR0_NE | CR0_WP | CR0_PG;
    sregs.cr3 = HVT_X86_PML4_BASE;
    sregs.cr4 = CR4_PAE | CR4_OSFXSR | CR4_OSXMMEXCPT;
    sregs.efer = EFER_LME | EFER_LMA | EFER_NXE;
    sregs.cs = flat_segment(1, 0xb, true);
    sregs.ds = sregs.es = sregs.fs = sregs.gs = sregs.ss = flat_segment(2, 0x3, false);
    sregs.gdt.base = HVT_X86_GDT_BASE;
    sregs.gdt.limit = 3 * 8 - 1;
    sregs.idt.base = VMM_X86_IDT_BASE; /* the monitor's, until the guest loads its own */
    sregs.idt.limit = VMM_TRAP_VECTORS * 16 - 1;
    memset(&sregs.tr, 0, sizeof(sregs.tr));
    sregs.tr.base = VMM_X86_TSS_BASE;
    sregs.tr.type = 11; /* 64-bit TSS, busy */
    sregs.tr.present = 1;
    sregs.tr.limit = 0x67;
    memset(&sregs.ldt, 0, sizeof(sregs.ldt));
    sregs.ldt.unusable = 1;
    if (ioctl(vmm->vcpu_fd, KVM_SET_SREGS, &sregs) < 0)
        return ur_errf_sys(err, -errno, "KVM_SET_SREGS");

    struct kvm_regs regs = {
        .rip = vmm->t.entry,
        .rflags = 0x2,
        .rsp = vmm->guest_top - 8, /* below the net ring, if any (ring.c) */
        .rdi = HVT_X86_BOOT_INFO_BASE,
    };
    if (ioctl(vmm->vcpu_fd, KVM_SET_REGS, &regs) < 0)
        return ur_errf_sys(err, -errno, "KVM_SET_REGS");

    int khz = ioctl(vmm->vcpu_fd, KVM_GET_TSC_KHZ, 0);
    if (khz <= 0)
        return ur_errf_sys(err, khz < 0 ? -errno : -EIO, "cannot read the guest TSC frequency");
    vmm->tsc_hz = (uint64_t)khz * 1000;
    return 0;
}

void kvm_destroy(struct vmm *vmm)
{
    if (vmm->run)
        munmap(vmm->run, vmm->run_size);
    if (vmm->t.mem)
        munmap(vmm->t.mem, vmm->t.mem_size);
    if (vmm->vcpu_fd >= 0)
        close(vmm->vcpu_fd);
    if (vmm->vm_fd >= 0)
        close(vmm->vm_fd);
    if (vmm->kvm_fd >= 0)
        close(vmm->kvm_fd);
    vmm->run = NULL;
    vmm->t.mem = NULL;
    vmm->vcpu_fd = vmm->vm_fd = vmm->kvm_fd = -1;
}
