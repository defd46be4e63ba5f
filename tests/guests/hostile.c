/* hostile.c: breaks the hvt ABI in one way, chosen by the first argument,
 * to check the monitor's defences. It prints "hostile: <attack>" first.
 * If a hypercall comes back, it prints what happened and exits 0:
 *   "hostile: rejected with EINVAL"  the monitor refused it in-band
 *   "hostile: survived ..."          the monitor let an ABI violation pass
 * The test decides per attack which outcome is right (see
 * tests/integration/vmm_guests.sh): for most, only being stopped by the
 * monitor with an error and a non-zero status is. `hostile list` prints
 * the attack names. */
#include "guest.h"

GUEST_MANIFEST(MFT_BLOCK("storage"), MFT_NET("net0"));

static uint64_t mem, hb, hn, bs;
static uint8_t buf[4096] __attribute__((aligned(8)));

static int survived(void)
{
    guest_puts("hostile: survived");
    return 0;
}

/* Outcome of a hypercall with a ret field. */
static int outcome(int ret)
{
    if (ret == SOLO5_R_EINVAL) {
        guest_puts("hostile: rejected with EINVAL");
        return 0;
    }
    guest_printf("hostile: survived (ret=%d)\n", ret);
    return 0;
}

/* ---- argument struct partly outside guest memory: its last bytes cross
 * the end of memory. */
static int arg_at_end(unsigned nr)
{
    hvt_outl((uint16_t)(HVT_HYPERCALL_PIO_BASE + nr), (uint32_t)(mem - 4));
    return survived();
}
static int a_walltime_arg(void) { return arg_at_end(HVT_HYPERCALL_WALLTIME); }
static int a_puts_arg(void) { return arg_at_end(HVT_HYPERCALL_PUTS); }
static int a_poll_arg(void) { return arg_at_end(HVT_HYPERCALL_POLL); }
static int a_block_write_arg(void) { return arg_at_end(HVT_HYPERCALL_BLOCK_WRITE); }
static int a_block_read_arg(void) { return arg_at_end(HVT_HYPERCALL_BLOCK_READ); }
static int a_net_write_arg(void) { return arg_at_end(HVT_HYPERCALL_NET_WRITE); }
static int a_net_read_arg(void) { return arg_at_end(HVT_HYPERCALL_NET_READ); }
static int a_halt_arg(void) { return arg_at_end(HVT_HYPERCALL_HALT); }

static int a_puts_arg_far(void)
{
    hvt_outl(HVT_HYPERCALL_PIO_BASE + HVT_HYPERCALL_PUTS, 0xfffffff8u);  /* crosses 4 GiB */
    return survived();
}

/* ---- puts data */
static int puts_raw(uint64_t data, uint64_t len)
{
    volatile struct hvt_hc_puts p = { .data = data, .len = len };

    hvt_hypercall(HVT_HYPERCALL_PUTS, &p);
    return survived();
}
static int a_puts_data(void) { return puts_raw(mem - 8, 16); }
static int a_puts_wrap(void) { return puts_raw(UINT64_MAX - 7, 16); }
static int a_puts_len(void) { return puts_raw((uint64_t)(uintptr_t)buf, mem); }
static int a_puts_huge(void) { return puts_raw((uint64_t)(uintptr_t)buf, UINT64_MAX); }

/* ---- block data and lengths */
static int block_raw(unsigned nr, uint64_t handle, uint64_t offset, uint64_t data, uint64_t len)
{
    /* block_read and block_write share one layout */
    volatile struct hvt_hc_block_read r = {
        .handle = handle, .offset = offset, .data = data, .len = len, .ret = -1,
    };

    hvt_hypercall(nr, &r);
    return r.ret;
}
static int a_block_read_data(void)
{
    return outcome(block_raw(HVT_HYPERCALL_BLOCK_READ, hb, 0, mem - bs / 2, bs));
}
static int a_block_read_wrap(void)
{
    return outcome(block_raw(HVT_HYPERCALL_BLOCK_READ, hb, 0, UINT64_MAX - bs / 2 + 1, bs));
}
static int a_block_write_data(void)
{
    return outcome(block_raw(HVT_HYPERCALL_BLOCK_WRITE, hb, 0, mem - bs / 2, bs));
}
static int a_block_write_wrap(void)
{
    return outcome(block_raw(HVT_HYPERCALL_BLOCK_WRITE, hb, 0, UINT64_MAX - bs / 2 + 1, bs));
}
static int a_block_read_huge(void)
{
    return outcome(block_raw(HVT_HYPERCALL_BLOCK_READ, hb, 0, (uint64_t)(uintptr_t)buf,
                             1ull << 63));
}
/* offset + len wraps to 0: a naive "offset + len <= capacity" passes. */
static int a_block_len_wrap(void)
{
    return outcome(block_raw(HVT_HYPERCALL_BLOCK_READ, hb, bs, (uint64_t)(uintptr_t)buf,
                             (uint64_t)0 - bs));
}

