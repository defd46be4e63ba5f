/* guest_mem.c: how much memory a unikernel guest is given, from the
 * container's memory limit (linux.resources.memory.limit): the limit in whole
 * MiB, but no more than the backend's guests can have (its max_mem_mb: 4 GiB
 * on hvt, whose hypercalls pass 32-bit guest addresses; more on spt). A limit
 * is an upper bound, so a larger one is met by the largest guest; one below
 * the smallest guest (2 MiB, Solo5's) cannot be met and is refused.
 */
#include <errno.h>

#include "oci.h"
#include "solo5_abi.h"

int guest_mem_mb(uint64_t limit, uint64_t max_mb, const char *hv, uint64_t *mb, struct ur_err *err)
{
    const uint64_t min_mb = HVT_X86_PAGE_2M >> 20;
    uint64_t want = limit >> 20;
    if (want < min_mb)
        return ur_errf(err, -EINVAL, "memory limit of %llu bytes is below the %llu MiB the "
                       "smallest %s guest needs", (unsigned long long)limit,
                       (unsigned long long)min_mb, hv);
    if (want > max_mb) {
        *mb = max_mb;
        return 1;
    }
    *mb = want;
    return 0;
}
