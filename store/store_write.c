/* store_write.c — the write path: one transaction per batch.
 *
 * For each event: its app path and SIDs are interned (through the caches), its context (ctx)
 * too, and its flow key is turned into the flow's id through a cache, then the map of every flow
 * (store_flowmap.c); a flow seen for the first time gets the next id in memory (intern_flow) and
 * its events in the block are added up there.
 * The event itself becomes a row of the block in progress (store_block.c): time, flow id, the
 * port the flow does not keep, context id. At the end of the batch (and every
 * WL_STORE_BLOCK_MAX events) the block's new flows are appended to flow_pack with their totals
 * in the block (flows_flush; flow_pack is their only home since schema 13), their apps get
 * the endpoints and totals, and the block is encoded, inserted into blocks and listed in pending
 * with the range of ids born in it (pending.born_lo/born_hi: the rollups leave those flows'
 * events in this block out, they are counted). The other flows' counts, first/last seen and
 * drops per hour are added up in memory (wl_rollup_add_block) and rolled up (store_rollup.c)
 * every WL_STORE_ROLLUP_EVENTS events or WL_STORE_ROLLUP_NS, in the transaction of the batch that
 * triggers it, so a batch no longer rewrites pages all over a flow table that grows with the
 * week. A kill -9 loses nothing of a committed batch: pending says which blocks are not in the
 * rollups yet, and the next rollup (at the latest at the next writing open) adds them; readers
 * add them too (store_read.c). Then a bounded slice of expired blocks is pruned
 * (store_prune.c: by age relative to the newest event, and by the database's used size) and
 * the counters go into meta, all in the same transaction. On any failure the transaction is
 * rolled back, the in-memory state (caches, next ids, first/last time) is restored, and the
 * caller may retry the same batch.
 *
 * Flow key rules (store.h): outbound flows keep local_port 0 and the event row keeps the local
 * port; inbound flows keep remote_port 0 and the event row keeps the remote port. A field whose
 * WL_HAS_* bit is unset is stored as 0. Classify and capability drops are action DROP, allows
 * ALLOW; WL_EVT_OTHER events are counted as skipped and not stored, and so are allow events that
 * are not new connections (flow established, listen, bind: wl_event_is_connection), under
 * not_connections.
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "common/wl_err.h"
#include "common/wl_text.h"
#include "store/flow_pack.h"
#include "store/store_int.h"

/* bits column: has << 16 | is_loopback << 8 | type << 4 | origin */
#define BITS_OF(ev) \
  (((int64_t)(ev)->has << 16) | ((int64_t)(ev)->is_loopback << 8) | \
   ((int64_t)((ev)->type & 15) << 4) | ((ev)->origin & 15))

typedef struct batch_saved {
  uint64_t next_id, next_flow, first_ts, last_ts;
} batch_saved;

/* ---------------------------------------------------------------- setup */

/* The newest raw event not beyond the future limit: the anchor that replaces a last_ts from
 * the future a store written before WL_STORE_FUTURE_TICKS may hold. */
static int newest_sane_ts(wl_store *s, uint64_t *out) {
  sqlite3_stmt *st = NULL;
  int rc = sqlite3_prepare_v2(s->db, "SELECT max(ts_max) FROM blocks WHERE ts_max<=?1", -1, &st, NULL);
  if (rc != SQLITE_OK)
    return wl_store_sqlerr(s, rc, "reading the newest event");
  int64_t v = 0;
  wl_store_bind_u64(st, 1, s->future_limit);
  rc = wl_store_step_int64(s, st, &v, "reading the newest event");
  sqlite3_finalize(st);
  *out = (uint64_t)v;
  return rc;
}

/* Another process may have written since this handle last did (a second writer: import, or
 * promote's transaction), so a batch reads the sequences inside its own write transaction. */
int wl_store_write_load(wl_store *s) {
  int64_t v[4];
  static const char *const keys[4] = {"event_seq", "flow_seq", "first_ts", "last_ts"};
  for (int i = 0; i < 4; i++) {
    int rc = wl_store_counter_get(s, keys[i], &v[i]);
    if (rc != WL_OK)
      return rc;
  }
  s->next_id = (uint64_t)v[0];
  s->next_flow = (uint64_t)v[1] ? (uint64_t)v[1] : 1;
  s->first_ts = (uint64_t)v[2];
  s->last_ts = s->meta_last_ts = (uint64_t)v[3];
  s->future_limit = wl_time_now() + WL_STORE_FUTURE_TICKS;
  return s->last_ts > s->future_limit ? newest_sane_ts(s, &s->last_ts) : WL_OK;
}

