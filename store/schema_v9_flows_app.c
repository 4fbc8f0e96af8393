/* schema_v9_flows_app.c — schema version 9 (issue 16, the write path's cost): no unique index on
 * the flow key. The writer keeps every flow's key in memory instead (store_flowmap.c says why);
 * the by-app queries (the review page's flows of one app, held connections) read flows_app.
 * One SQL text, called from schema.c's migration chain as "v8 -> v9".
 */
#include "store/store_int.h"

const char *wl_schema_v9_flows_app(void) {
  return "DROP INDEX flows_key;"
         "CREATE INDEX flows_app ON flows(app);";
}
