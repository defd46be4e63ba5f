/* fault.c: writes to guest address 0, which the monitor leaves unmapped.
 * With no IDT the page fault escalates to a triple fault; the monitor must
 * report a guest fault (with registers) and exit non-zero. */
#include "guest.h"

GUEST_MANIFEST();

int guest_main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    guest_puts("fault: touching unmapped memory");
    __asm__ __volatile__("movl $0x2a, 0" ::: "memory");
    guest_puts("fault: survived the write to address 0");
    return 0;
}
