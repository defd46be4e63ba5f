/* test_spt_filter.c: uniroot-spt's seccomp assembler (runtime/tender/bpf.c) and
 * the guest's rules (filter.c). Each filter is installed for real in a forked
 * child that makes one system call and exits: allowed calls must return,
 * anything else must kill the child with SIGSYS. close() of a descriptor
 * that is not open is the harmless call whose argument the rules judge. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "spt.h"

#define MAXF 512
#define PASS 0
#define KILLED (-SIGSYS)

/* Fork; the child installs filter then makes syscall nr(a0..a3) and exits 0.
 * Returns PASS, KILLED, or another status/signal for a surprise. */
static int run(const struct sock_filter *f, unsigned n, long nr, long a0, long a1, long a2, long a3)
{
    pid_t p = fork();
    assert_true(p >= 0);
    if (p == 0) {
        struct ur_err e;
        if (tender_bpf_install(f, n, &e) < 0)
            _exit(99);
        syscall(nr, a0, a1, a2, a3, 0l, 0l);
        syscall(SYS_exit_group, 0);
        _exit(98);
    }
    int st;
    assert_int_equal(waitpid(p, &st, 0), p);
    if (WIFSIGNALED(st))
        return -WTERMSIG(st);
    return WEXITSTATUS(st);
}

static unsigned build(const struct tender_rule *r, unsigned nr, struct sock_filter *out)
{
    struct ur_err e = {0};
    int n = tender_bpf_build(r, nr, out, MAXF, &e);
    assert_true(n > 0);
    return (unsigned)n;
}

#define BIG 0x100000005l /* both halves matter */
#define EXIT_RULE {.nr = SYS_exit_group}

static void test_eq(void **s)
{
    (void)s;
    const struct tender_rule r[] = {EXIT_RULE, {SYS_close, 1, {{0, TENDER_EQ, BIG}}}};
    struct sock_filter f[MAXF];
    unsigned n = build(r, 2, f);
    assert_int_equal(run(f, n, SYS_close, BIG, 0, 0, 0), PASS);
    assert_int_equal(run(f, n, SYS_close, 5, 0, 0, 0), KILLED);         /* low half only */
    assert_int_equal(run(f, n, SYS_close, 0x100000000l, 0, 0, 0), KILLED);
    assert_int_equal(run(f, n, SYS_close, 0x200000005l, 0, 0, 0), KILLED);
    assert_int_equal(run(f, n, SYS_getppid, 0, 0, 0, 0), KILLED);       /* no rule */
}

static void test_le_ge(void **s)
{
    (void)s;
    const struct tender_rule le[] = {EXIT_RULE, {SYS_close, 1, {{0, TENDER_LE, BIG}}}};
    const struct tender_rule ge[] = {EXIT_RULE, {SYS_close, 1, {{0, TENDER_GE, BIG}}}};
    struct sock_filter f[MAXF];
    unsigned n = build(le, 2, f);
    assert_int_equal(run(f, n, SYS_close, 5, 0, 0, 0), PASS);
    assert_int_equal(run(f, n, SYS_close, 0xffffffffl, 0, 0, 0), PASS);
    assert_int_equal(run(f, n, SYS_close, BIG, 0, 0, 0), PASS);
    assert_int_equal(run(f, n, SYS_close, BIG + 1, 0, 0, 0), KILLED);
    assert_int_equal(run(f, n, SYS_close, 0x200000000l, 0, 0, 0), KILLED);
    assert_int_equal(run(f, n, SYS_close, -1, 0, 0, 0), KILLED);
    n = build(ge, 2, f);
    assert_int_equal(run(f, n, SYS_close, BIG, 0, 0, 0), PASS);
    assert_int_equal(run(f, n, SYS_close, 0x200000000l, 0, 0, 0), PASS);
    assert_int_equal(run(f, n, SYS_close, BIG - 1, 0, 0, 0), KILLED);
    assert_int_equal(run(f, n, SYS_close, 0xffffffffl, 0, 0, 0), KILLED);
}

/* Conditions of one rule all hold (AND); rules are alternatives (OR). */
static void test_and_or(void **s)
{
    (void)s;
    const struct tender_rule r[] = {
        EXIT_RULE,
        {SYS_close, 2, {{0, TENDER_GE, 1000}, {0, TENDER_LE, 2000}}},
        {SYS_close, 1, {{0, TENDER_EQ, 7}}},
        {SYS_lseek, 2, {{0, TENDER_EQ, 1000}, {2, TENDER_EQ, SEEK_SET}}},
    };
    struct sock_filter f[MAXF];
    unsigned n = build(r, 4, f);
    assert_int_equal(run(f, n, SYS_close, 1500, 0, 0, 0), PASS);
    assert_int_equal(run(f, n, SYS_close, 7, 0, 0, 0), PASS);
    assert_int_equal(run(f, n, SYS_close, 999, 0, 0, 0), KILLED);
    assert_int_equal(run(f, n, SYS_close, 2001, 0, 0, 0), KILLED);
    assert_int_equal(run(f, n, SYS_lseek, 1000, 0, SEEK_SET, 0), PASS);
    assert_int_equal(run(f, n, SYS_lseek, 1000, 0, SEEK_END, 0), KILLED);
    assert_int_equal(run(f, n, SYS_lseek, 1001, 0, SEEK_SET, 0), KILLED);
    /* an x32 number of an allowed call */
    assert_int_equal(run(f, n, 0x40000000l | SYS_close, 7, 0, 0, 0), KILLED);
}

