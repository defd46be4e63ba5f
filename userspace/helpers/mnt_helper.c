/* mnt_helper.c: test helper for unirootd's integration tests and benchmarks
 * (built as build/tests/agent-mnt-helper). It plays the containerd shim:
 *
 *   mount-create DEV TARGET FSTYPE [SOCKET]
 *                                    mount(2) DEV on TARGET, then fork+exec
 *                                    itself as the runtime's `create`, which
 *                                    checks the annotation in TARGET/../config.json
 *                                    at once (no waiting) and prints the gap; if
 *                                    it is not written yet, it does what the
 *                                    runtime does next: `get` on the agent's
 *                                    SOCKET (which drains in-flight events)
 *   fsmount-create DEV TARGET FSTYPE [SOCKET]  the same through fsopen/fsconfig/fsmount/move_mount
 *   fsmount DEV TARGET FSTYPE        just the new-API mount, no create step
 *   opentree SRC TARGET              open_tree(OPEN_TREE_CLONE) of SRC + move_mount on TARGET
 *   check BUNDLE T0_NS [SOCKET]      (internal) the simulated `create`
 *   burst DEV FSTYPE N DIR_FMT       mount DEV on N targets printf(DIR_FMT, i)
 *                                    as fast as possible; prints mounts/s
 *   unburst N DIR_FMT                unmount them
 *   wait-annotation BUNDLE TIMEOUT_MS  poll until the annotation exists
 *   cycle N DIR                      N bind mount+umount cycles of DIR on itself;
 *                                    prints ns per cycle
 *   devcycle N DEV TARGET FSTYPE     N mount+umount cycles of DEV on TARGET; ns per cycle
 *   paced DEV FSTYPE N DIR_FMT GAP_US  like burst, sleeping GAP_US between mounts
 *   syscalls N                       ns per getpid() and per unrelated ioctl(FIONREAD)
 * Exit status 0 means the check held. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "rootfs_record.h"

#include <cjson/cJSON.h>

#define FSCONFIG_SET_STRING_ 1
#define FSCONFIG_CMD_CREATE_ 6
#define MOVE_MOUNT_F_EMPTY_PATH_ 0x4
#define FSMOUNT_CLOEXEC_ 0x1

static uint64_t mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int die(const char *what)
{
    fprintf(stderr, "agent-mnt-helper: %s: %s\n", what, strerror(errno));
    return 1;
}

/* New mount API: fsopen -> fsconfig(source) -> create -> fsmount -> move_mount. */
static int new_api_mount(const char *dev, const char *target, const char *fstype)
{
    int fs = (int)syscall(SYS_fsopen, fstype, 0);
    if (fs < 0)
        return die("fsopen");
    if (syscall(SYS_fsconfig, fs, FSCONFIG_SET_STRING_, "source", dev, 0) < 0 ||
        syscall(SYS_fsconfig, fs, FSCONFIG_CMD_CREATE_, NULL, NULL, 0) < 0)
        return die("fsconfig");
    int mfd = (int)syscall(SYS_fsmount, fs, FSMOUNT_CLOEXEC_, 0);
    if (mfd < 0)
        return die("fsmount");
    if (syscall(SYS_move_mount, mfd, "", AT_FDCWD, target, MOVE_MOUNT_F_EMPTY_PATH_) < 0)
        return die("move_mount");
    close(mfd);
    close(fs);
    return 0;
}

/* Bind-clone SRC with open_tree and attach the clone on TARGET. */
static int open_tree_move(const char *src, const char *target)
{
    int fd = (int)syscall(SYS_open_tree, AT_FDCWD, src, 1 /* OPEN_TREE_CLONE */ | O_CLOEXEC);
    if (fd < 0)
        return die("open_tree");
    if (syscall(SYS_move_mount, fd, "", AT_FDCWD, target, MOVE_MOUNT_F_EMPTY_PATH_) < 0)
        return die("move_mount");
    close(fd);
    return 0;
}

/* Read BUNDLE/config.json and return the annotation's record (0) or -1. */
static int read_annotation(const char *bundle, struct rootfs_record *rec, char *why, size_t n)
{
    char path[4200];
    snprintf(path, sizeof(path), "%s/config.json", bundle);
    FILE *f = fopen(path, "re");
    if (!f) {
        snprintf(why, n, "open %.300s: %s", path, strerror(errno));
        return -1;
    }
    static char buf[1 << 20];
    size_t len = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[len] = '\0';
    cJSON *root = cJSON_Parse(buf);
    const cJSON *ann = root ? cJSON_GetObjectItemCaseSensitive(root, "annotations") : NULL;
    const cJSON *v = ann ? cJSON_GetObjectItemCaseSensitive(ann, ROOTFS_ANNOTATION) : NULL;
    int rc = -1;
    struct ur_err err;
    if (!cJSON_IsString(v))
        snprintf(why, n, "no %s annotation", ROOTFS_ANNOTATION);
    else if (rootfs_record_from_json(v->valuestring, rec, &err) < 0)
        snprintf(why, n, "annotation does not parse: %.400s", err.msg);
    else
        rc = 0;
    cJSON_Delete(root);
    return rc;
}

