/* guest_mem.c: how much memory a unikernel guest is given, from the
 * container's memory limit (linux.resources.memory.limit): the limit in whole
 * MiB, but no more than the backend's guests can have (its max_mem_mb: 4 GiB
 * on hvt, whose hypercalls pass 32-bit guest addresses; more on spt). A limit
 * is an upper bound, so a larger one is met by the largest guest; one below
 * the smallest guest (2 MiB, Solo5's) cannot be met and is refused.
 *
 * guest_mem_decide() puts that in its place among the other sources, the
 * first that speaks deciding: the annotation dev.uniroot.memory-mb (bounded
 * by the limit), the memory limit, the node's config file (HV.memory-mb),
 * the built-in default (512 MiB, the Solo5 monitors' own).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* The annotation's value: whole MiB, digits only, within the backend's range
 * and, when the container has a memory limit, within it too (the limit is
 * what the node accounts the container for: an annotation may ask for less,
 * never for more). */
static int from_annotation(const struct guest_mem_req *q, uint64_t *mb, struct ur_err *err)
{
    const char *v = q->annotation;
    size_t n = strlen(v);
    uint64_t want = 0;
    if (n == 0 || n > 9 || strspn(v, "0123456789") != n ||
        (want = strtoull(v, NULL, 10)) < 2 || want > q->max_mb)
        return ur_errf(err, -EINVAL, "annotation %s: want 2 to %llu (MiB; the most an %s guest can "
                       "have), got \"%.64s\"", GUEST_MEM_ANNOTATION, (unsigned long long)q->max_mb,
                       q->hv, v);
    if (q->limit && want > q->limit >> 20)
        return ur_errf(err, -EINVAL, "annotation %s asks for %llu MiB, more than the container's "
                       "memory limit of %llu MiB", GUEST_MEM_ANNOTATION, (unsigned long long)want,
                       (unsigned long long)(q->limit >> 20));
    *mb = want;
    return 0;
}

int guest_mem_decide(const struct guest_mem_req *q, struct guest_mem *out, struct ur_err *err)
{
    memset(out, 0, sizeof(*out));
    int rc;
    if (q->annotation) {
        if ((rc = from_annotation(q, &out->mb, err)) < 0)
            return rc;
        snprintf(out->from, sizeof(out->from), "annotation %s", GUEST_MEM_ANNOTATION);
    } else if (q->limit) {
        if ((rc = guest_mem_mb(q->limit, q->max_mb, q->hv, &out->mb, err)) < 0)
            return rc;
        out->clipped = rc > 0;
        snprintf(out->from, sizeof(out->from), "memory limit");
    } else {
        out->mb = q->config_mb < q->max_mb ? q->config_mb : q->max_mb;
        snprintf(out->from, sizeof(out->from), "%s", q->config_where ? q->config_where : "built-in default");
    }
    return 0;
}
