/* rootfs.h: deciding where a unikernel's root filesystem comes from.
 *
 * Two layers. rootfs_find() learns what is mounted at root.path, trying in
 * order (a) the agent's "dev.uniroot.rootfs" annotation, trusted only after an
 * O(1) check, (b) the agent's socket, (c) libmount; every step is logged with
 * its reason. rootfs_decide() then picks the outcome in urunc's order: initrd,
 * explicit block image, the container rootfs as a block device, none.
 * The probes are function pointers so unit tests can drive every fallback.
 */
#ifndef UNIROOT_OCI_ROOTFS_H
#define UNIROOT_OCI_ROOTFS_H

#include <stdbool.h>
#include <stdint.h>

#include "oci.h"
#include "rootfs_record.h"

#define ROOTFS_AGENT_TIMEOUT_MS 50

struct rootfs_probes {
    /* O(1) check that record r describes what is mounted at rootfs.
     * 0 when it does; negative with the reason in err otherwise. */
    int (*verify)(void *ctx, const char *rootfs, const struct rootfs_record *r, struct ur_err *err);
    /* Ask the agent about bundle: 1 with *r filled, 0 when there is no agent
     * (reason in err), negative on failure (timeout, error answer). */
    int (*agent_get)(void *ctx, const char *bundle, struct rootfs_record *r, struct ur_err *err);
    /* What is mounted at rootfs, from the mount table: 1 with *r filled (type
     * block for a block device, none otherwise), 0 when nothing is mounted
     * there, negative on failure. *rw_elsewhere names another read-write
     * mount of the same block device ("" when none). */
    int (*mount_lookup)(void *ctx, const char *rootfs, struct rootfs_record *r,
                        char *rw_elsewhere, size_t n, struct ur_err *err);
    void *ctx;
};

/* The real probes (rootfs_probe.c). */
extern const struct rootfs_probes rootfs_probes_real;

enum rootfs_source { SRC_NONE = 0, SRC_ANNOTATION, SRC_AGENT, SRC_LIBMOUNT };
const char *rootfs_source_name(enum rootfs_source s);

struct rootfs_found {
    enum rootfs_source source;      /* where the answer came from */
    bool mounted;                   /* something is mounted at root.path */
    struct rootfs_record rec;       /* what it is */
    char trace[1024];               /* "annotation: ...; agent: ...; libmount: ..." */
};

int rootfs_find(const struct rootfs_probes *p, const char *annotation, const char *bundle,
                const char *rootfs, struct rootfs_found *out, struct ur_err *err);

enum rootfs_outcome { OUT_NONE = 0, OUT_INITRD, OUT_BLOCK_IMAGE, OUT_ROOTFS_BLOCK };
const char *rootfs_outcome_name(enum rootfs_outcome o);

struct rootfs_decision {
    enum rootfs_outcome outcome;
    struct rootfs_found found;      /* valid when find_ran */
    bool find_ran;
    char path[PATH_MAX];            /* initrd or block image path, or device */
    char reason[512];
    uint64_t find_ns;               /* time spent in rootfs_find */
};

int rootfs_decide(const struct rootfs_probes *p, const struct uk_desc *uk, const char *annotation,
                  const char *bundle, const char *rootfs, struct rootfs_decision *d,
                  struct ur_err *err);

#endif
