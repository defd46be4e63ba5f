/* resolve.h: what a block device is, from sysfs (no mount-table scans).
 *   /sys/dev/block/M:m/uevent        DEVNAME -> /dev/NAME
 *   /sys/dev/block/M:m/loop/backing_file, /sys/dev/block/M:m/diskseq
 *   /sys/dev/block/M:m/dm/name, dm/uuid
 * The sysfs root is a parameter so unit tests can use a fake tree. */
#ifndef UNIROOTD_RESOLVE_H
#define UNIROOTD_RESOLVE_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

struct blockdev_info {
    char device[256];       /* /dev/loop3, /dev/dm-2 */
    char backing[4096];     /* loop backing file, or "dm:NAME uuid:UUID" */
    char dm_name[128];
    char dm_uuid[130];
    uint64_t diskseq;
    int is_loop, is_dm;
};

/* Fill *bi for the block device major:minor. -ENODEV when sysfs has no
 * such block device (e.g. a tmpfs or overlay "device"). */
int resolve_blockdev(const char *sysfs, uint32_t major, uint32_t minor, struct blockdev_info *bi,
                     struct ur_err *err);

/* The same through a small cache, checked against the device's diskseq (which
 * changes whenever a loop device is reconfigured or a disk replaced): one
 * sysfs read instead of three or four. Devices without diskseq are not cached. */
int resolve_blockdev_cached(const char *sysfs, uint32_t major, uint32_t minor,
                            struct blockdev_info *bi, struct ur_err *err);

/* Find an active device-mapper device by name (scans /sys/block/dm-*):
 * 0 with major:minor and uuid filled, -ENOENT when there is none. */
int resolve_dm_by_name(const char *sysfs, const char *name, uint32_t *major, uint32_t *minor,
                       char *uuid, size_t uuid_len);

/* Name of a filesystem from statfs f_type, or NULL when unknown. */
const char *resolve_fstype_name(long f_type);

#endif
