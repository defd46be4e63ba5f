/* hello.c: the smallest useful guest: greets, echoes its command line and
 * exits 0. Proves boot, boot_info, the cmdline and puts. It is also the boot
 * benchmark's guest, and on hosts where guest ring-0 code is emulated (PVM)
 * every instruction costs about a microsecond, so it writes with three plain
 * puts hypercalls instead of formatting with printf. */
#include "guest.h"

GUEST_MANIFEST();

int guest_main(int argc, char **argv)
{
    static const char greeting[] = "Hello, uniroot!\ncmdline: ";
    const char *cmdline = guest_cmdline();

    (void)argc;
    (void)argv;
    guest_write(greeting, sizeof(greeting) - 1);
    guest_write(cmdline, strlen(cmdline));
    guest_write("\n", 1);
    return 0;
}
