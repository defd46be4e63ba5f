/* agent_request_test.c: the agent socket's request lines (request.c): each
 * op, the malformed forms and their error text, and cutting a buffer into
 * lines as the server does. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "request.h"

static void test_ops(void **state)
{
    (void)state;
    struct request r;
    request_parse("{\"op\":\"get\",\"bundle\":\"/run/b\",\"namespace\":\"n\",\"id\":\"i\"}", &r);
    assert_int_equal(r.op, REQ_GET);
    assert_string_equal(r.bundle, "/run/b"); /* the bundle wins */
    assert_null(r.ns);
    request_free(&r);
    request_parse("{\"op\":\"get\",\"namespace\":\"default\",\"id\":\"c1\"}", &r);
    assert_int_equal(r.op, REQ_GET);
    assert_null(r.bundle);
    assert_string_equal(r.ns, "default");
    assert_string_equal(r.id, "c1");
    request_free(&r);
    const char *names[] = {"list", "status", "watch"};
    const enum req_op ops[] = {REQ_LIST, REQ_STATUS, REQ_WATCH};
    for (int i = 0; i < 3; i++) {
        char line[64];
        snprintf(line, sizeof(line), "{\"op\":\"%s\"}", names[i]);
        request_parse(line, &r);
        assert_int_equal(r.op, ops[i]);
        assert_null(r.error);
        request_free(&r);
    }
}

static void test_bad(void **state)
{
    (void)state;
    struct request r;
    const char *not_obj[] = {"", "[]", "\"get\"", "{\"op\":", "nonsense"};
    for (size_t i = 0; i < sizeof(not_obj) / sizeof(not_obj[0]); i++) {
        request_parse(not_obj[i], &r);
        assert_int_equal(r.op, REQ_BAD);
        assert_string_equal(r.error, "request is not a JSON object");
        request_free(&r);
    }
    const char *bad_get[] = {
        "{\"op\":\"get\"}", "{\"op\":\"get\",\"bundle\":\"rel\"}", "{\"op\":\"get\",\"bundle\":1}",
        "{\"op\":\"get\",\"namespace\":\"\",\"id\":\"x\"}", "{\"op\":\"get\",\"namespace\":\"n\"}",
        "{\"op\":\"get\",\"bundle\":\"\\u0000/x\"}",
    };
    for (size_t i = 0; i < sizeof(bad_get) / sizeof(bad_get[0]); i++) {
        request_parse(bad_get[i], &r);
        assert_int_equal(r.op, REQ_BAD);
        assert_non_null(strstr(r.error, "get needs"));
        request_free(&r);
    }
    const char *unknown[] = {"{}", "{\"op\":5}", "{\"op\":\"GET\"}", "{\"op\":\"get \"}"};
    for (size_t i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++) {
        request_parse(unknown[i], &r);
        assert_int_equal(r.op, REQ_BAD);
        assert_non_null(strstr(r.error, "unknown op"));
        request_free(&r);
    }
}

static void test_lines(void **state)
{
    (void)state;
    char buf[] = "{\"op\":\"list\"}\n\n{\"op\"";
    size_t len = strlen(buf), used = request_take_line(buf, len);
    assert_int_equal(used, 14);
    assert_string_equal(buf, "{\"op\":\"list\"}");
    assert_int_equal(request_take_line(buf + used, len - used), 1); /* an empty line */
    assert_int_equal(buf[used], '\0');
    assert_int_equal(request_take_line(buf + used + 1, len - used - 1), 0); /* waits for more */
    assert_int_equal(request_take_line(buf, 0), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ops),
        cmocka_unit_test(test_bad),
        cmocka_unit_test(test_lines),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
