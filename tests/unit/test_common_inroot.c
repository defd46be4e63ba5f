/* test_common_inroot.c: ur_inroot_open, the one way a path an image names is
 * opened. Every case runs twice: through openat2 and through the fallback
 * walk (UR_INROOT_WALK), which must agree. A tree is built under a temp dir:
 * root/ is the image's rootfs, outside/secret is the host file a hostile image
 * wants. Device node cases need root (skipped otherwise, saying why). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <unistd.h>

#include "inroot.h"

static char top[64];
static int rootfd = -1;
static const unsigned modes[] = {0, UR_INROOT_WALK};

static void put(const char *rel, const char *content)
{
    char p[PATH_MAX];
    snprintf(p, sizeof(p), "%s/%s", top, rel);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fputs(content, f);
    fclose(f);
}

static void link_at(const char *target, const char *rel)
{
    char p[PATH_MAX];
    snprintf(p, sizeof(p), "%s/%s", top, rel);
    assert_int_equal(symlink(target, p), 0);
}

static int setup(void **state)
{
    (void)state;
    strcpy(top, "/tmp/inroot-test.XXXXXX");
    assert_non_null(mkdtemp(top));
    char p[PATH_MAX];
    const char *dirs[] = {"root", "root/sub", "root/dir", "outside"};
    for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
        snprintf(p, sizeof(p), "%s/%s", top, dirs[i]);
        assert_int_equal(mkdir(p, 0755), 0);
    }
    put("root/ok", "inside");
    put("root/sub/file", "sub");
    put("outside/secret", "host secret");
    snprintf(p, sizeof(p), "%s/outside/secret", top);
    link_at(p, "root/abs_out");              /* absolute symlink naming the host file */
    link_at("../outside/secret", "root/rel_out");
    link_at("../../../../../../../../outside/secret", "root/sub/up_out");
    link_at("/sub/file", "root/abs_in");     /* absolute, but inside once rooted */
    link_at("sub/file", "root/rel_in");
    link_at("../ok", "root/sub/up_in");
    link_at("loop2", "root/loop1");
    link_at("loop1", "root/loop2");
    link_at("/proc/self/root/etc/passwd", "root/proc_root");
    snprintf(p, sizeof(p), "%s/root/fifo", top);
    assert_int_equal(mkfifo(p, 0600), 0);
    snprintf(p, sizeof(p), "%s/root/big", top);
    int fd = open(p, O_WRONLY | O_CREAT, 0600);
    assert_true(fd >= 0);
    assert_int_equal(ftruncate(fd, 1ll << 40), 0); /* 1 TiB, sparse */
    close(fd);
    /* a chain of n symlinks chainN -> chain(N-1) -> ... -> chain0 -> ok */
    link_at("ok", "root/chain0");
    for (int i = 1; i <= UR_INROOT_MAX_LINKS + 1; i++) {
        char t[32], n[64];
        snprintf(t, sizeof(t), "chain%d", i - 1);
        snprintf(n, sizeof(n), "root/chain%d", i);
        link_at(t, n);
    }
    snprintf(p, sizeof(p), "%s/root", top);
    rootfd = open(p, O_PATH | O_DIRECTORY | O_CLOEXEC);
    assert_true(rootfd >= 0);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    close(rootfd);
    char cmd[PATH_MAX + 16];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", top);
    return system(cmd) == 0 ? 0 : -1;
}

/* Open path in mode, expect success and content (a regular file inside). */
static void want_ok(unsigned mode, const char *path, const char *content)
{
    struct ur_err err = {0};
    struct stat st;
    int fd = ur_inroot_open(rootfd, path, mode, 0, &st, &err);
    if (fd < 0)
        fail_msg("%s (mode %u): %s", path, mode, err.msg);
    char buf[64] = "";
    assert_true(read(fd, buf, sizeof(buf) - 1) >= 0);
    assert_string_equal(buf, content);
    assert_true(S_ISREG(st.st_mode));
    assert_true(fcntl(fd, F_GETFL) & O_NONBLOCK);
    assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
    close(fd);
}

