/* net.c: the network module. --net:NAME=TAP attaches an existing tap
 * interface (or, as --net:NAME=@FD, a tap descriptor passed down by the
 * caller) to the manifest entry NAME; the guest sends and receives whole
 * Ethernet frames (hvt: two hypercalls; spt: read/write on the tap, within
 * the seccomp rules here), and its wait wakes when a frame is waiting.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "tender.h"


/* A unicast MAC address written as six hex pairs: 02:00:00:00:00:01. */
int net_parse_mac(const char *s, uint8_t mac[6])
{
    unsigned v[6];
    char tail;
    if (strlen(s) != 17 ||
        sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &tail) != 6)
        return -EINVAL;
    for (int i = 0; i < 6; i++)
        mac[i] = (uint8_t)v[i];
    if (mac[0] & 1) /* multicast */
        return -EINVAL;
    return 0;
}


static const char *check_mac(const char *v)
{
    uint8_t mac[6];
    return net_parse_mac(v, mac) < 0 ? "MAC must look like 02:00:00:00:00:01 (unicast)" : NULL;
}

static const struct tender_option opts[] = {
    {"--net:", "TAP|@FD", "attach tap interface TAP (or open tap descriptor FD)\nas network device NAME",
     NULL},
    {"--net-mac:", "MAC", "MAC address of NAME (default: random, locally administered)", check_mac},
};
#define OPT_NET (&opts[0])
#define OPT_MAC (&opts[1])

/* MTU of interface ifr->ifr_name, into *mtu. */
static int read_mtu(struct ifreq *ifr, int *mtu, struct ur_err *err)
{
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s < 0 || ioctl(s, SIOCGIFMTU, ifr) < 0) {
        int e = errno;
        if (s >= 0)
            close(s);
        return ur_errf_sys(err, -e, "cannot read the MTU of '%s'", ifr->ifr_name);
    }
    close(s);
    *mtu = ifr->ifr_mtu;
    return 0;
}

/* "@N": a tap descriptor the caller opened and passed down (as solo5-hvt
 * accepts); it must be a tap without packet information headers. */
static int tap_from_fd(const char *spec, int *mtu, struct ur_err *err)
{
    char *end;
    errno = 0;
    long fd = strtol(spec + 1, &end, 10);
    if (errno || *end || end == spec + 1 || fd < 0 || fd > INT32_MAX)
        return ur_errf(err, -EINVAL, "'%s' is not a descriptor number", spec);
    struct ifreq ifr;
    memset(&ifr, 0, sizeof(ifr));
    if (fcntl((int)fd, F_GETFD) < 0)
        return ur_errf_sys(err, -errno, "descriptor %ld", fd);
    if (ioctl((int)fd, TUNGETIFF, &ifr) < 0 || (ifr.ifr_flags & (IFF_TAP | IFF_TUN)) != IFF_TAP ||
        !(ifr.ifr_flags & IFF_NO_PI))
        return ur_errf(err, -EINVAL, "descriptor %ld is not a tap opened with IFF_NO_PI", fd);
    int rc = read_mtu(&ifr, mtu, err);
    if (rc < 0)
        return rc;
    int fl = fcntl((int)fd, F_GETFL);
    if (fl < 0 || fcntl((int)fd, F_SETFL, fl | O_NONBLOCK) < 0 || fcntl((int)fd, F_SETFD, FD_CLOEXEC) < 0)
        return ur_errf_sys(err, -errno, "descriptor %ld", fd);
    return (int)fd;
}

