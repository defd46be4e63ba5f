/* blkread.c: the block benchmark guest: reads all of device "storage" in
 * requests of the size given as its first argument (default 65536 bytes,
 * rounded to whole sectors, at most 1 MiB), timing itself with walltime, and
 * prints "blkread: bytes=N ns=T mib_per_s=R". The loop body is a handful of
 * instructions per request, so the figure is the hypercall path's. */
#include "guest.h"

GUEST_MANIFEST(MFT_BLOCK("storage"));

#define MAX_REQ (1u << 20)
static uint8_t buf[MAX_REQ] __attribute__((aligned(4096)));

int guest_main(int argc, char **argv)
{
    uint64_t handle, req = 65536;
    const struct mft_entry *e = guest_mft_find("storage", MFT_DEV_BLOCK_BASIC, &handle);
    if (!e) {
        guest_puts("blkread: no block device \"storage\"");
        return 1;
    }
    if (argc > 0 && (guest_parse_u64(argv[0], &req) < 0 || req == 0 || req > MAX_REQ)) {
        guest_puts("blkread: request size must be 1..1048576");
        return 1;
    }
    uint64_t bs = e->u.block_basic.block_size, cap = e->u.block_basic.capacity;
    req = (req + bs - 1) & ~(bs - 1);
    uint64_t t0 = guest_walltime();
    uint64_t off = 0;
    for (; off + req <= cap; off += req)
        if (guest_block_read(handle, off, buf, req) != SOLO5_R_OK) {
            guest_puts("blkread: read failed");
            return 1;
        }
    uint64_t ns = guest_walltime() - t0;
    /* MiB/s with one decimal, in integers: bytes * 10 * 1e9 / 2^20 / ns */
    uint64_t tenths = ns ? (off / 1024) * 10000000ull / (ns / 1000 ? ns / 1000 : 1) / 1024 : 0;
    guest_printf("blkread: bytes=%llu ns=%llu mib_per_s=%llu.%llu\n", (unsigned long long)off,
                 (unsigned long long)ns, (unsigned long long)(tenths / 10),
                 (unsigned long long)(tenths % 10));
    return 0;
}