/* Expect a refusal with code and a message holding what. */
static void want_err(unsigned mode, const char *path, int code, const char *what)
{
    struct ur_err err = {0};
    int fd = ur_inroot_open(rootfd, path, mode, 1 << 20, NULL, &err);
    if (fd >= 0)
        fail_msg("%s (mode %u) was opened; want \"%s\"", path, mode, what);
    if (fd != code || !strstr(err.msg, what))
        fail_msg("%s (mode %u): got %d \"%s\", want %d \"%s\"", path, mode, fd, err.msg, code, what);
}

static void inside_paths_open(void **state)
{
    (void)state;
    for (size_t m = 0; m < 2; m++) {
        want_ok(modes[m], "/ok", "inside");
        want_ok(modes[m], "ok", "inside");
        want_ok(modes[m], "//sub/./file", "sub");
        want_ok(modes[m], "/abs_in", "sub");
        want_ok(modes[m], "/rel_in", "sub");
        want_ok(modes[m], "/sub/up_in", "inside");
        want_ok(modes[m], "/sub/../ok", "inside");
        want_ok(modes[m], "/chain30", "inside");
    }
}

static void traversal_stays_inside(void **state)
{
    (void)state;
    char p[PATH_MAX];
    snprintf(p, sizeof(p), "/../../../../../../..%s/outside/secret", top);
    for (size_t m = 0; m < 2; m++) {
        /* ".." stops at the root: these name root/ok, never the host */
        want_ok(modes[m], "/../../../../ok", "inside");
        want_ok(modes[m], "../ok", "inside");
        want_err(modes[m], p, -ENOENT, "not found in the rootfs");
        want_err(modes[m], "/../outside/secret", -ENOENT, "not found in the rootfs");
        want_err(modes[m], "/../../../../../../etc/shadow", -ENOENT, "not found in the rootfs");
    }
}

static void absolute_paths_are_rooted(void **state)
{
    (void)state;
    char p[PATH_MAX];
    snprintf(p, sizeof(p), "%s/outside/secret", top); /* the host path, as an image would name it */
    for (size_t m = 0; m < 2; m++) {
        want_err(modes[m], p, -ENOENT, "not found in the rootfs");
        want_err(modes[m], "/etc/passwd", -ENOENT, "not found in the rootfs");
    }
}

static void symlinks_out_are_refused(void **state)
{
    (void)state;
    for (size_t m = 0; m < 2; m++) {
        want_err(modes[m], "/abs_out", -ENOENT, "/abs_out: not found in the rootfs");
        want_err(modes[m], "/rel_out", -ENOENT, "not found in the rootfs");
        want_err(modes[m], "/sub/up_out", -ENOENT, "not found in the rootfs");
        want_err(modes[m], "/proc_root", -ENOENT, "not found in the rootfs");
        want_err(modes[m], "/ok/x", -ENOTDIR, "not a directory");
    }
}

static void symlink_loops_end(void **state)
{
    (void)state;
    char p[32];
    snprintf(p, sizeof(p), "/chain%d", UR_INROOT_MAX_LINKS + 1);
    for (size_t m = 0; m < 2; m++) {
        want_err(modes[m], "/loop1", -ELOOP, "too many symbolic links");
        want_err(modes[m], p, -ELOOP, "too many symbolic links");
    }
}

/* A /proc magic link (the kernel's jump to an open file, whatever its path)
 * is never followed: openat2 refuses it (RESOLVE_NO_MAGICLINKS), the walk
 * only reads its text. The file behind it is unlinked, so its text names
 * nothing, while a plain open through the link would reach it. */