/* ---- net data and lengths */
static int net_raw(unsigned nr, uint64_t handle, uint64_t data, uint64_t len)
{
    /* net_read and net_write share one layout */
    volatile struct hvt_hc_net_read r = { .handle = handle, .data = data, .len = len, .ret = -1 };

    hvt_hypercall(nr, &r);
    return r.ret;
}
static int a_net_read_data(void) { return outcome(net_raw(HVT_HYPERCALL_NET_READ, hn, mem - 32, 2048)); }
static int a_net_read_wrap(void)
{
    return outcome(net_raw(HVT_HYPERCALL_NET_READ, hn, UINT64_MAX - 31, 2048));
}
static int a_net_read_huge(void)
{
    return outcome(net_raw(HVT_HYPERCALL_NET_READ, hn, (uint64_t)(uintptr_t)buf, 1ull << 63));
}
static int a_net_write_data(void) { return outcome(net_raw(HVT_HYPERCALL_NET_WRITE, hn, mem - 32, 64)); }
static int a_net_write_wrap(void)
{
    return outcome(net_raw(HVT_HYPERCALL_NET_WRITE, hn, UINT64_MAX - 31, 64));
}
static int a_net_write_huge(void)
{
    return outcome(net_raw(HVT_HYPERCALL_NET_WRITE, hn, (uint64_t)(uintptr_t)buf, 1ull << 63));
}

/* ---- halt with a cookie the monitor cannot read (status 0 on purpose: a
 * monitor that ignores the bad cookie exits 0, which the test rejects) */
static int halt_cookie(uint64_t cookie)
{
    volatile struct hvt_hc_halt h = { .cookie = cookie, .exit_status = 0 };

    hvt_hypercall(HVT_HYPERCALL_HALT, &h);
    return survived();
}
static int a_halt_cookie(void) { return halt_cookie(mem - 16); }
static int a_halt_cookie_wrap(void) { return halt_cookie(UINT64_MAX - 15); }

/* ---- ports that are not hypercalls, and hypercall ports used wrongly */
static int valid_puts_port(uint16_t port)
{
    volatile struct hvt_hc_puts p = { .data = (uint64_t)(uintptr_t)"x\n", .len = 2 };

    hvt_outl(port, (uint32_t)(uintptr_t)&p);
    return survived();
}
static int a_hc0(void) { return valid_puts_port(HVT_HYPERCALL_PIO_BASE + 0); }
static int a_hc9(void) { return valid_puts_port(HVT_HYPERCALL_PIO_BASE + HVT_HYPERCALL_MAX); }
static int a_hc255(void) { return valid_puts_port(HVT_HYPERCALL_PIO_BASE + 255); }
static int a_port_4ff(void) { return valid_puts_port(HVT_HYPERCALL_PIO_BASE - 1); }

static int a_inb(void)
{
    uint8_t v;

    __asm__ __volatile__("inb %1, %0" : "=a"(v) : "Nd"((uint16_t)(HVT_HYPERCALL_PIO_BASE + 2)));
    (void)v;
    return survived();
}
static int a_inl(void)
{
    uint32_t v;

    __asm__ __volatile__("inl %1, %0" : "=a"(v) : "Nd"((uint16_t)(HVT_HYPERCALL_PIO_BASE + 2)));
    (void)v;
    return survived();
}
static int a_outb(void)
{
    volatile struct hvt_hc_puts p = { .data = (uint64_t)(uintptr_t)"x\n", .len = 2 };

    __asm__ __volatile__("outb %b0, %1" : : "a"((uint8_t)(uintptr_t)&p),
                         "Nd"((uint16_t)(HVT_HYPERCALL_PIO_BASE + 2)) : "memory");
    return survived();
}
static int a_outw(void)
{
    volatile struct hvt_hc_puts p = { .data = (uint64_t)(uintptr_t)"x\n", .len = 2 };

    __asm__ __volatile__("outw %w0, %1" : : "a"((uint16_t)(uintptr_t)&p),
                         "Nd"((uint16_t)(HVT_HYPERCALL_PIO_BASE + 2)) : "memory");
    return survived();
}

