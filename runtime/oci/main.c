/* main.c: uniroot, an OCI runtime with runc's command line that runs
 * unikernels on uniroot-vmm (hvt) or uniroot-spt (spt) and hands every other
 * container to runc.
 *
 *   uniroot [global options] COMMAND [options] [ID] [args]
 *
 * Global options come before the command (--root, --log, --log-format,
 * --debug, --systemd-cgroup). This is the only place that prints errors. */
#include "agentsock.h"
#include "backend.h"
#include "oci.h"
#include "settings.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const struct {
    const char *name;
    cmd_fn fn;
    const char *help;
} commands[] = {
    {"create", cmd_create, "create a container (the VMM is made ready and waits)"},
    {"start", cmd_start, "start a created container"},
    {"run", cmd_run, "create, start and wait for a container; exits with its status"},
    {"state", cmd_state, "print the OCI state of a container"},
    {"kill", cmd_kill, "send a signal (name or number, default TERM) to a container"},
    {"delete", cmd_delete, "delete a container and everything uniroot made for it"},
    {"list", cmd_list, "list containers"},
    {"ps", cmd_ps, "list the processes of a container"},
    {"pause", cmd_pause, "pause a container"},
    {"resume", cmd_resume, "resume a paused container"},
    {"exec", cmd_exec, "not supported for unikernel containers (runc's are handed over)"},
    {"features", cmd_features, "print what this runtime supports (JSON)"},
    {"spec", cmd_spec, "write an example unikernel config.json"},
    {"events", cmd_other, "handed to runc for runc containers"},
    {"update", cmd_other, "handed to runc for runc containers"},
    {"checkpoint", cmd_other, "handed to runc for runc containers"},
    {"restore", cmd_other, "handed to runc for runc containers"},
};
#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static void usage(FILE *f)
{
    fprintf(f,
            "uniroot %s: OCI runtime for unikernels on uniroot-vmm and uniroot-spt (runc's command line)\n\n"
            "usage: uniroot [global options] COMMAND [options] [ID] [args]\n\n"
            "global options:\n"
            "  --root DIR            state directory (default %s)\n"
            "  --log FILE            log file (errors reach containerd through it)\n"
            "  --log-format FMT      text or json (default text)\n"
            "  --debug               log debug lines too\n"
            "  --systemd-cgroup      not supported (cgroupfs only)\n"
            "  --version, --help\n\n"
            "commands:\n",
            UNIROOT_VERSION, UNIROOT_DEFAULT_ROOT);
    for (size_t i = 0; i < N_COMMANDS; i++)
        fprintf(f, "  %-12s %s\n", commands[i].name, commands[i].help);
    fprintf(f, "\ncreate/run options: --bundle|-b DIR, --pid-file FILE, --console-socket SOCK,\n"
               "  --preserve-fds N, --no-pivot, --no-new-keyring (run: --detach|-d, --keep)\n"
               "kill: [--all|-a] ID [SIGNAL]    delete: [--force|-f] ID\n"
               "ps: [--format|-f table|json] ID  list: [--format|-f table|json] [--quiet|-q]\n\n"
               "config file: " SETTINGS_DEFAULT_FILE " (if it exists), or $" SETTINGS_FILE_ENV "\n"
               "  (must exist): log-level, runc, agent-socket, cgroup-root, hvt.monitor,\n"
               "  hvt.memory-mb, hvt.vcpus, spt.monitor, spt.memory-mb, spt.vcpus\n"
               "environment (wins over the file): UNIROOT_VMM (hvt monitor), UNIROOT_SPT (spt\n"
               "  monitor), UNIROOT_RUNC (runc for hand-off), UNIROOT_CGROUP_ROOT,\n"
               "  " UR_AGENT_SOCKET_ENV " (agent socket, default " UR_AGENT_SOCKET_DEFAULT ")\n"
               "annotation dev.uniroot.memory-mb=MB: the guest's memory (over the memory limit\n"
               "  and the file; at most the limit)\n");
}

int main(int argc, char **argv)
{
    struct ctx c = {.root = NULL, .argc = argc, .argv = argv};
    const char *log_format = "text";
    const char *ignored = NULL;
    bool systemd = false, help = false, version = false;
    const struct opt global[] = {
        {"root", 0, OPT_STR, &c.root},
        {"log", 0, OPT_STR, &c.log_path},
        {"log-format", 0, OPT_STR, &log_format},
        {"debug", 0, OPT_FLAG, &c.debug},
        {"systemd-cgroup", 0, OPT_FLAG, &systemd},
        {"rootless", 0, OPT_STR, &ignored},
        {"criu", 0, OPT_STR, &ignored},
        {"help", 'h', OPT_FLAG, &help},
        {"version", 'v', OPT_FLAG, &version},
        {NULL, 0, 0, NULL},
    };
    struct ur_err err;
    ur_err_clear(&err);
    int i = 1;
    int rc = opts_parse(argc, argv, &i, global, &err);
    if (rc == 0 && strcmp(log_format, "text") != 0 && strcmp(log_format, "json") != 0)
        rc = ur_errf(&err, -EINVAL, "unknown --log-format \"%s\" (text or json)", log_format);
    c.log_json = strcmp(log_format, "json") == 0;
    log_init(&c);
    /* the node's config file, for every command (a bad one is refused by all:
     * what it says must not apply to some commands and not to others) */
    static struct rt_settings set;
    if (rc == 0)
        rc = settings_load(&set, &err);
    if (rc < 0) {
        log_error(err.msg);
        return 1;
    }
    log_set_level(set.log_level);
    c.set = &set;
    if (version) {
        printf("uniroot version %s\nspec: %s\n", UNIROOT_VERSION, UNIROOT_OCI_VERSION);
        for (unsigned k = 0; k < n_backends; k++)
            printf("%s: %s\n", backends[k]->name,
                   backend_monitor(backends[k], settings_monitor(&set, k), NULL));
        printf("config: %s\n", set.file[0] ? set.file : "none (built-in defaults)");
        return 0;
    }
    if (help || i >= argc || strcmp(argv[i], "help") == 0) {
        usage(help || i < argc ? stdout : stderr);
        return help || i < argc ? 0 : 1;
    }
    if (systemd) {
        log_error("--systemd-cgroup is not supported: uniroot places the VMM with the cgroupfs "
                  "driver (configure SystemdCgroup = false)");
        return 1;
    }
    /* Without --root, runc (handed the same argv) uses its own default. */
    c.runc_root = c.root ? c.root : RUNC_DEFAULT_ROOT;
    if (!c.root)
        c.root = UNIROOT_DEFAULT_ROOT;
    c.runc_path = settings_runc(&set);
    const char *cmd = argv[i];
    for (size_t k = 0; k < N_COMMANDS; k++) {
        if (strcmp(commands[k].name, cmd) != 0)
            continue;
        rc = commands[k].fn(&c, argc - i - 1, argv + i + 1, &err);
        if (rc < 0) {
            log_error(err.msg[0] ? err.msg : strerror(-rc));
            return 1;
        }
        fflush(stdout);
        return rc;
    }
    snprintf(err.msg, sizeof(err.msg), "unknown command \"%s\" (see uniroot --help)", cmd);
    log_error(err.msg);
    return 1;
}
