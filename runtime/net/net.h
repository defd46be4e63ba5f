/* net.h: network plumbing for unikernel guests, over rtnetlink.
 *
 * In a container's network namespace (a path such as /proc/PID/ns/net or
 * /run/netns/NAME) ur_net_attach picks a usable interface (up, not loopback,
 * with an IPv4 address, no ingress qdisc yet), takes its identity for the
 * guest (its IPv4 addresses are removed from the host stack and recorded),
 * makes a tap (IFF_TAP|IFF_NO_PI, not persistent, unique name, the fd kept
 * open for --net:NAME=@FD) and joins tap and interface without a bridge:
 * an ingress qdisc on each, and on each a u32 match-all filter whose mirred
 * action redirects every frame to the other's egress.
 *
 * Everything made is written into a struct ur_net_state BEFORE it is made
 * (through the caller's save callback), so a crash between any two steps
 * leaves a description from which ur_net_undo removes exactly what exists
 * of it (never anything found by a name pattern) and restores the
 * interface's addresses and routes. ur_net_undo is idempotent.
 *
 * Every function returns 0 (or a count) or a negative errno and fills
 * struct ur_err. Not thread-safe: it switches the calling thread's netns
 * for the duration of a call and restores it before returning.
 */
#ifndef UNIROOT_NET_NET_H
#define UNIROOT_NET_NET_H

#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>

#include "err.h"

#define UR_NET_MAX_ADDRS 8
#define UR_NET_MAX_ROUTES 16
#define UR_NET_MAX_IFACES 32
#define UR_NET_STATE_VERSION 1

/* One IPv4 address of an interface, as rtnetlink reports it (network byte
 * order), enough to add it back exactly. */
struct ur_net_addr {
    uint32_t local, address, broadcast;  /* broadcast 0: none */
    uint8_t prefix, scope;
    uint32_t flags;                      /* IFA_F_* */
    char label[IFNAMSIZ];
};

/* One IPv4 route through the interface that the kernel did not make by
 * itself (not proto kernel): removed with the addresses, added back after. */
struct ur_net_route {
    uint32_t dst, gateway, prefsrc, table, priority;  /* network order addresses */
    uint8_t dst_len, protocol, scope, type;
};

/* An interface of the namespace. */
struct ur_net_iface {
    char name[IFNAMSIZ];
    int ifindex;
    uint8_t mac[6];
    unsigned mtu;
    unsigned flags;                      /* IFF_* */
    int naddr;
    struct ur_net_addr addr[UR_NET_MAX_ADDRS];
    int nroute;
    struct ur_net_route route[UR_NET_MAX_ROUTES];
    uint32_t gateway;                    /* of its default route, 0 if none */
    bool has_ingress;                    /* an ingress qdisc is already there */
    const char *unusable;                /* NULL if usable, else why not (static text) */
};

/* What one attach made (or was about to make): the container's record. */
struct ur_net_state {
    int version;
    char netns[256];
    struct ur_net_iface iface;           /* the interface taken, as it was */
    bool addrs_taken;                    /* its addresses and routes were (to be) removed */
    char tap[IFNAMSIZ];                  /* "" until a tap name is chosen */
    int tap_ifindex;                     /* 0 until the tap exists */
    bool qdisc_tap, qdisc_iface;         /* ingress qdiscs (with our filter) (to be) added */
};

/* Called with the state before each step that changes the namespace and
 * once at the end; a negative return stops the attach, which then undoes
 * what it made and returns that value. */
typedef int (*ur_net_save_fn)(const struct ur_net_state *st, void *ctx, struct ur_err *err);

struct ur_net_attach_opts {
    const char *netns;                   /* path of the namespace */
    const char *iface;                   /* take this interface, or NULL: the first usable */
    ur_net_save_fn save;                 /* may be NULL */
    void *save_ctx;
};

/* Switch the calling thread to the netns at path; *saved gets a descriptor
 * of the one it was in, for ur_netns_leave (which closes it). */
int ur_netns_enter(const char *path, int *saved, struct ur_err *err);
int ur_netns_leave(int saved, struct ur_err *err);

/* All interfaces of the netns at path (loopback included, each with the
 * reason it is unusable, if it is) into out[0..max); returns how many, or
 * a negative errno. */
int ur_net_list(const char *netns, struct ur_net_iface *out, int max, struct ur_err *err);

/* Do the plumbing described above; *tap_fd gets the tap's descriptor
 * (O_CLOEXEC; the caller clears it to pass the fd down). -ENODEV with a
 * message naming every interface and why it is unusable when none is left.
 * On failure everything made is undone and *st tells what was. */
int ur_net_attach(const struct ur_net_attach_opts *o, struct ur_net_state *st, int *tap_fd,
                  struct ur_err *err);

/* Undo what st describes, in the netns it names: the qdiscs (and so their
 * filters), the tap (only if the device of that ifindex still has that name
 * and is a tun/tap), then the addresses and routes (only on the interface of
 * that ifindex, if it still has that MAC). What is already gone is fine. A
 * netns that no longer exists means nothing is left: 0. */
int ur_net_undo(const struct ur_net_state *st, struct ur_err *err);

/* State as JSON text (malloc'ed) and back; from_json checks every field. */
int ur_net_state_to_json(const struct ur_net_state *st, char **out, struct ur_err *err);
int ur_net_state_from_json(const char *json, struct ur_net_state *st, struct ur_err *err);

/* "A.B.C.D/P" of the interface's first address and "A.B.C.D" of its gateway
 * ("" if none), for the guest's command line. */
void ur_net_guest_ipv4(const struct ur_net_iface *ifc, char *cidr, size_t cidrlen, char *gw,
                       size_t gwlen);

#endif
