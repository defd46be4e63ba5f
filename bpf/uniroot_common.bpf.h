/* uniroot_common.bpf.h: maps and handlers shared by the tracepoint and the
 * trampoline (fentry) variants of unirootd's BPF side. Both variants declare
 * the same pinned maps (LIBBPF_PIN_BY_NAME under UR_PIN_DIR), so whichever
 * loads reuses the state the other left behind; each variant only turns its
 * hook's context into the plain arguments the ur_on_* handlers take.
 * Include after vmlinux.h. */
#ifndef UNIROOT_BPF_COMMON_H
#define UNIROOT_BPF_COMMON_H

#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>

#include "uniroot_events.h"

#define MS_RDONLY 1
#define MS_REMOUNT 32
#define MS_BIND 4096
#define MS_MOVE 8192
#define MS_UNBINDABLE (1 << 17)
#define MS_PRIVATE (1 << 18)
#define MS_SLAVE (1 << 19)
#define MS_SHARED (1 << 20)
#define MOVE_MOUNT_F_EMPTY_PATH 0x4
#define MOVE_MOUNT_T_EMPTY_PATH 0x40

struct {
    __uint(type, BPF_MAP_TYPE_RINGBUF);
    __uint(max_entries, 4 << 20);
    __uint(pinning, LIBBPF_PIN_BY_NAME);
} events SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, struct ur_stats);
    __uint(pinning, LIBBPF_PIN_BY_NAME);
} stats SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, struct ur_config);
    __uint(pinning, LIBBPF_PIN_BY_NAME);
} filter SEC(".maps");

/* LRU: an entry whose umount was spelled differently ages out instead of
 * filling the map. */
struct {
    __uint(type, BPF_MAP_TYPE_LRU_HASH);
    __uint(max_entries, 16384);
    __type(key, struct ur_mount_key);
    __type(value, struct ur_mount);
    __uint(pinning, LIBBPF_PIN_BY_NAME);
} mounts SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 1024);
    __type(key, __u32);
    __type(value, struct ur_loop);
    __uint(pinning, LIBBPF_PIN_BY_NAME);
} loops SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 16384);
    __type(key, struct ur_ckey);
    __type(value, struct ur_container);
    __uint(pinning, LIBBPF_PIN_BY_NAME);
} containers SEC(".maps");

/* Calls between syscall entry and exit, by thread id (not pinned). LRU, so
 * a thread that never reached the exit hook cannot fill it. */
struct {
    __uint(type, BPF_MAP_TYPE_LRU_HASH);
    __uint(max_entries, 4096);
    __type(key, __u32);
    __type(value, struct ur_event);
} inflight SEC(".maps");

/* Per-CPU work areas: an event, a mounts-map key/value, and a block of zeros
 * (never written) to clear hash keys with, since large memsets do not compile. */
struct ur_scratch {
    struct ur_event ev;
    struct ur_mount_key key;
    struct ur_mount val;
    struct ur_loop loop;
};
struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, 2);
    __type(key, __u32);
    __type(value, struct ur_scratch);
} scratch SEC(".maps");

static __always_inline struct ur_scratch *ur_scratch(void)
{
    __u32 k = 0;
    return bpf_map_lookup_elem(&scratch, &k);
}

static __always_inline struct ur_scratch *ur_zeros(void)
{
    __u32 k = 1;
    return bpf_map_lookup_elem(&scratch, &k);
}

static __always_inline struct ur_stats *ur_stats(void)
{
    __u32 k = 0;
    return bpf_map_lookup_elem(&stats, &k);
}

static __always_inline const struct ur_config *ur_config(void)
{
    __u32 k = 0;
    const struct ur_config *c = bpf_map_lookup_elem(&filter, &k);
    return (c && (c->flags & UR_CFG_ENABLED)) ? c : NULL;
}

/* Does path start with one of the configured prefixes? Relative paths pass
 * (flagged by the caller): their directory is only known in user space. */
static __always_inline int ur_path_wanted(const struct ur_config *c, const char *path)
{
    if (c->flags & UR_CFG_ALL_PATHS)
        return 1;
    if (path[0] != '/')
        return 1;
    for (__u32 p = 0; p < UR_MAX_PREFIXES; p++) {
        if (p >= c->n_prefixes)
            break;
        const struct ur_prefix *pr = &c->prefix[p];
        __u32 len = pr->len;
        int match = 1;
        for (__u32 i = 0; i < UR_PREFIX_LEN; i++) {
            if (i >= len)
                break;
            if (path[i] != pr->s[i]) {
                match = 0;
                break;
            }
        }
        if (match && len > 0 && len <= UR_PREFIX_LEN)
            return 1;
    }
    return 0;
}

