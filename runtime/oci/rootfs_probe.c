/* rootfs_probe.c: the real rootfs probes: O(1) verification of a record with
 * the common mount verifier, a query to the agent's unix socket with a short
 * deadline, and a libmount lookup of root.path (the slow, O(mounts) path). */
#include "agentsock.h"
#include "mountcheck.h"
#include "rootfs.h"

#include <errno.h>
#include <fcntl.h>
#include <libmount/libmount.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

/* The record check is the project's one mount verifier (common/mountcheck.c). */
static int real_verify(void *ctx, const char *rootfs, const struct rootfs_record *r,
                       struct ur_err *err)
{
    (void)ctx;
    return ur_mount_verify(rootfs, r, err);
}

static int64_t ms_left(const struct timespec *deadline)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (deadline->tv_sec - now.tv_sec) * 1000 + (deadline->tv_nsec - now.tv_nsec) / 1000000;
}

/* Wait for events on fd until the deadline. */
static int wait_fd(int fd, short events, const struct timespec *deadline, struct ur_err *err)
{
    for (;;) {
        int64_t left = ms_left(deadline);
        if (left < 0)
            left = 0;
        struct pollfd pfd = {.fd = fd, .events = events};
        int n = poll(&pfd, 1, (int)left);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return ur_errf_sys(err, -errno, "poll");
        if (n == 0)
            return ur_errf(err, -ETIMEDOUT, "no answer within %d ms", ROOTFS_AGENT_TIMEOUT_MS);
        return 0;
    }
}

/* Parse one answer line: {"ok":true,"record":{...}} or {"ok":false,"error":"..."}. */
static int parse_agent_answer(const char *line, struct rootfs_record *r, struct ur_err *err)
{
    cJSON *o = cJSON_Parse(line);
    if (!o)
        return ur_errf(err, -EPROTO, "answer is not JSON");
    int rc;
    const cJSON *ok = cJSON_GetObjectItemCaseSensitive(o, "ok");
    if (cJSON_IsTrue(ok)) {
        const cJSON *rec = cJSON_GetObjectItemCaseSensitive(o, "record");
        char *s = cJSON_IsObject(rec) ? cJSON_PrintUnformatted(rec) : NULL;
        if (!s) {
            rc = ur_errf(err, -EPROTO, "answer has no record");
        } else {
            rc = rootfs_record_from_json(s, r, err) < 0 ? ur_err_wrap(err, "agent") : 1;
            free(s);
        }
    } else {
        const cJSON *e = cJSON_GetObjectItemCaseSensitive(o, "error");
        rc = ur_errf(err, -ENOENT, "agent says: %s",
                     cJSON_IsString(e) && e->valuestring ? e->valuestring : "no record");
    }
    cJSON_Delete(o);
    return rc;
}

static int real_agent_get(void *ctx, const char *bundle, struct rootfs_record *r,
                          struct ur_err *err)
{
    (void)ctx;
    const char *path = ur_agent_socket_path();
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof(sa.sun_path))
        return ur_errf(err, -ENAMETOOLONG, "agent socket path too long");
    strcpy(sa.sun_path, path);
    struct timespec deadline;
    clock_gettime(CLOCK_MONOTONIC, &deadline);
    deadline.tv_nsec += ROOTFS_AGENT_TIMEOUT_MS * 1000000L;
    deadline.tv_sec += deadline.tv_nsec / 1000000000L;
    deadline.tv_nsec %= 1000000000L;

    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return ur_errf_sys(err, -errno, "socket");
    int rc;
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        if (errno == ENOENT || errno == ECONNREFUSED) {
            rc = ur_errf(err, 0, "no agent at %s (%s)", path, strerror(errno));
            goto out;
        }
        if (errno != EINPROGRESS && errno != EAGAIN) {
            rc = ur_errf_sys(err, -errno, "cannot connect to %s", path);
            goto out;
        }
        if ((rc = wait_fd(fd, POLLOUT, &deadline, err)) < 0)
            goto out;
    }
    cJSON *q = cJSON_CreateObject();
    char *qs = NULL;
    if (q && cJSON_AddStringToObject(q, "op", "get") && cJSON_AddStringToObject(q, "bundle", bundle))
        qs = cJSON_PrintUnformatted(q);
    cJSON_Delete(q);
    if (!qs) {
        rc = ur_errf(err, -ENOMEM, "out of memory");
        goto out;
    }
    size_t qlen = strlen(qs);
    qs[qlen++] = '\n'; /* replaces the NUL; the buffer is not used as a string again */
    size_t sent = 0;
    while (sent < qlen) {
        ssize_t n = send(fd, qs + sent, qlen - sent, MSG_NOSIGNAL);
        if (n < 0 && errno == EAGAIN) {
            if ((rc = wait_fd(fd, POLLOUT, &deadline, err)) < 0) {
                free(qs);
                goto out;
            }
            continue;
        }
        if (n < 0) {
            rc = ur_errf_sys(err, -errno, "cannot write to the agent");
            free(qs);
            goto out;
        }
        sent += (size_t)n;
    }
    free(qs);
    char buf[16384];
    size_t len = 0;
    for (;;) {
        if ((rc = wait_fd(fd, POLLIN, &deadline, err)) < 0)
            goto out;
        ssize_t n = recv(fd, buf + len, sizeof(buf) - 1 - len, 0);
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
            continue;
        if (n < 0) {
            rc = ur_errf_sys(err, -errno, "cannot read from the agent");
            goto out;
        }
        len += (size_t)n;
        buf[len] = '\0';
        char *nl = memchr(buf, '\n', len);
        if (nl || n == 0) {
            if (nl)
                *nl = '\0';
            if (len == 0) {
                rc = ur_errf(err, -EPROTO, "agent closed the connection without answering");
                goto out;
            }
            rc = parse_agent_answer(buf, r, err);
            goto out;
        }
        if (len >= sizeof(buf) - 1) {
            rc = ur_errf(err, -EPROTO, "agent answer too long");
            goto out;
        }
    }
