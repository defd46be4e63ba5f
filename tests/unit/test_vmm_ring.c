/* test_vmm_ring.c: the hvt net ring servicer (runtime/tender/net_ring.c)
 * against a fake guest memory.
 *
 * dev1 is a network device whose host side is one end of a non-blocking
 * SOCK_SEQPACKET socketpair (whole frames, like a tap), dev2 a block device.
 * Writes go out in order with no commit; reads commit their id, result and
 * size; bad handles and lengths are dropped (write) or get SOLO5_R_EINVAL
 * (read); frame buffers outside guest memory, an index claiming more than a
 * ring of pending entries or unread commits, and a ring outside (or
 * straddling the end of, or in read-only) guest memory are refused with
 * -EFAULT and nothing served; indices the guest scribbles into the
 * monitor's fields are ignored; indices wrap around 2^32; a full commit
 * ring makes a read wait.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <errno.h>
#include <stdint.h>
#include <sys/socket.h>
#include <unistd.h>

#include "vmm_fixture.h"
#include "net_fixture.h"

#define RING 0x380000ull /* where tests put the ring */
#define BUF 0x300000ull  /* and frames */
#define MTU 1500

struct fx {
    struct vmm *vmm;
    int peer;
    struct tender_net_ring r;
    struct hvt_ring *ring;
};

static void *at(struct vmm *v, uint64_t gpa) { return v->t.mem + gpa; }

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    f->vmm = fake_net_vmm(MTU, &f->peer);
    struct ur_err err = {0};
    assert_int_equal(tender_net_ring_init(&f->vmm->t, &f->r, RING, &err), 0);
    f->ring = at(f->vmm, RING);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    close(f->vmm->t.mft->e[1].b.hostfd);
    close(f->peer);
    fake_vmm_free(f->vmm);
    free(f);
    return 0;
}

/* The guest submits one entry (as its driver does: fill, then advance ent_tail). */
static void submit(struct fx *f, uint32_t op, uint32_t handle, uint64_t data, uint32_t len,
                   uint32_t id)
{
    f->ring->entries[f->ring->ent_tail % HVT_RING_SIZE] =
        (struct hvt_ring_entry){.operation = op, .handle = handle, .data = data, .len = len, .id = id};
    f->ring->ent_tail++;
}

static int service(struct fx *f, unsigned *served, struct ur_err *err)
{
    return tender_net_ring_service(&f->vmm->t, &f->r, served, err);
}

static void writes_go_out_in_order_without_commits(void **state)
{
    struct fx *f = *state;
    struct ur_err err = {0};
    static uint8_t got[MTU + 100];
    const uint32_t sizes[] = {60, 200, MTU + 14};
    for (unsigned i = 0; i < 3; i++) {
        fill(at(f->vmm, BUF + i * 0x1000), sizes[i], (uint8_t)i);
        submit(f, HVT_RING_NET_WRITE, 1, BUF + i * 0x1000, sizes[i], i);
    }
    unsigned n = 0;
    assert_int_equal(service(f, &n, &err), 0);
    assert_int_equal(n, 3);
    assert_int_equal(f->ring->ent_head, 3);
    assert_int_equal(f->ring->com_tail, 0);
    for (unsigned i = 0; i < 3; i++) {
        assert_int_equal(recv(f->peer, got, sizeof(got), MSG_DONTWAIT), (ssize_t)sizes[i]);
        assert_memory_equal(got, at(f->vmm, BUF + i * 0x1000), sizes[i]);
    }
    assert_peer_empty(f->peer);
    assert_int_equal(service(f, &n, &err), 0); /* nothing new */
    assert_int_equal(n, 0);
}

static void reads_commit_id_result_and_size(void **state)
{
    struct fx *f = *state;
    struct ur_err err = {0};
    uint8_t frame[100];
    fill(frame, sizeof(frame), 9);
    assert_int_equal(send(f->peer, frame, sizeof(frame), 0), (ssize_t)sizeof(frame));
    memset(at(f->vmm, BUF), 0xee, 2048);
    submit(f, HVT_RING_NET_READ, 1, BUF, 2048, 77);
    submit(f, HVT_RING_NET_READ, 1, BUF + 0x1000, 2048, 78); /* nothing waiting now */
    unsigned n = 0;
    assert_int_equal(service(f, &n, &err), 0);
    assert_int_equal(n, 2);
    assert_int_equal(f->ring->com_tail, 2);
    struct hvt_ring_commit *c = f->ring->commits;
    assert_int_equal(c[0].id, 77);
    assert_int_equal(c[0].ret, SOLO5_R_OK);
    assert_int_equal(c[0].len, sizeof(frame));
    assert_memory_equal(at(f->vmm, BUF), frame, sizeof(frame));
    assert_int_equal(*(uint8_t *)at(f->vmm, BUF + sizeof(frame)), 0xee); /* not past the frame */
    assert_int_equal(c[1].id, 78);
    assert_int_equal(c[1].ret, SOLO5_R_AGAIN);
    assert_int_equal(c[1].len, 0);
}

