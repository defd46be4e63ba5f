/* net_ring.c: serving Solo5's hvt net ring (HVT_FEATURE_RING_IO).
 *
 * The ring is guest memory the guest may scribble on at any moment, so:
 * the ring itself must lie wholly in writable guest memory; the monitor
 * keeps its own ent_head/com_tail and only publishes them; each entry is
 * copied out once before it is checked and used; a guest-written index
 * claiming more than HVT_RING_SIZE entries pending (or commits unconsumed)
 * and any frame buffer outside guest memory are ABI violations (-EFAULT,
 * the guest is stopped). Bad handles and lengths are the guest's own error:
 * a write is dropped, a read is committed with SOLO5_R_EINVAL. Writes get
 * no commit; when the commit ring is full the read waits in the ring.
 * ent_head is published once per batch, each commit as it is made.
 */
#include <errno.h>
#include <inttypes.h>

#include "tender.h"

#define RING_CALL "net ring"

static struct hvt_ring *ring_at(const struct tender_ctx *ctx, uint64_t gpa)
{
    return (gpa & 7) ? NULL : tender_gpa_w(ctx, gpa, sizeof(struct hvt_ring));
}

int tender_net_ring_init(const struct tender_ctx *ctx, struct tender_net_ring *r, uint64_t gpa,
                         struct ur_err *err)
{
    if (!ring_at(ctx, gpa))
        return tender_violation(err, RING_CALL, "ring", gpa, sizeof(struct hvt_ring));
    *r = (struct tender_net_ring){.gpa = gpa};
    return 0;
}

/* A frame write from entry en: dropped (0) when the guest got it wrong. */
static int serve_write(const struct tender_ctx *ctx, const struct hvt_ring_entry *en,
                       struct ur_err *err)
{
    struct mft_entry *e = mft_at(ctx->mft, en->handle, MFT_DEV_NET_BASIC);
    if (!e || en->len == 0 || en->len > (uint64_t)e->u.net_basic.mtu + NET_ETHER_HDR)
        return 0;
    const void *p = tender_gpa(ctx, en->data, en->len);
    if (!p)
        return tender_violation(err, RING_CALL " write", "data", en->data, en->len);
    (void)net_frame_write(e, p, en->len);
    return 0;
}

/* A frame read from entry en into commit c. */
static int serve_read(const struct tender_ctx *ctx, const struct hvt_ring_entry *en,
                      struct hvt_ring_commit *c, struct ur_err *err)
{
    struct hvt_ring_commit out = {.id = en->id, .ret = SOLO5_R_EINVAL};
    struct mft_entry *e = mft_at(ctx->mft, en->handle, MFT_DEV_NET_BASIC);
    if (e && en->len != 0) {
        void *p = tender_gpa_w(ctx, en->data, en->len);
        if (!p)
            return tender_violation(err, RING_CALL " read", "data", en->data, en->len);
        uint64_t got = 0;
        out.ret = net_frame_read(e, p, en->len, &got);
        out.len = (uint32_t)got;
    }
    *c = out;
    return 0;
}

int tender_net_ring_service(const struct tender_ctx *ctx, struct tender_net_ring *r,
                            unsigned *served, struct ur_err *err)
{
    *served = 0;
    struct hvt_ring *ring = ring_at(ctx, r->gpa);
    if (!ring)
        return tender_violation(err, RING_CALL, "ring", r->gpa, sizeof(*ring));
    uint32_t tail = __atomic_load_n(&ring->ent_tail, __ATOMIC_ACQUIRE);
    if (tail - r->ent_head > HVT_RING_SIZE)
        return ur_errf(err, -EFAULT, "guest broke the ABI: " RING_CALL ": %" PRIu32
                       " entries pending (ent_tail %" PRIu32 ", ent_head %" PRIu32 "), at most %u",
                       tail - r->ent_head, tail, r->ent_head, HVT_RING_SIZE);
    int rc = 0;
    while (r->ent_head != tail) {
        struct hvt_ring_entry en = ring->entries[r->ent_head % HVT_RING_SIZE];
        __atomic_signal_fence(__ATOMIC_SEQ_CST); /* en is our copy from here on */
        if (en.operation == HVT_RING_NET_WRITE) {
            rc = serve_write(ctx, &en, err);
        } else if (en.operation == HVT_RING_NET_READ) {
            uint32_t head = __atomic_load_n(&ring->com_head, __ATOMIC_ACQUIRE);
            uint32_t unread = r->com_tail - head;
            if (unread > HVT_RING_SIZE)
                return ur_errf(err, -EFAULT, "guest broke the ABI: " RING_CALL ": com_head %" PRIu32
                               " is not behind com_tail %" PRIu32, head, r->com_tail);
            if (unread == HVT_RING_SIZE)
                break; /* no commit slot free: serve it once the guest consumes one */
            rc = serve_read(ctx, &en, &ring->commits[r->com_tail % HVT_RING_SIZE], err);
            if (rc == 0) {
                r->com_tail++;
                __atomic_store_n(&ring->com_tail, r->com_tail, __ATOMIC_RELEASE);
            }
        } /* any other operation: skipped, as Solo5's tender does */
        if (rc < 0)
            break;
        r->ent_head++;
        (*served)++;
    }
    /* one publication of ent_head for the whole batch: what the guest's
     * writes wait for (reads wait for their commit, published each) */
    __atomic_store_n(&ring->ent_head, r->ent_head, __ATOMIC_RELEASE);
    return rc;
}
