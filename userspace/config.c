/* config.c: defaults, config file and command line of unirootd (see config.h). */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "agentsock.h"
#include "kvconf.h"
#include "uniroot_events.h"

#define DEFAULT_CONFIG "/etc/uniroot/unirootd.conf"

static const char *const observer_names[] = {
    [OBS_AUTO] = "auto", [OBS_BPF] = "bpf", [OBS_BPF_TRACEPOINT] = "bpf-tracepoint",
    [OBS_BPF_FENTRY] = "bpf-fentry", [OBS_FANOTIFY] = "fanotify",
};

const char *observer_kind_name(enum observer_kind k)
{
    return (unsigned)k < sizeof(observer_names) / sizeof(observer_names[0]) ? observer_names[k] : "?";
}

void config_defaults(struct agent_config *c)
{
    memset(c, 0, sizeof(*c));
    snprintf(c->socket_path, sizeof(c->socket_path), "%s", ur_agent_socket_path());
    snprintf(c->pin_dir, sizeof(c->pin_dir), "%s", UR_PIN_DIR);
    snprintf(c->sysfs, sizeof(c->sysfs), "/sys");
    c->observer = OBS_AUTO;
    c->log_level = ULOG_INFO;
    c->block_only = true;
    c->bundle_watch = true;
    c->ioctl_events = true;
    c->reconcile_interval = 60;
    c->ringbuf_kib = 1024;
}

static int parse_bool(const char *v, bool *out)
{
    if (!strcasecmp(v, "yes") || !strcasecmp(v, "true") || !strcmp(v, "1") || !strcasecmp(v, "on"))
        *out = true;
    else if (!strcasecmp(v, "no") || !strcasecmp(v, "false") || !strcmp(v, "0") || !strcasecmp(v, "off"))
        *out = false;
    else
        return -EINVAL;
    return 0;
}

static int set_path(char *dst, const char *key, const char *v, struct ur_err *err)
{
    if (v[0] != '/' || strlen(v) >= CFG_PATH)
        return ur_errf(err, -EINVAL, "%s: want an absolute path, got \"%s\"", key, v);
    snprintf(dst, CFG_PATH, "%s", v);
    return 0;
}

int config_set(struct agent_config *c, const char *key, const char *v, struct ur_err *err)
{
    bool b;
    if (!strcmp(key, "state-dir")) {
        if (c->n_state_dirs >= CFG_MAX_STATE_DIRS)
            return ur_errf(err, -E2BIG, "state-dir: at most %d", CFG_MAX_STATE_DIRS);
        if (strlen(v) + 2 > UR_PREFIX_LEN)
            return ur_errf(err, -ENAMETOOLONG, "state-dir: at most %d bytes", UR_PREFIX_LEN - 2);
        return set_path(c->state_dirs[c->n_state_dirs++], key, v, err);
    }
    if (!strcmp(key, "socket"))
        return set_path(c->socket_path, key, v, err);
    if (!strcmp(key, "pin-dir"))
        return set_path(c->pin_dir, key, v, err);
    if (!strcmp(key, "sysfs"))
        return set_path(c->sysfs, key, v, err);
    if (!strcmp(key, "observer")) {
        for (unsigned i = 0; i < sizeof(observer_names) / sizeof(observer_names[0]); i++)
            if (!strcmp(v, observer_names[i])) {
                c->observer = (enum observer_kind)i;
                return 0;
            }
        return ur_errf(err, -EINVAL, "observer: want auto, bpf, bpf-tracepoint, bpf-fentry or fanotify, got \"%s\"", v);
    }
    if (!strcmp(key, "log-level")) {
        if (ulog_level_parse(v, &c->log_level) < 0)
            return ur_errf(err, -EINVAL, "log-level: want debug, info, warn or error, got \"%s\"", v);
        return 0;
    }
    if (!strcmp(key, "reconcile-interval")) {
        char *end;
        long n = strtol(v, &end, 10);
        if (!*v || *end || n < 0 || n > 86400)
            return ur_errf(err, -EINVAL, "reconcile-interval: want 0..86400 seconds, got \"%s\"", v);
        c->reconcile_interval = (int)n;
        return 0;
    }
    if (!strcmp(key, "ringbuf-kib")) {
        char *end;
        long n = strtol(v, &end, 10);
        if (!*v || *end || n < 16 || n > (1 << 20) || (n & (n - 1)))
            return ur_errf(err, -EINVAL, "ringbuf-kib: want a power of two from 16 to 1048576, got \"%s\"", v);
        c->ringbuf_kib = (int)n;
        return 0;
    }
    bool *flag = !strcmp(key, "block-only")       ? &c->block_only
                 : !strcmp(key, "bundle-watch")   ? &c->bundle_watch
                 : !strcmp(key, "keep-observing") ? &c->keep_observing
                 : !strcmp(key, "ioctl-events")   ? &c->ioctl_events
                                                  : NULL;
    if (flag) {
        if (parse_bool(v, &b) < 0)
            return ur_errf(err, -EINVAL, "%s: want yes or no, got \"%s\"", key, v);
        *flag = b;
        return 0;
    }
    return ur_errf(err, -EINVAL, "unknown setting \"%s\"", key);
}

/* One setting of the file (kvconf.h calls it per line). */
static int file_setting(void *arg, const char *key, const char *value, unsigned line,
                        struct ur_err *err)
{
    (void)line;
    return config_set(arg, key, value, err);
}

