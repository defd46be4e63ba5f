/* solo5_abi.h: the Solo5 hvt guest/monitor interface (ABI v2, x86_64) and the
 * application manifest (MFT1), as binary layouts.
 *
 * Shared by uniroot-vmm (host side) and our freestanding test guests (guest
 * side), so it depends only on <stdint.h>. Every guest address is carried as a
 * uint64_t: on x86_64 that has the same size and alignment as a guest pointer,
 * and the host can never dereference one by accident. Field offsets are pinned
 * with static assertions below; they must match what Solo5's toolchain emits.
 */
#ifndef UNIROOT_SOLO5_ABI_H
#define UNIROOT_SOLO5_ABI_H

#include <stdint.h>

/* ---- ELF notes ------------------------------------------------------------ */

#define SOLO5_NOTE_NAME      "Solo5"      /* n_namesz = 6, padded to 8 */
#define SOLO5_NOTE_TYPE_ABI1 0x31494241u  /* "ABI1" */
#define SOLO5_NOTE_TYPE_MFT1 0x3154464du  /* "MFT1" */

/* Common header of a Solo5 note: Elf64_Nhdr with the name padded to 4. */
struct solo5_nhdr {
    uint32_t n_namesz;
    uint32_t n_descsz;
    uint32_t n_type;
    char n_name[8];
};

enum solo5_abi_target { SOLO5_ABI_TARGET_HVT = 1, SOLO5_ABI_TARGET_SPT = 2 };

/* Descriptor of the ABI1 note (section .note.solo5.abi). */
struct solo5_abi1_info {
    uint32_t abi_target;   /* enum solo5_abi_target */
    uint32_t abi_version;  /* HVT_ABI_VERSION for hvt guests */
    uint32_t reserved0;
    uint32_t reserved1;
};

struct solo5_abi1_note {
    struct solo5_nhdr h;
    struct solo5_abi1_info i;
};

/* ---- Manifest (MFT1 note, section .note.solo5.manifest) ------------------ */

#define MFT_VERSION     1
#define MFT_MAX_ENTRIES 64
#define MFT_NAME_SIZE   68  /* bytes, including the terminator */
#define MFT_NAME_MAX    67  /* characters */

enum mft_type {
    MFT_DEV_BLOCK_BASIC = 1,
    MFT_DEV_NET_BASIC = 2,
    MFT_RESERVED_FIRST = 1u << 30,
};

struct mft_block_basic {
    uint64_t capacity;    /* bytes, filled in by the monitor */
    uint16_t block_size;  /* bytes, filled in by the monitor */
};

struct mft_net_basic {
    uint8_t mac[6];
    uint16_t mtu;
};

struct mft_entry {
    char name[MFT_NAME_SIZE];
    uint32_t type;  /* enum mft_type */
    union {
        struct mft_block_basic block_basic;
        struct mft_net_basic net_basic;
    } u;
    union {
        int32_t hostfd;  /* monitor-private; zeroed before the guest sees it */
        uint64_t data;
    } b;
    uint8_t attached;  /* 0 in the binary; 1 once the monitor attached it */
};

struct mft {
    uint32_t version;
    uint32_t entries;
    struct mft_entry e[];
};

/* The manifest starts 8-aligned inside the note: 4 bytes of padding follow
 * the 20-byte header, and they are counted in n_descsz. */
#define MFT1_NOTE_DESC_PAD 4u

/* ---- hvt boot and hypercalls ---------------------------------------------- */

#define HVT_ABI_VERSION        2
#define SPT_ABI_VERSION        2
#define HVT_GUEST_MIN_BASE     0x100000u  /* lowest load address */
#define HVT_HYPERCALL_PIO_BASE 0x500u     /* outl <gpa of args>, base + nr */
#define HVT_CMDLINE_SIZE       8192u      /* including the terminator */
#define HVT_HALT_COOKIE_MAX    512u

/* Passed in %rdi to the guest entry point. Fields after mft are the newer
 * ring-I/O negotiation; older guests ignore them, we offer no features. */
