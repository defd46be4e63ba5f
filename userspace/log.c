/* log.c: JSON-lines logging for unirootd (see log.h). */
#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

enum ulog_level ulog_min_level = ULOG_INFO;
static char held[64 * 1024]; /* held lines (see ulog_hold) */
static size_t held_len;
static int holding;
static const char *const level_names[] = {"debug", "info", "warn", "error"};

void ulog_set_level(enum ulog_level min)
{
    ulog_min_level = min;
}

static void write_all(const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(2, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return; /* nowhere to report a failing log */
        p += w;
        n -= (size_t)w;
    }
}

void ulog_hold(void)
{
    holding = 1;
}

void ulog_flush(void)
{
    write_all(held, held_len);
    held_len = 0;
    holding = 0;
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

void ulog_write(enum ulog_level level, const char *event, const char *fmt, ...)
{
    if (level < ulog_min_level)
        return;
    char line[4096];
    struct timespec ts;
    static time_t last_sec = -1;
    static char date[64]; /* "YYYY-MM-DDTHH:MM:SS" of last_sec: one gmtime_r per second */
    clock_gettime(CLOCK_REALTIME, &ts);
    if (ts.tv_sec != last_sec) {
        struct tm tm;
        gmtime_r(&ts.tv_sec, &tm);
        snprintf(date, sizeof(date), "%04d-%02d-%02dT%02d:%02d:%02d", tm.tm_year + 1900, tm.tm_mon + 1,
                 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
        last_sec = ts.tv_sec;
    }
    int n = snprintf(line, sizeof(line), "{\"ts\":\"%s.%06ldZ\",\"level\":\"%s\",\"event\":%s", date,
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
    if (!holding || level >= ULOG_WARN) {
        write_all(held, held_len); /* held lines first, in order */
        held_len = 0;
        write_all(line, (size_t)n);
        return;
    }
    if (held_len + (size_t)n > sizeof(held)) {
        write_all(held, held_len);
        held_len = 0;
    }
    memcpy(held + held_len, line, (size_t)n);
    held_len += (size_t)n;
}
