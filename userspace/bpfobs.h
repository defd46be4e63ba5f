/* bpfobs.h: unirootd's BPF observer: loads one of the two BPF variants, pins
 * maps and links under the versioned pin directory, sets the in-kernel
 * filter, and hands ring-buffer events to a callback.
 *
 * Attach strategy: the trampoline variant (fentry/fexit on the syscall
 * functions, blkdev_ioctl, dm-mod's ctl ioctl) is tried first because it costs
 * only the syscalls it hooks; when the kernel refuses it (EPERM here) the
 * tracepoint variant is loaded. bpfobs_backend() and bpfobs_fallback_reason()
 * say which is live and why.
 *
 * Links are pinned (pin_dir/links/<prog>): if the agent dies, the programs
 * keep filling the pinned ring buffer and mounts map, and the next agent
 * drains them, replacing the old links with its own. A clean stop unpins them
 * unless told to keep observing. */
#ifndef UNIROOTD_BPFOBS_H
#define UNIROOTD_BPFOBS_H

#include <linux/types.h>
#include <stdbool.h>

#include "config.h"
#include "err.h"
#include "uniroot_events.h"

struct bpfobs;
struct obs_sink;

/* want: OBS_AUTO/OBS_BPF (fentry, else tracepoints), OBS_BPF_FENTRY (only),
 * OBS_BPF_TRACEPOINT (only). Events go to *sink (copied); c must outlive
 * the observer. */
int bpfobs_open(const struct agent_config *c, enum observer_kind want, const struct obs_sink *sink,
                struct bpfobs **out, struct ur_err *err);

/* "bpf-fentry" or "bpf-tracepoint". */
const char *bpfobs_backend(const struct bpfobs *o);
/* Why the trampoline variant is not live ("" when it is). */
const char *bpfobs_fallback_reason(const struct bpfobs *o);

/* The fd to poll for events, and a non-blocking drain (returns events handled). */
int bpfobs_fd(const struct bpfobs *o);
int bpfobs_drain(struct bpfobs *o);

int bpfobs_stats(const struct bpfobs *o, struct ur_stats *st);

/* The pinned containers map (the agent's table as bpftool shows it). */
int bpfobs_put_container(struct bpfobs *o, const struct ur_ckey *k, const struct ur_container *v);
int bpfobs_del_container(struct bpfobs *o, const struct ur_ckey *k);
/* Call fn for each entry; returns the number of entries. */
int bpfobs_each_container(struct bpfobs *o,
                          void (*fn)(const struct ur_ckey *k, const struct ur_container *v, void *arg),
                          void *arg);
/* Same for the kernel-kept mounts map. */
int bpfobs_each_mount(struct bpfobs *o,
                      void (*fn)(const struct ur_mount_key *k, const struct ur_mount *v, void *arg),
                      void *arg);

/* Stop. detach: unpin the links (programs go away); otherwise they stay. */
void bpfobs_close(struct bpfobs *o, bool detach);

/* Remove everything pinned under pin_dir (links first). */
int bpfobs_cleanup_pins(const char *pin_dir, struct ur_err *err);

/* Make sure bpffs is mounted on /sys/fs/bpf and tracefs on /sys/kernel/tracing. */
int bpfobs_prepare_fs(struct ur_err *err);

#endif
