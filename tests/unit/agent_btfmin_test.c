/* agent_btfmin_test.c: the embedded minimal BTF is used only for the kernel
 * BTF it was cut from (btfmin.h), and btfhash identifies a file by size and
 * FNV-1a 64 of its bytes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "btfhash.h"
#include "btfmin.h"

#define KERNEL_BTF "/sys/kernel/btf/vmlinux"

static void put(const char *path, const void *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, n, f), n);
    assert_int_equal(fclose(f), 0);
}

static void test_hash_known_values(void **state)
{
    (void)state;
    char path[] = "/tmp/agent-btfmin-test.XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    struct btf_id id;
    struct ur_err err;
    put(path, "", 0);
    assert_int_equal(btfhash_file(path, &id, &err), 0);
    assert_int_equal(id.size, 0);
    assert_true(id.hash == 0xcbf29ce484222325ull); /* FNV-1a 64 offset basis */
    put(path, "a", 1);
    assert_int_equal(btfhash_file(path, &id, &err), 0);
    assert_int_equal(id.size, 1);
    assert_true(id.hash == 0xaf63dc4c8601ec8cull); /* FNV-1a 64 of "a" */
    /* more than one 64 KiB read: every byte counts, wherever it is */
    size_t n = 200 * 1024;
    unsigned char *big = calloc(1, n);
    assert_non_null(big);
    put(path, big, n);
    struct btf_id a, b;
    assert_int_equal(btfhash_file(path, &a, &err), 0);
    big[n - 1] = 1;
    put(path, big, n);
    assert_int_equal(btfhash_file(path, &b, &err), 0);
    assert_int_equal(a.size, n);
    assert_true(a.hash != b.hash);
    free(big);
    unlink(path);
    assert_int_equal(btfhash_file(path, &id, &err), -ENOENT);
}

static void test_other_kernel_btf_refused(void **state)
{
    (void)state;
    char path[] = "/tmp/agent-btfmin-test.XXXXXX", out[64];
    int fd = mkstemp(path), mfd = -1;
    assert_true(fd >= 0);
    close(fd);
    put(path, "\x9f\xeb\x01\x00not the kernel's", 19);
    struct ur_err err;
    assert_int_equal(btfmin_open(path, out, sizeof(out), &mfd, &err), -ESTALE);
    assert_non_null(strstr(err.msg, "is not the BTF the build was cut from"));
    assert_int_equal(mfd, -1);
    unlink(path);
    assert_int_equal(btfmin_open(path, out, sizeof(out), &mfd, &err), -ENOENT);
}

/* Built and run on the same kernel (make check): the running kernel's BTF is
 * the build's, so the minimal BTF is handed out, and it is raw BTF. */
static void test_this_kernel_gets_minimal_btf(void **state)
{
    (void)state;
    if (access(KERNEL_BTF, R_OK) != 0) {
        skip();
        return;
    }
    char out[64];
    int mfd = -1;
    struct ur_err err;
    int rc = btfmin_open(KERNEL_BTF, out, sizeof(out), &mfd, &err);
    if (rc == -ESTALE) { /* built on another kernel: the refusal is the right answer */
        skip();
        return;
    }
    assert_int_equal(rc, 0);
    assert_true(mfd >= 0);
    assert_true(btfmin_size() > 24 && btfmin_size() < 64 * 1024);
    FILE *f = fopen(out, "rb");
    assert_non_null(f);
    unsigned char hdr[4];
    assert_int_equal(fread(hdr, 1, 4, f), 4);
    assert_int_equal(hdr[0], 0x9f); /* BTF magic 0xeB9F, little endian */
    assert_int_equal(hdr[1], 0xeb);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    assert_int_equal((size_t)ftell(f), btfmin_size());
    fclose(f);
    close(mfd);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hash_known_values),
        cmocka_unit_test(test_other_kernel_btf_refused),
        cmocka_unit_test(test_this_kernel_gets_minimal_btf),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
