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
#include <stdlib.h>
#include <string.h>

#include "common/wl_err.h"
#include "common/wl_hash.h"
#include "common/wl_os.h"
#include "store/flow_pack.h"
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
  wl_store *s;     /* with merge: the pending totals in s->roll are added (read-only) */
  int merge;
  uint64_t since;
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

/* Read-only, blocks pending: their totals into s->roll; pending stays 1 when they fit (else
 * what is read lags by the pending blocks, as a reader of an older wfplearn would). */
static int collect(wl_store *s, int *pending) {
  int complete = 0, rc = wl_rollup_collect(s, &complete);
  *pending = rc == WL_OK && complete;
  return rc;
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

static int by_events(const void *a, const void *b) {
  const wl_app_summary *x = &((const app_item *)a)->a, *y = &((const app_item *)b)->a;
  uint64_t tx = x->allowed + x->blocked, ty = y->allowed + y->blocked;
  if (tx != ty)
    return tx > ty ? -1 : 1;
  return x->app_id < y->app_id ? -1 : x->app_id > y->app_id;
}

/* Read-only with pending totals (s->roll.apps): every app read, added to, filtered and sorted
 * again, as ST_APPS would have. */
static int apps_merged(wl_store *s, sqlite3_stmt *st, uint64_t newest, uint64_t since,
                       wl_app_cb cb, void *ctx) {
  app_item *v = NULL;
  size_t n = 0, cap = 0;
  int rc, ret = WL_OK;
  wl_store_bind_u64(st, 1, 0);
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    if (n == cap) {
      app_item *p = realloc(v, (cap = cap ? 2 * cap : 64) * sizeof *v);
      if (!p) {
        ret = wl_err(WL_E_NOMEM, "%s: no memory to list apps", s->path);
        break;
      }
      v = p;
    }
    app_item *it = &v[n];
    it->newest = newest;
    fill_app(st, it);
    uint32_t slot = wl_htab_find(&s->roll.apps, (uint64_t)it->a.app_id, NULL, NULL);
    if (slot != WL_HTAB_NONE) {
      const wl_roll_app *p = wl_htab_entry(&s->roll.apps, slot);
      it->a.allowed += p->allowed;
      it->a.blocked += p->blocked;
      it->a.first_seen = p->first < it->a.first_seen ? p->first : it->a.first_seen;
      it->a.last_seen = p->last > it->a.last_seen ? p->last : it->a.last_seen;
      it->a.is_new = it->a.first_seen + WL_STORE_RETAIN_TICKS >= newest;
    }
    n += it->a.last_seen >= since;
  }
  if (ret == WL_OK && rc != SQLITE_DONE)
    ret = wl_store_sqlerr(s, rc, "listing apps");
  sqlite3_reset(st);
  if (ret == WL_OK && n)
    qsort(v, n, sizeof *v, by_events);
  for (size_t i = 0; ret == WL_OK && i < n; i++)
    ret = cb(ctx, &v[i].a);
  free(v);
  return ret;
}

int wl_store_apps(wl_store *s, uint64_t since, wl_app_cb cb, void *ctx) {
  if (!s || !cb)
    return wl_err(WL_E_INVAL, "wl_store_apps: NULL argument");
  int pending = 0, prc = wl_rollup_before_read(s, &pending);
  if (prc != WL_OK)
    return prc;
  if (pending && (prc = collect(s, &pending)) != WL_OK)
    return prc;
  app_item it;
  int64_t newest = 0;
  int rc = wl_store_counter_get(s, "last_ts", &newest);
  sqlite3_stmt *st = rc == WL_OK ? wl_st(s, ST_APPS) : NULL;
  if (!st)
    return rc != WL_OK ? rc : WL_E_DB;
  it.newest = (uint64_t)newest;
  if (pending)
    return apps_merged(s, st, it.newest, since, cb, ctx);
  wl_store_bind_u64(st, 1, since);
  sink k = {.fill = fill_app, .emit = emit_app, .item = &it, .ctx = ctx, .cb.app = cb};
  return each_row(s, st, &k, "listing apps");
}

/* ---------------------------------------------------------------- flows */