static void bad_requests_are_dropped_or_einval(void **state)
{
    struct fx *f = *state;
    struct ur_err err = {0};
    submit(f, HVT_RING_NET_WRITE, 2, BUF, 60, 1);       /* block device */
    submit(f, HVT_RING_NET_WRITE, 9, BUF, 60, 2);       /* no such handle */
    submit(f, HVT_RING_NET_WRITE, 1, BUF, 0, 3);        /* zero length */
    submit(f, HVT_RING_NET_WRITE, 1, BUF, MTU + 15, 4); /* over MTU + header */
    submit(f, 99, 1, BUF, 60, 5);                       /* unknown operation: skipped */
    submit(f, HVT_RING_NET_READ, 2, BUF, 2048, 6);      /* block device */
    submit(f, HVT_RING_NET_READ, 1, BUF, 0, 7);         /* zero length */
    unsigned n = 0;
    assert_int_equal(service(f, &n, &err), 0);
    assert_int_equal(n, 7);
    assert_peer_empty(f->peer);
    assert_int_equal(f->ring->com_tail, 2);
    assert_int_equal(f->ring->commits[0].id, 6);
    assert_int_equal(f->ring->commits[0].ret, SOLO5_R_EINVAL);
    assert_int_equal(f->ring->commits[1].id, 7);
    assert_int_equal(f->ring->commits[1].ret, SOLO5_R_EINVAL);
}

static void wild_buffers_stop_the_guest(void **state)
{
    struct fx *f = *state;
    const struct { uint32_t op; uint64_t data; uint32_t len; } cases[] = {
        {HVT_RING_NET_WRITE, FAKE_MEM, 60},
        {HVT_RING_NET_WRITE, FAKE_MEM - 59, 60},      /* straddles the end */
        {HVT_RING_NET_WRITE, UINT64_MAX - 10, 60},    /* wraps 2^64 */
        {HVT_RING_NET_READ, FAKE_MEM, 2048},
        {HVT_RING_NET_READ, FAKE_MEM - 100, 2048},
        {HVT_RING_NET_READ, UINT64_MAX - 10, 2048},
    };
    uint8_t frame[60] = {1};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct ur_err err = {0};
        assert_int_equal(send(f->peer, frame, sizeof(frame), 0), (ssize_t)sizeof(frame));
        uint32_t head = f->r.ent_head;
        submit(f, cases[i].op, 1, cases[i].data, cases[i].len, (uint32_t)i);
        unsigned n = 9;
        assert_int_equal(service(f, &n, &err), -EFAULT);
        assert_int_equal(n, 0);
        assert_non_null(strstr(err.msg, "guest broke the ABI"));
        assert_int_equal(f->r.ent_head, head); /* the bad entry is not consumed */
        assert_int_equal(f->ring->com_tail, 0);
        assert_peer_empty(f->peer);
        /* drain our frame (the read never took it) and undo the entry */
        uint8_t b[64];
        (void)read(f->vmm->t.mft->e[1].b.hostfd, b, sizeof(b));
        f->ring->ent_tail--;
    }
}

static void wild_indices_stop_the_guest(void **state)
{
    struct fx *f = *state;
    const uint32_t tails[] = {HVT_RING_SIZE + 1, UINT32_MAX, 0x80000000u};
    for (size_t i = 0; i < 3; i++) {
        struct ur_err err = {0};
        f->ring->ent_tail = tails[i];
        unsigned n = 9;
        assert_int_equal(service(f, &n, &err), -EFAULT);
        assert_int_equal(n, 0);
        assert_int_equal(f->ring->ent_head, 0);
        assert_non_null(strstr(err.msg, "pending"));
    }
    /* a whole ring pending is fine (writes with zero length: dropped) */
    struct ur_err err = {0};
    f->ring->ent_tail = 0;
    for (unsigned i = 0; i < HVT_RING_SIZE; i++)
        submit(f, HVT_RING_NET_WRITE, 1, BUF, 0, i);
    unsigned n = 0;
    assert_int_equal(service(f, &n, &err), 0);
    assert_int_equal(n, HVT_RING_SIZE);
    /* a com_head that ran ahead of com_tail */
    f->ring->com_head = 5;
    submit(f, HVT_RING_NET_READ, 1, BUF, 2048, 1);
    assert_int_equal(service(f, &n, &err), -EFAULT);
    assert_non_null(strstr(err.msg, "com_head"));
    assert_int_equal(f->ring->com_tail, 0);
}

