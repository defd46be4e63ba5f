/* tap_responder.c: build/bin/tap-responder, the plain-process twin of the
 * netecho guest: the same responder (tests/guests/lib/netecho.h) on a tap
 * descriptor, for tests and for the RTT baseline (test helper only).
 *
 *   tap-responder FD MAC A.B.C.D/P [SECONDS]
 *
 * Answers until killed, SECONDS or the UDP datagram "netecho-quit", then prints "tap-responder: arp=N
 * icmp=N udp=N ignored=N". Exit 0, 1 on an error, 2 on bad usage. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "netecho.h"

int main(int argc, char **argv)
{
    struct netecho_cfg cfg = { .prefix = 0 };
    struct netecho_stats st = { 0, 0, 0, 0, 0 };
    static uint8_t frame[65536];
    unsigned m[6];
    int fd, secs = 0;
    time_t end;

    if (argc < 4 || argc > 5 || (fd = atoi(argv[1])) < 0 ||
        sscanf(argv[2], "%2x:%2x:%2x:%2x:%2x:%2x", &m[0], &m[1], &m[2], &m[3], &m[4], &m[5]) != 6 ||
        netecho_parse_ip(argv[3], cfg.ip, &cfg.prefix) < 0 || (argc == 5 && (secs = atoi(argv[4])) <= 0)) {
        fprintf(stderr, "usage: %s FD MAC A.B.C.D/P [SECONDS]\n", argv[0]);
        return 2;
    }
    for (int i = 0; i < 6; i++)
        cfg.mac[i] = (uint8_t)m[i];
    end = secs ? time(NULL) + secs : 0;
    printf("tap-responder: ready on fd %d\n", fd);
    fflush(stdout);
    while (!st.quit && (!end || time(NULL) < end)) {
        struct pollfd p = { .fd = fd, .events = POLLIN };
        ssize_t n;
        size_t out;

        if (poll(&p, 1, 1000) <= 0)
            continue;
        n = read(fd, frame, sizeof(frame));
        if (n < 0 && errno != EAGAIN && errno != EINTR) {
            perror("tap-responder: read");
            return 1;
        }
        if (n > 0 && (out = netecho_reply(&cfg, frame, (size_t)n, &st)) &&
            write(fd, frame, out) != (ssize_t)out)
            st.ignored++;
    }
    printf("tap-responder: arp=%llu icmp=%llu udp=%llu ignored=%llu\n", (unsigned long long)st.arp,
           (unsigned long long)st.icmp, (unsigned long long)st.udp, (unsigned long long)st.ignored);
    return 0;
}
