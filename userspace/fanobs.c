/* fanobs.c: fanotify mount observer and bundle watcher (see fanobs.h). */
#include "fanobs.h"

#include <errno.h>
#include <stddef.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/fanotify.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "eptag.h"
#include "log.h"
#include "sink.h"

/* Mount notifications (uapi linux/fanotify.h, 6.15). */
#ifndef FAN_REPORT_MNT
#define FAN_REPORT_MNT 0x00004000
#endif
#ifndef FAN_MNT_ATTACH
#define FAN_MNT_ATTACH 0x01000000
#endif
#ifndef FAN_MNT_DETACH
#define FAN_MNT_DETACH 0x02000000
#endif
#ifndef FAN_MARK_MNTNS
#define FAN_MARK_MNTNS 0x00000110
#endif
#define UR_FAN_EVENT_INFO_TYPE_MNT 7

/* statmount(2) (uapi linux/mount.h, 6.8+). */
#ifndef __NR_statmount
#define __NR_statmount 457
#endif
#define UR_STATMOUNT_SB_BASIC 0x00000001U
#define UR_STATMOUNT_MNT_POINT 0x00000010U
#define UR_STATMOUNT_FS_TYPE 0x00000020U
#define UR_STATMOUNT_SB_SOURCE 0x00000200U

struct ur_mnt_id_req {
    uint32_t size;
    uint32_t mnt_ns_fd;
    uint64_t mnt_id;
    uint64_t param;
    uint64_t mnt_ns_id;
};

struct ur_statmount {
    uint32_t size, mnt_opts;
    uint64_t mask;
    uint32_t sb_dev_major, sb_dev_minor;
    uint64_t sb_magic;
    uint32_t sb_flags, fs_type;
    uint64_t mnt_id, mnt_parent_id;
    uint32_t mnt_id_old, mnt_parent_id_old;
    uint64_t mnt_attr, mnt_propagation, mnt_peer_group, mnt_master, propagate_from;
    uint32_t mnt_root, mnt_point;
    uint64_t mnt_ns_id;
    uint32_t fs_subtype, sb_source;
    uint32_t opt_num, opt_array, opt_sec_num, opt_sec_array;
    uint64_t supported_mask;
    uint32_t mnt_uidmap_num, mnt_uidmap, mnt_gidmap_num, mnt_gidmap;
    uint64_t spare2[43];
    char str[];
};

enum { FAN_KIND_MOUNT = 1, FAN_KIND_BUNDLE };

struct fanobs {
    int tag;   /* EP_FANOTIFY */
    int fd;
    int kind;
    int ep;
    struct obs_sink sink;
    int mount_fds[8]; /* bundle watcher: one fd per state dir, for open_by_handle_at */
    int n_mount_fds;
    char buf[65536];  /* events as read */
};

static uint64_t mono_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int do_statmount(uint64_t mnt_id, struct ur_statmount *buf, size_t size)
{
    struct ur_mnt_id_req req = {
        .size = 24, .mnt_id = mnt_id, /* what to return goes in param */
        .param = UR_STATMOUNT_SB_BASIC | UR_STATMOUNT_MNT_POINT | UR_STATMOUNT_FS_TYPE | UR_STATMOUNT_SB_SOURCE,
    };
    long r = syscall(__NR_statmount, &req, buf, size, 0);
    return r < 0 ? -errno : 0;
}

static int register_fd(struct fanobs *o, struct ur_err *err)
{
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = o};
    if (epoll_ctl(o->ep, EPOLL_CTL_ADD, o->fd, &ev) < 0)
        return ur_errf_sys(err, -errno, "epoll");
    return 0;
}

/* A new observer owning fanotify descriptor fd; closes fd if it cannot be made. */
static struct fanobs *fanobs_new(const struct obs_sink *sink, int ep, int fd, int kind,
                                 struct ur_err *err)
{
    struct fanobs *o = calloc(1, sizeof(*o));
    if (!o) {
        close(fd);
        ur_errf(err, -ENOMEM, "out of memory");
        return NULL;
    }
    o->tag = EP_FANOTIFY;
    o->fd = fd;
    o->kind = kind;
    o->ep = ep;
    o->sink = *sink;
    return o;
}

