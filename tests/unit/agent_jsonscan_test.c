/* agent_jsonscan_test.c: the strict one-pass config.json scanner
 * (json_scan_config): RFC 8259 accepted and refused forms, the spans it
 * notes, and, on thousands of random one-byte mutations of a realistic
 * config, never accepting what cJSON refuses. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonpatch.h"

static const char *const KEYS[2] = {"com.urunc.unikernel.unikernelType", "dev.uniroot.rootfs"};

static int scan(const char *doc, size_t len, struct json_config_info *info)
{
    return json_scan_config(doc, len, KEYS, NULL, info, NULL);
}

static int ok(const char *doc)
{
    struct json_config_info info;
    return scan(doc, strlen(doc), &info) == 0;
}

static void test_grammar(void **state)
{
    (void)state;
    const char *good[] = {
        "{}", " {\n\t\"a\" : 1 } \r\n", "{\"a\":-0}", "{\"a\":0.5e-3}", "{\"a\":1E+2}", "{\"a\":-12.25e7}",
        "{\"a\":9223372036854775807123}", "{\"a\":[true,false,null,[],{},\"\"]}",
        "{\"a\":\"\\u00e9\\/\\b\\f\\n\\r\\t\\\"\\\\\"}", "{\"a\":\"caf\xc3\xa9 \x7f\"}", "{\"\":{\"\":[[[1]]]}}",
    };
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
        if (!ok(good[i]))
            fail_msg("refused: %s", good[i]);
    const char *bad[] = {
        "", "[]", "\"s\"", "1", "{", "}", "{\"a\"}", "{\"a\":}", "{\"a\":1,}", "{,}", "{\"a\":[1,]}", "{\"a\":01}",
        "{\"a\":1.}", "{\"a\":.5}", "{\"a\":+1}", "{\"a\":-}", "{\"a\":1e}", "{\"a\":1e+}", "{\"a\":tru}",
        "{\"a\":nul}", "{\"a\":True}", "{\"a\":NaN}", "{\"a\":\"\\x\"}", "{\"a\":\"\\u12\"}", "{\"a\":\"a\tb\"}",
        "{\"a\":\"a\nb\"}", "{\"a\":'s'}", "{a:1}", "{\"a\":1}}", "{\"a\":1} x", "{\"a\" 1}", "{\"a\":1 \"b\":2}",
        "{\"a\":\"unterminated}", "{\"a\":[1 2]}",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (ok(bad[i]))
            fail_msg("accepted: %s", bad[i]);
    /* an embedded NUL is not JSON */
    struct json_config_info info;
    assert_true(scan("{\"a\":1}\0", 8, &info) < 0);
    assert_true(scan("{\"a\":\"x\0y\"}", 11, &info) < 0);
    /* nesting is bounded (no stack overflow) */
    static char deep[200000];
    size_t n = 0;
    deep[n++] = '{';
    memcpy(deep + n, "\"a\":", 4);
    n += 4;
    for (int i = 0; i < 100000; i++)
        deep[n++] = '[';
    assert_true(scan(deep, n, &info) < 0);
    n = 5;
    for (int i = 0; i < 60; i++)
        deep[n++] = '[';
    for (int i = 0; i < 60; i++)
        deep[n++] = ']';
    deep[n++] = '}';
    assert_int_equal(scan(deep, n, &info), 0);
}

/* Strings are scanned eight bytes at a time: a quote, backslash or control
 * byte must be caught wherever it sits in the word, among UTF-8 bytes. */
static void test_string_positions(void **state)
{
    (void)state;
    const unsigned char specials[] = {'"', '\\', 0x01, 0x1f, 0x00};
    char doc[128];
    struct json_config_info info;
    for (size_t len = 1; len <= 40; len++) {
        size_t n = 0;
        memcpy(doc, "{\"a\":\"", 6);
        n = 6;
        for (size_t i = 0; i < len; i++)
            doc[n++] = (char)(i % 3 == 0 ? 0xc3 : i % 3 == 1 ? 0xa9 : 'x' + (int)(i % 2));
        memcpy(doc + n, "\"}", 2);
        n += 2;
        assert_int_equal(scan(doc, n, &info), 0);
        for (size_t pos = 0; pos < len; pos++)
            for (size_t k = 0; k < sizeof(specials); k++) {
                char saved = doc[6 + pos];
                doc[6 + pos] = (char)specials[k];
                if (scan(doc, n, &info) == 0)
                    fail_msg("len %zu: byte 0x%02x at %zu accepted", len, specials[k], pos);
                doc[6 + pos] = saved;
            }
    }
}

