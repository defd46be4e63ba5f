/* bundle.c: classify bundles and write the rootfs annotation (see bundle.h). */
#include "bundle.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#include "jsonpatch.h"
#include "jsonstr.h"
#include "rootfs_record.h"

#define CONFIG_MAX (16 << 20)

const char *bundle_kind_name(enum bundle_kind k)
{
    switch (k) {
    case BUNDLE_MISSING: return "missing";
    case BUNDLE_UNPARSABLE: return "unparsable";
    case BUNDLE_OTHER: return "other";
    case BUNDLE_UNIKERNEL: return "unikernel";
    }
    return "?";
}

/* Read the whole file name in directory dfd (at most CONFIG_MAX bytes),
 * NUL-terminated; path is its full name, for messages. */
static int read_file(int dfd, const char *name, const char *path, char **out, size_t *len,
                     struct stat *stp, struct ur_err *err)
{
    /* A symlinked config.json is not followed: it is not ours to read or replace. */
    int fd = openat(dfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
    if (fd < 0)
        return ur_errf_sys(err, -errno, "open %s", path);
    struct stat st;
    if (fstat(fd, &st) < 0) {
        int e = -errno;
        close(fd);
        return ur_errf_sys(err, e, "stat %s", path);
    }
    if (stp)
        *stp = st;
    if (!S_ISREG(st.st_mode) || st.st_size > CONFIG_MAX) {
        close(fd);
        return ur_errf(err, -EINVAL, "%s: not a regular file of at most %d bytes", path,
                       CONFIG_MAX);
    }
    size_t cap = (size_t)st.st_size + 1, n = 0;
    char *buf = malloc(cap);
    if (!buf) {
        close(fd);
        return ur_errf(err, -ENOMEM, "out of memory");
    }
    for (;;) {
        if (n + 1 >= cap) {
            if (cap > CONFIG_MAX) {
                free(buf);
                close(fd);
                return ur_errf(err, -EFBIG, "%s: too large", path);
            }
            char *nb = realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
                close(fd);
                return ur_errf(err, -ENOMEM, "out of memory");
            }
            buf = nb;
            cap *= 2;
        }
        ssize_t r = read(fd, buf + n, cap - 1 - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            int e = -errno;
            free(buf);
            close(fd);
            return ur_errf_sys(err, e, "read %s", path);
        }
        if (r == 0)
            break;
        n += (size_t)r;
        if (n == (size_t)st.st_size) /* all fstat promised: no second read to see EOF */
            break;
    }
    close(fd);
    buf[n] = '\0';
    *out = buf;
    *len = n;
    return 0;
}

/* The keys json_scan_config notes inside "annotations". */
#define K_TYPE 0
#define K_ROOTFS 1
static const char *const watched[2] = {UNIKERNEL_TYPE_ANNOTATION, ROOTFS_ANNOTATION};

/* Classify a document with one strict pass (jsonpatch.h); info tells where
 * the annotations are, for the edit that follows. */
static enum bundle_kind classify_doc(const char *doc, size_t len, struct json_config_info *info)
{
    if (json_scan_config(doc, len, watched, info, NULL) < 0)
        return BUNDLE_UNPARSABLE; /* embedded NULs included: raw control bytes are not JSON */
    if (info->ann.found && doc[info->ann.start] == '{' &&
        json_span_nonempty_string(doc, &info->member[K_TYPE]))
        return BUNDLE_UNIKERNEL;
    return BUNDLE_OTHER;
}

/* Does the current annotation already hold value? Its text is compared with
 * value as this agent writes it (jsonstr.h); a differently escaped equal
 * value is written once more, which changes nothing. */
static int annotation_is(const char *doc, const struct json_span *cur, const char *value)
{
    if (!cur->found || doc[cur->start] != '"')
        return 0;
    size_t n = cur->end - cur->start, cap = jsonstr_bound(value) + 1, l = 0;
    char *buf = malloc(cap);
    int same = buf && jsonstr_put(buf, cap, &l, value) == 0 && l == n && memcmp(buf, doc + cur->start, n) == 0;
    free(buf);
    return same;
}

/* The bundle directory, opened once so every later step is a short *at()
 * lookup instead of a walk of the whole path. -ENOENT when it is missing. */
static int open_dir(const char *dir, struct ur_err *err)
{
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return errno == ENOENT ? -ENOENT : ur_errf_sys(err, -errno, "open %s", dir);
    return dfd;
}

int bundle_classify(const char *dir, enum bundle_kind *kind, struct ur_err *err)
{
    char path[PATH_MAX], *doc;
    size_t len;
    *kind = BUNDLE_MISSING;
    if (snprintf(path, sizeof(path), "%s/config.json", dir) >= (int)sizeof(path))
        return ur_errf(err, -ENAMETOOLONG, "bundle path too long");
    int dfd = open_dir(dir, err);
    if (dfd == -ENOENT)
        return 0;
    if (dfd < 0)
        return dfd;
    int rc = read_file(dfd, "config.json", path, &doc, &len, NULL, err);
    close(dfd);
    if (rc == -ENOENT)
        return 0;
    if (rc < 0)
        return rc;
    struct json_config_info info;
    *kind = classify_doc(doc, len, &info);
    free(doc);
    return 0;
}

/* A temporary name next to name: name.unirootd-XXXXXX (six hex digits). */
static void temp_name(char *buf, size_t n, const char *name)
{
    static uint32_t x;
    if (!x)
        x = (uint32_t)getpid() * 2654435761u ^ (uint32_t)time(NULL) ^ 0x9e3779b9u;
    x ^= x << 13; /* xorshift32: only has to differ, O_EXCL catches the rest */
    x ^= x >> 17;
    x ^= x << 5;
    snprintf(buf, n, "%s.unirootd-%06x", name, x & 0xffffff);
}

