/* file_int.h — internal to common/file_*.c: the one whole-file reader loop both platforms use,
 * given their "read some bytes" call. */
#ifndef WL_FILE_INT_H
#define WL_FILE_INT_H

#include <stddef.h>
#include <stdint.h>

/* Read into buf up to n bytes; *got 0 at the end of the file. WL_E_* with a message naming path. */
typedef int (*wl_read_some_fn)(void *ctx, uint8_t *buf, size_t n, size_t *got, const char *path);

/* Everything until the end of the file, into a malloc'd buffer with a NUL after the last byte
 * (not counted in *len). size_hint: the size the file says it has (0 for a pipe); the buffer
 * grows past it when the file is longer. More than max bytes: WL_E_TOOBIG. */
int wl_read_whole(wl_read_some_fn read_some, void *ctx, const char *path, uint64_t size_hint,
                  size_t max, uint8_t **data, size_t *len);

#endif