/* ---- bad handles: every device hypercall with handles that are not a
 * device of its type must get EINVAL, and the guest goes on. */
static int a_bad_handle(void)
{
    const uint64_t bad_block[] = { 0, hn, MFT_MAX_ENTRIES, 1000, 1ull << 63, UINT64_MAX };
    const uint64_t bad_net[] = { 0, hb, MFT_MAX_ENTRIES, 1000, 1ull << 63, UINT64_MAX };
    uint64_t data = (uint64_t)(uintptr_t)buf;
    int bad = 0;

    for (unsigned i = 0; i < sizeof(bad_block) / sizeof(bad_block[0]); i++) {
        int r = block_raw(HVT_HYPERCALL_BLOCK_READ, bad_block[i], 0, data, bs);
        int w = block_raw(HVT_HYPERCALL_BLOCK_WRITE, bad_block[i], 0, data, bs);
        guest_printf("hostile: block handle %llu: read ret=%d write ret=%d\n",
                     (unsigned long long)bad_block[i], r, w);
        bad += (r != SOLO5_R_EINVAL) + (w != SOLO5_R_EINVAL);
    }
    for (unsigned i = 0; i < sizeof(bad_net) / sizeof(bad_net[0]); i++) {
        int r = net_raw(HVT_HYPERCALL_NET_READ, bad_net[i], data, sizeof(buf));
        int w = net_raw(HVT_HYPERCALL_NET_WRITE, bad_net[i], data, 60);
        guest_printf("hostile: net handle %llu: read ret=%d write ret=%d\n",
                     (unsigned long long)bad_net[i], r, w);
        bad += (r != SOLO5_R_EINVAL) + (w != SOLO5_R_EINVAL);
    }
    if (bad) {
        guest_printf("hostile: survived (%d bad-handle calls not refused with EINVAL)\n", bad);
        return 0;
    }
    guest_puts("hostile: rejected with EINVAL");
    return 0;
}

/* ---- the guest's copy of the manifest is the guest's: after clearing
 * CR0.WP (the monitor maps the boot-info area read-only, which ring 0 can
 * undo) it claims a huge capacity and 1-byte sectors for "storage" and
 * points the host-fd field at stdin. The monitor must judge requests by its
 * own copy: beyond the real end and misaligned requests still get EINVAL,
 * and an aligned read still reads the real file. */
static int a_mft_tamper(void)
{
    struct mft *m = (struct mft *)(uintptr_t)guest_boot_info->mft;
    struct mft_entry *e = &m->e[hb];
    uint64_t cap = e->u.block_basic.capacity, cr0;
    uint64_t data = (uint64_t)(uintptr_t)buf;
    int beyond, misaligned, ok;

    __asm__ __volatile__("mov %%cr0, %0" : "=r"(cr0));
    __asm__ __volatile__("mov %0, %%cr0" : : "r"(cr0 & ~(1ull << 16)) : "memory");
    e->u.block_basic.capacity = UINT64_MAX;
    e->u.block_basic.block_size = 1;
    e->b.hostfd = 0;
    beyond = block_raw(HVT_HYPERCALL_BLOCK_READ, hb, cap, data, bs);
    misaligned = block_raw(HVT_HYPERCALL_BLOCK_READ, hb, 1, data, bs);
    ok = block_raw(HVT_HYPERCALL_BLOCK_READ, hb, 0, data, bs);
    guest_printf("hostile: tampered manifest: read beyond end ret=%d, misaligned ret=%d, "
                 "valid ret=%d\n", beyond, misaligned, ok);
    if (beyond == SOLO5_R_EINVAL && misaligned == SOLO5_R_EINVAL && ok == SOLO5_R_OK) {
        guest_puts("hostile: rejected with EINVAL");
        return 0;
    }
    return survived();
}

/* net write of a frame longer than MTU + Ethernet header. */
static int a_net_write_big(void)
{
    static uint8_t big[9000];

    memset(big, 0xff, 12);
    return outcome(net_raw(HVT_HYPERCALL_NET_WRITE, hn, (uint64_t)(uintptr_t)big, sizeof(big)));
}

