/* ctrstate.c: reading a container's state.json as hostile input, its
 * decision (recorded, or rebuilt from an older state), and what the
 * container is now (see ctrstate.h). */
#include "ctrstate.h"
#include "fileio.h"
#include "procstat.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int ur_ctr_id_check(const char *id, struct ur_err *err)
{
    size_t n = strlen(id);
    if (n == 0 || n > UR_CTR_ID_MAX)
        return ur_errf(err, -EINVAL, "invalid container id \"%s\" (length)", id);
    if (strcmp(id, ".") == 0 || strcmp(id, "..") == 0)
        return ur_errf(err, -EINVAL, "invalid container id \"%s\"", id);
    for (const char *p = id; *p; p++) {
        char ch = *p;
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '_' || ch == '-' || ch == '.' || ch == '+'))
            return ur_errf(err, -EINVAL, "invalid container id \"%s\": only letters, digits, "
                                         "'_', '-', '.', '+' are allowed", id);
    }
    return 0;
}

/* A string member (NULL -> "" when absent); -EBADMSG when it is not one. */
static int str_member(const cJSON *o, const char *key, const char **dst, struct ur_err *err)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    *dst = "";
    if (!v)
        return 0;
    if (!cJSON_IsString(v) || !v->valuestring)
        return ur_errf(err, -EBADMSG, "\"%s\" is not a string", key);
    *dst = v->valuestring;
    return 0;
}

/* A whole-number member in [min, max] (dflt when absent). */
static int num_member(const cJSON *o, const char *key, long long min, long long max,
                      long long dflt, long long *dst, struct ur_err *err)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    *dst = dflt;
    if (!v)
        return 0;
    double d = cJSON_IsNumber(v) ? v->valuedouble : (double)min - 1;
    if (!(d >= (double)min && d <= (double)max) || (double)(long long)d != d)
        return ur_errf(err, -EBADMSG, "\"%s\" is not a whole number from %lld to %lld", key, min, max);
    *dst = (long long)d;
    return 0;
}

/* The string value of annotation key, or "". */
static const char *annotation(const struct ur_ctr_state *s, const char *key)
{
    const char *v = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(s->annotations, key));
    return v ? v : "";
}

/* A state written before "decision" existed: what its annotations and the
 * monitor's command line say (version 0; net devices and major:minor were
 * not recorded then). */
static void decision_rebuild(struct ur_ctr_state *s, const char *hypervisor)
{
    struct ur_decision *d = &s->decision;
    snprintf(d->hypervisor, sizeof(d->hypervisor), "%s", hypervisor);
    snprintf(d->outcome, sizeof(d->outcome), "%s", annotation(s, "dev.uniroot.rootfs.outcome"));
    snprintf(d->source, sizeof(d->source), "%s", annotation(s, "dev.uniroot.rootfs.source"));
    snprintf(d->device, sizeof(d->device), "%s", annotation(s, "dev.uniroot.rootfs.path"));
    snprintf(d->reason, sizeof(d->reason), "%s", annotation(s, "dev.uniroot.rootfs.reason"));
    snprintf(d->trace, sizeof(d->trace), "%s", annotation(s, "dev.uniroot.rootfs.trace"));
    if (!d->source[0])
        snprintf(d->source, sizeof(d->source), "none");
    const char *cmd = s->vmm_cmdline, *sp = strchr(cmd, ' ');
    snprintf(d->monitor, sizeof(d->monitor), "%.*s", (int)(sp ? (size_t)(sp - cmd) : strlen(cmd)), cmd);
    const char *mem = strstr(cmd, " --mem=");
    unsigned long long mb = mem ? strtoull(mem + 7, NULL, 10) : 0;
    d->mem_mb = mb <= UINT32_MAX ? mb : 0; /* what the decoder takes; more is no monitor's */
}

/* The members of uniroot's own state that are read here. */
static int our_members(const cJSON *o, struct ur_ctr_state *s, const char **hv, struct ur_err *err)
{
    int rc;
    if ((rc = str_member(o, "status", &s->status, err)) < 0 ||
        (rc = str_member(o, "bundle", &s->bundle, err)) < 0 ||
        (rc = str_member(o, "rootfs", &s->rootfs, err)) < 0 ||
        (rc = str_member(o, "created", &s->created, err)) < 0 ||
        (rc = str_member(o, "vmm_cmdline", &s->vmm_cmdline, err)) < 0 ||
        (rc = str_member(o, "hypervisor", hv, err)) < 0 ||
        (rc = num_member(o, "pid", 0, INT32_MAX, 0, &s->pid, err)) < 0 ||
        (rc = num_member(o, "pid_start", 0, INT64_MAX / 2, 0, &s->pid_start, err)) < 0 ||
        (rc = num_member(o, "exit_status", -1, 255, -1, &s->exit_status, err)) < 0)
        return rc;
    s->annotations = cJSON_GetObjectItemCaseSensitive(o, "annotations");
    if (s->annotations && !cJSON_IsObject(s->annotations))
        return ur_errf(err, -EBADMSG, "\"annotations\" is not an object");
    return 0;
}

