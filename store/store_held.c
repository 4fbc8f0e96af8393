/* store_held.c — the `held` table (store/held.h, issue 19 item 3): connections seen in the
 * connection tables, its migration (v2 -> v3: wl_store_schema_v3_held, run by schema.c's
 * chain) and its queries. Statements are prepared per call: a note comes every few seconds at
 * most, a count with `status`, a list with `review`.
 */
#include <string.h>

#include "common/wl_err.h"
#include "store/held.h"
#include "store/store_int.h"

/* v2 -> v3 */
const char wl_store_schema_v3_held[] =
    "CREATE TABLE held(app TEXT NOT NULL, state INTEGER NOT NULL, proto INTEGER NOT NULL,"
    " ip_version INTEGER NOT NULL, remote_addr BLOB NOT NULL, remote_port INTEGER NOT NULL,"
    " local_port INTEGER NOT NULL, first_seen INTEGER NOT NULL, last_seen INTEGER NOT NULL,"
    " reads INTEGER NOT NULL, PRIMARY KEY(app, state, proto, ip_version, remote_addr,"
    " remote_port, local_port)) WITHOUT ROWID;"
    "CREATE INDEX held_last ON held(last_seen);";

static const char upsert_sql[] =
    "INSERT INTO held(app,state,proto,ip_version,remote_addr,remote_port,local_port,"
    "first_seen,last_seen,reads) VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?8,1) "
    "ON CONFLICT(app,state,proto,ip_version,remote_addr,remote_port,local_port)"
    " DO UPDATE SET last_seen=excluded.last_seen, reads=reads+1";
/* one-read rows gone stale, then whatever is older than the WL_HELD_MAX-th newest (ties at
 * that time may keep a few more) */
static const char prune_sql[] =
    "DELETE FROM held WHERE (reads < 2 AND last_seen < ?1) OR last_seen < (SELECT last_seen"
    " FROM held ORDER BY last_seen DESC LIMIT 1 OFFSET ?2)";
/* held h not covered by any flow of the same program */
#define UNCOVERED                                                                          \
  "NOT EXISTS (SELECT 1 FROM flows f JOIN apps a ON a.id=f.app WHERE"                      \
  " (a.path=h.app COLLATE NOCASE OR a.dos_path=h.app COLLATE NOCASE) AND f.proto=h.proto"  \
  " AND ((f.dir=2 AND f.remote_addr=h.remote_addr AND f.remote_port=h.remote_port)"        \
  " OR (f.dir=1 AND f.local_port=h.local_port)))"

static int prep(wl_store *s, const char *sql, sqlite3_stmt **st) {
  int rc = sqlite3_prepare_v2(s->db, sql, -1, st, NULL);
  return rc == SQLITE_OK ? WL_OK : wl_store_sqlerr(s, rc, "preparing a held-connections query");
}

static int upsert(wl_store *s, sqlite3_stmt *st, const wl_held *h, uint64_t now) {
  int alen = h->ip_version == 4 ? 4 : 16;
  sqlite3_reset(st);
  sqlite3_bind_text(st, 1, h->app, -1, SQLITE_STATIC);
  sqlite3_bind_int(st, 2, h->state);
  sqlite3_bind_int(st, 3, h->proto);
  sqlite3_bind_int(st, 4, h->ip_version);
  sqlite3_bind_blob(st, 5, h->remote_addr, h->state == WL_HELD_LISTEN ? 0 : alen,
                    SQLITE_STATIC);
  sqlite3_bind_int(st, 6, h->state == WL_HELD_LISTEN ? 0 : h->remote_port);
  sqlite3_bind_int(st, 7, h->local_port);
  wl_store_bind_u64(st, 8, now);
  return wl_store_step_done(s, st, "noting a held connection");
}

