/* runtime_rootfs_test.c: the rootfs selection order (annotation verified in
 * O(1) -> agent socket -> libmount) and the outcome order (initrd, block
 * image, rootfs as block device, none), as a table of cases covering every
 * fallback. Fake probes record which were called, so a case can also check
 * that a trusted annotation never reaches the mount table. Also the real
 * O(1) verifier against this machine's own root filesystem. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "rootfs.h"

/* What the fake world looks like for one case. */
struct world {
    int verify_rc;           /* for the annotation's record (device /dev/loop3) */
    int verify_agent_rc;     /* for the agent's record (device /dev/loop5) */
    int agent_rc;            /* 1 record, 0 no agent, <0 failure */
    int lookup_rc;           /* 1 found, 0 nothing mounted, <0 failure */
    enum rootfs_type lookup_type;
    const char *rw_elsewhere;
    /* calls seen */
    int n_verify, n_agent, n_lookup;
};

static int fake_verify(void *ctx, const char *rootfs, const struct rootfs_record *r, struct ur_err *err)
{
    struct world *w = ctx;
    (void)rootfs;
    w->n_verify++;
    int rc = strcmp(r->device, "/dev/loop5") == 0 ? w->verify_agent_rc : w->verify_rc;
    return rc < 0 ? ur_errf(err, rc, "root.path is on 8:1, record says 7:3") : 0;
}

static int fake_agent(void *ctx, const char *bundle, struct rootfs_record *r, struct ur_err *err)
{
    struct world *w = ctx;
    (void)bundle;
    w->n_agent++;
    if (w->agent_rc == 0)
        return ur_errf(err, 0, "no agent at /run/uniroot/unirootd.sock");
    if (w->agent_rc < 0)
        return ur_errf(err, w->agent_rc, "no answer within 50 ms");
    memset(r, 0, sizeof(*r));
    r->type = ROOTFS_BLOCK;
    strcpy(r->device, "/dev/loop5");
    r->major = 7;
    r->minor = 5;
    strcpy(r->fstype, "ext4");
    return 1;
}

static int fake_lookup(void *ctx, const char *rootfs, struct rootfs_record *r, char *rw, size_t n,
                       struct ur_err *err)
{
    struct world *w = ctx;
    (void)rootfs;
    w->n_lookup++;
    rw[0] = '\0';
    if (w->lookup_rc < 0)
        return ur_errf(err, w->lookup_rc, "libmount cannot read /proc/self/mountinfo");
    if (w->lookup_rc == 0)
        return 0;
    memset(r, 0, sizeof(*r));
    r->type = w->lookup_type;
    if (r->type == ROOTFS_BLOCK) {
        strcpy(r->device, "/dev/loop7");
        r->major = 7;
        r->minor = 7;
        strcpy(r->fstype, "ext4");
    } else {
        strcpy(r->fstype, "overlay");
    }
    if (w->rw_elsewhere)
        snprintf(rw, n, "%s", w->rw_elsewhere);
    return 1;
}

#define ANN_OK "{\"version\":1,\"type\":\"block\",\"device\":\"/dev/loop3\",\"major\":7,\"minor\":3,\"fstype\":\"ext4\"}"
#define ANN_XFS "{\"version\":1,\"type\":\"block\",\"device\":\"/dev/loop3\",\"major\":7,\"minor\":3,\"fstype\":\"xfs\"}"
#define ANN_NONE "{\"version\":1,\"type\":\"none\"}"

struct rcase {
    const char *name;
    /* description */
    const char *initrd, *block, *blk_mnt;
    bool mount_rootfs;
    const char *type;
    /* world */
    const char *annotation;
    struct world w;
    /* expected */
    int rc;
    enum rootfs_outcome outcome;
    enum rootfs_source source;
    const char *device;
    int n_agent, n_lookup;
    const char *trace_has;
};