void wl_store_fill_flow(sqlite3_stmt *st, wl_flow *f) {
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

typedef struct flow_item {
  wl_flow f;
  uint64_t id;
} flow_item;

/* A read-only handle adds the pending blocks' totals (store_rollup.c), then applies since. */
static int emit_flow(const sink *k) {
  flow_item *it = k->item;
  wl_flow *f = &it->f;
  if (k->merge) {
    uint32_t slot = wl_htab_find(&k->s->roll.flows, it->id, NULL, NULL);
    if (slot != WL_HTAB_NONE) {
      const wl_roll_flow *p = wl_htab_entry(&k->s->roll.flows, slot);
      f->count += p->count;
      f->first_seen = p->first < f->first_seen ? p->first : f->first_seen;
      if (p->last >= f->last_seen) {
        f->last_seen = p->last;
        f->last_filter_id = p->filter;
      }
    }
    if (f->last_seen < k->since)
      return 0;
  }
  return k->cb.flow(k->ctx, f);
}

static int emit_packed(void *ctx, const wl_pack_flow *p) {
  const sink *k = ctx;
  flow_item *it = k->item;
  if (!k->merge) /* nothing pending to add: the record as it is, `WHERE last_seen >= since` */
    return p->f.last_seen < k->since ? 0 : k->cb.flow(k->ctx, &p->f);
  it->f = p->f;
  it->id = p->id;
  return emit_flow(k);
}

int wl_store_flows(wl_store *s, int64_t app_id, uint64_t since, wl_flow_cb cb, void *ctx) {
  if (!s || !cb)
    return wl_err(WL_E_INVAL, "wl_store_flows: NULL argument");
  int pending = 0, prc = wl_rollup_before_read(s, &pending);
  if (prc != WL_OK)
    return prc;
  if (pending && (prc = collect(s, &pending)) != WL_OK)
    return prc;
  flow_item f;
  sink k = {.emit = emit_flow, .item = &f, .ctx = ctx, .cb.flow = cb,
            .s = s, .merge = pending, .since = since};
  /* every flow, or one app's, in id order: from flow_pack (store_flow_pack.c), since schema 13
   * the only copy of the flows */
  return wl_flow_pack_each(s, app_id < 0 ? -1 : app_id, emit_packed, &k);
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

static int by_count(const void *a, const void *b) {
  const wl_drop_summary *x = a, *y = b;
  if (x->count != y->count)
    return x->count > y->count ? -1 : 1;
  return x->filter.filter_id < y->filter.filter_id ? -1 : x->filter.filter_id > y->filter.filter_id;
}

/* Read-only with pending drops (s->roll.drops, per hour and filter): added to the sums. */
static int drops_merged(wl_store *s, sqlite3_stmt *st, uint64_t hour, wl_drop_cb cb,
                        void *ctx) {
  const wl_htab *t = &s->roll.drops;
  size_t cap = 64 + t->n, n = 0; /* what ST_DROPS gives plus a filter per pending entry */
  wl_drop_summary *v = malloc(cap * sizeof *v);
  int rc, ret = v ? WL_OK : wl_err(WL_E_NOMEM, "%s: no memory to sum drops", s->path);
  while (ret == WL_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
    if (n == cap - t->n) {
      wl_drop_summary *p = realloc(v, (cap *= 2) * sizeof *v);
      if (!p) {
        ret = wl_err(WL_E_NOMEM, "%s: no memory to sum drops", s->path);
        break;
      }
      v = p;
    }
    fill_drop(st, &v[n++]);
  }
  if (ret == WL_OK && rc != SQLITE_DONE)
    ret = wl_store_sqlerr(s, rc, "summing drops by filter");
  sqlite3_reset(st);
  for (uint32_t i = 0; ret == WL_OK && i < wl_htab_slots(t); i++) {
    if (!wl_htab_used(t, i))
      continue;
    const wl_roll_drop *d = wl_htab_entry(t, i);
    if (d->hour < hour)
      continue;
    size_t j = 0;
    while (j < n && v[j].filter.filter_id != d->filter)
      j++;
    if (j == n) {
      n++;
      if (wl_store_filter_info_get(s, d->filter, &v[j].filter) == WL_E_NOTFOUND)
        wl_err_clear(); /* never attributed: the id alone, as the join gives */
      v[j].count = 0;
    }
    v[j].count += d->count;
  }
  if (ret == WL_OK && n)
    qsort(v, n, sizeof *v, by_count);
  for (size_t i = 0; ret == WL_OK && i < n; i++)
    ret = cb(ctx, &v[i]);
  free(v);
  return ret;
}

int wl_store_drops_by_filter(wl_store *s, uint64_t since, wl_drop_cb cb, void *ctx) {
  if (!s || !cb)
    return wl_err(WL_E_INVAL, "wl_store_drops_by_filter: NULL argument");
  int pending = 0, prc = wl_rollup_before_read(s, &pending);
  if (prc != WL_OK)
    return prc;
  if (pending && (prc = collect(s, &pending)) != WL_OK)
    return prc;
  sqlite3_stmt *st = wl_st(s, ST_DROPS);
  if (!st)
    return WL_E_DB;
  wl_store_bind_u64(st, 1, since / WL_STORE_HOUR_TICKS);
  if (pending)
    return drops_merged(s, st, since / WL_STORE_HOUR_TICKS, cb, ctx);
  wl_drop_summary d;
  sink k = {.fill = fill_drop, .emit = emit_drop, .item = &d, .ctx = ctx, .cb.drop = cb};
  return each_row(s, st, &k, "summing drops by filter");
}
