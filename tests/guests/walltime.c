/* walltime.c: reads the wall clock twice around a 10 ms poll and checks the
 * clock is a plausible Unix time and that poll really waited. */
#include "guest.h"

GUEST_MANIFEST();

#define MS 1000000ull
#define UNIX_2020_NS 1577836800000000000ull  /* 2020-01-01T00:00:00Z */

int guest_main(int argc, char **argv)
{
    uint64_t t0, t1, ready = 0;
    int ret;

    (void)argc;
    (void)argv;
    t0 = guest_walltime();
    ret = guest_poll(10 * MS, &ready);
    t1 = guest_walltime();
    guest_printf("walltime: t0=%llu ns t1=%llu ns poll ret=%d ready=0x%llx\n",
                 (unsigned long long)t0, (unsigned long long)t1, ret, (unsigned long long)ready);
    if (t0 < UNIX_2020_NS) {
        guest_puts("walltime: FAIL: t0 is before 2020");
        return 1;
    }
    if (t1 < t0 + 9 * MS) {
        guest_printf("walltime: FAIL: poll(10 ms) returned after %lld ns\n", (long long)(t1 - t0));
        return 1;
    }
    if (ready != 0) {
        guest_puts("walltime: FAIL: poll reported a ready device in a guest without devices");
        return 1;
    }
    guest_printf("walltime: ok, poll slept %llu us\n", (unsigned long long)((t1 - t0) / 1000));
    return 0;
}
