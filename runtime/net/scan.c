/* scan.c: what a namespace has: links, their IPv4 addresses, the routes
 * through them, their ingress qdiscs (four rtnetlink dumps), and which
 * interfaces a guest may take. */
#include "priv.h"

#include <errno.h>
#include <linux/if_arp.h>
#include <linux/if_link.h>
#include <linux/pkt_sched.h>
#include <stdio.h>
#include <string.h>


struct scan {
    struct ur_net_iface *ifc;
    int n, max;
    bool overflow;
};

static struct ur_net_iface *by_index(struct scan *s, int ifindex)
{
    for (int i = 0; i < s->n; i++)
        if (s->ifc[i].ifindex == ifindex)
            return &s->ifc[i];
    return NULL;
}

static int on_link(const struct nlmsghdr *h, void *arg)
{
    struct scan *s = arg;
    const struct ifinfomsg *ifi = NLMSG_DATA(h);
    const struct rtattr *tb[IFLA_MAX + 1];
    struct ur_net_iface *c;

    if (h->nlmsg_type != RTM_NEWLINK || h->nlmsg_len < NLMSG_LENGTH(sizeof(*ifi)))
        return 0;
    if (s->n >= s->max) {
        s->overflow = true;
        return 0;
    }
    ur_nl_parse(tb, IFLA_MAX, IFLA_RTA(ifi), IFLA_PAYLOAD(h));
    c = &s->ifc[s->n++];
    memset(c, 0, sizeof(*c));
    c->ifindex = ifi->ifi_index;
    c->flags = ifi->ifi_flags;
    if (tb[IFLA_IFNAME])
        snprintf(c->name, sizeof(c->name), "%.*s", (int)RTA_PAYLOAD(tb[IFLA_IFNAME]),
                 (const char *)RTA_DATA(tb[IFLA_IFNAME]));
    if (tb[IFLA_ADDRESS] && RTA_PAYLOAD(tb[IFLA_ADDRESS]) == 6 && ifi->ifi_type == ARPHRD_ETHER)
        memcpy(c->mac, RTA_DATA(tb[IFLA_ADDRESS]), 6);
    c->mtu = ur_nl_u32(tb[IFLA_MTU]);
    return 0;
}

static int on_addr(const struct nlmsghdr *h, void *arg)
{
    struct scan *s = arg;
    const struct ifaddrmsg *ifa = NLMSG_DATA(h);
    const struct rtattr *tb[IFA_MAX + 1];
    struct ur_net_iface *c;
    struct ur_net_addr *a;

    if (h->nlmsg_type != RTM_NEWADDR || h->nlmsg_len < NLMSG_LENGTH(sizeof(*ifa)) ||
        ifa->ifa_family != AF_INET || !(c = by_index(s, (int)ifa->ifa_index)))
        return 0;
    if (c->naddr >= UR_NET_MAX_ADDRS) {
        s->overflow = true;
        return 0;
    }
    ur_nl_parse(tb, IFA_MAX, IFA_RTA(ifa), IFA_PAYLOAD(h));
    a = &c->addr[c->naddr++];
    memset(a, 0, sizeof(*a));
    a->prefix = ifa->ifa_prefixlen;
    a->scope = ifa->ifa_scope;
    a->flags = tb[IFA_FLAGS] ? ur_nl_u32(tb[IFA_FLAGS]) : ifa->ifa_flags;
    a->local = ur_nl_u32(tb[IFA_LOCAL] ? tb[IFA_LOCAL] : tb[IFA_ADDRESS]);
    a->address = ur_nl_u32(tb[IFA_ADDRESS] ? tb[IFA_ADDRESS] : tb[IFA_LOCAL]);
    a->broadcast = ur_nl_u32(tb[IFA_BROADCAST]);
    if (tb[IFA_LABEL])
        snprintf(a->label, sizeof(a->label), "%.*s", (int)RTA_PAYLOAD(tb[IFA_LABEL]),
                 (const char *)RTA_DATA(tb[IFA_LABEL]));
    return 0;
}

