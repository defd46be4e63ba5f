/* test_vmm_net.c: the net hypercalls (net.c) against a fake guest memory.
 *
 * dev1 is a network device whose host side is one end of a non-blocking
 * SOCK_SEQPACKET socketpair (whole frames, like a tap), dev2 a block device
 * (a handle of the wrong type). A wild guest pointer must stop the guest; a
 * bad handle, a zero length or a frame longer than MTU + Ethernet header
 * must return SOLO5_R_EINVAL and send nothing; an empty queue answers
 * SOLO5_R_AGAIN and touches nothing; a read never writes past the guest's
 * buffer. The last test attaches a real tap (--net:dev1=TAP) in a private
 * network namespace and moves a frame each way through the kernel. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_packet.h>
#include <linux/if_tun.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "vmm_fixture.h"
#include "net_fixture.h"

#define ARG 0x200000ull /* where tests put argument structs */
#define BUF 0x300000ull /* and frames */
#define MTU 1500
#define ETH_TEST 0x88b5 /* local experimental ethertype */

struct fx {
    struct vmm *vmm;
    int peer; /* the host's end: what the tap's other side would see */
};

static void *at(struct vmm *v, uint64_t gpa) { return v->t.mem + gpa; }

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    f->vmm = fake_net_vmm(MTU, &f->peer);
    struct tender_opts o = {.ndev = 0};
    struct ur_err err = {0};
    assert_int_equal(tender_register(&f->vmm->reg, &tender_net_module, &err), 0); /* its hypercalls */
    assert_int_equal(tender_net_module.attach(&f->vmm->t, &o, &err), 0);
    assert_int_equal(tender_add_pollfd(&f->vmm->t, f->vmm->t.mft->e[1].b.hostfd, 1, &err), 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    tender_net_module.cleanup(&f->vmm->t); /* closes dev1's host side */
    assert_int_equal(f->vmm->t.mft->e[1].attached, 0);
    close(f->peer);
    fake_vmm_free(f->vmm);
    free(f);
    return 0;
}

/* One net hypercall (nr) with the given argument; the guest's view of ret and len after it. */
static int net_io(struct vmm *v, unsigned nr, uint64_t handle, uint64_t data, uint64_t len,
                  int32_t *ret, uint64_t *len_out, struct ur_err *err)
{
    struct hvt_hc_net_read *a = at(v, ARG); /* same layout as hvt_hc_net_write */
    *a = (struct hvt_hc_net_read){.handle = handle, .data = data, .len = len, .ret = -1};
    int rc = hypercall_dispatch(v, nr, ARG, err);
    *ret = a->ret;
    if (len_out)
        *len_out = a->len;
    return rc;
}

/* Poll dev1 for up to ms milliseconds; returns the ready set. */
static uint64_t poll_ready(struct vmm *v, unsigned ms)
{
    struct hvt_hc_poll *p = at(v, ARG);
    *p = (struct hvt_hc_poll){.timeout_nsecs = ms * 1000000ull, .ready_set = 0, .ret = -1};
    struct ur_err err = {0};
    assert_int_equal(hypercall_dispatch(v, HVT_HYPERCALL_POLL, ARG, &err), 0);
    assert_int_equal(p->ret, SOLO5_R_OK);
    return p->ready_set;
}

static void write_sends_one_whole_frame(void **state)
{
    struct fx *f = *state;
    struct ur_err err = {0};
    int32_t ret;
    static uint8_t got[MTU + 100];
    const size_t sizes[] = {60, MTU + 14}; /* a minimal frame; the largest allowed */
    for (size_t i = 0; i < 2; i++) {
        fill(at(f->vmm, BUF), sizes[i], (uint8_t)i);
        assert_int_equal(net_io(f->vmm, HVT_HYPERCALL_NET_WRITE, 1, BUF, sizes[i], &ret, NULL, &err), 0);
        assert_int_equal(ret, SOLO5_R_OK);
        assert_int_equal(recv(f->peer, got, sizeof(got), MSG_DONTWAIT), (ssize_t)sizes[i]);
        assert_memory_equal(got, at(f->vmm, BUF), sizes[i]);
    }
    assert_peer_empty(f->peer);
}

