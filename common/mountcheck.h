/* mountcheck.h: the one mount verifier: does a rootfs record (or a device
 * number) describe what is mounted at a path right now? Used by the runtime
 * before it trusts a record, by the agent to learn a new mount's device and
 * to tell whether a recorded mount still stands, and by `unirootctl
 * explain`, so all three give one answer.
 * Each check is a constant number of syscalls on the path and the device
 * node: no mount table is read. */
#ifndef UNIROOT_COMMON_MOUNTCHECK_H
#define UNIROOT_COMMON_MOUNTCHECK_H

#include <stdbool.h>
#include <stdint.h>

#include "err.h"
#include "rootfs_record.h"

/* The statfs() magic of fstype, 0 when unknown. */
unsigned long ur_fs_magic(const char *fstype);

/* 0 when record r describes what is mounted at rootfs: for a block record,
 * rootfs is the root of a mount of device major:minor, the device node
 * exists with that number, and (for a known fstype) the filesystem is that
 * type and rootfs is its root directory, not a bind mount of a
 * subdirectory; for any other type, rootfs is not on a block device.
 * Negative (-ESTALE, or the errno of a failed syscall) with the reason in
 * err otherwise. */
int ur_mount_verify(const char *rootfs, const struct rootfs_record *r, struct ur_err *err);

/* 0 when device is a block device node numbered major:minor; -ESTALE or the
 * errno of stat with the reason in err otherwise. */
int ur_blockdev_is(const char *device, uint32_t major, uint32_t minor, struct ur_err *err);

/* The device (and, when the kernel tells, the unique mount id, else 0) of
 * the mount whose root path is. 0; -EINVAL when path is not a mount root;
 * the errno of statx when path cannot be looked at. No automount is
 * triggered and a final symlink is not followed. */
int ur_mount_root_dev(const char *path, uint32_t *major, uint32_t *minor, uint64_t *mnt_id);

/* Is path the root of a mount whose device is major:minor? (As above.) */
bool ur_mount_is_root_of(const char *path, uint32_t major, uint32_t minor);

#endif