int wl_store_write_init(wl_store *s) {
  int rc;
  if ((rc = wl_agg_init(&s->apps)) != WL_OK ||
      (rc = wl_str_cache_init(&s->app_cache, WL_STORE_CACHE_SLOTS)) != WL_OK ||
      (rc = wl_str_cache_init(&s->sid_cache, WL_STORE_SID_SLOTS)) != WL_OK ||
      (rc = wl_bin_cache_init(&s->ctx_cache, WL_STORE_CTX_SLOTS)) != WL_OK ||
      (rc = wl_block_codec_init(&s->codec)) != WL_OK)
    return rc;
  s->rolled_ns = wl_time_mono_ns();
  if (!(s->chunk = calloc(1, sizeof *s->chunk)) ||
      !(s->fresh = malloc(WL_STORE_BLOCK_MAX * sizeof *s->fresh)))
    return wl_err(WL_E_NOMEM, "%s: no memory for the batch buffer", s->path);
  /* the undo statements now, so that rolling back never parses SQL (store.c: undo) */
  if (!wl_st(s, ST_ROLLBACK) || !wl_st(s, ST_ROLLBACK_TO) || !wl_st(s, ST_RELEASE))
    return WL_E_DB;
  return wl_store_write_load(s);
}

void wl_store_write_mark(wl_store *s) {
  s->begun_id = s->next_id;
  s->begun_flow = s->next_flow;
  s->begun_first = s->first_ts;
  s->begun_last = s->last_ts;
}

/* After a rollback of wl_store_begin's transaction: interned ids and the in-memory state of
 * batches written inside it may be gone. The state goes back to what wl_store_write_mark saw
 * (what meta held then), without SQL: reloading it from meta could fail for want of memory and
 * leave the rolled-back batches' last_ts behind, by which the next batch would prune raw events
 * that are not expired. */
int wl_store_write_reset(wl_store *s) {
  if (s->read_only || !s->chunk)
    return WL_OK;
  wl_str_cache_clear(&s->app_cache);
  wl_str_cache_clear(&s->sid_cache);
  wl_bin_cache_clear(&s->ctx_cache);
  wl_flow_cache_clear(&s->flow_cache);
  wl_flowmap_forget(s);
  wl_rollup_forget(s);
  wl_owners_clear(&s->owners); /* ids born in the rolled-back transaction may come back */
  s->next_id = s->begun_id;
  s->next_flow = s->begun_flow;
  s->first_ts = s->begun_first;
  s->last_ts = s->begun_last;
  return WL_OK;
}

void wl_store_write_free(wl_store *s) {
  wl_agg_free(&s->apps);
  wl_str_cache_free(&s->app_cache);
  wl_str_cache_free(&s->sid_cache);
  wl_bin_cache_free(&s->ctx_cache);
  wl_flow_cache_free(&s->flow_cache);
  wl_flowmap_free(s);
  wl_block_codec_free(&s->codec);
  wl_rollup_free(&s->roll);
  wl_owners_free(&s->owners);
  wl_idset_free(&s->seen_apps);
  wl_idset_free(&s->seen_flows);
  free(s->chunk);
  free(s->fresh);
  s->chunk = NULL;
  s->fresh = NULL;
}

/* ---------------------------------------------------------------- interning */

static int app_lookup(wl_store *s, const char *path, int64_t *id, char *dos, size_t cap) {
  sqlite3_stmt *st = wl_st(s, ST_APP_FIND);
  if (!st)
    return WL_E_DB;
  sqlite3_bind_text(st, 1, path, -1, SQLITE_STATIC);
  int rc = sqlite3_step(st);
  *id = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
  if (rc == SQLITE_ROW)
    wl_store_col_text(st, 1, dos, cap);
  sqlite3_reset(st);
  return rc == SQLITE_ROW || rc == SQLITE_DONE ? WL_OK : wl_store_sqlerr(s, rc, "finding an app");
}

static int app_set_dos(wl_store *s, int64_t id, const char *dos) {
  sqlite3_stmt *st = wl_st(s, ST_APP_SET_DOS);
  if (!st)
    return WL_E_DB;
  sqlite3_bind_int64(st, 1, id);
  sqlite3_bind_text(st, 2, dos, -1, SQLITE_STATIC);
  return wl_store_step_done(s, st, "updating an app's DOS path");
}

