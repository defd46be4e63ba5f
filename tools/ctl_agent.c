/* ctl_agent.c: the commands that show the agent's answers: get, list and
 * raw (the answer), status (the answer and its readiness), watch (the answer,
 * then change lines). Without --json each answer line is printed as the
 * agent sent it; with --json it is checked to be a JSON object and printed
 * as one compact document (status adds "ready" and "reason"; watch prints
 * one document per line, a stream). */
#include "ctl.h"

#include <stdio.h>
#include <stdlib.h>

/* An answer line: printed (text) or parsed and printed (JSON). Returns
 * CTL_OK when it says ok, CTL_NO when not, CTL_UNREACHABLE when it is no
 * JSON object. */
static int show(const struct ctl *c, const char *ans)
{
    cJSON *o = cJSON_Parse(ans);
    int rc = !cJSON_IsObject(o) ? CTL_UNREACHABLE
             : cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "ok")) ? CTL_OK : CTL_NO;
    if (rc == CTL_UNREACHABLE) {
        cJSON_Delete(o);
        if (!c->json) {
            printf("%s\n", ans);
            fflush(stdout);
        }
        return ctl_fail(c, rc, "the answer is not a JSON object: %.200s", ans);
    }
    if (!c->json) {
        cJSON_Delete(o);
        printf("%s\n", ans);
        fflush(stdout);
        return rc;
    }
    return ctl_put_json(c, o, rc);
}

int ctl_cmd_query(const struct ctl *c, const char *line)
{
    struct ur_agent_conn conn;
    char *ans, msg[1024];
    int rc = ctl_ask(c, line, &conn, &ans, msg, sizeof(msg));
    if (rc != CTL_OK)
        return ctl_fail(c, rc, "%s", msg);
    rc = show(c, ans);
    ctl_ask_close(&conn);
    return rc;
}

int ctl_cmd_status(const struct ctl *c)
{
    struct ur_agent_req q = {.op = UR_AGENT_STATUS};
    struct ur_agent_conn conn;
    char *ans;
    int rc = ctl_ask_req(c, &q, &conn, &ans);
    if (rc != CTL_OK)
        return rc;
    cJSON *doc;
    char reason[512];
    rc = ctl_readiness(ans, &doc, reason, sizeof(reason));
    if (!c->json && rc != CTL_UNREACHABLE) {
        printf("%s\n", ans);
        fflush(stdout);
        if (rc != CTL_OK)
            fprintf(stderr, "unirootctl: agent not ready: %s\n", reason);
    } else if (rc == CTL_UNREACHABLE) {
        rc = ctl_fail(c, rc, "%s", reason);
    } else {
        cJSON_AddBoolToObject(doc, "ready", rc == CTL_OK);
        cJSON_AddStringToObject(doc, "reason", reason);
        rc = ctl_put_json(c, doc, rc);
        doc = NULL;
    }
    cJSON_Delete(doc);
    ctl_ask_close(&conn);
    return rc;
}

int ctl_cmd_watch(const struct ctl *c, long count)
{
    struct ur_agent_req q = {.op = UR_AGENT_WATCH};
    struct ur_agent_conn conn;
    char *ans;
    int rc = ctl_ask_req(c, &q, &conn, &ans);
    if (rc != CTL_OK)
        return rc;
    rc = show(c, ans);
    for (long n = 0; rc == CTL_OK && (count < 0 || n < count) && ctl_ask_next(&conn, &ans) == 0; n++)
        if (show(c, ans) == CTL_UNREACHABLE)
            rc = CTL_UNREACHABLE;
    ctl_ask_close(&conn);
    return rc;
}
