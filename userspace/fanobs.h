/* fanobs.h: unirootd's fanotify observers.
 *  - mount observer (Linux 6.15+): FAN_MNT_ATTACH/FAN_MNT_DETACH on the
 *    agent's mount namespace, each attach resolved with statmount(2). A
 *    BPF-free backend (--observer=fanotify, or auto when BPF cannot load);
 *    it costs only mount operations, nothing on other syscalls.
 *  - bundle watcher: FAN_CREATE/FAN_MOVED_TO/FAN_CLOSE_WRITE with
 *    FAN_REPORT_DFID_NAME on the filesystems of the state directories; a new
 *    config.json under a task directory tells the agent about the bundle
 *    (annotation written there if the rootfs is already known).
 * Both report through the agent's sink (sink.h) and nothing else.
 * Debian 12's headers predate the mount-notification API: the constants
 * and structs are defined here (values from the kernel's uapi). */
#ifndef UNIROOTD_FANOBS_H
#define UNIROOTD_FANOBS_H

#include "err.h"

struct fanobs;
struct obs_sink;

/* Each registers with epoll fd ep; *sink is copied. */
int fanobs_mount_open(const struct obs_sink *sink, int ep, struct fanobs **out, struct ur_err *err);
/* Watches the filesystems holding the n directories dirs (at most 8). */
int fanobs_bundle_open(const struct obs_sink *sink, const char *const *dirs, int n, int ep,
                       struct fanobs **out, struct ur_err *err);

/* epoll callback (the registered pointer is the struct fanobs). */
void fanobs_on_ready(void *obs);

void fanobs_close(struct fanobs *o);

#endif
