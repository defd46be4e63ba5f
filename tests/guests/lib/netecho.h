/* netecho.h: the responder of the netecho test guest, header-only so the
 * freestanding guest (tests/guests/netecho.c, hvt and spt) and the host
 * process it is compared with (tests/helpers/tap_responder.c, on a tap fd)
 * run the very same code: ARP requests for our address get a reply, ICMP
 * echo requests to it an echo reply, UDP datagrams to it (any port) come
 * back with addresses and ports swapped; the datagram "netecho-quit" is
 * echoed and then ends the responder (so a test reads its counts). Only
 * stdint/stddef: no libc. */
#ifndef UNIROOT_GUEST_NETECHO_H
#define UNIROOT_GUEST_NETECHO_H

#include <stddef.h>
#include <stdint.h>

struct netecho_cfg {
    uint8_t mac[6];
    uint8_t ip[4];
    uint8_t prefix;
    uint8_t gw[4];   /* 0.0.0.0: none (replies go back to the sender's MAC anyway) */
};

struct netecho_stats {
    uint64_t arp, icmp, udp, ignored;
    int quit;        /* a UDP datagram "netecho-quit" was echoed: stop now */
};

#define NETECHO_QUIT "netecho-quit"


static inline int netecho_eq(const uint8_t *a, const uint8_t *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (a[i] != b[i])
            return 0;
    return 1;
}

static inline void netecho_cpy(uint8_t *d, const uint8_t *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        d[i] = s[i];
}

static inline void netecho_swap(uint8_t *a, uint8_t *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint8_t t = a[i];
        a[i] = b[i];
        b[i] = t;
    }
}

/* The Internet checksum of p[0..n). */
static inline uint16_t netecho_csum(const uint8_t *p, size_t n)
{
    uint32_t sum = 0;

    for (size_t i = 0; i + 1 < n; i += 2)
        sum += (uint32_t)p[i] << 8 | p[i + 1];
    if (n & 1)
        sum += (uint32_t)p[n - 1] << 8;
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

/* "A.B.C.D" or "A.B.C.D/P" (prefix 32 if absent when want_prefix is 0);
 * 0 on success, -1 if malformed. */
static inline int netecho_parse_ip(const char *s, uint8_t ip[4], uint8_t *prefix)
{
    unsigned v = 0;
    int part = 0, digits = 0;

    for (;; s++) {
        if (*s >= '0' && *s <= '9') {
            v = v * 10 + (unsigned)(*s - '0');
            if (++digits > 3 || v > 255)
                return -1;
            continue;
        }
        if (!digits)
            return -1;
        ip[part++] = (uint8_t)v;
        v = 0;
        digits = 0;
        if (part < 4) {
            if (*s != '.')
                return -1;
            continue;
        }
        break;
    }
    if (*s == '\0') {
        if (prefix)
            *prefix = 32;
        return 0;
    }
    if (*s != '/' || !prefix)
        return -1;
    for (s++; *s >= '0' && *s <= '9' && v <= 32; s++, digits++)
        v = v * 10 + (unsigned)(*s - '0');
    if (*s || !digits || v > 32)
        return -1;
    *prefix = (uint8_t)v;
    return 0;
}

/* Turn the frame f (len bytes, room for at least len) into its reply, in
 * place; returns the reply's length, or 0 when the frame gets none. */
static inline size_t netecho_reply(const struct netecho_cfg *c, uint8_t *f, size_t len,
                                   struct netecho_stats *st)
{
    size_t type;

    if (len < 14)
        goto ignore;
    type = (size_t)f[12] << 8 | f[13];
    if (type == 0x0806 && len >= 42) {
        uint8_t *a = f + 14;
        /* Ethernet/IPv4 request for our address */
        if (a[0] != 0 || a[1] != 1 || a[2] != 8 || a[3] != 0 || a[4] != 6 || a[5] != 4 ||
            a[6] != 0 || a[7] != 1 || !netecho_eq(a + 24, c->ip, 4))
            goto ignore;
        a[7] = 2;
        netecho_cpy(a + 18, a + 8, 10);  /* target = the asker's MAC and IP */
        netecho_cpy(a + 8, c->mac, 6);
        netecho_cpy(a + 14, c->ip, 4);
        netecho_cpy(f, f + 6, 6);
        netecho_cpy(f + 6, c->mac, 6);
        st->arp++;
        return 42;
    }
    if (type == 0x0800 && len >= 34) {
        uint8_t *ip = f + 14;
        size_t ihl = (size_t)(ip[0] & 15) * 4, tot = (size_t)ip[2] << 8 | ip[3];
        uint8_t *l4 = ip + ihl;
        uint16_t sum;

        if ((ip[0] >> 4) != 4 || ihl < 20 || tot < ihl + 8 || 14 + tot > len ||
            (ip[6] & 0x3f) || ip[7] || !netecho_eq(ip + 16, c->ip, 4) ||
            !netecho_eq(f, c->mac, 6))
            goto ignore;  /* not ours, or a fragment */
        if (ip[9] == 1 && l4[0] == 8 && l4[1] == 0) {
            l4[0] = 0;
            l4[2] = l4[3] = 0;
            sum = netecho_csum(l4, tot - ihl);
            l4[2] = (uint8_t)(sum >> 8);
            l4[3] = (uint8_t)sum;
            st->icmp++;
        } else if (ip[9] == 17) {
            netecho_swap(l4, l4 + 2, 2);  /* the UDP checksum does not change */
            st->udp++;
            if (tot - ihl == 8 + sizeof(NETECHO_QUIT) - 1 &&
                netecho_eq(l4 + 8, (const uint8_t *)NETECHO_QUIT, sizeof(NETECHO_QUIT) - 1))
                st->quit = 1;
        } else {
            goto ignore;
        }
        netecho_swap(ip + 12, ip + 16, 4);
        ip[8] = 64;
        ip[10] = ip[11] = 0;
        sum = netecho_csum(ip, ihl);
        ip[10] = (uint8_t)(sum >> 8);
        ip[11] = (uint8_t)sum;
        netecho_cpy(f, f + 6, 6);
        netecho_cpy(f + 6, c->mac, 6);
        return 14 + tot;
    }
ignore:
    st->ignored++;
    return 0;
}

#endif