static const struct rcase cases[] = {
    {"annotation verified: block, no agent, no mount table", NULL, NULL, NULL, true, "solo5",
     ANN_OK, {.agent_rc = 1, .lookup_rc = 1, .lookup_type = ROOTFS_BLOCK},
     0, OUT_ROOTFS_BLOCK, SRC_ANNOTATION, "/dev/loop3", 0, 0, "annotation: verified"},
    {"annotation verified: not a block device", NULL, NULL, NULL, true, "solo5",
     ANN_NONE, {.agent_rc = 1, .lookup_rc = 1},
     0, OUT_NONE, SRC_ANNOTATION, NULL, 0, 0, "annotation: verified (none"},
    {"annotation stale -> agent", NULL, NULL, NULL, true, "solo5",
     ANN_OK, {.verify_rc = -ESTALE, .agent_rc = 1, .lookup_rc = 1, .lookup_type = ROOTFS_BLOCK},
     0, OUT_ROOTFS_BLOCK, SRC_AGENT, "/dev/loop5", 1, 0, "annotation: not trusted, root.path is on 8:1"},
    {"annotation not JSON -> agent", NULL, NULL, NULL, true, "solo5",
     "{oops", {.agent_rc = 1, .lookup_rc = 1, .lookup_type = ROOTFS_BLOCK},
     0, OUT_ROOTFS_BLOCK, SRC_AGENT, "/dev/loop5", 1, 0, "annotation: ignored, rootfs record: not valid JSON"},
    {"annotation of a future version -> agent", NULL, NULL, NULL, true, "solo5",
     "{\"version\":2,\"type\":\"block\"}", {.agent_rc = 1, .lookup_rc = 1},
     0, OUT_ROOTFS_BLOCK, SRC_AGENT, "/dev/loop5", 1, 0, "version 2"},
    {"no annotation, no agent -> libmount block", NULL, NULL, NULL, true, "solo5",
     NULL, {.agent_rc = 0, .lookup_rc = 1, .lookup_type = ROOTFS_BLOCK},
     0, OUT_ROOTFS_BLOCK, SRC_LIBMOUNT, "/dev/loop7", 1, 1, "agent: skipped, no agent at"},
    {"agent times out -> libmount", NULL, NULL, NULL, true, "solo5",
     NULL, {.agent_rc = -ETIMEDOUT, .lookup_rc = 1, .lookup_type = ROOTFS_BLOCK},
     0, OUT_ROOTFS_BLOCK, SRC_LIBMOUNT, "/dev/loop7", 1, 1, "agent: no answer within 50 ms"},
    {"agent answer stale -> libmount", NULL, NULL, NULL, true, "solo5",
     NULL, {.agent_rc = 1, .verify_agent_rc = -ESTALE, .lookup_rc = 1, .lookup_type = ROOTFS_BLOCK},
     0, OUT_ROOTFS_BLOCK, SRC_LIBMOUNT, "/dev/loop7", 1, 1, "agent: answer not trusted"},
    {"annotation stale, agent stale -> libmount", NULL, NULL, NULL, true, "solo5",
     ANN_OK, {.verify_rc = -ESTALE, .agent_rc = 1, .verify_agent_rc = -ESTALE, .lookup_rc = 1,
              .lookup_type = ROOTFS_BLOCK},
     0, OUT_ROOTFS_BLOCK, SRC_LIBMOUNT, "/dev/loop7", 1, 1, "libmount: "},
    {"libmount: overlay -> none", NULL, NULL, NULL, true, "solo5",
     NULL, {.lookup_rc = 1, .lookup_type = ROOTFS_NONE},
     0, OUT_NONE, SRC_LIBMOUNT, NULL, 1, 1, "not a block device"},
    {"libmount: nothing mounted -> none", NULL, NULL, NULL, true, "solo5",
     NULL, {.lookup_rc = 0},
     0, OUT_NONE, SRC_LIBMOUNT, NULL, 1, 1, "nothing mounted"},
    {"libmount fails -> error", NULL, NULL, NULL, true, "solo5",
     NULL, {.lookup_rc = -EIO},
     -EIO, OUT_NONE, SRC_NONE, NULL, 1, 1, "libmount: libmount cannot read"},
    {"device mounted read-write elsewhere -> refused", NULL, NULL, NULL, true, "solo5",
     NULL, {.lookup_rc = 1, .lookup_type = ROOTFS_BLOCK, .rw_elsewhere = "/mnt/other"},
     -EBUSY, OUT_NONE, SRC_LIBMOUNT, NULL, 1, 1, "also mounted read-write at /mnt/other"},
    {"fs the type cannot read -> none", NULL, NULL, NULL, true, "rumprun",
     ANN_OK, {.lookup_rc = 1},
     0, OUT_NONE, SRC_ANNOTATION, NULL, 0, 0, "annotation: verified"},
    {"xfs for solo5 -> none", NULL, NULL, NULL, true, "solo5",
     ANN_XFS, {.lookup_rc = 1},
     0, OUT_NONE, SRC_ANNOTATION, NULL, 0, 0, NULL},
    {"initrd first, nothing probed", "/initrd.img", "/disk.img", "/", true, "solo5",
     ANN_OK, {.agent_rc = 1, .lookup_rc = 1},
     0, OUT_INITRD, SRC_NONE, NULL, 0, 0, NULL},
    {"block image at / before the rootfs", NULL, "/disk.img", "/", true, "solo5",
     ANN_OK, {.agent_rc = 1, .lookup_rc = 1},
     0, OUT_BLOCK_IMAGE, SRC_NONE, NULL, 0, 0, NULL},
    {"block image not at / is not the rootfs", NULL, "/disk.img", "/data", true, "solo5",
     ANN_OK, {.agent_rc = 1, .lookup_rc = 1},
     0, OUT_ROOTFS_BLOCK, SRC_ANNOTATION, "/dev/loop3", 0, 0, NULL},
    {"mountRootfs false -> none, nothing probed", NULL, NULL, NULL, false, "solo5",
     ANN_OK, {.agent_rc = 1, .lookup_rc = 1},
     0, OUT_NONE, SRC_NONE, NULL, 0, 0, NULL},
};

