/* ctl_explain_bundle.c: `unirootctl explain BUNDLE_DIR`: the agent's record
 * for a bundle, the annotation in its config.json, and whether the runtime
 * would trust them now, judged by the runtime's own record reader
 * (common/rootfs_record.c) and verifier (common/mountcheck.c) in the
 * runtime's order (annotation, then the agent's answer). Exit status 0:
 * verifiable, 1: not, as text lines or one JSON document. */
#include "ctl.h"
#include "fileio.h"
#include "mountcheck.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

/* From BUNDLE/config.json (a regular file of at most 4 MiB, as the runtime
 * reads it): the dev.uniroot.rootfs annotation (malloc'ed, or NULL) and the
 * rootfs path the runtime will look at (root.path, relative to the bundle
 * unless absolute; "rootfs" when absent). */
static char *read_bundle(const char *bundle, char *rootfs, size_t n)
{
    char path[4200], *text = NULL;
    snprintf(rootfs, n, "%s/rootfs", bundle);
    snprintf(path, sizeof(path), "%s/config.json", bundle);
    if (ur_read_file(AT_FDCWD, path, 4u << 20, &text, NULL, NULL) < 0)
        return NULL;
    cJSON *root = cJSON_Parse(text);
    free(text);
    const char *rp = cJSON_GetStringValue(
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(root, "root"), "path"));
    if (rp && *rp)
        snprintf(rootfs, n, rp[0] == '/' ? "%s" : "%.4000s/%s", rp[0] == '/' ? rp : bundle, rp);
    const cJSON *ann = cJSON_GetObjectItemCaseSensitive(root, "annotations");
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(ann, ROOTFS_ANNOTATION);
    char *out = cJSON_IsString(v) ? strdup(v->valuestring) : NULL;
    cJSON_Delete(root);
    return out;
}

/* Run the runtime's own reader and verifier on one record (JSON text) into
 * *r; say the verdict (a text line, or an element of verdicts). */
static bool verify_one(const struct ctl *c, cJSON *verdicts, const char *what, const char *json,
                       const char *rootfs, struct rootfs_record *r)
{
    struct ur_err e;
    ur_err_clear(&e);
    const char *verdict = "verified";
    bool ok = false;
    if (rootfs_record_from_json(json, r, &e) < 0)
        verdict = "ignored";
    else if (ur_mount_verify(rootfs, r, &e) < 0)
        verdict = "not trusted";
    else
        ok = true;
    if (!c->json) {
        if (ok)
            printf("verifier:   %s record verified\n", what);
        else
            printf("verifier:   %s record %s: %s\n", what, verdict, e.msg);
    } else {
        cJSON *v = cJSON_CreateObject();
        cJSON_AddStringToObject(v, "record", what);
        cJSON_AddStringToObject(v, "verdict", verdict);
        if (!ok)
            cJSON_AddStringToObject(v, "why", e.msg);
        cJSON_AddItemToArray(verdicts, v);
    }
    return ok && r->type == ROOTFS_BLOCK;
}

/* The record the runtime would look at, its device and where root.path is. */
static void describe_record(const struct ctl *c, cJSON *doc, const struct rootfs_record *r,
                            const char *use, const char *rootfs)
{
    struct ur_err e;
    ur_err_clear(&e);
    bool dev_ok = ur_blockdev_is(r->device, r->major, r->minor, &e) == 0;
    struct stat st; /* where root.path is now (the verifier says whether that is enough) */
    int st_rc = stat(rootfs, &st), st_err = errno;
    bool same = st_rc == 0 && major(st.st_dev) == r->major && minor(st.st_dev) == r->minor;
    if (!c->json) {
        printf("record:     %s %s (%u:%u) %s, backing %s, observed by %s\n", rootfs_type_name(r->type),
               r->device, r->major, r->minor, r->fstype, r->backing, r->observed_by);
        printf("device:     %s\n", dev_ok ? "exists with that major:minor" : e.msg);
        if (st_rc == 0)
            printf("rootfs:     %s on %u:%u, %s\n", rootfs, major(st.st_dev), minor(st.st_dev),
                   same ? "the recorded device" : "NOT the recorded device");
        else
            printf("rootfs:     %s: %s\n", rootfs, strerror(st_err));
        return;
    }
    cJSON_AddItemToObject(doc, "record", cJSON_Parse(use));
    cJSON *d = cJSON_AddObjectToObject(doc, "device");
    cJSON_AddBoolToObject(d, "exists", dev_ok);
    if (!dev_ok)
        cJSON_AddStringToObject(d, "why", e.msg);
    cJSON *rf = cJSON_AddObjectToObject(doc, "rootfs");
    cJSON_AddStringToObject(rf, "path", rootfs);
    if (st_rc == 0) {
        cJSON_AddNumberToObject(rf, "major", major(st.st_dev));
        cJSON_AddNumberToObject(rf, "minor", minor(st.st_dev));
        cJSON_AddBoolToObject(rf, "on_recorded_device", same);
    } else {
        cJSON_AddStringToObject(rf, "error", strerror(st_err));
    }
}

