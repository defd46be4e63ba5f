/* agent.h: unirootd's core: turns observed mounts into records, keeps the
 * table (memory + pinned map), annotates bundles, reconciles with the mount
 * table. Observers (BPF, fanotify) and the socket server call into it. */
#ifndef UNIROOTD_AGENT_H
#define UNIROOTD_AGENT_H

#include <stdint.h>

#include "config.h"
#include "table.h"

struct bpfobs;
struct fanobs;
struct server;

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

#define LAT_SAMPLES 65536

struct agent {
    struct agent_config cfg;
    const char *state_dirs[CFG_MAX_STATE_DIRS];
    struct table table;
    struct bpfobs *bpf;
    struct fanobs *fan_mnt;     /* mount-notification observer, when live */
    struct fanobs *fan_bundle;  /* bundle watcher, when live */
    struct server *srv;
    const char *observer;       /* live backend's name */
    char fallback[512];         /* why better backends are not live */
    uint64_t last_drops;
    unsigned gen;               /* reconciliation generation */
    /* counters for status */
    uint64_t n_events, n_mounts, n_umounts, n_loop_attach, n_loop_detach, n_dm;
    uint64_t n_annotated, n_not_unikernel, n_unparsable, n_reconciles, n_repaired;
    uint64_t lat_ns[LAT_SAMPLES]; /* mount -> annotation written */
    uint64_t n_lat;
    int stop;
    int reload;
};

int agent_init(struct agent *a, struct ur_err *err);
void agent_fini(struct agent *a);

/* A mount appeared / went away. */
void agent_on_mount(struct agent *a, const struct obs_mount *m);
void agent_on_umount(struct agent *a, const char *target, uint64_t mnt_id, const char *observed_by);

/* Compare the table with the mount table (libmount) and the pinned maps;
 * add what is missing, drop what is gone. why goes to the log. */
void agent_reconcile(struct agent *a, const char *why);

/* Reload the table from the pinned containers map (after a restart). */
void agent_load_pinned(struct agent *a);

/* Drain pending observer events (BPF ring buffer, fanotify mount queue),
 * then check for BPF drops (reconciling after any). */
void agent_drain(struct agent *a);

/* A config.json appeared in dir (bundle watcher). */
void agent_on_bundle(struct agent *a, const char *dir);

/* Look up by bundle (ns/id NULL) or by ns+id, draining in-flight events
 * first and probing the bundle's rootfs when nothing is known. */
const struct trec *agent_get(struct agent *a, const char *bundle, const char *ns, const char *id);

/* Latency percentile in ns (q in 0..100) of mount -> annotation, 0 if none. */
uint64_t agent_latency(const struct agent *a, double q);

#endif
