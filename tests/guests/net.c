/* net.c: waits up to 5 s for an Ethernet frame addressed to its MAC on
 * device "net0", sends it back with source and destination swapped and
 * prints "net: echoed N bytes". Frames for other addresses (multicast noise)
 * are skipped, as a NIC would. */
#include "guest.h"

GUEST_MANIFEST(MFT_NET("net0"));

#define SEC 1000000000ull

static uint8_t frame[2048] __attribute__((aligned(8)));

int guest_main(int argc, char **argv)
{
    const struct mft_entry *e;
    uint64_t handle, deadline, now, len = 0;
    const uint8_t *mac;

    (void)argc;
    (void)argv;
    e = guest_mft_find("net0", MFT_DEV_NET_BASIC, &handle);
    if (!e) {
        guest_puts("net: no network device \"net0\" in the manifest");
        return 1;
    }
    mac = e->u.net_basic.mac;
    guest_printf("net: handle=%llu mac=%02x:%02x:%02x:%02x:%02x:%02x mtu=%u\n",
                 (unsigned long long)handle, mac[0], mac[1], mac[2], mac[3], mac[4], mac[5],
                 e->u.net_basic.mtu);
    if (e->u.net_basic.mtu + 14u > sizeof(frame)) {
        guest_puts("net: MTU too large for this guest");
        return 1;
    }
    deadline = guest_walltime() + 5 * SEC;
    while ((now = guest_walltime()) < deadline) {
        uint64_t ready = 0;
        int ret;

        guest_poll(deadline - now, &ready);
        if (!(ready & (1ull << handle)))
            continue;
        ret = guest_net_read(handle, frame, sizeof(frame), &len);
        if (ret == SOLO5_R_AGAIN)
            continue;
        if (ret != SOLO5_R_OK) {
            guest_printf("net: read failed: ret=%d\n", ret);
            return 1;
        }
        if (len < 14 || len > sizeof(frame)) {
            guest_printf("net: read returned a bad length %llu\n", (unsigned long long)len);
            return 1;
        }
        if (memcmp(frame, mac, 6) != 0) {
            guest_printf("net: skipped a %llu-byte frame for %02x:%02x:%02x:%02x:%02x:%02x\n",
                         (unsigned long long)len, frame[0], frame[1], frame[2], frame[3],
                         frame[4], frame[5]);
            continue;
        }
        memcpy(frame, frame + 6, 6);
        memcpy(frame + 6, mac, 6);
        ret = guest_net_write(handle, frame, len);
        if (ret != SOLO5_R_OK) {
            guest_printf("net: write failed: ret=%d\n", ret);
            return 1;
        }
        guest_printf("net: echoed %llu bytes\n", (unsigned long long)len);
        return 0;
    }
    guest_puts("net: no frame within 5 s");
    return 1;
}
