/* handoff.c: containers without a unikernel description (a pod's pause
 * container, busybox) are run by runc, called with uniroot's own argv, so
 * one runtime class serves a whole pod. runc keeps its state in the same
 * --root (its directories have no "uniroot" marker; see state.h). */
#include "oci.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int handoff_runc(const struct ctx *c, struct ur_err *err)
{
    const char *runc = c->runc_path;
    char found[PATH_MAX] = "";
    if (!strchr(runc, '/')) {
        if (!path_lookup(runc, found, sizeof(found)))
            return ur_errf(err, -ENOENT, "not a unikernel container, and runc was not found to "
                                         "run it (install runc, or name it: runc = in the config "
                                         "file, or UNIROOT_RUNC)");
        runc = found;
    }
    struct stat a, b;
    if (stat(runc, &a) == 0 && stat("/proc/self/exe", &b) == 0 && a.st_dev == b.st_dev &&
        a.st_ino == b.st_ino)
        return ur_errf(err, -ELOOP, "runc (UNIROOT_RUNC or runc = in the config file) "
                                         "points at uniroot itself");
    log_debug("not a unikernel container: handing over to %s", runc);
    char **argv = calloc((size_t)c->argc + 1, sizeof(char *));
    if (!argv)
        return ur_errf(err, -ENOMEM, "out of memory");
    argv[0] = (char *)runc;
    for (int i = 1; i < c->argc; i++)
        argv[i] = c->argv[i];
    execv(runc, argv);
    int rc = ur_errf_sys(err, -errno, "cannot run %s", runc);
    free(argv);
    return rc;
}

const char *find_id(int argc, char **argv, const struct opt *opts)
{
    int i = 0;
    struct ur_err e;
    if (opts_parse(argc, argv, &i, opts, &e) < 0 || i >= argc)
        return NULL;
    return argv[i];
}

static const struct {
    const char *name;
    int num;
} sigs[] = {
    {"HUP", SIGHUP}, {"INT", SIGINT}, {"QUIT", SIGQUIT}, {"ILL", SIGILL}, {"TRAP", SIGTRAP},
    {"ABRT", SIGABRT}, {"BUS", SIGBUS}, {"FPE", SIGFPE}, {"KILL", SIGKILL}, {"USR1", SIGUSR1},
    {"SEGV", SIGSEGV}, {"USR2", SIGUSR2}, {"PIPE", SIGPIPE}, {"ALRM", SIGALRM}, {"TERM", SIGTERM},
    {"CHLD", SIGCHLD}, {"CONT", SIGCONT}, {"STOP", SIGSTOP}, {"TSTP", SIGTSTP}, {"TTIN", SIGTTIN},
    {"TTOU", SIGTTOU}, {"URG", SIGURG}, {"XCPU", SIGXCPU}, {"XFSZ", SIGXFSZ}, {"VTALRM", SIGVTALRM},
    {"PROF", SIGPROF}, {"WINCH", SIGWINCH}, {"IO", SIGIO}, {"PWR", SIGPWR}, {"SYS", SIGSYS},
};

int signal_parse(const char *s)
{
    if (*s >= '0' && *s <= '9') {
        char *end;
        long n = strtol(s, &end, 10);
        return (*end || n <= 0 || n >= NSIG) ? -EINVAL : (int)n;
    }
    if (strncasecmp(s, "SIG", 3) == 0)
        s += 3;
    for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
        if (strcasecmp(s, sigs[i].name) == 0)
            return sigs[i].num;
    return -EINVAL;
}
