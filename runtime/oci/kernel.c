/* kernel.c: a look at the unikernel binary before the VMM is started, so a
 * mismatch gets a clear create error instead of a monitor failure: it must be
 * an x86_64 ELF carrying Solo5's ABI note for hvt, and its manifest (MFT1
 * note) lists the devices it expects. Only headers and note segments are
 * read (pread), each bounded; hostile input gives an error, never a crash. */
#include "oci.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "solo5_abi.h"

#define MAX_NOTE_SEGMENT (256u * 1024u)

static int read_at(int fd, void *buf, size_t n, off_t off)
{
    size_t done = 0;
    while (done < n) {
        ssize_t r = pread(fd, (char *)buf + done, n - done, off + (off_t)done);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -EIO;
        done += (size_t)r;
    }
    return 0;
}

/* Walk the notes of one PT_NOTE segment. */
static int parse_notes(const uint8_t *p, size_t len, struct kernel_info *ki, struct ur_err *err)
{
    size_t off = 0;
    while (off + sizeof(Elf64_Nhdr) <= len) {
        Elf64_Nhdr nh;
        memcpy(&nh, p + off, sizeof(nh));
        size_t name_off = off + sizeof(nh);
        size_t name_sz = ((size_t)nh.n_namesz + 3) & ~(size_t)3;
        size_t desc_off = name_off + name_sz;
        size_t desc_sz = ((size_t)nh.n_descsz + 3) & ~(size_t)3;
        if (nh.n_namesz > len || nh.n_descsz > len || desc_off > len || desc_sz > len - desc_off)
            return ur_errf(err, -ENOEXEC, "malformed ELF note");
        bool solo5 = nh.n_namesz == sizeof(SOLO5_NOTE_NAME) &&
                     memcmp(p + name_off, SOLO5_NOTE_NAME, sizeof(SOLO5_NOTE_NAME)) == 0;
        if (solo5 && nh.n_type == SOLO5_NOTE_TYPE_ABI1 && nh.n_descsz >= sizeof(struct solo5_abi1_info)) {
            struct solo5_abi1_info ai;
            memcpy(&ai, p + desc_off, sizeof(ai));
            ki->has_abi = true;
            ki->abi_target = ai.abi_target;
            ki->abi_version = ai.abi_version;
        } else if (solo5 && nh.n_type == SOLO5_NOTE_TYPE_MFT1 &&
                   nh.n_descsz >= MFT1_NOTE_DESC_PAD + sizeof(struct mft)) {
            struct mft m;
            const uint8_t *d = p + desc_off + MFT1_NOTE_DESC_PAD;
            size_t dlen = nh.n_descsz - MFT1_NOTE_DESC_PAD;
            memcpy(&m, d, sizeof(m));
            if (m.entries > MFT_MAX_ENTRIES || sizeof(m) + (size_t)m.entries * sizeof(struct mft_entry) > dlen)
                return ur_errf(err, -ENOEXEC, "malformed Solo5 manifest");
            ki->has_manifest = true;
            for (uint32_t i = 0; i < m.entries; i++) {
                struct mft_entry e;
                memcpy(&e, d + sizeof(m) + i * sizeof(e), sizeof(e));
                if (!memchr(e.name, '\0', sizeof(e.name)))
                    return ur_errf(err, -ENOEXEC, "malformed Solo5 manifest entry name");
                if (e.type != MFT_DEV_BLOCK_BASIC && e.type != MFT_DEV_NET_BASIC)
                    continue;
                if (ki->ndev >= KERNEL_MAX_DEVS)
                    return ur_errf(err, -ENOEXEC, "too many manifest devices");
                snprintf(ki->dev[ki->ndev].name, sizeof(ki->dev[0].name), "%s", e.name);
                ki->dev[ki->ndev].net = e.type == MFT_DEV_NET_BASIC;
                ki->ndev++;
            }
        }
        off = desc_off + desc_sz;
    }
    return 0;
}

