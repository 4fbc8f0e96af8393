/* file_read.c — the one whole-file reader (wl_os_read_file on every platform): read until the
 * end of the file, growing from the size the file reports, so a pipe, a special file or a file
 * that grows while it is read is read whole too, and never more than the caller's bound. */
#include <stdlib.h>

#include "common/file_int.h"
#include "common/wl_err.h"

int wl_read_whole(wl_read_some_fn read_some, void *ctx, const char *path, uint64_t size_hint,
                  size_t max, uint8_t **data, size_t *len) {
  *data = NULL;
  *len = 0;
  if (size_hint > max)
    return wl_err(WL_E_TOOBIG, "%s: %llu bytes, more than %llu", path,
                  (unsigned long long)size_hint, (unsigned long long)max);
  /* room for the whole file and one more byte, so the read that finds the end has room */
  size_t cap = (size_t)size_hint < 4096 ? 4096 : (size_t)size_hint + 1, n = 0, got = 0;
  if (cap > max + 1)
    cap = max + 1;
  int rc = WL_OK;
  uint8_t *buf = malloc(cap + 1); /* + the NUL */
  if (!buf)
    return wl_err(WL_E_NOMEM, "%s: no memory for %llu bytes", path, (unsigned long long)cap);
  for (;;) {
    if (n == cap) {
      if (cap > max) { /* max + 1 bytes read */
        rc = wl_err(WL_E_TOOBIG, "%s: more than %llu bytes", path, (unsigned long long)max);
        goto out;
      }
      size_t ncap = cap > max / 2 ? max + 1 : cap * 2;
      uint8_t *nb = realloc(buf, ncap + 1);
      if (!nb) {
        rc = wl_err(WL_E_NOMEM, "%s: no memory for %llu bytes", path, (unsigned long long)ncap);
        goto out;
      }
      buf = nb;
      cap = ncap;
    }
    if ((rc = read_some(ctx, buf + n, cap - n, &got, path)) != WL_OK)
      goto out;
    if (got == 0)
      break;
    n += got;
  }
  buf[n] = 0;
  *data = buf;
  *len = n;
  buf = NULL;
out:
  free(buf);
  return rc;
}
