/* ui.c — the review page's server: the token and URL, the checks every request passes (Host,
 * token, Origin, method), the embedded page, and the JSON answer helpers. The API routes are
 * ui/api.c; the HTTP library is behind ui/http.h.
 */
#include "ui/ui.h"

#include <stdlib.h>
#include <string.h>

#include "common/wl_err.h"
#include "common/wl_json.h"
#include "common/wl_text.h"
#include "ui/ui_int.h"
#include "ui/ui_os.h"

#define UI_ANSWER_MAX (64u * 1024 * 1024) /* one JSON answer (the store's own bound is lower) */

/* ---------------------------------------------------------------- answers */

int wl_ui_memfile_take(FILE *f, size_t max, char **buf, size_t *len) {
  int rc = WL_OK;
  long n = 0;
  *buf = NULL, *len = 0;
  if (fflush(f) || ferror(f) || fseek(f, 0, SEEK_END) || (n = ftell(f)) < 0 ||
      fseek(f, 0, SEEK_SET))
    rc = wl_err(WL_E_IO, "writing the answer failed");
  else if ((size_t)n > max)
    rc = wl_err(WL_E_TOOBIG, "the answer is larger than %zu bytes", max);
  else if (!(*buf = malloc((size_t)n + 1)))
    rc = wl_err(WL_E_NOMEM, "out of memory");
  else if (fread(*buf, 1, (size_t)n, f) != (size_t)n)
    rc = wl_err(WL_E_IO, "reading the answer back failed");
  if (rc) {
    free(*buf), *buf = NULL;
  } else {
    (*buf)[n] = 0;
    *len = (size_t)n;
  }
  fclose(f);
  return rc;
}

void wl_ui_error(wl_http_resp *resp, int status, const char *msg) {
  size_t need = wl_json_escape(NULL, 0, msg);
  char *b = malloc(need + 16);
  resp->status = status;
  resp->type = "application/json";
  if (!b) {
    resp->body = (char *)"{\"error\":\"out of memory\"}", resp->len = strlen(resp->body);
    resp->owned = 0;
    return;
  }
  memcpy(b, "{\"error\":", 9);
  wl_json_escape(b + 9, need + 1, msg);
  memcpy(b + 9 + need, "}\n", 3);
  resp->body = b, resp->len = 9 + need + 2, resp->owned = 1;
}

static int status_of(int rc) {
  switch (rc) {
  case WL_E_NOTFOUND:
    return 404;
  case WL_E_EXISTS:
  case WL_E_CONFLICT:
    return 409;
  case WL_E_TOOBIG:
    return 413;
  default:
    return wl_err_is_user(rc) ? 400 : 500;
  }
}

void wl_ui_answer(wl_http_resp *resp, int rc, FILE *f) {
  char *b = NULL;
  size_t n = 0;
  if (!rc && f)
    rc = wl_ui_memfile_take(f, UI_ANSWER_MAX, &b, &n);
  else if (f)
    fclose(f);
  if (rc) {
    wl_ui_error(resp, status_of(rc), wl_errmsg()[0] ? wl_errmsg() : wl_strerror(rc));
    wl_err_clear();
    return;
  }
  resp->status = 200, resp->type = "application/json";
  resp->body = b, resp->len = n, resp->owned = 1;
}

/* ---------------------------------------------------------------- checks */

/* Constant time: how much of the token matched must not show in the timing. */
static int token_ok(const wl_ui *u, const char *auth) {
  static const char bearer[] = "Bearer ";
  size_t n = strlen(u->token);
  if (!auth || strncmp(auth, bearer, sizeof bearer - 1) || strlen(auth + sizeof bearer - 1) != n)
    return 0;
  unsigned char diff = 0;
  for (size_t i = 0; i < n; i++)
    diff |= (unsigned char)(auth[sizeof bearer - 1 + i] ^ u->token[i]);
  return diff == 0;
}

static int host_ok(const wl_ui *u, const char *host) {
  return host && (!strcmp(host, u->host_ip) || !wl_strncasecmp(host, u->host_name, SIZE_MAX));
}

static int origin_ok(const wl_ui *u, const char *origin) {
  return origin &&
         (!strcmp(origin, u->origin_ip) || !wl_strncasecmp(origin, u->origin_name, SIZE_MAX));
}

static void serve_asset(const wl_http_req *req, wl_http_resp *resp) {
  const char *path = strcmp(req->path, "/") ? req->path : "/index.html";
  for (const wl_ui_asset *a = wl_ui_assets; a->path; a++)
    if (!strcmp(path, a->path)) {
      resp->status = 200, resp->type = a->type;
      resp->body = (char *)a->data, resp->len = a->len, resp->owned = 0;
      return;
    }
  wl_ui_error(resp, 404, "no such page");
}

static void on_request(void *ctx, const wl_http_req *req, wl_http_resp *resp) {
  wl_ui *u = ctx;
  int api = !strncmp(req->path, "/api/", 5), post = !strcmp(req->method, "POST");
  if (!host_ok(u, req->host))
    wl_ui_error(resp, 403, "wrong Host: this server answers 127.0.0.1 and localhost only");
  else if (!post && strcmp(req->method, "GET"))
    wl_ui_error(resp, 405, "only GET and POST");
  else if (!api && post)
    wl_ui_error(resp, 405, "the page takes no POST");
  else if (!api)
    serve_asset(req, resp);
  else if (!token_ok(u, req->auth))
    wl_ui_error(resp, 401, "missing or wrong token (Authorization: Bearer TOKEN)");
  else if (post && !origin_ok(u, req->origin))
    wl_ui_error(resp, 403, "cross-origin request refused");
  else
    wl_ui_api(u, req, resp);
}

/* ---------------------------------------------------------------- lifetime */

int wl_ui_start(const wl_ui_opts *o, wl_ui **out) {
  uint8_t raw[WL_UI_TOKEN_BYTES];
  *out = NULL;
  wl_ui *u = calloc(1, sizeof *u);
  if (!u)
    return wl_err(WL_E_NOMEM, "out of memory");
  wl_strlcpy(u->db_path, o->db_path, sizeof u->db_path);
  wl_strlcpy(u->engine_spec, o->engine_spec, sizeof u->engine_spec);
  int rc = wl_ui_random(raw, sizeof raw);
  for (size_t i = 0; !rc && i < sizeof raw; i++)
    snprintf(u->token + 2 * i, 3, "%02x", raw[i]);
  if (!rc)
    rc = wl_http_start(o->port, WL_UI_MAX_BODY, on_request, u, &u->http);
  if (rc) {
    free(u);
    return rc;
  }
  unsigned port = wl_http_port(u->http);
  snprintf(u->host_ip, sizeof u->host_ip, "127.0.0.1:%u", port);
  snprintf(u->host_name, sizeof u->host_name, "localhost:%u", port);
  snprintf(u->origin_ip, sizeof u->origin_ip, "http://127.0.0.1:%u", port);
  snprintf(u->origin_name, sizeof u->origin_name, "http://localhost:%u", port);
  snprintf(u->url, sizeof u->url, "http://127.0.0.1:%u/?token=%s", port, u->token);
  *out = u;
  return WL_OK;
}

const char *wl_ui_url(const wl_ui *u) { return u->url; }
const char *wl_ui_token(const wl_ui *u) { return u->token; }
uint16_t wl_ui_port(const wl_ui *u) { return wl_http_port(u->http); }

void wl_ui_stop(wl_ui *u) {
  if (!u)
    return;
  wl_http_stop(u->http); /* no request runs past this */
  free(u);
}
