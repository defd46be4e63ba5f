/* recjson.c: rootfs record JSON without a cJSON tree (see recjson.h). */
#include "recjson.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "jsonstr.h"

/* "YYYY-MM-DDTHH:MM:SS" of a second, kept for the next call (records come in bursts). */
static const char *utc_second(time_t sec)
{
    static time_t last = (time_t)-1;
    static char buf[64];
    if (sec != last) {
        struct tm tm;
        gmtime_r(&sec, &tm);
        strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
        last = sec;
    }
    return buf;
}

int recjson(const struct rootfs_record *r, char **out)
{
    /* cJSON prints a number equal to its int value with %d: true for any
     * device number up to INT_MAX; anything else takes the cJSON path. */
    if (r->major > INT_MAX || r->minor > INT_MAX)
        return rootfs_record_to_json(r, out, NULL) < 0 ? -ENOMEM : 0;
    char when[96];
    snprintf(when, sizeof(when), "%s.%09lluZ", utc_second((time_t)(r->observed_at_ns / 1000000000ull)),
             (unsigned long long)(r->observed_at_ns % 1000000000ull));
    const char *keys[] = {"type", "device", "fstype", "backing", "observed_by", "observed_at",
                          "namespace", "container", "mount_target"};
    const char *vals[] = {rootfs_type_name(r->type), r->device, r->fstype, r->backing, r->observed_by,
                          when, r->namespace_, r->container, r->mount_target};
    size_t cap = 128;
    for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++)
        cap += jsonstr_bound(keys[i]) + jsonstr_bound(vals[i]) + 2;
    char *b = malloc(cap);
    if (!b)
        return -ENOMEM;
    size_t n = 0;
    int rc = 0;
#define PUT_STR(i) (rc |= jsonstr_put(b, cap, &n, keys[i]), b[n++] = ':', \
                    rc |= jsonstr_put(b, cap, &n, vals[i]), b[n++] = ',')
    n = (size_t)snprintf(b, cap, "{\"version\":%d,", ROOTFS_RECORD_VERSION);
    PUT_STR(0);
    PUT_STR(1);
    n += (size_t)snprintf(b + n, cap - n, "\"major\":%u,\"minor\":%u,", r->major, r->minor);
    for (size_t i = 2; i < sizeof(vals) / sizeof(vals[0]); i++)
        PUT_STR(i);
#undef PUT_STR
    b[n - 1] = '}'; /* the last comma */
    b[n] = '\0';
    if (rc != 0) { /* cannot happen: cap counts every byte */
        free(b);
        return -ENOMEM;
    }
    *out = b;
    return 0;
}
