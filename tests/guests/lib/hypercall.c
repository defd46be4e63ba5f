/* hypercall.c: typed wrappers around the hvt hypercalls, and the guest's
 * C entry (guest_start) and exit. Argument structs live on the stack, which
 * is inside guest memory below 4 GiB, so their address fits the 32-bit gpa. */
#include "guest.h"

const struct hvt_boot_info *guest_boot_info;

void guest_cmdline_split(int *argc, char ***argv);  /* cmdline.c */
__attribute__((noreturn)) void guest_start(const struct hvt_boot_info *bi);

__attribute__((noreturn)) void guest_start(const struct hvt_boot_info *bi)
{
    int argc;
    char **argv;

    guest_boot_info = bi;
    guest_cmdline_split(&argc, &argv);
    guest_exit(guest_main(argc, argv));
}

__attribute__((noreturn)) void guest_exit(int status)
{
    volatile struct hvt_hc_halt h = { .cookie = 0, .exit_status = status };

    hvt_hypercall(HVT_HYPERCALL_HALT, &h);
    for (;;)
        __asm__ __volatile__("hlt");
}

uint64_t guest_walltime(void)
{
    volatile struct hvt_hc_walltime w = { 0 };

    hvt_hypercall(HVT_HYPERCALL_WALLTIME, &w);
    return w.nsecs;
}

int guest_poll(uint64_t timeout_ns, uint64_t *ready_set)
{
    volatile struct hvt_hc_poll p = { .timeout_nsecs = timeout_ns };

    hvt_hypercall(HVT_HYPERCALL_POLL, &p);
    if (ready_set)
        *ready_set = p.ready_set;
    return p.ret;
}

int guest_block_read(uint64_t handle, uint64_t offset, void *buf, uint64_t len)
{
    volatile struct hvt_hc_block_read r = {
        .handle = handle, .offset = offset, .data = (uint64_t)(uintptr_t)buf, .len = len,
        .ret = -1,
    };

    hvt_hypercall(HVT_HYPERCALL_BLOCK_READ, &r);
    return r.ret;
}

int guest_block_write(uint64_t handle, uint64_t offset, const void *buf, uint64_t len)
{
    volatile struct hvt_hc_block_write w = {
        .handle = handle, .offset = offset, .data = (uint64_t)(uintptr_t)buf, .len = len,
        .ret = -1,
    };

    hvt_hypercall(HVT_HYPERCALL_BLOCK_WRITE, &w);
    return w.ret;
}

int guest_net_read(uint64_t handle, void *buf, uint64_t size, uint64_t *len)
{
    volatile struct hvt_hc_net_read r = {
        .handle = handle, .data = (uint64_t)(uintptr_t)buf, .len = size, .ret = -1,
    };

    hvt_hypercall(HVT_HYPERCALL_NET_READ, &r);
    if (len)
        *len = r.len;
    return r.ret;
}

int guest_net_write(uint64_t handle, const void *buf, uint64_t len)
{
    volatile struct hvt_hc_net_write w = {
        .handle = handle, .data = (uint64_t)(uintptr_t)buf, .len = len, .ret = -1,
    };

    hvt_hypercall(HVT_HYPERCALL_NET_WRITE, &w);
    return w.ret;
}
