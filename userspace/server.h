/* server.h: unirootd's query socket (where: common/agentsock.h; the request
 * and answer lines are built and parsed in common/agentproto.c).
 *
 * Protocol: JSON lines over a SOCK_STREAM unix socket, mode 0600, and peers
 * other than uid 0 are refused (SO_PEERCRED). One request per line, one
 * response line per request, in order:
 *
 *   {"op":"get","bundle":"/run/containerd/io.containerd.runtime.v2.task/default/c1"}
 *   {"op":"get","namespace":"default","id":"c1"}
 *       -> {"ok":true,"record":{...rootfs_record.h JSON...}}
 *       -> {"ok":false,"error":"no record for ..."}
 *     get drains in-flight BPF events first; for a bundle with no record it
 *     looks at <bundle>/rootfs itself (observed_by "probe").
 *   {"op":"list"}    -> {"ok":true,"records":[{...},...]}
 *   {"op":"status"}  -> {"ok":true,"status":{"observer":"bpf-tracepoint","fallback":"...",
 *                         "records":N,"events":N,"drops":N,...,"latency_us":{"p50":..,"p99":..}}}
 *   {"op":"watch"}   -> {"ok":true,"watching":true}, then one line per change:
 *                       {"event":"add","record":{...}} / {"event":"remove","record":{...}}
 *
 * Malformed or unknown requests get {"ok":false,"error":"..."}; lines longer
 * than 64 KiB close the connection. The runtime calls `get` with a short
 * timeout and falls back to its own libmount check when it gets nothing. */
#ifndef UNIROOTD_SERVER_H
#define UNIROOTD_SERVER_H

#include <stdint.h>

#include "eptag.h"
#include "err.h"

struct agent;
struct agent_watch;
struct server;

/* Listen on path (replacing a stale socket), register with epoll fd ep. */
int server_open(struct agent *a, const char *path, int ep, struct server **out, struct ur_err *err);
void server_close(struct server *s);

/* epoll callback: data is what server registered (listen socket or client). */
void server_on_ready(struct server *s, void *data, uint32_t events);

/* Is anyone watching? (saves building lines nobody reads) */
int server_has_watchers(const struct server *s);

/* Free clients that failed while being written to (call once per loop turn). */
void server_reap(struct server *s);

/* Send {"event":what,"record":json} to every watcher. */
void server_broadcast(struct server *s, const char *what, const char *record_json);

/* Fill *w so the agent's changes go to this server's watchers. */
void server_watch(struct server *s, struct agent_watch *w);

#endif
