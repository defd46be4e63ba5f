/* exit.c: halts with the status given as its first argument (decimal), so
 * the test can check the monitor passes the guest's status through. */
#include "guest.h"

GUEST_MANIFEST();

int guest_main(int argc, char **argv)
{
    uint64_t v;

    if (argc < 1 || guest_parse_u64(argv[0], &v) != 0 || v > 255) {
        guest_puts("exit: usage: exit STATUS (0-255)");
        return 1;
    }
    guest_printf("exit: status %u\n", (unsigned)v);
    return (int)v;
}
