/* x86_setup.c: what an x86_64 hvt guest finds in low memory at entry.
 *
 * Identity-mapped page tables (4 KiB pages for the first 2 MiB, 2 MiB pages
 * above), with the monitor's own low pages (GDT, page tables) not present and
 * the boot-info area (64 KiB .. 1 MiB) read-only; and a flat GDT with one
 * 64-bit code and one data segment. Pure functions of the memory buffer.
 */
#include <errno.h>
#include <string.h>

#include "vmm.h"

#define PTE_P  0x1ull
#define PTE_RW 0x2ull
#define PTE_PS 0x80ull

int x86_mem_size(uint64_t requested, uint64_t *out, struct ur_err *err)
{
    uint64_t mem = requested & ~(HVT_X86_PAGE_2M - 1);
    if (mem < HVT_X86_PAGE_2M || mem > HVT_X86_MAX_MEM)
        return ur_errf(err, -EINVAL, "guest memory must be 2 MiB to %llu MiB",
                       HVT_X86_MAX_MEM >> 20);
    *out = mem;
    return 0;
}

void x86_setup_pagetables(uint8_t *mem, uint64_t mem_size)
{
    uint64_t *pml4 = (uint64_t *)(mem + HVT_X86_PML4_BASE);
    uint64_t *pdpte = (uint64_t *)(mem + HVT_X86_PDPTE_BASE);
    uint64_t *pde = (uint64_t *)(mem + HVT_X86_PDE_BASE);
    uint64_t *pt0 = (uint64_t *)(mem + HVT_X86_PT0_BASE);

    memset(mem + HVT_X86_PML4_BASE, 0, HVT_X86_PT0_BASE + 0x1000 - HVT_X86_PML4_BASE);
    pml4[0] = HVT_X86_PDPTE_BASE | PTE_P | PTE_RW;
    for (unsigned i = 0; i < 4; i++)
        pdpte[i] = (HVT_X86_PDE_BASE + 0x1000ull * i) | PTE_P | PTE_RW;
    /* First 2 MiB through PT0 so the low pages can be protected. */
    pde[0] = HVT_X86_PT0_BASE | PTE_P | PTE_RW;
    for (uint64_t pa = HVT_X86_BOOT_INFO_BASE; pa < HVT_X86_PAGE_2M; pa += 0x1000)
        pt0[pa >> 12] = pa | PTE_P | (pa >= HVT_GUEST_MIN_BASE ? PTE_RW : 0);
    for (uint64_t pa = HVT_X86_PAGE_2M; pa < mem_size; pa += HVT_X86_PAGE_2M)
        pde[pa / HVT_X86_PAGE_2M] = pa | PTE_P | PTE_RW | PTE_PS;
}

/* A GDT entry for a flat segment: base 0, limit 4 GiB (granularity 4 KiB). */
static uint64_t flat_desc(unsigned type, bool long_mode, bool db)
{
    uint64_t d = 0xffffull;                   /* limit 15:0 */
    d |= (uint64_t)(type & 0xf) << 40;        /* type (accessed bit set by caller) */
    d |= 1ull << 44;                          /* S: code/data */
    d |= 1ull << 47;                          /* P */
    d |= 0xfull << 48;                        /* limit 19:16 */
    d |= (uint64_t)long_mode << 53;           /* L */
    d |= (uint64_t)db << 54;                  /* D/B */
    d |= 1ull << 55;                          /* G */
    return d;
}

void x86_setup_gdt(uint8_t *mem)
{
    uint64_t *gdt = (uint64_t *)(mem + HVT_X86_GDT_BASE);
    gdt[0] = 0;
    gdt[1] = flat_desc(0x9 | 0x2, true, false); /* code: execute/read, accessed */
    gdt[2] = flat_desc(0x3, false, true);       /* data: read/write, accessed */
}
