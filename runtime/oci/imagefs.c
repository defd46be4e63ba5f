/* imagefs.c: opening what an image names, confined to its rootfs (see
 * imagefs.h). Every open goes through ur_inroot_open. */
#include "imagefs.h"

#include "fileio.h"
#include "inroot.h"
#include "ukbundle.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

int image_open_root(const char *rootfs, int *rootfd, struct ur_err *err)
{
    *rootfd = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (*rootfd < 0)
        return ur_errf_sys(err, -errno, "rootfs %s", rootfs);
    return 0;
}

int image_read_urunc_json(int rootfd, char **json, struct ur_err *err)
{
    return ur_urunc_json_read(rootfd, json, err);
}

int image_copy_urunc_json(int rootfd, const char *dst, struct ur_err *err)
{
    int fd = -1;
    int rc = ur_urunc_json_open(rootfd, &fd, err);
    if (rc <= 0)
        return rc;
    rc = image_copy_fd(fd, dst, err);
    close(fd);
    return rc;
}

int image_open_kernel(int rootfd, const struct uk_desc *uk, struct ur_err *err)
{
    int fd = ur_inroot_open(rootfd, uk->binary, 0, IMAGE_KERNEL_MAX, NULL, err);
    if (fd < 0)
        ur_err_wrap(err, "%s: unikernel binary (%sbinary)", uk->source, UK_PREFIX);
    return fd;
}

int image_open_block(int rootfd, const struct uk_desc *uk, struct ur_err *err)
{
    int fd = ur_inroot_open(rootfd, uk->block, UR_INROOT_RDWR, 0, NULL, err);
    if (fd < 0)
        ur_err_wrap(err, "%s: block image (%sblock)", uk->source, UK_PREFIX);
    return fd;
}

int image_copy_fd(int in, const char *dst, struct ur_err *err)
{
    struct stat st;
    if (fstat(in, &st) < 0 || !S_ISREG(st.st_mode))
        return ur_errf(err, -EINVAL, "cannot copy to %s: not a regular file", dst);
    int out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (out < 0)
        return ur_errf_sys(err, -errno, "cannot create %s", dst);
    int rc = 0;
    off_t off = 0;
    while (off < st.st_size) {
        ssize_t n = sendfile(out, in, &off, (size_t)(st.st_size - off));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            rc = ur_errf_sys(err, n < 0 ? -errno : -EIO, "cannot copy to %s", dst);
            break;
        }
    }
    if (close(out) < 0 && rc == 0)
        rc = ur_errf_sys(err, -errno, "cannot copy to %s", dst);
    if (rc < 0)
        unlink(dst);
    return rc;
}