/* ---- CPU-level misbehaviour: each must end the guest with an error. */
static int a_hlt(void)
{
    __asm__ __volatile__("cli; hlt");
    return survived();
}
static int a_ud2(void)
{
    __asm__ __volatile__("ud2");
    return survived();
}
static int a_int3(void)
{
    __asm__ __volatile__("int3");
    return survived();
}

/* Guest-physical addresses past the end of memory: the monitor's page
 * tables do not map them, so the guest loads its own (an identity map of
 * 4 GiB with 2 MiB pages) and then touches mem_size + 64 KiB. KVM finds no
 * memory there and reports MMIO, which the monitor must refuse. */
static uint64_t pt_pml4[512] __attribute__((aligned(4096)));
static uint64_t pt_pdpt[512] __attribute__((aligned(4096)));
static uint64_t pt_pd[4][512] __attribute__((aligned(4096)));

static void own_page_tables(void)
{
    pt_pml4[0] = (uint64_t)(uintptr_t)pt_pdpt | 0x3;
    for (unsigned i = 0; i < 4; i++) {
        pt_pdpt[i] = (uint64_t)(uintptr_t)pt_pd[i] | 0x3;
        for (unsigned j = 0; j < 512; j++)
            pt_pd[i][j] = ((uint64_t)i << 30 | (uint64_t)j << 21) | 0x83;  /* P RW PS */
    }
    __asm__ __volatile__("mov %0, %%cr3" : : "r"((uint64_t)(uintptr_t)pt_pml4) : "memory");
}
static int a_mmio_write(void)
{
    if (mem + 0x10000 >= 4ull << 30) {
        guest_puts("hostile: mmio needs less than 4 GiB of guest memory");
        return 2;
    }
    own_page_tables();
    *(volatile uint32_t *)(uintptr_t)(mem + 0x10000) = 0x2a;
    return survived();
}
static int a_mmio_read(void)
{
    uint32_t v;

    if (mem + 0x10000 >= 4ull << 30) {
        guest_puts("hostile: mmio needs less than 4 GiB of guest memory");
        return 2;
    }
    own_page_tables();
    v = *(volatile uint32_t *)(uintptr_t)(mem + 0x10000);
    guest_printf("hostile: read 0x%x past the end of memory\n", v);
    return survived();
}

/* ---- the image's read-only memory (its code): the host maps those pages
 * read-only, so the guest cannot patch itself and the monitor must refuse to
 * write results there. _start is at the very start of the text segment. */
extern char _start[];
static int a_text_write(void)
{
    *(volatile uint8_t *)_start = 0x90;
    return survived();
}
static int a_walltime_arg_ro(void)
{
    hvt_outl(HVT_HYPERCALL_PIO_BASE + HVT_HYPERCALL_WALLTIME, (uint32_t)(uintptr_t)_start);
    return survived();
}
static int a_block_read_ro(void)
{
    int ret = block_raw(HVT_HYPERCALL_BLOCK_READ, hb, 0, (uint64_t)(uintptr_t)_start, bs);
    guest_printf("hostile: survived (ret=%d)\n", ret);
    return 0;
}

/* ---- the net ring (HVT_FEATURE_RING_IO): hostile entries and indices.
 * The monitor (its I/O thread after a WAKE kick, its vCPU thread after a
 * SERVE kick: ring-serve-*) must stop the guest with an error (fatal), or
 * drop a bad write and commit SOLO5_R_EINVAL for a bad read (ring-bad-*). */
static struct hvt_ring *ring_or_say(void)
{
    struct hvt_ring *r = guest_ring_init();

    if (!r)
        guest_puts("hostile: the monitor offers no net ring");
    return r;
}

static uint64_t rdtsc(void)
{
    uint32_t lo, hi;

    __asm__ __volatile__("rdtsc" : "=a"(lo), "=d"(hi));
    return (uint64_t)hi << 32 | lo;
}

/* Wait up to 2 s for the monitor to consume everything submitted, spinning
 * on the TSC with no VM exit: only the I/O thread's signal to the vCPU
 * thread can stop a guest that broke the ring while it waits here. */
