/* agentproto.h: the wire format of unirootd's query socket, once for both
 * sides: the agent parses request lines; the runtime and unirootctl build
 * them, send them and decode the answers. The protocol (ops, answers) is
 * described in userspace/server.h; where the socket is, in agentsock.h. */
#ifndef UNIROOT_COMMON_AGENTPROTO_H
#define UNIROOT_COMMON_AGENTPROTO_H

#include <stddef.h>

#include "err.h"

enum ur_agent_op { UR_AGENT_BAD = 0, UR_AGENT_GET, UR_AGENT_LIST, UR_AGENT_STATUS, UR_AGENT_WATCH };

/* One request. Parsed: the strings point into doc. Built by a client: the
 * client's own strings (get: bundle, or ns and id). */
struct ur_agent_req {
    enum ur_agent_op op;
    const char *bundle;    /* get: absolute bundle path, or NULL */
    const char *ns, *id;   /* get: both non-empty when bundle is NULL */
    const char *error;     /* UR_AGENT_BAD: the message for the client */
    void *doc;             /* the parsed line (cJSON), owns the strings above */
};

/* The request as one line, newline included (malloc'ed; NULL when out of
 * memory or op is UR_AGENT_BAD). */
char *ur_agent_req_line(const struct ur_agent_req *r);

/* Parse one request line (NUL-terminated, no newline). Always fills *r;
 * release it with ur_agent_req_free. */
void ur_agent_req_parse(const char *line, struct ur_agent_req *r);
void ur_agent_req_free(struct ur_agent_req *r);

/* If buf[0..len) holds a whole line, replace its '\n' with a NUL and return
 * the bytes it takes, newline included; 0 when no line is complete. */
size_t ur_agent_take_line(char *buf, size_t len);

/* Decode one answer line. {"ok":true,...}: 0, and when key is not NULL
 * *value is that member (an object or array) as malloc'ed JSON text, or
 * -EPROTO when it is missing. Anything else that is a JSON object: -ENOENT,
 * "agent says: <its error>". Not a JSON object: -EPROTO. */
int ur_agent_answer(const char *line, const char *key, char **value, struct ur_err *err);

/* A client's connection: every wait ends at deadline (CLOCK_MONOTONIC ms;
 * < 0: none), answers are read into the caller's buffer. */
struct ur_agent_conn {
    int fd;
    int timeout_ms;        /* what the deadline was, for the message */
    long long deadline;
    char *buf;
    size_t cap, have, used; /* used: the line handed out last */
    int eof;
};

/* Connect to path within timeout_ms. The agent not being there (no socket,
 * nobody listening) is -ENOENT or -ECONNREFUSED with "no agent at PATH (...)";
 * a path too long for a unix address is -ENAMETOOLONG. */
int ur_agent_connect(struct ur_agent_conn *c, const char *path, int timeout_ms, char *buf,
                     size_t cap, struct ur_err *err);

/* Send a whole request line (as ur_agent_req_line makes it). */
int ur_agent_send(struct ur_agent_conn *c, const char *line, struct ur_err *err);

/* The next answer line (NUL-terminated, in the buffer, valid until the next
 * call). At end of stream a last unterminated line counts as a line. */
int ur_agent_recv_line(struct ur_agent_conn *c, char **line, struct ur_err *err);

void ur_agent_close(struct ur_agent_conn *c);

#endif
