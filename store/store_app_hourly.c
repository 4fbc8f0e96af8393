/* store_app_hourly.c — events per hour of each (app, direction), allowed and blocked: what the
 * review page's per-app timeline shows (ui/timeline.c), without walking a week of raw events
 * (seconds at ten million; issue 16).
 *
 * Table app_hourly (schema version 8, wl_schema_app_hourly below):
 *   (app, dir, hour) → allowed, blocked        hour = ts / WL_STORE_HOUR_TICKS
 * Filled by the rollup (store_rollup.c calls in here), so it changes exactly when flows, apps
 * and drops_hourly do: in the transaction that empties `pending`. A kill -9 therefore never
 * counts a block twice nor loses one, and a read-only handle adds the pending blocks' counts,
 * collected by the same scan (wl_rollup_collect), as the other rollups' readers do. An event is
 * blocked when its context's type is a drop (the rollup's own test), allowed otherwise: the
 * store keeps only allow and drop events. Rows are never pruned (a rollup): about 30 bytes per
 * app, direction and hour with traffic.
 *
 * Per rollup: the events are added up in memory per (app, dir, hour), HOURLY_SLOTS entries
 * (written out and started again when full, same transaction; a read-only handle stops adding
 * and reads what is rolled up only). A flow's app and direction are read from flows once and
 * kept: in `known` (KNOWN_SLOTS, doubled when full) when the flow is committed for good, in
 * `fresh` (FRESH_SLOTS, emptied at every rollup) otherwise. A writer's flow is committed when
 * its id is below the handle's next flow id as it was at its last COMMIT (SQLite's commit hook
 * records it; a rollback hook forgets a commit that did not complete): ids at or above it may
 * belong to a transaction that rolls back and be given to another flow afterwards, so they are
 * not kept past the rollup. A read-only handle and the migration see committed flows only.
 * Flows are never deleted and their app and direction never change.
 * Memory: 40 bytes x HOURLY_SLOTS + 16 x (KNOWN_SLOTS + FRESH_SLOTS), about 4.8 MB, once used;
 * `known` grows past 2^18 slots with a week of more than 196k flows (16 MB at 738k).
 *
 * The migration to version 8 fills the table from the blocks already rolled up (the raw
 * events kept: the last 7 days by default).
 */
#include <stdlib.h>
#include <string.h>

#include "common/wl_err.h"
#include "common/wl_hash.h"
#include "store/app_hourly.h"
#include "store/store_int.h"

#define HOURLY_SLOTS 8192u     /* (app, dir, hour) totals, power of two */
#define KNOWN_SLOTS (1u << 18) /* committed flow id -> app, dir, power of two */
#define FRESH_SLOTS (1u << 15) /* this rollup's other flows */
#define CTX_SLOTS 4096u        /* migration only: context id -> drop */

typedef struct hour_ent {
  uint64_t tag;
  int64_t app;
  uint64_t hour_dir; /* hour << 8 | dir */
  uint64_t allowed, blocked;
} hour_ent;

typedef struct flow_ent {
  uint64_t tag;     /* flow id */
  uint64_t app_dir; /* app << 8 | dir */
} flow_ent;

struct wl_app_hourly {
  wl_htab sums, known, fresh;
  uint64_t committed;   /* flow ids below are committed (UINT64_MAX: all, read-only; 0 for a
                         * writer: not known yet, read from meta.flow_seq at its next rollup) */
  uint64_t commit_seen; /* next_flow at the last COMMIT, not yet taken into committed */
  int have_commit, rolled_back;
  uint64_t loaded_to;   /* writer: flows below this id were range-read (range_load) */
  int ranged;           /* range_load ran in this rollup */
  sqlite3 *db;
  wl_store *s;       /* NULL during the migration (errors then name path) */
  const char *path;
  sqlite3_stmt *flow_st, *add_st;
  int partial;       /* read-only: the sums did not fit, so they are not used */
};

