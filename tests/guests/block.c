/* block.c: exercises the block hypercalls on device "storage": writes a
 * per-sector pattern to the first, a middle and the last sector, reads them
 * back, then checks that the monitor rejects bad requests (misaligned offset
 * or length, offset at/after the end, a request crossing the end, length 0)
 * with SOLO5_R_EINVAL and that a rejected write changed nothing.
 * Each written sector starts with "uniroot block sector N\n" so the host can
 * check the data reached the backing file. */
#include "guest.h"

GUEST_MANIFEST(MFT_BLOCK("storage"));

#define MAX_BS 32768u
#define TAG_GOOD 0x5a5a0000a5a5ull
#define TAG_BAD  0x0badbad0badbull

static uint64_t wbuf[2 * MAX_BS / 8], rbuf[2 * MAX_BS / 8];
static uint64_t handle, cap, bs;
static int failures;

/* Fill len bytes at buf with the pattern of sectors first, first+1, ... */
static void fill(uint64_t *buf, uint64_t len, uint64_t first, uint64_t tag)
{
    for (uint64_t s = 0; s < len / bs; s++) {
        uint64_t *w = buf + s * (bs / 8);
        for (uint64_t i = 0; i < bs / 8; i++)
            w[i] = ((first + s) << 32) ^ (i * 0x9e3779b97f4a7c15ull) ^ tag;
        int n = guest_snprintf((char *)w, 32, "uniroot block sector %llu",
                               (unsigned long long)(first + s));
        ((char *)w)[n < 31 ? n : 31] = '\n';
    }
}

static void check(int cond, const char *what)
{
    guest_printf("block: %s: %s\n", what, cond ? "ok" : "FAIL");
    if (!cond)
        failures++;
}

/* Write the pattern of the sectors at off (len bytes), read back, compare. */
static void write_verify(uint64_t off, uint64_t len, const char *what)
{
    int wr, rd;

    fill(wbuf, len, off / bs, TAG_GOOD);
    memset(rbuf, 0, len);
    wr = guest_block_write(handle, off, wbuf, len);
    rd = guest_block_read(handle, off, rbuf, len);
    if (wr != SOLO5_R_OK || rd != SOLO5_R_OK)
        guest_printf("block: %s: write ret=%d read ret=%d\n", what, wr, rd);
    check(wr == SOLO5_R_OK && rd == SOLO5_R_OK && memcmp(wbuf, rbuf, len) == 0, what);
}

/* Read the sector at off and check it still holds the good pattern. */
static int intact(uint64_t off)
{
    fill(wbuf, bs, off / bs, TAG_GOOD);
    memset(rbuf, 0, bs);
    return guest_block_read(handle, off, rbuf, bs) == SOLO5_R_OK && memcmp(wbuf, rbuf, bs) == 0;
}

/* Both a read and a write of (off, len) must be refused with EINVAL. */
static void rejected(uint64_t off, uint64_t len, const char *what)
{
    int rd, wr;
    char name[96];

    fill(wbuf, 2 * bs, 0, TAG_BAD);
    rd = guest_block_read(handle, off, rbuf, len);
    wr = guest_block_write(handle, off, wbuf, len);
    guest_snprintf(name, sizeof(name), "%s (offset=%llu len=%llu) read ret=%d write ret=%d", what,
                   (unsigned long long)off, (unsigned long long)len, rd, wr);
    check(rd == SOLO5_R_EINVAL && wr == SOLO5_R_EINVAL, name);
}

int guest_main(int argc, char **argv)
{
    const struct mft_entry *e;
    uint64_t mid, last;

    (void)argc;
    (void)argv;
    e = guest_mft_find("storage", MFT_DEV_BLOCK_BASIC, &handle);
    if (!e) {
        guest_puts("block: FAIL: no block device \"storage\" in the manifest");
        return 1;
    }
    cap = e->u.block_basic.capacity;
    bs = e->u.block_basic.block_size;
    guest_printf("block: handle=%llu capacity=%llu block_size=%llu\n", (unsigned long long)handle,
                 (unsigned long long)cap, (unsigned long long)bs);
    if (bs < 512 || bs > MAX_BS || (bs & (bs - 1)) || cap < 4 * bs || cap % bs) {
        guest_puts("block: FAIL: implausible capacity or block size");
        return 1;
    }
    mid = cap / bs / 2 * bs;
    last = cap - bs;

    write_verify(0, bs, "write+read sector 0");
    write_verify(mid, bs, "write+read middle sector");
    write_verify(last, bs, "write+read last sector");
    write_verify(bs, 2 * bs, "write+read two sectors in one request");
    check(intact(0) && intact(mid), "sectors keep their own data");

    rejected(1, bs, "misaligned offset");
    rejected(bs / 2, bs, "misaligned offset (half sector)");
    rejected(0, bs / 2, "misaligned length");
    rejected(0, bs + 1, "misaligned length (sector + 1)");
    rejected(cap, bs, "offset at capacity");
    rejected(cap + bs, bs, "offset beyond capacity");
    rejected(last, 2 * bs, "request crossing the end");
    rejected(0, 0, "len 0");
    check(intact(0), "rejected writes left sector 0 intact");
    check(intact(last), "rejected writes left the last sector intact");

    if (failures) {
        guest_printf("block: %d checks FAILED\n", failures);
        return 1;
    }
    guest_puts("block: all checks passed");
    return 0;
}
