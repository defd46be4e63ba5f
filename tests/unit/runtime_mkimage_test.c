/* runtime_mkimage_test.c: uniroot-mkimage's building blocks: SHA-256 known
 * answers (FIPS 180-4 examples, block-boundary lengths, streaming in odd
 * pieces), the ustar writer (header checksum, long names split into prefix,
 * padding) and gzip (header, round trip through zlib). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "mkimage.h"

static void hex(const uint8_t d[32], char out[65])
{
    for (int i = 0; i < 32; i++)
        snprintf(out + 2 * i, 3, "%02x", d[i]);
}

static void sha256_known(void **st)
{
    (void)st;
    char dg[72];
    sha256_digest("", 0, dg);
    assert_string_equal(dg, "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    sha256_digest("abc", 3, dg);
    assert_string_equal(dg, "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    const char *two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    sha256_digest(two, strlen(two), dg);
    assert_string_equal(dg, "sha256:248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    /* one million 'a', fed in uneven pieces */
    struct sha256 s;
    uint8_t d[32];
    char h[65];
    char *a = malloc(1000000);
    memset(a, 'a', 1000000);
    sha256_init(&s);
    size_t off = 0, step = 1;
    while (off < 1000000) {
        size_t n = step < 1000000 - off ? step : 1000000 - off;
        sha256_update(&s, a + off, n);
        off += n;
        step = step * 3 % 977 + 1;
    }
    sha256_final(&s, d);
    hex(d, h);
    assert_string_equal(h, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
    free(a);
}

/* Lengths around the 55/56/64-byte padding boundaries agree between one
 * update and byte-by-byte updates. */
static void sha256_boundaries(void **st)
{
    (void)st;
    uint8_t msg[130];
    for (size_t i = 0; i < sizeof(msg); i++)
        msg[i] = (uint8_t)(i * 7 + 1);
    for (size_t len = 50; len <= sizeof(msg); len++) {
        struct sha256 a, b;
        uint8_t da[32], db[32];
        sha256_init(&a);
        sha256_update(&a, msg, len);
        sha256_final(&a, da);
        sha256_init(&b);
        for (size_t i = 0; i < len; i++)
            sha256_update(&b, msg + i, 1);
        sha256_final(&b, db);
        assert_memory_equal(da, db, 32);
    }
}

static unsigned header_sum(const uint8_t *h)
{
    unsigned sum = 0;
    for (int i = 0; i < 512; i++)
        sum += (i >= 148 && i < 156) ? ' ' : h[i];
    return sum;
}

static void tar_layout(void **st)
{
    (void)st;
    struct buf t = {0};
    struct ur_err e;
    assert_int_equal(tar_add_file(&t, "a/hello.txt", "hi\n", 3, 0644, &e), 0);
    assert_int_equal(t.len, 1024); /* header + one padded block */
    assert_string_equal((char *)t.p, "a/hello.txt");
    assert_int_equal(strtoul((char *)t.p + 124, NULL, 8), 3);
    assert_int_equal(strtoul((char *)t.p + 148, NULL, 8), header_sum(t.p));
    assert_memory_equal(t.p + 257, "ustar", 6);
    assert_memory_equal(t.p + 512, "hi\n", 3);
    /* a 150-character name goes into prefix + name */
    char longname[200];
    memset(longname, 'd', 120);
    longname[60] = '/';
    strcpy(longname + 120, "/file-with-a-name");
    assert_int_equal(tar_add_symlink(&t, longname, "target", &e), 0);
    const uint8_t *h = t.p + 1024;
    assert_int_equal(h[156], '2');
    assert_string_equal((const char *)h + 157, "target");
    char joined[300];
    snprintf(joined, sizeof(joined), "%.155s/%.100s", (const char *)h + 345, (const char *)h);
    assert_string_equal(joined, longname);
    /* a name that cannot be split is an error */
    char bad[300];
    memset(bad, 'x', 250);
    bad[250] = '\0';
    assert_true(tar_add_dir(&t, bad, &e) < 0);
    assert_int_equal(tar_finish(&t, &e), 0);
    assert_int_equal(t.len % 512, 0);
    buf_free(&t);
}

static void gzip_round_trip(void **st)
{
    (void)st;
    struct buf in = {0}, out;
    struct ur_err e;
    for (int i = 0; i < 5000; i++) {
        char line[32];
        int n = snprintf(line, sizeof(line), "line %d\n", i);
        assert_int_equal(buf_append(&in, line, (size_t)n, &e), 0);
    }
    assert_int_equal(gzip_buf(&in, &out, &e), 0);
    assert_int_equal(out.p[0], 0x1f); /* gzip magic */
    assert_int_equal(out.p[1], 0x8b);
    assert_true(out.len < in.len);
    z_stream z;
    memset(&z, 0, sizeof(z));
    assert_int_equal(inflateInit2(&z, 15 + 16), Z_OK);
    uint8_t *back = malloc(in.len + 16);
    z.next_in = out.p;
    z.avail_in = (uInt)out.len;
    z.next_out = back;
    z.avail_out = (uInt)(in.len + 16);
    assert_int_equal(inflate(&z, Z_FINISH), Z_STREAM_END);
    assert_int_equal(z.total_out, in.len);
    assert_memory_equal(back, in.p, in.len);
    inflateEnd(&z);
    free(back);
    buf_free(&in);
    buf_free(&out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sha256_known),
        cmocka_unit_test(sha256_boundaries),
        cmocka_unit_test(tar_layout),
        cmocka_unit_test(gzip_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
