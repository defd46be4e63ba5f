/* mft.c: the application manifest, as read from the guest image.
 *
 * The manifest comes from an untrusted file, so it is validated before any
 * other code looks at it. Device modules then find entries by name (options)
 * or by index (the guest's handles).
 */
#include <errno.h>
#include <string.h>

#include "image.h"

int mft_validate(const struct mft *m, size_t size, struct ur_err *err)
{
    if (size < sizeof(*m))
        return ur_errf(err, -ENOEXEC, "manifest too small (%zu bytes)", size);
    if (m->version != MFT_VERSION)
        return ur_errf(err, -ENOEXEC, "manifest version %u, this monitor speaks %d",
                       m->version, MFT_VERSION);
    if (m->entries < 1 || m->entries > MFT_MAX_ENTRIES)
        return ur_errf(err, -ENOEXEC, "manifest has %u entries (must be 1..%d)",
                       m->entries, MFT_MAX_ENTRIES);
    if (size != sizeof(*m) + (size_t)m->entries * sizeof(struct mft_entry))
        return ur_errf(err, -ENOEXEC, "manifest size %zu does not match its %u entries",
                       size, m->entries);
    if (m->e[0].type != MFT_RESERVED_FIRST || m->e[0].name[0] != '\0')
        return ur_errf(err, -ENOEXEC, "manifest does not start with the reserved entry");
    for (unsigned i = 0; i < m->entries; i++) {
        const struct mft_entry *e = &m->e[i];
        if (memchr(e->name, '\0', MFT_NAME_SIZE) == NULL)
            return ur_errf(err, -ENOEXEC, "manifest entry %u: name not terminated", i);
        if (e->attached)
            return ur_errf(err, -ENOEXEC, "manifest entry %u: marked attached in the image", i);
        if (i == 0)
            continue;
        if (e->type != MFT_DEV_BLOCK_BASIC && e->type != MFT_DEV_NET_BASIC)
            return ur_errf(err, -ENOEXEC, "manifest entry %u ('%s'): unknown device type %u",
                           i, e->name, e->type);
        if (e->name[0] == '\0')
            return ur_errf(err, -ENOEXEC, "manifest entry %u: empty device name", i);
        for (unsigned j = 1; j < i; j++)
            if (strcmp(m->e[j].name, e->name) == 0)
                return ur_errf(err, -ENOEXEC, "manifest declares device '%s' twice", e->name);
    }
    return 0;
}

struct mft_entry *mft_find(struct mft *m, const char *name, uint32_t type)
{
    for (unsigned i = 1; i < m->entries; i++)
        if (m->e[i].type == type && strcmp(m->e[i].name, name) == 0)
            return &m->e[i];
    return NULL;
}

struct mft_entry *mft_at(struct mft *m, uint64_t index, uint32_t type)
{
    if (index == 0 || index >= m->entries || m->e[index].type != type || !m->e[index].attached)
        return NULL;
    return &m->e[index];
}

int mft_check_all_attached(const struct mft *m, struct ur_err *err)
{
    for (unsigned i = 1; i < m->entries; i++) {
        const struct mft_entry *e = &m->e[i];
        if (!e->attached)
            return ur_errf(err, -ENODEV, "the unikernel needs %s device '%s': give %s%s=%s",
                           mft_type_name(e->type), e->name,
                           e->type == MFT_DEV_BLOCK_BASIC ? "--block:" : "--net:", e->name,
                           e->type == MFT_DEV_BLOCK_BASIC ? "PATH" : "TAP");
    }
    return 0;
}

const char *mft_type_name(uint32_t type)
{
    switch (type) {
    case MFT_DEV_BLOCK_BASIC: return "block";
    case MFT_DEV_NET_BASIC: return "net";
    case MFT_RESERVED_FIRST: return "reserved";
    default: return "unknown";
    }
}
