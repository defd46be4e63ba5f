/* imagefs.h: the files an image names (its binary, its block image, its
 * urunc.json), opened only inside its rootfs (common/inroot.h) and used only
 * through the fd: the monitor is handed /proc/self/fd/N of an inherited fd,
 * or a copy the runtime made from the fd, never the image's path. */
#ifndef UNIROOT_OCI_IMAGEFS_H
#define UNIROOT_OCI_IMAGEFS_H

#include "oci.h"

#define IMAGE_KERNEL_MAX (256ull << 20)     /* a unikernel binary: 256 MiB */

/* The rootfs directory as an O_PATH fd (root.path is the bundle's, trusted). */
int image_open_root(const char *rootfs, int *rootfd, struct ur_err *err);

/* urunc.json at the rootfs root, opened and bounded as common/ukbundle.h
 * says: 1 with *json (malloc'ed) when it is there, 0 when there is no entry
 * of that name, negative when one is there but refused (a symlink out, a
 * FIFO, too large, ...). */
int image_read_urunc_json(int rootfd, char **json, struct ur_err *err);

/* Copy urunc.json (if there is one) to dst, so it outlives the rootfs mount. */
int image_copy_urunc_json(int rootfd, const char *dst, struct ur_err *err);

/* The unikernel binary uk->binary: an fd of a regular file of at most
 * IMAGE_KERNEL_MAX bytes inside the rootfs. */
int image_open_kernel(int rootfd, const struct uk_desc *uk, struct ur_err *err);

/* The block image uk->block, read-write: a regular file inside the rootfs. */
int image_open_block(int rootfd, const struct uk_desc *uk, struct ur_err *err);

/* Copy the open file in (from offset 0) to a new file dst (mode 0600). */
int image_copy_fd(int in, const char *dst, struct ur_err *err);

#endif
