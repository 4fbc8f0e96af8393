/* store_flowmap.c — every stored flow's key in the writer's memory, instead of a unique index on
 * disk (schema 9, issue 16).
 *
 * Why: flows_key, a unique index on the flow key, took each new flow at a random place, so with
 * a busy stream (0.19 new flows an event, ~1,500 a batch) nearly every index page was rewritten
 * at every commit (490 MB written for a 24 MB store at 1M events), and each new flow cost an
 * index descent over eight columns: the store's largest cost. The writer now keeps a map of
 * every stored flow, two 64-bit hashes of its key (wl_flow_key) -> its id, in a wl_htab of
 * 24-byte slots doubled at three quarters full: 24 bytes a flow at worst over 2^k slots, 24 MB
 * for 738k flows. The read side's by-app queries read flow_pack (store_flow_pack.c); the flows
 * table lost its index on app in schema 11 (~4,800 instructions a new flow and ~300 dirty pages
 * a commit) and went in schema 13 (its insert: ~3,900 instructions a new flow).
 *
 * Complete, not a cache: at a batch's start (wl_flowmap_sync, in the batch's write transaction)
 * the map is brought up to date from flow_pack (since schema 13 the only copy of the keys): all
 * of it the first time, else the ids from where it stops (flow ids come from meta's flow_seq, so
 * what another writer added since is exactly that range). A flow the batch adds goes in as it
 * is born. A batch that rolls back may leave ids that are not stored: the map is rebuilt at the
 * next batch (wl_flowmap_forget). An entry holds a second, independent 64-bit hash of the key
 * (FNV-1a, not the table's multiply-rotate), and a key is its flow when both match: two keys
 * agreeing on 128 bits of hash, ~10^-27 over a million flows, is the one way this could merge
 * two flows. (Until schema 13 a hit was checked against the flows row, a point read; against
 * flow_pack it would decode a chunk of 1,024 flows each time, a third of the time of a 10M-event
 * store.) A key whose first hash another key holds (about 2^-24 over a million flows) is looked
 * up by a pass over its app's packed flows instead, and not kept in the map.
 */
#include <assert.h>
#include <string.h>

#include "common/wl_err.h"
#include "store/flow_pack.h"
#include "store/store_int.h"

#define FLOWMAP_MIN_SLOTS (1u << 16)

typedef struct fm_ent {
  uint64_t tag;   /* wl_htab's: the key's hash (wl_hash_bytes) */
  uint64_t check; /* a second one (check_of) */
  int64_t id;
} fm_ent;

static uint64_t check_of(const wl_flow_key *k) {
  return wl_fnv1a64(WL_FNV1A64_INIT, k, sizeof *k);
}

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

static int fm_put(wl_store *s, uint64_t tag, uint64_t check, int64_t id) {
  int rc = fm_room(s);
  if (rc != WL_OK)
    return rc;
  uint32_t slot;
  fm_ent *e;
  if (wl_htab_add(&s->fmap, tag, NULL, NULL, &slot) == 0 &&
      ((e = wl_htab_entry(&s->fmap, slot))->id != id || e->check != check))
    return WL_OK; /* another key's hash: that key keeps the slot, this one is found by scan */
  e = wl_htab_entry(&s->fmap, slot);
  e->check = check;
  e->id = id;
  return WL_OK;
}

int wl_flowmap_add(wl_store *s, const wl_flow_key *k, int64_t id) {
  return fm_put(s, wl_hash_bytes(k, sizeof *k), check_of(k), id);
}

/* A packed flow's key, as store_write.c builds it. */
static void key_of(const wl_pack_flow *p, wl_flow_key *k) {
  memset(k, 0, sizeof *k);
  k->app = p->f.app_id;
  k->dir = p->f.dir;
  k->proto = p->f.proto;
  k->ip_version = p->f.ip_version;
  k->alen = p->alen;
  memcpy(k->remote_addr, p->f.remote_addr, p->alen);
  k->remote_port = p->f.remote_port;
  k->local_port = p->f.local_port;
  k->action = p->f.action;
}

static int load_cb(void *ctx, const wl_pack_flow *p) {
  wl_store *s = ctx;
  wl_flow_key k;
  key_of(p, &k);
  return wl_flowmap_add(s, &k, (int64_t)p->id);
}

int wl_flowmap_sync(wl_store *s) {
  if (s->fmap_seq && s->fmap_seq == s->next_flow)
    return WL_OK; /* nobody added flows since this handle's last batch */
  if (!s->fmap_seq && s->fmap.n)
    wl_htab_clear(&s->fmap);
  int rc = wl_flow_pack_each_from(s, s->fmap_seq, load_cb, s);
  s->fmap_seq = rc == WL_OK ? s->next_flow : 0;
  return rc;
}

typedef struct scan {
  const wl_flow_key *k;
  int64_t id;
} scan;

static int scan_cb(void *ctx, const wl_pack_flow *p) {
  scan *x = ctx;
  wl_flow_key got;
  key_of(p, &got);
  if (memcmp(&got, x->k, sizeof got) != 0)
    return 0;
  x->id = (int64_t)p->id;
  return 1; /* found: stop */
}

int wl_flowmap_find(wl_store *s, const wl_flow_key *k, int64_t *id) {
  *id = 0;
  if (!s->fmap.n)
    return WL_OK;
  uint32_t slot = wl_htab_find(&s->fmap, wl_hash_bytes(k, sizeof *k), NULL, NULL);
  if (slot == WL_HTAB_NONE)
    return WL_OK;
  const fm_ent *e = wl_htab_entry(&s->fmap, slot);
  int64_t cand = e->id;
  if (s->nfresh && (uint64_t)cand >= s->fresh[0].id) { /* born in this block: its key here */
    uint64_t i = (uint64_t)cand - s->fresh[0].id;
    if (i < s->nfresh && memcmp(&s->fresh[i].k, k, sizeof *k) == 0)
      *id = cand;
    else if (i >= s->nfresh)
      return wl_err(WL_E_INTERNAL, "%s: the flow map names flow %lld, not added yet",
                    s->path, (long long)cand);
  } else if (e->check == check_of(k)) {
    *id = cand;
  }
  if (*id)
    return WL_OK;
  scan x = {k, 0}; /* two keys, one hash: a pass over the app's flows, never seen */
  int rc = wl_flow_pack_each(s, k->app, scan_cb, &x);
  if (rc == 1)
    rc = WL_OK;
  *id = x.id;
  if (rc == WL_OK && *id == 0) /* the block's own flows are not packed yet */
    for (uint32_t i = 0; i < s->nfresh && !*id; i++)
      if (memcmp(&s->fresh[i].k, k, sizeof *k) == 0)
        *id = (int64_t)s->fresh[i].id;
  return rc;
}
