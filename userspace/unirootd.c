/* unirootd.c: the node agent's main: settings, observers, event loop.
 *
 * Observers, best first (--observer=auto): BPF trampolines, BPF tracepoints,
 * fanotify mount notifications (Linux 6.15+). Whatever is live, the table is
 * rebuilt at start from the pinned maps and /proc/self/mountinfo, and
 * reconciled after ring-buffer drops and every reconcile-interval seconds.
 * SIGTERM/SIGINT stop (BPF detached unless keep-observing); SIGHUP re-reads
 * the config file (log level, filter, interval) and reconciles. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mount.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "agent.h"
#include "bpfobs.h"
#include "fanobs.h"
#include "log.h"
#include "resolve.h"
#include "server.h"

static struct agent A;

struct ep_obj {
    int tag;
    int fd;
};

/* Absolute target of a relative mount/move_mount, from /proc (best effort:
 * the process may already have moved on). */
static int absolute_target(const struct ur_event *e, char *out, size_t n)
{
    char link[64], dir[PATH_MAX];
    if (!(e->flags & UR_EVF_RELATIVE)) {
        snprintf(out, n, "%s", e->target);
        return 0;
    }
    if (e->kind == UR_EV_MOVE_MOUNT && e->dfd != AT_FDCWD)
        snprintf(link, sizeof(link), "/proc/%u/fd/%d", e->pid, e->dfd);
    else
        snprintf(link, sizeof(link), "/proc/%u/cwd", e->pid);
    ssize_t r = readlink(link, dir, sizeof(dir) - 1);
    if (r <= 0)
        return -ENOENT;
    dir[r] = '\0';
    if (e->target[0])
        snprintf(out, n, "%s/%s", dir, e->target);
    else
        snprintf(out, n, "%s", dir);
    return 0;
}

