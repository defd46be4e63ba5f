/* test_common_fileio.c: atomic replacement and whole-file reads. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"

static char dir[64];

static int setup(void **state)
{
    (void)state;
    strcpy(dir, "/tmp/uniroot-fileio-XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    return system(cmd);
}

static unsigned entries(void)
{
    unsigned n = 0;
    DIR *d = opendir(dir);
    for (struct dirent *e; (e = readdir(d));)
        n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

static void write_replaces_and_leaves_no_temp(void **state)
{
    (void)state;
    int dfd = open(dir, O_RDONLY | O_DIRECTORY);
    struct ur_err err = {0};
    assert_int_equal(ur_write_atomic(dfd, "f.json", "old", 3, 0600, &err), 0);
    assert_int_equal(ur_write_atomic(dfd, "f.json", "new contents", 12, 0644, &err), 0);
    char *buf;
    size_t len;
    assert_int_equal(ur_read_file(dfd, "f.json", 100, &buf, &len, &err), 0);
    assert_int_equal(len, 12);
    assert_string_equal(buf, "new contents");
    free(buf);
    struct stat st;
    assert_int_equal(fstatat(dfd, "f.json", &st, 0), 0);
    assert_int_equal(st.st_mode & 0777, 0644);
    assert_int_equal(entries(), 1); /* no temp file left */
    close(dfd);
}

static void replacing_keeps_mode_and_owner(void **state)
{
    (void)state;
    int dfd = open(dir, O_RDONLY | O_DIRECTORY);
    struct ur_err err = {0};
    assert_int_equal(ur_write_atomic(dfd, "config.json", "{}", 2, 0640, &err), 0);
    assert_int_equal(fchownat(dfd, "config.json", 1234, 5678, 0), 0);
    struct stat before, after;
    assert_int_equal(fstatat(dfd, "config.json", &before, 0), 0);
    unsigned long long ino = 0;
    const struct ur_write_opts o = {.like = &before, .ino = &ino};
    assert_int_equal(ur_write_atomic_opts(dfd, "config.json", "{\"a\":1}", 7, &o, &err), 0);
    assert_int_equal(fstatat(dfd, "config.json", &after, 0), 0);
    assert_int_equal(after.st_mode & 07777, 0640);
    assert_int_equal(after.st_uid, 1234);
    assert_int_equal(after.st_gid, 5678);
    assert_int_equal(after.st_ino, ino);
    assert_true(after.st_ino != before.st_ino); /* replaced, not rewritten in place */
    close(dfd);
}

static void write_by_path(void **state)
{
    (void)state;
    char path[128];
    snprintf(path, sizeof(path), "%s/pid", dir);
    struct ur_err err = {0};
    assert_int_equal(ur_write_atomic(AT_FDCWD, path, "42", 2, 0644, &err), 0);
    char *buf;
    assert_int_equal(ur_read_file(AT_FDCWD, path, 16, &buf, NULL, &err), 0);
    assert_string_equal(buf, "42");
    free(buf);
}

static void failures_are_clean(void **state)
{
    (void)state;
    char path[128];
    struct ur_err err = {0};
    snprintf(path, sizeof(path), "%s/missing/f", dir);
    assert_true(ur_write_atomic(AT_FDCWD, path, "x", 1, 0644, &err) < 0);
    assert_non_null(strstr(err.msg, "cannot write"));
    /* a symlink planted at the temp name is not followed */
    char tmp[160], target[128];
    snprintf(target, sizeof(target), "%s/target", dir);
    snprintf(tmp, sizeof(tmp), "%s/g.tmp-%d-0", dir, (int)getpid());
    assert_int_equal(symlink(target, tmp), 0);
    snprintf(path, sizeof(path), "%s/g", dir);
    assert_int_equal(ur_write_atomic(AT_FDCWD, path, "x", 1, 0644, &err), 0); /* another name */
    assert_int_equal(access(target, F_OK), -1);
    struct stat lst;
    assert_int_equal(lstat(tmp, &lst), 0);
    assert_true(S_ISLNK(lst.st_mode)); /* the planted link is left alone */
    unlink(tmp);
    unlink(path);
    /* reads: missing, too large, not a regular file */
    char *buf;
    assert_true(ur_read_file(AT_FDCWD, path, 10, &buf, NULL, &err) < 0);
    assert_int_equal(ur_write_atomic(AT_FDCWD, path, "0123456789abc", 13, 0644, &err), 0);
    assert_true(ur_read_file(AT_FDCWD, path, 10, &buf, NULL, &err) < 0);
    assert_non_null(strstr(err.msg, "at most 10 bytes"));
    assert_true(ur_read_file(AT_FDCWD, dir, 10, &buf, NULL, &err) < 0);
    /* a FIFO is refused at once (a blocking open would wait for a writer forever) */
    unlink(path);
    assert_int_equal(mkfifo(path, 0600), 0);
    assert_true(ur_read_file(AT_FDCWD, path, 10, &buf, NULL, &err) < 0);
    assert_non_null(strstr(err.msg, "not a regular file"));
    unlink(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(write_replaces_and_leaves_no_temp, setup, teardown),
        cmocka_unit_test_setup_teardown(replacing_keeps_mode_and_owner, setup, teardown),
        cmocka_unit_test_setup_teardown(write_by_path, setup, teardown),
        cmocka_unit_test_setup_teardown(failures_are_clean, setup, teardown),
    };
    return cmocka_run_group_tests_name("file io", tests, NULL, NULL);
}
