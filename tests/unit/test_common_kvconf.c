/* test_common_kvconf.c: the shared "key = value" settings-file parser and its
 * bounded reader (common/kvconf.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kvconf.h"

/* What the callback saw, "key=value@line;" each. */
struct seen {
    char buf[1024];
    int fail_on_line;   /* refuse this line, 0: none */
};

static int collect(void *arg, const char *key, const char *value, unsigned line, struct ur_err *err)
{
    struct seen *s = arg;
    if ((int)line == s->fail_on_line)
        return ur_errf(err, -EINVAL, "%s: no", key);
    size_t n = strlen(s->buf);
    snprintf(s->buf + n, sizeof(s->buf) - n, "%s=%s@%u;", key, value, line);
    return 0;
}

static int parse(struct seen *s, const char *text, struct ur_err *e)
{
    return ur_kv_parse(text, strlen(text), "f", collect, s, e);
}

static void settings_comments_and_lines(void **st)
{
    (void)st;
    struct seen s = {.buf = ""};
    struct ur_err e;
    const char *text = "# head\n\n  a = 1  \n\tb=two words # tail\r\n\n#c = 3\nempty =\nlast=x";
    assert_int_equal(parse(&s, text, &e), 0);
    /* blank lines count: b is on line 4, the unterminated last line is 8 */
    assert_string_equal(s.buf, "a=1@3;b=two words@4;empty=@7;last=x@8;");
    memset(&s, 0, sizeof(s));
    assert_int_equal(parse(&s, "", &e), 0);
    assert_string_equal(s.buf, "");
    assert_int_equal(parse(&s, "\n\n# only comments\n", &e), 0);
    assert_string_equal(s.buf, "");
    /* only the first '=' splits */
    assert_int_equal(parse(&s, "k = a=b\n", &e), 0);
    assert_string_equal(s.buf, "k=a=b@1;");
}

static void bad_lines_name_file_and_line(void **st)
{
    (void)st;
    struct seen s = {.buf = ""};
    struct ur_err e;
    assert_int_equal(parse(&s, "a = 1\n\nnot a setting\n", &e), -EINVAL);
    assert_string_equal(e.msg, "f:3: want \"key = value\", got \"not a setting\"");
    assert_int_equal(parse(&s, "\n = 1\n", &e), -EINVAL);
    assert_string_equal(e.msg, "f:2: want \"key = value\", the key is missing");
    assert_int_equal(parse(&s, "a = x\033[2Jy\n", &e), -EINVAL);
    assert_string_equal(e.msg, "f:1: control character 0x1b");
    assert_int_equal(parse(&s, "a = \x7f\n", &e), -EINVAL);
    assert_int_equal(parse(&s, "c\r = 1\r\n", &e), -EINVAL); /* CR only as the line's end */
    assert_string_equal(e.msg, "f:1: control character 0x0d");
    /* a comment may hold anything but NUL */
    memset(&s, 0, sizeof(s));
    assert_int_equal(parse(&s, "a = 1 # \033 \x7f\n", &e), 0);
    assert_string_equal(s.buf, "a=1@1;");
    assert_int_equal(ur_kv_parse("a = 1\0b = 2\n", 12, "f", collect, &s, &e), -EINVAL);
    assert_string_equal(e.msg, "f: holds a NUL byte");
    /* the callback's refusal gets the place in front; parsing stops there */
    memset(&s, 0, sizeof(s));
    s.fail_on_line = 2;
    assert_int_equal(parse(&s, "a = 1\nb = 2\nc = 3\n", &e), -EINVAL);
    assert_string_equal(e.msg, "f:2: b: no");
    assert_string_equal(s.buf, "a=1@1;");
}

static void load_files(void **st)
{
    (void)st;
    struct seen s = {.buf = ""};
    struct ur_err e;
    char dir[] = "/tmp/kvconf-test.XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[256], link[256], big[256], fifo[256];
    snprintf(path, sizeof(path), "%s/conf", dir);
    snprintf(link, sizeof(link), "%s/link", dir);
    snprintf(big, sizeof(big), "%s/big", dir);
    snprintf(fifo, sizeof(fifo), "%s/fifo", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("k = v\n", f);
    fclose(f);
    assert_int_equal(ur_kv_load(path, true, collect, &s, &e), 1);
    assert_string_equal(s.buf, "k=v@1;");
    /* a symlink is followed (ConfigMap mounts are symlinks) */
    assert_int_equal(symlink(path, link), 0);
    memset(&s, 0, sizeof(s));
    assert_int_equal(ur_kv_load(link, true, collect, &s, &e), 1);
    assert_string_equal(s.buf, "k=v@1;");
    /* missing: fine unless it must exist */
    char missing[300];
    snprintf(missing, sizeof(missing), "%s/none", dir);
    assert_int_equal(ur_kv_load(missing, false, collect, &s, &e), 0);
    assert_int_equal(ur_kv_load(missing, true, collect, &s, &e), -ENOENT);
    assert_non_null(strstr(e.msg, "/none: No such file or directory"));
    /* /dev/null is the empty file; other non-regular files are refused */
    memset(&s, 0, sizeof(s));
    assert_int_equal(ur_kv_load("/dev/null", true, collect, &s, &e), 1);
    assert_string_equal(s.buf, "");
    assert_int_equal(ur_kv_load(dir, true, collect, &s, &e), -EINVAL);
    assert_non_null(strstr(e.msg, "is not a regular file"));
    assert_int_equal(mkfifo(fifo, 0600), 0);
    assert_int_equal(ur_kv_load(fifo, true, collect, &s, &e), -EINVAL); /* no hang */
    assert_non_null(strstr(e.msg, "is not a regular file"));
    assert_int_equal(ur_kv_load("/dev/zero", true, collect, &s, &e), -EINVAL);
    /* bounded */
    int fd = open(big, O_WRONLY | O_CREAT, 0600);
    assert_true(fd >= 0);
    assert_int_equal(ftruncate(fd, UR_KV_MAX_BYTES + 1), 0);
    close(fd);
    assert_int_equal(ur_kv_load(big, true, collect, &s, &e), -EFBIG);
    assert_non_null(strstr(e.msg, "at most 65536 bytes"));
    unlink(path);
    unlink(link);
    unlink(big);
    unlink(fifo);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(settings_comments_and_lines),
        cmocka_unit_test(bad_lines_name_file_and_line),
        cmocka_unit_test(load_files),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
