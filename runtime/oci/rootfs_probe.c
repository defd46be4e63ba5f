/* rootfs_probe.c: the real rootfs probes: O(1) verification of a record with
 * the common mount verifier, a query to the agent's unix socket with a short
 * deadline (wire format: common/agentproto.h), and a libmount lookup of
 * root.path (the slow, O(mounts) path). */
#include "agentproto.h"
#include "agentsock.h"
#include "mountcheck.h"
#include "rootfs.h"

#include <errno.h>
#include <fcntl.h>
#include <libmount/libmount.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>

/* The record check is the project's one mount verifier (common/mountcheck.c). */
static int real_verify(void *ctx, const char *rootfs, const struct rootfs_record *r,
                       struct ur_err *err)
{
    (void)ctx;
    return ur_mount_verify(rootfs, r, err);
}

/* Ask the agent for the bundle's record within ROOTFS_AGENT_TIMEOUT_MS
 * 1: a record; 0: no agent there. ctx is the socket's path (NULL: the
 * environment's, else the default; common/agentsock.h). */
static int real_agent_get(void *ctx, const char *bundle, struct rootfs_record *r,
                          struct ur_err *err)
{
    const char *sock = ctx ? ctx : ur_agent_socket_path();
    struct ur_agent_req q = {.op = UR_AGENT_GET, .bundle = bundle};
    struct ur_agent_conn c;
    char buf[16384], *line, *rec = NULL;
    int rc = ur_agent_connect(&c, sock, ROOTFS_AGENT_TIMEOUT_MS, buf, sizeof(buf), err);
    if (rc == -ENOENT || rc == -ECONNREFUSED) {
        if (err)
            err->code = 0; /* no agent: not an error, the runtime looks itself */
        rc = 0;
        goto out;
    }
    if (rc < 0)
        goto out;
    char *qs = ur_agent_req_line(&q);
    if (!qs) {
        rc = ur_errf(err, -ENOMEM, "out of memory");
        goto out;
    }
    rc = ur_agent_send(&c, qs, err);
    free(qs);
    if (rc < 0 || (rc = ur_agent_recv_line(&c, &line, err)) < 0 ||
        (rc = ur_agent_answer(line, "record", &rec, err)) < 0)
        goto out;
    rc = rootfs_record_from_json(rec, r, err) < 0 ? ur_err_wrap(err, "agent") : 1;
out:
    free(rec);
    ur_agent_close(&c);
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
