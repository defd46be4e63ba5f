/* jsonpatch.c: one strict pass over config.json, then an in-place text edit
 * of one annotation (see jsonpatch.h). Nesting is bounded so hostile input
 * cannot exhaust the stack. Member names are matched as cJSON (the runtime)
 * reads them, so both see the same first member of a name. */
#include "jsonpatch.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "jsonstr.h"

#define MAX_DEPTH 64

struct scan {
    const char *s;
    size_t len, pos;
};

static void skip_ws(struct scan *sc)
{
    while (sc->pos < sc->len && (sc->s[sc->pos] == ' ' || sc->s[sc->pos] == '\t' ||
                                 sc->s[sc->pos] == '\n' || sc->s[sc->pos] == '\r'))
        sc->pos++;
}

static int is_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* The value of the four hex digits at s (checked already). */
static unsigned hex4(const unsigned char *s)
{
    unsigned v = 0;
    for (int i = 0; i < 4; i++)
        v = v * 16 + (unsigned)(s[i] <= '9' ? s[i] - '0' : (s[i] | 0x20) - 'a' + 10);
    return v;
}

/* Is s[i..n) a \uXXXX escape with four hex digits? */
static int is_u_escape(const unsigned char *s, size_t i, size_t n)
{
    return i + 5 < n && s[i] == '\\' && s[i + 1] == 'u' && is_hex((char)s[i + 2]) &&
           is_hex((char)s[i + 3]) && is_hex((char)s[i + 4]) && is_hex((char)s[i + 5]);
}

/* From i, skip the plain string bytes (not '"', not '\\', not below 0x20)
 * a block at a time; may stop early (the caller's byte loop finishes), never late. */
static size_t plain_run(const unsigned char *s, size_t i, size_t n)
{
#ifdef __SSE2__
    const __m128i quote = _mm_set1_epi8('"'), bslash = _mm_set1_epi8('\\'), c1f = _mm_set1_epi8(0x1f);
    while (i + 16 <= n) {
        __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
        /* unsigned x <= 0x1f  <=>  min(x, 0x1f) == x */
        __m128i stop = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, quote), _mm_cmpeq_epi8(x, bslash)),
                                    _mm_cmpeq_epi8(_mm_min_epu8(x, c1f), x));
        int m = _mm_movemask_epi8(stop);
        if (m)
            return i + (size_t)__builtin_ctz((unsigned)m);
        i += 16;
    }
#endif
    /* eight at a time: the zero-byte test on x^'"', x^'\\' and x-0x20 */
    const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
    while (i + 8 <= n) {
        uint64_t x;
        memcpy(&x, s + i, 8);
        uint64_t q = x ^ (ones * '"'), b = x ^ (ones * '\\');
        if ((((q - ones) & ~q) | ((b - ones) & ~b) | ((x - ones * 0x20) & ~x)) & highs)
            break;
        i += 8;
    }
    return i;
}

/* At a '"': step past the closing quote of a valid string (escapes checked,
 * no raw control characters). */
static int scan_string(struct scan *sc)
{
    if (sc->pos >= sc->len || sc->s[sc->pos] != '"')
        return -1;
    const unsigned char *s = (const unsigned char *)sc->s;
    size_t i = sc->pos + 1, n = sc->len;
    for (;;) {
        i = plain_run(s, i, n);
        while (i < n && s[i] >= 0x20 && s[i] != '"' && s[i] != '\\')
            i++;
        if (i >= n || s[i] < 0x20)
            return -1;
        if (s[i] == '"') {
            sc->pos = i + 1;
            return 0;
        }
        /* a backslash */
        if (i + 1 >= n)
            return -1;
        switch (s[i + 1]) {
        case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
            i += 2;
            break;
        case 'u': {
            if (!is_u_escape(s, i, n))
                return -1;
            /* UTF-16 surrogates only in pairs: cJSON, which reads this
             * file in the runtime, refuses a lone one (RFC 8259 leaves it
             * undefined), and the agent must not accept what it cannot read. */
            unsigned u = hex4(s + i + 2);
            if (u >= 0xdc00 && u <= 0xdfff)
                return -1;
            if (u >= 0xd800 && u <= 0xdbff) {
                if (!is_u_escape(s, i + 6, n) || hex4(s + i + 8) < 0xdc00 || hex4(s + i + 8) > 0xdfff)
                    return -1;
                i += 6;
            }
            i += 6;
            break;
        }
        default:
            return -1;
        }
    }
}

static int digits(struct scan *sc)
{
    size_t start = sc->pos;
    while (sc->pos < sc->len && sc->s[sc->pos] >= '0' && sc->s[sc->pos] <= '9')
        sc->pos++;
    return sc->pos > start ? 0 : -1;
}

