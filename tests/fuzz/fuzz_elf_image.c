/* fuzz_elf_image.c: libFuzzer target for the monitors' image reader: any
 * byte string goes through elf_image_open, the ABI and manifest checks and
 * the loader into a small guest memory. Nothing may crash, read or write
 * out of bounds (ASan), or hit undefined behaviour (UBSan); an accepted
 * image must have landed inside guest memory. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "image.h"

#define MEM (4u << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t *mem;
    if (!mem)
        mem = calloc(1, MEM);
    /* libFuzzer's buffer is read-only in spirit; the reader wants its own copy. */
    uint8_t *copy = malloc(size ? size : 1);
    memcpy(copy, data, size);
    struct elf_image *img = NULL;
    struct ur_err err = {0};
    if (elf_image_open(&img, copy, size, &err) == 0) {
        struct mft *m = NULL;
        size_t msize;
        uint64_t entry, end;
        struct tender_ro ro;
        (void)elf_image_check_abi(img, &err);
        if (elf_image_manifest(img, &m, &msize, &err) == 0) {
            if (mft_validate(m, msize, &err) != 0)
                abort(); /* the reader must only return validated manifests */
            free(m);
        }
        if (elf_image_load(img, mem, MEM, &entry, &end, &ro, &err) == 0) {
            if (entry < HVT_GUEST_MIN_BASE || entry >= MEM || end > MEM || ro.n > TENDER_MAX_RO)
                abort();
            for (unsigned i = 0; i < ro.n; i++)
                if (ro.start[i] >= ro.end[i] || ro.end[i] > MEM || (ro.start[i] | ro.end[i]) & 0xfff)
                    abort();
        }
        elf_image_close(img);
    }
    free(copy);
    return 0;
}
