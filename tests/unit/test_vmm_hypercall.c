/* test_vmm_hypercall.c: hypercall argument checks against a fake guest memory.
 * A guest address outside memory must stop the guest (negative return, clear
 * message); a bad request inside the rules (misaligned, out of range, bad
 * handle) must return SOLO5_R_EINVAL to the guest and touch nothing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <unistd.h>

#include "vmm_fixture.h"

#define ARG 0x200000ull  /* where tests put argument structs */
#define BUF 0x300000ull  /* and data buffers */
#define DISK_SECTORS 16

struct fx {
    struct vmm *vmm;
    int fd;
};

/* A guest with block device dev1 (an 8 KiB temp file, 512-byte sectors). */
static int setup_block(void **state)
{
    static const uint32_t types[] = {MFT_DEV_BLOCK_BASIC};
    struct fx *f = calloc(1, sizeof(*f));
    f->vmm = fake_vmm(1, types);
    char path[] = "/tmp/uniroot-unit-XXXXXX";
    f->fd = mkstemp(path);
    unlink(path);
    assert_int_equal(ftruncate(f->fd, DISK_SECTORS * 512), 0);
    struct mft_entry *e = &f->vmm->t.mft->e[1];
    e->u.block_basic.capacity = DISK_SECTORS * 512;
    e->u.block_basic.block_size = 512;
    e->b.hostfd = f->fd;
    e->attached = 1;
    struct tender_opts o = {.ndev = 0};
    struct ur_err err = {0};
    assert_int_equal(tender_register(&f->vmm->reg, &tender_block_module, &err), 0); /* its hypercalls */
    assert_int_equal(tender_block_module.attach(&f->vmm->t, &o, &err), 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    close(f->fd);
    fake_vmm_free(f->vmm);
    free(f);
    return 0;
}

static void *at(struct vmm *v, uint64_t gpa) { return v->t.mem + gpa; }

static int block_io(struct vmm *v, unsigned nr, uint64_t handle, uint64_t off, uint64_t data,
                    uint64_t len, int32_t *ret, struct ur_err *err)
{
    struct hvt_hc_block_read *a = at(v, ARG);
    *a = (struct hvt_hc_block_read){.handle = handle, .offset = off, .data = data, .len = len, .ret = -1};
    int rc = hypercall_dispatch(v, nr, ARG, err);
    *ret = a->ret;
    return rc;
}

static void block_write_read_roundtrip(void **state)
{
    struct fx *f = *state;
    struct ur_err err = {0};
    int32_t ret;
    memset(at(f->vmm, BUF), 0x5a, 1024);
    /* the last two sectors */
    assert_int_equal(block_io(f->vmm, HVT_HYPERCALL_BLOCK_WRITE, 1, (DISK_SECTORS - 2) * 512, BUF, 1024, &ret, &err), 0);
    assert_int_equal(ret, SOLO5_R_OK);
    uint8_t host[1024];
    assert_int_equal(pread(f->fd, host, sizeof(host), (DISK_SECTORS - 2) * 512), 1024);
    assert_int_equal(host[0], 0x5a);
    assert_int_equal(host[1023], 0x5a);
    memset(at(f->vmm, BUF + 4096), 0, 1024);
    assert_int_equal(block_io(f->vmm, HVT_HYPERCALL_BLOCK_READ, 1, (DISK_SECTORS - 2) * 512, BUF + 4096, 1024, &ret, &err), 0);
    assert_int_equal(ret, SOLO5_R_OK);
    assert_memory_equal(at(f->vmm, BUF + 4096), at(f->vmm, BUF), 1024);
}

static void block_bad_requests_get_einval(void **state)
{
    struct fx *f = *state;
    struct ur_err err = {0};
    int32_t ret;
    const uint64_t cap = DISK_SECTORS * 512;
    const struct { uint64_t handle, off, len; const char *what; } cases[] = {
        {1, 1, 512, "misaligned offset"},
        {1, 0, 100, "misaligned length"},
        {1, 0, 0, "zero length"},
        {1, cap, 512, "offset at capacity"},
        {1, cap - 512, 1024, "crossing the end"},
        {1, UINT64_MAX - 511, 512, "offset wrapping"},
        {1, 512, UINT64_MAX - 511, "length wrapping"},
        {0, 0, 512, "reserved handle 0"},
        {2, 0, 512, "handle past the manifest"},
        {UINT64_MAX, 0, 512, "huge handle"},
    };
    uint8_t before[DISK_SECTORS * 512], after[DISK_SECTORS * 512];
    assert_int_equal(pread(f->fd, before, sizeof(before), 0), (ssize_t)sizeof(before));
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        for (unsigned nr = HVT_HYPERCALL_BLOCK_WRITE; nr <= HVT_HYPERCALL_BLOCK_READ; nr++) {
            int rc = block_io(f->vmm, nr, cases[i].handle, cases[i].off, BUF, cases[i].len, &ret, &err);
            if (rc != 0 || ret != SOLO5_R_EINVAL)
                fail_msg("%s (hypercall %u): rc=%d ret=%d, want 0/EINVAL", cases[i].what, nr, rc, ret);
        }
    }
    assert_int_equal(pread(f->fd, after, sizeof(after), 0), (ssize_t)sizeof(after));
    assert_memory_equal(before, after, sizeof(before));
}

