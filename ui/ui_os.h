/* ui_os.h — what the review page needs from the platform beyond common/wl_os.h: random bytes
 * for the token, the loopback socket address to bind, a FILE that writes to memory (the JSON
 * writers of ui/report.h take a FILE), and the default browser. CMake picks ui_posix.c or
 * ui_win.c; nothing else in ui/ includes a system header of one platform.
 */
#ifndef WL_UI_OS_H
#define WL_UI_OS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* n bytes from the system's CSPRNG (getrandom / BCryptGenRandom). */
int wl_ui_random(uint8_t *out, size_t n);
/* A struct sockaddr_in for 127.0.0.1:port into buf (cap >= 64); *len its size. */
int wl_ui_loopback_addr(uint16_t port, void *buf, size_t cap, size_t *len);
/* An empty read/write FILE in memory (or an unnamed temporary file deleted on close). */
int wl_ui_memfile(FILE **out);
/* Open url in the default browser, not waiting for it. */
int wl_ui_open_browser(const char *url);

/* Portable: everything written to f so far, as a malloc'd NUL-terminated buffer; closes f.
 * WL_E_IO when the stream failed, WL_E_TOOBIG beyond max bytes. */
int wl_ui_memfile_take(FILE *f, size_t max, char **buf, size_t *len);

#endif