static void test_spans(void **state)
{
    (void)state;
    struct json_config_info info;
    const char *d = "{\"process\":{\"annotations\":{\"dev.uniroot.rootfs\":\"nested\"}},"
                    "\"annotations\":{\"x\":1,\"com.urunc.unikernel.unikernelType\":\"solo5\","
                    "\"dev.uniroot.rootfs\":\"first\",\"dev.uniroot.rootfs\":\"second\"},"
                    "\"annotations\":{\"com.urunc.unikernel.unikernelType\":\"later\"}}";
    assert_int_equal(scan(d, strlen(d), &info), 0);
    assert_true(info.ann.found);
    assert_int_equal(d[info.ann.start], '{');
    assert_true(info.member[0].found);
    assert_memory_equal(d + info.member[0].start, "\"solo5\"", 7);
    assert_int_equal(info.member[0].end - info.member[0].start, 7);
    assert_true(info.member[1].found); /* the first of two, the top-level one */
    assert_memory_equal(d + info.member[1].start, "\"first\"", 7);
    assert_true(json_span_nonempty_string(d, &info.member[0]));
    const char *e = "{\"annotations\":{\"com.urunc.unikernel.unikernelType\":\"\"}}";
    assert_int_equal(scan(e, strlen(e), &info), 0);
    assert_false(json_span_nonempty_string(e, &info.member[0]));
    assert_false(info.member[1].found);
    e = "{\"annotations\":{\"com.urunc.unikernel.unikernelType\":\"\\u0000x\"}}";
    assert_int_equal(scan(e, strlen(e), &info), 0);
    assert_false(json_span_nonempty_string(e, &info.member[0]));
    e = "{\"annotations\":{\"com.urunc.unikernel.unikernelType\":7}}";
    assert_int_equal(scan(e, strlen(e), &info), 0);
    assert_false(json_span_nonempty_string(e, &info.member[0]));
    e = "{\"annotations\":[\"com.urunc.unikernel.unikernelType\"]}";
    assert_int_equal(scan(e, strlen(e), &info), 0);
    assert_false(info.member[0].found);
}

/* Never more lenient than cJSON: mutate a realistic config one byte at a time. */
static void test_not_more_lenient_than_cjson(void **state)
{
    (void)state;
    const char *base =
        "{\"ociVersion\":\"1.0.2-dev\",\"process\":{\"user\":{\"uid\":0,\"gid\":0,\"additionalGids\":[0,1,2]},"
        "\"args\":[\"/unikernel\",\"-x\"],\"env\":[\"PATH=/usr/bin:/bin\",\"A=caf\xc3\xa9\"],\"cwd\":\"/\","
        "\"oomScoreAdj\":-998,\"ratio\":0.25e-2},\"root\":{\"path\":\"rootfs\",\"readonly\":true},"
        "\"annotations\":{\"com.urunc.unikernel.unikernelType\":\"solo5\",\"q\":\"\\\"\\u00e9\\n\"},"
        "\"linux\":{\"resources\":{\"memory\":{\"limit\":268435456},\"devices\":[{\"allow\":false,\"access\":\"rwm\"}]},"
        "\"cgroupsPath\":null,\"namespaces\":[{\"type\":\"pid\"},{\"type\":\"mount\"}]}}";
    size_t n = strlen(base);
    char *d = malloc(n + 1);
    assert_non_null(d);
    const char alphabet[] = "{}[]\":,.-+eE0123456789tfnul\\/ \t\n\x01x";
    struct json_config_info info;
    assert_int_equal(scan(base, n, &info), 0);
    srandom(3);
    int accepted = 0;
    for (int i = 0; i < 20000; i++) {
        memcpy(d, base, n + 1);
        size_t at = (size_t)random() % n;
        d[at] = alphabet[random() % (long)(sizeof(alphabet) - 1)];
        if (scan(d, n, &info) != 0)
            continue;
        accepted++;
        const char *end = NULL;
        cJSON *j = cJSON_ParseWithLengthOpts(d, n, &end, 0);
        if (!j)
            fail_msg("accepted what cJSON refuses: %s", d);
        while (end && end < d + n && strchr(" \t\r\n", *end))
            end++;
        if (end != d + n)
            fail_msg("accepted trailing bytes cJSON left: %s", d);
        cJSON_Delete(j);
    }
    assert_true(accepted > 100); /* the mutations did not all break the document */
    free(d);
}

