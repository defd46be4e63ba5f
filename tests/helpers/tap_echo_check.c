/* tap_echo_check.c: host side of the `net` guest test.
 *
 *   tap-echo-check IFNAME GUEST_MAC [TIMEOUT_SECONDS]
 *
 * Sends an Ethernet frame (ethertype 0x88b5, local experimental) addressed to
 * GUEST_MAC out of IFNAME through an AF_PACKET socket, every 200 ms until the
 * guest answers, and checks the answer is the same frame with source and
 * destination MAC swapped. Retrying is needed because frames sent before the
 * monitor attaches the tap are dropped. Exits 0 on a correct echo, 1 with one
 * line on stderr otherwise. Test helper only: not installed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "err.h"

#define ETHERTYPE_TEST 0x88b5
#define FRAME_LEN 96
#define RESEND_MS 200

static const uint8_t our_mac[6] = { 0x02, 0x75, 0x72, 0x00, 0x00, 0x02 };

static int parse_mac(const char *s, uint8_t mac[6])
{
    unsigned v[6];
    char end;

    if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &end) != 6)
        return -EINVAL;
    for (int i = 0; i < 6; i++)
        mac[i] = (uint8_t)v[i];
    return 0;
}

static int64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Frame number seq: guest MAC, our MAC, ethertype, a recognisable payload. */
static void make_frame(uint8_t *f, const uint8_t guest[6], unsigned seq)
{
    memcpy(f, guest, 6);
    memcpy(f + 6, our_mac, 6);
    f[12] = ETHERTYPE_TEST >> 8;
    f[13] = ETHERTYPE_TEST & 0xff;
    for (int i = 14; i < FRAME_LEN; i++)
        f[i] = (uint8_t)(i * 7 + 1);
    snprintf((char *)f + 14, 40, "uniroot echo test %u", seq);
}

/* Is got (len bytes) the echo of any frame we sent (numbers 0..sent-1)? */
static int is_echo(const uint8_t *got, ssize_t len, const uint8_t guest[6], unsigned sent)
{
    uint8_t want[FRAME_LEN];

    if (len != FRAME_LEN || memcmp(got, our_mac, 6) != 0 || memcmp(got + 6, guest, 6) != 0)
        return 0;
    for (unsigned seq = 0; seq < sent; seq++) {
        make_frame(want, guest, seq);
        if (memcmp(got + 12, want + 12, FRAME_LEN - 12) == 0)
            return 1;
    }
    return 0;
}

static int run(const char *ifname, const uint8_t guest[6], int timeout_s, struct ur_err *err)
{
    struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL) };
    uint8_t frame[FRAME_LEN], got[2048];
    int64_t start = now_ms(), next_send = start;
    unsigned sent = 0, send_errors = 0;
    int fd, rc = 0;

    sll.sll_ifindex = (int)if_nametoindex(ifname);
    if (sll.sll_ifindex == 0)
        return ur_errf_sys(err, -errno, "interface %s", ifname);
    fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL));
    if (fd < 0)
        return ur_errf_sys(err, -errno, "AF_PACKET socket");
    if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)) < 0) {
        rc = ur_errf_sys(err, -errno, "bind to %s", ifname);
        goto out;
    }
    for (;;) {
        int64_t now = now_ms();
        struct pollfd pfd = { .fd = fd, .events = POLLIN };

        if (now - start > (int64_t)timeout_s * 1000) {
            rc = ur_errf(err, -ETIMEDOUT, "no echo on %s within %d s (%u frames sent, %u send errors)",
                         ifname, timeout_s, sent, send_errors);
            goto out;
        }
        if (now >= next_send) {
            make_frame(frame, guest, sent);
            if (send(fd, frame, sizeof(frame), 0) == (ssize_t)sizeof(frame))
                sent++;
            else
                send_errors++;
            next_send = now + RESEND_MS;
        }
        if (poll(&pfd, 1, (int)(next_send - now > 0 ? next_send - now : 1)) > 0) {
            struct sockaddr_ll from;
            socklen_t fl = sizeof(from);
            ssize_t n = recvfrom(fd, got, sizeof(got), 0, (struct sockaddr *)&from, &fl);

            if (n < 0 && errno != EINTR && errno != EAGAIN) {
                rc = ur_errf_sys(err, -errno, "recv on %s", ifname);
                goto out;
            }
            if (n > 0 && from.sll_pkttype != PACKET_OUTGOING && is_echo(got, n, guest, sent)) {
                printf("tap-echo-check: got the echo of a %d-byte frame after %lld ms (%u sent)\n",
                       FRAME_LEN, (long long)(now_ms() - start), sent);
                goto out;
            }
        }
    }
out:
    close(fd);
    return rc;
}

int main(int argc, char **argv)
{
    struct ur_err err = { 0 };
    uint8_t guest[6];
    int timeout = 10;

    if (argc < 3 || argc > 4 || parse_mac(argv[2], guest) != 0 ||
        (argc == 4 && (timeout = atoi(argv[3])) <= 0)) {
        fprintf(stderr, "usage: %s IFNAME GUEST_MAC [TIMEOUT_SECONDS]\n", argv[0]);
        return 1;
    }
    if (run(argv[1], guest, timeout, &err) < 0) {
        fprintf(stderr, "tap-echo-check: %s\n", err.msg);
        return 1;
    }
    return 0;
}
