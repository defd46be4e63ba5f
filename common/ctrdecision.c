/* ctrdecision.c: the runtime's recorded decision, to and from JSON (see
 * ctrdecision.h). */
#include "ctrdecision.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

int ur_json_get_str(const cJSON *o, const char *key, char *dst, size_t n, struct ur_err *err)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!v)
        return 0;
    if (!cJSON_IsString(v) || !v->valuestring)
        return ur_errf(err, -EBADMSG, "\"%s\" is not a string", key);
    size_t len = strlen(v->valuestring);
    if (len >= n)
        return ur_errf(err, -EBADMSG, "\"%s\" is %zu bytes long (at most %zu)", key, len, n - 1);
    memcpy(dst, v->valuestring, len + 1);
    return 0;
}

int ur_json_get_u64(const cJSON *o, const char *key, uint64_t max, uint64_t *dst, struct ur_err *err)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!v)
        return 0;
    double d = cJSON_IsNumber(v) ? v->valuedouble : -1;
    if (!cJSON_IsNumber(v) || !(d >= 0) || d > (double)max || (double)(uint64_t)d != d)
        return ur_errf(err, -EBADMSG, "\"%s\" is not a whole number from 0 to %llu", key,
                       (unsigned long long)max);
    *dst = (uint64_t)d;
    return 0;
}

cJSON *ur_decision_to_json(const struct ur_decision *d)
{
    cJSON *o = cJSON_CreateObject(), *r = NULL, *net = NULL;
    bool ok = cJSON_AddNumberToObject(o, "version", UR_DECISION_VERSION) &&
              cJSON_AddStringToObject(o, "hypervisor", d->hypervisor) &&
              cJSON_AddStringToObject(o, "monitor", d->monitor) &&
              cJSON_AddNumberToObject(o, "mem_mb", (double)d->mem_mb) &&
              (r = cJSON_AddObjectToObject(o, "rootfs")) && (net = cJSON_AddArrayToObject(o, "net")) &&
              cJSON_AddStringToObject(r, "outcome", d->outcome) &&
              cJSON_AddStringToObject(r, "source", d->source) &&
              cJSON_AddStringToObject(r, "device", d->device) &&
              cJSON_AddNumberToObject(r, "major", d->major) &&
              cJSON_AddNumberToObject(r, "minor", d->minor) &&
              cJSON_AddStringToObject(r, "fstype", d->fstype) &&
              cJSON_AddStringToObject(r, "reason", d->reason) &&
              cJSON_AddStringToObject(r, "trace", d->trace);
    for (unsigned i = 0; ok && i < d->nnet && i < UR_DECISION_MAX_NET; i++) {
        const struct ur_decision_net *n = &d->net[i];
        cJSON *e = cJSON_CreateObject();
        ok = e && cJSON_AddItemToArray(net, e) && cJSON_AddStringToObject(e, "name", n->name) &&
             cJSON_AddStringToObject(e, "tap", n->tap) && cJSON_AddStringToObject(e, "mac", n->mac) &&
             cJSON_AddStringToObject(e, "iface", n->iface) &&
             cJSON_AddStringToObject(e, "netns", n->netns);
    }
    if (!ok) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

/* One net device of the "net" array. */
static int net_from_json(const cJSON *e, struct ur_decision_net *n, struct ur_err *err)
{
    if (!cJSON_IsObject(e))
        return ur_errf(err, -EBADMSG, "a device is not an object");
    int rc;
    if ((rc = ur_json_get_str(e, "name", n->name, sizeof(n->name), err)) < 0 ||
        (rc = ur_json_get_str(e, "tap", n->tap, sizeof(n->tap), err)) < 0 ||
        (rc = ur_json_get_str(e, "mac", n->mac, sizeof(n->mac), err)) < 0 ||
        (rc = ur_json_get_str(e, "iface", n->iface, sizeof(n->iface), err)) < 0 ||
        (rc = ur_json_get_str(e, "netns", n->netns, sizeof(n->netns), err)) < 0)
        return rc;
    return 0;
}

int ur_decision_from_json(const cJSON *j, struct ur_decision *d, struct ur_err *err)
{
    memset(d, 0, sizeof(*d));
    if (!cJSON_IsObject(j))
        return ur_errf(err, -EBADMSG, "decision: not an object");
    uint64_t v = 0, mj = 0, mn = 0;
    const cJSON *r = cJSON_GetObjectItemCaseSensitive(j, "rootfs");
    const cJSON *net = cJSON_GetObjectItemCaseSensitive(j, "net");
    int rc;
    if ((rc = ur_json_get_u64(j, "version", INT32_MAX, &v, err)) < 0 ||
        (rc = ur_json_get_str(j, "hypervisor", d->hypervisor, sizeof(d->hypervisor), err)) < 0 ||
        (rc = ur_json_get_str(j, "monitor", d->monitor, sizeof(d->monitor), err)) < 0 ||
        (rc = ur_json_get_u64(j, "mem_mb", UINT32_MAX, &d->mem_mb, err)) < 0)
        goto bad;
    if (v < 1) {
        rc = ur_errf(err, -EBADMSG, "\"version\" is missing or 0");
        goto bad;
    }
    d->version = (int)v;
    if (r && !cJSON_IsObject(r)) {
        rc = ur_errf(err, -EBADMSG, "\"rootfs\" is not an object");
        goto bad;
    }
    if ((rc = ur_json_get_str(r, "outcome", d->outcome, sizeof(d->outcome), err)) < 0 ||
        (rc = ur_json_get_str(r, "source", d->source, sizeof(d->source), err)) < 0 ||
        (rc = ur_json_get_str(r, "device", d->device, sizeof(d->device), err)) < 0 ||
        (rc = ur_json_get_u64(r, "major", UINT32_MAX, &mj, err)) < 0 ||
        (rc = ur_json_get_u64(r, "minor", UINT32_MAX, &mn, err)) < 0 ||
        (rc = ur_json_get_str(r, "fstype", d->fstype, sizeof(d->fstype), err)) < 0 ||
        (rc = ur_json_get_str(r, "reason", d->reason, sizeof(d->reason), err)) < 0 ||
        (rc = ur_json_get_str(r, "trace", d->trace, sizeof(d->trace), err)) < 0)
        goto bad_rootfs;
    d->major = (uint32_t)mj;
    d->minor = (uint32_t)mn;
    if (net && (!cJSON_IsArray(net) || cJSON_GetArraySize(net) > UR_DECISION_MAX_NET)) {
        rc = ur_errf(err, -EBADMSG, "\"net\" is not an array of at most %d devices",
                     UR_DECISION_MAX_NET);
        goto bad;
    }
    const cJSON *e;
    cJSON_ArrayForEach(e, net) {
        if ((rc = net_from_json(e, &d->net[d->nnet], err)) < 0) {
            ur_err_wrap(err, "net[%u]", d->nnet);
            goto bad;
        }
        d->nnet++;
    }
    return 0;
bad_rootfs:
    ur_err_wrap(err, "rootfs");
bad:
    ur_err_wrap(err, "decision");
    return rc;
}
