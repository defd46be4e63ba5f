/* spawn_stats.c: run commands N times and print median wall time and peak
 * RSS, for benchmarks that compare whole programs side by side.
 *
 *   spawn-stats N CMD [ARGS...] [--vs BASELINE [ARGS...]]
 *
 * prints one line per command:
 *   "runs=N median_us=... p10_us=... p90_us=... maxrss_kb=... median_rss_kb=... status=S failures=F"
 * and with --vs the two commands alternate run by run (so drift on a busy
 * machine hits both alike) and a last line gives "ratio=CMD/BASELINE".
 * Wall time is measured around fork+exec+wait (what a caller sees); RSS is
 * wait4's ru_maxrss, the child's peak. fork, not vfork/posix_spawn: a vfork
 * child runs on its parent's memory until exec, and the kernel counts that
 * memory in the child's ru_maxrss; a fork child's own pages before exec are
 * a few of ours. Children's output goes to /dev/null. failures counts runs
 * whose status differed from the first's.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

struct series {
    char **argv;
    uint64_t *us, *rss;
    int first_status, failures;
};

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* One timed run of s->argv, recorded as run i. */
static int run_once(struct series *s, int i, int devnull)
{
    struct timespec t0, t1;
    int status;
    struct rusage ru;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    pid_t pid = fork();
    if (pid < 0) {
        perror("spawn-stats: fork");
        return -1;
    }
    if (pid == 0) {
        dup2(devnull, 1);
        dup2(devnull, 2);
        execve(s->argv[0], s->argv, environ);
        _exit(127);
    }
    if (wait4(pid, &status, 0, &ru) < 0) {
        perror("spawn-stats: wait4");
        return -1;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    int64_t ns = (int64_t)(t1.tv_sec - t0.tv_sec) * 1000000000 + (t1.tv_nsec - t0.tv_nsec);
    s->us[i] = (uint64_t)(ns / 1000); /* signed first: tv_nsec may go backwards across a second */
    s->rss[i] = (uint64_t)ru.ru_maxrss;
    if (i == 0)
        s->first_status = status;
    else if (status != s->first_status)
        s->failures++;
    return 0;
}

static uint64_t report(struct series *s, int n)
{
    uint64_t maxrss = 0;
    for (int i = 0; i < n; i++)
        if (s->rss[i] > maxrss)
            maxrss = s->rss[i];
    qsort(s->us, (size_t)n, sizeof(uint64_t), cmp_u64);
    qsort(s->rss, (size_t)n, sizeof(uint64_t), cmp_u64);
    int st = s->first_status;
    printf("runs=%d median_us=%llu p10_us=%llu p90_us=%llu maxrss_kb=%llu median_rss_kb=%llu "
           "status=%d failures=%d\n",
           n, (unsigned long long)s->us[n / 2], (unsigned long long)s->us[n / 10],
           (unsigned long long)s->us[(n * 9) / 10], (unsigned long long)maxrss,
           (unsigned long long)s->rss[n / 2], WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st),
           s->failures);
    return s->us[n / 2];
}

int main(int argc, char *argv[])
{
    if (argc < 3) {
        fprintf(stderr, "usage: spawn-stats N CMD [ARGS...] [--vs BASELINE [ARGS...]]\n");
        return 2;
    }
    int n = atoi(argv[1]);
    if (n < 1 || n > 100000) {
        fprintf(stderr, "spawn-stats: bad run count '%s'\n", argv[1]);
        return 2;
    }
    struct series s[2] = {{.argv = &argv[2]}, {.argv = NULL}};
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--vs") == 0) {
            argv[i] = NULL;
            if (i + 1 >= argc) {
                fprintf(stderr, "spawn-stats: --vs needs a command\n");
                return 2;
            }
            s[1].argv = &argv[i + 1];
            break;
        }
    }
    int ns = s[1].argv ? 2 : 1;
    for (int k = 0; k < ns; k++) {
        s[k].us = calloc((size_t)n, sizeof(uint64_t));
        s[k].rss = calloc((size_t)n, sizeof(uint64_t));
    }
    int devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
    for (int i = 0; i < n; i++)
        for (int k = 0; k < ns; k++)
            if (run_once(&s[k], i, devnull) < 0)
                return 2;
    close(devnull);
    uint64_t m0 = report(&s[0], n);
    if (ns == 2) {
        uint64_t m1 = report(&s[1], n);
        printf("ratio=%.2f\n", m1 ? (double)m0 / (double)m1 : 0.0);
    }
    for (int k = 0; k < ns; k++) {
        free(s[k].us);
        free(s[k].rss);
    }
    return 0;
}
