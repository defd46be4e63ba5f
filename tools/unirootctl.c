/* unirootctl.c: talk to unirootd's socket (protocol in userspace/server.h,
 * its lines built and read by common/agentproto.h).
 *
 *   unirootctl [--socket PATH] [--timeout MS] get BUNDLE_DIR   (MS >= 1, default 2000)
 *   unirootctl ... get NAMESPACE ID
 *   unirootctl ... list | status
 *   unirootctl ... watch [--count N]     print change lines (N of them, or forever)
 *   unirootctl ... raw JSON_LINE         send a request as is
 *   unirootctl ... explain BUNDLE_DIR    the record, the annotation in config.json and
 *                                        whether the rootfs mounted now matches them
 *                                        by the runtime's own verifier (common/
 *                                        mountcheck.c): what it will decide and why
 * The socket: --socket, else $UNIROOT_AGENT_SOCKET, else the default
 * (common/agentsock.h, as for the agent and the runtime).
 * Prints the response line. Exit status: 0 ok, 1 the agent said no
 * ("ok":false), 2 could not ask (no agent, timeout, bad usage). */
#include <cjson/cJSON.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>

#include "agentproto.h"
#include "agentsock.h"
#include "err.h"
#include "mountcheck.h"
#include "rootfs_record.h"

/* The usage text: on stdout with status 0 when asked for (--help), else on
 * stderr with status 2 (bad usage). */
static int usage_to(FILE *f, int status)
{
    fprintf(f, "usage: unirootctl [--socket PATH] [--timeout MS] get BUNDLE | get NS ID | list | "
               "status | watch [--count N] | raw JSON | explain BUNDLE\n"
               "Ask the uniroot node agent (unirootd) on its socket; prints its answer (a JSON line).\n"
               "\n"
               "  get BUNDLE        the record of the container whose bundle directory is BUNDLE\n"
               "  get NS ID         the record of container ID in containerd namespace NS\n"
               "  list              every record\n"
               "  status            the agent's state: observer live and why, counters\n"
               "  watch             change lines as they happen (--count N: stop after N)\n"
               "  raw JSON          send one request line as is\n"
               "  explain BUNDLE    the agent's record, the annotation in BUNDLE/config.json and the\n"
               "                    rootfs mounted now, checked by the runtime's own verifier: what\n"
               "                    the runtime will decide and why\n"
               "\n"
               "  --socket PATH     the agent's socket (default $" UR_AGENT_SOCKET_ENV ", else "
               UR_AGENT_SOCKET_DEFAULT ")\n"
               "  --timeout MS      how long to wait for the answer (default 2000)\n"
               "  --help            this text\n"
               "exit status: 0 the agent answered ok; 1 it answered no (\"ok\":false);\n"
               "  2 could not ask (no agent, timeout, bad usage).\n");
    return status;
}

static int usage(void)
{
    return usage_to(stderr, 2);
}

/* From BUNDLE/config.json: the dev.uniroot.rootfs annotation (malloc'ed, or
 * NULL) and the rootfs path the runtime will look at (root.path, relative
 * to the bundle unless absolute; "rootfs" when absent). */
static char *read_bundle(const char *bundle, char *rootfs, size_t n)
{
    char path[4200];
    snprintf(rootfs, n, "%s/rootfs", bundle);
    snprintf(path, sizeof(path), "%s/config.json", bundle);
    FILE *f = fopen(path, "re");
    if (!f)
        return NULL;
    static char buf[1 << 20];
    size_t len = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[len] = '\0';
    cJSON *root = cJSON_Parse(buf);
    const char *rp = cJSON_GetStringValue(
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(root, "root"), "path"));
    if (rp && *rp)
        snprintf(rootfs, n, rp[0] == '/' ? "%s" : "%.4000s/%s", rp[0] == '/' ? rp : bundle, rp);
    const cJSON *ann = cJSON_GetObjectItemCaseSensitive(root, "annotations");
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(ann, ROOTFS_ANNOTATION);
    char *out = cJSON_IsString(v) ? strdup(v->valuestring) : NULL;
    cJSON_Delete(root);
    return out;
}