static void on_bpf_event(const struct ur_event *e, void *ctx)
{
    struct agent *a = ctx;
    char target[PATH_MAX + UR_PATH_LEN];
    a->n_events++;
    switch (e->kind) {
    case UR_EV_MOUNT:
    case UR_EV_MOVE_MOUNT:
    case UR_EV_UMOUNT:
        if (absolute_target(e, target, sizeof(target)) < 0) {
            ulog(ULOG_WARN, "relative-target-lost", "\"target\":%s,\"pid\":%u", ulog_q(e->target), e->pid);
            return;
        }
        ulog(ULOG_DEBUG, e->kind == UR_EV_UMOUNT ? "umount-event" : "mount-event",
             "\"target\":%s,\"source\":%s,\"fstype\":%s,\"comm\":%s", ulog_q(target),
             ulog_q(e->source), ulog_q(e->fstype), ulog_q(e->comm));
        if (e->kind == UR_EV_UMOUNT) {
            agent_on_umount(a, target, 0, a->observer);
        } else {
            struct obs_mount m = {
                .target = target, .fstype = e->fstype, .source = e->source,
                .major = e->dev >> 20, .minor = e->dev & 0xfffff,
                .have_dev = (e->flags & UR_EVF_FROM_FD) != 0,
                .mono_ns = e->ts_ns, .observed_by = a->observer,
            };
            /* mount(2): the device from the source (a block node, or for a bind
             * or move the mount it comes from) without touching the new mount. */
            struct stat st;
            if (!m.have_dev && e->kind == UR_EV_MOUNT && e->source[0] == '/' && stat(e->source, &st) == 0) {
                dev_t d = S_ISBLK(st.st_mode) ? st.st_rdev : st.st_dev;
                m.major = major(d);
                m.minor = minor(d);
                m.have_dev = 1;
                if (!e->fstype[0] || (e->mnt_flags & (MS_BIND | MS_MOVE)))
                    m.fstype = NULL; /* a bind's fstype is its source's: not in the event */
            }
            agent_on_mount(a, &m);
        }
        break;
    case UR_EV_LOOP_ATTACH:
    case UR_EV_LOOP_DETACH: {
        int attach = e->kind == UR_EV_LOOP_ATTACH;
        attach ? a->n_loop_attach++ : a->n_loop_detach++;
        ulog(ULOG_INFO, attach ? "loop-attach" : "loop-detach",
             "\"device\":\"/dev/loop%u\",\"dev\":\"%u:%u\",\"diskseq\":%llu,\"backing_name\":%s,"
             "\"backing_ino\":%llu,\"comm\":%s",
             e->dev & 0xfffff, e->dev >> 20, e->dev & 0xfffff, (unsigned long long)e->diskseq,
             ulog_q(e->source), (unsigned long long)e->backing_ino, ulog_q(e->comm));
        break;
    }
    case UR_EV_DM: {
        /* The ioctl names the device by name or by number; the other half
         * (and the uuid) comes from sysfs once the call is done, when the
         * device still exists. */
        uint32_t ma = e->dev >> 20, mi = e->dev & 0xfffff;
        char name[160] = "", uuid[160] = "";
        struct blockdev_info bi;
        struct ur_err err;
        if ((ma || mi) && resolve_blockdev(a->cfg.sysfs, ma, mi, &bi, &err) == 0 && bi.is_dm) {
            snprintf(name, sizeof(name), "%s", bi.dm_name);
            snprintf(uuid, sizeof(uuid), "%s", bi.dm_uuid);
        } else if (e->source[0] && resolve_dm_by_name(a->cfg.sysfs, e->source, &ma, &mi, uuid, sizeof(uuid)) == 0) {
            snprintf(name, sizeof(name), "%.150s", e->source);
        }
        a->n_dm++;
        ulog(ULOG_INFO, "dm-ioctl",
             "\"cmd\":\"%s\",\"name\":%s,\"uuid\":%s,\"dev\":\"%u:%u\",\"now_name\":%s,\"now_uuid\":%s,"
             "\"now_dev\":\"%u:%u\",\"comm\":%s",
             e->dm_cmd == UR_DM_DEV_CREATE ? "create" : e->dm_cmd == UR_DM_DEV_REMOVE ? "remove"
             : e->dm_cmd == UR_DM_TABLE_LOAD ? "table-load"
             : (e->mnt_flags & 2) ? "suspend" : "resume",
             ulog_q(e->source), ulog_q(e->target), e->dev >> 20, e->dev & 0xfffff, ulog_q(name),
             ulog_q(uuid), name[0] ? ma : 0, name[0] ? mi : 0, ulog_q(e->comm));
        break;
    }
    default:
        break;
    }
}

static int add_fd(int ep, struct ep_obj *o)
{
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = o};
    return epoll_ctl(ep, EPOLL_CTL_ADD, o->fd, &ev);
}

static int set_timer(int tfd, int seconds)
{
    struct itimerspec its = {{seconds, 0}, {seconds, 0}};
    return timerfd_settime(tfd, 0, &its, NULL);
}

/* Start the observer asked for; fills A.observer / A.fallback. */
static int start_observer(int ep, struct ep_obj *rb, struct ur_err *err)
{
    enum observer_kind want = A.cfg.observer;
    int rc = -ENOTSUP;
    char why[512] = "";
    if (want != OBS_FANOTIFY) {
        rc = bpfobs_open(&A.cfg, want, on_bpf_event, &A, &A.bpf, err);
        if (rc == 0) {
            A.observer = bpfobs_backend(A.bpf);
            snprintf(A.fallback, sizeof(A.fallback), "%s", bpfobs_fallback_reason(A.bpf));
            rb->tag = EP_RINGBUF;
            rb->fd = bpfobs_fd(A.bpf);
            if (add_fd(ep, rb) < 0)
                return ur_errf_sys(err, -errno, "epoll");
            return 0;
        }
        if (want != OBS_AUTO)
            return rc;
        snprintf(why, sizeof(why), "bpf: %.400s", err->msg);
    }
    rc = fanobs_mount_open(&A, ep, &A.fan_mnt, err);
    if (rc == 0) {
        A.observer = "fanotify";
        snprintf(A.fallback, sizeof(A.fallback), "%s", why);
        return 0;
    }
    if (why[0])
        ur_err_wrap(err, "%s; fanotify", why);
    return rc;
}

