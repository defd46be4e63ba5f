/* server.c: the JSON-lines query socket (protocol in server.h). */
#include "server.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "agent.h"
#include "agentproto.h"
#include "log.h"
#include "matcher.h"
#include "rootfs_record.h"

#define LINE_MAX_ 65536
#define OUT_MAX (4 << 20)

struct client {
    int tag;              /* EP_CLIENT */
    int fd;
    int watching;
    int dead;             /* failed during a broadcast: freed by server_reap */
    struct client *next;
    size_t in_len;
    char *out;
    size_t out_len, out_cap;
    char in[LINE_MAX_];
};

struct server {
    int tag;              /* EP_LISTEN */
    int fd;
    int ep;
    struct agent *a;
    struct client *clients;
    char path[108];
};

int server_open(struct agent *a, const char *path, int ep, struct server **out, struct ur_err *err)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof(sa.sun_path))
        return ur_errf(err, -ENAMETOOLONG, "socket path too long: %s", path);
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
    /* Parent directory, root only. */
    char dir[sizeof(sa.sun_path)];
    snprintf(dir, sizeof(dir), "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash && slash != dir) {
        *slash = '\0';
        if (mkdir(dir, 0700) < 0 && errno != EEXIST)
            return ur_errf_sys(err, -errno, "mkdir %s", dir);
    }
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return ur_errf_sys(err, -errno, "socket");
    unlink(path);
    mode_t old = umask(0177);
    int rc = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
    umask(old);
    if (rc < 0 || chmod(path, 0600) < 0 || listen(fd, 64) < 0) {
        rc = -errno;
        close(fd);
        return ur_errf_sys(err, rc, "listen on %s", path);
    }
    struct server *s = calloc(1, sizeof(*s));
    if (!s) {
        close(fd);
        return ur_errf(err, -ENOMEM, "out of memory");
    }
    s->tag = EP_LISTEN;
    s->fd = fd;
    s->ep = ep;
    s->a = a;
    snprintf(s->path, sizeof(s->path), "%s", path);
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = s};
    if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
        rc = -errno;
        close(fd);
        free(s);
        return ur_errf_sys(err, rc, "epoll");
    }
    *out = s;
    return 0;
}

static void client_close(struct server *s, struct client *c)
{
    for (struct client **pp = &s->clients; *pp; pp = &(*pp)->next)
        if (*pp == c) {
            *pp = c->next;
            break;
        }
    epoll_ctl(s->ep, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    free(c->out);
    free(c);
}

void server_close(struct server *s)
{
    if (!s)
        return;
    while (s->clients)
        client_close(s, s->clients);
    epoll_ctl(s->ep, EPOLL_CTL_DEL, s->fd, NULL);
    close(s->fd);
    unlink(s->path);
    free(s);
}

/* Write what can be written now; 0 ok, -1 when the client must go. */
static int flush_out(struct server *s, struct client *c)
{
    while (c->out_len > 0) {
        ssize_t w = send(c->fd, c->out, c->out_len, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            break;
        if (w <= 0)
            return -1;
        memmove(c->out, c->out + w, c->out_len - (size_t)w);
        c->out_len -= (size_t)w;
    }
    struct epoll_event ev = {.events = EPOLLIN | (c->out_len ? EPOLLOUT : 0), .data.ptr = c};
    epoll_ctl(s->ep, EPOLL_CTL_MOD, c->fd, &ev);
    return 0;
}

/* Queue a line (newline added). A client too slow to read 4 MiB is dropped. */
static int send_line(struct server *s, struct client *c, const char *line)
{
    size_t n = strlen(line);
    if (c->out_len + n + 1 > OUT_MAX)
        return -1;
    if (c->out_len + n + 1 > c->out_cap) {
        size_t cap = (c->out_len + n + 1) * 2;
        char *o = realloc(c->out, cap);
        if (!o)
            return -1;
        c->out = o;
        c->out_cap = cap;
    }
    memcpy(c->out + c->out_len, line, n);
    c->out[c->out_len + n] = '\n';
    c->out_len += n + 1;
    return flush_out(s, c);
}

static int send_error(struct server *s, struct client *c, const char *msg)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddBoolToObject(o, "ok", 0);
    cJSON_AddStringToObject(o, "error", msg);
    char *line = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    int rc = line ? send_line(s, c, line) : -1;
    free(line);
    return rc;
}

/* {"ok":true,"<key>":<raw>} */
static int send_ok_raw(struct server *s, struct client *c, const char *key, const char *raw)
{
    size_t n = strlen(key) + strlen(raw) + 32;
    char *line = malloc(n);
    if (!line)
        return -1;
    snprintf(line, n, "{\"ok\":true,\"%s\":%s}", key, raw);
    int rc = send_line(s, c, line);
    free(line);
    return rc;
}

static char *trec_json(const struct trec *r)
{
    char *out = NULL;
    return trec_to_json(r, &out) == 0 ? out : NULL;
}

static void add_to_list(const struct trec *r, void *arg)
{
    cJSON *arr = arg;
    char *j = trec_json(r);
    cJSON *o = j ? cJSON_Parse(j) : NULL;
    if (o)
        cJSON_AddItemToArray(arr, o);
    free(j);
}

/* VmRSS in KiB: /proc/self/statm's resident pages (the same count), one
 * short read instead of scanning /proc/self/status line by line. */
static long rss_kib(void)
{
    char buf[128];
    int fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n <= 0)
        return -1;
    buf[n] = '\0';
    char *p = strchr(buf, ' ');
    if (!p)
        return -1;
    return strtol(p + 1, NULL, 10) * (sysconf(_SC_PAGESIZE) / 1024);
}

