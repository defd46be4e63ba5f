/* sleep.c: polls for the number of seconds given (default 30), waking once
 * a second. Used by the signal and seccomp tests, which need a guest that
 * stays up without burning emulated instructions. */
#include "guest.h"

GUEST_MANIFEST();

#define SEC 1000000000ull

int guest_main(int argc, char **argv)
{
    uint64_t secs = 30, start, end, now;

    if (argc >= 1 && guest_parse_u64(argv[0], &secs) != 0) {
        guest_puts("sleep: usage: sleep [SECONDS]");
        return 1;
    }
    start = guest_walltime();
    end = start + secs * SEC;
    guest_printf("sleep: sleeping %llu s\n", (unsigned long long)secs);
    while ((now = guest_walltime()) < end)
        guest_poll(end - now < SEC ? end - now : SEC, NULL);
    guest_puts("sleep: done");
    return 0;
}
