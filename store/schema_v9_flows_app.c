/* schema_v9_flows_app.c — schema versions 9, 11 and 12 (issue 16, the write path's cost): the
 * flow key's and then the app's index on flows gone, then the totals.
 *
 * 9: no unique index on the flow key. The writer keeps every flow's key in memory instead
 * (store_flowmap.c says why); the by-app queries read flows_app, an index on (app).
 * 11: no flows_app either. Its entries landed at random places (~300 pages rewritten a commit,
 * ~4,800 instructions a new flow: a third of the store's write cost in the stress stream). The
 * by-app listing reads flow_pack (store_read.c), the held rows' coverage one pass over it
 * (store_held_cover.c). What stays is flows_app0, a partial index of the rows of app 0: always
 * empty (every flow has an app), so free to keep, it makes the rollup's check for a flow missing
 * from flows (ST_FLOWS_BAD, store_rollup.c: the upsert made it a row of app 0) a lookup, not a
 * scan of every flow.
 * 12: flows keeps each flow's key only (id, app, dir, proto, ip_version, remote_addr,
 * remote_port, local_port, action); its totals (count, first_seen, last_seen, last_filter_id)
 * live in flow_pack alone (store_flow_pack.c), which since version 10 held the same totals
 * kept in the same transactions. Every rollup rewrote the flows row of each flow it touched
 * as well as its packed record: the upsert was 16 % of the store's instructions at 1M stress
 * events (707 M of 4.47 G, callgrind) and rewrote the pages of every touched flow in the WAL.
 * A flows row is now written once, when the flow is born. flows_app0 goes too: it served the
 * upsert's check (a flow missing from flows); a rollup's flow missing from the pack is
 * WL_E_CORRUPT there. The table is rebuilt in one copy, not four DROP COLUMNs: each of those
 * rewrote the table and re-checked the whole schema (the expected schema, which every process
 * lists once by running the migrations in memory, took 22 M instructions more that way: 5 ms
 * of every `review`).
 * Called from schema.c's migration chain as "v8 -> v9", "v10 -> v11" and "v11 -> v12".
 */
#include "store/store_int.h"

const char *wl_schema_v9_flows_app(void) {
  return "DROP INDEX flows_key;"
         "CREATE INDEX flows_app ON flows(app);";
}

const char *wl_schema_v11_no_app_index(void) {
  return "DROP INDEX IF EXISTS flows_app;"
         "CREATE INDEX flows_app0 ON flows(app) WHERE app=0;";
}

const char *wl_schema_v12_keys_only(void) {
  return "DROP INDEX IF EXISTS flows_app0;"
         "CREATE TABLE flows_v12(id INTEGER PRIMARY KEY, app INTEGER NOT NULL,"
         " dir INTEGER NOT NULL, proto INTEGER NOT NULL, ip_version INTEGER NOT NULL,"
         " remote_addr BLOB NOT NULL, remote_port INTEGER NOT NULL, local_port INTEGER NOT NULL,"
         " action INTEGER NOT NULL);"
         "INSERT INTO flows_v12 SELECT id, app, dir, proto, ip_version, remote_addr, remote_port,"
         " local_port, action FROM flows ORDER BY id;"
         "DROP TABLE flows;"
         "ALTER TABLE flows_v12 RENAME TO flows;";
}
