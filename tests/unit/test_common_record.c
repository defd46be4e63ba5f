/* test_common_record.c: the agent -> runtime rootfs record (JSON form):
 * exact round trips, and hostile annotations refused with a clear error. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "rootfs_record.h"

static void round_trip_is_exact(void **state)
{
    (void)state;
    struct rootfs_record r = {.type = ROOTFS_BLOCK, .major = 7, .minor = 3,
                              .observed_at_ns = 1796032199493768937ull};
    strcpy(r.device, "/dev/loop3");
    strcpy(r.fstype, "ext4");
    strcpy(r.backing, "/var/lib/snap \"1\".img");
    strcpy(r.observed_by, "bpf-tracepoint");
    strcpy(r.namespace_, "default");
    strcpy(r.container, "c1");
    strcpy(r.mount_target, "/run/containerd/io.containerd.runtime.v2.task/default/c1/rootfs");
    char *json;
    struct ur_err err = {0};
    assert_int_equal(rootfs_record_to_json(&r, &json, &err), 0);
    assert_non_null(strstr(json, "\"observed_at\":\"2026-11-30T"));
    assert_non_null(strstr(json, ".493768937Z\""));
    struct rootfs_record back;
    assert_int_equal(rootfs_record_from_json(json, &back, &err), 0);
    assert_int_equal(back.version, 1);
    assert_int_equal(back.type, ROOTFS_BLOCK);
    assert_int_equal(back.major, 7);
    assert_int_equal(back.minor, 3);
    assert_int_equal(back.observed_at_ns, r.observed_at_ns); /* to the nanosecond */
    assert_string_equal(back.backing, r.backing);
    assert_string_equal(back.mount_target, r.mount_target);
    free(json);
}

static void hostile_records_are_refused(void **state)
{
    (void)state;
    char longdev[5000];
    memset(longdev, 'a', sizeof(longdev));
    static const char head[] = "{\"version\":1,\"type\":\"block\",\"major\":7,\"minor\":1,\"device\":\"/";
    memcpy(longdev, head, sizeof(head) - 1);
    strcpy(longdev + sizeof(longdev) - 4, "\"}");
    const struct { const char *json, *needle; } cases[] = {
        {"", "not valid JSON"},
        {"{\"version\":1", "not valid JSON"},
        {"[1,2]", "not a JSON object"},
        {"{\"type\":\"block\"}", "\"version\" is missing"},
        {"{\"version\":2,\"type\":\"block\"}", "version 2"},
        {"{\"version\":1.5,\"type\":\"block\"}", "version"},
        {"{\"version\":1,\"type\":\"floppy\"}", "unknown type"},
        {"{\"version\":1,\"type\":7}", "not a string"},
        {"{\"version\":1,\"type\":\"block\",\"major\":7,\"minor\":1}", "absolute \"device\""},
        {"{\"version\":1,\"type\":\"block\",\"major\":7,\"minor\":1,\"device\":\"loop0\"}", "absolute"},
        {"{\"version\":1,\"type\":\"block\",\"minor\":1,\"device\":\"/dev/x\"}", "\"major\" is missing"},
        {"{\"version\":1,\"type\":\"block\",\"major\":-1,\"minor\":1,\"device\":\"/dev/x\"}", "\"major\""},
        {"{\"version\":1,\"type\":\"block\",\"major\":1e30,\"minor\":1,\"device\":\"/dev/x\"}", "\"major\""},
        {"{\"version\":1,\"type\":\"block\",\"major\":7,\"minor\":\"1\",\"device\":\"/dev/x\"}", "\"minor\""},
        {"{\"version\":1,\"type\":\"none\",\"fstype\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"}", "too long"},
        {"{\"version\":1,\"type\":\"none\",\"observed_at\":\"yesterday\"}", "observed_at"},
        {"{\"version\":1,\"type\":\"none\",\"observed_at\":\"2026-11-30T10:15:01+02:00\"}", "observed_at"},
        {longdev, "too long"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct rootfs_record r;
        struct ur_err err = {0};
        int rc = rootfs_record_from_json(cases[i].json, &r, &err);
        if (rc >= 0 || !strstr(err.msg, cases[i].needle))
            fail_msg("case %zu: rc=%d msg='%s', want '%s'", i, rc, err.msg, cases[i].needle);
    }
}

static void minimal_records_parse(void **state)
{
    (void)state;
    struct rootfs_record r;
    struct ur_err err = {0};
    assert_int_equal(rootfs_record_from_json("{\"version\":1,\"type\":\"none\",\"extra\":[1]}", &r, &err), 0);
    assert_int_equal(r.type, ROOTFS_NONE);
    assert_int_equal(rootfs_record_from_json(
        "{\"version\":1,\"type\":\"block\",\"major\":259,\"minor\":1048575,\"device\":\"/dev/nvme0n1p1\","
        "\"observed_at\":\"2026-01-02T03:04:05Z\"}", &r, &err), 0);
    assert_int_equal(r.minor, 1048575);
    assert_int_equal(r.observed_at_ns, 1767323045ull * 1000000000ull);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(round_trip_is_exact),
        cmocka_unit_test(hostile_records_are_refused),
        cmocka_unit_test(minimal_records_parse),
    };
    return cmocka_run_group_tests_name("rootfs record", tests, NULL, NULL);
}
