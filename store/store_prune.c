/* store_prune.c — retention: the write path drops whole event blocks once they are older than
 * the window or the database has outgrown its size budget (wl_store_opts.retain_ticks and
 * retain_bytes), a bounded slice in each batch's transaction (store_write.c's batch_end).
 */
#include "store/store_int.h"

/* Drop whole blocks, oldest first, at most about 2 x stored + WL_STORE_PRUNE_MIN events of
 * them (at least one block): those whose newest event is older than the newest event minus
 * retain_ticks, or the oldest ones while the database's used pages exceed retain_bytes. More
 * than a batch brings, so a backlog drains; bounded, so no stall. A block still pending is
 * rolled up first (its events must reach the rollups before they go). */
int wl_store_prune(wl_store *s) {
  sqlite3_stmt *st;
  int rc;
  int64_t used = 0;
  uint64_t cutoff = s->last_ts > s->retain_ticks ? s->last_ts - s->retain_ticks : 0;
  uint64_t budget = 2 * s->tot.stored + WL_STORE_PRUNE_MIN, seqs[64];
  size_t nseq = 0;
  int rolled = 0;
  if (!(st = wl_st(s, ST_USED_BYTES)) ||
      (rc = wl_store_step_int64(s, st, &used, "pruning")) != WL_OK)
    return st ? rc : WL_E_DB;
  int by_size = (uint64_t)used > s->retain_bytes;
  for (;;) {
    if (!(st = wl_st(s, ST_PRUNE_SCAN)))
      return WL_E_DB;
    sqlite3_bind_int64(st, 1, (int64_t)(sizeof seqs / sizeof seqs[0]));
    int r, again = 0;
    nseq = 0;
    uint64_t take = 0;
    while ((r = sqlite3_step(st)) == SQLITE_ROW) {
      uint64_t ts_max = wl_store_col_u64(st, 1), n = wl_store_col_u64(st, 2);
      if (!by_size && ts_max >= cutoff)
        continue;
      if (nseq && take + n > budget)
        break;
      if (sqlite3_column_int(st, 3) && !rolled) {
        again = 1; /* roll the pending blocks up, then scan again */
        break;
      }
      seqs[nseq++] = wl_store_col_u64(st, 0);
      take += n;
      s->tot.pruned += n;
    }
    sqlite3_reset(st);
    if (r != SQLITE_ROW && r != SQLITE_DONE)
      return wl_store_sqlerr(s, r, "pruning");
    if (!again)
      break;
    s->tot.pruned -= take;
    if ((rc = wl_rollup_run(s)) != WL_OK)
      return rc;
    rolled = 1;
  }
  for (size_t i = 0; i < nseq; i++) {
    if (!(st = wl_st(s, ST_BLOCK_DEL)))
      return WL_E_DB;
    wl_store_bind_u64(st, 1, seqs[i]);
    if ((rc = wl_store_step_done(s, st, "pruning old events")) != WL_OK)
      return rc;
  }
  return WL_OK;
}
