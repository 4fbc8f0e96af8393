/* store_flowmap.c — every stored flow's key in the writer's memory, instead of a unique index on
 * disk (schema 9, issue 16).
 *
 * Why: flows_key, a unique index on the flow key, took each new flow at a random place, so with
 * a busy stream (0.19 new flows an event, ~1,500 a batch) nearly every index page was rewritten
 * at every commit (490 MB written for a 24 MB store at 1M events), and each new flow cost an
 * index descent over eight columns: the store's largest cost. The writer now keeps a map of
 * every flow in flows, the 64-bit hash of its key (wl_flow_key) -> its id, in a wl_htab of
 * 16-byte slots doubled at three quarters full: 16 bytes a flow at worst over 2^k slots, 16 MB
 * for 738k flows. The read side's by-app queries read flow_pack (store_flow_pack.c): flows has
 * no index but its rowid since schema 11 (its index on app, flows_app, cost ~4,800 instructions
 * a new flow and ~300 dirty pages a commit).
 *
 * Exact, not a cache: at a batch's start (wl_flowmap_sync, in the batch's write transaction) the
 * map is brought up to date from flows: all of it the first time, else the ids from where it
 * stops (flow ids come from meta's flow_seq, so what another writer added since is exactly that
 * range). A flow the batch adds goes in as it is born. A batch that rolls back may leave ids
 * that are not in flows: the map is rebuilt at the next batch (wl_flowmap_forget). A hash found
 * is checked against the row; a different key with the same hash (never seen: about 2^-24 over
 * a million flows) is looked up by a full scan of flows instead (ST_FLOW_FIND: no index since
 * schema 11; acceptable for what has never been seen), and not kept in the map.
 */
#include <assert.h>
#include <string.h>

#include "common/wl_err.h"
#include "store/store_int.h"

#define FLOWMAP_MIN_SLOTS (1u << 16)

typedef struct fm_ent {
  uint64_t tag; /* wl_htab's: the key's hash */
  int64_t id;
} fm_ent;

void wl_flowmap_free(wl_store *s) {
  wl_htab_free(&s->fmap);
  s->fmap_seq = 0;
}

void wl_flowmap_forget(wl_store *s) { s->fmap_seq = 0; }

void wl_flowmap_done(wl_store *s) { s->fmap_seq = s->next_flow; }

/* Room for one more: doubled (rehashed) at three quarters. */
static int fm_room(wl_store *s) {
  wl_htab *t = &s->fmap;
  if (t->ent && !wl_htab_full(t))
    return WL_OK;
  int rc = t->ent ? wl_htab_grow(t) : wl_htab_init(t, FLOWMAP_MIN_SLOTS, sizeof(fm_ent));
  return rc == WL_OK ? WL_OK
                     : wl_err(WL_E_NOMEM, "%s: no memory for the map of %u flows", s->path, t->n);
}

static int fm_put(wl_store *s, uint64_t tag, int64_t id) {
  int rc = fm_room(s);
  if (rc != WL_OK)
    return rc;
  uint32_t slot;
  if (wl_htab_add(&s->fmap, tag, NULL, NULL, &slot) == 0 &&
      ((fm_ent *)wl_htab_entry(&s->fmap, slot))->id != id)
    return WL_OK; /* another key's hash: that key keeps the slot, this one is found by scan */
  ((fm_ent *)wl_htab_entry(&s->fmap, slot))->id = id;
  return WL_OK;
}

int wl_flowmap_add(wl_store *s, const wl_flow_key *k, int64_t id) {
  return fm_put(s, wl_hash_bytes(k, sizeof *k), id);
}

/* The key of a row of ST_FLOWS_SINCE / ST_FLOW_KEY, as store_write.c builds it (columns 1..8). */
static void key_of_row(sqlite3_stmt *st, wl_flow_key *k) {
  memset(k, 0, sizeof *k);
  k->app = sqlite3_column_int64(st, 1);
  k->dir = (uint8_t)sqlite3_column_int(st, 2);
  k->proto = (uint8_t)sqlite3_column_int(st, 3);
  k->ip_version = (uint8_t)sqlite3_column_int(st, 4);
  int alen = sqlite3_column_bytes(st, 5);
  const void *a = sqlite3_column_blob(st, 5);
  k->alen = (uint8_t)(alen > 16 ? 16 : alen);
  if (a && k->alen)
    memcpy(k->remote_addr, a, k->alen);
  k->remote_port = (uint16_t)sqlite3_column_int(st, 6);
  k->local_port = (uint16_t)sqlite3_column_int(st, 7);
  k->action = (uint8_t)sqlite3_column_int(st, 8);
}

