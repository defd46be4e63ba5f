/* runtime_state_test.c: unit tests of the runtime's state directories
 * (state.c): id rules, create/open/save/remove round trip (saves are
 * atomic renames: a new inode, no state.json.tmp-PID-N left, a failed save
 * cleans up, a planted temp name is not followed), the ownership
 * marker that tells our containers from runc's, the per-container lock
 * (a second opener waits, and sees a deleted container as gone; a new
 * directory appears already locked and marked ours), and the
 * liveness of a recorded process (alive, zombie with its exit status, reused
 * pid). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "state.h"

static char root[64];

static int setup(void **st)
{
    (void)st;
    snprintf(root, sizeof(root), "/tmp/uniroot-state-test.XXXXXX");
    return mkdtemp(root) ? 0 : -1;
}

static int teardown(void **st)
{
    (void)st;
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
    return system(cmd) == 0 ? 0 : -1;
}

/* Entries of root/id named like the atomic writer's temp files
 * (state.json.tmp-PID-N), other than except. */
static int temps_in(const char *id, const char *except)
{
    char dir[160];
    snprintf(dir, sizeof(dir), "%s/%s", root, id);
    DIR *d = opendir(dir);
    assert_non_null(d);
    int n = 0;
    struct dirent *de;
    while ((de = readdir(d)))
        if (!strncmp(de->d_name, "state.json.tmp", 14) && (!except || strcmp(de->d_name, except)))
            n++;
    closedir(d);
    return n;
}

/* "a/b/c" -> "a/b" in a static buffer */
static const char *dirname_of(const char *p)
{
    static char b[160];
    snprintf(b, sizeof(b), "%s", p);
    char *s = strrchr(b, '/');
    if (s)
        *s = '\0';
    return b;
}

static struct ctx mkctx(void)
{
    struct ctx c = {.root = root, .runc_root = root};
    return c;
}

static void ids(void **st)
{
    (void)st;
    struct ur_err e;
    assert_int_equal(state_check_id("abc-1_2.3+x", &e), 0);
    assert_true(state_check_id("", &e) < 0);
    assert_true(state_check_id(".", &e) < 0);
    assert_true(state_check_id("..", &e) < 0);
    assert_true(state_check_id("a/b", &e) < 0);
    assert_true(state_check_id("a b", &e) < 0);
    char long_id[300];
    memset(long_id, 'a', sizeof(long_id) - 1);
    long_id[sizeof(long_id) - 1] = '\0';
    assert_true(state_check_id(long_id, &e) < 0);
}

static void round_trip(void **st)
{
    (void)st;
    struct ctx c = mkctx();
    struct cstate cs;
    struct ur_err e;
    assert_int_equal(state_create(&c, "c1", &cs, &e), 0);
    state_set_num(&cs, "pid", 1234);
    state_set_str(&cs, "bundle", "/b");
    state_set_str(&cs, "status", "created");
    cJSON_AddStringToObject(state_annotations(&cs), "k", "v");
    assert_int_equal(state_save(&cs, &e), 0);
    state_close(&cs);
    assert_true(state_is_ours(&c, "c1"));
    assert_false(state_is_runc(&c, "c1"));
    assert_int_equal(state_create(&c, "c1", &cs, &e), -EEXIST);
    assert_non_null(strstr(e.msg, "exists"));

    assert_int_equal(state_open(&c, "c1", &cs, &e), 0);
    assert_int_equal(state_num(&cs, "pid", 0), 1234);
    assert_string_equal(state_str(&cs, "bundle"), "/b");
    assert_string_equal(state_str(&cs, "id"), "c1");
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(cs.j, "annotations");
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(a, "k")->valuestring, "v");
    assert_int_equal(temps_in("c1", NULL), 0); /* renamed into place */

    /* A second save replaces the file by rename (a new inode), and goes
     * around whatever sits on its first temp name without following it. */
    char path[160], planted[160], victim[160], name[64];
    snprintf(path, sizeof(path), "%s/c1/state.json", root);
    struct stat st1, st2, lst;
    assert_int_equal(stat(path, &st1), 0);
    snprintf(victim, sizeof(victim), "%s/victim", root);
    FILE *vf = fopen(victim, "w");
    assert_non_null(vf);
    fputs("untouched", vf);
    fclose(vf);
    snprintf(name, sizeof(name), "state.json.tmp-%d-0", (int)getpid());
    snprintf(planted, sizeof(planted), "%s/c1/%s", root, name);
    assert_int_equal(symlink(victim, planted), 0);
    state_set_str(&cs, "status", "running");
    assert_int_equal(state_save(&cs, &e), 0);
    assert_int_equal(stat(path, &st2), 0);
    assert_true(st2.st_ino != st1.st_ino);
    assert_int_equal(st2.st_mode & 07777, 0600);
    assert_int_equal(lstat(planted, &lst), 0);
    assert_true(S_ISLNK(lst.st_mode));
    vf = fopen(victim, "r");
    char vbuf[32] = "";
    assert_non_null(fgets(vbuf, sizeof(vbuf), vf));
    fclose(vf);
    assert_string_equal(vbuf, "untouched");
    assert_int_equal(temps_in("c1", name), 0);
    unlink(planted);
    unlink(victim);
    assert_int_equal(state_remove(&cs, &e), 0);
    assert_int_equal(state_open(&c, "c1", &cs, &e), -ENOENT);
    assert_non_null(strstr(e.msg, "does not exist"));
}

