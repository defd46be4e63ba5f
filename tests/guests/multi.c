/* multi.c: several devices at once, so handles must map to the right host
 * resources: block devices "first" and "second" (handles 1 and 2) and
 * network device "net0" (handle 3). Prints each block device's capacity,
 * stamps sector 0 of each with "uniroot device <name>\n" and reads both
 * back; then waits up to 5 s for a frame on net0, which poll must report
 * with bit 3 of the ready set, and echoes it like the net guest. */
#include "guest.h"

GUEST_MANIFEST(MFT_BLOCK("first"), MFT_BLOCK("second"), MFT_NET("net0"));

#define SEC 1000000000ull

static uint8_t sector[2][512] __attribute__((aligned(8)));
static uint8_t check[512] __attribute__((aligned(8)));
static uint8_t frame[2048] __attribute__((aligned(8)));

static int stamp(const char *name, uint8_t *buf)
{
    const struct mft_entry *e;
    uint64_t h;

    e = guest_mft_find(name, MFT_DEV_BLOCK_BASIC, &h);
    if (!e || e->u.block_basic.block_size != 512) {
        guest_printf("multi: FAIL: block device %s missing or not 512-byte sectors\n", name);
        return 1;
    }
    guest_printf("multi: %s handle=%llu capacity=%llu\n", name, (unsigned long long)h,
                 (unsigned long long)e->u.block_basic.capacity);
    memset(buf, 0, 512);
    guest_snprintf((char *)buf, 64, "uniroot device %s\n", name);
    if (guest_block_write(h, 0, buf, 512) != SOLO5_R_OK) {
        guest_printf("multi: FAIL: write to %s\n", name);
        return 1;
    }
    return 0;
}

static int verify(const char *name, const uint8_t *buf)
{
    uint64_t h;

    guest_mft_find(name, MFT_DEV_BLOCK_BASIC, &h);
    if (guest_block_read(h, 0, check, 512) != SOLO5_R_OK || memcmp(check, buf, 512) != 0) {
        guest_printf("multi: FAIL: %s does not read back what was written to it\n", name);
        return 1;
    }
    return 0;
}

static int echo(void)
{
    const struct mft_entry *e;
    uint64_t h, deadline, now, len = 0, other = 0;

    e = guest_mft_find("net0", MFT_DEV_NET_BASIC, &h);
    if (!e) {
        guest_puts("multi: FAIL: no net0");
        return 1;
    }
    guest_printf("multi: net0 handle=%llu\n", (unsigned long long)h);
    deadline = guest_walltime() + 5 * SEC;
    while ((now = guest_walltime()) < deadline) {
        uint64_t ready = 0;

        guest_poll(deadline - now, &ready);
        other |= ready & ~(1ull << h);
        if (!(ready & (1ull << h)))
            continue;
        if (guest_net_read(h, frame, sizeof(frame), &len) != SOLO5_R_OK)
            continue;
        if (len < 14 || memcmp(frame, e->u.net_basic.mac, 6) != 0)
            continue;
        memcpy(frame, frame + 6, 6);
        memcpy(frame + 6, e->u.net_basic.mac, 6);
        if (guest_net_write(h, frame, len) != SOLO5_R_OK) {
            guest_puts("multi: FAIL: net write");
            return 1;
        }
        if (other) {
            guest_printf("multi: FAIL: poll set bits 0x%llx for devices that are not net0\n",
                         (unsigned long long)other);
            return 1;
        }
        guest_printf("multi: echoed %llu bytes\n", (unsigned long long)len);
        return 0;
    }
    guest_printf("multi: FAIL: no frame within 5 s (poll ready bits seen: 0x%llx)\n",
                 (unsigned long long)other);
    return 1;
}

int guest_main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    if (stamp("first", sector[0]) || stamp("second", sector[1]) ||
        verify("first", sector[0]) || verify("second", sector[1]))
        return 1;
    guest_puts("multi: block devices ok");
    return echo();
}