static void magic_links_are_not_followed(void **state)
{
    (void)state;
    char p[PATH_MAX];
    snprintf(p, sizeof(p), "%s/outside/gone", top);
    int hidden = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    assert_true(hidden >= 0);
    assert_int_equal(write(hidden, "x", 1), 1);
    unlink(p);
    char via[64];
    snprintf(via, sizeof(via), "/proc/self/fd/%d", hidden);
    int direct = open(via, O_RDONLY | O_CLOEXEC);
    assert_true(direct >= 0); /* the link itself works when followed */
    close(direct);
    int slash = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
    assert_true(slash >= 0);
    struct ur_err err;
    int fd = ur_inroot_open(slash, via + 1, 0, 0, NULL, &err);
    assert_int_equal(fd, -ELOOP);
    assert_non_null(strstr(err.msg, "magic link"));
    fd = ur_inroot_open(slash, via + 1, UR_INROOT_WALK, 0, NULL, &err);
    assert_int_equal(fd, -ENOENT);
    close(slash);
    /* and a symlink in the image naming a magic link is rooted like any other */
    snprintf(p, sizeof(p), "%s/root/magic", top);
    assert_int_equal(symlink(via, p), 0);
    for (size_t m = 0; m < 2; m++)
        want_err(modes[m], "/magic", -ENOENT, "not found in the rootfs");
    unlink(p);
    close(hidden);
}

static void only_regular_files(void **state)
{
    (void)state;
    char p[PATH_MAX];
    snprintf(p, sizeof(p), "%s/root/sock", top);
    int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    assert_true(strlen(p) < sizeof(sa.sun_path));
    strcpy(sa.sun_path, p);
    assert_int_equal(bind(s, (struct sockaddr *)&sa, sizeof(sa)), 0);
    for (size_t m = 0; m < 2; m++) {
        want_err(modes[m], "/dir", -EPERM, "/dir: is a directory, not a regular file");
        want_err(modes[m], "/", -EPERM, "is a directory");
        want_err(modes[m], "/fifo", -EPERM, "/fifo: is a FIFO, not a regular file"); /* no hang */
        want_err(modes[m], "/sock", -EPERM, "/sock: is a socket, not a regular file");
        want_err(modes[m], "/big", -EFBIG, "is 1099511627776 bytes, more than the 1048576 allowed");
        want_err(modes[m], "", -EINVAL, "empty path");
    }
    close(s);
}

static void device_nodes_are_refused(void **state)
{
    (void)state;
    if (geteuid() != 0)
        skip(); /* mknod needs root; the integration suite covers this as root */
    char p[PATH_MAX];
    snprintf(p, sizeof(p), "%s/root/null", top);
    assert_int_equal(mknod(p, S_IFCHR | 0600, makedev(1, 3)), 0);
    snprintf(p, sizeof(p), "%s/root/disk", top);
    assert_int_equal(mknod(p, S_IFBLK | 0600, makedev(7, 0)), 0);
    link_at("/disk", "root/disk_link");
    for (size_t m = 0; m < 2; m++) {
        want_err(modes[m], "/null", -EPERM, "/null: is a character device node (1:3), not a regular file");
        want_err(modes[m], "/disk", -EPERM, "/disk: is a block device node (7:0), not a regular file");
        want_err(modes[m], "/disk_link", -EPERM, "is a block device node (7:0)");
    }
}

static void read_write_when_asked(void **state)
{
    (void)state;
    for (size_t m = 0; m < 2; m++) {
        struct ur_err err;
        int fd = ur_inroot_open(rootfd, "/sub/file", modes[m] | UR_INROOT_RDWR, 0, NULL, &err);
        assert_true(fd >= 0);
        assert_int_equal(pwrite(fd, "s", 1, 0), 1);
        close(fd);
        fd = ur_inroot_open(rootfd, "/sub/file", modes[m], 0, NULL, &err);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, "s", 1), -1); /* read-only by default */
        close(fd);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(inside_paths_open),
        cmocka_unit_test(traversal_stays_inside),
        cmocka_unit_test(absolute_paths_are_rooted),
        cmocka_unit_test(symlinks_out_are_refused),
        cmocka_unit_test(symlink_loops_end),
        cmocka_unit_test(magic_links_are_not_followed),
        cmocka_unit_test(only_regular_files),
        cmocka_unit_test(device_nodes_are_refused),
        cmocka_unit_test(read_write_when_asked),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
