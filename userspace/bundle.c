/* bundle.c: classify bundles and write the rootfs annotation (see bundle.h). */
#include "bundle.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "jsonpatch.h"
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

/* Read a whole file (at most CONFIG_MAX bytes), NUL-terminated. */
static int read_file(const char *path, char **out, size_t *len, struct stat *stp, struct ur_err *err)
{
    /* A symlinked config.json is not followed: it is not ours to read or replace. */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
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
    }
    close(fd);
    buf[n] = '\0';
    *out = buf;
    *len = n;
    return 0;
}

/* Classify a parsed-or-not document; *existing gets the current annotation (or NULL). */
static enum bundle_kind classify_doc(const char *doc, size_t len, char **existing)
{
    *existing = NULL;
    if (strlen(doc) != len) /* embedded NUL: not JSON we will edit */
        return BUNDLE_UNPARSABLE;
    cJSON *root = cJSON_ParseWithLength(doc, len);
    if (!root || !cJSON_IsObject(root)) {
        cJSON_Delete(root);
        return BUNDLE_UNPARSABLE;
    }
    enum bundle_kind k = BUNDLE_OTHER;
    const cJSON *ann = cJSON_GetObjectItemCaseSensitive(root, "annotations");
    const cJSON *t = cJSON_IsObject(ann) ? cJSON_GetObjectItemCaseSensitive(ann, UNIKERNEL_TYPE_ANNOTATION) : NULL;
    if (cJSON_IsString(t) && t->valuestring && t->valuestring[0])
        k = BUNDLE_UNIKERNEL;
    const cJSON *cur = cJSON_IsObject(ann) ? cJSON_GetObjectItemCaseSensitive(ann, ROOTFS_ANNOTATION) : NULL;
    if (k == BUNDLE_UNIKERNEL && cJSON_IsString(cur) && cur->valuestring)
        *existing = strdup(cur->valuestring);
    cJSON_Delete(root);
    return k;
}

int bundle_classify(const char *dir, enum bundle_kind *kind, struct ur_err *err)
{
    char path[PATH_MAX], *doc, *existing;
    size_t len;
    *kind = BUNDLE_MISSING;
    if (snprintf(path, sizeof(path), "%s/config.json", dir) >= (int)sizeof(path))
        return ur_errf(err, -ENAMETOOLONG, "bundle path too long");
    int rc = read_file(path, &doc, &len, NULL, err);
    if (rc == -ENOENT)
        return 0;
    if (rc < 0)
        return rc;
    *kind = classify_doc(doc, len, &existing);
    free(existing);
    free(doc);
    return 0;
}

/* write_file_atomic with the replaced file's stat already known (NULL: look it up). */
static int write_atomic_as(const char *path, const char *data, size_t len, const struct stat *orig,
                           unsigned long long *ino, struct ur_err *err)
{
    char tmp[PATH_MAX], dir[PATH_MAX];
    if (snprintf(tmp, sizeof(tmp), "%s.unirootd-XXXXXX", path) >= (int)sizeof(tmp))
        return ur_errf(err, -ENAMETOOLONG, "path too long: %s", path);
    snprintf(dir, sizeof(dir), "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash == dir)
        dir[1] = '\0';
    else if (slash)
        *slash = '\0';
    else
        snprintf(dir, sizeof(dir), ".");

    int fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0)
        return ur_errf_sys(err, -errno, "create temporary file for %s", path);
    struct stat st;
    /* mkostemp made it 0600 and ours: change only what differs from the original. */
    if (orig)
        st = *orig;
    if (orig || stat(path, &st) == 0) {
        if ((st.st_mode & 07777) != 0600 && fchmod(fd, st.st_mode & 07777) < 0)
            goto fail;
        if ((st.st_uid != geteuid() || st.st_gid != getegid()) && fchown(fd, st.st_uid, st.st_gid) < 0)
            goto fail;
    } else if (fchmod(fd, 0644) < 0) {
        goto fail;
    }
    if (ino) {
        struct stat tst;
        *ino = fstat(fd, &tst) == 0 ? (unsigned long long)tst.st_ino : 0;
    }
    /* On tmpfs (containerd's /run) there is no disk to sync to: skip both fsyncs. */
    struct statfs sfs;
    int durable = !(fstatfs(fd, &sfs) == 0 && (sfs.f_type == TMPFS_MAGIC || sfs.f_type == RAMFS_MAGIC));
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
    if (rename(tmp, path) < 0)
        goto fail;
    int dfd = durable ? open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
    return 0;
fail:;
    int e = -errno;
    if (fd >= 0)
        close(fd);
    unlink(tmp);
    return ur_errf_sys(err, e, "write %s", path);
}

int write_file_atomic(const char *path, const char *data, size_t len, unsigned long long *ino,
                      struct ur_err *err)
{
    return write_atomic_as(path, data, len, NULL, ino, err);
}

int bundle_annotate(const char *dir, const char *value, enum bundle_kind *kind,
                    unsigned long long *written_ino, struct ur_err *err)
{
    char path[PATH_MAX], *doc = NULL, *existing = NULL, *out = NULL;
    size_t len, out_len;
    *kind = BUNDLE_MISSING;
    if (snprintf(path, sizeof(path), "%s/config.json", dir) >= (int)sizeof(path))
        return ur_errf(err, -ENAMETOOLONG, "bundle path too long");
    struct stat st;
    int rc = read_file(path, &doc, &len, &st, err);
    if (rc == -ENOENT)
        return 0;
    if (rc < 0)
        return rc;
    *kind = classify_doc(doc, len, &existing);
    if (*kind == BUNDLE_UNPARSABLE) {
        rc = ur_errf(err, -EINVAL, "%s does not parse as a JSON object; left untouched", path);
        goto out;
    }
    if (*kind != BUNDLE_UNIKERNEL || (existing && strcmp(existing, value) == 0)) {
        rc = 0;
        goto out;
    }
    rc = json_set_annotation(doc, len, ROOTFS_ANNOTATION, value, &out, &out_len, err);
    if (rc < 0) {
        ur_err_wrap(err, "%s", path);
        goto out;
    }
    rc = write_atomic_as(path, out, out_len, &st, written_ino, err);
    if (rc == 0)
        rc = 1;
out:
    free(doc);
    free(existing);
    free(out);
    return rc;
}
