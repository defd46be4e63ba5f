/* matcher.h: which container a mount target belongs to.
 *
 * A table of layouts, tried in order; the first that matches names the
 * runtime namespace, the container id and the bundle directory. Adding a
 * layout (CRI-O, podman, ...) is one more row in matcher.c, nothing else.
 * A target matches only under one of the configured state directories. */
#ifndef UNIROOTD_MATCHER_H
#define UNIROOTD_MATCHER_H

#include <stddef.h>

#define MATCH_NS_MAX 64
#define MATCH_ID_MAX 128
#define MATCH_PATH_MAX 4096

struct ur_match {
    const char *layout;              /* the table row's name */
    char namespace_[MATCH_NS_MAX];
    char id[MATCH_ID_MAX];
    char bundle[MATCH_PATH_MAX];     /* directory holding config.json */
};

/* Match a rootfs mount target (absolute, no trailing slash needed). Returns 1
 * and fills *m when a layout matches, 0 when none does. */
int matcher_match_target(const char *target, const char *const *state_dirs, size_t n_dirs,
                         struct ur_match *m);

/* Match a bundle directory (the parent of a rootfs target). */
int matcher_match_bundle(const char *bundle, const char *const *state_dirs, size_t n_dirs,
                         struct ur_match *m);

/* The layouts' names, NULL-terminated (for status). */
const char *const *matcher_layouts(void);

#endif
