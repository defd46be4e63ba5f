/* vmm_fixture.h: helpers shared by the monitor's unit tests: a fake guest
 * (plain heap memory, no KVM) with a manifest, and an in-memory unikernel
 * image builder whose fields tests corrupt one at a time.
 */
#ifndef UNIROOT_TEST_VMM_FIXTURE_H
#define UNIROOT_TEST_VMM_FIXTURE_H

#include <elf.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vmm.h"

#define FAKE_MEM (4ull << 20)

/* A struct vmm over heap memory with a manifest of the given devices
 * (types[i] for entry i+1, named dev1, dev2, ...), its registry holding the
 * core module only. */
static inline struct vmm *fake_vmm(unsigned ndev, const uint32_t *types)
{
    struct vmm *v = calloc(1, sizeof(*v));
    v->t.mem_size = v->guest_top = FAKE_MEM;
    v->t.mem = calloc(1, FAKE_MEM);
    v->kvm_fd = v->vm_fd = v->vcpu_fd = -1;
    v->t.mft_size = sizeof(struct mft) + (ndev + 1) * sizeof(struct mft_entry);
    v->t.mft = calloc(1, v->t.mft_size);
    v->t.mft->version = MFT_VERSION;
    v->t.mft->entries = ndev + 1;
    v->t.mft->e[0].type = MFT_RESERVED_FIRST;
    for (unsigned i = 0; i < ndev; i++) {
        struct mft_entry *e = &v->t.mft->e[i + 1];
        e->type = types[i];
        e->name[0] = 'd', e->name[1] = 'e', e->name[2] = 'v', e->name[3] = (char)('1' + i);
    }
    /* only the core hypercalls: a test registers the device modules it uses */
    struct ur_err err = {0};
    v->reg.mon = &vmm_monitor;
    if (tender_register(&v->reg, &vmm_core_module, &err) < 0)
        abort();
    return v;
}

static inline void fake_vmm_free(struct vmm *v)
{
    free(v->t.mem);
    free(v->t.mft);
    free(v);
}

/* ---- unikernel image builder ---- */
#define IMG_SIZE 0x3000
#define IMG_TEXT_OFF 0x1000
#define IMG_LOAD 0x100000

struct test_image {
    uint8_t buf[IMG_SIZE];
    Elf64_Ehdr *eh;
    Elf64_Phdr *ph; /* [0] text LOAD, [1] data LOAD (bss), [2] ABI1 NOTE, [3] MFT1 NOTE */
    struct solo5_abi1_note *abi;
    struct solo5_nhdr *mft_h;
    struct mft *mft;
};

/* A valid image: text at 1 MiB (entry there), 64 KiB of bss, notes with ndev devices. */
static inline void image_build(struct test_image *t, unsigned ndev, const uint32_t *types)
{
    memset(t, 0, sizeof(*t));
    t->eh = (Elf64_Ehdr *)t->buf;
    Elf64_Ehdr *eh = t->eh;
    memcpy(eh->e_ident, ELFMAG, SELFMAG);
    eh->e_ident[EI_CLASS] = ELFCLASS64;
    eh->e_ident[EI_DATA] = ELFDATA2LSB;
    eh->e_ident[EI_VERSION] = EV_CURRENT;
    eh->e_type = ET_EXEC;
    eh->e_machine = EM_X86_64;
    eh->e_version = EV_CURRENT;
    eh->e_entry = IMG_LOAD;
    eh->e_phoff = sizeof(Elf64_Ehdr);
    eh->e_ehsize = sizeof(Elf64_Ehdr);
    eh->e_phentsize = sizeof(Elf64_Phdr);
    eh->e_phnum = 4;
    t->ph = (Elf64_Phdr *)(t->buf + eh->e_phoff);

    t->ph[0] = (Elf64_Phdr){.p_type = PT_LOAD, .p_flags = PF_R | PF_X, .p_offset = IMG_TEXT_OFF,
                            .p_vaddr = IMG_LOAD, .p_paddr = IMG_LOAD, .p_filesz = 0x1000,
                            .p_memsz = 0x1000, .p_align = 0x1000};
    t->ph[1] = (Elf64_Phdr){.p_type = PT_LOAD, .p_flags = PF_R | PF_W, .p_offset = 0x2000,
                            .p_vaddr = IMG_LOAD + 0x1000, .p_paddr = IMG_LOAD + 0x1000,
                            .p_filesz = 0x10, .p_memsz = 0x10000, .p_align = 0x1000};
    memset(t->buf + IMG_TEXT_OFF, 0xf4, 0x1000); /* hlt */
    memset(t->buf + 0x2000, 0xab, 0x10);

    size_t off = 0x200;
    t->abi = (struct solo5_abi1_note *)(t->buf + off);
    *t->abi = (struct solo5_abi1_note){{6, sizeof(struct solo5_abi1_info), SOLO5_NOTE_TYPE_ABI1, "Solo5"},
                                       {SOLO5_ABI_TARGET_HVT, HVT_ABI_VERSION, 0, 0}};
    t->ph[2] = (Elf64_Phdr){.p_type = PT_NOTE, .p_offset = off, .p_filesz = sizeof(*t->abi), .p_align = 4};

    off = 0x240;
    size_t msize = sizeof(struct mft) + (ndev + 1) * sizeof(struct mft_entry);
    t->mft_h = (struct solo5_nhdr *)(t->buf + off);
    *t->mft_h = (struct solo5_nhdr){6, (uint32_t)(MFT1_NOTE_DESC_PAD + msize), SOLO5_NOTE_TYPE_MFT1, "Solo5"};
    t->mft = (struct mft *)(t->buf + off + sizeof(struct solo5_nhdr) + MFT1_NOTE_DESC_PAD);
    t->mft->version = MFT_VERSION;
    t->mft->entries = ndev + 1;
    t->mft->e[0].type = MFT_RESERVED_FIRST;
    for (unsigned i = 0; i < ndev; i++) {
        t->mft->e[i + 1].type = types[i];
        memcpy(t->mft->e[i + 1].name, "dev", 3);
        t->mft->e[i + 1].name[3] = (char)('1' + i);
    }
    t->ph[3] = (Elf64_Phdr){.p_type = PT_NOTE, .p_offset = off,
                            .p_filesz = sizeof(struct solo5_nhdr) + MFT1_NOTE_DESC_PAD + msize,
                            .p_align = 8};
}

#endif
