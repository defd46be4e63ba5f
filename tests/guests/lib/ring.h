/* ring.h: the guest's side of Solo5's hvt net ring (HVT_FEATURE_RING_IO,
 * common/solo5_abi.h) as inline pieces a guest builds its I/O loop from
 * (netecho's drain_ring; lib/ring.c finds the ring and submits single
 * entries). Inline because on PVM hosts every memory access the guest makes
 * in ring 0, its calls' pushes and pops too, is emulated (~3.6 us each,
 * measured): an entry is three stores, a commit two loads, and no call.
 * hvt only (spt has no ring). */
#ifndef GUEST_RING_H
#define GUEST_RING_H

#include "guest.h"

/* Entries a guest keeps in flight at most (of HVT_RING_SIZE). */
#define RING_INFLIGHT 64u

typedef uint64_t __attribute__((may_alias)) ring_u64;

/* x86 keeps stores in order and loads in order: a compiler barrier is enough
 * for the indices; "store ent_tail, then load needs_kick" needs a full one
 * (a locked add, not mfence: ring-0 SSE instructions may not be emulated). */
static inline void ring_barrier(void) { __asm__ __volatile__("" ::: "memory"); }
static inline void ring_full_barrier(void) { __asm__ __volatile__("lock; addl $0, (%%rsp)" ::: "memory", "cc"); }
static inline void ring_relax(void) { __asm__ __volatile__("pause" ::: "memory"); }

static inline uint32_t ring_tail(const struct hvt_ring *r)
{
    return ((const volatile struct hvt_ring *)r)->ent_tail;
}

/* Fill entry idx (not yet published): operation and handle in one store,
 * the buffer, the length (id 0: this guest does not match commits by id). */
static inline void ring_put(struct hvt_ring *r, uint32_t idx, uint32_t op, uint64_t handle,
                            const void *buf, uint32_t len)
{
    struct hvt_ring_entry *e = &r->entries[idx % HVT_RING_SIZE];

    *(ring_u64 *)(void *)&e->operation = op | (uint64_t)(uint32_t)handle << 32;
    e->data = (uint64_t)(uintptr_t)buf;
    *(ring_u64 *)(void *)&e->len = len;
}

/* Publish the entries up to tail (filled before); no kick. */
static inline void ring_publish(struct hvt_ring *r, uint32_t tail)
{
    ring_barrier();
    ((volatile struct hvt_ring *)r)->ent_tail = tail;
}

/* Kick the monitor with v if it said it sleeps; 1 if it was kicked. With
 * HVT_RING_KICK_SERVE the kick returns once all published entries are served. */
static inline int ring_kick(struct hvt_ring *r, uint32_t v)
{
    ring_full_barrier();
    if (!((volatile struct hvt_ring *)r)->needs_kick)
        return 0;
    hvt_outl(HVT_RING_KICK_PIO_BASE, v);
    return 1;
}

/* Wait until n more entries after tail fit in RING_INFLIGHT, having the
 * monitor serve the ones in flight if it sleeps. */
static inline void ring_room(struct hvt_ring *r, uint32_t tail, uint32_t n)
{
    while (tail + n - ((volatile struct hvt_ring *)r)->ent_head > RING_INFLIGHT)
        if (!ring_kick(r, HVT_RING_KICK_SERVE))
            ring_relax();
    ring_barrier();
}

/* Wait for the commits up to (not including) index upto. */
static inline void ring_wait(struct hvt_ring *r, uint32_t head, uint32_t n)
{
    while (((volatile struct hvt_ring *)r)->com_tail - head < n)
        ring_relax();
    ring_barrier();
}

/* Commit idx's result and length (after ring_wait covered it). */
static inline int ring_commit(const struct hvt_ring *r, uint32_t idx, uint32_t *len)
{
    const struct hvt_ring_commit *c = &r->commits[idx % HVT_RING_SIZE];

    *len = c->len;
    return c->ret;
}

#endif
