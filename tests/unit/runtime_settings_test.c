/* runtime_settings_test.c: the runtime's config file (settings.c: keys,
 * values, refusals with the line, the environment over the file) and how the
 * guest's memory is decided (guest_mem.c: annotation > memory limit > config
 * file > built-in default). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backend.h"
#include "oci.h"
#include "settings.h"

#define HVT 0 /* backends[] order */
#define SPT 1

static int parse(struct rt_settings *s, const char *text, struct ur_err *e)
{
    settings_defaults(s);
    return settings_parse(s, text, "/etc/uniroot/config", e);
}

static void defaults(void **st)
{
    (void)st;
    struct rt_settings s;
    settings_defaults(&s);
    assert_ptr_equal(backends[HVT], &backend_hvt);
    assert_ptr_equal(backends[SPT], &backend_spt);
    assert_int_equal(s.log_level, RT_LOG_INFO);
    assert_string_equal(s.runc, "runc");
    assert_string_equal(s.agent_socket, "/run/uniroot/unirootd.sock");
    assert_string_equal(s.cgroup_root, "/sys/fs/cgroup");
    for (unsigned k = 0; k < n_backends; k++) {
        assert_int_equal(s.mon[k].memory_mb, 512);
        assert_int_equal(s.mon[k].memory_line, 0);
        assert_int_equal(s.mon[k].vcpus, 1);
        assert_null(settings_monitor(&s, k));
    }
    assert_string_equal(s.file, "");
}

/* The committed example sets every key to its default. */
static void example_is_the_defaults(void **st)
{
    (void)st;
    char *text = NULL;
    struct ur_err e;
    FILE *f = fopen("runtime/oci/uniroot.config.example", "r");
    assert_non_null(f);
    text = calloc(1, 65536);
    assert_non_null(text);
    size_t n = fread(text, 1, 65535, f);
    fclose(f);
    assert_true(n > 0);
    struct rt_settings s, d;
    assert_int_equal(parse(&s, text, &e), 0);
    settings_defaults(&d);
    assert_int_equal(s.log_level, d.log_level);
    assert_string_equal(s.runc, d.runc);
    assert_string_equal(s.agent_socket, d.agent_socket);
    assert_string_equal(s.cgroup_root, d.cgroup_root);
    for (unsigned k = 0; k < n_backends; k++) {
        assert_int_equal(s.mon[k].memory_mb, d.mon[k].memory_mb);
        assert_int_equal(s.mon[k].vcpus, 1);
        assert_true(s.mon[k].memory_line > 0); /* every key is there, uncommented */
        assert_string_equal(s.mon[k].monitor, "");
    }
    /* log-level, runc, agent-socket, cgroup-root and 2 per monitor (monitor is commented) */
    assert_int_equal(s.nseen, 4 + 2 * n_backends);
    free(text);
}

static void every_key(void **st)
{
    (void)st;
    struct rt_settings s;
    struct ur_err e;
    assert_int_equal(parse(&s, "log-level = debug\nrunc = /usr/sbin/runc\n"
                               "agent-socket = /run/x/agent.sock\ncgroup-root = /mnt/cg\n"
                               "\n# spt\nspt.memory-mb = 8192\nspt.vcpus = 1\nspt.monitor = /opt/spt\n"
                               "hvt.memory-mb = 4096\nhvt.monitor = /opt/vmm\n", &e), 0);
    assert_int_equal(s.log_level, RT_LOG_DEBUG);
    assert_string_equal(s.runc, "/usr/sbin/runc");
    assert_string_equal(s.agent_socket, "/run/x/agent.sock");
    assert_string_equal(s.cgroup_root, "/mnt/cg");
    assert_int_equal(s.mon[SPT].memory_mb, 8192);
    assert_int_equal(s.mon[SPT].memory_line, 7);
    assert_string_equal(settings_monitor(&s, SPT), "/opt/spt");
    assert_int_equal(s.mon[HVT].memory_mb, 4096);
    assert_int_equal(s.mon[HVT].memory_line, 10);
    assert_string_equal(settings_monitor(&s, HVT), "/opt/vmm");
    assert_int_equal(parse(&s, "runc = runc.real\nlog-level = error\n", &e), 0); /* a name on PATH */
    assert_string_equal(s.runc, "runc.real");
    assert_int_equal(s.log_level, RT_LOG_ERROR);
    assert_int_equal(parse(&s, "spt.memory-mb = 2\nhvt.memory-mb=2\n", &e), 0); /* the floor */
    assert_int_equal(s.mon[SPT].memory_mb, 2);
}

