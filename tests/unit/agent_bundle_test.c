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
#include <fcntl.h>
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

static char *slurp(const char *path)
{
    static char buf[8192];
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    return buf;
}

static char *read_cfg(void)
{
    char p[256];
    snprintf(p, sizeof(p), "%s/config.json", dir);
    return slurp(p);
}

static void test_bundle_rules(void **state)
{
    (void)state;
    enum bundle_kind k;
    struct ur_err err;
    assert_non_null(mkdtemp(dir));
    assert_int_equal(bundle_annotate(dir, NULL, "v", &k, NULL, &err), 0);
    assert_int_equal(k, BUNDLE_MISSING);

    const char *plain = "{\"annotations\":{\"io.kubernetes.cri.container-type\":\"sandbox\"}}\n";
    write_cfg(plain);
    assert_int_equal(bundle_annotate(dir, NULL, "v", &k, NULL, &err), 0);
    assert_int_equal(k, BUNDLE_OTHER);
    assert_string_equal(read_cfg(), plain);

    const char *garbage = "{\"annotations\":{\"" UNIKERNEL_TYPE_ANNOTATION "\":\"solo5\"";
    write_cfg(garbage);
    assert_int_equal(bundle_annotate(dir, NULL, "v", &k, NULL, &err), -EINVAL);
    assert_int_equal(k, BUNDLE_UNPARSABLE);
    assert_string_equal(read_cfg(), garbage);
    assert_non_null(strstr(err.msg, "untouched"));

    const char *uni = "{\"annotations\":{\"" UNIKERNEL_TYPE_ANNOTATION "\":\"solo5\"},\n  \"x\": [1, 2]}\n";
    write_cfg(uni);
    char p[256];
    snprintf(p, sizeof(p), "%s/config.json", dir);
    chmod(p, 0640);
    unsigned long long ino = 0;
    assert_int_equal(bundle_annotate(dir, NULL, "rec", &k, &ino, &err), 1);
    assert_int_equal(k, BUNDLE_UNIKERNEL);
    assert_string_equal(read_cfg(), "{\"annotations\":{\"" KEY "\":\"rec\",\"" UNIKERNEL_TYPE_ANNOTATION "\":\"solo5\"},\n  \"x\": [1, 2]}\n");
    struct stat st;
    assert_int_equal(stat(p, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0640);
    assert_int_equal(st.st_ino, ino); /* the caller can recognise its own rename */
    /* same value again: nothing written */
    assert_int_equal(bundle_annotate(dir, NULL, "rec", &k, NULL, &err), 0);
    /* a new value replaces the old one */
    assert_int_equal(bundle_annotate(dir, NULL, "rec2", &k, NULL, &err), 1);
    assert_non_null(strstr(read_cfg(), "\"" KEY "\":\"rec2\""));
    assert_null(strstr(read_cfg(), "\"rec\""));
    /* the temp file is created with the final mode: a umask that strips
     * bits must not leak into the replaced file */
    chmod(p, 0644);
    mode_t old_mask = umask(077);
    assert_int_equal(bundle_annotate(dir, NULL, "rec3", &k, &ino, &err), 1);
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
    assert_true(bundle_annotate(dir, NULL, "rec", &k, NULL, &err) < 0);
    struct stat lst;
    assert_int_equal(lstat(p, &lst), 0);
    assert_true(S_ISLNK(lst.st_mode));
    unlink(p);
    unlink(target);
    /* empty unikernelType is not a unikernel */
    write_cfg("{\"annotations\":{\"" UNIKERNEL_TYPE_ANNOTATION "\":\"\"}}");
    assert_int_equal(bundle_annotate(dir, NULL, "v", &k, NULL, &err), 0);
    assert_int_equal(k, BUNDLE_OTHER);
    unlink(p);
    assert_int_equal(rmdir(dir), 0); /* no temp files left behind */
}

/* --- the description in urunc.json (common/ukbundle.h), as the runtime reads it */

static char udir[] = "/tmp/agent-urunc-test.XXXXXX";
static char rootfs[300], ujson[320], cfgp[320];

/* base64("solo5") and base64("hvt") */
#define URUNC_OK "{\"" UR_UK_TYPE_KEY "\":\"c29sbzU=\",\"" UR_UK_PREFIX "hypervisor\":\"aHZ0\"}"
#define PLAIN_CFG "{\"ociVersion\":\"1.0.2\",\"annotations\":{\"x\":\"y\"},\"root\":{\"path\":\"rootfs\"}}"

static void put(const char *path, const char *text)
{
    unlink(path);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static int urunc_setup(void **state)
{
    (void)state;
    assert_non_null(mkdtemp(udir));
    snprintf(rootfs, sizeof(rootfs), "%s/rootfs", udir);
    snprintf(ujson, sizeof(ujson), "%s/urunc.json", rootfs);
    snprintf(cfgp, sizeof(cfgp), "%s/config.json", udir);
    assert_int_equal(mkdir(rootfs, 0755), 0);
    return 0;
}

static int urunc_teardown(void **state)
{
    (void)state;
    char cmd[400];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", udir);
    return system(cmd);
}

/* Annotate udir with rootfs as the mounted rootfs: the return and the kind. */
static int annotate_u(enum bundle_kind *k, struct ur_err *err)
{
    ur_err_clear(err);
    return bundle_annotate(udir, rootfs, "rec", k, NULL, err);
}

static void test_urunc_only(void **state)
{
    (void)state;
    enum bundle_kind k;
    struct ur_err err;
    put(cfgp, PLAIN_CFG);
    /* no urunc.json: not a unikernel, untouched */
    assert_int_equal(annotate_u(&k, &err), 0);
    assert_int_equal(k, BUNDLE_OTHER);
    assert_string_equal(slurp(cfgp), PLAIN_CFG);
    /* without a rootfs to look in, annotations only */
    put(ujson, URUNC_OK);
    assert_int_equal(bundle_annotate(udir, NULL, "rec", &k, NULL, &err), 0);
    assert_int_equal(k, BUNDLE_OTHER);
    /* described by urunc.json only: annotated like an annotated bundle */
    assert_int_equal(annotate_u(&k, &err), 1);
    assert_int_equal(k, BUNDLE_UNIKERNEL);
    assert_non_null(strstr(slurp(cfgp), "\"" KEY "\":\"rec\""));
    assert_int_equal(annotate_u(&k, &err), 0); /* already there */
    assert_int_equal(k, BUNDLE_UNIKERNEL);
    /* annotations holding any description key are the description: urunc.json is not read */
    put(cfgp, "{\"annotations\":{\"" UR_UK_PREFIX "hyperviso\\u0072\":\"hvt\"}}");
    assert_int_equal(annotate_u(&k, &err), 0);
    assert_int_equal(k, BUNDLE_OTHER);
    /* a urunc.json naming no type (or only padding) describes no unikernel */
    put(cfgp, PLAIN_CFG);
    put(ujson, "{\"" UR_UK_PREFIX "hypervisor\":\"aHZ0\"}");
    assert_int_equal(annotate_u(&k, &err), 0);
    assert_int_equal(k, BUNDLE_OTHER);
    put(ujson, "{\"" UR_UK_TYPE_KEY "\":\"==\"}");
    assert_int_equal(annotate_u(&k, &err), 0);
    assert_int_equal(k, BUNDLE_OTHER);
    assert_string_equal(slurp(cfgp), PLAIN_CFG);
    unlink(ujson);
}

/* urunc.json is the image's: every hostile form is refused and config.json
 * stays as it was. */
static void test_urunc_hostile(void **state)
{
    (void)state;
    enum bundle_kind k;
    struct ur_err err;
    char outside[400], sub[400];
    snprintf(outside, sizeof(outside), "%s/outside.json", udir);
    snprintf(sub, sizeof(sub), "%s/sub", rootfs);
    put(outside, URUNC_OK); /* a valid description, but outside the rootfs */
    put(cfgp, PLAIN_CFG);
    struct { const char *what, *why; } cases[] = {
        {"absolute symlink out", NULL}, {"relative symlink out", NULL}, {"dangling symlink", NULL},
        {"FIFO", "FIFO"}, {"directory", NULL}, {"too large", NULL}, {"not JSON", "not a JSON object"},
        {"NUL escape", "NUL"}, {"JSON array", "not a JSON object"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        unlink(ujson);
        rmdir(ujson);
        switch (i) {
        case 0: assert_int_equal(symlink(outside, ujson), 0); break;
        case 1: assert_int_equal(symlink("../outside.json", ujson), 0); break;
        case 2: assert_int_equal(symlink("/nonexistent/urunc.json", ujson), 0); break;
        case 3: assert_int_equal(mkfifo(ujson, 0644), 0); break;
        case 4: assert_int_equal(mkdir(ujson, 0755), 0); break;
        case 5: {
            int fd = open(ujson, O_WRONLY | O_CREAT | O_TRUNC, 0644);
            assert_true(fd >= 0);
            assert_int_equal(ftruncate(fd, UR_URUNC_JSON_MAX + 1), 0);
            close(fd);
            break;
        }
        case 6: put(ujson, "{\"" UR_UK_TYPE_KEY "\":"); break;
        case 7: put(ujson, "{\"" UR_UK_TYPE_KEY "\":\"c29sbzU=\",\"x\":\"a\\u0000b\"}"); break;
        case 8: put(ujson, "[\"" UR_UK_TYPE_KEY "\"]"); break;
        }
        int rc = annotate_u(&k, &err);
        if (rc >= 0 || k != BUNDLE_REFUSED)
            fail_msg("%s: rc %d kind %s", cases[i].what, rc, bundle_kind_name(k));
        if (cases[i].why && !strstr(err.msg, cases[i].why))
            fail_msg("%s: message \"%s\"", cases[i].what, err.msg);
        assert_string_equal(slurp(cfgp), PLAIN_CFG);
        ur_err_clear(&err);
        assert_true(bundle_classify(udir, rootfs, &k, &err) < 0);
        assert_int_equal(k, BUNDLE_REFUSED);
    }
    unlink(ujson);
    rmdir(ujson);
    /* a symlink that stays inside the rootfs is followed there */
    assert_int_equal(mkdir(sub, 0755), 0);
    char in[420];
    snprintf(in, sizeof(in), "%s/u.json", sub);
    put(in, URUNC_OK);
    assert_int_equal(symlink("/sub/u.json", ujson), 0);
    assert_int_equal(annotate_u(&k, &err), 1);
    assert_int_equal(k, BUNDLE_UNIKERNEL);
    unlink(ujson);
    unlink(in);
    rmdir(sub);
    unlink(outside);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_insert_replace),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_bundle_rules),
        cmocka_unit_test_setup_teardown(test_urunc_only, urunc_setup, NULL),
        cmocka_unit_test_setup_teardown(test_urunc_hostile, NULL, urunc_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
