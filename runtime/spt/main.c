/* main.c: uniroot-spt, a monitor ("tender") for Solo5 spt unikernels.
 *
 * The guest runs in this very process: its memory is this process's
 * addresses SPT_HOST_MEM_BASE..mem_size, its ELF segments are mapped with
 * their own protections (code r-x, constants r--, data and bss rw-, nothing
 * writable and executable), and it calls the host kernel itself, through a
 * seccomp filter (filter.c) that allows only its bindings' calls on the
 * descriptors opened here. Order: parse the command line (the shared one,
 * runtime/tender); read and check the image (the shared reader, target
 * spt); map and load it; attach devices (the shared modules); write the boot
 * info; build the filter; report ready and wait for start; install the
 * filter and jump to the guest's entry with %rsp = mem_size - 8 and %rdi =
 * the boot info, as Solo5's spt ABI says. Nothing of the monitor runs after
 * that except the signal handlers below, which end the process.
 *
 * Exit statuses, as uniroot-vmm's: the guest's own (0..255); 1 on a setup
 * error; 255 if the guest faulted (SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP:
 * nothing is printed, the filter leaves no way to); 128+N when stopped by
 * signal N (SIGTERM, SIGINT). A guest that makes a system call outside the
 * filter is killed by the kernel with SIGSYS: its parent sees the process
 * killed by signal 31 (a shell reports 159), no exit status at all.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/personality.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "spt.h"

#define SPT_VERSION TENDER_VERSION
#define MAX_FILTER BPF_MAXINSNS /* the kernel's bound: 63 block devices need ~2800 */

extern char __executable_start;

struct spt {
    struct tender_ctx t;  /* mem is NULL: guest addresses are this process's */
    struct tender_registry reg;
    struct spt_fds fds;
    struct sock_filter filter[MAX_FILTER];
    unsigned filter_len;
};

/* Guest memory at its fixed place: reserve [SPT_HOST_MEM_BASE, 2 * mem_size)
 * (the upper half stays PROT_NONE, a guard the filter relies on; the
 * reservation refuses to replace anything), make the lower half read-write
 * in place (MAP_FIXED over our own reservation only), load the image straight
 * there and give each read-only segment its protection. Guest addresses are
 * this process's, so the loader is given guest address 0 as its base. */
static int map_guest(struct spt *s, const struct elf_image *img, struct ur_err *err)
{
    const uint64_t m = s->t.mem_size, base = SPT_HOST_MEM_BASE;
    if ((uint64_t)(uintptr_t)&__executable_start < 2 * m)
        return ur_errf(err, -ENOMEM, "this monitor is loaded at %p, inside the guest's %llu MiB "
                       "(build it as a position-independent executable)",
                       (void *)&__executable_start, (unsigned long long)(m >> 20));
    void *r = mmap((void *)(uintptr_t)base, 2 * m - base, PROT_NONE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED_NOREPLACE, -1, 0);
    if (r == MAP_FAILED || r != (void *)(uintptr_t)base)
        return ur_errf_sys(err, r == MAP_FAILED ? -errno : -EEXIST,
                           "cannot reserve guest memory at 0x%llx..0x%llx", (unsigned long long)base,
                           (unsigned long long)(2 * m));
    if (mmap(r, m - base, PROT_READ | PROT_WRITE,
             MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1, 0) != r)
        return ur_errf_sys(err, -errno, "cannot allocate %llu MiB of guest memory",
                           (unsigned long long)(m >> 20));
    struct tender_ro *ro = &s->t.ro;
    int rc = elf_image_load(img, (uint8_t *)(uintptr_t)0, m, &s->t.entry, &s->t.kernel_end, ro, err);
    if (rc < 0)
        return rc;
    for (unsigned i = 0; i < ro->n; i++)
        if (mprotect((void *)(uintptr_t)ro->start[i], ro->end[i] - ro->start[i],
                     PROT_READ | (ro->exec[i] ? PROT_EXEC : 0)) < 0)
            return ur_errf_sys(err, -errno, "cannot protect the guest's segments");
    return 0;
}

