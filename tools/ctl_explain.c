/* ctl_explain.c: `unirootctl explain CONTAINER_ID`: the runtime's decision
 * for a container as its state records it (<root>/<id>/state.json, read by
 * common/ctrstate.c as hostile input, without the runtime's lock), what the
 * container is now, and beside it the agent's record: what it answers now
 * for the container's bundle, and its annotation at create (kept in the
 * state). Rendering is ctl_render.c. Exit status: 0 shown
 * (whatever the agent said), 3 no such container, 4 unreadable state,
 * 64 an invalid id. */
#include "ctl.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The agent's record for the container's bundle into x. */
static void ask_agent(const struct ctl *c, struct ctl_explain *x)
{
    if (!x->st->bundle[0]) {
        x->agent = CTL_AGENT_NOT_ASKED;
        snprintf(x->agent_msg, sizeof(x->agent_msg), "the state names no bundle");
        return;
    }
    struct ur_agent_req q = {.op = UR_AGENT_GET, .bundle = x->st->bundle};
    char *line = ur_agent_req_line(&q), *ans, *rec = NULL;
    struct ur_agent_conn conn;
    x->agent = CTL_AGENT_DOWN;
    if (!line) {
        snprintf(x->agent_msg, sizeof(x->agent_msg), "out of memory");
        return;
    }
    int rc = ctl_ask(c, line, &conn, &ans, x->agent_msg, sizeof(x->agent_msg));
    free(line);
    if (rc != CTL_OK)
        return;
    struct ur_err e;
    ur_err_clear(&e);
    rc = ur_agent_answer(ans, "record", &rec, &e);
    ctl_ask_close(&conn);
    if (rc == -ENOENT) {
        x->agent = CTL_AGENT_NO_RECORD;
        snprintf(x->agent_msg, sizeof(x->agent_msg), "%s", e.msg);
    } else if (rc < 0) {
        snprintf(x->agent_msg, sizeof(x->agent_msg), "unusable answer: %.400s", e.msg);
    } else if (rootfs_record_from_json(rec, &x->rec, &e) < 0) {
        x->agent = CTL_AGENT_NO_RECORD;
        snprintf(x->agent_msg, sizeof(x->agent_msg), "its record is unreadable: %.400s", e.msg);
    } else {
        x->agent = CTL_AGENT_RECORD;
        x->agent_record = cJSON_Parse(rec);
    }
    free(rec);
}

/* The agent's dev.uniroot.rootfs annotation the state kept from the bundle. */
static void annotation_then(struct ctl_explain *x)
{
    const char *a = cJSON_GetStringValue(
        cJSON_GetObjectItemCaseSensitive(x->st->annotations, ROOTFS_ANNOTATION));
    struct ur_err e;
    ur_err_clear(&e);
    if (!a)
        snprintf(x->ann_msg, sizeof(x->ann_msg), "none in the bundle at create");
    else if (rootfs_record_from_json(a, &x->ann, &e) < 0)
        snprintf(x->ann_msg, sizeof(x->ann_msg), "unreadable: %.400s", e.msg);
    else
        x->annotation = cJSON_Parse(a);
}

int ctl_cmd_explain(const struct ctl *c, const char *id)
{
    struct ur_err e;
    ur_err_clear(&e);
    if (ur_ctr_id_check(id, &e) < 0)
        return ctl_fail(c, CTL_USAGE, "%s", e.msg);
    static struct ur_ctr_state st;
    int rc = ur_ctr_state_read(c->root, id, &st, &e);
    if (rc == -ENOENT)
        return ctl_fail(c, CTL_NO_CONTAINER, "%s%s", e.msg,
                        c->root == NULL || strcmp(c->root, UR_RUNTIME_ROOT_DEFAULT) != 0 ? ""
                        : " (containerd's runc shim gives the runtime --root "
                          "/run/containerd/runc/<namespace>: pass the same --root)");
    if (rc < 0)
        return ctl_fail(c, CTL_BAD_STATE, "%s", e.msg);
    static struct ctl_explain x;
    memset(&x, 0, sizeof(x));
    x.id = id;
    x.root = c->root;
    x.st = &st;
    x.exit_status = (int)st.exit_status;
    x.status = st.ours ? ur_ctr_status(st.status, st.pid, st.pid_start, &x.exit_status) : "";
    if (st.ours) {
        ask_agent(c, &x);
        annotation_then(&x);
    } else
        x.agent = CTL_AGENT_NOT_ASKED;
    if (c->json) {
        rc = ctl_put_json(c, ctl_explain_json(&x), CTL_OK);
    } else {
        char *text = ctl_explain_text(&x);
        rc = text ? (fputs(text, stdout), CTL_OK) : ctl_fail(c, CTL_UNREACHABLE, "out of memory");
        free(text);
    }
    cJSON_Delete(x.agent_record);
    cJSON_Delete(x.annotation);
    ur_ctr_state_free(&st);
    return rc;
}
