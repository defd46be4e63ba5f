/* test_vmm_ringio.c: uniroot-vmm's side of the hvt net ring (runtime/vmm/ring.c)
 * without KVM: where the ring goes, what the boot info then offers, and the
 * I/O thread serving a fake guest whose kicks arrive on a plain eventfd (as
 * KVM's ioeventfd would deliver them). The thread sends the guest's frames,
 * fills its reads, and, when the guest breaks the ring, records why and
 * signals the thread that attached it (the vCPU thread); stop joins it.
 * One case runs all of that in a child under the monitor's real seccomp
 * filter, so a system call the thread makes that the filter lacks kills it.
 * The vCPU thread's own serving (a HVT_RING_KICK_SERVE kick, a poll, halt:
 * vmm_ring_serve, vmm_ring_stop) is covered too, alone and racing the thread.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "vmm_fixture.h"
#include "net_fixture.h"
#include "vmm_ring.h"

#define MTU 1500
#define BUF 0x300000ull /* frames in the fake guest's memory */

static volatile sig_atomic_t ring_signals;
static void on_ring_signal(int sig)
{
    (void)sig;
    ring_signals++;
}

struct fx {
    struct vmm *vmm;
    int peer;
    struct hvt_ring *ring;
};

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    f->vmm = fake_net_vmm(MTU, &f->peer);
    struct ur_err err = {0};
    assert_int_equal(tender_register(&f->vmm->reg, &tender_net_module, &err), 0); /* its rules */
    int efd = eventfd(0, EFD_CLOEXEC);
    assert_true(efd >= 0);
    uint64_t gpa = vmm_ring_place(FAKE_MEM, 0x101000);
    assert_int_equal(vmm_ring_attach(f->vmm, gpa, efd, &err), 0);
    f->ring = (struct hvt_ring *)(f->vmm->t.mem + gpa);
    struct sigaction sa = {.sa_handler = on_ring_signal};
    sigaction(VMM_RING_SIGNAL, &sa, NULL);
    ring_signals = 0;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    vmm_ring_stop(f->vmm);
    close(f->vmm->t.mft->e[1].b.hostfd);
    close(f->peer);
    fake_vmm_free(f->vmm);
    free(f);
    return 0;
}

