/* inroot.c: open a file an image names, never outside the image's root (see
 * inroot.h): openat2 RESOLVE_IN_ROOT, or a walk where openat2 is missing;
 * O_PATH first, fstat, then a reopen of that same inode. */
#include "inroot.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

/* Why a resolution failed, in words a user can act on. */
static int resolve_error(int code, const char *path, struct ur_err *err)
{
    switch (code) {
    case -ENOENT:
        return ur_errf(err, code, "%s: not found in the rootfs", path);
    case -ELOOP:
        return ur_errf(err, code, "%s: too many symbolic links, or a /proc magic link", path);
    case -ENOTDIR:
        return ur_errf(err, code, "%s: a component is not a directory", path);
    case -ENAMETOOLONG:
        return ur_errf(err, code, "%s: path too long", path);
    case -EXDEV:
        return ur_errf(err, code, "%s: leaves the rootfs", path);
    default:
        return ur_errf_sys(err, code, "%s: cannot resolve in the rootfs", path);
    }
}

/* The fallback: resolve path from rootfd one component at a time, each opened
 * O_PATH|O_NOFOLLOW from the directory before it. A symlink's text replaces it
 * in what is left to walk (an absolute one restarts at the root); ".." pops a
 * stack of directory fds and never goes above the root. The kernel never
 * follows a link here, so /proc magic links are only text. Returns an O_PATH
 * fd of what path names (possibly not a regular file). */
static int walk(int rootfd, const char *path)
{
    static const size_t cap = PATH_MAX;
    char todo[PATH_MAX], next[PATH_MAX], target[PATH_MAX];
    int stack[UR_INROOT_MAX_DEPTH];
    int depth = 0, links = 0, rc;
    if (strlen(path) >= cap)
        return -ENAMETOOLONG;
    strcpy(todo, path);
    stack[0] = openat(rootfd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (stack[0] < 0)
        return -errno;
    size_t pos = 0;
    for (;;) {
        while (todo[pos] == '/')
            pos++;
        if (!todo[pos]) { /* ends at a directory: hand that back */
            rc = fcntl(stack[depth], F_DUPFD_CLOEXEC, 0);
            rc = rc < 0 ? -errno : rc;
            break;
        }
        size_t len = strcspn(todo + pos, "/");
        size_t after = pos + len;
        while (todo[after] == '/')
            after++;
        bool last = !todo[after];
        char comp[NAME_MAX + 1];
        if (len > NAME_MAX) {
            rc = -ENAMETOOLONG;
            break;
        }
        memcpy(comp, todo + pos, len);
        comp[len] = '\0';
        pos += len;
        if (strcmp(comp, ".") == 0)
            continue;
        if (strcmp(comp, "..") == 0) {
            if (depth > 0)
                close(stack[depth--]);
            continue;
        }
        int fd = openat(stack[depth], comp, O_PATH | O_NOFOLLOW | O_CLOEXEC);
        struct stat st;
        if (fd < 0 || fstat(fd, &st) < 0) {
            rc = -errno;
            if (fd >= 0)
                close(fd);
            break;
        }
        if (S_ISLNK(st.st_mode)) {
            ssize_t n = ++links > UR_INROOT_MAX_LINKS ? -2 : readlinkat(fd, "", target, cap);
            close(fd);
            if (n == -2 || n == 0) {
                rc = n == 0 ? -ENOENT : -ELOOP;
                break;
            }
            if (n < 0 || (size_t)n >= cap) {
                rc = n < 0 ? -errno : -ENAMETOOLONG;
                break;
            }
            target[n] = '\0';
            if ((size_t)snprintf(next, cap, "%s/%s", target, todo + pos) >= cap) {
                rc = -ENAMETOOLONG;
                break;
            }
            strcpy(todo, next);
            pos = 0;
            if (target[0] == '/')
                while (depth > 0)
                    close(stack[depth--]);
            continue;
        }
        if (last) {
            rc = fd;
            break;
        }
        if (!S_ISDIR(st.st_mode) || depth + 1 >= UR_INROOT_MAX_DEPTH) {
            close(fd);
            rc = S_ISDIR(st.st_mode) ? -ENAMETOOLONG : -ENOTDIR;
            break;
        }
        stack[++depth] = fd;
    }
    while (depth >= 0)
        close(stack[depth--]);
    return rc;
}

/* openat2 in the root; the walk where the kernel has no openat2. */
static int resolve(int rootfd, const char *path, unsigned flags)
{
    if (!(flags & UR_INROOT_WALK)) {
        struct open_how how = {
            .flags = O_PATH | O_CLOEXEC,
            .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
        };
        for (int tries = 0; tries < 16; tries++) {
            long fd = syscall(SYS_openat2, rootfd, path, &how, sizeof(how));
            if (fd >= 0)
                return (int)fd;
            if (errno != EAGAIN) /* EAGAIN: a rename raced a ".."; the kernel asks to retry */
                break;
        }
        if (errno != ENOSYS)
            return -errno;
    }
    return walk(rootfd, path);
}

static const char *type_name(mode_t m)
{
    switch (m & S_IFMT) {
    case S_IFDIR: return "a directory";
    case S_IFIFO: return "a FIFO";
    case S_IFSOCK: return "a socket";
    case S_IFCHR: return "a character device node";
    case S_IFBLK: return "a block device node";
    case S_IFLNK: return "a symbolic link";
    default: return "not a regular file";
    }
}

int ur_inroot_open(int rootfd, const char *path, unsigned flags, uint64_t max_size,
                   struct stat *stp, struct ur_err *err)
{
    if (!path[0])
        return ur_errf(err, -EINVAL, "empty path");
    int pfd = resolve(rootfd, path, flags);
    if (pfd < 0)
        return resolve_error(pfd, path, err);
    struct stat st, st2;
    if (fstat(pfd, &st) < 0) {
        int rc = -errno;
        close(pfd);
        return ur_errf_sys(err, rc, "%s: fstat", path);
    }
    if (!S_ISREG(st.st_mode)) {
        close(pfd);
        if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode))
            return ur_errf(err, -EPERM, "%s: is %s (%u:%u), not a regular file", path,
                           type_name(st.st_mode), major(st.st_rdev), minor(st.st_rdev));
        return ur_errf(err, -EPERM, "%s: is %s, not a regular file", path, type_name(st.st_mode));
    }
    if (max_size && (uint64_t)st.st_size > max_size) {
        close(pfd);
        return ur_errf(err, -EFBIG, "%s: is %llu bytes, more than the %llu allowed", path,
                       (unsigned long long)st.st_size, (unsigned long long)max_size);
    }
    char proc[64];
    snprintf(proc, sizeof(proc), "/proc/self/fd/%d", pfd);
    int fd = open(proc, ((flags & UR_INROOT_RDWR) ? O_RDWR : O_RDONLY) | O_NONBLOCK | O_NOCTTY |
                            O_CLOEXEC);
    int rc = fd < 0 ? -errno : 0;
    close(pfd);
    if (fd < 0)
        return ur_errf_sys(err, rc, "%s: cannot reopen through /proc/self/fd (is /proc mounted?)",
                           path);
    if (fstat(fd, &st2) < 0 || st2.st_dev != st.st_dev || st2.st_ino != st.st_ino) {
        close(fd);
        return ur_errf(err, -ESTALE, "%s: changed while it was opened", path);
    }
    if (stp)
        *stp = st2;
    return fd;
}
