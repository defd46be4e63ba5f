/* hostile_spt.c: spt's hostile guest. `hostile_spt ATTACK` makes one system
 * call the spt filter must judge, then prints "hostile: ATTACK survived
 * ret=N" and exits 0. The calls of the first table are allowed but aim their
 * pointers at memory the guest cannot write or that is not there: the host
 * kernel must refuse them in-band (-EFAULT) and the guest go on. Those of
 * the second table break the filter's rules (other descriptors, calls,
 * lengths, offsets, clocks, architectures): uniroot-spt must be killed by
 * SIGSYS before the line is printed. Every call the filter allows is aimed
 * wild (pointers far, low, into the guard or code; lengths past memory) on
 * each of its descriptors: console, block, tap, epoll set, timer. Needs
 * --block:storage (1 MiB) and --net:net0 (a tap). */
#include "guest.h"

GUEST_MANIFEST(MFT_BLOCK("storage"), MFT_NET("net0"));

extern char _start[];
static const char ro_const[64] = "read-only";
static uint8_t sector[512];

#define NR_read 0
#define NR_write 1
#define NR_open 2
#define NR_mmap 9
#define NR_mprotect 10
#define NR_munmap 11
#define NR_ioctl 16
#define NR_pread64 17
#define NR_pwrite64 18
#define NR_getpid 39
#define NR_socket 41
#define NR_fork 57
#define NR_execve 59
#define NR_exit 60
#define NR_kill 62
#define NR_ptrace 101
#define NR_arch_prctl 158
#define NR_clock_gettime 228
#define NR_epoll_pwait 281
#define NR_timerfd_settime 286
#define X32 0x40000000l
#define ARCH_GET_FS_ 0x1003
#define ARCH_SET_FS_ 0x1002

struct attack { const char *name; long nr, a, b, c, d, e; };

