// SPDX-License-Identifier: GPL-2.0
/* uniroot_fentry.bpf.c: unirootd's trampoline observer, preferred where the
 * kernel allows fentry/fexit (probed at load; refused with EPERM on kernels
 * that forbid trampolines, and then the tracepoint variant is used).
 * Trampolines on the syscall functions cost only those syscalls: unlike syscall
 * tracepoints they do not move every task onto the slow syscall path. Loop
 * ioctls are taken at blkdev_ioctl (block devices only), device-mapper ones at
 * dm-mod's ctl_ioctl (loaded only when dm-mod is present).
 */
#include "vmlinux.h"

#include <bpf/bpf_tracing.h>

#include "uniroot_common.bpf.h"

char LICENSE[] SEC("license") = "GPL";

/* x86-64 syscall arguments from the pt_regs the __x64_sys_* wrappers get. */
#define A1(r) BPF_CORE_READ(r, di)
#define A2(r) BPF_CORE_READ(r, si)
#define A3(r) BPF_CORE_READ(r, dx)
#define A4(r) BPF_CORE_READ(r, r10)
#define A5(r) BPF_CORE_READ(r, r8)

SEC("fentry/__x64_sys_mount")
int BPF_PROG(ur_fe_enter_mount, const struct pt_regs *regs)
{
    return ur_on_mount((const char *)A1(regs), (const char *)A2(regs), (const char *)A3(regs),
                       A4(regs));
}

SEC("fexit/__x64_sys_mount")
int BPF_PROG(ur_fe_exit_mount, const struct pt_regs *regs, long ret)
{
    return ur_on_exit(ret);
}

SEC("fentry/__x64_sys_move_mount")
int BPF_PROG(ur_fe_enter_move_mount, const struct pt_regs *regs)
{
    return ur_on_move_mount((int)A1(regs), (int)A3(regs), (const char *)A4(regs), A5(regs));
}

SEC("fexit/__x64_sys_move_mount")
int BPF_PROG(ur_fe_exit_move_mount, const struct pt_regs *regs, long ret)
{
    return ur_on_exit(ret);
}

SEC("fentry/__x64_sys_umount")
int BPF_PROG(ur_fe_enter_umount, const struct pt_regs *regs)
{
    return ur_on_umount((const char *)A1(regs), A2(regs));
}

SEC("fexit/__x64_sys_umount")
int BPF_PROG(ur_fe_exit_umount, const struct pt_regs *regs, long ret)
{
    return ur_on_exit(ret);
}

/* blkdev_ioctl(file, cmd, arg): only block-device ioctls reach it. */
SEC("fentry/blkdev_ioctl")
int BPF_PROG(ur_fe_blkdev_ioctl, struct file *file, unsigned int cmd, unsigned long arg)
{
    if ((cmd & 0xff00) != 0x4C00)
        return 0;
    return ur_on_ioctl_file(file, cmd, arg);
}

/* dm-mod's control-node ioctl (module BTF); autoload is off without dm-mod. */
SEC("fentry/dm_ctl_ioctl")
int BPF_PROG(ur_fe_dm_ioctl, struct file *file, unsigned int cmd, unsigned long arg)
{
    if (((cmd >> 8) & 0xff) != 0xfd)
        return 0;
    return ur_on_ioctl_file(file, cmd, arg);
}