static int app_insert(wl_store *s, const wl_event *ev, int64_t *id) {
  sqlite3_stmt *st = wl_st(s, ST_APP_INSERT);
  if (!st)
    return WL_E_DB;
  sqlite3_bind_text(st, 1, ev->app, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, ev->app_dos, -1, SQLITE_STATIC);
  wl_store_bind_u64(st, 3, ev->ts);
  sqlite3_bind_int(st, 4, (ev->has & WL_HAS_APP_TRUNC) ? 1 : 0);
  int rc = wl_store_step_done(s, st, "adding an app");
  *id = sqlite3_last_insert_rowid(s->db);
  return rc;
}

/* The app's row id; its DOS path is recorded (or corrected) when the event knows it. */
static int intern_app(wl_store *s, const wl_event *ev, int64_t *id) {
  wl_str_ent *e = wl_str_cache_find(&s->app_cache, ev->app);
  if (e) {
    *id = e->id;
    if (!ev->app_dos[0] || strcmp(e->aux, ev->app_dos) == 0)
      return WL_OK;
    int rc = app_set_dos(s, e->id, ev->app_dos);
    return rc == WL_OK ? wl_str_ent_set_aux(e, ev->app_dos) : rc;
  }
  char dos[WL_PATH_MAX] = "";
  int rc = app_lookup(s, ev->app, id, dos, sizeof dos);
  if (rc == WL_OK && *id == 0)
    rc = app_insert(s, ev, id);
  else if (rc == WL_OK && ev->app_dos[0] && strcmp(dos, ev->app_dos) != 0)
    rc = app_set_dos(s, *id, ev->app_dos);
  if (rc != WL_OK)
    return rc;
  return wl_str_cache_put(&s->app_cache, ev->app, ev->app_dos[0] ? ev->app_dos : dos, *id);
}

static int intern_sid(wl_store *s, const char *sid, int64_t *id) {
  *id = 0;
  if (!sid[0])
    return WL_OK;
  wl_str_ent *e = wl_str_cache_find(&s->sid_cache, sid);
  if (e) {
    *id = e->id;
    return WL_OK;
  }
  sqlite3_stmt *st = wl_st(s, ST_SID_FIND);
  if (!st)
    return WL_E_DB;
  sqlite3_bind_text(st, 1, sid, -1, SQLITE_STATIC);
  int rc = wl_store_step_int64(s, st, id, "finding a SID");
  if (rc != WL_OK)
    return rc;
  if (*id == 0) {
    if (!(st = wl_st(s, ST_SID_INSERT)))
      return WL_E_DB;
    sqlite3_bind_text(st, 1, sid, -1, SQLITE_STATIC);
    if ((rc = wl_store_step_done(s, st, "adding a SID")) != WL_OK)
      return rc;
    *id = sqlite3_last_insert_rowid(s->db);
  }
  return wl_str_cache_put(&s->sid_cache, sid, NULL, *id);
}

static void ctx_key_of(const wl_event *ev, int64_t user, int64_t package, wl_ctx_key *k) {
  memset(k, 0, sizeof *k);
  k->bits = BITS_OF(ev);
  k->user = user;
  k->package = package;
  k->filter_id = ev->has & WL_HAS_FILTER ? ev->filter_id : 0;
  k->reauth = ev->has & WL_HAS_REAUTH ? ev->reauth : 0;
  k->layer = ev->has & WL_HAS_LAYER ? ev->layer_id : 0;
  if (ev->has & WL_HAS_LOCAL_ADDR) {
    k->alen = (ev->has & WL_HAS_IP_VERSION) && ev->ip_version == 4 ? 4 : 16;
    memcpy(k->local_addr, ev->local_addr, k->alen);
  }
}

static void bind_ctx(sqlite3_stmt *st, const wl_ctx_key *k) {
  sqlite3_bind_int64(st, 1, k->bits);
  wl_store_bind_u64(st, 2, k->filter_id);
  sqlite3_bind_int(st, 3, k->layer);
  sqlite3_bind_blob(st, 4, k->local_addr, k->alen, SQLITE_STATIC);
  sqlite3_bind_int64(st, 5, k->reauth);
  sqlite3_bind_int64(st, 6, k->user);
  sqlite3_bind_int64(st, 7, k->package);
}

