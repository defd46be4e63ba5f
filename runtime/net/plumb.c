/* plumb.c: ur_net_attach and ur_net_undo, the ordered steps of net.h.
 *
 * Order of the attach, each step saved before it is made:
 *   1. take the interface's identity: its IPv4 addresses go (and with the
 *      last one the kernel drops the routes through it); from here no other
 *      attach sees the interface as usable, so what follows on it is ours;
 *   2. the tap (a name is saved first, then the ifindex once it exists);
 *   3. ingress qdisc on the tap, then on the interface;
 *   4. the two u32 + mirred filters (they go with their qdiscs).
 * Undo goes the other way and tolerates every "already gone". */
#include "priv.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>


static int save(const struct ur_net_attach_opts *o, const struct ur_net_state *st,
                struct ur_err *err)
{
    int rc;

    if (!o->save)
        return 0;
    rc = o->save(st, o->save_ctx, err);
    if (rc < 0)
        return err && err->code ? ur_err_wrap(err, "cannot save the network state") : rc;
    return 0;
}

/* The interface to take: o->iface if named, else the first usable one. */
static int choose(const struct ur_net_attach_opts *o, const struct ur_net_iface *all, int n,
                  const struct ur_net_iface **out, struct ur_err *err)
{
    char why[400];
    size_t len = 0;

    for (int i = 0; i < n; i++) {
        if (o->iface && strcmp(all[i].name, o->iface) != 0)
            continue;
        if (!all[i].unusable) {
            *out = &all[i];
            return 0;
        }
        if (o->iface)
            return ur_errf(err, -EBUSY, "interface %s of network namespace %s cannot be given "
                           "to a guest: %s", o->iface, o->netns, all[i].unusable);
    }
    if (o->iface)
        return ur_errf(err, -ENODEV, "network namespace %s has no interface %s", o->netns, o->iface);
    why[0] = '\0';
    for (int i = 0; i < n && len < sizeof(why); i++) {
        int k = snprintf(why + len, sizeof(why) - len, "%s%s (%s)", i ? ", " : "", all[i].name,
                         all[i].unusable);
        if (k < 0)
            break;
        len += (size_t)k;
    }
    return ur_errf(err, -ENODEV, "network namespace %s has no usable interface left%s%s",
                   o->netns, n ? ": " : " (it has no interfaces)", why);
}

/* Step 1: remove the addresses (st holds them, already saved). */
static int take_addrs(struct ur_nl *nl, const struct ur_net_state *st, struct ur_err *err)
{
    for (int i = 0; i < st->iface.naddr; i++) {
        const struct ur_net_addr *a = &st->iface.addr[i];
        char ip[16];
        int rc = net_addr_change(nl, st->iface.ifindex, a, false);

        /* A secondary address goes with its primary: then it is gone already. */
        if (rc < 0 && rc != -EADDRNOTAVAIL)
            return ur_errf_sys(err, rc, "cannot remove %s/%u from %s%s%s", net_ip4_str(a->local, ip),
                               a->prefix, st->iface.name, nl->ext[0] ? ": " : "", nl->ext);
    }
    return 0;
}

static int make_tap(const struct ur_net_attach_opts *o, struct ur_nl *nl, struct ur_net_state *st,
                    struct ur_err *err)
{
    int fd = -EBUSY, rc;

    for (int tries = 0; tries < 8 && fd == -EBUSY; tries++) {
        net_tap_pick_name(st->tap);
        if ((rc = save(o, st, err)) < 0)
            return rc;
        fd = net_tap_create_in(st->netns, st->tap, &st->tap_ifindex, err);
    }
    if (fd < 0)
        return fd;
    if ((rc = save(o, st, err)) < 0) {
        close(fd);
        return rc;
    }
    if ((rc = net_link_up(nl, st->tap_ifindex, st->iface.mtu)) < 0) {
        close(fd);
        return ur_errf_sys(err, rc, "cannot bring tap %s up with MTU %u%s%s", st->tap, st->iface.mtu,
                           nl->ext[0] ? ": " : "", nl->ext);
    }
    return fd;
}