/* Run the runtime's own reader and verifier on one record (JSON text) into
 * *r; print the verdict. */
static bool verify_one(const char *what, const char *json, const char *rootfs,
                       struct rootfs_record *r)
{
    struct ur_err e;
    ur_err_clear(&e);
    if (rootfs_record_from_json(json, r, &e) < 0) {
        printf("verifier:   %s record ignored: %s\n", what, e.msg);
        return false;
    }
    if (ur_mount_verify(rootfs, r, &e) < 0) {
        printf("verifier:   %s record not trusted: %s\n", what, e.msg);
        return false;
    }
    printf("verifier:   %s record verified\n", what);
    return r->type == ROOTFS_BLOCK;
}

/* Print what the agent and the bundle say and whether the runtime would
 * trust it now: the runtime's order (annotation, then the agent's answer),
 * its record reader (common/rootfs_record.c) and its verifier
 * (common/mountcheck.c). */
static int explain(const char *bundle, const char *agent_line)
{
    char *recs;
    ur_agent_answer(agent_line, "record", &recs, NULL);
    char rootfs[8200];
    char *ann = read_bundle(bundle, rootfs, sizeof(rootfs));
    cJSON *arec = ann ? cJSON_Parse(ann) : NULL;
    const char *use = recs ? recs : cJSON_IsObject(arec) ? ann : NULL;
    printf("bundle:     %s\n", bundle);
    printf("agent:      %s\n", recs ? "has a record" : "no record");
    printf("annotation: %s\n", !ann ? "absent" : arec ? "present" : "present but not JSON");
    int rc = 1;
    static struct rootfs_record r;
    struct ur_err e;
    ur_err_clear(&e);
    if (use && rootfs_record_from_json(use, &r, &e) < 0) {
        printf("record:     unreadable: %s\n", e.msg);
    } else if (use) {
        printf("record:     %s %s (%u:%u) %s, backing %s, observed by %s\n", rootfs_type_name(r.type),
               r.device, r.major, r.minor, r.fstype, r.backing, r.observed_by);
        ur_err_clear(&e);
        if (ur_blockdev_is(r.device, r.major, r.minor, &e) == 0)
            printf("device:     exists with that major:minor\n");
        else
            printf("device:     %s\n", e.msg);
        struct stat st; /* where root.path is now (the verifier below says whether that is enough) */
        if (stat(rootfs, &st) == 0)
            printf("rootfs:     %s on %u:%u, %s\n", rootfs, major(st.st_dev), minor(st.st_dev),
                   major(st.st_dev) == r.major && minor(st.st_dev) == r.minor ? "the recorded device"
                                                                            : "NOT the recorded device");
        else
            printf("rootfs:     %s: %s\n", rootfs, strerror(errno));
    }
    if (use) {
        bool ok = false;
        const char *by = NULL;
        if (ann && (ok = verify_one("annotation", ann, rootfs, &r)))
            by = "annotation";
        if (!ok && recs && (ok = verify_one("agent", recs, rootfs, &r)))
            by = "agent";
        if (ok) {
            printf("decision:   verifiable: the runtime can take %s as the guest's block rootfs "
                   "(%s record)\n", r.device, by);
            rc = 0;
        } else {
            printf("decision:   not verifiable: the runtime decides itself (agent socket, then libmount)\n");
        }
    } else {
        printf("decision:   nothing recorded: not block-backed, not seen, or not a container rootfs\n");
    }
    free(recs);
    free(ann);
    cJSON_Delete(arec);
    return rc;
}

/* A whole decimal number in [min, max], or -1 (with a message) when s is
 * anything else: "abc", "-5", "10x" and overflow are refused, not taken as 0. */
static long parse_num(const char *opt, const char *s, long min, long max)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (!*s || *end || errno || v < min || v > max || s[0] == '-' || s[0] == '+' || s[0] == ' ') {
        fprintf(stderr, "unirootctl: %s wants a number from %ld to %ld, not \"%s\"\n", opt, min, max, s);
        return -1;
    }
    return v;
}