/* -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? */
static int scan_number(struct scan *sc)
{
    if (sc->pos < sc->len && sc->s[sc->pos] == '-')
        sc->pos++;
    if (sc->pos >= sc->len)
        return -1;
    if (sc->s[sc->pos] == '0')
        sc->pos++;
    else if (digits(sc) < 0)
        return -1;
    if (sc->pos < sc->len && sc->s[sc->pos] == '.') {
        sc->pos++;
        if (digits(sc) < 0)
            return -1;
    }
    if (sc->pos < sc->len && (sc->s[sc->pos] == 'e' || sc->s[sc->pos] == 'E')) {
        sc->pos++;
        if (sc->pos < sc->len && (sc->s[sc->pos] == '+' || sc->s[sc->pos] == '-'))
            sc->pos++;
        if (digits(sc) < 0)
            return -1;
    }
    return 0;
}

static int scan_literal(struct scan *sc, const char *word)
{
    size_t n = strlen(word);
    if (sc->len - sc->pos < n || memcmp(sc->s + sc->pos, word, n) != 0)
        return -1;
    sc->pos += n;
    return 0;
}

/* Does the member name k[0..n) (a valid string token's text, without its
 * quotes) name want (plain ASCII), as cJSON, the runtime's reader, sees it?
 * Escapes are decoded, and a \u0000 ends the name as it ends a C string:
 * "dev.uniroot.rootf\u0073" and "dev.uniroot.rootfs\u0000x" are that key too.
 * With prefix set, does the name start with want? */
static int key_is(const unsigned char *k, size_t n, const char *want, int prefix)
{
    size_t wl = strlen(want);
    if ((prefix ? n >= wl : n == wl) && memcmp(k, want, wl) == 0)
        return 1;
    if (!memchr(k, '\\', n))
        return 0;
    size_t i = 0, j = 0;
    while (i < n) {
        unsigned c = k[i++];
        if (c == '\\') {
            c = k[i++];
            switch (c) {
            case 'b': c = '\b'; break;
            case 'f': c = '\f'; break;
            case 'n': c = '\n'; break;
            case 'r': c = '\r'; break;
            case 't': c = '\t'; break;
            case 'u':
                c = hex4(k + i);
                i += 4;
                if (c == 0)
                    return j == wl; /* the name ends here */
                if (c >= 0x80)
                    return 0; /* encoded as bytes >= 0x80: never in want */
                break;
            default: break; /* '"', '\\', '/' stand for themselves */
            }
        }
        if (j >= wl || (unsigned char)want[j] != c)
            return 0;
        if (++j == wl && prefix)
            return 1;
    }
    return j == wl;
}

/* What the caller wants noted while an object is walked. */
struct watch {
    const char *const *keys; /* member names to note (raw text), NULL-terminated */
    struct json_span *spans; /* one per key */
    size_t *body;            /* just after the '{' */
    int *empty;
    const char *prefix;      /* if not NULL: note whether any member name starts so */
    int *prefix_found;
};

static int scan_value(struct scan *sc, int depth, const struct watch *w);

/* At '{' or '[': step past the matching close; for an object with a watch,
 * note the first member of each watched name. */
static int scan_container(struct scan *sc, int depth, const struct watch *w)
{
    char close = sc->s[sc->pos] == '{' ? '}' : ']';
    int is_obj = close == '}';
    if (depth > MAX_DEPTH)
        return -1;
    sc->pos++;
    if (w) {
        *w->body = sc->pos;
        *w->empty = 0;
    }
    skip_ws(sc);
    if (sc->pos < sc->len && sc->s[sc->pos] == close) {
        sc->pos++;
        if (w)
            *w->empty = 1;
        return 0;
    }
    for (;;) {
        skip_ws(sc);
        int hit = -1;
        if (is_obj) {
            size_t ka = sc->pos;
            if (scan_string(sc) < 0)
                return -1;
            for (int k = 0; w && w->keys[k]; k++) {
                if (!w->spans[k].found &&
                    key_is((const unsigned char *)sc->s + ka + 1, sc->pos - ka - 2, w->keys[k], 0)) {
                    hit = k;
                    break;
                }
            }
            if (w && w->prefix && !*w->prefix_found)
                *w->prefix_found =
                    key_is((const unsigned char *)sc->s + ka + 1, sc->pos - ka - 2, w->prefix, 1);
            skip_ws(sc);
            if (sc->pos >= sc->len || sc->s[sc->pos] != ':')
                return -1;
            sc->pos++;
            skip_ws(sc);
        }
        size_t va = sc->pos;
        if (scan_value(sc, depth + 1, NULL) < 0)
            return -1;
        if (hit >= 0) {
            w->spans[hit].found = 1;
            w->spans[hit].start = va;
            w->spans[hit].end = sc->pos;
        }
        skip_ws(sc);
        if (sc->pos >= sc->len)
            return -1;
        if (sc->s[sc->pos] == ',') {
            sc->pos++;
            continue;
        }
        if (sc->s[sc->pos] == close) {
            sc->pos++;
            return 0;
        }
        return -1;
    }
}

