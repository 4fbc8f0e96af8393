/* wl_json_write.c — the JSON writers: string literals with escapes (control characters, quote,
 * backslash; valid UTF-8 passed through, invalid bytes as \ufffd so the output is always valid
 * JSON), into a bounded buffer or a FILE. Split from wl_json.c, the reader.
 */
#include <stdio.h>
#include <string.h>

#include "common/wl_json.h"
#include "common/wl_json_int.h"

/* ---------------------------------------------------------------- writers */

/* Output of the escaper: a bounded buffer or a FILE (through a small staging buffer). */
typedef struct sink {
  char *buf;
  size_t cap, n; /* n counts every byte produced, written or not */
  FILE *f;
  char stage[256];
  size_t staged;
} sink;

static void sink_put(sink *k, const char *p, size_t len) {
  for (size_t i = 0; i < len; i++, k->n++) {
    if (k->f) {
      if (k->staged == sizeof k->stage) {
        fwrite(k->stage, 1, k->staged, k->f);
        k->staged = 0;
      }
      k->stage[k->staged++] = p[i];
    } else if (k->n + 1 < k->cap) {
      k->buf[k->n] = p[i];
    }
  }
}

/* Invalid UTF-8 bytes are written as \ufffd so the output is always valid JSON. */
static void escape_to(sink *k, const char *s) {
  if (!s) {
    sink_put(k, "null", 4);
    return;
  }
  const unsigned char *p = (const unsigned char *)s, *end = p + strlen(s);
  sink_put(k, "\"", 1);
  while (p < end) {
    unsigned c = *p;
    size_t run = 0;
    char esc[8];
    if (c == '"' || c == '\\') {
      esc[0] = '\\', esc[1] = (char)c;
      sink_put(k, esc, 2);
      run = 1;
    } else if (c < 0x20) {
      static const char sh[] = "btn\0fr"; /* \b=8 \t=9 \n=10 \f=12 \r=13 */
      if (c >= 8 && c <= 13 && sh[c - 8]) {
        esc[0] = '\\', esc[1] = sh[c - 8];
        sink_put(k, esc, 2);
      } else {
        snprintf(esc, sizeof esc, "\\u%04x", c);
        sink_put(k, esc, 6);
      }
      run = 1;
    } else if ((run = wl_json_utf8_len(p, end)) != 0) {
      sink_put(k, (const char *)p, run);
    } else {
      sink_put(k, "\\ufffd", 6);
      run = 1;
    }
    p += run;
  }
  sink_put(k, "\"", 1);
}

size_t wl_json_escape(char *buf, size_t cap, const char *s) {
  sink k = {.buf = buf, .cap = buf ? cap : 0};
  escape_to(&k, s);
  if (k.cap)
    buf[k.n < k.cap ? k.n : k.cap - 1] = 0;
  return k.n;
}

void wl_json_write_string(FILE *f, const char *s) {
  if (!f)
    return;
  sink k = {.f = f};
  escape_to(&k, s);
  if (k.staged)
    fwrite(k.stage, 1, k.staged, f);
}
