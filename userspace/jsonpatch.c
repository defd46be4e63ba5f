/* jsonpatch.c: in-place annotation edit of a JSON document (see jsonpatch.h).
 * A small scanner walks the text; nesting is bounded so hostile input cannot
 * exhaust the stack. */
#include "jsonpatch.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* At a '"': step past the closing quote. */
static int skip_string(struct scan *sc)
{
    if (sc->pos >= sc->len || sc->s[sc->pos] != '"')
        return -1;
    for (sc->pos++; sc->pos < sc->len; sc->pos++) {
        char c = sc->s[sc->pos];
        if (c == '\\') {
            sc->pos++;
        } else if (c == '"') {
            sc->pos++;
            return 0;
        } else if ((unsigned char)c < 0x20) {
            return -1;
        }
    }
    return -1;
}

static int skip_value(struct scan *sc, int depth);

/* At '{' or '[': step past the matching close. */
static int skip_container(struct scan *sc, int depth)
{
    char close = sc->s[sc->pos] == '{' ? '}' : ']';
    int is_obj = close == '}';
    if (depth > MAX_DEPTH)
        return -1;
    sc->pos++;
    skip_ws(sc);
    if (sc->pos < sc->len && sc->s[sc->pos] == close) {
        sc->pos++;
        return 0;
    }
    for (;;) {
        skip_ws(sc);
        if (is_obj) {
            if (skip_string(sc) < 0)
                return -1;
            skip_ws(sc);
            if (sc->pos >= sc->len || sc->s[sc->pos] != ':')
                return -1;
            sc->pos++;
        }
        if (skip_value(sc, depth + 1) < 0)
            return -1;
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

static int skip_value(struct scan *sc, int depth)
{
    skip_ws(sc);
    if (sc->pos >= sc->len)
        return -1;
    char c = sc->s[sc->pos];
    if (c == '"')
        return skip_string(sc);
    if (c == '{' || c == '[')
        return skip_container(sc, depth);
    size_t start = sc->pos;
    while (sc->pos < sc->len && strchr(",}] \t\r\n", sc->s[sc->pos]) == NULL)
        sc->pos++;
    return sc->pos > start ? 0 : -1;
}

/* Is the string token at [a, b) (quotes included) exactly "name"? */
static int key_is(const struct scan *sc, size_t a, size_t b, const char *name)
{
    size_t n = strlen(name);
    return b - a == n + 2 && memcmp(sc->s + a + 1, name, n) == 0;
}

/* Walk the members of the object at sc->pos; on a member named key, set
 * vstart and vend to its value's span and return 1; return 0 when absent
 * (sc->pos then just inside the '{', *vstart = position after '{'),
 * -1 on malformed input. *empty says whether the object has no members. */
static int find_member(struct scan *sc, const char *key, size_t *vstart, size_t *vend, int *empty)
{
    if (sc->pos >= sc->len || sc->s[sc->pos] != '{')
        return -1;
    size_t open = sc->pos + 1;
    sc->pos++;
    skip_ws(sc);
    *empty = sc->pos < sc->len && sc->s[sc->pos] == '}';
    if (*empty) {
        *vstart = *vend = open;
        return 0;
    }
    for (;;) {
        skip_ws(sc);
        size_t ka = sc->pos;
        if (skip_string(sc) < 0)
            return -1;
        size_t kb = sc->pos;
        skip_ws(sc);
        if (sc->pos >= sc->len || sc->s[sc->pos] != ':')
            return -1;
        sc->pos++;
        skip_ws(sc);
        size_t va = sc->pos;
        if (skip_value(sc, 1) < 0)
            return -1;
        if (key_is(sc, ka, kb, key)) {
            *vstart = va;
            *vend = sc->pos;
            return 1;
        }
        skip_ws(sc);
        if (sc->pos >= sc->len)
            return -1;
        if (sc->s[sc->pos] == ',') {
            sc->pos++;
            continue;
        }
        if (sc->s[sc->pos] == '}') {
            *vstart = *vend = open;
            return 0;
        }
        return -1;
    }
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

int json_set_annotation(const char *doc, size_t len, const char *key, const char *value,
                        char **out, size_t *out_len, struct ur_err *err)
{
    struct scan sc = {doc, len, 0};
    size_t a, b;
    int empty, rc;
    char *qkey = NULL, *qval = NULL, *mid = NULL;

    /* The whole document must be one well-formed object. */
    skip_ws(&sc);
    size_t root = sc.pos;
    if (sc.pos >= len || doc[sc.pos] != '{' || skip_value(&sc, 0) < 0)
        return ur_errf(err, -EINVAL, "config.json: not a JSON object");
    skip_ws(&sc);
    if (sc.pos != len)
        return ur_errf(err, -EINVAL, "config.json: trailing bytes after the object");

    size_t kn = jsonstr_size(key) + 1, vn = jsonstr_size(value) + 1, kl = 0, vl = 0;
    qkey = malloc(kn);
    qval = malloc(vn);
    if (!qkey || !qval || jsonstr_put(qkey, kn, &kl, key) < 0 || jsonstr_put(qval, vn, &vl, value) < 0) {
        rc = ur_errf(err, -ENOMEM, "out of memory");
        goto out;
    }
    mid = malloc(strlen(qkey) + strlen(qval) + 32);
    if (!mid) {
        rc = ur_errf(err, -ENOMEM, "out of memory");
        goto out;
    }

    sc.pos = root;
    rc = find_member(&sc, "annotations", &a, &b, &empty);
    if (rc < 0) {
        rc = ur_errf(err, -EINVAL, "config.json: malformed object");
        goto out;
    }
    if (rc == 0) { /* no annotations: add {"key":value} as the root's first member */
        sprintf(mid, "\"annotations\":{%s:%s}%s", qkey, qval, empty ? "" : ",");
        rc = splice(doc, len, a, a, mid, out, out_len);
        goto done;
    }
    if (doc[a] != '{') {
        rc = ur_errf(err, -EINVAL, "config.json: \"annotations\" is not an object");
        goto out;
    }
    sc.pos = a;
    rc = find_member(&sc, key, &a, &b, &empty);
    if (rc < 0) {
        rc = ur_errf(err, -EINVAL, "config.json: malformed annotations");
        goto out;
    }
    if (rc == 1) {
        rc = splice(doc, len, a, b, qval, out, out_len);
    } else {
        sprintf(mid, "%s:%s%s", qkey, qval, empty ? "" : ",");
        rc = splice(doc, len, a, a, mid, out, out_len);
    }
done:
    if (rc < 0)
        ur_errf(err, rc, "out of memory");
out:
    free(qkey);
    free(qval);
    free(mid);
    return rc;
}