static void test_limits(void **s)
{
    (void)s;
    struct tender_rule r[] = {{SYS_close, 1, {{6, TENDER_EQ, 0}}}};
    struct sock_filter f[MAXF];
    struct ur_err e = {0};
    assert_int_equal(tender_bpf_build(r, 1, f, MAXF, &e), -EINVAL);  /* argument 6 */
    r[0].a[0].arg = 0;
    assert_int_equal(tender_bpf_build(r, 1, f, 8, &e), -E2BIG);      /* no room */
    assert_non_null(strstr(e.msg, "longer"));
}

/* The guest's rules: a block device of 8 sectors on fd bfd, memory below 1 MiB. */
static void test_guest_rules(void **s)
{
    (void)s;
    int bfd = open("/dev/zero", O_RDONLY);
    assert_true(bfd >= 0);
    static uint64_t store[(sizeof(struct mft) + 2 * sizeof(struct mft_entry)) / 8 + 1];
    struct mft *mp = (struct mft *)store;
    struct { struct mft_entry *e; } m = {mp->e};
    mp->version = MFT_VERSION;
    mp->entries = 2;
    m.e[1].type = MFT_DEV_BLOCK_BASIC;
    m.e[1].attached = 1;
    m.e[1].b.hostfd = bfd;
    m.e[1].u.block_basic.block_size = 512;
    m.e[1].u.block_basic.capacity = 8 * 512;
    /* guest memory is the child's own: a static buffer stands in for it */
    static char buf[4096] __attribute__((aligned(4096)));
    uintptr_t lo = (uintptr_t)buf;
    struct spt_fds fds = {.epollfd = 1000, .timerfd = 1001};
    struct tender_ctx ctx = {.mem_size = lo + sizeof(buf), .mft = mp};
    struct tender_registry reg;
    struct ur_err re = {0};
    assert_int_equal(tender_registry_init(&reg, &spt_monitor, &re), 0);
    static struct tender_rule r[SPT_MAX_RULES];
    unsigned nr = spt_filter_rules(&fds, &reg, &ctx, r);
    /* the rules assume memory from SPT_HOST_MEM_BASE: move the floor to buf */
    for (unsigned i = 0; i < nr; i++)
        for (unsigned k = 0; k < r[i].nargs; k++)
            if (r[i].a[k].cmp == TENDER_GE && r[i].a[k].val == SPT_HOST_MEM_BASE)
                r[i].a[k].val = lo;
    struct sock_filter f[MAXF];
    unsigned n = build(r, nr, f);
    long b = (long)buf;
    assert_int_equal(run(f, n, SYS_pread64, bfd, b, 512, 0), PASS);
    assert_int_equal(run(f, n, SYS_pread64, bfd, b, 512, 7 * 512), PASS);
    assert_int_equal(run(f, n, SYS_pread64, bfd, b, 512, 7 * 512 + 1), KILLED); /* past the end */
    assert_int_equal(run(f, n, SYS_pread64, bfd, b, 1024, 0), KILLED);          /* two sectors */
    assert_int_equal(run(f, n, SYS_pread64, bfd, b - 4096, 512, 0), KILLED);    /* below memory */
    assert_int_equal(run(f, n, SYS_pread64, bfd, b + 4096, 512, 0), KILLED);    /* above memory */
    assert_int_equal(run(f, n, SYS_pread64, 0, b, 512, 0), KILLED);             /* other fd */
    assert_int_equal(run(f, n, SYS_write, 1, b, 0, 0), PASS);
    assert_int_equal(run(f, n, SYS_write, 2, b, 0, 0), KILLED);
    assert_int_equal(run(f, n, SYS_write, 1, b, (long)ctx.mem_size + 1, 0), KILLED);
    assert_int_equal(run(f, n, SYS_read, bfd, b, 1, 0), KILLED);                /* not a tap */
    assert_int_equal(run(f, n, SYS_clock_gettime, CLOCK_MONOTONIC, b, 0, 0), PASS);
    assert_int_equal(run(f, n, SYS_clock_gettime, CLOCK_BOOTTIME, b, 0, 0), KILLED);
    assert_int_equal(run(f, n, SYS_timerfd_settime, 1001, 0, b, 0), PASS);      /* EBADF here */
    assert_int_equal(run(f, n, SYS_timerfd_settime, 1001, 0, b, b), KILLED);    /* old value */
    assert_int_equal(run(f, n, SYS_epoll_pwait, 1000, b, 1, 0), PASS);
    assert_int_equal(run(f, n, SYS_epoll_pwait, 1000, b, 1000, 0), KILLED);
    assert_int_equal(run(f, n, SYS_getpid, 0, 0, 0, 0), KILLED);
    close(bfd);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_eq),
        cmocka_unit_test(test_le_ge),
        cmocka_unit_test(test_and_or),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_guest_rules),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
