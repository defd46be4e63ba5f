/* backend.c: the table of monitors (backend.h), choosing one for a unikernel
 * description, finding its program, and what the Solo5 monitors share: their
 * command line and the --ready-fd/--start-fifo create/start protocol. */
#include "backend.h"

#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

const struct backend *const backends[] = {&backend_hvt, &backend_spt};
const unsigned n_backends = sizeof(backends) / sizeof(backends[0]);

const struct backend *backend_find(const char *hypervisor)
{
    for (unsigned i = 0; i < n_backends; i++)
        if (strcmp(backends[i]->name, hypervisor) == 0)
            return backends[i];
    return NULL;
}

void backend_names(char *buf, size_t n, const char *sep)
{
    buf[0] = '\0';
    for (unsigned i = 0; i < n_backends; i++)
        fmt_into(buf + strlen(buf), n - strlen(buf), "%s%s", i ? sep : "", backends[i]->name);
}

/* Is type t of backend i also a type of an earlier backend? */
static bool listed_before(unsigned i, const char *type)
{
    for (unsigned j = 0; j < i; j++)
        for (unsigned u = 0; u < backends[j]->ntypes; u++)
            if (strcmp(backends[j]->types[u].type, type) == 0)
                return true;
    return false;
}

void backend_type_names(char *buf, size_t n)
{
    buf[0] = '\0';
    for (unsigned i = 0; i < n_backends; i++)
        for (unsigned t = 0; t < backends[i]->ntypes; t++)
            if (!listed_before(i, backends[i]->types[t].type))
                fmt_into(buf + strlen(buf), n - strlen(buf), "%s%s", buf[0] ? "," : "",
                         backends[i]->types[t].type);
}

static const struct backend_type *find_type(const struct backend *b, const char *type)
{
    for (unsigned i = 0; i < b->ntypes; i++)
        if (strcmp(b->types[i].type, type) == 0)
            return &b->types[i];
    return NULL;
}

int backend_for(const struct uk_desc *d, const struct backend **out, struct ur_err *err)
{
    char list[256];
    const struct backend *b = backend_find(d->hypervisor);
    if (!b) {
        char both[256] = "";
        for (unsigned i = 0; i < n_backends; i++)
            fmt_into(both + strlen(both), sizeof(both) - strlen(both), "%s\"%s\" (%s)",
                     i == 0 ? "" : i + 1 == n_backends ? " and " : ", ", backends[i]->name,
                     backends[i]->monitor);
        return ur_errf(err, -ENOTSUP, "hypervisor \"%s\" is not supported: uniroot runs unikernels "
                                      "on hypervisor %s", d->hypervisor, both);
    }
    if (!find_type(b, d->type)) {
        list[0] = '\0';
        for (unsigned i = 0; i < b->ntypes; i++)
            fmt_into(list + strlen(list), sizeof(list) - strlen(list), "%s%s", i ? ", " : "",
                     b->types[i].type);
        return ur_errf(err, -ENOTSUP, "unikernel type \"%s\" is not supported on %s (supported: %s)",
                       d->type, b->name, list);
    }
    *out = b;
    return 0;
}

bool backend_supports_fs(const struct backend *b, const char *type, const char *fstype)
{
    const struct backend_type *t = b ? find_type(b, type) : NULL;
    for (const char *const *f = t ? t->fs : NULL; f && *f; f++)
        if (strcmp(*f, fstype) == 0)
            return true;
    return false;
}

/* name beside this program, else in a PATH directory: into path, true if found. */
static bool locate(const char *name, char *path, size_t n)
{
    ssize_t len = readlink("/proc/self/exe", path, n - 1);
    if (len > 0) {
        path[len] = '\0';
        char *slash = strrchr(path, '/');
        if (slash && (size_t)(slash + 1 - path) + strlen(name) < n) {
            strcpy(slash + 1, name);
            if (access(path, X_OK) == 0)
                return true;
        }
    }
    return path_lookup(name, path, n);
}

const char *backend_monitor(const struct backend *b, const char *configured, bool *overridden)
{
    static char paths[8][PATH_MAX];
    unsigned k = 0;
    while (k < n_backends && backends[k] != b)
        k++;
    const char *e = getenv(b->monitor_env);
    if (overridden)
        *overridden = e && *e;
    if (e && *e)
        return e;
    if (configured && *configured)
        return configured;
    char *path = paths[k < 8 ? k : 7];
    if (!locate(b->monitor, path, PATH_MAX))
        fmt_into(path, PATH_MAX, "/usr/local/bin/%s", b->monitor);
    return path;
}

int backend_check_node(const struct backend *b, struct ur_err *err)
{
    bool overridden;
    backend_monitor(b, NULL, &overridden);
    if (!b->node_check || overridden)
        return 0;
    return b->node_check(b, err);
}

