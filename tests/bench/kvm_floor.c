/* kvm_floor.c: the KVM floor for boot-time benchmarks: the least a monitor
 * must do to run guest code. It creates a VM with 2 MiB of memory and one
 * vCPU, enters 64-bit long mode the same way uniroot-vmm does (identity map,
 * flat segments through KVM_SET_SREGS), runs one guest instruction (an OUT
 * to a port) and exits. No ELF, no devices, no checks beyond the ioctls'.
 */
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#define MEM (2u << 20)

static int die(const char *what)
{
    perror(what);
    return 1;
}

int main(void)
{
    int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    if (kvm < 0)
        return die("/dev/kvm");
    int vm = ioctl(kvm, KVM_CREATE_VM, 0);
    if (vm < 0)
        return die("KVM_CREATE_VM");
    uint8_t *mem = mmap(NULL, MEM, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    struct kvm_userspace_memory_region r = {.slot = 0, .memory_size = MEM, .userspace_addr = (uintptr_t)mem};
    if (mem == MAP_FAILED || ioctl(vm, KVM_SET_USER_MEMORY_REGION, &r) < 0)
        return die("memory");
    /* PML4 at 0x1000 -> PDPT at 0x2000 -> PD at 0x3000 with one 2 MiB page. */
    ((uint64_t *)(mem + 0x1000))[0] = 0x2000 | 3;
    ((uint64_t *)(mem + 0x2000))[0] = 0x3000 | 3;
    ((uint64_t *)(mem + 0x3000))[0] = 0x0 | 0x83;
    static const uint8_t code[] = {0xe6, 0x10}; /* out %al, $0x10 */
    memcpy(mem + 0x100000, code, sizeof(code));

    int vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
    if (vcpu < 0)
        return die("KVM_CREATE_VCPU");
    int sz = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
    struct kvm_run *run = mmap(NULL, (size_t)sz, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
    if (run == MAP_FAILED)
        return die("mmap run");
    struct kvm_sregs s;
    if (ioctl(vcpu, KVM_GET_SREGS, &s) < 0)
        return die("KVM_GET_SREGS");
    struct kvm_segment cs = {.limit = 0xffffffff, .selector = 8, .type = 11, .present = 1, .s = 1, .l = 1, .g = 1};
    struct kvm_segment ds = {.limit = 0xffffffff, .selector = 16, .type = 3, .present = 1, .s = 1, .db = 1, .g = 1};
    s.cs = cs;
    s.ds = s.es = s.fs = s.gs = s.ss = ds;
    s.cr0 = 0x80010033;
    s.cr3 = 0x1000;
    s.cr4 = 0x20;
    s.efer = 0x500;
    if (ioctl(vcpu, KVM_SET_SREGS, &s) < 0)
        return die("KVM_SET_SREGS");
    struct kvm_regs regs = {.rip = 0x100000, .rflags = 2, .rsp = 0x1ff000};
    if (ioctl(vcpu, KVM_SET_REGS, &regs) < 0)
        return die("KVM_SET_REGS");
    if (ioctl(vcpu, KVM_RUN, 0) < 0)
        return die("KVM_RUN");
    if (run->exit_reason != KVM_EXIT_IO || run->io.port != 0x10) {
        fprintf(stderr, "kvm-floor: unexpected exit %u\n", run->exit_reason);
        return 1;
    }
    return 0;
}
