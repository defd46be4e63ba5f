/* log.h: unirootd's structured logs, one JSON object per line on stderr:
 *   {"ts":"2026-11-30T10:00:00.123456Z","level":"info","event":"record-added",...}
 * Extra members come from a printf format; quote strings with ulog_q(). */
#ifndef UNIROOTD_LOG_H
#define UNIROOTD_LOG_H

enum ulog_level { ULOG_DEBUG = 0, ULOG_INFO, ULOG_WARN, ULOG_ERROR };

void ulog_set_level(enum ulog_level min);
int ulog_level_parse(const char *s, enum ulog_level *out);

/* Log event at level; fmt (may be NULL) yields ',"k":v,...' members without
 * the leading comma, e.g. ulog(ULOG_INFO, "mount", "\"target\":%s", ulog_q(t)). */
void ulog(enum ulog_level level, const char *event, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* s as a quoted JSON string, in one of a few rotating static buffers (the
 * agent is single-threaded; at most 8 per ulog call). */
const char *ulog_q(const char *s);

#endif
