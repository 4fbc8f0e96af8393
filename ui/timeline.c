/* timeline.c — the page's per-app chart: events per hour, allowed vs blocked, of one proposal's
 * app and direction over the week that ends at the store's newest event.
 *
 * The store keeps those counts per (app, direction, hour), rolled up with the flows
 * (wl_store_app_hours, store/store_app_hourly.c): an answer reads at most WL_UI_TIMELINE_HOURS
 * rows, whatever the size of the week (it used to walk the week's raw events: seconds on ten
 * million, hence a cache of every app's rows, no longer needed).
 */
#include <stdlib.h>
#include <string.h>

#include "common/wl_err.h"
#include "common/wl_json.h"
#include "common/wl_text.h"
#include "ui/ui_int.h"
#include "whitelist/proposal.h"

#define TL_HOUR (3600 * WL_TICKS_PER_SEC)

typedef struct tl_row {
  uint64_t start; /* hour number of bucket 0 */
  uint32_t allowed[WL_UI_TIMELINE_HOURS], blocked[WL_UI_TIMELINE_HOURS];
} tl_row;

static int add_hour(void *ctx, const wl_app_hour *h) {
  tl_row *r = ctx;
  if (h->hour < r->start || h->hour - r->start >= WL_UI_TIMELINE_HOURS)
    return 0;
  r->allowed[h->hour - r->start] += (uint32_t)h->allowed;
  r->blocked[h->hour - r->start] += (uint32_t)h->blocked;
  return 0;
}

typedef struct app_path {
  int64_t app_id;
  char path[WL_PATH_MAX];
  int found;
} app_path;

static int find_app(void *ctx, const wl_app_summary *a) {
  app_path *x = ctx;
  if (a->app_id != x->app_id)
    return 0;
  wl_strlcpy(x->path, a->path, sizeof x->path);
  x->found = 1;
  return 1; /* stop */
}

static void write_counts(FILE *f, const char *key, const uint32_t *v) {
  fprintf(f, ",\"%s\":[", key);
  for (size_t i = 0; i < WL_UI_TIMELINE_HOURS; i++)
    fprintf(f, "%s%u", i ? "," : "", (unsigned)v[i]);
  fputc(']', f);
}

static void write_row(FILE *f, int64_t id, const char *app, int dir, const tl_row *r) {
  char t0[WL_TIME_STR_MAX];
  wl_time_format(r->start * TL_HOUR, t0);
  fprintf(f, "{\"id\":%lld,\"app\":", (long long)id);
  wl_json_write_string(f, app[0] ? app : NULL);
  fprintf(f, ",\"dir\":\"%s\",\"start\":\"%s\",\"hour_s\":3600", dir == WL_DIR_IN ? "in" : "out",
          t0);
  write_counts(f, "allowed", r->allowed);
  write_counts(f, "blocked", r->blocked);
  fputs("}\n", f);
}

int wl_ui_timeline_write(wl_store *s, int64_t id, FILE *f) {
  app_path *x = calloc(1, sizeof *x);
  tl_row *r = calloc(1, sizeof *r);
  wl_store_stats st;
  int dir = 0;
  int rc = x && r ? wl_proposal_split(id, &x->app_id, &dir) : wl_err(WL_E_NOMEM, "out of memory");
  if (!rc && (rc = wl_store_apps(s, 0, find_app, x)) > 0)
    rc = WL_OK;
  if (!rc && !x->found)
    rc = wl_err(WL_E_NOTFOUND, "no proposal %lld (see wfplearn review)", (long long)id);
  if (!rc)
    rc = wl_store_stats_get(s, &st);
  if (!rc) {
    uint64_t end = st.last_ts / TL_HOUR + 1; /* the hour after the newest event's */
    r->start = end > WL_UI_TIMELINE_HOURS ? end - WL_UI_TIMELINE_HOURS : 0;
    rc = wl_store_app_hours(s, x->app_id, dir, r->start * TL_HOUR, end * TL_HOUR, add_hour, r);
  }
  if (!rc)
    write_row(f, id, x->path, dir, r);
  free(r);
  free(x);
  return rc;
}