/* Ask the agent: {"op":"get","bundle":B} on SOCKET, 1 s timeout. */
static int socket_get(const char *sock, const char *bundle, struct rootfs_record *rec, char *why, size_t n)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct timeval tv = {1, 0};
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
        connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        snprintf(why, n, "connect %s: %s", sock, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    cJSON *req = cJSON_CreateObject();
    cJSON_AddStringToObject(req, "op", "get");
    cJSON_AddStringToObject(req, "bundle", bundle);
    char *line = cJSON_PrintUnformatted(req);
    cJSON_Delete(req);
    static char buf[65536];
    size_t have = 0;
    int rc = -1;
    if (line && dprintf(fd, "%s\n", line) > 0) {
        ssize_t r;
        while (have < sizeof(buf) - 1 && (r = read(fd, buf + have, sizeof(buf) - 1 - have)) > 0) {
            have += (size_t)r;
            if (memchr(buf, '\n', have))
                break;
        }
        buf[have] = '\0';
        cJSON *resp = cJSON_Parse(buf);
        cJSON *r2 = cJSON_GetObjectItemCaseSensitive(resp, "record");
        char *rj = r2 ? cJSON_PrintUnformatted(r2) : NULL;
        struct ur_err err;
        if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(resp, "ok")) || !rj)
            snprintf(why, n, "agent said: %.400s", buf);
        else if (rootfs_record_from_json(rj, rec, &err) < 0)
            snprintf(why, n, "record does not parse: %.400s", err.msg);
        else
            rc = 0;
        free(rj);
        cJSON_Delete(resp);
    } else {
        snprintf(why, n, "write to %s failed", sock);
    }
    free(line);
    close(fd);
    return rc;
}

/* The simulated runtime `create`: the annotation (or, when it is not written
 * yet, the agent's answer to `get`) must be there and match the device
 * mounted on BUNDLE/rootfs. */
static int check(const char *bundle, const char *t0s, const char *sock)
{
    uint64_t now = mono(), t0 = strtoull(t0s, NULL, 10);
    struct rootfs_record rec;
    char why[512], why2[512], rootfs[4200];
    const char *via = "annotation present";
    struct stat st;
    if (read_annotation(bundle, &rec, why, sizeof(why)) < 0) {
        if (!sock || socket_get(sock, bundle, &rec, why2, sizeof(why2)) < 0) {
            printf("create: FAIL after %.1f us: %s; %s\n", (double)(now - t0) / 1e3, why,
                   sock ? why2 : "no socket to ask");
            return 1;
        }
        via = "annotation not written yet, agent socket answered";
    }
    snprintf(rootfs, sizeof(rootfs), "%s/rootfs", bundle);
    if (stat(rootfs, &st) < 0)
        return die("stat rootfs");
    if (rec.major != major(st.st_dev) || rec.minor != minor(st.st_dev)) {
        printf("create: FAIL: annotation says %u:%u, rootfs is on %u:%u\n", rec.major, rec.minor,
               major(st.st_dev), minor(st.st_dev));
        return 1;
    }
    printf("create: ok: %s %.1f us after mount returned (device %s %u:%u %s, observed_by %s)\n", via,
           (double)(now - t0) / 1e3, rec.device, rec.major, rec.minor, rec.fstype, rec.observed_by);
    return 0;
}

