/* test_spt_cli.c: uniroot-spt's command line: the monitors' shared parser
 * (runtime/tender/cli.c) taking solo5-spt's options: what a runtime passes for
 * an spt guest must parse into the same options, and mistakes must be one
 * clear error. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spt.h"
#include "tender_fixture.h"

#define ARGC(a) ((int)(sizeof(a) / sizeof((a)[0])) - 1)

static const struct tender_registry *reg(void)
{
    return test_registry(&spt_monitor);
}

static void test_full_line(void **s)
{
    (void)s;
    char *argv[] = {"uniroot-spt", "--mem=64", "--block:rootfs=/tmp/x.img",
                    "--block-sector-size:rootfs=4096", "--net:service=@5",
                    "--net-mac:service=02:00:00:00:00:07", "--ready-fd=3",
                    "--start-fifo=/run/x/start", "--", "app.spt", "-l", "x", NULL};
    struct tender_opts o;
    struct ur_err e = {0};
    assert_int_equal(tender_parse_args(reg(), ARGC(argv), argv, &o, &e), 0);
    assert_int_equal(o.mem_bytes, 64ull << 20);
    assert_int_equal(o.ndev, 4);
    assert_int_equal((void *)o.dev[0].opt, (void *)&tender_block_module.opts[0]);
    assert_string_equal(o.dev[0].name, "rootfs");
    assert_string_equal(o.dev[0].value, "/tmp/x.img");
    assert_int_equal((void *)o.dev[2].opt, (void *)&tender_net_module.opts[0]);
    assert_string_equal(o.dev[2].value, "@5");
    assert_int_equal(o.ready_fd, 3);
    assert_string_equal(o.start_fifo, "/run/x/start");
    assert_string_equal(o.kernel, "app.spt");
    assert_int_equal(o.guest_argc, 2);
    assert_string_equal(o.guest_argv[0], "-l");
    assert_null(o.guest_argv[2]);
}

static void test_errors(void **s)
{
    (void)s;
    struct {
        char *arg;
        const char *msg;
    } bad[] = {
        {"--mem=1", "memory"},
        {"--block:bad-name=/x", "NAME"},
        {"--block-sector-size:a=1000", "power of two"},
        {"--net-mac:n=01:00:00:00:00:01", "unicast"},
        {"--ready-fd=1", ">= 3"},
        {"--x-exec-heap", "unknown option"}, /* solo5-spt's, refused: nothing is writable+executable */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char *argv[] = {"uniroot-spt", bad[i].arg, "k.spt", NULL};
        struct tender_opts o;
        struct ur_err e = {0};
        assert_int_equal(tender_parse_args(reg(), ARGC(argv), argv, &o, &e), -EINVAL);
        assert_non_null(strstr(e.msg, bad[i].msg));
    }
    char *none[] = {"uniroot-spt", "--mem=8", NULL};
    struct tender_opts o;
    struct ur_err e = {0};
    assert_true(tender_parse_args(reg(), ARGC(none), none, &o, &e) < 0);
    assert_non_null(strstr(e.msg, "no unikernel"));
}

/* spt's own memory bound: more than hvt's 4096 MB (an hvt limit, not an spt
 * one), up to SPT_MAX_MEM; the usage names uniroot-spt and that bound. */
static void test_memory_bound(void **s)
{
    (void)s;
    struct tender_opts o;
    struct ur_err e = {0};
    char *ok[] = {"uniroot-spt", "--mem=8192", "k.spt", NULL};
    assert_int_equal(tender_parse_args(reg(), ARGC(ok), ok, &o, &e), 0);
    assert_int_equal(o.mem_bytes, 8192ull << 20);
    char *max[] = {"uniroot-spt", "--mem=65536", "k.spt", NULL};
    assert_int_equal(tender_parse_args(reg(), ARGC(max), max, &o, &e), 0);
    assert_int_equal(o.mem_bytes, SPT_MAX_MEM);
    char *big[] = {"uniroot-spt", "--mem=65537", "k.spt", NULL};
    assert_int_equal(tender_parse_args(reg(), ARGC(big), big, &o, &e), -EINVAL);
    assert_non_null(strstr(e.msg, "can have at most 65536 MB"));
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    tender_usage(reg(), f);
    fclose(f);
    assert_non_null(strstr(text, "usage: uniroot-spt "));
    assert_non_null(strstr(text, "2 to 65536"));
    assert_null(strstr(text, "uniroot-vmm"));
    assert_null(strstr(text, "hvt"));
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_full_line),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_memory_bound),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
