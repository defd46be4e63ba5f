/* agent_resolve_test.c: device facts from a fake sysfs tree. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "resolve.h"

static char root[] = "/tmp/agent-resolve-test.XXXXXX";

static void put(const char *rel, const char *text)
{
    char p[512], cmd[600];
    snprintf(p, sizeof(p), "%s/%s", root, rel);
    snprintf(cmd, sizeof(cmd), "mkdir -p \"$(dirname '%s')\"", p);
    assert_int_equal(system(cmd), 0);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void test_loop_dm_plain(void **state)
{
    (void)state;
    struct blockdev_info bi;
    struct ur_err err;
    assert_non_null(mkdtemp(root));
    put("dev/block/7:3/uevent", "MAJOR=7\nMINOR=3\nDEVNAME=loop3\nDEVTYPE=disk\n");
    put("dev/block/7:3/loop/backing_file", "/var/lib/snap/7.img\n");
    put("dev/block/7:3/diskseq", "42\n");
    put("dev/block/253:2/uevent", "MAJOR=253\nMINOR=2\nDEVNAME=dm-2\n");
    put("dev/block/253:2/dm/name", "pool-snap-7\n");
    put("dev/block/253:2/dm/uuid", "LVM-abc\n");
    put("dev/block/8:1/uevent", "DEVNAME=sda1\n");
    put("dev/block/9:9/uevent", "DEVNAME=../etc/passwd\n");

    assert_int_equal(resolve_blockdev(root, 7, 3, &bi, &err), 0);
    assert_string_equal(bi.device, "/dev/loop3");
    assert_string_equal(bi.backing, "/var/lib/snap/7.img");
    assert_true(bi.is_loop);
    assert_int_equal(bi.diskseq, 42);

    assert_int_equal(resolve_blockdev(root, 253, 2, &bi, &err), 0);
    assert_string_equal(bi.device, "/dev/dm-2");
    assert_true(bi.is_dm);
    assert_string_equal(bi.dm_name, "pool-snap-7");
    assert_string_equal(bi.dm_uuid, "LVM-abc");
    assert_string_equal(bi.backing, "dm:pool-snap-7 uuid:LVM-abc");

    assert_int_equal(resolve_blockdev(root, 8, 1, &bi, &err), 0);
    assert_string_equal(bi.device, "/dev/sda1");
    assert_string_equal(bi.backing, "");

    assert_int_equal(resolve_blockdev(root, 0, 52, &bi, &err), -ENODEV); /* tmpfs-like */
    assert_int_equal(resolve_blockdev(root, 9, 9, &bi, &err), -ENODEV);  /* hostile DEVNAME */

    /* the cache: answers from memory while diskseq stays, re-reads when it moves */
    assert_int_equal(resolve_blockdev_cached(root, 7, 3, &bi, &err), 0);
    assert_string_equal(bi.backing, "/var/lib/snap/7.img");
    put("dev/block/7:3/loop/backing_file", "/var/lib/snap/OTHER.img\n");
    assert_int_equal(resolve_blockdev_cached(root, 7, 3, &bi, &err), 0);
    assert_string_equal(bi.backing, "/var/lib/snap/7.img");
    put("dev/block/7:3/diskseq", "43\n"); /* reattached: a new sequence number */
    assert_int_equal(resolve_blockdev_cached(root, 7, 3, &bi, &err), 0);
    assert_string_equal(bi.backing, "/var/lib/snap/OTHER.img");
    assert_int_equal(bi.diskseq, 43);
    assert_int_equal(resolve_blockdev_cached(root, 8, 1, &bi, &err), 0); /* no diskseq: not cached */
    put("dev/block/8:1/uevent", "DEVNAME=sdb1\n");
    assert_int_equal(resolve_blockdev_cached(root, 8, 1, &bi, &err), 0);
    assert_string_equal(bi.device, "/dev/sdb1");

    assert_string_equal(resolve_fstype_name(0xEF53), "ext4");
    assert_null(resolve_fstype_name(0x1234));
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_loop_dm_plain)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
