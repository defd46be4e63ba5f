/* err.c: formatting helpers for struct ur_err (see err.h). */
#include "err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int ur_errf(struct ur_err *e, int code, const char *fmt, ...)
{
    if (e) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
        va_end(ap);
        e->code = code;
    }
    return code;
}

int ur_errf_sys(struct ur_err *e, int code, const char *fmt, ...)
{
    if (e) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
        va_end(ap);
        if (n >= 0 && (size_t)n < sizeof(e->msg))
            snprintf(e->msg + n, sizeof(e->msg) - (size_t)n, ": %s", strerror(-code));
        e->code = code;
    }
    return code;
}

int ur_err_wrap(struct ur_err *e, const char *fmt, ...)
{
    if (!e)
        return -1;
    char old[UR_ERR_MSG_MAX];
    memcpy(old, e->msg, sizeof(old));
    old[sizeof(old) - 1] = '\0';
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
    va_end(ap);
    size_t used = n < 0 ? 0 : (size_t)n < sizeof(e->msg) ? (size_t)n : sizeof(e->msg) - 1;
    size_t room = sizeof(e->msg) - 1 - used;
    size_t len = strlen(old);
    if (room >= 2) {
        memcpy(e->msg + used, ": ", 2);
        used += 2;
        room -= 2;
        if (len > room)
            len = room;
        memcpy(e->msg + used, old, len);
        used += len;
    }
    e->msg[used] = '\0';
    return e->code;
}

void ur_err_clear(struct ur_err *e)
{
    if (e) {
        e->code = 0;
        e->msg[0] = '\0';
    }
}
