/* signal.c: the stop signals (SIGTERM, SIGINT) while a monitor sets up and
 * waits for start. The handler only records the signal (and runs the
 * monitor's hook, e.g. to kick a vCPU out of KVM_RUN); blocking calls return
 * EINTR (no SA_RESTART), so the monitor notices and ends with 128+N. A
 * closed console is a serial line nobody reads: SIGPIPE is ignored, output
 * is dropped (write gets EPIPE) and the guest runs on. */
#include <signal.h>
#include <string.h>

#include "tender.h"

/* The only process-wide state: a signal handler can reach nothing else. */
static volatile sig_atomic_t stop_signo;
static void (*volatile stop_hook)(void);

static void on_stop_signal(int sig)
{
    stop_signo = sig;
    void (*hook)(void) = stop_hook;
    if (hook)
        hook();
}

void tender_install_stop_signals(void (*hook)(void))
{
    stop_hook = hook;
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}

int tender_stop_signal(void)
{
    return stop_signo;
}
