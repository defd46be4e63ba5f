/* spt_abi_note.c: the ABI1 note of a guest built for spt (in place of
 * abi_note.c): this image speaks Solo5 spt ABI version 2. */
#include "guest.h"

__attribute__((section(".note.solo5.abi"), used, aligned(4)))
const struct solo5_abi1_note guest_abi1_note = {
    .h = { .n_namesz = sizeof(SOLO5_NOTE_NAME),
           .n_descsz = sizeof(struct solo5_abi1_info),
           .n_type = SOLO5_NOTE_TYPE_ABI1,
           .n_name = SOLO5_NOTE_NAME },
    .i = { .abi_target = SOLO5_ABI_TARGET_SPT, .abi_version = SPT_ABI_VERSION },
};
