/* backend_spt.c: Solo5 spt on uniroot-spt, a seccomp-confined process with
 * no VM: it runs on any Linux node. Its unikernel types are urunc's for spt
 * (rumprun, mirage) plus our own solo5 test guests. */
#include "backend.h"

#include "solo5_abi.h"

static const struct backend_type spt_types[] = {
    {"solo5", (const char *const[]){"ext2", "ext3", "ext4", NULL}},
    {"rumprun", (const char *const[]){"ext2", NULL}},
    {"mirage", NULL},
};

const struct backend backend_spt = {
    .name = "spt",
    .monitor = "uniroot-spt",
    .monitor_env = "UNIROOT_SPT",
    .solo5_target = SOLO5_ABI_TARGET_SPT,
    .solo5_abi = SPT_ABI_VERSION,
    .max_mem_mb = 64 * 1024, /* uniroot-spt's --mem bound (runtime/spt: SPT_MAX_MEM) */
    .types = spt_types,
    .ntypes = sizeof(spt_types) / sizeof(spt_types[0]),
    .node_check = NULL,
    .command = backend_solo5_command,
    .start = backend_fifo_start,
};
