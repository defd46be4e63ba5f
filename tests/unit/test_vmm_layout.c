/* test_vmm_layout.c: what the guest finds in low memory at entry: page
 * tables (every page's present, writable and no-execute bits), GDT, the
 * monitor's exception IDT and stubs, boot info, manifest and command line;
 * and the monitor's messages for guest exceptions. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <linux/kvm.h>

#include "vmm_fixture.h"

/* Walk the guest page tables for va; returns the PTE/PDE that maps it, 0 if not present. */
static uint64_t walk(const uint8_t *mem, uint64_t va, bool *large)
{
    const uint64_t mask = 0x000ffffffffff000ull;
    uint64_t pml4e = ((const uint64_t *)(mem + HVT_X86_PML4_BASE))[(va >> 39) & 511];
    if (!(pml4e & 1))
        return 0;
    uint64_t pdpte = ((const uint64_t *)(mem + (pml4e & mask)))[(va >> 30) & 511];
    if (!(pdpte & 1))
        return 0;
    uint64_t pde = ((const uint64_t *)(mem + (pdpte & mask)))[(va >> 21) & 511];
    if (!(pde & 1))
        return 0;
    if (pde & 0x80) {
        *large = true;
        return pde;
    }
    *large = false;
    return ((const uint64_t *)(mem + (pde & mask)))[(va >> 12) & 511];
}

#define P 0x1ull
#define RW 0x2ull
#define NX (1ull << 63)
#define BITS (P | RW | NX)
#define MIB (1ull << 20)

/* A synthetic image layout over 16 MiB, and what every page of it must be. */
#define BIG_MEM (16 * MIB)
static const struct tender_ro big_ro = {
    .start = {0x100000, 0x301000, 0x600000, 0x800000},
    .end = {0x301000, 0x400000, 0x800000, 0xa00000},
    .exec = {true, false, false, true},
    .n = 4,
};
static const struct { uint64_t start, end, bits; bool large; } big_want[] = {
    {0x0, 0x1000, 0, false},                /* zero page */
    {0x1000, 0x2000, P | NX, false},        /* GDT, TSS, IDT */
    {0x2000, 0x9000, 0, false},             /* page tables */
    {0x9000, 0xa000, P, false},             /* exception stubs */
    {0xa000, 0xb000, P | RW | NX, false},   /* exception stack */
    {0xb000, 0x10000, 0, false},            /* page-table pool */
    {0x10000, 0x100000, P | NX, false},     /* boot info */
    {0x100000, 0x301000, P, false},         /* text across a 2 MiB boundary */
    {0x301000, 0x400000, P | NX, false},    /* rodata up to one */
    {0x400000, 0x600000, P | RW | NX, true},/* data */
    {0x600000, 0x800000, P | NX, true},     /* rodata filling a region */
    {0x800000, 0xa00000, P, true},          /* text filling a region */
    {0xa00000, BIG_MEM, P | RW | NX, true}, /* bss, heap, stack */
};

/* Every 4 KiB page of the layout has exactly the bits it must have, through
 * 4 KiB pages where a 2 MiB region is mixed and 2 MiB pages where not; the
 * upper levels allow everything (the CPU ANDs the levels); nothing is mapped
 * past the end of memory. */
static void page_tables_every_page(void **state)
{
    (void)state;
    uint8_t *mem = calloc(1, BIG_MEM);
    struct ur_err err = {0};
    assert_int_equal(x86_setup_pagetables(mem, BIG_MEM, &big_ro, &err), 0);
    const uint64_t *pml4 = (const uint64_t *)(mem + HVT_X86_PML4_BASE);
    const uint64_t *pdpte = (const uint64_t *)(mem + HVT_X86_PDPTE_BASE);
    assert_int_equal(pml4[0] & BITS, P | RW);
    assert_int_equal(pdpte[0] & BITS, P | RW);
    for (unsigned i = 0; i < 8; i++) {
        uint64_t pde = ((const uint64_t *)(mem + HVT_X86_PDE_BASE))[i];
        if (!(pde & 0x80))
            assert_int_equal(pde & BITS, P | RW);
    }
    size_t checked = 0;
    for (size_t r = 0; r < sizeof(big_want) / sizeof(big_want[0]); r++)
        for (uint64_t va = big_want[r].start; va < big_want[r].end; va += 0x1000, checked++) {
            bool large = false;
            uint64_t e = walk(mem, va, &large);
            if ((e & BITS) != big_want[r].bits)
                fail_msg("page 0x%llx: bits 0x%llx, want 0x%llx", (unsigned long long)va,
                         (unsigned long long)(e & BITS), (unsigned long long)big_want[r].bits);
            if (!big_want[r].bits)
                continue;
            if (large != big_want[r].large)
                fail_msg("page 0x%llx: %s page", (unsigned long long)va, large ? "2 MiB" : "4 KiB");
            uint64_t pa = large ? (e & 0x000fffffffe00000ull) | (va & 0x1fffff)
                                : e & 0x000ffffffffff000ull;
            assert_int_equal(pa, va); /* identity */
        }
    assert_int_equal(checked, BIG_MEM / 0x1000);
    bool large;
    assert_int_equal(walk(mem, BIG_MEM, &large), 0);
    free(mem);
}

