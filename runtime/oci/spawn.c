/* spawn.c: fork/exec of the monitor (uniroot-vmm, uniroot-spt) at create.
 * The child becomes a session leader, takes the console (a pty whose master goes to --console-socket) or
 * the caller's stdio, joins the namespaces given by path and its cgroups,
 * keeps fds 3..3+N-1 (--preserve-fds), the ready pipe at 3+N and the kept fds
 * (kernel, block device or image) after it, and execs the VMM.
 * Anything failing before exec is reported through a close-on-exec pipe. */
#include "spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

int console_send(const char *socket_path, int master, struct ur_err *err)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    if (strlen(socket_path) >= sizeof(sa.sun_path))
        return ur_errf(err, -ENAMETOOLONG, "console socket path too long");
    strcpy(sa.sun_path, socket_path);
    int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s < 0)
        return ur_errf_sys(err, -errno, "socket");
    if (connect(s, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        int rc = ur_errf_sys(err, -errno, "cannot connect to console socket %s", socket_path);
        close(s);
        return rc;
    }
    char name[] = "/dev/ptmx";
    struct iovec iov = {.iov_base = name, .iov_len = sizeof(name)};
    union {
        char buf[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } u;
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
                         .msg_controllen = sizeof(u.buf)};
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &master, sizeof(int));
    int rc = 0;
    if (sendmsg(s, &msg, 0) < 0)
        rc = ur_errf_sys(err, -errno, "cannot send the console to %s", socket_path);
    close(s);
    return rc;
}

/* In the child: report err through the pipe and exit. */
static void __attribute__((noreturn)) child_fail(int errw, const struct ur_err *e)
{
    ssize_t n = write(errw, e->msg, strlen(e->msg));
    (void)n;
    _exit(127);
}

static void __attribute__((noreturn)) child(const struct spawn_req *r, int readyw, int errw,
                                            const char *pts)
{
    struct ur_err e;
    ur_err_clear(&e);
    sigset_t all;
    sigemptyset(&all);
    sigprocmask(SIG_SETMASK, &all, NULL);
    for (int s = 1; s < NSIG; s++)
        signal(s, SIG_DFL);
    if (setsid() < 0) {
        ur_errf_sys(&e, -errno, "setsid");
        child_fail(errw, &e);
    }
    if (pts) {
        int t = open(pts, O_RDWR | O_CLOEXEC);
        if (t < 0 || ioctl(t, TIOCSCTTY, 0) < 0) {
            ur_errf_sys(&e, -errno, "cannot take console %s", pts);
            child_fail(errw, &e);
        }
        dup2(t, 0);
        dup2(t, 1);
        dup2(t, 2);
        close(t);
    }
    for (unsigned i = 0; i < r->spec->nns; i++) {
        const struct ns_path *ns = &r->spec->ns[i];
        if (ns->type == CLONE_NEWNS || ns->type == CLONE_NEWUSER)
            continue; /* the VMM must keep seeing the host's files */
        int fd = open(ns->path, O_RDONLY | O_CLOEXEC);
        if (fd < 0 || setns(fd, ns->type) < 0) {
            ur_errf_sys(&e, -errno, "cannot join namespace %s", ns->path);
            child_fail(errw, &e);
        }
        close(fd);
    }
    if (r->cg && cgroup_join(r->cg, &e) < 0)
        child_fail(errw, &e);
    bool dup_ok = dup2(readyw, r->ready_fd) >= 0;
    for (unsigned i = 0; dup_ok && i < r->nkeep; i++)
        dup_ok = dup2(r->keep[i], r->ready_fd + 1 + (int)i) >= 0;
    if (!dup_ok) {
        ur_errf_sys(&e, -errno, "dup2");
        child_fail(errw, &e);
    }
    /* everything else above the kept fds closes at exec (errw included) */
    close_range((unsigned)r->ready_fd + 1 + r->nkeep, ~0U, CLOSE_RANGE_CLOEXEC);
    execv(r->vmm, r->argv);
    ur_errf_sys(&e, -errno, "cannot run %s", r->vmm);
    child_fail(errw, &e);
}

/* A pipe whose ends sit at or above min (out of the way of kept fds). */
static int high_pipe(int p[2], int min)
{
    int t[2];
    if (pipe2(t, O_CLOEXEC) < 0)
        return -errno;
    p[0] = fcntl(t[0], F_DUPFD_CLOEXEC, min);
    p[1] = fcntl(t[1], F_DUPFD_CLOEXEC, min);
    close(t[0]);
    close(t[1]);
    if (p[0] < 0 || p[1] < 0) {
        if (p[0] >= 0)
            close(p[0]);
        if (p[1] >= 0)
            close(p[1]);
        return -EMFILE;
    }
    return 0;
}

