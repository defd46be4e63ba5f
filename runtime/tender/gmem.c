/* gmem.c: the one gate between guest addresses and host pointers (hvt).
 *
 * Every address a guest hands a hypercall (argument structs, data buffers,
 * the halt cookie) goes through tender_gpa(), which refuses any range not
 * wholly inside guest memory, including ranges whose end wraps around 2^64;
 * what the monitor writes goes through tender_gpa_w(), which also refuses
 * the image's read-only ranges (mapped read-only on the host: a write there
 * would crash the monitor instead of stopping the guest).
 */
#include <errno.h>
#include <inttypes.h>

#include "tender.h"

void *tender_gpa(const struct tender_ctx *ctx, uint64_t gpa, uint64_t len)
{
    if (!ctx->mem || gpa >= ctx->mem_size || len > ctx->mem_size - gpa)
        return NULL;
    return ctx->mem + gpa;
}

void *tender_gpa_w(const struct tender_ctx *ctx, uint64_t gpa, uint64_t len)
{
    void *p = tender_gpa(ctx, gpa, len);
    if (!p)
        return NULL;
    for (unsigned i = 0; i < ctx->ro.n; i++)
        if (gpa < ctx->ro.end[i] && ctx->ro.start[i] < gpa + len)
            return NULL;
    return p;
}

int tender_violation(struct ur_err *err, const char *call, const char *what, uint64_t gpa,
                     uint64_t len)
{
    return ur_errf(err, -EFAULT, "guest broke the ABI: %s: %s 0x%" PRIx64 " (+%" PRIu64
                   " bytes) is outside guest memory or read-only", call, what, gpa, len);
}

int tender_add_pollfd(struct tender_ctx *ctx, int fd, unsigned mft_index, struct ur_err *err)
{
    if (ctx->npollfds == TENDER_MAX_POLLFDS)
        return ur_errf(err, -E2BIG, "too many devices to poll");
    ctx->pollfds[ctx->npollfds] = (struct pollfd){.fd = fd, .events = POLLIN};
    ctx->pollidx[ctx->npollfds] = mft_index;
    ctx->npollfds++;
    return 0;
}
