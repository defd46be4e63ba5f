/* ops.c: the single rtnetlink changes the plumbing makes and undoes: link
 * up/delete, one address, one route, the ingress qdisc, and the u32
 * match-all filter with a mirred egress redirect (the classifier and action
 * every kernel has; matchall and flower are not everywhere). Each returns 0
 * or the kernel's -errno; the caller words the message. */
#include "priv.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/pkt_cls.h>
#include <linux/pkt_sched.h>
#include <linux/tc_act/tc_mirred.h>
#include <string.h>


#define UR_NET_FILTER_PRIO 1

int net_link_up(struct ur_nl *nl, int ifindex, unsigned mtu)
{
    struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC, .ifi_index = ifindex,
                             .ifi_flags = IFF_UP, .ifi_change = IFF_UP };
    struct ur_nlmsg m;

    ur_nlmsg_init(&m, RTM_NEWLINK, 0, &ifi, sizeof(ifi));
    if (mtu && ur_nlmsg_put_u32(&m, IFLA_MTU, mtu) < 0)
        return -ENOSPC;
    return ur_nl_call(nl, &m);
}

int net_link_del(struct ur_nl *nl, int ifindex)
{
    struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC, .ifi_index = ifindex };
    struct ur_nlmsg m;

    ur_nlmsg_init(&m, RTM_DELLINK, 0, &ifi, sizeof(ifi));
    return ur_nl_call(nl, &m);
}

int net_addr_change(struct ur_nl *nl, int ifindex, const struct ur_net_addr *a, bool add)
{
    struct ifaddrmsg ifa = { .ifa_family = AF_INET, .ifa_prefixlen = a->prefix,
                             .ifa_scope = a->scope, .ifa_index = (unsigned)ifindex };
    uint32_t flags = a->flags & IFA_F_NOPREFIXROUTE;  /* the rest the kernel derives */
    struct ur_nlmsg m;
    int rc = 0;

    ur_nlmsg_init(&m, add ? RTM_NEWADDR : RTM_DELADDR,
                  add ? NLM_F_CREATE | NLM_F_EXCL : 0, &ifa, sizeof(ifa));
    rc |= ur_nlmsg_put(&m, IFA_LOCAL, &a->local, 4);
    rc |= ur_nlmsg_put(&m, IFA_ADDRESS, &a->address, 4);
    if (add) {
        if (a->broadcast)
            rc |= ur_nlmsg_put(&m, IFA_BROADCAST, &a->broadcast, 4);
        if (a->label[0])
            rc |= ur_nlmsg_put_str(&m, IFA_LABEL, a->label);
        rc |= ur_nlmsg_put_u32(&m, IFA_FLAGS, flags);
    }
    return rc ? -ENOSPC : ur_nl_call(nl, &m);
}

int net_route_add(struct ur_nl *nl, int ifindex, const struct ur_net_route *r)
{
    struct rtmsg rt = { .rtm_family = AF_INET, .rtm_dst_len = r->dst_len,
                        .rtm_table = r->table < 256 ? (uint8_t)r->table : RT_TABLE_UNSPEC,
                        .rtm_protocol = r->protocol, .rtm_scope = r->scope, .rtm_type = r->type };
    struct ur_nlmsg m;
    int rc = 0;

    ur_nlmsg_init(&m, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, &rt, sizeof(rt));
    if (r->dst_len)
        rc |= ur_nlmsg_put(&m, RTA_DST, &r->dst, 4);
    if (r->gateway)
        rc |= ur_nlmsg_put(&m, RTA_GATEWAY, &r->gateway, 4);
    if (r->prefsrc)
        rc |= ur_nlmsg_put(&m, RTA_PREFSRC, &r->prefsrc, 4);
    if (r->priority)
        rc |= ur_nlmsg_put_u32(&m, RTA_PRIORITY, r->priority);
    rc |= ur_nlmsg_put_u32(&m, RTA_TABLE, r->table);
    rc |= ur_nlmsg_put_u32(&m, RTA_OIF, (uint32_t)ifindex);
    return rc ? -ENOSPC : ur_nl_call(nl, &m);
}

int net_qdisc_ingress(struct ur_nl *nl, int ifindex, bool add)
{
    struct tcmsg tc = { .tcm_family = AF_UNSPEC, .tcm_ifindex = ifindex,
                        .tcm_handle = TC_H_MAKE(TC_H_INGRESS, 0), .tcm_parent = TC_H_INGRESS };
    struct ur_nlmsg m;

    ur_nlmsg_init(&m, add ? RTM_NEWQDISC : RTM_DELQDISC, add ? NLM_F_CREATE | NLM_F_EXCL : 0,
                  &tc, sizeof(tc));
    if (ur_nlmsg_put_str(&m, TCA_KIND, "ingress") < 0)
        return -ENOSPC;
    return ur_nl_call(nl, &m);
}

