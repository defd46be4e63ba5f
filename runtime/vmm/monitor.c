/* monitor.c: what uniroot-vmm is, for the shared command line and usage
 * (runtime/tender/cli.c): its name, its memory bound and why, and its core
 * module (the hvt hypercalls every guest has, hypercall.c). */
#include "vmm.h"

const struct tender_monitor vmm_monitor = {
    .prog = "uniroot-vmm",
    .summary = "Boot a Solo5 hvt unikernel (x86_64) on KVM; ARGS become its command line.",
    .max_mem_mb = HVT_X86_MAX_MEM >> 20,
    .mem_note = ", rounded\ndown to 2 MiB; the hvt ABI addresses no more",
    /* Not a page-table limit: the hvt ABI passes hypercall arguments as
     * 32-bit guest addresses and a guest's stack starts at the top of its
     * memory, so no hvt guest can use more (Solo5's limit too). */
    .mem_who = "an hvt guest",
    .mem_why = "(the hvt ABI passes hypercall arguments as 32-bit addresses and the guest's "
               "stack is at the top of its memory)",
    .fault_note = " or broke the ABI",
    .exit_note = "",
    .core = &vmm_core_module,
};
