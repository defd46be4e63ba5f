/* unirootctl.c: talk to unirootd's socket (protocol in userspace/server.h).
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
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "agentsock.h"
#include "err.h"
#include "mountcheck.h"
#include "rootfs_record.h"

/* The usage line: on stdout with status 0 when asked for (--help), else on
 * stderr with status 2 (bad usage). */
static int usage_to(FILE *f, int status)
{
    fprintf(f, "usage: unirootctl [--socket PATH] [--timeout MS] get BUNDLE | get NS ID | list | "
               "status | watch [--count N] | raw JSON | explain BUNDLE\n");
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
    cJSON *resp = cJSON_Parse(agent_line);
    const cJSON *rec = cJSON_GetObjectItemCaseSensitive(resp, "record");
    char *recs = cJSON_IsObject(rec) ? cJSON_PrintUnformatted(rec) : NULL;
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
    cJSON_Delete(resp);
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

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Read one line into buf within the deadline (-1 = none). 0 ok, -1 error/timeout. */
static int read_line(int fd, char *buf, size_t n, long long deadline, size_t *have)
{
    for (;;) {
        char *nl = memchr(buf, '\n', *have);
        if (nl) {
            *nl = '\0';
            return 0;
        }
        if (*have + 1 >= n)
            return -1;
        int wait = -1;
        if (deadline >= 0) {
            long long left = deadline - now_ms();
            if (left <= 0)
                return -1;
            wait = (int)left;
        }
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int r = poll(&p, 1, wait);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        ssize_t got = read(fd, buf + *have, n - 1 - *have);
        if (got <= 0)
            return -1;
        *have += (size_t)got;
    }
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
    cJSON *req = cJSON_CreateObject();
    char *line = NULL;
    if (!strcmp(op, "get") && argc - i == 1) {
        cJSON_AddStringToObject(req, "op", "get");
        cJSON_AddStringToObject(req, "bundle", argv[i]);
    } else if (!strcmp(op, "get") && argc - i == 2) {
        cJSON_AddStringToObject(req, "op", "get");
        cJSON_AddStringToObject(req, "namespace", argv[i]);
        cJSON_AddStringToObject(req, "id", argv[i + 1]);
    } else if ((!strcmp(op, "list") || !strcmp(op, "status")) && argc == i) {
        cJSON_AddStringToObject(req, "op", op);
    } else if (!strcmp(op, "watch")) {
        cJSON_AddStringToObject(req, "op", "watch");
        if (argc - i == 2 && !strcmp(argv[i], "--count")) {
            if ((count = parse_num("--count", argv[i + 1], 0, LONG_MAX)) < 0) {
                cJSON_Delete(req);
                return 2;
            }
        } else if (argc != i)
            return usage();
    } else if (!strcmp(op, "explain") && argc - i == 1) {
        cJSON_AddStringToObject(req, "op", "get");
        cJSON_AddStringToObject(req, "bundle", argv[i]);
    } else if (!strcmp(op, "raw") && argc - i == 1) {
        line = strdup(argv[i]);
    } else {
        cJSON_Delete(req);
        return usage();
    }
    if (!line)
        line = cJSON_PrintUnformatted(req);
    cJSON_Delete(req);

    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    if (strlen(sock) >= sizeof(sa.sun_path)) {
        fprintf(stderr, "unirootctl: socket path %s is longer than a unix socket address allows "
                        "(%zu bytes)\n", sock, sizeof(sa.sun_path) - 1);
        free(line);
        return 2;
    }
    memcpy(sa.sun_path, sock, strlen(sock) + 1);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        fprintf(stderr, "unirootctl: connect %s: %s\n", sock, strerror(errno));
        free(line);
        return 2;
    }
    size_t len = strlen(line);
    line[len] = '\n';
    ssize_t w = write(fd, line, len + 1);
    free(line);
    if (w != (ssize_t)len + 1) {
        fprintf(stderr, "unirootctl: write: %s\n", strerror(errno));
        return 2;
    }
    static char buf[8 << 20];
    size_t have = 0;
    long long deadline = now_ms() + timeout;
    if (read_line(fd, buf, sizeof(buf), deadline, &have) < 0) {
        fprintf(stderr, "unirootctl: no answer from %s within %ld ms\n", sock, timeout);
        return 2;
    }
    if (!strcmp(op, "explain")) {
        close(fd);
        return explain(argv[argc - 1], buf);
    }
    printf("%s\n", buf);
    fflush(stdout);
    cJSON *resp = cJSON_Parse(buf);
    int ok = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(resp, "ok"));
    cJSON_Delete(resp);
    if (!ok || strcmp(op, "watch") != 0) {
        close(fd);
        return ok ? 0 : 1;
    }
    for (long n = 0; count < 0 || n < count; n++) {
        size_t used = strlen(buf) + 1;
        memmove(buf, buf + used, have - used);
        have -= used;
        if (read_line(fd, buf, sizeof(buf), -1, &have) < 0)
            break;
        printf("%s\n", buf);
        fflush(stdout);
    }
    close(fd);
    return 0;
}
