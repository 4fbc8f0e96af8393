/* wl_hash.h — the hashes and the one hash table every module uses.
 *
 * Two hashes, for two different jobs:
 *   wl_fnv1a64      FNV-1a 64, one byte at a time, incremental (start from WL_FNV1A64_INIT, feed
 *                   the pieces in order). Its values are part of file formats — the sim's state
 *                   file checksum, import's record keys kept in the store — so it never changes.
 *   wl_hash_bytes   8 bytes per step and a final avalanche, for in-memory tables only (its values
 *                   are never stored, so it may change). The store hashes 40- and 56-byte keys
 *                   several times per event; byte-serial FNV-1a costs ~4 cycles a byte there.
 * and wl_hash_mix64, murmur3's fmix64 finaliser (a bijection of 64-bit values).
 *
 * wl_htab: open addressing with linear probing over a power-of-two number of slots. A slot is
 * an entry of the caller's type, esize bytes, whose first member is `uint64_t tag`: the key's
 * hash, owned by the table (0 = empty slot, so a tag of 0 is taken as 1). A plain set of 64-bit
 * values has entries of just the tag. A key is found by its tag, then confirmed by eq(entry, key)
 * — or, with eq NULL, the tag is the key (sets and maps keyed by a 64-bit value). The home slot
 * is the tag times the golden ratio, high bits, so small sequential integers spread too. The
 * tag sits in the entry so that a lookup touches one cache line, not a tag and then an entry.
 * Lookups are inline so that a constant eq, and wl_hash_bytes on a fixed-size key, compile to
 * straight code at each call site, as a C++ template would.
 *
 * Bound: a table never holds more than slots / 4 * 3 entries (wl_htab_full), so a probe always
 * ends at an empty slot and stays short. What happens when full is the caller's choice, stated
 * where the table is used: start over (wl_htab_clear: a cache), stop adding (wl_htab_add answers
 * WL_E_FULL: a saturating set), or never reach it by construction (assert it). No table grows:
 * memory is slots × esize bytes, allocated once by wl_htab_init. No deletion of single keys
 * (linear probing would need tombstones), only whole clears.
 *
 * Not thread-safe: one owner at a time.
 */
#ifndef WL_HASH_H
#define WL_HASH_H

#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "common/wl_err.h"

/* ---- hashes ---- */
#define WL_FNV1A64_INIT 0xcbf29ce484222325ULL /* FNV-1a 64 offset basis */

uint64_t wl_fnv1a64(uint64_t h, const void *p, size_t n);
uint64_t wl_fnv1a64_u64(uint64_t h, uint64_t v); /* v's 8 bytes, little-endian, on any host */
uint64_t wl_hash_mix64(uint64_t h);              /* murmur3 fmix64 */

/* In-memory tables only (never stored). Inline so a fixed-size key compiles to straight code. */
static inline uint64_t wl_hash_bytes(const void *p, size_t n) {
  const unsigned char *b = p;
  uint64_t h = 0x9e3779b97f4a7c15ULL ^ n, w;
  for (; n >= 8; n -= 8, b += 8) { /* 8 bytes at a time: multiply, rotate */
    memcpy(&w, b, 8);
    h = (h ^ (w * 0xbf58476d1ce4e5b9ULL)) * 0x94d049bb133111ebULL;
    h = (h << 27) | (h >> 37);
  }
  for (w = 0; n > 0; n--) /* the tail, then a final avalanche */
    w = (w << 8) | b[n - 1];
  h = (h ^ (w * 0xbf58476d1ce4e5b9ULL)) * 0x94d049bb133111ebULL;
  h ^= h >> 31;
  h *= 0xd6e8feb86659fd93ULL;
  return h ^ (h >> 32);
}

/* ---- open-addressing table ---- */
#define WL_HTAB_MIN_SLOTS 4u
#define WL_HTAB_MAX_SLOTS (1u << 30)
#define WL_HTAB_NONE UINT32_MAX /* "no slot" */

/* Nonzero when the entry holds key. Pass the same eq (or NULL: the tag is the key) on every call
 * for one table. */
typedef int (*wl_htab_eq)(const void *entry, const void *key);

typedef struct wl_htab {
  unsigned char *ent;    /* slots × esize bytes; each entry starts with its uint64_t tag */
  size_t esize;
  uint32_t mask, n, max; /* slots - 1; entries; entries allowed (slots / 4 * 3) */
  unsigned shift;        /* 64 - log2(slots) */
} wl_htab;

