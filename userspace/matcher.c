/* matcher.c: the container-id matcher table (see matcher.h). */
#include "matcher.h"

#include <stdio.h>
#include <string.h>

/* One layout: the directory under a state dir that holds
 * <namespace>/<id>/rootfs (containerd) or <id>/rootfs when has_ns is 0. */
struct layout {
    const char *name;
    const char *task_dir;    /* component between state dir and namespace */
    int has_ns;
    const char *default_ns;  /* when has_ns is 0 */
};

static const struct layout layouts[] = {
    /* containerd runtime v2 shims: <state>/io.containerd.runtime.v2.task/<ns>/<id>/rootfs */
    {"containerd-v2", "io.containerd.runtime.v2.task", 1, NULL},
    /* containerd's older v1 linux runtime: <state>/io.containerd.runtime.v1.linux/<ns>/<id>/rootfs */
    {"containerd-v1", "io.containerd.runtime.v1.linux", 1, NULL},
};

static const char *const layout_names[] = {"containerd-v2", "containerd-v1", NULL};

const char *const *matcher_layouts(void)
{
    return layout_names;
}

/* A single path component that is safe to use as a name: not empty, not "."
 * or "..", no '/', at most max-1 bytes. Copies it into dst. */
static int take_component(const char *s, size_t len, char *dst, size_t max)
{
    if (len == 0 || len >= max || memchr(s, '/', len))
        return 0;
    if ((len == 1 && s[0] == '.') || (len == 2 && s[0] == '.' && s[1] == '.'))
        return 0;
    memcpy(dst, s, len);
    dst[len] = '\0';
    return 1;
}

/* Does path start with dir as a whole directory (dir + '/')? Returns the
 * length of the matched prefix including the slash, or 0. */
static size_t under_dir(const char *path, const char *dir)
{
    size_t n = strlen(dir);
    while (n > 1 && dir[n - 1] == '/')
        n--;
    if (n == 0 || strncmp(path, dir, n) != 0 || path[n] != '/')
        return 0;
    return n + 1;
}

static int match_layout(const struct layout *l, const char *rest, struct ur_match *m)
{
    size_t tl = strlen(l->task_dir);
    if (strncmp(rest, l->task_dir, tl) != 0 || rest[tl] != '/')
        return 0;
    const char *p = rest + tl + 1;
    if (l->has_ns) {
        const char *slash = strchr(p, '/');
        if (!slash || !take_component(p, (size_t)(slash - p), m->namespace_, sizeof(m->namespace_)))
            return 0;
        p = slash + 1;
    } else {
        snprintf(m->namespace_, sizeof(m->namespace_), "%s", l->default_ns);
    }
    const char *slash = strchr(p, '/');
    if (!slash || !take_component(p, (size_t)(slash - p), m->id, sizeof(m->id)))
        return 0;
    const char *tail = slash + 1;
    size_t tlen = strlen(tail);
    while (tlen > 0 && tail[tlen - 1] == '/')
        tlen--;
    if (tlen != 6 || strncmp(tail, "rootfs", 6) != 0)
        return 0;
    m->layout = l->name;
    return 1;
}

int matcher_match_target(const char *target, const char *const *state_dirs, size_t n_dirs,
                         struct ur_match *m)
{
    memset(m, 0, sizeof(*m));
    if (!target || target[0] != '/' || strlen(target) >= sizeof(m->bundle))
        return 0;
    for (size_t d = 0; d < n_dirs; d++) {
        size_t off = under_dir(target, state_dirs[d]);
        if (!off)
            continue;
        for (size_t i = 0; i < sizeof(layouts) / sizeof(layouts[0]); i++) {
            if (match_layout(&layouts[i], target + off, m)) {
                /* bundle = target without the trailing "/rootfs[/]" */
                const char *r = strrchr(target, '/');
                size_t blen = (size_t)(r - target);
                if (r[1] == '\0') { /* trailing slash: step over it */
                    while (blen > 0 && target[blen - 1] == '/')
                        blen--;
                    r = memrchr(target, '/', blen);
                    blen = (size_t)(r - target);
                }
                memcpy(m->bundle, target, blen);
                m->bundle[blen] = '\0';
                return 1;
            }
            memset(m, 0, sizeof(*m));
        }
    }
    return 0;
}

int matcher_match_bundle(const char *bundle, const char *const *state_dirs, size_t n_dirs,
                         struct ur_match *m)
{
    char target[MATCH_PATH_MAX];
    size_t n = bundle ? strlen(bundle) : 0;
    while (n > 1 && bundle[n - 1] == '/')
        n--;
    if (n == 0 || n + sizeof("/rootfs") > sizeof(target))
        return 0;
    memcpy(target, bundle, n);
    memcpy(target + n, "/rootfs", sizeof("/rootfs"));
    return matcher_match_target(target, state_dirs, n_dirs, m);
}
