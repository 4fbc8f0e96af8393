/* flow_pack.h — store_flow_pack.c: the packed flows (keys and, since schema 12, the only copy
 * of their totals) that the listing of every flow reads (issue 16), the write path's and the
 * rollup's hooks that keep it, and its migration. Inside store/ only. */
#ifndef WL_STORE_FLOW_PACK_H
#define WL_STORE_FLOW_PACK_H

#include "store/store_int.h"

typedef struct wl_pack_flow {
  wl_flow f;
  uint64_t id;
  uint8_t alen; /* bytes of remote_addr in the flow's key (wl_flow_key.alen): 0, 4, 16 */
} wl_pack_flow;

/* One chunk of packed flows decoded (the ids [no << 10, (no + 1) << 10) that are stored, in id
 * order), kept by a reader of flows by id: 82 KB. */
#define WL_PACK_IDS 1024
typedef struct wl_pack_chunk {
  int64_t no; /* -1: nothing held (set it so before the first use, and after a rollback) */
  size_t n;
  wl_pack_flow r[WL_PACK_IDS];
} wl_pack_chunk;
/* The flow of this id as it is in this transaction: from c when c holds its chunk, else its
 * chunk is read into c first (also when c holds it but not that id, which may be newer). *out
 * NULL when no flow has the id. *get: the caller's statement, prepared here on first use; the
 * caller finalizes it. db and path as the store's (the owners array has no wl_store). */
int wl_flow_pack_find(sqlite3 *db, const char *path, sqlite3_stmt **get, wl_pack_chunk *c,
                      uint64_t id, const wl_pack_flow **out);

/* The rollup's totals t[used[0..n)] (sorted by id) added to the packed records, in its
 * transaction (flows_out); WL_E_CORRUPT naming the flow when one is not packed. */
int wl_flow_pack_add(wl_store *s, const wl_htab *t, const uint32_t *used, uint32_t n);
/* After the write path inserted a block's new flows (fresh[i] with real == 0; ids ascending),
 * in its transaction: the same rows appended (store_write.c's flows_flush). */
int wl_flow_pack_born(wl_store *s, const wl_new_flow *fresh, uint32_t n);
/* Every flow as it is in this transaction (of app `app` only when app >= 0:
 * the others' records are skipped undecoded), in id order. cb returns non-zero to stop
 * (returned). */
typedef int (*wl_pack_cb)(void *ctx, const wl_pack_flow *f);
int wl_flow_pack_each(wl_store *s, int64_t app, wl_pack_cb cb, void *ctx);
/* Every flow with an id >= from, in id order (the writer's map of every flow loads from it). */
int wl_flow_pack_each_from(wl_store *s, uint64_t from, wl_pack_cb cb, void *ctx);
/* The same for the apps a in [0, max] with set[a] != 0. */
int wl_flow_pack_each_of(wl_store *s, const uint8_t *set, int64_t max, wl_pack_cb cb,
                         void *ctx);
/* A flows row of schemas 3-11 from columns app, dir, proto, ip_version, remote_addr,
 * remote_port, local_port, action, count, first_seen, last_seen, last_filter_id (the v10
 * migration's order). */
void wl_store_fill_flow(sqlite3_stmt *st, wl_flow *f);
/* v9 -> v10: flow_pack, filled from flows (schema.c's chain). */
int wl_schema_v10_pack(sqlite3 *db, const char *path);
/* v12 -> v13: each record's key length written from its flows row, then flows dropped; a
 * record without its row or a row without its record is WL_E_CORRUPT (nothing changed). */
int wl_schema_v13_keys(sqlite3 *db, const char *path);

#endif
