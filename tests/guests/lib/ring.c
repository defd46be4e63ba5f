/* ring.c: finding the net ring the monitor offers and submitting single
 * entries (the hostile guest's ring attacks); the I/O pieces are inline in
 * ring.h. hvt only (spt has no ring). */
#include "ring.h"

struct hvt_ring *guest_ring_init(void)
{
    if (!(guest_boot_info->host_features & HVT_FEATURE_RING_IO) || !guest_boot_info->net_ring)
        return NULL;
    return (struct hvt_ring *)(uintptr_t)guest_boot_info->net_ring;
}

void guest_ring_submit(struct hvt_ring *r)
{
    ring_publish(r, ring_tail(r) + 1);
    ring_kick(r, HVT_RING_KICK_WAKE);
}
