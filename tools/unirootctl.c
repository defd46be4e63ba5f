/* unirootctl.c: talk to unirootd's socket (protocol in userspace/server.h).
 *
 *   unirootctl [--socket PATH] [--timeout MS] get BUNDLE_DIR
 *   unirootctl ... get NAMESPACE ID
 *   unirootctl ... list | status
 *   unirootctl ... watch [--count N]     print change lines (N of them, or forever)
 *   unirootctl ... raw JSON_LINE         send a request as is
 * Prints the response line. Exit status: 0 ok, 1 the agent said no
 * ("ok":false), 2 could not ask (no agent, timeout, bad usage). */
#include <cjson/cJSON.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static int usage(void)
{
    fprintf(stderr, "usage: unirootctl [--socket PATH] [--timeout MS] get BUNDLE | get NS ID | list | "
                    "status | watch [--count N] | raw JSON\n");
    return 2;
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
    const char *sock = getenv("UNIROOTD_SOCKET") ? getenv("UNIROOTD_SOCKET") : "/run/uniroot/unirootd.sock";
    long timeout = 2000, count = -1;
    int i = 1;
    for (; i < argc && !strncmp(argv[i], "--", 2); i++) {
        if (!strcmp(argv[i], "--socket") && i + 1 < argc)
            sock = argv[++i];
        else if (!strcmp(argv[i], "--timeout") && i + 1 < argc)
            timeout = strtol(argv[++i], NULL, 10);
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
        if (argc - i == 2 && !strcmp(argv[i], "--count"))
            count = strtol(argv[i + 1], NULL, 10);
        else if (argc != i)
            return usage();
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
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock);
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
    long long deadline = timeout > 0 ? now_ms() + timeout : -1;
    if (read_line(fd, buf, sizeof(buf), deadline, &have) < 0) {
        fprintf(stderr, "unirootctl: no answer from %s within %ld ms\n", sock, timeout);
        return 2;
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
