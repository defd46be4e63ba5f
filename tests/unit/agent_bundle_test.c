/* agent_bundle_test.c: the config.json annotation edit (jsonpatch) and the
 * bundle rules (only unikernels touched, garbage never written, atomic). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bundle.h"
#include "jsonpatch.h"
#include "rootfs_record.h"

#define KEY "dev.uniroot.rootfs"

static char *patch(const char *doc, const char *val, int *rc)
{
    char *out = NULL;
    size_t n;
    struct ur_err err;
    *rc = json_set_annotation(doc, strlen(doc), KEY, val, &out, &n, &err);
    if (*rc == 0)
        assert_int_equal(n, strlen(out));
    return out;
}

static void test_insert_replace(void **state)
{
    (void)state;
    int rc;
    char *o = patch("{\"a\":1,\"annotations\":{\"x\":\"y\"},\"big\":9223372036854775807}", "v1", &rc);
    assert_int_equal(rc, 0);
    assert_string_equal(o, "{\"a\":1,\"annotations\":{\"" KEY "\":\"v1\",\"x\":\"y\"},\"big\":9223372036854775807}");
    char *o2 = patch(o, "{\"q\":\"\\\"\"}", &rc); /* replace, value needing escapes */
    assert_int_equal(rc, 0);
    assert_string_equal(o2, "{\"a\":1,\"annotations\":{\"" KEY "\":\"{\\\"q\\\":\\\"\\\\\\\"\\\"}\",\"x\":\"y\"},\"big\":9223372036854775807}");
    cJSON *j = cJSON_Parse(o2);
    assert_non_null(j);
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "annotations"), KEY)->valuestring, "{\"q\":\"\\\"\"}");
    cJSON_Delete(j);
    free(o);
    free(o2);
    o = patch(" { \"annotations\" : { } } ", "v", &rc);
    assert_int_equal(rc, 0);
    assert_string_equal(o, " { \"annotations\" : {\"" KEY "\":\"v\" } } ");
    free(o);
    o = patch("{\"process\":{\"annotations\":{}}}", "v", &rc); /* nested one is not the top-level one */
    assert_int_equal(rc, 0);
    assert_string_equal(o, "{\"annotations\":{\"" KEY "\":\"v\"},\"process\":{\"annotations\":{}}}");
    free(o);
    o = patch("{}", "v", &rc);
    assert_int_equal(rc, 0);
    assert_string_equal(o, "{\"annotations\":{\"" KEY "\":\"v\"}}");
    free(o);
}

static void test_malformed(void **state)
{
    (void)state;
    const char *bad[] = {"", "[]", "{", "{\"a\":}", "{\"a\":1} x", "{\"annotations\":[]}",
                         "{\"a\":\"unterminated}", "\"str\"", "{\"a\" 1}"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int rc;
        char *o = patch(bad[i], "v", &rc);
        assert_true(rc < 0);
        assert_null(o);
    }
    /* deep nesting is refused, not a stack overflow */
    char deep[4096];
    size_t n = 0;
    deep[n++] = '{';
    memcpy(deep + n, "\"a\":", 4);
    n += 4;
    for (int i = 0; i < 1000; i++)
        deep[n++] = '[';
    deep[n] = '\0';
    int rc;
    assert_null(patch(deep, "v", &rc));
    assert_true(rc < 0);
}

static char dir[] = "/tmp/agent-bundle-test.XXXXXX";

static void write_cfg(const char *text)
{
    char p[256];
    snprintf(p, sizeof(p), "%s/config.json", dir);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static char *read_cfg(void)
{
    char p[256];
    snprintf(p, sizeof(p), "%s/config.json", dir);
    FILE *f = fopen(p, "r");
    assert_non_null(f);
    static char buf[8192];
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    return buf;
}

static void test_bundle_rules(void **state)
{
    (void)state;
    enum bundle_kind k;
    struct ur_err err;
    assert_non_null(mkdtemp(dir));
    assert_int_equal(bundle_annotate(dir, "v", &k, NULL, &err), 0);
    assert_int_equal(k, BUNDLE_MISSING);

    const char *plain = "{\"annotations\":{\"io.kubernetes.cri.container-type\":\"sandbox\"}}\n";
    write_cfg(plain);
    assert_int_equal(bundle_annotate(dir, "v", &k, NULL, &err), 0);
    assert_int_equal(k, BUNDLE_OTHER);
    assert_string_equal(read_cfg(), plain);

    const char *garbage = "{\"annotations\":{\"" UNIKERNEL_TYPE_ANNOTATION "\":\"solo5\"";
    write_cfg(garbage);
    assert_int_equal(bundle_annotate(dir, "v", &k, NULL, &err), -EINVAL);
    assert_int_equal(k, BUNDLE_UNPARSABLE);
    assert_string_equal(read_cfg(), garbage);
    assert_non_null(strstr(err.msg, "untouched"));

    const char *uni = "{\"annotations\":{\"" UNIKERNEL_TYPE_ANNOTATION "\":\"solo5\"},\n  \"x\": [1, 2]}\n";
    write_cfg(uni);
    char p[256];
    snprintf(p, sizeof(p), "%s/config.json", dir);
    chmod(p, 0640);
    unsigned long long ino = 0;
    assert_int_equal(bundle_annotate(dir, "rec", &k, &ino, &err), 1);
    assert_int_equal(k, BUNDLE_UNIKERNEL);
    assert_string_equal(read_cfg(), "{\"annotations\":{\"" KEY "\":\"rec\",\"" UNIKERNEL_TYPE_ANNOTATION "\":\"solo5\"},\n  \"x\": [1, 2]}\n");
    struct stat st;
    assert_int_equal(stat(p, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0640);
    assert_int_equal(st.st_ino, ino); /* the caller can recognise its own rename */
    /* same value again: nothing written */
    assert_int_equal(bundle_annotate(dir, "rec", &k, NULL, &err), 0);
    /* a new value replaces the old one */
    assert_int_equal(bundle_annotate(dir, "rec2", &k, NULL, &err), 1);
    assert_non_null(strstr(read_cfg(), "\"" KEY "\":\"rec2\""));
    assert_null(strstr(read_cfg(), "\"rec\""));
    /* the temp file is created with the final mode: a umask that strips
     * bits must not leak into the replaced file */
    chmod(p, 0644);
    mode_t old_mask = umask(077);
    assert_int_equal(bundle_annotate(dir, "rec3", &k, &ino, &err), 1);
    umask(old_mask);
    assert_int_equal(stat(p, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0644);
    assert_int_equal(st.st_ino, ino);
    /* a symlinked config.json is neither followed nor replaced */
    char target[300];
    snprintf(target, sizeof(target), "%s/elsewhere.json", dir);
    FILE *f = fopen(target, "w");
    assert_non_null(f);
    fputs(uni, f);
    fclose(f);
    unlink(p);
    assert_int_equal(symlink("elsewhere.json", p), 0);
    assert_true(bundle_annotate(dir, "rec", &k, NULL, &err) < 0);
    struct stat lst;
    assert_int_equal(lstat(p, &lst), 0);
    assert_true(S_ISLNK(lst.st_mode));
    unlink(p);
    unlink(target);
    /* empty unikernelType is not a unikernel */
    write_cfg("{\"annotations\":{\"" UNIKERNEL_TYPE_ANNOTATION "\":\"\"}}");
    assert_int_equal(bundle_annotate(dir, "v", &k, NULL, &err), 0);
    assert_int_equal(k, BUNDLE_OTHER);
    unlink(p);
    assert_int_equal(rmdir(dir), 0); /* no temp files left behind */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_insert_replace),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_bundle_rules),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
