/* netecho.c: a network responder on device "service" (lib/netecho.h):
 * ARP for its address, ICMP echo, UDP echo. Its address comes from its
 * command line, as mirage guests take theirs:
 *
 *   netecho --ipv4=A.B.C.D/P [--ipv4-gateway=G] [--seconds=N] [--ring]
 *
 * With --ring (hvt) it sends and receives through the monitor's net ring
 * (HVT_FEATURE_RING_IO, lib/ring.h), several reads per kick (drain_ring),
 * and refuses to run without one; it still waits for frames with the poll
 * hypercall, as Solo5 guests do.
 * It runs until stopped, N seconds or the UDP datagram "netecho-quit",
 * then prints what it answered:
 * "netecho: arp=N icmp=N udp=N ignored=N". */
#include "guest.h"
#include "netecho.h"

GUEST_MANIFEST(MFT_NET("service"));

#define SEC 1000000000ull

#define FRAME_SIZE 2048u
#define RING_BATCH 8u /* reads posted at once through the ring, at most */

static uint8_t frames[RING_BATCH][FRAME_SIZE] __attribute__((aligned(8)));
static uint8_t *const frame = frames[0];

/* --ring: move frames through the net ring (hvt), not the hypercalls. */
static int use_ring;

#ifndef GUEST_SPT
#include "ring.h"

/* The net ring, with --ring (else the hypercalls move the frames). */
static struct hvt_ring *ring;

/* Take what the tap holds through the ring: k reads posted at once, with one
 * kick (k doubles, up to RING_BATCH, while every read gets a frame, and
 * falls to what the last batch got otherwise), each frame answered from its
 * own buffer. The replies are published without a kick: the poll that
 * follows sends them (and returns at once if more frames wait), and a later
 * batch reads into their buffers only after them (the monitor serves in
 * order). Per batch one kick and one poll, where the hypercalls take two
 * exits per frame and one more to find the tap empty. */
static int drain_ring(uint64_t handle, const struct netecho_cfg *cfg, struct netecho_stats *st)
{
    static unsigned k = 1;
    struct hvt_ring *r = ring;
    uint32_t tail = ring_tail(r), head = r->com_head, got = 0;

    ring_room(r, tail, 2 * k); /* k reads, at most k replies */
    for (unsigned i = 0; i < k; i++)
        ring_put(r, tail + i, HVT_RING_NET_READ, handle, frames[i], FRAME_SIZE);
    tail += k;
    ring_publish(r, tail);
    ring_kick(r, HVT_RING_KICK_SERVE);
    ring_wait(r, head, k);
    for (unsigned i = 0; i < k && !st->quit; i++) {
        uint32_t len;
        if (ring_commit(r, head + i, &len) != SOLO5_R_OK)
            continue;
        got++;
        if (len > FRAME_SIZE)
            return 1;
        size_t out = netecho_reply(cfg, frames[i], len, st);
        if (out)
            ring_put(r, tail++, HVT_RING_NET_WRITE, handle, frames[i], (uint32_t)out);
    }
    ((volatile struct hvt_ring *)r)->com_head = head + k;
    ring_publish(r, tail); /* no kick: the poll that follows sends them */
    k = got < k ? (got ? got : 1) : (k < RING_BATCH ? 2 * k : k);
    return 0;
}
#endif

static int starts(const char *s, const char *p)
{
    while (*p)
        if (*s++ != *p++)
            return 0;
    return 1;
}

int guest_main(int argc, char **argv)
{
    struct netecho_cfg cfg = { .prefix = 0 };
    struct netecho_stats st = { 0, 0, 0, 0, 0 };
    const struct mft_entry *e;
    uint64_t handle, seconds = 0, deadline = 0;
    int have_ip = 0;

    for (int i = 0; i < argc; i++) {
        if (starts(argv[i], "--ipv4=") && netecho_parse_ip(argv[i] + 7, cfg.ip, &cfg.prefix) == 0)
            have_ip = 1;
        else if (starts(argv[i], "--ipv4-gateway=") && netecho_parse_ip(argv[i] + 15, cfg.gw, NULL) == 0)
            ;
        else if (starts(argv[i], "--seconds=") && guest_parse_u64(argv[i] + 10, &seconds) == 0)
            ;
        else if (strcmp(argv[i], "--ring") == 0)
            use_ring = 1;
        else {
            guest_printf("netecho: bad argument '%s' (want --ipv4=A/P [--ipv4-gateway=G] [--seconds=N] [--ring])\n",
                         argv[i]);
            return 2;
        }
    }
    if (!have_ip) {
        guest_puts("netecho: no --ipv4=A.B.C.D/P given");
        return 2;
    }
    e = guest_mft_find("service", MFT_DEV_NET_BASIC, &handle);
    if (!e) {
        guest_puts("netecho: no network device \"service\" in the manifest");
        return 1;
    }
    if (e->u.net_basic.mtu + 14u > FRAME_SIZE) {
        guest_puts("netecho: MTU too large for this guest");
        return 1;
    }
    memcpy(cfg.mac, e->u.net_basic.mac, 6);
    if (use_ring) {
#ifdef GUEST_SPT
        guest_puts("netecho: --ring: spt has no net ring");
        return 1;
#else
        if (!(ring = guest_ring_init())) {
            guest_puts("netecho: --ring: the monitor offers no net ring");
            return 1;
        }
#endif
    }
    guest_printf("netecho: ready ip=%u.%u.%u.%u/%u gateway=%u.%u.%u.%u mac=%02x:%02x:%02x:%02x:%02x:%02x io=%s\n",
                 cfg.ip[0], cfg.ip[1], cfg.ip[2], cfg.ip[3], cfg.prefix, cfg.gw[0], cfg.gw[1],
                 cfg.gw[2], cfg.gw[3], cfg.mac[0], cfg.mac[1], cfg.mac[2], cfg.mac[3], cfg.mac[4],
                 cfg.mac[5], use_ring ? "ring" : "hypercalls");
    if (seconds)
        deadline = guest_walltime() + seconds * SEC;
    while (!st.quit && (!deadline || guest_walltime() < deadline)) {
        uint64_t ready = 0, len = 0;
        size_t out;

        guest_poll(SEC, &ready);
        if (!(ready & (1ull << handle)))
            continue;
        /* Drain what is queued before yielding again. */
#ifndef GUEST_SPT
        if (ring) {
            if (drain_ring(handle, &cfg, &st))
                return 1;
            continue;
        }
#endif
        while (!st.quit && guest_net_read(handle, frame, FRAME_SIZE, &len) == SOLO5_R_OK) {
            if (len > FRAME_SIZE)
                return 1;
            out = netecho_reply(&cfg, frame, (size_t)len, &st);
            if (out && guest_net_write(handle, frame, out) != SOLO5_R_OK)
                st.ignored++;
        }
    }
    guest_printf("netecho: arp=%llu icmp=%llu udp=%llu ignored=%llu\n", (unsigned long long)st.arp,
                 (unsigned long long)st.icmp, (unsigned long long)st.udp,
                 (unsigned long long)st.ignored);
    return 0;
}
