/* flow_pack.h — store_flow_pack.c: the packed flows (keys and, since schema 12, the only copy
 * of their totals) that the listing of every flow reads (issue 16), the write path's and the
 * rollup's hooks that keep it, and its migration. Inside store/ only. */
#ifndef WL_STORE_FLOW_PACK_H
#define WL_STORE_FLOW_PACK_H

#include "store/store_int.h"

typedef struct wl_pack_flow {
  wl_flow f;
  uint64_t id;
} wl_pack_flow;

/* The rollup's totals t[used[0..n)] (sorted by id) added to the packed records, in its
 * transaction (flows_out); WL_E_CORRUPT naming the flow when one is not packed. */
int wl_flow_pack_add(wl_store *s, const wl_htab *t, const uint32_t *used, uint32_t n);
/* After the write path inserted a block's new flows (fresh[i] with real == 0; ids ascending),
 * in its transaction: the same rows appended (store_write.c's flows_flush). */
int wl_flow_pack_born(wl_store *s, const wl_new_flow *fresh, uint32_t n);
/* Every flow of the flows table as it is in this transaction (of app `app` only when app >= 0:
 * the others' records are skipped undecoded), in id order. cb returns non-zero to stop
 * (returned). */
typedef int (*wl_pack_cb)(void *ctx, const wl_pack_flow *f);
int wl_flow_pack_each(wl_store *s, int64_t app, wl_pack_cb cb, void *ctx);
/* The same for the apps a in [0, max] with set[a] != 0. */
int wl_flow_pack_each_of(wl_store *s, const uint8_t *set, int64_t max, wl_pack_cb cb,
                         void *ctx);
/* A flows row of schemas 3-11 from columns app, dir, proto, ip_version, remote_addr,
 * remote_port, local_port, action, count, first_seen, last_seen, last_filter_id (the v10
 * migration's order). */
void wl_store_fill_flow(sqlite3_stmt *st, wl_flow *f);
/* v9 -> v10: flow_pack, filled from flows (schema.c's chain). */
int wl_schema_v10_pack(sqlite3 *db, const char *path);

#endif
