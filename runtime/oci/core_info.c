/* core_info.c: what a container is now: its OCI state object (learning the
 * exit status from the monitor's zombie, and keeping it), the state of every
 * container in --root (runc's through `runc state`), and its monitor's pid. */
#include "core.h"
#include "state.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* The OCI state object of one of our containers (caller frees). */
static cJSON *oci_state(struct cstate *cs)
{
    const char *status = state_status(cs);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "ociVersion", UNIROOT_OCI_VERSION);
    cJSON_AddStringToObject(o, "id", cs->id);
    cJSON_AddNumberToObject(o, "pid", strcmp(status, "stopped") == 0 ? 0 : state_num(cs, "pid", 0));
    cJSON_AddStringToObject(o, "status", status);
    cJSON_AddStringToObject(o, "bundle", state_str(cs, "bundle") ? state_str(cs, "bundle") : "");
    cJSON_AddStringToObject(o, "rootfs", state_str(cs, "rootfs") ? state_str(cs, "rootfs") : "");
    cJSON_AddStringToObject(o, "created", state_str(cs, "created") ? state_str(cs, "created") : "");
    cJSON_AddStringToObject(o, "owner", "");
    long long es = state_num(cs, "exit_status", -1);
    if (es >= 0)
        cJSON_AddNumberToObject(o, "exitStatus", (double)es);
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(cs->j, "annotations");
    if (a)
        cJSON_AddItemToObject(o, "annotations", cJSON_Duplicate(a, 1));
    if (cs->learnt) /* keep the exit status once the zombie is reaped */
        state_save(cs, NULL);
    return o;
}

int core_state(struct ctx *c, const char *id, cJSON **out, struct ur_err *err)
{
    struct cstate cs;
    int rc = core_open(c, id, &cs, err);
    if (rc < 0)
        return rc;
    *out = oci_state(&cs);
    state_close(&cs);
    return *out ? 0 : ur_errf(err, -ENOMEM, "out of memory");
}

/* The state of a runc container in the same root, through `runc state`. */
static cJSON *runc_state(const struct ctx *c, const char *id)
{
    int p[2];
    if (pipe2(p, O_CLOEXEC) < 0)
        return NULL;
    pid_t pid = fork();
    if (pid == 0) {
        dup2(p[1], 1);
        int null = open("/dev/null", O_WRONLY);
        dup2(null, 2);
        execlp(c->runc_path, c->runc_path, "--root", c->root, "state", id, (char *)NULL);
        _exit(127);
    }
    close(p[1]);
    char buf[65536];
    size_t len = 0;
    ssize_t n;
    while (pid > 0 && len < sizeof(buf) - 1 && (n = read(p[0], buf + len, sizeof(buf) - 1 - len)) > 0)
        len += (size_t)n;
    close(p[0]);
    buf[len] = '\0';
    if (pid > 0)
        waitpid(pid, NULL, 0);
    return cJSON_Parse(buf);
}

int core_list(struct ctx *c, cJSON **out, struct ur_err *err)
{
    cJSON *all = cJSON_CreateArray();
    if (!all)
        return ur_errf(err, -ENOMEM, "out of memory");
    DIR *d = opendir(c->root);
    struct dirent *e;
    while (d && (e = readdir(d))) {
        if (e->d_name[0] == '.' || state_check_id(e->d_name, NULL) < 0)
            continue;
        struct cstate cs;
        cJSON *o = NULL;
        int rc = state_open(c, e->d_name, &cs, NULL);
        if (rc == 0) {
            o = oci_state(&cs);
            state_close(&cs);
        } else if (rc == -EMEDIUMTYPE) {
            o = runc_state(c, e->d_name);
        }
        if (o)
            cJSON_AddItemToArray(all, o);
    }
    if (d)
        closedir(d);
    *out = all;
    return 0;
}

int core_pid(struct ctx *c, const char *id, pid_t *pid, struct ur_err *err)
{
    struct cstate cs;
    int rc = core_open(c, id, &cs, err);
    if (rc < 0)
        return rc;
    bool alive = strcmp(state_status(&cs), "stopped") != 0;
    *pid = alive ? (pid_t)state_num(&cs, "pid", 0) : 0;
    state_close(&cs);
    return 0;
}
