/* jsonstr.c: JSON string literals with cJSON's escaping, and spotting the
 * NUL escapes cJSON would cut a string at (see jsonstr.h). */
#include "jsonstr.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

static size_t esc_size(unsigned char c)
{
    if (c == '"' || c == '\\' || c == '\b' || c == '\f' || c == '\n' || c == '\r' || c == '\t')
        return 2;
    return c < 0x20 ? 6 : 1;
}

size_t jsonstr_size(const char *s)
{
    size_t n = 2;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        n += esc_size(*p);
    return n;
}

size_t jsonstr_bound(const char *s)
{
    return strlen(s) * 6 + 2;
}

int jsonstr_put(char *buf, size_t cap, size_t *len, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    /* Exact size only when the cheap bound (every byte escaped to six) does not fit. */
    if (*len + jsonstr_bound(s) + 1 > cap && *len + jsonstr_size(s) + 1 > cap)
        return -ENOSPC;
    char *o = buf + *len;
    *o++ = '"';
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        unsigned char c = *p;
        if (c >= 0x20 && c != '"' && c != '\\') {
            *o++ = (char)c;
            continue;
        }
        *o++ = '\\';
        switch (c) {
        case '"': *o++ = '"'; break;
        case '\\': *o++ = '\\'; break;
        case '\b': *o++ = 'b'; break;
        case '\f': *o++ = 'f'; break;
        case '\n': *o++ = 'n'; break;
        case '\r': *o++ = 'r'; break;
        case '\t': *o++ = 't'; break;
        default:
            *o++ = 'u';
            *o++ = '0';
            *o++ = '0';
            *o++ = hex[c >> 4];
            *o++ = hex[c & 15];
        }
    }
    *o++ = '"';
    *o = '\0';
    *len = (size_t)(o - buf);
    return 0;
}

long jsonstr_find_nul(const char *json)
{
    bool in_string = false;
    for (const char *p = json; *p; p++) {
        if (!in_string) {
            in_string = *p == '"';
            continue;
        }
        if (*p == '"') {
            in_string = false;
        } else if (*p == '\\') {
            if (p[1] == 'u' && p[2] == '0' && p[3] == '0' && p[4] == '0' && p[5] == '0')
                return (long)(p - json);
            if (p[1])
                p++; /* the escaped character; \uXXXX's hex digits are plain text */
        }
    }
    return -1;
}
