/* test_common_json.c: the rootfs record's JSON (rootfs_record_to_json,
 * written directly) and the string escaping under it (jsonstr.h) are
 * byte-identical to what cJSON builds from the same members, on ordinary,
 * hostile and extreme inputs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <cjson/cJSON.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonstr.h"
#include "rootfs_record.h"

/* The reference: the record built as a cJSON tree and printed compactly. */
static int cjson_reference(const struct rootfs_record *r, char **out)
{
    char when[48];
    char *direct;
    /* the time string is taken from the direct form (its format is tested in
     * test_common_record); everything else is cJSON's own doing */
    if (rootfs_record_to_json(r, &direct, NULL) < 0)
        return -ENOMEM;
    const char *at = strstr(direct, "\"observed_at\":\"");
    snprintf(when, sizeof(when), "%.*s", 30, at ? at + 15 : "");
    free(direct);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "version", ROOTFS_RECORD_VERSION);
    cJSON_AddStringToObject(o, "type", rootfs_type_name(r->type));
    cJSON_AddStringToObject(o, "device", r->device);
    cJSON_AddNumberToObject(o, "major", r->major);
    cJSON_AddNumberToObject(o, "minor", r->minor);
    cJSON_AddStringToObject(o, "fstype", r->fstype);
    cJSON_AddStringToObject(o, "backing", r->backing);
    cJSON_AddStringToObject(o, "observed_by", r->observed_by);
    cJSON_AddStringToObject(o, "observed_at", when);
    cJSON_AddStringToObject(o, "namespace", r->namespace_);
    cJSON_AddStringToObject(o, "container", r->container);
    cJSON_AddStringToObject(o, "mount_target", r->mount_target);
    *out = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return *out ? 0 : -ENOMEM;
}

static struct rootfs_record R; /* large: not on the stack */

static void random_str(char *s, size_t cap, size_t len)
{
    if (len >= cap)
        len = cap - 1;
    for (size_t i = 0; i < len; i++)
        s[i] = (char)(1 + random() % 255); /* every byte but NUL */
    s[len] = '\0';
}

static void same_as_cjson(int read_back)
{
    char *a = NULL, *b = NULL;
    assert_int_equal(rootfs_record_to_json(&R, &a, NULL), 0);
    assert_int_equal(cjson_reference(&R, &b), 0);
    assert_string_equal(a, b);
    /* an ordinary record also reads back */
    static struct rootfs_record back;
    if (read_back) {
        assert_int_equal(rootfs_record_from_json(a, &back, NULL), 0);
        assert_string_equal(back.backing, R.backing);
        assert_true(back.observed_at_ns == R.observed_at_ns);
    }
    free(a);
    free(b);
}

