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
    char prefix[UR_ERR_MSG_MAX];
    char old[UR_ERR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof(prefix), fmt, ap);
    va_end(ap);
    memcpy(old, e->msg, sizeof(old));
    snprintf(e->msg, sizeof(e->msg), "%s: %s", prefix, old);
    return e->code;
}

void ur_err_clear(struct ur_err *e)
{
    if (e) {
        e->code = 0;
        e->msg[0] = '\0';
    }
}
