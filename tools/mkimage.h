/* mkimage.h: pieces of uniroot-mkimage, the builder of OCI image-layout
 * tars for unikernels (and small plain images for tests): SHA-256, a ustar
 * writer into memory, gzip through zlib. */
#ifndef UNIROOT_MKIMAGE_H
#define UNIROOT_MKIMAGE_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

/* ---- mkimage_sha256.c */
struct sha256 {
    uint32_t h[8];
    uint64_t len;
    uint8_t buf[64];
    size_t nbuf;
};
void sha256_init(struct sha256 *s);
void sha256_update(struct sha256 *s, const void *data, size_t n);
void sha256_final(struct sha256 *s, uint8_t out[32]);
/* "sha256:<64 hex>" of data into out (72 bytes). */
void sha256_digest(const void *data, size_t n, char out[72]);

/* ---- mkimage_tar.c: a growing buffer holding a ustar archive */
struct buf {
    uint8_t *p;
    size_t len, cap;
};
int buf_append(struct buf *b, const void *data, size_t n, struct ur_err *err);
void buf_free(struct buf *b);
int tar_add_dir(struct buf *t, const char *name, struct ur_err *err);
int tar_add_file(struct buf *t, const char *name, const void *data, size_t n, unsigned mode,
                 struct ur_err *err);
int tar_add_symlink(struct buf *t, const char *name, const char *target, struct ur_err *err);
int tar_finish(struct buf *t, struct ur_err *err);
/* gzip (RFC 1952) of in into out. */
int gzip_buf(const struct buf *in, struct buf *out, struct ur_err *err);

#endif
