/* agentconn.c: a client's connection to the agent socket (agentproto.h):
 * connect, send a request line and read answer lines, every wait bounded by
 * one deadline so a stuck agent cannot hold the runtime up. */
#include "agentproto.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait for events on the connection until its deadline. */
static int wait_fd(struct ur_agent_conn *c, short events, struct ur_err *err)
{
    for (;;) {
        long long left = c->deadline < 0 ? -1 : c->deadline - now_ms();
        if (c->deadline >= 0 && left < 0)
            left = 0;
        struct pollfd pfd = {.fd = c->fd, .events = events};
        int n = poll(&pfd, 1, (int)left);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return ur_errf_sys(err, -errno, "poll");
        if (n == 0)
            return ur_errf(err, -ETIMEDOUT, "no answer within %d ms", c->timeout_ms);
        return 0;
    }
}

int ur_agent_connect(struct ur_agent_conn *c, const char *path, int timeout_ms, char *buf,
                     size_t cap, struct ur_err *err)
{
    *c = (struct ur_agent_conn){.fd = -1, .timeout_ms = timeout_ms, .buf = buf, .cap = cap};
    c->deadline = now_ms() + timeout_ms;
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof(sa.sun_path))
        return ur_errf(err, -ENAMETOOLONG, "agent socket path too long");
    strcpy(sa.sun_path, path);
    c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (c->fd < 0)
        return ur_errf_sys(err, -errno, "socket");
    if (connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
        return 0;
    if (errno == ENOENT || errno == ECONNREFUSED)
        return ur_errf(err, -errno, "no agent at %s (%s)", path, strerror(errno));
    if (errno != EINPROGRESS && errno != EAGAIN)
        return ur_errf_sys(err, -errno, "cannot connect to %s", path);
    return wait_fd(c, POLLOUT, err);
}

int ur_agent_send(struct ur_agent_conn *c, const char *line, struct ur_err *err)
{
    size_t len = strlen(line), sent = 0;
    while (sent < len) {
        ssize_t n = send(c->fd, line + sent, len - sent, MSG_NOSIGNAL);
        if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
            int rc = errno == EAGAIN ? wait_fd(c, POLLOUT, err) : 0;
            if (rc < 0)
                return rc;
            continue;
        }
        if (n < 0)
            return ur_errf_sys(err, -errno, "cannot write to the agent");
        sent += (size_t)n;
    }
    return 0;
}

int ur_agent_recv_line(struct ur_agent_conn *c, char **line, struct ur_err *err)
{
    memmove(c->buf, c->buf + c->used, c->have - c->used);
    c->have -= c->used;
    c->used = 0;
    for (;;) {
        size_t used = ur_agent_take_line(c->buf, c->have);
        if (!used && c->eof && c->have) { /* the last line, unterminated */
            c->buf[c->have] = '\0';
            used = c->have;
        }
        if (used) {
            c->used = used;
            *line = c->buf;
            return 0;
        }
        if (c->eof)
            return ur_errf(err, -EPROTO, "agent closed the connection without answering");
        if (c->have + 1 >= c->cap)
            return ur_errf(err, -EPROTO, "agent answer too long");
        int rc = wait_fd(c, POLLIN, err);
        if (rc < 0)
            return rc;
        ssize_t n = recv(c->fd, c->buf + c->have, c->cap - 1 - c->have, 0);
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
            continue;
        if (n < 0)
            return ur_errf_sys(err, -errno, "cannot read from the agent");
        c->have += (size_t)n;
        c->eof = n == 0;
    }
}

void ur_agent_close(struct ur_agent_conn *c)
{
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
}
