/* nl.c: the rtnetlink client of nl.h. Requests are built in one fixed
 * buffer; replies are read into a 32 KiB buffer (a dump part never exceeds
 * the kernel's page-sized chunks). */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "nl.h"

#ifndef NETLINK_EXT_ACK
#define NETLINK_EXT_ACK 11
#endif
#ifndef NETLINK_GET_STRICT_CHK
#define NETLINK_GET_STRICT_CHK 12
#endif

int ur_nl_open(struct ur_nl *nl, struct ur_err *err)
{
    struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
    int one = 1;

    memset(nl, 0, sizeof(*nl));
    nl->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
    if (nl->fd < 0)
        return ur_errf_sys(err, -errno, "rtnetlink socket");
    /* Best effort: older kernels lack them and still work. */
    (void)setsockopt(nl->fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
    (void)setsockopt(nl->fd, SOL_NETLINK, NETLINK_GET_STRICT_CHK, &one, sizeof(one));
    if (bind(nl->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        int e = -errno;
        close(nl->fd);
        nl->fd = -1;
        return ur_errf_sys(err, e, "bind rtnetlink socket");
    }
    nl->seq = (uint32_t)getpid() << 8;
    return 0;
}

void ur_nl_close(struct ur_nl *nl)
{
    if (nl->fd >= 0)
        close(nl->fd);
    nl->fd = -1;
}

void ur_nlmsg_init(struct ur_nlmsg *m, uint16_t type, uint16_t flags, const void *hdr, size_t hlen)
{
    memset(&m->u.h, 0, NLMSG_SPACE(hlen));
    m->u.h.nlmsg_len = (uint32_t)NLMSG_LENGTH(hlen);
    m->u.h.nlmsg_type = type;
    m->u.h.nlmsg_flags = (uint16_t)(flags | NLM_F_REQUEST);
    if (hlen)
        memcpy(NLMSG_DATA(&m->u.h), hdr, hlen);
    m->u.h.nlmsg_len = NLMSG_ALIGN(m->u.h.nlmsg_len);
}

int ur_nlmsg_put(struct ur_nlmsg *m, uint16_t type, const void *data, size_t len)
{
    size_t off = NLMSG_ALIGN(m->u.h.nlmsg_len);
    struct rtattr *a;

    if (off + RTA_SPACE(len) > sizeof(m->u.buf))
        return -ENOSPC;
    a = (struct rtattr *)(void *)(m->u.buf + off);
    a->rta_type = type;
    a->rta_len = (unsigned short)RTA_LENGTH(len);
    if (len)
        memcpy(RTA_DATA(a), data, len);
    memset((char *)RTA_DATA(a) + len, 0, RTA_SPACE(len) - RTA_LENGTH(len));
    m->u.h.nlmsg_len = (uint32_t)(off + RTA_SPACE(len));
    return 0;
}

int ur_nlmsg_put_u32(struct ur_nlmsg *m, uint16_t type, uint32_t v)
{
    return ur_nlmsg_put(m, type, &v, sizeof(v));
}

int ur_nlmsg_put_str(struct ur_nlmsg *m, uint16_t type, const char *s)
{
    return ur_nlmsg_put(m, type, s, strlen(s) + 1);
}

struct rtattr *ur_nlmsg_nest(struct ur_nlmsg *m, uint16_t type)
{
    size_t off = NLMSG_ALIGN(m->u.h.nlmsg_len);

    if (ur_nlmsg_put(m, type, NULL, 0) < 0)
        return NULL;
    return (struct rtattr *)(void *)(m->u.buf + off);
}

void ur_nlmsg_nest_end(struct ur_nlmsg *m, struct rtattr *nest)
{
    if (nest)
        nest->rta_len = (unsigned short)(m->u.buf + m->u.h.nlmsg_len - (char *)nest);
}

/* Keep the extended-ack message (NLMSGERR_ATTR_MSG) of an error reply. */
static void take_ext_ack(struct ur_nl *nl, const struct nlmsghdr *h)
{
    const struct nlmsgerr *e = NLMSG_DATA(h);
    size_t off = sizeof(*e);

    nl->ext[0] = '\0';
    if (!(h->nlmsg_flags & NLM_F_ACK_TLVS))
        return;
    if (!(h->nlmsg_flags & NLM_F_CAPPED))
        off += e->msg.nlmsg_len - NLMSG_HDRLEN;
    if (NLMSG_HDRLEN + off > h->nlmsg_len)
        return;
    const struct rtattr *tb[NLMSGERR_ATTR_MAX + 1];
    ur_nl_parse(tb, NLMSGERR_ATTR_MAX, (const struct rtattr *)(const void *)((const char *)e + NLMSG_ALIGN(off)),
                h->nlmsg_len - NLMSG_HDRLEN - NLMSG_ALIGN(off));
    if (tb[NLMSGERR_ATTR_MSG] && RTA_PAYLOAD(tb[NLMSGERR_ATTR_MSG]) > 0) {
        size_t n = RTA_PAYLOAD(tb[NLMSGERR_ATTR_MSG]);
        if (n >= sizeof(nl->ext))
            n = sizeof(nl->ext) - 1;
        memcpy(nl->ext, RTA_DATA(tb[NLMSGERR_ATTR_MSG]), n);
        nl->ext[n] = '\0';
    }
}

/* Send m and read replies of its sequence number until the ack (or, for a
 * dump, NLMSG_DONE), passing data messages to cb. */
static int transact(struct ur_nl *nl, struct ur_nlmsg *m,
                    int (*cb)(const struct nlmsghdr *h, void *arg), void *arg)
{
    static char rbuf[32768] __attribute__((aligned(8)));
    struct sockaddr_nl to = { .nl_family = AF_NETLINK };
    uint32_t seq = ++nl->seq;
    int rc = 0;

    nl->ext[0] = '\0';
    m->u.h.nlmsg_seq = seq;
    if (sendto(nl->fd, m->u.buf, m->u.h.nlmsg_len, 0, (struct sockaddr *)&to, sizeof(to)) < 0)
        return -errno;
    for (;;) {
        ssize_t n = recv(nl->fd, rbuf, sizeof(rbuf), 0);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        for (const struct nlmsghdr *h = (const void *)rbuf; NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n)) {
            if (h->nlmsg_seq != seq)
                continue;
            if (h->nlmsg_type == NLMSG_ERROR) {
                const struct nlmsgerr *e = NLMSG_DATA(h);
                if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*e)))
                    return -EPROTO;
                if (e->error)
                    take_ext_ack(nl, h);
                return rc < 0 ? rc : e->error;
            }
            if (h->nlmsg_type == NLMSG_DONE)
                return rc;
            if (cb && rc == 0)
                rc = cb(h, arg);
        }
    }
}

