/* string.c: the few string functions the guests use. The compiler may also
 * emit calls to memcpy/memset/memcmp for struct copies, so these keep their
 * standard names. Loops are word-wise where it is easy: every guest
 * instruction is emulated and slow on PVM hosts. */
#include "guest.h"

void *memcpy(void *dst, const void *src, size_t n)
{
    return memmove(dst, src, n);
}

void *memmove(void *dst, const void *src, size_t n)
{
    unsigned char *d = dst;
    const unsigned char *s = src;

    if (d == s || n == 0)
        return dst;
    if (d < s || d >= s + n) {
        if ((((uintptr_t)d | (uintptr_t)s | n) & 7) == 0) {
            for (size_t i = 0; i < n; i += 8)
                *(uint64_t *)(void *)(d + i) = *(const uint64_t *)(const void *)(s + i);
        } else {
            for (size_t i = 0; i < n; i++)
                d[i] = s[i];
        }
    } else {
        while (n--)
            d[n] = s[n];
    }
    return dst;
}

void *memset(void *dst, int c, size_t n)
{
    unsigned char *d = dst;

    if ((((uintptr_t)d | n) & 7) == 0) {
        uint64_t w = 0x0101010101010101ull * (unsigned char)c;
        for (size_t i = 0; i < n; i += 8)
            *(uint64_t *)(void *)(d + i) = w;
    } else {
        for (size_t i = 0; i < n; i++)
            d[i] = (unsigned char)c;
    }
    return dst;
}

int memcmp(const void *a, const void *b, size_t n)
{
    const unsigned char *x = a, *y = b;
    size_t i = 0;

    if ((((uintptr_t)x | (uintptr_t)y) & 7) == 0) {
        while (i + 8 <= n &&
               *(const uint64_t *)(const void *)(x + i) == *(const uint64_t *)(const void *)(y + i))
            i += 8;
    }
    for (; i < n; i++)
        if (x[i] != y[i])
            return x[i] < y[i] ? -1 : 1;
    return 0;
}

size_t strlen(const char *s)
{
    size_t n = 0;

    while (s[n])
        n++;
    return n;
}

int strcmp(const char *a, const char *b)
{
    while (*a && *a == *b) {
        a++;
        b++;
    }
    return (unsigned char)*a - (unsigned char)*b;
}

int guest_parse_u64(const char *s, uint64_t *out)
{
    uint64_t v = 0;
    unsigned base = 10;

    if (!s || !*s)
        return -1;
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        base = 16;
        s += 2;
        if (!*s)
            return -1;
    }
    for (; *s; s++) {
        unsigned d;
        if (*s >= '0' && *s <= '9')
            d = (unsigned)(*s - '0');
        else if (base == 16 && *s >= 'a' && *s <= 'f')
            d = (unsigned)(*s - 'a' + 10);
        else if (base == 16 && *s >= 'A' && *s <= 'F')
            d = (unsigned)(*s - 'A' + 10);
        else
            return -1;
        if (v > (UINT64_MAX - d) / base)
            return -1;  /* overflow */
        v = v * base + d;
    }
    *out = v;
    return 0;
}
