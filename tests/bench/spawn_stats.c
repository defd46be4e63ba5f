/* spawn_stats.c: run commands N times and print median wall time and peak
 * RSS, for benchmarks that compare whole programs side by side.
 *
 *   spawn-stats N [--expect TEXT] CMD [ARGS...] [--vs [--expect TEXT] BASELINE [ARGS...]]
 *
 * When every run of every command exits 0 (and its output holds TEXT, if
 * given) it prints one line per command:
 *   "runs=N median_us=... p10_us=... p90_us=... maxrss_kb=... median_rss_kb=...
 *    median_cpu_us=..."
 * and with --vs a last line "ratio=CMD/BASELINE cpu_ratio=CMD/BASELINE", and
 * exits 0 (cpu: the child's user + system time, which a busy machine's
 * scheduling delays do not inflate as they do wall time). The two
 * commands alternate run by run (so drift on a busy machine hits both alike).
 * When any run fails it prints no figures, only one line per failing command:
 *   "failed: CMD: F of N runs: <why, first failing run>: <its last output line>"
 * and exits 1: a figure with failed samples in it is not a figure.
 * Wall time is measured around fork+exec+wait (what a caller sees); RSS is
 * wait4's ru_maxrss, the child's peak. fork, not vfork/posix_spawn: a vfork
 * child runs on its parent's memory until exec, and the kernel counts that
 * memory in the child's ru_maxrss; a fork child's own pages before exec are
 * a few of ours. Children's stdout and stderr go to a memfd, read after the
 * clock stops.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define OUT_MAX 65536

struct series {
    char **argv;
    const char *expect; /* NULL: only the exit status is checked */
    uint64_t *us, *rss, *cpu;
    int failed;
    char why[512]; /* the first failing run's reason */
};

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* The last non-empty line of buf[0..n), into line (at most sz bytes). */
static void last_line(const char *buf, size_t n, char *line, size_t sz)
{
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' '))
        n--;
    size_t start = n;
    while (start > 0 && buf[start - 1] != '\n')
        start--;
    size_t len = n - start < sz - 1 ? n - start : sz - 1;
    memcpy(line, buf + start, len);
    line[len] = '\0';
}

/* Judge a finished run from its status and output (out, n bytes); 0 if it
 * passed, else -1 with s->why filled for the first failure. */
static int judge(struct series *s, int status, const char *out, size_t n)
{
    char why[128], line[300];
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
        if (!s->expect || memmem(out, n, s->expect, strlen(s->expect)))
            return 0;
        snprintf(why, sizeof(why), "exit 0 but no \"%.60s\" in its output", s->expect);
    } else if (WIFEXITED(status)) {
        snprintf(why, sizeof(why), "exit %d", WEXITSTATUS(status));
    } else {
        snprintf(why, sizeof(why), "killed by signal %d", WTERMSIG(status));
    }
    if (s->failed++ == 0) {
        last_line(out, n, line, sizeof(line));
        snprintf(s->why, sizeof(s->why), "%s: %s", why, line[0] ? line : "(no output)");
    }
    return -1;
}