/* Steps 3 and 4. */
static int connect_tap(const struct ur_net_attach_opts *o, struct ur_nl *nl,
                       struct ur_net_state *st, struct ur_err *err)
{
    int rc;

    st->qdisc_tap = true;
    if ((rc = save(o, st, err)) < 0)
        return rc;
    if ((rc = net_qdisc_ingress(nl, st->tap_ifindex, true)) < 0)
        return ur_errf_sys(err, rc, "cannot add an ingress qdisc to tap %s%s%s", st->tap,
                           nl->ext[0] ? ": " : "", nl->ext);
    st->qdisc_iface = true;
    if ((rc = save(o, st, err)) < 0)
        return rc;
    if ((rc = net_qdisc_ingress(nl, st->iface.ifindex, true)) < 0) {
        ur_errf_sys(err, rc, "cannot add an ingress qdisc to %s%s%s", st->iface.name,
                    nl->ext[0] ? ": " : "", nl->ext);
        if (rc == -EEXIST) {  /* someone else's, made since the scan: not ours to remove */
            struct ur_err e2 = { 0 };
            st->qdisc_iface = false;
            (void)save(o, st, &e2);
        }
        return rc;
    }
    if ((rc = net_filter_redirect(nl, st->tap_ifindex, st->iface.ifindex)) < 0 ||
        (rc = net_filter_redirect(nl, st->iface.ifindex, st->tap_ifindex)) < 0)
        return ur_errf_sys(err, rc, "cannot add the u32 + mirred redirect between %s and %s%s%s",
                           st->tap, st->iface.name, nl->ext[0] ? ": " : "", nl->ext);
    return save(o, st, err);
}

int ur_net_attach(const struct ur_net_attach_opts *o, struct ur_net_state *st, int *tap_fd,
                  struct ur_err *err)
{
    struct ur_net_iface *all;
    const struct ur_net_iface *pick = NULL;
    struct ur_nl nl;
    int n, rc, fd = -1;

    *tap_fd = -1;
    memset(st, 0, sizeof(*st));
    st->version = UR_NET_STATE_VERSION;
    if (!o->netns || snprintf(st->netns, sizeof(st->netns), "%s", o->netns) >= (int)sizeof(st->netns))
        return ur_errf(err, -ENAMETOOLONG, "network namespace path too long or missing");
    if (!(all = calloc(UR_NET_MAX_IFACES, sizeof(*all))))
        return ur_errf(err, -ENOMEM, "out of memory");
    if ((rc = net_nl_open_in(o->netns, &nl, err)) < 0) {
        free(all);
        return rc;
    }
    n = net_scan(&nl, all, UR_NET_MAX_IFACES, err);
    rc = n < 0 ? ur_err_wrap(err, "network namespace %s", o->netns) : choose(o, all, n, &pick, err);
    if (rc == 0) {
        st->iface = *pick;
        st->iface.unusable = NULL;
    }
    free(all);
    if (rc < 0)
        goto out;
    st->addrs_taken = true;
    if ((rc = save(o, st, err)) < 0 || (rc = take_addrs(&nl, st, err)) < 0)
        goto undo;
    if ((fd = rc = make_tap(o, &nl, st, err)) < 0)
        goto undo;
    if ((rc = connect_tap(o, &nl, st, err)) < 0)
        goto undo;
    *tap_fd = fd;
    goto out;
undo:
    if (fd >= 0)
        close(fd);
    {
        struct ur_err e2 = { 0 };
        if (ur_net_undo(st, &e2) < 0)
            ur_errf(err, err->code, "%s (and undoing it: %s)", err->msg, e2.msg);
    }
out:
    ur_nl_close(&nl);
    return rc;
}

/* The first error wins; later steps still run. */
static int keep(int *first, struct ur_err *err, int rc, const char *what, const char *dev,
                const char *ext)
{
    if (rc < 0 && *first == 0) {
        *first = rc;
        ur_errf_sys(err, rc, "undo: cannot %s %s%s%s", what, dev, ext[0] ? ": " : "", ext);
    }
    return rc;
}

