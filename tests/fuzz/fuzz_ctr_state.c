/* fuzz_ctr_state.c: libFuzzer target for a container's state.json as
 * unirootctl reads it (common/ctrstate.c, common/ctrdecision.c): any bytes
 * are parsed; an accepted decision, written back to JSON, must parse again
 * to the very same decision; explain's text and JSON (tools/ctl_render.c)
 * are made from whatever was accepted. */
#include "ctl.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *json = fuzz_cstr(data, size);
    static struct ur_ctr_state s;
    static struct ur_decision again;
    static struct ctl_explain x;
    struct ur_err err = {0};
    int rc = ur_ctr_state_parse(json, &s, &err);
    fuzz_check_err(rc, &err);
    if (rc == 0) {
        if (s.ours) {
            cJSON *d = ur_decision_to_json(&s.decision);
            FUZZ_CHECK(d);
            rc = ur_decision_from_json(d, &again, &err);
            if (rc != 0)
                fprintf(stderr, "re-parse of the decision: %s\n", err.msg);
            FUZZ_CHECK(rc == 0);
            s.decision.version = UR_DECISION_VERSION; /* a rebuilt one (0) is written as current */
            FUZZ_CHECK(memcmp(&s.decision, &again, sizeof(again)) == 0);
            cJSON_Delete(d);
        }
        memset(&x, 0, sizeof(x));
        x.id = s.id[0] ? s.id : "c";
        x.root = "/run/uniroot";
        x.st = &s;
        x.status = s.status;
        x.exit_status = (int)s.exit_status;
        x.agent = CTL_AGENT_DOWN;
        char *t = ctl_explain_text(&x);
        FUZZ_CHECK(t);
        free(t);
        cJSON *j = ctl_explain_json(&x);
        FUZZ_CHECK(j);
        cJSON_Delete(j);
        ur_ctr_state_free(&s);
    }
    free(json);
    return 0;
}