/* ---- the guest's side, as Solo5's bindings do it */
static void g_submit(struct fx *f, uint32_t op, uint64_t data, uint32_t len, uint32_t id)
{
    struct hvt_ring *r = f->ring;
    r->entries[r->ent_tail % HVT_RING_SIZE] =
        (struct hvt_ring_entry){.operation = op, .handle = 1, .data = data, .len = len, .id = id};
    __atomic_store_n(&r->ent_tail, r->ent_tail + 1, __ATOMIC_RELEASE);
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    if (__atomic_load_n(&r->needs_kick, __ATOMIC_RELAXED)) {
        uint64_t one = 1;
        if (write(f->vmm->ring->efd, &one, sizeof(one)) != sizeof(one))
            abort();
    }
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Spin (no system calls but the clock) until *p == want, at most 5 s. */
static bool wait_u32(const uint32_t *p, uint32_t want)
{
    double end = now() + 5;
    while (__atomic_load_n(p, __ATOMIC_ACQUIRE) != want)
        if (now() > end)
            return false;
    return true;
}

/* The exchange the monitor's thread must serve; in the child under seccomp
 * only memory, the clock and the kick: returns 0 or the step that failed. */
static int guest_writes(struct fx *f)
{
    const uint32_t sizes[] = {60, 200, MTU + 14};
    for (uint32_t i = 0; i < 3; i++) {
        fill(f->vmm->t.mem + BUF + i * 0x1000, sizes[i], (uint8_t)i);
        g_submit(f, HVT_RING_NET_WRITE, BUF + i * 0x1000, sizes[i], i);
    }
    return wait_u32(&f->ring->ent_head, 3) ? 0 : 1;
}

/* Read until a frame arrives (the peer sends it when it likes). */
static int guest_reads(struct fx *f, uint32_t *len)
{
    double end = now() + 5;
    for (uint32_t id = 100; now() < end; id++) {
        uint32_t head = f->ring->com_head;
        g_submit(f, HVT_RING_NET_READ, BUF + 0x10000, 2048, id);
        if (!wait_u32(&f->ring->com_tail, head + 1))
            return 2;
        struct hvt_ring_commit c = f->ring->commits[head % HVT_RING_SIZE];
        __atomic_store_n(&f->ring->com_head, head + 1, __ATOMIC_RELEASE);
        if (c.id != id)
            return 3;
        if (c.ret == SOLO5_R_OK) {
            *len = c.len;
            return 0;
        }
        if (c.ret != SOLO5_R_AGAIN)
            return 4;
    }
    return 5;
}

/* ent_tail claims 5000 entries: the thread must fail, say why and signal us. */
static int guest_breaks_ring(struct fx *f, struct ur_err *err)
{
    f->ring->ent_tail = f->ring->ent_head + 5000;
    uint64_t one = 1;
    if (write(f->vmm->ring->efd, &one, sizeof(one)) != sizeof(one))
        return 6;
    double end = now() + 5;
    while (!(ring_signals && vmm_ring_failed(f->vmm, err)))
        if (now() > end)
            return 7;
    return 0;
}

/* Publish an entry without a kick (the guest lets it wait for its next exit). */
static void g_put(struct fx *f, uint32_t op, uint64_t data, uint32_t len, uint32_t id)
{
    struct hvt_ring *r = f->ring;
    r->entries[r->ent_tail % HVT_RING_SIZE] =
        (struct hvt_ring_entry){.operation = op, .handle = 1, .data = data, .len = len, .id = id};
    __atomic_store_n(&r->ent_tail, r->ent_tail + 1, __ATOMIC_RELEASE);
}

static void placement(void **state)
{
    (void)state;
    uint64_t size = sizeof(struct hvt_ring);
    uint64_t g = vmm_ring_place(512ull << 20, 0x180000);
    assert_int_equal(g & 0xfff, 0);
    assert_true(g + size <= 512ull << 20);
    assert_true(g + size + 4096 > 512ull << 20); /* at the very top */
    assert_int_equal(vmm_ring_place(2ull << 20, 0x101000), 0);             /* below 2 MiB */
    assert_int_equal(vmm_ring_place(4ull << 20, (4ull << 20) - 0x1000), 0); /* into the image */
    assert_int_equal(vmm_ring_place(100, 0), 0);
    assert_true(vmm_ring_place(4ull << 20, 0x380000) >= 0x380000);
}

static void boot_info_offers_the_ring(void **state)
{
    struct fx *f = *state;
    struct ur_err err = {0};
    char *argv[] = {NULL};
    assert_int_equal(boot_info_write(f->vmm, argv, &err), 0);
    struct hvt_boot_info *bi = (void *)(f->vmm->t.mem + HVT_X86_BOOT_INFO_BASE);
    assert_int_equal(bi->host_features, HVT_FEATURE_RING_IO);
    assert_int_equal(bi->net_ring, f->vmm->ring->r.gpa);
    assert_int_equal(bi->mem_size, f->vmm->ring->r.gpa); /* the guest's memory ends below it */
    assert_int_equal(f->vmm->guest_top, f->vmm->ring->r.gpa);
    /* without the ring: nothing offered, all memory */
    vmm_ring_stop(f->vmm);
    f->vmm->guest_top = FAKE_MEM;
    assert_int_equal(boot_info_write(f->vmm, argv, &err), 0);
    assert_int_equal(bi->host_features, 0);
    assert_int_equal(bi->net_ring, 0);
    assert_int_equal(bi->mem_size, FAKE_MEM);
}

static void thread_serves_writes_and_reads(void **state)
{
    struct fx *f = *state;
    struct ur_err err = {0};
    assert_int_equal(vmm_ring_start(f->vmm, &err), 0);
    /* start returns once the thread's libc start-up is over (the filter comes next) */
    assert_int_equal(__atomic_load_n(&f->vmm->ring->ready, __ATOMIC_ACQUIRE), 1);
    assert_int_equal(guest_writes(f), 0);
    static uint8_t got[MTU + 100];
    const uint32_t sizes[] = {60, 200, MTU + 14};
    for (unsigned i = 0; i < 3; i++) {
        assert_int_equal(recv(f->peer, got, sizeof(got), MSG_DONTWAIT), (ssize_t)sizes[i]);
        assert_memory_equal(got, f->vmm->t.mem + BUF + i * 0x1000, sizes[i]);
    }
    assert_peer_empty(f->peer);
    fill(got, 90, 42);
    assert_int_equal(send(f->peer, got, 90, 0), 90);
    uint32_t len = 0;
    assert_int_equal(guest_reads(f, &len), 0);
    assert_int_equal(len, 90);
    assert_memory_equal(f->vmm->t.mem + BUF + 0x10000, got, 90);
    assert_false(vmm_ring_failed(f->vmm, &err));
    assert_int_equal(ring_signals, 0);
    /* idle now: the thread has asked to be kicked */
    assert_true(wait_u32(&f->ring->needs_kick, 1));
}

static void broken_ring_fails_and_signals(void **state)
{
    struct fx *f = *state;
    struct ur_err err = {0};
    assert_int_equal(vmm_ring_start(f->vmm, &err), 0);
    assert_int_equal(guest_breaks_ring(f, &err), 0);
    assert_int_equal(err.code, -EFAULT);
    assert_non_null(strstr(err.msg, "guest broke the ABI: net ring: 5000 entries pending"));
    assert_int_equal(ring_signals, 1);
    /* the thread served nothing of it and has ended: stop joins at once */
    assert_int_equal(f->ring->ent_head, 0);
}

/* A SERVE kick with the thread asleep: the vCPU thread serves the writes
 * that waited unkicked and the read, and the guest resumes with the commit. */
static void vcpu_serves_on_a_serve_kick(void **state)
{
    struct fx *f = *state;
    struct ur_err err = {0};
    assert_int_equal(vmm_ring_start(f->vmm, &err), 0);
    assert_true(wait_u32(&f->ring->needs_kick, 1)); /* asleep */
    static uint8_t got[MTU + 100];
    fill(got, 77, 9);
    assert_int_equal(send(f->peer, got, 77, 0), 77);
    for (uint32_t i = 0; i < 2; i++) {
        fill(f->vmm->t.mem + BUF + i * 0x1000, 100 + i, (uint8_t)(i + 1));
        g_put(f, HVT_RING_NET_WRITE, BUF + i * 0x1000, 100 + i, i);
    }
    g_put(f, HVT_RING_NET_READ, BUF + 0x10000, 2048, 50);
    assert_int_equal(vmm_ring_serve(f->vmm, &err), 0);
    /* on return, with no waiting: everything served, the commit made */
    assert_int_equal(f->ring->ent_head, 3);
    assert_int_equal(f->ring->com_tail, 1);
    assert_int_equal(f->ring->commits[0].id, 50);
    assert_int_equal(f->ring->commits[0].ret, SOLO5_R_OK);
    assert_int_equal(f->ring->commits[0].len, 77);
    assert_memory_equal(f->vmm->t.mem + BUF + 0x10000, got, 77);
    for (uint32_t i = 0; i < 2; i++)
        assert_int_equal(recv(f->peer, got, sizeof(got), MSG_DONTWAIT), (ssize_t)(100 + i));
    assert_peer_empty(f->peer);
    assert_int_equal(f->vmm->ring->served, 3);
    /* nothing pending: a no-op */
    assert_int_equal(vmm_ring_serve(f->vmm, &err), 0);
    assert_int_equal(f->vmm->ring->served, 3);
}

/* Take what reached the peer so far: each frame the next in order. */
static void peer_take(int peer, uint32_t *next)
{
    uint8_t got[100];
    ssize_t n;
    while ((n = recv(peer, got, sizeof(got), MSG_DONTWAIT)) > 0) {
        assert_int_equal(n, 60);
        assert_int_equal(got[0], (uint8_t)*next);
        (*next)++;
    }
}

/* The thread (woken by WAKE kicks) and the vCPU thread (serving at will)
 * race over 3000 writes: each frame goes out once, in order. */
static void both_threads_serve_each_entry_once(void **state)
{
    struct fx *f = *state;
    struct ur_err err = {0};
    uint32_t next = 0;
    assert_int_equal(vmm_ring_start(f->vmm, &err), 0);
    enum { N = 3000 };
    for (uint32_t i = 0; i < N; i++) {
        peer_take(f->peer, &next); /* the socketpair holds few frames */
        uint64_t at = BUF + (i % 32) * 0x100;
        while (f->ring->ent_tail - __atomic_load_n(&f->ring->ent_head, __ATOMIC_ACQUIRE) >= 32)
            assert_int_equal(vmm_ring_serve(f->vmm, &err), 0); /* wait for a buffer: serve it ourselves */
        f->vmm->t.mem[at] = (uint8_t)i;
        memset(f->vmm->t.mem + at + 1, 0xab, 59);
        if (i % 2)
            g_put(f, HVT_RING_NET_WRITE, at, 60, i);
        else
            g_submit(f, HVT_RING_NET_WRITE, at, 60, i);
        if (i % 3 == 0)
            assert_int_equal(vmm_ring_serve(f->vmm, &err), 0);
    }
    assert_int_equal(vmm_ring_serve(f->vmm, &err), 0);
    assert_true(wait_u32(&f->ring->ent_head, N));
    peer_take(f->peer, &next);
    assert_int_equal(next, N);
    assert_int_equal(f->vmm->ring->served, N);
    assert_false(vmm_ring_failed(f->vmm, &err));
}

/* A SERVE kick on a broken ring: the error comes back to the vCPU thread,
 * the ring is marked failed, and later serving gives the first reason. */
static void serve_kick_on_a_broken_ring(void **state)
{
    struct fx *f = *state;
    struct ur_err err = {0}, again = {0};
    f->ring->ent_tail = f->ring->ent_head + 5000;
    assert_int_equal(vmm_ring_serve(f->vmm, &err), -EFAULT);
    assert_non_null(strstr(err.msg, "guest broke the ABI: net ring: 5000 entries pending"));
    assert_true(vmm_ring_failed(f->vmm, &again));
    assert_string_equal(again.msg, err.msg);
    f->ring->ent_tail = f->ring->ent_head + 1; /* looks fine now: still failed */
    memset(&again, 0, sizeof(again));
    assert_int_equal(vmm_ring_serve(f->vmm, &again), -EFAULT);
    assert_string_equal(again.msg, err.msg);
}

/* Writes left unkicked when the guest halts are sent by stop; not so when
 * the guest broke the ring. */
static void stop_sends_what_the_guest_left(void **state)
{
    struct fx *f = *state;
    struct ur_err err = {0};
    assert_int_equal(vmm_ring_start(f->vmm, &err), 0);
    assert_true(wait_u32(&f->ring->needs_kick, 1));
    fill(f->vmm->t.mem + BUF, 64, 3);
    g_put(f, HVT_RING_NET_WRITE, BUF, 64, 1);
    vmm_ring_stop(f->vmm);
    uint8_t got[100];
    assert_int_equal(recv(f->peer, got, sizeof(got), MSG_DONTWAIT), 64);
    assert_memory_equal(got, f->vmm->t.mem + BUF, 64);
    assert_peer_empty(f->peer);
}

static void stop_after_a_broken_ring_sends_nothing(void **state)
{
    struct fx *f = *state;
    struct ur_err err = {0};
    g_put(f, HVT_RING_NET_WRITE, BUF, 64, 1);
    f->ring->entries[0].data = FAKE_MEM - 8; /* outside guest memory */
    assert_int_equal(vmm_ring_serve(f->vmm, &err), -EFAULT);
    g_put(f, HVT_RING_NET_WRITE, BUF, 64, 2); /* a good one after it */
    vmm_ring_stop(f->vmm);
    assert_peer_empty(f->peer);
}

/* The whole exchange in a child under uniroot-vmm's run-loop filter (the
 * parent plays the tap's other side, which the filter would not allow). */
static void thread_runs_under_the_filter(void **state)
{
    struct fx *f = *state;
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        struct ur_err err = {0};
        uint32_t len = 0;
        int rc;
        close(f->peer);
        f->vmm->ring->pid = getpid(); /* the child is the vCPU thread now */
        f->vmm->ring->vcpu_tid = gettid();
        if (vmm_ring_start(f->vmm, &err) < 0 || vmm_seccomp_install(f->vmm, &err) < 0)
            _exit(20);
        if ((rc = guest_writes(f)) || (rc = guest_reads(f, &len)) || (rc = guest_breaks_ring(f, &err)))
            _exit(rc);
        vmm_ring_stop(f->vmm); /* join, thread exit: under the filter */
        _exit(len == 90 ? 0 : 8);
    }
    static uint8_t got[MTU + 100];
    for (unsigned i = 0; i < 3; i++) {
        struct pollfd p = {.fd = f->peer, .events = POLLIN};
        assert_int_equal(poll(&p, 1, 5000), 1);
        assert_true(recv(f->peer, got, sizeof(got), MSG_DONTWAIT) > 0);
    }
    fill(got, 90, 1);
    assert_int_equal(send(f->peer, got, 90, 0), 90);
    int st = 0;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    if (WIFSIGNALED(st))
        fail_msg("child killed by signal %d (SIGSYS: a system call the filter lacks)", WTERMSIG(st));
    assert_int_equal(WEXITSTATUS(st), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(placement),
        cmocka_unit_test_setup_teardown(boot_info_offers_the_ring, setup, teardown),
        cmocka_unit_test_setup_teardown(thread_serves_writes_and_reads, setup, teardown),
        cmocka_unit_test_setup_teardown(broken_ring_fails_and_signals, setup, teardown),
        cmocka_unit_test_setup_teardown(thread_runs_under_the_filter, setup, teardown),
        cmocka_unit_test_setup_teardown(vcpu_serves_on_a_serve_kick, setup, teardown),
        cmocka_unit_test_setup_teardown(both_threads_serve_each_entry_once, setup, teardown),
        cmocka_unit_test_setup_teardown(serve_kick_on_a_broken_ring, setup, teardown),
        cmocka_unit_test_setup_teardown(stop_sends_what_the_guest_left, setup, teardown),
        cmocka_unit_test_setup_teardown(stop_after_a_broken_ring_sends_nothing, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
