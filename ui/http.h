/* http.h — the seam between the review page and the HTTP library (libmicrohttpd behind it,
 * ui/http_mhd.c). The rest of ui/ sees a request as a few fields and answers with a status and
 * a body; no header of the library leaks past this file, so the server could be replaced (or
 * faked) without touching the API.
 *
 * The server listens on 127.0.0.1 only and answers one request at a time on its own thread
 * (the handler never runs concurrently with itself). Bodies are bounded: a request whose body
 * exceeds max_body gets 413 without the handler being called. Every response carries the
 * security headers (Content-Security-Policy default-src 'self', no sniffing, no framing, no
 * referrer, no caching) and never a CORS header.
 */
#ifndef WL_UI_HTTP_H
#define WL_UI_HTTP_H

#include <stddef.h>
#include <stdint.h>

typedef struct wl_http wl_http;

typedef struct wl_http_req {
  const char *method, *path;        /* "GET", "/api/status" (no query) */
  const char *host, *origin, *auth; /* headers, NULL when absent */
  const char *body;                 /* NUL-terminated, may be "" */
  size_t body_len;
  void *conn; /* for wl_http_query */
} wl_http_req;

/* The value of ?key=... (URL-decoded), or NULL. */
const char *wl_http_query(const wl_http_req *req, const char *key);

typedef struct wl_http_resp {
  int status;       /* 200, 400, ... */
  const char *type; /* Content-Type */
  char *body;       /* malloc'd and taken by the server (owned=1), or static (owned=0) */
  size_t len;
  int owned;
} wl_http_resp;

/* Called on the server thread for each complete request; fills resp (a NULL body is an empty
 * one). */
typedef void (*wl_http_handler)(void *ctx, const wl_http_req *req, wl_http_resp *resp);

/* Listen on 127.0.0.1:port (0: a free port). Release with wl_http_stop. */
int wl_http_start(uint16_t port, size_t max_body, wl_http_handler fn, void *ctx, wl_http **out);
uint16_t wl_http_port(const wl_http *h);
void wl_http_stop(wl_http *h); /* NULL-safe; waits for the request in progress */

#endif