/* Send a finished event; count it, or count the drop. */
static __always_inline void ur_submit(struct ur_event *e)
{
    struct ur_stats *s = ur_stats();
    __u64 len = UR_EVENT_SIZE(e->tlen);
    if (len > sizeof(*e))
        len = sizeof(*e);
    if (bpf_ringbuf_output(&events, e, len, 0) == 0) {
        if (s)
            __sync_fetch_and_add(&s->events, 1);
    } else if (s) {
        __sync_fetch_and_add(&s->drops, 1);
    }
}

/* Keep the kernel-side mounts table in step with a successful event. */
static __always_inline void ur_track_mount(const struct ur_event *e)
{
    struct ur_scratch *w = ur_scratch();
    struct ur_scratch *z = ur_zeros();
    if (!w || !z || (e->flags & (UR_EVF_RELATIVE | UR_EVF_TRUNCATED)))
        return;
    bpf_probe_read_kernel(&w->key, sizeof(w->key), &z->key);
    bpf_probe_read_kernel_str(w->key.target, sizeof(w->key.target), e->target);
    if (e->kind == UR_EV_UMOUNT) {
        bpf_map_delete_elem(&mounts, &w->key);
        return;
    }
    w->val.kind = e->kind;
    w->val.dev = e->dev;
    w->val.ts_ns = e->ts_ns;
    w->val.pid = e->pid;
    bpf_probe_read_kernel_str(w->val.fstype, sizeof(w->val.fstype), e->fstype);
    bpf_probe_read_kernel_str(w->val.source, sizeof(w->val.source), e->source);
    bpf_map_update_elem(&mounts, &w->key, &w->val, BPF_ANY);
}

static __always_inline void ur_event_init(struct ur_event *e, __u32 kind)
{
    __u64 id = bpf_get_current_pid_tgid();
    e->kind = kind;
    e->flags = 0;
    e->ret = 0;
    e->enter_ns = bpf_ktime_get_ns();
    e->ts_ns = e->enter_ns;
    e->pid = id >> 32;
    e->tid = (__u32)id;
    e->dev = 0;
    e->dm_cmd = 0;
    e->tlen = 1;
    e->reserved = 0;
    e->mnt_flags = 0;
    e->dfd = 0;
    e->backing_dev = 0;
    e->backing_ino = 0;
    e->diskseq = 0;
    e->fstype[0] = 0;
    e->source[0] = 0;
    e->target[0] = 0;
    bpf_get_current_comm(e->comm, sizeof(e->comm));
}

static __always_inline int ur_starts_with_dev(const char *s)
{
    return s[0] == '/' && s[1] == 'd' && s[2] == 'e' && s[3] == 'v' && s[4] == '/';
}

/* ---- handlers ---- */

#define LOOP_SET_FD 0x4C00
#define LOOP_CLR_FD 0x4C01
#define LOOP_CONFIGURE 0x4C0A
#define DM_SUSPEND_FLAG (1 << 1)

/* The dm_ioctl header as user space passes it (uapi linux/dm-ioctl.h). */
struct ur_dm_ioctl {
    __u32 version[3];
    __u32 data_size;
    __u32 data_start;
    __u32 target_count;
    __s32 open_count;
    __u32 flags;
    __u32 event_nr;
    __u32 padding;
    __u64 dev;
    char name[128];
    char uuid[129];
};

static __always_inline void count_filtered(void)
{
    struct ur_stats *s = ur_stats();
    if (s)
        __sync_fetch_and_add(&s->filtered, 1);
}

static __always_inline void remember(struct ur_event *e)
{
    if (bpf_map_update_elem(&inflight, &e->tid, e, BPF_ANY) != 0) {
        struct ur_stats *s = ur_stats();
        if (s)
            __sync_fetch_and_add(&s->inflight_full, 1);
    }
}

/* Read the target path, set the flags that describe it, apply the prefix filter. */
static __always_inline int read_target(const struct ur_config *c, struct ur_event *e,
                                       const char *user_path)
{
    long n = bpf_probe_read_user_str(e->target, sizeof(e->target), user_path);
    if (n < 0)
        return -1;
    e->tlen = (__u32)n;
    if (n >= (long)sizeof(e->target))
        e->flags |= UR_EVF_TRUNCATED;
    if (e->target[0] != '/')
        e->flags |= UR_EVF_RELATIVE;
    if (!ur_path_wanted(c, e->target)) {
        count_filtered();
        return -1;
    }
    if (c->mnt_ns) {
        struct task_struct *t = (struct task_struct *)bpf_get_current_task();
        if (BPF_CORE_READ(t, nsproxy, mnt_ns, ns.inum) != c->mnt_ns) {
            count_filtered();
            return -1;
        }
    }
    return 0;
}

