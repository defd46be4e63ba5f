/* procstat.h: is a recorded process still the one that was recorded, and
 * what became of it (from /proc/PID/stat). The runtime records its monitor's
 * pid and start time; it and unirootctl both judge liveness this way. */
#ifndef UNIROOT_COMMON_PROCSTAT_H
#define UNIROOT_COMMON_PROCSTAT_H

#include <stdbool.h>
#include <sys/types.h>

/* What the recorded process is doing now. */
struct ur_proc_info {
    bool alive;        /* exists, same start time, not a zombie */
    bool zombie;       /* exited, not yet reaped */
    bool stopped;      /* SIGSTOPped */
    int exit_status;   /* from the zombie (128+N for signal N), -1 when unknown */
};

/* Fill *pi for pid; start (clock ticks since boot, 0: not checked) must
 * match, else the pid was reused and the process counts as gone. */
int ur_proc_inspect(pid_t pid, unsigned long long start, struct ur_proc_info *pi);
/* Start time (clock ticks since boot) of pid, 0 when unknown. */
unsigned long long ur_proc_start_time(pid_t pid);

#endif