static void write_bad_requests_get_einval(void **state)
{
    struct fx *f = *state;
    const struct { uint64_t handle, len; const char *what; } cases[] = {
        {1, 0, "zero length"},
        {1, MTU + 15, "one byte over MTU + header"},
        {1, 65536, "over MTU"},
        {1, UINT64_MAX, "huge length"},
        {0, 60, "reserved handle 0"},
        {2, 60, "a block device's handle"},
        {3, 60, "handle past the manifest"},
        {UINT64_MAX, 60, "huge handle"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct ur_err err = {0};
        int32_t ret;
        int rc = net_io(f->vmm, HVT_HYPERCALL_NET_WRITE, cases[i].handle, BUF, cases[i].len, &ret, NULL, &err);
        if (rc != 0 || ret != SOLO5_R_EINVAL)
            fail_msg("net write, %s: rc=%d ret=%d, want 0/EINVAL", cases[i].what, rc, ret);
    }
    /* a device the manifest declares but that is not attached */
    struct ur_err err = {0};
    int32_t ret;
    f->vmm->t.mft->e[1].attached = 0;
    assert_int_equal(net_io(f->vmm, HVT_HYPERCALL_NET_WRITE, 1, BUF, 60, &ret, NULL, &err), 0);
    f->vmm->t.mft->e[1].attached = 1;
    assert_int_equal(ret, SOLO5_R_EINVAL);
    assert_peer_empty(f->peer);
}

static void read_receives_one_frame(void **state)
{
    struct fx *f = *state;
    struct ur_err err = {0};
    int32_t ret;
    uint64_t len;
    uint8_t frame[100];
    fill(frame, sizeof(frame), 3);
    assert_int_equal(poll_ready(f->vmm, 0), 0);
    assert_int_equal(send(f->peer, frame, sizeof(frame), 0), (ssize_t)sizeof(frame));
    assert_int_equal(poll_ready(f->vmm, 1000), 1ull << 1); /* dev1 is ready */
    memset(at(f->vmm, BUF), 0xee, MTU + 14 + 16);
    assert_int_equal(net_io(f->vmm, HVT_HYPERCALL_NET_READ, 1, BUF, MTU + 14, &ret, &len, &err), 0);
    assert_int_equal(ret, SOLO5_R_OK);
    assert_int_equal(len, sizeof(frame));
    assert_memory_equal(at(f->vmm, BUF), frame, sizeof(frame));
    assert_int_equal(*(uint8_t *)at(f->vmm, BUF + sizeof(frame)), 0xee); /* nothing past the frame */
    assert_int_equal(poll_ready(f->vmm, 0), 0);
}

/* Nothing to read: SOLO5_R_AGAIN, the buffer and the guest's len untouched. */
static void read_with_nothing_waiting_says_again(void **state)
{
    struct fx *f = *state;
    struct ur_err err = {0};
    int32_t ret;
    uint64_t len;
    memset(at(f->vmm, BUF), 0xee, 256);
    assert_int_equal(net_io(f->vmm, HVT_HYPERCALL_NET_READ, 1, BUF, 256, &ret, &len, &err), 0);
    assert_int_equal(ret, SOLO5_R_AGAIN);
    assert_int_equal(len, 256);
    for (int i = 0; i < 256; i++)
        assert_int_equal(((uint8_t *)at(f->vmm, BUF))[i], 0xee);
}

/* A buffer shorter than the frame: the frame is cut to the buffer, never written past it. */
static void read_into_short_buffer_stays_inside(void **state)
{
    struct fx *f = *state;
    struct ur_err err = {0};
    int32_t ret;
    uint64_t len;
    uint8_t frame[200];
    fill(frame, sizeof(frame), 9);
    assert_int_equal(send(f->peer, frame, sizeof(frame), 0), (ssize_t)sizeof(frame));
    memset(at(f->vmm, BUF), 0xee, sizeof(frame));
    assert_int_equal(net_io(f->vmm, HVT_HYPERCALL_NET_READ, 1, BUF, 64, &ret, &len, &err), 0);
    assert_int_equal(ret, SOLO5_R_OK);
    assert_int_equal(len, 64);
    assert_memory_equal(at(f->vmm, BUF), frame, 64);
    for (size_t i = 64; i < sizeof(frame); i++)
        assert_int_equal(((uint8_t *)at(f->vmm, BUF))[i], 0xee);
    assert_int_equal(net_io(f->vmm, HVT_HYPERCALL_NET_READ, 1, BUF, 256, &ret, &len, &err), 0);
    assert_int_equal(ret, SOLO5_R_AGAIN); /* the rest of that frame is gone, as on a tap */
}

/* Bad requests consume nothing: the queued frame is still there afterwards. */
static void read_bad_requests_get_einval(void **state)
{
    struct fx *f = *state;
    uint8_t frame[80];
    fill(frame, sizeof(frame), 1);
    assert_int_equal(send(f->peer, frame, sizeof(frame), 0), (ssize_t)sizeof(frame));
    const struct { uint64_t handle, len; const char *what; } cases[] = {
        {1, 0, "zero length"},
        {0, 256, "reserved handle 0"},
        {2, 256, "a block device's handle"},
        {3, 256, "handle past the manifest"},
        {UINT64_MAX, 256, "huge handle"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct ur_err err = {0};
        int32_t ret;
        int rc = net_io(f->vmm, HVT_HYPERCALL_NET_READ, cases[i].handle, BUF, cases[i].len, &ret, NULL, &err);
        if (rc != 0 || ret != SOLO5_R_EINVAL)
            fail_msg("net read, %s: rc=%d ret=%d, want 0/EINVAL", cases[i].what, rc, ret);
    }
    struct ur_err err = {0};
    int32_t ret;
    uint64_t len;
    assert_int_equal(net_io(f->vmm, HVT_HYPERCALL_NET_READ, 1, BUF, 256, &ret, &len, &err), 0);
    assert_int_equal(ret, SOLO5_R_OK);
    assert_int_equal(len, sizeof(frame));
}

static void wild_pointers_stop_the_guest(void **state)
{
    struct fx *f = *state;
    const uint64_t mem = f->vmm->t.mem_size;
    const struct { uint64_t data, len; } cases[] = {
        {mem, 60},               /* just past the end */
        {mem - 59, 60},          /* straddles the end */
        {UINT64_MAX - 10, 60},   /* wraps around */
        {0xdeadbeef000ull, 60},
    };
    uint8_t frame[60];
    fill(frame, sizeof(frame), 5);
    assert_int_equal(send(f->peer, frame, sizeof(frame), 0), (ssize_t)sizeof(frame));
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        for (unsigned nr = HVT_HYPERCALL_NET_WRITE; nr <= HVT_HYPERCALL_NET_READ; nr++) {
            struct ur_err err = {0};
            int32_t ret;
            int rc = net_io(f->vmm, nr, 1, cases[i].data, cases[i].len, &ret, NULL, &err);
            if (rc >= 0 || !strstr(err.msg, "outside guest memory"))
                fail_msg("hypercall %u, data 0x%llx: rc=%d '%s', want a violation", nr,
                         (unsigned long long)cases[i].data, rc, err.msg);
        }
    }
    /* a read buffer as large as memory, from inside it */
    struct ur_err err = {0};
    int32_t ret;
    assert_true(net_io(f->vmm, HVT_HYPERCALL_NET_READ, 1, BUF, mem, &ret, NULL, &err) < 0);
    /* the argument struct itself outside memory (both write their result into it) */
    assert_true(hypercall_dispatch(f->vmm, HVT_HYPERCALL_NET_WRITE, mem - 8, &err) < 0);
    assert_non_null(strstr(err.msg, "argument"));
    assert_true(hypercall_dispatch(f->vmm, HVT_HYPERCALL_NET_READ, mem - 8, &err) < 0);
    assert_non_null(strstr(err.msg, "argument"));
    assert_peer_empty(f->peer);                    /* nothing was sent */
    uint8_t b[64];
    assert_int_equal(recv(f->vmm->t.mft->e[1].b.hostfd, b, sizeof(b), MSG_DONTWAIT), 60); /* nor read */
}

/* The image's read-only pages: a frame may be sent from there, never received into it. */
static void read_only_memory_is_never_written(void **state)
{
    struct fx *f = *state;
    struct vmm *v = f->vmm;
    const uint64_t ro = 0x100000;
    v->t.ro = (struct tender_ro){.start = {ro}, .end = {ro + 0x2000}, .n = 1};
    memset(at(v, ro), 0x11, 0x2000);
    struct ur_err err = {0};
    int32_t ret;
    uint8_t frame[60], got[64];
    fill(frame, sizeof(frame), 7);
    assert_int_equal(send(f->peer, frame, sizeof(frame), 0), (ssize_t)sizeof(frame));
    assert_true(net_io(v, HVT_HYPERCALL_NET_READ, 1, ro + 0x1000, 60, &ret, NULL, &err) < 0);
    assert_non_null(strstr(err.msg, "read-only"));
    assert_int_equal(*(uint8_t *)at(v, ro + 0x1000), 0x11);
    assert_int_equal(net_io(v, HVT_HYPERCALL_NET_WRITE, 1, ro, 60, &ret, NULL, &err), 0);
    assert_int_equal(ret, SOLO5_R_OK);
    assert_int_equal(recv(f->peer, got, sizeof(got), MSG_DONTWAIT), 60);
    assert_int_equal(got[0], 0x11);
    assert_true(hypercall_dispatch(v, HVT_HYPERCALL_NET_WRITE, ro + 0x1ff8, &err) < 0);
    assert_true(hypercall_dispatch(v, HVT_HYPERCALL_NET_READ, ro + 0x1ff8, &err) < 0);
}

/* ---- a real tap in a private network namespace ---- */

#define TAP_NAME "urnettest0"
#define TAP_MTU 1400

static const uint8_t guest_mac[6] = {0x02, 0x75, 0x72, 0x00, 0x00, 0x01};

/* Create TAP_NAME (persistent, so the monitor can attach to it), MTU TAP_MTU, up. */
static int make_tap(void)
{
    int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    struct ifreq ifr;
    memset(&ifr, 0, sizeof(ifr));
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
    snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", TAP_NAME);
    int rc = ioctl(fd, TUNSETIFF, &ifr) < 0 || ioctl(fd, TUNSETPERSIST, 1) < 0 ? -errno : 0;
    close(fd);
    if (rc < 0)
        return rc;
    /* no IPv6 chatter (router solicitations) on the wire we look at */
    FILE *sy = fopen("/proc/sys/net/ipv6/conf/" TAP_NAME "/disable_ipv6", "we");
    if (sy) {
        fputs("1\n", sy);
        fclose(sy);
    }
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s < 0)
        return -errno;
    ifr.ifr_mtu = TAP_MTU;
    rc = ioctl(s, SIOCSIFMTU, &ifr) < 0 ? -errno : 0;
    if (rc == 0 && ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
        rc = -errno;
    ifr.ifr_flags |= IFF_UP;
    if (rc == 0 && ioctl(s, SIOCSIFFLAGS, &ifr) < 0)
        rc = -errno;
    close(s);
    return rc;
}

static void frame_build(uint8_t *p, size_t len, const uint8_t dst[6], const uint8_t src[6], uint8_t seed)
{
    memcpy(p, dst, 6);
    memcpy(p + 6, src, 6);
    p[12] = ETH_TEST >> 8;
    p[13] = ETH_TEST & 0xff;
    fill(p + 14, len - 14, seed);
}

static void real_tap_in_private_netns(void **state)
{
    (void)state;
    int home = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
    assert_true(home >= 0);
    if (unshare(CLONE_NEWNET) < 0) {
        print_message("SKIP real tap: unshare(CLONE_NEWNET): %s (needs root)\n", strerror(errno));
        close(home);
        skip();
    }
    int rc = make_tap();
    if (rc < 0) {
        assert_int_equal(setns(home, CLONE_NEWNET), 0);
        close(home);
        if (rc == -ENOENT) {
            print_message("SKIP real tap: no /dev/net/tun\n");
            skip();
        }
        fail_msg("cannot make tap %s in a private netns: %s", TAP_NAME, strerror(-rc));
    }
    static const uint32_t types[] = {MFT_DEV_NET_BASIC};
    struct vmm *v = fake_vmm(1, types);
    struct tender_opts o = {.ndev = 2};
    o.dev[0] = (struct tender_dev_opt){.opt = &tender_net_module.opts[0], .name = "dev1", .value = TAP_NAME};
    o.dev[1] = (struct tender_dev_opt){.opt = &tender_net_module.opts[1], .name = "dev1", .value = "02:75:72:00:00:01"};
    struct ur_err err = {0};
    assert_int_equal(tender_register(&v->reg, &tender_net_module, &err), 0);
    assert_int_equal(tender_net_module.attach(&v->t, &o, &err), 0);
    struct mft_entry *e = &v->t.mft->e[1];
    assert_true(e->attached);
    assert_int_equal(e->u.net_basic.mtu, TAP_MTU); /* the guest is told the tap's MTU */
    assert_memory_equal(e->u.net_basic.mac, guest_mac, 6);
    assert_int_equal(v->t.npollfds, 1);

    /* the host side: a packet socket on the tap */
    unsigned ifindex = if_nametoindex(TAP_NAME);
    assert_true(ifindex > 0);
    int ps = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_TEST));
    assert_true(ps >= 0);
    struct sockaddr_ll sll = {.sll_family = AF_PACKET, .sll_protocol = htons(ETH_TEST), .sll_ifindex = (int)ifindex};
    assert_int_equal(bind(ps, (struct sockaddr *)&sll, sizeof(sll)), 0);

    /* guest -> host: the frame comes out of the interface as sent */
    static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    uint8_t out[TAP_MTU + 14], got[TAP_MTU + 64];
    frame_build(out, sizeof(out), bcast, guest_mac, 0x40);
    memcpy(at(v, BUF), out, sizeof(out));
    int32_t ret;
    uint64_t len;
    assert_int_equal(net_io(v, HVT_HYPERCALL_NET_WRITE, 1, BUF, sizeof(out), &ret, NULL, &err), 0);
    assert_int_equal(ret, SOLO5_R_OK);
    struct pollfd pp = {.fd = ps, .events = POLLIN};
    assert_int_equal(poll(&pp, 1, 2000), 1);
    assert_int_equal(recv(ps, got, sizeof(got), 0), (ssize_t)sizeof(out));
    assert_memory_equal(got, out, sizeof(out));
    /* one byte over this tap's MTU + header: refused, nothing sent */
    assert_int_equal(net_io(v, HVT_HYPERCALL_NET_WRITE, 1, BUF, sizeof(out) + 1, &ret, NULL, &err), 0);
    assert_int_equal(ret, SOLO5_R_EINVAL);
    assert_int_equal(poll(&pp, 1, 100), 0);

    /* host -> guest: poll wakes for dev1, the read hands over the frame */
    uint8_t in[128];
    frame_build(in, sizeof(in), guest_mac, bcast, 0x80);
    memcpy(in + 6, (const uint8_t[6]){0x02, 0x75, 0x72, 0, 0, 2}, 6);
    assert_int_equal(sendto(ps, in, sizeof(in), 0, (struct sockaddr *)&sll, sizeof(sll)), (ssize_t)sizeof(in));
    int found = 0;
    for (int tries = 0; tries < 20 && !found; tries++) { /* other frames (if any) are skipped */
        if (!(poll_ready(v, 100) & (1ull << 1)))
            continue;
        memset(at(v, BUF), 0, 2048);
        assert_int_equal(net_io(v, HVT_HYPERCALL_NET_READ, 1, BUF, 2048, &ret, &len, &err), 0);
        if (ret != SOLO5_R_OK)
            continue;
        found = len == sizeof(in) && memcmp(at(v, BUF), in, sizeof(in)) == 0;
    }
    assert_true(found);
    assert_int_equal(net_io(v, HVT_HYPERCALL_NET_READ, 1, BUF, 2048, &ret, &len, &err), 0);
    assert_int_equal(ret, SOLO5_R_AGAIN); /* a tap with nothing to read */

    /* the monitor's descriptor is the last one: drop persistence, so closing removes the tap */
    assert_int_equal(ioctl(e->b.hostfd, TUNSETPERSIST, 0), 0);
    close(ps);
    tender_net_module.cleanup(&v->t);
    fake_vmm_free(v);
    assert_int_equal(if_nametoindex(TAP_NAME), 0);
    assert_int_equal(setns(home, CLONE_NEWNET), 0);
    close(home);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(write_sends_one_whole_frame, setup, teardown),
        cmocka_unit_test_setup_teardown(write_bad_requests_get_einval, setup, teardown),
        cmocka_unit_test_setup_teardown(read_receives_one_frame, setup, teardown),
        cmocka_unit_test_setup_teardown(read_with_nothing_waiting_says_again, setup, teardown),
        cmocka_unit_test_setup_teardown(read_into_short_buffer_stays_inside, setup, teardown),
        cmocka_unit_test_setup_teardown(read_bad_requests_get_einval, setup, teardown),
        cmocka_unit_test_setup_teardown(wild_pointers_stop_the_guest, setup, teardown),
        cmocka_unit_test_setup_teardown(read_only_memory_is_never_written, setup, teardown),
        cmocka_unit_test(real_tap_in_private_netns),
    };
    return cmocka_run_group_tests_name("uniroot-vmm net hypercalls", tests, NULL, NULL);
}
