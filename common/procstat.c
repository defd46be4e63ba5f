/* procstat.c: liveness of a recorded process from /proc/PID/stat (see
 * procstat.h). */
#include "procstat.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* Fields of /proc/PID/stat after the ")" that ends comm: field 3 is state. */
static int read_proc_stat(pid_t pid, char *state, unsigned long long *start, int *exit_code)
{
    char path[64], buf[2048];
    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    ssize_t n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n <= 0)
        return -EIO;
    buf[n] = '\0';
    char *p = strrchr(buf, ')');
    if (!p || p[1] != ' ' || !p[2])
        return -EIO;
    p += 2;
    *state = *p;
    *start = 0;
    *exit_code = -1;
    /* field 3 is at p; field 22 is starttime, field 52 exit_code */
    int field = 3;
    char *save = NULL;
    for (char *tok = strtok_r(p, " ", &save); tok; tok = strtok_r(NULL, " ", &save), field++) {
        if (field == 22)
            *start = strtoull(tok, NULL, 10);
        if (field == 52)
            *exit_code = (int)strtol(tok, NULL, 10);
    }
    return 0;
}

unsigned long long ur_proc_start_time(pid_t pid)
{
    char st;
    unsigned long long start;
    int code;
    return read_proc_stat(pid, &st, &start, &code) == 0 ? start : 0;
}

int ur_proc_inspect(pid_t pid, unsigned long long start, struct ur_proc_info *pi)
{
    memset(pi, 0, sizeof(*pi));
    pi->exit_status = -1;
    if (pid <= 0)
        return 0;
    char st;
    unsigned long long s;
    int code;
    if (read_proc_stat(pid, &st, &s, &code) < 0 || (start && s != start))
        return 0; /* gone, or the pid was reused */
    if (st == 'Z' || st == 'X') {
        pi->zombie = true;
        if (code >= 0)
            pi->exit_status = WIFEXITED(code) ? WEXITSTATUS(code) : 128 + WTERMSIG(code);
        return 0;
    }
    pi->alive = true;
    pi->stopped = st == 'T';
    return 0;
}
