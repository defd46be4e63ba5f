/* test_common_agentproto.c: the agent socket's wire format (common/
 * agentproto.c): each request op as the agent parses it, the malformed forms
 * and their error text, cutting a buffer into lines as the server does, the
 * clients' encoder against the agent's parser, and the clients' answer
 * decoder (malformed answers refused). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include <errno.h>
#include <stdlib.h>

#include "agentproto.h"

static void test_ops(void **state)
{
    (void)state;
    struct ur_agent_req r;
    ur_agent_req_parse("{\"op\":\"get\",\"bundle\":\"/run/b\",\"namespace\":\"n\",\"id\":\"i\"}", &r);
    assert_int_equal(r.op, UR_AGENT_GET);
    assert_string_equal(r.bundle, "/run/b"); /* the bundle wins */
    assert_null(r.ns);
    ur_agent_req_free(&r);
    ur_agent_req_parse("{\"op\":\"get\",\"namespace\":\"default\",\"id\":\"c1\"}", &r);
    assert_int_equal(r.op, UR_AGENT_GET);
    assert_null(r.bundle);
    assert_string_equal(r.ns, "default");
    assert_string_equal(r.id, "c1");
    ur_agent_req_free(&r);
    const char *names[] = {"list", "status", "watch"};
    const enum ur_agent_op ops[] = {UR_AGENT_LIST, UR_AGENT_STATUS, UR_AGENT_WATCH};
    for (int i = 0; i < 3; i++) {
        char line[64];
        snprintf(line, sizeof(line), "{\"op\":\"%s\"}", names[i]);
        ur_agent_req_parse(line, &r);
        assert_int_equal(r.op, ops[i]);
        assert_null(r.error);
        ur_agent_req_free(&r);
    }
}

static void test_bad(void **state)
{
    (void)state;
    struct ur_agent_req r;
    const char *not_obj[] = {"", "[]", "\"get\"", "{\"op\":", "nonsense"};
    for (size_t i = 0; i < sizeof(not_obj) / sizeof(not_obj[0]); i++) {
        ur_agent_req_parse(not_obj[i], &r);
        assert_int_equal(r.op, UR_AGENT_BAD);
        assert_string_equal(r.error, "request is not a JSON object");
        ur_agent_req_free(&r);
    }
    const char *bad_get[] = {
        "{\"op\":\"get\"}", "{\"op\":\"get\",\"bundle\":\"rel\"}", "{\"op\":\"get\",\"bundle\":1}",
        "{\"op\":\"get\",\"namespace\":\"\",\"id\":\"x\"}", "{\"op\":\"get\",\"namespace\":\"n\"}",
        "{\"op\":\"get\",\"bundle\":\"\\u0000/x\"}",
    };
    for (size_t i = 0; i < sizeof(bad_get) / sizeof(bad_get[0]); i++) {
        ur_agent_req_parse(bad_get[i], &r);
        assert_int_equal(r.op, UR_AGENT_BAD);
        assert_non_null(strstr(r.error, "get needs"));
        ur_agent_req_free(&r);
    }
    const char *unknown[] = {"{}", "{\"op\":5}", "{\"op\":\"GET\"}", "{\"op\":\"get \"}"};
    for (size_t i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++) {
        ur_agent_req_parse(unknown[i], &r);
        assert_int_equal(r.op, UR_AGENT_BAD);
        assert_non_null(strstr(r.error, "unknown op"));
        ur_agent_req_free(&r);
    }
}

static void test_lines(void **state)
{
    (void)state;
    char buf[] = "{\"op\":\"list\"}\n\n{\"op\"";
    size_t len = strlen(buf), used = ur_agent_take_line(buf, len);
    assert_int_equal(used, 14);
    assert_string_equal(buf, "{\"op\":\"list\"}");
    assert_int_equal(ur_agent_take_line(buf + used, len - used), 1); /* an empty line */
    assert_int_equal(buf[used], '\0');
    assert_int_equal(ur_agent_take_line(buf + used + 1, len - used - 1), 0); /* waits for more */
    assert_int_equal(ur_agent_take_line(buf, 0), 0);
}

