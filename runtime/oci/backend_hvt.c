/* backend_hvt.c: Solo5 hvt on uniroot-vmm, a KVM monitor. Its unikernel
 * types are urunc's for hvt plus our own solo5 test guests; the node must
 * have /dev/kvm. */
#include "backend.h"

#include <errno.h>
#include <sys/stat.h>

#include "solo5_abi.h"

static const struct backend_type hvt_types[] = {
    {"solo5", (const char *const[]){"ext2", "ext3", "ext4", NULL}},
    {"rumprun", (const char *const[]){"ext2", NULL}},
    {"mirage", NULL},
    {"includeos", NULL},
};

/* A KVM guest needs the KVM device; without it the monitor could only fail
 * after create had unmounted the rootfs: say so first, and what works. */
static int hvt_node_check(const struct backend *b, struct ur_err *err)
{
    struct stat st;
    if (stat("/dev/kvm", &st) == 0 && S_ISCHR(st.st_mode))
        return 0;
    return ur_errf(err, -ENODEV, "hypervisor %s needs /dev/kvm, which this node lacks; "
                                 "use hypervisor spt (com.urunc.unikernel.hypervisor=spt) with an "
                                 "spt build of the unikernel", b->name);
}

const struct backend backend_hvt = {
    .name = "hvt",
    .monitor = "uniroot-vmm",
    .monitor_env = "UNIROOT_VMM",
    .solo5_target = SOLO5_ABI_TARGET_HVT,
    .solo5_abi = HVT_ABI_VERSION,
    /* hypercall arguments are 32-bit guest addresses and the stack starts at
     * the top of guest memory: Solo5 and uniroot-vmm stop at 4 GiB */
    .max_mem_mb = HVT_X86_MAX_MEM >> 20,
    .types = hvt_types,
    .ntypes = sizeof(hvt_types) / sizeof(hvt_types[0]),
    .node_check = hvt_node_check,
    .command = backend_solo5_command,
    .start = backend_fifo_start,
};