static void block_wild_pointers_stop_the_guest(void **state)
{
    struct fx *f = *state;
    const uint64_t mem = f->vmm->t.mem_size;
    const struct { uint64_t data, len; } cases[] = {
        {mem, 512},                 /* just past the end */
        {mem - 511, 512},           /* straddles the end */
        {UINT64_MAX - 255, 512},    /* wraps around */
        {0xdeadbeef000ull, 512},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        for (unsigned nr = HVT_HYPERCALL_BLOCK_WRITE; nr <= HVT_HYPERCALL_BLOCK_READ; nr++) {
            struct ur_err err = {0};
            int32_t ret;
            int rc = block_io(f->vmm, nr, 1, 0, cases[i].data, cases[i].len, &ret, &err);
            assert_true(rc < 0);
            assert_non_null(strstr(err.msg, "outside guest memory"));
        }
    }
    /* the argument struct itself outside memory */
    struct ur_err err = {0};
    assert_true(hypercall_dispatch(f->vmm, HVT_HYPERCALL_BLOCK_READ, mem - 8, &err) < 0);
    assert_non_null(strstr(err.msg, "argument"));
}

static void puts_checks(void **state)
{
    struct fx *f = *state;
    struct vmm *v = f->vmm;
    struct ur_err err = {0};
    struct hvt_hc_puts *a = at(v, ARG);
    *a = (struct hvt_hc_puts){.data = v->t.mem_size - 4, .len = 8};
    assert_true(hypercall_dispatch(v, HVT_HYPERCALL_PUTS, ARG, &err) < 0);
    assert_non_null(strstr(err.msg, "puts"));
    *a = (struct hvt_hc_puts){.data = 16, .len = UINT64_MAX - 8};
    assert_true(hypercall_dispatch(v, HVT_HYPERCALL_PUTS, ARG, &err) < 0);
    *a = (struct hvt_hc_puts){.data = BUF, .len = 0};
    assert_int_equal(hypercall_dispatch(v, HVT_HYPERCALL_PUTS, ARG, &err), 0);
    assert_true(hypercall_dispatch(v, HVT_HYPERCALL_PUTS, v->t.mem_size, &err) < 0);
}

static void halt_status_and_cookie(void **state)
{
    struct fx *f = *state;
    struct vmm *v = f->vmm;
    struct ur_err err = {0};
    struct hvt_hc_halt *a = at(v, ARG);
    *a = (struct hvt_hc_halt){.cookie = 0, .exit_status = 42};
    assert_int_equal(hypercall_dispatch(v, HVT_HYPERCALL_HALT, ARG, &err), TENDER_HC_HALT);
    assert_int_equal(v->t.exit_status, 42);
    const int wide[] = {256, 512, -1, INT32_MIN};
    for (size_t i = 0; i < sizeof(wide) / sizeof(wide[0]); i++) {
        *a = (struct hvt_hc_halt){.cookie = 0, .exit_status = wide[i]};
        assert_int_equal(hypercall_dispatch(v, HVT_HYPERCALL_HALT, ARG, &err), TENDER_HC_HALT);
        assert_int_equal(v->t.exit_status, 255); /* never wraps to 0 */
    }
    *a = (struct hvt_hc_halt){.cookie = v->t.mem_size - 100, .exit_status = 1};
    assert_true(hypercall_dispatch(v, HVT_HYPERCALL_HALT, ARG, &err) < 0);
    assert_non_null(strstr(err.msg, "cookie"));
    *a = (struct hvt_hc_halt){.cookie = BUF, .exit_status = 3};
    assert_int_equal(hypercall_dispatch(v, HVT_HYPERCALL_HALT, ARG, &err), TENDER_HC_HALT);
    assert_int_equal(v->t.exit_status, 3);
}

