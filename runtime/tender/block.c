/* block.c: the block device module. --block:NAME=PATH attaches a regular file
 * or a block device (loop, dm, ...) to the manifest entry NAME. Under hvt the
 * guest reads and writes whole sectors through two hypercalls, each request
 * checked against the device's capacity and sector size; under spt it calls
 * pread64/pwrite64 itself, and the seccomp rules here hold it to one sector
 * inside the device.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/fs.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "tender.h"

#define DEFAULT_SECTOR 512

/* Parse a decimal number that must fill all of s. */
static bool parse_num(const char *s, uint64_t *out)
{
    if (*s < '0' || *s > '9')
        return false;
    errno = 0;
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end)
        return false;
    *out = v;
    return true;
}

static const char *check_sector(const char *v)
{
    uint64_t n;
    if (!parse_num(v, &n) || n < 512 || n > 32768 || (n & (n - 1)))
        return "sector size must be a power of two from 512 to 32768";
    return NULL;
}

static const struct tender_option opts[] = {
    {"--block:", "PATH", "attach file or block device PATH as block device NAME", NULL},
    {"--block-sector-size:", "N", "sector size of NAME (power of two, 512..32768; default 512)",
     check_sector},
};
#define OPT_BLOCK (&opts[0])
#define OPT_SECTOR (&opts[1])

/* Size in bytes of an open file or block device. */
static int device_capacity(int fd, const char *path, uint64_t *out, struct ur_err *err)
{
    struct stat st;
    if (fstat(fd, &st) < 0)
        return ur_errf_sys(err, -errno, "%s", path);
    if (S_ISREG(st.st_mode)) {
        *out = (uint64_t)st.st_size;
        return 0;
    }
    if (S_ISBLK(st.st_mode)) {
        if (ioctl(fd, BLKGETSIZE64, out) < 0)
            return ur_errf_sys(err, -errno, "%s: BLKGETSIZE64", path);
        return 0;
    }
    return ur_errf(err, -EINVAL, "%s: not a regular file or block device", path);
}

static int attach_one(struct tender_ctx *ctx, const struct tender_opts *o,
                      const struct tender_dev_opt *d, struct ur_err *err)
{
    struct mft_entry *e = mft_find(ctx->mft, d->name, MFT_DEV_BLOCK_BASIC);
    if (!e)
        return ur_errf(err, -ENODEV, "--block:%s: the unikernel declares no block device '%s'",
                       d->name, d->name);
    uint64_t sector = DEFAULT_SECTOR;
    const char *ss = tender_opt_value(o, OPT_SECTOR, d->name);
    if (ss)
        sector = strtoull(ss, NULL, 10); /* checked by the parser */

    int fd = open(d->value, O_RDWR | O_CLOEXEC);
    if (fd < 0)
        return ur_errf_sys(err, -errno, "--block:%s: cannot open %s", d->name, d->value);
    uint64_t cap;
    int rc = device_capacity(fd, d->value, &cap, err);
    if (rc < 0) {
        close(fd);
        return ur_err_wrap(err, "--block:%s", d->name);
    }
    if (cap < sector || cap % sector) {
        close(fd);
        return ur_errf(err, -EINVAL, "--block:%s: %s has %" PRIu64 " bytes, not a whole number "
                       "of %" PRIu64 "-byte sectors", d->name, d->value, cap, sector);
    }
    e->u.block_basic.capacity = cap;
    e->u.block_basic.block_size = (uint16_t)sector;
    e->b.hostfd = fd;
    e->attached = 1;
    return 0;
}

/* Check a request and return its entry, or NULL with *ret set for the guest. */
static struct mft_entry *check_request(struct tender_ctx *ctx, uint64_t handle, uint64_t off,
                                       uint64_t len, int32_t *ret)
{
    struct mft_entry *e = mft_at(ctx->mft, handle, MFT_DEV_BLOCK_BASIC);
    *ret = SOLO5_R_EINVAL;
    if (!e)
        return NULL;
    uint64_t bs = e->u.block_basic.block_size, cap = e->u.block_basic.capacity, end;
    if (len == 0 || off % bs || len % bs || __builtin_add_overflow(off, len, &end) || end > cap)
        return NULL;
    *ret = SOLO5_R_OK;
    return e;
}

/* Block read and write share one argument layout; one handler serves both. */
_Static_assert(sizeof(struct hvt_hc_block_write) == sizeof(struct hvt_hc_block_read) &&
                   __builtin_offsetof(struct hvt_hc_block_write, ret) ==
                       __builtin_offsetof(struct hvt_hc_block_read, ret),
               "block read and write arguments differ");

