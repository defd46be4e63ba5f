/* inroot.h: opening a file that an image names, confined to the image's root.
 *
 * An image (its annotations, its urunc.json) names files as paths inside its
 * rootfs. Such a path is hostile input: "..", absolute symlinks, relative
 * symlinks that climb out, /proc magic links, device nodes, FIFOs. This is the
 * one function every such open goes through. The path is resolved as if rootfd
 * were "/" (openat2 RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS; where openat2 is
 * missing, a component-by-component walk with O_NOFOLLOW that reads each
 * symlink and resolves its text inside the root, at most UR_INROOT_MAX_LINKS
 * of them). The result is first opened O_PATH (no open side effects: no device
 * is opened, no FIFO waited on), checked with fstat to be a regular file
 * within the size bound, and only then reopened through /proc/self/fd for
 * reading (O_NONBLOCK | O_NOCTTY), the same inode. Callers use only the fd.
 */
#ifndef UNIROOT_COMMON_INROOT_H
#define UNIROOT_COMMON_INROOT_H

#include <stdint.h>
#include <sys/stat.h>

#include "err.h"

#define UR_INROOT_MAX_LINKS 40   /* symlinks followed in one resolution, as the kernel */
#define UR_INROOT_MAX_DEPTH 256  /* directory levels the fallback walk keeps open */

enum {
    UR_INROOT_RDWR = 1 << 0, /* open read-write (a block image); default read-only */
    UR_INROOT_WALK = 1 << 1, /* use the fallback walk even where openat2 exists (tests) */
};

/* Open the regular file path (absolute or relative, both taken from rootfd,
 * an O_PATH or O_RDONLY directory fd) inside rootfd. max_size > 0 refuses
 * larger files. Returns the fd (O_CLOEXEC) and fills *st (may be NULL), or a
 * negative errno with one line in err naming path and why ("not found in the
 * rootfs", "is a FIFO, not a regular file", ...); callers prefix what the path
 * was for. */
int ur_inroot_open(int rootfd, const char *path, unsigned flags, uint64_t max_size,
                   struct stat *st, struct ur_err *err);

#endif
