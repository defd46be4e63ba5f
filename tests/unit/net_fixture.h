/* net_fixture.h: helpers the net device unit tests share (include after
 * cmocka.h): a frame pattern, and a check that the host's end of a fake tap
 * (a SOCK_SEQPACKET socketpair) has nothing waiting, and a fake guest
 * whose dev1 is a network device on such a fake tap (include after
 * vmm_fixture.h). */
#ifndef UNIROOT_TEST_NET_FIXTURE_H
#define UNIROOT_TEST_NET_FIXTURE_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* A recognisable frame body, different for each seed. */
static inline void fill(uint8_t *p, size_t n, uint8_t seed)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)(seed + i * 7);
}

/* Nothing waiting at the host's end. */
static inline void assert_peer_empty(int peer)
{
    uint8_t b[16];
    assert_int_equal(recv(peer, b, sizeof(b), MSG_DONTWAIT), -1);
    assert_int_equal(errno, EAGAIN);
}

/* A fake guest: dev1 a network device of the given MTU whose host side is
 * one end of a non-blocking socketpair (the other end into *peer: what the
 * tap's other side would see), dev2 an attached block device (a handle of
 * the wrong type). */
static inline struct vmm *fake_net_vmm(uint16_t mtu, int *peer)
{
    static const uint32_t types[] = {MFT_DEV_NET_BASIC, MFT_DEV_BLOCK_BASIC};
    struct vmm *v = fake_vmm(2, types);
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv), 0);
    struct mft_entry *e = &v->t.mft->e[1];
    e->u.net_basic.mtu = mtu;
    e->b.hostfd = sv[0];
    e->attached = 1;
    v->t.mft->e[2].b.hostfd = -1;
    v->t.mft->e[2].attached = 1;
    *peer = sv[1];
    return v;
}

#endif
