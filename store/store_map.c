/* store_map.c — the write path's in-memory tables, all common/wl_hash.h tables keyed by
 * wl_hash_bytes (the keys are hashed once per event, so the hash is the fast one, not FNV).
 *
 * wl_agg_map: fixed-size binary keys (WL_AGG_KEY bytes) aggregated over one chunk of a batch:
 * flows before their upsert, per-app deltas, drops per hour and filter. WL_STORE_MAP_SLOTS
 * slots; a chunk adds at most WL_STORE_CHUNK keys, so the table is at most half full and never
 * reaches the table's 3/4 bound. The used slots are listed in insertion order: the flush walks
 * them in that order, and reset clears only them instead of every slot.
 *
 * wl_str_cache: string → row id (app paths, SIDs), and wl_bin_cache: fixed-size binary key →
 * row id (event contexts), so interning costs a hash lookup instead of a query per event.
 * Bounded: cleared when three quarters full (wl_htab_full); they are only caches.
 */
#include <assert.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "common/wl_err.h"
#include "store/store_int.h"

_Static_assert(WL_STORE_CHUNK <= WL_STORE_MAP_SLOTS / 4 * 3, "a chunk never fills the maps");
_Static_assert(offsetof(wl_agg_ent, tag) == 0 && sizeof(wl_agg_ent) % 8 == 0, "a wl_htab entry");
_Static_assert(offsetof(wl_str_ent, tag) == 0 && sizeof(wl_str_ent) % 8 == 0, "a wl_htab entry");
_Static_assert(offsetof(wl_bin_ent, tag) == 0 && sizeof(wl_bin_ent) % 8 == 0, "a wl_htab entry");

int wl_agg_init(wl_agg_map *m) {
  memset(m, 0, sizeof *m);
  if (wl_htab_init(&m->t, WL_STORE_MAP_SLOTS, sizeof(wl_agg_ent)) != WL_OK ||
      !(m->list = calloc(WL_STORE_MAP_SLOTS, sizeof *m->list))) {
    wl_agg_free(m);
    return wl_err(WL_E_NOMEM, "store: no memory for the batch maps");
  }
  m->e = wl_htab_entry(&m->t, 0);
  return WL_OK;
}

void wl_agg_free(wl_agg_map *m) {
  if (!m)
    return;
  wl_htab_free(&m->t);
  free(m->list);
  m->e = NULL;
  m->list = NULL;
  m->n = 0;
}

void wl_agg_reset(wl_agg_map *m) {
  wl_htab_clear_slots(&m->t, m->list, m->n);
  m->n = 0;
}

static int agg_eq(const void *entry, const void *key) {
  return memcmp(((const wl_agg_ent *)entry)->key, key, WL_AGG_KEY) == 0;
}

/* The caller never adds more than WL_STORE_CHUNK keys between resets, so there is room. */
uint32_t wl_agg_get(wl_agg_map *m, const void *key, int *fresh) {
  uint32_t slot;
  int rc = wl_htab_add(&m->t, wl_hash_bytes(key, WL_AGG_KEY), key, agg_eq, &slot);
  assert(rc >= 0);
  if (rc == 1) {
    memcpy(m->e[slot].key, key, WL_AGG_KEY);
    memset(m->e[slot].v, 0, sizeof m->e[slot].v);
    m->e[slot].id = 0;
    m->list[m->n++] = slot;
  }
  assert(m->n == m->t.n && m->n <= WL_STORE_CHUNK);
  *fresh = rc == 1;
  return slot;
}

/* ---------------------------------------------------------------- string → id */

static int str_eq(const void *entry, const void *key) {
  return strcmp(((const wl_str_ent *)entry)->key, key) == 0;
}

static uint64_t str_tag(const char *s) { return wl_hash_bytes(s, strlen(s)); }

int wl_str_cache_init(wl_str_cache *c, uint32_t slots) {
  int rc = wl_htab_init(&c->t, slots, sizeof(wl_str_ent));
  return rc == WL_E_NOMEM ? wl_err(WL_E_NOMEM, "store: no memory for the intern cache") : rc;
}