/* Copy s into cmd's buffer and append it to argv. */
static int add_arg(struct backend_cmd *cmd, struct ur_err *err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int add_arg(struct backend_cmd *cmd, struct ur_err *err, const char *fmt, ...)
{
    if (cmd->argc >= BACKEND_MAX_ARGS)
        return ur_errf(err, -E2BIG, "too many monitor arguments");
    va_list ap;
    va_start(ap, fmt);
    size_t room = sizeof(cmd->buf) - cmd->used;
    int len = vsnprintf(cmd->buf + cmd->used, room, fmt, ap);
    va_end(ap);
    if (len < 0 || (size_t)len >= room)
        return ur_errf(err, -E2BIG, "monitor command line too long");
    cmd->argv[cmd->argc++] = cmd->buf + cmd->used;
    cmd->argv[cmd->argc] = NULL;
    cmd->used += (size_t)len + 1;
    return 0;
}

/* fd becomes inherited fd number ready_fd + 1 + i; returns that number. */
static int inherit(struct backend_cmd *cmd, const struct backend_launch *l, int fd)
{
    if (cmd->nkeep >= SPAWN_MAX_KEEP)
        return -E2BIG;
    cmd->keep[cmd->nkeep] = fd;
    return l->ready_fd + 1 + (int)cmd->nkeep++;
}

int backend_solo5_command(const struct backend *b, const struct backend_launch *l,
                          struct backend_cmd *cmd, struct ur_err *err)
{
    (void)b;
    memset(cmd, 0, sizeof(*cmd));
    int rc, kfd = -1, bfd = -1;
    if (l->kernel_fd >= 0 && (kfd = inherit(cmd, l, l->kernel_fd)) < 0)
        return ur_errf(err, kfd, "too many inherited fds");
    if (l->block_fd >= 0 && (bfd = inherit(cmd, l, l->block_fd)) < 0)
        return ur_errf(err, bfd, "too many inherited fds");
    if ((rc = add_arg(cmd, err, "%s", l->monitor)) < 0 ||
        (rc = add_arg(cmd, err, "--ready-fd=%d", l->ready_fd)) < 0 ||
        (rc = add_arg(cmd, err, "--start-fifo=%s", l->start_fifo)) < 0)
        return rc;
    if (l->mem_mb && (rc = add_arg(cmd, err, "--mem=%llu", (unsigned long long)l->mem_mb)) < 0)
        return rc;
    if (bfd >= 0 && (rc = add_arg(cmd, err, "--block:rootfs=/proc/self/fd/%d", bfd)) < 0)
        return rc;
    for (unsigned i = 0; i < l->nnet; i++) {
        int nfd = inherit(cmd, l, l->net[i].fd);
        if (nfd < 0)
            return ur_errf(err, nfd, "too many inherited fds");
        if ((rc = add_arg(cmd, err, "--net:%s=@%d", l->net[i].name, nfd)) < 0 ||
            (rc = add_arg(cmd, err, "--net-mac:%s=%s", l->net[i].name, l->net[i].mac)) < 0)
            return rc;
    }
    if ((rc = add_arg(cmd, err, "--")) < 0)
        return rc;
    if (kfd >= 0)
        rc = add_arg(cmd, err, "/proc/self/fd/%d", kfd);
    else
        rc = add_arg(cmd, err, "%s", l->kernel_path);
    if (rc == 0 && l->cmdline && l->cmdline[0])
        rc = add_arg(cmd, err, "%s", l->cmdline);
    return rc;
}

int backend_fifo_start(const struct backend *b, const char *id, const char *dir,
                       bool (*gone)(void *), void *arg, struct ur_err *err)
{
    (void)b;
    char fifo[PATH_MAX + 16];
    snprintf(fifo, sizeof(fifo), "%s/start.fifo", dir);
    /* The monitor opens the FIFO right after it said ready: wait for it while
     * it lives (on a loaded host that can take a while), at most 10 s. */
    int fd = -1;
    struct timespec t0, now;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (;;) {
        fd = open(fifo, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
        if (fd >= 0 || errno != ENXIO)
            break;
        if (gone(arg))
            break;
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (now.tv_sec - t0.tv_sec >= 10) {
            errno = ETIMEDOUT;
            break;
        }
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
    }
    if (fd < 0) {
        if (errno == ENXIO)
            return ur_errf(err, -ESRCH, "cannot start container %s: its VMM is gone", id);
        if (errno == ETIMEDOUT)
            return ur_errf(err, -ETIMEDOUT, "cannot start container %s: its VMM does not wait for "
                                            "start (no reader on %s after 10 s)", id, fifo);
        return ur_errf_sys(err, -errno, "cannot open %s", fifo);
    }
    ssize_t n = write(fd, "1", 1);
    int e = errno;
    close(fd);
    if (n != 1)
        return ur_errf_sys(err, -e, "cannot start container %s", id);
    return 0;
}
