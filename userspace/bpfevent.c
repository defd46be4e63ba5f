/* bpfevent.c: BPF ring-buffer events (bpf/uniroot_events.h) turned into
 * sink calls (see bpfevent.h). */
#include "bpfevent.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "log.h"
#include "resolve.h"

/* Absolute target of a relative mount/move_mount, from /proc (best effort:
 * the process may already have moved on). */
static int absolute_target(const struct ur_event *e, char *out, size_t n)
{
    char link[64], dir[PATH_MAX];
    if (!(e->flags & UR_EVF_RELATIVE)) {
        snprintf(out, n, "%s", e->target);
        return 0;
    }
    if (e->kind == UR_EV_MOVE_MOUNT && e->dfd != AT_FDCWD)
        snprintf(link, sizeof(link), "/proc/%u/fd/%d", e->pid, e->dfd);
    else
        snprintf(link, sizeof(link), "/proc/%u/cwd", e->pid);
    ssize_t r = readlink(link, dir, sizeof(dir) - 1);
    if (r <= 0)
        return -ENOENT;
    dir[r] = '\0';
    if (e->target[0])
        snprintf(out, n, "%s/%s", dir, e->target);
    else
        snprintf(out, n, "%s", dir);
    return 0;
}

void bpfevent_dispatch(const struct ur_event *e, const char *observed_by, const char *sysfs,
                       const struct obs_sink *s)
{
    char target[PATH_MAX + UR_PATH_LEN];
    s->seen(s->ctx, e->kind == UR_EV_MOUNT || e->kind == UR_EV_MOVE_MOUNT ? OBS_EV_MOUNT
                    : e->kind == UR_EV_UMOUNT ? OBS_EV_UMOUNT
                    : e->kind == UR_EV_LOOP_ATTACH ? OBS_EV_LOOP_ATTACH
                    : e->kind == UR_EV_LOOP_DETACH ? OBS_EV_LOOP_DETACH
                    : e->kind == UR_EV_DM ? OBS_EV_DM : OBS_EV_OTHER);
    switch (e->kind) {
    case UR_EV_MOUNT:
    case UR_EV_MOVE_MOUNT:
    case UR_EV_UMOUNT:
        if (absolute_target(e, target, sizeof(target)) < 0) {
            ulog(ULOG_WARN, "relative-target-lost", "\"target\":%s,\"pid\":%u", ulog_q(e->target), e->pid);
            return;
        }
        ulog(ULOG_DEBUG, e->kind == UR_EV_UMOUNT ? "umount-event" : "mount-event",
             "\"target\":%s,\"source\":%s,\"fstype\":%s,\"comm\":%s", ulog_q(target),
             ulog_q(e->source), ulog_q(e->fstype), ulog_q(e->comm));
        if (e->kind == UR_EV_UMOUNT) {
            s->umount(s->ctx, target, 0, observed_by);
        } else {
            struct obs_mount m = {
                .target = target, .fstype = e->fstype, .source = e->source,
                .major = e->dev >> 20, .minor = e->dev & 0xfffff,
                .have_dev = (e->flags & UR_EVF_FROM_FD) != 0,
                .mono_ns = e->ts_ns, .observed_by = observed_by,
            };
            /* mount(2): the device from the source (a block node, or for a bind
             * or move the mount it comes from) without touching the new mount. */
            struct stat st;
            if (!m.have_dev && e->kind == UR_EV_MOUNT && e->source[0] == '/' && stat(e->source, &st) == 0) {
                dev_t d = S_ISBLK(st.st_mode) ? st.st_rdev : st.st_dev;
                m.major = major(d);
                m.minor = minor(d);
                m.have_dev = 1;
                if (!e->fstype[0] || (e->mnt_flags & (MS_BIND | MS_MOVE)))
                    m.fstype = NULL; /* a bind's fstype is its source's: not in the event */
            }
            s->mount(s->ctx, &m);
        }
        break;
    case UR_EV_LOOP_ATTACH:
    case UR_EV_LOOP_DETACH: {
        int attach = e->kind == UR_EV_LOOP_ATTACH;
        ulog(ULOG_INFO, attach ? "loop-attach" : "loop-detach",
             "\"device\":\"/dev/loop%u\",\"dev\":\"%u:%u\",\"diskseq\":%llu,\"backing_name\":%s,"
             "\"backing_ino\":%llu,\"comm\":%s",
             e->dev & 0xfffff, e->dev >> 20, e->dev & 0xfffff, (unsigned long long)e->diskseq,
             ulog_q(e->source), (unsigned long long)e->backing_ino, ulog_q(e->comm));
        break;
    }
    case UR_EV_DM: {
        /* The ioctl names the device by name or by number; the other half
         * (and the uuid) comes from sysfs once the call is done, when the
         * device still exists. */
        uint32_t ma = e->dev >> 20, mi = e->dev & 0xfffff;
        char name[160] = "", uuid[160] = "";
        struct blockdev_info bi;
        struct ur_err err;
        if ((ma || mi) && resolve_blockdev(sysfs, ma, mi, &bi, &err) == 0 && bi.is_dm) {
            snprintf(name, sizeof(name), "%s", bi.dm_name);
            snprintf(uuid, sizeof(uuid), "%s", bi.dm_uuid);
        } else if (e->source[0] && resolve_dm_by_name(sysfs, e->source, &ma, &mi, uuid, sizeof(uuid)) == 0) {
            snprintf(name, sizeof(name), "%.150s", e->source);
        }
        ulog(ULOG_INFO, "dm-ioctl",
             "\"cmd\":\"%s\",\"name\":%s,\"uuid\":%s,\"dev\":\"%u:%u\",\"now_name\":%s,\"now_uuid\":%s,"
             "\"now_dev\":\"%u:%u\",\"comm\":%s",
             e->dm_cmd == UR_DM_DEV_CREATE ? "create" : e->dm_cmd == UR_DM_DEV_REMOVE ? "remove"
             : e->dm_cmd == UR_DM_TABLE_LOAD ? "table-load"
             : (e->mnt_flags & 2) ? "suspend" : "resume",
             ulog_q(e->source), ulog_q(e->target), e->dev >> 20, e->dev & 0xfffff, ulog_q(name),
             ulog_q(uuid), name[0] ? ma : 0, name[0] ? mi : 0, ulog_q(e->comm));
        break;
    }
    default:
        break;
    }
}
