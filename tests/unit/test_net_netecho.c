/* test_net_netecho.c: the responder shared by the netecho guest and
 * tap-responder (tests/guests/lib/netecho.h): ARP replies, ICMP echo replies
 * and UDP echoes are well-formed (checksums verified independently), and
 * frames not for us, fragments, truncated and short frames get no reply. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "netecho.h"

static const struct netecho_cfg cfg = {
    .mac = { 0x02, 0, 0, 0, 0, 0x0a }, .ip = { 10, 0, 0, 2 }, .prefix = 24, .gw = { 10, 0, 0, 1 },
};
static const uint8_t peer_mac[6] = { 0x02, 0, 0, 0, 0, 0x0b };
static const uint8_t peer_ip[4] = { 10, 0, 0, 1 };

static size_t eth(uint8_t *f, const uint8_t *dst, uint16_t type)
{
    memcpy(f, dst, 6);
    memcpy(f + 6, peer_mac, 6);
    f[12] = (uint8_t)(type >> 8);
    f[13] = (uint8_t)type;
    return 14;
}

static size_t arp_request(uint8_t *f, const uint8_t target[4])
{
    static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
    static const uint8_t hdr[8] = { 0, 1, 8, 0, 6, 4, 0, 1 };
    uint8_t *a = f + eth(f, bcast, 0x0806);
    memcpy(a, hdr, 8);
    memcpy(a + 8, peer_mac, 6);
    memcpy(a + 14, peer_ip, 4);
    memset(a + 18, 0, 6);
    memcpy(a + 24, target, 4);
    memset(a + 28, 0, 32);  /* padding to 60 bytes, as on the wire */
    return 60;
}

/* IPv4 packet of proto with payload pl (plen bytes) to our address. */
static size_t ip_packet(uint8_t *f, uint8_t proto, const uint8_t *pl, size_t plen)
{
    uint8_t *ip = f + eth(f, cfg.mac, 0x0800);
    size_t tot = 20 + plen;
    uint16_t s;
    memset(ip, 0, 20);
    ip[0] = 0x45;
    ip[2] = (uint8_t)(tot >> 8);
    ip[3] = (uint8_t)tot;
    ip[6] = 0x40;  /* DF */
    ip[8] = 17;
    ip[9] = proto;
    memcpy(ip + 12, peer_ip, 4);
    memcpy(ip + 16, cfg.ip, 4);
    s = netecho_csum(ip, 20);
    ip[10] = (uint8_t)(s >> 8);
    ip[11] = (uint8_t)s;
    memcpy(ip + 20, pl, plen);
    return 14 + tot;
}

static size_t icmp_echo(uint8_t *f)
{
    uint8_t p[64];
    uint16_t s;
    memset(p, 0, sizeof(p));
    p[0] = 8;
    p[4] = 0x12, p[5] = 0x34, p[7] = 1;
    for (int i = 8; i < 64; i++)
        p[i] = (uint8_t)i;
    s = netecho_csum(p, sizeof(p));
    p[2] = (uint8_t)(s >> 8);
    p[3] = (uint8_t)s;
    return ip_packet(f, 1, p, sizeof(p));
}

/* UDP datagram with a real checksum over the pseudo header. */
static size_t udp(uint8_t *f, const char *msg)
{
    uint8_t p[256], ph[12 + 256];
    size_t n = 8 + strlen(msg);
    uint16_t s;
    p[0] = 0x9c, p[1] = 0x40, p[2] = 0x1e, p[3] = 0x61;
    p[4] = (uint8_t)(n >> 8), p[5] = (uint8_t)n, p[6] = p[7] = 0;
    memcpy(p + 8, msg, strlen(msg));
    memcpy(ph, peer_ip, 4);
    memcpy(ph + 4, cfg.ip, 4);
    ph[8] = 0, ph[9] = 17, ph[10] = (uint8_t)(n >> 8), ph[11] = (uint8_t)n;
    memcpy(ph + 12, p, n);
    s = netecho_csum(ph, 12 + n);
    p[6] = (uint8_t)(s >> 8), p[7] = (uint8_t)s;
    return ip_packet(f, 17, p, n);
}

static void reply_is_ip(const uint8_t *f, size_t len)
{
    const uint8_t *ip = f + 14;
    assert_memory_equal(f, peer_mac, 6);
    assert_memory_equal(f + 6, cfg.mac, 6);
    assert_int_equal(len, 14 + ((size_t)ip[2] << 8 | ip[3]));
    assert_memory_equal(ip + 12, cfg.ip, 4);
    assert_memory_equal(ip + 16, peer_ip, 4);
    assert_int_equal(netecho_csum(ip, 20), 0);
}

