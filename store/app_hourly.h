/* app_hourly.h — the rollup's hooks into store_app_hourly.c (events per app, direction and
 * hour) and its migration. Inside store/ only. */
#ifndef WL_STORE_APP_HOURLY_H
#define WL_STORE_APP_HOURLY_H

#include "store/store_int.h"

/* One pending event (store_rollup.c's scan, drop: its context's type is a drop). write 1: inside
 * the rollup's transaction (totals written out when the table fills); 0: a read-only handle's
 * collection (they stop being added when it fills, and are then not used). */
int wl_app_hourly_row(wl_store *s, const wl_block_row *row, int drop, int write);
int wl_app_hourly_out(wl_store *s);          /* the totals into app_hourly (the rollup's all_out) */
int wl_app_hourly_partial(const wl_store *s); /* 1: write 0 filled the sums (they are not used) */
void wl_app_hourly_clear(wl_app_hourly *h);  /* NULL-safe: forget totals and flows (roll_clear) */
void wl_app_hourly_free(wl_app_hourly *h);   /* NULL-safe */
/* v7 -> v8: the table, filled from the blocks already rolled up (schema.c's chain). */
int wl_schema_app_hourly(sqlite3 *db, const char *path);

#endif