static void guest_scribbles_on_monitor_indices_are_ignored(void **state)
{
    struct fx *f = *state;
    struct ur_err err = {0};
    submit(f, HVT_RING_NET_WRITE, 1, BUF, 60, 1);
    f->ring->ent_head = 12345; /* the guest lies about what we consumed */
    f->ring->com_tail = 999;
    unsigned n = 0;
    assert_int_equal(service(f, &n, &err), 0);
    assert_int_equal(n, 1);
    assert_int_equal(f->ring->ent_head, 1); /* ours, republished */
    uint8_t b[64];
    assert_int_equal(recv(f->peer, b, sizeof(b), MSG_DONTWAIT), 60);
}

static void indices_wrap_around(void **state)
{
    struct fx *f = *state;
    struct ur_err err = {0};
    const uint32_t start = UINT32_MAX - 2;
    f->r.ent_head = f->r.com_tail = start;
    f->ring->ent_tail = f->ring->com_head = start;
    uint8_t frame[80] = {3};
    for (unsigned i = 0; i < 6; i++) {
        assert_int_equal(send(f->peer, frame, sizeof(frame), 0), (ssize_t)sizeof(frame));
        submit(f, HVT_RING_NET_READ, 1, BUF, 2048, i);
        unsigned n = 0;
        assert_int_equal(service(f, &n, &err), 0);
        assert_int_equal(n, 1);
        struct hvt_ring_commit *c = &f->ring->commits[f->ring->com_head % HVT_RING_SIZE];
        assert_int_equal(c->id, i);
        assert_int_equal(c->ret, SOLO5_R_OK);
        assert_int_equal(c->len, sizeof(frame));
        f->ring->com_head++;
    }
    assert_int_equal(f->ring->ent_head, start + 6);
}

static void full_commit_ring_makes_a_read_wait(void **state)
{
    struct fx *f = *state;
    struct ur_err err = {0};
    f->r.com_tail = HVT_RING_SIZE; /* a ring of commits the guest has not read */
    submit(f, HVT_RING_NET_READ, 1, BUF, 2048, 42);
    unsigned n = 9;
    assert_int_equal(service(f, &n, &err), 0);
    assert_int_equal(n, 0);
    assert_int_equal(f->r.ent_head, 0);
    f->ring->com_head = 1; /* the guest reads one */
    assert_int_equal(service(f, &n, &err), 0);
    assert_int_equal(n, 1);
    assert_int_equal(f->ring->commits[0].id, 42);
    assert_int_equal(f->ring->com_tail, HVT_RING_SIZE + 1);
}

static void ring_outside_guest_memory_is_refused(void **state)
{
    struct fx *f = *state;
    const uint64_t gpas[] = {FAKE_MEM, FAKE_MEM - sizeof(struct hvt_ring) + 8, RING + 4,
                             UINT64_MAX - 64, 0x101000};
    f->vmm->t.ro = (struct tender_ro){.start = {0x100000}, .end = {0x102000}, .n = 1};
    for (size_t i = 0; i < sizeof(gpas) / sizeof(gpas[0]); i++) {
        struct ur_err err = {0};
        struct tender_net_ring r = {.gpa = 7};
        assert_int_equal(tender_net_ring_init(&f->vmm->t, &r, gpas[i], &err), -EFAULT);
        assert_int_equal(r.gpa, 7);
        /* and a ring that became bad (its gpa is ours, but checked each time) */
        r.gpa = gpas[i];
        unsigned n = 9;
        assert_int_equal(tender_net_ring_service(&f->vmm->t, &r, &n, &err), -EFAULT);
        assert_int_equal(n, 0);
    }
    struct ur_err err = {0};
    assert_int_equal(tender_net_ring_init(&f->vmm->t, &f->r, FAKE_MEM - sizeof(struct hvt_ring), &err), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(writes_go_out_in_order_without_commits, setup, teardown),
        cmocka_unit_test_setup_teardown(reads_commit_id_result_and_size, setup, teardown),
        cmocka_unit_test_setup_teardown(bad_requests_are_dropped_or_einval, setup, teardown),
        cmocka_unit_test_setup_teardown(wild_buffers_stop_the_guest, setup, teardown),
        cmocka_unit_test_setup_teardown(wild_indices_stop_the_guest, setup, teardown),
        cmocka_unit_test_setup_teardown(guest_scribbles_on_monitor_indices_are_ignored, setup, teardown),
        cmocka_unit_test_setup_teardown(indices_wrap_around, setup, teardown),
        cmocka_unit_test_setup_teardown(full_commit_ring_makes_a_read_wait, setup, teardown),
        cmocka_unit_test_setup_teardown(ring_outside_guest_memory_is_refused, setup, teardown),
    };
    return cmocka_run_group_tests_name("uniroot-vmm net ring", tests, NULL, NULL);
}
