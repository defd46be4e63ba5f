/* monitor.c: what uniroot-spt is, for the shared command line and usage
 * (runtime/tender/cli.c): its name, its memory bound and why. It has no
 * hypercalls: the guest calls the host kernel itself, within the filter. */
#include <signal.h>

#include "spt.h"

const struct tender_monitor spt_monitor = {
    .prog = "uniroot-spt",
    .summary = "Run a Solo5 spt unikernel (x86_64) as this process, confined by seccomp;\n"
               "ARGS become its command line.",
    .max_mem_mb = SPT_MAX_MEM >> 20,
    .mem_note = "",
    .mem_who = "an spt guest of this monitor",
    .mem_why = "(its memory and a guard as large are reserved in this process, below the "
               "monitor's own code)",
    .fault_note = "",
    .exit_note = "\nA guest making a system call its bindings do not need is killed by SIGSYS\n"
                 "(the parent sees signal 31, a shell status 159).",
    .core = NULL,
};
_Static_assert(SIGSYS == 31, "the usage text says SIGSYS is signal 31");
