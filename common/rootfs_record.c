/* rootfs_record.c: JSON form of struct rootfs_record (see rootfs_record.h):
 * written directly (jsonstr.h), read back with cJSON and checked field by field. */
#include "rootfs_record.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "jsonstr.h"

static const char *const type_names[] = {
    [ROOTFS_NONE] = "none", [ROOTFS_BLOCK] = "block",
    [ROOTFS_INITRD] = "initrd", [ROOTFS_SHARED] = "shared",
};

const char *rootfs_type_name(enum rootfs_type t)
{
    return ((unsigned)t < sizeof(type_names) / sizeof(type_names[0])) ? type_names[t] : "?";
}

int rootfs_type_parse(const char *s, enum rootfs_type *out)
{
    for (unsigned i = 0; i < sizeof(type_names) / sizeof(type_names[0]); i++) {
        if (strcmp(s, type_names[i]) == 0) {
            *out = (enum rootfs_type)i;
            return 0;
        }
    }
    return -EINVAL;
}

/* "2026-11-30T10:15:01.123456789Z": exact to the nanosecond, unlike a JSON
 * number (a double), and readable in `bpftool`-style dumps and logs. */
static void format_time(uint64_t ns, char *buf, size_t size)
{
    time_t sec = (time_t)(ns / 1000000000ull);
    struct tm tm;
    gmtime_r(&sec, &tm);
    size_t n = strftime(buf, size, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf + n, size - n, ".%09lluZ", (unsigned long long)(ns % 1000000000ull));
}

static int parse_time(const char *s, uint64_t *ns)
{
    struct tm tm;
    memset(&tm, 0, sizeof(tm));
    const char *rest = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
    unsigned long long frac = 0;
    int digits = 0;
    if (!rest)
        return -EINVAL;
    if (*rest == '.') {
        for (rest++; *rest >= '0' && *rest <= '9' && digits < 9; rest++, digits++)
            frac = frac * 10 + (unsigned long long)(*rest - '0');
        if (digits == 0)
            return -EINVAL;
        for (; digits < 9; digits++)
            frac *= 10;
    }
    if (strcmp(rest, "Z") != 0)
        return -EINVAL;
    time_t sec = timegm(&tm);
    if (sec < 0)
        return -EINVAL;
    *ns = (uint64_t)sec * 1000000000ull + frac;
    return 0;
}

int rootfs_record_to_json(const struct rootfs_record *r, char **out, struct ur_err *err)
{
    /* Written straight into one buffer, not through a cJSON tree (some 40
     * allocations): this is on the agent's per-record path. The text is what
     * cJSON_PrintUnformatted would make of the same members (unit-tested). */
    char when[48];
    format_time(r->observed_at_ns, when, sizeof(when));
    const char *keys[] = {"type", "device", "fstype", "backing", "observed_by", "observed_at",
                          "namespace", "container", "mount_target"};
    const char *vals[] = {rootfs_type_name(r->type), r->device, r->fstype, r->backing, r->observed_by,
                          when, r->namespace_, r->container, r->mount_target};
    const size_t nvals = sizeof(vals) / sizeof(vals[0]);
    size_t cap = 96; /* version, major, minor, braces */
    for (size_t i = 0; i < nvals; i++)
        cap += jsonstr_bound(keys[i]) + jsonstr_bound(vals[i]) + 2;
    char *b = malloc(cap);
    if (!b)
        return ur_errf(err, -ENOMEM, "out of memory");
    size_t n = (size_t)snprintf(b, cap, "{\"version\":%d,", ROOTFS_RECORD_VERSION);
    int rc = 0;
    for (size_t i = 0; i < nvals; i++) {
        rc |= jsonstr_put(b, cap, &n, keys[i]);
        b[n++] = ':';
        rc |= jsonstr_put(b, cap, &n, vals[i]);
        b[n++] = ',';
        if (i == 1) /* after "device", as the record has always been laid out */
            n += (size_t)snprintf(b + n, cap - n, "\"major\":%u,\"minor\":%u,", r->major, r->minor);
    }
    b[n - 1] = '}'; /* over the last comma */
    b[n] = '\0';
    if (rc != 0) { /* cannot happen: cap counts every byte */
        free(b);
        return ur_errf(err, -ENOMEM, "rootfs record: buffer too small");
    }
    *out = b;
    return 0;
}

