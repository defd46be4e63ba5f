/* settings.h: the runtime's node configuration file, /etc/uniroot/config
 * (another with UNIROOT_CONFIG=FILE), in the "key = value" format of
 * common/kvconf.h that unirootd's file has too. Every key, with its built-in
 * default (runtime/oci/uniroot.config.example is the commented list):
 *
 *   log-level = info                 debug | info | warn | error (--debug: debug)
 *   runc = runc                      the hand-off's runc: absolute, or a name on PATH
 *   agent-socket = /run/uniroot/unirootd.sock
 *   cgroup-root = /sys/fs/cgroup
 *   hvt.monitor = (beside uniroot, else on PATH)     absolute path of the hvt monitor
 *   hvt.memory-mb = 512              guest memory when the container asks for none
 *   hvt.vcpus = 1                    only 1: a Solo5 guest has one vCPU
 *   spt.monitor, spt.memory-mb, spt.vcpus   the same for spt
 *
 * A key given twice, an unknown key, or a value out of range is refused with
 * "FILE:LINE: ..." (one line, which reaches containerd through --log).
 * The environment variables the runtime had before the file (UNIROOT_VMM,
 * UNIROOT_SPT, UNIROOT_RUNC, UNIROOT_AGENT_SOCKET, UNIROOT_CGROUP_ROOT) win
 * over it; annotations of a container win over both (guest_mem.c).
 */
#ifndef UNIROOT_OCI_SETTINGS_H
#define UNIROOT_OCI_SETTINGS_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include "err.h"

#define SETTINGS_DEFAULT_FILE "/etc/uniroot/config"
#define SETTINGS_FILE_ENV "UNIROOT_CONFIG"
#define SETTINGS_DEFAULT_MEM_MB 512   /* the Solo5 monitors' own default (solo5-hvt, solo5-spt) */
#define SETTINGS_MAX_MONITORS 4       /* at least n_backends (backend.h) */

enum rt_log_level { RT_LOG_DEBUG = 0, RT_LOG_INFO, RT_LOG_WARN, RT_LOG_ERROR };

/* One backend's settings (the "hvt." and "spt." keys). */
struct rt_monitor_settings {
    uint64_t memory_mb;        /* guest memory when the container asks for none */
    unsigned memory_line;      /* its line in the file; 0: the built-in default */
    unsigned vcpus;            /* always 1 (see settings.c) */
    char monitor[PATH_MAX];    /* "": found beside uniroot, else on PATH */
};

struct rt_settings {
    char file[PATH_MAX];       /* the file that was read, "" when none was */
    enum rt_log_level log_level;
    char runc[PATH_MAX];
    char agent_socket[108];    /* sizeof(sun_path) */
    char cgroup_root[PATH_MAX];
    struct rt_monitor_settings mon[SETTINGS_MAX_MONITORS]; /* indexed like backends[] */
    /* keys seen so far, to refuse one given twice */
    struct { char key[32]; unsigned line; } seen[32];
    unsigned nseen;
};

/* The built-in defaults. */
void settings_defaults(struct rt_settings *s);
/* Apply one setting (line: where it is, for messages and for the record). */
int settings_set(struct rt_settings *s, const char *key, const char *value, unsigned line,
                 struct ur_err *err);
/* Parse text (name names it in messages) over what s holds. */
int settings_parse(struct rt_settings *s, const char *text, const char *name, struct ur_err *err);
/* Defaults, then the file: $UNIROOT_CONFIG when set (it must exist), else
 * /etc/uniroot/config when it exists. */
int settings_load(struct rt_settings *s, struct ur_err *err);

/* What applies, each variable winning over the file: */
const char *settings_runc(const struct rt_settings *s);          /* $UNIROOT_RUNC */
const char *settings_agent_socket(const struct rt_settings *s);  /* $UNIROOT_AGENT_SOCKET */
const char *settings_cgroup_root(const struct rt_settings *s);   /* $UNIROOT_CGROUP_ROOT */
/* The configured monitor of backends[k] (NULL: none configured). Its
 * variable (UNIROOT_VMM, UNIROOT_SPT) wins in backend_monitor(). */
const char *settings_monitor(const struct rt_settings *s, unsigned k);
/* "debug", "info", "warn", "error" */
const char *settings_log_level_name(enum rt_log_level l);

#endif
