/* ctl_out.c: how unirootctl reports: one error line (or {"error":...} with
 * --json, on stdout so a consumer reads one document) and JSON documents. */
#include "ctl.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

int ctl_fail(const struct ctl *c, int status, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (!c->json) {
        fprintf(stderr, "unirootctl: %s\n", msg);
        return status;
    }
    cJSON *o = cJSON_CreateObject();
    char *s = o && cJSON_AddStringToObject(o, "error", msg) ? cJSON_PrintUnformatted(o) : NULL;
    /* out of memory: still one document, built by hand without the message */
    printf("%s\n", s ? s : "{\"error\":\"out of memory\"}");
    fflush(stdout);
    free(s);
    cJSON_Delete(o);
    return status;
}

int ctl_put_json(const struct ctl *c, cJSON *doc, int status)
{
    char *s = doc ? cJSON_PrintUnformatted(doc) : NULL;
    cJSON_Delete(doc);
    if (!s)
        return ctl_fail(c, CTL_UNREACHABLE, "out of memory");
    printf("%s\n", s);
    fflush(stdout);
    free(s);
    return status;
}