/* slots: a power of two in [WL_HTAB_MIN_SLOTS, WL_HTAB_MAX_SLOTS]; esize: the entry's size, a
 * multiple of 8 starting with the uint64_t tag. Release with wl_htab_free. WL_E_INVAL on a bad
 * size, WL_E_NOMEM. */
int wl_htab_init(wl_htab *t, uint32_t slots, size_t esize);
void wl_htab_free(wl_htab *t); /* NULL, a zeroed table, or twice: fine */
void wl_htab_clear(wl_htab *t); /* O(slots × esize) */
/* Twice the slots, every entry moved over (a map that must not forget, unlike a cache that
 * clears when full). On failure (WL_E_NOMEM, or WL_E_TOOBIG past WL_HTAB_MAX_SLOTS) the table is
 * as it was. */
int wl_htab_grow(wl_htab *t);
/* Clear a table whose used slots are exactly slots[0..n) (callers that list them): O(n). */
void wl_htab_clear_slots(wl_htab *t, const uint32_t *slots, uint32_t n);

static inline void *wl_htab_entry(const wl_htab *t, uint32_t slot) {
  return t->ent + (size_t)slot * t->esize;
}
static inline uint64_t wl_htab_tag_(const wl_htab *t, uint32_t slot) {
  uint64_t tag;
  memcpy(&tag, wl_htab_entry(t, slot), sizeof tag);
  return tag;
}
static inline int wl_htab_full(const wl_htab *t) { return t->n >= t->max; }
static inline uint32_t wl_htab_slots(const wl_htab *t) { return t->mask + 1; }
static inline int wl_htab_used(const wl_htab *t, uint32_t slot) {
  return wl_htab_tag_(t, slot) != 0;
}

/* The first slot on a (nonzero) tag's probe path. */
static inline uint32_t wl_htab_home_(const wl_htab *t, uint64_t tag) {
  return (uint32_t)((tag * 0x9e3779b97f4a7c15ULL) >> t->shift);
}

/* A hint, changing nothing the table holds: fetch the cache line where tag's probe starts, for
 * a find or add made a little later (a loop that hashes one item, works on the next, then adds:
 * the miss on a large table overlaps that work). GCC and clang (mingw too) have the builtin. */
static inline void wl_htab_prefetch(const wl_htab *t, uint64_t tag) {
  __builtin_prefetch(wl_htab_entry(t, wl_htab_home_(t, tag ? tag : 1)));
}

/* The first slot on tag's probe path that is empty or holds key; *tag made nonzero. Ends: the
 * table is never more than 3/4 full, so an empty slot exists. */
static inline uint32_t wl_htab_probe_(const wl_htab *t, uint64_t *tag, const void *key,
                                      wl_htab_eq eq) {
  assert(t->ent && t->n <= t->max && t->max < wl_htab_slots(t));
  *tag = *tag ? *tag : 1;
  uint32_t i = wl_htab_home_(t, *tag);
  for (;;) {
    uint64_t s = wl_htab_tag_(t, i);
    if (s == 0 || (s == *tag && (!eq || eq(wl_htab_entry(t, i), key))))
      return i;
    i = (i + 1) & t->mask;
  }
}

/* The key's slot, or WL_HTAB_NONE. */
static inline uint32_t wl_htab_find(const wl_htab *t, uint64_t tag, const void *key,
                                    wl_htab_eq eq) {
  uint32_t i = wl_htab_probe_(t, &tag, key, eq);
  return wl_htab_used(t, i) ? i : WL_HTAB_NONE;
}

/* Find or add: *slot is the key's slot. 1 when added: the entry holds the tag and the caller
 * sets the rest — the key eq reads, and every other field (they hold what a cleared entry left
 * there; not zeroing saves a memset per insert on the store's hot path). 0 when it was there.
 * WL_E_FULL when absent and the table is full (*slot = WL_HTAB_NONE; no message is set: this is
 * a hot path). */
static inline int wl_htab_add(wl_htab *t, uint64_t tag, const void *key, wl_htab_eq eq,
                              uint32_t *slot) {
  uint32_t i = wl_htab_probe_(t, &tag, key, eq);
  *slot = i;
  if (wl_htab_used(t, i))
    return 0;
  if (t->n >= t->max) {
    *slot = WL_HTAB_NONE;
    return WL_E_FULL;
  }
  memcpy(wl_htab_entry(t, i), &tag, sizeof tag);
  t->n++;
  return 1;
}

#endif
