/* sink.h: how an observer hands what it saw to the agent.
 *
 * Every observer (bpfobs.c: the BPF ring buffer; fanobs.c: fanotify mount
 * notifications and the bundle watcher) reports through one struct
 * obs_sink and knows nothing else of the agent: the agent core (agent.c)
 * fills the sink (agent_sink), main wires it to the observers it starts.
 * A third observer is then one more file calling these five callbacks. */
#ifndef UNIROOTD_SINK_H
#define UNIROOTD_SINK_H

#include <stdint.h>

/* One mount seen by an observer. Strings may be NULL/"" when unknown. */
struct obs_mount {
    const char *target;
    const char *fstype;
    const char *source;
    uint32_t major, minor;    /* device the observer saw, 0:0 when unknown */
    int have_dev;
    uint64_t mono_ns;         /* CLOCK_MONOTONIC of the mount, 0 = now */
    const char *observed_by;  /* bpf-tracepoint, bpf-fentry, fanotify, mountinfo, probe */
    uint64_t mnt_id;          /* unique mount id when known */
};

/* What an event was, for the agent's counters. */
enum obs_event {
    OBS_EV_MOUNT = 0,
    OBS_EV_UMOUNT,
    OBS_EV_LOOP_ATTACH,
    OBS_EV_LOOP_DETACH,
    OBS_EV_DM,
    OBS_EV_OTHER,
};

struct obs_sink {
    void *ctx;
    /* Every event read (before any filtering), once. */
    void (*seen)(void *ctx, enum obs_event ev);
    /* A mount appeared. */
    void (*mount)(void *ctx, const struct obs_mount *m);
    /* A mount went away: by target, or (target NULL) by unique mount id. */
    void (*umount)(void *ctx, const char *target, uint64_t mnt_id, const char *observed_by);
    /* A config.json appeared in directory dir. */
    void (*bundle)(void *ctx, const char *dir);
    /* Events were lost (queue overflow): the agent must look for itself. */
    void (*lost)(void *ctx, const char *why);
};

#endif
