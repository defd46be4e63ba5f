/* trap.c: what happens when an hvt guest takes a CPU exception before it has
 * an IDT of its own (our test guests never load one; a Solo5 guest loads its
 * own early and then reports its traps itself).
 *
 * Without an IDT every exception escalates to a triple fault, after which
 * KVM on AMD resets the vCPU: the monitor could not say where or why. So the
 * monitor gives the vCPU a minimal IDT: vectors 0..31 are interrupt gates on
 * IST1 (a stack page of the monitor's, so a broken guest stack does not
 * matter) leading to one 16-byte stub each, which does a 32-bit OUT to
 * VMM_TRAP_PIO_BASE + vector. run.c then reads the frame the CPU pushed and
 * CR2, and trap_describe() turns them into one line. The pages live where
 * Solo5 keeps the monitor's own low memory (see vmm.h); the guest page
 * tables map the stubs read-only and executable, the IDT/TSS read-only.
 */
#include <stdio.h>
#include <string.h>

#include "vmm.h"

#define GDT_CODE_SELECTOR 0x08
#define TSS_IST1 0x24
#define TSS_IOMAP 0x66
#define TSS_SIZE 0x68

bool trap_has_error_code(unsigned vec)
{
    /* #DF, #TS, #NP, #SS, #GP, #PF, #AC, #CP, #VC, #SX */
    return vec == 8 || (vec >= 10 && vec <= 14) || vec == 17 || vec == 21 || vec == 29 ||
           vec == 30;
}

void trap_setup(uint8_t *mem)
{
    /* TSS: IST1 is the top of the exception stack page; no I/O bitmap. */
    uint8_t *tss = mem + VMM_X86_TSS_BASE;
    memset(tss, 0, TSS_SIZE);
    uint64_t ist = VMM_X86_IST_BASE + 0x1000;
    memcpy(tss + TSS_IST1, &ist, sizeof(ist));
    uint16_t iomap = TSS_SIZE;
    memcpy(tss + TSS_IOMAP, &iomap, sizeof(iomap));
    memset(mem + VMM_X86_IST_BASE, 0, 0x1000);

    uint8_t *stubs = mem + VMM_X86_TRAP_BASE;
    memset(stubs, 0xcc, 0x1000); /* int3: anything but a stub entry traps again */
    for (unsigned v = 0; v < VMM_TRAP_VECTORS; v++) {
        uint64_t at = VMM_X86_TRAP_BASE + (uint64_t)v * VMM_TRAP_STUB_SIZE;
        uint16_t port = (uint16_t)(VMM_TRAP_PIO_BASE + v);
        uint8_t *s = mem + at;
        /* mov $port, %dx; out %eax, %dx; 1: hlt; jmp 1b */
        const uint8_t code[] = {0x66, 0xba, (uint8_t)port, (uint8_t)(port >> 8), 0xef,
                                0xf4, 0xeb, 0xfd};
        memcpy(s, code, sizeof(code));

        /* 64-bit interrupt gate, DPL 0, present, IST1 */
        uint8_t *g = mem + VMM_X86_IDT_BASE + (uint64_t)v * 16;
        uint64_t lo = (at & 0xffff) | ((uint64_t)GDT_CODE_SELECTOR << 16) | (1ull << 32) |
                      (0xeull << 40) | (1ull << 47) | ((at >> 16 & 0xffff) << 48);
        uint64_t hi = at >> 32;
        memcpy(g, &lo, 8);
        memcpy(g + 8, &hi, 8);
    }
}

static const char *const vec_names[VMM_TRAP_VECTORS] = {
    [0] = "divide error (#DE)", [1] = "debug exception (#DB)", [2] = "non-maskable interrupt",
    [3] = "breakpoint (#BP, int3)", [4] = "overflow (#OF)", [5] = "bound range exceeded (#BR)",
    [6] = "invalid opcode (#UD)", [7] = "device not available (#NM: FPU/SSE not set up)",
    [8] = "double fault (#DF)", [10] = "invalid TSS (#TS)", [11] = "segment not present (#NP)",
    [12] = "stack-segment fault (#SS)", [13] = "general protection fault (#GP)",
    [14] = "page fault (#PF)", [16] = "x87 floating-point error (#MF)",
    [17] = "alignment check (#AC)", [18] = "machine check (#MC)",
    [19] = "SIMD floating-point exception (#XM)", [20] = "virtualization exception (#VE)",
    [21] = "control protection exception (#CP)",
};

/* What guest memory at gpa is, in words a reader of the message knows. */
static const char *what_is(const struct vmm *vmm, uint64_t gpa)
{
    if (gpa >= vmm->t.mem_size)
        return "outside guest memory";
    if (gpa < 0x1000)
        return "the zero page: a null pointer?";
    if (gpa < HVT_X86_BOOT_INFO_BASE)
        return "the monitor's low pages";
    if (gpa < HVT_GUEST_MIN_BASE)
        return "the boot information";
    for (unsigned i = 0; i < vmm->t.ro.n; i++)
        if (gpa >= vmm->t.ro.start[i] && gpa < vmm->t.ro.end[i])
            return vmm->t.ro.exec[i] ? "the image's code" : "the image's read-only data";
    if (gpa < vmm->t.kernel_end)
        return "the image's data or bss";
    return "heap or stack, above the image";
}

void trap_describe(const struct vmm *vmm, unsigned vec, const struct trap_frame *f, uint64_t cr2,
                   char *buf, size_t len)
{
    const char *name = vec < VMM_TRAP_VECTORS && vec_names[vec] ? vec_names[vec] : "reserved exception";
    if (vec != 14) {
        if (trap_has_error_code(vec))
            snprintf(buf, len, "guest fault: %s, error code 0x%llx, at rip=0x%llx rsp=0x%llx", name,
                     (unsigned long long)f->error_code, (unsigned long long)f->rip,
                     (unsigned long long)f->rsp);
        else
            snprintf(buf, len, "guest fault: %s (vector %u) at rip=0x%llx rsp=0x%llx", name, vec,
                     (unsigned long long)f->rip, (unsigned long long)f->rsp);
        return;
    }
    /* Page-fault error code: P(0) W(1) U(2) RSVD(3) I/D(4). */
    uint64_t ec = f->error_code;
    const char *why;
    if (ec & 0x8)
        why = "reserved bit set in the guest's page tables, at";
    else if (ec & 0x10)
        why = ec & 0x1 ? "executing non-executable memory at" : "executing unmapped memory at";
    else if (ec & 0x2)
        why = ec & 0x1 ? "write to read-only memory at" : "write to unmapped memory at";
    else
        why = "read of unmapped memory at";
    snprintf(buf, len, "guest fault: page fault: %s 0x%llx (%s), rip=0x%llx rsp=0x%llx "
             "error code 0x%llx", why, (unsigned long long)cr2, what_is(vmm, cr2),
             (unsigned long long)f->rip, (unsigned long long)f->rsp, (unsigned long long)ec);
}
