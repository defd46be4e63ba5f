/* fuzz_config_annotate.c: libFuzzer target for the agent's config.json
 * scanner and annotation writer (userspace/jsonpatch.c through
 * bundle_annotate_doc in bundle.c, the code bundle_annotate runs on the
 * file's text). Input: config.json bytes, optionally followed by a NUL and
 * the value to write (else a real rootfs record). The agent calls a bundle a
 * unikernel exactly when cJSON (the runtime's reader) would. When it writes:
 *  - the output is accepted by the agent again, with nothing left to do;
 *  - cJSON (the runtime's reader) reads the output and the input, finds the
 *    value as the annotation, and with the annotation removed from both (and
 *    an annotations object the agent had to add) the two print the same. */
#include <cjson/cJSON.h>

#include "bundle.h"
#include "fuzz_common.h"
#include "rootfs_record.h"

static const char default_value[] =
    "{\"version\":1,\"type\":\"block\",\"device\":\"/dev/loop3\",\"major\":7,\"minor\":3,"
    "\"fstype\":\"ext4\",\"backing\":\"/var/lib/x/snap.img\",\"observed_by\":\"bpf-tracepoint\","
    "\"observed_at\":\"2026-11-30T10:15:01.123456789Z\",\"namespace\":\"default\","
    "\"container\":\"c1\",\"mount_target\":\"/run/c/default/c1/rootfs\"}";

/* Parse exactly text[0..len) (trailing bytes are an error); NULL if cJSON refuses. */
static cJSON *parse_all(const char *text, size_t len)
{
    return cJSON_ParseWithLengthOpts(text, len + 1, NULL, 1);
}

/* How many members of doc's (first) annotations cJSON reads as the rootfs annotation. */
static int count_rootfs(const cJSON *doc)
{
    const cJSON *ann = cJSON_GetObjectItemCaseSensitive(doc, "annotations"), *m;
    int n = 0;
    if (cJSON_IsObject(ann))
        cJSON_ArrayForEach(m, ann)
            n += m->string && strcmp(m->string, ROOTFS_ANNOTATION) == 0;
    return n;
}

/* Print doc with its first rootfs annotation removed (and the annotations
 * object itself when the agent had to add it). */
static char *print_without(cJSON *doc, int drop_member, int drop_annotations_object)
{
    cJSON *ann = cJSON_GetObjectItemCaseSensitive(doc, "annotations");
    if (drop_member)
        cJSON_DeleteItemFromObjectCaseSensitive(ann, ROOTFS_ANNOTATION);
    if (drop_annotations_object) {
        FUZZ_CHECK(cJSON_IsObject(ann) && cJSON_GetArraySize(ann) == 0);
        cJSON_DeleteItemFromObjectCaseSensitive(doc, "annotations");
    }
    char *p = cJSON_PrintUnformatted(doc);
    FUZZ_CHECK(p);
    return p;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nul = memchr(data, 0, size);
    size_t len = nul ? (size_t)(nul - data) : size;
    char *doc = fuzz_cstr(data, len);
    char *value = nul ? fuzz_cstr(nul + 1, size - len - 1) : fuzz_cstr((const uint8_t *)default_value, strlen(default_value));

    enum bundle_kind kind;
    char *out = NULL;
    size_t out_len = 0;
    struct ur_err err = {0};
    int rc = bundle_annotate_doc(doc, len, NULL, value, &kind, &out, &out_len, &err);
    fuzz_check_err(rc, &err);
    FUZZ_CHECK(rc <= 1);
    FUZZ_CHECK((rc < 0) == (kind == BUNDLE_UNPARSABLE));
    FUZZ_CHECK(rc != 1 || kind == BUNDLE_UNIKERNEL);
    if (rc >= 0) {
        /* the agent calls a unikernel what the runtime (cJSON) will */
        cJSON *in = parse_all(doc, len);
        if (in) {
            const cJSON *ann = cJSON_GetObjectItemCaseSensitive(in, "annotations");
            const cJSON *t = cJSON_IsObject(ann) ? cJSON_GetObjectItemCaseSensitive(ann, UNIKERNEL_TYPE_ANNOTATION) : NULL;
            FUZZ_CHECK((kind == BUNDLE_UNIKERNEL) == (cJSON_IsString(t) && t->valuestring[0] != '\0'));
            cJSON_Delete(in);
        }
    }
    if (rc == 1) {
        FUZZ_CHECK(out && strlen(out) == out_len);
        /* written once, the agent finds its value there */
        enum bundle_kind k2;
        char *out2 = NULL;
        size_t out2_len;
        int rc2 = bundle_annotate_doc(out, out_len, NULL, value, &k2, &out2, &out2_len, &err);
        FUZZ_CHECK(rc2 == 0 && k2 == BUNDLE_UNIKERNEL);

        /* the runtime reads config.json with cJSON: what the agent writes, it can read */
        cJSON *in = parse_all(doc, len), *o = parse_all(out, out_len);
        FUZZ_CHECK(o != NULL);
        FUZZ_CHECK(in != NULL); /* the edit cannot repair a document: the input read too */
        {
            const cJSON *ann = cJSON_GetObjectItemCaseSensitive(o, "annotations");
            const cJSON *v = cJSON_GetObjectItemCaseSensitive(ann, ROOTFS_ANNOTATION);
            FUZZ_CHECK(cJSON_IsString(v) && strcmp(v->valuestring, value) == 0);
            /* the agent replaced the member cJSON reads, or added one before it */
            int had_ann = cJSON_GetObjectItemCaseSensitive(in, "annotations") != NULL;
            int n_in = count_rootfs(in), n_out = count_rootfs(o);
            FUZZ_CHECK(n_out == n_in || n_out == n_in + 1);
            char *a = print_without(in, n_out == n_in, 0), *b = print_without(o, 1, !had_ann);
            if (strcmp(a, b) != 0)
                fprintf(stderr, "before: %s\nafter:  %s\n", a, b);
            FUZZ_CHECK(strcmp(a, b) == 0);
            free(a);
            free(b);
            cJSON_Delete(o);
            cJSON_Delete(in);
        }
    }
    free(out);
    free(doc);
    free(value);
    return 0;
}