/* Is the filesystem of fd one where fsync means something? tmpfs/ramfs
 * (containerd's /run) are not; the answer is kept per device. */
static int durable_fs(int fd, dev_t dev)
{
    static dev_t last_dev;
    static int last_durable = -1;
    if (last_durable >= 0 && dev && dev == last_dev)
        return last_durable;
    struct statfs sfs;
    int durable = !(fstatfs(fd, &sfs) == 0 && (sfs.f_type == TMPFS_MAGIC || sfs.f_type == RAMFS_MAGIC));
    if (dev) {
        last_dev = dev;
        last_durable = durable;
    }
    return durable;
}

/* Atomically replace name in directory dfd (path: its full name, for
 * messages), keeping the replaced file's mode and owner (orig; NULL: looked
 * up). Temp file created with the final mode, written, fsync'd unless on
 * tmpfs, renamed over, directory fsync'd. */
static int write_atomic_at(int dfd, const char *name, const char *path, const char *data, size_t len,
                           const struct stat *orig, unsigned long long *ino, struct ur_err *err)
{
    static uid_t euid = (uid_t)-1;
    static gid_t egid;
    if (euid == (uid_t)-1) {
        euid = geteuid();
        egid = getegid();
    }
    char tmp[NAME_MAX + 1];
    struct stat st;
    if (strlen(name) + 17 > NAME_MAX)
        return ur_errf(err, -ENAMETOOLONG, "name too long: %s", path);
    int have = 1;
    if (orig)
        st = *orig;
    else if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        have = 0;
    mode_t mode = have ? (st.st_mode & 07777) : 0644;
    int fd = -1;
    for (int i = 0; i < 100 && fd < 0; i++) {
        temp_name(tmp, sizeof(tmp), name);
        fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
        if (fd < 0 && errno != EEXIST)
            return ur_errf_sys(err, -errno, "create temporary file for %s", path);
    }
    if (fd < 0)
        return ur_errf(err, -EEXIST, "create temporary file for %s: no free name", path);
    struct stat tst;
    if (fstat(fd, &tst) < 0)
        goto fail;
    if (ino)
        *ino = (unsigned long long)tst.st_ino;
    /* the umask may have taken bits away: only then a chmod */
    if ((tst.st_mode & 07777) != mode && fchmod(fd, mode) < 0)
        goto fail;
    if (have && (st.st_uid != euid || st.st_gid != egid) && fchown(fd, st.st_uid, st.st_gid) < 0)
        goto fail;
    int durable = durable_fs(fd, tst.st_dev);
    for (size_t off = 0; off < len;) {
        ssize_t w = write(fd, data + off, len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            goto fail;
        off += (size_t)w;
    }
    if (durable && fsync(fd) < 0)
        goto fail;
    if (close(fd) < 0) {
        fd = -1;
        goto fail;
    }
    fd = -1;
    if (renameat(dfd, tmp, dfd, name) < 0)
        goto fail;
    if (durable)
        fsync(dfd);
    return 0;
fail:;
    int e = -errno;
    if (fd >= 0)
        close(fd);
    unlinkat(dfd, tmp, 0);
    return ur_errf_sys(err, e, "write %s", path);
}

int write_file_atomic(const char *path, const char *data, size_t len, unsigned long long *ino,
                      struct ur_err *err)
{
    char dir[PATH_MAX];
    if (snprintf(dir, sizeof(dir), "%s", path) >= (int)sizeof(dir))
        return ur_errf(err, -ENAMETOOLONG, "path too long: %s", path);
    char *slash = strrchr(dir, '/');
    const char *name = slash ? slash + 1 : path;
    if (slash == dir)
        dir[1] = '\0';
    else if (slash)
        *slash = '\0';
    else
        snprintf(dir, sizeof(dir), ".");
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return ur_errf_sys(err, -errno, "open %s", dir);
    int rc = write_atomic_at(dfd, name, path, data, len, NULL, ino, err);
    close(dfd);
    return rc;
}

int bundle_annotate(const char *dir, const char *value, enum bundle_kind *kind,
                    unsigned long long *written_ino, struct ur_err *err)
{
    char path[PATH_MAX], *doc = NULL, *out = NULL;
    size_t len, out_len;
    *kind = BUNDLE_MISSING;
    if (snprintf(path, sizeof(path), "%s/config.json", dir) >= (int)sizeof(path))
        return ur_errf(err, -ENAMETOOLONG, "bundle path too long");
    struct stat st;
    int dfd = open_dir(dir, err);
    if (dfd == -ENOENT)
        return 0;
    if (dfd < 0)
        return dfd;
    int rc = read_file(dfd, "config.json", path, &doc, &len, &st, err);
    if (rc == -ENOENT) {
        close(dfd);
        return 0;
    }
    if (rc < 0) {
        close(dfd);
        return rc;
    }
    struct json_config_info info;
    *kind = classify_doc(doc, len, &info);
    if (*kind == BUNDLE_UNPARSABLE) {
        rc = ur_errf(err, -EINVAL, "%s does not parse as a JSON object; left untouched", path);
        goto out;
    }
    if (*kind != BUNDLE_UNIKERNEL || annotation_is(doc, &info.member[K_ROOTFS], value)) {
        rc = 0;
        goto out;
    }
    rc = json_splice_annotation(doc, len, &info, K_ROOTFS, ROOTFS_ANNOTATION, value, &out, &out_len, err);
    if (rc < 0) {
        ur_err_wrap(err, "%s", path);
        goto out;
    }
    rc = write_atomic_at(dfd, "config.json", path, out, out_len, &st, written_ino, err);
    if (rc == 0)
        rc = 1;
out:
    close(dfd);
    free(doc);
    free(out);
    return rc;
}