/* An image with no read-only segment still gets its low pages protected and
 * everything else writable and no-execute; the largest memory maps to its
 * last byte. */
static void page_tables_identity_map(void **state)
{
    (void)state;
    const struct tender_ro none = {.n = 0};
    uint64_t mem_size = HVT_X86_MAX_MEM;
    /* Only the low 2 MiB are written: a sparse allocation is enough. */
    uint8_t *mem = calloc(1, HVT_X86_PAGE_2M);
    struct ur_err err = {0};
    assert_int_equal(x86_setup_pagetables(mem, mem_size, &none, &err), 0);
    bool large;
    for (uint64_t va = 0; va < HVT_X86_BOOT_INFO_BASE; va += 0x1000) {
        uint64_t e = walk(mem, va, &large);
        if (va != HVT_X86_GDT_BASE && va != VMM_X86_TRAP_BASE && va != VMM_X86_IST_BASE)
            assert_int_equal(e, 0);
    }
    assert_int_equal(walk(mem, HVT_GUEST_MIN_BASE, &large) & BITS, P | RW | NX);
    uint64_t e = walk(mem, mem_size - 1, &large);
    assert_true(large);
    assert_int_equal(e & BITS, P | RW | NX);
    assert_int_equal(e & 0x000fffffffe00000ull, mem_size - HVT_X86_PAGE_2M);
    free(mem);
}

/* Each 2 MiB region of mixed permissions needs a page table; the monitor has
 * PT0 and a pool of five more, and says so when an image needs more. */
static void page_table_pool_is_bounded(void **state)
{
    (void)state;
    uint8_t *mem = calloc(1, HVT_X86_PAGE_2M);
    struct tender_ro ro = {.n = 0};
    struct ur_err err = {0};
    unsigned pool = (VMM_X86_PT_POOL_END - VMM_X86_PT_POOL) / 0x1000;
    for (unsigned i = 1; i <= pool; i++) { /* one page of text inside regions 1..pool */
        ro.start[ro.n] = i * HVT_X86_PAGE_2M + 0x1000;
        ro.end[ro.n] = ro.start[ro.n] + 0x1000;
        ro.exec[ro.n++] = true;
    }
    assert_int_equal(x86_setup_pagetables(mem, 64 * MIB, &ro, &err), 0);
    bool large;
    assert_int_equal(walk(mem, pool * HVT_X86_PAGE_2M + 0x1000, &large) & BITS, P);
    ro.start[ro.n] = (pool + 1) * HVT_X86_PAGE_2M + 0x1000;
    ro.end[ro.n] = ro.start[ro.n] + 0x1000;
    ro.exec[ro.n++] = false;
    assert_true(x86_setup_pagetables(mem, 64 * MIB, &ro, &err) < 0);
    assert_non_null(strstr(err.msg, "2 MiB regions"));
    free(mem);
}

/* The monitor's IDT: vectors 0..31 are present 64-bit interrupt gates on IST1
 * to their own stub, which reports the vector on its own port; the TSS's IST1
 * is the top of the exception stack. */
static void exception_idt_and_stubs(void **state)
{
    (void)state;
    uint8_t *mem = calloc(1, FAKE_MEM);
    trap_setup(mem);
    uint64_t ist;
    memcpy(&ist, mem + VMM_X86_TSS_BASE + 0x24, 8);
    assert_int_equal(ist, VMM_X86_IST_BASE + 0x1000);
    for (unsigned v = 0; v < VMM_TRAP_VECTORS; v++) {
        uint64_t lo, hi;
        memcpy(&lo, mem + VMM_X86_IDT_BASE + v * 16, 8);
        memcpy(&hi, mem + VMM_X86_IDT_BASE + v * 16 + 8, 8);
        uint64_t target = (lo & 0xffff) | ((lo >> 48) << 16) | (hi << 32);
        assert_int_equal(target, VMM_X86_TRAP_BASE + v * VMM_TRAP_STUB_SIZE);
        assert_int_equal((lo >> 16) & 0xffff, 0x08); /* the code segment */
        assert_int_equal((lo >> 32) & 7, 1);         /* IST1 */
        assert_int_equal((lo >> 40) & 0xf, 0xe);     /* interrupt gate */
        assert_true(lo & (1ull << 47));              /* present */
        const uint8_t *s = mem + target;
        assert_int_equal(s[0], 0x66); /* mov $port, %dx */
        assert_int_equal(s[1], 0xba);
        assert_int_equal(s[2] | s[3] << 8, VMM_TRAP_PIO_BASE + v);
        assert_int_equal(s[4], 0xef); /* out %eax, %dx */
    }
    assert_true(VMM_X86_IDT_BASE + VMM_TRAP_VECTORS * 16 <= HVT_X86_GDT_BASE + 0x1000);
    assert_true(VMM_X86_TSS_BASE >= HVT_X86_GDT_BASE + 3 * 8);
    free(mem);
}