/* The id of the event's context row (see wl_ctx_key), added when new. */
static int intern_ctx(wl_store *s, const wl_event *ev, int64_t *id) {
  int64_t user, package;
  int rc;
  if ((rc = intern_sid(s, ev->user, &user)) != WL_OK ||
      (rc = intern_sid(s, ev->package, &package)) != WL_OK)
    return rc;
  wl_ctx_key k;
  ctx_key_of(ev, user, package, &k);
  if ((*id = wl_bin_cache_find(&s->ctx_cache, &k)) != 0)
    return WL_OK;
  sqlite3_stmt *st = wl_st(s, ST_CTX_FIND);
  if (!st)
    return WL_E_DB;
  bind_ctx(st, &k);
  if ((rc = wl_store_step_int64(s, st, id, "finding an event context")) != WL_OK)
    return rc;
  if (*id == 0) {
    if (!(st = wl_st(s, ST_CTX_INSERT)))
      return WL_E_DB;
    bind_ctx(st, &k);
    if ((rc = wl_store_step_done(s, st, "adding an event context")) != WL_OK)
      return rc;
    *id = sqlite3_last_insert_rowid(s->db);
  }
  wl_bin_cache_put(&s->ctx_cache, &k, *id);
  return WL_OK;
}

/* ---------------------------------------------------------------- flows */

static uint8_t action_of(int type) {
  if (type == WL_EVT_DROP || type == WL_EVT_CAP_DROP)
    return WL_EVT_DROP;
  if (type == WL_EVT_ALLOW || type == WL_EVT_CAP_ALLOW)
    return WL_EVT_ALLOW;
  return 0;
}

static void flow_key_of(const wl_event *ev, int64_t app, uint8_t action, wl_flow_key *k) {
  memset(k, 0, sizeof *k);
  k->app = app;
  k->action = action;
  k->dir = ev->has & WL_HAS_DIR ? ev->dir : 0;
  k->proto = ev->has & WL_HAS_PROTO ? ev->proto : 0;
  k->ip_version = ev->has & WL_HAS_IP_VERSION ? ev->ip_version : 0;
  if (ev->has & WL_HAS_REMOTE_ADDR) {
    k->alen = k->ip_version == 4 ? 4 : 16;
    memcpy(k->remote_addr, ev->remote_addr, k->alen);
  }
  if ((ev->has & WL_HAS_REMOTE_PORT) && k->dir != WL_DIR_IN)
    k->remote_port = ev->remote_port;
  if ((ev->has & WL_HAS_LOCAL_PORT) && k->dir != WL_DIR_OUT)
    k->local_port = ev->local_port;
}

/* Per app, the flows added since the last block (their endpoints). */
static int apps_add(wl_store *s) {
  for (uint32_t i = 0; i < s->apps.n; i++) {
    wl_agg_ent *a = &s->apps.e[s->apps.list[i]];
    int64_t app;
    memcpy(&app, a->key, sizeof app);
    sqlite3_stmt *st = wl_st(s, ST_APP_ADD);
    if (!st)
      return WL_E_DB;
    sqlite3_bind_int64(st, 1, app);
    wl_store_bind_u64(st, 2, a->v[3]);
    wl_store_bind_u64(st, 3, a->v[4]);
    wl_store_bind_u64(st, 4, a->v[0]);
    wl_store_bind_u64(st, 5, a->v[1]);
    wl_store_bind_u64(st, 6, a->v[2]);
    int rc = wl_store_step_done(s, st, "updating app totals");
    if (rc != WL_OK)
      return rc;
  }
  wl_agg_reset(&s->apps);
  return WL_OK;
}

/* A flow born in the block: one more endpoint of its app, and its events in the block added to
 * the app's totals (a rollup leaves them out: pending.born_lo/born_hi). */
static int endpoint_add(wl_store *s, const wl_new_flow *f) {
  int rc;
  if (s->apps.n == WL_STORE_CHUNK && (rc = apps_add(s)) != WL_OK)
    return rc;
  uint8_t akey[WL_AGG_KEY] = {0};
  memcpy(akey, &f->k.app, sizeof f->k.app);
  int fresh;
  wl_agg_ent *a = &s->apps.e[wl_agg_get(&s->apps, akey, &fresh)];
  if (fresh) {
    a->v[1] = f->first;
    a->v[2] = f->last;
  }
  a->v[0]++;
  a->v[f->k.action == WL_EVT_DROP ? 4 : 3] += f->count;
  a->v[1] = f->first < a->v[1] ? f->first : a->v[1];
  a->v[2] = f->last > a->v[2] ? f->last : a->v[2];
  return WL_OK;
}