struct hvt_boot_info {
    uint64_t mem_size;        /* bytes of guest memory */
    uint64_t kernel_end;      /* first address after the loaded image */
    uint64_t cpu_cycle_freq;  /* TSC frequency, Hz */
    uint64_t cmdline;         /* gpa of a NUL-terminated string */
    uint64_t mft;             /* gpa of struct mft */
    uint32_t host_features;
    uint32_t guest_features;
    uint64_t net_ring;
};

enum hvt_hypercall {
    HVT_HYPERCALL_WALLTIME = 1,
    HVT_HYPERCALL_PUTS = 2,
    HVT_HYPERCALL_POLL = 3,
    HVT_HYPERCALL_BLOCK_WRITE = 4,
    HVT_HYPERCALL_BLOCK_READ = 5,
    HVT_HYPERCALL_NET_WRITE = 6,
    HVT_HYPERCALL_NET_READ = 7,
    HVT_HYPERCALL_HALT = 8,
    HVT_HYPERCALL_MAX = 9,
};

/* Results written to the ret fields (solo5_result_t). */
enum solo5_result { SOLO5_R_OK = 0, SOLO5_R_AGAIN = 1, SOLO5_R_EINVAL = 2, SOLO5_R_EUNSPEC = 3 };

#define SOLO5_EXIT_SUCCESS 0
#define SOLO5_EXIT_FAILURE 1
#define SOLO5_EXIT_ABORT   255

struct hvt_hc_walltime { uint64_t nsecs; };
struct hvt_hc_puts { uint64_t data; uint64_t len; };
struct hvt_hc_poll { uint64_t timeout_nsecs; uint64_t ready_set; int32_t ret; };
struct hvt_hc_block_write { uint64_t handle; uint64_t offset; uint64_t data; uint64_t len; int32_t ret; };
struct hvt_hc_block_read { uint64_t handle; uint64_t offset; uint64_t data; uint64_t len; int32_t ret; };
struct hvt_hc_net_write { uint64_t handle; uint64_t data; uint64_t len; int32_t ret; };
struct hvt_hc_net_read { uint64_t handle; uint64_t data; uint64_t len; int32_t ret; };
struct hvt_hc_halt { uint64_t cookie; int32_t exit_status; };

/* ---- hvt net ring (ring-I/O feature) --------------------------------------
 * Offered in hvt_boot_info.host_features; the ring sits in guest memory at
 * hvt_boot_info.net_ring. The guest produces submission entries (advancing
 * ent_tail) and consumes commits (advancing com_head); the monitor consumes
 * entries (ent_head) and produces commits (com_tail). Writes get no commit,
 * reads get one each. The guest wakes a sleeping monitor (needs_kick != 0)
 * with a 32-bit outl to HVT_RING_KICK_PIO_BASE: the value HVT_RING_KICK_WAKE
 * wakes it and the guest runs on at once; HVT_RING_KICK_SERVE returns to the
 * guest only after every entry submitted so far is served (a guest about to
 * wait for a read's commit saves the wake-up). Entries are served at the
 * latest at the guest's next kick, poll hypercall or halt, so a guest need
 * not kick after each write. Indices run freely and are taken modulo
 * HVT_RING_SIZE. */
#define HVT_FEATURE_RING_IO    (1u << 0)
#define HVT_RING_KICK_PIO_BASE 0x600u
#define HVT_RING_KICK_WAKE     0u
#define HVT_RING_KICK_SERVE    1u
#define HVT_RING_SIZE          1024u
#define HVT_RING_NET_WRITE     1u
#define HVT_RING_NET_READ      2u

struct hvt_ring_entry {
    uint32_t operation;
    uint32_t handle;
    uint64_t data; /* gpa of the frame buffer */
    uint32_t len;
    uint32_t id;
    uint64_t reserved;
};

struct hvt_ring_commit {
    uint32_t id;
    int32_t ret;
    uint32_t len;
    uint32_t reserved;
};

struct hvt_ring {
    uint32_t ent_tail, com_head; /* guest-written (cache line 0) */
    uint8_t pad0[56];
    uint32_t ent_head, com_tail, needs_kick; /* monitor-written (cache line 1) */
    uint8_t pad1[52];
    struct hvt_ring_entry entries[HVT_RING_SIZE];
    struct hvt_ring_commit commits[HVT_RING_SIZE];
};

