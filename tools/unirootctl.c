/* unirootctl.c: the operator's client of unirootd (its socket protocol is in
 * userspace/server.h, its lines built and read by common/agentproto.h) and
 * of the uniroot runtime's container state (common/ctrstate.h). This file
 * holds the command line and the usage text; the commands are the
 * tools/ctl_*.c files (ctl.h lists them). The socket: --socket, else
 * $UNIROOT_AGENT_SOCKET, else the default (common/agentsock.h, as for the
 * agent and the runtime). */
#include "agentsock.h"
#include "ctl.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage_text(FILE *f)
{
    fprintf(f,
"unirootctl: the operator's client of unirootd (the node agent) and of the\n"
"uniroot runtime's container state.\n"
"\n"
"usage: unirootctl [OPTIONS] COMMAND [ARGS]\n"
"\n"
"commands:\n"
"  status                the agent's status; the exit status says whether it is\n"
"                        ready (a readiness probe: 0 only while it serves)\n"
"  get BUNDLE_DIR        the agent's record for a bundle\n"
"  get NAMESPACE ID      the agent's record for a container\n"
"  list                  every record the agent holds\n"
"  watch [--count N]     the records' changes as they happen (N of them, else\n"
"                        until stopped)\n"
"  raw JSON_LINE         send one request line as is\n"
"  explain CONTAINER_ID  the runtime's decision for a container, from its state\n"
"                        under --root: the block device and how it was chosen\n"
"                        (the agent's annotation verified, the agent's socket\n"
"                        answer, the runtime's own fallback, or none), the\n"
"                        monitor (hvt/spt), memory, net devices and taps, the\n"
"                        guest's pid and status; beside it the agent's record\n"
"                        for the container's bundle and whether both name the\n"
"                        same device\n"
"  explain BUNDLE_DIR    (an argument with a '/', e.g. ./b) the agent's record\n"
"                        and the bundle's annotation, and whether the runtime's\n"
"                        verifier would trust them now\n"
"\n"
"options (before the command; --json may also come after it):\n"
"  --socket PATH   the agent's socket (default $%s, else %s)\n"
"  --timeout MS    wait at most MS milliseconds for the agent (1 to %d,\n"
"                  default 2000)\n"
"  --root DIR      the runtime's state root, as given to uniroot --root\n"
"                  (default %s; containerd's runc shim passes\n"
"                  /run/containerd/runc/<namespace>)\n"
"  --json          machine-readable output: one JSON document on stdout (watch:\n"
"                  one per line); errors too, as {\"error\":\"...\"}, with the\n"
"                  same exit status. Without it: the agent's answer lines as\n"
"                  sent, explain as text lines, errors as one line on stderr\n"
"  --help          this text\n"
"\n"
"exit status:\n"
"  0   done; status: the agent is up and serving (it answered ok and an\n"
"      observer is live); explain BUNDLE_DIR: the record is verifiable\n"
"  1   the agent answered no (\"ok\":false); status: it answered but is not\n"
"      ready; explain BUNDLE_DIR: nothing verifiable\n"
"  2   no usable answer from the agent: no socket, nobody listening, refused,\n"
"      no answer within --timeout, an answer that is not JSON\n"
"  3   explain CONTAINER_ID: no such container under --root\n"
"  4   explain CONTAINER_ID: its state is unreadable (not JSON, wrong types,\n"
"      too large, not a regular file, a symlink)\n"
"  64  bad command line: unknown command or option, a number out of range,\n"
"      an invalid container id, a socket path too long for a unix address\n",
            UR_AGENT_SOCKET_ENV, UR_AGENT_SOCKET_DEFAULT, INT_MAX, UR_RUNTIME_ROOT_DEFAULT);
}