/* The flow's id: from the cache, else from the map of every flow (store_flowmap.c), else a new
 * id now; the flow is packed with the block (flows_flush). The events of a flow born in
 * the block are added up in its wl_new_flow as they come. */
static int intern_flow(wl_store *s, const wl_flow_key *k, uint64_t tag, const wl_event *ev,
                       int64_t *out) {
  int64_t id = wl_flow_cache_find_tag(&s->flow_cache, k, tag);
  uint64_t filter = ev->has & WL_HAS_FILTER ? ev->filter_id : 0;
  wl_new_flow *f;
  int rc;
  if (id == 0) {
    if ((rc = wl_flowmap_find(s, k, &id)) != WL_OK)
      return rc;
    if (id != 0)
      wl_flow_cache_set(&s->flow_cache, k, id);
  }
  if (id == 0) {
    if ((rc = wl_flowmap_add(s, k, (int64_t)s->next_flow)) != WL_OK)
      return rc;
    f = &s->fresh[s->nfresh++];
    f->k = *k;
    f->id = s->next_flow++;
    f->count = 0;
    f->first = f->last = ev->ts;
    id = (int64_t)f->id;
    wl_flow_cache_set(&s->flow_cache, k, id); /* a generation holds more than a block */
    wl_owners_set(&s->owners, f->id, k->app, k->dir, k->action == WL_EVT_DROP);
  } else if (s->nfresh && (uint64_t)id >= s->fresh[0].id) { /* born in this block */
    f = &s->fresh[(uint64_t)id - s->fresh[0].id];
    assert(f->id == (uint64_t)id);
  } else {
    *out = id;
    return WL_OK;
  }
  f->count++;
  f->first = ev->ts < f->first ? ev->ts : f->first;
  if (ev->ts >= f->last) { /* the rollup's rule: the newest event's filter, the later on a tie */
    f->last = ev->ts;
    f->filter = filter;
  }
  *out = id;
  return WL_OK;
}

/* The flows first seen in the block in progress, appended to flow_pack, and to their apps'
 * endpoints. The flow map said none of their keys is stored. */
static int flows_flush(wl_store *s) {
  s->born_lo = s->born_hi = 0;
  if (s->nfresh == 0)
    return WL_OK;
  int rc = WL_OK;
  for (uint32_t i = 0; i < s->nfresh && rc == WL_OK; i++)
    rc = endpoint_add(s, &s->fresh[i]);
  if (rc == WL_OK) /* keys and totals: their only copy (store_flow_pack.c) */
    rc = wl_flow_pack_born(s, s->fresh, s->nfresh);
  if (rc != WL_OK)
    return rc;
  s->tot.new_flows += s->nfresh;
  s->born_lo = s->fresh[0].id;
  s->born_hi = s->born_lo + s->nfresh;
  s->nfresh = 0;
  return WL_OK;
}

/* ---------------------------------------------------------------- blocks */

/* rows[0..n) as one block into blocks, listed in pending. */
static int block_put(wl_store *s, wl_block_row *rows, size_t n) {
  const void *data;
  size_t len;
  int rc = wl_block_encode(&s->codec, rows, n, &data, &len);
  if (rc != WL_OK)
    return rc;
  sqlite3_stmt *st = wl_st(s, ST_BLOCK_INSERT);
  if (!st)
    return WL_E_DB;
  wl_store_bind_u64(st, 1, rows[0].ts); /* sorted by the encoder */
  wl_store_bind_u64(st, 2, rows[n - 1].ts);
  sqlite3_bind_int64(st, 3, (int64_t)n);
  sqlite3_bind_blob(st, 4, data, (int)len, SQLITE_STATIC);
  if ((rc = wl_store_step_done(s, st, "inserting an event block")) != WL_OK)
    return rc;
  int64_t seq = sqlite3_last_insert_rowid(s->db);
  if (!(st = wl_st(s, ST_PENDING_INSERT)))
    return WL_E_DB;
  sqlite3_bind_int64(st, 1, seq);
  wl_store_bind_u64(st, 2, s->born_lo);
  wl_store_bind_u64(st, 3, s->born_hi);
  rc = wl_store_step_done(s, st, "listing a block for the rollups"); /* then added up now, */
  return rc ? rc : wl_rollup_add_block(s, seq, rows, n); /* its rows as the block keeps them */
}

