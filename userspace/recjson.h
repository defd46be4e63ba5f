/* recjson.h: a rootfs record's JSON (the dev.uniroot.rootfs annotation and
 * the socket's records), written straight into one buffer.
 *
 * The text is identical to common/rootfs_record.c's rootfs_record_to_json
 * (cJSON, compact): same members, order, number and string forms, and
 * observed_at as "YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ" (UTC). That version builds
 * a cJSON tree (some 40 allocations) per record; this one is on the agent's
 * per-record path. tests/unit/agent_recjson_test.c holds them equal. */
#ifndef UNIROOTD_RECJSON_H
#define UNIROOTD_RECJSON_H

#include "rootfs_record.h"

/* *out (malloc'ed, NUL-terminated) = r's JSON; 0 or -ENOMEM. Falls back to
 * rootfs_record_to_json for numbers it does not print the same way. */
int recjson(const struct rootfs_record *r, char **out);

#endif
