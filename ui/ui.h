/* ui.h — the review page: `wfplearn ui` serves one page and a JSON API on 127.0.0.1.
 *
 * wl_ui_start listens (ui/http.h), makes a fresh 128-bit token and the URL that carries it;
 * the page reads the token from its URL and sends it as "Authorization: Bearer TOKEN" with every
 * /api/ request. Requests with another Host than 127.0.0.1:PORT or localhost:PORT are refused
 * (DNS rebinding), as are POSTs whose Origin is not the page's own (CSRF). Each API request
 * opens the store (and the engine when it needs one) the way the matching CLI command does and
 * closes them again, so the page and the CLI can be used side by side. The API is listed in
 * docs/ui.md; its GET documents are those of ui/report.h.
 */
#ifndef WL_UI_UI_H
#define WL_UI_UI_H

#include <stdint.h>

#define WL_UI_MAX_BODY    (64u * 1024) /* a request body; larger is 413 */
#define WL_UI_TOKEN_BYTES 16           /* 128 bits, shown as 32 hex digits */
#define WL_UI_URL_MAX     96

typedef struct wl_ui wl_ui;

typedef struct wl_ui_opts {
  const char *db_path, *engine_spec; /* as the CLI's --db and --engine */
  uint16_t port;                     /* 0: a free port */
} wl_ui_opts;

/* Start serving (a thread of the HTTP library's). Release with wl_ui_stop. */
int wl_ui_start(const wl_ui_opts *o, wl_ui **out);
/* "http://127.0.0.1:PORT/?token=TOKEN" */
const char *wl_ui_url(const wl_ui *u);
const char *wl_ui_token(const wl_ui *u);
uint16_t wl_ui_port(const wl_ui *u);
void wl_ui_stop(wl_ui *u); /* NULL-safe */

#endif