static bool gone(int rc)
{
    return rc == -ENOENT || rc == -ENODEV || rc == -EINVAL;
}

int ur_net_undo(const struct ur_net_state *st, struct ur_err *err)
{
    struct net_link ifl, tapl;
    bool have_if = false, foreign = false;
    struct ur_nl nl;
    int first = 0, rc;
    char what[64];

    if (st->version != UR_NET_STATE_VERSION)
        return ur_errf(err, -EINVAL, "network state version %d, want %d", st->version,
                       UR_NET_STATE_VERSION);
    if (!st->netns[0])
        return 0;  /* nothing was ever made */
    rc = net_nl_open_in(st->netns, &nl, err);
    if (rc == -ENOENT) {  /* the namespace is gone, and everything in it */
        ur_err_clear(err);
        return 0;
    }
    if (rc < 0)
        return rc;
    /* Is the interface still the one we took, and not since taken by another tap? */
    if (st->iface.ifindex > 0 && net_link_get(&nl, st->iface.ifindex, NULL, &ifl) == 0 &&
        memcmp(ifl.mac, st->iface.mac, 6) == 0) {
        have_if = true;
        rc = net_ingress_foreign(&nl, st->iface.ifindex, st->tap_ifindex, &foreign);
        if (rc < 0 && !gone(rc))
            keep(&first, err, rc, "read the filters of", st->iface.name, nl.ext);
    }
    if (st->qdisc_iface && have_if && !foreign) {
        rc = net_qdisc_ingress(&nl, st->iface.ifindex, false);
        if (!gone(rc))
            keep(&first, err, rc, "remove the ingress qdisc of", st->iface.name, nl.ext);
    }
    if (st->tap[0] && net_link_get(&nl, st->tap_ifindex, st->tap, &tapl) == 0 &&
        strcmp(tapl.name, st->tap) == 0 && strcmp(tapl.kind, "tun") == 0 &&
        (st->tap_ifindex == 0 || tapl.ifindex == st->tap_ifindex)) {
        rc = net_link_del(&nl, tapl.ifindex);  /* its qdisc and filter go with it */
        if (!gone(rc))
            keep(&first, err, rc, "delete tap", st->tap, nl.ext);
    }
    if (st->addrs_taken && have_if && !foreign) {
        for (int i = 0; i < st->iface.naddr; i++) {
            char ip[16];
            rc = net_addr_change(&nl, st->iface.ifindex, &st->iface.addr[i], true);
            snprintf(what, sizeof(what), "restore %s/%u on", net_ip4_str(st->iface.addr[i].local, ip),
                     st->iface.addr[i].prefix);
            if (rc != -EEXIST)
                keep(&first, err, rc, what, st->iface.name, nl.ext);
        }
        for (int i = 0; i < st->iface.nroute; i++) {
            char ip[16];
            const struct ur_net_route *r = &st->iface.route[i];
            rc = net_route_add(&nl, st->iface.ifindex, r);
            snprintf(what, sizeof(what), "restore the route to %s/%u via", net_ip4_str(r->dst, ip),
                     r->dst_len);
            if (rc != -EEXIST)
                keep(&first, err, rc, what, st->iface.name, nl.ext);
        }
    }
    ur_nl_close(&nl);
    return first;
}

void ur_net_guest_ipv4(const struct ur_net_iface *ifc, char *cidr, size_t cidrlen, char *gw,
                       size_t gwlen)
{
    char ip[16];

    if (ifc->naddr > 0)
        snprintf(cidr, cidrlen, "%s/%u", net_ip4_str(ifc->addr[0].local, ip), ifc->addr[0].prefix);
    else if (cidrlen)
        cidr[0] = '\0';
    if (ifc->gateway)
        snprintf(gw, gwlen, "%s", net_ip4_str(ifc->gateway, ip));
    else if (gwlen)
        gw[0] = '\0';
}
