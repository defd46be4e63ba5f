/* sleep.c: polls for the number of seconds given (default 30), waking once
 * a second; `sleep forever` makes one endless poll and `sleep spin` loops
 * without hypercalls. Used by the signal and seccomp tests, which need a
 * guest that stays up (the first two without burning emulated instructions). */
#include "guest.h"

GUEST_MANIFEST();

#define SEC 1000000000ull

/* One poll with the largest timeout there is: the monitor must wait (not
 * return at once after an overflow) until a signal stops it. */
static int forever(void)
{
    uint64_t t0, t1;

    guest_puts("sleep: sleeping forever");
    t0 = guest_walltime();
    guest_poll(UINT64_MAX, NULL);
    t1 = guest_walltime();
    guest_printf("sleep: FAIL: poll(forever) returned after %llu ms\n",
                 (unsigned long long)((t1 - t0) / 1000000));
    return 1;
}

/* Never calls the monitor again: a runaway guest SIGTERM must still stop. */
__attribute__((noreturn)) static void spin(void)
{
    guest_puts("sleep: spinning");
    for (;;)
        __asm__ __volatile__("pause");
}

int guest_main(int argc, char **argv)
{
    uint64_t secs = 30, start, end, now;

    if (argc >= 1 && strcmp(argv[0], "forever") == 0)
        return forever();
    if (argc >= 1 && strcmp(argv[0], "spin") == 0)
        spin();
    if (argc >= 1 && guest_parse_u64(argv[0], &secs) != 0) {
        guest_puts("sleep: usage: sleep [SECONDS|forever|spin]");
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