static void refusals(void **st)
{
    (void)st;
    static const struct {
        const char *text, *msg;
    } bad[] = {
        {"\n\nhvt.memory-mb = 4097\n",
         "/etc/uniroot/config:3: hvt.memory-mb: want 2 to 4096 (MiB; the most an hvt guest can have), got \"4097\""},
        {"spt.memory-mb = 65537\n",
         "/etc/uniroot/config:1: spt.memory-mb: want 2 to 65536 (MiB; the most an spt guest can have), got \"65537\""},
        {"spt.memory-mb = 1\n", "/etc/uniroot/config:1: spt.memory-mb: want 2 to 65536"},
        {"spt.memory-mb = 512M\n", "got \"512M\""},
        {"spt.memory-mb = -5\n", "got \"-5\""},
        {"spt.memory-mb = +5\n", "got \"+5\""},
        {"spt.memory-mb =\n", "got \"\""},
        {"spt.memory-mb = 99999999999999999999\n", "got \"99999999999999999999\""},
        {"hvt.vcpus = 2\n",
         "/etc/uniroot/config:1: hvt.vcpus: want 1, got \"2\": a Solo5 hvt guest runs on one vCPU, and uniroot-vmm cannot give it more"},
        {"spt.vcpus = 0\n", "spt.vcpus: want 1, got \"0\": a Solo5 spt guest runs on one vCPU, and uniroot-spt cannot"},
        {"hvt.monitor = uniroot-vmm\n", "/etc/uniroot/config:1: hvt.monitor: want an absolute path, got \"uniroot-vmm\""},
        {"hvt.cpus = 1\n", "/etc/uniroot/config:1: unknown setting \"hvt.cpus\" (hvt takes monitor, memory-mb, vcpus)"},
        {"qemu.memory-mb = 256\n", "/etc/uniroot/config:1: unknown setting \"qemu.memory-mb\" (monitors: hvt, spt)"},
        {"default_memory_mb = 256\n", "/etc/uniroot/config:1: unknown setting \"default_memory_mb\" (keys: log-level"},
        {"log-level = trace\n", "/etc/uniroot/config:1: log-level: want debug, info, warn or error, got \"trace\""},
        {"runc = bin/runc\n", "runc: want an absolute path or a name on PATH, got \"bin/runc\""},
        {"runc =\n", "runc: want an absolute path or a name on PATH, got \"\""},
        {"agent-socket = relative.sock\n", "agent-socket: want an absolute path"},
        {"agent-socket = /run/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.sock\n",
         "agent-socket: at most 107 bytes"},
        {"cgroup-root = sys/fs/cgroup\n", "cgroup-root: want an absolute path"},
        {"spt.memory-mb = 256\n# again\nspt.memory-mb = 256\n",
         "/etc/uniroot/config:3: spt.memory-mb is set again (first on line 1)"},
        {"[monitors.spt]\n", "/etc/uniroot/config:1: want \"key = value\", got \"[monitors.spt]\""},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct rt_settings s;
        struct ur_err e;
        ur_err_clear(&e);
        int rc = parse(&s, bad[i].text, &e);
        if (rc >= 0 || !strstr(e.msg, bad[i].msg))
            fail_msg("case %zu: rc %d, message \"%s\", want \"%s\"", i, rc, e.msg, bad[i].msg);
        assert_null(strchr(e.msg, '\n')); /* one line */
    }
}

/* $UNIROOT_CONFIG names the file (it must exist); the variables of the
 * settings win over it. */
static void load_and_environment(void **st)
{
    (void)st;
    struct rt_settings s;
    struct ur_err e;
    char path[] = "/tmp/uniroot-settings-test.XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    const char *text = "runc = /from/file/runc\nagent-socket = /from/file.sock\ncgroup-root = /from/file/cg\n"
                       "spt.monitor = /from/file/spt\nspt.memory-mb = 64\n";
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    setenv("UNIROOT_CONFIG", path, 1);
    unsetenv("UNIROOT_RUNC");
    unsetenv("UNIROOT_AGENT_SOCKET");
    unsetenv("UNIROOT_CGROUP_ROOT");
    unsetenv("UNIROOT_SPT");
    assert_int_equal(settings_load(&s, &e), 0);
    assert_string_equal(s.file, path);
    assert_int_equal(s.mon[SPT].memory_mb, 64);
    assert_string_equal(settings_runc(&s), "/from/file/runc");
    assert_string_equal(settings_agent_socket(&s), "/from/file.sock");
    assert_string_equal(settings_cgroup_root(&s), "/from/file/cg");
    assert_string_equal(backend_monitor(&backend_spt, settings_monitor(&s, SPT), NULL), "/from/file/spt");
    setenv("UNIROOT_RUNC", "/from/env/runc", 1);
    setenv("UNIROOT_AGENT_SOCKET", "/from/env.sock", 1);
    setenv("UNIROOT_CGROUP_ROOT", "/from/env/cg", 1);
    setenv("UNIROOT_SPT", "/from/env/spt", 1);
    assert_string_equal(settings_runc(&s), "/from/env/runc");
    assert_string_equal(settings_agent_socket(&s), "/from/env.sock");
    assert_string_equal(settings_cgroup_root(&s), "/from/env/cg");
    assert_string_equal(backend_monitor(&backend_spt, settings_monitor(&s, SPT), NULL), "/from/env/spt");
    setenv("UNIROOT_RUNC", "", 1); /* empty: as unset */
    assert_string_equal(settings_runc(&s), "/from/file/runc");
    unsetenv("UNIROOT_RUNC");
    unsetenv("UNIROOT_AGENT_SOCKET");
    unsetenv("UNIROOT_CGROUP_ROOT");
    unsetenv("UNIROOT_SPT");
    /* a named file that is missing is an error naming the variable */
    unlink(path);
    assert_int_equal(settings_load(&s, &e), -ENOENT);
    char want[128];
    snprintf(want, sizeof(want), "UNIROOT_CONFIG: config file %s: No such file or directory", path);
    assert_string_equal(e.msg, want);
    /* ...and a bad one the line */
    char bad[] = "/tmp/uniroot-settings-bad.XXXXXX";
    fd = mkstemp(bad);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "# ok\nhvt.vcpus = 4\n", 19), 19);
    close(fd);
    setenv("UNIROOT_CONFIG", bad, 1);
    assert_int_equal(settings_load(&s, &e), -EINVAL);
    assert_non_null(strstr(e.msg, ":2: hvt.vcpus: want 1, got \"4\""));
    assert_int_equal(strncmp(e.msg, bad, strlen(bad)), 0);
    unlink(bad);
    /* relative to whatever directory the shim runs us in: refused */
    setenv("UNIROOT_CONFIG", "etc/uniroot/config", 1);
    assert_int_equal(settings_load(&s, &e), -EINVAL);
    assert_string_equal(e.msg, "UNIROOT_CONFIG: want an absolute path, got \"etc/uniroot/config\"");
    /* /dev/null: no settings, the defaults */
    setenv("UNIROOT_CONFIG", "/dev/null", 1);
    assert_int_equal(settings_load(&s, &e), 0);
    assert_int_equal(s.mon[SPT].memory_mb, 512);
    unsetenv("UNIROOT_CONFIG");
}

