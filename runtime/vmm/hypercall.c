/* hypercall.c: the hypercall table and the core hypercalls every guest has:
 * walltime, puts, poll and halt. Device modules add theirs to vmm->hc.
 *
 * Each handler first maps its argument struct through vmm_gpa(); a guest
 * address outside guest memory is an ABI violation that stops the guest.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "vmm.h"

int vmm_violation(struct ur_err *err, const char *call, const char *what, uint64_t gpa,
                  uint64_t len)
{
    return ur_errf(err, -EFAULT, "guest broke the ABI: %s: %s 0x%" PRIx64 " (+%" PRIu64
                   " bytes) is outside guest memory or read-only", call, what, gpa, len);
}
#define violation vmm_violation

/* Map the argument struct; WRITES says whether the call writes results into it. */
#define ARGS(vmm, gpa, type, name, writes, err)                                   \
    type *a = (writes) ? vmm_gpa_w(vmm, gpa, sizeof(type)) : vmm_gpa(vmm, gpa, sizeof(type)); \
    if (!a)                                                                       \
        return violation(err, name, "argument", gpa, sizeof(type))

static int hc_walltime(struct vmm *vmm, uint64_t gpa, struct ur_err *err)
{
    ARGS(vmm, gpa, struct hvt_hc_walltime, "walltime", true, err);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    a->nsecs = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
    return 0;
}

static int hc_puts(struct vmm *vmm, uint64_t gpa, struct ur_err *err)
{
    ARGS(vmm, gpa, struct hvt_hc_puts, "puts", false, err);
    uint64_t data = a->data, len = a->len; /* read once: the guest cannot race us, but be plain */
    const char *p = vmm_gpa(vmm, data, len);
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

static int hc_poll(struct vmm *vmm, uint64_t gpa, struct ur_err *err)
{
    ARGS(vmm, gpa, struct hvt_hc_poll, "poll", true, err);
    uint64_t ns = a->timeout_nsecs;
    struct timespec ts = {.tv_sec = (time_t)(ns / 1000000000ull), .tv_nsec = (long)(ns % 1000000000ull)};
    if (ns / 1000000000ull > (uint64_t)INT32_MAX)
        ts.tv_sec = INT32_MAX;
    for (unsigned i = 0; i < vmm->npollfds; i++)
        vmm->pollfds[i].revents = 0;
    int n = ppoll(vmm->pollfds, vmm->npollfds, &ts, NULL);
    uint64_t ready = 0;
    if (n > 0)
        for (unsigned i = 0; i < vmm->npollfds; i++)
            if (vmm->pollfds[i].revents & POLLIN)
                ready |= 1ull << vmm->pollidx[i];
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

static int hc_halt(struct vmm *vmm, uint64_t gpa, struct ur_err *err)
{
    ARGS(vmm, gpa, struct hvt_hc_halt, "halt", false, err);
    uint64_t cookie = a->cookie;
    int status = a->exit_status;
    if (cookie != 0) {
        const void *c = vmm_gpa(vmm, cookie, HVT_HALT_COOKIE_MAX);
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
    vmm->exit_status = (status >= 0 && status <= 255) ? status : SOLO5_EXIT_ABORT;
    return VMM_HC_HALT;
}

void hypercall_register_core(struct vmm *vmm)
{
    vmm->hc[HVT_HYPERCALL_WALLTIME] = hc_walltime;
    vmm->hc[HVT_HYPERCALL_PUTS] = hc_puts;
    vmm->hc[HVT_HYPERCALL_POLL] = hc_poll;
    vmm->hc[HVT_HYPERCALL_HALT] = hc_halt;
}

int hypercall_dispatch(struct vmm *vmm, unsigned nr, uint64_t gpa, struct ur_err *err)
{
    if (nr >= HVT_HYPERCALL_MAX || !vmm->hc[nr])
        return ur_errf(err, -ENOSYS, "guest broke the ABI: unknown hypercall %u", nr);
    return vmm->hc[nr](vmm, gpa, err);
}

int vmm_add_pollfd(struct vmm *vmm, int fd, unsigned mft_index, struct ur_err *err)
{
    if (vmm->npollfds == VMM_MAX_POLLFDS)
        return ur_errf(err, -E2BIG, "too many devices to poll");
    vmm->pollfds[vmm->npollfds] = (struct pollfd){.fd = fd, .events = POLLIN};
    vmm->pollidx[vmm->npollfds] = mft_index;
    vmm->npollfds++;
    return 0;
}