int wl_store_held_note(wl_store *s, const wl_held *h, size_t n, uint64_t now) {
  sqlite3_stmt *up = NULL, *pr = NULL;
  int rc = prep(s, upsert_sql, &up);
  if (rc == WL_OK)
    rc = prep(s, prune_sql, &pr);
  if (rc == WL_OK)
    rc = wl_store_txn_begin(s);
  for (size_t i = 0; rc == WL_OK && i < n; i++)
    if (h[i].app[0])
      rc = upsert(s, up, &h[i], now);
  if (rc == WL_OK) {
    wl_store_bind_u64(pr, 1, now > WL_HELD_STALE_TICKS ? now - WL_HELD_STALE_TICKS : 0);
    sqlite3_bind_int(pr, 2, (int)WL_HELD_MAX);
    rc = wl_store_step_done(s, pr, "pruning held connections");
  }
  if (rc == WL_OK)
    rc = wl_store_txn_commit(s);
  else
    wl_store_txn_abort(s);
  sqlite3_finalize(up);
  sqlite3_finalize(pr);
  return rc;
}

int wl_store_held_counts(wl_store *s, wl_held_counts *out) {
  static const char sql[] =
      "SELECT count(*), coalesce(sum(t),0), count(DISTINCT CASE WHEN t THEN app END) FROM"
      " (SELECT h.app AS app, (" UNCOVERED ") AS t FROM held h WHERE h.reads >= ?1)";
  sqlite3_stmt *st = NULL;
  memset(out, 0, sizeof *out);
  int rc = prep(s, sql, &st);
  if (rc == WL_OK) {
    sqlite3_bind_int(st, 1, (int)WL_HELD_LONG_READS);
    int r = sqlite3_step(st);
    if (r == SQLITE_ROW) {
      out->held = wl_store_col_u64(st, 0);
      out->table_only = wl_store_col_u64(st, 1);
      out->programs = wl_store_col_u64(st, 2);
    } else {
      rc = wl_store_sqlerr(s, r, "counting held connections");
    }
  }
  sqlite3_finalize(st);
  return rc;
}

int wl_store_held_list(wl_store *s, int table_only, wl_held_cb cb, void *ctx) {
  static const char sql[] =
      "SELECT h.app, h.state, h.proto, h.ip_version, h.remote_addr, h.remote_port,"
      " h.local_port, h.first_seen, h.last_seen, h.reads, (" UNCOVERED ") AS t FROM held h"
      " WHERE h.reads >= ?1 AND (?2 = 0 OR t) ORDER BY t DESC, h.app, h.first_seen";
  sqlite3_stmt *st = NULL;
  wl_held h;
  int rc = prep(s, sql, &st), r;
  if (rc != WL_OK)
    return rc;
  sqlite3_bind_int(st, 1, (int)WL_HELD_LONG_READS);
  sqlite3_bind_int(st, 2, table_only != 0);
  while ((r = sqlite3_step(st)) == SQLITE_ROW) {
    memset(&h, 0, sizeof h);
    wl_store_col_text(st, 0, h.app, sizeof h.app);
    h.state = (uint8_t)sqlite3_column_int(st, 1);
    h.proto = (uint8_t)sqlite3_column_int(st, 2);
    h.ip_version = (uint8_t)sqlite3_column_int(st, 3);
    int alen = sqlite3_column_bytes(st, 4);
    if (alen > 0 && alen <= 16)
      memcpy(h.remote_addr, sqlite3_column_blob(st, 4), (size_t)alen);
    h.remote_port = (uint16_t)sqlite3_column_int(st, 5);
    h.local_port = (uint16_t)sqlite3_column_int(st, 6);
    h.first_seen = wl_store_col_u64(st, 7);
    h.last_seen = wl_store_col_u64(st, 8);
    h.reads = wl_store_col_u64(st, 9);
    h.table_only = sqlite3_column_int(st, 10);
    if (cb(ctx, &h))
      break;
  }
  if (r != SQLITE_ROW && r != SQLITE_DONE)
    rc = wl_store_sqlerr(s, r, "listing held connections");
  sqlite3_finalize(st);
  return rc;
}