/* mount(source, target, fstype, flags, data) entered. */
static __always_inline int ur_on_mount(const char *source, const char *target, const char *fstype,
                                       __u64 flags)
{
    const struct ur_config *c = ur_config();
    struct ur_scratch *w = ur_scratch();
    if (!c || !w)
        return 0;
    struct ur_event *e = &w->ev;
    /* Remounts and propagation changes create no mount. */
    if (flags & (MS_REMOUNT | MS_SHARED | MS_PRIVATE | MS_SLAVE | MS_UNBINDABLE))
        return 0;
    ur_event_init(e, UR_EV_MOUNT);
    if (read_target(c, e, target) < 0)
        return 0;
    if (source)
        bpf_probe_read_user_str(e->source, sizeof(e->source), source);
    if ((c->flags & UR_CFG_BLOCK_ONLY) && !(flags & (MS_BIND | MS_MOVE)) &&
        !ur_starts_with_dev(e->source)) {
        count_filtered();
        return 0;
    }
    if (fstype)
        bpf_probe_read_user_str(e->fstype, sizeof(e->fstype), fstype);
    e->mnt_flags = flags;
    remember(e);
    return 0;
}

/* The file behind fd in the current task, or NULL. */
static __always_inline struct file *fd_file(int fd)
{
    struct task_struct *t = (struct task_struct *)bpf_get_current_task();
    struct fdtable *fdt = BPF_CORE_READ(t, files, fdt);
    if (!fdt || fd < 0 || (unsigned int)fd >= BPF_CORE_READ(fdt, max_fds))
        return NULL;
    struct file **arr = BPF_CORE_READ(fdt, fd);
    struct file *f = NULL;
    bpf_probe_read_kernel(&f, sizeof(f), &arr[fd]);
    return f;
}

/* move_mount(from_dfd, from_path, to_dfd, to_path, flags) entered. */
static __always_inline int ur_on_move_mount(int from_dfd, int to_dfd, const char *to_path,
                                            __u64 flags)
{
    const struct ur_config *c = ur_config();
    struct ur_scratch *w = ur_scratch();
    if (!c || !w)
        return 0;
    struct ur_event *e = &w->ev;
    ur_event_init(e, UR_EV_MOVE_MOUNT);
    e->dfd = to_dfd;
    e->mnt_flags = flags;
    if (read_target(c, e, to_path) < 0)
        return 0;
    if (flags & MOVE_MOUNT_F_EMPTY_PATH) {
        struct file *f = fd_file(from_dfd);
        if (f) {
            struct vfsmount *mnt = BPF_CORE_READ(f, f_path.mnt);
            struct super_block *sb = BPF_CORE_READ(mnt, mnt_sb);
            e->flags |= UR_EVF_FROM_FD;
            e->dev = BPF_CORE_READ(sb, s_dev);
            bpf_probe_read_kernel_str(e->fstype, sizeof(e->fstype), BPF_CORE_READ(sb, s_type, name));
            if (bpf_core_field_exists(((struct mount *)0)->mnt_devname)) {
                struct mount *m = container_of(mnt, struct mount, mnt);
                bpf_probe_read_kernel_str(e->source, sizeof(e->source), BPF_CORE_READ(m, mnt_devname));
            }
            if ((c->flags & UR_CFG_BLOCK_ONLY) && !BPF_CORE_READ(sb, s_bdev)) {
                count_filtered();
                return 0;
            }
        }
    }
    remember(e);
    return 0;
}

/* umount2(target, flags) entered. */
static __always_inline int ur_on_umount(const char *target, __u64 flags)
{
    const struct ur_config *c = ur_config();
    struct ur_scratch *w = ur_scratch();
    if (!c || !w)
        return 0;
    struct ur_event *e = &w->ev;
    ur_event_init(e, UR_EV_UMOUNT);
    if (read_target(c, e, target) < 0)
        return 0;
    e->mnt_flags = flags;
    remember(e);
    return 0;
}

/* Any of the three returned: send the remembered call if it succeeded. */
static __always_inline int ur_on_exit(long ret)
{
    __u32 tid = (__u32)bpf_get_current_pid_tgid();
    struct ur_event *e = bpf_map_lookup_elem(&inflight, &tid);
    if (!e)
        return 0;
    e->ret = ret;
    e->ts_ns = bpf_ktime_get_ns();
    if (ret == 0) {
        ur_track_mount(e);
        ur_submit(e);
    }
    bpf_map_delete_elem(&inflight, &tid);
    return 0;
}