int net_filter_redirect(struct ur_nl *nl, int ifindex, int to_ifindex)
{
    struct tcmsg tc = { .tcm_family = AF_UNSPEC, .tcm_ifindex = ifindex,
                        .tcm_parent = TC_H_MAKE(TC_H_INGRESS, 0),
                        .tcm_info = TC_H_MAKE((uint32_t)UR_NET_FILTER_PRIO << 16, htons(ETH_P_ALL)) };
    /* struct tc_u32_sel ends in a flexible array of keys: room for one. */
    union {
        struct tc_u32_sel sel;
        char room[sizeof(struct tc_u32_sel) + sizeof(struct tc_u32_key)];
    } sel;
    struct tc_mirred mirred = { .action = TC_ACT_STOLEN, .eaction = TCA_EGRESS_REDIR,
                                .ifindex = (uint32_t)to_ifindex };
    struct rtattr *opt, *acts, *act, *aopt;
    struct ur_nlmsg m;
    int rc = 0;

    /* One key matching 0 under mask 0 at offset 0: every packet. */
    memset(&sel, 0, sizeof(sel));
    sel.sel.flags = TC_U32_TERMINAL;
    sel.sel.nkeys = 1;
    ur_nlmsg_init(&m, RTM_NEWTFILTER, NLM_F_CREATE | NLM_F_EXCL, &tc, sizeof(tc));
    rc |= ur_nlmsg_put_str(&m, TCA_KIND, "u32");
    if (!(opt = ur_nlmsg_nest(&m, TCA_OPTIONS)))
        return -ENOSPC;
    rc |= ur_nlmsg_put(&m, TCA_U32_SEL, &sel, sizeof(sel.room));
    if (!(acts = ur_nlmsg_nest(&m, TCA_U32_ACT)) || !(act = ur_nlmsg_nest(&m, 1)))
        return -ENOSPC;
    rc |= ur_nlmsg_put_str(&m, TCA_ACT_KIND, "mirred");
    if (!(aopt = ur_nlmsg_nest(&m, TCA_ACT_OPTIONS)))
        return -ENOSPC;
    rc |= ur_nlmsg_put(&m, TCA_MIRRED_PARMS, &mirred, sizeof(mirred));
    ur_nlmsg_nest_end(&m, aopt);
    ur_nlmsg_nest_end(&m, act);
    ur_nlmsg_nest_end(&m, acts);
    ur_nlmsg_nest_end(&m, opt);
    return rc ? -ENOSPC : ur_nl_call(nl, &m);
}

struct owner {
    int ours;
    bool foreign;
};

/* One filter of the dump: does its mirred action redirect to a live device
 * other than ours? (A redirect to a deleted device dumps as ifindex 0.) */
static int on_filter(const struct nlmsghdr *h, void *arg)
{
    struct owner *o = arg;
    const struct tcmsg *tc = NLMSG_DATA(h);
    const struct rtattr *tb[TCA_MAX + 1], *u[TCA_U32_MAX + 1], *acts[TCA_ACT_MAX_PRIO + 1];

    if (h->nlmsg_type != RTM_NEWTFILTER || h->nlmsg_len < NLMSG_LENGTH(sizeof(*tc)))
        return 0;
    ur_nl_parse(tb, TCA_MAX, TCA_RTA(tc), TCA_PAYLOAD(h));
    if (!tb[TCA_OPTIONS])
        return 0;
    if (!tb[TCA_KIND] || strcmp(RTA_DATA(tb[TCA_KIND]), "u32") != 0) {
        o->foreign = true;  /* not a filter we make */
        return 0;
    }
    ur_nl_parse_nested(u, TCA_U32_MAX, tb[TCA_OPTIONS]);
    if (!u[TCA_U32_ACT])
        return 0;  /* a hash table or divisor node, no action */
    ur_nl_parse_nested(acts, TCA_ACT_MAX_PRIO, u[TCA_U32_ACT]);
    for (int i = 1; i <= TCA_ACT_MAX_PRIO; i++) {
        const struct rtattr *a[TCA_ACT_MAX + 1], *mo[TCA_MIRRED_MAX + 1];
        const struct tc_mirred *mp;

        if (!acts[i])
            continue;
        ur_nl_parse_nested(a, TCA_ACT_MAX, acts[i]);
        if (!a[TCA_ACT_KIND] || strcmp(RTA_DATA(a[TCA_ACT_KIND]), "mirred") != 0 ||
            !a[TCA_ACT_OPTIONS]) {
            o->foreign = true;
            continue;
        }
        ur_nl_parse_nested(mo, TCA_MIRRED_MAX, a[TCA_ACT_OPTIONS]);
        if (!mo[TCA_MIRRED_PARMS] || RTA_PAYLOAD(mo[TCA_MIRRED_PARMS]) < sizeof(*mp))
            continue;
        mp = RTA_DATA(mo[TCA_MIRRED_PARMS]);
        if (mp->ifindex != 0 && (int)mp->ifindex != o->ours)
            o->foreign = true;
    }
    return 0;
}

int net_ingress_foreign(struct ur_nl *nl, int ifindex, int ours, bool *foreign)
{
    struct tcmsg tc = { .tcm_family = AF_UNSPEC, .tcm_ifindex = ifindex,
                        .tcm_parent = TC_H_MAKE(TC_H_INGRESS, 0) };
    struct owner o = { .ours = ours };
    struct ur_nlmsg m;
    int rc;

    ur_nlmsg_init(&m, RTM_GETTFILTER, 0, &tc, sizeof(tc));
    rc = ur_nl_dump(nl, &m, on_filter, &o);
    *foreign = o.foreign;
    return rc;
}