/* Open the existing tap interface ifname (or take "@FD"); returns the fd and its MTU. */
static int tap_open(const char *ifname, int *mtu, struct ur_err *err)
{
    if (ifname[0] == '@')
        return tap_from_fd(ifname, mtu, err);
    if (strlen(ifname) >= IFNAMSIZ)
        return ur_errf(err, -EINVAL, "interface name '%s' is too long", ifname);
    if (if_nametoindex(ifname) == 0)
        return ur_errf(err, -ENODEV, "no network interface '%s' (create it with "
                       "'ip tuntap add %s mode tap')", ifname, ifname);
    int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return ur_errf_sys(err, -errno, "cannot open /dev/net/tun");
    struct ifreq ifr;
    memset(&ifr, 0, sizeof(ifr));
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
    snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
    if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
        int e = errno;
        close(fd);
        return ur_errf_sys(err, -e, "cannot attach to tap '%s'%s", ifname,
                           e == EINVAL ? " (is it a tap, not a tun?)" : e == EBUSY ? " (in use)" : "");
    }
    int rc = read_mtu(&ifr, mtu, err);
    if (rc < 0) {
        close(fd);
        return rc;
    }
    return fd;
}

static int attach_one(struct tender_ctx *ctx, const struct tender_opts *o,
                      const struct tender_dev_opt *d, struct ur_err *err)
{
    unsigned idx = 0;
    struct mft_entry *e = mft_find(ctx->mft, d->name, MFT_DEV_NET_BASIC);
    if (!e)
        return ur_errf(err, -ENODEV, "--net:%s: the unikernel declares no network device '%s'",
                       d->name, d->name);
    idx = (unsigned)(e - ctx->mft->e);
    uint8_t mac[6];
    const char *given = tender_opt_value(o, OPT_MAC, d->name);
    bool have_mac = given && net_parse_mac(given, mac) == 0;
    if (!have_mac) {
        if (getrandom(mac, sizeof(mac), 0) != sizeof(mac))
            return ur_errf_sys(err, -errno, "getrandom");
        mac[0] = (uint8_t)((mac[0] & 0xfc) | 0x02); /* unicast, locally administered */
    }
    int mtu = 0;
    int fd = tap_open(d->value, &mtu, err);
    if (fd < 0)
        return ur_err_wrap(err, "--net:%s", d->name);
    int rc = tender_add_pollfd(ctx, fd, idx, err);
    if (rc < 0) {
        close(fd);
        return rc;
    }
    memcpy(e->u.net_basic.mac, mac, 6);
    e->u.net_basic.mtu = (uint16_t)mtu;
    e->b.hostfd = fd;
    e->attached = 1;
    return 0;
}

/* Send one whole frame [p, p+len) on device e's tap; a Solo5 result. */
int net_frame_write(const struct mft_entry *e, const void *p, uint64_t len)
{
    ssize_t n;
    do
        n = write(e->b.hostfd, p, len);
    while (n < 0 && errno == EINTR);
    return (n == (ssize_t)len) ? SOLO5_R_OK : (n < 0 && errno == EAGAIN) ? SOLO5_R_AGAIN
                                                                         : SOLO5_R_EUNSPEC;
}

/* Receive one frame into [p, p+len) from device e's tap, its size into
 * *got; SOLO5_R_AGAIN (and *got untouched) when none is waiting. */
int net_frame_read(const struct mft_entry *e, void *p, uint64_t len, uint64_t *got)
{
    ssize_t n;
    do
        n = read(e->b.hostfd, p, len);
    while (n < 0 && errno == EINTR);
    if (n > 0) {
        *got = (uint64_t)n;
        return SOLO5_R_OK;
    }
    return (n == 0 || errno == EAGAIN) ? SOLO5_R_AGAIN : SOLO5_R_EUNSPEC;
}

static int hc_net_write(struct tender_ctx *ctx, uint64_t gpa, struct ur_err *err)
{
    struct hvt_hc_net_write *a = tender_gpa_w(ctx, gpa, sizeof(*a));
    if (!a)
        return tender_violation(err, "net write", "argument", gpa, sizeof(*a));
    uint64_t data = a->data, len = a->len;
    struct mft_entry *e = mft_at(ctx->mft, a->handle, MFT_DEV_NET_BASIC);
    if (!e || len == 0 || len > (uint64_t)e->u.net_basic.mtu + NET_ETHER_HDR) {
        a->ret = SOLO5_R_EINVAL;
        return 0;
    }
    const void *p = tender_gpa(ctx, data, len);
    if (!p)
        return tender_violation(err, "net write", "data", data, len);
    a->ret = net_frame_write(e, p, len);
    return 0;
}

