/* owners.h — store_owners.c: what the rollups need of a flow, by its id: its app, direction and
 * action (issue 16). Inside store/ only.
 *
 * Flow ids are dense (1, 2, 3 ... in the order flows are born) and a flow's key never changes
 * once written, so this is an array indexed by id, in chunks of WL_OWNERS_CHUNK ids allocated
 * when first used: the write path records each flow it gives birth to (appends, no cache miss),
 * and an id it does not know is read from flow_pack with the rest of its chunk (1,024 ids). It
 * replaced two hash maps keyed by flow id (the rollup's owner map and app_hourly's map of
 * committed flows: 24 and 16 bytes a flow over a power of two, a cache miss each per event
 * rolled up) with 8 bytes a flow.
 *
 * A flow born in a transaction that rolls back may see its id given to another flow: the write
 * path clears the array whenever its transaction or savepoint rolls back (store_write.c's
 * batch_fail and wl_store_write_reset); flows read from the file are committed ones, of this
 * handle's transactions or of another writer's, and stay right. Without memory for a chunk an
 * id is simply not kept and is read again when needed.
 */
#ifndef WL_STORE_OWNERS_H
#define WL_STORE_OWNERS_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

#define WL_OWNERS_CHUNK 65536u /* ids a chunk: 512 KB */

struct wl_pack_chunk;
typedef struct wl_owners {
  uint64_t **chunk; /* chunk[id / WL_OWNERS_CHUNK][id % WL_OWNERS_CHUNK]; 0 = not known */
  size_t nchunks;
  sqlite3_stmt *get;           /* a chunk of flow_pack (wl_flow_pack_find), or (legacy) a range
                                * of flows rows */
  struct wl_pack_chunk *keys;  /* what it read last (82 KB, made when first needed) */
  int legacy; /* the keys are in the flows table: a migration from before schema 10 */
} wl_owners;

typedef struct wl_owner {
  int64_t app;
  uint8_t dir;  /* enum wl_dir */
  uint8_t drop; /* the flow's action is a drop */
} wl_owner;

/* Records flow id (> 0) of app (>= 0, < 2^56), dir and drop. Best effort: without memory it is
 * not kept. */
void wl_owners_set(wl_owners *o, uint64_t id, int64_t app, int dir, int drop);
/* Flow id's owner: from memory, or read from flow_pack of db with the rest of its chunk. *found
 * 0 when no flow has that id. WL_OK, WL_E_NOMEM, WL_E_CORRUPT, or the SQLite error
 * (wl_store_sqlerr_at, naming path). */
int wl_owners_get(wl_owners *o, sqlite3 *db, const char *path, uint64_t id, wl_owner *out,
                  int *found);
/* A hint for an id a few rows ahead: its entry fetched. */
void wl_owners_prefetch(const wl_owners *o, uint64_t id);
void wl_owners_clear(wl_owners *o); /* forget every id (a rollback) */
void wl_owners_free(wl_owners *o);  /* NULL-safe; also finalizes the statement */

#endif
