/* timeline.c — the page's per-app chart: events per hour, allowed vs blocked, of one proposal's
 * app and direction over the week that ends at the store's newest event.
 *
 * The store keeps raw events, not hourly counts per app, so a timeline means walking the week's
 * events (wl_store_events): seconds on a week of a million. One walk therefore fills the buckets
 * of every (app, direction) at once, and the result is kept until the store's event count or
 * newest event changes; later clicks on other apps answer from it. Bounded: at most
 * WL_UI_TIMELINE_ROWS pairs are kept (about 2.4 KiB each); an app beyond them is counted by a
 * walk of its own, as without the cache.
 */
#include <stdlib.h>
#include <string.h>

#include "common/wl_err.h"
#include "common/wl_hash.h"
#include "common/wl_json.h"
#include "common/wl_text.h"
#include "ui/ui_int.h"
#include "whitelist/proposal.h"

#define TL_HOUR (3600 * WL_TICKS_PER_SEC)

typedef struct tl_row {
  char app[WL_PATH_MAX];
  int dir;
  uint32_t allowed[WL_UI_TIMELINE_HOURS], blocked[WL_UI_TIMELINE_HOURS];
} tl_row;

typedef struct tl_slot { /* wl_htab entry: (app, dir) -> row */
  uint64_t tag;
  uint64_t row;
} tl_slot;

struct wl_ui_timelines {
  uint64_t events, last_ts, start; /* what the rows were counted from */
  int overflow;                    /* some pair found no row: count it alone */
  size_t n;
  tl_row *rows; /* WL_UI_TIMELINE_ROWS of them */
  wl_htab index;
};

typedef struct tl_key {
  const char *app;
  int dir;
  const tl_row *rows;
} tl_key;

static int tl_eq(const void *entry, const void *key) {
  const tl_slot *e = entry;
  const tl_key *k = key;
  return k->rows[e->row].dir == k->dir && !strcmp(k->rows[e->row].app, k->app);
}

static uint64_t tl_tag(const char *app, int dir) {
  return wl_hash_bytes(app, strlen(app)) ^ (uint64_t)dir;
}

void wl_ui_timelines_free(wl_ui_timelines *c) {
  if (!c)
    return;
  wl_htab_free(&c->index);
  free(c->rows);
  free(c);
}

/* The row of (app, dir), added when there is room; NULL when not there (and no room). */
static tl_row *row_of(wl_ui_timelines *c, const char *app, int dir, int add) {
  tl_key k = {app, dir, c->rows};
  uint64_t tag = tl_tag(app, dir);
  uint32_t slot = wl_htab_find(&c->index, tag, &k, tl_eq);
  if (slot != WL_HTAB_NONE)
    return &c->rows[((tl_slot *)wl_htab_entry(&c->index, slot))->row];
  if (!add)
    return NULL;
  if (c->n == WL_UI_TIMELINE_ROWS || wl_htab_add(&c->index, tag, &k, tl_eq, &slot) < 0) {
    c->overflow = 1;
    return NULL;
  }
  tl_row *r = &c->rows[c->n];
  memset(r, 0, sizeof *r);
  wl_strlcpy(r->app, app, sizeof r->app);
  r->dir = dir;
  ((tl_slot *)wl_htab_entry(&c->index, slot))->row = c->n++;
  return r;
}

static void count_into(tl_row *r, uint64_t start, const wl_event *ev) {
  uint64_t i = (ev->ts - start) / TL_HOUR;
  if (ev->ts < start || i >= WL_UI_TIMELINE_HOURS)
    return;
  if (ev->type == WL_EVT_ALLOW || ev->type == WL_EVT_CAP_ALLOW)
    r->allowed[i]++;
  else if (ev->type == WL_EVT_DROP || ev->type == WL_EVT_CAP_DROP)
    r->blocked[i]++;
}