/* The monitor's one line for an exception says which address and why. */
static void exception_messages(void **state)
{
    (void)state;
    struct vmm *v = fake_vmm(0, NULL);
    v->t.ro = (struct tender_ro){.start = {0x100000, 0x101000}, .end = {0x101000, 0x102000},
                            .exec = {true, false}, .n = 2};
    v->t.kernel_end = 0x110000;
    char msg[256];
    struct trap_frame f = {.error_code = 0x11, .rip = 0x103000, .rsp = 0x3ffff0};
    trap_describe(v, 14, &f, 0x103000, msg, sizeof(msg));
    assert_non_null(strstr(msg, "executing non-executable memory at 0x103000 (the image's data or bss)"));
    f.rip = 0x3fff00;
    trap_describe(v, 14, &f, 0x3fff00, msg, sizeof(msg));
    assert_non_null(strstr(msg, "at 0x3fff00 (heap or stack"));
    f = (struct trap_frame){.error_code = 0x3, .rip = 0x100010};
    trap_describe(v, 14, &f, 0x100000, msg, sizeof(msg));
    assert_non_null(strstr(msg, "write to read-only memory at 0x100000 (the image's code)"));
    f.error_code = 0x2;
    trap_describe(v, 14, &f, 0, msg, sizeof(msg));
    assert_non_null(strstr(msg, "write to unmapped memory at 0x0 (the zero page"));
    f.error_code = 0x11;
    trap_describe(v, 14, &f, 0x20000, msg, sizeof(msg));
    assert_non_null(strstr(msg, "(the boot information)"));
    f = (struct trap_frame){.rip = 0x100123};
    trap_describe(v, 6, &f, 0, msg, sizeof(msg));
    assert_non_null(strstr(msg, "invalid opcode (#UD) (vector 6) at rip=0x100123"));
    f.error_code = 0x402;
    trap_describe(v, 13, &f, 0, msg, sizeof(msg));
    assert_non_null(strstr(msg, "general protection fault (#GP), error code 0x402"));
    fake_vmm_free(v);
}

/* NX is required of KVM's CPUID: leaf 0x80000001, EDX bit 20. */
static void cpuid_nx_is_found(void **state)
{
    (void)state;
    struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + 3 * sizeof(c->entries[0]));
    c->nent = 3;
    c->entries[0].function = 0x1;
    c->entries[0].edx = 1u << 20;
    c->entries[1].function = 0x80000000u;
    c->entries[2].function = 0x80000001u;
    c->entries[2].edx = 1u << 29; /* LM only */
    assert_false(kvm_cpuid_has_nx(c));
    c->entries[2].edx |= 1u << 20;
    assert_true(kvm_cpuid_has_nx(c));
    c->nent = 2;
    assert_false(kvm_cpuid_has_nx(c));
    free(c);
}

static void memory_sizes(void **state)
{
    (void)state;
    uint64_t m;
    struct ur_err err = {0};
    assert_int_equal(x86_mem_size(33ull << 20, &m, &err), 0);
    assert_int_equal(m, 32ull << 20);
    assert_true(x86_mem_size(1ull << 20, &m, &err) < 0);
    assert_true(x86_mem_size(HVT_X86_MAX_MEM + HVT_X86_PAGE_2M, &m, &err) < 0);
    assert_int_equal(x86_mem_size(HVT_X86_MAX_MEM, &m, &err), 0);
}