static const char create_sql[] =
    "CREATE TABLE app_hourly(app INTEGER NOT NULL, dir INTEGER NOT NULL, hour INTEGER NOT NULL,"
    " allowed INTEGER NOT NULL, blocked INTEGER NOT NULL, PRIMARY KEY(app, dir, hour))"
    " WITHOUT ROWID";

static int sql_fail(wl_app_hourly *h, int rc, const char *what) {
  if (h->s)
    return wl_store_sqlerr(h->s, rc, what);
  if ((rc & 0xff) == SQLITE_NOMEM)
    return wl_err(WL_E_NOMEM, "%s: %s: out of memory", h->path, what);
  if ((rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED)
    return wl_err(WL_E_BUSY, "%s: %s: the database is locked", h->path, what);
  if ((rc & 0xff) == SQLITE_FULL)
    return wl_err(WL_E_NOSPACE, "%s: %s: the disk is full", h->path, what);
  return wl_err(WL_E_DB, "%s: %s: %s", h->path, what, sqlite3_errmsg(h->db));
}

void wl_app_hourly_free(wl_app_hourly *h) {
  if (!h)
    return;
  if (h->s && !h->s->read_only) {
    sqlite3_commit_hook(h->db, NULL, NULL);
    sqlite3_rollback_hook(h->db, NULL, NULL);
  }
  wl_htab_free(&h->sums);
  wl_htab_free(&h->known);
  wl_htab_free(&h->fresh);
  sqlite3_finalize(h->flow_st);
  sqlite3_finalize(h->add_st);
  free(h);
}

static int on_commit(void *arg) {
  wl_app_hourly *h = arg;
  h->commit_seen = h->s->next_flow;
  h->have_commit = 1;
  return 0; /* never vetoes */
}

static void on_rollback(void *arg) {
  wl_app_hourly *h = arg;
  h->have_commit = 0;
  h->rolled_back = 1; /* a transaction spanning several batches may have had rollups */
}

static int hourly_new(sqlite3 *db, wl_store *s, const char *path, wl_app_hourly **out) {
  wl_app_hourly *h = calloc(1, sizeof *h);
  if (!h || wl_htab_init(&h->sums, HOURLY_SLOTS, sizeof(hour_ent)) != WL_OK ||
      wl_htab_init(&h->known, KNOWN_SLOTS, sizeof(flow_ent)) != WL_OK ||
      wl_htab_init(&h->fresh, FRESH_SLOTS, sizeof(flow_ent)) != WL_OK) {
    wl_app_hourly_free(h);
    return wl_err(WL_E_NOMEM, "%s: no memory for the hourly app totals", path);
  }
  h->db = db;
  h->s = s;
  h->path = path;
  h->committed = UINT64_MAX;
  if (s && !s->read_only) { /* what this handle's earlier transactions committed */
    h->committed = 0;
    h->loaded_to = s->next_flow > KNOWN_SLOTS / 2 ? s->next_flow - KNOWN_SLOTS / 2 : 0;
    sqlite3_commit_hook(db, on_commit, h);
    sqlite3_rollback_hook(db, on_rollback, h);
  }
  *out = h;
  return WL_OK;
}

/* At every rollup's start and after a failed one: the sums and this rollup's flows go; a
 * commit seen since the last rollup (and not rolled back) makes its flows permanent. */
void wl_app_hourly_clear(wl_app_hourly *h) {
  if (!h)
    return;
  if (h->sums.n)
    wl_htab_clear(&h->sums);
  if (h->fresh.n)
    wl_htab_clear(&h->fresh);
  if (h->rolled_back && h->committed != UINT64_MAX) {
    if (h->known.n)
      wl_htab_clear(&h->known);
    h->committed = 0;
  }
  if (h->have_commit && h->committed != UINT64_MAX && h->commit_seen > h->committed)
    h->committed = h->commit_seen;
  h->have_commit = h->rolled_back = 0;
  h->partial = 0;
  h->ranged = 0;
}

static const flow_ent no_flow = {0, 0};

/* `known` doubles when full (it only holds committed flows, which never change): cleared at
 * 2^18 slots, a week past 196k flows read each one back from flows at every rollup (3M stress
 * events: hourly_add 339 M -> 1,539 M instructions from 1M). `fresh` is emptied. */
static void room_for_one(wl_app_hourly *h, wl_htab *t) {
  if (!wl_htab_full(t))
    return;
  if (t == &h->known && wl_htab_grow(t) == WL_OK)
    return;
  if (t == &h->known)
    wl_err_clear(); /* no memory to grow: forgotten, read again */
  wl_htab_clear(t);
}

/* The app and direction of flow `id` (&no_flow when flows has no such row: counted nowhere). */
static int flow_of(wl_app_hourly *h, uint64_t id, const flow_ent **out) {
  wl_htab *t = id < h->committed ? &h->known : &h->fresh;
  uint32_t slot = wl_htab_find(t, id, NULL, NULL);
  if (slot != WL_HTAB_NONE) {
    *out = wl_htab_entry(t, slot);
    return WL_OK;
  }
  int rc = SQLITE_OK;
  if (!h->flow_st)
    rc = sqlite3_prepare_v2(h->db, "SELECT app, dir FROM flows WHERE id=?1", -1, &h->flow_st,
                            NULL);
  if (rc != SQLITE_OK)
    return sql_fail(h, rc, "reading a flow's app");
  sqlite3_bind_int64(h->flow_st, 1, (sqlite3_int64)id);
  rc = sqlite3_step(h->flow_st);
  uint64_t app = rc == SQLITE_ROW ? (uint64_t)sqlite3_column_int64(h->flow_st, 0) : 0;
  uint64_t dir = rc == SQLITE_ROW ? (uint64_t)sqlite3_column_int(h->flow_st, 1) : 0;
  sqlite3_reset(h->flow_st);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    return sql_fail(h, rc, "reading a flow's app");
  if (rc == SQLITE_DONE) {
    *out = &no_flow;
    return WL_OK;
  }
  room_for_one(h, t);
  wl_htab_add(t, id, NULL, NULL, &slot);
  flow_ent *e = wl_htab_entry(t, slot);
  e->app_dir = app << 8 | (dir & 0xff);
  *out = e;
  return WL_OK;
}

/* A writer, at a rollup's first event: the flows created since the last rollup, which its events
 * are mostly about, read in one range of ids (a point lookup each costs ten times more). */
static int range_load(wl_app_hourly *h) {
  uint64_t to = h->s->next_flow, from = h->loaded_to < to ? h->loaded_to : to;
  h->ranged = 1;
  if (h->committed == 0) { /* what the last commit left in meta (this batch writes it later) */
    int64_t v = 0;
    int rc = wl_store_counter_get(h->s, "flow_seq", &v);
    if (rc != WL_OK)
      return rc;
    h->committed = v > 0 ? (uint64_t)v : 0;
  }
  h->loaded_to = to;
  if (to - from > KNOWN_SLOTS / 2) /* more than fits well: looked up one by one */
    return WL_OK;
  if (h->committed < to) /* the uncommitted ones go to `fresh`: read again next time */
    h->loaded_to = h->committed > from ? h->committed : from;
  sqlite3_stmt *st = NULL;
  int rc = sqlite3_prepare_v2(h->db, "SELECT id, app, dir FROM flows WHERE id>=?1 AND id<?2", -1,
                              &st, NULL);
  if (rc == SQLITE_OK) {
    sqlite3_bind_int64(st, 1, (sqlite3_int64)from);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)to);
  }
  while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
    uint64_t id = (uint64_t)sqlite3_column_int64(st, 0);
    wl_htab *t = id < h->committed ? &h->known : &h->fresh;
    uint32_t sl;
    room_for_one(h, t);
    if (wl_htab_add(t, id, NULL, NULL, &sl) == 1)
      ((flow_ent *)wl_htab_entry(t, sl))->app_dir =
          (uint64_t)sqlite3_column_int64(st, 1) << 8 | (uint64_t)(sqlite3_column_int(st, 2) & 0xff);
    rc = SQLITE_OK;
  }
  sqlite3_finalize(st);
  return rc == SQLITE_DONE || rc == SQLITE_OK ? WL_OK : sql_fail(h, rc, "reading new flows");
}

