/* opts.c: runc-style option parsing. Accepts "-x", "--name", "-name",
 * "--name=value", "--name value"; stops at the first positional argument or
 * "--". Unknown options are an error naming the option. */
#include "oci.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int set_value(const struct opt *o, const char *v, struct ur_err *err)
{
    if (o->kind == OPT_STR) {
        *(const char **)o->dst = v;
        return 0;
    }
    char *end;
    errno = 0;
    long n = strtol(v, &end, 10);
    if (errno || end == v || *end || n < 0 || n > 1 << 20)
        return ur_errf(err, -EINVAL, "option --%s: \"%s\" is not a valid number", o->name, v);
    *(int *)o->dst = (int)n;
    return 0;
}

int opts_parse(int argc, char **argv, int *idx, const struct opt *tbl, struct ur_err *err)
{
    while (*idx < argc) {
        const char *a = argv[*idx];
        if (strcmp(a, "--") == 0) {
            (*idx)++;
            return 0;
        }
        if (a[0] != '-' || a[1] == '\0')
            return 0;
        const char *name = a + (a[1] == '-' ? 2 : 1);
        const char *eq = strchr(name, '=');
        size_t nlen = eq ? (size_t)(eq - name) : strlen(name);
        const struct opt *o = NULL;
        for (const struct opt *t = tbl; t && t->name; t++) {
            if ((strlen(t->name) == nlen && strncmp(t->name, name, nlen) == 0) ||
                (t->short_name && nlen == 1 && name[0] == t->short_name && a[1] != '-'))
                o = t;
        }
        if (!o)
            return ur_errf(err, -EINVAL, "unknown option %s", a);
        (*idx)++;
        if (o->kind == OPT_FLAG) {
            if (eq && strcmp(eq + 1, "true") != 0 && strcmp(eq + 1, "false") != 0)
                return ur_errf(err, -EINVAL, "option --%s takes no value", o->name);
            *(bool *)o->dst = !eq || strcmp(eq + 1, "true") == 0;
            continue;
        }
        const char *v = eq ? eq + 1 : NULL;
        if (!v) {
            if (*idx >= argc)
                return ur_errf(err, -EINVAL, "option --%s needs a value", o->name);
            v = argv[(*idx)++];
        }
        int rc = set_value(o, v, err);
        if (rc < 0)
            return rc;
    }
    return 0;
}

int fmt_into(char *buf, size_t n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = vsnprintf(buf, n, fmt, ap);
    va_end(ap);
    return r;
}
