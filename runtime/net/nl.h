/* nl.h: a minimal rtnetlink client (no libmnl): one request buffer with
 * nested attributes, a request that waits for the kernel's ack (with its
 * extended-ack text), a dump walked through a callback, and an attribute
 * table parser. Private to runtime/net. */
#ifndef UNIROOT_NET_NL_H
#define UNIROOT_NET_NL_H

#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

struct ur_nl {
    int fd;             /* NETLINK_ROUTE socket, bound to the netns it was opened in */
    uint32_t seq;
    char ext[160];      /* the kernel's extended-ack message of the last failure, "" if none */
};

struct ur_nlmsg {
    union {
        struct nlmsghdr h;
        char buf[8192];
    } u;
};

/* Open a NETLINK_ROUTE socket in the calling thread's current netns. */
int ur_nl_open(struct ur_nl *nl, struct ur_err *err);
void ur_nl_close(struct ur_nl *nl);

/* Start a request of type/flags (NLM_F_REQUEST is added) with the family
 * header hdr (hlen bytes) after the netlink header. */
void ur_nlmsg_init(struct ur_nlmsg *m, uint16_t type, uint16_t flags, const void *hdr, size_t hlen);
/* Append attribute type with len bytes of data; -ENOSPC if it does not fit. */
int ur_nlmsg_put(struct ur_nlmsg *m, uint16_t type, const void *data, size_t len);
int ur_nlmsg_put_u32(struct ur_nlmsg *m, uint16_t type, uint32_t v);
int ur_nlmsg_put_str(struct ur_nlmsg *m, uint16_t type, const char *s);
/* Open a nested attribute (NULL if full); close it with ur_nlmsg_nest_end. */
struct rtattr *ur_nlmsg_nest(struct ur_nlmsg *m, uint16_t type);
void ur_nlmsg_nest_end(struct ur_nlmsg *m, struct rtattr *nest);

/* Send m with NLM_F_ACK and wait for the ack: 0, or the kernel's -errno
 * (its extended-ack text, if any, in nl->ext). No ur_err: callers know what
 * they asked for and say it. */
int ur_nl_call(struct ur_nl *nl, struct ur_nlmsg *m);

/* Send the dump request m (NLM_F_DUMP is added) and pass every reply
 * message to cb; a negative cb return stops the walk and is returned. */
int ur_nl_dump(struct ur_nl *nl, struct ur_nlmsg *m,
               int (*cb)(const struct nlmsghdr *h, void *arg), void *arg);

/* A GET of one object (with NLM_F_ACK): its reply goes to cb, then the ack. */
int ur_nl_get(struct ur_nl *nl, struct ur_nlmsg *m,
              int (*cb)(const struct nlmsghdr *h, void *arg), void *arg);

/* Fill tb[0..max] with the attributes in [rta, rta+len) (the last one of a
 * type wins; unknown types above max are ignored). */
void ur_nl_parse(const struct rtattr **tb, int max, const struct rtattr *rta, size_t len);
/* The same for the attributes nested inside nest. */
void ur_nl_parse_nested(const struct rtattr **tb, int max, const struct rtattr *nest);

static inline uint32_t ur_nl_u32(const struct rtattr *a)
{
    uint32_t v = 0;
    if (a && RTA_PAYLOAD(a) >= 4)
        __builtin_memcpy(&v, RTA_DATA(a), 4);
    return v;
}

#endif
