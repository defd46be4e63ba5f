/* test_vmm_cli.c: uniroot-vmm's command line (solo5-hvt's, plus extensions). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>

#include "vmm_fixture.h"
#include "tender_fixture.h"

#define ARGV(...) ((char *const[]){"uniroot-vmm", __VA_ARGS__, NULL})
#define ARGC(...) ((int)(sizeof((char *const[]){"uniroot-vmm", __VA_ARGS__}) / sizeof(char *)))
#define PARSE(o, err, ...) tender_parse_args(reg(), ARGC(__VA_ARGS__), ARGV(__VA_ARGS__), o, err)

static const struct tender_registry *reg(void)
{
    return test_registry(&vmm_monitor);
}

static void full_command_line(void **state)
{
    (void)state;
    struct tender_opts o;
    struct ur_err err = {0};
    assert_int_equal(PARSE(&o, &err, "--mem=64", "--block:rootfs=/dev/loop3",
                           "--block-sector-size:rootfs=4096", "--net:service=tap0",
                           "--net-mac:service=02:00:00:00:00:01", "--", "kernel.hvt", "-x", "y"), 0);
    assert_int_equal(o.mem_bytes, 64ull << 20);
    assert_int_equal(o.ndev, 4);
    assert_int_equal((void *)o.dev[0].opt, (void *)&tender_block_module.opts[0]);
    assert_string_equal(o.dev[0].name, "rootfs");
    assert_string_equal(o.dev[0].value, "/dev/loop3");
    assert_int_equal((void *)o.dev[1].opt, (void *)&tender_block_module.opts[1]);
    assert_string_equal(o.dev[2].name, "service");
    assert_string_equal(o.kernel, "kernel.hvt");
    assert_int_equal(o.guest_argc, 2);
    assert_string_equal(o.guest_argv[0], "-x"); /* after the kernel everything is the guest's */
    assert_null(o.guest_argv[2]);
    assert_int_equal(o.ready_fd, -1);
}

static void defaults_and_extensions(void **state)
{
    (void)state;
    struct tender_opts o;
    struct ur_err err = {0};
    assert_int_equal(PARSE(&o, &err, "--ready-fd=5", "--start-fifo=/run/x/exec.fifo", "k"), 0);
    assert_int_equal(o.mem_bytes, (uint64_t)TENDER_DEFAULT_MEM_MB << 20);
    assert_int_equal(o.ready_fd, 5);
    assert_string_equal(o.start_fifo, "/run/x/exec.fifo");
    assert_int_equal(o.guest_argc, 0);
    assert_int_equal(PARSE(&o, &err, "--help"), 0);
    assert_true(o.help);
    assert_int_equal(PARSE(&o, &err, "--version"), 0);
    assert_true(o.version);
}

static void rejects(void **state)
{
    (void)state;
    struct tender_opts o;
    const struct { char *const *argv; int argc; const char *needle; } cases[] = {
        {ARGV("--frobnicate", "k"), 3, "unknown option '--frobnicate'"},
        {ARGV("-x", "k"), 3, "unknown option"},
        {ARGV("--mem=0", "k"), 3, "memory"},
        {ARGV("--mem=1", "k"), 3, "memory"},
        {ARGV("--mem=4097", "k"), 3, "at most 4096 MB"},
        {ARGV("--mem=8192", "k"), 3, "32-bit"},
        {ARGV("--mem=18446744073709551615", "k"), 3, "at most 4096 MB"},
        {ARGV("--mem=12abc", "k"), 3, "memory"},
        {ARGV("--mem=-5", "k"), 3, "memory"},
        {ARGV("--mem=99999999999999999999999", "k"), 3, "memory"},
        {ARGV("--block:=x", "k"), 3, "NAME"},
        {ARGV("--block:bad-name=x", "k"), 3, "NAME"},
        {ARGV("--block:disk", "k"), 3, "NAME=VALUE"},
        {ARGV("--block:disk=", "k"), 3, "empty value"},
        {ARGV("--block:disk=a", "--block:disk=b", "k"), 4, "twice"},
        {ARGV("--block-sector-size:disk=1000", "k"), 3, "power of two"},
        {ARGV("--block-sector-size:disk=256", "k"), 3, "power of two"},
        {ARGV("--block-sector-size:disk=65536", "k"), 3, "power of two"},
        {ARGV("--net-mac:n=01:00:00:00:00:01", "k"), 3, "MAC"},
        {ARGV("--net-mac:n=02:00:00:00:00", "k"), 3, "MAC"},
        {ARGV("--net-mac:n=02:00:00:00:00:01:", "k"), 3, "MAC"},
        {ARGV("--ready-fd=1", "k"), 3, "descriptor"},
        {ARGV("--ready-fd=x", "k"), 3, "descriptor"},
        {ARGV("--start-fifo=", "k"), 3, "empty path"},
        {ARGV("--mem=32"), 2, "no unikernel"},
        {ARGV("--"), 2, "no unikernel"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct ur_err err = {0};
        int rc = tender_parse_args(reg(), cases[i].argc, cases[i].argv, &o, &err);
        if (rc >= 0 || !strstr(err.msg, cases[i].needle))
            fail_msg("case %zu (%s): rc=%d msg='%s', want '%s'", i, cases[i].argv[1], rc, err.msg,
                     cases[i].needle);
    }
}

/* Every size from the smallest to the largest an hvt guest can address is taken. */
static void memory_limits(void **state)
{
    (void)state;
    struct tender_opts o;
    struct ur_err err = {0};
    assert_int_equal(PARSE(&o, &err, "--mem=2", "k"), 0);
    assert_int_equal(o.mem_bytes, 2ull << 20);
    assert_int_equal(PARSE(&o, &err, "--mem=4096", "k"), 0);
    assert_int_equal(o.mem_bytes, 4096ull << 20);
    assert_true(PARSE(&o, &err, "--mem=4097", "k") < 0);
    assert_non_null(strstr(err.msg, "hvt guest can have at most 4096 MB"));
}

static void too_many_devices(void **state)
{
    (void)state;
    char *argv[TENDER_MAX_DEVICE_OPTS + 4];
    char names[TENDER_MAX_DEVICE_OPTS + 1][32];
    int argc = 0;
    argv[argc++] = "uniroot-vmm";
    for (int i = 0; i <= TENDER_MAX_DEVICE_OPTS; i++) {
        snprintf(names[i], sizeof(names[i]), "--block:d%d=/x", i);
        argv[argc++] = names[i];
    }
    argv[argc++] = "k";
    argv[argc] = NULL;
    struct tender_opts o;
    struct ur_err err = {0};
    assert_true(tender_parse_args(reg(), argc, argv, &o, &err) < 0);
    assert_non_null(strstr(err.msg, "too many"));
}

static void mac_parsing(void **state)
{
    (void)state;
    uint8_t mac[6];
    assert_int_equal(net_parse_mac("02:aB:cd:EF:01:ff", mac), 0);
    assert_int_equal(mac[1], 0xab);
    assert_int_equal(mac[5], 0xff);
    assert_true(net_parse_mac("03:00:00:00:00:00", mac) < 0); /* multicast */
    assert_true(net_parse_mac("02-00-00-00-00-00", mac) < 0);
    assert_true(net_parse_mac("", mac) < 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(full_command_line),
        cmocka_unit_test(defaults_and_extensions),
        cmocka_unit_test(rejects),
        cmocka_unit_test(memory_limits),
        cmocka_unit_test(too_many_devices),
        cmocka_unit_test(mac_parsing),
    };
    return cmocka_run_group_tests_name("uniroot-vmm command line", tests, NULL, NULL);
}
