/* decide.c: uniroot-bench-decide, times the runtime's rootfs decision on a
 * busy host. In a private mount namespace it mounts DEVICE (ext4) on a
 * rootfs directory, adds N unrelated bind mounts, then times rootfs_find()
 * with the real probes: (a) through a verified dev.uniroot.rootfs annotation
 * (O(1) stat checks) and (c) through libmount (reads the whole mount table),
 * the agent step skipped (no socket). Prints median and p99 of each.
 *
 *   uniroot-bench-decide DEVICE WORKDIR MOUNTS ITERATIONS
 */
#include "rootfs.h"

#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Time n decisions; prints one line and returns the median in ns. */
static uint64_t run(const char *label, const char *ann, const char *bundle, const char *rootfs,
                    int n, enum rootfs_source want)
{
    uint64_t *t = calloc((size_t)n, sizeof(*t));
    struct rootfs_found f;
    struct ur_err e;
    for (int i = 0; i < n; i++) {
        uint64_t t0 = now_ns();
        int rc = rootfs_find(&rootfs_probes_real, ann, bundle, rootfs, &f, &e);
        t[i] = now_ns() - t0;
        if (rc < 0 || f.source != want || f.rec.type != ROOTFS_BLOCK) {
            fprintf(stderr, "decide: %s: unexpected result (rc %d, %s): %s\n", label, rc,
                    rootfs_source_name(f.source), rc < 0 ? e.msg : f.trace);
            exit(1);
        }
    }
    qsort(t, (size_t)n, sizeof(*t), cmp_u64);
    uint64_t med = t[n / 2];
    printf("%-34s median %9.1f us   p99 %9.1f us   (%d runs)\n", label, med / 1e3,
           t[(n * 99) / 100] / 1e3, n);
    free(t);
    return med;
}

int main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: uniroot-bench-decide DEVICE WORKDIR MOUNTS ITERATIONS\n");
        return 2;
    }
    const char *dev = argv[1], *work = argv[2];
    int nmounts = atoi(argv[3]), iters = atoi(argv[4]);
    if (iters < 1 || nmounts < 0) {
        fprintf(stderr, "decide: bad numbers\n");
        return 2;
    }
    if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
        perror("decide: private mount namespace");
        return 1;
    }
    char bundle[4096], rootfs[4200], src[4200], dir[4300];
    snprintf(bundle, sizeof(bundle), "%s/bundle", work);
    snprintf(rootfs, sizeof(rootfs), "%s/rootfs", bundle);
    snprintf(src, sizeof(src), "%s/src", work);
    mkdir(bundle, 0755);
    mkdir(rootfs, 0755);
    mkdir(src, 0755);
    if (mount(dev, rootfs, "ext4", 0, NULL) < 0) {
        fprintf(stderr, "decide: mount %s: %s\n", dev, strerror(errno));
        return 1;
    }
    /* unrelated mounts, made after the rootfs so a backward search meets them first */
    for (int i = 0; i < nmounts; i++) {
        snprintf(dir, sizeof(dir), "%s/m%d", work, i);
        mkdir(dir, 0755);
        if (mount(src, dir, NULL, MS_BIND, NULL) < 0) {
            fprintf(stderr, "decide: bind mount %d: %s\n", i, strerror(errno));
            return 1;
        }
    }
    struct stat st;
    if (stat(dev, &st) < 0) {
        perror("decide: stat device");
        return 1;
    }
    char ann[512];
    snprintf(ann, sizeof(ann),
             "{\"version\":1,\"type\":\"block\",\"device\":\"%s\",\"major\":%u,\"minor\":%u,"
             "\"fstype\":\"ext4\",\"observed_by\":\"bench\"}",
             dev, major(st.st_rdev), minor(st.st_rdev));
    setenv("UNIROOT_AGENT_SOCKET", "/nonexistent/unirootd.sock", 1);
    printf("rootfs decision with %d unrelated mounts on the host:\n", nmounts);
    uint64_t a = run("verified annotation (a)", ann, bundle, rootfs, iters, SRC_ANNOTATION);
    uint64_t c = run("libmount (c, agent skipped)", NULL, bundle, rootfs, iters < 50 ? iters : 50,
                     SRC_LIBMOUNT);
    printf("annotation/libmount: %.4fx; target: verified annotation <= 100 us: %s\n",
           (double)a / (double)c, a <= 100000 ? "met" : "MISSED");
    return 0; /* the namespace and its mounts go away with this process */
}
