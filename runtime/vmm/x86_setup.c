/* x86_setup.c: what an x86_64 hvt guest finds in low memory at entry.
 *
 * Identity-mapped page tables over all guest memory, in Solo5's layout
 * (PML4, PDPT, four page directories, PT0 for the first 2 MiB) with NX on
 * (the vCPU runs with EFER.NXE): the image's executable segments are the
 * only guest memory that is executable, and they and the other read-only
 * segments are not writable; the boot-info area (64 KiB .. 1 MiB) is
 * read-only; data, bss, heap and stack are writable and no-execute. The
 * monitor's low pages (GDT, page tables) are not present, except the pages
 * trap.c fills: the GDT/TSS/IDT page (read-only), the exception stubs
 * (read-only, executable) and the exception stack. A 2 MiB region of one
 * kind is one 2 MiB page; a region of mixed permissions gets its own page
 * table from a small pool below 64 KiB. Also the flat GDT. Pure functions of
 * the memory buffer.
 */
#include <errno.h>
#include <string.h>

#include "vmm.h"

#define PTE_P  0x1ull
#define PTE_RW 0x2ull
#define PTE_PS 0x80ull
#define PTE_NX (1ull << 63)
#define PAGE_4K 0x1000ull

int x86_mem_size(uint64_t requested, uint64_t *out, struct ur_err *err)
{
    uint64_t mem = requested & ~(HVT_X86_PAGE_2M - 1);
    if (mem < HVT_X86_PAGE_2M || mem > HVT_X86_MAX_MEM)
        return ur_errf(err, -EINVAL, "guest memory must be 2 MiB to %llu MiB",
                       HVT_X86_MAX_MEM >> 20);
    *out = mem;
    return 0;
}

/* P, RW and NX of the 4 KiB page at pa. */
static uint64_t page_bits(const struct tender_ro *ro, uint64_t pa)
{
    if (pa < HVT_X86_BOOT_INFO_BASE) {
        switch (pa) {
        case HVT_X86_GDT_BASE:  return PTE_P | PTE_NX;
        case VMM_X86_TRAP_BASE: return PTE_P;
        case VMM_X86_IST_BASE:  return PTE_P | PTE_RW | PTE_NX;
        default:                return 0;
        }
    }
    if (pa < HVT_GUEST_MIN_BASE)
        return PTE_P | PTE_NX;
    for (unsigned i = 0; i < ro->n; i++)
        if (pa >= ro->start[i] && pa < ro->end[i])
            return ro->exec[i] ? PTE_P : PTE_P | PTE_NX;
    return PTE_P | PTE_RW | PTE_NX;
}

/* Do all pages of the 2 MiB region at base share one set of bits? Region 0
 * never does (the low pages). */
static bool region_uniform(const struct tender_ro *ro, uint64_t base)
{
    if (base == 0)
        return false;
    for (unsigned i = 0; i < ro->n; i++)
        if ((ro->start[i] > base && ro->start[i] < base + HVT_X86_PAGE_2M) ||
            (ro->end[i] > base && ro->end[i] < base + HVT_X86_PAGE_2M))
            return false;
    return true;
}

int x86_setup_pagetables(uint8_t *mem, uint64_t mem_size, const struct tender_ro *ro,
                         struct ur_err *err)
{
    uint64_t *pml4 = (uint64_t *)(mem + HVT_X86_PML4_BASE);
    uint64_t *pdpte = (uint64_t *)(mem + HVT_X86_PDPTE_BASE);
    uint64_t *pde = (uint64_t *)(mem + HVT_X86_PDE_BASE);
    uint64_t pool = VMM_X86_PT_POOL;

    /* Upper levels allow everything; the last level decides. */
    memset(mem + HVT_X86_PML4_BASE, 0, HVT_X86_PT0_BASE + PAGE_4K - HVT_X86_PML4_BASE);
    pml4[0] = HVT_X86_PDPTE_BASE | PTE_P | PTE_RW;
    for (uint64_t i = 0; i < 4 && (i << 30) < mem_size; i++)
        pdpte[i] = (HVT_X86_PDE_BASE + PAGE_4K * i) | PTE_P | PTE_RW;
    for (uint64_t base = 0; base < mem_size; base += HVT_X86_PAGE_2M) {
        uint64_t *e = &pde[base / HVT_X86_PAGE_2M];
        if (region_uniform(ro, base)) {
            *e = base | PTE_PS | page_bits(ro, base);
            continue;
        }
        uint64_t pt_gpa = HVT_X86_PT0_BASE;
        if (base != 0) {
            if (pool >= VMM_X86_PT_POOL_END)
                return ur_errf(err, -E2BIG, "the image's page permissions change inside more "
                               "than %llu of its 2 MiB regions (the one at 0x%llx is one too "
                               "many): put its segment boundaries on fewer 2 MiB regions",
                               (unsigned long long)((VMM_X86_PT_POOL_END - VMM_X86_PT_POOL) / PAGE_4K + 1),
                               (unsigned long long)base);
            pt_gpa = pool;
            pool += PAGE_4K;
            memset(mem + pt_gpa, 0, PAGE_4K);
        }
        uint64_t *pt = (uint64_t *)(mem + pt_gpa);
        for (unsigned k = 0; k < 512; k++) {
            uint64_t pa = base + k * PAGE_4K;
            uint64_t bits = page_bits(ro, pa);
            pt[k] = bits ? pa | bits : 0;
        }
        *e = pt_gpa | PTE_P | PTE_RW;
    }
    return 0;
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
