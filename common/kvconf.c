/* kvconf.c: the "key = value" settings-file parser and its bounded file
 * reader (see kvconf.h). */
#include "kvconf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "fileio.h"

static bool is_blank(char c)
{
    return c == ' ' || c == '\t';
}

/* s..e without the blanks at either end, NUL-terminated in place. */
static char *trim(char *s, char *e)
{
    while (s < e && is_blank(*s))
        s++;
    while (e > s && is_blank(e[-1]))
        e--;
    *e = '\0';
    return s;
}

/* One line (NUL-terminated, no newline, may be edited): 0 when blank or a
 * setting the callback took. */
static int parse_line(char *l, const char *name, unsigned lineno, ur_kv_fn fn, void *arg,
                      struct ur_err *err)
{
    char *end = l + strlen(l);
    if (end > l && end[-1] == '\r')
        *--end = '\0'; /* a CRLF line end */
    char *hash = strchr(l, '#');
    if (hash)
        end = hash;
    for (char *p = l; p < end; p++)
        if ((unsigned char)*p < 0x20 && *p != '\t')
            return ur_errf(err, -EINVAL, "%s:%u: control character 0x%02x", name, lineno,
                           (unsigned char)*p);
        else if (*p == 0x7f)
            return ur_errf(err, -EINVAL, "%s:%u: control character 0x7f", name, lineno);
    char *eq = memchr(l, '=', (size_t)(end - l));
    if (!eq) {
        char *rest = trim(l, end);
        return *rest ? ur_errf(err, -EINVAL, "%s:%u: want \"key = value\", got \"%s\"", name, lineno,
                               rest)
                     : 0;
    }
    char *key = trim(l, eq), *value = trim(eq + 1, end);
    if (!*key)
        return ur_errf(err, -EINVAL, "%s:%u: want \"key = value\", the key is missing", name, lineno);
    int rc = fn(arg, key, value, lineno, err);
    return rc < 0 ? ur_err_wrap(err, "%s:%u", name, lineno) : 0;
}

int ur_kv_parse(const char *text, size_t len, const char *name, ur_kv_fn fn, void *arg,
                struct ur_err *err)
{
    if (memchr(text, '\0', len))
        return ur_errf(err, -EINVAL, "%s: holds a NUL byte", name);
    char *copy = malloc(len + 1);
    if (!copy)
        return ur_errf(err, -ENOMEM, "out of memory");
    memcpy(copy, text, len);
    copy[len] = '\0';
    int rc = 0;
    unsigned lineno = 0;
    for (char *line = copy; rc == 0 && line < copy + len; ) {
        char *nl = strchr(line, '\n');
        if (nl)
            *nl = '\0';
        rc = parse_line(line, name, ++lineno, fn, arg, err);
        if (!nl)
            break;
        line = nl + 1;
    }
    free(copy);
    return rc;
}

/* Is fd /dev/null (the character device 1:3)? */
static bool is_dev_null(int fd)
{
    struct stat st;
    return fstat(fd, &st) == 0 && S_ISCHR(st.st_mode) && major(st.st_rdev) == 1 &&
           minor(st.st_rdev) == 3;
}

int ur_kv_load(const char *path, bool must_exist, ur_kv_fn fn, void *arg, struct ur_err *err)
{
    /* O_NONBLOCK: a FIFO put there must not hang us before fstat refuses it */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT && !must_exist)
            return 0;
        return ur_errf_sys(err, -errno, "config file %s", path);
    }
    if (is_dev_null(fd)) {
        close(fd);
        return 1;
    }
    char *text = NULL;
    size_t len = 0;
    int rc = ur_read_fd(fd, path, UR_KV_MAX_BYTES, &text, &len, err);
    close(fd);
    if (rc < 0)
        return ur_err_wrap(err, "config file");
    rc = ur_kv_parse(text, len, path, fn, arg, err);
    free(text);
    return rc < 0 ? rc : 1;
}
