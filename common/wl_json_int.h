/* wl_json_int.h — what wl_json.c (the reader) shares with wl_json_write.c (the writers) and
 * wl_json_get.c (lookups, conversions); not for other folders. */
#ifndef WL_JSON_INT_H
#define WL_JSON_INT_H

#include <stddef.h>

/* Length of the valid UTF-8 sequence at p (RFC 3629: no overlongs, no surrogates,
 * <= U+10FFFF), or 0 if invalid or cut short by end. */
size_t wl_json_utf8_len(const unsigned char *p, const unsigned char *end);
/* Length of the JSON number at p (RFC 8259 grammar), or 0 with *why and *at naming the fault. */
size_t wl_json_scan_number(const unsigned char *p, const unsigned char *end, const char **why,
                           const unsigned char **at);

#endif