static cJSON *status_json(struct agent *a)
{
    struct agent_status st;
    agent_status(a, &st);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "observer", st.observer);
    cJSON_AddStringToObject(o, "fallback", st.fallback);
    cJSON_AddBoolToObject(o, "bundle_watch", st.bundle_watch);
    cJSON_AddBoolToObject(o, "ioctl_events", st.ioctl_events);
    cJSON_AddNumberToObject(o, "records", (double)st.records);
    cJSON_AddNumberToObject(o, "events", (double)st.bpf.events);
    cJSON_AddNumberToObject(o, "drops", (double)st.bpf.drops);
    cJSON_AddNumberToObject(o, "filtered", (double)st.bpf.filtered);
    cJSON_AddNumberToObject(o, "inflight_full", (double)st.bpf.inflight_full);
    cJSON_AddNumberToObject(o, "loop_ioctls", (double)st.bpf.loop_ioctls);
    cJSON_AddNumberToObject(o, "dm_ioctls", (double)st.bpf.dm_ioctls);
    cJSON_AddNumberToObject(o, "mounts", (double)st.mounts);
    cJSON_AddNumberToObject(o, "umounts", (double)st.umounts);
    cJSON_AddNumberToObject(o, "loop_attach", (double)st.loop_attach);
    cJSON_AddNumberToObject(o, "loop_detach", (double)st.loop_detach);
    cJSON_AddNumberToObject(o, "dm_events", (double)st.dm_events);
    cJSON_AddNumberToObject(o, "annotated", (double)st.annotated);
    cJSON_AddNumberToObject(o, "not_unikernel", (double)st.not_unikernel);
    cJSON_AddNumberToObject(o, "unparsable", (double)st.unparsable);
    cJSON_AddNumberToObject(o, "refused", (double)st.refused);
    cJSON_AddNumberToObject(o, "reconciles", (double)st.reconciles);
    cJSON_AddNumberToObject(o, "repaired", (double)st.repaired);
    cJSON *lat = cJSON_AddObjectToObject(o, "latency_us");
    cJSON_AddNumberToObject(lat, "n", (double)st.n_lat);
    cJSON_AddNumberToObject(lat, "p50", (double)st.lat_p50_ns / 1e3);
    cJSON_AddNumberToObject(lat, "p99", (double)st.lat_p99_ns / 1e3);
    cJSON_AddNumberToObject(o, "rss_kib", (double)rss_kib());
    cJSON_AddStringToObject(o, "pin_dir", st.pin_dir);
    cJSON *dirs = cJSON_AddArrayToObject(o, "state_dirs");
    for (int i = 0; i < st.n_state_dirs; i++)
        cJSON_AddItemToArray(dirs, cJSON_CreateString(st.state_dirs[i]));
    cJSON *lay = cJSON_AddArrayToObject(o, "layouts");
    for (const char *const *l = matcher_layouts(); *l; l++)
        cJSON_AddItemToArray(lay, cJSON_CreateString(*l));
    return o;
}

