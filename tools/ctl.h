/* ctl.h: the pieces of unirootctl, the operator's client of unirootd and of
 * the runtime's state (main and usage in unirootctl.c):
 *   ctl_out.c            exit statuses, one error line or {"error":...}, JSON out
 *   ctl_ask.c            one request to the agent's socket, its answer
 *   ctl_agent.c          get, list, raw, watch, status (over the agent's answers)
 *   ctl_ready.c          what a status answer says about readiness (no I/O)
 *   ctl_explain_bundle.c explain BUNDLE: would the runtime trust the record now
 *   ctl_explain.c        explain ID: the runtime's recorded decision and the agent's record
 *   ctl_render.c         explain ID as text and as JSON (no I/O)
 */
#ifndef UNIROOT_TOOLS_CTL_H
#define UNIROOT_TOOLS_CTL_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "agentproto.h"
#include "ctrstate.h"
#include "rootfs_record.h"

/* Exit statuses (documented in --help and tools/README.md). */
enum ctl_status {
    CTL_OK = 0,            /* done; status: the agent is up and serving */
    CTL_NO = 1,            /* the agent answered no; status: answered, not ready */
    CTL_UNREACHABLE = 2,   /* no usable answer: no socket, nobody listening, timeout, not JSON */
    CTL_NO_CONTAINER = 3,  /* explain ID: no such container in the state root */
    CTL_BAD_STATE = 4,     /* explain ID: its state is unreadable (corrupt, too big, not a file) */
    CTL_USAGE = 64,        /* bad command line */
};

struct ctl {
    const char *sock;      /* the agent's socket */
    long timeout_ms;
    bool json;             /* --json: one JSON document on stdout, errors too */
    const char *root;      /* the runtime's --root */
};

/* ---- ctl_out.c */
/* Report a failure once: "unirootctl: MSG" on stderr, or with --json
 * {"error":"MSG"} on stdout. Returns status. */
int ctl_fail(const struct ctl *c, int status, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* One JSON document (compact, newline) on stdout; frees doc. NULL doc
 * (out of memory) becomes an error. Returns status, or CTL_UNREACHABLE. */
int ctl_put_json(const struct ctl *c, cJSON *doc, int status);

/* ---- ctl_ask.c */
/* Open a connection, send line, read the first answer line (*ans, valid
 * until the next ctl_ask_next or ctl_ask_close). On failure the message is
 * in msg and the exit status is returned (CTL_UNREACHABLE, CTL_USAGE). */
int ctl_ask(const struct ctl *c, const char *line, struct ur_agent_conn *conn, char **ans,
            char *msg, size_t n);
/* ctl_ask for request q: builds its line, asks, and on failure reports it
 * (ctl_fail) and returns the exit status; CTL_OK with *ans set otherwise. */
int ctl_ask_req(const struct ctl *c, const struct ur_agent_req *q, struct ur_agent_conn *conn,
                char **ans);
/* The next line on a watching connection, no deadline: 0, or -1 at the end. */
int ctl_ask_next(struct ur_agent_conn *conn, char **ans);
void ctl_ask_close(struct ur_agent_conn *conn);

/* ---- ctl_agent.c: the commands that print the agent's answers */
int ctl_cmd_query(const struct ctl *c, const char *line);    /* get, list, raw */
int ctl_cmd_status(const struct ctl *c);
int ctl_cmd_watch(const struct ctl *c, long count);          /* count < 0: forever */

/* ---- ctl_ready.c */
/* The readiness of a status answer line: CTL_OK (ok, an observer is live),
 * CTL_NO (the agent said no, or reports no live observer), CTL_UNREACHABLE
 * (not a JSON object: not an agent's answer). *doc gets the parsed answer
 * (NULL when not JSON; the caller deletes it); reason says why. */
int ctl_readiness(const char *answer, cJSON **doc, char *reason, size_t n);

/* ---- ctl_explain_bundle.c */
int ctl_cmd_explain_bundle(const struct ctl *c, const char *bundle);

/* ---- ctl_explain.c, ctl_render.c: explain ID */
enum ctl_agent_seen { CTL_AGENT_RECORD, CTL_AGENT_NO_RECORD, CTL_AGENT_DOWN, CTL_AGENT_NOT_ASKED };
struct ctl_explain {
    const char *id, *root;
    const struct ur_ctr_state *st;
    const char *status;              /* now (ur_ctr_status) */
    int exit_status;                 /* -1 unknown */
    enum ctl_agent_seen agent;
    char agent_msg[UR_ERR_MSG_MAX];  /* why there is no record */
    cJSON *agent_record;             /* the agent's record as it sent it (RECORD) */
    struct rootfs_record rec;        /* the same, parsed (RECORD) */
    /* The agent's annotation in the bundle at create (the state keeps the
     * spec's annotations): its record then. The agent drops its live record
     * when the runtime unmounts the rootfs to hand the device over. */
    cJSON *annotation;               /* NULL: none, or unreadable (ann_msg says) */
    struct rootfs_record ann;
    char ann_msg[UR_ERR_MSG_MAX];
};
int ctl_cmd_explain(const struct ctl *c, const char *id);
/* 1: the agent's record (its live answer, else its annotation at create)
 * names the device the runtime took, 0: another one, -1: nothing to compare
 * (no record, or no device taken). */
int ctl_explain_agrees(const struct ctl_explain *x);
cJSON *ctl_explain_json(const struct ctl_explain *x);
/* The text form, malloc'ed (NULL when out of memory). */
char *ctl_explain_text(const struct ctl_explain *x);

#endif
