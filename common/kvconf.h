/* kvconf.h: the one settings-file format of uniroot's programs (unirootd's
 * /etc/uniroot/unirootd.conf, the runtime's /etc/uniroot/config):
 *
 *   # a comment; '#' anywhere starts one
 *   key = value          (spaces and tabs around key and value are dropped)
 *
 * Blank lines are skipped; every other line must be "key = value" with a
 * non-empty key. Keys and values hold no control characters (tab aside), the
 * file no NUL byte. Line numbers count every line, blank ones too, so an error
 * names the line an editor shows: "FILE:LINE: what is wrong".
 */
#ifndef UNIROOT_COMMON_KVCONF_H
#define UNIROOT_COMMON_KVCONF_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"

/* The most a settings file may hold. */
#define UR_KV_MAX_BYTES (64 * 1024)

/* Called for each setting in file order: 0, or a negative errno with err
 * filled (the parser adds "FILE:LINE: " in front). */
typedef int (*ur_kv_fn)(void *arg, const char *key, const char *value, unsigned line,
                        struct ur_err *err);

/* Parse len bytes of text (name names it in messages). Stops at the first
 * bad line or callback error. */
int ur_kv_parse(const char *text, size_t len, const char *name, ur_kv_fn fn, void *arg,
                struct ur_err *err);

/* Read and parse the file at path: a regular file of at most UR_KV_MAX_BYTES
 * (following symlinks, as config management and ConfigMap mounts make them),
 * or /dev/null, read as empty. Returns 1 when parsed, 0 when it does not
 * exist and !must_exist (nothing called), negative on any other failure. */
int ur_kv_load(const char *path, bool must_exist, ur_kv_fn fn, void *arg, struct ur_err *err);

#endif
