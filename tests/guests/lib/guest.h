/* guest.h: the freestanding runtime of uniroot's own Solo5-hvt test guests.
 *
 * A guest is one C file with `int guest_main(int argc, char **argv)` and a
 * GUEST_MANIFEST(...) line; the runtime (start.S, hypercall.c, console.c,
 * string.c, cmdline.c, manifest.c, abi_note.c, guest.ld) does the rest.
 * Everything runs in ring 0 on an identity map, so a guest pointer below
 * 4 GiB is also its guest-physical address.
 */
#ifndef UNIROOT_GUEST_H
#define UNIROOT_GUEST_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "solo5_abi.h"

/* ---- entry and exit */

/* What the monitor passed in %rdi; set before guest_main runs. */
extern const struct hvt_boot_info *guest_boot_info;

/* The guest's own main: argv[0] is the first word of the command line (not
 * the kernel name, which the monitor never passes). */
int guest_main(int argc, char **argv);

/* HVT_HYPERCALL_HALT with the status; never returns (hlt loop if it does). */
__attribute__((noreturn)) void guest_exit(int status);

/* ---- raw hypercalls */

/* outl of a 32-bit gpa to port 0x500 + nr: the whole hvt calling convention. */
static inline void hvt_outl(uint16_t port, uint32_t gpa)
{
    __asm__ __volatile__("outl %0, %1" : : "a"(gpa), "Nd"(port) : "memory");
}

static inline void hvt_hypercall(unsigned nr, volatile void *arg)
{
    hvt_outl((uint16_t)(HVT_HYPERCALL_PIO_BASE + nr), (uint32_t)(uintptr_t)arg);
}

/* ---- hypercall wrappers; the int ones return enum solo5_result */
uint64_t guest_walltime(void);
int guest_poll(uint64_t timeout_ns, uint64_t *ready_set);
int guest_block_read(uint64_t handle, uint64_t offset, void *buf, uint64_t len);
int guest_block_write(uint64_t handle, uint64_t offset, const void *buf, uint64_t len);
int guest_net_read(uint64_t handle, void *buf, uint64_t size, uint64_t *len);
int guest_net_write(uint64_t handle, const void *buf, uint64_t len);

/* ---- hvt net ring (lib/ring.c, the I/O pieces inline in lib/ring.h; not
 * on spt): the ring the monitor offers (HVT_FEATURE_RING_IO) or NULL;
 * guest_ring_submit publishes the entry at ent_tail (filled by the caller)
 * and wakes the monitor if it sleeps (HVT_RING_KICK_WAKE). */
struct hvt_ring *guest_ring_init(void);
void guest_ring_submit(struct hvt_ring *r);

/* ---- spt only (lib/spt.c, built with -DGUEST_SPT): a raw system call */
long spt_syscall6(long nr, long a, long b, long c, long d, long e, long f);

/* ---- console (each call is one puts hypercall) */
void guest_write(const char *s, size_t len);
void guest_puts(const char *s);  /* appends "\n" */
/* %s %c %d %i %u %x %p %%, l/ll length, width and '0' flag. */
int guest_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int guest_snprintf(char *buf, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int guest_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- strings (also the memcpy/memset/memcmp the compiler may call) */
void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);
/* Decimal (or 0x hex) string to uint64; 0 on success, -1 if not a number. */
int guest_parse_u64(const char *s, uint64_t *out);

/* ---- command line */
const char *guest_cmdline(void);  /* the raw string, "" if none */

/* ---- manifest (the monitor's copy, with capacity/mac filled in) */
/* Entry NAME of TYPE, its index (the hypercall handle) in *handle; NULL if
 * absent or the manifest is malformed. */
const struct mft_entry *guest_mft_find(const char *name, uint32_t type, uint64_t *handle);

/* ---- manifest declaration
 *
 *   GUEST_MANIFEST();                                   no devices
 *   GUEST_MANIFEST(MFT_BLOCK("storage"), MFT_NET("net0"));
 *
 * emits the MFT1 note: header, 4 pad bytes, struct mft with entry 0 the
 * reserved first entry, then the devices in the order given (handles 1..N).
 * The struct is packed and 4-aligned, and so is the variable (which stops
 * the compiler from 32-aligning a large object), so the note needs no
 * trailing padding and its PT_NOTE is 4-aligned, as Solo5 notes are. */
#define MFT_BLOCK(n) { .name = n, .type = MFT_DEV_BLOCK_BASIC }
#define MFT_NET(n)   { .name = n, .type = MFT_DEV_NET_BASIC }
#define GUEST_MFT_COUNT_(...) \
    (sizeof((struct mft_entry[]){ { .type = MFT_RESERVED_FIRST }, ##__VA_ARGS__ }) / \
     sizeof(struct mft_entry))
#define GUEST_MANIFEST(...)                                                     \
    struct guest_mft1_note {                                                    \
        struct solo5_nhdr h;                                                    \
        uint32_t pad;                                                           \
        uint32_t version, entries;                                              \
        struct mft_entry e[GUEST_MFT_COUNT_(__VA_ARGS__)];                      \
    } __attribute__((packed, aligned(4)));                                      \
    __attribute__((section(".note.solo5.manifest"), used, aligned(4)))          \
    const struct guest_mft1_note guest_mft1_note = {                            \
        .h = { .n_namesz = sizeof(SOLO5_NOTE_NAME),                            \
               .n_descsz = sizeof(struct guest_mft1_note) - sizeof(struct solo5_nhdr), \
               .n_type = SOLO5_NOTE_TYPE_MFT1, .n_name = SOLO5_NOTE_NAME },    \
        .version = MFT_VERSION,                                                 \
        .entries = GUEST_MFT_COUNT_(__VA_ARGS__),                               \
        .e = { { .name = "", .type = MFT_RESERVED_FIRST }, ##__VA_ARGS__ },     \
    }

#endif