int main(int argc, char **argv)
{
    const char *sock = ur_agent_socket_path();
    long timeout = 2000, count = -1;
    int i = 1;
    for (; i < argc && !strncmp(argv[i], "--", 2); i++) {
        if (!strcmp(argv[i], "--help"))
            return usage_to(stdout, 0);
        if (!strcmp(argv[i], "--socket") && i + 1 < argc)
            sock = argv[++i];
        else if (!strcmp(argv[i], "--timeout") && i + 1 < argc) {
            if ((timeout = parse_num("--timeout", argv[++i], 1, INT_MAX)) < 0)
                return 2;
        }
        else
            return usage();
    }
    if (i >= argc)
        return usage();
    const char *op = argv[i++];
    struct ur_agent_req q = {.op = UR_AGENT_BAD};
    char *line = NULL;
    if ((!strcmp(op, "get") || !strcmp(op, "explain")) && argc - i == 1) {
        q = (struct ur_agent_req){.op = UR_AGENT_GET, .bundle = argv[i]};
    } else if (!strcmp(op, "get") && argc - i == 2) {
        q = (struct ur_agent_req){.op = UR_AGENT_GET, .ns = argv[i], .id = argv[i + 1]};
    } else if ((!strcmp(op, "list") || !strcmp(op, "status")) && argc == i) {
        q.op = !strcmp(op, "list") ? UR_AGENT_LIST : UR_AGENT_STATUS;
    } else if (!strcmp(op, "watch")) {
        q.op = UR_AGENT_WATCH;
        if (argc - i == 2 && !strcmp(argv[i], "--count")) {
            if ((count = parse_num("--count", argv[i + 1], 0, LONG_MAX)) < 0)
                return 2;
        } else if (argc != i)
            return usage();
    } else if (!strcmp(op, "raw") && argc - i == 1) {
        if (asprintf(&line, "%s\n", argv[i]) < 0)
            line = NULL;
    } else {
        return usage();
    }
    if (!line)
        line = ur_agent_req_line(&q);
    if (!line) {
        fprintf(stderr, "unirootctl: out of memory\n");
        return 2;
    }

    static char buf[8 << 20];
    struct ur_agent_conn c;
    struct ur_err e;
    int rc = ur_agent_connect(&c, sock, (int)timeout, buf, sizeof(buf), &e);
    if (rc == -ENAMETOOLONG)
        fprintf(stderr, "unirootctl: socket path %s is longer than a unix socket address allows "
                        "(%zu bytes)\n", sock, sizeof(((struct sockaddr_un *)0)->sun_path) - 1);
    else if (rc < 0)
        fprintf(stderr, "unirootctl: connect %s: %s\n", sock, strerror(-rc));
    else if ((rc = ur_agent_send(&c, line, &e)) < 0)
        fprintf(stderr, "unirootctl: write: %s\n", strerror(-rc));
    free(line);
    if (rc < 0) {
        ur_agent_close(&c);
        return 2;
    }
    char *ans;
    if (ur_agent_recv_line(&c, &ans, &e) < 0) {
        fprintf(stderr, "unirootctl: no answer from %s within %ld ms\n", sock, timeout);
        ur_agent_close(&c);
        return 2;
    }
    if (!strcmp(op, "explain")) {
        ur_agent_close(&c);
        return explain(argv[argc - 1], ans);
    }
    printf("%s\n", ans);
    fflush(stdout);
    int ok = ur_agent_answer(ans, NULL, NULL, NULL) == 0;
    if (!ok || strcmp(op, "watch") != 0) {
        ur_agent_close(&c);
        return ok ? 0 : 1;
    }
    c.deadline = -1; /* change lines come when they come */
    for (long n = 0; (count < 0 || n < count) && ur_agent_recv_line(&c, &ans, &e) == 0; n++) {
        printf("%s\n", ans);
        fflush(stdout);
    }
    ur_agent_close(&c);
    return 0;
}
