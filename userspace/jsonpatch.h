/* jsonpatch.h: set one annotation in an OCI config.json by editing its text.
 *
 * Re-serializing config.json through a JSON library would reformat it and
 * round large integers through doubles; this edit keeps every other byte:
 * it replaces the value of annotations[key] in place, or inserts the member
 * as the first one of the top-level "annotations" object (created after the
 * root's '{' when absent). The input must be a JSON object. */
#ifndef UNIROOTD_JSONPATCH_H
#define UNIROOTD_JSONPATCH_H

#include <stddef.h>

#include "err.h"

/* doc[0..len) -> *out (malloc'ed, NUL-terminated, length in *out_len) with
 * annotations[key] = value (a plain string, escaped here). */
int json_set_annotation(const char *doc, size_t len, const char *key, const char *value,
                        char **out, size_t *out_len, struct ur_err *err);

#endif
