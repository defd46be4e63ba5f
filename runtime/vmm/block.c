/* block.c: the block device module. --block:NAME=PATH attaches a regular file
 * or a block device (loop, dm, ...) to the manifest entry NAME; the guest
 * reads and writes whole sectors through two hypercalls, each request checked
 * against the device's capacity and sector size.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/fs.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vmm.h"

#define DEFAULT_SECTOR 512

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

static int attach_one(struct vmm *vmm, const struct tender_opts *o, const struct tender_dev_opt *d,
                      struct ur_err *err)
{
    struct mft_entry *e = mft_find(vmm->mft, d->name, MFT_DEV_BLOCK_BASIC);
    if (!e)
        return ur_errf(err, -ENODEV, "--block:%s: the unikernel declares no block device '%s'",
                       d->name, d->name);
    uint64_t sector = DEFAULT_SECTOR;
    for (unsigned i = 0; i < o->ndev; i++)
        if (o->dev[i].kind == TENDER_OPT_BLOCK_SECTOR && strcmp(o->dev[i].name, d->name) == 0)
            sector = strtoull(o->dev[i].value, NULL, 10); /* validated by the parser */

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
static struct mft_entry *check_request(struct vmm *vmm, uint64_t handle, uint64_t off,
                                       uint64_t len, int32_t *ret)
{
    struct mft_entry *e = mft_at(vmm->mft, handle, MFT_DEV_BLOCK_BASIC);
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

static int block_io(struct vmm *vmm, uint64_t gpa, bool write, struct ur_err *err)
{
    const char *what = write ? "block write" : "block read";
    struct hvt_hc_block_read *a = vmm_gpa_w(vmm, gpa, sizeof(*a));
    if (!a)
        return vmm_violation(err, what, "argument", gpa, sizeof(*a));
    uint64_t off = a->offset, len = a->len, data = a->data;
    int32_t ret;
    struct mft_entry *e = check_request(vmm, a->handle, off, len, &ret);
    if (e) {
        /* a read writes into guest memory */
        uint8_t *p = write ? vmm_gpa(vmm, data, len) : vmm_gpa_w(vmm, data, len);
        if (!p)
            return vmm_violation(err, what, "data", data, len);
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

static int hc_block_write(struct vmm *vmm, uint64_t gpa, struct ur_err *err)
{
    return block_io(vmm, gpa, true, err);
}

static int hc_block_read(struct vmm *vmm, uint64_t gpa, struct ur_err *err)
{
    return block_io(vmm, gpa, false, err);
}

static int block_attach(struct vmm *vmm, const struct tender_opts *o, struct ur_err *err)
{
    for (unsigned i = 0; i < o->ndev; i++) {
        const struct tender_dev_opt *d = &o->dev[i];
        if (d->kind == TENDER_OPT_BLOCK_SECTOR) {
            bool given = false;
            for (unsigned j = 0; j < o->ndev; j++)
                given |= o->dev[j].kind == TENDER_OPT_BLOCK && strcmp(o->dev[j].name, d->name) == 0;
            if (!given)
                return ur_errf(err, -EINVAL, "--block-sector-size:%s given without --block:%s",
                               d->name, d->name);
        } else if (d->kind == TENDER_OPT_BLOCK) {
            int rc = attach_one(vmm, o, d, err);
            if (rc < 0)
                return rc;
        }
    }
    vmm->hc[HVT_HYPERCALL_BLOCK_WRITE] = hc_block_write;
    vmm->hc[HVT_HYPERCALL_BLOCK_READ] = hc_block_read;
    return 0;
}

static void block_cleanup(struct vmm *vmm)
{
    for (unsigned i = 1; vmm->mft && i < vmm->mft->entries; i++) {
        struct mft_entry *e = &vmm->mft->e[i];
        if (e->type == MFT_DEV_BLOCK_BASIC && e->attached) {
            close(e->b.hostfd);
            e->attached = 0;
        }
    }
}

const struct vmm_module vmm_block_module = {
    .name = "block",
    .attach = block_attach,
    .cleanup = block_cleanup,
};