int kernel_inspect(const char *path, uint32_t target, struct kernel_info *ki, struct ur_err *err)
{
    memset(ki, 0, sizeof(*ki));
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (fd < 0)
        return ur_errf_sys(err, -errno, "cannot open unikernel %s", path);
    int rc = kernel_inspect_fd(fd, path, target, ki, err);
    close(fd);
    return rc;
}

static const char *target_name(uint32_t t)
{
    return t == SOLO5_ABI_TARGET_HVT ? "hvt" : t == SOLO5_ABI_TARGET_SPT ? "spt" : "an unknown target";
}

int kernel_inspect_fd(int fd, const char *path, uint32_t target, struct kernel_info *ki,
                      struct ur_err *err)
{
    memset(ki, 0, sizeof(*ki));
    int rc = 0;
    uint8_t *seg = NULL;
    Elf64_Ehdr eh;
    if (read_at(fd, &eh, sizeof(eh), 0) < 0 || memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0) {
        rc = ur_errf(err, -ENOEXEC, "%s is not an ELF file", path);
        goto out;
    }
    if (eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_machine != EM_X86_64) {
        rc = ur_errf(err, -ENOEXEC, "%s is not an x86_64 ELF (uniroot runs x86_64 Solo5 guests)", path);
        goto out;
    }
    if (eh.e_phentsize != sizeof(Elf64_Phdr) || eh.e_phnum == 0 || eh.e_phnum > 64) {
        rc = ur_errf(err, -ENOEXEC, "%s has no usable program headers", path);
        goto out;
    }
    for (unsigned i = 0; i < eh.e_phnum && rc == 0; i++) {
        Elf64_Phdr ph;
        if (read_at(fd, &ph, sizeof(ph), (off_t)(eh.e_phoff + i * sizeof(ph))) < 0) {
            rc = ur_errf(err, -ENOEXEC, "%s: truncated program headers", path);
            break;
        }
        if (ph.p_type != PT_NOTE)
            continue;
        if (ph.p_filesz > MAX_NOTE_SEGMENT) {
            rc = ur_errf(err, -ENOEXEC, "%s: note segment too large", path);
            break;
        }
        free(seg);
        seg = malloc(ph.p_filesz ? ph.p_filesz : 1);
        if (!seg) {
            rc = ur_errf(err, -ENOMEM, "out of memory");
            break;
        }
        if (read_at(fd, seg, ph.p_filesz, (off_t)ph.p_offset) < 0) {
            rc = ur_errf(err, -ENOEXEC, "%s: truncated note segment", path);
            break;
        }
        if ((rc = parse_notes(seg, ph.p_filesz, ki, err)) < 0)
            ur_err_wrap(err, "%s", path);
    }
    if (rc == 0 && !ki->has_abi)
        rc = ur_errf(err, -ENOEXEC, "%s is not a Solo5 unikernel (no Solo5 ABI note)", path);
    else if (rc == 0 && ki->abi_target != target)
        rc = ur_errf(err, -ENOEXEC, "%s is built for Solo5 %s, not %s", path,
                     target_name(ki->abi_target), target_name(target));
    else if (rc == 0 && ki->abi_version != (target == SOLO5_ABI_TARGET_SPT ? SPT_ABI_VERSION : HVT_ABI_VERSION))
        rc = ur_errf(err, -ENOEXEC, "%s uses %s ABI version %u; uniroot's monitor speaks version %u",
                     path, target_name(target), ki->abi_version,
                     target == SOLO5_ABI_TARGET_SPT ? SPT_ABI_VERSION : HVT_ABI_VERSION);
out:
    free(seg);
    return rc;
}

const struct kernel_dev *kernel_find_dev(const struct kernel_info *ki, const char *name, bool net)
{
    for (unsigned i = 0; i < ki->ndev; i++)
        if (ki->dev[i].net == net && strcmp(ki->dev[i].name, name) == 0)
            return &ki->dev[i];
    return NULL;
}