int wl_flowmap_sync(wl_store *s) {
  if (s->fmap_seq && s->fmap_seq == s->next_flow)
    return WL_OK; /* nobody added flows since this handle's last batch */
  if (!s->fmap_seq && s->fmap.n)
    wl_htab_clear(&s->fmap);
  sqlite3_stmt *st = wl_st(s, ST_FLOWS_SINCE);
  if (!st)
    return WL_E_DB;
  sqlite3_bind_int64(st, 1, (int64_t)s->fmap_seq);
  int r, rc = WL_OK;
  while (rc == WL_OK && (r = sqlite3_step(st)) == SQLITE_ROW) {
    wl_flow_key k;
    key_of_row(st, &k);
    rc = wl_flowmap_add(s, &k, sqlite3_column_int64(st, 0));
  }
  sqlite3_reset(st);
  if (rc == WL_OK && r != SQLITE_DONE)
    rc = wl_store_sqlerr(s, r, "reading the flows' keys");
  if (rc == WL_OK)
    s->fmap_seq = s->next_flow;
  else
    s->fmap_seq = 0;
  return rc;
}

/* Is the flow of this id the key? */
static int row_is(wl_store *s, int64_t id, const wl_flow_key *k, int *same) {
  sqlite3_stmt *st = wl_st(s, ST_FLOW_KEY);
  if (!st)
    return WL_E_DB;
  sqlite3_bind_int64(st, 1, id);
  int r = sqlite3_step(st);
  *same = 0;
  if (r == SQLITE_ROW) {
    wl_flow_key got;
    key_of_row(st, &got);
    *same = memcmp(&got, k, sizeof got) == 0;
  }
  sqlite3_reset(st);
  return r == SQLITE_ROW || r == SQLITE_DONE ? WL_OK : wl_store_sqlerr(s, r, "reading a flow");
}

int wl_flowmap_find(wl_store *s, const wl_flow_key *k, int64_t *id) {
  *id = 0;
  if (!s->fmap.n)
    return WL_OK;
  uint32_t slot = wl_htab_find(&s->fmap, wl_hash_bytes(k, sizeof *k), NULL, NULL);
  if (slot == WL_HTAB_NONE)
    return WL_OK;
  int64_t cand = ((const fm_ent *)wl_htab_entry(&s->fmap, slot))->id;
  if (s->nfresh && (uint64_t)cand >= s->fresh[0].id) { /* born in this block: not in flows yet */
    uint64_t i = (uint64_t)cand - s->fresh[0].id;
    if (i < s->nfresh && memcmp(&s->fresh[i].k, k, sizeof *k) == 0)
      *id = cand;
    else if (i >= s->nfresh)
      return wl_err(WL_E_INTERNAL, "%s: the flow map names flow %lld, not added yet",
                    s->path, (long long)cand);
  } else {
    int same, rc = row_is(s, cand, k, &same);
    if (rc != WL_OK)
      return rc;
    if (same)
      *id = cand;
  }
  if (*id)
    return WL_OK;
  sqlite3_stmt *st = wl_st(s, ST_FLOW_FIND); /* two keys, one hash: a full scan, never seen */
  if (!st)
    return WL_E_DB;
  sqlite3_bind_int64(st, 1, k->app);
  sqlite3_bind_int(st, 2, k->dir);
  sqlite3_bind_int(st, 3, k->proto);
  sqlite3_bind_int(st, 4, k->ip_version);
  sqlite3_bind_blob(st, 5, k->remote_addr, k->alen, SQLITE_STATIC);
  sqlite3_bind_int(st, 6, k->remote_port);
  sqlite3_bind_int(st, 7, k->local_port);
  sqlite3_bind_int(st, 8, k->action);
  int rc = wl_store_step_int64(s, st, id, "finding a flow");
  if (rc == WL_OK && *id == 0) /* the block's own flows are not in flows yet */
    for (uint32_t i = 0; i < s->nfresh && !*id; i++)
      if (memcmp(&s->fresh[i].k, k, sizeof *k) == 0)
        *id = (int64_t)s->fresh[i].id;
  return rc;
}
