/* elf_image.c: read a unikernel image with libelf and load it into guest memory.
 *
 * The image is hostile input. libelf validates the ELF and program headers;
 * everything derived from them (segment ranges, note sizes) is bounds-checked
 * here against the file and against guest memory before a byte is copied.
 * Solo5 notes are parsed by hand because their descriptors follow Solo5's own
 * alignment rule (4-byte padded name, then the descriptor, with MFT1 holding
 * 4 more bytes of padding inside n_descsz), not the ELF ABI's.
 */
#include <errno.h>
#include <gelf.h>
#include <libelf.h>
#include <stdlib.h>
#include <string.h>

#include "image.h"

struct elf_image {
    Elf *elf;
    const uint8_t *buf;
    size_t len;
    const Elf64_Ehdr *eh;
    const Elf64_Phdr *ph;
    size_t phnum;
};

static bool add_overflows(uint64_t a, uint64_t b, uint64_t *sum)
{
    return __builtin_add_overflow(a, b, sum);
}

int elf_image_open(struct elf_image **out, const void *buf, size_t len, struct ur_err *err)
{
    *out = NULL;
    if (elf_version(EV_CURRENT) == EV_NONE)
        return ur_errf(err, -ENOSYS, "libelf: %s", elf_errmsg(-1));
    if (len < EI_NIDENT || memcmp(buf, ELFMAG, SELFMAG) != 0)
        return ur_errf(err, -ENOEXEC, "not an ELF file");
    struct elf_image *img = calloc(1, sizeof(*img));
    if (!img)
        return ur_errf(err, -ENOMEM, "out of memory");
    img->buf = buf;
    img->len = len;
    int rc;
    img->elf = elf_memory((char *)buf, len);
    if (!img->elf || elf_kind(img->elf) != ELF_K_ELF) {
        rc = ur_errf(err, -ENOEXEC, "not a valid ELF file: %s", elf_errmsg(-1));
        goto fail;
    }
    if (gelf_getclass(img->elf) != ELFCLASS64) {
        rc = ur_errf(err, -ENOEXEC, "not a 64-bit ELF file");
        goto fail;
    }
    img->eh = elf64_getehdr(img->elf);
    if (!img->eh) {
        rc = ur_errf(err, -ENOEXEC, "bad ELF header: %s", elf_errmsg(-1));
        goto fail;
    }
    const Elf64_Ehdr *eh = img->eh;
    if (eh->e_ident[EI_DATA] != ELFDATA2LSB || eh->e_machine != EM_X86_64) {
        rc = ur_errf(err, -ENOEXEC, "not an x86_64 image (machine %u)", eh->e_machine);
        goto fail;
    }
    if (eh->e_ident[EI_OSABI] != ELFOSABI_NONE && eh->e_ident[EI_OSABI] != ELFOSABI_FREEBSD) {
        rc = ur_errf(err, -ENOEXEC, "unsupported ELF OS ABI %u", eh->e_ident[EI_OSABI]);
        goto fail;
    }
    if (eh->e_type != ET_EXEC) {
        rc = ur_errf(err, -ENOEXEC, "not a statically linked executable (ELF type %u)", eh->e_type);
        goto fail;
    }
    /* libelf hands back the table in place: it must be aligned and sized as ours. */
    if (eh->e_phentsize != sizeof(Elf64_Phdr) || eh->e_phoff % _Alignof(Elf64_Phdr) != 0 ||
        ((uintptr_t)buf % _Alignof(Elf64_Phdr)) != 0) {
        rc = ur_errf(err, -ENOEXEC, "bad program header table (offset %llu, entry size %u)",
                     (unsigned long long)eh->e_phoff, eh->e_phentsize);
        goto fail;
    }
    if (elf_getphdrnum(img->elf, &img->phnum) != 0 || img->phnum == 0 ||
        !(img->ph = elf64_getphdr(img->elf))) {
        rc = ur_errf(err, -ENOEXEC, "bad or missing program headers");
        goto fail;
    }
    /* libelf checked the table fits; check each entry's file range ourselves. */
    for (size_t i = 0; i < img->phnum; i++) {
        uint64_t end;
        const Elf64_Phdr *p = &img->ph[i];
        if (p->p_type != PT_LOAD && p->p_type != PT_NOTE)
            continue;
        if (add_overflows(p->p_offset, p->p_filesz, &end) || end > len) {
            rc = ur_errf(err, -ENOEXEC, "program header %zu lies outside the file", i);
            goto fail;
        }
    }
    *out = img;
    return 0;
fail:
    elf_image_close(img);
    return rc;
}

