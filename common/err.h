/* err.h: the one error style of uniroot.
 *
 * Every fallible function returns 0 (or a non-negative value) on success and a
 * negative errno on failure, and fills a struct ur_err with one human-readable
 * line for the caller to report. Callers add context by wrapping, never by
 * printing: only main() prints, once.
 */
#ifndef UNIROOT_COMMON_ERR_H
#define UNIROOT_COMMON_ERR_H

#include <stddef.h>

#define UR_ERR_MSG_MAX 512

struct ur_err {
    int code;                  /* negative errno, 0 when unset */
    char msg[UR_ERR_MSG_MAX];  /* one line, no trailing newline */
};

/* Fill *e with a formatted message and return code (a negative errno).
 * e may be NULL, in which case only code is returned. */
int ur_errf(struct ur_err *e, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Like ur_errf, appending ": strerror(-code)". */
int ur_errf_sys(struct ur_err *e, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Prefix the existing message with "context: ", keeping e->code; returns e->code. */
int ur_err_wrap(struct ur_err *e, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Reset to "no error". */
void ur_err_clear(struct ur_err *e);

#endif