/* What a client builds, the agent parses back to the same request. */
static void test_round_trip(void **state)
{
    (void)state;
    const struct ur_agent_req qs[] = {
        {.op = UR_AGENT_GET, .bundle = "/run/containerd/io.containerd.runtime.v2.task/default/c1"},
        {.op = UR_AGENT_GET, .bundle = "/odd \"name\"\\\n\t\x01/é"},
        {.op = UR_AGENT_GET, .ns = "default", .id = "c1"},
        {.op = UR_AGENT_LIST}, {.op = UR_AGENT_STATUS}, {.op = UR_AGENT_WATCH},
    };
    for (size_t i = 0; i < sizeof(qs) / sizeof(qs[0]); i++) {
        char *line = ur_agent_req_line(&qs[i]);
        assert_non_null(line);
        size_t len = strlen(line);
        assert_int_equal(ur_agent_take_line(line, len), len); /* exactly one line */
        struct ur_agent_req r;
        ur_agent_req_parse(line, &r);
        assert_int_equal(r.op, qs[i].op);
        assert_null(r.error);
        if (qs[i].bundle)
            assert_string_equal(r.bundle, qs[i].bundle);
        else
            assert_null(r.bundle);
        if (qs[i].ns) {
            assert_string_equal(r.ns, qs[i].ns);
            assert_string_equal(r.id, qs[i].id);
        } else {
            assert_null(r.ns);
        }
        ur_agent_req_free(&r);
        free(line);
    }
    char *line = ur_agent_req_line(&(struct ur_agent_req){.op = UR_AGENT_GET, .bundle = "/b"});
    assert_string_equal(line, "{\"op\":\"get\",\"bundle\":\"/b\"}\n"); /* what the agent has always read */
    free(line);
    assert_null(ur_agent_req_line(&(struct ur_agent_req){.op = UR_AGENT_BAD}));
}

/* The answer decoder: ok answers give the member asked for, the agent's
 * no gives its message, anything malformed is refused. */
static void test_answers(void **state)
{
    (void)state;
    struct ur_err e;
    char *v = (char *)"x";
    assert_int_equal(ur_agent_answer("{\"ok\":true,\"record\":{\"version\":1}}", "record", &v, &e), 0);
    assert_string_equal(v, "{\"version\":1}");
    free(v);
    assert_int_equal(ur_agent_answer("{\"ok\":true,\"records\":[]}", "records", &v, &e), 0);
    assert_string_equal(v, "[]");
    free(v);
    assert_int_equal(ur_agent_answer("{\"ok\":true,\"watching\":true}", NULL, NULL, &e), 0);
    assert_int_equal(ur_agent_answer("{\"ok\":false,\"error\":\"no record for x\"}", "record", &v, &e), -ENOENT);
    assert_null(v);
    assert_string_equal(e.msg, "agent says: no record for x");
    assert_int_equal(ur_agent_answer("{\"ok\":\"true\"}", NULL, NULL, &e), -ENOENT);
    assert_string_equal(e.msg, "agent says: no record");
    const char *no_member[] = {"{\"ok\":true}", "{\"ok\":true,\"record\":5}", "{\"ok\":true,\"record\":\"{}\"}"};
    for (size_t i = 0; i < sizeof(no_member) / sizeof(no_member[0]); i++) {
        v = (char *)"x";
        assert_int_equal(ur_agent_answer(no_member[i], "record", &v, &e), -EPROTO);
        assert_null(v);
        assert_string_equal(e.msg, "answer has no record");
    }
    const char *malformed[] = {"", "nonsense", "[{\"ok\":true}]", "true", "{\"ok\":true", "\"ok\""};
    for (size_t i = 0; i < sizeof(malformed) / sizeof(malformed[0]); i++) {
        v = (char *)"x";
        assert_int_equal(ur_agent_answer(malformed[i], "record", &v, &e), -EPROTO);
        assert_null(v);
        assert_string_equal(e.msg, "answer is not a JSON object");
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ops),
        cmocka_unit_test(test_bad),
        cmocka_unit_test(test_lines),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_answers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
