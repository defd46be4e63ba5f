/* priv.h: what the files of runtime/net share and nobody else uses. */
#ifndef UNIROOT_NET_PRIV_H
#define UNIROOT_NET_PRIV_H

#include "net.h"
#include "nl.h"

/* Open a rtnetlink socket inside the netns at path (the thread returns to
 * its own netns before this returns; the socket stays bound to path's). */
int net_nl_open_in(const char *path, struct ur_nl *nl, struct ur_err *err);

/* Every interface of nl's netns, with addresses, routes, gateway, whether it
 * has an ingress qdisc and why it is unusable; returns the count. */
int net_scan(struct ur_nl *nl, struct ur_net_iface *out, int max, struct ur_err *err);

/* One link, looked up by ifindex (or, if that is 0, by exact name). */
struct net_link {
    int ifindex;
    char name[IFNAMSIZ];
    char kind[16];          /* IFLA_INFO_KIND: "tun", "veth", "" if none */
    uint8_t mac[6];
};
int net_link_get(struct ur_nl *nl, int ifindex, const char *name, struct net_link *out);

/* Set the link up (and its MTU, if mtu is not 0). */
int net_link_up(struct ur_nl *nl, int ifindex, unsigned mtu);
int net_link_del(struct ur_nl *nl, int ifindex);

/* Add or delete one address / route exactly as recorded (add: NLM_F_EXCL). */
int net_addr_change(struct ur_nl *nl, int ifindex, const struct ur_net_addr *a, bool add);
int net_route_add(struct ur_nl *nl, int ifindex, const struct ur_net_route *r);

/* The ingress qdisc of ifindex; u32 match-all + mirred egress redirect to
 * to_ifindex, on ifindex's ingress. */
int net_qdisc_ingress(struct ur_nl *nl, int ifindex, bool add);
int net_filter_redirect(struct ur_nl *nl, int ifindex, int to_ifindex);
/* *foreign: ifindex's ingress has a filter that is not one of ours to
 * ours_ifindex (another guest's redirect, or anything else). No qdisc: false. */
int net_ingress_foreign(struct ur_nl *nl, int ifindex, int ours_ifindex, bool *foreign);

/* A random tap name "urtXXXXXXXX", chosen (and saved) before the tap is made. */
void net_tap_pick_name(char name[IFNAMSIZ]);
/* Make the new tap name in the netns at path (IFF_TUN_EXCL: -EBUSY rather
 * than attach to an existing device of that name); returns its fd
 * (O_CLOEXEC), its ifindex in *ifindex. */
int net_tap_create_in(const char *netns, const char *name, int *ifindex, struct ur_err *err);

/* "a.b.c.d" of a network-order address into buf (16 bytes). */
const char *net_ip4_str(uint32_t a, char buf[16]);

#endif