static int hour_eq(const void *entry, const void *key) {
  const hour_ent *e = entry;
  const uint64_t *k = key;
  return (uint64_t)e->app == k[0] && e->hour_dir == k[1];
}

/* The sums so far into app_hourly, then empty. */
static int sums_out(wl_app_hourly *h) {
  wl_htab *t = &h->sums;
  int rc = SQLITE_OK;
  if (!h->add_st)
    rc = sqlite3_prepare_v2(h->db,
                            "INSERT INTO app_hourly(app, dir, hour, allowed, blocked) "
                            "VALUES(?1, ?2, ?3, ?4, ?5) ON CONFLICT(app, dir, hour) DO UPDATE "
                            "SET allowed = allowed + excluded.allowed, "
                            "blocked = blocked + excluded.blocked",
                            -1, &h->add_st, NULL);
  for (uint32_t i = 0; rc == SQLITE_OK && t->n && i < wl_htab_slots(t); i++) {
    if (!wl_htab_used(t, i))
      continue;
    const hour_ent *e = wl_htab_entry(t, i);
    sqlite3_bind_int64(h->add_st, 1, e->app);
    sqlite3_bind_int64(h->add_st, 2, (sqlite3_int64)(e->hour_dir & 0xff));
    sqlite3_bind_int64(h->add_st, 3, (sqlite3_int64)(e->hour_dir >> 8));
    sqlite3_bind_int64(h->add_st, 4, (sqlite3_int64)e->allowed);
    sqlite3_bind_int64(h->add_st, 5, (sqlite3_int64)e->blocked);
    rc = sqlite3_step(h->add_st);
    sqlite3_reset(h->add_st);
    rc = rc == SQLITE_DONE ? SQLITE_OK : rc;
  }
  if (rc != SQLITE_OK)
    return sql_fail(h, rc, "counting events per app and hour");
  if (t->n)
    wl_htab_clear(t);
  return WL_OK;
}

