/* spt.h: uniroot-spt, the Solo5 spt monitor: the guest runs inside this
 * process, confined by a seccomp filter that lets it make only the system
 * calls its bindings need, on the descriptors the monitor opened.
 *
 * The image reader, manifest, command line and seccomp assembler are the
 * shared monitor code (runtime/tender/); the block and tap attach code is
 * uniroot-vmm's (runtime/vmm/), linked in; what is spt's own lives here: the
 * memory layout and launch (main.c) and the filter rules (filter.c).
 */
#ifndef UNIROOT_SPT_H
#define UNIROOT_SPT_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "solo5_abi.h"
#include "tender.h"

/* ---- filter.c: the rules a guest gets */
struct mft;
struct spt_fds {
    int epollfd, timerfd;
    uint64_t mem_size;
};
#define SPT_MAX_RULES (16 + 2 * MFT_MAX_ENTRIES)
/* The rules for a guest with memory [SPT_HOST_MEM_BASE, mem_size) and the
 * attached devices of m; returns how many were written into out. */
unsigned spt_filter_rules(const struct spt_fds *f, const struct mft *m, struct tender_rule *out);

#endif
