/* standin_vmm.c: a stand-in for uniroot-vmm in tests that run without
 * /dev/kvm. The runtime starts it (UNIROOT_VMM=build/bin/standin-vmm) exactly
 * as it starts the real monitor; it speaks the same create/start protocol
 * (--ready-fd, --start-fifo) and records what it was given, so tests can check
 * the argv and the descriptors a real guest would have been handed.
 *
 * Record: if STANDIN_VMM_LOG names a file, one line is appended per start:
 *   argv <arg0> <arg1> ...      (each argument %-escaped: space, %, control)
 * and for every --block:NAME=PATH a line "block NAME <st_mode octal> <rdev
 * major:minor> <size> <st_dev major:minor> <inode>" of what PATH is when the
 * monitor opens it, then "kernel <st_mode octal> <st_dev major:minor> <inode>
 * <size>" of KERNEL (or "kernel error MSG").
 *
 * Behaviour, from the environment, else from guest arguments after KERNEL:
 *   STANDIN_VMM_FAIL=MSG   / standin:fail=MSG     report "error: MSG" on the ready fd, exit 1
 *   STANDIN_VMM_EXIT=N     / standin:exit=N       exit with status N after start (default 0)
 *   STANDIN_VMM_SLEEP=S    / standin:sleep=S      stay running S seconds after start
 * SIGTERM and SIGINT end it with 128+N, as uniroot-vmm. On start it prints
 * "standin-vmm: running KERNEL ARGS" to stdout (the container's output). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

static void on_signal(int sig)
{
    _exit(128 + sig);
}

static void put_escaped(FILE *f, const char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c <= ' ' || c == '%' || c >= 0x7f)
            fprintf(f, "%%%02x", c);
        else
            fputc(c, f);
    }
}

/* The value of a behaviour knob: environment first, then "standin:KEY=V"
 * among the guest's arguments (the runtime passes the cmdline as one argument,
 * so the value ends at a space). Returned in a static buffer. */
static const char *knob(const char *env, const char *key, int argc, char **argv, int kernel_at)
{
    const char *e = getenv(env);
    if (e && *e)
        return e;
    static char val[256];
    char pat[64];
    snprintf(pat, sizeof(pat), "standin:%s=", key);
    for (int i = kernel_at + 1; kernel_at >= 0 && i < argc; i++) {
        const char *p = strstr(argv[i], pat);
        if (!p)
            continue;
        p += strlen(pat);
        size_t n = strcspn(p, " ");
        if (n >= sizeof(val))
            n = sizeof(val) - 1;
        memcpy(val, p, n);
        val[n] = '\0';
        return val;
    }
    return NULL;
}

int main(int argc, char **argv)
{
    int ready_fd = -1, kernel_at = -1;
    const char *fifo = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--") == 0) {
            kernel_at = i + 1 < argc ? i + 1 : -1;
            break;
        }
        if (strncmp(a, "--ready-fd=", 11) == 0)
            ready_fd = atoi(a + 11);
        else if (strncmp(a, "--start-fifo=", 13) == 0)
            fifo = a + 13;
        else if (strncmp(a, "--", 2) != 0) {
            kernel_at = i;
            break;
        }
    }
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);

    const char *logp = getenv("STANDIN_VMM_LOG");
    if (logp && *logp) {
        FILE *f = fopen(logp, "a");
        if (f) {
            fputs("argv", f);
            for (int i = 0; i < argc; i++) {
                fputc(' ', f);
                put_escaped(f, argv[i]);
            }
            fputc('\n', f);
            for (int i = 1; i < argc && (kernel_at < 0 || i < kernel_at); i++) {
                if (strncmp(argv[i], "--block:", 8) != 0)
                    continue;
                const char *eq = strchr(argv[i] + 8, '=');
                if (!eq)
                    continue;
                struct stat st;
                fprintf(f, "block %.*s ", (int)(eq - argv[i] - 8), argv[i] + 8);
                if (stat(eq + 1, &st) == 0)
                    fprintf(f, "%o %u:%u %lld %u:%u %llu\n", (unsigned)st.st_mode,
                            major(st.st_rdev), minor(st.st_rdev), (long long)st.st_size,
                            major(st.st_dev), minor(st.st_dev), (unsigned long long)st.st_ino);
                else
                    fprintf(f, "error %s\n", strerror(errno));
            }
            struct stat kst;
            if (kernel_at >= 0 && stat(argv[kernel_at], &kst) == 0)
                fprintf(f, "kernel %o %u:%u %llu %lld\n", (unsigned)kst.st_mode, major(kst.st_dev),
                        minor(kst.st_dev), (unsigned long long)kst.st_ino, (long long)kst.st_size);
            else if (kernel_at >= 0)
                fprintf(f, "kernel error %s\n", strerror(errno));
            fclose(f);
        }
    }

    const char *fail = knob("STANDIN_VMM_FAIL", "fail", argc, argv, kernel_at);
    if (kernel_at < 0)
        fail = "no unikernel given";
    if (fail) {
        if (ready_fd >= 0)
            dprintf(ready_fd, "error: %s\n", fail);
        fprintf(stderr, "standin-vmm: %s\n", fail);
        return 1;
    }
    if (ready_fd >= 0) {
        if (write(ready_fd, "ready\n", 6) != 6)
            return 1;
        close(ready_fd);
    }
    if (fifo) {
        int fd = open(fifo, O_RDONLY | O_CLOEXEC);
        char c;
        if (fd < 0 || read(fd, &c, 1) != 1) {
            fprintf(stderr, "standin-vmm: waiting for start on %s failed\n", fifo);
            return 1;
        }
        close(fd);
    }
    printf("standin-vmm: running");
    for (int i = kernel_at; i < argc; i++)
        printf(" %s", argv[i]);
    printf("\n");
    fflush(stdout);
    const char *sl = knob("STANDIN_VMM_SLEEP", "sleep", argc, argv, kernel_at);
    if (sl) {
        struct timespec ts = {.tv_sec = atol(sl), .tv_nsec = 0};
        while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
            ;
    }
    const char *ex = knob("STANDIN_VMM_EXIT", "exit", argc, argv, kernel_at);
    return ex ? atoi(ex) & 0xff : 0;
}