/* Print what the agent and the bundle say and whether the runtime would
 * trust it now. */
static int explain(const struct ctl *c, const char *bundle, const char *agent_line)
{
    char *recs = NULL;
    ur_agent_answer(agent_line, "record", &recs, NULL);
    char rootfs[8200];
    char *ann = read_bundle(bundle, rootfs, sizeof(rootfs));
    cJSON *arec = ann ? cJSON_Parse(ann) : NULL;
    const char *use = recs ? recs : cJSON_IsObject(arec) ? ann : NULL;
    const char *ann_is = !ann ? "absent" : arec ? "present" : "present but not JSON";
    cJSON *doc = c->json ? cJSON_CreateObject() : NULL, *verdicts = NULL;
    if (!c->json) {
        printf("bundle:     %s\n", bundle);
        printf("agent:      %s\n", recs ? "has a record" : "no record");
        printf("annotation: %s\n", ann_is);
    } else {
        cJSON_AddStringToObject(doc, "bundle", bundle);
        cJSON *a = cJSON_AddObjectToObject(doc, "agent");
        cJSON_AddItemToObject(a, "record", recs ? cJSON_Parse(recs) : cJSON_CreateNull());
        cJSON_AddStringToObject(doc, "annotation", !ann ? "absent" : arec ? "present" : "not-json");
        verdicts = cJSON_AddArrayToObject(doc, "verifier");
    }
    int rc = CTL_NO;
    static struct rootfs_record r;
    struct ur_err e;
    ur_err_clear(&e);
    if (use && rootfs_record_from_json(use, &r, &e) < 0) {
        if (!c->json)
            printf("record:     unreadable: %s\n", e.msg);
        else
            cJSON_AddStringToObject(doc, "record_error", e.msg);
    } else if (use) {
        describe_record(c, doc, &r, use, rootfs);
    }
    bool ok = false;
    const char *by = NULL;
    if (use) {
        if (ann && (ok = verify_one(c, verdicts, "annotation", ann, rootfs, &r)))
            by = "annotation";
        if (!ok && recs && (ok = verify_one(c, verdicts, "agent", recs, rootfs, &r)))
            by = "agent";
    }
    char text[PATH_MAX + 200];
    if (ok)
        snprintf(text, sizeof(text), "verifiable: the runtime can take %s as the guest's block "
                                     "rootfs (%s record)", r.device, by);
    else if (use)
        snprintf(text, sizeof(text), "not verifiable: the runtime decides itself (agent socket, then libmount)");
    else
        snprintf(text, sizeof(text), "nothing recorded: not block-backed, not seen, or not a container rootfs");
    rc = ok ? CTL_OK : CTL_NO;
    free(recs);
    free(ann);
    cJSON_Delete(arec);
    if (!c->json) {
        printf("decision:   %s\n", text);
        return rc;
    }
    cJSON *d = cJSON_AddObjectToObject(doc, "decision");
    cJSON_AddBoolToObject(d, "verifiable", ok);
    cJSON_AddItemToObject(d, "by", by ? cJSON_CreateString(by) : cJSON_CreateNull());
    cJSON_AddItemToObject(d, "device", ok ? cJSON_CreateString(r.device) : cJSON_CreateNull());
    cJSON_AddStringToObject(d, "text", text);
    return ctl_put_json(c, doc, rc);
}

int ctl_cmd_explain_bundle(const struct ctl *c, const char *bundle)
{
    struct ur_agent_req q = {.op = UR_AGENT_GET, .bundle = bundle};
    struct ur_agent_conn conn;
    char *ans;
    int rc = ctl_ask_req(c, &q, &conn, &ans);
    if (rc != CTL_OK)
        return rc;
    rc = explain(c, bundle, ans);
    ctl_ask_close(&conn);
    return rc;
}
