/* wl_hash.h — the hashes and the one hash table every module uses.
 *
 * Two hashes, for two different jobs:
 *   wl_fnv1a64      FNV-1a 64, one byte at a time, incremental (start from WL_FNV1A64_INIT, feed
 *                   the pieces in order). Its values are part of file formats — the sim's state
 *                   file checksum, import's record keys kept in the store — so it never changes.
 *   wl_hash_bytes   8 bytes per step and a final avalanche: several times faster than FNV-1a on
 *                   the 40–56-byte keys of the store's write path (see docs or the bench numbers
 *                   in the commit that introduced it). Only for in-memory tables: its values are
 *                   never stored, so it may change.
 * and wl_hash_mix64, murmur3's fmix64 finaliser (a bijection of 64-bit values).
 *
 * wl_htab: open addressing with linear probing over a power-of-two number of slots. Each slot
 * has a 64-bit tag (the key's hash; 0 = empty, so a tag of 0 is taken as 1) and an entry of the
 * caller's type (esize bytes, none for a plain set of 64-bit values). A key is found by its tag,
 * then confirmed by one of: the tag itself (ksize 0, no eq: sets and maps keyed by a 64-bit
 * value), the first ksize bytes of the entry (memcmp), or eq(entry, key) (keys that are not bytes
 * in the entry, e.g. a string pointer). The home slot is the tag times the golden ratio's high
 * bits, so small sequential integers spread too.
 *
 * Bound: a table never holds more than slots / 4 * 3 entries (wl_htab_full), so a probe always
 * ends at an empty slot and stays short. What happens when full is the caller's choice and is
 * stated where the table is used: start over (wl_htab_clear: a cache), stop counting (wl_htab_add
 * answers WL_E_FULL: a saturating set), or never reach it by construction (assert it). No table
 * grows: memory is slots × (8 + esize) bytes, allocated once by wl_htab_init. No deletion of
 * single keys (linear probing would need tombstones); only whole clears.
 *
 * Not thread-safe: one owner at a time.
 */
#ifndef WL_HASH_H
#define WL_HASH_H

#include <stddef.h>
#include <stdint.h>

/* ---- hashes ---- */
#define WL_FNV1A64_INIT 0xcbf29ce484222325ULL /* FNV-1a 64 offset basis */

uint64_t wl_fnv1a64(uint64_t h, const void *p, size_t n);
uint64_t wl_fnv1a64_u64(uint64_t h, uint64_t v); /* v's 8 bytes, little-endian, on any host */
uint64_t wl_hash_mix64(uint64_t h);              /* murmur3 fmix64 */
uint64_t wl_hash_bytes(const void *p, size_t n); /* in-memory tables only; never stored */

/* ---- open-addressing table ---- */
#define WL_HTAB_MIN_SLOTS 4u
#define WL_HTAB_MAX_SLOTS (1u << 30)
#define WL_HTAB_NONE UINT32_MAX /* "no slot" */

typedef int (*wl_htab_eq)(const void *entry, const void *key); /* nonzero when equal */

typedef struct wl_htab {
  uint64_t *tag;        /* slot → tag of its key, 0 = empty */
  unsigned char *ent;   /* slot → entry, esize bytes each (NULL when esize is 0) */
  size_t esize, ksize;  /* entry bytes; key bytes at the entry's start (0: see eq, or the tag) */
  wl_htab_eq eq;        /* NULL, or how a key compares to an entry with the same tag */
  uint32_t mask, n, max; /* slots - 1; entries; entries allowed (slots / 4 * 3) */
  unsigned shift;       /* 64 - log2(slots) */
} wl_htab;

/* slots: a power of two in [WL_HTAB_MIN_SLOTS, WL_HTAB_MAX_SLOTS]; ksize <= esize. Release with
 * wl_htab_free. WL_E_INVAL on bad sizes, WL_E_NOMEM. */
int wl_htab_init(wl_htab *t, uint32_t slots, size_t esize, size_t ksize, wl_htab_eq eq);
void wl_htab_free(wl_htab *t); /* NULL, a zeroed table, or twice: fine */
void wl_htab_clear(wl_htab *t); /* O(slots); the entries' bytes stay until reused */
/* Clear a table whose used slots are exactly slots[0..n) (callers that list them): O(n). */
void wl_htab_clear_slots(wl_htab *t, const uint32_t *slots, uint32_t n);

/* The key's slot, or WL_HTAB_NONE. key is what ksize/eq compare (unused when the tag is the key). */
uint32_t wl_htab_find(const wl_htab *t, uint64_t tag, const void *key);
/* Find or add: *slot is the key's slot. 1 when added (the entry zeroed, then its first ksize
 * bytes copied from key), 0 when it was there, WL_E_FULL when absent and the table is full
 * (*slot = WL_HTAB_NONE; no message is set: this is a hot path). */
int wl_htab_add(wl_htab *t, uint64_t tag, const void *key, uint32_t *slot);

static inline void *wl_htab_entry(const wl_htab *t, uint32_t slot) {
  return t->ent + (size_t)slot * t->esize;
}
static inline int wl_htab_full(const wl_htab *t) { return t->n >= t->max; }
static inline uint32_t wl_htab_slots(const wl_htab *t) { return t->mask + 1; }
static inline int wl_htab_used(const wl_htab *t, uint32_t slot) { return t->tag[slot] != 0; }

#endif
