/* whitelist_int.h — helpers shared by the files of whitelist/; not part of the contract. */
#ifndef WL_WHITELIST_INT_H
#define WL_WHITELIST_INT_H

#include <stddef.h>
#include <stdint.h>

#include "whitelist/whitelist.h"

/* Add filters inside the caller's transaction. A key already present with an identical filter
 * is adopted (counted in *adopted, not added again); one present but different is replaced. */
int wl_filters_put(wl_engine *e, wl_filter *f, size_t n, size_t *added, size_t *adopted);
/* Delete by key inside the caller's transaction; a key already gone is fine. */
int wl_filters_delete(wl_engine *e, const wl_guid *keys, size_t n, size_t *deleted);
/* Parse a rule row's "{GUID},{GUID}" list (at most cap keys). */
int wl_keys_parse(const char *s, wl_guid *out, size_t cap, size_t *n);

/* A meta value as an unsigned integer (0 when absent or not a number). */
uint64_t wl_meta_u64(wl_store *s, const char *key);
/* If a watchdog holds a pending enforce: ask it to leave, wait up to wait_ms for it to exit,
 * kill it if it did not, and set mode=learn. *released = 1 when there was one. */
int wl_watchdog_release(wl_store *s, unsigned wait_ms, int *released);

#endif
