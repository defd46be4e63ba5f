/* tools_ctl_test.c: unirootctl's pieces without I/O: what a status answer
 * says about readiness (tools/ctl_ready.c) and explain CONTAINER_ID's text
 * and JSON (tools/ctl_render.c): how the rootfs was chosen in words, the
 * agent's record beside it and whether both name one device, an agent that
 * did not answer, an older state, runc's container. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

static void readiness(void **state)
{
    (void)state;
    static const struct {
        const char *answer;
        int want;
        const char *reason;
    } cases[] = {
        {"{\"ok\":true,\"status\":{\"observer\":\"bpf-tracepoint\",\"drops\":3}}", CTL_OK,
         "observing with bpf-tracepoint"},
        {"{\"ok\":true,\"status\":{\"observer\":\"fanotify\"}}", CTL_OK, "observing with fanotify"},
        {"{\"ok\":true,\"status\":{\"observer\":\"none\"}}", CTL_NO, "no observer is live"},
        {"{\"ok\":true,\"status\":{\"observer\":\"\"}}", CTL_NO, "no observer is live"},
        {"{\"ok\":true,\"status\":{\"observer\":7}}", CTL_NO, "no observer is live"},
        {"{\"ok\":true,\"status\":{}}", CTL_NO, "no observer is live"},
        {"{\"ok\":true}", CTL_NO, "no status object"},
        {"{\"ok\":true,\"status\":[]}", CTL_NO, "no status object"},
        {"{\"ok\":false,\"error\":\"shutting down\"}", CTL_NO, "agent says: shutting down"},
        {"{\"ok\":\"yes\",\"status\":{\"observer\":\"bpf\"}}", CTL_NO, "agent says: not ok"},
        {"not json", CTL_UNREACHABLE, "not a JSON object: not json"},
        {"[1,2]", CTL_UNREACHABLE, "not a JSON object"},
        {"", CTL_UNREACHABLE, "not a JSON object"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        cJSON *doc = NULL;
        char reason[512];
        int rc = ctl_readiness(cases[i].answer, &doc, reason, sizeof(reason));
        if (rc != cases[i].want || !strstr(reason, cases[i].reason))
            fail_msg("%s: %d \"%s\", want %d \"%s\"", cases[i].answer, rc, reason, cases[i].want,
                     cases[i].reason);
        assert_true(rc == CTL_UNREACHABLE ? doc == NULL : cJSON_IsObject(doc));
        cJSON_Delete(doc);
    }
}

static struct ur_ctr_state st;
static struct ctl_explain x;

/* A running container whose rootfs /dev/loop3 (7:3) the runtime took on
 * the agent's annotation, with one tap; the agent's record names 7:minor. */
static void make(unsigned minor, enum ctl_agent_seen agent)
{
    struct ur_err e;
    assert_int_equal(ur_ctr_state_parse(
        "{\"uniroot\":{\"version\":1},\"id\":\"c1\",\"status\":\"running\",\"pid\":4242,"
        "\"bundle\":\"/run/b/c1\",\"created\":\"2026-12-02T00:00:00Z\",\"decision\":{\"version\":1,"
        "\"hypervisor\":\"spt\",\"monitor\":\"/usr/bin/uniroot-spt\",\"mem_mb\":64,\"rootfs\":{"
        "\"outcome\":\"rootfs-block\",\"source\":\"annotation\",\"device\":\"/dev/loop3\",\"major\":7,"
        "\"minor\":3,\"fstype\":\"ext4\",\"reason\":\"rootfs is ext4 /dev/loop3, found by annotation\","
        "\"trace\":\"annotation: verified (block /dev/loop3 7:3)\"},\"net\":[{\"name\":\"service\","
        "\"tap\":\"urt1\",\"mac\":\"02:00:0a:63:00:02\",\"iface\":\"eth0\",\"netns\":\"/run/netns/x\"}]}}",
        &st, &e), 0);
    memset(&x, 0, sizeof(x));
    x.id = "c1";
    x.root = "/run/uniroot";
    x.st = &st;
    x.status = "running";
    x.exit_status = -1;
    x.agent = agent;
    if (agent == CTL_AGENT_RECORD) {
        char rec[512];
        snprintf(rec, sizeof(rec), "{\"version\":1,\"type\":\"block\",\"device\":\"/dev/loop3\",\"major\":7,"
                                   "\"minor\":%u,\"fstype\":\"ext4\",\"backing\":\"/img\",\"observed_by\":"
                                   "\"bpf-tracepoint\"}", minor);
        assert_int_equal(rootfs_record_from_json(rec, &x.rec, &e), 0);
        x.agent_record = cJSON_Parse(rec);
    } else {
        strcpy(x.agent_msg, "connect /s: No such file or directory");
    }
}

