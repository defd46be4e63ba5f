/* ctl_ask.c: one connection to the agent's socket (common/agentconn.c
 * under it): connect, send the request line, read answers; every failure
 * is one message and an exit status. */
#include "ctl.h"

#include <errno.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/un.h>

/* The answers (a list of every record can be large); one connection at a time. */
static char buf[8 << 20];

int ctl_ask(const struct ctl *c, const char *line, struct ur_agent_conn *conn, char **ans,
            char *msg, size_t n)
{
    struct ur_err e;
    ur_err_clear(&e);
    int rc = ur_agent_connect(conn, c->sock, (int)c->timeout_ms, buf, sizeof(buf), &e);
    if (rc == -ENAMETOOLONG) {
        snprintf(msg, n, "socket path %s is longer than a unix socket address allows (%zu bytes)",
                 c->sock, sizeof(((struct sockaddr_un *)0)->sun_path) - 1);
        return CTL_USAGE;
    }
    if (rc < 0) {
        snprintf(msg, n, "connect %s: %s", c->sock, strerror(-rc));
        return CTL_UNREACHABLE;
    }
    if ((rc = ur_agent_send(conn, line, &e)) < 0) {
        snprintf(msg, n, "write: %s", strerror(-rc));
        ur_agent_close(conn);
        return CTL_UNREACHABLE;
    }
    if (ur_agent_recv_line(conn, ans, &e) < 0) {
        snprintf(msg, n, "no answer from %s within %ld ms", c->sock, c->timeout_ms);
        ur_agent_close(conn);
        return CTL_UNREACHABLE;
    }
    return CTL_OK;
}

int ctl_ask_next(struct ur_agent_conn *conn, char **ans)
{
    struct ur_err e;
    conn->deadline = -1; /* change lines come when they come */
    return ur_agent_recv_line(conn, ans, &e) == 0 ? 0 : -1;
}

void ctl_ask_close(struct ur_agent_conn *conn)
{
    ur_agent_close(conn);
}

int ctl_ask_req(const struct ctl *c, const struct ur_agent_req *q, struct ur_agent_conn *conn,
                char **ans)
{
    char *line = ur_agent_req_line(q), msg[1024];
    if (!line)
        return ctl_fail(c, CTL_UNREACHABLE, "out of memory");
    int rc = ctl_ask(c, line, conn, ans, msg, sizeof(msg));
    free(line);
    return rc == CTL_OK ? CTL_OK : ctl_fail(c, rc, "%s", msg);
}
