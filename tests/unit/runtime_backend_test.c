/* runtime_backend_test.c: unit tests of the runtime's monitor backends
 * (backend*.c): the table and its lookups, the types each runs, the monitor
 * path and its environment override, the node check (hvt: /dev/kvm), and the
 * Solo5 command line with the fds the monitor inherits. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backend.h"
#include "solo5_abi.h"

static void table(void **st)
{
    (void)st;
    assert_ptr_equal(backend_find("hvt"), &backend_hvt);
    assert_ptr_equal(backend_find("spt"), &backend_spt);
    assert_null(backend_find("qemu"));
    assert_null(backend_find(""));
    assert_int_equal(backend_hvt.solo5_target, SOLO5_ABI_TARGET_HVT);
    assert_int_equal(backend_spt.solo5_target, SOLO5_ABI_TARGET_SPT);
    assert_string_equal(backend_spt.monitor, "uniroot-spt");
    assert_string_equal(backend_spt.monitor_env, "UNIROOT_SPT");
    assert_int_equal(backend_hvt.max_mem_mb, 4096);  /* hvt's 32-bit hypercall addresses */
    assert_int_equal(backend_spt.max_mem_mb, 65536); /* uniroot-spt's --mem bound */
    char buf[256];
    backend_names(buf, sizeof(buf), ",");
    assert_string_equal(buf, "hvt,spt");
    backend_type_names(buf, sizeof(buf));
    assert_string_equal(buf, "solo5,rumprun,mirage,includeos");
    for (unsigned i = 0; i < n_backends; i++) {
        assert_non_null(backends[i]->command);
        assert_non_null(backends[i]->start);
    }
}

static void selection(void **st)
{
    (void)st;
    struct uk_desc d = {.type = "rumprun", .hypervisor = "spt", .binary = "/k"};
    const struct backend *b = NULL;
    struct ur_err e;
    assert_int_equal(backend_for(&d, &b, &e), 0);
    assert_ptr_equal(b, &backend_spt);
    strcpy(d.type, "includeos");
    b = NULL;
    assert_int_equal(backend_for(&d, &b, &e), -ENOTSUP);
    assert_null(b);
    assert_string_equal(e.msg, "unikernel type \"includeos\" is not supported on spt "
                               "(supported: solo5, rumprun, mirage)");
    strcpy(d.hypervisor, "hvt");
    assert_int_equal(backend_for(&d, &b, &e), 0);
    assert_ptr_equal(b, &backend_hvt);
    strcpy(d.hypervisor, "firecracker");
    assert_int_equal(backend_for(&d, &b, &e), -ENOTSUP);
    assert_string_equal(e.msg, "hypervisor \"firecracker\" is not supported: uniroot runs unikernels "
                               "on hypervisor \"hvt\" (uniroot-vmm) and \"spt\" (uniroot-spt)");
    assert_true(backend_supports_fs(&backend_spt, "solo5", "ext3"));
    assert_false(backend_supports_fs(&backend_spt, "mirage", "ext2"));
    assert_false(backend_supports_fs(NULL, "solo5", "ext4"));
}

