/* table.h: the agent's in-memory container -> rootfs table.
 * Two hash indices (bundle directory; namespace + container id) make every
 * lookup O(1). Records are compact (heap strings) so thousands stay small. */
#ifndef UNIROOTD_TABLE_H
#define UNIROOTD_TABLE_H

#include <stddef.h>
#include <stdint.h>

#include "rootfs_record.h"

#define TABLE_BUCKETS 4096

struct trec {
    struct trec *next_bundle, *next_key;
    char *namespace_, *id, *bundle, *target, *device, *backing;
    char fstype[32];
    char observed_by[32];
    uint32_t major, minor;
    enum rootfs_type type;
    uint64_t observed_at_ns;  /* CLOCK_REALTIME of the mount */
    uint64_t mount_mono_ns;   /* CLOCK_MONOTONIC of the mount, 0 if unknown */
    uint64_t mnt_id;          /* unique mount id, 0 if unknown */
    int bundle_kind;          /* enum bundle_kind, last seen */
    unsigned seen;            /* reconciliation generation that last saw it */
    unsigned long long config_ino; /* inode of the config.json the agent last wrote */
};

struct table {
    struct trec *by_bundle[TABLE_BUCKETS];
    struct trec *by_key[TABLE_BUCKETS];
    size_t count;
};

void table_init(struct table *t);
void table_free(struct table *t);

/* Insert a copy of *src (its strings are copied; NULL strings become ""),
 * replacing any record with the same bundle or the same namespace/id.
 * Returns 0 and the stored record in *out (may be NULL), or -ENOMEM. */
int table_put(struct table *t, const struct trec *src, struct trec **out);

struct trec *table_by_bundle(const struct table *t, const char *bundle);
struct trec *table_by_key(const struct table *t, const char *ns, const char *id);

/* Unlink and free r (a record of t). */
void table_remove(struct table *t, struct trec *r);

/* Call fn for every record; fn may not modify the table. */
void table_foreach(const struct table *t, void (*fn)(const struct trec *r, void *arg), void *arg);

/* The record in the agent -> runtime contract form. */
void trec_to_record(const struct trec *r, struct rootfs_record *out);

/* That form's JSON (rootfs_record.h, the one encoder): 0 and *out
 * (malloc'ed), or -ENOMEM. Not reentrant (one static record). */
int trec_to_json(const struct trec *r, char **out);

#endif
