/* schema_v7_born.c — schema version 7 (issue 16, the write path's cost): a pending block says
 * which flows were born in it.
 *
 * The flows first seen in a block are added to flows with that block's totals already in them
 * (count, first and last seen, last filter) and their apps' totals too, in the block's own
 * transaction (store_write.c: flows_flush), so that a rollup need not update them again when
 * no later block names them. pending(born_lo, born_hi) is the range of flow ids born in the
 * block: a rollup (store_rollup.c) adds the block's events of those flows to drops_hourly only.
 * Rows written before version 7 read 0, 0: no flow born, every event rolled up as before.
 * One function, called from schema.c's migration chain as "v6 -> v7".
 */
#include "store/store_int.h"

const char *wl_schema_v7_born(void) {
  return "ALTER TABLE pending ADD COLUMN born_lo INTEGER NOT NULL DEFAULT 0;"
         "ALTER TABLE pending ADD COLUMN born_hi INTEGER NOT NULL DEFAULT 0;";
}
