/* spt.h: uniroot-spt, the Solo5 spt monitor: the guest runs inside this
 * process, confined by a seccomp filter that lets it make only the system
 * calls its bindings need, on the descriptors the monitor opened.
 *
 * The image reader, manifest, command line, device modules (block and tap
 * attach, and the system calls each device's bindings make) and the seccomp
 * assembler are the shared monitor code (runtime/tender/); what is spt's own
 * lives here: the memory layout and launch (main.c), the core filter rules
 * (filter.c) and what it tells the command line (monitor.c).
 */
#ifndef UNIROOT_SPT_H
#define UNIROOT_SPT_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "solo5_abi.h"
#include "tender.h"

/* Guest memory bound. Not the ABI's (spt guests get 64-bit pointers, and
 * Solo5's solo5-spt has no fixed bound, only that guest memory end below
 * the monitor's own load address): ours, because the monitor reserves the
 * guest's memory and a guard as large, [SPT_HOST_MEM_BASE, 2 * mem), all
 * below its own code (a static PIE, loaded far above 4 GiB). */
#define SPT_MAX_MEM (64ull << 30)

/* ---- monitor.c */
extern const struct tender_monitor spt_monitor;

/* ---- filter.c: the rules a guest gets */
struct spt_fds {
    int epollfd, timerfd;
};
#define SPT_MAX_RULES (16 + TENDER_MAX_DEVICE_RULES)
/* The rules for a guest with memory [SPT_HOST_MEM_BASE, ctx->mem_size):
 * the core calls, then each attached device's (its module's spt_rules);
 * returns how many were written into out. */
unsigned spt_filter_rules(const struct spt_fds *f, const struct tender_registry *r,
                          const struct tender_ctx *ctx, struct tender_rule *out);

#endif
