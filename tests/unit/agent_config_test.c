/* agent_config_test.c: unirootd's config file and flags. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"

static void test_file(void **state)
{
    (void)state;
    struct agent_config c;
    struct ur_err err;
    config_defaults(&c);
    assert_int_equal(config_parse_text(&c, "# comment\n state-dir = /run/a \nstate-dir=/run/b # two\n"
                                           "observer = fanotify\nblock-only = no\nreconcile-interval = 5\n"
                                           "log-level = debug\n\n", "t", &err), 0);
    assert_int_equal(c.n_state_dirs, 2);
    assert_string_equal(c.state_dirs[1], "/run/b");
    assert_int_equal(c.observer, OBS_FANOTIFY);
    assert_false(c.block_only);
    assert_int_equal(c.reconcile_interval, 5);
    assert_int_equal(c.log_level, ULOG_DEBUG);
    const char *bad[] = {"observer = magic\n", "nonsense\n", "state-dir = relative\n", "unknown = 1\n",
                         "block-only = maybe\n", "reconcile-interval = -1\n", "reconcile-interval = 5x\n"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        config_defaults(&c);
        assert_true(config_parse_text(&c, bad[i], "t", &err) < 0);
        assert_non_null(strstr(err.msg, "t:1"));
    }
    /* blank lines count (common/kvconf.c): the error names the editor's line */
    config_defaults(&c);
    assert_true(config_parse_text(&c, "# head\n\n\nobserver = magic\n", "t", &err) < 0);
    assert_non_null(strstr(err.msg, "t:4: observer: want auto"));
}

static void test_flags(void **state)
{
    (void)state;
    struct agent_config c;
    struct ur_err err;
    char path[] = "/tmp/agent-config-test.XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    const char *text = "state-dir = /from/file\nsocket = /run/x.sock\n";
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    char *argv[] = {"unirootd", "--config", path, "--observer", "bpf-tracepoint", "--state-dir", "/from/flag", NULL};
    assert_int_equal(config_load(&c, 7, argv, &err), 0);
    assert_int_equal(c.n_state_dirs, 1); /* flags replace the file's dirs */
    assert_string_equal(c.state_dirs[0], "/from/flag");
    assert_string_equal(c.socket_path, "/run/x.sock");
    assert_int_equal(c.observer, OBS_BPF_TRACEPOINT);
    char *argv2[] = {"unirootd", "--config", "/nonexistent/x.conf", NULL};
    assert_true(config_load(&c, 3, argv2, &err) < 0); /* named file must exist */
    char *argv3[] = {"unirootd", "--config", path, "--bogus", NULL};
    assert_true(config_load(&c, 4, argv3, &err) < 0);
    char *argv4[] = {"unirootd", "--config", "/dev/null", NULL};
    assert_int_equal(config_load(&c, 3, argv4, &err), 0);
    assert_string_equal(c.state_dirs[0], "/run/containerd"); /* default */
    unlink(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_file), cmocka_unit_test(test_flags)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
