/* mountcheck.c: the mount verifier (see mountcheck.h). */
#include "mountcheck.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>

#ifndef STATX_ATTR_MOUNT_ROOT
#define STATX_ATTR_MOUNT_ROOT 0x00002000
#endif
#ifndef STATX_MNT_ID_UNIQUE
#define STATX_MNT_ID_UNIQUE 0x00004000U
#endif

#define EXT_MAGIC 0xEF53ul
#define EXT_ROOT_INO 2

static const struct {
    const char *name;
    unsigned long magic;
} fs_magics[] = {
    {"ext2", EXT_MAGIC}, {"ext3", EXT_MAGIC}, {"ext4", EXT_MAGIC}, {"xfs", 0x58465342},
    {"btrfs", 0x9123683E}, {"vfat", 0x4d44}, {"erofs", 0xE0F5E1E2}, {"squashfs", 0x73717368},
    {"iso9660", 0x9660},
};

unsigned long ur_fs_magic(const char *fstype)
{
    for (size_t i = 0; i < sizeof(fs_magics) / sizeof(fs_magics[0]); i++)
        if (strcmp(fs_magics[i].name, fstype) == 0)
            return fs_magics[i].magic;
    return 0;
}

/* statx of path itself: its device, inode and whether it is a mount root. */
static int stat_path(const char *path, struct statx *sx, unsigned flags)
{
    return statx(AT_FDCWD, path, AT_SYMLINK_NOFOLLOW | flags,
                 STATX_TYPE | STATX_INO | STATX_MNT_ID_UNIQUE, sx) < 0 ? -errno : 0;
}

/* The kernel says path is not a mount root (it may not know: then no). */
static bool not_mount_root(const struct statx *sx)
{
    return (sx->stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) &&
           !(sx->stx_attributes & STATX_ATTR_MOUNT_ROOT);
}

int ur_mount_verify(const char *rootfs, const struct rootfs_record *r, struct ur_err *err)
{
    struct statx sx;
    int rc = stat_path(rootfs, &sx, 0);
    if (rc < 0)
        return ur_errf_sys(err, rc, "cannot stat root.path %s", rootfs);
    if (r->type != ROOTFS_BLOCK) {
        /* not a block device: root.path must not live on one either */
        if (sx.stx_dev_major != 0)
            return ur_errf(err, -ESTALE, "record says %s but root.path is on block device %u:%u",
                           rootfs_type_name(r->type), sx.stx_dev_major, sx.stx_dev_minor);
        return 0;
    }
    if (sx.stx_dev_major != r->major || sx.stx_dev_minor != r->minor)
        return ur_errf(err, -ESTALE, "root.path is on %u:%u, record says %u:%u",
                       sx.stx_dev_major, sx.stx_dev_minor, r->major, r->minor);
    if (not_mount_root(&sx))
        return ur_errf(err, -ESTALE, "root.path is not the root of a mount");
    if ((rc = ur_blockdev_is(r->device, r->major, r->minor, err)) < 0)
        return rc;
    unsigned long magic = ur_fs_magic(r->fstype);
    if (magic) {
        struct statfs sf;
        if (statfs(rootfs, &sf) < 0)
            return ur_errf_sys(err, -errno, "cannot statfs %s", rootfs);
        if ((unsigned long)sf.f_type != magic)
            return ur_errf(err, -ESTALE, "root.path is not %s (magic 0x%lx)", r->fstype,
                           (unsigned long)sf.f_type);
        /* the filesystem's root, not a bind mount of a subdirectory */
        if (magic == EXT_MAGIC && sx.stx_ino != EXT_ROOT_INO)
            return ur_errf(err, -ESTALE, "root.path is not the root directory of the %s",
                           r->fstype);
    }
    return 0;
}

int ur_blockdev_is(const char *device, uint32_t major_, uint32_t minor_, struct ur_err *err)
{
    struct stat st;
    if (stat(device, &st) < 0)
        return ur_errf_sys(err, -errno, "device %s", device);
    if (!S_ISBLK(st.st_mode))
        return ur_errf(err, -ESTALE, "%s is not a block device", device);
    if (major(st.st_rdev) != major_ || minor(st.st_rdev) != minor_)
        return ur_errf(err, -ESTALE, "device %s is %u:%u, record says %u:%u", device,
                       major(st.st_rdev), minor(st.st_rdev), major_, minor_);
    return 0;
}

int ur_mount_root_dev(const char *path, uint32_t *major_, uint32_t *minor_, uint64_t *mnt_id)
{
    struct statx sx;
    int rc = stat_path(path, &sx, AT_NO_AUTOMOUNT);
    if (rc < 0)
        return rc;
    if (not_mount_root(&sx))
        return -EINVAL;
    *major_ = sx.stx_dev_major;
    *minor_ = sx.stx_dev_minor;
    if (mnt_id)
        *mnt_id = sx.stx_mask & STATX_MNT_ID_UNIQUE ? sx.stx_mnt_id : 0;
    return 0;
}

bool ur_mount_is_root_of(const char *path, uint32_t major_, uint32_t minor_)
{
    uint32_t ma, mi;
    return ur_mount_root_dev(path, &ma, &mi, NULL) == 0 && ma == major_ && mi == minor_;
}