static int ring_drained(volatile struct hvt_ring *r)
{
    uint64_t end = rdtsc() + 2 * guest_boot_info->cpu_cycle_freq;

    while (r->ent_head != r->ent_tail)
        if (rdtsc() > end)
            return 0;
    return 1;
}

/* Submit one entry, kicked with kick (WAKE: the I/O thread; SERVE: the vCPU
 * thread serves it itself), and see what the monitor made of it. */
static int ring_entry_by(uint32_t kick, uint32_t op, uint64_t handle, uint64_t data, uint32_t len)
{
    volatile struct hvt_ring *r = ring_or_say();

    if (!r)
        return 2;
    ring_drained(r);
    r->entries[r->ent_tail % HVT_RING_SIZE] = (struct hvt_ring_entry){
        .operation = op, .handle = (uint32_t)handle, .data = data, .len = len, .id = 7 };
    if (kick == HVT_RING_KICK_WAKE) {
        guest_ring_submit((struct hvt_ring *)r);
    } else {
        r->ent_tail = r->ent_tail + 1;
        hvt_outl(HVT_RING_KICK_PIO_BASE, kick);
    }
    if (!ring_drained(r)) {
        guest_puts("hostile: survived (neither served nor stopped within 2 s)");
        return 1;
    }
    if (op == HVT_RING_NET_READ && r->com_head != r->com_tail) {
        int ret = r->commits[r->com_head % HVT_RING_SIZE].ret;
        r->com_head = r->com_head + 1;
        return outcome(ret);
    }
    return survived();
}
static int ring_entry(uint32_t op, uint64_t handle, uint64_t data, uint32_t len)
{
    return ring_entry_by(HVT_RING_KICK_WAKE, op, handle, data, len);
}
static int a_ring_write_data(void) { return ring_entry(HVT_RING_NET_WRITE, hn, mem - 32, 64); }
static int a_ring_write_wrap(void) { return ring_entry(HVT_RING_NET_WRITE, hn, UINT64_MAX - 31, 64); }
static int a_ring_read_data(void) { return ring_entry(HVT_RING_NET_READ, hn, mem - 32, 2048); }
static int a_ring_read_wrap(void) { return ring_entry(HVT_RING_NET_READ, hn, UINT64_MAX - 31, 2048); }
static int a_ring_read_huge(void)
{
    return ring_entry(HVT_RING_NET_READ, hn, (uint64_t)(uintptr_t)buf, UINT32_MAX);
}
/* a read into the image's code: the monitor must not write there */
static int a_ring_read_ro(void)
{
    return ring_entry(HVT_RING_NET_READ, hn, (uint64_t)(uintptr_t)_start, 2048);
}
/* a read on the block device's handle: committed with EINVAL */
static int a_ring_bad_handle(void)
{
    return ring_entry(HVT_RING_NET_READ, hb, (uint64_t)(uintptr_t)buf, sizeof(buf));
}
/* ent_tail claims 5000 entries pending (the ring holds 1024); the same
 * kicked with SERVE (ring-serve-wild), which the vCPU thread serves itself */
static int tail_wild(uint32_t kick)
{
    volatile struct hvt_ring *r = ring_or_say();

    if (!r)
        return 2;
    r->ent_tail = r->ent_head + 5000;
    hvt_outl(HVT_RING_KICK_PIO_BASE, kick);
    ring_drained(r);
    return survived();
}
static int a_ring_tail_wild(void) { return tail_wild(HVT_RING_KICK_WAKE); }
static int a_ring_serve_wild(void) { return tail_wild(HVT_RING_KICK_SERVE); }
/* a write from outside guest memory, served by the vCPU thread */
static int a_ring_serve_data(void)
{
    return ring_entry_by(HVT_RING_KICK_SERVE, HVT_RING_NET_WRITE, hn, mem - 32, 64);
}
/* com_head runs 5000 ahead of the commits the monitor made, then a read */
static int a_ring_head_wild(void)
{
    volatile struct hvt_ring *r = ring_or_say();

    if (!r)
        return 2;
    r->com_head = r->com_tail + 5000;
    return ring_entry(HVT_RING_NET_READ, hn, (uint64_t)(uintptr_t)buf, sizeof(buf));
}

struct attack {
    const char *name;
    int (*fn)(void);
};

