/* bigbss.c: an image whose bss is 600 MiB, so it only fits with --mem of
 * more than that: the monitor must refuse it with the default 512 MiB and
 * give it zeroed memory when it fits. Touches the first and last byte. */
#include "guest.h"

GUEST_MANIFEST();

static uint8_t big[600u << 20];

int guest_main(int argc, char **argv)
{
    volatile uint8_t *p = big;

    (void)argc;
    (void)argv;
    if (p[0] != 0 || p[sizeof(big) - 1] != 0) {
        guest_puts("bigbss: FAIL: bss not zeroed");
        return 1;
    }
    p[0] = 1;
    p[sizeof(big) - 1] = 1;
    guest_printf("bigbss: ok, bss ends at 0x%llx, memory 0x%llx\n",
                 (unsigned long long)(uintptr_t)(big + sizeof(big)),
                 (unsigned long long)guest_boot_info->mem_size);
    return 0;
}
