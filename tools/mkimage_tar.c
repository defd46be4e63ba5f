/* mkimage_tar.c: a minimal ustar writer into memory (directories, regular
 * files, symlinks; owner root, fixed mtime so images are reproducible) and
 * gzip compression with zlib. */
#include "mkimage.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define MTIME 1700000000u

int buf_append(struct buf *b, const void *data, size_t n, struct ur_err *err)
{
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 65536;
        while (cap < b->len + n)
            cap *= 2;
        uint8_t *p = realloc(b->p, cap);
        if (!p)
            return ur_errf(err, -ENOMEM, "out of memory");
        b->p = p;
        b->cap = cap;
    }
    if (n)
        memcpy(b->p + b->len, data, n);
    b->len += n;
    return 0;
}

void buf_free(struct buf *b)
{
    free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}

/* One 512-byte header; name split into prefix/name when longer than 100. */
static int header(struct buf *t, const char *name, char type, size_t size, unsigned mode,
                  const char *link, struct ur_err *err)
{
    uint8_t h[512];
    memset(h, 0, sizeof(h));
    size_t nl = strlen(name);
    if (nl <= 100) {
        memcpy(h, name, nl);
    } else {
        const char *slash = NULL;
        for (const char *p = name; *p; p++)
            if (*p == '/' && (size_t)(p - name) <= 155 && strlen(p + 1) <= 100)
                slash = p;
        if (!slash || slash == name)
            return ur_errf(err, -ENAMETOOLONG, "tar: name too long: %s", name);
        memcpy(h + 345, name, (size_t)(slash - name));
        memcpy(h, slash + 1, strlen(slash + 1));
    }
    if (link && strlen(link) > 100)
        return ur_errf(err, -ENAMETOOLONG, "tar: link target too long: %s", link);
    snprintf((char *)h + 100, 8, "%07o", mode & 07777);
    snprintf((char *)h + 108, 8, "%07o", 0);
    snprintf((char *)h + 116, 8, "%07o", 0);
    snprintf((char *)h + 124, 12, "%011llo", (unsigned long long)size);
    snprintf((char *)h + 136, 12, "%011o", MTIME);
    memset(h + 148, ' ', 8);
    h[156] = (uint8_t)type;
    if (link)
        memcpy(h + 157, link, strlen(link));
    memcpy(h + 257, "ustar", 6);
    memcpy(h + 263, "00", 2);
    memcpy(h + 265, "root", 4);
    memcpy(h + 297, "root", 4);
    unsigned sum = 0;
    for (int i = 0; i < 512; i++)
        sum += h[i];
    snprintf((char *)h + 148, 8, "%06o", sum);
    h[155] = ' ';
    return buf_append(t, h, sizeof(h), err);
}

int tar_add_dir(struct buf *t, const char *name, struct ur_err *err)
{
    char n[512];
    snprintf(n, sizeof(n), "%s/", name);
    return header(t, n, '5', 0, 0755, NULL, err);
}

int tar_add_file(struct buf *t, const char *name, const void *data, size_t n, unsigned mode,
                 struct ur_err *err)
{
    int rc = header(t, name, '0', n, mode, NULL, err);
    if (rc < 0 || (rc = buf_append(t, data, n, err)) < 0)
        return rc;
    static const uint8_t zero[512];
    return buf_append(t, zero, (512 - n % 512) % 512, err);
}

int tar_add_symlink(struct buf *t, const char *name, const char *target, struct ur_err *err)
{
    return header(t, name, '2', 0, 0777, target, err);
}

int tar_finish(struct buf *t, struct ur_err *err)
{
    static const uint8_t zero[1024];
    return buf_append(t, zero, sizeof(zero), err);
}

int gzip_buf(const struct buf *in, struct buf *out, struct ur_err *err)
{
    z_stream z;
    memset(&z, 0, sizeof(z));
    if (deflateInit2(&z, 9, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY) != Z_OK)
        return ur_errf(err, -ENOMEM, "zlib: deflateInit2 failed");
    uLong bound = deflateBound(&z, (uLong)in->len) + 64;
    memset(out, 0, sizeof(*out));
    out->p = malloc(bound);
    if (!out->p) {
        deflateEnd(&z);
        return ur_errf(err, -ENOMEM, "out of memory");
    }
    out->cap = bound;
    z.next_in = in->p;
    z.avail_in = (uInt)in->len;
    z.next_out = out->p;
    z.avail_out = (uInt)bound;
    int r = deflate(&z, Z_FINISH);
    out->len = bound - z.avail_out;
    deflateEnd(&z);
    if (r != Z_STREAM_END) {
        buf_free(out);
        return ur_errf(err, -EIO, "zlib: deflate failed (%d)", r);
    }
    return 0;
}
