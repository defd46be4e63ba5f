/* rootfs_record.h: the agent -> runtime contract about a container's rootfs.
 *
 * unirootd writes one record per unikernel container into the bundle's
 * config.json as the annotation "dev.uniroot.rootfs" (a JSON object in a
 * string), and serves the same object on its socket. The runtime trusts it
 * only after verifying it (see DESIGN.md, "Contracts").
 *
 * JSON form (version 1):
 *   {"version":1,"type":"block","device":"/dev/loop3","major":7,"minor":3,
 *    "fstype":"ext4","backing":"/var/lib/x/snap.img","observed_by":"bpf-tracepoint",
 *    "observed_at":"2026-11-30T10:15:01.123456789Z","namespace":"default","container":"c1",
 *    "mount_target":"/run/containerd/io.containerd.runtime.v2.task/default/c1/rootfs"}
 * Unknown keys are ignored; a missing optional string is "".
 */
#ifndef UNIROOT_COMMON_ROOTFS_RECORD_H
#define UNIROOT_COMMON_ROOTFS_RECORD_H

#include <stdint.h>

#include "err.h"

#define ROOTFS_ANNOTATION "dev.uniroot.rootfs"
#define ROOTFS_RECORD_VERSION 1
#define ROOTFS_PATH_MAX 4096

enum rootfs_type { ROOTFS_NONE = 0, ROOTFS_BLOCK, ROOTFS_INITRD, ROOTFS_SHARED };

struct rootfs_record {
    int version;
    enum rootfs_type type;
    char device[ROOTFS_PATH_MAX];       /* device node, e.g. /dev/loop3 */
    uint32_t major, minor;
    char fstype[32];
    char backing[ROOTFS_PATH_MAX];      /* loop backing file, or dm name/uuid */
    char observed_by[32];               /* bpf-tracepoint, bpf-fentry, fanotify, mountinfo */
    uint64_t observed_at_ns;            /* CLOCK_REALTIME */
    char namespace_[128];
    char container[256];
    char mount_target[ROOTFS_PATH_MAX];
};

const char *rootfs_type_name(enum rootfs_type t);
int rootfs_type_parse(const char *s, enum rootfs_type *out);

/* Serialize to a compact JSON object; *out is malloc'ed (free it). */
int rootfs_record_to_json(const struct rootfs_record *r, char **out, struct ur_err *err);

/* Parse and validate a JSON object (hostile input: every field checked). */
int rootfs_record_from_json(const char *json, struct rootfs_record *r, struct ur_err *err);

#endif
