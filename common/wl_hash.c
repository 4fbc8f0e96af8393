/* wl_hash.c — FNV-1a 64, the fast table hash, and the open-addressing table (wl_hash.h).
 *
 * The table keeps tags and entries in two arrays: a probe walks the 8-byte tags (several per
 * cache line) and touches an entry only when a tag matches, which with 64-bit tags is almost
 * always the key itself; so a miss costs no key comparison at all.
 */
#include "common/wl_hash.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "common/wl_err.h"

#define FNV1A64_PRIME 0x100000001b3ULL
#define GOLDEN64 0x9e3779b97f4a7c15ULL

/* ---------------------------------------------------------------- hashes */

uint64_t wl_fnv1a64(uint64_t h, const void *p, size_t n) {
  const unsigned char *b = p;
  for (size_t i = 0; i < n; i++)
    h = (h ^ b[i]) * FNV1A64_PRIME;
  return h;
}

uint64_t wl_fnv1a64_u64(uint64_t h, uint64_t v) {
  unsigned char b[8];
  for (int i = 0; i < 8; i++)
    b[i] = (unsigned char)(v >> (8 * i));
  return wl_fnv1a64(h, b, 8);
}

uint64_t wl_hash_mix64(uint64_t h) {
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ULL;
  h ^= h >> 33;
  return h;
}

/* 8 bytes at a time (multiply, rotate), a byte tail, a final avalanche: keys are short and
 * hashed once per event on the store's write path, so this matters more than it looks. */
uint64_t wl_hash_bytes(const void *p, size_t n) {
  const uint8_t *b = p;
  uint64_t h = GOLDEN64 ^ n, w;
  for (; n >= 8; n -= 8, b += 8) {
    memcpy(&w, b, 8);
    h = (h ^ (w * 0xbf58476d1ce4e5b9ULL)) * 0x94d049bb133111ebULL;
    h = (h << 27) | (h >> 37);
  }
  for (w = 0; n > 0; n--)
    w = (w << 8) | b[n - 1];
  h = (h ^ (w * 0xbf58476d1ce4e5b9ULL)) * 0x94d049bb133111ebULL;
  h ^= h >> 31;
  h *= 0xd6e8feb86659fd93ULL;
  return h ^ (h >> 32);
}

/* ---------------------------------------------------------------- table */

int wl_htab_init(wl_htab *t, uint32_t slots, size_t esize, size_t ksize, wl_htab_eq eq) {
  memset(t, 0, sizeof *t);
  if (slots < WL_HTAB_MIN_SLOTS || slots > WL_HTAB_MAX_SLOTS || (slots & (slots - 1)) != 0)
    return wl_err(WL_E_INVAL, "hash table of %u slots: must be a power of two in [%u, %u]",
                  slots, WL_HTAB_MIN_SLOTS, WL_HTAB_MAX_SLOTS);
  if (ksize > esize)
    return wl_err(WL_E_INVAL, "hash table: a %zu-byte key in a %zu-byte entry", ksize, esize);
  t->tag = calloc(slots, sizeof *t->tag);
  t->ent = esize ? calloc(slots, esize) : NULL;
  if (!t->tag || (esize && !t->ent)) {
    wl_htab_free(t);
    return wl_err(WL_E_NOMEM, "out of memory for a hash table of %u slots", slots);
  }
  t->esize = esize;
  t->ksize = ksize;
  t->eq = eq;
  t->mask = slots - 1;
  t->max = slots / 4 * 3;
  t->shift = 64;
  for (uint32_t s = slots; s > 1; s >>= 1)
    t->shift--;
  return WL_OK;
}

void wl_htab_free(wl_htab *t) {
  if (!t)
    return;
  free(t->tag);
  free(t->ent);
  t->tag = NULL;
  t->ent = NULL;
  t->n = 0;
}

void wl_htab_clear(wl_htab *t) {
  if (!t || !t->tag)
    return;
  memset(t->tag, 0, (size_t)wl_htab_slots(t) * sizeof *t->tag);
  t->n = 0;
}

void wl_htab_clear_slots(wl_htab *t, const uint32_t *slots, uint32_t n) {
  assert(n == t->n); /* every used slot is listed, or some would stay behind */
  for (uint32_t i = 0; i < n; i++) {
    assert(slots[i] <= t->mask && t->tag[slots[i]] != 0);
    t->tag[slots[i]] = 0;
  }
  t->n = 0;
}

static int same_key(const wl_htab *t, uint32_t i, const void *key) {
  if (t->eq)
    return t->eq(wl_htab_entry(t, i), key);
  return t->ksize == 0 || memcmp(wl_htab_entry(t, i), key, t->ksize) == 0;
}

/* The first slot on tag's probe path that is empty or holds the key. Ends: the table is never
 * more than 3/4 full, so an empty slot exists. */
static uint32_t probe(const wl_htab *t, uint64_t tag, const void *key) {
  assert(t->tag && t->n <= t->max && t->max < wl_htab_slots(t));
  uint32_t i = (uint32_t)((tag * GOLDEN64) >> t->shift);
  for (;;) {
    uint64_t s = t->tag[i];
    if (s == 0 || (s == tag && same_key(t, i, key)))
      return i;
    i = (i + 1) & t->mask;
  }
}

uint32_t wl_htab_find(const wl_htab *t, uint64_t tag, const void *key) {
  tag = tag ? tag : 1;
  uint32_t i = probe(t, tag, key);
  return t->tag[i] ? i : WL_HTAB_NONE;
}

int wl_htab_add(wl_htab *t, uint64_t tag, const void *key, uint32_t *slot) {
  tag = tag ? tag : 1;
  uint32_t i = probe(t, tag, key);
  if (t->tag[i]) {
    *slot = i;
    return 0;
  }
  if (t->n >= t->max) {
    *slot = WL_HTAB_NONE;
    return WL_E_FULL;
  }
  t->tag[i] = tag;
  t->n++;
  if (t->esize) {
    unsigned char *e = wl_htab_entry(t, i);
    memset(e, 0, t->esize);
    if (t->ksize)
      memcpy(e, key, t->ksize);
  }
  *slot = i;
  return 1;
}