/* Copy string member key into dst (size n); absent is "", wrong type or too long is an error. */
static int get_str(const cJSON *o, const char *key, char *dst, size_t n, struct ur_err *err)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    dst[0] = '\0';
    if (!v)
        return 0;
    if (!cJSON_IsString(v) || !v->valuestring)
        return ur_errf(err, -EINVAL, "rootfs record: \"%s\" is not a string", key);
    size_t len = strlen(v->valuestring);
    if (len >= n)
        return ur_errf(err, -EINVAL, "rootfs record: \"%s\" is too long (%zu bytes)", key, len);
    memcpy(dst, v->valuestring, len + 1);
    return 0;
}

/* Read a non-negative integer member no larger than max. */
static int get_uint(const cJSON *o, const char *key, double max, uint64_t *dst, bool required,
                    struct ur_err *err)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    *dst = 0;
    if (!v)
        return required ? ur_errf(err, -EINVAL, "rootfs record: \"%s\" is missing", key) : 0;
    if (!cJSON_IsNumber(v) || v->valuedouble < 0 || v->valuedouble > max ||
        v->valuedouble != (double)(uint64_t)v->valuedouble)
        return ur_errf(err, -EINVAL, "rootfs record: \"%s\" is not a valid number", key);
    *dst = (uint64_t)v->valuedouble;
    return 0;
}

int rootfs_record_from_json(const char *json, struct rootfs_record *r, struct ur_err *err)
{
    memset(r, 0, sizeof(*r));
    cJSON *o = cJSON_Parse(json);
    if (!o)
        return ur_errf(err, -EINVAL, "rootfs record: not valid JSON");
    int rc;
    uint64_t version, major, minor;
    char type[16], when[48];
    if (!cJSON_IsObject(o)) {
        rc = ur_errf(err, -EINVAL, "rootfs record: not a JSON object");
        goto out;
    }
    if ((rc = get_uint(o, "version", 1e6, &version, true, err)) < 0)
        goto out;
    if (version != ROOTFS_RECORD_VERSION) {
        rc = ur_errf(err, -EPROTO, "rootfs record: version %llu, this build reads %d",
                     (unsigned long long)version, ROOTFS_RECORD_VERSION);
        goto out;
    }
    r->version = (int)version;
    if ((rc = get_str(o, "type", type, sizeof(type), err)) < 0)
        goto out;
    if (rootfs_type_parse(type, &r->type) < 0) {
        rc = ur_errf(err, -EINVAL, "rootfs record: unknown type \"%s\"", type);
        goto out;
    }
    if ((rc = get_uint(o, "major", 0xfff, &major, r->type == ROOTFS_BLOCK, err)) < 0 ||
        (rc = get_uint(o, "minor", 0xfffff, &minor, r->type == ROOTFS_BLOCK, err)) < 0 ||
        (rc = get_str(o, "observed_at", when, sizeof(when), err)) < 0 ||
        (rc = get_str(o, "device", r->device, sizeof(r->device), err)) < 0 ||
        (rc = get_str(o, "fstype", r->fstype, sizeof(r->fstype), err)) < 0 ||
        (rc = get_str(o, "backing", r->backing, sizeof(r->backing), err)) < 0 ||
        (rc = get_str(o, "observed_by", r->observed_by, sizeof(r->observed_by), err)) < 0 ||
        (rc = get_str(o, "namespace", r->namespace_, sizeof(r->namespace_), err)) < 0 ||
        (rc = get_str(o, "container", r->container, sizeof(r->container), err)) < 0 ||
        (rc = get_str(o, "mount_target", r->mount_target, sizeof(r->mount_target), err)) < 0)
        goto out;
    r->major = (uint32_t)major;
    r->minor = (uint32_t)minor;
    if (when[0] && parse_time(when, &r->observed_at_ns) < 0) {
        rc = ur_errf(err, -EINVAL, "rootfs record: \"observed_at\" is not a UTC time like "
                     "2026-01-02T03:04:05.123456789Z");
        goto out;
    }
    if (r->type == ROOTFS_BLOCK && r->device[0] != '/') {
        rc = ur_errf(err, -EINVAL, "rootfs record: block type needs an absolute \"device\" path");
        goto out;
    }
    rc = 0;
out:
    cJSON_Delete(o);
    return rc;
}
