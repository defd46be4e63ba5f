/* ext4label.c: reads the ext4 superblock of device "rootfs" (bytes
 * 1024..2047) sector by sector and prints its volume label and UUID, the way
 * a unikernel would find its root filesystem. Exits 1 with "not ext4" if
 * the magic is wrong. `ext4label stay` then waits in one endless poll until a
 * signal stops it (a container that stays running, for the CRI tests). */
#include "guest.h"

GUEST_MANIFEST(MFT_BLOCK("rootfs"));

#define SB_OFFSET   1024u
#define SB_SIZE     1024u
#define SB_MAGIC    0x38u  /* le16 s_magic */
#define SB_UUID     0x68u  /* u8 s_uuid[16] */
#define SB_VOLNAME  0x78u  /* char s_volume_name[16] */
#define EXT4_MAGIC  0xEF53u
#define MAX_BS      32768u

/* Large enough for the sectors covering the superblock at any block size
 * up to MAX_BS: [0, 4096) at 4096, [1024, 2048) at 512. */
static uint64_t buf[(SB_OFFSET + SB_SIZE + MAX_BS) / 8];

int guest_main(int argc, char **argv)
{
    const struct mft_entry *e;
    uint64_t handle, bs, cap, start, end;
    const uint8_t *sb;
    char label[17], uuid[37];

    e = guest_mft_find("rootfs", MFT_DEV_BLOCK_BASIC, &handle);
    if (!e) {
        guest_puts("ext4label: no block device \"rootfs\" in the manifest");
        return 1;
    }
    bs = e->u.block_basic.block_size;
    cap = e->u.block_basic.capacity;
    if (bs == 0 || bs > MAX_BS || (bs & (bs - 1))) {
        guest_printf("ext4label: unsupported block size %llu\n", (unsigned long long)bs);
        return 1;
    }
    start = SB_OFFSET & ~(bs - 1);
    end = (SB_OFFSET + SB_SIZE + bs - 1) & ~(bs - 1);
    if (end > cap) {
        guest_printf("ext4label: not ext4 (device of %llu bytes is too small)\n",
                     (unsigned long long)cap);
        return 1;
    }
    for (uint64_t off = start; off < end; off += bs) {
        int ret = guest_block_read(handle, off, (uint8_t *)buf + (off - start), bs);
        if (ret != SOLO5_R_OK) {
            guest_printf("ext4label: read at %llu failed: ret=%d\n", (unsigned long long)off, ret);
            return 1;
        }
    }
    sb = (const uint8_t *)buf + (SB_OFFSET - start);
    if ((unsigned)(sb[SB_MAGIC] | sb[SB_MAGIC + 1] << 8) != EXT4_MAGIC) {
        guest_printf("ext4label: not ext4 (magic 0x%04x)\n",
                     (unsigned)(sb[SB_MAGIC] | sb[SB_MAGIC + 1] << 8));
        return 1;
    }
    memcpy(label, sb + SB_VOLNAME, 16);
    label[16] = '\0';
    guest_snprintf(uuid, sizeof(uuid),
                   "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
                   sb[SB_UUID + 0], sb[SB_UUID + 1], sb[SB_UUID + 2], sb[SB_UUID + 3],
                   sb[SB_UUID + 4], sb[SB_UUID + 5], sb[SB_UUID + 6], sb[SB_UUID + 7],
                   sb[SB_UUID + 8], sb[SB_UUID + 9], sb[SB_UUID + 10], sb[SB_UUID + 11],
                   sb[SB_UUID + 12], sb[SB_UUID + 13], sb[SB_UUID + 14], sb[SB_UUID + 15]);
    guest_printf("label=%s uuid=%s\n", label, uuid);
    if (argc >= 1 && strcmp(argv[0], "stay") == 0)
        guest_poll(UINT64_MAX, NULL);
    return 0;
}