/* One event: its flow's (app, dir) and its hour, allowed or blocked. write 0 (read-only): when
 * the sums are full they are marked partial and no longer added to. */
static int hourly_add(wl_app_hourly *h, const wl_block_row *row, int drop, int write) {
  const flow_ent *f = NULL;
  int rc;
  if (h->partial)
    return WL_OK;
  if (h->s && !h->s->read_only && !h->ranged && (rc = range_load(h)) != WL_OK)
    return rc;
  if ((rc = flow_of(h, row->flow, &f)) != WL_OK)
    return rc;
  if (f == &no_flow)
    return WL_OK; /* the rollup itself reports it */
  uint64_t key[2] = {f->app_dir >> 8, (row->ts / WL_STORE_HOUR_TICKS) << 8 | (f->app_dir & 0xff)};
  uint64_t tag = wl_hash_bytes(key, sizeof key);
  uint32_t slot = wl_htab_find(&h->sums, tag, key, hour_eq);
  if (slot == WL_HTAB_NONE) {
    if (wl_htab_full(&h->sums)) {
      if (!write) {
        h->partial = 1;
        return WL_OK;
      }
      if ((rc = sums_out(h)) != WL_OK)
        return rc;
    }
    wl_htab_add(&h->sums, tag, key, hour_eq, &slot);
    hour_ent *e = wl_htab_entry(&h->sums, slot);
    e->app = (int64_t)key[0];
    e->hour_dir = key[1];
    e->allowed = e->blocked = 0;
  }
  hour_ent *e = wl_htab_entry(&h->sums, slot);
  *(drop ? &e->blocked : &e->allowed) += 1;
  return WL_OK;
}