int ur_nl_call(struct ur_nl *nl, struct ur_nlmsg *m)
{
    m->u.h.nlmsg_flags |= NLM_F_ACK;
    return transact(nl, m, NULL, NULL);
}

int ur_nl_get(struct ur_nl *nl, struct ur_nlmsg *m,
              int (*cb)(const struct nlmsghdr *h, void *arg), void *arg)
{
    m->u.h.nlmsg_flags |= NLM_F_ACK;
    return transact(nl, m, cb, arg);
}

int ur_nl_dump(struct ur_nl *nl, struct ur_nlmsg *m,
               int (*cb)(const struct nlmsghdr *h, void *arg), void *arg)
{
    m->u.h.nlmsg_flags |= NLM_F_DUMP;
    return transact(nl, m, cb, arg);
}

void ur_nl_parse(const struct rtattr **tb, int max, const struct rtattr *rta, size_t len)
{
    int l = len > 0x7fffffff ? 0x7fffffff : (int)len;

    memset(tb, 0, sizeof(*tb) * (size_t)(max + 1));
    for (; RTA_OK(rta, l); rta = RTA_NEXT(rta, l)) {
        unsigned short t = rta->rta_type & NLA_TYPE_MASK;
        if (t <= max)
            tb[t] = rta;
    }
}

void ur_nl_parse_nested(const struct rtattr **tb, int max, const struct rtattr *nest)
{
    ur_nl_parse(tb, max, RTA_DATA(nest), RTA_PAYLOAD(nest));
}