/* Found by tests/fuzz/fuzz_config_annotate: a lone UTF-16 surrogate escape
 * was accepted, so the agent annotated a config.json cJSON (the runtime)
 * cannot read. Only pairs pass now, as in cJSON. */
static void test_surrogates(void **state)
{
    (void)state;
    const char *good[] = {"{\"a\":\"\\ud83d\\ude00\"}", "{\"a\":\"x\\uD800\\uDFFFy\"}", "{\"a\":\"\\ud7ff\\ue000\"}"};
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        if (!ok(good[i]))
            fail_msg("refused: %s", good[i]);
        cJSON *j = cJSON_Parse(good[i]);
        assert_non_null(j);
        cJSON_Delete(j);
    }
    const char *bad[] = {"{\"a\":\"\\ud800\"}", "{\"a\":\"\\udc00\"}", "{\"a\":\"\\ud83d\\u0041\"}",
                         "{\"a\":\"\\ud83dx\\ude00\"}", "{\"a\":\"\\ud83d\\ud83d\"}", "{\"\\ud800\":1}",
                         "{\"a\":\"\\ud83d\\ude0\"}", "{\"a\":\"\\ud83d\"}"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (ok(bad[i]))
            fail_msg("accepted: %s", bad[i]);
        cJSON *j = cJSON_Parse(bad[i]);
        if (j)
            fail_msg("cJSON reads %s: then the scanner should too", bad[i]);
    }
}

/* Found by tests/fuzz/fuzz_config_annotate: member names were matched by
 * their raw text, so an earlier "dev.uniroot.rootf\u0073" (the same name to
 * cJSON) stayed the one the runtime reads while the agent replaced a later
 * one. Names are matched as cJSON decodes them now. */
static void test_escaped_names(void **state)
{
    (void)state;
    struct json_config_info info;
    const char *d = "{\"annot\\u0061tions\":{\"com.urunc.unikernel.unikernel\\u0054ype\":\"solo5\","
                    "\"dev.uniroot.rootf\\u0073\":\"first\",\"dev.uniroot.rootfs\":\"second\"},\"annotations\":{}}";
    assert_int_equal(scan(d, strlen(d), &info), 0);
    assert_true(info.ann.found);
    assert_int_equal(d[info.ann.start], '{');
    assert_int_equal(d[info.ann.end - 1], '}');
    assert_true(info.ann.end - info.ann.start > 2); /* the first, escaped one */
    assert_true(json_span_nonempty_string(d, &info.member[0]));
    assert_memory_equal(d + info.member[1].start, "\"first\"", 7);
    /* a \u0000 ends the name for cJSON: this is the rootfs annotation too */
    d = "{\"annotations\":{\"dev.uniroot.rootfs\\u0000junk\":\"a\",\"dev.uniroot.rootfs\":\"b\"}}";
    assert_int_equal(scan(d, strlen(d), &info), 0);
    assert_memory_equal(d + info.member[1].start, "\"a\"", 3);
    cJSON *j = cJSON_Parse(d);
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(j, "annotations"), KEYS[1])->valuestring, "a");
    cJSON_Delete(j);
    /* and names that only look alike are not it */
    const char *other[] = {
        "{\"annotations\":{\"dev.uniroot.rootfs\\u00e9\":\"a\"}}", "{\"annotations\":{\"dev.uniroot.rootf\":\"a\"}}",
        "{\"annotations\":{\"dev.uniroot.rootfsx\":\"a\"}}", "{\"annotations\":{\"dev.uniroot.rootf\\u0000s\":\"a\"}}",
        "{\"annotations\":{\"dev.uniroot.rootfs\\n\":\"a\"}}", "{\"annotations\":{\"\\u0000dev.uniroot.rootfs\":\"a\"}}",
    };
    for (size_t i = 0; i < sizeof(other) / sizeof(other[0]); i++) {
        assert_int_equal(scan(other[i], strlen(other[i]), &info), 0);
        if (info.member[1].found)
            fail_msg("took %s for the rootfs annotation", other[i]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_grammar),
        cmocka_unit_test(test_string_positions),
        cmocka_unit_test(test_spans),
        cmocka_unit_test(test_not_more_lenient_than_cjson),
        cmocka_unit_test(test_surrogates),
        cmocka_unit_test(test_escaped_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