static void walltime_and_poll(void **state)
{
    struct fx *f = *state;
    struct vmm *v = f->vmm;
    struct ur_err err = {0};
    struct hvt_hc_walltime *w = at(v, ARG);
    w->nsecs = 0;
    assert_int_equal(hypercall_dispatch(v, HVT_HYPERCALL_WALLTIME, ARG, &err), 0);
    assert_true(w->nsecs > 1600000000ull * 1000000000ull);
    struct hvt_hc_poll *p = at(v, ARG);
    *p = (struct hvt_hc_poll){.timeout_nsecs = 1000000, .ready_set = ~0ull, .ret = -1};
    assert_int_equal(hypercall_dispatch(v, HVT_HYPERCALL_POLL, ARG, &err), 0);
    assert_int_equal(p->ready_set, 0);
    assert_int_equal(p->ret, SOLO5_R_OK);
    assert_true(hypercall_dispatch(v, HVT_HYPERCALL_POLL, UINT32_MAX, &err) < 0);
}

static void unknown_hypercalls(void **state)
{
    struct fx *f = *state;
    struct ur_err err = {0};
    assert_true(hypercall_dispatch(f->vmm, 0, ARG, &err) < 0);
    assert_non_null(strstr(err.msg, "unknown hypercall 0"));
    assert_true(hypercall_dispatch(f->vmm, HVT_HYPERCALL_MAX, ARG, &err) < 0);
    assert_true(hypercall_dispatch(f->vmm, 0xffff, ARG, &err) < 0);
    /* net hypercalls are not there when the net module is not registered */
    assert_true(hypercall_dispatch(f->vmm, HVT_HYPERCALL_NET_READ, ARG, &err) < 0);
}

/* The image's read-only pages: the monitor must never write there for the guest. */
static void read_only_memory_is_never_written(void **state)
{
    struct fx *f = *state;
    struct vmm *v = f->vmm;
    const uint64_t ro = 0x100000;
    v->t.ro = (struct tender_ro){.start = {ro}, .end = {ro + 0x2000}, .n = 1};
    struct ur_err err = {0};
    int32_t ret;
    /* a block read into read-only memory */
    assert_true(block_io(v, HVT_HYPERCALL_BLOCK_READ, 1, 0, ro + 0x1000, 512, &ret, &err) < 0);
    assert_non_null(strstr(err.msg, "read-only"));
    /* reading from it (a block write's source, puts) is fine */
    assert_int_equal(block_io(v, HVT_HYPERCALL_BLOCK_WRITE, 1, 0, ro, 512, &ret, &err), 0);
    assert_int_equal(ret, SOLO5_R_OK);
    /* argument structs the monitor writes results into */
    const unsigned writers[] = {HVT_HYPERCALL_WALLTIME, HVT_HYPERCALL_POLL, HVT_HYPERCALL_BLOCK_READ,
                                HVT_HYPERCALL_BLOCK_WRITE};
    for (size_t i = 0; i < sizeof(writers) / sizeof(writers[0]); i++)
        assert_true(hypercall_dispatch(v, writers[i], ro + 0x1ff8, &err) < 0);
    /* a struct just past the read-only pages is fine */
    struct hvt_hc_walltime *w = at(v, ro + 0x2000);
    assert_int_equal(hypercall_dispatch(v, HVT_HYPERCALL_WALLTIME, ro + 0x2000, &err), 0);
    assert_true(w->nsecs != 0);
    assert_null(tender_gpa_w(&v->t, ro + 0x1fff, 1));
    assert_non_null(tender_gpa(&v->t, ro + 0x1fff, 1));
    assert_null(tender_gpa_w(&v->t, ro - 4, 8));
}

static void gpa_gate(void **state)
{
    struct fx *f = *state;
    struct vmm *v = f->vmm;
    assert_non_null(tender_gpa(&v->t, 0, v->t.mem_size));
    assert_non_null(tender_gpa(&v->t, v->t.mem_size - 1, 1));
    assert_null(tender_gpa(&v->t, v->t.mem_size, 0));
    assert_null(tender_gpa(&v->t, v->t.mem_size - 1, 2));
    assert_null(tender_gpa(&v->t, 1, UINT64_MAX));
    assert_null(tender_gpa(&v->t, UINT64_MAX, 1));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(block_write_read_roundtrip, setup_block, teardown),
        cmocka_unit_test_setup_teardown(block_bad_requests_get_einval, setup_block, teardown),
        cmocka_unit_test_setup_teardown(block_wild_pointers_stop_the_guest, setup_block, teardown),
        cmocka_unit_test_setup_teardown(puts_checks, setup_block, teardown),
        cmocka_unit_test_setup_teardown(halt_status_and_cookie, setup_block, teardown),
        cmocka_unit_test_setup_teardown(walltime_and_poll, setup_block, teardown),
        cmocka_unit_test_setup_teardown(unknown_hypercalls, setup_block, teardown),
        cmocka_unit_test_setup_teardown(read_only_memory_is_never_written, setup_block, teardown),
        cmocka_unit_test_setup_teardown(gpa_gate, setup_block, teardown),
    };
    return cmocka_run_group_tests_name("uniroot-vmm hypercalls", tests, NULL, NULL);
}
