/* agent_log_test.c: unirootd's JSON-lines logs stay valid JSON whatever the
 * strings they carry (paths and names come from other processes). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

static void test_quote(void **state)
{
    (void)state;
    assert_string_equal(ulog_q("a\"b\\c\n\x01"), "\"a\\\"b\\\\c\\u000a\\u0001\"");
    assert_string_equal(ulog_q(NULL), "\"\"");
    char big[5000];
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    const char *q = ulog_q(big); /* truncated, still a closed string */
    assert_true(strlen(q) < 1024);
    assert_int_equal(q[strlen(q) - 1], '"');
}

static void test_lines_parse(void **state)
{
    (void)state;
    char path[] = "/tmp/agent-log-test.XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    int saved = dup(2);
    dup2(fd, 2);
    ulog_set_level(ULOG_DEBUG);
    ulog(ULOG_INFO, "ev\"ent", "\"target\":%s,\"n\":%d", ulog_q("/run/x\"y\n"), 7);
    ulog(ULOG_DEBUG, "plain", NULL);
    ulog_set_level(ULOG_WARN);
    ulog(ULOG_INFO, "hidden", NULL);
    dup2(saved, 2);
    close(saved);
    FILE *f = fdopen(fd, "r");
    rewind(f);
    char line[4096];
    int n = 0;
    while (fgets(line, sizeof(line), f)) {
        cJSON *j = cJSON_Parse(line);
        assert_non_null(j);
        assert_non_null(cJSON_GetObjectItem(j, "ts"));
        if (n == 0) {
            assert_string_equal(cJSON_GetObjectItem(j, "event")->valuestring, "ev\"ent");
            assert_string_equal(cJSON_GetObjectItem(j, "target")->valuestring, "/run/x\"y\n");
            assert_int_equal(cJSON_GetObjectItem(j, "n")->valueint, 7);
        }
        cJSON_Delete(j);
        n++;
    }
    assert_int_equal(n, 2);
    fclose(f);
    unlink(path);
}

static int n_calls;
static int counted(void)
{
    return ++n_calls;
}

static size_t lines_in(int fd)
{
    char buf[8192];
    ssize_t r = pread(fd, buf, sizeof(buf) - 1, 0);
    size_t n = 0;
    for (ssize_t i = 0; i < r; i++)
        n += buf[i] == '\n';
    return n;
}

/* Held lines wait for ulog_flush (or a warning, which keeps the order);
 * below the level not even the arguments are evaluated. */
static void test_hold_and_level(void **state)
{
    (void)state;
    char path[] = "/tmp/agent-log-test.XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    int saved = dup(2);
    dup2(fd, 2);
    ulog_set_level(ULOG_INFO);
    ulog(ULOG_DEBUG, "skipped", "\"n\":%d", counted());
    assert_int_equal(n_calls, 0);
    ulog(ULOG_INFO, "now", "\"n\":%d", counted());
    assert_int_equal(n_calls, 1);
    size_t now = lines_in(fd);
    ulog_hold();
    ulog(ULOG_INFO, "held1", NULL);
    ulog(ULOG_INFO, "held2", NULL);
    size_t during = lines_in(fd);
    ulog(ULOG_WARN, "warned", NULL);
    size_t after_warn = lines_in(fd);
    ulog(ULOG_INFO, "held3", NULL);
    size_t before_flush = lines_in(fd);
    ulog_flush();
    size_t flushed = lines_in(fd);
    ulog(ULOG_INFO, "not-held", NULL);
    size_t last = lines_in(fd);
    dup2(saved, 2);
    close(saved);
    assert_int_equal(now, 1);
    assert_int_equal(during, 1);
    assert_int_equal(after_warn, 4);
    assert_int_equal(before_flush, 4);
    assert_int_equal(flushed, 5);
    assert_int_equal(last, 6);
    char buf[8192];
    ssize_t r = pread(fd, buf, sizeof(buf) - 1, 0);
    assert_true(r > 0);
    buf[r] = '\0';
    const char *order[] = {"\"now\"", "\"held1\"", "\"held2\"", "\"warned\"", "\"held3\"", "\"not-held\""};
    const char *p = buf;
    for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
        p = strstr(p, order[i]);
        assert_non_null(p);
    }
    close(fd);
    unlink(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_quote), cmocka_unit_test(test_lines_parse),
                                       cmocka_unit_test(test_hold_and_level)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
