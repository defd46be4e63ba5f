/* agent.c: unirootd's core (see agent.h). */
#include "agent.h"

#include <errno.h>
#include <fcntl.h>
#include <libmount/libmount.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#include "bpfobs.h"
#include "bundle.h"
#include "fanobs.h"
#include "log.h"
#include "matcher.h"
#include "mountcheck.h"
#include "resolve.h"
#include "rootfs_record.h"

static uint64_t now_ns(clockid_t clk)
{
    struct timespec ts;
    clock_gettime(clk, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int agent_init(struct agent *a, struct ur_err *err)
{
    (void)err;
    table_init(&a->table);
    for (int i = 0; i < a->cfg.n_state_dirs; i++)
        a->state_dirs[i] = a->cfg.state_dirs[i];
    return 0;
}

void agent_fini(struct agent *a)
{
    table_free(&a->table);
}

static int match(const struct agent *a, const char *target, struct ur_match *m)
{
    return matcher_match_target(target, a->state_dirs, (size_t)a->cfg.n_state_dirs, m);
}

/* Bounded copy that always terminates (truncation is fine for the pinned view). */
static void scpy(char *d, size_t n, const char *s)
{
    size_t l = strnlen(s ? s : "", n - 1);
    memcpy(d, s ? s : "", l);
    d[l] = '\0';
}

static void to_pinned(const struct trec *r, struct ur_ckey *k, struct ur_container *v)
{
    memset(k, 0, sizeof(*k));
    memset(v, 0, sizeof(*v));
    scpy(k->namespace_, sizeof(k->namespace_), r->namespace_);
    scpy(k->id, sizeof(k->id), r->id);
    _Static_assert(UR_ROOTFS_BLOCK == (int)ROOTFS_BLOCK && UR_ROOTFS_SHARED == (int)ROOTFS_SHARED &&
                       UR_ROOTFS_INITRD == (int)ROOTFS_INITRD && sizeof(v->type) == 4,
                   "pinned rootfs type differs from the record's");
    v->type = (enum ur_rootfs_type)r->type;
    v->major = r->major;
    v->minor = r->minor;
    v->observed_at_ns = r->observed_at_ns;
    scpy(v->observed_by, sizeof(v->observed_by), r->observed_by);
    scpy(v->fstype, sizeof(v->fstype), r->fstype);
    scpy(v->device, sizeof(v->device), r->device);
    scpy(v->backing, sizeof(v->backing), r->backing);
    scpy(v->mount_target, sizeof(v->mount_target), r->target);
}

/* Write the annotation for r's bundle when it is a unikernel. Returns 1 when
 * written, 0 when nothing was to be done, <0 on failure (logged here). */
static int annotate(struct agent *a, struct trec *r)
{
    char *json = NULL;
    struct ur_err err;
    enum bundle_kind kind;
    ur_err_clear(&err);
    if (trec_to_json(r, &json) < 0)
        return -ENOMEM;
    /* the rootfs mounted at the target holds urunc.json, if anything does */
    int rc = bundle_annotate(r->bundle, r->target, json, &kind, &r->config_ino, &err);
    r->bundle_kind = (int)kind;
    if (rc < 0) {
        if (kind == BUNDLE_UNPARSABLE)
            a->n_unparsable++;
        else if (kind == BUNDLE_REFUSED)
            a->n_refused++;
        ulog(ULOG_ERROR, "annotate-failed", "\"bundle\":%s,\"kind\":\"%s\",\"error\":%s",
             ulog_q(r->bundle), bundle_kind_name(kind), ulog_q(err.msg));
    } else if (rc == 1) {
        a->n_annotated++;
        if (r->mount_mono_ns) {
            uint64_t d = now_ns(CLOCK_MONOTONIC) - r->mount_mono_ns;
            a->lat_ns[a->n_lat++ % LAT_SAMPLES] = d;
        }
        ulog(ULOG_DEBUG, "annotated", "\"bundle\":%s,\"container\":%s", ulog_q(r->bundle), ulog_q(r->id));
    } else if (kind == BUNDLE_OTHER) {
        a->n_not_unikernel++;
        ulog(ULOG_DEBUG, "not-unikernel", "\"bundle\":%s", ulog_q(r->bundle));
    }
    free(json);
    return rc;
}

static void publish(struct agent *a, const struct trec *r, const char *what)
{
    char *json = NULL;
    if (a->watch.changed && a->watch.wanted(a->watch.ctx) && trec_to_json(r, &json) == 0) {
        a->watch.changed(a->watch.ctx, what, json);
        free(json);
    }
}

void agent_on_mount(struct agent *a, const struct obs_mount *m)
{
    struct ur_match mt;
    if (!m->target || !match(a, m->target, &mt))
        return;
    /* The device: from the observer when it knows it. Otherwise the target
     * must now be the root of a mount, and its device is the answer; that
     * path walk briefly pins the new mount (an umount racing it gets EBUSY),
     * which is why observers pass the device whenever they can. */
    uint32_t ma = m->major, mi = m->minor;
    uint64_t mnt_id = m->mnt_id;
    if (!m->have_dev) {
        uint64_t id = 0;
        int rc = ur_mount_root_dev(m->target, &ma, &mi, &id);
        if (rc == -EINVAL) {
            ulog(ULOG_DEBUG, "not-a-mount", "\"target\":%s", ulog_q(m->target));
            return;
        }
        if (rc < 0) {
            ulog(ULOG_DEBUG, "mount-gone", "\"target\":%s", ulog_q(m->target));
            return;
        }
        if (id)
            mnt_id = id;
    }
    struct blockdev_info bi;
    struct ur_err err;
    if (resolve_blockdev_cached(a->cfg.sysfs, ma, mi, &bi, &err) < 0) {
        ulog(ULOG_DEBUG, "not-block-backed", "\"target\":%s,\"dev\":\"%u:%u\"", ulog_q(m->target), ma, mi);
        return;
    }
    struct trec r;
    memset(&r, 0, sizeof(r));
    r.namespace_ = mt.namespace_;
    r.id = mt.id;
    r.bundle = mt.bundle;
    r.target = (char *)m->target;
    r.device = bi.device;
    r.backing = bi.backing;
    r.major = ma;
    r.minor = mi;
    r.type = ROOTFS_BLOCK;
    if (m->fstype && m->fstype[0]) {
        snprintf(r.fstype, sizeof(r.fstype), "%s", m->fstype);
    } else {
        /* statfs of the target, or of a bind's source directory (not of a device node) */
        struct statfs sfs;
        struct stat sst;
        const char *probe = !m->have_dev ? m->target
                            : (m->source && m->source[0] == '/' && stat(m->source, &sst) == 0 &&
                               S_ISDIR(sst.st_mode)) ? m->source : NULL;
        const char *n = probe && statfs(probe, &sfs) == 0 ? resolve_fstype_name((long)sfs.f_type) : NULL;
        snprintf(r.fstype, sizeof(r.fstype), "%s", n ? n : "");
    }
    snprintf(r.observed_by, sizeof(r.observed_by), "%s", m->observed_by);
    uint64_t mono = now_ns(CLOCK_MONOTONIC), real = now_ns(CLOCK_REALTIME);
    r.mount_mono_ns = m->mono_ns;
    r.observed_at_ns = m->mono_ns && m->mono_ns <= mono ? real - (mono - m->mono_ns) : real;
    r.mnt_id = mnt_id;
    r.seen = a->gen;

    struct trec *old = table_by_bundle(&a->table, mt.bundle);
    if (old && old->major == ma && old->minor == mi && !strcmp(old->target, m->target)) {
        old->seen = a->gen;
        if (old->bundle_kind != BUNDLE_UNIKERNEL || !strcmp(m->observed_by, "probe"))
            annotate(a, old); /* idempotent: writes only when the value differs */
        return;
    }
    struct trec *stored;
    if (table_put(&a->table, &r, &stored) < 0) {
        ulog(ULOG_ERROR, "out-of-memory", NULL);
        return;
    }
    a->n_mounts++;
    if (a->bpf) {
        struct ur_ckey k;
        struct ur_container v;
        to_pinned(stored, &k, &v);
        int rc = bpfobs_put_container(a->bpf, &k, &v);
        if (rc < 0)
            ulog(ULOG_WARN, "pin-map-update-failed", "\"error\":%s", ulog_q(strerror(-rc)));
    }
    int an = annotate(a, stored);
    unsigned long long lat_100ns =
        stored->mount_mono_ns ? (now_ns(CLOCK_MONOTONIC) - stored->mount_mono_ns) / 100 : 0;
    ulog(ULOG_INFO, "record-added",
         "\"namespace\":%s,\"container\":%s,\"device\":%s,\"dev\":\"%u:%u\",\"fstype\":%s,"
         "\"backing\":%s,\"observed_by\":%s,\"layout\":\"%s\",\"annotation\":\"%s\",\"latency_us\":%llu.%llu",
         ulog_q(stored->namespace_), ulog_q(stored->id), ulog_q(stored->device), ma, mi,
         ulog_q(stored->fstype), ulog_q(stored->backing), ulog_q(stored->observed_by), mt.layout,
         an == 1 ? "written" : an < 0 ? "failed" : bundle_kind_name((enum bundle_kind)stored->bundle_kind),
         lat_100ns / 10, lat_100ns % 10); /* one decimal without floating-point formatting */
    publish(a, stored, "add");
}

static void drop_record(struct agent *a, struct trec *r, const char *why)
{
    if (a->bpf) {
        struct ur_ckey k;
        struct ur_container v;
        to_pinned(r, &k, &v);
        bpfobs_del_container(a->bpf, &k);
    }
    ulog(ULOG_INFO, "record-removed", "\"namespace\":%s,\"container\":%s,\"why\":\"%s\"",
         ulog_q(r->namespace_), ulog_q(r->id), why);
    publish(a, r, "remove");
    table_remove(&a->table, r);
}

/* Is r's mount still there (target is a mount root with r's device)? */
static int still_mounted(const struct trec *r)
{
    return ur_mount_is_root_of(r->target, r->major, r->minor);
}

void agent_on_umount(struct agent *a, const char *target, uint64_t mnt_id, const char *observed_by)
{
    struct ur_match mt;
    struct trec *r = NULL;
    if (target && match(a, target, &mt))
        r = table_by_bundle(&a->table, mt.bundle);
    if (!r && mnt_id) { /* fanotify detach: only the mount id is known */
        struct trec *found = NULL;
        for (size_t i = 0; i < TABLE_BUCKETS && !found; i++)
            for (struct trec *x = a->table.by_bundle[i]; x; x = x->next_bundle)
                if (x->mnt_id == mnt_id) {
                    found = x;
                    break;
                }
        r = found;
    }
    if (!r)
        return;
    a->n_umounts++;
    if (still_mounted(r)) { /* an upper mount went away; the rootfs stays */
        ulog(ULOG_DEBUG, "umount-not-rootfs", "\"target\":%s,\"by\":\"%s\"", ulog_q(r->target), observed_by);
        return;
    }
    drop_record(a, r, "unmounted");
}

void agent_on_bundle(struct agent *a, const char *where)
{
    struct ur_match mt;
    if (!matcher_match_bundle(where, a->state_dirs, (size_t)a->cfg.n_state_dirs, &mt))
        return;
    const char *dir = mt.bundle;
    struct trec *r = table_by_bundle(&a->table, dir);
    if (r) {
        /* Our own rename shows up here too: same inode, nothing to do. */
        char path[PATH_MAX];
        struct stat st;
        snprintf(path, sizeof(path), "%.4080s/config.json", dir);
        if (r->config_ino && stat(path, &st) == 0 && (unsigned long long)st.st_ino == r->config_ino)
            return;
        if (annotate(a, r) == 1)
            ulog(ULOG_INFO, "annotated", "\"bundle\":%s,\"container\":%s,\"by\":\"bundle-watch\"",
                 ulog_q(r->bundle), ulog_q(r->id));
        return;
    }
    enum bundle_kind kind;
    struct ur_err err;
    if (bundle_classify(dir, NULL, &kind, &err) == 0) /* rootfs not mounted yet: annotations only */
        ulog(ULOG_DEBUG, "bundle-seen", "\"bundle\":%s,\"kind\":\"%s\"", ulog_q(dir), bundle_kind_name(kind));
}

struct sweep {
    struct trec **v;
    size_t n, cap;
    unsigned gen;
};

static void collect_unseen(const struct trec *r, void *arg)
{
    struct sweep *s = arg;
    if (r->seen == s->gen)
        return;
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 64;
        struct trec **nv = realloc(s->v, cap * sizeof(*nv));
        if (!nv)
            return;
        s->v = nv;
        s->cap = cap;
    }
    s->v[s->n++] = (struct trec *)r;
}

void agent_reconcile(struct agent *a, const char *why)
{
    uint64_t t0 = now_ns(CLOCK_MONOTONIC);
    size_t before = a->table.count;
    uint64_t added0 = a->n_mounts;
    a->gen++;
    a->n_reconciles++;
    struct libmnt_table *tb = mnt_new_table_from_file("/proc/self/mountinfo");
    if (!tb) {
        ulog(ULOG_ERROR, "reconcile-failed", "\"why\":\"%s\",\"error\":\"cannot read /proc/self/mountinfo\"", why);
        return;
    }
    struct libmnt_iter *it = mnt_new_iter(MNT_ITER_FORWARD);
    struct libmnt_fs *fs;
    size_t scanned = 0;
    while (it && mnt_table_next_fs(tb, it, &fs) == 0) {
        const char *t = mnt_fs_get_target(fs);
        struct ur_match mt;
        scanned++;
        if (!t || !match(a, t, &mt))
            continue;
        dev_t d = mnt_fs_get_devno(fs);
        struct obs_mount m = {
            .target = t, .fstype = mnt_fs_get_fstype(fs), .source = mnt_fs_get_source(fs),
            .major = major(d), .minor = minor(d), .have_dev = 1, .observed_by = "mountinfo",
        };
        agent_on_mount(a, &m);
    }
    mnt_free_iter(it);
    mnt_unref_table(tb);
    /* Records whose mount is gone. */
    struct sweep s = {.gen = a->gen};
    table_foreach(&a->table, collect_unseen, &s);
    size_t dropped = 0;
    for (size_t i = 0; i < s.n; i++) {
        if (still_mounted(s.v[i])) { /* mounted in a way mountinfo did not show us (other ns) */
            s.v[i]->seen = a->gen;
            continue;
        }
        drop_record(a, s.v[i], "gone at reconciliation");
        dropped++;
    }
    free(s.v);
    uint64_t added = a->n_mounts - added0;
    a->n_repaired += added + dropped;
    ulog(added || dropped ? ULOG_INFO : ULOG_DEBUG, "reconciled",
         "\"why\":\"%s\",\"mounts_scanned\":%zu,\"records_before\":%zu,\"added\":%llu,\"dropped\":%zu,\"ms\":%.2f",
         why, scanned, before, (unsigned long long)added, dropped,
         (double)(now_ns(CLOCK_MONOTONIC) - t0) / 1e6);
}

static void load_one(const struct ur_ckey *k, const struct ur_container *v, void *arg)
{
    struct agent *a = arg;
    struct ur_match mt;
    char target[sizeof(v->mount_target) + 1];
    snprintf(target, sizeof(target), "%.*s", (int)sizeof(v->mount_target) - 1, v->mount_target);
    if (!match(a, target, &mt) || strcmp(mt.namespace_, k->namespace_) || strcmp(mt.id, k->id)) {
        bpfobs_del_container(a->bpf, k);
        return;
    }
    struct trec r;
    memset(&r, 0, sizeof(r));
    r.namespace_ = mt.namespace_;
    r.id = mt.id;
    r.bundle = mt.bundle;
    r.target = target;
    char dev[sizeof(v->device) + 1], backing[sizeof(v->backing) + 1];
    snprintf(dev, sizeof(dev), "%.*s", (int)sizeof(v->device) - 1, v->device);
    snprintf(backing, sizeof(backing), "%.*s", (int)sizeof(v->backing) - 1, v->backing);
    r.device = dev;
    r.backing = backing;
    r.major = v->major;
    r.minor = v->minor;
    r.type = (enum rootfs_type)v->type;
    r.observed_at_ns = v->observed_at_ns;
    snprintf(r.fstype, sizeof(r.fstype), "%.*s", (int)sizeof(v->fstype) - 1, v->fstype);
    snprintf(r.observed_by, sizeof(r.observed_by), "%.*s", (int)sizeof(v->observed_by) - 1, v->observed_by);
    r.bundle_kind = BUNDLE_MISSING; /* re-checked (and re-annotated if needed) by the reconciliation */
    r.seen = a->gen - 1;
    table_put(&a->table, &r, NULL);
}

void agent_load_pinned(struct agent *a)
{
    if (!a->bpf)
        return;
    int n = bpfobs_each_container(a->bpf, load_one, a);
    ulog(ULOG_INFO, "pinned-table-loaded", "\"entries\":%d,\"kept\":%zu", n, a->table.count);
}

void agent_drain(struct agent *a)
{
    if (a->fan_mnt) /* mount notifications already queued */
        fanobs_on_ready(a->fan_mnt);
    if (!a->bpf)
        return;
    bpfobs_drain(a->bpf);
    struct ur_stats st;
    /* Lost: ring buffer full, or an entry the exit hook could not match. */
    if (bpfobs_stats(a->bpf, &st) == 0 && st.drops + st.inflight_full > a->last_drops) {
        ulog(ULOG_WARN, "events-dropped", "\"new\":%llu,\"total\":%llu",
             (unsigned long long)(st.drops + st.inflight_full - a->last_drops),
             (unsigned long long)(st.drops + st.inflight_full));
        a->last_drops = st.drops + st.inflight_full;
        bpfobs_drain(a->bpf);
        agent_reconcile(a, "ring buffer drops");
    }
}

const struct trec *agent_get(struct agent *a, const char *bundle, const char *ns, const char *id)
{
    agent_drain(a);
    if (bundle) {
        char b[PATH_MAX];
        size_t n = strlen(bundle);
        if (n == 0 || n >= sizeof(b))
            return NULL;
        memcpy(b, bundle, n + 1);
        while (n > 1 && b[n - 1] == '/')
            b[--n] = '\0';
        const struct trec *r = table_by_bundle(&a->table, b);
        if (r)
            return r;
        char real[PATH_MAX]; /* the caller may name it through a symlink */
        if (realpath(b, real) && strcmp(real, b) != 0) {
            if ((r = table_by_bundle(&a->table, real)))
                return r;
            snprintf(b, sizeof(b), "%s", real);
        }
        /* Not seen (dropped event, other observer): look at the rootfs itself. */
        char target[PATH_MAX + 8];
        snprintf(target, sizeof(target), "%s/rootfs", b);
        struct obs_mount m = {.target = target, .observed_by = "probe"};
        agent_on_mount(a, &m);
        return table_by_bundle(&a->table, b);
    }
    return table_by_key(&a->table, ns, id);
}

/* The k-th smallest of v[0..n) (v is reordered): quickselect, O(n) on
 * average, where a full sort of up to LAT_SAMPLES values was O(n log n) on
 * every status request. */
static uint64_t kth_smallest(uint64_t *v, size_t n, size_t k)
{
    size_t lo = 0, hi = n - 1;
    while (lo < hi) {
        uint64_t pivot = v[lo + (hi - lo) / 2];
        size_t i = lo, j = hi;
        while (i <= j) {
            while (v[i] < pivot)
                i++;
            while (v[j] > pivot)
                j--;
            if (i <= j) {
                uint64_t t = v[i];
                v[i] = v[j];
                v[j] = t;
                i++;
                if (j == 0)
                    break;
                j--;
            }
        }
        if (k <= j)
            hi = j;
        else if (k >= i)
            lo = i;
        else
            return v[k];
    }
    return v[k];
}

uint64_t agent_latency(const struct agent *a, double q)
{
    size_t n = a->n_lat < LAT_SAMPLES ? (size_t)a->n_lat : LAT_SAMPLES;
    if (n == 0)
        return 0;
    uint64_t *v = malloc(n * sizeof(*v));
    if (!v)
        return 0;
    memcpy(v, a->lat_ns, n * sizeof(*v));
    size_t i = (size_t)((q / 100.0) * (double)(n - 1) + 0.5);
    uint64_t r = kth_smallest(v, n, i < n ? i : n - 1);
    free(v);
    return r;
}

void agent_foreach(const struct agent *a, void (*fn)(const struct trec *r, void *arg), void *arg)
{
    table_foreach(&a->table, fn, arg);
}

void agent_status(const struct agent *a, struct agent_status *st)
{
    memset(st, 0, sizeof(*st));
    st->observer = a->observer ? a->observer : "none";
    st->fallback = a->fallback;
    st->pin_dir = a->cfg.pin_dir;
    st->bundle_watch = a->fan_bundle != NULL;
    st->ioctl_events = a->bpf && a->cfg.ioctl_events;
    st->records = a->table.count;
    if (a->bpf)
        bpfobs_stats(a->bpf, &st->bpf);
    st->mounts = a->n_mounts;
    st->umounts = a->n_umounts;
    st->loop_attach = a->n_loop_attach;
    st->loop_detach = a->n_loop_detach;
    st->dm_events = a->n_dm;
    st->annotated = a->n_annotated;
    st->not_unikernel = a->n_not_unikernel;
    st->unparsable = a->n_unparsable;
    st->refused = a->n_refused;
    st->reconciles = a->n_reconciles;
    st->repaired = a->n_repaired;
    st->n_lat = a->n_lat;
    st->lat_p50_ns = agent_latency(a, 50);
    st->lat_p99_ns = agent_latency(a, 99);
    st->state_dirs = a->state_dirs;
    st->n_state_dirs = a->cfg.n_state_dirs;
}

/* The sink's callbacks: an observer's report, counted, then handled. */
static void sink_seen(void *ctx, enum obs_event ev)
{
    struct agent *a = ctx;
    a->n_events++;
    if (ev == OBS_EV_LOOP_ATTACH)
        a->n_loop_attach++;
    else if (ev == OBS_EV_LOOP_DETACH)
        a->n_loop_detach++;
    else if (ev == OBS_EV_DM)
        a->n_dm++;
}

static void sink_mount(void *ctx, const struct obs_mount *m)
{
    agent_on_mount(ctx, m);
}

static void sink_umount(void *ctx, const char *target, uint64_t mnt_id, const char *observed_by)
{
    agent_on_umount(ctx, target, mnt_id, observed_by);
}

static void sink_bundle(void *ctx, const char *dir)
{
    agent_on_bundle(ctx, dir);
}

static void sink_lost(void *ctx, const char *why)
{
    agent_reconcile(ctx, why);
}

void agent_sink(struct agent *a, struct obs_sink *s)
{
    *s = (struct obs_sink){.ctx = a, .seen = sink_seen, .mount = sink_mount, .umount = sink_umount,
                           .bundle = sink_bundle, .lost = sink_lost};
}