static int mount_create(const char *self, int new_api, const char *dev, const char *target,
                        const char *fstype, const char *sock)
{
    if (new_api ? new_api_mount(dev, target, fstype) != 0 : mount(dev, target, fstype, 0, NULL) < 0)
        return new_api ? 1 : die("mount");
    uint64_t t0 = mono();
    char bundle[4200], t0s[32];
    snprintf(bundle, sizeof(bundle), "%s", target);
    char *slash = strrchr(bundle, '/');
    if (slash)
        *slash = '\0';
    snprintf(t0s, sizeof(t0s), "%llu", (unsigned long long)t0);
    pid_t pid = fork();
    if (pid == 0) {
        execl(self, self, "check", bundle, t0s, sock, (char *)NULL);
        _exit(127);
    }
    int status;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

static int wait_annotation(const char *bundle, const char *ms)
{
    uint64_t t0 = mono(), limit = strtoull(ms, NULL, 10) * 1000000ull;
    struct rootfs_record rec;
    char why[512];
    while (read_annotation(bundle, &rec, why, sizeof(why)) < 0) {
        if (mono() - t0 > limit) {
            printf("wait: FAIL: %s\n", why);
            return 1;
        }
        usleep(200);
    }
    printf("wait: ok after %.1f us\n", (double)(mono() - t0) / 1e3);
    return 0;
}

static int burst(const char *dev, const char *fstype, int n, const char *fmt, int un)
{
    char target[4200];
    uint64_t t0 = mono();
    for (int i = 0; i < n; i++) {
        snprintf(target, sizeof(target), fmt, i);
        int rc, tries = 0;
        /* EBUSY on umount can be another process briefly inside the tree (a scan of /tmp). */
        while ((rc = un ? umount2(target, 0) : mount(dev, target, fstype, 0, NULL)) < 0 && un &&
               errno == EBUSY && tries++ < 100)
            usleep(10000);
        if (rc < 0)
            return die(target);
    }
    double s = (double)(mono() - t0) / 1e9;
    printf("%s: %d in %.3f s = %.0f per second\n", un ? "unburst" : "burst", n, s, n / s);
    return 0;
}

static int cycle(int n, const char *dir)
{
    uint64_t t0 = mono();
    for (int i = 0; i < n; i++) {
        if (mount(dir, dir, NULL, MS_BIND, NULL) < 0)
            return die("bind mount");
        if (umount2(dir, 0) < 0)
            return die("umount");
    }
    printf("cycle_ns %.0f\n", (double)(mono() - t0) / n);
    return 0;
}

static int devcycle(int n, const char *dev, const char *target, const char *fstype)
{
    uint64_t t0 = mono();
    for (int i = 0; i < n; i++) {
        if (mount(dev, target, fstype, 0, NULL) < 0)
            return die("mount");
        if (umount2(target, 0) < 0)
            return die("umount");
    }
    printf("devcycle_ns %.0f\n", (double)(mono() - t0) / n);
    return 0;
}

static int paced(const char *dev, const char *fstype, int n, const char *fmt, int gap_us)
{
    char target[4200];
    for (int i = 0; i < n; i++) {
        snprintf(target, sizeof(target), fmt, i);
        if (mount(dev, target, fstype, 0, NULL) < 0)
            return die(target);
        usleep((useconds_t)gap_us);
    }
    return 0;
}

static int syscalls(int n)
{
    int p[2], avail;
    if (pipe(p) < 0)
        return die("pipe");
    uint64_t t0 = mono();
    for (int i = 0; i < n; i++)
        syscall(SYS_getpid);
    uint64_t t1 = mono();
    for (int i = 0; i < n; i++)
        ioctl(p[0], FIONREAD, &avail);
    uint64_t t2 = mono();
    printf("getpid_ns %.1f\nioctl_ns %.1f\n", (double)(t1 - t0) / n, (double)(t2 - t1) / n);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc >= 5 && !strcmp(argv[1], "mount-create"))
        return mount_create(argv[0], 0, argv[2], argv[3], argv[4], argc > 5 ? argv[5] : NULL);
    if (argc >= 5 && !strcmp(argv[1], "fsmount-create"))
        return mount_create(argv[0], 1, argv[2], argv[3], argv[4], argc > 5 ? argv[5] : NULL);
    if (argc >= 5 && !strcmp(argv[1], "fsmount"))
        return new_api_mount(argv[2], argv[3], argv[4]);
    if (argc >= 4 && !strcmp(argv[1], "opentree"))
        return open_tree_move(argv[2], argv[3]);
    if (argc >= 4 && !strcmp(argv[1], "check"))
        return check(argv[2], argv[3], argc > 4 ? argv[4] : NULL);
    if (argc >= 6 && !strcmp(argv[1], "burst"))
        return burst(argv[2], argv[3], atoi(argv[4]), argv[5], 0);
    if (argc >= 4 && !strcmp(argv[1], "unburst"))
        return burst(NULL, NULL, atoi(argv[2]), argv[3], 1);
    if (argc >= 4 && !strcmp(argv[1], "wait-annotation"))
        return wait_annotation(argv[2], argv[3]);
    if (argc >= 4 && !strcmp(argv[1], "cycle"))
        return cycle(atoi(argv[2]), argv[3]);
    if (argc >= 6 && !strcmp(argv[1], "devcycle"))
        return devcycle(atoi(argv[2]), argv[3], argv[4], argv[5]);
    if (argc >= 7 && !strcmp(argv[1], "paced"))
        return paced(argv[2], argv[3], atoi(argv[4]), argv[5], atoi(argv[6]));
    if (argc >= 3 && !strcmp(argv[1], "syscalls"))
        return syscalls(atoi(argv[2]));
    fprintf(stderr, "usage: see the comment at the top of userspace/helpers/mnt_helper.c\n");
    return 2;
}
