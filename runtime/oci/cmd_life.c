/* cmd_life.c: start, kill, delete, pause, resume. Each locks the container's
 * state directory; commands on a container that is not ours (runc's) are
 * handed to runc. */
#include "backend.h"
#include "cgroup.h"
#include "oci.h"
#include "state.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Open id for a command: 1 = ours and locked, 0 = handed off (never returns
 * then, unless the hand-off failed: negative). */
static int open_or_handoff(struct ctx *c, const char *id, struct cstate *cs, struct ur_err *err)
{
    int rc = state_open(c, id, cs, err);
    if (rc == -EMEDIUMTYPE)
        return handoff_runc(c, err);
    return rc < 0 ? rc : 1;
}

static const char *one_id(int argc, char **argv, int i, const char *cmd, struct ur_err *err)
{
    if (i >= argc) {
        ur_errf(err, -EINVAL, "%s: a container id is required", cmd);
        return NULL;
    }
    return argv[i];
}

/* For a backend's start: has the container's monitor died? */
static bool monitor_gone(void *arg)
{
    return strcmp(state_status(arg), "stopped") == 0;
}

int start_container(struct ctx *c, const char *id, struct ur_err *err)
{
    struct cstate cs;
    int rc = open_or_handoff(c, id, &cs, err);
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

int cmd_start(struct ctx *c, int argc, char **argv, struct ur_err *err)
{
    const char *id = one_id(argc, argv, 0, "start", err);
    return id ? start_container(c, id, err) : -EINVAL;
}

int cmd_kill(struct ctx *c, int argc, char **argv, struct ur_err *err)
{
    bool all = false;
    const struct opt tbl[] = {{"all", 'a', OPT_FLAG, &all}, {NULL, 0, 0, NULL}};
    int i = 0, rc;
    if ((rc = opts_parse(argc, argv, &i, tbl, err)) < 0)
        return rc;
    const char *id = one_id(argc, argv, i, "kill", err);
    if (!id)
        return -EINVAL;
    int sig = SIGTERM;
    if (i + 1 < argc && (sig = signal_parse(argv[i + 1])) < 0)
        return ur_errf(err, -EINVAL, "kill: unknown signal \"%s\"", argv[i + 1]);
    struct cstate cs;
    if ((rc = open_or_handoff(c, id, &cs, err)) < 0)
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

int delete_container(struct ctx *c, const char *id, bool force, struct ur_err *err)
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
    const cJSON *cg = cJSON_GetObjectItemCaseSensitive(cs.j, "cgroups");
    if (cg)
        cgroup_remove(cg);
    log_debug("deleted %s", id);
    return state_remove(&cs, err);
}

int cmd_delete(struct ctx *c, int argc, char **argv, struct ur_err *err)
{
    bool force = false;
    const struct opt tbl[] = {{"force", 'f', OPT_FLAG, &force}, {NULL, 0, 0, NULL}};
    int i = 0, rc;
    if ((rc = opts_parse(argc, argv, &i, tbl, err)) < 0)
        return rc;
    const char *id = one_id(argc, argv, i, "delete", err);
    if (!id)
        return -EINVAL;
    if ((rc = state_check_id(id, err)) < 0)
        return rc;
    return delete_container(c, id, force, err);
}

/* pause/resume: the VMM (and so the guest) is stopped and continued. */
static int pause_resume(struct ctx *c, int argc, char **argv, bool pause, struct ur_err *err)
{
    const char *id = one_id(argc, argv, 0, pause ? "pause" : "resume", err);
    if (!id)
        return -EINVAL;
    struct cstate cs;
    int rc = open_or_handoff(c, id, &cs, err);
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

int cmd_pause(struct ctx *c, int argc, char **argv, struct ur_err *err)
{
    return pause_resume(c, argc, argv, true, err);
}

int cmd_resume(struct ctx *c, int argc, char **argv, struct ur_err *err)
{
    return pause_resume(c, argc, argv, false, err);
}