/* The block in progress. Its events already older than the retention window (an import of old
 * logs, a batch spanning more than the window) go into a block of their own, which
 * wl_store_prune (store_prune.c) drops in this same batch once rolled up: retention stays exact
 * for what a batch brings. */
static int block_flush(wl_store *s) {
  wl_chunk *c = s->chunk;
  int rc = flows_flush(s);
  if (rc == WL_OK)
    rc = apps_add(s);
  if (rc != WL_OK || c->n == 0)
    return rc;
  uint64_t cutoff = s->last_ts > s->retain_ticks ? s->last_ts - s->retain_ticks : 0;
  size_t old = 0, k = 0;
  for (size_t i = 0; i < c->n; i++)
    old += c->row[i].ts < cutoff;
  if (old && old < c->n) { /* stable partition: the old ones first */
    wl_block_row *t = s->codec.tmp;
    for (size_t i = 0; i < c->n; i++)
      if (c->row[i].ts < cutoff)
        t[k++] = c->row[i];
    for (size_t i = 0; i < c->n; i++)
      if (c->row[i].ts >= cutoff)
        t[k++] = c->row[i];
    memcpy(c->row, t, c->n * sizeof *t);
    rc = block_put(s, c->row, old);
    if (rc == WL_OK)
      rc = block_put(s, c->row + old, c->n - old);
  } else {
    rc = block_put(s, c->row, c->n);
  }
  if (rc != WL_OK)
    return rc;
  s->tot.stored += c->n;
  s->next_id += c->n;
  c->n = 0;
  return WL_OK;
}

static void chunk_reset(wl_store *s) {
  wl_agg_reset(&s->apps);
  s->chunk->n = 0;
  s->nfresh = 0;
}

/* Intern and queue one event; writes the block when full. */
/* One event in two steps, so that wl_store_write can stage event i + 1 before it places event
 * i: the flow cache's slot for i + 1 (a 28 MB table, a cache miss on most lookups) is fetched
 * while event i is placed. Staging interns the app and context (their ids still come in the
 * events' order) and makes the flow key; placing finds or makes the flow and writes the row. */
typedef struct staged {
  const wl_event *ev;
  wl_flow_key k;
  uint64_t tag; /* the flow cache's, for k */
  int64_t ctx;
  int keep; /* 0: counted as skipped or not a connection, nothing to place */
} staged;

static int stage_event(wl_store *s, const wl_event *ev, staged *e) {
  uint8_t action = action_of(ev->type);
  e->keep = 0;
  if (!action || ev->ts > s->future_limit) {
    s->tot.skipped++;
    s->tot.future += (uint64_t)(action != 0);
    return WL_OK;
  }
  if (!wl_event_is_connection(ev)) { /* not a new connection: counted, never a flow */
    s->tot.not_conn++;
    return WL_OK;
  }
  int64_t app = 0;
  int rc;
  if ((rc = intern_app(s, ev, &app)) != WL_OK || (rc = intern_ctx(s, ev, &e->ctx)) != WL_OK)
    return rc;
  wl_idset_add(&s->seen_apps, (uint64_t)app);
  flow_key_of(ev, app, action, &e->k);
  e->tag = wl_flow_cache_hint(&s->flow_cache, &e->k);
  e->ev = ev;
  e->keep = 1;
  return WL_OK;
}

static int place_event(wl_store *s, const staged *e) {
  if (!e->keep)
    return WL_OK;
  const wl_event *ev = e->ev;
  wl_chunk *c = s->chunk;
  int rc = WL_OK;
  if (c->n == WL_STORE_BLOCK_MAX && (rc = block_flush(s)) != WL_OK)
    return rc;
  int64_t flow = 0;
  if ((rc = intern_flow(s, &e->k, e->tag, ev, &flow)) != WL_OK)
    return rc;
  wl_idset_add(&s->seen_flows, (uint64_t)flow);
  wl_block_row *r = &c->row[c->n++];
  r->ts = ev->ts;
  r->flow = (uint64_t)flow;
  r->ctx = (uint64_t)e->ctx;
  r->pad = 0;
  if (e->k.dir == WL_DIR_OUT)
    r->port = wl_block_port_put((ev->has & WL_HAS_LOCAL_PORT) != 0, ev->local_port);
  else if (e->k.dir == WL_DIR_IN)
    r->port = wl_block_port_put((ev->has & WL_HAS_REMOTE_PORT) != 0, ev->remote_port);
  else
    r->port = 0;
  if (s->first_ts == 0 || ev->ts < s->first_ts)
    s->first_ts = ev->ts;
  if (ev->ts > s->last_ts)
    s->last_ts = ev->ts;
  return WL_OK;
}

