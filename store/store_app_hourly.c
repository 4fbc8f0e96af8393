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
 * and reads what is rolled up only). A flow's app and direction come from the store's owners
 * (owners.h: recorded at the flow's birth by the write path, else read from flow_pack and
 * kept; forgotten when a transaction that may have born flows rolls back); the migration keeps
 * its own, read from the flows table of its time (schema 8). Flows are never deleted and their
 * app and direction never change. (Until the owners array, two hash maps of flows here, `known`
 * and `fresh`, split by the id at the handle's last COMMIT: 16 bytes a flow, a cache miss an
 * event.)
 * Memory: 40 bytes x HOURLY_SLOTS, 320 KB, once used.
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
#define CTX_SLOTS 4096u        /* migration only: context id -> drop */

typedef struct hour_ent {
  uint64_t tag;
  int64_t app;
  uint64_t hour_dir; /* hour << 8 | dir */
  uint64_t allowed, blocked;
} hour_ent;

struct wl_app_hourly {
  wl_htab sums;
  wl_owners *owners; /* the store's, or `own` (the migration) */
  wl_owners own;
  sqlite3 *db;
  const char *path;
  sqlite3_stmt *add_st;
  int partial;       /* read-only: the sums did not fit, so they are not used */
};

static const char create_sql[] =
    "CREATE TABLE app_hourly(app INTEGER NOT NULL, dir INTEGER NOT NULL, hour INTEGER NOT NULL,"
    " allowed INTEGER NOT NULL, blocked INTEGER NOT NULL, PRIMARY KEY(app, dir, hour))"
    " WITHOUT ROWID";

static int sql_fail(wl_app_hourly *h, int rc, const char *what) {
  return wl_store_sqlerr_at(h->db, h->path, rc, what);
}

void wl_app_hourly_free(wl_app_hourly *h) {
  if (!h)
    return;
  wl_htab_free(&h->sums);
  wl_owners_free(&h->own);
  sqlite3_finalize(h->add_st);
  free(h);
}

static int hourly_new(sqlite3 *db, wl_store *s, const char *path, wl_app_hourly **out) {
  wl_app_hourly *h = calloc(1, sizeof *h);
  if (!h || wl_htab_init(&h->sums, HOURLY_SLOTS, sizeof(hour_ent)) != WL_OK) {
    wl_app_hourly_free(h);
    return wl_err(WL_E_NOMEM, "%s: no memory for the hourly app totals", path);
  }
  h->db = db;
  h->path = path;
  h->owners = s ? &s->owners : &h->own;
  h->own.legacy = 1; /* the migration (schema 8): the keys are in flows */
  *out = h;
  return WL_OK;
}

/* At every rollup's start and after a failed one: the sums go. */
void wl_app_hourly_clear(wl_app_hourly *h) {
  if (!h)
    return;
  if (h->sums.n)
    wl_htab_clear(&h->sums);
  h->partial = 0;
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
  wl_owner f;
  int found, rc;
  if (h->partial)
    return WL_OK;
  if ((rc = wl_owners_get(h->owners, h->db, h->path, row->flow, &f, &found)) != WL_OK)
    return rc;
  if (!found)
    return WL_OK; /* the rollup itself reports it */
  uint64_t key[2] = {(uint64_t)f.app, (row->ts / WL_STORE_HOUR_TICKS) << 8 | f.dir};
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

int wl_app_hourly_partial(const wl_store *s) {
  return s->roll.hourly && s->roll.hourly->partial;
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
