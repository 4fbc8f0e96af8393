/* schema_v3_blocks.c — migration v2 -> v3 (issue 16): raw events as compressed column blocks.
 *
 * Version 3 makes flows a table keyed by its id (the flow key a unique index, flows_key), and
 * replaces the events table (a row per event, ~30 bytes each) with
 *   blocks(seq, ts_min, ts_max, n, data)   one row per batch: data is store_block.c's format,
 *                                           ts_min/ts_max its first and last event's time
 *                                           (blocks_ts: reads by time and retention by age)
 *   pending(seq)                            blocks whose events are not in the rollups yet
 *                                           (store_rollup.c)
 * The rows of an existing events table become blocks of WL_STORE_BLOCK_MAX events in (ts, id)
 * order; their events are already in the rollups, so none is pending. Then events goes. Runs
 * inside schema.c's migration transaction: a failure leaves the file at version 2. On an empty
 * database (a new store, or schema.c's in-memory copy of the expected schema) only the DDL runs.
 */
#include <stdlib.h>
#include <string.h>

#include "common/wl_err.h"
#include "store/store_int.h"

static const char v3_ddl[] =
    /* flows keyed by id (a rowid table), the flow key a unique index: a rollup adds to flows
     * by id, one seek each, in id order; new flows append (issue 16) */
    "CREATE TABLE flows_v3(id INTEGER PRIMARY KEY, app INTEGER NOT NULL, dir INTEGER NOT NULL,"
    " proto INTEGER NOT NULL, ip_version INTEGER NOT NULL, remote_addr BLOB NOT NULL,"
    " remote_port INTEGER NOT NULL, local_port INTEGER NOT NULL, action INTEGER NOT NULL,"
    " count INTEGER NOT NULL, first_seen INTEGER NOT NULL, last_seen INTEGER NOT NULL,"
    " last_filter_id INTEGER NOT NULL);"
    "INSERT INTO flows_v3 SELECT id, app, dir, proto, ip_version, remote_addr, remote_port,"
    " local_port, action, count, first_seen, last_seen, last_filter_id FROM flows ORDER BY id;"
    "DROP TABLE flows;"
    "ALTER TABLE flows_v3 RENAME TO flows;"
    "CREATE UNIQUE INDEX flows_key ON flows(app, dir, proto, ip_version, remote_addr,"
    " remote_port, local_port, action);"
    "CREATE TABLE blocks(seq INTEGER PRIMARY KEY, ts_min INTEGER NOT NULL,"
    " ts_max INTEGER NOT NULL, n INTEGER NOT NULL, data BLOB NOT NULL);"
    "CREATE INDEX blocks_ts ON blocks(ts_min);"
    "CREATE TABLE pending(seq INTEGER PRIMARY KEY);";

/* One block of rows[0..n) into blocks. */
static int put_block(sqlite3 *db, const char *path, sqlite3_stmt *ins, wl_block_codec *z,
                     wl_block_row *rows, size_t n) {
  const void *data;
  size_t len;
  int rc = wl_block_encode(z, rows, n, &data, &len);
  if (rc != WL_OK)
    return wl_err_prefix(rc, "%s: migrating events to blocks", path);
  sqlite3_bind_int64(ins, 1, (sqlite3_int64)rows[0].ts);
  sqlite3_bind_int64(ins, 2, (sqlite3_int64)rows[n - 1].ts);
  sqlite3_bind_int64(ins, 3, (sqlite3_int64)n);
  sqlite3_bind_blob(ins, 4, data, (int)len, SQLITE_STATIC);
  rc = sqlite3_step(ins);
  sqlite3_reset(ins);
  return rc == SQLITE_DONE ? WL_OK : wl_store_sqlerr_at(db, path, rc, "migrating events to blocks");
}

/* The rows of events, in (ts, id) order, into blocks. The port column kept the port minus
 * 32768, NULL when unknown (schema.c's version-1 notes). */
static int convert(sqlite3 *db, const char *path, wl_block_codec *z, wl_block_row *rows) {
  sqlite3_stmt *sel = NULL, *ins = NULL;
  int rc = sqlite3_prepare_v2(db, "SELECT ts, flow, port, ctx FROM events ORDER BY ts, id", -1,
                              &sel, NULL);
  if (rc == SQLITE_OK)
    rc = sqlite3_prepare_v2(db, "INSERT INTO blocks(ts_min,ts_max,n,data) VALUES(?1,?2,?3,?4)",
                            -1, &ins, NULL);
  int ret = rc == SQLITE_OK ? WL_OK : wl_store_sqlerr_at(db, path, rc, "migrating events to blocks");
  size_t n = 0;
  while (ret == WL_OK && (rc = sqlite3_step(sel)) == SQLITE_ROW) {
    wl_block_row *r = &rows[n++];
    r->ts = (uint64_t)sqlite3_column_int64(sel, 0);
    r->flow = (uint64_t)sqlite3_column_int64(sel, 1);
    r->port = sqlite3_column_type(sel, 2) == SQLITE_NULL
                  ? 0
                  : wl_block_port_put(1, (uint16_t)(sqlite3_column_int(sel, 2) + 32768));
    r->ctx = (uint64_t)sqlite3_column_int64(sel, 3);
    r->pad = 0;
    if (n == WL_STORE_BLOCK_MAX) {
      ret = put_block(db, path, ins, z, rows, n);
      n = 0;
    }
  }
  if (ret == WL_OK && rc != SQLITE_DONE)
    ret = wl_store_sqlerr_at(db, path, rc, "reading events to migrate");
  if (ret == WL_OK && n)
    ret = put_block(db, path, ins, z, rows, n);
  sqlite3_finalize(sel);
  sqlite3_finalize(ins);
  return ret;
}

int wl_schema_v3_blocks(sqlite3 *db, const char *path) {
  int rc = sqlite3_exec(db, v3_ddl, NULL, NULL, NULL);
  if (rc != SQLITE_OK)
    return wl_store_sqlerr_at(db, path, rc, "migrating the schema to version 3");
  wl_block_codec z;
  wl_block_row *rows = malloc(WL_STORE_BLOCK_MAX * sizeof *rows);
  int ret = rows ? wl_block_codec_init(&z) : wl_err(WL_E_NOMEM, "%s: no memory to migrate", path);
  if (ret != WL_OK) {
    free(rows);
    return ret;
  }
  ret = convert(db, path, &z, rows);
  wl_block_codec_free(&z);
  free(rows);
  if (ret == WL_OK && (rc = sqlite3_exec(db, "DROP TABLE events", NULL, NULL, NULL)) != SQLITE_OK)
    ret = wl_store_sqlerr_at(db, path, rc, "dropping the old events table");
  return ret;
}
