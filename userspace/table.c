/* table.c: hash table of container rootfs records (see table.h). */
#include "table.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint32_t hash_str(uint32_t h, const char *s)
{
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

static uint32_t bundle_slot(const char *bundle)
{
    return hash_str(2166136261u, bundle) % TABLE_BUCKETS;
}

static uint32_t key_slot(const char *ns, const char *id)
{
    return hash_str(hash_str(2166136261u, ns) * 16777619u, id) % TABLE_BUCKETS;
}

void table_init(struct table *t)
{
    memset(t, 0, sizeof(*t));
}

static void trec_free(struct trec *r)
{
    free(r->namespace_);
    free(r->id);
    free(r->bundle);
    free(r->target);
    free(r->device);
    free(r->backing);
    free(r);
}

void table_free(struct table *t)
{
    for (size_t i = 0; i < TABLE_BUCKETS; i++) {
        struct trec *r = t->by_bundle[i];
        while (r) {
            struct trec *n = r->next_bundle;
            trec_free(r);
            r = n;
        }
    }
    table_init(t);
}

struct trec *table_by_bundle(const struct table *t, const char *bundle)
{
    for (struct trec *r = t->by_bundle[bundle_slot(bundle)]; r; r = r->next_bundle)
        if (strcmp(r->bundle, bundle) == 0)
            return r;
    return NULL;
}

struct trec *table_by_key(const struct table *t, const char *ns, const char *id)
{
    for (struct trec *r = t->by_key[key_slot(ns, id)]; r; r = r->next_key)
        if (strcmp(r->namespace_, ns) == 0 && strcmp(r->id, id) == 0)
            return r;
    return NULL;
}

void table_remove(struct table *t, struct trec *r)
{
    struct trec **pp;
    for (pp = &t->by_bundle[bundle_slot(r->bundle)]; *pp; pp = &(*pp)->next_bundle)
        if (*pp == r) {
            *pp = r->next_bundle;
            break;
        }
    for (pp = &t->by_key[key_slot(r->namespace_, r->id)]; *pp; pp = &(*pp)->next_key)
        if (*pp == r) {
            *pp = r->next_key;
            break;
        }
    t->count--;
    trec_free(r);
}

static char *dup0(const char *s)
{
    return strdup(s ? s : "");
}

int table_put(struct table *t, const struct trec *src, struct trec **out)
{
    struct trec *r = calloc(1, sizeof(*r));
    if (!r)
        return -ENOMEM;
    *r = *src;
    r->next_bundle = r->next_key = NULL;
    r->namespace_ = dup0(src->namespace_);
    r->id = dup0(src->id);
    r->bundle = dup0(src->bundle);
    r->target = dup0(src->target);
    r->device = dup0(src->device);
    r->backing = dup0(src->backing);
    if (!r->namespace_ || !r->id || !r->bundle || !r->target || !r->device || !r->backing) {
        trec_free(r);
        return -ENOMEM;
    }
    struct trec *old = table_by_bundle(t, r->bundle);
    if (old)
        table_remove(t, old);
    old = table_by_key(t, r->namespace_, r->id);
    if (old)
        table_remove(t, old);
    uint32_t b = bundle_slot(r->bundle), k = key_slot(r->namespace_, r->id);
    r->next_bundle = t->by_bundle[b];
    t->by_bundle[b] = r;
    r->next_key = t->by_key[k];
    t->by_key[k] = r;
    t->count++;
    if (out)
        *out = r;
    return 0;
}

void table_foreach(const struct table *t, void (*fn)(const struct trec *r, void *arg), void *arg)
{
    for (size_t i = 0; i < TABLE_BUCKETS; i++)
        for (const struct trec *r = t->by_bundle[i]; r; r = r->next_bundle)
            fn(r, arg);
}

void trec_to_record(const struct trec *r, struct rootfs_record *o)
{
    memset(o, 0, sizeof(*o));
    o->version = ROOTFS_RECORD_VERSION;
    o->type = r->type;
    snprintf(o->device, sizeof(o->device), "%s", r->device);
    o->major = r->major;
    o->minor = r->minor;
    snprintf(o->fstype, sizeof(o->fstype), "%s", r->fstype);
    snprintf(o->backing, sizeof(o->backing), "%s", r->backing);
    snprintf(o->observed_by, sizeof(o->observed_by), "%s", r->observed_by);
    o->observed_at_ns = r->observed_at_ns;
    snprintf(o->namespace_, sizeof(o->namespace_), "%s", r->namespace_);
    snprintf(o->container, sizeof(o->container), "%s", r->id);
    snprintf(o->mount_target, sizeof(o->mount_target), "%s", r->target);
}

int trec_to_json(const struct trec *r, char **out)
{
    static struct rootfs_record rec; /* ~12 KiB: not on the stack of every caller */
    trec_to_record(r, &rec);
    return rootfs_record_to_json(&rec, out, NULL);
}