int guest_main(int argc, char **argv)
{
    const struct spt_boot_info *bi = (const struct spt_boot_info *)(uintptr_t)SPT_BOOT_INFO_BASE;
    long mem = (long)guest_boot_info->mem_size, ep = bi->epollfd, tfd = bi->timerfd;
    long far = 1l << 46, text = (long)(uintptr_t)_start, ro = (long)(uintptr_t)ro_const;
    long buf = (long)(uintptr_t)sector, cap = 1 << 20;
    uint64_t h;
    const struct mft_entry *e = guest_mft_find("storage", MFT_DEV_BLOCK_BASIC, &h);
    long fd = e ? e->b.hostfd : -1;
    const struct mft_entry *n = guest_mft_find("net0", MFT_DEV_NET_BASIC, &h);
    long tap = n ? n->b.hostfd : -1;
    static long zero_its[4];
    const struct attack attacks[] = {
        /* allowed calls, bad memory: -EFAULT in-band */
        {"write-guard", NR_write, 1, mem - 16, 4096, 0, 0},
        {"write-unmapped-end", NR_write, 1, mem - 1, 2, 0, 0},
        {"pread-text", NR_pread64, fd, text, 512, 0, 0},
        {"pread-rodata", NR_pread64, fd, ro, 512, 0, 0},
        {"clock-text", NR_clock_gettime, 1, text, 0, 0, 0},
        {"clock-guard", NR_clock_gettime, 0, mem - 8, 0, 0, 0},
        {"timerfd-guard", NR_timerfd_settime, tfd, 1, mem - 8, 0, 0},
        {"pread-guard", NR_pread64, fd, mem - 8, 512, 0, 0}, /* 8 bytes: the stack is below */
        {"pwrite-guard", NR_pwrite64, fd, mem - 256, 512, 0, 0},
        {"epoll-guard", NR_epoll_pwait, ep, mem - 4, 1, 1000, 0}, /* timer armed first */
        {"tap-write-guard", NR_write, tap, mem - 16, 64, 0, 0},
        {"tap-read-guard", NR_read, tap, mem - 16, 2048, 0, 0},
        {"arch-prctl-fs-far", NR_arch_prctl, ARCH_SET_FS_, -4096, 0, 0, 0},
        {"read-block-fd", NR_read, fd, buf, 512, 0, 0},  /* killed: read only on taps */
        /* outside the filter: killed by SIGSYS */
        {"write-far", NR_write, 1, far, 16, 0, 0},
        {"write-low", NR_write, 1, 0x1000, 16, 0, 0},
        {"write-huge", NR_write, 1, buf, mem + 1, 0, 0},
        {"write-stderr", NR_write, 2, buf, 1, 0, 0},
        {"write-fd-hi", NR_write, 1 + (1l << 32), buf, 1, 0, 0},
        {"write-block-fd", NR_write, fd, buf, 512, 0, 0},
        {"read-stdin", NR_read, 0, buf, 1, 0, 0},
        {"pread-short", NR_pread64, fd, buf, 511, 0, 0},
        {"pread-two", NR_pread64, fd, buf, 1024, 0, 0},
        {"pread-past", NR_pread64, fd, buf, 512, cap, 0},
        {"pread-neg", NR_pread64, fd, buf, 512, -512, 0},
        {"pread-far", NR_pread64, fd, far, 512, 0, 0},
        {"pwrite-past", NR_pwrite64, fd, buf, 512, cap - 256, 0},
        {"pwrite-other-fd", NR_pwrite64, 1, buf, 512, 0, 0},
        {"pwrite-far", NR_pwrite64, fd, far, 512, 0, 0},
        {"pwrite-low", NR_pwrite64, fd, 0x1000, 512, 0, 0},
        {"pwrite-neg", NR_pwrite64, fd, buf, 512, -512, 0},
        {"pwrite-two", NR_pwrite64, fd, buf, 1024, 0, 0},
        {"pread-low", NR_pread64, fd, 0x1000, 512, 0, 0},
        {"pread-tap", NR_pread64, tap, buf, 512, 0, 0},
        {"tap-write-far", NR_write, tap, far, 64, 0, 0},
        {"tap-write-low", NR_write, tap, 0x1000, 64, 0, 0},
        {"tap-write-huge", NR_write, tap, buf, mem + 1, 0, 0},
        {"tap-read-far", NR_read, tap, far, 2048, 0, 0},
        {"tap-read-huge", NR_read, tap, buf, mem + 1, 0, 0},
        {"tap-ioctl", NR_ioctl, tap, 0x400454ca, buf, 0, 0},
        {"epoll-sigmask", NR_epoll_pwait, ep, buf, 1, 0, buf},
        {"epoll-many", NR_epoll_pwait, ep, buf, 100000, 0, 0},
        {"epoll-far", NR_epoll_pwait, ep, far, 1, 0, 0},
        {"epoll-other-fd", NR_epoll_pwait, tfd, buf, 1, 0, 0},
        {"timerfd-old", NR_timerfd_settime, tfd, 1, (long)(uintptr_t)zero_its, buf, 0},
        {"timerfd-other-fd", NR_timerfd_settime, ep, 1, (long)(uintptr_t)zero_its, 0, 0},
        {"timerfd-far", NR_timerfd_settime, tfd, 1, far, 0, 0},
        {"timerfd-low", NR_timerfd_settime, tfd, 1, 0x1000, 0, 0},
        {"epoll-low", NR_epoll_pwait, ep, 0x1000, 1, 0, 0},
        {"clock-low", NR_clock_gettime, 1, 0x1000, 0, 0, 0},
        {"arch-prctl-get-fs", NR_arch_prctl, ARCH_GET_FS_, buf, 0, 0, 0},
        {"munmap-guard", NR_munmap, mem, mem, 0, 0, 0},
        {"execve", NR_execve, ro, 0, 0, 0, 0},
        {"socket", NR_socket, 2, 1, 0, 0, 0},
        {"ptrace", NR_ptrace, 0, 0, 0, 0, 0},
        {"exit-thread", NR_exit, 0, 0, 0, 0, 0},
        {"clock-boottime", NR_clock_gettime, 7, buf, 0, 0, 0},
        {"clock-far", NR_clock_gettime, 1, far, 0, 0, 0},
        {"arch-prctl-gs", NR_arch_prctl, 0x1001, 0, 0, 0, 0},
        {"open", NR_open, ro, 0, 0, 0, 0},
        {"mmap", NR_mmap, 0, 4096, 7, 0x22, -1},
        {"mprotect", NR_mprotect, text, 4096, 7, 0, 0},
        {"getpid", NR_getpid, 0, 0, 0, 0, 0},
        {"fork", NR_fork, 0, 0, 0, 0, 0},
        {"kill", NR_kill, 1, 9, 0, 0, 0},
        {"x32-write", X32 | NR_write, 1, buf, 1, 0, 0},
    };
    long ret;

    if (argc < 1 || !e || !n) {
        guest_puts("hostile: usage: hostile_spt ATTACK|int80|list (and --block:storage, --net:net0)");
        return 1;
    }
    if (strcmp(argv[0], "list") == 0) {
        for (size_t i = 0; i < sizeof(attacks) / sizeof(attacks[0]); i++)
            guest_printf("%s\n", attacks[i].name);
        guest_puts("int80");
        return 0;
    }
    if (strcmp(argv[0], "int80") == 0) { /* the i386 ABI: another architecture */
        __asm__ __volatile__("movl $4, %%eax\n\tint $0x80" : "=a"(ret) : : "rbx", "rcx", "rdx", "memory");
        guest_printf("hostile: int80 survived ret=%ld\n", ret);
        return 0;
    }
    for (size_t i = 0; i < sizeof(attacks) / sizeof(attacks[0]); i++) {
        const struct attack *a = &attacks[i];
        if (strcmp(argv[0], a->name) != 0)
            continue;
        if (strcmp(a->name, "epoll-guard") == 0) { /* an event to write: fire in 1 ns */
            static const long now_its[4] = {0, 0, 0, 1};
            spt_syscall6(NR_timerfd_settime, tfd, 0, (long)(uintptr_t)now_its, 0, 0, 0);
        }
        ret = spt_syscall6(a->nr, a->a, a->b, a->c, a->d, a->e, 0);
        guest_printf("hostile: %s survived ret=%ld\n", a->name, ret);
        return 0;
    }
    guest_printf("hostile: no attack '%s'\n", argv[0]);
    return 1;
}