/* ---------------------------------------------------------------- the rollup's hooks */

int wl_app_hourly_row(wl_store *s, const wl_block_row *row, int drop, int write) {
  if (!s->roll.hourly) {
    int rc = hourly_new(s->db, s, s->path, &s->roll.hourly);
    if (rc != WL_OK)
      return rc;
  }
  return hourly_add(s->roll.hourly, row, drop, write);
}

void wl_app_hourly_prefetch(const wl_store *s, uint64_t flow) {
  const wl_app_hourly *h = s->roll.hourly;
  if (h && h->known.ent && h->fresh.ent)
    wl_htab_prefetch(flow < h->committed ? &h->known : &h->fresh, flow);
}

int wl_app_hourly_out(wl_store *s) {
  return s->roll.hourly ? sums_out(s->roll.hourly) : WL_OK;
}

/* ---------------------------------------------------------------- migration (v7 -> v8) */

/* Context id -> 1 when a drop (a small cache; the migration reads each context once or so). */
typedef struct ctx_ent {
  uint64_t tag;
  uint64_t drop;
} ctx_ent;

static int ctx_drop(wl_app_hourly *h, wl_htab *cache, sqlite3_stmt *st, uint64_t id, int *drop) {
  uint32_t slot = wl_htab_find(cache, id, NULL, NULL);
  if (slot != WL_HTAB_NONE) {
    *drop = (int)((const ctx_ent *)wl_htab_entry(cache, slot))->drop;
    return WL_OK;
  }
  sqlite3_bind_int64(st, 1, (sqlite3_int64)id);
  int rc = sqlite3_step(st);
  int64_t bits = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
  sqlite3_reset(st);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    return sql_fail(h, rc, "reading an event context");
  int type = (int)(bits >> 4 & 15); /* as store_rollup.c reads it */
  *drop = type == WL_EVT_DROP || type == WL_EVT_CAP_DROP;
  if (wl_htab_full(cache))
    wl_htab_clear(cache);
  wl_htab_add(cache, id, NULL, NULL, &slot);
  ((ctx_ent *)wl_htab_entry(cache, slot))->drop = (uint64_t)*drop;
  return WL_OK;
}

int wl_schema_app_hourly(sqlite3 *db, const char *path) {
  wl_app_hourly *h = NULL;
  wl_block_codec z;
  wl_htab ctx;
  wl_block_row *rows = malloc(WL_STORE_BLOCK_MAX * sizeof *rows);
  sqlite3_stmt *blocks = NULL, *cst = NULL;
  memset(&z, 0, sizeof z);
  memset(&ctx, 0, sizeof ctx);
  int rc = rows ? hourly_new(db, NULL, path, &h) : wl_err(WL_E_NOMEM, "%s: migrating", path);
  if (rc == WL_OK && (wl_block_codec_init(&z) != WL_OK ||
                      wl_htab_init(&ctx, CTX_SLOTS, sizeof(ctx_ent)) != WL_OK))
    rc = wl_err(WL_E_NOMEM, "%s: no memory to count events per app and hour", path);
  int r = rc == WL_OK ? sqlite3_exec(db, create_sql, NULL, NULL, NULL) : SQLITE_OK;
  if (r == SQLITE_OK && rc == WL_OK)
    r = sqlite3_prepare_v2(db, "SELECT data FROM blocks WHERE seq NOT IN (SELECT seq FROM pending)",
                           -1, &blocks, NULL);
  if (r == SQLITE_OK && rc == WL_OK)
    r = sqlite3_prepare_v2(db, "SELECT bits FROM ctx WHERE id=?1", -1, &cst, NULL);
  if (r != SQLITE_OK && rc == WL_OK)
    rc = sql_fail(h, r, "counting events per app and hour");
  while (rc == WL_OK && (r = sqlite3_step(blocks)) == SQLITE_ROW) {
    size_t n = 0;
    rc = wl_block_decode(&z, sqlite3_column_blob(blocks, 0), (size_t)sqlite3_column_bytes(blocks, 0),
                         rows, &n);
    for (size_t i = 0; i < n && rc == WL_OK; i++) {
      int drop = 0;
      if ((rc = ctx_drop(h, &ctx, cst, rows[i].ctx, &drop)) == WL_OK)
        rc = hourly_add(h, &rows[i], drop, 1);
    }
    if (rc != WL_OK)
      rc = wl_err_prefix(rc, "%s: counting events per app and hour", path);
  }
  if (rc == WL_OK && r != SQLITE_DONE)
    rc = sql_fail(h, r, "reading the event blocks");
  if (rc == WL_OK)
    rc = sums_out(h);
  sqlite3_finalize(blocks);
  sqlite3_finalize(cst);
  wl_htab_free(&ctx);
  wl_block_codec_free(&z);
  wl_app_hourly_free(h);
  free(rows);
  return rc;
}

