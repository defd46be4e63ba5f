/* filter.c: what an spt guest may ask of the host kernel, as seccomp rules.
 *
 * The calls Solo5's spt bindings make for themselves, each on the monitor's
 * own descriptors: write to the console (fd 1), epoll_pwait on the epoll
 * set, timerfd_settime on the timer, clock_gettime of the two clocks,
 * arch_prctl ARCH_SET_FS (the bindings' TLS base) and exit_group; then what
 * each attached device's module allows (block: pread64/pwrite64 of one
 * sector; net: read/write on the tap; runtime/tender/block.c, net.c). Every
 * buffer pointer must lie in guest memory [SPT_HOST_MEM_BASE, mem_size) and
 * every length be at most mem_size; main.c keeps [mem_size, 2 * mem_size)
 * mapped PROT_NONE, so no allowed call can make the kernel touch memory
 * outside the guest's.
 */
#include <asm/prctl.h>
#include <sys/syscall.h>
#include <time.h>

#include "spt.h"

#define MAX_EPOLL_EVENTS (MFT_MAX_ENTRIES + 1)

unsigned spt_filter_rules(const struct spt_fds *f, const struct tender_registry *r,
                          const struct tender_ctx *ctx, struct tender_rule *out)
{
    unsigned n = 0;
    const uint64_t lo = SPT_HOST_MEM_BASE, hi = ctx->mem_size - 1, max = ctx->mem_size;
    const uint64_t epfd = (uint64_t)f->epollfd, tfd = (uint64_t)f->timerfd;

    TENDER_RULE(out, n, SYS_write, tender_eq(0, 1), tender_ge(1, lo), tender_le(1, hi),
                tender_le(2, max));
    TENDER_RULE_ANY(out, n, SYS_exit_group);
    /* epoll_pwait(epfd, events, maxevents, timeout, sigmask = NULL, ...) */
    TENDER_RULE(out, n, SYS_epoll_pwait, tender_eq(0, epfd), tender_ge(1, lo), tender_le(1, hi),
                tender_le(2, MAX_EPOLL_EVENTS), tender_eq(4, 0));
    /* timerfd_settime(fd, flags, new value in guest memory, old = NULL) */
    TENDER_RULE(out, n, SYS_timerfd_settime, tender_eq(0, tfd), tender_ge(2, lo),
                tender_le(2, hi), tender_eq(3, 0));
    TENDER_RULE(out, n, SYS_clock_gettime, tender_eq(0, CLOCK_MONOTONIC), tender_ge(1, lo),
                tender_le(1, hi));
    TENDER_RULE(out, n, SYS_clock_gettime, tender_eq(0, CLOCK_REALTIME), tender_ge(1, lo),
                tender_le(1, hi));
    TENDER_RULE(out, n, SYS_arch_prctl, tender_eq(0, ARCH_SET_FS));
    return tender_device_rules(r, ctx, true, out, n);
}
