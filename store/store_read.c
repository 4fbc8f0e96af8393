/* store_read.c — what review and status read, each served by its own index:
 *   stats            meta counters (kept with every batch), count(*) of the small tables
 *   per-app summary  the apps table itself: totals are added per batch, so no scan of flows
 *   flows of one app the flows UNIQUE(app, ...) index
 *   drops by filter  drops_hourly, keyed (hour, filter_id): `since` is rounded down to the
 *                    hour, so a summary covers whole hours
 *   events by time   store_events.c (the blocks)
 * The rollups lag the event blocks by the pending ones (store_rollup.c): a writing handle rolls
 * them up before it reads; a read-only one adds them up in memory (pending_*).
 * Callbacks run while a statement is open: they may call other store functions, but not the
 * same listing again.
 */
#include <stdio.h>
#include <string.h>

#include "common/wl_err.h"
#include "common/wl_os.h"
#include "store/store_int.h"

static uint64_t file_size(const char *path, const char *suffix) {
  char p[4096];
  wl_file_id id;
  if ((size_t)snprintf(p, sizeof p, "%s%s", path, suffix) >= sizeof p)
    return 0;
  return wl_os_file_id(p, &id) == WL_OK ? id.size : 0;
}

int wl_store_stats_get(wl_store *s, wl_store_stats *out) {
  if (!s || !out)
    return wl_err(WL_E_INVAL, "wl_store_stats_get: NULL argument");
  memset(out, 0, sizeof *out);
  static const char *const keys[] = {"events", "events_kept", "ring_drops", "backfilled",
                                     "skipped", "duplicates", "flows", "first_ts", "last_ts",
                                     "not_connections"};
  uint64_t *dst[] = {&out->events, &out->events_kept, &out->drops, &out->backfilled,
                     &out->skipped, &out->duplicates, &out->flows, &out->first_ts,
                     &out->last_ts, &out->not_connections};
  int rc = WL_OK;
  for (size_t i = 0; i < sizeof keys / sizeof keys[0] && rc == WL_OK; i++) {
    int64_t v = 0;
    rc = wl_store_counter_get(s, keys[i], &v);
    *dst[i] = (uint64_t)v;
  }
  sqlite3_stmt *st = rc == WL_OK ? wl_st(s, ST_STATS_COUNTS) : NULL;
  if (!st)
    return rc != WL_OK ? rc : WL_E_DB;
  int r = sqlite3_step(st);
  if (r == SQLITE_ROW) {
    out->apps = wl_store_col_u64(st, 0);
    out->rules = wl_store_col_u64(st, 1);
  }
  sqlite3_reset(st);
  if (r != SQLITE_ROW)
    return wl_store_sqlerr(s, r, "counting apps and rules");
  out->db_bytes = file_size(s->path, "") + file_size(s->path, "-wal");
  return WL_OK;
}

/* One listing: st (bound by the caller) is stepped, each row filled into `item` and handed to
 * the typed callback through `emit`; a nonzero callback result stops it and is returned. */
typedef struct sink {
  void (*fill)(sqlite3_stmt *st, void *item);
  int (*emit)(const struct sink *k);
  void *item, *ctx;
  union {
    wl_app_cb app;
    wl_flow_cb flow;
    wl_drop_cb drop;
    wl_event_cb event;
  } cb;
} sink;

static int each_row(wl_store *s, sqlite3_stmt *st, const sink *k, const char *what) {
  int rc, ret = WL_OK;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    k->fill(st, k->item);
    if ((ret = k->emit(k)) != 0)
      break;
  }
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    ret = wl_store_sqlerr(s, rc, what);
  sqlite3_reset(st);
  return ret;
}

/* ---------------------------------------------------------------- apps */

typedef struct app_item {
  wl_app_summary a;
  uint64_t newest;
} app_item;

static void fill_app(sqlite3_stmt *st, void *item) {
  app_item *it = item;
  wl_app_summary *a = &it->a;
  a->app_id = sqlite3_column_int64(st, 0);
  wl_store_col_text(st, 1, a->path, sizeof a->path);
  wl_store_col_text(st, 2, a->dos_path, sizeof a->dos_path);
  a->allowed = wl_store_col_u64(st, 3);
  a->blocked = wl_store_col_u64(st, 4);
  a->endpoints = wl_store_col_u64(st, 5);
  a->first_seen = wl_store_col_u64(st, 6);
  a->last_seen = wl_store_col_u64(st, 7);
  a->truncated = sqlite3_column_int(st, 8) != 0;
  a->is_new = a->first_seen + WL_STORE_RETAIN_TICKS >= it->newest;
}

static int emit_app(const sink *k) {
  const app_item *it = k->item;
  return k->cb.app(k->ctx, &it->a);
}

