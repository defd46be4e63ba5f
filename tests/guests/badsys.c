/* badsys.c: makes a system call no Solo5 binding makes (getpid). On spt the
 * monitor's seccomp filter must kill the process (SIGSYS, shell status 159);
 * on hvt the syscall instruction is not set up in the guest and must end as
 * a guest fault. It must never print "survived". */
#include "guest.h"

GUEST_MANIFEST();

int guest_main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    long ret = 39; /* __NR_getpid */
    guest_puts("badsys: calling getpid");
    __asm__ __volatile__("syscall" : "+a"(ret) : : "rcx", "r11", "memory");
    guest_puts("badsys: survived getpid");
    return 0;
}