/* A state dir given through a symlink (/var/run -> /run) is also watched
 * under its real path: mount targets carry whichever path the shim used. */
static void add_real_state_dirs(void)
{
    int n = A.cfg.n_state_dirs;
    for (int i = 0; i < n && A.cfg.n_state_dirs < CFG_MAX_STATE_DIRS; i++) {
        char real[PATH_MAX];
        if (!realpath(A.cfg.state_dirs[i], real) || !strcmp(real, A.cfg.state_dirs[i]) ||
            strlen(real) + 2 > UR_PREFIX_LEN)
            continue;
        int dup = 0;
        for (int j = 0; j < A.cfg.n_state_dirs; j++)
            dup |= !strcmp(real, A.cfg.state_dirs[j]);
        if (!dup)
            snprintf(A.cfg.state_dirs[A.cfg.n_state_dirs++], CFG_PATH, "%s", real);
    }
}

static void print_config(void)
{
    printf("config-file = %s\nobserver = %s\nsocket = %s\npin-dir = %s\nblock-only = %s\n"
           "bundle-watch = %s\nkeep-observing = %s\nioctl-events = %s\nreconcile-interval = %d\nringbuf-kib = %d\n",
           A.cfg.config_file, observer_kind_name(A.cfg.observer), A.cfg.socket_path, A.cfg.pin_dir,
           A.cfg.block_only ? "yes" : "no", A.cfg.bundle_watch ? "yes" : "no",
           A.cfg.keep_observing ? "yes" : "no", A.cfg.ioctl_events ? "yes" : "no", A.cfg.reconcile_interval,
           A.cfg.ringbuf_kib);
    for (int i = 0; i < A.cfg.n_state_dirs; i++)
        printf("state-dir = %s\n", A.cfg.state_dirs[i]);
}

/* SIGHUP: re-read settings that can change live. */
static void reload(int tfd)
{
    struct agent_config c;
    struct ur_err err;
    char *argv[] = {"unirootd", "--config", A.cfg.config_file, NULL};
    if (config_load(&c, 3, argv, &err) != 0) {
        ulog(ULOG_ERROR, "reload-failed", "\"error\":%s", ulog_q(err.msg));
        return;
    }
    A.cfg.log_level = c.log_level;
    ulog_set_level(c.log_level);
    A.cfg.reconcile_interval = c.reconcile_interval;
    set_timer(tfd, c.reconcile_interval);
    ulog(ULOG_INFO, "reloaded", "\"config\":%s", ulog_q(A.cfg.config_file));
    agent_reconcile(&A, "SIGHUP");
}

