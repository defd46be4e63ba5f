/* test_vmm_layout.c: what the guest finds in low memory at entry: page
 * tables, GDT, boot info, manifest and command line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

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

static void page_tables_identity_map(void **state)
{
    (void)state;
    uint8_t *mem = calloc(1, FAKE_MEM);
    x86_setup_pagetables(mem, FAKE_MEM);
    bool large;
    /* monitor pages: not present */
    for (uint64_t va = 0; va < HVT_X86_BOOT_INFO_BASE; va += 0x1000)
        assert_int_equal(walk(mem, va, &large), 0);
    /* boot info area: present, read-only, identity */
    uint64_t e = walk(mem, HVT_X86_BOOT_INFO_BASE, &large);
    assert_true(e & 1);
    assert_false(e & 2);
    assert_int_equal(e & ~0xfffull, HVT_X86_BOOT_INFO_BASE);
    e = walk(mem, HVT_GUEST_MIN_BASE - 0x1000, &large);
    assert_false(e & 2);
    /* the image area: writable */
    e = walk(mem, HVT_GUEST_MIN_BASE, &large);
    assert_true((e & 3) == 3);
    assert_false(large);
    /* above 2 MiB: 2 MiB pages up to the end of memory, nothing beyond */
    e = walk(mem, FAKE_MEM - 1, &large);
    assert_true(large);
    assert_int_equal(e & ~0x1fffffull, FAKE_MEM - HVT_X86_PAGE_2M);
    assert_int_equal(walk(mem, FAKE_MEM, &large), 0);
    free(mem);
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
    v->kernel_end = 0x123000;
    v->tsc_hz = 2000000000ull;
    v->mft->e[1].b.hostfd = 77;
    v->mft->e[1].attached = 1;
    v->mft->e[1].u.block_basic.capacity = 4096;
    char *argv[] = {"hello", "world", NULL};
    struct ur_err err = {0};
    assert_int_equal(boot_info_write(v, argv, &err), 0);
    const struct hvt_boot_info *bi = (const void *)(v->mem + HVT_X86_BOOT_INFO_BASE);
    assert_int_equal(bi->mem_size, FAKE_MEM);
    assert_int_equal(bi->kernel_end, 0x123000);
    assert_int_equal(bi->cpu_cycle_freq, 2000000000ull);
    assert_int_equal(bi->host_features, 0);
    assert_string_equal((const char *)v->mem + bi->cmdline, "hello world");
    assert_true(bi->cmdline + HVT_CMDLINE_SIZE <= HVT_GUEST_MIN_BASE);
    const struct mft *gm = (const void *)(v->mem + bi->mft);
    assert_int_equal(gm->entries, 2);
    assert_int_equal(gm->e[1].u.block_basic.capacity, 4096);
    assert_int_equal(gm->e[1].attached, 1);
    assert_int_equal(gm->e[1].b.data, 0); /* host fd not shown to the guest */
    assert_int_equal(v->mft->e[1].b.hostfd, 77);
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
    v->mft->e[1].attached = 1;
    assert_true(mft_check_all_attached(v->mft, &err) < 0);
    assert_non_null(strstr(err.msg, "--net:dev2=TAP"));
    v->mft->e[2].attached = 1;
    assert_int_equal(mft_check_all_attached(v->mft, &err), 0);
    assert_null(mft_at(v->mft, 0, MFT_RESERVED_FIRST));
    assert_non_null(mft_at(v->mft, 2, MFT_DEV_NET_BASIC));
    assert_null(mft_at(v->mft, 2, MFT_DEV_BLOCK_BASIC));
    fake_vmm_free(v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(page_tables_identity_map),
        cmocka_unit_test(memory_sizes),
        cmocka_unit_test(gdt_is_flat_long_mode),
        cmocka_unit_test(boot_info_layout),
        cmocka_unit_test(command_line_limit),
        cmocka_unit_test(every_declared_device_must_be_given),
    };
    return cmocka_run_group_tests_name("uniroot-vmm guest layout", tests, NULL, NULL);
}
