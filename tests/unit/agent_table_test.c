/* agent_table_test.c: the agent's two-index record table. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "table.h"

static struct trec mk(const char *ns, const char *id, const char *bundle, uint32_t minor)
{
    struct trec r;
    memset(&r, 0, sizeof(r));
    r.namespace_ = (char *)ns;
    r.id = (char *)id;
    r.bundle = (char *)bundle;
    r.target = "/t";
    r.device = "/dev/loop0";
    r.major = 7;
    r.minor = minor;
    r.type = ROOTFS_BLOCK;
    return r;
}

static void test_put_get_remove(void **state)
{
    (void)state;
    static struct table t;
    table_init(&t);
    char b[64], id[32];
    for (int i = 0; i < 5000; i++) {
        snprintf(b, sizeof(b), "/b/%d", i);
        snprintf(id, sizeof(id), "c%d", i);
        struct trec r = mk("default", id, b, (uint32_t)i);
        assert_int_equal(table_put(&t, &r, NULL), 0);
    }
    assert_int_equal(t.count, 5000);
    struct trec *r = table_by_bundle(&t, "/b/4321");
    assert_non_null(r);
    assert_string_equal(r->id, "c4321");
    assert_ptr_equal(table_by_key(&t, "default", "c4321"), r);
    assert_null(table_by_key(&t, "other", "c4321"));
    /* same bundle, new device: replaced, not duplicated */
    struct trec n = mk("default", "c4321", "/b/4321", 99999);
    assert_int_equal(table_put(&t, &n, &r), 0);
    assert_int_equal(t.count, 5000);
    assert_int_equal(table_by_key(&t, "default", "c4321")->minor, 99999);
    /* same id under a new bundle: the old one goes */
    struct trec m = mk("default", "c1", "/elsewhere", 1);
    assert_int_equal(table_put(&t, &m, NULL), 0);
    assert_null(table_by_bundle(&t, "/b/1"));
    assert_int_equal(t.count, 5000);
    table_remove(&t, table_by_bundle(&t, "/b/7"));
    assert_null(table_by_key(&t, "default", "c7"));
    assert_int_equal(t.count, 4999);
    struct rootfs_record rec;
    trec_to_record(table_by_bundle(&t, "/elsewhere"), &rec);
    assert_string_equal(rec.container, "c1");
    assert_string_equal(rec.device, "/dev/loop0");
    assert_int_equal(rec.version, ROOTFS_RECORD_VERSION);
    table_free(&t);
    assert_int_equal(t.count, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_put_get_remove)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