static int block_io(struct tender_ctx *ctx, uint64_t gpa, bool write, struct ur_err *err)
{
    const char *what = write ? "block write" : "block read";
    struct hvt_hc_block_read *a = tender_gpa_w(ctx, gpa, sizeof(*a));
    if (!a)
        return tender_violation(err, what, "argument", gpa, sizeof(*a));
    uint64_t off = a->offset, len = a->len, data = a->data;
    int32_t ret;
    struct mft_entry *e = check_request(ctx, a->handle, off, len, &ret);
    if (e) {
        /* a read writes into guest memory */
        uint8_t *p = write ? tender_gpa(ctx, data, len) : tender_gpa_w(ctx, data, len);
        if (!p)
            return tender_violation(err, what, "data", data, len);
        while (len > 0) {
            ssize_t n = write ? pwrite(e->b.hostfd, p, len, (off_t)off)
                              : pread(e->b.hostfd, p, len, (off_t)off);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0) {
                ret = SOLO5_R_EUNSPEC; /* I/O error or short device: the guest decides */
                break;
            }
            p += n, off += (uint64_t)n, len -= (uint64_t)n;
        }
    }
    a->ret = ret;
    return 0;
}

static int hc_block_write(struct tender_ctx *ctx, uint64_t gpa, struct ur_err *err)
{
    return block_io(ctx, gpa, true, err);
}

static int hc_block_read(struct tender_ctx *ctx, uint64_t gpa, struct ur_err *err)
{
    return block_io(ctx, gpa, false, err);
}

static int block_attach(struct tender_ctx *ctx, const struct tender_opts *o, struct ur_err *err)
{
    for (unsigned i = 0; i < o->ndev; i++) {
        const struct tender_dev_opt *d = &o->dev[i];
        if (d->opt == OPT_SECTOR && !tender_opt_value(o, OPT_BLOCK, d->name))
            return ur_errf(err, -EINVAL, "--block-sector-size:%s given without --block:%s",
                           d->name, d->name);
        if (d->opt == OPT_BLOCK) {
            int rc = attach_one(ctx, o, d, err);
            if (rc < 0)
                return rc;
        }
    }
    return 0;
}

static void block_cleanup(struct tender_ctx *ctx)
{
    tender_detach_all(ctx, MFT_DEV_BLOCK_BASIC);
}

/* hvt: the monitor itself reads and writes the device. */
static unsigned block_hvt_rules(const struct tender_ctx *ctx, const struct mft_entry *e,
                                struct tender_rule *out, unsigned n)
{
    (void)ctx;
    TENDER_RULE(out, n, SYS_pread64, tender_eq32(0, (uint32_t)e->b.hostfd));
    TENDER_RULE(out, n, SYS_pwrite64, tender_eq32(0, (uint32_t)e->b.hostfd));
    return n;
}

/* spt: the guest's bindings call pread64/pwrite64 on the device's descriptor
 * for exactly one sector, starting at most one sector before the end, into
 * guest memory [SPT_HOST_MEM_BASE, mem_size). */
static unsigned block_spt_rules(const struct tender_ctx *ctx, const struct mft_entry *e,
                                struct tender_rule *out, unsigned n)
{
    const uint64_t lo = SPT_HOST_MEM_BASE, hi = ctx->mem_size - 1, fd = (uint64_t)e->b.hostfd;
    const uint64_t bs = e->u.block_basic.block_size, last = e->u.block_basic.capacity - bs;
    TENDER_RULE(out, n, SYS_pread64, tender_eq(0, fd), tender_ge(1, lo), tender_le(1, hi),
                tender_eq(2, bs), tender_le(3, last));
    TENDER_RULE(out, n, SYS_pwrite64, tender_eq(0, fd), tender_ge(1, lo), tender_le(1, hi),
                tender_eq(2, bs), tender_le(3, last));
    return n;
}

static const struct tender_hypercall calls[] = {
    {HVT_HYPERCALL_BLOCK_WRITE, hc_block_write},
    {HVT_HYPERCALL_BLOCK_READ, hc_block_read},
};

const struct tender_module tender_block_module = {
    .name = "block",
    .mft_type = MFT_DEV_BLOCK_BASIC,
    .opts = opts,
    .nopts = sizeof(opts) / sizeof(opts[0]),
    .attach = block_attach,
    .cleanup = block_cleanup,
    .hvt_calls = calls,
    .nhvt_calls = sizeof(calls) / sizeof(calls[0]),
    .hvt_rules = block_hvt_rules,
    .spt_rules = block_spt_rules,
};
