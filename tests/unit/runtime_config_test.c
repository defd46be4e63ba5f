/* runtime_config_test.c: unit tests of the OCI runtime's input parsing:
 * config.json (spec.c), the urunc-compatible unikernel description from
 * annotations and urunc.json (unikernel.c), base64, signals and options. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oci.h"

/* hvt's bound (backend_hvt.c), as the runtime asks for it */
static int guest_mem_mb_hvt(uint64_t limit, uint64_t *mb, struct ur_err *e)
{
    return guest_mem_mb(limit, 4096, "hvt", mb, e);
}

static void spec_relative_root_and_fields(void **st)
{
    (void)st;
    struct oci_spec s;
    struct ur_err e;
    const char *j = "{\"root\":{\"path\":\"rootfs\",\"readonly\":true},"
                    "\"process\":{\"args\":[\"a\",\"b\"],\"terminal\":true},"
                    "\"annotations\":{\"k\":\"v\"},"
                    "\"linux\":{\"cgroupsPath\":\"/default/c1\",\"namespaces\":["
                    "{\"type\":\"pid\"},{\"type\":\"network\",\"path\":\"/proc/1/ns/net\"}],"
                    "\"resources\":{\"memory\":{\"limit\":67108864}}}}";
    assert_int_equal(spec_parse(j, "/b", &s, &e), 0);
    assert_string_equal(s.rootfs, "/b/rootfs");
    assert_true(s.rootfs_readonly);
    assert_int_equal(s.nargs, 2);
    assert_string_equal(s.args[1], "b");
    assert_null(s.args[2]);
    assert_true(s.terminal);
    assert_string_equal(spec_annotation(&s, "k"), "v");
    assert_null(spec_annotation(&s, "missing"));
    assert_string_equal(s.cgroups_path, "/default/c1");
    assert_int_equal(s.nns, 1); /* only namespaces given by path are joined */
    assert_int_equal(s.ns[0].type, CLONE_NEWNET);
    assert_string_equal(s.ns[0].path, "/proc/1/ns/net");
    assert_int_equal(s.mem_limit, 64 << 20);
    spec_free(&s);
}

/* Memory limits: in whole MiB, at most the 4096 an hvt guest can address
 * (rc 1: the caller logs it), refused below the smallest guest; limits
 * beyond 2^64 bytes parse as no bound rather than wrapping. */
static void guest_memory_from_limits(void **st)
{
    (void)st;
    struct ur_err e = {0};
    uint64_t mb = 0;
    assert_int_equal(guest_mem_mb_hvt(64ull << 20, &mb, &e), 0);
    assert_int_equal(mb, 64);
    assert_int_equal(guest_mem_mb_hvt((64ull << 20) + 4095, &mb, &e), 0);
    assert_int_equal(mb, 64);
    assert_int_equal(guest_mem_mb_hvt(2ull << 20, &mb, &e), 0);
    assert_int_equal(mb, 2);
    assert_int_equal(guest_mem_mb_hvt(4096ull << 20, &mb, &e), 0);
    assert_int_equal(mb, 4096);
    assert_int_equal(guest_mem_mb_hvt(8ull << 30, &mb, &e), 1);
    assert_int_equal(mb, 4096);
    assert_int_equal(guest_mem_mb_hvt(UINT64_MAX, &mb, &e), 1);
    assert_int_equal(mb, 4096);
    assert_true(guest_mem_mb_hvt((2ull << 20) - 1, &mb, &e) < 0);
    assert_non_null(strstr(e.msg, "below the 2 MiB the smallest hvt guest needs"));
    /* a backend with a larger bound (spt's 64 GiB) gives the limit itself */
    assert_int_equal(guest_mem_mb(8ull << 30, 65536, "spt", &mb, &e), 0);
    assert_int_equal(mb, 8192);
    assert_int_equal(guest_mem_mb(128ull << 30, 65536, "spt", &mb, &e), 1);
    assert_int_equal(mb, 65536);

    struct oci_spec s;
    assert_int_equal(spec_parse("{\"root\":{\"path\":\"r\"},\"linux\":{\"resources\":{\"memory\":{\"limit\":8589934592}}}}",
                                "/b", &s, &e), 0);
    assert_int_equal(s.mem_limit, 8ull << 30);
    spec_free(&s);
}