static int count_all(void *ctx, const wl_event *ev) {
  wl_ui_timelines *c = ctx;
  tl_row *r = row_of(c, ev->app, ev->dir, 1);
  if (r)
    count_into(r, c->start, ev);
  return 0;
}

typedef struct one_app { /* a walk for one pair that found no room in the cache */
  tl_row *row;
  uint64_t start;
} one_app;

static int count_one(void *ctx, const wl_event *ev) {
  one_app *o = ctx;
  if (ev->dir == o->row->dir && !strcmp(ev->app, o->row->app))
    count_into(o->row, o->start, ev);
  return 0;
}

/* The cache for the store as it is now: kept, or counted afresh. */
static int refresh(wl_ui_timelines **cache, wl_store *s) {
  wl_store_stats st;
  int rc = wl_store_stats_get(s, &st);
  wl_ui_timelines *c = *cache;
  if (rc || (c && c->events == st.events && c->last_ts == st.last_ts))
    return rc;
  wl_ui_timelines_free(c);
  *cache = c = calloc(1, sizeof *c);
  if (!c || !(c->rows = malloc(WL_UI_TIMELINE_ROWS * sizeof *c->rows)) ||
      wl_htab_init(&c->index, 2 * WL_UI_TIMELINE_ROWS, sizeof(tl_slot)) != WL_OK) {
    wl_ui_timelines_free(c);
    *cache = NULL;
    return wl_err(WL_E_NOMEM, "out of memory");
  }
  uint64_t end = (st.last_ts / TL_HOUR + 1) * TL_HOUR, span = WL_UI_TIMELINE_HOURS * TL_HOUR;
  c->events = st.events, c->last_ts = st.last_ts;
  c->start = end > span ? end - span : 0;
  rc = wl_store_events(s, c->start, 0, count_all, c);
  if (rc) {
    wl_ui_timelines_free(c);
    *cache = NULL;
  }
  return rc;
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

static void write_row(FILE *f, int64_t id, uint64_t start, const tl_row *r) {
  char t0[WL_TIME_STR_MAX];
  wl_time_format(start, t0);
  fprintf(f, "{\"id\":%lld,\"app\":", (long long)id);
  wl_json_write_string(f, r->app[0] ? r->app : NULL);
  fprintf(f, ",\"dir\":\"%s\",\"start\":\"%s\",\"hour_s\":3600", r->dir == WL_DIR_IN ? "in" : "out",
          t0);
  write_counts(f, "allowed", r->allowed);
  write_counts(f, "blocked", r->blocked);
  fputs("}\n", f);
}

int wl_ui_timeline_write(wl_ui_timelines **cache, wl_store *s, int64_t id, FILE *f) {
  app_path *x = calloc(1, sizeof *x);
  tl_row *alone = NULL;
  int dir = 0;
  int rc = x ? wl_proposal_split(id, &x->app_id, &dir) : wl_err(WL_E_NOMEM, "out of memory");
  if (!rc && (rc = wl_store_apps(s, 0, find_app, x)) > 0)
    rc = WL_OK;
  if (!rc && !x->found)
    rc = wl_err(WL_E_NOTFOUND, "no proposal %lld (see wfplearn review)", (long long)id);
  if (!rc)
    rc = refresh(cache, s);
  if (!rc) {
    const tl_row *r = row_of(*cache, x->path, dir, 0);
    if (!r && !(alone = calloc(1, sizeof *alone)))
      rc = wl_err(WL_E_NOMEM, "out of memory");
    if (!r && !rc) { /* no events in the week, or no room in the cache: count it alone */
      wl_strlcpy(alone->app, x->path, sizeof alone->app);
      alone->dir = dir;
      one_app o = {alone, (*cache)->start};
      if ((*cache)->overflow)
        rc = wl_store_events(s, o.start, 0, count_one, &o);
      r = alone;
    }
    if (!rc)
      write_row(f, id, (*cache)->start, r);
  }
  free(alone);
  free(x);
  return rc;
}