/* Read and check the image (spt target) and load it at its place. */
static int load_image(struct spt *s, const char *path, struct ur_err *err)
{
    struct tender_image ti;
    int rc = tender_image_open(&ti, path, SOLO5_ABI_TARGET_SPT, &s->t, err);
    if (rc < 0)
        return rc;
    if ((rc = map_guest(s, ti.img, err)) < 0)
        ur_err_wrap(err, "%s", path);
    tender_image_close(&ti);
    return rc;
}

/* The epoll set the guest yields on: the timer, then every net device with
 * its manifest index as data (the bit it sets in the ready set). */
static int setup_epoll(struct spt *s, struct ur_err *err)
{
    s->fds.epollfd = epoll_create1(EPOLL_CLOEXEC);
    s->fds.timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    if (s->fds.epollfd < 0 || s->fds.timerfd < 0)
        return ur_errf_sys(err, -errno, "cannot create the guest's epoll set and timer");
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = SPT_INTERNAL_TIMERFD};
    if (epoll_ctl(s->fds.epollfd, EPOLL_CTL_ADD, s->fds.timerfd, &ev) < 0)
        return ur_errf_sys(err, -errno, "epoll_ctl");
    for (unsigned i = 0; i < s->t.npollfds; i++) {
        ev = (struct epoll_event){.events = EPOLLIN, .data.u64 = s->t.pollidx[i]};
        if (epoll_ctl(s->fds.epollfd, EPOLL_CTL_ADD, s->t.pollfds[i].fd, &ev) < 0)
            return ur_errf_sys(err, -errno, "epoll_ctl");
    }
    return 0;
}

/* Boot info at SPT_BOOT_INFO_BASE, then the manifest, then the command line. */
static int write_boot_info(struct spt *s, char *const *argv, struct ur_err *err)
{
    uint8_t *p = (uint8_t *)(uintptr_t)SPT_BOOT_INFO_BASE;
    struct spt_boot_info *bi = (struct spt_boot_info *)p;
    uint64_t pos = SPT_BOOT_INFO_BASE + sizeof(*bi);
    bi->mem_size = s->t.mem_size;
    bi->kernel_end = s->t.kernel_end;
    bi->epollfd = s->fds.epollfd;
    bi->timerfd = s->fds.timerfd;
    bi->mft = pos;
    memcpy((void *)(uintptr_t)pos, s->t.mft, s->t.mft_size);
    pos = (pos + s->t.mft_size + 7) & ~7ull;
    bi->cmdline = pos;
    char *c = (char *)(uintptr_t)pos;
    size_t used = 0;
    c[0] = '\0';
    for (char *const *a = argv; *a; a++) {
        size_t l = strlen(*a);
        if (used + l + (used ? 1 : 0) >= SPT_CMDLINE_SIZE)
            return ur_errf(err, -E2BIG, "guest command line too long (at most %u characters)",
                           SPT_CMDLINE_SIZE - 1);
        if (used)
            c[used++] = ' ';
        memcpy(c + used, *a, l + 1);
        used += l;
    }
    return 0;
}

static int prepare(struct spt *s, const struct tender_opts *o, struct ur_err *err)
{
    int persona = personality(0xffffffff);
    if (persona < 0 || (persona & READ_IMPLIES_EXEC))
        return ur_errf(err, -EPERM, "the process personality has READ_IMPLIES_EXEC: "
                       "guest data would be executable");
    s->t.mem_size = o->mem_bytes;
    int rc = load_image(s, o->kernel, err);
    if (rc < 0)
        return rc;
    if ((rc = tender_attach_all(&s->reg, &s->t, o, err)) < 0 || (rc = setup_epoll(s, err)) < 0 ||
        (rc = write_boot_info(s, o->guest_argv, err)) < 0)
        return rc;
    static struct tender_rule rules[SPT_MAX_RULES];
    unsigned n = spt_filter_rules(&s->fds, &s->reg, &s->t, rules);
    if ((rc = tender_bpf_build(rules, n, s->filter, MAX_FILTER, err)) < 0)
        return rc;
    s->filter_len = (unsigned)rc;
    return 0;
}

