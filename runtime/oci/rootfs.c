/* rootfs.c: the rootfs selection order and outcome (see rootfs.h). Pure logic:
 * all system access goes through struct rootfs_probes. */
#include "rootfs.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

const char *rootfs_source_name(enum rootfs_source s)
{
    switch (s) {
    case SRC_ANNOTATION: return "annotation";
    case SRC_AGENT: return "agent";
    case SRC_LIBMOUNT: return "libmount";
    default: return "none";
    }
}

const char *rootfs_outcome_name(enum rootfs_outcome o)
{
    switch (o) {
    case OUT_INITRD: return "initrd";
    case OUT_BLOCK_IMAGE: return "block-image";
    case OUT_ROOTFS_BLOCK: return "rootfs-block";
    default: return "none";
    }
}

/* Append one step to the trace and to the log. */
static void step(struct rootfs_found *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void step(struct rootfs_found *out, const char *fmt, ...)
{
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    size_t len = strlen(out->trace);
    if (len < sizeof(out->trace) - 1)
        snprintf(out->trace + len, sizeof(out->trace) - len, "%s%s", len ? "; " : "", line);
    log_info("rootfs: %s", line);
}

/* A verified record (annotation or agent answer) decides: log it and take it. */
static int accept_record(struct rootfs_found *out, enum rootfs_source src, const char *what,
                         const struct rootfs_record *r)
{
    step(out, "%s: verified (%s %s %u:%u)", what, rootfs_type_name(r->type),
         r->device[0] ? r->device : "-", r->major, r->minor);
    out->source = src;
    out->mounted = r->type == ROOTFS_BLOCK;
    out->rec = *r;
    return 0;
}

int rootfs_find(const struct rootfs_probes *p, const char *annotation, const char *bundle,
                const char *rootfs, struct rootfs_found *out, struct ur_err *err)
{
    struct ur_err e;
    struct rootfs_record r;
    memset(out, 0, sizeof(*out));

    /* (a) the agent's annotation, verified in O(1) */
    if (!annotation) {
        step(out, "annotation: absent");
    } else if (rootfs_record_from_json(annotation, &r, &e) < 0) {
        step(out, "annotation: ignored, %s", e.msg);
    } else if (p->verify(p->ctx, rootfs, &r, &e) < 0) {
        step(out, "annotation: not trusted, %s", e.msg);
    } else {
        return accept_record(out, SRC_ANNOTATION, "annotation", &r);
    }

    /* (b) the agent's socket */
    ur_err_clear(&e);
    int rc = p->agent_get(p->ctx, bundle, &r, &e);
    if (rc == 0) {
        step(out, "agent: skipped, %s", e.msg[0] ? e.msg : "no agent");
    } else if (rc < 0) {
        step(out, "agent: %s", e.msg);
    } else if (p->verify(p->ctx, rootfs, &r, &e) < 0) {
        step(out, "agent: answer not trusted, %s", e.msg);
    } else {
        return accept_record(out, SRC_AGENT, "agent", &r);
    }

    /* (c) libmount: what the mount table says is at root.path */
    char rw_elsewhere[PATH_MAX] = "";
    ur_err_clear(&e);
    rc = p->mount_lookup(p->ctx, rootfs, &r, rw_elsewhere, sizeof(rw_elsewhere), &e);
    if (rc < 0) {
        step(out, "libmount: %s", e.msg);
        return ur_errf(err, rc, "cannot tell what is mounted at %s: %s", rootfs, e.msg);
    }
    out->source = SRC_LIBMOUNT;
    if (rc == 0) {
        step(out, "libmount: nothing mounted at %s", rootfs);
        return 0;
    }
    out->mounted = true;
    out->rec = r;
    if (r.type != ROOTFS_BLOCK) {
        step(out, "libmount: %s is a %s mount, not a block device", rootfs,
             r.fstype[0] ? r.fstype : "?");
        return 0;
    }
    step(out, "libmount: %s is %s %s (%u:%u)", rootfs, r.fstype, r.device, r.major, r.minor);
    if (rw_elsewhere[0]) {
        step(out, "libmount: %s is also mounted read-write at %s", r.device, rw_elsewhere);
        return ur_errf(err, -EBUSY,
                       "rootfs device %s is also mounted read-write at %s; refusing to hand it "
                       "to the guest", r.device, rw_elsewhere);
    }
    return 0;
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int rootfs_decide(const struct rootfs_probes *p, const struct uk_desc *uk, const char *annotation,
                  const char *bundle, const char *rootfs, struct rootfs_decision *d,
                  struct ur_err *err)
{
    memset(d, 0, sizeof(*d));
    if (uk->initrd[0]) {
        d->outcome = OUT_INITRD;
        fmt_into(d->path, sizeof(d->path), "%s", uk->initrd);
        fmt_into(d->reason, sizeof(d->reason), "the image names an initrd (%s)", uk->initrd);
        return 0;
    }
    if (uk->block[0] && strcmp(uk->blk_mnt_point, "/") == 0) {
        d->outcome = OUT_BLOCK_IMAGE;
        fmt_into(d->path, sizeof(d->path), "%s", uk->block);
        fmt_into(d->reason, sizeof(d->reason), "the image names a block image (%s) mounted at /",
                 uk->block);
        return 0;
    }
    if (!uk->mount_rootfs) {
        d->outcome = OUT_NONE;
        fmt_into(d->reason, sizeof(d->reason), "mountRootfs is not set");
        return 0;
    }
    uint64_t t0 = now_ns();
    int rc = rootfs_find(p, annotation, bundle, rootfs, &d->found, err);
    d->find_ns = now_ns() - t0;
    d->find_ran = true;
    if (rc < 0)
        return rc;
    const struct rootfs_record *r = &d->found.rec;
    if (!d->found.mounted || r->type != ROOTFS_BLOCK) {
        d->outcome = OUT_NONE;
        fmt_into(d->reason, sizeof(d->reason), "the container rootfs is not a block device (%s)",
                 rootfs_source_name(d->found.source));
        return 0;
    }
    if (!uk_supports_fs(uk, r->fstype)) {
        d->outcome = OUT_NONE;
        fmt_into(d->reason, sizeof(d->reason),
                 "unikernel type %s cannot use a %s rootfs; not handing %s to the guest",
                 uk->type, r->fstype[0] ? r->fstype : "unknown", r->device);
        return 0;
    }
    d->outcome = OUT_ROOTFS_BLOCK;
    fmt_into(d->path, sizeof(d->path), "%s", r->device);
    fmt_into(d->reason, sizeof(d->reason), "rootfs is %s %s, found by %s", r->fstype, r->device,
             rootfs_source_name(d->found.source));
    return 0;
}