static int scan_value(struct scan *sc, int depth, const struct watch *w)
{
    skip_ws(sc);
    if (sc->pos >= sc->len)
        return -1;
    switch (sc->s[sc->pos]) {
    case '"': return scan_string(sc);
    case '{': case '[': return scan_container(sc, depth, w);
    case 't': return scan_literal(sc, "true");
    case 'f': return scan_literal(sc, "false");
    case 'n': return scan_literal(sc, "null");
    default: return scan_number(sc);
    }
}

int json_scan_config(const char *doc, size_t len, const char *const keys[2], const char *prefix,
                     struct json_config_info *info, struct ur_err *err)
{
    struct scan sc = {doc, len, 0};
    memset(info, 0, sizeof(*info));
    const char *root_keys[] = {"annotations", NULL};
    struct watch root = {root_keys, &info->ann, &info->root_body, &info->root_empty, NULL, NULL};
    skip_ws(&sc);
    if (sc.pos >= len || doc[sc.pos] != '{' || scan_container(&sc, 0, &root) < 0)
        return ur_errf(err, -EINVAL, "config.json: not a JSON object");
    skip_ws(&sc);
    if (sc.pos != len)
        return ur_errf(err, -EINVAL, "config.json: trailing bytes after the object");
    if (info->ann.found && doc[info->ann.start] == '{') {
        /* the annotations object again, now noting its members (valid already) */
        const char *ann_keys[] = {keys[0], keys[1], NULL};
        struct watch aw = {ann_keys, info->member, &info->ann_body, &info->ann_empty, prefix,
                           &info->ann_has_prefix};
        struct scan as = {doc, info->ann.end, info->ann.start};
        if (scan_container(&as, 1, &aw) < 0)
            return ur_errf(err, -EINVAL, "config.json: malformed annotations");
    }
    return 0;
}

int json_span_nonempty_string(const char *doc, const struct json_span *s)
{
    if (!s->found || s->end - s->start < 2 || doc[s->start] != '"')
        return 0;
    /* "" is empty; so is a string whose first character is \u0000 (a C string ends there) */
    return s->end - s->start > 2 && strncmp(doc + s->start, "\"\\u0000", 7) != 0;
}

/* Build doc[0..a) + mid + doc[b..len). */
static int splice(const char *doc, size_t len, size_t a, size_t b, const char *mid, char **out,
                  size_t *out_len)
{
    size_t ml = strlen(mid), n = a + ml + (len - b);
    char *o = malloc(n + 1);
    if (!o)
        return -ENOMEM;
    memcpy(o, doc, a);
    memcpy(o + a, mid, ml);
    memcpy(o + a + ml, doc + b, len - b);
    o[n] = '\0';
    *out = o;
    *out_len = n;
    return 0;
}

int json_splice_annotation(const char *doc, size_t len, const struct json_config_info *info,
                           int which, const char *key, const char *value, char **out,
                           size_t *out_len, struct ur_err *err)
{
    if (info->ann.found && doc[info->ann.start] != '{')
        return ur_errf(err, -EINVAL, "config.json: \"annotations\" is not an object");
    /* "annotations":{ + "key" + : + "value" + , + NUL, escaped */
    size_t cap = jsonstr_bound(key) + jsonstr_bound(value) + 32, n = 0;
    char *mid = malloc(cap);
    if (!mid)
        return ur_errf(err, -ENOMEM, "out of memory");
    int rc = 0;
    const struct json_span *m = &info->member[which];
    if (info->ann.found && m->found) { /* replace the value */
        rc = jsonstr_put(mid, cap, &n, value);
        if (rc == 0)
            rc = splice(doc, len, m->start, m->end, mid, out, out_len);
    } else {
        int first_of_root = !info->ann.found;
        if (first_of_root) {
            memcpy(mid, "\"annotations\":{", 15);
            n = 15;
        }
        rc = jsonstr_put(mid, cap, &n, key);
        mid[n++] = ':';
        if (rc == 0)
            rc = jsonstr_put(mid, cap, &n, value);
        if (first_of_root)
            mid[n++] = '}';
        if (!(first_of_root ? info->root_empty : info->ann_empty))
            mid[n++] = ',';
        mid[n] = '\0';
        size_t at = first_of_root ? info->root_body : info->ann_body;
        if (rc == 0)
            rc = splice(doc, len, at, at, mid, out, out_len);
    }
    free(mid);
    if (rc < 0)
        return ur_errf(err, -ENOMEM, "out of memory");
    return 0;
}

int json_set_annotation(const char *doc, size_t len, const char *key, const char *value,
                        char **out, size_t *out_len, struct ur_err *err)
{
    struct json_config_info info;
    const char *keys[2] = {key, key};
    int rc = json_scan_config(doc, len, keys, NULL, &info, err);
    if (rc < 0)
        return rc;
    return json_splice_annotation(doc, len, &info, 0, key, value, out, out_len, err);
}
