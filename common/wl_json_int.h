/* wl_json_int.h — what wl_json.c (the reader) shares with wl_json_write.c (the writers); not for
 * other folders. */
#ifndef WL_JSON_INT_H
#define WL_JSON_INT_H

#include <stddef.h>

/* Length of the valid UTF-8 sequence at p (RFC 3629: no overlongs, no surrogates,
 * <= U+10FFFF), or 0 if invalid or cut short by end. */
size_t wl_json_utf8_len(const unsigned char *p, const unsigned char *end);

#endif
