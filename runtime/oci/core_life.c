/* core_life.c: start, kill, delete, pause/resume and run. Each locks the
 * container's state directory; a container that is not ours (runc's) is
 * handed to runc. start is the backend's (the container records which). */
#include "backend.h"
#include "cgroup.h"
#include "core.h"
#include "state.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

int core_open(struct ctx *c, const char *id, struct cstate *cs, struct ur_err *err)
{
    int rc = state_open(c, id, cs, err);
    if (rc == -EMEDIUMTYPE)
        return handoff_runc(c, err);
    return rc < 0 ? rc : 1;
}

/* For a backend's start: has the container's monitor died? */
static bool monitor_gone(void *arg)
{
    return strcmp(state_status(arg), "stopped") == 0;
}

int core_start(struct ctx *c, const char *id, struct ur_err *err)
{
    struct cstate cs;
    int rc = core_open(c, id, &cs, err);
    if (rc < 0)
        return rc;
    const char *status = state_status(&cs);
    if (strcmp(status, "created") != 0) {
        rc = ur_errf(err, -EINVAL, "cannot start a container that is %s", status);
        goto out;
    }
    /* containers created before the backends were recorded ran on hvt */
    const char *hv = state_str(&cs, "hypervisor");
    const struct backend *be = backend_find(hv ? hv : "hvt");
    if (!be) {
        rc = ur_errf(err, -EINVAL, "container %s runs on unknown hypervisor \"%s\"", id, hv);
        goto out;
    }
    if ((rc = be->start(be, id, cs.dir, monitor_gone, &cs, err)) < 0)
        goto out;
    state_set_str(&cs, "status", "running");
    rc = state_save(&cs, err);
    log_debug("started %s", id);
out:
    state_close(&cs);
    return rc;
}

int core_kill(struct ctx *c, const char *id, int sig, bool all, struct ur_err *err)
{
    struct cstate cs;
    int rc = core_open(c, id, &cs, err);
    if (rc < 0)
        return rc;
    const char *status = state_status(&cs);
    pid_t pid = (pid_t)state_num(&cs, "pid", 0);
    rc = 0;
    if (strcmp(status, "stopped") == 0 || pid <= 0) {
        if (!all)
            rc = ur_errf(err, -ESRCH, "container not running");
    } else if (kill(all ? -pid : pid, sig) < 0 && !(all && errno == ESRCH)) {
        rc = errno == ESRCH ? ur_errf(err, -ESRCH, "container not running")
                            : ur_errf_sys(err, -errno, "cannot signal container %s", id);
    } else {
        log_debug("sent signal %d to %s (pid %d%s)", sig, id, (int)pid, all ? ", all" : "");
    }
    state_close(&cs);
    return rc;
}

/* Wait until the VMM no longer runs (dead or a zombie), up to ms. */
static bool wait_gone(struct cstate *cs, int ms)
{
    for (int i = 0; i < ms; i++) {
        if (strcmp(state_status(cs), "stopped") == 0)
            return true;
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
    }
    return false;
}

int core_delete(struct ctx *c, const char *id, bool force, struct ur_err *err)
{
    struct cstate cs;
    int rc = state_open(c, id, &cs, err);
    if (rc == -ENOENT)
        return 0; /* already deleted: delete is idempotent */
    if (rc == -EMEDIUMTYPE)
        return handoff_runc(c, err);
    if (rc < 0)
        return rc;
    const char *status = state_status(&cs);
    pid_t pid = (pid_t)state_num(&cs, "pid", 0);
    if (strcmp(status, "stopped") != 0 && strcmp(status, "creating") != 0) {
        if (!force && strcmp(status, "created") != 0) {
            rc = ur_errf(err, -EBUSY, "cannot delete container %s that is not stopped: %s", id, status);
            state_close(&cs);
            return rc;
        }
        kill(-pid, SIGKILL);
        kill(pid, SIGKILL);
        kill(pid, SIGCONT);
        if (!wait_gone(&cs, 5000)) {
            rc = ur_errf(err, -EBUSY, "container %s: its VMM (pid %d) did not die", id, (int)pid);
            state_close(&cs);
            return rc;
        }
    }
    if ((rc = core_net_undo(cs.dirfd, err)) < 0) {
        state_close(&cs); /* kept: a delete again retries the undo */
        return rc;
    }
    const cJSON *cg = cJSON_GetObjectItemCaseSensitive(cs.j, "cgroups");
    if (cg)
        cgroup_remove(cg);
    log_debug("deleted %s", id);
    return state_remove(&cs, err);
}

int core_pause(struct ctx *c, const char *id, bool pause, struct ur_err *err)
{
    struct cstate cs;
    int rc = core_open(c, id, &cs, err);
    if (rc < 0)
        return rc;
    const char *status = state_status(&cs);
    pid_t pid = (pid_t)state_num(&cs, "pid", 0);
    if (pause && strcmp(status, "running") != 0)
        rc = ur_errf(err, -EINVAL, "container not running");
    else if (!pause && strcmp(status, "paused") != 0)
        rc = ur_errf(err, -EINVAL, "container not paused");
    else if (kill(-pid, pause ? SIGSTOP : SIGCONT) < 0)
        rc = ur_errf_sys(err, -errno, "cannot %s container %s", pause ? "pause" : "resume", id);
    else {
        state_set_str(&cs, "status", pause ? "paused" : "running");
        rc = state_save(&cs, err);
    }
    state_close(&cs);
    return rc;
}

static volatile pid_t forward_to;
static void forward(int sig)
{
    if (forward_to > 0)
        kill(forward_to, sig);
}

int core_run(struct ctx *c, const char *id, const struct core_create_opts *o, bool detach, bool keep,
             struct ur_err *err)
{
    pid_t vmm;
    int rc;
    if ((rc = core_create(c, id, o, &vmm, err)) < 0)
        return rc;
    /* run's caller signals us; the guest is to get it */
    forward_to = vmm;
    struct sigaction sa = {.sa_handler = forward};
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    if ((rc = core_start(c, id, err)) < 0) {
        struct ur_err e2;
        core_delete(c, id, true, &e2);
        return rc;
    }
    if (detach)
        return 0;
    int st;
    while (waitpid(vmm, &st, 0) < 0) {
        if (errno != EINTR)
            return ur_errf_sys(err, -errno, "waitpid");
    }
    int status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    struct cstate cs;
    if (state_open(c, id, &cs, err) == 0) {
        state_set_num(&cs, "exit_status", status);
        state_set_str(&cs, "status", "stopped");
        state_save(&cs, err);
        state_close(&cs);
    }
    if (!keep && (rc = core_delete(c, id, false, err)) < 0)
        return rc;
    return status;
}