static int add_event(wl_store *s, const wl_event *ev) {
  staged e;
  int rc = stage_event(s, ev, &e);
  return rc == WL_OK ? place_event(s, &e) : rc;
}

/* ---------------------------------------------------------------- batches */

static int add_counters(wl_store *s, const wl_batch_counters *c, uint64_t dups,
                        const batch_saved *sv) {
  const struct {
    const char *key;
    int64_t delta;
  } add[] = {
      {"events", (int64_t)s->tot.stored},
      {"events_kept", (int64_t)s->tot.stored - (int64_t)s->tot.pruned},
      {"ring_drops", c ? (int64_t)c->ring_drops : 0},
      {"skipped", (int64_t)s->tot.skipped + (c ? (int64_t)c->skipped : 0)},
      {"backfilled", c ? (int64_t)c->backfilled : 0},
      {"not_connections",
       (int64_t)s->tot.not_conn + (c ? (int64_t)c->not_connections : 0)},
      {"duplicates", (int64_t)dups},
      {"flows", (int64_t)s->tot.new_flows},
      {"future", (int64_t)s->tot.future},
  };
  int rc = WL_OK;
  for (size_t i = 0; i < sizeof add / sizeof add[0] && rc == WL_OK; i++)
    if (add[i].delta)
      rc = wl_store_counter_add(s, add[i].key, add[i].delta);
  if (rc == WL_OK && s->next_id != sv->next_id)
    rc = wl_store_meta_set_int(s, "event_seq", (int64_t)s->next_id);
  if (rc == WL_OK && s->next_flow != sv->next_flow)
    rc = wl_store_meta_set_int(s, "flow_seq", (int64_t)s->next_flow);
  if (rc == WL_OK && s->first_ts != sv->first_ts)
    rc = wl_store_meta_set_int(s, "first_ts", (int64_t)s->first_ts);
  if (rc == WL_OK && s->last_ts != sv->last_ts)
    rc = wl_store_meta_set_int(s, "last_ts", (int64_t)s->last_ts);
  return rc;
}

static int batch_begin(wl_store *s, batch_saved *sv, const char *fn) {
  if (s->read_only)
    return wl_err(WL_E_READONLY, "%s: %s: opened read-only", s->path, fn);
  memset(&s->tot, 0, sizeof s->tot);
  chunk_reset(s);
  int rc;
  /* The flow cache (WL_STORE_FLOW_SLOTS, 28 MB) at the first batch: a writing handle that only
   * reads or rolls up (review, the page, the rules commands) neither zeroes nor holds it. */
  if (!s->flow_cache.t[0].ent &&
      (rc = wl_flow_cache_init(&s->flow_cache, WL_STORE_FLOW_SLOTS)) != WL_OK)
    return rc;
  if ((rc = wl_store_txn_begin(s)) != WL_OK)
    return rc;
  if ((rc = wl_store_write_load(s)) != WL_OK || (rc = wl_flowmap_sync(s)) != WL_OK) {
    wl_store_txn_abort(s);
    return rc;
  }
  sv->next_id = s->next_id;
  sv->next_flow = s->next_flow;
  sv->first_ts = s->first_ts;
  sv->last_ts = s->meta_last_ts; /* a future value there is rewritten with this batch */
  return WL_OK;
}

/* Roll the pending blocks up now? (see the top of the file) */
static int rollup_due(const wl_store *s, uint64_t now_ns) {
  uint64_t pending = s->unrolled + s->tot.stored;
  return pending && (pending >= s->rollup_events ||
                     now_ns - s->rolled_ns >= WL_STORE_ROLLUP_NS);
}