static int hc_net_read(struct tender_ctx *ctx, uint64_t gpa, struct ur_err *err)
{
    struct hvt_hc_net_read *a = tender_gpa_w(ctx, gpa, sizeof(*a));
    if (!a)
        return tender_violation(err, "net read", "argument", gpa, sizeof(*a));
    uint64_t data = a->data, len = a->len;
    struct mft_entry *e = mft_at(ctx->mft, a->handle, MFT_DEV_NET_BASIC);
    if (!e || len == 0) {
        a->ret = SOLO5_R_EINVAL;
        return 0;
    }
    void *p = tender_gpa_w(ctx, data, len);
    if (!p)
        return tender_violation(err, "net read", "data", data, len);
    a->ret = net_frame_read(e, p, len, &a->len);
    return 0;
}

static int net_attach(struct tender_ctx *ctx, const struct tender_opts *o, struct ur_err *err)
{
    for (unsigned i = 0; i < o->ndev; i++) {
        const struct tender_dev_opt *d = &o->dev[i];
        if (d->opt == OPT_MAC && !tender_opt_value(o, OPT_NET, d->name))
            return ur_errf(err, -EINVAL, "--net-mac:%s given without --net:%s", d->name, d->name);
        if (d->opt == OPT_NET) {
            int rc = attach_one(ctx, o, d, err);
            if (rc < 0)
                return rc;
        }
    }
    return 0;
}

static void net_cleanup(struct tender_ctx *ctx)
{
    tender_detach_all(ctx, MFT_DEV_NET_BASIC);
    ctx->npollfds = 0;
}

/* hvt: the monitor reads and writes the tap (and polls it: a core call). */
static unsigned net_hvt_rules(const struct tender_ctx *ctx, const struct mft_entry *e,
                              struct tender_rule *out, unsigned n)
{
    (void)ctx;
    TENDER_RULE(out, n, SYS_read, tender_eq32(0, (uint32_t)e->b.hostfd));
    TENDER_RULE(out, n, SYS_write, tender_eq32(0, (uint32_t)e->b.hostfd));
    return n;
}

/* spt: the guest reads and writes frames on the tap, buffers in guest memory. */
static unsigned net_spt_rules(const struct tender_ctx *ctx, const struct mft_entry *e,
                              struct tender_rule *out, unsigned n)
{
    const uint64_t lo = SPT_HOST_MEM_BASE, hi = ctx->mem_size - 1, max = ctx->mem_size;
    const uint64_t fd = (uint64_t)e->b.hostfd;
    TENDER_RULE(out, n, SYS_read, tender_eq(0, fd), tender_ge(1, lo), tender_le(1, hi),
                tender_le(2, max));
    TENDER_RULE(out, n, SYS_write, tender_eq(0, fd), tender_ge(1, lo), tender_le(1, hi),
                tender_le(2, max));
    return n;
}

static const struct tender_hypercall calls[] = {
    {HVT_HYPERCALL_NET_WRITE, hc_net_write},
    {HVT_HYPERCALL_NET_READ, hc_net_read},
};

const struct tender_module tender_net_module = {
    .name = "net",
    .mft_type = MFT_DEV_NET_BASIC,
    .opts = opts,
    .nopts = sizeof(opts) / sizeof(opts[0]),
    .attach = net_attach,
    .cleanup = net_cleanup,
    .hvt_calls = calls,
    .nhvt_calls = sizeof(calls) / sizeof(calls[0]),
    .hvt_rules = net_hvt_rules,
    .spt_rules = net_spt_rules,
};