void wl_str_cache_clear(wl_str_cache *c) {
  if (!c || !c->t.ent)
    return;
  for (uint32_t i = 0; i < wl_htab_slots(&c->t); i++)
    if (wl_htab_used(&c->t, i)) {
      wl_str_ent *e = wl_htab_entry(&c->t, i);
      free(e->key);
      free(e->aux);
    }
  wl_htab_clear(&c->t);
}

void wl_str_cache_free(wl_str_cache *c) {
  if (!c)
    return;
  wl_str_cache_clear(c);
  wl_htab_free(&c->t);
}

wl_str_ent *wl_str_cache_find(wl_str_cache *c, const char *key) {
  uint32_t slot = wl_htab_find(&c->t, str_tag(key), key, str_eq);
  return slot == WL_HTAB_NONE ? NULL : wl_htab_entry(&c->t, slot);
}

static char *dup_or_null(const char *s) {
  if (!s)
    return NULL;
  size_t n = strlen(s) + 1;
  char *d = malloc(n);
  if (d)
    memcpy(d, s, n);
  return d;
}

/* Insert (the caller found the key absent). Clears the cache first when three quarters full. */
int wl_str_cache_put(wl_str_cache *c, const char *key, const char *aux, int64_t id) {
  if (wl_htab_full(&c->t))
    wl_str_cache_clear(c);
  char *k = dup_or_null(key), *a = dup_or_null(aux);
  if (!k || (aux && !a)) {
    free(k);
    free(a);
    return wl_err(WL_E_NOMEM, "store: no memory for the intern cache");
  }
  uint32_t slot;
  int rc = wl_htab_add(&c->t, str_tag(key), key, str_eq, &slot);
  assert(rc == 1); /* absent, and there is room: cleared above when full */
  (void)rc;
  wl_str_ent *e = wl_htab_entry(&c->t, slot);
  e->key = k;
  e->aux = a;
  e->id = id;
  return WL_OK;
}

int wl_str_ent_set_aux(wl_str_ent *e, const char *aux) {
  char *a = dup_or_null(aux);
  if (aux && !a)
    return wl_err(WL_E_NOMEM, "store: no memory for the intern cache");
  free(e->aux);
  e->aux = a;
  return WL_OK;
}

/* ---------------------------------------------------------------- binary key → id */

static int bin_eq(const void *entry, const void *key) {
  return memcmp(((const wl_bin_ent *)entry)->key, key, WL_BIN_KEY) == 0;
}

int wl_bin_cache_init(wl_bin_cache *c, uint32_t slots) {
  int rc = wl_htab_init(&c->t, slots, sizeof(wl_bin_ent));
  return rc == WL_E_NOMEM ? wl_err(WL_E_NOMEM, "store: no memory for the context cache") : rc;
}

void wl_bin_cache_free(wl_bin_cache *c) {
  if (c)
    wl_htab_free(&c->t);
}

void wl_bin_cache_clear(wl_bin_cache *c) {
  if (c && c->t.n) /* an empty one is not touched: the flow cache is 18 MB */
    wl_htab_clear(&c->t);
}

int64_t wl_bin_cache_find(const wl_bin_cache *c, const void *key) {
  uint32_t slot = wl_htab_find(&c->t, wl_hash_bytes(key, WL_BIN_KEY), key, bin_eq);
  return slot == WL_HTAB_NONE ? 0 : ((const wl_bin_ent *)wl_htab_entry(&c->t, slot))->id;
}

/* Insert (the caller found the key absent, id > 0). Clears the cache first when three quarters
 * full. */
void wl_bin_cache_put(wl_bin_cache *c, const void *key, int64_t id) {
  assert(id > 0); /* 0 is find's "absent" */
  if (wl_htab_full(&c->t))
    wl_bin_cache_clear(c);
  uint32_t slot;
  int rc = wl_htab_add(&c->t, wl_hash_bytes(key, WL_BIN_KEY), key, bin_eq, &slot);
  assert(rc == 1); /* absent, and there is room: cleared above when full */
  (void)rc;
  wl_bin_ent *e = wl_htab_entry(&c->t, slot);
  memcpy(e->key, key, WL_BIN_KEY);
  e->id = id;
}

/* ---------------------------------------------------------------- flow key → id */

