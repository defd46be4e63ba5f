/* test_common_mountcheck.c: the one mount verifier (common/mountcheck.c),
 * on paths every machine has: each refusal comes with its reason, in the
 * order the runtime has always checked (device number, mount root, device
 * node, filesystem). The bind-mount-of-a-subdirectory case needs a loop
 * device and is in tests/integration/ctl_explain.sh. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mountcheck.h"

static char dir[64];

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/ur-mountcheck-XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    return rmdir(dir);
}

/* A block record naming path's own device number and device node dev. */
static void rec_for(const char *path, const char *dev, struct rootfs_record *r)
{
    struct statx sx;
    assert_int_equal(statx(AT_FDCWD, path, AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, &sx), 0);
    memset(r, 0, sizeof(*r));
    r->version = 1;
    r->type = ROOTFS_BLOCK;
    r->major = sx.stx_dev_major;
    r->minor = sx.stx_dev_minor;
    snprintf(r->device, sizeof(r->device), "%s", dev);
    snprintf(r->fstype, sizeof(r->fstype), "ext4");
}

static void fs_magics(void **state)
{
    (void)state;
    assert_int_equal(ur_fs_magic("ext4"), 0xEF53);
    assert_int_equal(ur_fs_magic("ext2"), 0xEF53);
    assert_int_equal(ur_fs_magic("xfs"), 0x58465342);
    assert_int_equal(ur_fs_magic("nosuchfs"), 0);
    assert_int_equal(ur_fs_magic(""), 0);
}

static void block_record_refusals(void **state)
{
    (void)state;
    struct rootfs_record r;
    struct ur_err err = {0};
    /* root.path missing */
    rec_for("/", "/dev/null", &r);
    assert_int_equal(ur_mount_verify("/nonexistent/rootfs", &r, &err), -ENOENT);
    assert_non_null(strstr(err.msg, "cannot stat root.path"));
    /* another device number */
    rec_for(dir, "/dev/null", &r);
    r.minor++;
    assert_int_equal(ur_mount_verify(dir, &r, &err), -ESTALE);
    assert_non_null(strstr(err.msg, "root.path is on"));
    /* the right device, but a directory inside the mount, not its root */
    rec_for(dir, "/dev/null", &r);
    assert_int_equal(ur_mount_verify(dir, &r, &err), -ESTALE);
    assert_string_equal(err.msg, "root.path is not the root of a mount");
    /* a mount root, but the device node is missing, or not a block device */
    rec_for("/", "/dev/ur-no-such-device", &r);
    assert_int_equal(ur_mount_verify("/", &r, &err), -ENOENT);
    assert_non_null(strstr(err.msg, "device /dev/ur-no-such-device"));
    rec_for("/", "/dev/null", &r);
    assert_int_equal(ur_mount_verify("/", &r, &err), -ESTALE);
    assert_string_equal(err.msg, "/dev/null is not a block device");
}

static void other_types(void **state)
{
    (void)state;
    struct rootfs_record r = {.version = 1, .type = ROOTFS_SHARED};
    struct ur_err err = {0};
    /* /proc is on no block device: a shared record holds there */
    assert_int_equal(ur_mount_verify("/proc", &r, &err), 0);
}

static void mount_root_of(void **state)
{
    (void)state;
    struct rootfs_record r;
    rec_for("/proc", "", &r);
    assert_true(ur_mount_is_root_of("/proc", r.major, r.minor));
    assert_false(ur_mount_is_root_of("/proc", r.major, r.minor + 1));
    rec_for(dir, "", &r);
    assert_false(ur_mount_is_root_of(dir, r.major, r.minor)); /* inside /tmp's mount */
    assert_false(ur_mount_is_root_of("/nonexistent", 0, 0));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fs_magics),
        cmocka_unit_test_setup_teardown(block_record_refusals, setup, teardown),
        cmocka_unit_test(other_types),
        cmocka_unit_test_setup_teardown(mount_root_of, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