static int batch_end(wl_store *s, const wl_batch_counters *c, uint64_t dups,
                     const batch_saved *sv) {
  int rc = block_flush(s), rolled = 0;
  uint64_t now_ns = wl_time_mono_ns();
  if (rc == WL_OK && rollup_due(s, now_ns)) {
    rc = wl_rollup_run(s);
    rolled = 1;
  }
  if (rc == WL_OK)
    rc = wl_store_prune(s);
  if (rc == WL_OK)
    rc = add_counters(s, c, dups, sv);
  if (rc == WL_OK)
    rc = wl_store_txn_commit(s);
  if (rc == WL_OK) {
    wl_flowmap_done(s); /* it holds every flow up to next_flow */
    wl_idset_commit(&s->seen_apps);
    wl_idset_commit(&s->seen_flows);
  }
  if (rc == WL_OK && rolled) {
    s->unrolled = 0;
    s->rolled_ns = now_ns;
  } else if (rc == WL_OK) {
    s->unrolled += s->tot.stored;
  }
  return rc;
}

/* Undo: the database rolls back; ids interned in this batch may be gone, so the caches go. */
static void batch_fail(wl_store *s, const batch_saved *sv) {
  wl_store_txn_abort(s);
  s->next_id = sv->next_id;
  s->next_flow = sv->next_flow;
  s->first_ts = sv->first_ts;
  s->last_ts = sv->last_ts;
  wl_str_cache_clear(&s->app_cache);
  wl_str_cache_clear(&s->sid_cache);
  wl_bin_cache_clear(&s->ctx_cache);
  wl_flow_cache_clear(&s->flow_cache);
  wl_flowmap_forget(s);
  wl_rollup_forget(s); /* its sums, and context ids of a rolled-back transaction may come back */
  wl_owners_clear(&s->owners); /* and so may flow ids */
  wl_idset_undo(&s->seen_apps);
  wl_idset_undo(&s->seen_flows);
  chunk_reset(s);
}

int wl_store_write(wl_store *s, const wl_event *ev, size_t n, const wl_batch_counters *c) {
  if (!s || (!ev && n))
    return wl_err(WL_E_INVAL, "wl_store_write: NULL argument");
  batch_saved sv;
  int rc = batch_begin(s, &sv, "wl_store_write");
  if (rc != WL_OK)
    return rc;
  staged e[2]; /* event i placed once i + 1 is staged (stage_event) */
  wl_hits h;    /* rule use: allow events per filter key and hour (store_hits.c) */
  h.na = h.last = 0;
  if (n)
    rc = stage_event(s, &ev[0], &e[0]);
  for (size_t i = 0; i < n && rc == WL_OK; i++) {
    if (i + 2 < n) /* its lines come while i + 1 is staged and i placed */
      wl_event_prefetch(&ev[i + 2], 0);
    if (i + 1 == n || (rc = stage_event(s, &ev[i + 1], &e[(i + 1) & 1])) == WL_OK)
      rc = place_event(s, &e[i & 1]);
    if (rc == WL_OK)
      rc = wl_store_hits_add(s, &h, &ev[i]);
  }
  if (rc == WL_OK)
    rc = wl_store_hits_flush(s, &h);
  if (rc == WL_OK)
    rc = batch_end(s, c, 0, &sv);
  if (rc != WL_OK)
    batch_fail(s, &sv);
  return rc;
}

static int key_is_new(wl_store *s, uint64_t key, int *is_new) {
  sqlite3_stmt *st = wl_st(s, ST_KEY_INSERT);
  if (!st)
    return WL_E_DB;
  wl_store_bind_u64(st, 1, key);
  int rc = wl_store_step_done(s, st, "recording an import key");
  *is_new = rc == WL_OK && sqlite3_changes(s->db) > 0;
  return rc;
}

int wl_store_write_keyed(wl_store *s, const wl_event *ev, const uint64_t *keys, size_t n,
                         uint64_t *duplicates) {
  if (!s || ((!ev || !keys) && n))
    return wl_err(WL_E_INVAL, "wl_store_write_keyed: NULL argument");
  batch_saved sv;
  uint64_t dups = 0;
  int rc = batch_begin(s, &sv, "wl_store_write_keyed"), is_new = 0;
  if (rc != WL_OK)
    return rc;
  for (size_t i = 0; i < n && rc == WL_OK; i++) {
    if ((rc = key_is_new(s, keys[i], &is_new)) == WL_OK && is_new)
      rc = add_event(s, &ev[i]);
    dups += (uint64_t)!is_new;
  }
  if (rc == WL_OK)
    rc = batch_end(s, NULL, dups, &sv);
  if (rc != WL_OK) {
    batch_fail(s, &sv);
    dups = 0;
  }
  if (duplicates)
    *duplicates = dups;
  return rc;
}
