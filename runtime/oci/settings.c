/* settings.c: the runtime's node configuration file (settings.h): built-in
 * defaults, each key's check, and which of file and environment applies.
 *
 * vcpus: urunc's files carry default_vcpus, so the key is there for them, but
 * Solo5 has one vCPU per guest (the hvt ABI boots and runs one vCPU; an spt
 * guest is one thread of its monitor), so 1 is the only value either monitor
 * can honour and anything else is refused rather than silently ignored. */
#include "settings.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agentsock.h"
#include "backend.h"
#include "kvconf.h"

static const char *const level_names[] = {
    [RT_LOG_DEBUG] = "debug", [RT_LOG_INFO] = "info", [RT_LOG_WARN] = "warn", [RT_LOG_ERROR] = "error",
};

const char *settings_log_level_name(enum rt_log_level l)
{
    return (unsigned)l < sizeof(level_names) / sizeof(level_names[0]) ? level_names[l] : "?";
}

void settings_defaults(struct rt_settings *s)
{
    memset(s, 0, sizeof(*s));
    s->log_level = RT_LOG_INFO;
    snprintf(s->runc, sizeof(s->runc), "runc");
    snprintf(s->agent_socket, sizeof(s->agent_socket), "%s", UR_AGENT_SOCKET_DEFAULT);
    snprintf(s->cgroup_root, sizeof(s->cgroup_root), "/sys/fs/cgroup");
    for (unsigned k = 0; k < SETTINGS_MAX_MONITORS; k++) {
        s->mon[k].memory_mb = SETTINGS_DEFAULT_MEM_MB;
        s->mon[k].vcpus = 1;
    }
}

/* A whole decimal number of at most 9 digits (no sign, no spaces): 0, else -EINVAL. */
static int parse_count(const char *v, uint64_t *out)
{
    size_t n = strlen(v);
    if (n == 0 || n > 9 || strspn(v, "0123456789") != n)
        return -EINVAL;
    *out = strtoull(v, NULL, 10);
    return 0;
}

/* An absolute path that fits n bytes. */
static int set_path(char *dst, size_t n, const char *key, const char *v, struct ur_err *err)
{
    if (v[0] != '/')
        return ur_errf(err, -EINVAL, "%s: want an absolute path, got \"%s\"", key, v);
    if (strlen(v) >= n)
        return ur_errf(err, -ENAMETOOLONG, "%s: at most %zu bytes, got %zu", key, n - 1, strlen(v));
    snprintf(dst, n, "%s", v);
    return 0;
}

/* The "hvt." / "spt." keys of backend k. */
static int set_monitor_key(struct rt_settings *s, unsigned k, const char *key, const char *field,
                           const char *v, unsigned line, struct ur_err *err)
{
    const struct backend *b = backends[k];
    struct rt_monitor_settings *m = &s->mon[k];
    uint64_t n;
    if (strcmp(field, "monitor") == 0)
        return set_path(m->monitor, sizeof(m->monitor), key, v, err);
    if (strcmp(field, "memory-mb") == 0) {
        if (parse_count(v, &n) < 0 || n < 2 || n > b->max_mem_mb)
            return ur_errf(err, -EINVAL, "%s: want 2 to %llu (MiB; the most an %s guest can have), "
                           "got \"%s\"", key, (unsigned long long)b->max_mem_mb, b->name, v);
        m->memory_mb = n;
        m->memory_line = line;
        return 0;
    }
    if (strcmp(field, "vcpus") == 0) {
        if (parse_count(v, &n) < 0 || n != 1)
            return ur_errf(err, -EINVAL, "%s: want 1, got \"%s\": a Solo5 %s guest runs on one "
                           "vCPU, and %s cannot give it more", key, v, b->name, b->monitor);
        m->vcpus = 1;
        return 0;
    }
    return ur_errf(err, -EINVAL, "unknown setting \"%s\" (%s takes monitor, memory-mb, vcpus)", key,
                   b->name);
}

/* Refuse a key given before; remember it. */
static int note_key(struct rt_settings *s, const char *key, unsigned line, struct ur_err *err)
{
    for (unsigned i = 0; i < s->nseen; i++)
        if (strcmp(s->seen[i].key, key) == 0)
            return ur_errf(err, -EINVAL, "%s is set again (first on line %u)", key, s->seen[i].line);
    if (s->nseen < sizeof(s->seen) / sizeof(s->seen[0]) && strlen(key) < sizeof(s->seen[0].key)) {
        snprintf(s->seen[s->nseen].key, sizeof(s->seen[0].key), "%s", key);
        s->seen[s->nseen++].line = line;
    }
    return 0;
}

