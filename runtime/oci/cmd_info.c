/* cmd_info.c: state, list, ps, features, spec, exec and the commands that
 * have no meaning for a unikernel. */
#include "backend.h"
#include "fileio.h"
#include "oci.h"
#include "rootfs.h"
#include "state.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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
    return o;
}

static int print_json(cJSON *o, bool pretty)
{
    char *s = pretty ? cJSON_Print(o) : cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    if (!s)
        return -ENOMEM;
    printf("%s\n", s);
    cJSON_free(s);
    return 0;
}

int cmd_state(struct ctx *c, int argc, char **argv, struct ur_err *err)
{
    if (argc < 1)
        return ur_errf(err, -EINVAL, "state: a container id is required");
    struct cstate cs;
    int rc = state_open(c, argv[0], &cs, err);
    if (rc == -EMEDIUMTYPE)
        return handoff_runc(c, err);
    if (rc < 0)
        return rc;
    rc = print_json(oci_state(&cs), true);
    if (cs.learnt) /* keep the exit status once the zombie is reaped */
        state_save(&cs, NULL);
    state_close(&cs);
    return rc < 0 ? ur_errf(err, rc, "out of memory") : 0;
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

int cmd_list(struct ctx *c, int argc, char **argv, struct ur_err *err)
{
    const char *format = "table";
    bool quiet = false;
    const struct opt tbl[] = {{"format", 'f', OPT_STR, &format}, {"quiet", 'q', OPT_FLAG, &quiet},
                              {NULL, 0, 0, NULL}};
    int i = 0, rc;
    if ((rc = opts_parse(argc, argv, &i, tbl, err)) < 0)
        return rc;
    if (strcmp(format, "table") != 0 && strcmp(format, "json") != 0)
        return ur_errf(err, -EINVAL, "list: unknown format \"%s\" (table or json)", format);
    cJSON *all = cJSON_CreateArray();
    DIR *d = opendir(c->root);
    struct dirent *e;
    while (d && (e = readdir(d))) {
        if (e->d_name[0] == '.' || state_check_id(e->d_name, NULL) < 0)
            continue;
        struct cstate cs;
        cJSON *o = NULL;
        rc = state_open(c, e->d_name, &cs, NULL);
        if (rc == 0) {
            o = oci_state(&cs);
            if (cs.learnt)
                state_save(&cs, NULL);
            state_close(&cs);
        } else if (rc == -EMEDIUMTYPE) {
            o = runc_state(c, e->d_name);
        }
        if (o)
            cJSON_AddItemToArray(all, o);
    }
    if (d)
        closedir(d);
    if (strcmp(format, "json") == 0)
        return print_json(all, false) < 0 ? ur_errf(err, -ENOMEM, "out of memory") : 0;
    if (!quiet)
        printf("%-24s %-8s %-10s %-40s %-32s %s\n", "ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER");
    const cJSON *o;
    cJSON_ArrayForEach(o, all) {
        const cJSON *id = cJSON_GetObjectItem(o, "id"), *pid = cJSON_GetObjectItem(o, "pid"),
                    *st = cJSON_GetObjectItem(o, "status"), *b = cJSON_GetObjectItem(o, "bundle"),
                    *cr = cJSON_GetObjectItem(o, "created");
        if (quiet)
            printf("%s\n", cJSON_GetStringValue(id) ? cJSON_GetStringValue(id) : "?");
        else
            printf("%-24s %-8d %-10s %-40s %-32s %s\n", cJSON_GetStringValue(id) ?: "?",
                   cJSON_IsNumber(pid) ? pid->valueint : 0, cJSON_GetStringValue(st) ?: "?",
                   cJSON_GetStringValue(b) ?: "", cJSON_GetStringValue(cr) ?: "", "root");
    }
    cJSON_Delete(all);
    return 0;
}

int cmd_ps(struct ctx *c, int argc, char **argv, struct ur_err *err)
{
    const char *format = "table";
    const struct opt tbl[] = {{"format", 'f', OPT_STR, &format}, {NULL, 0, 0, NULL}};
    int i = 0, rc;
    if ((rc = opts_parse(argc, argv, &i, tbl, err)) < 0)
        return rc;
    if (i >= argc)
        return ur_errf(err, -EINVAL, "ps: a container id is required");
    if (strcmp(format, "table") != 0 && strcmp(format, "json") != 0)
        return ur_errf(err, -EINVAL, "ps: unknown format \"%s\" (table or json)", format);
    struct cstate cs;
    rc = state_open(c, argv[i], &cs, err);
    if (rc == -EMEDIUMTYPE)
        return handoff_runc(c, err);
    if (rc < 0)
        return rc;
    bool alive = strcmp(state_status(&cs), "stopped") != 0;
    int pid = (int)state_num(&cs, "pid", 0);
    state_close(&cs);
    if (strcmp(format, "json") == 0) {
        if (alive)
            printf("[%d]\n", pid);
        else
            printf("[]\n");
        return 0;
    }
    printf("%-8s %s\n", "PID", "CMD");
    if (alive) {
        char path[64], cmd[4096];
        snprintf(path, sizeof(path), "/proc/%d/cmdline", pid);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        ssize_t n = fd >= 0 ? read(fd, cmd, sizeof(cmd) - 1) : -1;
        if (fd >= 0)
            close(fd);
        if (n < 0)
            n = 0;
        for (ssize_t k = 0; k < n; k++)
            if (cmd[k] == '\0')
                cmd[k] = ' ';
        cmd[n] = '\0';
        printf("%-8d %s\n", pid, cmd);
    }
    return 0;
}

int cmd_features(struct ctx *c, int argc, char **argv, struct ur_err *err)
{
    (void)c;
    (void)argc;
    (void)argv;
    static const char features[] =
        "{\"ociVersionMin\":\"1.0.0\",\"ociVersionMax\":\"1.1.0\",\"hooks\":[],"
        "\"mountOptions\":[],"
        "\"linux\":{\"namespaces\":[\"network\",\"ipc\",\"uts\",\"pid\",\"cgroup\"],"
        "\"capabilities\":[],\"cgroup\":{\"v1\":true,\"v2\":true,\"systemd\":false,"
        "\"systemdUser\":false},\"seccomp\":{\"enabled\":false},\"apparmor\":{\"enabled\":false},"
        "\"selinux\":{\"enabled\":false}},"
        "\"annotations\":{\"dev.uniroot.handoff\":\"runc\","
        "\"dev.uniroot.version\":\"" UNIROOT_VERSION "\"}}";
    cJSON *o = cJSON_Parse(features);
    cJSON *a = cJSON_GetObjectItemCaseSensitive(o, "annotations");
    char list[512];
    backend_names(list, sizeof(list), ",");
    cJSON_AddStringToObject(a, "dev.uniroot.hypervisors", list);
    backend_type_names(list, sizeof(list));
    cJSON_AddStringToObject(a, "dev.uniroot.unikernelTypes", list);
    return print_json(o, true) < 0 ? ur_errf(err, -ENOMEM, "out of memory") : 0;
}

int cmd_spec(struct ctx *c, int argc, char **argv, struct ur_err *err)
{
    (void)c;
    const char *bundle = ".";
    bool rootless = false;
    const struct opt tbl[] = {{"bundle", 'b', OPT_STR, &bundle}, {"rootless", 0, OPT_FLAG, &rootless},
                              {NULL, 0, 0, NULL}};
    int i = 0, rc;
    if ((rc = opts_parse(argc, argv, &i, tbl, err)) < 0)
        return rc;
    char path[PATH_MAX];
    snprintf(path, sizeof(path), "%s/config.json", bundle);
    if (access(path, F_OK) == 0)
        return ur_errf(err, -EEXIST, "File %s exists. Remove it first", path);
    static const char example[] =
        "{\"ociVersion\":\"" UNIROOT_OCI_VERSION "\","
        "\"process\":{\"terminal\":false,\"user\":{\"uid\":0,\"gid\":0},"
        "\"args\":[\"/unikernel/hello.hvt\"],\"cwd\":\"/\"},"
        "\"root\":{\"path\":\"rootfs\",\"readonly\":false},"
        "\"hostname\":\"uniroot\","
        "\"annotations\":{\"com.urunc.unikernel.unikernelType\":\"solo5\","
        "\"com.urunc.unikernel.hypervisor\":\"hvt\","
        "\"com.urunc.unikernel.binary\":\"/unikernel/hello.hvt\","
        "\"com.urunc.unikernel.cmdline\":\"hello world\","
        "\"com.urunc.unikernel.mountRootfs\":\"false\"},"
        "\"linux\":{\"namespaces\":[{\"type\":\"pid\"},{\"type\":\"network\"},{\"type\":\"ipc\"},"
        "{\"type\":\"uts\"},{\"type\":\"mount\"}]}}";
    cJSON *o = cJSON_Parse(example);
    char *s = o ? cJSON_Print(o) : NULL;
    cJSON_Delete(o);
    if (!s)
        return ur_errf(err, -ENOMEM, "out of memory");
    size_t len = strlen(s);
    char *text = malloc(len + 1);
    if (!text) {
        cJSON_free(s);
        return ur_errf(err, -ENOMEM, "out of memory");
    }
    memcpy(text, s, len);
    text[len] = '\n';
    rc = ur_write_atomic(AT_FDCWD, path, text, len + 1, 0644, err);
    free(text);
    cJSON_free(s);
    return rc;
}

int cmd_exec(struct ctx *c, int argc, char **argv, struct ur_err *err)
{
    static bool b;
    static const char *s;
    static int n;
    const struct opt tbl[] = {
        {"console-socket", 0, OPT_STR, &s}, {"cwd", 0, OPT_STR, &s}, {"env", 'e', OPT_STR, &s},
        {"tty", 't', OPT_FLAG, &b}, {"user", 'u', OPT_STR, &s}, {"process", 'p', OPT_STR, &s},
        {"detach", 'd', OPT_FLAG, &b}, {"pid-file", 0, OPT_STR, &s}, {"preserve-fds", 0, OPT_INT, &n},
        {"additional-gids", 'g', OPT_STR, &s}, {"cap", 'c', OPT_STR, &s},
        {"no-new-privs", 0, OPT_FLAG, &b}, {"apparmor", 0, OPT_STR, &s},
        {"process-label", 0, OPT_STR, &s}, {"cgroup", 0, OPT_STR, &s}, {NULL, 0, 0, NULL}};
    const char *id = find_id(argc, argv, tbl);
    if (id && state_is_runc(c, id))
        return handoff_runc(c, err);
    if (!id)
        return ur_errf(err, -EINVAL, "exec: a container id is required");
    return ur_errf(err, -ENOTSUP, "exec is not supported for unikernel containers");
}

int cmd_other(struct ctx *c, int argc, char **argv, struct ur_err *err)
{
    /* argv[-1] is the command name */
    const char *cmd = argv[-1];
    for (int i = 0; i < argc; i++) {
        if (argv[i][0] == '-' || state_check_id(argv[i], NULL) < 0)
            continue;
        if (state_is_runc(c, argv[i]))
            return handoff_runc(c, err);
        break;
    }
    return ur_errf(err, -ENOTSUP, "%s is not supported for unikernel containers", cmd);
}
