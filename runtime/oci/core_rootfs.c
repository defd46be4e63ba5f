/* core_rootfs.c: the container rootfs handed to the guest as block device
 * "rootfs". create copies what the monitor needs out of it, unmounts it from
 * the host and opens the device O_EXCL (the fd the monitor inherits, so the
 * host cannot mount it while the guest runs); a create that fails after that
 * mounts it back where it was, with its per-mount flags. */
#include "core.h"
#include "imagefs.h"

#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

/* How long the unmount and the exclusive open may keep failing with EBUSY.
 * Both meet short-lived references when many containers start at once
 * (tests/integration/cri_scale.sh, 50 pods): the agent holds the rootfs open
 * while it reads urunc.json (userspace/bundle.c), and a mount namespace made
 * while the rootfs was mounted (runc init of another pod's pause container:
 * CLONE_NEWNS copies every mount) keeps a copy until it detaches its old root.
 * Under load either lasts up to a few hundred ms; one that outlasts this is
 * a real user of the device, and create refuses. */
#define BUSY_WAIT_MS 3000
#define BUSY_STEP_MS 10

/* busy_wait WAITED: false once BUSY_WAIT_MS have passed since the first EBUSY;
 * else sleeps one step, adds it to *WAITED and returns true (try again). */
static bool busy_wait(int *waited)
{
    if (errno != EBUSY || *waited >= BUSY_WAIT_MS)
        return false;
    struct timespec ts = {0, BUSY_STEP_MS * 1000000L};
    nanosleep(&ts, NULL);
    *waited += BUSY_STEP_MS;
    return true;
}

/* unmount_rootfs PATH: umount2 (not following a symlink), EBUSY retried; 0 or -errno. */
static int unmount_rootfs(const char *path)
{
    for (int waited = 0;;) {
        if (umount2(path, UMOUNT_NOFOLLOW) == 0)
            return 0;
        if (!busy_wait(&waited))
            return -errno;
    }
}

/* open_exclusive DEV: an O_EXCL fd on DEV, EBUSY retried; or -errno. */
static int open_exclusive(const char *dev)
{
    for (int waited = 0;;) {
        int fd = open(dev, O_RDWR | O_EXCL | O_NONBLOCK | O_CLOEXEC);
        if (fd >= 0)
            return fd;
        if (!busy_wait(&waited))
            return -errno;
    }
}

/* Copy what the monitor needs out of the rootfs (opened inside the rootfs
 * only), close every fd on it, unmount it, and make sure nobody else has it
 * mounted (an exclusive open fails while any mount of it remains). The
 * exclusive fd must be the very device that was verified to be mounted at
 * root.path. */
int rootfs_take(const struct oci_spec *s, const struct uk_desc *uk, const struct rootfs_record *r,
                const char *dir, int *root_fd, char *kernel, size_t klen, struct rootfs_takeover *t,
                struct ur_err *err)
{
    /* the copy keeps the binary's name unless that could be one of the state
     * directory's own files (state.json and its temp files, start.fifo, ...) */
    const char *base = strrchr(uk->binary, '/') + 1;
    if (!*base || base[0] == '.' || strncmp(base, "state.json", 10) == 0 ||
        strcmp(base, "start.fifo") == 0 || strcmp(base, "urunc.json") == 0)
        base = "kernel";
    if (snprintf(kernel, klen, "%s/%s", dir, base) >= (int)klen)
        return ur_errf(err, -ENAMETOOLONG, "kernel path too long");
    int in = image_open_kernel(*root_fd, uk, err);
    if (in < 0)
        return in;
    int rc = image_copy_fd(in, kernel, err);
    close(in);
    if (rc < 0)
        return rc;
    char dst[PATH_MAX + 16];
    snprintf(dst, sizeof(dst), "%s/urunc.json", dir);
    if ((rc = image_copy_urunc_json(*root_fd, dst, err)) < 0)
        return rc;
    close(*root_fd); /* an fd on the rootfs would keep it from being unmounted */
    *root_fd = -1;

    t->ref_fd = open(r->device, O_RDONLY | O_NONBLOCK | O_CLOEXEC); /* keeps an autoclear loop alive */
    if (t->ref_fd < 0)
        return ur_errf_sys(err, -errno, "cannot open rootfs device %s", r->device);
    struct statvfs sv;
    if (statvfs(s->rootfs, &sv) < 0)
        return ur_errf_sys(err, -errno, "statvfs %s", s->rootfs);
    t->mflags = (sv.f_flag & ST_RDONLY ? MS_RDONLY : 0) | (sv.f_flag & ST_NOSUID ? MS_NOSUID : 0) |
                (sv.f_flag & ST_NODEV ? MS_NODEV : 0) | (sv.f_flag & ST_NOEXEC ? MS_NOEXEC : 0);
    snprintf(t->device, sizeof(t->device), "%s", r->device);
    snprintf(t->fstype, sizeof(t->fstype), "%s", r->fstype);
    snprintf(t->target, sizeof(t->target), "%s", s->rootfs);
    if ((rc = unmount_rootfs(s->rootfs)) < 0)
        return ur_errf_sys(err, rc, "cannot unmount the rootfs %s from the host", s->rootfs);
    t->unmounted = true;
    log_info("rootfs: unmounted %s (%s) from the host", s->rootfs, r->device);
    if ((t->excl_fd = open_exclusive(r->device)) < 0) {
        if (t->excl_fd == -EBUSY)
            return ur_errf(err, -EBUSY, "rootfs device %s is still mounted elsewhere; refusing "
                                        "to hand it to the guest", r->device);
        return ur_errf_sys(err, t->excl_fd, "cannot open rootfs device %s", r->device);
    }
    struct stat st;
    if (fstat(t->excl_fd, &st) < 0 || !S_ISBLK(st.st_mode) || major(st.st_rdev) != r->major ||
        minor(st.st_rdev) != r->minor)
        return ur_errf(err, -ESTALE, "rootfs device %s is no longer block device %u:%u; refusing "
                                     "to hand it to the guest", r->device, r->major, r->minor);
    return 0;
}

/* Mount the rootfs device back where it was, with its per-mount flags. If the
 * device is still mounted elsewhere (why create failed), the superblock is
 * shared and a mount asking for the other read-only state fails with EBUSY:
 * mount it as the superblock is, then set this mount's flags by a bind remount. */
static int mount_back(const struct rootfs_takeover *t)
{
    if (mount(t->device, t->target, t->fstype, t->mflags, NULL) == 0)
        return 0;
    if (errno != EBUSY || mount(t->device, t->target, t->fstype, t->mflags ^ MS_RDONLY, NULL) < 0)
        return -errno;
    return mount(NULL, t->target, NULL, MS_REMOUNT | MS_BIND | t->mflags, NULL) < 0 ? -errno : 0;
}

void rootfs_taken(struct rootfs_takeover *t)
{
    if (t->excl_fd >= 0)
        close(t->excl_fd);
    if (t->ref_fd >= 0)
        close(t->ref_fd);
    t->excl_fd = t->ref_fd = -1;
}

void rootfs_give_back(struct rootfs_takeover *t)
{
    if (t->excl_fd >= 0)
        close(t->excl_fd);
    t->excl_fd = -1;
    int rc;
    if (t->unmounted && (rc = mount_back(t)) < 0)
        log_warn("could not mount %s back on %s: %s", t->device, t->target, strerror(-rc));
    t->unmounted = false;
    if (t->ref_fd >= 0)
        close(t->ref_fd);
    t->ref_fd = -1;
}
