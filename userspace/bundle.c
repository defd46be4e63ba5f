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

#include "fileio.h"
#include "jsonpatch.h"
#include "jsonstr.h"
#include "rootfs_record.h"
#include "ukbundle.h"

#define CONFIG_MAX (16 << 20)

const char *bundle_kind_name(enum bundle_kind k)
{
    switch (k) {
    case BUNDLE_MISSING: return "missing";
    case BUNDLE_UNPARSABLE: return "unparsable";
    case BUNDLE_OTHER: return "other";
    case BUNDLE_UNIKERNEL: return "unikernel";
    case BUNDLE_REFUSED: return "refused";
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
static const char *const watched[2] = {UR_UK_TYPE_KEY, ROOTFS_ANNOTATION};

/* The description in the rootfs (ukbundle.h), read as the hostile input it
 * is: urunc.json opened inside rootfs only, bounded, parsed with checks.
 * The rootfs is held open only for these few calls (an fd on it would make
 * the runtime's unmount fail). */
static enum bundle_kind classify_rootfs(const char *rootfs, struct ur_err *err)
{
    int rootfd = open(rootfs, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (rootfd < 0)
        return BUNDLE_OTHER; /* no rootfs (yet): no description there */
    char *json = NULL;
    int rc = ur_urunc_json_read(rootfd, &json, err);
    close(rootfd);
    if (rc == 0)
        return BUNDLE_OTHER;
    if (rc > 0) {
        rc = ur_urunc_json_names_type(json, err);
        free(json);
    }
    if (rc < 0) {
        ur_err_wrap(err, "%s", rootfs);
        return BUNDLE_REFUSED;
    }
    return rc ? BUNDLE_UNIKERNEL : BUNDLE_OTHER;
}

/* Classify a document with one strict pass (jsonpatch.h); info tells where
 * the annotations are, for the edit that follows. The annotations are the
 * description when they hold any of its keys; otherwise, when rootfs is not
 * NULL, its urunc.json is (ukbundle.h). */
static enum bundle_kind classify_doc(const char *doc, size_t len, const char *rootfs,
                                     struct json_config_info *info, struct ur_err *err)
{
    if (json_scan_config(doc, len, watched, UR_UK_PREFIX, info, NULL) < 0)
        return BUNDLE_UNPARSABLE; /* embedded NULs included: raw control bytes are not JSON */
    int ann_obj = info->ann.found && doc[info->ann.start] == '{';
    if (ann_obj && json_span_nonempty_string(doc, &info->member[K_TYPE]))
        return BUNDLE_UNIKERNEL;
    if ((ann_obj && info->ann_has_prefix) || !rootfs)
        return BUNDLE_OTHER;
    return classify_rootfs(rootfs, err);
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

int bundle_classify(const char *dir, const char *rootfs, enum bundle_kind *kind, struct ur_err *err)
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
    *kind = classify_doc(doc, len, rootfs, &info, err);
    free(doc);
    return *kind == BUNDLE_REFUSED ? err->code : 0;
}

int bundle_annotate_doc(const char *doc, size_t len, const char *rootfs, const char *value,
                        enum bundle_kind *kind, char **out, size_t *out_len, struct ur_err *err)
{
    struct json_config_info info;
    *kind = classify_doc(doc, len, rootfs, &info, err);
    if (*kind == BUNDLE_UNPARSABLE)
        return ur_errf(err, -EINVAL, "does not parse as a JSON object; left untouched");
    if (*kind == BUNDLE_REFUSED)
        return ur_err_wrap(err, "description refused; left untouched");
    if (*kind != BUNDLE_UNIKERNEL || annotation_is(doc, &info.member[K_ROOTFS], value))
        return 0;
    int rc = json_splice_annotation(doc, len, &info, K_ROOTFS, ROOTFS_ANNOTATION, value, out,
                                    out_len, err);
    return rc < 0 ? rc : 1;
}

int bundle_annotate(const char *dir, const char *rootfs, const char *value, enum bundle_kind *kind,
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
    rc = bundle_annotate_doc(doc, len, rootfs, value, kind, &out, &out_len, err);
    if (rc <= 0) {
        if (rc < 0)
            ur_err_wrap(err, "%s", path);
        goto out;
    }
    /* someone else's file: keep its mode and owner */
    const struct ur_write_opts wo = {.like = &st, .ino = written_ino};
    rc = ur_write_atomic_opts(dfd, "config.json", out, out_len, &wo, err);
    if (rc == 0)
        rc = 1;
    else
        ur_err_wrap(err, "%s", dir);
out:
    close(dfd);
    free(doc);
    free(out);
    return rc;
}