static void test_arp(void **s)
{
    struct netecho_stats st = { 0 };
    uint8_t f[128], other[4] = { 10, 0, 0, 3 };
    (void)s;
    size_t n = netecho_reply(&cfg, f, arp_request(f, cfg.ip), &st);
    assert_int_equal(n, 42);
    assert_memory_equal(f, peer_mac, 6);
    assert_memory_equal(f + 6, cfg.mac, 6);
    assert_int_equal(f[14 + 7], 2);
    assert_memory_equal(f + 14 + 8, cfg.mac, 6);
    assert_memory_equal(f + 14 + 14, cfg.ip, 4);
    assert_memory_equal(f + 14 + 18, peer_mac, 6);
    assert_memory_equal(f + 14 + 24, peer_ip, 4);
    assert_int_equal(st.arp, 1);
    assert_int_equal(netecho_reply(&cfg, f, arp_request(f, other), &st), 0);
    arp_request(f, cfg.ip);
    f[14 + 7] = 2;  /* a reply, not a request */
    assert_int_equal(netecho_reply(&cfg, f, 60, &st), 0);
    assert_int_equal(netecho_reply(&cfg, f, arp_request(f, cfg.ip) - 20, &st), 0);  /* truncated */
    assert_int_equal(st.ignored, 3);
}

static void test_icmp(void **s)
{
    struct netecho_stats st = { 0 };
    uint8_t f[256], req[256];
    (void)s;
    size_t len = icmp_echo(f), n;
    memcpy(req, f, len);
    n = netecho_reply(&cfg, f, len, &st);
    assert_int_equal(n, len);
    reply_is_ip(f, n);
    assert_int_equal(f[34], 0);
    assert_int_equal(netecho_csum(f + 34, n - 34), 0);
    assert_memory_equal(f + 38, req + 38, n - 38);  /* id, sequence, data unchanged */
    assert_int_equal(st.icmp, 1);
    len = icmp_echo(f);
    f[34] = 0;  /* an echo reply is not answered */
    assert_int_equal(netecho_reply(&cfg, f, len, &st), 0);
}

static void test_udp(void **s)
{
    struct netecho_stats st = { 0 };
    uint8_t f[256], ph[512];
    (void)s;
    size_t len = udp(f, "hello"), n = netecho_reply(&cfg, f, len, &st);
    assert_int_equal(n, len);
    reply_is_ip(f, n);
    assert_int_equal(f[34] << 8 | f[35], 0x1e61);  /* ports swapped */
    assert_int_equal(f[36] << 8 | f[37], 0x9c40);
    assert_memory_equal(f + 42, "hello", 5);
    memcpy(ph, f + 26, 8);  /* the checksum still verifies over the new pseudo header */
    ph[8] = 0, ph[9] = 17, ph[10] = 0, ph[11] = 13;
    memcpy(ph + 12, f + 34, 13);
    assert_int_equal(netecho_csum(ph, 25), 0);
    assert_int_equal(st.udp, 1);
    assert_false(st.quit);
    netecho_reply(&cfg, f, udp(f, NETECHO_QUIT), &st);
    assert_true(st.quit);
}

static void test_ignored(void **s)
{
    struct netecho_stats st = { 0 };
    uint8_t f[256];
    size_t len;
    (void)s;
    len = udp(f, "x");
    f[0] = 0x04;  /* another MAC */
    assert_int_equal(netecho_reply(&cfg, f, len, &st), 0);
    len = udp(f, "x");
    f[14 + 19] = 9;  /* another IP */
    assert_int_equal(netecho_reply(&cfg, f, len, &st), 0);
    len = udp(f, "x");
    f[14 + 6] |= 0x20;  /* more fragments */
    assert_int_equal(netecho_reply(&cfg, f, len, &st), 0);
    len = udp(f, "x");
    assert_int_equal(netecho_reply(&cfg, f, len - 1, &st), 0);  /* total length beyond the frame */
    len = udp(f, "x");
    f[14] = 0x44;  /* IHL 16 bytes */
    assert_int_equal(netecho_reply(&cfg, f, len, &st), 0);
    len = ip_packet(f, 6, (const uint8_t *)"12345678901234567890", 20);  /* TCP */
    assert_int_equal(netecho_reply(&cfg, f, len, &st), 0);
    assert_int_equal(netecho_reply(&cfg, f, 13, &st), 0);
    assert_int_equal(st.ignored, 7);
    assert_int_equal(st.udp + st.icmp + st.arp, 0);
}

static void test_parse_ip(void **s)
{
    uint8_t ip[4], p = 0;
    (void)s;
    assert_int_equal(netecho_parse_ip("10.99.0.2/24", ip, &p), 0);
    assert_int_equal(ip[0], 10);
    assert_int_equal(ip[3], 2);
    assert_int_equal(p, 24);
    assert_int_equal(netecho_parse_ip("192.168.1.254", ip, &p), 0);
    assert_int_equal(p, 32);
    assert_int_equal(netecho_parse_ip("1.2.3.4", ip, NULL), 0);
    const char *bad[] = { "", "1.2.3", "1.2.3.4.5", "256.1.1.1", "1..2.3", "1.2.3.4/33", "1.2.3.4/",
                          "1.2.3.4x", "01234.1.1.1", "1.2.3.4/2a" };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (netecho_parse_ip(bad[i], ip, &p) == 0)
            fail_msg("'%s' parsed", bad[i]);
    assert_int_equal(netecho_parse_ip("1.2.3.4/8", ip, NULL), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_arp),     cmocka_unit_test(test_icmp),     cmocka_unit_test(test_udp),
        cmocka_unit_test(test_ignored), cmocka_unit_test(test_parse_ip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
