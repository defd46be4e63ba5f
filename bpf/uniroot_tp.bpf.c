// SPDX-License-Identifier: GPL-2.0
/* uniroot_tp.bpf.c: unirootd's tracepoint observer, for kernels that refuse
 * trampolines. Hooks, chosen to cost unrelated syscalls as little as possible:
 *   mount(2), move_mount(2), umount2(2): entry filters by target prefix (and
 *     block-backed source) and remembers the call by thread; exit sends it on
 *     success. fsopen/fsconfig/fsmount/open_tree need no hooks: their result
 *     is a detached mount that only becomes visible through move_mount, whose
 *     entry reads the source, fstype and device from that mount's superblock.
 *   ioctl(2): entry only, and the command is checked first; loop attach/detach
 *     and device-mapper commands are reported, everything else returns at once.
 * Any syscall tracepoint puts every task on the slow syscall path (~25 ns per
 * syscall here); that is the floor of this variant, see uniroot_fentry.bpf.c.
 */
#include "vmlinux.h"

#include "uniroot_common.bpf.h"

char LICENSE[] SEC("license") = "GPL";

SEC("tp/syscalls/sys_enter_mount")
int ur_tp_enter_mount(struct trace_event_raw_sys_enter *ctx)
{
    return ur_on_mount((const char *)ctx->args[0], (const char *)ctx->args[1],
                       (const char *)ctx->args[2], ctx->args[3]);
}

SEC("tp/syscalls/sys_enter_move_mount")
int ur_tp_enter_move_mount(struct trace_event_raw_sys_enter *ctx)
{
    return ur_on_move_mount((int)ctx->args[0], (int)ctx->args[2], (const char *)ctx->args[3],
                            ctx->args[4]);
}

SEC("tp/syscalls/sys_enter_umount")
int ur_tp_enter_umount(struct trace_event_raw_sys_enter *ctx)
{
    return ur_on_umount((const char *)ctx->args[0], ctx->args[1]);
}

SEC("tp/syscalls/sys_exit_mount")
int ur_tp_exit_mount(struct trace_event_raw_sys_exit *ctx)
{
    return ur_on_exit(ctx->ret);
}

SEC("tp/syscalls/sys_exit_move_mount")
int ur_tp_exit_move_mount(struct trace_event_raw_sys_exit *ctx)
{
    return ur_on_exit(ctx->ret);
}

SEC("tp/syscalls/sys_exit_umount")
int ur_tp_exit_umount(struct trace_event_raw_sys_exit *ctx)
{
    return ur_on_exit(ctx->ret);
}

SEC("tp/syscalls/sys_enter_ioctl")
int ur_tp_enter_ioctl(struct trace_event_raw_sys_enter *ctx)
{
    __u32 cmd = (__u32)ctx->args[1];
    /* Cheapest possible test first: nearly every ioctl on the machine ends here. */
    if (!ur_ioctl_wanted(cmd))
        return 0;
    return ur_on_ioctl((int)ctx->args[0], cmd, ctx->args[2]);
}