static int usage(const struct ctl *c)
{
    if (c->json)
        return ctl_fail(c, CTL_USAGE, "bad usage (see unirootctl --help)");
    fprintf(stderr, "usage: unirootctl [--socket PATH] [--timeout MS] [--root DIR] [--json] "
                    "get BUNDLE | get NS ID | list | status | watch [--count N] | raw JSON | "
                    "explain ID|BUNDLE  (unirootctl --help)\n");
    return CTL_USAGE;
}

/* A whole decimal number in [min, max], or -1 (with a message) when s is
 * anything else: "abc", "-5", "10x" and overflow are refused, not taken as 0. */
static long parse_num(const struct ctl *c, const char *opt, const char *s, long min, long max)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (!*s || *end || errno || v < min || v > max || s[0] == '-' || s[0] == '+' || s[0] == ' ') {
        ctl_fail(c, CTL_USAGE, "%s wants a number from %ld to %ld, not \"%s\"", opt, min, max, s);
        return -1;
    }
    return v;
}

/* Run the command in argv[0..argc). */
static int run(const struct ctl *c, int argc, char **argv)
{
    const char *op = argv[0];
    int n = argc - 1;
    char **a = argv + 1;
    struct ur_agent_req q = {.op = UR_AGENT_BAD};
    if (!strcmp(op, "status") && n == 0)
        return ctl_cmd_status(c);
    if (!strcmp(op, "explain") && n == 1)
        return strchr(a[0], '/') ? ctl_cmd_explain_bundle(c, a[0]) : ctl_cmd_explain(c, a[0]);
    if (!strcmp(op, "watch") && (n == 0 || (n == 2 && !strcmp(a[0], "--count")))) {
        long count = n ? parse_num(c, "--count", a[1], 0, LONG_MAX) : -1;
        return n && count < 0 ? CTL_USAGE : ctl_cmd_watch(c, count);
    }
    if (!strcmp(op, "get") && n == 1)
        q = (struct ur_agent_req){.op = UR_AGENT_GET, .bundle = a[0]};
    else if (!strcmp(op, "get") && n == 2)
        q = (struct ur_agent_req){.op = UR_AGENT_GET, .ns = a[0], .id = a[1]};
    else if (!strcmp(op, "list") && n == 0)
        q.op = UR_AGENT_LIST;
    else if (!strcmp(op, "raw") && n == 1) {
        char *line;
        if (asprintf(&line, "%s\n", a[0]) < 0)
            return ctl_fail(c, CTL_UNREACHABLE, "out of memory");
        int rc = ctl_cmd_query(c, line);
        free(line);
        return rc;
    } else
        return usage(c);
    char *line = ur_agent_req_line(&q);
    if (!line)
        return ctl_fail(c, CTL_UNREACHABLE, "out of memory");
    int rc = ctl_cmd_query(c, line);
    free(line);
    return rc;
}

int main(int argc, char **argv)
{
    struct ctl c = {.sock = ur_agent_socket_path(), .timeout_ms = 2000, .root = UR_RUNTIME_ROOT_DEFAULT};
    /* --json anywhere: the failures below are already reported in JSON */
    int k = 1;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--json"))
            c.json = true;
        else
            argv[k++] = argv[i];
    }
    argc = k;
    argv[argc] = NULL;
    int i = 1;
    for (; i < argc && !strncmp(argv[i], "--", 2); i++) {
        if (!strcmp(argv[i], "--help")) {
            usage_text(stdout);
            return CTL_OK;
        }
        if (!strcmp(argv[i], "--socket") && i + 1 < argc)
            c.sock = argv[++i];
        else if (!strcmp(argv[i], "--root") && i + 1 < argc && argv[i + 1][0])
            c.root = argv[++i];
        else if (!strcmp(argv[i], "--timeout") && i + 1 < argc) {
            if ((c.timeout_ms = parse_num(&c, "--timeout", argv[++i], 1, INT_MAX)) < 0)
                return CTL_USAGE;
        } else
            return usage(&c);
    }
    if (i >= argc)
        return usage(&c);
    return run(&c, argc - i, argv + i);
}