/* One timed run of s->argv, recorded as run i; output captured in memfd out. */
static int run_once(struct series *s, int i, int out, char *buf)
{
    struct timespec t0, t1;
    int status;
    struct rusage ru;
    if (ftruncate(out, 0) < 0 || lseek(out, 0, SEEK_SET) < 0) {
        perror("spawn-stats: reset output");
        return -1;
    }
    clock_gettime(CLOCK_MONOTONIC, &t0);
    pid_t pid = fork();
    if (pid < 0) {
        perror("spawn-stats: fork");
        return -1;
    }
    if (pid == 0) {
        dup2(out, 1);
        dup2(out, 2);
        execve(s->argv[0], s->argv, environ);
        dprintf(2, "spawn-stats: cannot run %s\n", s->argv[0]);
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
    s->cpu[i] = (uint64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000u +
                (uint64_t)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
    ssize_t n = pread(out, buf, OUT_MAX, 0);
    judge(s, status, buf, n > 0 ? (size_t)n : 0);
    return 0;
}

/* Print s's figures; its median wall time, and its median CPU time in *cpu. */
static uint64_t report(struct series *s, int n, uint64_t *cpu)
{
    uint64_t maxrss = 0;
    for (int i = 0; i < n; i++)
        if (s->rss[i] > maxrss)
            maxrss = s->rss[i];
    qsort(s->us, (size_t)n, sizeof(uint64_t), cmp_u64);
    qsort(s->rss, (size_t)n, sizeof(uint64_t), cmp_u64);
    qsort(s->cpu, (size_t)n, sizeof(uint64_t), cmp_u64);
    *cpu = s->cpu[n / 2];
    printf("runs=%d median_us=%llu p10_us=%llu p90_us=%llu maxrss_kb=%llu median_rss_kb=%llu "
           "median_cpu_us=%llu\n", n,
           (unsigned long long)s->us[n / 2], (unsigned long long)s->us[n / 10],
           (unsigned long long)s->us[(n * 9) / 10], (unsigned long long)maxrss,
           (unsigned long long)s->rss[n / 2], (unsigned long long)*cpu);
    return s->us[n / 2];
}

/* Parse "[--expect TEXT] CMD [ARGS...]" at argv[i..]; 0 or -1 on a usage error. */
static int parse_cmd(struct series *s, char **argv, int i, int argc)
{
    if (i + 1 < argc && strcmp(argv[i], "--expect") == 0) {
        s->expect = argv[i + 1];
        i += 2;
    }
    if (i >= argc || argv[i] == NULL)
        return -1;
    s->argv = &argv[i];
    return 0;
}

int main(int argc, char *argv[])
{
    if (argc < 3) {
        fprintf(stderr, "usage: spawn-stats N [--expect TEXT] CMD [ARGS...] [--vs [--expect TEXT] BASELINE [ARGS...]]\n");
        return 2;
    }
    int n = atoi(argv[1]);
    if (n < 1 || n > 100000) {
        fprintf(stderr, "spawn-stats: bad run count '%s'\n", argv[1]);
        return 2;
    }
    struct series s[2] = {{0}, {0}};
    int vs = 0;
    for (int i = 2; i < argc; i++)
        if (strcmp(argv[i], "--vs") == 0) {
            argv[i] = NULL; /* ends the first command's argv */
            vs = i + 1;
            break;
        }
    if (parse_cmd(&s[0], argv, 2, argc) < 0 || (vs && parse_cmd(&s[1], argv, vs, argc) < 0)) {
        fprintf(stderr, "spawn-stats: a command is missing\n");
        return 2;
    }
    int ns = vs ? 2 : 1;
    for (int k = 0; k < ns; k++) {
        s[k].us = calloc((size_t)n, sizeof(uint64_t));
        s[k].rss = calloc((size_t)n, sizeof(uint64_t));
        s[k].cpu = calloc((size_t)n, sizeof(uint64_t));
    }
    char *buf = malloc(OUT_MAX);
    int out = memfd_create("spawn-stats-output", MFD_CLOEXEC);
    if (!buf || !s[0].us || !s[0].rss || !s[0].cpu ||
        (ns == 2 && (!s[1].us || !s[1].rss || !s[1].cpu)) || out < 0) {
        perror("spawn-stats: setup");
        return 2;
    }
    for (int i = 0; i < n; i++)
        for (int k = 0; k < ns; k++)
            if (run_once(&s[k], i, out, buf) < 0)
                return 2;
    close(out);
    int bad = 0;
    for (int k = 0; k < ns; k++)
        if (s[k].failed) {
            printf("failed: %s: %d of %d runs: %s\n", s[k].argv[0], s[k].failed, n, s[k].why);
            bad = 1;
        }
    if (!bad) {
        uint64_t c0, c1, m0 = report(&s[0], n, &c0);
        if (ns == 2) {
            uint64_t m1 = report(&s[1], n, &c1);
            printf("ratio=%.2f cpu_ratio=%.2f\n", m1 ? (double)m0 / (double)m1 : 0.0,
                   c1 ? (double)c0 / (double)c1 : 0.0);
        }
    }
    for (int k = 0; k < ns; k++) {
        free(s[k].us);
        free(s[k].rss);
        free(s[k].cpu);
    }
    free(buf);
    return bad;
}