void elf_image_close(struct elf_image *img)
{
    if (!img)
        return;
    if (img->elf)
        elf_end(img->elf);
    free(img);
}

/* Find the Solo5 note of the given type; desc and descsz point into the file. */
static int find_solo5_note(const struct elf_image *img, uint32_t type, const uint8_t **desc,
                           uint32_t *descsz, struct ur_err *err)
{
    for (size_t i = 0; i < img->phnum; i++) {
        const Elf64_Phdr *p = &img->ph[i];
        if (p->p_type != PT_NOTE)
            continue;
        const uint8_t *seg = img->buf + p->p_offset;
        uint64_t off = 0;
        while (p->p_filesz - off >= 12) {
            uint32_t hdr[3];
            memcpy(hdr, seg + off, sizeof(hdr));
            if (hdr[0] == 0) { /* no Solo5 note has an empty name */
                off += 4; /* alignment padding between notes sharing a segment */
                continue;
            }
            uint64_t name_len = ((uint64_t)hdr[0] + 3) & ~3ull;
            uint64_t desc_len = ((uint64_t)hdr[1] + 3) & ~3ull;
            uint64_t desc_off = off + 12 + name_len;
            if (desc_off > p->p_filesz || hdr[1] > p->p_filesz - desc_off)
                return ur_errf(err, -ENOEXEC, "ELF note overruns its segment");
            if (hdr[0] == sizeof(SOLO5_NOTE_NAME) && hdr[2] == type &&
                memcmp(seg + off + 12, SOLO5_NOTE_NAME, sizeof(SOLO5_NOTE_NAME)) == 0) {
                *desc = seg + desc_off;
                *descsz = hdr[1];
                return 0;
            }
            off = desc_off + desc_len;
        }
    }
    return -ENOENT;
}

/* The image's ABI1 note must name Solo5 target `target` (hvt or spt) and the
 * ABI version this project speaks for it. */
int elf_image_check_target(const struct elf_image *img, uint32_t target, struct ur_err *err)
{
    const char *name = target == SOLO5_ABI_TARGET_SPT ? "spt" : "hvt";
    uint32_t version = target == SOLO5_ABI_TARGET_SPT ? SPT_ABI_VERSION : HVT_ABI_VERSION;
    const uint8_t *desc;
    uint32_t size;
    int rc = find_solo5_note(img, SOLO5_NOTE_TYPE_ABI1, &desc, &size, err);
    if (rc == -ENOENT)
        return ur_errf(err, -ENOEXEC, "not a Solo5 unikernel (no ABI1 note)");
    if (rc < 0)
        return rc;
    struct solo5_abi1_info info;
    if (size != sizeof(info))
        return ur_errf(err, -ENOEXEC, "bad Solo5 ABI1 note (%u bytes)", size);
    memcpy(&info, desc, sizeof(info));
    if (info.abi_target != target)
        return ur_errf(err, -ENOEXEC, "unikernel built for Solo5 target %u, not %s (%u)",
                       info.abi_target, name, target);
    if (info.abi_version != version)
        return ur_errf(err, -ENOEXEC, "unikernel built for %s ABI version %u, this monitor "
                       "speaks version %u", name, info.abi_version, version);
    return 0;
}

int elf_image_check_abi(const struct elf_image *img, struct ur_err *err)
{
    return elf_image_check_target(img, SOLO5_ABI_TARGET_HVT, err);
}

int elf_image_manifest(const struct elf_image *img, struct mft **out, size_t *out_size,
                       struct ur_err *err)
{
    const uint8_t *desc;
    uint32_t size;
    int rc = find_solo5_note(img, SOLO5_NOTE_TYPE_MFT1, &desc, &size, err);
    if (rc == -ENOENT)
        return ur_errf(err, -ENOEXEC, "not a Solo5 unikernel (no manifest note)");
    if (rc < 0)
        return rc;
    size_t max = MFT1_NOTE_DESC_PAD + sizeof(struct mft) + MFT_MAX_ENTRIES * sizeof(struct mft_entry);
    if (size <= MFT1_NOTE_DESC_PAD || size > max)
        return ur_errf(err, -ENOEXEC, "bad manifest note size (%u bytes)", size);
    size_t msize = size - MFT1_NOTE_DESC_PAD;
    struct mft *m = malloc(msize);
    if (!m)
        return ur_errf(err, -ENOMEM, "out of memory");
    memcpy(m, desc + MFT1_NOTE_DESC_PAD, msize);
    if ((rc = mft_validate(m, msize, err)) < 0) {
        free(m);
        return ur_err_wrap(err, "bad manifest");
    }
    *out = m;
    *out_size = msize;
    return 0;
}

