/* ring.c: the guest's side of Solo5's hvt net ring (HVT_FEATURE_RING_IO),
 * as Solo5's hvt bindings drive it: a frame write copies the frame into the
 * buffer of its slot, submits an entry and returns (no commit); a read
 * submits an entry pointing at the caller's buffer and spins until its
 * commit arrives. After each submission the guest kicks the monitor (a
 * 32-bit OUT to HVT_RING_KICK_PIO_BASE) only if the monitor said it sleeps
 * (needs_kick). At most RING_WBUFS entries are in flight, so each in-flight
 * write owns its buffer. hvt only (spt has no ring). */
#include "guest.h"

#define RING_WBUFS 64u
#define FRAME_MAX 2048u

static struct hvt_ring *ring;
static uint32_t next_id;
static uint8_t wbuf[RING_WBUFS][FRAME_MAX] __attribute__((aligned(64)));

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

void guest_ring_submit(void)
{
    barrier();
    ((volatile struct hvt_ring *)ring)->ent_tail = ring->ent_tail + 1;
    full_barrier();
    if (((volatile struct hvt_ring *)ring)->needs_kick)
        hvt_outl(HVT_RING_KICK_PIO_BASE, 0);
}

/* The next free entry (waits while RING_WBUFS are in flight). */
static struct hvt_ring_entry *next_entry(void)
{
    volatile struct hvt_ring *r = ring;

    while (r->ent_tail - r->ent_head >= RING_WBUFS)
        relax();
    barrier();
    return &ring->entries[r->ent_tail % HVT_RING_SIZE];
}

int guest_ring_write(uint64_t handle, const void *buf, uint64_t len)
{
    if (len > FRAME_MAX)
        return SOLO5_R_EINVAL;
    struct hvt_ring_entry *e = next_entry();
    uint8_t *slot = wbuf[ring->ent_tail % RING_WBUFS];

    memcpy(slot, buf, len);
    *e = (struct hvt_ring_entry){ .operation = HVT_RING_NET_WRITE, .handle = (uint32_t)handle,
                                  .data = (uint64_t)(uintptr_t)slot, .len = (uint32_t)len,
                                  .id = next_id++ };
    guest_ring_submit();
    return SOLO5_R_OK;
}

int guest_ring_read(uint64_t handle, void *buf, uint64_t size, uint64_t *len)
{
    volatile struct hvt_ring *r = ring;
    struct hvt_ring_entry *e = next_entry();

    *e = (struct hvt_ring_entry){ .operation = HVT_RING_NET_READ, .handle = (uint32_t)handle,
                                  .data = (uint64_t)(uintptr_t)buf,
                                  .len = size > UINT32_MAX ? UINT32_MAX : (uint32_t)size,
                                  .id = next_id++ };
    guest_ring_submit();
    while (r->com_head == r->com_tail)
        relax();
    barrier();
    const volatile struct hvt_ring_commit *c = &ring->commits[r->com_head % HVT_RING_SIZE];
    int ret = c->ret;
    if (len)
        *len = c->len;
    r->com_head = r->com_head + 1;
    return ret;
}
