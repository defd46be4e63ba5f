/* abi_note.c: the ABI1 note every guest carries (section .note.solo5.abi):
 * this image speaks hvt ABI version 2 (spt ABI version 2 when built with
 * -DGUEST_SPT). The linker script puts it in its own PT_NOTE segment. */
#include "guest.h"

#ifdef GUEST_SPT
#define GUEST_ABI_TARGET SOLO5_ABI_TARGET_SPT
#define GUEST_ABI_VERSION SPT_ABI_VERSION
#else
#define GUEST_ABI_TARGET SOLO5_ABI_TARGET_HVT
#define GUEST_ABI_VERSION HVT_ABI_VERSION
#endif

__attribute__((section(".note.solo5.abi"), used, aligned(4)))
const struct solo5_abi1_note guest_abi1_note = {
    .h = { .n_namesz = sizeof(SOLO5_NOTE_NAME),
           .n_descsz = sizeof(struct solo5_abi1_info),
           .n_type = SOLO5_NOTE_TYPE_ABI1,
           .n_name = SOLO5_NOTE_NAME },
    .i = { .abi_target = GUEST_ABI_TARGET, .abi_version = GUEST_ABI_VERSION },
};
