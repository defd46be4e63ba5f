/* console.c: console output through the puts hypercall, and a small
 * vsnprintf (enough for test output: %s %c %d %i %u %x %p %%, the l and ll
 * length modifiers, a field width and the '0' flag). Each printf is one
 * hypercall, so a line costs one VM exit. */
#include "guest.h"

#ifndef GUEST_SPT /* spt.c has the spt one */
void guest_write(const char *s, size_t len)
{
    volatile struct hvt_hc_puts p = { .data = (uint64_t)(uintptr_t)s, .len = len };

    hvt_hypercall(HVT_HYPERCALL_PUTS, &p);
}
#endif

void guest_puts(const char *s)
{
    guest_printf("%s\n", s);
}

/* Output cursor that never writes past size-1 but counts everything. */
struct out {
    char *buf;
    size_t size, n;
};

static void out_c(struct out *o, char c)
{
    if (o->n + 1 < o->size)
        o->buf[o->n] = c;
    o->n++;
}

/* Unsigned number in base 10 or 16, padded to width with pad. */
static void out_num(struct out *o, uint64_t v, unsigned base, int neg, int width, char pad)
{
    char tmp[24];
    int i = 0;

    do {
        unsigned d = (unsigned)(v % base);
        tmp[i++] = (char)(d < 10 ? '0' + d : 'a' + d - 10);
        v /= base;
    } while (v);
    if (neg && pad == '0')
        out_c(o, '-');
    for (int w = i + (neg ? 1 : 0); w < width; w++)
        out_c(o, pad);
    if (neg && pad != '0')
        out_c(o, '-');
    while (i)
        out_c(o, tmp[--i]);
}

int guest_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
    struct out o = { buf, size, 0 };

    for (; *fmt; fmt++) {
        if (*fmt != '%') {
            out_c(&o, *fmt);
            continue;
        }
        fmt++;
        char pad = ' ';
        int width = 0, lng = 0;
        if (*fmt == '0') {
            pad = '0';
            fmt++;
        }
        while (*fmt >= '0' && *fmt <= '9')
            width = width * 10 + (*fmt++ - '0');
        while (*fmt == 'l') {
            lng++;
            fmt++;
        }
        switch (*fmt) {
        case 'd':
        case 'i': {
            int64_t v = lng ? va_arg(ap, long) : va_arg(ap, int);
            uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
            out_num(&o, u, 10, v < 0, width, pad);
            break;
        }
        case 'u':
        case 'x': {
            uint64_t v = lng ? va_arg(ap, unsigned long) : va_arg(ap, unsigned);
            out_num(&o, v, *fmt == 'x' ? 16 : 10, 0, width, pad);
            break;
        }
        case 'p':
            out_c(&o, '0');
            out_c(&o, 'x');
            out_num(&o, (uint64_t)(uintptr_t)va_arg(ap, void *), 16, 0, width, pad);
            break;
        case 'c':
            out_c(&o, (char)va_arg(ap, int));
            break;
        case 's': {
            const char *s = va_arg(ap, const char *);
            size_t n;
            if (!s)
                s = "(null)";
            n = strlen(s);
            for (size_t w = n; w < (size_t)width; w++)
                out_c(&o, ' ');
            while (*s)
                out_c(&o, *s++);
            break;
        }
        case '%':
            out_c(&o, '%');
            break;
        case '\0':
            fmt--;  /* a lone '%' at the end */
            break;
        default:
            out_c(&o, '%');
            out_c(&o, *fmt);
        }
    }
    if (size)
        buf[o.n < size ? o.n : size - 1] = '\0';
    return (int)o.n;
}

int guest_snprintf(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = guest_vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n;
}

int guest_printf(const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = guest_vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    guest_write(buf, strlen(buf));
    return n;
}
