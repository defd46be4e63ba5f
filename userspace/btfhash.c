/* btfhash.c: size + FNV-1a 64 of a file, read in 64 KiB chunks (see btfhash.h). */
#include "btfhash.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

int btfhash_file(const char *path, struct btf_id *id, struct ur_err *err)
{
    unsigned char buf[64 * 1024];
    uint64_t h = 14695981039346656037ull, n = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return ur_errf_sys(err, -errno, "open %s", path);
    for (;;) {
        ssize_t r = read(fd, buf, sizeof(buf));
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            int e = -errno;
            close(fd);
            return ur_errf_sys(err, e, "read %s", path);
        }
        if (r == 0)
            break;
        for (ssize_t i = 0; i < r; i++)
            h = (h ^ buf[i]) * 1099511628211ull;
        n += (uint64_t)r;
    }
    close(fd);
    id->size = n;
    id->hash = h;
    return 0;
}
