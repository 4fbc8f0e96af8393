/* schema_v9_flows_app.c — schema versions 9 and 11 (issue 16, the write path's cost): the flow
 * key's and then the app's index on flows gone.
 *
 * 9: no unique index on the flow key. The writer keeps every flow's key in memory instead
 * (store_flowmap.c says why); the by-app queries read flows_app, an index on (app).
 * 11: no flows_app either. Its entries landed at random places (~300 pages rewritten a commit,
 * ~4,800 instructions a new flow: a third of the store's write cost in the stress stream). The
 * by-app listing reads flow_pack (store_read.c), the held rows' coverage one pass over it
 * (store_held_cover.c). What stays is flows_app0, a partial index of the rows of app 0: always
 * empty (every flow has an app), so free to keep, it makes the rollup's check for a flow missing
 * from flows (ST_FLOWS_BAD, store_rollup.c: the upsert made it a row of app 0) a lookup, not a
 * scan of every flow. Called from schema.c's migration chain as "v8 -> v9" and "v10 -> v11".
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