static int on_route(const struct nlmsghdr *h, void *arg)
{
    struct scan *s = arg;
    const struct rtmsg *rt = NLMSG_DATA(h);
    const struct rtattr *tb[RTA_MAX + 1];
    struct ur_net_iface *c;
    struct ur_net_route *r;

    if (h->nlmsg_type != RTM_NEWROUTE || h->nlmsg_len < NLMSG_LENGTH(sizeof(*rt)) ||
        rt->rtm_family != AF_INET || rt->rtm_protocol == RTPROT_KERNEL ||
        rt->rtm_type != RTN_UNICAST)
        return 0;
    ur_nl_parse(tb, RTA_MAX, RTM_RTA(rt), RTM_PAYLOAD(h));
    if (!tb[RTA_OIF] || !(c = by_index(s, (int)ur_nl_u32(tb[RTA_OIF]))))
        return 0;  /* multipath routes (RTA_MULTIPATH) are not ours to keep */
    if (c->nroute >= UR_NET_MAX_ROUTES) {
        s->overflow = true;
        return 0;
    }
    r = &c->route[c->nroute++];
    memset(r, 0, sizeof(*r));
    r->dst = ur_nl_u32(tb[RTA_DST]);
    r->dst_len = rt->rtm_dst_len;
    r->gateway = ur_nl_u32(tb[RTA_GATEWAY]);
    r->prefsrc = ur_nl_u32(tb[RTA_PREFSRC]);
    r->table = tb[RTA_TABLE] ? ur_nl_u32(tb[RTA_TABLE]) : rt->rtm_table;
    r->priority = ur_nl_u32(tb[RTA_PRIORITY]);
    r->protocol = rt->rtm_protocol;
    r->scope = rt->rtm_scope;
    r->type = rt->rtm_type;
    if (r->dst_len == 0 && r->table == RT_TABLE_MAIN && r->gateway && !c->gateway)
        c->gateway = r->gateway;
    return 0;
}

static int on_qdisc(const struct nlmsghdr *h, void *arg)
{
    struct scan *s = arg;
    const struct tcmsg *tc = NLMSG_DATA(h);
    struct ur_net_iface *c;

    if (h->nlmsg_type == RTM_NEWQDISC && h->nlmsg_len >= NLMSG_LENGTH(sizeof(*tc)) &&
        tc->tcm_parent == TC_H_INGRESS && (c = by_index(s, tc->tcm_ifindex)))
        c->has_ingress = true;  /* ingress or clsact: either way not ours to add */
    return 0;
}

int net_scan(struct ur_nl *nl, struct ur_net_iface *out, int max, struct ur_err *err)
{
    struct scan s = { .ifc = out, .max = max };
    struct ur_nlmsg m;
    struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC };
    struct ifaddrmsg ifa = { .ifa_family = AF_INET };
    struct rtmsg rt = { .rtm_family = AF_INET };
    struct tcmsg tc = { .tcm_family = AF_UNSPEC };
    int rc;

    ur_nlmsg_init(&m, RTM_GETLINK, 0, &ifi, sizeof(ifi));
    if ((rc = ur_nl_dump(nl, &m, on_link, &s)) < 0)
        return ur_errf_sys(err, rc, "cannot list links");
    ur_nlmsg_init(&m, RTM_GETADDR, 0, &ifa, sizeof(ifa));
    if ((rc = ur_nl_dump(nl, &m, on_addr, &s)) < 0)
        return ur_errf_sys(err, rc, "cannot list addresses");
    ur_nlmsg_init(&m, RTM_GETROUTE, 0, &rt, sizeof(rt));
    if ((rc = ur_nl_dump(nl, &m, on_route, &s)) < 0)
        return ur_errf_sys(err, rc, "cannot list routes");
    ur_nlmsg_init(&m, RTM_GETQDISC, 0, &tc, sizeof(tc));
    if ((rc = ur_nl_dump(nl, &m, on_qdisc, &s)) < 0)
        return ur_errf_sys(err, rc, "cannot list qdiscs");
    if (s.overflow)
        return ur_errf(err, -E2BIG, "the namespace has more interfaces, addresses or routes "
                       "than uniroot handles (%d, %d, %d per interface)",
                       max, UR_NET_MAX_ADDRS, UR_NET_MAX_ROUTES);
    for (int i = 0; i < s.n; i++) {
        struct ur_net_iface *c = &out[i];
        if (c->flags & IFF_LOOPBACK)
            c->unusable = "loopback";
        else if (!(c->flags & IFF_UP))
            c->unusable = "down";
        else if (c->mac[0] == 0 && !memcmp(c->mac, c->mac + 1, 5))
            c->unusable = "no Ethernet address";
        else if (c->naddr == 0)
            c->unusable = "no IPv4 address (taken by another guest?)";
        else if (c->has_ingress)
            c->unusable = "already has an ingress qdisc";
    }
    return s.n;
}