int config_parse_text(struct agent_config *c, const char *text, const char *name, struct ur_err *err)
{
    return ur_kv_parse(text, strlen(text), name, file_setting, c, err);
}

static void usage(void)
{
    printf("usage: unirootd [options]\n"
           "The uniroot node agent: sees in the kernel (BPF, or fanotify mount notifications)\n"
           "which block device is mounted as which container's rootfs, writes that record into\n"
           "the bundle's config.json (annotation dev.uniroot.rootfs) before the runtime's\n"
           "create, keeps it in a BPF map pinned under the pin directory, and answers queries\n"
           "(unirootctl) on a unix socket. Runs in the host's mount namespace, as root.\n"
           "\n"
           "options (each also a key of the settings file: `key = value` lines, # comments):\n"
           "  --config FILE            settings file (default " DEFAULT_CONFIG "; a missing\n"
           "                           default file is fine, a missing --config FILE is not)\n"
           "  --state-dir DIR          containerd state dir to watch (repeatable; default /run/containerd;\n"
           "                           given on the command line, they replace the file's)\n"
           "  --observer KIND          auto | bpf | bpf-tracepoint | bpf-fentry | fanotify\n"
           "                           (auto: fentry, else tracepoints, else fanotify)\n"
           "  --socket PATH            query socket (default $" UR_AGENT_SOCKET_ENV ", else " UR_AGENT_SOCKET_DEFAULT ")\n"
           "  --pin-dir DIR            BPF pin directory (default " UR_PIN_DIR ")\n"
           "  --sysfs DIR              where sysfs is (default /sys; tests point it elsewhere)\n"
           "  --log-level LEVEL        debug | info | warn | error (JSON lines on stderr)\n"
           "  --block-only yes|no      report only block-backed rootfs mounts (default yes)\n"
           "  --bundle-watch yes|no    fanotify watch of new config.json (default yes)\n"
           "  --reconcile-interval S   mountinfo reconciliation period, 0 = after drops only\n"
           "  --keep-observing yes|no  leave the BPF programs attached on SIGTERM\n"
           "  --ioctl-events yes|no    hook loop/dm ioctls (tracepoint variant: costs every ioctl)\n"
           "  --ringbuf-kib N          BPF ring buffer size (default 1024)\n"
           "  --cleanup                detach and remove every pinned object, then exit\n"
           "  --check-config           print the effective settings and exit\n"
           "  --help                   this text\n"
           "\n"
           "signals: SIGTERM, SIGINT stop (BPF links detached unless keep-observing);\n"
           "  SIGHUP re-reads the settings file and reconciles with /proc/self/mountinfo.\n"
           "exit status: 0 stopped by a signal or done; 1 setup failed; 2 bad usage or settings.\n"
           "See also: unirootctl status (which observer is live and why), uniroot(1).\n");
}

int config_load(struct agent_config *c, int argc, char **argv, struct ur_err *err)
{
    static const struct option opts[] = {
        {"config", required_argument, 0, 'c'},
        {"state-dir", required_argument, 0, 's'},
        {"observer", required_argument, 0, 'o'},
        {"socket", required_argument, 0, 'S'},
        {"pin-dir", required_argument, 0, 'p'},
        {"sysfs", required_argument, 0, 'y'},
        {"log-level", required_argument, 0, 'l'},
        {"block-only", required_argument, 0, 'b'},
        {"bundle-watch", required_argument, 0, 'w'},
        {"reconcile-interval", required_argument, 0, 'r'},
        {"keep-observing", required_argument, 0, 'k'},
        {"ringbuf-kib", required_argument, 0, 'R'},
        {"ioctl-events", required_argument, 0, 'i'},
        {"cleanup", no_argument, 0, 'C'},
        {"check-config", no_argument, 0, 'K'},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    config_defaults(c);
    /* First pass: only --config, so the file applies before the other flags. */
    const char *file = DEFAULT_CONFIG;
    bool explicit_file = false;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--config") && i + 1 < argc) {
            file = argv[++i];
            explicit_file = true;
        } else if (!strncmp(argv[i], "--config=", 9)) {
            file = argv[i] + 9;
            explicit_file = true;
        }
    }
    snprintf(c->config_file, sizeof(c->config_file), "%s", file);
    int rc = ur_kv_load(file, explicit_file, file_setting, c, err);
    if (rc < 0)
        return rc;
    bool cli_dirs = false;
    optind = 1;
    opterr = 0;
    for (;;) {
        int idx = 0, o = getopt_long(argc, argv, "h", opts, &idx);
        if (o == -1)
            break;
        if (o == 'h') {
            usage();
            return 1;
        }
        if (o == '?' || o == ':')
            return ur_errf(err, -EINVAL, "bad option %s (see --help)", argv[optind - 1]);
        if (o == 'c')
            continue;
        if (o == 'C') {
            c->cleanup_only = true;
            continue;
        }
        if (o == 'K') {
            c->check_config = true;
            continue;
        }
        if (o == 's' && !cli_dirs) { /* command-line dirs replace the file's */
            cli_dirs = true;
            c->n_state_dirs = 0;
        }
        if ((rc = config_set(c, opts[idx].name, optarg, err)) < 0)
            return rc;
    }
    if (optind < argc)
        return ur_errf(err, -EINVAL, "unexpected argument \"%s\"", argv[optind]);
    if (c->n_state_dirs == 0)
        snprintf(c->state_dirs[c->n_state_dirs++], CFG_PATH, "/run/containerd");
    return 0;
}