/* ---------------------------------------------------------------- reading */

int wl_store_app_hours(wl_store *s, int64_t app_id, int dir, uint64_t since, uint64_t until,
                       wl_app_hour_cb cb, void *ctx) {
  if (!s || !cb)
    return wl_err(WL_E_INVAL, "wl_store_app_hours: NULL argument");
  int pending = 0, rc = wl_rollup_before_read(s, &pending);
  if (rc == WL_OK && pending) {
    int complete = 0;
    rc = wl_rollup_collect(s, &complete);
    pending = rc == WL_OK && complete && s->roll.hourly && !s->roll.hourly->partial;
  }
  if (rc != WL_OK)
    return rc;
  uint64_t from = since / WL_STORE_HOUR_TICKS;
  uint64_t to = until ? (until + WL_STORE_HOUR_TICKS - 1) / WL_STORE_HOUR_TICKS : UINT64_MAX;
  sqlite3_stmt *st = NULL;
  int r = sqlite3_prepare_v2(s->db,
                             "SELECT hour, allowed, blocked FROM app_hourly WHERE app=?1 AND "
                             "dir=?2 AND hour>=?3 AND hour<?4 ORDER BY hour",
                             -1, &st, NULL);
  if (r != SQLITE_OK) {
    sqlite3_finalize(st);
    return wl_store_sqlerr(s, r, "reading events per hour");
  }
  sqlite3_bind_int64(st, 1, app_id);
  sqlite3_bind_int(st, 2, dir);
  wl_store_bind_u64(st, 3, from);
  sqlite3_bind_int64(st, 4, to > (uint64_t)INT64_MAX ? INT64_MAX : (sqlite3_int64)to);
  wl_app_hour hr;
  int ret = WL_OK;
  while ((r = sqlite3_step(st)) == SQLITE_ROW) {
    hr.hour = wl_store_col_u64(st, 0);
    hr.allowed = wl_store_col_u64(st, 1);
    hr.blocked = wl_store_col_u64(st, 2);
    if ((ret = cb(ctx, &hr)) != 0)
      break;
  }
  if (ret == WL_OK && r != SQLITE_DONE)
    ret = wl_store_sqlerr(s, r, "reading events per hour");
  sqlite3_finalize(st);
  const wl_htab *t = pending ? &s->roll.hourly->sums : NULL;
  for (uint32_t i = 0; ret == WL_OK && t && t->n && i < wl_htab_slots(t); i++) {
    if (!wl_htab_used(t, i))
      continue;
    const hour_ent *e = wl_htab_entry(t, i);
    hr.hour = e->hour_dir >> 8;
    if (e->app != app_id || (int)(e->hour_dir & 0xff) != dir || hr.hour < from || hr.hour >= to)
      continue;
    hr.allowed = e->allowed;
    hr.blocked = e->blocked;
    ret = cb(ctx, &hr);
  }
  return ret;
}
