/* line_read.c — the one line reader of the line formats (replay streams, traffic files): a
 * line without its "\n" / "\r\n", a UTF-8 byte order mark at the start of the file skipped (an
 * editor's), and the two ways a line can be unreadable told apart from each other — longer than
 * the buffer (consumed to its end) or holding a NUL byte — instead of one message for both.
 *
 * fgets cannot say how many bytes it stored when one is a NUL, so a sentinel in the buffer's last
 * byte tells whether it filled the buffer: when it did not, the read ended at a newline or at the
 * end of the file, and a line whose strlen stops short of its newline holds a NUL.
 */
#include <string.h>

#include "common/wl_os.h"

int wl_os_read_line(FILE *f, char *buf, size_t cap, uint64_t lineno, size_t *len) {
  *len = 0;
  if (cap < 3 || cap > (size_t)INT32_MAX)
    return WL_LINE_LONG;
  buf[cap - 1] = 'x'; /* fgets writes a NUL there only when it filled the buffer */
  if (!fgets(buf, (int)cap, f))
    return WL_LINE_EOF;
  size_t n = strlen(buf);
  int filled = buf[cap - 1] == '\0';
  if (filled && buf[cap - 2] != '\n') { /* longer than the buffer: skip to its end */
    int c;
    while ((c = fgetc(f)) != EOF && c != '\n')
      ;
    return WL_LINE_LONG;
  }
  if (filled && n != cap - 1)
    return WL_LINE_NUL; /* the buffer holds the whole line, but strlen stops inside it */
  int newline = n && buf[n - 1] == '\n';
  if (!newline && !filled && !feof(f))
    return WL_LINE_NUL; /* fgets went on to the newline past the NUL */
  if (newline)
    buf[--n] = '\0';
  if (n && buf[n - 1] == '\r')
    buf[--n] = '\0';
  if (lineno == 1 && n >= 3 && !memcmp(buf, "\xEF\xBB\xBF", 3)) {
    memmove(buf, buf + 3, n - 2);
    n -= 3;
  }
  *len = n;
  return WL_LINE_OK;
}
