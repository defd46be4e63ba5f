/* hello.c: the smallest useful guest: greets, echoes its command line and
 * exits 0. Proves boot, boot_info, the cmdline and puts. */
#include "guest.h"

GUEST_MANIFEST();

int guest_main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    guest_puts("Hello, uniroot!");
    guest_printf("cmdline: %s\n", guest_cmdline());
    return 0;
}
