/* tender.c: what both monitors (uniroot-vmm for hvt, uniroot-spt) do the same
 * way before the guest runs: map and check the unikernel file, report a
 * setup error, and the runtime's create/start protocol (--ready-fd,
 * --start-fifo). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tender.h"

/* Map the kernel file read-only (private, so libelf may not write through). */
int tender_map_kernel(const char *path, void **buf, size_t *len, struct ur_err *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return ur_errf_sys(err, -errno, "cannot open unikernel %s", path);
    struct stat st;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size == 0) {
        int e = errno;
        close(fd);
        return ur_errf(err, -ENOEXEC, "unikernel %s: %s", path,
                       S_ISREG(st.st_mode) ? (st.st_size ? strerror(e) : "empty file")
                                           : "not a regular file");
    }
    void *p = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    int e = errno;
    close(fd);
    if (p == MAP_FAILED)
        return ur_errf_sys(err, -e, "cannot map unikernel %s", path);
    *buf = p;
    *len = (size_t)st.st_size;
    return 0;
}

int tender_image_open(struct tender_image *ti, const char *path, uint32_t target,
                      struct tender_ctx *ctx, struct ur_err *err)
{
    *ti = (struct tender_image){0};
    int rc = tender_map_kernel(path, &ti->buf, &ti->len, err);
    if (rc < 0)
        return rc;
    if ((rc = elf_image_open(&ti->img, ti->buf, ti->len, err)) < 0 ||
        (rc = elf_image_check_target(ti->img, target, err)) < 0 ||
        (rc = elf_image_manifest(ti->img, &ctx->mft, &ctx->mft_size, err)) < 0) {
        ur_err_wrap(err, "%s", path);
        tender_image_close(ti);
    }
    return rc;
}

void tender_image_close(struct tender_image *ti)
{
    elf_image_close(ti->img);
    if (ti->buf)
        munmap(ti->buf, ti->len);
    *ti = (struct tender_image){0};
}

void tender_report_setup_error(const struct tender_registry *r, const struct tender_opts *o,
                               const struct ur_err *err)
{
    fprintf(stderr, "%s: %s\n", r->mon->prog, err->msg);
    if (o->ready_fd >= 0) { /* the runtime quotes it in "OCI runtime create failed" */
        dprintf(o->ready_fd, "error: %s\n", err->msg);
        close(o->ready_fd);
    }
}

/* --ready-fd / --start-fifo: tell the runtime we are set up, wait for start. */
int tender_wait_for_start(const struct tender_opts *o, struct ur_err *err)
{
    if (o->ready_fd >= 0) {
        ssize_t n = write(o->ready_fd, "ready\n", 6);
        close(o->ready_fd);
        if (n != 6)
            return ur_errf_sys(err, n < 0 ? -errno : -EIO, "cannot report ready on fd %d", o->ready_fd);
    }
    if (!o->start_fifo)
        return 0;
    int fd = open(o->start_fifo, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return ur_errf_sys(err, -errno, "waiting for start on %s", o->start_fifo);
    char c;
    ssize_t n;
    do
        n = read(fd, &c, 1);
    while (n < 0 && errno == EINTR && !tender_stop_signal());
    close(fd);
    if (n != 1)
        return ur_errf(err, -ECANCELED, "start cancelled");
    return 0;
}
