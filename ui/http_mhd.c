/* http_mhd.c — ui/http.h on libmicrohttpd (Debian's libmicrohttpd-dev natively; cross-built
 * for mingw from Debian's source package by scripts/win-deps.sh).
 *
 * Why this library: it is made to be embedded (a C library, no framework), parses HTTP itself
 * (no hand-written parser here), is packaged by Debian for both builds, binds a given address,
 * and its internal polling thread serialises the handler for us. One thread, at most 16
 * connections, 30 s idle timeout; bodies are copied into a buffer of at most max_body bytes,
 * and a request announcing or sending more is answered 413 at once. The library's error log
 * is off: nothing about a request (and so no token) is ever written anywhere.
 */
#include "ui/http.h"

#include <microhttpd.h>
#include <stdlib.h>
#include <string.h>

#include "common/wl_err.h"
#include "ui/ui_os.h"

#define HTTP_MAX_CONNECTIONS 16
#define HTTP_IDLE_TIMEOUT_S  30

struct wl_http {
  struct MHD_Daemon *d;
  wl_http_handler fn;
  void *ctx;
  size_t max_body;
  uint16_t port;
};

typedef struct conn_state { /* one request's body, bounded by max_body */
  char *body;
  size_t len;
  int too_big;
} conn_state;

static const char k_too_big[] = "{\"error\":\"request body too large\"}";

const char *wl_http_query(const wl_http_req *req, const char *key) {
  return MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, key);
}

static enum MHD_Result queue(struct MHD_Connection *c, const wl_http_resp *r) {
  struct MHD_Response *resp =
      r->owned && r->body ? MHD_create_response_from_buffer(r->len, r->body, MHD_RESPMEM_MUST_FREE)
                          : MHD_create_response_from_buffer(r->len, r->body ? r->body : (char *)"",
                                                            MHD_RESPMEM_PERSISTENT);
  if (!resp) {
    if (r->owned)
      free(r->body);
    return MHD_NO;
  }
  MHD_add_response_header(resp, "Content-Type", r->type ? r->type : "text/plain; charset=utf-8");
  MHD_add_response_header(resp, "Content-Security-Policy",
                          "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; "
                          "form-action 'none'");
  MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
  MHD_add_response_header(resp, "X-Frame-Options", "DENY");
  MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
  MHD_add_response_header(resp, "Cache-Control", "no-store");
  enum MHD_Result ok = MHD_queue_response(c, (unsigned)r->status, resp);
  MHD_destroy_response(resp);
  return ok;
}

static enum MHD_Result too_big(struct MHD_Connection *c) {
  wl_http_resp r = {413, "application/json", (char *)k_too_big, sizeof k_too_big - 1, 0};
  return queue(c, &r);
}

static int body_append(conn_state *st, size_t max, const char *data, size_t n) {
  if (st->too_big || n > max - st->len) {
    st->too_big = 1;
    free(st->body), st->body = NULL, st->len = 0;
    return 0;
  }
  char *b = realloc(st->body, st->len + n + 1);
  if (!b)
    return -1;
  memcpy(b + st->len, data, n);
  st->body = b;
  st->len += n;
  b[st->len] = 0;
  return 0;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload,
                                  size_t *upload_size, void **con_cls) {
  wl_http *h = cls;
  conn_state *st = *con_cls;
  (void)version;
  if (!st) { /* headers only so far */
    if (!(st = calloc(1, sizeof *st)))
      return MHD_NO;
    *con_cls = st;
    const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
    if (cl && strtoull(cl, NULL, 10) > h->max_body) {
      st->too_big = 1;
      return too_big(c); /* answered before the body: the library closes the connection */
    }
    return MHD_YES;
  }
  if (*upload_size) {
    int rc = body_append(st, h->max_body, upload, *upload_size);
    *upload_size = 0;
    return rc ? MHD_NO : MHD_YES;
  }
  if (st->too_big)
    return too_big(c);
  wl_http_req req = {method, url, NULL, NULL, NULL, st->body ? st->body : "", st->len, c};
  req.host = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Host");
  req.origin = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Origin");
  req.auth = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
  wl_http_resp resp = {500, NULL, NULL, 0, 0};
  h->fn(h->ctx, &req, &resp);
  return queue(c, &resp);
}

static void on_done(void *cls, struct MHD_Connection *c, void **con_cls,
                    enum MHD_RequestTerminationCode code) {
  conn_state *st = *con_cls;
  (void)cls, (void)c, (void)code;
  if (st)
    free(st->body);
  free(st);
  *con_cls = NULL;
}

int wl_http_start(uint16_t port, size_t max_body, wl_http_handler fn, void *ctx, wl_http **out) {
  unsigned char addr[64];
  size_t alen = 0;
  *out = NULL;
  wl_http *h = calloc(1, sizeof *h);
  if (!h)
    return wl_err(WL_E_NOMEM, "out of memory");
  h->fn = fn, h->ctx = ctx, h->max_body = max_body;
  int rc = wl_ui_loopback_addr(port, addr, sizeof addr, &alen);
  if (rc) {
    free(h);
    return rc;
  }
  h->d = MHD_start_daemon(MHD_USE_AUTO | MHD_USE_INTERNAL_POLLING_THREAD, port, NULL, NULL,
                          on_request, h, MHD_OPTION_SOCK_ADDR, (void *)addr,
                          MHD_OPTION_CONNECTION_LIMIT, (unsigned)HTTP_MAX_CONNECTIONS,
                          MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)HTTP_IDLE_TIMEOUT_S,
                          MHD_OPTION_NOTIFY_COMPLETED, on_done, (void *)h, MHD_OPTION_END);
  if (!h->d) {
    free(h);
    return wl_err(WL_E_IO, "cannot listen on 127.0.0.1:%u (port in use?)", (unsigned)port);
  }
  const union MHD_DaemonInfo *info = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_BIND_PORT);
  h->port = info && info->port ? info->port : port;
  *out = h;
  return WL_OK;
}

uint16_t wl_http_port(const wl_http *h) { return h ? h->port : 0; }

void wl_http_stop(wl_http *h) {
  if (!h)
    return;
  if (h->d)
    MHD_stop_daemon(h->d);
  free(h);
}