static void done(void)
{
    cJSON_Delete(x.agent_record);
    x.agent_record = NULL;
    ur_ctr_state_free(&st);
}

static void has(const char *text, const char *want)
{
    if (!strstr(text, want))
        fail_msg("no \"%s\" in:\n%s", want, text);
}

static void explain_agreeing(void **state)
{
    (void)state;
    make(3, CTL_AGENT_RECORD);
    char *t = ctl_explain_text(&x);
    has(t, "container:  c1 in /run/uniroot (uniroot)\n");
    has(t, "status:     running, monitor pid 4242\n");
    has(t, "monitor:    spt, /usr/bin/uniroot-spt\n");
    has(t, "memory:     64 MiB (--mem)\n");
    has(t, "rootfs:     rootfs-block, /dev/loop3 (7:3) ext4\n");
    has(t, "chosen by:  annotation: the agent's annotation in config.json, verified by the runtime\n");
    has(t, "net:        service: tap urt1, mac 02:00:0a:63:00:02, on eth0 in /run/netns/x\n");
    has(t, "agent:      block /dev/loop3 (7:3) ext4, backing /img, observed by bpf-tracepoint\n");
    has(t, "agreement:  the agent's record names the device the runtime took\n");
    free(t);
    cJSON *j = ctl_explain_json(&x);
    char *s = cJSON_PrintUnformatted(j);
    has(s, "\"runtime\":\"uniroot\"");
    has(s, "\"status\":\"running\"");
    has(s, "\"exit_status\":null");
    has(s, "\"mem_mb\":64");
    has(s, "\"source\":\"annotation\"");
    has(s, "\"tap\":\"urt1\"");
    has(s, "\"agent\":{\"state\":\"record\",\"record\":{\"version\":1,\"type\":\"block\"");
    has(s, "\"error\":null");
    has(s, "\"agrees\":true");
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(j, "agrees")));
    free(s);
    cJSON_Delete(j);
    done();
}

static void explain_disagreeing_and_down(void **state)
{
    (void)state;
    make(4, CTL_AGENT_RECORD);
    assert_int_equal(ctl_explain_agrees(&x), 0);
    char *t = ctl_explain_text(&x);
    has(t, "agreement:  the agent's record names ANOTHER device than the runtime took\n");
    free(t);
    cJSON *j = ctl_explain_json(&x);
    assert_true(cJSON_IsFalse(cJSON_GetObjectItem(j, "agrees")));
    cJSON_Delete(j);
    done();

    make(3, CTL_AGENT_DOWN);
    assert_int_equal(ctl_explain_agrees(&x), -1);
    t = ctl_explain_text(&x);
    has(t, "agent:      unreachable: connect /s: No such file or directory\n");
    assert_null(strstr(t, "agreement:"));
    free(t);
    j = ctl_explain_json(&x);
    char *s = cJSON_PrintUnformatted(j);
    has(s, "\"agent\":{\"state\":\"unreachable\",\"record\":null,\"error\":\"connect /s:");
    has(s, "\"annotation\":null");
    has(s, "\"agrees\":null");
    free(s);
    cJSON_Delete(j);

    /* the agent's annotation at create, kept in the state: compared instead */
    const char *ann = "{\"version\":1,\"type\":\"block\",\"device\":\"/dev/loop3\",\"major\":7,\"minor\":3,"
                      "\"fstype\":\"ext4\",\"observed_by\":\"fanotify\"}";
    struct ur_err e;
    assert_int_equal(rootfs_record_from_json(ann, &x.ann, &e), 0);
    x.annotation = cJSON_Parse(ann);
    assert_int_equal(ctl_explain_agrees(&x), 1);
    t = ctl_explain_text(&x);
    has(t, "annotated:  block /dev/loop3 (7:3) ext4, backing -, observed by fanotify\n");
    has(t, "agreement:  the agent's record names the device the runtime took\n");
    free(t);
    j = ctl_explain_json(&x);
    s = cJSON_PrintUnformatted(j);
    has(s, "\"annotation\":{\"version\":1,\"type\":\"block\",\"device\":\"/dev/loop3\"");
    has(s, "\"agrees\":true");
    free(s);
    cJSON_Delete(j);
    x.ann.minor = 9; /* it named another device */
    assert_int_equal(ctl_explain_agrees(&x), 0);
    cJSON_Delete(x.annotation);
    x.annotation = NULL;
    done();
}

