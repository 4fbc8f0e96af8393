/* store_map.c — the two small hash tables of the write path.
 *
 * wl_agg_map: fixed-size binary keys (WL_AGG_KEY bytes) aggregated over one chunk of a batch:
 * flows before their upsert, per-app deltas, drops per hour and filter. Open addressing with
 * linear probing over WL_STORE_MAP_SLOTS slots; a chunk adds at most WL_STORE_CHUNK keys, so
 * the table is at most half full. Reset walks the list of used slots instead of clearing all.
 *
 * wl_str_cache: string → row id (app paths, SIDs), and wl_bin_cache: fixed-size binary key →
 * row id (event contexts), so interning costs a hash lookup instead of a query per event.
 * Bounded: cleared when three quarters full; they are only caches.
 */
#include <stdlib.h>
#include <string.h>

#include "common/wl_err.h"
#include "store/store_int.h"

/* 8 bytes at a time (multiply, rotate), a byte tail, a final avalanche: keys are short and
 * hashed once per event, so this matters more than it looks. */
static uint64_t hash_bytes(const void *p, size_t n) {
  const uint8_t *b = p;
  uint64_t h = 0x9e3779b97f4a7c15ull ^ n, w;
  for (; n >= 8; n -= 8, b += 8) {
    memcpy(&w, b, 8);
    h = (h ^ (w * 0xbf58476d1ce4e5b9ull)) * 0x94d049bb133111ebull;
    h = (h << 27) | (h >> 37);
  }
  for (w = 0; n > 0; n--)
    w = (w << 8) | b[n - 1];
  h = (h ^ (w * 0xbf58476d1ce4e5b9ull)) * 0x94d049bb133111ebull;
  h ^= h >> 31;
  h *= 0xd6e8feb86659fd93ull;
  return h ^ (h >> 32);
}

int wl_agg_init(wl_agg_map *m) {
  memset(m, 0, sizeof *m);
  m->e = calloc(WL_STORE_MAP_SLOTS, sizeof *m->e);
  m->list = calloc(WL_STORE_MAP_SLOTS, sizeof *m->list);
  if (!m->e || !m->list) {
    wl_agg_free(m);
    return wl_err(WL_E_NOMEM, "store: no memory for the batch maps");
  }
  return WL_OK;
}

void wl_agg_free(wl_agg_map *m) {
  if (!m)
    return;
  free(m->e);
  free(m->list);
  m->e = NULL;
  m->list = NULL;
  m->n = 0;
}

void wl_agg_reset(wl_agg_map *m) {
  for (uint32_t i = 0; i < m->n; i++)
    m->e[m->list[i]].used = 0;
  m->n = 0;
}

/* The caller never adds more than WL_STORE_CHUNK keys between resets, so a free slot exists. */
uint32_t wl_agg_get(wl_agg_map *m, const void *key, int *fresh) {
  const uint32_t mask = WL_STORE_MAP_SLOTS - 1;
  uint32_t i = (uint32_t)hash_bytes(key, WL_AGG_KEY) & mask;
  while (m->e[i].used) {
    if (memcmp(m->e[i].key, key, WL_AGG_KEY) == 0) {
      *fresh = 0;
      return i;
    }
    i = (i + 1) & mask;
  }
  wl_agg_ent *e = &m->e[i];
  memcpy(e->key, key, WL_AGG_KEY);
  memset(e->v, 0, sizeof e->v);
  e->id = 0;
  e->used = 1;
  m->list[m->n++] = i;
  *fresh = 1;
  return i;
}

int wl_str_cache_init(wl_str_cache *c, uint32_t slots) {
  c->slots = slots;
  c->n = 0;
  c->e = calloc(slots, sizeof *c->e);
  return c->e ? WL_OK : wl_err(WL_E_NOMEM, "store: no memory for the intern cache");
}

void wl_str_cache_clear(wl_str_cache *c) {
  if (!c || !c->e)
    return;
  for (uint32_t i = 0; i < c->slots; i++) {
    free(c->e[i].key);
    free(c->e[i].aux);
  }
  memset(c->e, 0, c->slots * sizeof *c->e);
  c->n = 0;
}

void wl_str_cache_free(wl_str_cache *c) {
  if (!c)
    return;
  wl_str_cache_clear(c);
  free(c->e);
  c->e = NULL;
}

wl_str_ent *wl_str_cache_find(wl_str_cache *c, const char *key) {
  const uint32_t mask = c->slots - 1;
  uint32_t i = (uint32_t)hash_bytes(key, strlen(key)) & mask;
  while (c->e[i].key) {
    if (strcmp(c->e[i].key, key) == 0)
      return &c->e[i];
    i = (i + 1) & mask;
  }
  return NULL;
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

/* Insert (key not present). Clears the cache first when three quarters full. */
int wl_str_cache_put(wl_str_cache *c, const char *key, const char *aux, int64_t id) {
  if (c->n >= c->slots / 4 * 3)
    wl_str_cache_clear(c);
  const uint32_t mask = c->slots - 1;
  uint32_t i = (uint32_t)hash_bytes(key, strlen(key)) & mask;
  while (c->e[i].key)
    i = (i + 1) & mask;
  char *k = dup_or_null(key), *a = dup_or_null(aux);
  if (!k || (aux && !a)) {
    free(k);
    free(a);
    return wl_err(WL_E_NOMEM, "store: no memory for the intern cache");
  }
  c->e[i].key = k;
  c->e[i].aux = a;
  c->e[i].id = id;
  c->n++;
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

int wl_bin_cache_init(wl_bin_cache *c, uint32_t slots) {
  c->slots = slots;
  c->n = 0;
  c->e = calloc(slots, sizeof *c->e);
  return c->e ? WL_OK : wl_err(WL_E_NOMEM, "store: no memory for the context cache");
}

void wl_bin_cache_free(wl_bin_cache *c) {
  if (!c)
    return;
  free(c->e);
  c->e = NULL;
  c->n = 0;
}

void wl_bin_cache_clear(wl_bin_cache *c) {
  if (!c || !c->e)
    return;
  memset(c->e, 0, c->slots * sizeof *c->e);
  c->n = 0;
}

int64_t wl_bin_cache_find(const wl_bin_cache *c, const void *key) {
  const uint32_t mask = c->slots - 1;
  uint32_t i = (uint32_t)hash_bytes(key, WL_BIN_KEY) & mask;
  while (c->e[i].id) {
    if (memcmp(c->e[i].key, key, WL_BIN_KEY) == 0)
      return c->e[i].id;
    i = (i + 1) & mask;
  }
  return 0;
}

/* Insert (key not present, id > 0). Clears the cache first when three quarters full. */
void wl_bin_cache_put(wl_bin_cache *c, const void *key, int64_t id) {
  if (c->n >= c->slots / 4 * 3)
    wl_bin_cache_clear(c);
  const uint32_t mask = c->slots - 1;
  uint32_t i = (uint32_t)hash_bytes(key, WL_BIN_KEY) & mask;
  while (c->e[i].id)
    i = (i + 1) & mask;
  memcpy(c->e[i].key, key, WL_BIN_KEY);
  c->e[i].id = id;
  c->n++;
}
