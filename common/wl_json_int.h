/* wl_json_int.h — what wl_json.c (the reader) shares with wl_json_write.c (the writers),
 * wl_json_get.c (lookups, conversions) and wl_json_shape.c (flat lines by their layout); not for
 * other folders. */
#ifndef WL_JSON_INT_H
#define WL_JSON_INT_H

#include <stddef.h>

#include "common/wl_json.h"

/* Length of the valid UTF-8 sequence at p (RFC 3629: no overlongs, no surrogates,
 * <= U+10FFFF), or 0 if invalid or cut short by end. */
size_t wl_json_utf8_len(const unsigned char *p, const unsigned char *end);
/* Length of the JSON number at p (RFC 8259 grammar), or 0 with *why and *at naming the fault. */
size_t wl_json_scan_number(const unsigned char *p, const unsigned char *end, const char **why,
                           const unsigned char **at);
/* End of the run of plain string bytes at p (printable ASCII but '"' and '\\'): p itself when
 * *p is not one, end when all are. A block at a time. */
const unsigned char *wl_json_plain_run(const unsigned char *p, const unsigned char *end);
/* n bytes (aligned to 16) from the arena, NULL when out of memory. */
void *wl_json_arena_alloc(wl_json_arena *a, size_t n);
/* The quote closing the string that opens at `open` (its '"'): the first '"' after an even
 * number of backslashes (memchr: a path's escaped backslashes would cut plain runs short); NULL
 * when there is none before end. */
const unsigned char *wl_json_raw_close(const unsigned char *open, const unsigned char *end);

#endif