int net_nl_open_in(const char *path, struct ur_nl *nl, struct ur_err *err)
{
    int saved, rc;

    if ((rc = ur_netns_enter(path, &saved, err)) < 0)
        return rc;
    rc = ur_nl_open(nl, err);
    if (ur_netns_leave(saved, rc < 0 ? NULL : err) < 0) {
        ur_nl_close(nl);
        return err ? err->code : -EIO;
    }
    return rc;
}

int ur_net_list(const char *netns, struct ur_net_iface *out, int max, struct ur_err *err)
{
    struct ur_nl nl;
    int rc;

    if ((rc = net_nl_open_in(netns, &nl, err)) < 0)
        return rc;
    rc = net_scan(&nl, out, max, err);
    ur_nl_close(&nl);
    if (rc < 0)
        return ur_err_wrap(err, "network namespace %s", netns);
    return rc;
}

static int on_one_link(const struct nlmsghdr *h, void *arg)
{
    struct net_link *l = arg;
    const struct ifinfomsg *ifi = NLMSG_DATA(h);
    const struct rtattr *tb[IFLA_MAX + 1], *li[IFLA_INFO_MAX + 1];

    if (h->nlmsg_type != RTM_NEWLINK || h->nlmsg_len < NLMSG_LENGTH(sizeof(*ifi)))
        return 0;
    ur_nl_parse(tb, IFLA_MAX, IFLA_RTA(ifi), IFLA_PAYLOAD(h));
    l->ifindex = ifi->ifi_index;
    if (tb[IFLA_IFNAME])
        snprintf(l->name, sizeof(l->name), "%.*s", (int)RTA_PAYLOAD(tb[IFLA_IFNAME]),
                 (const char *)RTA_DATA(tb[IFLA_IFNAME]));
    if (tb[IFLA_ADDRESS] && RTA_PAYLOAD(tb[IFLA_ADDRESS]) == 6)
        memcpy(l->mac, RTA_DATA(tb[IFLA_ADDRESS]), 6);
    if (tb[IFLA_LINKINFO]) {
        ur_nl_parse_nested(li, IFLA_INFO_MAX, tb[IFLA_LINKINFO]);
        if (li[IFLA_INFO_KIND])
            snprintf(l->kind, sizeof(l->kind), "%.*s", (int)RTA_PAYLOAD(li[IFLA_INFO_KIND]),
                     (const char *)RTA_DATA(li[IFLA_INFO_KIND]));
    }
    return 0;
}

int net_link_get(struct ur_nl *nl, int ifindex, const char *name, struct net_link *out)
{
    struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC, .ifi_index = ifindex };
    struct ur_nlmsg m;
    int rc;

    memset(out, 0, sizeof(*out));
    ur_nlmsg_init(&m, RTM_GETLINK, 0, &ifi, sizeof(ifi));
    if (!ifindex && ur_nlmsg_put_str(&m, IFLA_IFNAME, name) < 0)
        return -ENOSPC;
    rc = ur_nl_get(nl, &m, on_one_link, out);
    if (rc < 0)
        return rc;
    return out->ifindex ? 0 : -ENODEV;
}

const char *net_ip4_str(uint32_t a, char buf[16])
{
    const uint8_t *b = (const uint8_t *)&a;
    snprintf(buf, 16, "%u.%u.%u.%u", b[0], b[1], b[2], b[3]);
    return buf;
}
