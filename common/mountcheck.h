/* mountcheck.h: the one mount verifier: does a rootfs record (or a device
 * number) describe what is mounted at a path right now? Used by the runtime
 * before it trusts a record, by the agent to tell whether a recorded mount
 * still stands, and by `unirootctl explain`, so all three give one answer.
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

/* Is path the root of a mount whose device is major:minor? (No automount
 * is triggered and a final symlink is not followed.) */
bool ur_mount_is_root_of(const char *path, uint32_t major, uint32_t minor);

#endif
