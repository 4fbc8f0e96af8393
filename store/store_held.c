/* store_held.c — the `held` table (store/held.h, issue 19 item 3): connections seen in the
 * connection tables, its migration (v2 -> v3: wl_store_schema_v3_held, run by schema.c's
 * chain) and its note. Statements are prepared per call: a note comes every few seconds at
 * most. The counts (`status`) and the listing (`review`) are in store_held_cover.c.
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
