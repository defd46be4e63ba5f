/* uniroot_events.h: the layout shared by unirootd's BPF programs and the agent.
 *
 * Included by the BPF side (after vmlinux.h) and by user space (after
 * <linux/types.h>). Every struct here is what a ring-buffer event or a pinned
 * map value looks like, so `bpftool map dump pinned /sys/fs/bpf/uniroot/v1/X`
 * prints them as named records (the maps carry BTF).
 *
 * Pinned under UR_PIN_DIR (versioned: a layout change bumps v1 -> v2):
 *   events      ringbuf of struct ur_event, cut after the target's NUL
 *   stats       array[1] of struct ur_stats (drop counter and friends)
 *   filter      array[1] of struct ur_config (in-kernel filter, set by the agent)
 *   mounts      hash target path -> struct ur_mount (kept by the kernel side:
 *               added on a successful mount/move_mount under a prefix,
 *               removed on umount; survives agent restarts)
 *   loops       hash loop dev_t -> struct ur_loop (last attach/detach seen)
 *   containers  hash struct ur_ckey -> struct ur_container (the agent's table,
 *               written by user space, read back after a restart)
 */
#ifndef UNIROOT_BPF_EVENTS_H
#define UNIROOT_BPF_EVENTS_H

#ifndef __bpf__
#include <linux/types.h>
#endif

#define UR_PIN_ROOT "/sys/fs/bpf/uniroot"
#define UR_PIN_DIR UR_PIN_ROOT "/v1"

#define UR_PATH_LEN 512     /* event path buffers (longer paths are truncated, flagged) */
#define UR_KEY_PATH_LEN 256 /* mounts map key */
#define UR_SRC_LEN 256
#define UR_FSTYPE_LEN 32
#define UR_PREFIX_LEN 128
#define UR_MAX_PREFIXES 8

enum ur_event_kind {
    UR_EV_MOUNT = 1,      /* mount(2) returned */
    UR_EV_MOVE_MOUNT = 2, /* move_mount(2) returned (new mount API, open_tree clones) */
    UR_EV_UMOUNT = 3,     /* umount2(2) returned */
    UR_EV_LOOP_ATTACH = 4,/* LOOP_SET_FD / LOOP_CONFIGURE issued */
    UR_EV_LOOP_DETACH = 5,/* LOOP_CLR_FD issued */
    UR_EV_DM = 6,         /* device-mapper ioctl issued (dm_cmd says which) */
};

/* ur_event.flags */
#define UR_EVF_TRUNCATED 0x1   /* target did not fit UR_PATH_LEN */
#define UR_EVF_RELATIVE 0x2    /* target is relative to dfd (to_dfd) or cwd */
#define UR_EVF_FROM_FD 0x4     /* move_mount source was a mount fd: dev/fstype/source from its sb */
#define UR_EVF_NO_RESULT 0x8   /* enter-only hook: ret is not known (ioctls) */

/* ur_config.flags */
#define UR_CFG_BLOCK_ONLY 0x1  /* mount(2): pass only /dev/... sources, binds and moves */
#define UR_CFG_ALL_PATHS 0x2   /* no prefix filter (debugging) */
#define UR_CFG_ENABLED 0x4     /* unset: every hook returns at once */

/* Device-mapper ioctl numbers (dm-ioctl.h, type 0xfd). */
#define UR_DM_DEV_CREATE 3
#define UR_DM_DEV_REMOVE 4
#define UR_DM_DEV_SUSPEND 6
#define UR_DM_TABLE_LOAD 9

struct ur_event {
    __u32 kind;          /* enum ur_event_kind */
    __u32 flags;         /* UR_EVF_* */
    __s64 ret;           /* syscall result (0 = success) */
    __u64 ts_ns;         /* bpf_ktime_get_ns() at exit (CLOCK_MONOTONIC) */
    __u64 enter_ns;      /* at entry */
    __u32 pid, tid;
    __u32 dev;           /* kernel dev_t (major<<20|minor): mount's sb, or loop device */
    __u32 dm_cmd;        /* UR_EV_DM: ioctl nr */
    __u32 tlen;          /* bytes of target used, NUL included: the ring buffer
                          * carries the event only up to there */
    __u32 reserved;
    __u64 mnt_flags;     /* mount(2) flags, move_mount flags, umount2 flags */
    __s32 dfd;           /* move_mount to_dfd */
    __u32 backing_dev;   /* loop: backing file's sb dev */
    __u64 backing_ino;   /* loop: backing file's inode */
    __u64 diskseq;       /* loop: disk sequence number, 0 if unknown */
    char comm[16];
    char fstype[UR_FSTYPE_LEN];
    char source[UR_SRC_LEN];   /* mount source / dm name / loop backing file name */
    char target[UR_PATH_LEN];  /* mount target / dm uuid: last, so events are variable-length */
};

/* Size of an event carrying tlen bytes of target. */
#define UR_EVENT_SIZE(tlen) (__builtin_offsetof(struct ur_event, target) + (tlen))

struct ur_stats {
    __u64 events;        /* submitted to the ring buffer */
    __u64 drops;         /* ring buffer full: lost, the agent reconciles */
    __u64 filtered;      /* mount-family calls rejected by the in-kernel filter */
    __u64 inflight_full; /* enter could not be remembered for exit */
    __u64 loop_ioctls;
    __u64 dm_ioctls;
};

struct ur_prefix {
    __u32 len;
    char s[UR_PREFIX_LEN];
};

struct ur_config {
    __u32 flags;         /* UR_CFG_* */
    __u32 n_prefixes;
    __u32 mnt_ns;        /* inode number of the watched mount namespace; 0 = any.
                          * Mounts made in other namespaces (a user namespace can
                          * build any path) are not reported. */
    __u32 reserved;
    struct ur_prefix prefix[UR_MAX_PREFIXES];
};

struct ur_mount_key {
    char target[UR_KEY_PATH_LEN];
};

struct ur_mount {
    __u32 kind;          /* how it was made: UR_EV_MOUNT or UR_EV_MOVE_MOUNT */
    __u32 dev;           /* sb dev_t when known in kernel (move_mount from fd), else 0 */
    __u64 ts_ns;
    __u32 pid;
    char fstype[UR_FSTYPE_LEN];
    char source[UR_SRC_LEN];
};

struct ur_loop {
    __u32 attached;      /* 1 after SET_FD/CONFIGURE, 0 after CLR_FD */
    __u32 backing_dev;
    __u64 backing_ino;
    __u64 diskseq;
    __u64 ts_ns;
    char backing_name[64];
};

struct ur_ckey {
    char namespace_[64];
    char id[128];
};

/* The rootfs kinds of common/rootfs_record.h, named here so that
 * `bpftool map dump` prints UR_ROOTFS_BLOCK rather than 1. */
enum ur_rootfs_type {
    UR_ROOTFS_NONE = 0,
    UR_ROOTFS_BLOCK = 1,
    UR_ROOTFS_INITRD = 2,
    UR_ROOTFS_SHARED = 3,
};

struct ur_container {
    enum ur_rootfs_type type; /* 4 bytes, as enum rootfs_type */
    __u32 major, minor;
    __u64 observed_at_ns;
    char observed_by[16];
    char fstype[UR_FSTYPE_LEN];
    char device[64];
    char backing[UR_KEY_PATH_LEN];
    char mount_target[UR_KEY_PATH_LEN];
};

#endif
