/* spt.c: the spt binding of the test guests, in place of hypercall.c. Under
 * uniroot-spt (or solo5-spt) the guest is a process: each wrapper is a raw
 * system call on the descriptors the boot info and manifest carry, with the
 * checks Solo5's spt bindings make before it (the monitor's seccomp filter
 * enforces them again). guest_boot_info is filled from the spt boot info so
 * cmdline.c and manifest.c serve both targets unchanged. */
#include "guest.h"

#define NR_read 0
#define NR_write 1
#define NR_pread64 17
#define NR_pwrite64 18
#define NR_clock_gettime 228
#define NR_exit_group 231
#define NR_epoll_pwait 281
#define NR_timerfd_settime 286
#define CLOCK_REALTIME_ 0
#define CLOCK_MONOTONIC_ 1
#define TFD_TIMER_ABSTIME_ 1
#define EAGAIN_ 11
#define EINTR_ 4
#define ETHER_HDR 14

struct ts { int64_t sec, nsec; };
struct its { struct ts interval, value; };
struct epoll_ev { uint32_t events; uint64_t data; } __attribute__((packed));

static struct hvt_boot_info hvt_view;
const struct hvt_boot_info *guest_boot_info;
static const struct spt_boot_info *spt_bi;

void guest_cmdline_split(int *argc, char ***argv);  /* cmdline.c */
__attribute__((noreturn)) void guest_start(const struct spt_boot_info *bi);

long spt_syscall6(long nr, long a, long b, long c, long d, long e, long f)
{
    long ret;
    register long r10 __asm__("r10") = d;
    register long r8 __asm__("r8") = e;
    register long r9 __asm__("r9") = f;

    __asm__ __volatile__("syscall"
                         : "=a"(ret)
                         : "a"(nr), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
                         : "rcx", "r11", "memory");
    return ret;
}

__attribute__((noreturn)) void guest_start(const struct spt_boot_info *bi)
{
    int argc;
    char **argv;

    spt_bi = bi;
    hvt_view.mem_size = bi->mem_size;
    hvt_view.kernel_end = bi->kernel_end;
    hvt_view.cmdline = bi->cmdline;
    hvt_view.mft = bi->mft;
    guest_boot_info = &hvt_view;
    guest_cmdline_split(&argc, &argv);
    guest_exit(guest_main(argc, argv));
}

/* A status with no 8-bit form is reported as 255, as uniroot-vmm does. */
__attribute__((noreturn)) void guest_exit(int status)
{
    if ((unsigned)status > 255)
        status = 255;
    for (;;)
        spt_syscall6(NR_exit_group, status, 0, 0, 0, 0, 0);
}

void guest_write(const char *s, size_t len)
{
    spt_syscall6(NR_write, 1, (long)s, (long)len, 0, 0, 0);
}

static uint64_t clock_ns(long clk)
{
    struct ts t = { 0, 0 };

    spt_syscall6(NR_clock_gettime, clk, (long)&t, 0, 0, 0, 0);
    return (uint64_t)t.sec * 1000000000ull + (uint64_t)t.nsec;
}

uint64_t guest_walltime(void)
{
    return clock_ns(CLOCK_REALTIME_);
}

/* The attached entry at handle of type, or NULL. */
static const struct mft_entry *entry_at(uint64_t handle, uint32_t type)
{
    const struct mft *m = (const struct mft *)(uintptr_t)spt_bi->mft;

    if (handle == 0 || handle >= m->entries || m->e[handle].type != type || !m->e[handle].attached)
        return NULL;
    return &m->e[handle];
}

int guest_poll(uint64_t timeout_ns, uint64_t *ready_set)
{
    struct epoll_ev ev[MFT_MAX_ENTRIES + 1];
    uint64_t deadline = clock_ns(CLOCK_MONOTONIC_), ready = 0;
    struct its it = { { 0, 0 }, { 0, 0 } };
    long n;

    if (__builtin_add_overflow(deadline, timeout_ns, &deadline) || deadline > (uint64_t)INT64_MAX)
        deadline = (uint64_t)INT64_MAX;
    it.value.sec = (int64_t)(deadline / 1000000000ull);
    it.value.nsec = (int64_t)(deadline % 1000000000ull) | 1;  /* never 0: that disarms */
    spt_syscall6(NR_timerfd_settime, spt_bi->timerfd, TFD_TIMER_ABSTIME_, (long)&it, 0, 0, 0);
    do
        n = spt_syscall6(NR_epoll_pwait, spt_bi->epollfd, (long)ev, MFT_MAX_ENTRIES + 1, -1, 0, 0);
    while (n == -EINTR_);
    for (long i = 0; i < n; i++)
        if (ev[i].data != SPT_INTERNAL_TIMERFD && ev[i].data < 64)
            ready |= 1ull << ev[i].data;
    if (ready_set)
        *ready_set = ready;
    return SOLO5_R_OK;
}

/* One sector at a time, as the spt filter allows. */
static int block_io(long nr, uint64_t handle, uint64_t offset, uint64_t buf, uint64_t len)
{
    const struct mft_entry *e = entry_at(handle, MFT_DEV_BLOCK_BASIC);
    uint64_t bs, end;

    if (!e)
        return SOLO5_R_EINVAL;
    bs = e->u.block_basic.block_size;
    if (len == 0 || offset % bs || len % bs || __builtin_add_overflow(offset, len, &end) ||
        end > e->u.block_basic.capacity)
        return SOLO5_R_EINVAL;
    for (uint64_t done = 0; done < len; done += bs) {
        long n;
        do
            n = spt_syscall6(nr, e->b.hostfd, (long)(buf + done), (long)bs, (long)(offset + done), 0, 0);
        while (n == -EINTR_);
        if (n != (long)bs)
            return SOLO5_R_EUNSPEC;
    }
    return SOLO5_R_OK;
}

int guest_block_read(uint64_t handle, uint64_t offset, void *buf, uint64_t len)
{
    return block_io(NR_pread64, handle, offset, (uint64_t)(uintptr_t)buf, len);
}

int guest_block_write(uint64_t handle, uint64_t offset, const void *buf, uint64_t len)
{
    return block_io(NR_pwrite64, handle, offset, (uint64_t)(uintptr_t)buf, len);
}

int guest_net_read(uint64_t handle, void *buf, uint64_t size, uint64_t *len)
{
    const struct mft_entry *e = entry_at(handle, MFT_DEV_NET_BASIC);
    long n;

    if (!e || size == 0)
        return SOLO5_R_EINVAL;
    do
        n = spt_syscall6(NR_read, e->b.hostfd, (long)buf, (long)size, 0, 0, 0);
    while (n == -EINTR_);
    if (n > 0) {
        if (len)
            *len = (uint64_t)n;
        return SOLO5_R_OK;
    }
    return (n == 0 || n == -EAGAIN_) ? SOLO5_R_AGAIN : SOLO5_R_EUNSPEC;
}

int guest_net_write(uint64_t handle, const void *buf, uint64_t len)
{
    const struct mft_entry *e = entry_at(handle, MFT_DEV_NET_BASIC);
    long n;

    if (!e || len == 0 || len > (uint64_t)e->u.net_basic.mtu + ETHER_HDR)
        return SOLO5_R_EINVAL;
    do
        n = spt_syscall6(NR_write, e->b.hostfd, (long)buf, (long)len, 0, 0, 0);
    while (n == -EINTR_);
    return n == (long)len ? SOLO5_R_OK : SOLO5_R_EUNSPEC;
}
