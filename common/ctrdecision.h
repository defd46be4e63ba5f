/* ctrdecision.h: the runtime's decision for one container, as `uniroot
 * create` records it in the container's state.json (member "decision") and
 * as `unirootctl explain` reads it back: one encoder and one decoder.
 *
 * JSON form (version 1):
 *   {"version":1,"hypervisor":"spt","monitor":"/usr/local/bin/uniroot-spt","mem_mb":64,
 *    "rootfs":{"outcome":"rootfs-block","source":"annotation","device":"/dev/loop3",
 *              "major":7,"minor":3,"fstype":"ext4","reason":"...","trace":"..."},
 *    "net":[{"name":"service","tap":"urtap0","mac":"02:00:0a:63:00:02",
 *            "iface":"eth0","netns":"/run/netns/x"}]}
 * mem_mb 0: no --mem was given (the monitor's default). rootfs.outcome is
 * rootfs-block | block-image | initrd | none (runtime/oci/rootfs.h); source,
 * how the container rootfs was learnt: annotation (the agent's, verified),
 * agent (its socket's answer, verified), libmount (the runtime's own
 * mount-table lookup), none (not looked up). Unknown keys are ignored; every
 * known one is type- and length-checked (the file is read as hostile).
 */
#ifndef UNIROOT_COMMON_CTRDECISION_H
#define UNIROOT_COMMON_CTRDECISION_H

#include <stdint.h>

#include <cjson/cJSON.h>

#include "err.h"

#define UR_DECISION_VERSION 1
#define UR_DECISION_MAX_NET 4
#define UR_DECISION_PATH 4096

struct ur_decision_net {
    char name[68];        /* the manifest's device name */
    char tap[16];         /* the tap made for it */
    char mac[18];         /* the guest's MAC (the interface's) */
    char iface[16];       /* the container interface it took */
    char netns[256];      /* the namespace, by path */
};

struct ur_decision {
    int version;                         /* 0: rebuilt from an older state (ctrstate.c) */
    char hypervisor[16];                 /* hvt | spt */
    char monitor[UR_DECISION_PATH];      /* the monitor program run */
    uint64_t mem_mb;                     /* --mem given, 0: none */
    char outcome[16];
    char source[16];
    char device[UR_DECISION_PATH];       /* the block device or image handed over, "" none */
    uint32_t major, minor;               /* of device (rootfs-block) */
    char fstype[32];
    char reason[512];
    char trace[1024];
    unsigned nnet;
    struct ur_decision_net net[UR_DECISION_MAX_NET];
};

/* d as a JSON object (the caller owns it); NULL when out of memory. */
cJSON *ur_decision_to_json(const struct ur_decision *d);
/* Fill *d from a JSON object; -EBADMSG naming the member when one is of the
 * wrong type, out of range or too long. */
int ur_decision_from_json(const cJSON *j, struct ur_decision *d, struct ur_err *err);

/* Typed members of a hostile JSON object, shared with ctrstate.c: absent is
 * no error (dst unchanged); present with another type, or a string of n bytes
 * or more, or a number outside [0, max] that is not whole, is -EBADMSG. */
int ur_json_get_str(const cJSON *o, const char *key, char *dst, size_t n, struct ur_err *err);
int ur_json_get_u64(const cJSON *o, const char *key, uint64_t max, uint64_t *dst, struct ur_err *err);

#endif
