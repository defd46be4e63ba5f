/* exit.c: halts with the status given as its first argument, so the test
 * can check the monitor passes the guest's status through.
 *   exit N       halt with status N (decimal or 0x hex, taken as a 32-bit int)
 *   exit abort   halt with SOLO5_EXIT_ABORT and a cookie pointing at a trap
 *                frame with recognisable values, as a Solo5 guest does when
 *                it crashes; the monitor should print that frame.
 */
#include "guest.h"

GUEST_MANIFEST();

static struct hvt_x86_trap_regs trap = {
    .cr2 = 0xdead000, .ec = 0x2, .rip = 0x1234567, .cs = 0x8, .rflags = 0x2, .rsp = 0x7654320,
    .ss = 0x10,
};
static uint8_t cookie[HVT_HALT_COOKIE_MAX] __attribute__((aligned(8)));

int guest_main(int argc, char **argv)
{
    uint64_t v;

    if (argc >= 1 && strcmp(argv[0], "abort") == 0) {
        volatile struct hvt_hc_halt h = {
            .cookie = (uint64_t)(uintptr_t)cookie, .exit_status = SOLO5_EXIT_ABORT,
        };
        memcpy(cookie, &trap, sizeof(trap));
        guest_puts("exit: abort with a trap frame");
        hvt_hypercall(HVT_HYPERCALL_HALT, &h);
        guest_puts("exit: survived halt");
        return 0;
    }
    if (argc < 1 || guest_parse_u64(argv[0], &v) != 0 || v > UINT32_MAX) {
        guest_puts("exit: usage: exit STATUS|abort");
        return 1;
    }
    guest_printf("exit: status %d\n", (int)(uint32_t)v);
    return (int)(uint32_t)v;
}