int fanobs_mount_open(const struct obs_sink *sink, int ep, struct fanobs **out, struct ur_err *err)
{
    int fd = fanotify_init(FAN_CLASS_NOTIF | FAN_REPORT_MNT | FAN_CLOEXEC | FAN_NONBLOCK, O_RDONLY);
    if (fd < 0)
        return ur_errf_sys(err, -errno, "fanotify_init(FAN_REPORT_MNT) (needs Linux 6.15+)");
    int ns = open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC);
    if (ns < 0 || fanotify_mark(fd, FAN_MARK_ADD | FAN_MARK_MNTNS, FAN_MNT_ATTACH | FAN_MNT_DETACH, ns, NULL) < 0) {
        int e = -errno;
        if (ns >= 0)
            close(ns);
        close(fd);
        return ur_errf_sys(err, e, "fanotify_mark(FAN_MARK_MNTNS)");
    }
    close(ns);
    struct fanobs *o = fanobs_new(sink, ep, fd, FAN_KIND_MOUNT, err);
    if (!o)
        return err->code;
    int rc = register_fd(o, err);
    if (rc < 0) {
        fanobs_close(o);
        return rc;
    }
    *out = o;
    return 0;
}

int fanobs_bundle_open(const struct obs_sink *sink, const char *const *dirs, int n, int ep,
                       struct fanobs **out, struct ur_err *err)
{
    int fd = fanotify_init(FAN_CLASS_NOTIF | FAN_REPORT_DFID_NAME | FAN_CLOEXEC | FAN_NONBLOCK, O_RDONLY);
    if (fd < 0)
        return ur_errf_sys(err, -errno, "fanotify_init(FAN_REPORT_DFID_NAME)");
    struct fanobs *o = fanobs_new(sink, ep, fd, FAN_KIND_BUNDLE, err);
    if (!o)
        return err->code;
    int rc = 0;
    for (int i = 0; i < n && i < 8; i++) {
        const char *d = dirs[i];
        int mfd = open(d, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (mfd < 0) {
            ulog(ULOG_WARN, "bundle-watch-skip", "\"dir\":%s,\"error\":%s", ulog_q(d), ulog_q(strerror(errno)));
            continue;
        }
        if (fanotify_mark(fd, FAN_MARK_ADD | FAN_MARK_FILESYSTEM,
                          FAN_CREATE | FAN_MOVED_TO | FAN_CLOSE_WRITE, mfd, NULL) < 0) {
            rc = ur_errf_sys(err, -errno, "fanotify_mark(FAN_MARK_FILESYSTEM) on %s", d);
            close(mfd);
            break;
        }
        o->mount_fds[o->n_mount_fds++] = mfd;
    }
    if (rc == 0 && o->n_mount_fds == 0)
        rc = ur_errf(err, -ENOENT, "no state directory exists yet");
    if (rc == 0)
        rc = register_fd(o, err);
    if (rc < 0) {
        fanobs_close(o);
        return rc;
    }
    *out = o;
    return 0;
}

void fanobs_close(struct fanobs *o)
{
    if (!o)
        return;
    epoll_ctl(o->ep, EPOLL_CTL_DEL, o->fd, NULL);
    close(o->fd);
    for (int i = 0; i < o->n_mount_fds; i++)
        close(o->mount_fds[i]);
    free(o);
}

/* Event records are packed back to back and need not be aligned (names make
 * their lengths odd), so every header is copied out before it is read. */
static int next_info(const char **p, const char *end, struct fanotify_event_info_header *h)
{
    if (end - *p < (ptrdiff_t)sizeof(*h))
        return 0;
    memcpy(h, *p, sizeof(*h));
    return h->len >= sizeof(*h) && h->len <= end - *p;
}

static void on_mount_event(struct fanobs *o, uint64_t mask, const char *p, const char *end)
{
    uint64_t mnt_id = 0;
    struct fanotify_event_info_header h;
    for (; next_info(&p, end, &h); p += h.len) {
        /* struct fanotify_event_info_mnt: the 4-byte header, padding, then a u64 */
        if (h.info_type == UR_FAN_EVENT_INFO_TYPE_MNT && h.len >= 16)
            memcpy(&mnt_id, p + 8, 8);
    }
    if (!mnt_id)
        return;
    const struct obs_sink *s = &o->sink;
    s->seen(s->ctx, mask & FAN_MNT_DETACH ? OBS_EV_UMOUNT : OBS_EV_MOUNT);
    if (mask & FAN_MNT_DETACH) {
        s->umount(s->ctx, NULL, mnt_id, "fanotify");
        return;
    }
    static union {
        struct ur_statmount sm;
        char buf[16384];
    } u;
    int rc = do_statmount(mnt_id, &u.sm, sizeof(u.buf));
    if (rc < 0) {
        ulog(ULOG_DEBUG, "statmount-failed", "\"mnt_id\":%llu,\"error\":%s", (unsigned long long)mnt_id,
             ulog_q(strerror(-rc)));
        return;
    }
    u.buf[sizeof(u.buf) - 1] = '\0';
    const char *target = (u.sm.mask & UR_STATMOUNT_MNT_POINT) ? u.sm.str + u.sm.mnt_point : NULL;
    struct obs_mount m = {
        .target = target,
        .fstype = (u.sm.mask & UR_STATMOUNT_FS_TYPE) ? u.sm.str + u.sm.fs_type : NULL,
        .source = (u.sm.mask & UR_STATMOUNT_SB_SOURCE) ? u.sm.str + u.sm.sb_source : NULL,
        .major = u.sm.sb_dev_major, .minor = u.sm.sb_dev_minor, .have_dev = 1,
        .mono_ns = mono_now(), .observed_by = "fanotify", .mnt_id = mnt_id,
    };
    s->mount(s->ctx, &m);
}

static void on_bundle_event(struct fanobs *o, const char *p, const char *end)
{
    struct fanotify_event_info_header h;
    for (; next_info(&p, end, &h); p += h.len) {
        if (h.info_type != FAN_EVENT_INFO_TYPE_DFID_NAME)
            continue;
        /* header, fsid, struct file_handle {u32 handle_bytes; int type; bytes}, name */
        const char *fhp = p + sizeof(h) + sizeof(__kernel_fsid_t), *rec_end = p + h.len;
        uint32_t hb;
        if (rec_end - fhp < 8)
            continue;
        memcpy(&hb, fhp, sizeof(hb));
        if (hb > MAX_HANDLE_SZ || rec_end - fhp <= (ptrdiff_t)(8 + hb))
            continue;
        const char *name = fhp + 8 + hb;
        size_t room = (size_t)(rec_end - name);
        if (strnlen(name, room) == room || strcmp(name, "config.json") != 0)
            continue;
        union {
            struct file_handle fh;
            char buf[sizeof(struct file_handle) + MAX_HANDLE_SZ];
        } fhb;
        memcpy(&fhb, fhp, 8 + hb);
        for (int i = 0; i < o->n_mount_fds; i++) {
            int dfd = open_by_handle_at(o->mount_fds[i], &fhb.fh, O_PATH | O_CLOEXEC);
            if (dfd < 0)
                continue;
            char link[64], dir[PATH_MAX];
            snprintf(link, sizeof(link), "/proc/self/fd/%d", dfd);
            ssize_t n = readlink(link, dir, sizeof(dir) - 1);
            close(dfd);
            if (n <= 0)
                continue;
            dir[n] = '\0';
            o->sink.bundle(o->sink.ctx, dir);
            break;
        }
    }
}

void fanobs_on_ready(void *obs)
{
    struct fanobs *o = obs;
    char *buf = o->buf;
    for (;;) {
        ssize_t n = read(o->fd, buf, sizeof(o->buf));
        if (n <= 0)
            return;
        size_t off = 0;
        struct fanotify_event_metadata md;
        while ((size_t)n - off >= sizeof(md)) {
            memcpy(&md, buf + off, sizeof(md));
            if (md.event_len < sizeof(md) || md.event_len > (size_t)n - off || md.metadata_len > md.event_len)
                break;
            if (md.vers == FANOTIFY_METADATA_VERSION) {
                const char *p = buf + off + md.metadata_len, *end = buf + off + md.event_len;
                if (md.mask & FAN_Q_OVERFLOW)
                    o->sink.lost(o->sink.ctx, "fanotify queue overflow");
                else if (o->kind == FAN_KIND_MOUNT)
                    on_mount_event(o, md.mask, p, end);
                else
                    on_bundle_event(o, p, end);
            }
            if (md.fd >= 0)
                close(md.fd);
            off += md.event_len;
        }
    }
}
