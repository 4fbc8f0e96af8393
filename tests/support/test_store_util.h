/* test_store_util.h — helpers shared by the store's cmocka tests (test_store_util.c). */
#ifndef TEST_STORE_UTIL_H
#define TEST_STORE_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "store/store.h"
#include "tests/support/test_store_gen.h"

#define MINUTE (60ull * 10000000ull)
#define HOUR (60 * MINUTE)
#define DAY (24 * HOUR)

extern char db_path[1024]; /* this test's database, set by setup_path */
void remove_db(const char *p);
int setup_path(void **state);
int teardown_path(void **state);
wl_store *open_ok(const wl_store_opts *o);
void raw_exec(const char *sql);
/* SQL that takes a current store back to what version 2 wrote: undoes migrations 3.. (rows of the
 * raw events and flows are not kept: the tests that need them build version-2 data
 * themselves, test_store_migrate; add the
 * new migration's undo here when WL_STORE_SCHEMA_VERSION grows; then set schema_version). */
/* Version 9 undone (schema_v9_flows_app.c): the unique key index back. */
#define TSU_UNDO_V9                                                                        \
  "DROP INDEX flows_app;"                                                                   \
  "CREATE UNIQUE INDEX flows_key ON flows(app, dir, proto, ip_version, remote_addr,"        \
  " remote_port, local_port, action);"
/* Version 13 undone (store_flow_pack.c), the schema only: the flows table of the keys, empty.
 * tsu_undo_v13 also fills it from flow_pack and writes flow_pack's records as schema 12 did. */
#define TSU_UNDO_V13_SCHEMA                                                                \
  "CREATE TABLE flows(id INTEGER PRIMARY KEY, app INTEGER NOT NULL, dir INTEGER NOT NULL,"  \
  " proto INTEGER NOT NULL, ip_version INTEGER NOT NULL, remote_addr BLOB NOT NULL,"        \
  " remote_port INTEGER NOT NULL, local_port INTEGER NOT NULL, action INTEGER NOT NULL);"
/* Version 13 undone with the data: flows holds every packed flow's key (its remote_addr as many
 * bytes as the key has), flow_pack's records lose their key lengths (bits 5-6 of the length
 * byte and the byte after an odd-sized address), schema_version 12. */
void tsu_undo_v13(void);
/* Version 12 undone (schema_v9_flows_app.c), the schema only: flows' total columns (all 0) and
 * flows_app0 back. tsu_undo_v12 also fills the totals from flow_pack. */
#define TSU_UNDO_V12_SCHEMA                                                                \
  "ALTER TABLE flows ADD COLUMN count INTEGER NOT NULL DEFAULT 0;"                         \
  "ALTER TABLE flows ADD COLUMN first_seen INTEGER NOT NULL DEFAULT 0;"                    \
  "ALTER TABLE flows ADD COLUMN last_seen INTEGER NOT NULL DEFAULT 0;"                     \
  "ALTER TABLE flows ADD COLUMN last_filter_id INTEGER NOT NULL DEFAULT 0;"                \
  "CREATE INDEX flows_app0 ON flows(app) WHERE app=0;"
/* Versions 13 and 12 undone with the data: as tsu_undo_v13, and the flows get flow_pack's
 * totals back (what schema 11 kept in both), read through a read-only handle; schema_version
 * 11. Then SQL of TSU_UNDO_V11... may follow, and a schema_version below. */
void tsu_undo_v12(void);
/* The flows of the store at db_path (flow_pack, through a read-only handle), and how many
 * distinct keys they have (key bytes as the key holds them: wl_pack_flow.alen). */
void tsu_flow_keys(uint64_t *flows, uint64_t *distinct);
/* ATTACH ':memory:' AS v12 on db with a table v12.flows as schema 12 had it, filled with every
 * flow of the store at db_path: for SQL written against flows (an old query as an oracle). */
void tsu_attach_flows(sqlite3 *db);
/* The events counted in every flow of the store at db_path (wl_store_flows through a
 * read-only handle: the committed rollups and pending blocks). */
