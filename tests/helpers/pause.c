/* pause.c: the pod sandbox's init for the CRI tests (tests/integration/cri_*.sh),
 * which have no registry to pull a pause image from: a static program that
 * waits for signals, reaps children (it is pid 1 of the pod) and exits 0 on
 * SIGTERM or SIGINT. uniroot hands it to runc (no unikernel description). */
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static void quit(int sig)
{
    (void)sig;
    _exit(0);
}

static void reap(int sig)
{
    (void)sig;
    while (waitpid(-1, NULL, WNOHANG) > 0)
        ;
}

int main(void)
{
    struct sigaction q = {.sa_handler = quit}, r = {.sa_handler = reap, .sa_flags = SA_NOCLDSTOP};
    sigaction(SIGTERM, &q, NULL);
    sigaction(SIGINT, &q, NULL);
    sigaction(SIGCHLD, &r, NULL);
    for (;;)
        pause();
}