_Static_assert(offsetof(wl_flow_ent, tag) == 0 && sizeof(wl_flow_ent) == 56, "a wl_htab entry");

static int flow_eq(const void *entry, const void *key) {
  return memcmp(&((const wl_flow_ent *)entry)->key, key, sizeof(wl_flow_key)) == 0;
}

/* Two generations of slots / 2 each: lookups try the current one, then the previous one
 * (a hit there is copied into the current one). When the current one is three quarters full
 * it becomes the previous one and the old previous one is dropped: the flows in use survive
 * a "clear", where one table cleared whole made every hot flow miss once more (3M events of
 * issue 16's stress stream: 190,842 misses of flows already stored, each a lookup in flows). */
int wl_flow_cache_init(wl_flow_cache *c, uint32_t slots) {
  memset(c, 0, sizeof *c);
  int rc = wl_htab_init(&c->t[0], slots / 2, sizeof(wl_flow_ent));
  if (rc == WL_OK && (rc = wl_htab_init(&c->t[1], slots / 2, sizeof(wl_flow_ent))) != WL_OK)
    wl_htab_free(&c->t[0]);
  return rc == WL_E_NOMEM ? wl_err(WL_E_NOMEM, "store: no memory for the flow cache") : rc;
}

void wl_flow_cache_free(wl_flow_cache *c) {
  if (!c)
    return;
  wl_htab_free(&c->t[0]);
  wl_htab_free(&c->t[1]);
}

void wl_flow_cache_clear(wl_flow_cache *c) {
  for (int i = 0; c && i < 2; i++)
    if (c->t[i].n) /* an empty one is not touched: 7 MB each */
      wl_htab_clear(&c->t[i]);
}

/* The current generation, with room for one more entry. */
static wl_htab *flow_cur(wl_flow_cache *c) {
  wl_htab *cur = &c->t[c->cur];
  if (!wl_htab_full(cur))
    return cur;
  c->cur ^= 1;
  cur = &c->t[c->cur];
  if (cur->n)
    wl_htab_clear(cur);
  return cur;
}

static void flow_put(wl_htab *t, uint64_t tag, const wl_flow_key *key, int64_t id) {
  uint32_t slot;
  int rc = wl_htab_add(t, tag, key, flow_eq, &slot);
  assert(rc >= 0); /* flow_cur left room */
  (void)rc;
  wl_flow_ent *e = wl_htab_entry(t, slot);
  e->key = *key;
  e->id = id;
}

uint64_t wl_flow_cache_hint(const wl_flow_cache *c, const wl_flow_key *key) {
  uint64_t tag = wl_hash_bytes(key, sizeof *key);
  wl_htab_prefetch(&c->t[c->cur], tag);
  return tag;
}

int64_t wl_flow_cache_find(wl_flow_cache *c, const wl_flow_key *key) {
  return wl_flow_cache_find_tag(c, key, wl_hash_bytes(key, sizeof *key));
}

int64_t wl_flow_cache_find_tag(wl_flow_cache *c, const wl_flow_key *key, uint64_t tag) {
  assert(tag == wl_hash_bytes(key, sizeof *key));
  wl_htab *cur = &c->t[c->cur], *prev = &c->t[c->cur ^ 1];
  uint32_t slot = wl_htab_find(cur, tag, key, flow_eq);
  if (slot != WL_HTAB_NONE)
    return ((const wl_flow_ent *)wl_htab_entry(cur, slot))->id;
  if (!prev->n || (slot = wl_htab_find(prev, tag, key, flow_eq)) == WL_HTAB_NONE)
    return 0;
  int64_t id = ((const wl_flow_ent *)wl_htab_entry(prev, slot))->id;
  flow_put(flow_cur(c), tag, key, id); /* may drop prev: id is read already */
  return id;
}

/* Add, or replace the id of a key there (id > 0), in the current generation: a stale id in
 * the previous one is never read, the current one is tried first. */
void wl_flow_cache_set(wl_flow_cache *c, const wl_flow_key *key, int64_t id) {
  assert(id > 0);
  flow_put(flow_cur(c), wl_hash_bytes(key, sizeof *key), key, id);
}
