/* ctl_ready.c: what the agent's answer to {"op":"status"} says about its
 * readiness, for `unirootctl status` as a readiness probe. Up and serving
 * means: it answered ok with a status whose observer (BPF or fanotify) is
 * live, so mounts are being seen and records written. Counters such as
 * drops are cumulative and the agent reconciles after losing events, so
 * they do not make it unready. No I/O here (unit-tested). */
#include "ctl.h"

#include <stdio.h>
#include <string.h>

int ctl_readiness(const char *answer, cJSON **doc, char *reason, size_t n)
{
    cJSON *o = cJSON_Parse(answer);
    *doc = NULL;
    if (!cJSON_IsObject(o)) {
        cJSON_Delete(o);
        snprintf(reason, n, "the answer is not a JSON object: %.200s", answer);
        return CTL_UNREACHABLE;
    }
    *doc = o;
    if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "ok"))) {
        const char *e = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "error"));
        snprintf(reason, n, "agent says: %.400s", e ? e : "not ok");
        return CTL_NO;
    }
    const cJSON *st = cJSON_GetObjectItemCaseSensitive(o, "status");
    if (!cJSON_IsObject(st)) {
        snprintf(reason, n, "the answer has no status object");
        return CTL_NO;
    }
    const char *obs = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(st, "observer"));
    if (!obs || !obs[0] || strcmp(obs, "none") == 0) {
        snprintf(reason, n, "no observer is live: mounts are not being seen");
        return CTL_NO;
    }
    snprintf(reason, n, "observing with %.100s", obs);
    return CTL_OK;
}
