/* config.h: unirootd's settings, from a config file and then the command line.
 *
 * Config file (default /etc/uniroot/unirootd.conf, missing is fine unless
 * named with --config; a regular file of at most 64 KiB, or /dev/null): lines
 * "key = value", '#' comments (the format of common/kvconf.h, shared with the
 * runtime's /etc/uniroot/config). Keys are the long option names below
 * without the dashes, e.g.
 *   state-dir = /run/containerd        (repeatable, at most 8)
 *   observer = auto                    (auto|bpf|bpf-tracepoint|bpf-fentry|fanotify)
 *   socket = /run/uniroot/unirootd.sock   (default: $UNIROOT_AGENT_SOCKET, else this)
 *   pin-dir = /sys/fs/bpf/uniroot/v1
 *   log-level = info
 *   block-only = yes
 *   reconcile-interval = 60            (seconds, 0 = only after drops)
 *   bundle-watch = yes                 (fanotify watcher of new config.json)
 *   keep-observing = no                (yes: leave BPF attached on SIGTERM too)
 *   ioctl-events = yes                 (no: no ioctl hook; loop/dm facts come from sysfs only)
 *   ringbuf-kib = 1024                 (BPF ring buffer size, a power of two >= 16)
 */
#ifndef UNIROOTD_CONFIG_H
#define UNIROOTD_CONFIG_H

#include <stdbool.h>

#include "err.h"
#include "log.h"

#define CFG_MAX_STATE_DIRS 8
#define CFG_PATH 4096

enum observer_kind {
    OBS_AUTO = 0,
    OBS_BPF,            /* fentry if it loads, else tracepoints */
    OBS_BPF_TRACEPOINT,
    OBS_BPF_FENTRY,
    OBS_FANOTIFY,
};

struct agent_config {
    char config_file[CFG_PATH];
    char socket_path[CFG_PATH];
    char pin_dir[CFG_PATH];
    char sysfs[CFG_PATH];
    char state_dirs[CFG_MAX_STATE_DIRS][CFG_PATH];
    int n_state_dirs;
    enum observer_kind observer;
    enum ulog_level log_level;
    bool block_only;
    bool bundle_watch;
    bool keep_observing;
    bool ioctl_events;
    int reconcile_interval;
    int ringbuf_kib;
    bool cleanup_only;   /* --cleanup: remove pinned objects and exit */
    bool check_config;   /* --check-config: print the settings and exit */
};

const char *observer_kind_name(enum observer_kind k);

/* Defaults, then the config file, then argv. Returns 0, 1 when --help was
 * printed, or a negative errno with a message. */
int config_load(struct agent_config *c, int argc, char **argv, struct ur_err *err);

/* Apply one "key", "value" setting (shared by the file and the flags). */
int config_set(struct agent_config *c, const char *key, const char *value, struct ur_err *err);

/* Parse config file text (for tests and config_load). */
int config_parse_text(struct agent_config *c, const char *text, const char *name,
                      struct ur_err *err);

void config_defaults(struct agent_config *c);

#endif