static void test_records(void **state)
{
    (void)state;
    memset(&R, 0, sizeof(R));
    same_as_cjson(0); /* all empty, time 0 */
    R.type = ROOTFS_BLOCK;
    snprintf(R.device, sizeof(R.device), "/dev/loop3");
    R.major = 7;
    R.minor = 3;
    snprintf(R.fstype, sizeof(R.fstype), "ext4");
    snprintf(R.backing, sizeof(R.backing), "/var/lib/img \"quoted\" \\ back\tslash\n\x01\x1f\x7f caf\xc3\xa9");
    snprintf(R.observed_by, sizeof(R.observed_by), "bpf-tracepoint");
    R.observed_at_ns = 1764500000123456789ull;
    snprintf(R.namespace_, sizeof(R.namespace_), "k8s.io");
    snprintf(R.container, sizeof(R.container), "abc/def");
    snprintf(R.mount_target, sizeof(R.mount_target), "/run/containerd/io.containerd.runtime.v2.task/k8s.io/abc/rootfs");
    same_as_cjson(1);
    R.observed_at_ns = 1764500000000000000ull; /* a whole second */
    same_as_cjson(0);
    R.observed_at_ns = UINT64_MAX; /* year 2554 */
    same_as_cjson(0);
    R.major = INT_MAX;
    R.minor = 0;
    same_as_cjson(0);
    R.major = (uint32_t)INT_MAX + 1; /* beyond cJSON's int form */
    R.minor = UINT32_MAX;
    same_as_cjson(0);
    R.major = 253;
    R.minor = 1048575;
    for (int t = 0; t <= 5; t++) { /* 4 and 5 are not types: "?" */
        R.type = (enum rootfs_type)t;
        same_as_cjson(0);
    }
    R.type = ROOTFS_BLOCK;
    srandom(7);
    for (int i = 0; i < 200; i++) {
        random_str(R.device, sizeof(R.device), (size_t)random() % 64);
        random_str(R.backing, sizeof(R.backing), i == 0 ? sizeof(R.backing) : (size_t)random() % 300);
        random_str(R.fstype, sizeof(R.fstype), (size_t)random() % 40);
        random_str(R.observed_by, sizeof(R.observed_by), (size_t)random() % 40);
        random_str(R.namespace_, sizeof(R.namespace_), (size_t)random() % 140);
        random_str(R.container, sizeof(R.container), (size_t)random() % 300);
        random_str(R.mount_target, sizeof(R.mount_target), i == 1 ? sizeof(R.mount_target) : (size_t)random() % 300);
        R.observed_at_ns = ((uint64_t)random() << 31) ^ (uint64_t)random();
        R.major = (uint32_t)random() % 4096;
        R.minor = (uint32_t)random() % (1u << 20);
        same_as_cjson(0);
    }
}

static void test_strings(void **state)
{
    (void)state;
    char s[600], buf[4096];
    srandom(11);
    for (int i = 0; i < 500; i++) {
        random_str(s, sizeof(s), (size_t)random() % sizeof(s));
        cJSON *c = cJSON_CreateString(s);
        char *want = cJSON_PrintUnformatted(c);
        size_t n = 0;
        assert_int_equal(jsonstr_put(buf, sizeof(buf), &n, s), 0);
        assert_string_equal(buf, want);
        assert_int_equal(n, strlen(want));
        assert_int_equal(jsonstr_size(s), strlen(want));
        cJSON_free(want);
        cJSON_Delete(c);
    }
    /* appends at *len; refuses (and leaves *len) when it does not fit */
    size_t n = 0;
    assert_int_equal(jsonstr_put(buf, sizeof(buf), &n, "a"), 0);
    assert_int_equal(jsonstr_put(buf, sizeof(buf), &n, "b\"c"), 0);
    assert_string_equal(buf, "\"a\"\"b\\\"c\"");
    size_t before = n;
    assert_int_equal(jsonstr_put(buf, n + 3, &n, "xy"), -ENOSPC);
    assert_int_equal(n, before);
    assert_int_equal(jsonstr_put(buf, n + 5, &n, "xy"), 0);
    assert_string_equal(buf + before, "\"xy\"");
}

/* jsonstr_find_nul: where a \u0000 escape sits inside a string, and only there */
static void test_find_nul(void **state)
{
    (void)state;
    assert_int_equal(jsonstr_find_nul("{\"a\":\"b\\u0000c\"}"), 7);
    assert_int_equal(jsonstr_find_nul("{\"a\\u0000\":1}"), 3);            /* in a key */
    assert_int_equal(jsonstr_find_nul("{\"a\":\"\\\\u0000\"}"), -1);      /* an escaped backslash, then text */
    assert_int_equal(jsonstr_find_nul("{\"a\":\"\\\"\\u0000\"}"), 8);    /* after an escaped quote */
    assert_int_equal(jsonstr_find_nul("{\"a\":\"\\u00000\"}"), 6);
    assert_int_equal(jsonstr_find_nul("{\"a\":\"\\u0001\\u1000\"}"), -1);
    assert_int_equal(jsonstr_find_nul("{\"a\":\"x\"} \\u0000"), -1);      /* not inside a string */
    assert_int_equal(jsonstr_find_nul(""), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_records), cmocka_unit_test(test_strings),
                                       cmocka_unit_test(test_find_nul)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