/* Trap frame a Solo5 guest may point the halt cookie at when it aborts. */
struct hvt_x86_trap_regs {
    uint64_t cr2, ec, rip, cs, rflags, rsp, ss;
};

/* ---- Layout pins ----------------------------------------------------------- */
#define SOLO5_ABI_PIN(t, f, off) _Static_assert(__builtin_offsetof(t, f) == (off), #t "." #f)
SOLO5_ABI_PIN(struct mft_entry, type, 68);
SOLO5_ABI_PIN(struct mft_entry, u, 72);
SOLO5_ABI_PIN(struct mft_entry, b, 88);
SOLO5_ABI_PIN(struct mft_entry, attached, 96);
_Static_assert(sizeof(struct mft_entry) == 104, "mft_entry size");
_Static_assert(sizeof(struct mft) == 8, "mft header size");
_Static_assert(sizeof(struct solo5_nhdr) == 20, "solo5 note header size");
_Static_assert(sizeof(struct solo5_abi1_note) == 36, "abi1 note size");
SOLO5_ABI_PIN(struct hvt_boot_info, mft, 32);
SOLO5_ABI_PIN(struct hvt_boot_info, net_ring, 48);
SOLO5_ABI_PIN(struct hvt_hc_block_read, ret, 32);
SOLO5_ABI_PIN(struct hvt_hc_net_read, ret, 24);
SOLO5_ABI_PIN(struct hvt_hc_poll, ret, 16);
SOLO5_ABI_PIN(struct hvt_ring, ent_head, 64);
SOLO5_ABI_PIN(struct hvt_ring, entries, 128);
SOLO5_ABI_PIN(struct hvt_ring_entry, len, 16);
_Static_assert(sizeof(struct hvt_ring_entry) == 32, "ring entry size");
_Static_assert(sizeof(struct hvt_ring_commit) == 16, "ring commit size");
SOLO5_ABI_PIN(struct hvt_hc_halt, exit_status, 8);

/* ---- x86_64 guest physical memory map used by hvt ----------------------- */
#define HVT_X86_GDT_BASE       0x1000u
#define HVT_X86_PML4_BASE      0x2000u
#define HVT_X86_PDPTE_BASE     0x3000u
#define HVT_X86_PDE_BASE       0x4000u  /* four pages: up to 4 GiB */
#define HVT_X86_PT0_BASE       0x8000u  /* 4 KiB pages for the first 2 MiB */
#define HVT_X86_BOOT_INFO_BASE 0x10000u
#define HVT_X86_PAGE_2M        0x200000ull
#define HVT_X86_MAX_MEM        (2048ull * HVT_X86_PAGE_2M)

/* ---- spt: the guest runs as the monitor's own process ------------------- */
/* Guest memory is the monitor's virtual addresses SPT_HOST_MEM_BASE..mem_size
 * (pages below stay unmapped, as vm.mmap_min_addr wants); the boot info is
 * passed in %rdi, %rsp = mem_size - 8. The guest calls the host kernel
 * directly on the descriptors the boot info and manifest name. */
#define SPT_HOST_MEM_BASE    0x10000u
#define SPT_BOOT_INFO_BASE   (SPT_HOST_MEM_BASE + 0x1000u)
#define SPT_CMDLINE_SIZE     8192u
#define SPT_INTERNAL_TIMERFD 0xfffffffeu  /* epoll data of the boot info's timerfd */

struct spt_boot_info {
    uint64_t mem_size;    /* bytes: the guest may use addresses below this */
    uint64_t kernel_end;  /* first address after the loaded image */
    uint64_t cmdline;     /* address of a NUL-terminated string */
    uint64_t mft;         /* address of struct mft (hostfd filled in) */
    int32_t epollfd;      /* epoll set with the timer and every net device */
    int32_t timerfd;      /* CLOCK_MONOTONIC timerfd for yield deadlines */
};
SOLO5_ABI_PIN(struct spt_boot_info, epollfd, 32);
_Static_assert(sizeof(struct spt_boot_info) == 40, "spt_boot_info size");

#endif
