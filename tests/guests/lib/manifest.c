/* manifest.c: look devices up in the monitor's copy of the manifest
 * (boot_info->mft), which carries what the monitor filled in: capacity and
 * block size for block devices, MAC and MTU for network devices. */
#include "guest.h"

/* Compare a manifest name (MFT_NAME_SIZE bytes, maybe unterminated). */
static int name_eq(const char *mft_name, const char *name)
{
    size_t i;

    for (i = 0; i < MFT_NAME_SIZE && name[i]; i++)
        if (mft_name[i] != name[i])
            return 0;
    return i < MFT_NAME_SIZE && mft_name[i] == '\0';
}

const struct mft_entry *guest_mft_find(const char *name, uint32_t type, uint64_t *handle)
{
    const struct mft *m;

    if (!guest_boot_info || !guest_boot_info->mft)
        return NULL;
    m = (const struct mft *)(uintptr_t)guest_boot_info->mft;
    if (m->version != MFT_VERSION || m->entries > MFT_MAX_ENTRIES)
        return NULL;
    for (uint32_t i = 1; i < m->entries; i++) {
        if (m->e[i].type == type && name_eq(m->e[i].name, name)) {
            if (handle)
                *handle = i;
            return &m->e[i];
        }
    }
    return NULL;
}
