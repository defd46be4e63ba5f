/* fileio.c: whole-file reads and atomic writes (see fileio.h). */
#include "fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

/* fsync is worth its cost everywhere but on memory-backed filesystems. */
static bool durable_fs(int fd)
{
    struct statfs sf;
    if (fstatfs(fd, &sf) < 0)
        return true;
    return sf.f_type != TMPFS_MAGIC && sf.f_type != RAMFS_MAGIC;
}

static int write_full(int fd, const void *data, size_t len)
{
    const char *p = data;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -errno;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* A fresh, unpredictable temp name beside name: name.tmp-PID-RANDOM, so
 * nobody can plant the names a writer will try (the O_EXCL|O_NOFOLLOW open
 * already refuses to follow a planted symlink; this keeps it from being
 * made to fail). */
static int temp_name(char *buf, size_t n, const char *name, unsigned attempt)
{
    unsigned long long r = 0;
    if (getrandom(&r, sizeof(r), GRND_NONBLOCK) != (ssize_t)sizeof(r)) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        r = ((unsigned long long)ts.tv_nsec << 20) ^ (unsigned long long)ts.tv_sec ^ attempt;
    }
    return snprintf(buf, n, "%s.tmp-%d-%016llx", name, (int)getpid(), r) < (int)n ? 0 : -ENAMETOOLONG;
}

/* fsync the directory holding dirfd/name, so the rename itself is durable. */
static void sync_dir(int dirfd, const char *name)
{
    const char *slash = strrchr(name, '/');
    if (!slash && dirfd != AT_FDCWD) {
        fsync(dirfd);
        return;
    }
    char dir[PATH_MAX];
    snprintf(dir, sizeof(dir), "%.*s", slash ? (int)(slash - name) + 1 : 1, slash ? name : ".");
    int dfd = openat(dirfd, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
}

int ur_write_atomic_opts(int dirfd, const char *name, const void *data, size_t len,
                         const struct ur_write_opts *o, struct ur_err *err)
{
    mode_t mode = o->like ? (o->like->st_mode & 07777) : o->mode;
    char tmp[PATH_MAX];
    int fd = -1;
    for (unsigned attempt = 0; fd < 0 && attempt < 100; attempt++) {
        if (temp_name(tmp, sizeof(tmp), name, attempt) < 0)
            return ur_errf(err, -ENAMETOOLONG, "%s: path too long", name);
        fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
        if (fd < 0 && errno != EEXIST)
            return ur_errf_sys(err, -errno, "cannot write %s", tmp);
    }
    if (fd < 0)
        return ur_errf(err, -EEXIST, "cannot write %s: no free temporary name", name);
    int rc = 0;
    struct stat st;
    if (fstat(fd, &st) < 0)
        rc = -errno;
    /* only when the umask took bits away, or the owner must be kept */
    if (rc == 0 && (st.st_mode & 07777) != mode && fchmod(fd, mode) < 0)
        rc = -errno;
    if (rc == 0 && o->like && (st.st_uid != o->like->st_uid || st.st_gid != o->like->st_gid) &&
        fchown(fd, o->like->st_uid, o->like->st_gid) < 0)
        rc = -errno;
    bool durable = rc == 0 && durable_fs(fd);
    if (rc == 0)
        rc = write_full(fd, data, len);
    if (rc == 0 && durable && fsync(fd) < 0)
        rc = -errno;
    if (close(fd) < 0 && rc == 0)
        rc = -errno;
    if (rc == 0 && renameat(dirfd, tmp, dirfd, name) < 0)
        rc = -errno;
    if (rc < 0) {
        unlinkat(dirfd, tmp, 0);
        return ur_errf_sys(err, rc, "cannot write %s", name);
    }
    if (o->ino)
        *o->ino = (unsigned long long)st.st_ino;
    if (durable)
        sync_dir(dirfd, name);
    return 0;
}

int ur_write_atomic(int dirfd, const char *name, const void *data, size_t len, mode_t mode,
                    struct ur_err *err)
{
    const struct ur_write_opts o = {.mode = mode};
    return ur_write_atomic_opts(dirfd, name, data, len, &o, err);
}

int ur_read_file(int dirfd, const char *name, size_t max, char **out, size_t *len,
                 struct ur_err *err)
{
    /* O_NONBLOCK: a FIFO planted at name must not hang the open; the fstat in
     * ur_read_fd refuses it (and any other non-regular file) before a read. */
    int fd = openat(dirfd, name, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (fd < 0)
        return ur_errf_sys(err, -errno, "cannot open %s", name);
    int rc = ur_read_fd(fd, name, max, out, len, err);
    close(fd);
    return rc;
}

int ur_read_fd(int fd, const char *name, size_t max, char **out, size_t *len, struct ur_err *err)
{
    struct stat st;
    if (fstat(fd, &st) < 0)
        return ur_errf_sys(err, -errno, "cannot stat %s", name);
    if (!S_ISREG(st.st_mode))
        return ur_errf(err, -EINVAL, "%s is not a regular file", name);
    if ((unsigned long long)st.st_size > max)
        return ur_errf(err, -EFBIG, "%s is %llu bytes; at most %zu bytes are read", name,
                       (unsigned long long)st.st_size, max);
    char *buf = malloc((size_t)st.st_size + 1);
    if (!buf)
        return ur_errf(err, -ENOMEM, "out of memory");
    size_t got = 0;
    while (got < (size_t)st.st_size) {
        ssize_t n = pread(fd, buf + got, (size_t)st.st_size - got, (off_t)got);
        if (n < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (n < 0) {
            int e = errno;
            free(buf);
            return ur_errf_sys(err, -e, "cannot read %s", name);
        }
        if (n == 0)
            break; /* shrank while we read: take what is there */
        got += (size_t)n;
    }
    buf[got] = '\0';
    *out = buf;
    if (len)
        *len = got;
    return 0;
}
