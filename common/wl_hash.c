/* wl_hash.c — FNV-1a 64, fmix64, and the table's allocation and clearing (wl_hash.h); the
 * table's lookups and wl_hash_bytes are inline in the header.
 */
#include "common/wl_hash.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "common/wl_err.h"

#define FNV1A64_PRIME 0x100000001b3ULL

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

/* ---------------------------------------------------------------- table */

int wl_htab_init(wl_htab *t, uint32_t slots, size_t esize) {
  memset(t, 0, sizeof *t);
  if (slots < WL_HTAB_MIN_SLOTS || slots > WL_HTAB_MAX_SLOTS || (slots & (slots - 1)) != 0)
    return wl_err(WL_E_INVAL, "hash table of %u slots: must be a power of two in [%u, %u]",
                  slots, WL_HTAB_MIN_SLOTS, WL_HTAB_MAX_SLOTS);
  if (esize < sizeof(uint64_t) || esize % sizeof(uint64_t) != 0)
    return wl_err(WL_E_INVAL, "hash table entries of %zu bytes: must start with a 64-bit tag "
                  "and be a multiple of 8 bytes", esize);
  if (!(t->ent = calloc(slots, esize)))
    return wl_err(WL_E_NOMEM, "out of memory for a hash table of %u × %zu bytes", slots, esize);
  t->esize = esize;
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
  free(t->ent);
  t->ent = NULL;
  t->n = 0;
}

static int never_eq(const void *entry, const void *key) {
  (void)entry, (void)key;
  return 0;
}

int wl_htab_grow(wl_htab *t) {
  assert(t->ent);
  if (wl_htab_slots(t) >= WL_HTAB_MAX_SLOTS)
    return wl_err(WL_E_TOOBIG, "hash table of %u slots: cannot grow", wl_htab_slots(t));
  wl_htab n;
  int rc = wl_htab_init(&n, wl_htab_slots(t) * 2, t->esize);
  if (rc != WL_OK)
    return rc;
  for (uint32_t i = 0; i <= t->mask; i++) {
    if (!wl_htab_used(t, i))
      continue;
    uint64_t tag = wl_htab_tag_(t, i);
    uint32_t slot = wl_htab_probe_(&n, &tag, NULL, never_eq); /* the first empty one */
    memcpy(wl_htab_entry(&n, slot), wl_htab_entry(t, i), t->esize);
    n.n++;
  }
  assert(n.n == t->n);
  free(t->ent);
  *t = n;
  return WL_OK;
}

void wl_htab_clear(wl_htab *t) {
  if (!t || !t->ent)
    return;
  memset(t->ent, 0, (size_t)wl_htab_slots(t) * t->esize);
  t->n = 0;
}

void wl_htab_clear_slots(wl_htab *t, const uint32_t *slots, uint32_t n) {
  static const uint64_t empty = 0;
  assert(n == t->n); /* every used slot is listed, or some would stay behind */
  for (uint32_t i = 0; i < n; i++) {
    assert(slots[i] <= t->mask && wl_htab_used(t, slots[i]));
    memcpy(wl_htab_entry(t, slots[i]), &empty, sizeof empty);
  }
  t->n = 0;
}
