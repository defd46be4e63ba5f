/* image.h: the unikernel image reader and the manifest, shared by both
 * monitors, uniroot-mkimage and the OCI runtime's binary check.
 *
 * The image is hostile input: elf_image_open() and the checks below bounds-
 * check everything before a byte is used (tests/fuzz/fuzz_elf_image.c). The
 * manifest returned by elf_image_manifest() is validated (mft_validate()).
 * Nothing here knows a monitor: no KVM, no guest memory beyond the buffer
 * elf_image_load() is given.
 */
#ifndef UNIROOT_TENDER_IMAGE_H
#define UNIROOT_TENDER_IMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "solo5_abi.h"

/* Guest ranges the image declares read-only (code, constants): the pages of
 * its segments that are not writable, sorted, page-aligned. Those with exec
 * set are the image's executable segments; everything else is no-execute. */
#define TENDER_MAX_RO 8
struct tender_ro {
    uint64_t start[TENDER_MAX_RO], end[TENDER_MAX_RO];
    bool exec[TENDER_MAX_RO];
    unsigned n;
};

/* ---- elf_image.c */
struct elf_image;
/* Parse buf (len bytes, kept, not copied: it must outlive img). */
int elf_image_open(struct elf_image **out, const void *buf, size_t len, struct ur_err *err);
void elf_image_close(struct elf_image *img);
/* The image is a Solo5 hvt guest of the ABI version this monitor speaks. */
int elf_image_check_abi(const struct elf_image *img, struct ur_err *err);
/* The image is a Solo5 guest of target (SOLO5_ABI_TARGET_HVT or _SPT) and its ABI version. */
int elf_image_check_target(const struct elf_image *img, uint32_t target, struct ur_err *err);
/* A validated, malloc'd copy of the image's manifest. */
int elf_image_manifest(const struct elf_image *img, struct mft **out, size_t *out_size,
                       struct ur_err *err);
/* Copy the image's segments into mem (guest address 0 at mem[0], mem_size bytes). */
int elf_image_load(const struct elf_image *img, uint8_t *mem, uint64_t mem_size, uint64_t *entry,
                   uint64_t *kernel_end, struct tender_ro *ro, struct ur_err *err);

/* ---- mft.c */
int mft_validate(const struct mft *m, size_t size, struct ur_err *err);
struct mft_entry *mft_find(struct mft *m, const char *name, uint32_t type);
struct mft_entry *mft_at(struct mft *m, uint64_t index, uint32_t type);
int mft_check_all_attached(const struct mft *m, struct ur_err *err);
const char *mft_type_name(uint32_t type);

#endif
