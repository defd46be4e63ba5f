/* agent.h: unirootd's core: turns observed mounts into records, keeps the
 * table (memory + pinned map), annotates bundles, reconciles with the mount
 * table. Observers (BPF, fanotify) feed it through its sink (sink.h,
 * agent_sink); the socket server reads it through the functions below and
 * hears of changes through struct agent_watch, never by field. */
#ifndef UNIROOTD_AGENT_H
#define UNIROOTD_AGENT_H

#include <stdint.h>

#include "config.h"
#include "sink.h"
#include "table.h"
#include "uniroot_events.h"

struct bpfobs;
struct fanobs;

#define LAT_SAMPLES 65536

/* Who hears of records added and removed (the socket's watchers). */
struct agent_watch {
    void *ctx;
    int (*wanted)(void *ctx);  /* anyone listening? (saves building the JSON) */
    void (*changed)(void *ctx, const char *what, const char *record_json); /* "add", "remove" */
};

struct agent {
    struct agent_config cfg;
    const char *state_dirs[CFG_MAX_STATE_DIRS];
    struct table table;
    struct bpfobs *bpf;
    struct fanobs *fan_mnt;     /* mount-notification observer, when live */
    struct fanobs *fan_bundle;  /* bundle watcher, when live */
    struct agent_watch watch;   /* all NULL: nobody */
    const char *observer;       /* live backend's name */
    char fallback[512];         /* why better backends are not live */
    uint64_t last_drops;
    unsigned gen;               /* reconciliation generation */
    /* counters for status */
    uint64_t n_events, n_mounts, n_umounts, n_loop_attach, n_loop_detach, n_dm;
    uint64_t n_annotated, n_not_unikernel, n_unparsable, n_refused, n_reconciles, n_repaired;
    uint64_t lat_ns[LAT_SAMPLES]; /* mount -> annotation written */
    uint64_t n_lat;
    int stop;
    int reload;
};

int agent_init(struct agent *a, struct ur_err *err);
void agent_fini(struct agent *a);

/* The sink observers report to (calls the functions below). */
void agent_sink(struct agent *a, struct obs_sink *s);

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

/* A config.json appeared in dir (bundle watcher); ignored unless dir is a
 * bundle under a state directory. */
void agent_on_bundle(struct agent *a, const char *dir);

/* Look up by bundle (ns/id NULL) or by ns+id, draining in-flight events
 * first and probing the bundle's rootfs when nothing is known. */
const struct trec *agent_get(struct agent *a, const char *bundle, const char *ns, const char *id);

/* Latency percentile in ns (q in 0..100) of mount -> annotation, 0 if none. */
uint64_t agent_latency(const struct agent *a, double q);

/* Call fn for every record (fn may not change the table). */
void agent_foreach(const struct agent *a, void (*fn)(const struct trec *r, void *arg), void *arg);

/* What `status` reports. Pointers are the agent's, valid while it runs. */
struct agent_status {
    const char *observer, *fallback, *pin_dir;
    int bundle_watch, ioctl_events;
    size_t records;
    struct ur_stats bpf;      /* the BPF side's counters, zero without BPF */
    uint64_t mounts, umounts, loop_attach, loop_detach, dm_events;
    uint64_t annotated, not_unikernel, unparsable, refused, reconciles, repaired;
    uint64_t n_lat, lat_p50_ns, lat_p99_ns;
    const char *const *state_dirs;
    int n_state_dirs;
};
void agent_status(const struct agent *a, struct agent_status *st);

#endif