static void explain_stopped_old_and_runc(void **state)
{
    (void)state;
    struct ur_err e;
    /* an older state: no decision member */
    assert_int_equal(ur_ctr_state_parse(
        "{\"uniroot\":{},\"id\":\"o1\",\"status\":\"running\",\"pid\":9,\"hypervisor\":\"hvt\","
        "\"vmm_cmdline\":\"/bin/uniroot-vmm --ready-fd=3 -- k\",\"annotations\":{"
        "\"dev.uniroot.rootfs.outcome\":\"rootfs-block\",\"dev.uniroot.rootfs.source\":\"libmount\","
        "\"dev.uniroot.rootfs.path\":\"/dev/loop5\"}}", &st, &e), 0);
    memset(&x, 0, sizeof(x));
    x.id = "o1";
    x.root = "/r";
    x.st = &st;
    x.status = "stopped";
    x.exit_status = 3;
    x.agent = CTL_AGENT_NO_RECORD;
    strcpy(x.agent_msg, "agent says: no record for bundle /b");
    strcpy(x.ann_msg, "none in the bundle at create");
    char *t = ctl_explain_text(&x);
    has(t, "status:     stopped, exit status 3 (monitor pid was 9)\n");
    has(t, "monitor:    hvt, /bin/uniroot-vmm\n");
    has(t, "memory:     the monitor's default (no --mem)\n");
    has(t, "rootfs:     rootfs-block, /dev/loop5\n");
    has(t, "chosen by:  libmount: fallback: the runtime's own mount-table lookup");
    has(t, "net:        not recorded\n");
    has(t, "recorded:   rebuilt from an older state (no decision record)\n");
    has(t, "agent:      no record: agent says: no record for bundle /b\n");
    has(t, "annotated:  none in the bundle at create\n");
    assert_null(strstr(t, "agreement:"));
    free(t);
    cJSON *j = ctl_explain_json(&x);
    assert_int_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "decision"), "version")->valueint, 0);
    assert_int_equal(cJSON_GetObjectItem(j, "exit_status")->valueint, 3);
    cJSON_Delete(j);
    ur_ctr_state_free(&st);

    /* runc's container in the same root */
    assert_int_equal(ur_ctr_state_parse("{\"id\":\"p1\",\"init_process_pid\":77}", &st, &e), 0);
    x.id = "p1";
    x.status = "";
    x.agent = CTL_AGENT_NOT_ASKED;
    t = ctl_explain_text(&x);
    has(t, "container:  p1 in /r (runc's: not a unikernel, uniroot handed it to runc)\npid:        77\n");
    free(t);
    j = ctl_explain_json(&x);
    char *s = cJSON_PrintUnformatted(j);
    assert_string_equal(s, "{\"id\":\"p1\",\"root\":\"/r\",\"runtime\":\"runc\",\"pid\":77}");
    free(s);
    cJSON_Delete(j);
    ur_ctr_state_free(&st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(readiness),
        cmocka_unit_test(explain_agreeing),
        cmocka_unit_test(explain_disagreeing_and_down),
        cmocka_unit_test(explain_stopped_old_and_runc),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
