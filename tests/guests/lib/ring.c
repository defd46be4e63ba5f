/* ring.c: the guest's side of Solo5's hvt net ring (HVT_FEATURE_RING_IO).
 * A frame write submits an entry pointing at the caller's frame and returns
 * without a kick or a copy: the monitor serves it at the guest's next kick,
 * poll or halt at the latest (the ABI, common/solo5_abi.h), and serves
 * entries in order, so the frame is sent once a later read has its commit
 * or a later poll has returned; until then the caller leaves it as it is.
 * A guest echoing frames thus pays one kick per read instead of one per
 * frame. A read submits an entry pointing at the caller's buffer and, if the
 * monitor said it sleeps (needs_kick), kicks it with HVT_RING_KICK_SERVE,
 * which returns with the commit made; else it spins until the awake I/O
 * thread makes it. At most RING_INFLIGHT entries are in flight. Every guest
 * instruction is emulated on PVM hosts: the paths are kept short. hvt only
 * (spt has no ring). */
#include "guest.h"

#define RING_INFLIGHT 64u

static struct hvt_ring *ring;

/* x86 keeps stores in order and loads in order: a compiler barrier is enough
 * for the indices; "store ent_tail, then load needs_kick" needs a full one
 * (a locked add, not mfence: ring-0 SSE instructions may not be emulated). */
static inline void barrier(void) { __asm__ __volatile__("" ::: "memory"); }
static inline void full_barrier(void) { __asm__ __volatile__("lock; addl $0, (%%rsp)" ::: "memory", "cc"); }
static inline void relax(void) { __asm__ __volatile__("pause" ::: "memory"); }

struct hvt_ring *guest_ring_init(void)
{
    if (!(guest_boot_info->host_features & HVT_FEATURE_RING_IO) || !guest_boot_info->net_ring)
        return NULL;
    ring = (struct hvt_ring *)(uintptr_t)guest_boot_info->net_ring;
    return ring;
}

/* Publish the entry at ent_tail (filled by the caller); no kick. */
static inline void publish(volatile struct hvt_ring *r, uint32_t tail)
{
    barrier();
    r->ent_tail = tail + 1;
}

/* Kick the monitor with value v if it said it sleeps; true if it was kicked. */
static inline int kick(volatile struct hvt_ring *r, uint32_t v)
{
    full_barrier();
    if (!r->needs_kick)
        return 0;
    hvt_outl(HVT_RING_KICK_PIO_BASE, v);
    return 1;
}

void guest_ring_submit(void)
{
    volatile struct hvt_ring *r = ring;

    publish(r, r->ent_tail);
    kick(r, HVT_RING_KICK_WAKE);
}

/* The next free entry's index: while RING_INFLIGHT are in flight, have the
 * monitor serve them (it may sleep: the writes were not kicked). */
static inline uint32_t next_free(volatile struct hvt_ring *r)
{
    uint32_t tail = r->ent_tail;

    while (tail - r->ent_head >= RING_INFLIGHT)
        if (!kick(r, HVT_RING_KICK_SERVE))
            relax();
    barrier();
    return tail;
}

int guest_ring_write(uint64_t handle, const void *buf, uint64_t len)
{
    volatile struct hvt_ring *r = ring;
    uint32_t tail = next_free(r);
    struct hvt_ring_entry *e = &ring->entries[tail % HVT_RING_SIZE];

    /* only what the monitor reads of a write: its operation, handle, data, len */
    e->operation = HVT_RING_NET_WRITE;
    e->handle = (uint32_t)handle;
    e->data = (uint64_t)(uintptr_t)buf;
    e->len = len > UINT32_MAX ? UINT32_MAX : (uint32_t)len;
    publish(r, tail);
    return SOLO5_R_OK;
}

/* A read: if the monitor sleeps, the SERVE kick returns with the commit made
 * (and the writes before it sent); else the awake I/O thread makes it. */
int guest_ring_read(uint64_t handle, void *buf, uint64_t size, uint64_t *len)
{
    volatile struct hvt_ring *r = ring;
    uint32_t tail = next_free(r);
    struct hvt_ring_entry *e = &ring->entries[tail % HVT_RING_SIZE];

    e->operation = HVT_RING_NET_READ;
    e->handle = (uint32_t)handle;
    e->data = (uint64_t)(uintptr_t)buf;
    e->len = size > UINT32_MAX ? UINT32_MAX : (uint32_t)size;
    publish(r, tail);
    kick(r, HVT_RING_KICK_SERVE);
    uint32_t head = r->com_head;
    while (r->com_tail == head)
        relax();
    barrier();
    const struct hvt_ring_commit *c = &ring->commits[head % HVT_RING_SIZE];
    int ret = c->ret;
    if (len)
        *len = c->len;
    r->com_head = head + 1;
    return ret;
}
