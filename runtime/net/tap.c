/* tap.c: new tap devices for guests. A tap is made in the calling thread's
 * netns (the one /dev/net/tun is opened in), IFF_TAP|IFF_NO_PI, never
 * persistent: it disappears with its last descriptor, so a crashed runtime
 * and monitor leave no tap behind. IFF_TUN_EXCL makes the ioctl fail rather
 * than attach to someone else's tap of the same name. */
#include "priv.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <unistd.h>


#ifndef IFF_TUN_EXCL
#define IFF_TUN_EXCL 0x8000
#endif

void net_tap_pick_name(char name[IFNAMSIZ])
{
    uint32_t r = 0;

    if (getrandom(&r, sizeof(r), 0) != (ssize_t)sizeof(r))
        r = (uint32_t)getpid() * 2654435761u ^ (uint32_t)(uintptr_t)name;
    snprintf(name, IFNAMSIZ, "urt%08x", r);
}

static int tap_open_named(const char *name, struct ur_err *err)
{
    struct ifreq ifr;
    int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);

    if (fd < 0)
        return ur_errf_sys(err, -errno, "cannot open /dev/net/tun");
    memset(&ifr, 0, sizeof(ifr));
    ifr.ifr_flags = (short)(IFF_TAP | IFF_NO_PI | IFF_TUN_EXCL);  /* 0x8000 is the sign bit */
    snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
    if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
        int e = -errno;
        close(fd);
        return ur_errf_sys(err, e, "cannot create tap %s", name);
    }
    if (strcmp(ifr.ifr_name, name) != 0) {  /* cannot happen: the kernel keeps a given name */
        close(fd);
        return ur_errf(err, -EPROTO, "tap %s came back named %s", name, ifr.ifr_name);
    }
    return fd;
}

int net_tap_create_in(const char *netns, const char *name, int *ifindex, struct ur_err *err)
{
    int saved, fd, rc;

    if ((rc = ur_netns_enter(netns, &saved, err)) < 0)
        return rc;
    fd = tap_open_named(name, err);
    if (fd >= 0 && (*ifindex = (int)if_nametoindex(name)) == 0) {
        ur_errf_sys(err, -errno, "tap %s has no ifindex", name);
        close(fd);
        fd = err->code;
    }
    rc = ur_netns_leave(saved, fd < 0 ? NULL : err);
    if (rc < 0 && fd >= 0) {
        close(fd);
        return rc;
    }
    return fd;
}
