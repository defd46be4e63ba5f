/* guest_mem.c: how much memory a unikernel guest is given, from the
 * container's memory limit (linux.resources.memory.limit): the limit in whole
 * MiB, but no more than an hvt guest can address. That bound is the hvt ABI's,
 * not the monitor's page tables: hypercall arguments are passed as 32-bit
 * guest addresses and a guest's stack starts at the top of its memory, so
 * Solo5 and uniroot-vmm stop at 4 GiB (HVT_X86_MAX_MEM). A limit is an upper
 * bound, so a larger one is met by the largest guest; one below the
 * smallest guest (2 MiB) cannot be met and is refused.
 */
#include <errno.h>

#include "oci.h"
#include "solo5_abi.h"

int guest_mem_mb(uint64_t limit, uint64_t *mb, struct ur_err *err)
{
    const uint64_t max_mb = HVT_X86_MAX_MEM >> 20, min_mb = HVT_X86_PAGE_2M >> 20;
    uint64_t want = limit >> 20;
    if (want < min_mb)
        return ur_errf(err, -EINVAL, "memory limit of %llu bytes is below the %llu MiB the "
                       "smallest hvt guest needs", (unsigned long long)limit,
                       (unsigned long long)min_mb);
    if (want > max_mb) {
        *mb = max_mb;
        return 1;
    }
    *mb = want;
    return 0;
}
