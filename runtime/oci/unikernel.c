/* unikernel.c: the urunc-compatible unikernel description: from config.json
 * annotations, or from urunc.json at the rootfs root (values base64). Which
 * hypervisors and unikernel types run, and the filesystems each type boots
 * from, are the backends' (backend_*.c). */
#include "backend.h"
#include "jsonstr.h"
#include "oci.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool uk_supports_fs(const struct uk_desc *d, const char *fstype)
{
    return backend_supports_fs(backend_find(d->hypervisor), d->type, fstype);
}

int uk_validate(const struct uk_desc *d, struct ur_err *err)
{
    const struct backend *b;
    return backend_for(d, &b, err);
}

static const struct {
    const char *key; /* after the prefix */
    size_t off, size;
} uk_fields[] = {
#define F(k, m) {k, offsetof(struct uk_desc, m), sizeof(((struct uk_desc *)0)->m)}
    F("unikernelType", type), F("hypervisor", hypervisor), F("unikernelVersion", version),
    F("binary", binary), F("cmdline", cmdline), F("initrd", initrd), F("block", block),
    F("blkMntPoint", blk_mnt_point),
#undef F
};

/* Store value for the full key into d (value already decoded). Unknown
 * com.urunc.unikernel.* keys are ignored, as urunc does. */
static int set_field(struct uk_desc *d, const char *key, const char *value, struct ur_err *err)
{
    const char *k = key + strlen(UK_PREFIX);
    /* No control characters in any value (a NUL cannot reach here: config.json
     * and urunc.json holding one are refused whole). Newlines and the rest mean
     * nothing to a Solo5 guest's command line or to a path, and they would
     * split the log's, the state's and the shim's one-line records. */
    for (const unsigned char *p = (const unsigned char *)value; *p; p++)
        if (*p < 0x20 || *p == 0x7f)
            return ur_errf(err, -EINVAL, "%s holds a control character (byte 0x%02x at offset "
                                         "%zu); refused", key, *p, (size_t)(p - (const unsigned char *)value));
    if (strcmp(k, "mountRootfs") == 0) {
        if (strcmp(value, "true") == 0)
            d->mount_rootfs = true;
        else if (strcmp(value, "false") == 0 || !value[0])
            d->mount_rootfs = false;
        else
            return ur_errf(err, -EINVAL, "%s: \"%s\" is not true or false", key, value);
        return 0;
    }
    for (size_t i = 0; i < sizeof(uk_fields) / sizeof(uk_fields[0]); i++) {
        if (strcmp(uk_fields[i].key, k) != 0)
            continue;
        size_t len = strlen(value);
        if (len >= uk_fields[i].size)
            return ur_errf(err, -EINVAL, "%s is too long (%zu bytes)", key, len);
        memcpy((char *)d + uk_fields[i].off, value, len + 1);
        return 0;
    }
    return 0;
}

static int check_required(const struct uk_desc *d, struct ur_err *err)
{
    if (!d->type[0])
        return ur_errf(err, -EINVAL, "%s: %sunikernelType is missing", d->source, UK_PREFIX);
    if (!d->hypervisor[0])
        return ur_errf(err, -EINVAL, "%s: %shypervisor is missing", d->source, UK_PREFIX);
    if (!d->binary[0])
        return ur_errf(err, -EINVAL, "%s: %sbinary is missing", d->source, UK_PREFIX);
    if (d->binary[0] != '/')
        return ur_errf(err, -EINVAL, "%s: %sbinary must be an absolute path in the rootfs",
                       d->source, UK_PREFIX);
    return 0;
}

int uk_from_annotations(const cJSON *annotations, struct uk_desc *d, struct ur_err *err)
{
    memset(d, 0, sizeof(*d));
    strcpy(d->source, "annotations");
    if (!annotations)
        return 0;
    bool any = false;
    const cJSON *a;
    cJSON_ArrayForEach(a, annotations) {
        if (!ur_uk_is_key(a->string))
            continue;
        if (!cJSON_IsString(a))
            return ur_errf(err, -EINVAL, "annotation %s is not a string", a->string);
        any = true;
        int rc = set_field(d, a->string, a->valuestring, err);
        if (rc < 0)
            return ur_err_wrap(err, "annotations");
    }
    if (!any)
        return 0;
    int rc = check_required(d, err);
    return rc < 0 ? rc : 1;
}

int uk_from_urunc_json(const char *json, struct uk_desc *d, struct ur_err *err)
{
    memset(d, 0, sizeof(*d));
    strcpy(d->source, "urunc.json");
    long nul = jsonstr_find_nul(json);
    if (nul >= 0)
        return ur_errf(err, -EINVAL, "urunc.json: a string holds a NUL character (\\u0000 at byte "
                                     "%ld); refused", nul);
    cJSON *o = cJSON_Parse(json);
    if (!o || !cJSON_IsObject(o)) {
        cJSON_Delete(o);
        return ur_errf(err, -EINVAL, "urunc.json is not a JSON object");
    }
    int rc = 0;
    bool any = false;
    const cJSON *a;
    cJSON_ArrayForEach(a, o) {
        if (!ur_uk_is_key(a->string))
            continue;
        if (!cJSON_IsString(a)) {
            rc = ur_errf(err, -EINVAL, "urunc.json: %s is not a string", a->string);
            goto out;
        }
        char *v;
        if ((rc = base64_decode(a->valuestring, &v, NULL, err)) < 0) {
            ur_err_wrap(err, "urunc.json: %s", a->string);
            goto out;
        }
        rc = set_field(d, a->string, v, err);
        free(v);
        if (rc < 0) {
            ur_err_wrap(err, "urunc.json");
            goto out;
        }
        any = true;
    }
    if (!any) {
        rc = ur_errf(err, -EINVAL, "urunc.json holds no %s* key", UK_PREFIX);
        goto out;
    }
    rc = check_required(d, err);
    if (rc == 0)
        rc = 1;
out:
    cJSON_Delete(o);
    return rc;
}

static int b64_value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
}

int base64_decode(const char *in, char **out, size_t *outlen, struct ur_err *err)
{
    size_t n = strlen(in);
    while (n > 0 && in[n - 1] == '=')
        n--;
    if (n % 4 == 1)
        return ur_errf(err, -EINVAL, "not valid base64 (length)");
    char *buf = malloc(n / 4 * 3 + 3 + 1);
    if (!buf)
        return ur_errf(err, -ENOMEM, "out of memory");
    size_t o = 0;
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < n; i++) {
        int v = b64_value((unsigned char)in[i]);
        if (v < 0) {
            free(buf);
            return ur_errf(err, -EINVAL, "not valid base64 (character %zu)", i);
        }
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            buf[o++] = (char)((acc >> bits) & 0xff);
        }
    }
    buf[o] = '\0';
    if (memchr(buf, '\0', o)) {
        free(buf);
        return ur_errf(err, -EINVAL, "decoded value holds a NUL byte");
    }
    *out = buf;
    if (outlen)
        *outlen = o;
    return 0;
}
