/* test_tender_module.c: the device module table and its registry
 * (runtime/tender/module.c): both monitors' tables register cleanly, and a
 * second claim on an option flag or an hvt hypercall number is refused
 * without changing what was registered; options and usage text come from
 * the modules that registered them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tender.h"

static int hc_dummy(struct tender_ctx *ctx, uint64_t gpa, struct ur_err *err)
{
    (void)ctx, (void)gpa, (void)err;
    return 0;
}

static const struct tender_hypercall core_calls[] = {{HVT_HYPERCALL_PUTS, hc_dummy}};
static const struct tender_module core = {.name = "core", .hvt_calls = core_calls, .nhvt_calls = 1};
static const struct tender_monitor mon = {
    .prog = "test-monitor", .summary = "A monitor for tests.", .max_mem_mb = 64,
    .mem_note = "", .mem_who = "a test guest", .mem_why = "(tests)", .fault_note = "", .exit_note = "", .core = &core,
};

static void init(struct tender_registry *r)
{
    struct ur_err e = {0};
    assert_int_equal(tender_registry_init(r, &mon, &e), 0);
}

static void table_registers(void **s)
{
    (void)s;
    struct tender_registry r;
    init(&r);
    assert_int_equal(r.nmod, 3); /* core, block, net */
    assert_ptr_equal(tender_module_for(&r, MFT_DEV_BLOCK_BASIC), &tender_block_module);
    assert_ptr_equal(tender_module_for(&r, MFT_DEV_NET_BASIC), &tender_net_module);
    assert_null(tender_module_for(&r, MFT_RESERVED_FIRST));
    assert_ptr_equal(r.hc[HVT_HYPERCALL_PUTS], hc_dummy);
    assert_non_null(r.hc[HVT_HYPERCALL_BLOCK_READ]);
    assert_non_null(r.hc[HVT_HYPERCALL_NET_WRITE]);
}

/* Register m into a full registry: it must be refused with code, and the
 * registry stay as it was. */
static void refused(const struct tender_module *m, int code, const char *msg)
{
    struct tender_registry r;
    init(&r);
    struct tender_registry before = r;
    struct ur_err e = {0};
    assert_int_equal(tender_register(&r, m, &e), code);
    if (!strstr(e.msg, msg))
        fail_msg("module %s: '%s' does not say '%s'", m->name, e.msg, msg);
    assert_int_equal(r.nmod, before.nmod);
    assert_memory_equal(r.mod, before.mod, sizeof(r.mod));
    assert_memory_equal(r.hc, before.hc, sizeof(r.hc));
}

static void second_hypercall_refused(void **s)
{
    (void)s;
    static const struct tender_hypercall taken[] = {{HVT_HYPERCALL_POLL, hc_dummy},
                                                    {HVT_HYPERCALL_BLOCK_READ, hc_dummy}};
    static const struct tender_module m = {.name = "thief", .hvt_calls = taken, .nhvt_calls = 2};
    refused(&m, -EEXIST, "is already registered");
    static const struct tender_hypercall twice[] = {{HVT_HYPERCALL_POLL, hc_dummy},
                                                    {HVT_HYPERCALL_POLL, hc_dummy}};
    static const struct tender_module m2 = {.name = "twice", .hvt_calls = twice, .nhvt_calls = 2};
    refused(&m2, -EEXIST, "given twice");
    static const struct tender_hypercall big[] = {{HVT_HYPERCALL_MAX, hc_dummy}};
    static const struct tender_module m3 = {.name = "big", .hvt_calls = big, .nhvt_calls = 1};
    refused(&m3, -EINVAL, "bad hypercall");
    /* the same module twice */
    refused(&tender_net_module, -EEXIST, "registered twice");
}

static void second_option_refused(void **s)
{
    (void)s;
    static const struct tender_option dup[] = {{"--net:", "X", "again", NULL}};
    static const struct tender_module m = {.name = "dup", .opts = dup, .nopts = 1};
    refused(&m, -EEXIST, "taken by module net");
    static const struct tender_option mon_opt[] = {{"--help:", "X", "a monitor flag", NULL}};
    static const struct tender_module m2 = {.name = "help", .opts = mon_opt, .nopts = 1};
    refused(&m2, -EEXIST, "collides with the monitor's --help");
    static const struct tender_option bad[] = {{"--nocolon", "X", "no colon", NULL}};
    static const struct tender_module m3 = {.name = "bad", .opts = bad, .nopts = 1};
    refused(&m3, -EINVAL, "must be --WORD:");
    /* a new module with a new option and a free hypercall is fine */
    static const struct tender_option fresh[] = {{"--rng:", "PATH", "entropy from PATH", NULL}};
    static const struct tender_module m4 = {.name = "rng", .mft_type = 99, .opts = fresh, .nopts = 1};
    struct tender_registry r;
    init(&r);
    struct ur_err e = {0};
    assert_int_equal(tender_register(&r, &m4, &e), 0);
    char *argv[] = {"p", "--rng:r=/dev/urandom", "k", NULL};
    struct tender_opts o;
    assert_int_equal(tender_parse_args(&r, 3, argv, &o, &e), 0);
    assert_ptr_equal(o.dev[0].opt, &fresh[0]);
    assert_string_equal(tender_opt_value(&o, &fresh[0], "r"), "/dev/urandom");
}

/* Options are the registered modules': unknown without them. */
static void options_follow_registry(void **s)
{
    (void)s;
    struct tender_registry r = {.mon = &mon};
    struct ur_err e = {0};
    char *argv[] = {"p", "--block:a=/x", "k", NULL};
    struct tender_opts o;
    assert_int_equal(tender_parse_args(&r, 3, argv, &o, &e), -EINVAL);
    assert_non_null(strstr(e.msg, "unknown option '--block:a=/x'"));
    assert_int_equal(tender_register(&r, &tender_block_module, &e), 0);
    assert_int_equal(tender_parse_args(&r, 3, argv, &o, &e), 0);
    char *big[] = {"p", "--mem=65", "k", NULL};
    assert_int_equal(tender_parse_args(&r, 3, big, &o, &e), -EINVAL);
    assert_non_null(strstr(e.msg, "a test guest can have at most 64 MB (tests)"));
}

static void usage_from_modules(void **s)
{
    (void)s;
    struct tender_registry r;
    init(&r);
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    tender_usage(&r, f);
    fclose(f);
    assert_non_null(strstr(text, "usage: test-monitor [OPTIONS]"));
    assert_non_null(strstr(text, "2 to 64 (default 512)"));
    for (unsigned i = 0; tender_modules[i]; i++)
        for (unsigned k = 0; k < tender_modules[i]->nopts; k++) {
            const struct tender_option *opt = &tender_modules[i]->opts[k];
            char want[128];
            snprintf(want, sizeof(want), "  %sNAME=%s", opt->flag, opt->value);
            if (!strstr(text, want))
                fail_msg("usage lacks '%s'", want);
        }
    /* a continuation line of a module's help is indented to the help column */
    assert_non_null(strstr(text, "\n                                as network device NAME\n"));
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(table_registers),
        cmocka_unit_test(second_hypercall_refused),
        cmocka_unit_test(second_option_refused),
        cmocka_unit_test(options_follow_registry),
        cmocka_unit_test(usage_from_modules),
    };
    return cmocka_run_group_tests_name("tender module registry", tests, NULL, NULL);
}
