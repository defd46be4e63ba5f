/* jsonpatch.h: read and set one annotation in an OCI config.json by its text.
 *
 * Re-serializing config.json through a JSON library would reformat it and
 * round large integers through doubles; this edit keeps every other byte:
 * it replaces the value of annotations[key] in place, or inserts the member
 * as the first one of the top-level "annotations" object (created after the
 * root's '{' when absent). The input must be a JSON object.
 *
 * One strict pass (json_scan_config) validates the whole document against
 * RFC 8259 (the grammar Go's encoding/json, which wrote the file, produces
 * and accepts; nesting at most 64 deep; UTF-16 surrogate escapes only in
 * pairs, as cJSON, the runtime's reader, demands) and notes where the
 * top-level annotations and the two members the agent cares about are;
 * classifying the bundle and editing it then need no second parse. Members
 * are found by their name as cJSON decodes it (escapes, and a \u0000 ending
 * it), first occurrence: the member the runtime will read. */
#ifndef UNIROOTD_JSONPATCH_H
#define UNIROOTD_JSONPATCH_H

#include <stddef.h>

#include "err.h"

/* A value's text is doc[start, end). */
struct json_span {
    int found;
    size_t start, end;
};

struct json_config_info {
    size_t root_body;           /* just after the root's '{' */
    int root_empty;             /* the root has no members */
    struct json_span ann;       /* top-level "annotations" (any type) */
    size_t ann_body;            /* just after its '{' (when it is an object) */
    int ann_empty;
    struct json_span member[2]; /* annotations[keys[0]], annotations[keys[1]] */
    int ann_has_prefix;         /* an annotations member's name starts with the prefix */
};

/* Validate doc[0..len) (one JSON object, nothing after it) and fill *info;
 * keys[0], keys[1] are the annotations looked for; prefix (may be NULL) a
 * start of annotation names whose presence is noted. 0 or -EINVAL (message
 * in err). */
int json_scan_config(const char *doc, size_t len, const char *const keys[2], const char *prefix,
                     struct json_config_info *info, struct ur_err *err);

/* Is the span a JSON string token that decodes to a non-empty string? */
int json_span_nonempty_string(const char *doc, const struct json_span *s);

/* *out (malloc'ed, NUL-terminated, length in *out_len) = doc with
 * annotations[key] = value (a plain string, escaped here), where info came
 * from json_scan_config(doc) with key as keys[which]. */
int json_splice_annotation(const char *doc, size_t len, const struct json_config_info *info,
                           int which, const char *key, const char *value, char **out,
                           size_t *out_len, struct ur_err *err);

/* Both steps: validate doc and set annotations[key] = value. */
int json_set_annotation(const char *doc, size_t len, const char *key, const char *value,
                        char **out, size_t *out_len, struct ur_err *err);

#endif