uint64_t tsu_flow_events(void);
/* Version 11 undone (schema_v9_flows_app.c): flows_app back, flows_app0 gone. */
#define TSU_UNDO_V11 "DROP INDEX flows_app0; CREATE INDEX flows_app ON flows(app);"
/* Version 10 undone (store_flow_pack.c). */
#define TSU_UNDO_V10 "DROP TABLE flow_pack;"
#define TSU_UNDO_TO_V2                                                                     \
  TSU_UNDO_V13_SCHEMA TSU_UNDO_V12_SCHEMA TSU_UNDO_V11 TSU_UNDO_V10 TSU_UNDO_V9                                                     \
  "DROP TABLE app_hourly;" /* 8: store_app_hourly.c */                                      \
  "ALTER TABLE rules DROP COLUMN signer; ALTER TABLE rules DROP COLUMN prev_app;"         \
  "ALTER TABLE rules DROP COLUMN prev_app_nt;" /* 3: schema_v3_rebind.c */                 \
  "DROP TABLE hits_hourly; ALTER TABLE rules DROP COLUMN expires;" /* 4: store_hits.c */   \
  "DROP TABLE held;" /* 5: store_held.c (7 goes with pending) */ \
  "DROP TABLE blocks; DROP TABLE pending; DROP TABLE flows;" /* 6: schema_v3_blocks.c */    \
  "CREATE TABLE flows(app INTEGER NOT NULL, dir INTEGER NOT NULL, proto INTEGER NOT NULL,"   \
  " ip_version INTEGER NOT NULL, remote_addr BLOB NOT NULL, remote_port INTEGER NOT NULL,"  \
  " local_port INTEGER NOT NULL, action INTEGER NOT NULL, id INTEGER NOT NULL,"             \
  " count INTEGER NOT NULL, first_seen INTEGER NOT NULL, last_seen INTEGER NOT NULL,"       \
  " last_filter_id INTEGER NOT NULL, PRIMARY KEY(app, dir, proto, ip_version, remote_addr," \
  " remote_port, local_port, action)) WITHOUT ROWID;"                                       \
  "CREATE UNIQUE INDEX flows_id ON flows(id);"                                              \
  "CREATE TABLE events(ts INTEGER NOT NULL, id INTEGER NOT NULL, flow INTEGER NOT NULL,"    \
  " port INTEGER, ctx INTEGER NOT NULL, PRIMARY KEY(ts, id)) WITHOUT ROWID;"
int64_t raw_int(const char *sql);
/* n events, ts advancing by 0..step with some out-of-order jitter. */
wl_event *make_stream(size_t n, uint32_t nflows, uint32_t napps, uint64_t seed, uint64_t step);
/* Writes ev in batches of odd sizes (1 .. 9000), with counters. */
void write_batches(wl_store *s, const wl_event *ev, size_t n, uint64_t seed);
/* A writer (rollups every few hundred events) given ev[0..7000) and other[0..6000) (other
 * flows), with a batch of other whose rollup fails after writing the rollups (a trigger on
 * drops_hourly, written last) and is rolled back (WL_E_INVAL "injected"); the rest then written.
 * What the store holds must be as if that batch had never been tried. */
void write_past_failed_rollup(wl_store *s, const wl_event *ev, const wl_event *other);

typedef struct app_names {
  int64_t id[256];
  char path[256][128];
  wl_app_summary sum[256];
  int n;
} app_names;
int collect_app(void *ctx, const wl_app_summary *a); /* wl_app_cb into an app_names */
int count_event(void *ctx, const wl_event *ev);      /* wl_event_cb: ++*(uint64_t *)ctx */

/* Every flow of the store is one of the model's and every model flow is there (all apps and
 * app by app); per-app totals; drops by filter since `since` (name70001: the attribution
 * expected for filter 70001, NULL none); raw events in [since, until) in time order. */
void compare_flows(wl_store *s, const tsg_model *m, const app_names *apps);
void compare_apps(const tsg_model *m, const app_names *apps);
void compare_drops(wl_store *s, const wl_event *ev, size_t n, uint64_t since,
                   const char *name70001);
void compare_events(wl_store *s, const wl_event *ev, size_t n, uint64_t since, uint64_t until);

#endif