/* guest_mem_decide: which source wins, and the bounds each is held to. */
static void memory_precedence(void **st)
{
    (void)st;
    struct guest_mem m;
    struct ur_err e;
    struct guest_mem_req q = {.max_mb = 4096, .hv = "hvt", .config_mb = 512};
    /* nothing said: the built-in default */
    assert_int_equal(guest_mem_decide(&q, &m, &e), 0);
    assert_int_equal(m.mb, 512);
    assert_string_equal(m.from, "built-in default");
    /* the config file */
    q.config_mb = 1024;
    q.config_where = "/etc/uniroot/config:3";
    assert_int_equal(guest_mem_decide(&q, &m, &e), 0);
    assert_int_equal(m.mb, 1024);
    assert_string_equal(m.from, "/etc/uniroot/config:3");
    /* the memory limit over the file */
    q.limit = 256ull << 20;
    assert_int_equal(guest_mem_decide(&q, &m, &e), 0);
    assert_int_equal(m.mb, 256);
    assert_string_equal(m.from, "memory limit");
    assert_false(m.clipped);
    q.limit = 8ull << 30; /* more than hvt can give: the most it can */
    assert_int_equal(guest_mem_decide(&q, &m, &e), 0);
    assert_int_equal(m.mb, 4096);
    assert_true(m.clipped);
    q.limit = 1 << 20; /* less than any guest */
    assert_int_equal(guest_mem_decide(&q, &m, &e), -EINVAL);
    /* the annotation over both, at most the limit */
    q.limit = 256ull << 20;
    q.annotation = "128";
    assert_int_equal(guest_mem_decide(&q, &m, &e), 0);
    assert_int_equal(m.mb, 128);
    assert_string_equal(m.from, "annotation dev.uniroot.memory-mb");
    q.annotation = "256";
    assert_int_equal(guest_mem_decide(&q, &m, &e), 0);
    assert_int_equal(m.mb, 256);
    q.annotation = "257";
    assert_int_equal(guest_mem_decide(&q, &m, &e), -EINVAL);
    assert_string_equal(e.msg, "annotation dev.uniroot.memory-mb asks for 257 MiB, more than the "
                               "container's memory limit of 256 MiB");
    q.limit = 0; /* no limit: up to the backend's most */
    q.annotation = "4096";
    assert_int_equal(guest_mem_decide(&q, &m, &e), 0);
    assert_int_equal(m.mb, 4096);
    static const char *const hostile[] = {"4097", "1", "0", "", "-1", "+2", " 64", "64 ", "0x40",
                                          "64M", "99999999999", "1e3"};
    for (size_t i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++) {
        q.annotation = hostile[i];
        if (guest_mem_decide(&q, &m, &e) != -EINVAL)
            fail_msg("annotation \"%s\" was taken", hostile[i]);
        if (!strstr(e.msg, "annotation dev.uniroot.memory-mb: want 2 to 4096 (MiB; the most an hvt "
                           "guest can have), got \""))
            fail_msg("annotation \"%s\": %s", hostile[i], e.msg);
    }
    /* spt's bound is its own */
    struct guest_mem_req s = {.max_mb = 65536, .hv = "spt", .config_mb = 512, .annotation = "8192"};
    assert_int_equal(guest_mem_decide(&s, &m, &e), 0);
    assert_int_equal(m.mb, 8192);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(defaults),
        cmocka_unit_test(example_is_the_defaults),
        cmocka_unit_test(every_key),
        cmocka_unit_test(refusals),
        cmocka_unit_test(load_and_environment),
        cmocka_unit_test(memory_precedence),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