/* Load every PT_LOAD segment into mem (zero-filled, mem_size bytes) after
 * checking all of them: nothing is written unless the whole image fits.
 * Segments may not be both writable and executable, and no two segments may
 * share a page (solo5-hvt refuses both too), so every page has one set of
 * permissions. *ro receives the pages of the segments that are not writable,
 * those of executable segments marked exec, for the caller to protect. */
int elf_image_load(const struct elf_image *img, uint8_t *mem, uint64_t mem_size,
                   uint64_t *entry, uint64_t *kernel_end, struct tender_ro *ro, struct ur_err *err)
{
    uint64_t top = 0;
    ro->n = 0;
    bool entry_ok = false;
    unsigned nload = 0;
    const uint64_t ep = img->eh->e_entry;

    for (size_t i = 0; i < img->phnum; i++) {
        const Elf64_Phdr *p = &img->ph[i];
        if (p->p_type != PT_LOAD || p->p_memsz == 0)
            continue;
        uint64_t end;
        if (p->p_filesz > p->p_memsz)
            return ur_errf(err, -ENOEXEC, "segment %zu: file size larger than memory size", i);
        if (p->p_paddr < HVT_GUEST_MIN_BASE)
            return ur_errf(err, -ENOEXEC, "segment %zu at 0x%llx: below the lowest load "
                           "address 0x%x", i, (unsigned long long)p->p_paddr, HVT_GUEST_MIN_BASE);
        if (add_overflows(p->p_paddr, p->p_memsz, &end) || end > mem_size)
            return ur_errf(err, -ENOEXEC, "segment %zu (0x%llx + 0x%llx bytes) does not fit in "
                           "%llu MiB of guest memory", i, (unsigned long long)p->p_paddr,
                           (unsigned long long)p->p_memsz, (unsigned long long)(mem_size >> 20));
        /* The segment's pages (end <= mem_size: no overflow). */
        uint64_t lo = p->p_paddr & ~0xfffull, hi = (end + 0xfff) & ~0xfffull;
        for (size_t j = 0; j < i; j++) {
            const Elf64_Phdr *q = &img->ph[j];
            if (q->p_type != PT_LOAD || q->p_memsz == 0)
                continue;
            uint64_t qlo = q->p_paddr & ~0xfffull, qhi = (q->p_paddr + q->p_memsz + 0xfff) & ~0xfffull;
            if (lo < qhi && qlo < hi)
                return ur_errf(err, -ENOEXEC, "segments %zu and %zu overlap or share a page "
                               "(at 0x%llx)", j, i, (unsigned long long)(lo > qlo ? lo : qlo));
        }
        if ((p->p_flags & PF_W) && (p->p_flags & PF_X))
            return ur_errf(err, -ENOEXEC, "segment %zu is both writable and executable", i);
        if ((p->p_flags & PF_X) && ep >= p->p_paddr && ep < end)
            entry_ok = true;
        if (!(p->p_flags & PF_W)) {
            if (ro->n == TENDER_MAX_RO)
                return ur_errf(err, -ENOEXEC, "more than %d read-only segments", TENDER_MAX_RO);
            ro->start[ro->n] = lo;
            ro->end[ro->n] = hi;
            ro->exec[ro->n] = (p->p_flags & PF_X) != 0;
            ro->n++;
        }
        if (end > top)
            top = end;
        nload++;
    }
    if (nload == 0)
        return ur_errf(err, -ENOEXEC, "no loadable segments");
    if (!entry_ok)
        return ur_errf(err, -ENOEXEC, "entry point 0x%llx is not in an executable segment",
                       (unsigned long long)ep);
    top = (top + 0xfff) & ~0xfffull;
    if (top >= mem_size)
        return ur_errf(err, -ENOEXEC, "image leaves no guest memory for the stack");

    /* All checked: copy. Guest memory is fresh anonymous memory, already zero,
     * so the .bss tails are not touched (untouched pages cost no RSS). */
    for (size_t i = 0; i < img->phnum; i++) {
        const Elf64_Phdr *p = &img->ph[i];
        if (p->p_type != PT_LOAD || p->p_memsz == 0)
            continue;
        memcpy(mem + p->p_paddr, img->buf + p->p_offset, p->p_filesz);
    }
    *entry = ep;
    *kernel_end = top;
    return 0;
}