int main(int argc, char **argv)
{
    struct ur_err err;
    ur_err_clear(&err);
    int rc = config_load(&A.cfg, argc, argv, &err);
    if (rc == 1)
        return 0;
    if (rc < 0) {
        fprintf(stderr, "unirootd: %s\n", err.msg);
        return 2;
    }
    ulog_set_level(A.cfg.log_level);
    if (A.cfg.check_config) {
        print_config();
        return 0;
    }
    if (A.cfg.cleanup_only) {
        if (bpfobs_cleanup_pins(A.cfg.pin_dir, &err) < 0) {
            fprintf(stderr, "unirootd: %s\n", err.msg);
            return 1;
        }
        return 0;
    }
    add_real_state_dirs();
    agent_init(&A, &err);

    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGTERM);
    sigaddset(&mask, SIGINT);
    sigaddset(&mask, SIGHUP);
    sigprocmask(SIG_BLOCK, &mask, NULL);
    signal(SIGPIPE, SIG_IGN);
    int ep = epoll_create1(EPOLL_CLOEXEC);
    struct ep_obj sig = {EP_SIGNAL, signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK)};
    struct ep_obj tim = {EP_TIMER, timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK)};
    struct ep_obj rb = {0, -1};
    if (ep < 0 || sig.fd < 0 || tim.fd < 0 || add_fd(ep, &sig) < 0 || add_fd(ep, &tim) < 0) {
        fprintf(stderr, "unirootd: event loop setup: %s\n", strerror(errno));
        return 1;
    }
    if ((rc = start_observer(ep, &rb, &err)) < 0) {
        fprintf(stderr, "unirootd: no observer could start: %s\n", err.msg);
        return 1;
    }
    ulog(ULOG_INFO, "observer", "\"live\":\"%s\",\"requested\":\"%s\",\"fallback_reason\":%s",
         A.observer, observer_kind_name(A.cfg.observer), ulog_q(A.fallback));

    /* Rebuild: pinned table, events queued while no agent ran, then mountinfo. */
    agent_load_pinned(&A);
    if (A.bpf) {
        bpfobs_drain(A.bpf);
        struct ur_stats st;
        if (bpfobs_stats(A.bpf, &st) == 0)
            A.last_drops = st.drops + st.inflight_full;
    }
    agent_reconcile(&A, "start");

    if (A.cfg.bundle_watch) {
        rc = fanobs_bundle_open(&A, ep, &A.fan_bundle, &err);
        if (rc < 0)
            ulog(ULOG_WARN, "bundle-watch-unavailable", "\"error\":%s", ulog_q(err.msg));
    }
    if ((rc = server_open(&A, A.cfg.socket_path, ep, &A.srv, &err)) < 0) {
        fprintf(stderr, "unirootd: %s\n", err.msg);
        bpfobs_close(A.bpf, true);
        return 1;
    }
    set_timer(tim.fd, A.cfg.reconcile_interval);
    ulog(ULOG_INFO, "ready", "\"socket\":%s,\"records\":%zu,\"pid\":%d", ulog_q(A.cfg.socket_path),
         A.table.count, (int)getpid());

    while (!A.stop) {
        struct epoll_event evs[32];
        int n = epoll_wait(ep, evs, 32, -1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            ulog(ULOG_ERROR, "epoll-failed", "\"error\":%s", ulog_q(strerror(errno)));
            break;
        }
        ulog_hold(); /* this batch's log lines go out in one write, below */
        for (int i = 0; i < n; i++) {
            int tag = *(int *)evs[i].data.ptr;
            switch (tag) {
            case EP_RINGBUF:
                agent_drain(&A);
                break;
            case EP_SIGNAL: {
                struct signalfd_siginfo si;
                while (read(sig.fd, &si, sizeof(si)) == sizeof(si)) {
                    if (si.ssi_signo == SIGHUP)
                        A.reload = 1;
                    else
                        A.stop = 1;
                }
                break;
            }
            case EP_TIMER: {
                uint64_t ticks;
                if (read(tim.fd, &ticks, sizeof(ticks)) > 0)
                    agent_reconcile(&A, "interval");
                break;
            }
            case EP_FANOTIFY:
                fanobs_on_ready(evs[i].data.ptr);
                break;
            case EP_LISTEN:
            case EP_CLIENT:
                server_on_ready(A.srv, evs[i].data.ptr, evs[i].events);
                break;
            }
        }
        server_reap(A.srv);
        if (A.reload) {
            A.reload = 0;
            reload(tim.fd);
        }
        ulog_flush();
    }
    ulog_flush();
    ulog(ULOG_INFO, "stopping", "\"records\":%zu,\"keep_observing\":%s", A.table.count,
         A.cfg.keep_observing ? "true" : "false");
    server_close(A.srv);
    fanobs_close(A.fan_mnt);
    fanobs_close(A.fan_bundle);
    bpfobs_close(A.bpf, !A.cfg.keep_observing);
    agent_fini(&A);
    return 0;
}
