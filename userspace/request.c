/* request.c: parse the agent socket's request lines (see request.h). */
#include "request.h"

#include <cjson/cJSON.h>
#include <string.h>

void request_parse(const char *line, struct request *r)
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
            r->op = REQ_GET;
            r->bundle = b->valuestring;
        } else if (cJSON_IsString(ns) && cJSON_IsString(id) && ns->valuestring[0] && id->valuestring[0]) {
            r->op = REQ_GET;
            r->ns = ns->valuestring;
            r->id = id->valuestring;
        } else {
            r->error = "get needs \"bundle\" (absolute path) or \"namespace\" and \"id\"";
        }
    } else if (!strcmp(o, "list")) {
        r->op = REQ_LIST;
    } else if (!strcmp(o, "status")) {
        r->op = REQ_STATUS;
    } else if (!strcmp(o, "watch")) {
        r->op = REQ_WATCH;
    } else {
        r->error = "unknown op (want get, list, status or watch)";
    }
}

void request_free(struct request *r)
{
    cJSON_Delete(r->doc);
    r->doc = NULL;
}

size_t request_take_line(char *buf, size_t len)
{
    char *nl = memchr(buf, '\n', len);
    if (!nl)
        return 0;
    *nl = '\0';
    return (size_t)(nl - buf) + 1;
}