static void gdt_is_flat_long_mode(void **state)
{
    (void)state;
    uint8_t *mem = calloc(1, FAKE_MEM);
    x86_setup_gdt(mem);
    const uint64_t *gdt = (const uint64_t *)(mem + HVT_X86_GDT_BASE);
    assert_int_equal(gdt[0], 0);
    assert_true(gdt[1] & (1ull << 53));  /* L */
    assert_true(gdt[1] & (1ull << 47));  /* P */
    assert_false(gdt[2] & (1ull << 53));
    assert_int_equal((gdt[2] >> 40) & 0xf, 0x3);
    free(mem);
}

static void boot_info_layout(void **state)
{
    (void)state;
    static const uint32_t types[] = {MFT_DEV_BLOCK_BASIC};
    struct vmm *v = fake_vmm(1, types);
    v->t.kernel_end = 0x123000;
    v->tsc_hz = 2000000000ull;
    v->t.mft->e[1].b.hostfd = 77;
    v->t.mft->e[1].attached = 1;
    v->t.mft->e[1].u.block_basic.capacity = 4096;
    char *argv[] = {"hello", "world", NULL};
    struct ur_err err = {0};
    assert_int_equal(boot_info_write(v, argv, &err), 0);
    const struct hvt_boot_info *bi = (const void *)(v->t.mem + HVT_X86_BOOT_INFO_BASE);
    assert_int_equal(bi->mem_size, FAKE_MEM);
    assert_int_equal(bi->kernel_end, 0x123000);
    assert_int_equal(bi->cpu_cycle_freq, 2000000000ull);
    assert_int_equal(bi->host_features, 0);
    assert_string_equal((const char *)v->t.mem + bi->cmdline, "hello world");
    assert_true(bi->cmdline + HVT_CMDLINE_SIZE <= HVT_GUEST_MIN_BASE);
    const struct mft *gm = (const void *)(v->t.mem + bi->mft);
    assert_int_equal(gm->entries, 2);
    assert_int_equal(gm->e[1].u.block_basic.capacity, 4096);
    assert_int_equal(gm->e[1].attached, 1);
    assert_int_equal(gm->e[1].b.data, 0); /* host fd not shown to the guest */
    assert_int_equal(v->t.mft->e[1].b.hostfd, 77);
    fake_vmm_free(v);
}

static void command_line_limit(void **state)
{
    (void)state;
    struct vmm *v = fake_vmm(0, NULL);
    char *big = malloc(HVT_CMDLINE_SIZE + 1);
    memset(big, 'x', HVT_CMDLINE_SIZE);
    big[HVT_CMDLINE_SIZE] = '\0'; /* one character too many */
    char *argv[] = {big, NULL};
    struct ur_err err = {0};
    assert_true(boot_info_write(v, argv, &err) < 0);
    assert_non_null(strstr(err.msg, "too long"));
    big[HVT_CMDLINE_SIZE - 1] = '\0'; /* exactly the maximum */
    assert_int_equal(boot_info_write(v, argv, &err), 0);
    char *two[] = {big, "y", NULL}; /* the separating space counts too */
    assert_true(boot_info_write(v, two, &err) < 0);
    assert_int_equal(boot_info_write(v, argv, &err), 0);
    free(big);
    fake_vmm_free(v);
}

static void every_declared_device_must_be_given(void **state)
{
    (void)state;
    static const uint32_t types[] = {MFT_DEV_BLOCK_BASIC, MFT_DEV_NET_BASIC};
    struct vmm *v = fake_vmm(2, types);
    struct ur_err err = {0};
    v->t.mft->e[1].attached = 1;
    assert_true(mft_check_all_attached(v->t.mft, &err) < 0);
    assert_non_null(strstr(err.msg, "--net:dev2=TAP"));
    v->t.mft->e[2].attached = 1;
    assert_int_equal(mft_check_all_attached(v->t.mft, &err), 0);
    assert_null(mft_at(v->t.mft, 0, MFT_RESERVED_FIRST));
    assert_non_null(mft_at(v->t.mft, 2, MFT_DEV_NET_BASIC));
    assert_null(mft_at(v->t.mft, 2, MFT_DEV_BLOCK_BASIC));
    fake_vmm_free(v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(page_tables_every_page),
        cmocka_unit_test(page_tables_identity_map),
        cmocka_unit_test(page_table_pool_is_bounded),
        cmocka_unit_test(exception_idt_and_stubs),
        cmocka_unit_test(exception_messages),
        cmocka_unit_test(cpuid_nx_is_found),
        cmocka_unit_test(memory_sizes),
        cmocka_unit_test(gdt_is_flat_long_mode),
        cmocka_unit_test(boot_info_layout),
        cmocka_unit_test(command_line_limit),
        cmocka_unit_test(every_declared_device_must_be_given),
    };
    return cmocka_run_group_tests_name("uniroot-vmm guest layout", tests, NULL, NULL);
}
