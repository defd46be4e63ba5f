/* kernel.c: a look at the unikernel binary before the monitor is started, so
 * a mismatch gets a clear create error instead of a monitor failure. The
 * binary is read by the monitors' own image reader (runtime/tender/image.h,
 * fuzzed by tests/fuzz): an x86_64 Solo5 ELF of the backend's target (an
 * image of the other target is named as such) and ABI version, whose manifest
 * lists the devices it expects. The file is read into memory (pread, bounded),
 * not mapped: a file cut short meanwhile cannot fault the runtime. */
#include "oci.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image.h"

#define KERNEL_READ_MAX (256ull << 20) /* imagefs.h's IMAGE_KERNEL_MAX */

static const char *target_name(uint32_t t)
{
    return t == SOLO5_ABI_TARGET_HVT ? "hvt" : t == SOLO5_ABI_TARGET_SPT ? "spt" : "unknown";
}

/* The whole file, into a malloc'ed buffer. */
static int read_whole(int fd, const char *path, uint8_t **out, size_t *len, struct ur_err *err)
{
    struct stat st;
    if (fstat(fd, &st) < 0)
        return ur_errf_sys(err, -errno, "cannot stat %s", path);
    if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size > KERNEL_READ_MAX)
        return ur_errf(err, -ENOEXEC, "%s is not a regular file of at most %llu MiB", path,
                       KERNEL_READ_MAX >> 20);
    size_t n = (size_t)st.st_size;
    uint8_t *buf = malloc(n ? n : 1);
    if (!buf)
        return ur_errf(err, -ENOMEM, "out of memory reading %s", path);
    size_t done = 0;
    while (done < n) {
        ssize_t r = pread(fd, buf + done, n - done, (off_t)done);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break; /* cut short: what was read is checked as the image */
        done += (size_t)r;
    }
    *out = buf;
    *len = done;
    return 0;
}

/* The reader's verdict on img for target, as one message naming path. */
static int check_target(const struct elf_image *img, const char *path, uint32_t target,
                        struct ur_err *err)
{
    struct ur_err e;
    if (elf_image_check_target(img, target, &e) == 0)
        return 0;
    static const uint32_t targets[] = {SOLO5_ABI_TARGET_HVT, SOLO5_ABI_TARGET_SPT};
    for (size_t i = 0; i < sizeof(targets) / sizeof(targets[0]); i++) {
        struct ur_err other;
        if (targets[i] != target && elf_image_check_target(img, targets[i], &other) == 0)
            return ur_errf(err, -ENOEXEC, "%s is built for Solo5 %s, not %s", path,
                           target_name(targets[i]), target_name(target));
    }
    return ur_errf(err, e.code, "%s is not a Solo5 %s unikernel: %s", path, target_name(target), e.msg);
}

int kernel_inspect_fd(int fd, const char *path, uint32_t target, struct kernel_info *ki,
                      struct ur_err *err)
{
    memset(ki, 0, sizeof(*ki));
    uint8_t *buf = NULL;
    size_t len = 0;
    int rc = read_whole(fd, path, &buf, &len, err);
    if (rc < 0)
        return rc;
    struct elf_image *img = NULL;
    struct mft *m = NULL;
    size_t msize;
    struct ur_err e;
    if ((rc = elf_image_open(&img, buf, len, &e)) < 0) {
        rc = ur_errf(err, rc, "%s is not a Solo5 %s unikernel: %s", path, target_name(target), e.msg);
        goto out;
    }
    if ((rc = check_target(img, path, target, err)) < 0)
        goto out;
    if ((rc = elf_image_manifest(img, &m, &msize, &e)) < 0) {
        rc = ur_errf(err, rc, "%s: %s", path, e.msg);
        goto out;
    }
    ki->abi_target = target;
    for (uint32_t i = 1; i < m->entries; i++) { /* entry 0 is the reserved one */
        if (ki->ndev >= KERNEL_MAX_DEVS) {
            rc = ur_errf(err, -ENOEXEC, "%s: too many manifest devices", path);
            goto out;
        }
        snprintf(ki->dev[ki->ndev].name, sizeof(ki->dev[0].name), "%s", m->e[i].name);
        ki->dev[ki->ndev].net = m->e[i].type == MFT_DEV_NET_BASIC;
        ki->ndev++;
    }
out:
    free(m);
    elf_image_close(img);
    free(buf);
    return rc;
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

const struct kernel_dev *kernel_find_dev(const struct kernel_info *ki, const char *name, bool net)
{
    for (unsigned i = 0; i < ki->ndev; i++)
        if (ki->dev[i].net == net && strcmp(ki->dev[i].name, name) == 0)
            return &ki->dev[i];
    return NULL;
}
