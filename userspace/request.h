/* request.h: the agent socket's request lines (protocol in server.h), parsed
 * apart from the socket so the parser can be tested and fuzzed on its own. */
#ifndef UNIROOTD_REQUEST_H
#define UNIROOTD_REQUEST_H

#include <stddef.h>

enum req_op { REQ_BAD = 0, REQ_GET, REQ_LIST, REQ_STATUS, REQ_WATCH };

struct request {
    enum req_op op;
    const char *bundle;    /* get: absolute bundle path, or NULL */
    const char *ns, *id;   /* get: both non-empty when bundle is NULL */
    const char *error;     /* REQ_BAD: the message for the client */
    void *doc;             /* the parsed line (cJSON), owns the strings above */
};

/* Parse one request line (NUL-terminated, no newline). Always fills *r;
 * release it with request_free. */
void request_parse(const char *line, struct request *r);
void request_free(struct request *r);

/* If buf[0..len) holds a whole line, replace its '\n' with a NUL and return
 * the bytes it takes, newline included; 0 when no line is complete. */
size_t request_take_line(char *buf, size_t len);

#endif
