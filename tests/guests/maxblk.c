/* maxblk.c: the most block devices a manifest holds (63, as Solo5's own
 * test_mft_maxdevices), "b0".."b62" (handles 1..63). Reads sector 0 of each
 * and checks it starts with "uniroot maxblk <i>" (the test writes that), so
 * every device's rule in the monitor's filter is exercised, the last one
 * included; prints "maxblk: 63 devices read" on success. */
#include "guest.h"

#define B8(p) MFT_BLOCK(p "0"), MFT_BLOCK(p "1"), MFT_BLOCK(p "2"), MFT_BLOCK(p "3"), \
              MFT_BLOCK(p "4"), MFT_BLOCK(p "5"), MFT_BLOCK(p "6"), MFT_BLOCK(p "7")

/* b0..b9, b10..b59 in tens, b60..b62. */
GUEST_MANIFEST(MFT_BLOCK("b0"), MFT_BLOCK("b1"), MFT_BLOCK("b2"), MFT_BLOCK("b3"), MFT_BLOCK("b4"),
               MFT_BLOCK("b5"), MFT_BLOCK("b6"), MFT_BLOCK("b7"), MFT_BLOCK("b8"), MFT_BLOCK("b9"),
               B8("b1"), MFT_BLOCK("b18"), MFT_BLOCK("b19"), B8("b2"), MFT_BLOCK("b28"),
               MFT_BLOCK("b29"), B8("b3"), MFT_BLOCK("b38"), MFT_BLOCK("b39"), B8("b4"),
               MFT_BLOCK("b48"), MFT_BLOCK("b49"), B8("b5"), MFT_BLOCK("b58"), MFT_BLOCK("b59"),
               MFT_BLOCK("b60"), MFT_BLOCK("b61"), MFT_BLOCK("b62"));

static uint8_t sector[512] __attribute__((aligned(8)));

int guest_main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    for (int i = 0; i < 63; i++) {
        char name[8], want[32];
        uint64_t h;
        guest_snprintf(name, sizeof(name), "b%d", i);
        guest_snprintf(want, sizeof(want), "uniroot maxblk %d\n", i);
        if (!guest_mft_find(name, MFT_DEV_BLOCK_BASIC, &h) || h != (uint64_t)i + 1) {
            guest_printf("maxblk: FAIL: %s missing or not handle %d\n", name, i + 1);
            return 1;
        }
        if (guest_block_read(h, 0, sector, sizeof(sector)) != SOLO5_R_OK ||
            memcmp(sector, want, strlen(want)) != 0) {
            guest_printf("maxblk: FAIL: sector 0 of %s\n", name);
            return 1;
        }
    }
    guest_puts("maxblk: 63 devices read");
    return 0;
}
