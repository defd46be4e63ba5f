/* test_common_ctrstate.c: the runtime's container state as unirootctl reads
 * it (common/ctrstate.c, common/ctrdecision.c): container ids, the decision
 * record both ways, an older state without one, runc's state, corrupt and
 * hostile files (wrong types, sizes, symlinks, a FIFO, NUL bytes), and what
 * a container is now from its monitor's liveness. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ctrstate.h"
#include "procstat.h"

static char root[64];

static int setup(void **state)
{
    (void)state;
    strcpy(root, "/tmp/uniroot-ctrstate-XXXXXX");
    return mkdtemp(root) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
    return system(cmd);
}

/* <root>/<id>/state.json holding text */
static void put_state(const char *id, const char *text)
{
    char p[256];
    snprintf(p, sizeof(p), "%s/%s", root, id);
    mkdir(p, 0700);
    snprintf(p, sizeof(p), "%s/%s/state.json", root, id);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void ids(void **state)
{
    (void)state;
    struct ur_err e;
    char id[300];
    assert_int_equal(ur_ctr_id_check("abc-1_2.3+x", &e), 0);
    assert_int_equal(ur_ctr_id_check("", &e), -EINVAL);
    assert_int_equal(ur_ctr_id_check(".", &e), -EINVAL);
    assert_int_equal(ur_ctr_id_check("..", &e), -EINVAL);
    assert_int_equal(ur_ctr_id_check("a/b", &e), -EINVAL);
    assert_int_equal(ur_ctr_id_check("../x", &e), -EINVAL);
    assert_int_equal(ur_ctr_id_check("a b", &e), -EINVAL);
    memset(id, 'a', 255);
    id[255] = '\0';
    assert_int_equal(ur_ctr_id_check(id, &e), 0);
    id[255] = 'a';
    id[256] = '\0';
    assert_int_equal(ur_ctr_id_check(id, &e), -EINVAL);
}

static void fill(struct ur_decision *d)
{
    memset(d, 0, sizeof(*d));
    strcpy(d->hypervisor, "spt");
    strcpy(d->monitor, "/usr/bin/uniroot-spt");
    d->mem_mb = 64;
    strcpy(d->outcome, "rootfs-block");
    strcpy(d->source, "annotation");
    strcpy(d->device, "/dev/loop3");
    d->major = 7;
    d->minor = 3;
    strcpy(d->fstype, "ext4");
    strcpy(d->reason, "rootfs is ext4 /dev/loop3, found by annotation");
    strcpy(d->trace, "annotation: verified (block /dev/loop3 7:3)");
    d->nnet = 2;
    strcpy(d->net[0].name, "service");
    strcpy(d->net[0].tap, "urt1");
    strcpy(d->net[0].mac, "02:00:0a:63:00:02");
    strcpy(d->net[0].iface, "eth0");
    strcpy(d->net[0].netns, "/run/netns/x");
    strcpy(d->net[1].name, "second");
}

static void decision_round_trip(void **state)
{
    (void)state;
    static struct ur_decision d, back;
    fill(&d);
    cJSON *j = ur_decision_to_json(&d);
    assert_non_null(j);
    struct ur_err e;
    assert_int_equal(ur_decision_from_json(j, &back, &e), 0);
    d.version = UR_DECISION_VERSION;
    assert_memory_equal(&d, &back, sizeof(d));
    cJSON_Delete(j);
}

/* A state with members "extra" (a JSON fragment) added to a good one. */
static int parse_with(const char *extra, struct ur_ctr_state *s, struct ur_err *e)
{
    char text[8192];
    snprintf(text, sizeof(text), "{\"uniroot\":{\"version\":1},\"id\":\"c1\",\"status\":\"created\",%s}", extra);
    return ur_ctr_state_parse(text, s, e);
}

static void parse_good_and_old(void **state)
{
    (void)state;
    static struct ur_ctr_state s;
    struct ur_err e;
    assert_int_equal(parse_with("\"pid\":42,\"pid_start\":99,\"bundle\":\"/b\",\"hypervisor\":\"spt\","
                                "\"decision\":{\"version\":1,\"hypervisor\":\"spt\",\"monitor\":\"/m\","
                                "\"mem_mb\":32,\"rootfs\":{\"outcome\":\"none\",\"source\":\"none\"},"
                                "\"net\":[{\"name\":\"service\",\"tap\":\"t0\"}],\"future\":1}",
                                &s, &e), 0);
    assert_true(s.ours);
    assert_string_equal(s.id, "c1");
    assert_int_equal(s.pid, 42);
    assert_int_equal(s.pid_start, 99);
    assert_int_equal(s.exit_status, -1);
    assert_string_equal(s.bundle, "/b");
    assert_int_equal(s.decision.version, 1);
    assert_string_equal(s.decision.monitor, "/m");
    assert_int_equal(s.decision.mem_mb, 32);
    assert_int_equal(s.decision.nnet, 1);
    assert_string_equal(s.decision.net[0].tap, "t0");
    ur_ctr_state_free(&s);

    /* written before the decision member: rebuilt from annotations and the cmdline */
    assert_int_equal(parse_with("\"hypervisor\":\"hvt\",\"vmm_cmdline\":\"/usr/bin/uniroot-vmm --ready-fd=3 "
                                "--mem=128 -- /proc/self/fd/4\",\"annotations\":{"
                                "\"dev.uniroot.rootfs.outcome\":\"rootfs-block\","
                                "\"dev.uniroot.rootfs.source\":\"libmount\","
                                "\"dev.uniroot.rootfs.path\":\"/dev/loop9\"}",
                                &s, &e), 0);
    assert_int_equal(s.decision.version, 0);
    assert_string_equal(s.decision.hypervisor, "hvt");
    assert_string_equal(s.decision.monitor, "/usr/bin/uniroot-vmm");
    assert_int_equal(s.decision.mem_mb, 128);
    assert_string_equal(s.decision.outcome, "rootfs-block");
    assert_string_equal(s.decision.source, "libmount");
    assert_string_equal(s.decision.device, "/dev/loop9");
    ur_ctr_state_free(&s);

    /* a --mem no decoder takes (fuzz_ctr_state found it): unknown, 0 */
    assert_int_equal(parse_with("\"vmm_cmdline\":\"/m --mem=640000000000000 -- k\"", &s, &e), 0);
    assert_int_equal(s.decision.mem_mb, 0);
    ur_ctr_state_free(&s);

    /* runc's own state beside ours */
    assert_int_equal(ur_ctr_state_parse("{\"id\":\"p1\",\"init_process_pid\":77,\"config\":{}}", &s, &e), 0);
    assert_false(s.ours);
    assert_int_equal(s.pid, 77);
    ur_ctr_state_free(&s);
}

static void parse_corrupt(void **state)
{
    (void)state;
    static struct ur_ctr_state s;
    struct ur_err e;
    static const struct {
        const char *extra, *msg;
    } bad[] = {
        {"\"pid\":\"42\"", "\"pid\" is not a whole number"},
        {"\"pid\":-5", "\"pid\" is not a whole number"},
        {"\"pid\":1.5", "\"pid\" is not a whole number"},
        {"\"pid\":1e300", "\"pid\" is not a whole number"},
        {"\"exit_status\":256", "\"exit_status\""},
        {"\"bundle\":3", "\"bundle\" is not a string"},
        {"\"vmm_cmdline\":null", "\"vmm_cmdline\" is not a string"},
        {"\"annotations\":[]", "\"annotations\" is not an object"},
        {"\"decision\":[]", "decision: not an object"},
        {"\"decision\":{}", "decision: \"version\" is missing"},
        {"\"decision\":{\"version\":1,\"mem_mb\":-1}", "decision: \"mem_mb\""},
        {"\"decision\":{\"version\":1,\"rootfs\":\"x\"}", "decision: \"rootfs\" is not an object"},
        {"\"decision\":{\"version\":1,\"rootfs\":{\"major\":-1}}", "decision: rootfs: \"major\""},
        {"\"decision\":{\"version\":1,\"rootfs\":{\"minor\":4294967296}}", "decision: rootfs: \"minor\""},
        {"\"decision\":{\"version\":1,\"rootfs\":{\"fstype\":\"0123456789012345678901234567890123\"}}",
         "decision: rootfs: \"fstype\" is 34 bytes long"},
        {"\"decision\":{\"version\":1,\"net\":{}}", "decision: \"net\" is not an array"},
        {"\"decision\":{\"version\":1,\"net\":[{},{},{},{},{}]}", "at most 4 devices"},
        {"\"decision\":{\"version\":1,\"net\":[3]}", "decision: net[0]: a device is not an object"},
        {"\"decision\":{\"version\":1,\"net\":[{\"tap\":\"0123456789abcdef\"}]}", "net[0]: \"tap\" is 16 bytes"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ur_err_clear(&e);
        int rc = parse_with(bad[i].extra, &s, &e);
        if (rc != -EBADMSG || !strstr(e.msg, bad[i].msg))
            fail_msg("%s: rc %d, message \"%s\", want \"%s\"", bad[i].extra, rc, e.msg, bad[i].msg);
        assert_null(s.doc);
    }
    const char *not_objects[] = {"", "[]", "\"x\"", "{", "{\"uniroot\":{}} trailing", "null"};
    for (size_t i = 0; i < sizeof(not_objects) / sizeof(not_objects[0]); i++)
        assert_int_equal(ur_ctr_state_parse(not_objects[i], &s, &e), -EBADMSG);
    /* a monitor path longer than recorded paths may be */
    char *big = malloc(UR_DECISION_PATH + 200);
    snprintf(big, UR_DECISION_PATH + 200, "\"decision\":{\"version\":1,\"monitor\":\"%0*d\"}", UR_DECISION_PATH, 0);
    char *text = malloc(UR_DECISION_PATH + 400);
    snprintf(text, UR_DECISION_PATH + 400, "{\"uniroot\":{},%s}", big);
    assert_int_equal(ur_ctr_state_parse(text, &s, &e), -EBADMSG);
    assert_non_null(strstr(e.msg, "\"monitor\" is 4096 bytes long"));
    free(big);
    free(text);
}

static void read_files(void **state)
{
    (void)state;
    static struct ur_ctr_state s;
    struct ur_err e;
    char p[256], q[256];
    put_state("good", "{\"uniroot\":{\"version\":1},\"id\":\"good\",\"status\":\"running\"}");
    assert_int_equal(ur_ctr_state_read(root, "good", &s, &e), 0);
    assert_string_equal(s.status, "running");
    ur_ctr_state_free(&s);

    assert_int_equal(ur_ctr_state_read(root, "absent", &s, &e), -ENOENT);
    assert_int_equal(ur_ctr_state_read("/nonexistent/root", "good", &s, &e), -ENOENT);
    assert_int_equal(ur_ctr_state_read(root, "../good", &s, &e), -EINVAL);

    put_state("other", "{\"uniroot\":{},\"id\":\"good\"}"); /* copied from another container */
    assert_int_equal(ur_ctr_state_read(root, "other", &s, &e), -EBADMSG);
    assert_non_null(strstr(e.msg, "names container \"good\""));

    /* the container directory a symlink to another one: not followed */
    snprintf(p, sizeof(p), "%s/good", root);
    snprintf(q, sizeof(q), "%s/link", root);
    assert_int_equal(symlink(p, q), 0);
    assert_int_equal(ur_ctr_state_read(root, "link", &s, &e), -EBADMSG);
    /* state.json a symlink */
    snprintf(q, sizeof(q), "%s/sl", root);
    mkdir(q, 0700);
    snprintf(p, sizeof(p), "%s/good/state.json", root);
    snprintf(q, sizeof(q), "%s/sl/state.json", root);
    assert_int_equal(symlink(p, q), 0);
    assert_int_equal(ur_ctr_state_read(root, "sl", &s, &e), -EBADMSG);
    assert_non_null(strstr(e.msg, "symlink"));
    /* a FIFO: refused at once, not waited on */
    snprintf(q, sizeof(q), "%s/fifo", root);
    mkdir(q, 0700);
    snprintf(q, sizeof(q), "%s/fifo/state.json", root);
    assert_int_equal(mkfifo(q, 0600), 0);
    assert_int_equal(ur_ctr_state_read(root, "fifo", &s, &e), -EBADMSG);
    assert_non_null(strstr(e.msg, "not a regular file"));
    /* a directory without state.json */
    snprintf(q, sizeof(q), "%s/empty", root);
    mkdir(q, 0700);
    assert_int_equal(ur_ctr_state_read(root, "empty", &s, &e), -ENODATA);
    /* too large (sparse), and a NUL byte inside */
    put_state("huge", "{}");
    snprintf(q, sizeof(q), "%s/huge/state.json", root);
    assert_int_equal(truncate(q, (off_t)UR_CTR_STATE_MAX + 1), 0);
    assert_int_equal(ur_ctr_state_read(root, "huge", &s, &e), -EFBIG);
    put_state("nul", "{\"uniroot\":{},\"id\":\"nul\"}");
    snprintf(q, sizeof(q), "%s/nul/state.json", root);
    assert_int_equal(truncate(q, 200), 0); /* NULs after the object */
    assert_int_equal(ur_ctr_state_read(root, "nul", &s, &e), -EBADMSG);
    assert_non_null(strstr(e.msg, "NUL"));
    /* a file where the container directory should be */
    snprintf(q, sizeof(q), "%s/file", root);
    FILE *f = fopen(q, "w");
    fclose(f);
    assert_int_equal(ur_ctr_state_read(root, "file", &s, &e), -EBADMSG);
}

static void status_now(void **state)
{
    (void)state;
    int es = -1;
    assert_string_equal(ur_ctr_status(NULL, 0, 0, &es), "stopped");
    assert_string_equal(ur_ctr_status("creating", 0, 0, &es), "creating");
    assert_string_equal(ur_ctr_status("stopped", getpid(), 0, &es), "stopped");
    assert_string_equal(ur_ctr_status("running", getpid(), 0, &es), "running");
    assert_string_equal(ur_ctr_status("paused", getpid(), 0, &es), "paused");
    /* the pid reused by another process: another start time */
    assert_string_equal(ur_ctr_status("running", getpid(), (long long)ur_proc_start_time(getpid()) + 1, &es),
                        "stopped");
    pid_t z = fork();
    if (z == 0)
        _exit(7);
    for (int i = 0; i < 100; i++) { /* wait until it is a zombie */
        struct ur_proc_info pi;
        ur_proc_inspect(z, 0, &pi);
        if (pi.zombie)
            break;
        usleep(10000);
    }
    es = -1;
    assert_string_equal(ur_ctr_status("running", z, 0, &es), "stopped");
    assert_int_equal(es, 7);
    waitpid(z, NULL, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ids),
        cmocka_unit_test(decision_round_trip),
        cmocka_unit_test(parse_good_and_old),
        cmocka_unit_test(parse_corrupt),
        cmocka_unit_test_setup_teardown(read_files, setup, teardown),
        cmocka_unit_test(status_now),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
