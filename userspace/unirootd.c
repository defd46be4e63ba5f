/* unirootd.c: the node agent's main: settings, observers, event loop.
 *
 * Observers, best first (--observer=auto): BPF trampolines, BPF tracepoints,
 * fanotify mount notifications (Linux 6.15+). Whatever is live, the table is
 * rebuilt at start from the pinned maps and /proc/self/mountinfo, and
 * reconciled after ring-buffer drops and every reconcile-interval seconds.
 * Every observer reports to the agent through one sink (sink.h, filled by
 * agent_sink); the server hears of changes through the agent's watch hook.
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
#include "server.h"
#include "sink.h"

static struct agent A;
static struct server *srv;
static struct obs_sink sink; /* the agent's, handed to every observer */

struct ep_obj {
    int tag;
    int fd;
};

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
        rc = bpfobs_open(&A.cfg, want, &sink, &A.bpf, err);
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
    rc = fanobs_mount_open(&sink, ep, &A.fan_mnt, err);
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
    agent_sink(&A, &sink);

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
        rc = fanobs_bundle_open(&sink, A.state_dirs, A.cfg.n_state_dirs, ep, &A.fan_bundle, &err);
        if (rc < 0)
            ulog(ULOG_WARN, "bundle-watch-unavailable", "\"error\":%s", ulog_q(err.msg));
    }
    if ((rc = server_open(&A, A.cfg.socket_path, ep, &srv, &err)) < 0) {
        fprintf(stderr, "unirootd: %s\n", err.msg);
        bpfobs_close(A.bpf, true);
        return 1;
    }
    server_watch(srv, &A.watch);
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
                server_on_ready(srv, evs[i].data.ptr, evs[i].events);
                break;
            }
        }
        server_reap(srv);
        if (A.reload) {
            A.reload = 0;
            reload(tim.fd);
        }
        ulog_flush();
    }
    ulog_flush();
    ulog(ULOG_INFO, "stopping", "\"records\":%zu,\"keep_observing\":%s", A.table.count,
         A.cfg.keep_observing ? "true" : "false");
    A.watch = (struct agent_watch){0};
    server_close(srv);
    fanobs_close(A.fan_mnt);
    fanobs_close(A.fan_bundle);
    bpfobs_close(A.bpf, !A.cfg.keep_observing);
    agent_fini(&A);
    return 0;
}
