/* btfmin.c: hand the embedded minimal BTF to libbpf when it fits the running
 * kernel (see btfmin.h). The blob and the identity of its source come from
 * the generated build/bpf/uniroot_min_btf.c. */
#include "btfmin.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "btfhash.h"

extern const unsigned char ur_min_btf[];
extern const size_t ur_min_btf_len;
extern const uint64_t ur_min_btf_src_size, ur_min_btf_src_hash;

size_t btfmin_size(void)
{
    return ur_min_btf_len;
}

int btfmin_open(const char *kernel_btf, char *path, size_t n, int *fd, struct ur_err *err)
{
    struct btf_id id;
    int rc = btfhash_file(kernel_btf, &id, err);
    if (rc < 0)
        return rc;
    if (ur_min_btf_len == 0)
        return ur_errf(err, -ENOENT, "no minimal BTF was embedded at build time");
    if (id.size != ur_min_btf_src_size || id.hash != ur_min_btf_src_hash)
        return ur_errf(err, -ESTALE,
                       "%s (%llu bytes, hash %016llx) is not the BTF the build was cut from "
                       "(%llu bytes, hash %016llx)", kernel_btf, (unsigned long long)id.size,
                       (unsigned long long)id.hash, (unsigned long long)ur_min_btf_src_size,
                       (unsigned long long)ur_min_btf_src_hash);
    int m = memfd_create("uniroot-min-btf", MFD_CLOEXEC);
    if (m < 0)
        return ur_errf_sys(err, -errno, "memfd_create");
    for (size_t off = 0; off < ur_min_btf_len;) {
        ssize_t w = write(m, ur_min_btf + off, ur_min_btf_len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            int e = w < 0 ? -errno : -EIO;
            close(m);
            return ur_errf_sys(err, e, "write the minimal BTF");
        }
        off += (size_t)w;
    }
    snprintf(path, n, "/proc/self/fd/%d", m);
    *fd = m;
    return 0;
}
