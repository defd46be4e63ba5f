/* fileio.h: whole-file reads and atomic writes, the one way uniroot's
 * programs read and replace small files (config.json, state.json, pid files).
 */
#ifndef UNIROOT_COMMON_FILEIO_H
#define UNIROOT_COMMON_FILEIO_H

#include <stddef.h>
#include <sys/types.h>

#include "err.h"

struct stat;

/* How ur_write_atomic_opts makes the new file. */
struct ur_write_opts {
    mode_t mode;              /* mode of the new file, unless like is set */
    const struct stat *like;  /* replacing this file (someone else's): keep its mode and owner */
    unsigned long long *ino;  /* if not NULL: receives the new file's inode number */
};

/* Replace dirfd/name (dirfd may be AT_FDCWD) with len bytes of data, so a
 * reader sees the old file or the new one, never a mix, and a crash loses
 * nothing: a temp file beside it (an unpredictable name made with O_EXCL,
 * never following a symlink) is written in
 * full, fsync'd, renamed over name, and the directory fsync'd. On tmpfs and
 * ramfs, where fsync means nothing, the fsyncs are skipped. On failure the
 * temp file is removed and name is untouched. */
int ur_write_atomic_opts(int dirfd, const char *name, const void *data, size_t len,
                         const struct ur_write_opts *o, struct ur_err *err);

/* The common case: a new file of the given mode. */
int ur_write_atomic(int dirfd, const char *name, const void *data, size_t len, mode_t mode,
                    struct ur_err *err);

/* Read the regular file dirfd/name (at most max bytes) into a malloc'ed,
 * NUL-terminated buffer; *len (if not NULL) gets its length. */
int ur_read_file(int dirfd, const char *name, size_t max, char **out, size_t *len,
                 struct ur_err *err);

/* The same from an open fd (read from offset 0 with pread): fstat first, so
 * only a regular file of at most max bytes is read; name is for messages. */
int ur_read_fd(int fd, const char *name, size_t max, char **out, size_t *len, struct ur_err *err);

#endif