/* Read until EOF (or n-1 bytes); returns bytes read. */
static size_t read_all(int fd, char *buf, size_t n, int timeout_ms)
{
    size_t len = 0;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    while (len < n - 1) {
        clock_gettime(CLOCK_MONOTONIC, &t1);
        long spent = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
        if (timeout_ms >= 0 && spent >= timeout_ms)
            break;
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int k = poll(&p, 1, timeout_ms < 0 ? -1 : (int)(timeout_ms - spent));
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            break;
        ssize_t m = read(fd, buf + len, n - 1 - len);
        if (m < 0 && errno == EINTR)
            continue;
        if (m <= 0)
            break;
        len += (size_t)m;
        if (memchr(buf, '\n', len))
            break;
    }
    buf[len] = '\0';
    return len;
}

int vmm_spawn(const struct spawn_req *r, pid_t *pidp, struct ur_err *err)
{
    int ready[2], errp[2], rc;
    int min = r->ready_fd + 8;
    if ((rc = high_pipe(ready, min)) < 0)
        return ur_errf_sys(err, rc, "pipe");
    if ((rc = high_pipe(errp, min)) < 0) {
        close(ready[0]);
        close(ready[1]);
        return ur_errf_sys(err, rc, "pipe");
    }
    int master = -1;
    char pts[128] = "";
    if (r->console_socket) {
        master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (master < 0 || grantpt(master) < 0 || unlockpt(master) < 0 ||
            ptsname_r(master, pts, sizeof(pts)) != 0) {
            rc = ur_errf_sys(err, -errno, "cannot create a console");
            goto out;
        }
        if ((rc = console_send(r->console_socket, master, err)) < 0)
            goto out;
    }
    struct spawn_req req = *r; /* kept fds moved out of the way of the fds the child sets */
    req.nkeep = 0;
    for (unsigned i = 0; i < r->nkeep && i < SPAWN_MAX_KEEP; i++, req.nkeep++) {
        if ((req.keep[i] = fcntl(r->keep[i], F_DUPFD_CLOEXEC, min)) < 0) {
            rc = ur_errf_sys(err, -errno, "fcntl");
            for (unsigned j = 0; j < i; j++)
                close(req.keep[j]);
            goto out;
        }
    }
    pid_t pid = fork();
    if (pid == 0)
        child(&req, ready[1], errp[1], pts[0] ? pts : NULL);
    for (unsigned i = 0; i < req.nkeep; i++)
        close(req.keep[i]);
    if (pid < 0) {
        rc = ur_errf_sys(err, -errno, "fork");
        goto out;
    }
    close(ready[1]);
    close(errp[1]);
    ready[1] = errp[1] = -1;

    char msg[UR_ERR_MSG_MAX];
    if (read_all(errp[0], msg, sizeof(msg), r->ready_timeout_ms) > 0) {
        waitpid(pid, NULL, 0);
        rc = ur_errf(err, -ECHILD, "%s", msg);
        goto out;
    }
    char buf[UR_ERR_MSG_MAX + 16];
    read_all(ready[0], buf, sizeof(buf), r->ready_timeout_ms);
    if (strcmp(buf, "ready\n") != 0) {
        /* The monitor says why setup failed on the same descriptor: "error: MSG\n". */
        char *why = strncmp(buf, "error: ", 7) == 0 ? buf + 7 : NULL;
        if (why)
            why[strcspn(why, "\n")] = '\0';
        int st = 0;
        struct timespec ts = {0, 1000000};
        pid_t w = 0;
        for (int i = 0; i < 200 && (w = waitpid(pid, &st, WNOHANG)) == 0; i++)
            nanosleep(&ts, NULL);
        if (w == 0) {
            kill(pid, SIGKILL);
            waitpid(pid, &st, 0);
            rc = ur_errf(err, -ETIMEDOUT, "%s did not become ready within %d ms", r->name,
                         r->ready_timeout_ms);
        } else if (WIFEXITED(st) && why) {
            rc = ur_errf(err, -EIO, "%s: %s", r->name, why);
        } else if (WIFEXITED(st)) {
            rc = ur_errf(err, -EIO, "%s could not set up the guest (exit status %d; its "
                                    "message is on the container's stderr)", r->name, WEXITSTATUS(st));
        } else {
            rc = ur_errf(err, -EIO, "%s died during setup (signal %d)", r->name, WTERMSIG(st));
        }
        goto out;
    }
    *pidp = pid;
    rc = 0;
out:
    for (int i = 0; i < 2; i++) {
        if (ready[i] >= 0)
            close(ready[i]);
        if (errp[i] >= 0)
            close(errp[i]);
    }
    if (master >= 0)
        close(master);
    return rc;
}
