/* line_read.c — the one line reader of the line formats (replay streams, traffic files): the
 * file read in chunks into the reader's own buffer and each line handed out where it lies (not
 * copied: a replay of a million lines used to copy each one twice more, in fgets and its
 * strlen), without its "\n" / "\r\n", NUL-terminated in place; a UTF-8 byte order mark at the
 * start of the file skipped (an editor's); and the two ways a line can be unreadable told apart —
 * longer than the bound (consumed to its end without being held) or holding a NUL byte.
 *
 * The buffer holds one chunk plus the longest line allowed, so a line that starts late in a chunk
 * is moved to the front (at most max bytes) and completed by the next read.
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "common/wl_err.h"
#include "common/wl_os.h"

#define CHUNK (256u * 1024) /* bytes asked of fread at a time */

int wl_lines_init(wl_lines *r, FILE *f, size_t max) {
  memset(r, 0, sizeof *r);
  if (max == 0 || max > SIZE_MAX / 2 - CHUNK)
    return wl_err(WL_E_INVAL, "line reader: a longest line of %zu bytes", max);
  r->f = f;
  r->max = max;
  r->cap = max + 2 + CHUNK; /* max, a "\r", the terminator's byte, a chunk */
  if (!(r->buf = malloc(r->cap)))
    return wl_err(WL_E_NOMEM, "line reader: out of memory for %zu bytes", r->cap);
  return WL_OK;
}

void wl_lines_free(wl_lines *r) {
  if (!r)
    return;
  free(r->buf);
  r->buf = NULL;
}

/* The line p[0..n) (its newline, if any, at p[n]): checked, trimmed and terminated. */
static int finish(wl_lines *r, char *p, size_t n, char **line, size_t *len) {
  if (memchr(p, '\0', n))
    return WL_LINE_NUL;
  if (n && p[n - 1] == '\r')
    n--;
  p[n] = '\0'; /* where "\r" or "\n" was, or (the file's last line) the byte after it */
  if (r->line == 1 && n >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0) {
    p += 3;
    n -= 3;
  }
  *line = p;
  *len = n;
  return WL_LINE_OK;
}

int wl_lines_next(wl_lines *r, char **line, size_t *len) {
  *line = NULL;
  *len = 0;
  for (;;) {
    assert(r->pos <= r->end && r->end < r->cap);
    char *p = r->buf + r->pos;
    size_t avail = r->end - r->pos;
    char *nl = avail ? memchr(p, '\n', avail) : NULL;
    if (nl || (r->eof && (avail || r->skipping))) {
      size_t n = nl ? (size_t)(nl - p) : avail;
      r->pos += n + (nl != NULL);
      r->line++;
      if (r->skipping || n > r->max) {
        r->skipping = 0;
        return WL_LINE_LONG;
      }
      return finish(r, p, n, line, len);
    }
    if (r->eof)
      return WL_LINE_EOF;
    if (avail > r->max) { /* too long already: drop it and read on to its end */
      r->skipping = 1;
      avail = 0;
    } else if (r->pos) {
      memmove(r->buf, p, avail);
    }
    r->pos = 0;
    r->end = avail;
    size_t got = fread(r->buf + r->end, 1, r->cap - 1 - r->end, r->f);
    r->end += got;
    if (got == 0)
      r->eof = 1; /* the end, or a read error: the caller asks ferror */
  }
}
