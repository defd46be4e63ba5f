/* hypercall.c: the core hypercalls every hvt guest has (walltime, puts,
 * poll and halt), registered as uniroot-vmm's core module, and the dispatch
 * through the registry's table, where the device modules (runtime/tender)
 * put theirs.
 *
 * Each handler first maps its argument struct through tender_gpa(); a guest
 * address outside guest memory is an ABI violation that stops the guest.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "vmm.h"

#define violation tender_violation

/* Map the argument struct; WRITES says whether the call writes results into it. */
#define ARGS(ctx, gpa, type, name, writes, err)                                   \
    type *a = (writes) ? tender_gpa_w(ctx, gpa, sizeof(type)) : tender_gpa(ctx, gpa, sizeof(type)); \
    if (!a)                                                                       \
        return violation(err, name, "argument", gpa, sizeof(type))

static int hc_walltime(struct tender_ctx *ctx, uint64_t gpa, struct ur_err *err)
{
    ARGS(ctx, gpa, struct hvt_hc_walltime, "walltime", true, err);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    a->nsecs = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
    return 0;
}

static int hc_puts(struct tender_ctx *ctx, uint64_t gpa, struct ur_err *err)
{
    ARGS(ctx, gpa, struct hvt_hc_puts, "puts", false, err);
    uint64_t data = a->data, len = a->len; /* read once: the guest cannot race us, but be plain */
    const char *p = tender_gpa(ctx, data, len);
    if (!p)
        return violation(err, "puts", "data", data, len);
    while (len > 0) {
        ssize_t n = write(STDOUT_FILENO, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break; /* console gone: the guest keeps running, like a serial line */
        p += n;
        len -= (uint64_t)n;
    }
    return 0;
}

static int hc_poll(struct tender_ctx *ctx, uint64_t gpa, struct ur_err *err)
{
    ARGS(ctx, gpa, struct hvt_hc_poll, "poll", true, err);
    uint64_t ns = a->timeout_nsecs;
    struct timespec ts = {.tv_sec = (time_t)(ns / 1000000000ull), .tv_nsec = (long)(ns % 1000000000ull)};
    if (ns / 1000000000ull > (uint64_t)INT32_MAX)
        ts.tv_sec = INT32_MAX;
    for (unsigned i = 0; i < ctx->npollfds; i++)
        ctx->pollfds[i].revents = 0;
    int n = ppoll(ctx->pollfds, ctx->npollfds, &ts, NULL);
    uint64_t ready = 0;
    if (n > 0)
        for (unsigned i = 0; i < ctx->npollfds; i++)
            if (ctx->pollfds[i].revents & POLLIN)
                ready |= 1ull << ctx->pollidx[i];
    a->ready_set = ready;
    a->ret = SOLO5_R_OK; /* EINTR: a stop signal; the run loop notices it */
    return 0;
}

/* Print the trap frame a Solo5 guest leaves behind when it aborts. */
static void report_trap(const struct hvt_x86_trap_regs *r)
{
    char line[256];
    int n = snprintf(line, sizeof(line),
                     "uniroot-vmm: guest trap frame: rip=0x%" PRIx64 " rsp=0x%" PRIx64
                     " rflags=0x%" PRIx64 " cr2=0x%" PRIx64 " error=0x%" PRIx64 "\n",
                     r->rip, r->rsp, r->rflags, r->cr2, r->ec);
    if (n > 0 && write(STDERR_FILENO, line, (size_t)n) < 0)
        return;
}

static int hc_halt(struct tender_ctx *ctx, uint64_t gpa, struct ur_err *err)
{
    ARGS(ctx, gpa, struct hvt_hc_halt, "halt", false, err);
    uint64_t cookie = a->cookie;
    int status = a->exit_status;
    if (cookie != 0) {
        const void *c = tender_gpa(ctx, cookie, HVT_HALT_COOKIE_MAX);
        if (!c)
            return violation(err, "halt", "cookie", cookie, HVT_HALT_COOKIE_MAX);
        if (status == SOLO5_EXIT_ABORT) {
            struct hvt_x86_trap_regs r;
            memcpy(&r, c, sizeof(r));
            report_trap(&r);
        }
    }
    /* A process exit status has 8 bits: a status that does not fit must not
     * wrap to something else (256 would read as success), so it becomes 255. */
    ctx->exit_status = (status >= 0 && status <= 255) ? status : SOLO5_EXIT_ABORT;
    return TENDER_HC_HALT;
}

static const struct tender_hypercall core_calls[] = {
    {HVT_HYPERCALL_WALLTIME, hc_walltime},
    {HVT_HYPERCALL_PUTS, hc_puts},
    {HVT_HYPERCALL_POLL, hc_poll},
    {HVT_HYPERCALL_HALT, hc_halt},
};

const struct tender_module vmm_core_module = {
    .name = "hvt-core",
    .hvt_calls = core_calls,
    .nhvt_calls = sizeof(core_calls) / sizeof(core_calls[0]),
};

int hypercall_dispatch(struct vmm *vmm, unsigned nr, uint64_t gpa, struct ur_err *err)
{
    if (nr >= HVT_HYPERCALL_MAX || !vmm->reg.hc[nr])
        return ur_errf(err, -ENOSYS, "guest broke the ABI: unknown hypercall %u", nr);
    return vmm->reg.hc[nr](&vmm->t, gpa, err);
}
