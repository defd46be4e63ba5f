/* log.h: unirootd's structured logs, one JSON object per line on stderr:
 *   {"ts":"2026-11-30T10:00:00.123456Z","level":"info","event":"record-added",...}
 * Extra members come from a printf format; quote strings with ulog_q(). */
#ifndef UNIROOTD_LOG_H
#define UNIROOTD_LOG_H

enum ulog_level { ULOG_DEBUG = 0, ULOG_INFO, ULOG_WARN, ULOG_ERROR };

void ulog_set_level(enum ulog_level min);
int ulog_level_parse(const char *s, enum ulog_level *out);

/* Log event at level; fmt (may be NULL) yields ',"k":v,...' members without
 * the leading comma, e.g. ulog(ULOG_INFO, "mount", "\"target\":%s", ulog_q(t)).
 * A macro: below the current level nothing, not even the arguments (ulog_q
 * copies), is evaluated. */
#define ulog(level, ...)                                                                           \
    do {                                                                                           \
        if ((level) >= ulog_min_level)                                                             \
            ulog_write((level), __VA_ARGS__);                                                      \
    } while (0)
extern enum ulog_level ulog_min_level;
void ulog_write(enum ulog_level level, const char *event, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Between ulog_hold() and ulog_flush(), info and debug lines collect in a
 * buffer (written when full) and go out in one write(2) at ulog_flush(); warn
 * and error lines flush at once. The event loop holds while it handles one
 * batch of ready sources, so a burst of records costs one write, not one per
 * line. Outside a hold every line is written at once. */
void ulog_hold(void);
void ulog_flush(void);

/* s as a quoted JSON string, in one of a few rotating static buffers (the
 * agent is single-threaded; at most 8 per ulog call). */
const char *ulog_q(const char *s);

#endif
