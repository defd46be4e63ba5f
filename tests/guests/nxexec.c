/* nxexec.c: calls into guest memory that is not code, chosen by the first
 * argument: data, bss, stack, heap, rodata or bootinfo. Each place holds a
 * `ret` (where it is writable), so if the monitor left it executable the call
 * returns and the guest prints "nxexec: survived ..." and exits 0. The monitor
 * must instead end the guest with status 255 and a message naming the
 * address, which the guest prints first ("nxexec: calling <place> at 0x...").
 * `nxexec text` calls a copy of the same `ret` in the code: it returns
 * ("nxexec: text ok"), so the mechanism itself works. */
#include "guest.h"

GUEST_MANIFEST();

#define RET 0xc3

static uint8_t data_code[16] = {RET, RET};
static uint8_t bss_code[16];
static const uint8_t rodata_code[16] = {RET, RET};

static void ret_in_text(void)
{
}

static int call(const char *where, void *at)
{
    guest_printf("nxexec: calling %s at 0x%llx\n", where, (unsigned long long)(uintptr_t)at);
    ((void (*)(void))at)();
    guest_printf("nxexec: survived a call into %s\n", where);
    return 0;
}

int guest_main(int argc, char **argv)
{
    volatile uint8_t stack_code[16];
    const char *what = argc >= 1 ? argv[0] : "";

    if (strcmp(what, "text") == 0) {
        call("text", (void *)ret_in_text);
        guest_puts("nxexec: text ok");
        return 0;
    }
    if (strcmp(what, "data") == 0)
        return call("data", data_code);
    if (strcmp(what, "bss") == 0) {
        bss_code[0] = RET;
        return call("bss", bss_code);
    }
    if (strcmp(what, "stack") == 0) {
        stack_code[0] = RET;
        return call("stack", (void *)stack_code);
    }
    if (strcmp(what, "heap") == 0) {
        /* The first page past the image (kernel_end), where a heap starts. */
        uint8_t *heap = (uint8_t *)(uintptr_t)((guest_boot_info->kernel_end + 0xfff) & ~0xfffull);
        heap[0] = RET;
        return call("heap", heap);
    }
    if (strcmp(what, "rodata") == 0)
        return call("rodata", (void *)rodata_code);
    if (strcmp(what, "bootinfo") == 0)
        return call("bootinfo", (void *)(uintptr_t)guest_boot_info->cmdline);
    guest_puts("nxexec: usage: nxexec data|bss|stack|heap|rodata|bootinfo|text");
    return 2;
}
