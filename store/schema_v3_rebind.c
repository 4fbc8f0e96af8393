/* schema_v3_rebind.c — schema version 3 (issue 15, item 4: app updates re-bind their rule).
 *
 * A rule remembers who signed the binary it was made for (`signer`, the Authenticode signer's
 * name; "" when unsigned or unknown), so an update at a version-folder path is re-bound only
 * when its signer is the same; and, after a re-bind, the path it was bound to before
 * (`prev_app`, `prev_app_nt`), whose filters stay while that binary still exists
 * (whitelist/rebind.c says when they go). Rows written before version 3 read as "" in all
 * three: no signer known, never re-bound. One function, called from schema.c's migration chain
 * as "v2 -> v3".
 */
#include "store/store_int.h"

const char *wl_schema_v3_rebind(void) {
  return "ALTER TABLE rules ADD COLUMN signer TEXT NOT NULL DEFAULT '';"
         "ALTER TABLE rules ADD COLUMN prev_app TEXT NOT NULL DEFAULT '';"
         "ALTER TABLE rules ADD COLUMN prev_app_nt TEXT NOT NULL DEFAULT '';";
}
