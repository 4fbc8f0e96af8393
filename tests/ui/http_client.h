/* http_client.h — a minimal HTTP client for the ui tests: sends the request bytes exactly as
 * given (so tests can forge Host, Origin, bodies and lengths) to 127.0.0.1:port and reads the
 * answer until the server closes. Sockets are the platform's (http_client_posix.c or
 * http_client_win.c, picked by tests/CMakeLists.txt); test-only, never in the product. */
#ifndef WL_TEST_HTTP_CLIENT_H
#define WL_TEST_HTTP_CLIENT_H

#include <stddef.h>
#include <stdint.h>

/* 0 on success: *out (malloc'd, NUL-terminated) holds the whole answer, headers included. A
 * send that fails after the server answered early (413) is not an error. */
int tc_http_raw(uint16_t port, const char *req, size_t len, char **out, size_t *n);

#endif