static int set_key(struct rt_settings *s, const char *key, const char *v, unsigned line,
                   struct ur_err *err)
{
    const char *dot = strchr(key, '.');
    if (dot) {
        char hv[16];
        size_t n = (size_t)(dot - key);
        if (n < sizeof(hv)) {
            memcpy(hv, key, n);
            hv[n] = '\0';
            for (unsigned k = 0; k < n_backends && k < SETTINGS_MAX_MONITORS; k++)
                if (strcmp(backends[k]->name, hv) == 0)
                    return set_monitor_key(s, k, key, dot + 1, v, line, err);
        }
        char names[64];
        backend_names(names, sizeof(names), ", ");
        return ur_errf(err, -EINVAL, "unknown setting \"%s\" (monitors: %s)", key, names);
    }
    if (strcmp(key, "log-level") == 0) {
        for (unsigned l = 0; l < sizeof(level_names) / sizeof(level_names[0]); l++)
            if (strcmp(v, level_names[l]) == 0) {
                s->log_level = (enum rt_log_level)l;
                return 0;
            }
        return ur_errf(err, -EINVAL, "log-level: want debug, info, warn or error, got \"%s\"", v);
    }
    if (strcmp(key, "runc") == 0) {
        if (v[0] != '/' && (!v[0] || strchr(v, '/')))
            return ur_errf(err, -EINVAL, "runc: want an absolute path or a name on PATH, got \"%s\"", v);
        if (strlen(v) >= sizeof(s->runc))
            return ur_errf(err, -ENAMETOOLONG, "runc: at most %zu bytes", sizeof(s->runc) - 1);
        snprintf(s->runc, sizeof(s->runc), "%s", v);
        return 0;
    }
    if (strcmp(key, "agent-socket") == 0)
        return set_path(s->agent_socket, sizeof(s->agent_socket), key, v, err);
    if (strcmp(key, "cgroup-root") == 0)
        return set_path(s->cgroup_root, sizeof(s->cgroup_root), key, v, err);
    return ur_errf(err, -EINVAL, "unknown setting \"%s\" (keys: log-level, runc, agent-socket, "
                   "cgroup-root, HV.monitor, HV.memory-mb, HV.vcpus)", key);
}

int settings_set(struct rt_settings *s, const char *key, const char *value, unsigned line,
                 struct ur_err *err)
{
    int rc = note_key(s, key, line, err);
    return rc < 0 ? rc : set_key(s, key, value, line, err);
}

static int file_setting(void *arg, const char *key, const char *value, unsigned line,
                        struct ur_err *err)
{
    return settings_set(arg, key, value, line, err);
}

int settings_parse(struct rt_settings *s, const char *text, const char *name, struct ur_err *err)
{
    return ur_kv_parse(text, strlen(text), name, file_setting, s, err);
}

int settings_load(struct rt_settings *s, struct ur_err *err)
{
    settings_defaults(s);
    const char *env = getenv(SETTINGS_FILE_ENV);
    bool named = env && *env;
    const char *path = named ? env : SETTINGS_DEFAULT_FILE;
    if (path[0] != '/')
        return ur_errf(err, -EINVAL, "%s: want an absolute path, got \"%s\"", SETTINGS_FILE_ENV, path);
    if (strlen(path) >= sizeof(s->file))
        return ur_errf(err, -ENAMETOOLONG, "%s: the file name is too long", SETTINGS_FILE_ENV);
    int rc = ur_kv_load(path, named, file_setting, s, err);
    if (rc < 0)
        return named && rc == -ENOENT ? ur_err_wrap(err, "%s", SETTINGS_FILE_ENV) : rc;
    if (rc > 0)
        snprintf(s->file, sizeof(s->file), "%s", path);
    return 0;
}

/* $name when set and not empty, else fallback. */
static const char *env_or(const char *name, const char *fallback)
{
    const char *e = getenv(name);
    return e && *e ? e : fallback;
}

const char *settings_runc(const struct rt_settings *s)
{
    return env_or("UNIROOT_RUNC", s->runc);
}

const char *settings_agent_socket(const struct rt_settings *s)
{
    return env_or(UR_AGENT_SOCKET_ENV, s->agent_socket);
}

const char *settings_cgroup_root(const struct rt_settings *s)
{
    return env_or("UNIROOT_CGROUP_ROOT", s->cgroup_root);
}

const char *settings_monitor(const struct rt_settings *s, unsigned k)
{
    return k < SETTINGS_MAX_MONITORS && s->mon[k].monitor[0] ? s->mon[k].monitor : NULL;
}