/* A save whose rename fails (state.json is a non-empty directory) reports
 * it and leaves no temp file behind. */
static void failed_save_leaves_no_temp(void **st)
{
    (void)st;
    struct ctx c = mkctx();
    struct cstate cs;
    struct ur_err e;
    assert_int_equal(state_create(&c, "c2", &cs, &e), 0);
    char d[160];
    snprintf(d, sizeof(d), "%s/c2/state.json/x", root);
    unlink(dirname_of(d)); /* the one state_create wrote */
    assert_int_equal(mkdir(dirname_of(d), 0700), 0);
    assert_int_equal(mkdir(d, 0700), 0);
    assert_true(state_save(&cs, &e) < 0);
    assert_non_null(strstr(e.msg, "state.json"));
    assert_int_equal(temps_in("c2", NULL), 0);
    rmdir(d);
    rmdir(dirname_of(d));
    assert_int_equal(state_remove(&cs, &e), 0);
}

/* Entries of root named like state_create's temporary directories. */
static int creating_dirs(void)
{
    DIR *d = opendir(root);
    assert_non_null(d);
    int n = 0;
    struct dirent *de;
    while ((de = readdir(d)))
        n += !strncmp(de->d_name, "~creating-", 10);
    closedir(d);
    return n;
}

/* From the moment root/id exists it is locked and marked ours, so a racing
 * command (delete --force) can never take it for runc's and hand it off. */
static void created_dir_is_marked_and_locked(void **st)
{
    (void)st;
    struct ctx c = mkctx();
    struct cstate cs, cs2;
    struct ur_err e;
    assert_int_equal(state_create(&c, "c3", &cs, &e), 0);
    assert_true(state_is_ours(&c, "c3")); /* before any state_save */
    assert_false(state_is_runc(&c, "c3"));
    char dir[160];
    snprintf(dir, sizeof(dir), "%s/c3", root);
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    assert_true(fd >= 0);
    assert_int_equal(flock(fd, LOCK_EX | LOCK_NB), -1);
    assert_int_equal(errno, EWOULDBLOCK);
    close(fd);
    assert_int_equal(creating_dirs(), 0);
    assert_int_equal(state_create(&c, "c3", &cs2, &e), -EEXIST);
    assert_int_equal(creating_dirs(), 0); /* the loser cleans up */
    assert_int_equal(state_remove(&cs, &e), 0);
}

static void runc_dirs(void **st)
{
    (void)st;
    struct ctx c = mkctx();
    char dir[128], f[160];
    snprintf(dir, sizeof(dir), "%s/r1", root);
    mkdir(dir, 0700);
    snprintf(f, sizeof(f), "%s/state.json", dir);
    FILE *fp = fopen(f, "w");
    fputs("{\"id\":\"r1\",\"init_process_pid\":1}", fp);
    fclose(fp);
    struct cstate cs;
    struct ur_err e;
    assert_false(state_is_ours(&c, "r1"));
    assert_true(state_is_runc(&c, "r1"));
    assert_int_equal(state_open(&c, "r1", &cs, &e), -EMEDIUMTYPE);
    /* runc's default root, when it differs from ours */
    c.root = "/nonexistent-uniroot-root";
    assert_int_equal(state_open(&c, "r1", &cs, &e), -EMEDIUMTYPE);
    unlink(f);
    rmdir(dir);
}