static int handle_request(struct server *s, struct client *c, const char *line)
{
    struct ur_agent_req req;
    int rc;
    ur_agent_req_parse(line, &req);
    if (req.op == UR_AGENT_GET) {
        const struct trec *r = agent_get(s->a, req.bundle, req.ns, req.id);
        char what[600];
        if (req.bundle)
            snprintf(what, sizeof(what), "no record for bundle %.500s", req.bundle);
        else
            snprintf(what, sizeof(what), "no record for %.200s/%.300s", req.ns, req.id);
        if (!r) {
            rc = send_error(s, c, what);
        } else {
            char *j = trec_json(r);
            rc = j ? send_ok_raw(s, c, "record", j) : send_error(s, c, "out of memory");
            free(j);
        }
    } else if (req.op == UR_AGENT_LIST) {
        agent_drain(s->a);
        cJSON *arr = cJSON_CreateArray();
        agent_foreach(s->a, add_to_list, arr);
        char *j = cJSON_PrintUnformatted(arr);
        cJSON_Delete(arr);
        rc = j ? send_ok_raw(s, c, "records", j) : send_error(s, c, "out of memory");
        free(j);
    } else if (req.op == UR_AGENT_STATUS) {
        agent_drain(s->a);
        cJSON *st = status_json(s->a);
        char *j = cJSON_PrintUnformatted(st);
        cJSON_Delete(st);
        rc = j ? send_ok_raw(s, c, "status", j) : send_error(s, c, "out of memory");
        free(j);
    } else if (req.op == UR_AGENT_WATCH) {
        c->watching = 1;
        rc = send_line(s, c, "{\"ok\":true,\"watching\":true}");
    } else {
        rc = send_error(s, c, req.error);
    }
    ur_agent_req_free(&req);
    return rc;
}

static void accept_clients(struct server *s)
{
    for (;;) {
        int fd = accept4(s->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0)
            return;
        struct ucred cr;
        socklen_t len = sizeof(cr);
        if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) < 0 || cr.uid != 0) {
            static const char msg[] = "{\"ok\":false,\"error\":\"root only\"}\n";
            ssize_t w = send(fd, msg, sizeof(msg) - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
            (void)w;
            ulog(ULOG_WARN, "client-refused", "\"uid\":%d", (int)cr.uid);
            close(fd);
            continue;
        }
        struct client *c = calloc(1, sizeof(*c));
        if (!c) {
            close(fd);
            continue;
        }
        c->tag = EP_CLIENT;
        c->fd = fd;
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
        if (epoll_ctl(s->ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
            close(fd);
            free(c);
            continue;
        }
        c->next = s->clients;
        s->clients = c;
    }
}

static void read_client(struct server *s, struct client *c)
{
    for (;;) {
        ssize_t r = recv(c->fd, c->in + c->in_len, sizeof(c->in) - c->in_len, MSG_DONTWAIT);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return;
        if (r <= 0) {
            client_close(s, c);
            return;
        }
        c->in_len += (size_t)r;
        size_t used;
        while ((used = ur_agent_take_line(c->in, c->in_len))) {
            int rc = c->in[0] ? handle_request(s, c, c->in) : 0;
            memmove(c->in, c->in + used, c->in_len - used);
            c->in_len -= used;
            if (c->dead)
                return;
            if (rc < 0) {
                client_close(s, c);
                return;
            }
        }
        if (c->in_len == sizeof(c->in)) { /* a line longer than we accept */
            client_close(s, c);
            return;
        }
    }
}

void server_on_ready(struct server *s, void *data, uint32_t events)
{
    if (data == s) {
        accept_clients(s);
        return;
    }
    struct client *c = data;
    if (c->dead)
        return;
    if (events & EPOLLOUT) {
        if (flush_out(s, c) < 0) {
            client_close(s, c);
            return;
        }
    }
    if (events & (EPOLLIN | EPOLLHUP | EPOLLERR))
        read_client(s, c);
}

void server_broadcast(struct server *s, const char *what, const char *record_json)
{
    size_t n = strlen(record_json) + 64;
    char *line = malloc(n);
    if (!line)
        return;
    snprintf(line, n, "{\"event\":\"%s\",\"record\":%s}", what, record_json);
    for (struct client *c = s->clients; c; c = c->next)
        if (c->watching && !c->dead && send_line(s, c, line) < 0)
            c->dead = 1;
    free(line);
}

int server_has_watchers(const struct server *s)
{
    for (const struct client *c = s->clients; c; c = c->next)
        if (c->watching && !c->dead)
            return 1;
    return 0;
}

void server_reap(struct server *s)
{
    struct client *c = s->clients;
    while (c) {
        struct client *next = c->next;
        if (c->dead)
            client_close(s, c);
        c = next;
    }
}

static int watch_wanted(void *ctx)
{
    return server_has_watchers(ctx);
}

static void watch_changed(void *ctx, const char *what, const char *record_json)
{
    server_broadcast(ctx, what, record_json);
}

void server_watch(struct server *s, struct agent_watch *w)
{
    *w = (struct agent_watch){.ctx = s, .wanted = watch_wanted, .changed = watch_changed};
}