static void monitor_path(void **st)
{
    (void)st;
    bool over = true;
    unsetenv("UNIROOT_SPT");
    setenv("PATH", "/nonexistent", 1);
    /* beside this program (build/bin/ has uniroot-spt once it is built), else
     * (not on PATH either) the installed place */
    char beside[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", beside, sizeof(beside) - 32);
    assert_true(n > 0);
    beside[n] = '\0';
    strcpy(strrchr(beside, '/') + 1, "uniroot-spt");
    const char *dflt = access(beside, X_OK) == 0 ? beside : "/usr/local/bin/uniroot-spt";
    assert_string_equal(backend_monitor(&backend_spt, NULL, &over), dflt);
    assert_false(over);
    setenv("UNIROOT_SPT", "/opt/spt-monitor", 1);
    assert_string_equal(backend_monitor(&backend_spt, NULL, &over), "/opt/spt-monitor");
    assert_true(over);
    /* the variable wins over the config file's spt.monitor */
    assert_string_equal(backend_monitor(&backend_spt, "/etc-said/spt", &over), "/opt/spt-monitor");
    assert_true(over);
    setenv("UNIROOT_SPT", "", 1); /* empty: as unset */
    assert_string_equal(backend_monitor(&backend_spt, NULL, &over), dflt);
    assert_false(over);
    /* the config file's, over the search; not an override (the node is still checked) */
    assert_string_equal(backend_monitor(&backend_spt, "/etc-said/spt", &over), "/etc-said/spt");
    assert_false(over);
    assert_string_equal(backend_monitor(&backend_spt, "", &over), dflt);
    setenv("PATH", "/nonexistent:/bin", 1); /* found on PATH */
    static const struct backend sh = {.name = "sh", .monitor = "sh", .monitor_env = "UNIROOT_SH_TEST"};
    assert_string_equal(backend_monitor(&sh, NULL, NULL), "/bin/sh");
    unsetenv("UNIROOT_SPT");
}

static void node_check(void **st)
{
    (void)st;
    struct ur_err e;
    ur_err_clear(&e);
    assert_int_equal(backend_check_node(&backend_spt, &e), 0); /* spt needs nothing */
    unsetenv("UNIROOT_VMM");
    struct stat s;
    bool kvm = stat("/dev/kvm", &s) == 0 && S_ISCHR(s.st_mode);
    int rc = backend_check_node(&backend_hvt, &e);
    if (kvm) {
        assert_int_equal(rc, 0);
    } else {
        assert_int_equal(rc, -ENODEV);
        assert_non_null(strstr(e.msg, "hypervisor hvt needs /dev/kvm, which this node lacks; use "
                                      "hypervisor spt"));
    }
    /* another monitor named: it is trusted to know what it needs */
    setenv("UNIROOT_VMM", "/opt/other-vmm", 1);
    assert_int_equal(backend_check_node(&backend_hvt, &e), 0);
    unsetenv("UNIROOT_VMM");
}

/* argv joined by spaces */
static const char *joined(const struct backend_cmd *c)
{
    static char buf[4096];
    buf[0] = '\0';
    for (int i = 0; i < c->argc; i++)
        snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "%s%s", i ? " " : "", c->argv[i]);
    assert_null(c->argv[c->argc]);
    return buf;
}

static void command_line(void **st)
{
    (void)st;
    static struct backend_cmd c;
    struct ur_err e;
    /* the kernel from the rootfs and a block image: both inherited after the ready fd */
    struct backend_launch l = {.monitor = "/m/uniroot-spt", .ready_fd = 3, .start_fifo = "/s/start.fifo",
                               .kernel_fd = 10, .kernel_path = "", .block_fd = 11, .cmdline = "a b"};
    assert_int_equal(backend_spt.command(&backend_spt, &l, &c, &e), 0);
    assert_string_equal(joined(&c), "/m/uniroot-spt --ready-fd=3 --start-fifo=/s/start.fifo "
                                    "--block:rootfs=/proc/self/fd/5 -- /proc/self/fd/4 a b");
    assert_int_equal(c.nkeep, 2);
    assert_int_equal(c.keep[0], 10);
    assert_int_equal(c.keep[1], 11);
    /* --preserve-fds 2, a kernel copy of ours, the rootfs device, a memory limit, no cmdline */
    l = (struct backend_launch){.monitor = "/m/uniroot-vmm", .ready_fd = 5, .start_fifo = "/f",
                                .mem_mb = 64, .kernel_fd = -1, .kernel_path = "/state/k",
                                .block_fd = 7, .cmdline = ""};
    assert_int_equal(backend_hvt.command(&backend_hvt, &l, &c, &e), 0);
    assert_string_equal(joined(&c), "/m/uniroot-vmm --ready-fd=5 --start-fifo=/f --mem=64 "
                                    "--block:rootfs=/proc/self/fd/6 -- /state/k");
    assert_int_equal(c.nkeep, 1);
    assert_int_equal(c.keep[0], 7);
    /* nothing but the kernel */
    l = (struct backend_launch){.monitor = "m", .ready_fd = 3, .start_fifo = "/f", .kernel_fd = 9,
                                .block_fd = -1, .cmdline = NULL};
    assert_int_equal(backend_spt.command(&backend_spt, &l, &c, &e), 0);
    assert_string_equal(joined(&c), "m --ready-fd=3 --start-fifo=/f -- /proc/self/fd/4");
    assert_int_equal(c.nkeep, 1);
    /* a command line too long for the buffer is refused, not cut */
    static char huge[sizeof(c.buf) + 16];
    memset(huge, 'x', sizeof(huge) - 1);
    l.cmdline = huge;
    assert_int_equal(backend_spt.command(&backend_spt, &l, &c, &e), -E2BIG);
    assert_string_equal(e.msg, "monitor command line too long");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(table),
        cmocka_unit_test(selection),
        cmocka_unit_test(monitor_path),
        cmocka_unit_test(node_check),
        cmocka_unit_test(command_line),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