static void spec_absolute_root(void **st)
{
    (void)st;
    struct oci_spec s;
    struct ur_err e;
    assert_int_equal(spec_parse("{\"root\":{\"path\":\"/var/lib/x/merged\"}}", "/b", &s, &e), 0);
    assert_string_equal(s.rootfs, "/var/lib/x/merged"); /* podman's layout */
    assert_null(s.annotations);
    assert_null(s.cgroups_path);
    assert_int_equal(s.nargs, 0);
    spec_free(&s);
}

static void spec_bad_inputs(void **st)
{
    (void)st;
    static const struct {
        const char *json, *want;
    } cases[] = {
        {"not json", "not a valid JSON"},
        {"[]", "not a valid JSON object"},
        {"{}", "root.path is missing"},
        {"{\"root\":{\"path\":\"\"}}", "root.path is missing"},
        {"{\"root\":{\"path\":\"r\"},\"annotations\":[]}", "annotations is not an object"},
        {"{\"root\":{\"path\":\"r\"},\"process\":{\"args\":[1]}}", "non-string"},
        {"{\"root\":{\"path\":\"r\"},\"linux\":{\"cgroupsPath\":5}}", "cgroupsPath"},
        {"{\"root\":{\"path\":\"r\"},\"linux\":{\"namespaces\":[{\"type\":\"bogus\"}]}}", "unknown namespace"},
        {"{\"root\":{\"path\":\"r\"},\"linux\":{\"namespaces\":[{\"type\":\"network\",\"path\":\"rel\"}]}}", "bad path"},
        /* cJSON would cut the value at the NUL: the whole text is refused */
        {"{\"root\":{\"path\":\"r\"},\"annotations\":{\"com.urunc.unikernel.binary\":\"/k\\u0000/../x\"}}",
         "NUL character (\\u0000 at byte 68)"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct oci_spec s;
        struct ur_err e;
        ur_err_clear(&e);
        assert_true(spec_parse(cases[i].json, "/b", &s, &e) < 0);
        if (!strstr(e.msg, cases[i].want))
            fail_msg("case %zu: \"%s\" does not contain \"%s\"", i, e.msg, cases[i].want);
        assert_null(s.doc);
    }
}

static cJSON *annots(const char *json)
{
    cJSON *o = cJSON_Parse(json);
    assert_non_null(o);
    return o;
}

/* Found by tests/fuzz/fuzz_spec: a memory limit of 1e300 (or any value a
 * uint64 cannot hold) was converted anyway, undefined behaviour (UBSan).
 * The OCI limit is an int64: beyond it, config.json is refused. */
static void spec_memory_limit_range(void **st)
{
    (void)st;
    struct oci_spec s;
    struct ur_err e;
    const char *bad[] = {"1e300", "1e19", "9223372036854775808", "18446744073709551616"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char j[160];
        snprintf(j, sizeof(j), "{\"root\":{\"path\":\"r\"},\"linux\":{\"resources\":{\"memory\":{\"limit\":%s}}}}", bad[i]);
        assert_int_equal(spec_parse(j, "/b", &s, &e), -EINVAL);
        assert_non_null(strstr(e.msg, "memory.limit"));
    }
    assert_int_equal(spec_parse("{\"root\":{\"path\":\"r\"},\"linux\":{\"resources\":{\"memory\":"
                                "{\"limit\":9223372036854774784}}}}", "/b", &s, &e), 0);
    assert_true(s.mem_limit == 9223372036854774784ull);
    spec_free(&s);
    assert_int_equal(spec_parse("{\"root\":{\"path\":\"r\"},\"linux\":{\"resources\":{\"memory\":"
                                "{\"limit\":-1}}}}", "/b", &s, &e), 0);
    assert_true(s.mem_limit == 0); /* -1: unlimited */
    spec_free(&s);
}

static void uk_annotations_full(void **st)
{
    (void)st;
    cJSON *a = annots("{\"com.urunc.unikernel.unikernelType\":\"solo5\","
                      "\"com.urunc.unikernel.hypervisor\":\"hvt\","
                      "\"com.urunc.unikernel.binary\":\"/unikernel/x.hvt\","
                      "\"com.urunc.unikernel.cmdline\":\"a b\","
                      "\"com.urunc.unikernel.block\":\"/disk.img\","
                      "\"com.urunc.unikernel.blkMntPoint\":\"/\","
                      "\"com.urunc.unikernel.mountRootfs\":\"true\","
                      "\"com.urunc.unikernel.somethingNew\":\"ignored\","
                      "\"other\":\"x\"}");
    struct uk_desc d;
    struct ur_err e;
    assert_int_equal(uk_from_annotations(a, &d, &e), 1);
    assert_string_equal(d.type, "solo5");
    assert_string_equal(d.hypervisor, "hvt");
    assert_string_equal(d.binary, "/unikernel/x.hvt");
    assert_string_equal(d.cmdline, "a b");
    assert_string_equal(d.block, "/disk.img");
    assert_string_equal(d.blk_mnt_point, "/");
    assert_true(d.mount_rootfs);
    assert_string_equal(d.source, "annotations");
    assert_int_equal(uk_validate(&d, &e), 0);
    cJSON_Delete(a);
}

static void uk_annotations_absent(void **st)
{
    (void)st;
    struct uk_desc d;
    struct ur_err e;
    cJSON *a = annots("{\"io.kubernetes.cri.container-type\":\"sandbox\"}");
    assert_int_equal(uk_from_annotations(a, &d, &e), 0); /* a pause container: runc's */
    assert_int_equal(uk_from_annotations(NULL, &d, &e), 0);
    cJSON_Delete(a);
}

static void uk_annotations_bad(void **st)
{
    (void)st;
    static const struct {
        const char *json, *want;
    } cases[] = {
        {"{\"com.urunc.unikernel.hypervisor\":\"hvt\",\"com.urunc.unikernel.binary\":\"/k\"}", "unikernelType is missing"},
        {"{\"com.urunc.unikernel.unikernelType\":\"solo5\",\"com.urunc.unikernel.binary\":\"/k\"}", "hypervisor is missing"},
        {"{\"com.urunc.unikernel.unikernelType\":\"solo5\",\"com.urunc.unikernel.hypervisor\":\"hvt\"}", "binary is missing"},
        {"{\"com.urunc.unikernel.unikernelType\":\"solo5\",\"com.urunc.unikernel.hypervisor\":\"hvt\",\"com.urunc.unikernel.binary\":\"k\"}", "absolute"},
        {"{\"com.urunc.unikernel.unikernelType\":\"solo5\",\"com.urunc.unikernel.mountRootfs\":\"yes\"}", "not true or false"},
        {"{\"com.urunc.unikernel.unikernelType\":5}", "not a string"},
        {"{\"com.urunc.unikernel.cmdline\":\"a\\nb\"}", "cmdline holds a control character (byte 0x0a at offset 1)"},
        {"{\"com.urunc.unikernel.binary\":\"/k\\r\"}", "binary holds a control character (byte 0x0d"},
        {"{\"com.urunc.unikernel.block\":\"/\\u007f\"}", "block holds a control character (byte 0x7f"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        cJSON *a = annots(cases[i].json);
        struct uk_desc d;
        struct ur_err e;
        ur_err_clear(&e);
        assert_true(uk_from_annotations(a, &d, &e) < 0);
        if (!strstr(e.msg, cases[i].want))
            fail_msg("case %zu: \"%s\" does not contain \"%s\"", i, e.msg, cases[i].want);
        cJSON_Delete(a);
    }
}

static void uk_validate_errors(void **st)
{
    (void)st;
    struct uk_desc d = {.type = "solo5", .hypervisor = "qemu", .binary = "/k"};
    struct ur_err e;
    assert_int_equal(uk_validate(&d, &e), -ENOTSUP);
    assert_non_null(strstr(e.msg, "\"qemu\" is not supported"));
    assert_non_null(strstr(e.msg, "hvt"));
    strcpy(d.hypervisor, "hvt");
    strcpy(d.type, "unikraft");
    assert_int_equal(uk_validate(&d, &e), -ENOTSUP);
    assert_non_null(strstr(e.msg, "supported: solo5, rumprun"));
    /* spt runs urunc's spt types (rumprun, mirage) and our solo5 guests, not includeos */
    strcpy(d.hypervisor, "spt");
    strcpy(d.type, "includeos");
    assert_int_equal(uk_validate(&d, &e), -ENOTSUP);
    assert_non_null(strstr(e.msg, "unikernel type \"includeos\" is not supported on spt "
                                  "(supported: solo5, rumprun, mirage)"));
    static const char *const spt_ok[] = {"solo5", "rumprun", "mirage"};
    for (unsigned i = 0; i < 3; i++) {
        strcpy(d.type, spt_ok[i]);
        assert_int_equal(uk_validate(&d, &e), 0);
    }
    strcpy(d.hypervisor, "qemu");
    assert_int_equal(uk_validate(&d, &e), -ENOTSUP);
    assert_non_null(strstr(e.msg, "\"hvt\" (uniroot-vmm) and \"spt\" (uniroot-spt)"));
}

/* Does type T on hypervisor H read filesystem F? */
static bool fs_ok(const char *h, const char *t, const char *f)
{
    struct uk_desc d = {0};
    snprintf(d.hypervisor, sizeof(d.hypervisor), "%s", h);
    snprintf(d.type, sizeof(d.type), "%s", t);
    return uk_supports_fs(&d, f);
}

static void uk_fs_table(void **st)
{
    (void)st;
    static const char *const hv[] = {"hvt", "spt"};
    for (unsigned i = 0; i < 2; i++) {
        assert_true(fs_ok(hv[i], "solo5", "ext4"));
        assert_true(fs_ok(hv[i], "rumprun", "ext2"));
        assert_false(fs_ok(hv[i], "rumprun", "ext4"));
        assert_false(fs_ok(hv[i], "mirage", "ext4"));
        assert_false(fs_ok(hv[i], "nosuch", "ext4"));
        assert_false(fs_ok(hv[i], "solo5", "xfs"));
    }
    assert_false(fs_ok("qemu", "solo5", "ext4"));
    assert_false(fs_ok("spt", "includeos", "ext4"));
}

static void uk_urunc_json(void **st)
{
    (void)st;
    /* base64 of "solo5", "hvt", "/unikernel/hello.hvt", "hello world", "true" */
    const char *j = "{\"com.urunc.unikernel.unikernelType\":\"c29sbzU=\","
                    "\"com.urunc.unikernel.hypervisor\":\"aHZ0\","
                    "\"com.urunc.unikernel.binary\":\"L3VuaWtlcm5lbC9oZWxsby5odnQ=\","
                    "\"com.urunc.unikernel.cmdline\":\"aGVsbG8gd29ybGQ=\","
                    "\"com.urunc.unikernel.initrd\":\"\","
                    "\"com.urunc.unikernel.mountRootfs\":\"dHJ1ZQ==\"}";
    struct uk_desc d;
    struct ur_err e;
    assert_int_equal(uk_from_urunc_json(j, &d, &e), 1);
    assert_string_equal(d.type, "solo5");
    assert_string_equal(d.hypervisor, "hvt");
    assert_string_equal(d.binary, "/unikernel/hello.hvt");
    assert_string_equal(d.cmdline, "hello world");
    assert_string_equal(d.initrd, "");
    assert_true(d.mount_rootfs);
    assert_string_equal(d.source, "urunc.json");
}

static void uk_urunc_json_bad(void **st)
{
    (void)st;
    static const struct {
        const char *json, *want;
    } cases[] = {
        {"nope", "not a JSON object"},
        {"{}", "holds no"},
        {"{\"com.urunc.unikernel.binary\":\"***\"}", "not valid base64"},
        {"{\"com.urunc.unikernel.binary\":7}", "not a string"},
        {"{\"com.urunc.unikernel.binary\":\"L2s=\"}", "unikernelType is missing"},
        {"{\"com.urunc.unikernel.binary\":\"AA==\"}", "NUL"},
        {"{\"com.urunc.unikernel.binary\":\"L2s=\\u0000QUFB\"}", "NUL character (\\u0000 at byte 35)"},
        {"{\"com.urunc.unikernel.cmdline\":\"YQpi\"}", "cmdline holds a control character (byte 0x0a"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct uk_desc d;
        struct ur_err e;
        ur_err_clear(&e);
        assert_true(uk_from_urunc_json(cases[i].json, &d, &e) < 0);
        if (!strstr(e.msg, cases[i].want))
            fail_msg("case %zu: \"%s\" does not contain \"%s\"", i, e.msg, cases[i].want);
    }
}

static void base64_cases(void **st)
{
    (void)st;
    static const struct {
        const char *in, *out;
    } ok[] = {{"", ""}, {"Zg==", "f"}, {"Zm8=", "fo"}, {"Zm9v", "foo"}, {"Zm9vYg", "foob"},
              {"Zm9vYmFy", "foobar"}, {"Pz8/Pw==", "????"}, {"Pj4+", ">>>"}};
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        char *out;
        size_t len;
        struct ur_err e;
        assert_int_equal(base64_decode(ok[i].in, &out, &len, &e), 0);
        assert_string_equal(out, ok[i].out);
        assert_int_equal(len, strlen(ok[i].out));
        free(out);
    }
    char *out;
    struct ur_err e;
    assert_true(base64_decode("Z", &out, NULL, &e) < 0);
    assert_true(base64_decode("Zm9v!", &out, NULL, &e) < 0);
    assert_true(base64_decode("Zm 9v", &out, NULL, &e) < 0);
}

static void signals(void **st)
{
    (void)st;
    assert_int_equal(signal_parse("9"), SIGKILL);
    assert_int_equal(signal_parse("KILL"), SIGKILL);
    assert_int_equal(signal_parse("SIGTERM"), SIGTERM);
    assert_int_equal(signal_parse("sigusr1"), SIGUSR1);
    assert_true(signal_parse("0") < 0);
    assert_true(signal_parse("999") < 0);
    assert_true(signal_parse("NOPE") < 0);
    assert_true(signal_parse("9x") < 0);
}

static void options(void **st)
{
    (void)st;
    const char *bundle = NULL, *pid = NULL;
    bool all = false;
    int n = 0;
    const struct opt tbl[] = {{"bundle", 'b', OPT_STR, &bundle}, {"pid-file", 0, OPT_STR, &pid},
                              {"all", 'a', OPT_FLAG, &all}, {"preserve-fds", 0, OPT_INT, &n},
                              {NULL, 0, 0, NULL}};
    char *argv[] = {"-b", "/x", "--pid-file=/p", "-a", "--preserve-fds", "2", "id", "9", NULL};
    int i = 0;
    struct ur_err e;
    assert_int_equal(opts_parse(8, argv, &i, tbl, &e), 0);
    assert_int_equal(i, 6);
    assert_string_equal(bundle, "/x");
    assert_string_equal(pid, "/p");
    assert_true(all);
    assert_int_equal(n, 2);
    char *single[] = {"-bundle", "/y", "id", NULL}; /* runc also takes one dash */
    i = 0;
    assert_int_equal(opts_parse(3, single, &i, tbl, &e), 0);
    assert_string_equal(bundle, "/y");
    char *bad[] = {"--nope", NULL};
    i = 0;
    assert_true(opts_parse(1, bad, &i, tbl, &e) < 0);
    assert_non_null(strstr(e.msg, "unknown option --nope"));
    char *missing[] = {"--bundle", NULL};
    i = 0;
    assert_true(opts_parse(1, missing, &i, tbl, &e) < 0);
    char *badnum[] = {"--preserve-fds=x", NULL};
    i = 0;
    assert_true(opts_parse(1, badnum, &i, tbl, &e) < 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(spec_relative_root_and_fields),
        cmocka_unit_test(spec_absolute_root),
        cmocka_unit_test(spec_bad_inputs),
        cmocka_unit_test(spec_memory_limit_range),
        cmocka_unit_test(uk_annotations_full),
        cmocka_unit_test(uk_annotations_absent),
        cmocka_unit_test(uk_annotations_bad),
        cmocka_unit_test(uk_validate_errors),
        cmocka_unit_test(uk_fs_table),
        cmocka_unit_test(uk_urunc_json),
        cmocka_unit_test(uk_urunc_json_bad),
        cmocka_unit_test(guest_memory_from_limits),
        cmocka_unit_test(base64_cases),
        cmocka_unit_test(signals),
        cmocka_unit_test(options),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
