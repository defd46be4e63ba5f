/* resolve.c: block device facts from sysfs (see resolve.h). */
#include "resolve.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Read a small sysfs attribute into buf, newline stripped. */
static int read_attr(const char *path, char *buf, size_t n)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    ssize_t r = read(fd, buf, n - 1);
    int e = errno;
    close(fd);
    if (r < 0)
        return -e;
    buf[r] = '\0';
    while (r > 0 && (buf[r - 1] == '\n' || buf[r - 1] == ' '))
        buf[--r] = '\0';
    return 0;
}

int resolve_blockdev(const char *sysfs, uint32_t major, uint32_t minor, struct blockdev_info *bi,
                     struct ur_err *err)
{
    char base[256], path[512], buf[4096];
    memset(bi, 0, sizeof(*bi));
    snprintf(base, sizeof(base), "%s/dev/block/%u:%u", sysfs, major, minor);
    snprintf(path, sizeof(path), "%s/uevent", base);
    int rc = read_attr(path, buf, sizeof(buf));
    if (rc == -ENOENT)
        return ur_errf(err, -ENODEV, "%u:%u is not a block device", major, minor);
    if (rc < 0)
        return ur_errf_sys(err, rc, "read %s", path);
    for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
        if (strncmp(line, "DEVNAME=", 8) == 0 && line[8] && !strstr(line + 8, ".."))
            snprintf(bi->device, sizeof(bi->device), "/dev/%s", line + 8);
    }
    if (!bi->device[0])
        return ur_errf(err, -ENODEV, "%u:%u: no DEVNAME in %s", major, minor, path);
    snprintf(path, sizeof(path), "%s/diskseq", base);
    if (read_attr(path, buf, 32) == 0)
        bi->diskseq = strtoull(buf, NULL, 10);
    snprintf(path, sizeof(path), "%s/loop/backing_file", base);
    if (read_attr(path, bi->backing, sizeof(bi->backing)) == 0) {
        bi->is_loop = 1;
        return 0;
    }
    bi->backing[0] = '\0';
    snprintf(path, sizeof(path), "%s/dm/name", base);
    if (read_attr(path, bi->dm_name, sizeof(bi->dm_name)) == 0) {
        bi->is_dm = 1;
        snprintf(path, sizeof(path), "%s/dm/uuid", base);
        if (read_attr(path, bi->dm_uuid, sizeof(bi->dm_uuid)) < 0)
            bi->dm_uuid[0] = '\0';
        snprintf(bi->backing, sizeof(bi->backing), "dm:%s uuid:%s", bi->dm_name, bi->dm_uuid);
    }
    return 0;
}

int resolve_dm_by_name(const char *sysfs, const char *name, uint32_t *major, uint32_t *minor,
                       char *uuid, size_t uuid_len)
{
    char path[512], buf[160];
    snprintf(path, sizeof(path), "%s/block", sysfs);
    DIR *d = opendir(path);
    if (!d)
        return -errno;
    struct dirent *de;
    int rc = -ENOENT;
    while ((de = readdir(d))) {
        if (strncmp(de->d_name, "dm-", 3) != 0)
            continue;
        snprintf(path, sizeof(path), "%s/block/%.64s/dm/name", sysfs, de->d_name);
        if (read_attr(path, buf, sizeof(buf)) < 0 || strcmp(buf, name) != 0)
            continue;
        snprintf(path, sizeof(path), "%s/block/%.64s/dev", sysfs, de->d_name);
        if (read_attr(path, buf, sizeof(buf)) < 0 || sscanf(buf, "%u:%u", major, minor) != 2)
            continue;
        snprintf(path, sizeof(path), "%s/block/%.64s/dm/uuid", sysfs, de->d_name);
        if (read_attr(path, uuid, uuid_len) < 0)
            uuid[0] = '\0';
        rc = 0;
        break;
    }
    closedir(d);
    return rc;
}

#define CACHE_SLOTS 64

/* Each slot keeps its device's diskseq attribute open: sysfs regenerates an
 * attribute on every read at offset 0, so a check is one pread. */
static struct {
    uint32_t major, minor;
    int valid;
    int seq_fd;
    struct blockdev_info bi;
} cache[CACHE_SLOTS];

static uint64_t pread_u64(int fd)
{
    char buf[32];
    ssize_t r = pread(fd, buf, sizeof(buf) - 1, 0);
    if (r <= 0)
        return 0;
    buf[r] = '\0';
    return strtoull(buf, NULL, 10);
}

int resolve_blockdev_cached(const char *sysfs, uint32_t major, uint32_t minor,
                            struct blockdev_info *bi, struct ur_err *err)
{
    unsigned slot = (major * 31u + minor) % CACHE_SLOTS;
    if (cache[slot].valid && cache[slot].major == major && cache[slot].minor == minor) {
        uint64_t seq = pread_u64(cache[slot].seq_fd);
        if (seq && seq == cache[slot].bi.diskseq) {
            *bi = cache[slot].bi;
            return 0;
        }
    }
    if (cache[slot].valid) {
        close(cache[slot].seq_fd);
        cache[slot].valid = 0;
    }
    char path[512];
    snprintf(path, sizeof(path), "%s/dev/block/%u:%u/diskseq", sysfs, major, minor);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    uint64_t seq = fd >= 0 ? pread_u64(fd) : 0;
    int rc = resolve_blockdev(sysfs, major, minor, bi, err);
    /* cached only when diskseq did not move while we read the rest */
    if (rc == 0 && seq && bi->diskseq == seq && pread_u64(fd) == seq) {
        cache[slot].major = major;
        cache[slot].minor = minor;
        cache[slot].bi = *bi;
        cache[slot].seq_fd = fd;
        cache[slot].valid = 1;
    } else if (fd >= 0) {
        close(fd);
    }
    return rc;
}

const char *resolve_fstype_name(long f_type)
{
    switch ((unsigned long)f_type) {
    case 0xEF53: return "ext4"; /* ext2/3/4 share the magic; ext4 is the one that mounts them all */
    case 0x58465342: return "xfs";
    case 0x9123683E: return "btrfs";
    case 0xE0F5E1E2: return "erofs";
    case 0x73717368: return "squashfs";
    case 0x4d44: return "vfat";
    case 0x794c7630: return "overlay";
    case 0x01021994: return "tmpfs";
    default: return NULL;
    }
}
