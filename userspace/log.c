/* log.c: JSON-lines logging for unirootd (see log.h). */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

static enum ulog_level min_level = ULOG_INFO;
static const char *const level_names[] = {"debug", "info", "warn", "error"};

void ulog_set_level(enum ulog_level min)
{
    min_level = min;
}

int ulog_level_parse(const char *s, enum ulog_level *out)
{
    for (int i = 0; i < 4; i++) {
        if (strcasecmp(s, level_names[i]) == 0) {
            *out = (enum ulog_level)i;
            return 0;
        }
    }
    return -1;
}

const char *ulog_q(const char *s)
{
    static char bufs[8][1024];
    static unsigned next;
    char *b = bufs[next++ % 8];
    size_t n = 0, cap = sizeof(bufs[0]) - 8;
    b[n++] = '"';
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p && n < cap; p++) {
        if (*p == '"' || *p == '\\') {
            b[n++] = '\\';
            b[n++] = (char)*p;
        } else if (*p < 0x20) {
            n += (size_t)snprintf(b + n, 7, "\\u%04x", *p);
        } else {
            b[n++] = (char)*p;
        }
    }
    b[n++] = '"';
    b[n] = '\0';
    return b;
}

void ulog(enum ulog_level level, const char *event, const char *fmt, ...)
{
    if (level < min_level)
        return;
    char line[4096];
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    int n = snprintf(line, sizeof(line),
                     "{\"ts\":\"%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ\",\"level\":\"%s\",\"event\":%s",
                     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                     ts.tv_nsec / 1000, level_names[level], ulog_q(event));
    if (fmt && n > 0 && (size_t)n < sizeof(line) - 4) {
        line[n++] = ',';
        va_list ap;
        va_start(ap, fmt);
        int m = vsnprintf(line + n, sizeof(line) - (size_t)n - 3, fmt, ap);
        va_end(ap);
        if (m > 0)
            n += m < (int)(sizeof(line) - (size_t)n - 3) ? m : (int)(sizeof(line) - (size_t)n - 4);
        if (line[n - 1] == ',')
            n--;
    }
    if (n < 0 || (size_t)n > sizeof(line) - 3)
        n = (int)sizeof(line) - 3;
    line[n++] = '}';
    line[n++] = '\n';
    fwrite(line, 1, (size_t)n, stderr);
    fflush(stderr);
}
