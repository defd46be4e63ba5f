/* log.c: the runtime's log. Lines go to the --log file as text
 * (time="..." level=... msg="...") or JSON ({"level":..,"msg":..,"time":..}),
 * which is where containerd reads "OCI runtime create failed: <msg>" from.
 * Errors also go to stderr as plain text. Lines below the config file's
 * log-level (default info) are dropped; --debug logs everything, as the more
 * verbose of the two wins. */
#include "oci.h"
#include "settings.h"

#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static struct {
    int fd;          /* -1: no --log */
    bool json, debug;
    enum rt_log_level min;
} L = {.fd = -1, .min = RT_LOG_INFO};

void log_init(const struct ctx *c)
{
    L.json = c->log_json;
    L.debug = c->debug;
    L.min = c->debug ? RT_LOG_DEBUG : RT_LOG_INFO;
    if (c->log_path && c->log_path[0])
        L.fd = open(c->log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
}

static void timestamp(char *buf, size_t n)
{
    struct timeval tv;
    struct tm tm;
    gettimeofday(&tv, NULL);
    gmtime_r(&tv.tv_sec, &tm);
    size_t len = strftime(buf, n, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf + len, n - len, ".%06ldZ", (long)tv.tv_usec);
}

/* Write one line to the --log file; a single write() so lines never mix. */
static void write_line(const char *level, const char *msg)
{
    if (L.fd < 0)
        return;
    char ts[64];
    timestamp(ts, sizeof(ts));
    char *line = NULL;
    if (L.json) {
        cJSON *o = cJSON_CreateObject();
        if (o && cJSON_AddStringToObject(o, "level", level) && cJSON_AddStringToObject(o, "msg", msg) &&
            cJSON_AddStringToObject(o, "time", ts)) {
            char *s = cJSON_PrintUnformatted(o);
            if (s && asprintf(&line, "%s\n", s) < 0)
                line = NULL;
            cJSON_free(s);
        }
        cJSON_Delete(o);
    } else {
        cJSON *m = cJSON_CreateString(msg); /* quote and escape like JSON */
        char *q = m ? cJSON_PrintUnformatted(m) : NULL;
        if (q && asprintf(&line, "time=\"%s\" level=%s msg=%s\n", ts, level, q) < 0)
            line = NULL;
        cJSON_free(q);
        cJSON_Delete(m);
    }
    if (line) {
        ssize_t n = write(L.fd, line, strlen(line));
        (void)n;
        free(line);
    }
}

void log_set_level(int min)
{
    L.min = L.debug ? RT_LOG_DEBUG : (enum rt_log_level)min;
}

static enum rt_log_level level_of(const char *level)
{
    return strcmp(level, "debug") == 0 ? RT_LOG_DEBUG
           : strcmp(level, "info") == 0 ? RT_LOG_INFO
           : strcmp(level, "warning") == 0 ? RT_LOG_WARN
                                           : RT_LOG_ERROR;
}

void log_msg(const char *level, const char *fmt, ...)
{
    if (level_of(level) < L.min)
        return;
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    write_line(level, msg);
    if (L.debug && L.fd < 0)
        fprintf(stderr, "uniroot: %s: %s\n", level, msg);
}

void log_error(const char *msg)
{
    write_line("error", msg);
    fprintf(stderr, "uniroot: %s\n", msg);
}
