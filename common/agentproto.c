/* agentproto.c: the agent socket's request and answer lines (see
 * agentproto.h): built by the clients, parsed by the agent and the clients. */
#include "agentproto.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

static const char *const op_names[] = {
    [UR_AGENT_GET] = "get", [UR_AGENT_LIST] = "list", [UR_AGENT_STATUS] = "status",
    [UR_AGENT_WATCH] = "watch",
};

char *ur_agent_req_line(const struct ur_agent_req *r)
{
    if (r->op <= UR_AGENT_BAD || r->op > UR_AGENT_WATCH)
        return NULL;
    cJSON *q = cJSON_CreateObject();
    bool ok = q && cJSON_AddStringToObject(q, "op", op_names[r->op]);
    if (ok && r->op == UR_AGENT_GET && r->bundle)
        ok = cJSON_AddStringToObject(q, "bundle", r->bundle);
    else if (ok && r->op == UR_AGENT_GET)
        ok = cJSON_AddStringToObject(q, "namespace", r->ns ? r->ns : "") &&
             cJSON_AddStringToObject(q, "id", r->id ? r->id : "");
    char *s = ok ? cJSON_PrintUnformatted(q) : NULL;
    cJSON_Delete(q);
    char *line = s ? realloc(s, strlen(s) + 2) : NULL;
    if (!line) {
        free(s);
        return NULL;
    }
    strcat(line, "\n");
    return line;
}

void ur_agent_req_parse(const char *line, struct ur_agent_req *r)
{
    memset(r, 0, sizeof(*r));
    cJSON *req = cJSON_Parse(line);
    r->doc = req;
    if (!req || !cJSON_IsObject(req)) {
        r->error = "request is not a JSON object";
        return;
    }
    const cJSON *op = cJSON_GetObjectItemCaseSensitive(req, "op");
    const char *o = cJSON_IsString(op) ? op->valuestring : "";
    if (!strcmp(o, "get")) {
        const cJSON *b = cJSON_GetObjectItemCaseSensitive(req, "bundle");
        const cJSON *ns = cJSON_GetObjectItemCaseSensitive(req, "namespace");
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(req, "id");
        if (cJSON_IsString(b) && b->valuestring[0] == '/') {
            r->op = UR_AGENT_GET;
            r->bundle = b->valuestring;
        } else if (cJSON_IsString(ns) && cJSON_IsString(id) && ns->valuestring[0] && id->valuestring[0]) {
            r->op = UR_AGENT_GET;
            r->ns = ns->valuestring;
            r->id = id->valuestring;
        } else {
            r->error = "get needs \"bundle\" (absolute path) or \"namespace\" and \"id\"";
        }
        return;
    }
    for (int i = UR_AGENT_LIST; i <= UR_AGENT_WATCH; i++)
        if (!strcmp(o, op_names[i])) {
            r->op = (enum ur_agent_op)i;
            return;
        }
    r->error = "unknown op (want get, list, status or watch)";
}

void ur_agent_req_free(struct ur_agent_req *r)
{
    cJSON_Delete(r->doc);
    r->doc = NULL;
}

size_t ur_agent_take_line(char *buf, size_t len)
{
    char *nl = memchr(buf, '\n', len);
    if (!nl)
        return 0;
    *nl = '\0';
    return (size_t)(nl - buf) + 1;
}

int ur_agent_answer(const char *line, const char *key, char **value, struct ur_err *err)
{
    if (value)
        *value = NULL;
    cJSON *o = cJSON_Parse(line);
    if (!cJSON_IsObject(o)) {
        cJSON_Delete(o);
        return ur_errf(err, -EPROTO, "answer is not a JSON object");
    }
    int rc = 0;
    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "ok"))) {
        const cJSON *v = key ? cJSON_GetObjectItemCaseSensitive(o, key) : NULL;
        if (key && !cJSON_IsObject(v) && !cJSON_IsArray(v))
            rc = ur_errf(err, -EPROTO, "answer has no %s", key);
        else if (key && !(*value = cJSON_PrintUnformatted(v)))
            rc = ur_errf(err, -ENOMEM, "out of memory");
    } else {
        const cJSON *e = cJSON_GetObjectItemCaseSensitive(o, "error");
        rc = ur_errf(err, -ENOENT, "agent says: %s",
                     cJSON_IsString(e) && e->valuestring ? e->valuestring : "no record");
    }
    cJSON_Delete(o);
    return rc;
}