/* A second opener blocks on the lock; after the holder deletes the
 * container it finds it gone. */
static void lock_and_delete(void **st)
{
    (void)st;
    struct ctx c = mkctx();
    struct cstate cs;
    struct ur_err e;
    assert_int_equal(state_create(&c, "lk", &cs, &e), 0);
    assert_int_equal(state_save(&cs, &e), 0);
    int p[2];
    assert_int_equal(pipe(p), 0);
    pid_t pid = fork();
    if (pid == 0) {
        struct cstate c2;
        struct ur_err e2;
        close(cs.dirfd); /* the lock belongs to the open file, which fork shared */
        close(p[0]);
        (void)!write(p[1], "x", 1);
        int rc = state_open(&c, "lk", &c2, &e2);
        _exit(rc == -ENOENT ? 0 : 1);
    }
    close(p[1]);
    char b;
    assert_int_equal(read(p[0], &b, 1), 1);
    close(p[0]);
    struct timespec ts = {0, 100000000};
    nanosleep(&ts, NULL); /* the child is now waiting on the lock */
    int status;
    assert_int_equal(waitpid(pid, &status, WNOHANG), 0);
    assert_int_equal(state_remove(&cs, &e), 0);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

static void liveness(void **st)
{
    (void)st;
    struct ur_proc_info pi;
    pid_t me = getpid();
    unsigned long long start = ur_proc_start_time(me);
    assert_true(start > 0);
    ur_proc_inspect(me, start, &pi);
    assert_true(pi.alive);
    ur_proc_inspect(me, start + 1, &pi); /* a reused pid has another start time */
    assert_false(pi.alive);
    pid_t z = fork();
    if (z == 0)
        _exit(3);
    siginfo_t si; /* wait for the exit without reaping it (no timing guess) */
    assert_int_equal(waitid(P_PID, (id_t)z, &si, WEXITED | WNOWAIT), 0);
    ur_proc_inspect(z, 0, &pi); /* not reaped yet: a zombie with its status */
    assert_false(pi.alive);
    assert_true(pi.zombie);
    assert_int_equal(pi.exit_status, 3);
    waitpid(z, NULL, 0);
    ur_proc_inspect(z, 0, &pi);
    assert_false(pi.alive);
    assert_false(pi.zombie);
}

static void status_from_process(void **st)
{
    (void)st;
    struct ctx c = mkctx();
    struct cstate cs;
    struct ur_err e;
    assert_int_equal(state_create(&c, "s1", &cs, &e), 0);
    pid_t z = fork();
    if (z == 0) {
        pause();
        _exit(0);
    }
    state_set_num(&cs, "pid", z);
    state_set_num(&cs, "pid_start", (double)ur_proc_start_time(z));
    state_set_str(&cs, "status", "running");
    assert_string_equal(state_status(&cs), "running");
    siginfo_t si; /* waited for without reaping (WNOWAIT), not guessed with a sleep */
    kill(z, SIGSTOP);
    assert_int_equal(waitid(P_PID, (id_t)z, &si, WSTOPPED | WNOWAIT), 0);
    assert_string_equal(state_status(&cs), "paused");
    kill(z, SIGKILL);
    assert_int_equal(waitid(P_PID, (id_t)z, &si, WEXITED | WNOWAIT), 0);
    assert_string_equal(state_status(&cs), "stopped");
    assert_int_equal(state_num(&cs, "exit_status", -1), 128 + SIGKILL);
    waitpid(z, NULL, 0);
    assert_string_equal(state_status(&cs), "stopped");
    state_remove(&cs, &e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ids),
        cmocka_unit_test(round_trip),
        cmocka_unit_test(failed_save_leaves_no_temp),
        cmocka_unit_test(created_dir_is_marked_and_locked),
        cmocka_unit_test(runc_dirs),
        cmocka_unit_test(lock_and_delete),
        cmocka_unit_test(liveness),
        cmocka_unit_test(status_from_process),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