static void selection_table(void **st)
{
    (void)st;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const struct rcase *c = &cases[i];
        struct world w = c->w;
        struct rootfs_probes p = {fake_verify, fake_agent, fake_lookup, &w};
        struct uk_desc uk = {.mount_rootfs = c->mount_rootfs, .hypervisor = "hvt"};
        snprintf(uk.type, sizeof(uk.type), "%s", c->type);
        snprintf(uk.initrd, sizeof(uk.initrd), "%s", c->initrd ? c->initrd : "");
        snprintf(uk.block, sizeof(uk.block), "%s", c->block ? c->block : "");
        snprintf(uk.blk_mnt_point, sizeof(uk.blk_mnt_point), "%s", c->blk_mnt ? c->blk_mnt : "");
        struct rootfs_decision d;
        struct ur_err e;
        ur_err_clear(&e);
        int rc = rootfs_decide(&p, &uk, c->annotation, "/b", "/b/rootfs", &d, &e);
        if (rc != c->rc)
            fail_msg("%s: rc %d, want %d (%s)", c->name, rc, c->rc, e.msg);
        if (w.n_agent != c->n_agent || w.n_lookup != c->n_lookup)
            fail_msg("%s: agent called %d times (want %d), libmount %d (want %d)", c->name,
                     w.n_agent, c->n_agent, w.n_lookup, c->n_lookup);
        if (c->trace_has && !strstr(d.found.trace, c->trace_has) && !strstr(e.msg, c->trace_has))
            fail_msg("%s: trace \"%s\" lacks \"%s\"", c->name, d.found.trace, c->trace_has);
        if (rc < 0)
            continue;
        if (d.outcome != c->outcome)
            fail_msg("%s: outcome %s, want %s (%s)", c->name, rootfs_outcome_name(d.outcome),
                     rootfs_outcome_name(c->outcome), d.reason);
        if (d.find_ran && d.found.source != c->source)
            fail_msg("%s: source %s, want %s", c->name, rootfs_source_name(d.found.source),
                     rootfs_source_name(c->source));
        if (!d.find_ran && c->source != SRC_NONE)
            fail_msg("%s: nothing probed, want source %s", c->name, rootfs_source_name(c->source));
        if (c->device && strcmp(d.path, c->device) != 0)
            fail_msg("%s: device \"%s\", want %s", c->name, d.path, c->device);
        if (!d.reason[0])
            fail_msg("%s: no reason given", c->name);
    }
}

/* The real verifier on "/" of this machine: a record naming the right
 * device is accepted only when every O(1) check matches. */
static void real_verify_on_root(void **st)
{
    (void)st;
    struct stat s;
    assert_int_equal(stat("/", &s), 0);
    struct rootfs_record r = {.version = 1, .type = ROOTFS_BLOCK};
    struct ur_err e;
    r.major = major(s.st_dev);
    r.minor = minor(s.st_dev) + 1;
    strcpy(r.device, "/dev/null");
    assert_int_equal(rootfs_probes_real.verify(NULL, "/", &r, &e), -ESTALE);
    assert_non_null(strstr(e.msg, "record says"));
    r.minor = minor(s.st_dev);
    /* right numbers but /dev/null is not a block device */
    int rc = rootfs_probes_real.verify(NULL, "/", &r, &e);
    if (major(s.st_dev) == 0) /* an overlay or tmpfs root: device checks do not apply */
        assert_true(rc < 0);
    else
        assert_int_equal(rc, -ESTALE);
    /* a missing root.path */
    assert_true(rootfs_probes_real.verify(NULL, "/nonexistent/rootfs", &r, &e) < 0);
    /* type none on /proc (not a block device) is consistent */
    struct rootfs_record none = {.version = 1, .type = ROOTFS_NONE};
    assert_int_equal(rootfs_probes_real.verify(NULL, "/proc", &none, &e), 0);
}

/* The real agent probe without an agent: skipped, not an error. */
static void real_agent_absent(void **st)
{
    (void)st;
    setenv("UNIROOT_AGENT_SOCKET", "/nonexistent/uniroot-test.sock", 1);
    struct rootfs_record r;
    struct ur_err e;
    ur_err_clear(&e);
    assert_int_equal(rootfs_probes_real.agent_get(NULL, "/b", &r, &e), 0);
    assert_non_null(strstr(e.msg, "no agent"));
}

/* The real libmount probe on /proc: a proc mount, not a block device. */
static void real_lookup_proc(void **st)
{
    (void)st;
    struct rootfs_record r;
    char rw[256];
    struct ur_err e;
    assert_int_equal(rootfs_probes_real.mount_lookup(NULL, "/proc", &r, rw, sizeof(rw), &e), 1);
    assert_int_equal(r.type, ROOTFS_NONE);
    assert_string_equal(r.fstype, "proc");
    assert_int_equal(rootfs_probes_real.mount_lookup(NULL, "/proc/self", &r, rw, sizeof(rw), &e), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(selection_table),
        cmocka_unit_test(real_verify_on_root),
        cmocka_unit_test(real_agent_absent),
        cmocka_unit_test(real_lookup_proc),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
