/* btfhash.h: identity of a BTF blob (size and a 64-bit FNV-1a hash of the
 * bytes), used to tell whether the running kernel's BTF is the one the
 * embedded minimal BTF was generated from (see btfmin.h). Shared by the agent
 * and the build-time generator (userspace/helpers/btf_embed.c). */
#ifndef UNIROOTD_BTFHASH_H
#define UNIROOTD_BTFHASH_H

#include <stdint.h>

#include "err.h"

struct btf_id {
    uint64_t size;
    uint64_t hash;
};

/* Read path in small chunks (nothing large stays allocated) and fill *id. */
int btfhash_file(const char *path, struct btf_id *id, struct ur_err *err);

#endif