out:
    close(fd);
    return rc;
}

/* Is "ro" among the mount's VFS options? */
static bool fs_is_ro(struct libmnt_fs *fs)
{
    const char *o = mnt_fs_get_vfs_options(fs);
    return o && mnt_optstr_get_option(o, "ro", NULL, NULL) == 0;
}

static int real_mount_lookup(void *ctx, const char *rootfs, struct rootfs_record *r,
                             char *rw_elsewhere, size_t n, struct ur_err *err)
{
    (void)ctx;
    memset(r, 0, sizeof(*r));
    rw_elsewhere[0] = '\0';
    char real[PATH_MAX];
    if (!realpath(rootfs, real))
        return ur_errf_sys(err, -errno, "root.path %s", rootfs);
    struct libmnt_table *tb = mnt_new_table_from_file("/proc/self/mountinfo");
    if (!tb)
        return ur_errf(err, -EIO, "libmount cannot read /proc/self/mountinfo");
    int rc = 0;
    struct libmnt_fs *fs = mnt_table_find_target(tb, real, MNT_ITER_BACKWARD);
    if (!fs || strcmp(mnt_fs_get_target(fs) ? mnt_fs_get_target(fs) : "", real) != 0)
        goto out; /* nothing mounted exactly there */
    const char *fstype = mnt_fs_get_fstype(fs);
    const char *src = mnt_fs_get_srcpath(fs);
    const char *root = mnt_fs_get_root(fs);
    dev_t dev = mnt_fs_get_devno(fs);
    snprintf(r->fstype, sizeof(r->fstype), "%s", fstype ? fstype : "");
    snprintf(r->observed_by, sizeof(r->observed_by), "libmount");
    r->version = ROOTFS_RECORD_VERSION;
    r->major = major(dev);
    r->minor = minor(dev);
    rc = 1;
    /* the source is the block device node of that number (mountcheck.h's check) */
    if (!src || src[0] != '/' || ur_blockdev_is(src, major(dev), minor(dev), NULL) < 0 ||
        (root && strcmp(root, "/") != 0)) {
        r->type = ROOTFS_NONE; /* overlay, tmpfs, a bind mount of a subdirectory, ... */
        goto out;
    }
    r->type = ROOTFS_BLOCK;
    snprintf(r->device, sizeof(r->device), "%s", src);
    snprintf(r->mount_target, sizeof(r->mount_target), "%s", real);
    struct libmnt_iter *it = mnt_new_iter(MNT_ITER_FORWARD);
    struct libmnt_fs *o;
    while (it && mnt_table_next_fs(tb, it, &o) == 0) {
        if (o == fs || mnt_fs_get_devno(o) != dev || fs_is_ro(o))
            continue;
        snprintf(rw_elsewhere, n, "%s", mnt_fs_get_target(o) ? mnt_fs_get_target(o) : "?");
        break;
    }
    mnt_free_iter(it);
out:
    mnt_unref_table(tb);
    (void)err;
    return rc;
}

const struct rootfs_probes rootfs_probes_real = {
    .verify = real_verify,
    .agent_get = real_agent_get,
    .mount_lookup = real_mount_lookup,
    .ctx = NULL,
};
