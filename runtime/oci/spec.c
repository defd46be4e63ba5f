/* spec.c: reads the parts of an OCI bundle's config.json that uniroot uses:
 * root.path, annotations, process.args/terminal, linux.cgroupsPath,
 * linux.namespaces (those given by path) and the memory limit. */
#include "fileio.h"
#include "jsonstr.h"
#include "oci.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const struct {
    const char *name;
    int type;
} ns_types[] = {
    {"network", CLONE_NEWNET}, {"ipc", CLONE_NEWIPC}, {"uts", CLONE_NEWUTS},
    {"pid", CLONE_NEWPID}, {"mount", CLONE_NEWNS}, {"user", CLONE_NEWUSER},
    {"cgroup", CLONE_NEWCGROUP},
};

const char *spec_annotation(const struct oci_spec *s, const char *key)
{
    const cJSON *v = s->annotations ? cJSON_GetObjectItemCaseSensitive(s->annotations, key) : NULL;
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static int parse_namespaces(const cJSON *arr, struct oci_spec *s, struct ur_err *err)
{
    if (!arr)
        return 0;
    if (!cJSON_IsArray(arr))
        return ur_errf(err, -EINVAL, "config.json: linux.namespaces is not an array");
    const cJSON *n;
    cJSON_ArrayForEach(n, arr) {
        const cJSON *t = cJSON_GetObjectItemCaseSensitive(n, "type");
        const cJSON *p = cJSON_GetObjectItemCaseSensitive(n, "path");
        if (!cJSON_IsString(t))
            return ur_errf(err, -EINVAL, "config.json: a namespace has no type");
        int type = 0;
        for (size_t i = 0; i < sizeof(ns_types) / sizeof(ns_types[0]); i++)
            if (strcmp(ns_types[i].name, t->valuestring) == 0)
                type = ns_types[i].type;
        if (!type)
            return ur_errf(err, -EINVAL, "config.json: unknown namespace type \"%s\"", t->valuestring);
        if (!p)
            continue; /* a new namespace: the VMM needs none of its own */
        if (!cJSON_IsString(p) || p->valuestring[0] != '/' || strlen(p->valuestring) >= PATH_MAX)
            return ur_errf(err, -EINVAL, "config.json: namespace %s has a bad path", t->valuestring);
        if (s->nns >= SPEC_MAX_NS)
            return ur_errf(err, -EINVAL, "config.json: too many namespaces");
        s->ns[s->nns].type = type;
        strcpy(s->ns[s->nns].path, p->valuestring);
        s->nns++;
    }
    return 0;
}

static int parse_process(const cJSON *proc, struct oci_spec *s, struct ur_err *err)
{
    s->args = calloc(1, sizeof(char *));
    if (!s->args)
        return ur_errf(err, -ENOMEM, "out of memory");
    if (!proc)
        return 0;
    if (!cJSON_IsObject(proc))
        return ur_errf(err, -EINVAL, "config.json: process is not an object");
    s->terminal = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(proc, "terminal"));
    const cJSON *args = cJSON_GetObjectItemCaseSensitive(proc, "args");
    if (!args)
        return 0;
    if (!cJSON_IsArray(args))
        return ur_errf(err, -EINVAL, "config.json: process.args is not an array");
    int n = cJSON_GetArraySize(args);
    char **a = realloc(s->args, sizeof(char *) * ((size_t)n + 1));
    if (!a)
        return ur_errf(err, -ENOMEM, "out of memory");
    s->args = a;
    const cJSON *v;
    cJSON_ArrayForEach(v, args) {
        if (!cJSON_IsString(v))
            return ur_errf(err, -EINVAL, "config.json: process.args holds a non-string");
        s->args[s->nargs++] = v->valuestring;
    }
    s->args[s->nargs] = NULL;
    return 0;
}