/* Loop device number, disk sequence and backing file of a loop ioctl. */
static __always_inline void loop_event(struct ur_event *e, struct file *f, int backing_fd)
{
    if (!f)
        return;
    struct inode *host = BPF_CORE_READ(f, f_mapping, host);
    e->dev = BPF_CORE_READ(host, i_rdev);
    if (bpf_core_type_exists(struct bdev_inode)) {
        struct bdev_inode *bi = container_of(host, struct bdev_inode, vfs_inode);
        e->diskseq = BPF_CORE_READ(bi, bdev.bd_disk, diskseq);
    }
    if (backing_fd < 0)
        return;
    struct file *b = fd_file(backing_fd);
    if (!b)
        return;
    struct inode *bino = BPF_CORE_READ(b, f_inode);
    e->backing_ino = BPF_CORE_READ(bino, i_ino);
    e->backing_dev = BPF_CORE_READ(bino, i_sb, s_dev);
    bpf_probe_read_kernel_str(e->source, sizeof(e->source), BPF_CORE_READ(b, f_path.dentry, d_name.name));
}

/* Record the loop device's new state in the pinned loops map. */
static __always_inline void track_loop(const struct ur_event *e)
{
    struct ur_scratch *w = ur_scratch();
    if (!w || !e->dev)
        return;
    w->loop.attached = e->kind == UR_EV_LOOP_ATTACH;
    w->loop.backing_dev = e->backing_dev;
    w->loop.backing_ino = e->backing_ino;
    w->loop.diskseq = e->diskseq;
    w->loop.ts_ns = e->ts_ns;
    bpf_probe_read_kernel_str(w->loop.backing_name, sizeof(w->loop.backing_name), e->source);
    __u32 dev = e->dev;
    bpf_map_update_elem(&loops, &dev, &w->loop, BPF_ANY);
}

/* Is cmd one we report? The hooks test this before anything else. */
static __always_inline int ur_ioctl_wanted(__u32 cmd)
{
    return (cmd & 0xff00) == 0x4C00 || ((cmd >> 8) & 0xff) == 0xfd;
}

/* A loop or device-mapper ioctl(fd, cmd, arg) entered; fd is resolved only
 * for loop commands (dm ones go to the control node). */
static __always_inline int ur_on_ioctl_file(struct file *file, __u32 cmd, unsigned long arg)
{
    const struct ur_config *c = ur_config();
    struct ur_scratch *w = ur_scratch();
    struct ur_stats *s = ur_stats();
    if (!c || !w)
        return 0;
    struct ur_event *e = &w->ev;
    if (cmd == LOOP_SET_FD || cmd == LOOP_CONFIGURE || cmd == LOOP_CLR_FD) {
        int backing = -1;
        if (cmd == LOOP_SET_FD)
            backing = (int)arg;
        else if (cmd == LOOP_CONFIGURE) {
            __u32 bfd = 0;
            bpf_probe_read_user(&bfd, sizeof(bfd), (const void *)arg);
            backing = (int)bfd;
        }
        ur_event_init(e, cmd == LOOP_CLR_FD ? UR_EV_LOOP_DETACH : UR_EV_LOOP_ATTACH);
        e->flags |= UR_EVF_NO_RESULT;
        e->mnt_flags = cmd;
        loop_event(e, file, backing);
        if (s)
            __sync_fetch_and_add(&s->loop_ioctls, 1);
        track_loop(e);
        ur_submit(e);
        return 0;
    }
    if (((cmd >> 8) & 0xff) == 0xfd) {
        __u32 nr = cmd & 0xff;
        if (nr != UR_DM_DEV_CREATE && nr != UR_DM_DEV_REMOVE && nr != UR_DM_DEV_SUSPEND &&
            nr != UR_DM_TABLE_LOAD)
            return 0;
        const struct ur_dm_ioctl *u = (const struct ur_dm_ioctl *)arg;
        __u32 dflags = 0;
        __u64 dev = 0;
        ur_event_init(e, UR_EV_DM);
        e->flags |= UR_EVF_NO_RESULT;
        e->dm_cmd = nr;
        bpf_probe_read_user(&dflags, sizeof(dflags), &u->flags);
        bpf_probe_read_user(&dev, sizeof(dev), &u->dev);
        e->mnt_flags = dflags;
        /* dm passes the huge encoding (major<<8|minor, minor high bits above) */
        e->dev = (__u32)(((dev >> 8) & 0xfff) << 20 | (dev & 0xff) | ((dev >> 12) & 0xfff00));
        bpf_probe_read_user_str(e->source, sizeof(e->source), u->name);
        long n = bpf_probe_read_user_str(e->target, sizeof(e->target), u->uuid);
        e->tlen = n > 0 ? (__u32)n : 1;
        if (s)
            __sync_fetch_and_add(&s->dm_ioctls, 1);
        ur_submit(e);
    }
    return 0;
}

/* The same from a syscall hook, which has the descriptor. */
static __always_inline int ur_on_ioctl(int fd, __u32 cmd, unsigned long arg)
{
    return ur_on_ioctl_file((cmd & 0xff00) == 0x4C00 ? fd_file(fd) : NULL, cmd, arg);
}

#endif
