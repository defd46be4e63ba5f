/* jsonstr.h: JSON string literals, written straight into a buffer.
 *
 * The escaping is byte-for-byte what cJSON's printer produces ('"', '\\',
 * \b \f \n \r \t as two-character escapes, other bytes below 0x20 as \u00xx,
 * everything else, UTF-8 included, as it is), so text made here and text
 * made through cJSON compare equal; it only skips cJSON's per-item
 * allocations (the rootfs record is written on the agent's per-record path). */
#ifndef UNIROOT_COMMON_JSONSTR_H
#define UNIROOT_COMMON_JSONSTR_H

#include <stddef.h>

/* Bytes jsonstr_put needs for s, quotes included (no NUL). */
size_t jsonstr_size(const char *s);

/* An upper bound of jsonstr_size(s) (every byte escaped to six) that costs
 * only a strlen: size buffers with it and jsonstr_put need not count twice. */
size_t jsonstr_bound(const char *s);

/* Write s quoted and escaped at buf + *len (buf has cap bytes), keep the
 * result NUL-terminated and advance *len. -ENOSPC (nothing usable written)
 * when it does not fit. */
int jsonstr_put(char *buf, size_t cap, size_t *len, const char *s);

/* Byte offset in the JSON text json of the first "\u0000" escape inside a
 * string (key or value), or -1 when there is none. cJSON keeps such a string
 * only up to the NUL, so "a\u0000b" would silently read as "a": readers of
 * outside JSON refuse the text instead. */
long jsonstr_find_nul(const char *json);

#endif