int ur_ctr_state_parse(const char *json, struct ur_ctr_state *s, struct ur_err *err)
{
    memset(s, 0, sizeof(*s));
    s->id = s->status = s->bundle = s->rootfs = s->created = s->vmm_cmdline = "";
    s->exit_status = -1;
    s->doc = cJSON_ParseWithOpts(json, NULL, 1);
    if (!cJSON_IsObject(s->doc)) {
        ur_ctr_state_free(s);
        return ur_errf(err, -EBADMSG, "state.json is not a JSON object");
    }
    const cJSON *o = s->doc;
    s->ours = cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(o, "uniroot"));
    const char *hv = "";
    int rc = str_member(o, "id", &s->id, err);
    if (rc == 0 && !s->ours) /* runc's: its id and init pid are all we read */
        rc = num_member(o, "init_process_pid", 0, INT32_MAX, 0, &s->pid, err);
    if (rc == 0 && s->ours)
        rc = our_members(o, s, &hv, err);
    if (rc == 0 && s->ours) {
        const cJSON *d = cJSON_GetObjectItemCaseSensitive(o, "decision");
        if (d)
            rc = ur_decision_from_json(d, &s->decision, err);
        else
            decision_rebuild(s, hv);
    }
    if (rc < 0) {
        ur_err_wrap(err, "state.json");
        ur_ctr_state_free(s);
    }
    return rc;
}

int ur_ctr_state_read(const char *root, const char *id, struct ur_ctr_state *s, struct ur_err *err)
{
    memset(s, 0, sizeof(*s));
    int rc = ur_ctr_id_check(id, err);
    if (rc < 0)
        return rc;
    int rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (rootfd < 0)
        return errno == ENOENT ? ur_errf(err, -ENOENT, "no container \"%s\": %s does not exist", id, root)
                               : ur_errf_sys(err, -errno, "cannot open the state root %s", root);
    int dirfd = openat(rootfd, id, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    int e = errno;
    close(rootfd);
    if (dirfd < 0 && e == ENOENT)
        return ur_errf(err, -ENOENT, "no container \"%s\" in %s", id, root);
    if (dirfd < 0 && (e == ENOTDIR || e == ELOOP))
        return ur_errf(err, -EBADMSG, "%s/%s is not a directory (a symlink or a file): refused", root, id);
    if (dirfd < 0)
        return ur_errf_sys(err, -e, "cannot open %s/%s", root, id);
    int fd = openat(dirfd, "state.json", O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    e = errno;
    close(dirfd);
    if (fd < 0 && e == ENOENT)
        return ur_errf(err, -ENODATA, "%s/%s has no state.json", root, id);
    if (fd < 0 && e == ELOOP)
        return ur_errf(err, -EBADMSG, "%s/%s/state.json is a symlink: refused", root, id);
    if (fd < 0)
        return ur_errf_sys(err, -e, "cannot open %s/%s/state.json", root, id);
    char path[64 + UR_CTR_ID_MAX], *text = NULL;
    size_t len = 0;
    snprintf(path, sizeof(path), "%s/state.json", id);
    rc = ur_read_fd(fd, path, UR_CTR_STATE_MAX, &text, &len, err);
    close(fd);
    if (rc < 0)
        return rc == -EINVAL ? -EBADMSG : rc; /* not a regular file */
    if (strlen(text) != len)
        rc = ur_errf(err, -EBADMSG, "state.json holds a NUL byte");
    else
        rc = ur_ctr_state_parse(text, s, err);
    free(text);
    if (rc == 0 && s->id[0] && strcmp(s->id, id) != 0) {
        rc = ur_errf(err, -EBADMSG, "state.json names container \"%.256s\"", s->id);
        ur_ctr_state_free(s);
    }
    if (rc < 0)
        ur_err_wrap(err, "container \"%s\" in %s", id, root);
    return rc;
}

void ur_ctr_state_free(struct ur_ctr_state *s)
{
    cJSON_Delete(s->doc);
    s->doc = NULL;
    s->annotations = NULL;
    s->id = s->status = s->bundle = s->rootfs = s->created = s->vmm_cmdline = "";
}

const char *ur_ctr_status(const char *stored, long long pid, long long pid_start, int *exit_status)
{
    if (!stored || !stored[0])
        return "stopped";
    if (strcmp(stored, "stopped") == 0 || strcmp(stored, "creating") == 0)
        return stored;
    struct ur_proc_info pi;
    ur_proc_inspect((pid_t)pid, (unsigned long long)pid_start, &pi);
    if (!pi.alive) {
        if (pi.exit_status >= 0)
            *exit_status = pi.exit_status;
        return "stopped";
    }
    if (pi.stopped || strcmp(stored, "paused") == 0)
        return "paused";
    return stored;
}
