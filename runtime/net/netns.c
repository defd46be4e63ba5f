/* netns.c: switch the calling thread into a network namespace by path and
 * back (setns on descriptors; the previous namespace is held open). */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include "net.h"

int ur_netns_enter(const char *path, int *saved, struct ur_err *err)
{
    int fd, self;

    *saved = -1;
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return ur_errf_sys(err, -errno, "network namespace %s", path);
    self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    if (self < 0) {
        int e = -errno;
        close(fd);
        return ur_errf_sys(err, e, "cannot open this thread's network namespace");
    }
    if (setns(fd, CLONE_NEWNET) < 0) {
        int e = -errno;
        close(fd);
        close(self);
        return ur_errf_sys(err, e, "cannot enter network namespace %s%s", path,
                           e == -EINVAL ? " (not a network namespace)" : "");
    }
    close(fd);
    *saved = self;
    return 0;
}

int ur_netns_leave(int saved, struct ur_err *err)
{
    int rc = 0;

    if (saved < 0)
        return 0;
    if (setns(saved, CLONE_NEWNET) < 0)
        rc = ur_errf_sys(err, -errno, "cannot return to the original network namespace");
    close(saved);
    return rc;
}