int spec_parse(const char *json, const char *bundle, struct oci_spec *s, struct ur_err *err)
{
    memset(s, 0, sizeof(*s));
    if (strlen(bundle) >= sizeof(s->bundle))
        return ur_errf(err, -ENAMETOOLONG, "bundle path too long");
    strcpy(s->bundle, bundle);
    long nul = jsonstr_find_nul(json); /* cJSON would silently cut the string there */
    if (nul >= 0)
        return ur_errf(err, -EINVAL, "config.json: a string holds a NUL character (\\u0000 at "
                                     "byte %ld); refused", nul);
    s->doc = cJSON_Parse(json);
    if (!s->doc || !cJSON_IsObject(s->doc)) {
        spec_free(s);
        return ur_errf(err, -EINVAL, "config.json is not a valid JSON object");
    }
    int rc;
    const cJSON *root = cJSON_GetObjectItemCaseSensitive(s->doc, "root");
    const cJSON *path = root ? cJSON_GetObjectItemCaseSensitive(root, "path") : NULL;
    if (!cJSON_IsString(path) || !path->valuestring[0]) {
        rc = ur_errf(err, -EINVAL, "config.json: root.path is missing");
        goto fail;
    }
    int n = path->valuestring[0] == '/'
                ? snprintf(s->rootfs, sizeof(s->rootfs), "%s", path->valuestring)
                : snprintf(s->rootfs, sizeof(s->rootfs), "%s/%s", bundle, path->valuestring);
    if (n < 0 || (size_t)n >= sizeof(s->rootfs)) {
        rc = ur_errf(err, -ENAMETOOLONG, "config.json: root.path too long");
        goto fail;
    }
    s->rootfs_readonly = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(root, "readonly"));
    s->annotations = cJSON_GetObjectItemCaseSensitive(s->doc, "annotations");
    if (s->annotations && !cJSON_IsObject(s->annotations)) {
        rc = ur_errf(err, -EINVAL, "config.json: annotations is not an object");
        goto fail;
    }
    if ((rc = parse_process(cJSON_GetObjectItemCaseSensitive(s->doc, "process"), s, err)) < 0)
        goto fail;
    const cJSON *linux_ = cJSON_GetObjectItemCaseSensitive(s->doc, "linux");
    if (linux_) {
        const cJSON *cg = cJSON_GetObjectItemCaseSensitive(linux_, "cgroupsPath");
        if (cg && !cJSON_IsString(cg)) {
            rc = ur_errf(err, -EINVAL, "config.json: linux.cgroupsPath is not a string");
            goto fail;
        }
        s->cgroups_path = cg && cg->valuestring[0] ? cg->valuestring : NULL;
        if ((rc = parse_namespaces(cJSON_GetObjectItemCaseSensitive(linux_, "namespaces"), s, err)) < 0)
            goto fail;
        const cJSON *res = cJSON_GetObjectItemCaseSensitive(linux_, "resources");
        const cJSON *mem = res ? cJSON_GetObjectItemCaseSensitive(res, "memory") : NULL;
        const cJSON *lim = mem ? cJSON_GetObjectItemCaseSensitive(mem, "limit") : NULL;
        /* an int64 in the OCI spec (-1: unlimited); 2^63 and beyond is no
         * limit at all, and converting it would be undefined */
        if (cJSON_IsNumber(lim) && lim->valuedouble >= 9223372036854775808.0) {
            rc = ur_errf(err, -EINVAL, "config.json: linux.resources.memory.limit %g is out of "
                         "range (an int64 of bytes)", lim->valuedouble);
            goto fail;
        }
        if (cJSON_IsNumber(lim) && lim->valuedouble > 0)
            s->mem_limit = (uint64_t)lim->valuedouble;
    }
    return 0;
fail:
    spec_free(s);
    return rc;
}

int spec_load(const char *bundle, struct oci_spec *s, struct ur_err *err)
{
    char path[PATH_MAX];
    if (snprintf(path, sizeof(path), "%s/config.json", bundle) >= (int)sizeof(path))
        return ur_errf(err, -ENAMETOOLONG, "bundle path too long");
    char *json = NULL;
    int rc = ur_read_file(AT_FDCWD, path, 4 << 20, &json, NULL, err);
    if (rc < 0)
        return rc;
    rc = spec_parse(json, bundle, s, err);
    free(json);
    return rc;
}

void spec_free(struct oci_spec *s)
{
    cJSON_Delete(s->doc);
    free(s->args);
    s->doc = NULL;
    s->args = NULL;
}
