/* filter.c: what an spt guest may ask of the host kernel, as seccomp rules.
 *
 * The calls Solo5's spt bindings make, each on the monitor's own descriptors:
 * write to the console (fd 1), pread64/pwrite64 of exactly one sector inside
 * each block device, read/write on each tap, epoll_pwait on the epoll set,
 * timerfd_settime on the timer, clock_gettime of the two clocks, arch_prctl
 * ARCH_SET_FS (the bindings' TLS base) and exit_group. Every buffer pointer
 * must lie in guest memory [SPT_HOST_MEM_BASE, mem_size) and every length be
 * at most mem_size; main.c keeps [mem_size, 2 * mem_size) mapped PROT_NONE,
 * so no allowed call can make the kernel touch memory outside the guest's.
 */
#include <asm/prctl.h>
#include <sys/syscall.h>
#include <time.h>

#include "spt.h"

#define MAX_EPOLL_EVENTS (MFT_MAX_ENTRIES + 1)

static struct tender_arg_cond eq(unsigned arg, uint64_t v) { return (struct tender_arg_cond){arg, TENDER_EQ, v}; }
static struct tender_arg_cond le(unsigned arg, uint64_t v) { return (struct tender_arg_cond){arg, TENDER_LE, v}; }
static struct tender_arg_cond ge(unsigned arg, uint64_t v) { return (struct tender_arg_cond){arg, TENDER_GE, v}; }

#define RULE(NR, ...)                                                                  \
    do {                                                                               \
        const struct tender_arg_cond c_[] = {__VA_ARGS__};                                \
        out[n] = (struct tender_rule){.nr = (NR), .nargs = sizeof(c_) / sizeof(c_[0])};   \
        for (unsigned k_ = 0; k_ < out[n].nargs; k_++)                                 \
            out[n].a[k_] = c_[k_];                                                     \
        n++;                                                                           \
    } while (0)

unsigned spt_filter_rules(const struct spt_fds *f, const struct mft *m, struct tender_rule *out)
{
    unsigned n = 0;
    const uint64_t lo = SPT_HOST_MEM_BASE, hi = f->mem_size - 1, max = f->mem_size;
    const uint64_t epfd = (uint64_t)f->epollfd, tfd = (uint64_t)f->timerfd;

    RULE(SYS_write, eq(0, 1), ge(1, lo), le(1, hi), le(2, max));
    out[n++] = (struct tender_rule){.nr = SYS_exit_group};
    /* epoll_pwait(epfd, events, maxevents, timeout, sigmask = NULL, ...) */
    RULE(SYS_epoll_pwait, eq(0, epfd), ge(1, lo), le(1, hi), le(2, MAX_EPOLL_EVENTS), eq(4, 0));
    /* timerfd_settime(fd, flags, new value in guest memory, old = NULL) */
    RULE(SYS_timerfd_settime, eq(0, tfd), ge(2, lo), le(2, hi), eq(3, 0));
    RULE(SYS_clock_gettime, eq(0, CLOCK_MONOTONIC), ge(1, lo), le(1, hi));
    RULE(SYS_clock_gettime, eq(0, CLOCK_REALTIME), ge(1, lo), le(1, hi));
    RULE(SYS_arch_prctl, eq(0, ARCH_SET_FS));

    for (unsigned i = 1; i < m->entries; i++) {
        const struct mft_entry *e = &m->e[i];
        uint64_t fd = (uint64_t)e->b.hostfd;
        if (!e->attached)
            continue;
        if (e->type == MFT_DEV_BLOCK_BASIC) {
            /* exactly one sector, starting at most one sector before the end */
            uint64_t bs = e->u.block_basic.block_size, last = e->u.block_basic.capacity - bs;
            RULE(SYS_pread64, eq(0, fd), ge(1, lo), le(1, hi), eq(2, bs), le(3, last));
            RULE(SYS_pwrite64, eq(0, fd), ge(1, lo), le(1, hi), eq(2, bs), le(3, last));
        } else if (e->type == MFT_DEV_NET_BASIC) {
            RULE(SYS_read, eq(0, fd), ge(1, lo), le(1, hi), le(2, max));
            RULE(SYS_write, eq(0, fd), ge(1, lo), le(1, hi), le(2, max));
        }
    }
    return n;
}