/* The signal handlers, installed once before the wait for start and kept
 * while the guest runs (so they may only make calls the filter allows): a
 * stop signal ends the process with 128+N at once, in either phase (there is
 * nothing to undo: the guest has not started, or it is gone with us). */
static void on_stop(int sig)
{
    syscall(SYS_exit_group, TENDER_EXIT_SIGNAL_BASE + sig);
}

static void on_fault(int sig)
{
    (void)sig;
    syscall(SYS_exit_group, TENDER_EXIT_GUEST_FAULT);
}

static uint8_t altstack[64 * 1024] __attribute__((aligned(16)));

static int install_signals(struct ur_err *err)
{
    stack_t ss = {.ss_sp = altstack, .ss_size = sizeof(altstack)};
    if (sigaltstack(&ss, NULL) < 0)
        return ur_errf_sys(err, -errno, "sigaltstack");
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sigfillset(&sa.sa_mask);
    sa.sa_flags = SA_ONSTACK;
    sa.sa_handler = on_stop;
    const int stops[] = {SIGTERM, SIGINT, SIGHUP};
    for (unsigned i = 0; i < sizeof(stops) / sizeof(stops[0]); i++)
        if (sigaction(stops[i], &sa, NULL) < 0)
            return ur_errf_sys(err, -errno, "sigaction");
    sa.sa_handler = on_fault;
    sa.sa_flags = SA_ONSTACK | SA_NODEFER;
    const int faults[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP};
    for (unsigned i = 0; i < sizeof(faults) / sizeof(faults[0]); i++)
        if (sigaction(faults[i], &sa, NULL) < 0)
            return ur_errf_sys(err, -errno, "sigaction");
    /* A closed console is a serial line nobody reads (as runtime/tender/signal.c). */
    sa.sa_handler = SIG_IGN;
    sa.sa_flags = 0;
    if (sigaction(SIGPIPE, &sa, NULL) < 0)
        return ur_errf_sys(err, -errno, "sigaction");
    return 0;
}

/* Enter the guest: its stack at the top of its memory, boot info in %rdi. */
__attribute__((noreturn)) static void launch(uint64_t entry, uint64_t sp, uint64_t bi)
{
    __asm__ __volatile__("movq %0, %%rsp\n\t"
                         "xorl %%ebp, %%ebp\n\t"
                         "jmpq *%1"
                         :
                         : "r"(sp), "r"(entry), "D"(bi)
                         : "memory");
    __builtin_unreachable();
}

static struct spt spt;

int main(int argc, char *argv[])
{
    struct ur_err err = {0};
    struct tender_opts o;
    if (tender_registry_init(&spt.reg, &spt_monitor, &err) < 0 ||
        tender_parse_args(&spt.reg, argc, argv, &o, &err) < 0) {
        fprintf(stderr, "uniroot-spt: %s\n", err.msg);
        return TENDER_EXIT_SETUP;
    }
    if (o.help) {
        tender_usage(&spt.reg, stdout);
        return 0;
    }
    if (o.version) {
        printf("uniroot-spt %s (Solo5 spt ABI %d, x86_64)\n", SPT_VERSION, SPT_ABI_VERSION);
        return 0;
    }
    spt.fds.epollfd = spt.fds.timerfd = -1;
    if (prepare(&spt, &o, &err) < 0) {
        tender_report_setup_error(&spt.reg, &o, &err);
        return TENDER_EXIT_SETUP;
    }
    if (install_signals(&err) < 0 || tender_wait_for_start(&o, &err) < 0 || fflush(NULL) != 0 ||
        tender_bpf_install(spt.filter, spt.filter_len, &err) < 0) {
        fprintf(stderr, "uniroot-spt: %s\n", err.msg);
        return TENDER_EXIT_SETUP;
    }
    launch(spt.t.entry, spt.t.mem_size - 8, SPT_BOOT_INFO_BASE);
}