int wl_store_apps(wl_store *s, uint64_t since, wl_app_cb cb, void *ctx) {
  if (!s || !cb)
    return wl_err(WL_E_INVAL, "wl_store_apps: NULL argument");
  int pending = 0, prc = wl_rollup_before_read(s, &pending);
  if (prc != WL_OK)
    return prc;
  app_item it;
  int64_t newest = 0;
  int rc = wl_store_counter_get(s, "last_ts", &newest);
  sqlite3_stmt *st = rc == WL_OK ? wl_st(s, ST_APPS) : NULL;
  if (!st)
    return rc != WL_OK ? rc : WL_E_DB;
  it.newest = (uint64_t)newest;
  wl_store_bind_u64(st, 1, since);
  sink k = {.fill = fill_app, .emit = emit_app, .item = &it, .ctx = ctx, .cb.app = cb};
  return each_row(s, st, &k, "listing apps");
}

/* ---------------------------------------------------------------- flows */

static void fill_flow(sqlite3_stmt *st, void *item) {
  wl_flow *f = item;
  memset(f, 0, sizeof *f);
  f->app_id = sqlite3_column_int64(st, 0);
  f->dir = (uint8_t)sqlite3_column_int(st, 1);
  f->proto = (uint8_t)sqlite3_column_int(st, 2);
  f->ip_version = (uint8_t)sqlite3_column_int(st, 3);
  int n = sqlite3_column_bytes(st, 4);
  const void *b = sqlite3_column_blob(st, 4);
  if (b && n > 0)
    memcpy(f->remote_addr, b, n > 16 ? 16 : (size_t)n);
  f->remote_port = (uint16_t)sqlite3_column_int(st, 5);
  f->local_port = (uint16_t)sqlite3_column_int(st, 6);
  f->action = (uint8_t)sqlite3_column_int(st, 7);
  f->count = wl_store_col_u64(st, 8);
  f->first_seen = wl_store_col_u64(st, 9);
  f->last_seen = wl_store_col_u64(st, 10);
  f->last_filter_id = wl_store_col_u64(st, 11);
}

static int emit_flow(const sink *k) { return k->cb.flow(k->ctx, k->item); }

int wl_store_flows(wl_store *s, int64_t app_id, uint64_t since, wl_flow_cb cb, void *ctx) {
  if (!s || !cb)
    return wl_err(WL_E_INVAL, "wl_store_flows: NULL argument");
  int pending = 0, prc = wl_rollup_before_read(s, &pending);
  if (prc != WL_OK)
    return prc;
  sqlite3_stmt *st = wl_st(s, app_id < 0 ? ST_FLOWS_ALL : ST_FLOWS_APP);
  if (!st)
    return WL_E_DB;
  if (app_id >= 0)
    sqlite3_bind_int64(st, 1, app_id);
  wl_store_bind_u64(st, 2, since);
  wl_flow f;
  sink k = {.fill = fill_flow, .emit = emit_flow, .item = &f, .ctx = ctx, .cb.flow = cb};
  return each_row(s, st, &k, "listing flows");
}

/* ---------------------------------------------------------------- drops */

static void fill_drop(sqlite3_stmt *st, void *item) {
  wl_drop_summary *d = item;
  memset(d, 0, sizeof *d);
  d->filter.filter_id = wl_store_col_u64(st, 0);
  d->count = wl_store_col_u64(st, 1);
  wl_store_col_text(st, 2, d->filter.name, sizeof d->filter.name);
  wl_store_col_text(st, 3, d->filter.provider, sizeof d->filter.provider);
  wl_store_col_text(st, 4, d->filter.sublayer, sizeof d->filter.sublayer);
  wl_store_col_text(st, 5, d->filter.action, sizeof d->filter.action);
  d->filter.ours = sqlite3_column_int(st, 6);
  wl_store_col_text(st, 7, d->filter.filter_key, sizeof d->filter.filter_key);
  wl_store_col_text(st, 8, d->filter.provider_key, sizeof d->filter.provider_key);
}

static int emit_drop(const sink *k) { return k->cb.drop(k->ctx, k->item); }

int wl_store_drops_by_filter(wl_store *s, uint64_t since, wl_drop_cb cb, void *ctx) {
  if (!s || !cb)
    return wl_err(WL_E_INVAL, "wl_store_drops_by_filter: NULL argument");
  int pending = 0, prc = wl_rollup_before_read(s, &pending);
  if (prc != WL_OK)
    return prc;
  sqlite3_stmt *st = wl_st(s, ST_DROPS);
  if (!st)
    return WL_E_DB;
  wl_store_bind_u64(st, 1, since / WL_STORE_HOUR_TICKS);
  wl_drop_summary d;
  sink k = {.fill = fill_drop, .emit = emit_drop, .item = &d, .ctx = ctx, .cb.drop = cb};
  return each_row(s, st, &k, "summing drops by filter");
}
