/* ui_int.h — inside ui/: the server's state as the API handlers see it, the embedded page
 * (generated at build time from ui/page/ by ui/embed.cmake), and the answer helpers. */
#ifndef WL_UI_INT_H
#define WL_UI_INT_H

#include <stddef.h>
#include <stdio.h>

#include "store/store.h"
#include "ui/http.h"
#include "ui/ui.h"

struct wl_ui {
  wl_http *http;
  char db_path[1024], engine_spec[1100];
  char token[2 * WL_UI_TOKEN_BYTES + 1];
  char url[WL_UI_URL_MAX];
  char host_ip[32], host_name[32], origin_ip[48], origin_name[48]; /* what requests must say */
};

typedef struct wl_ui_asset {
  const char *path, *type;
  const unsigned char *data;
  size_t len;
} wl_ui_asset;
extern const wl_ui_asset wl_ui_assets[]; /* ends with a NULL path */

/* Answers: a JSON body taken from a memory file, or {"error": wl_errmsg()} with the HTTP
 * status of rc (404 not found, 409 conflict/exists, 413 too big, 400 other user errors, 500
 * otherwise), or {"error": msg} with a given status. */
void wl_ui_answer(wl_http_resp *resp, int rc, FILE *f);
void wl_ui_error(wl_http_resp *resp, int status, const char *msg);

/* GET /api/timeline?id=P (ui/timeline.c): hourly allowed/blocked counts of proposal P's app and
 * direction over the week ending at the newest event (the store's hourly rollup). */
#define WL_UI_TIMELINE_HOURS 168
int wl_ui_timeline_write(wl_store *s, int64_t id, FILE *f);

/* The /api/ routes (ui/api.c); the request has passed the Host, token and Origin checks. */
void wl_ui_api(wl_ui *u, const wl_http_req *req, wl_http_resp *resp);
/* GET /api/dryrun (ui/report_dryrun.c): enforce --dry-run's JSON. */
void wl_ui_get_dryrun(wl_ui *u, const wl_http_req *req, FILE *f, wl_http_resp *resp);

#endif