static const struct attack attacks[] = {
    { "walltime-arg", a_walltime_arg },
    { "puts-arg", a_puts_arg },
    { "puts-arg-far", a_puts_arg_far },
    { "poll-arg", a_poll_arg },
    { "block-write-arg", a_block_write_arg },
    { "block-read-arg", a_block_read_arg },
    { "net-write-arg", a_net_write_arg },
    { "net-read-arg", a_net_read_arg },
    { "halt-arg", a_halt_arg },
    { "puts-data", a_puts_data },
    { "puts-wrap", a_puts_wrap },
    { "puts-len", a_puts_len },
    { "puts-huge", a_puts_huge },
    { "block-read-data", a_block_read_data },
    { "block-read-wrap", a_block_read_wrap },
    { "block-write-data", a_block_write_data },
    { "block-write-wrap", a_block_write_wrap },
    { "block-read-huge", a_block_read_huge },
    { "block-len-wrap", a_block_len_wrap },
    { "net-read-data", a_net_read_data },
    { "net-read-wrap", a_net_read_wrap },
    { "net-read-huge", a_net_read_huge },
    { "net-write-data", a_net_write_data },
    { "net-write-wrap", a_net_write_wrap },
    { "net-write-huge", a_net_write_huge },
    { "halt-cookie", a_halt_cookie },
    { "halt-cookie-wrap", a_halt_cookie_wrap },
    { "hc0", a_hc0 },
    { "hc9", a_hc9 },
    { "hc255", a_hc255 },
    { "port-4ff", a_port_4ff },
    { "inb", a_inb },
    { "inl", a_inl },
    { "outb", a_outb },
    { "outw", a_outw },
    { "bad-handle", a_bad_handle },
    { "mft-tamper", a_mft_tamper },
    { "net-write-big", a_net_write_big },
    { "hlt", a_hlt },
    { "ud2", a_ud2 },
    { "int3", a_int3 },
    { "mmio-write", a_mmio_write },
    { "mmio-read", a_mmio_read },
    { "text-write", a_text_write },
    { "walltime-arg-ro", a_walltime_arg_ro },
    { "block-read-ro", a_block_read_ro },
    { "ring-write-data", a_ring_write_data },
    { "ring-write-wrap", a_ring_write_wrap },
    { "ring-read-data", a_ring_read_data },
    { "ring-read-wrap", a_ring_read_wrap },
    { "ring-read-huge", a_ring_read_huge },
    { "ring-read-ro", a_ring_read_ro },
    { "ring-bad-handle", a_ring_bad_handle },
    { "ring-tail-wild", a_ring_tail_wild },
    { "ring-head-wild", a_ring_head_wild },
    { "ring-serve-wild", a_ring_serve_wild },
    { "ring-serve-data", a_ring_serve_data },
};

int guest_main(int argc, char **argv)
{
    const struct mft_entry *b, *n;

    b = guest_mft_find("storage", MFT_DEV_BLOCK_BASIC, &hb);
    n = guest_mft_find("net0", MFT_DEV_NET_BASIC, &hn);
    if (!b || !n) {
        guest_puts("hostile: devices \"storage\" and \"net0\" missing from the manifest");
        return 2;
    }
    mem = guest_boot_info->mem_size;
    /* With the net ring, mem_size ends below it: the memory's real end is
     * the ring's end rounded up to uniroot-vmm's 2 MiB memory granule. */
    if (guest_boot_info->host_features & HVT_FEATURE_RING_IO)
        mem = (guest_boot_info->net_ring + sizeof(struct hvt_ring) + HVT_X86_PAGE_2M - 1) &
              ~(HVT_X86_PAGE_2M - 1);
    bs = b->u.block_basic.block_size;
    if (argc < 1) {
        guest_puts("hostile: usage: hostile ATTACK (or list)");
        return 2;
    }
    if (strcmp(argv[0], "list") == 0) {
        for (unsigned i = 0; i < sizeof(attacks) / sizeof(attacks[0]); i++)
            guest_printf("attack: %s\n", attacks[i].name);
        return 0;
    }
    for (unsigned i = 0; i < sizeof(attacks) / sizeof(attacks[0]); i++) {
        if (strcmp(argv[0], attacks[i].name) == 0) {
            guest_printf("hostile: %s (mem_size=0x%llx)\n", attacks[i].name,
                         (unsigned long long)mem);
            return attacks[i].fn();
        }
    }
    guest_printf("hostile: unknown attack %s\n", argv[0]);
    return 2;
}
