/* store.c — the store handle: open (files, pragmas, schema), close, the table of prepared
 * statements every other db/ file uses, the one translation of SQLite errors into WL_E_* codes
 * with the file named in the message, transactions, meta values and counters, and filter
 * attribution.
 *
 * Statements are prepared on first use with SQLITE_PREPARE_PERSISTENT and kept until close, so
 * the write path never re-parses SQL. wl_st() hands a statement back reset and unbound.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/wl_err.h"
#include "common/wl_os.h"
#include "common/wl_text.h"
#include "store/store_int.h"

static const char *const st_sql[ST_COUNT] = {
    [ST_BEGIN] = "BEGIN IMMEDIATE",
    [ST_COMMIT] = "COMMIT",
    [ST_ROLLBACK] = "ROLLBACK",
    [ST_SAVEPOINT] = "SAVEPOINT wl_batch",
    [ST_RELEASE] = "RELEASE wl_batch",
    [ST_ROLLBACK_TO] = "ROLLBACK TO wl_batch",
    [ST_META_GET] = "SELECT value FROM meta WHERE key=?1",
    [ST_META_SET] = "INSERT INTO meta(key,value) VALUES(?1,?2) "
                    "ON CONFLICT(key) DO UPDATE SET value=excluded.value",
    [ST_COUNTER_ADD] = "INSERT INTO meta(key,value) VALUES(?1,?2) "
                       "ON CONFLICT(key) DO UPDATE SET value=CAST(value AS INTEGER)+excluded.value",
    [ST_APP_FIND] = "SELECT id, dos_path FROM apps WHERE path=?1",
    [ST_APP_INSERT] = "INSERT INTO apps(path,dos_path,first_seen,last_seen,truncated) "
                      "VALUES(?1,?2,?3,?3,?4)",
    [ST_APP_SET_DOS] = "UPDATE apps SET dos_path=?2 WHERE id=?1",
    [ST_APP_ADD] = "UPDATE apps SET allowed=allowed+?2, blocked=blocked+?3, "
                   "endpoints=endpoints+?4, first_seen=min(first_seen,?5), "
                   "last_seen=max(last_seen,?6) WHERE id=?1",
    [ST_SID_FIND] = "SELECT id FROM sids WHERE sid=?1",
    [ST_SID_INSERT] = "INSERT INTO sids(sid) VALUES(?1)",
    [ST_CTX_FIND] = "SELECT id FROM ctx WHERE bits=?1 AND filter_id=?2 AND layer=?3 AND "
                    "local_addr=?4 AND reauth=?5 AND user=?6 AND package=?7",
    [ST_CTX_INSERT] = "INSERT INTO ctx(bits,filter_id,layer,local_addr,reauth,user,package) "
                      "VALUES(?1,?2,?3,?4,?5,?6,?7)",
    [ST_DROP_ADD] = "INSERT INTO drops_hourly(hour,filter_id,count) VALUES(?1,?2,?3) "
                    "ON CONFLICT(hour,filter_id) DO UPDATE SET count=count+excluded.count",
    [ST_KEY_INSERT] = "INSERT OR IGNORE INTO import_keys(key) VALUES(?1)",
    [ST_BLOCK_INSERT] = "INSERT INTO blocks(ts_min,ts_max,n,data) VALUES(?1,?2,?3,?4)",
    [ST_PENDING_INSERT] = "INSERT INTO pending(seq,born_lo,born_hi) VALUES(?1,?2,?3)",
    [ST_PENDING_SCAN] = "SELECT b.data, p.born_lo, p.born_hi FROM pending p "
                        "JOIN blocks b ON b.seq=p.seq ORDER BY p.seq",
    [ST_PENDING_CLEAR] = "DELETE FROM pending",
    [ST_PENDING_SEQS] = "SELECT seq FROM pending ORDER BY seq",
    [ST_PENDING_ANY] = "SELECT EXISTS(SELECT 1 FROM pending)",
    [ST_CTX_INFO] = "SELECT bits, filter_id FROM ctx WHERE id=?1",
    [ST_PRUNE_SCAN] = "SELECT seq, ts_max, n, seq IN (SELECT seq FROM pending) FROM blocks "
                      "ORDER BY ts_min, seq LIMIT ?1",
    [ST_BLOCK_DEL] = "DELETE FROM blocks WHERE seq=?1",
    [ST_USED_BYTES] = "SELECT (p.page_count-f.freelist_count)*z.page_size "
                      "FROM pragma_page_count() p, pragma_freelist_count() f, pragma_page_size() z",
    [ST_FILTER_PUT] = "INSERT OR REPLACE INTO filters_seen(filter_id,name,provider,sublayer,"
                      "action,ours,filter_key,provider_key) VALUES(?1,?2,?3,?4,?5,?6,?7,?8)",
    [ST_FILTER_GET] = "SELECT name,provider,sublayer,action,ours,filter_key,provider_key "
                      "FROM filters_seen WHERE filter_id=?1",
    [ST_STATS_COUNTS] = "SELECT (SELECT count(*) FROM apps), (SELECT count(*) FROM rules)",
    [ST_APPS] = "SELECT id,path,dos_path,allowed,blocked,endpoints,first_seen,last_seen,truncated "
                "FROM apps WHERE last_seen>=?1 ORDER BY allowed+blocked DESC, id",
    [ST_DROPS] = "SELECT d.filter_id, sum(d.count) AS c, f.name, f.provider, f.sublayer, "
                 "f.action, f.ours, f.filter_key, f.provider_key FROM drops_hourly d "
                 "LEFT JOIN filters_seen f ON f.filter_id=d.filter_id "
                 "WHERE d.hour>=?1 GROUP BY d.filter_id ORDER BY c DESC, d.filter_id",
    [ST_BLOCKS_RANGE] = "SELECT seq, ts_min, data FROM blocks WHERE ts_min<?2 AND ts_max>=?1 "
                        "ORDER BY ts_min, seq",
    [ST_CTX_BY_ID] = "SELECT c.bits, c.filter_id, c.layer, c.local_addr, c.reauth, u.sid, p.sid "
                     "FROM ctx c LEFT JOIN sids u ON u.id=c.user "
                     "LEFT JOIN sids p ON p.id=c.package WHERE c.id=?1",
    [ST_APP_BY_ID] = "SELECT path, dos_path FROM apps WHERE id=?1",
    [ST_RULE_ADD] = "INSERT INTO rules(app,app_nt,dir,proto,scope,ports,remotes,user,package,"
                    "filters,evidence,origin,created,signer,prev_app,prev_app_nt,expires) "
                    "VALUES(?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18)",
    [ST_RULE_UPDATE] = "UPDATE rules SET app=?2,app_nt=?3,dir=?4,proto=?5,scope=?6,ports=?7,"
                       "remotes=?8,user=?9,package=?10,filters=?11,evidence=?12,origin=?13,"
                       "created=?14,signer=?15,prev_app=?16,prev_app_nt=?17,"
                       "expires=?18 WHERE id=?1",
    [ST_RULE_GET] = "SELECT id,app,app_nt,dir,proto,scope,ports,remotes,user,package,filters,"
                    "evidence,origin,created,signer,prev_app,prev_app_nt,expires FROM rules WHERE id=?1",
    [ST_RULE_DEL] = "DELETE FROM rules WHERE id=?1",
    [ST_RULES] = "SELECT id,app,app_nt,dir,proto,scope,ports,remotes,user,package,filters,"
                 "evidence,origin,created,signer,prev_app,prev_app_nt,expires FROM rules ORDER BY id",
    [ST_HITS_ADD] = WL_STORE_HITS_ADD_SQL, /* store_hits.c */
};

/* ---------------------------------------------------------------- errors */

/* Disk full shows up as SQLITE_FULL (the unix VFS maps ENOSPC to it; os_win.c's winWrite maps
 * ERROR_DISK_FULL / ERROR_HANDLE_DISK_FULL), or on POSIX as SQLITE_IOERR_WRITE whose errno is
 * EFBIG when a file size limit (ulimit -f) is hit, or ENOSPC on a path SQLite does not map. */
static int errno_says_full(int e) { return e == ENOSPC || e == EFBIG; }

/* The errno of the last failure on the database file or on its WAL (the WAL's file object is
 * reached through SQLITE_FCNTL_JOURNAL_POINTER; sqlite3_system_errno may have been
 * overwritten by the rollback that followed). Only meaningful for the unix VFS: returns that
 * errno when it says "full", else 0. */
static int full_errno(sqlite3 *db) {
  sqlite3_vfs *vfs = sqlite3_vfs_find(NULL);
  if (!vfs || strncmp(vfs->zName, "unix", 4) != 0)
    return 0;
  int e = sqlite3_system_errno(db);
  if (errno_says_full(e))
    return e;
  if (sqlite3_file_control(db, "main", SQLITE_FCNTL_LAST_ERRNO, &e) == SQLITE_OK &&
      errno_says_full(e))
    return e;
  sqlite3_file *wal = NULL;
  e = 0;
  if (sqlite3_file_control(db, "main", SQLITE_FCNTL_JOURNAL_POINTER, &wal) == SQLITE_OK && wal &&
      wal->pMethods && wal->pMethods->xFileControl(wal, SQLITE_FCNTL_LAST_ERRNO, &e) == SQLITE_OK)
    return errno_says_full(e) ? e : 0;
  return 0;
}

/* 0: not a full disk; else the OS error to report (-1 when SQLite said SQLITE_FULL). */
static int disk_full(sqlite3 *db, int rc) {
  if ((rc & 0xff) == SQLITE_FULL)
    return db && sqlite3_system_errno(db) ? sqlite3_system_errno(db) : -1;
  return (rc & 0xff) == SQLITE_IOERR && db ? full_errno(db) : 0;
}

static int code_of(sqlite3 *db, int rc) {
  if (disk_full(db, rc))
    return WL_E_NOSPACE;
  switch (rc & 0xff) {
  case SQLITE_BUSY:
  case SQLITE_LOCKED: return WL_E_BUSY;
  case SQLITE_READONLY: return WL_E_READONLY;
  case SQLITE_CORRUPT:
  case SQLITE_NOTADB: return WL_E_CORRUPT;
  case SQLITE_PERM:
  case SQLITE_AUTH: return WL_E_PERM;
  case SQLITE_NOMEM: return WL_E_NOMEM;
  case SQLITE_IOERR:
  case SQLITE_CANTOPEN: return WL_E_IO;
  case SQLITE_CONSTRAINT:
  case SQLITE_MISMATCH:
  case SQLITE_RANGE: return WL_E_INVAL;
  default: return WL_E_DB;
  }
}

int wl_store_sqlerr(wl_store *s, int rc, const char *what) {
  return wl_store_sqlerr_at(s ? s->db : NULL, s && s->path ? s->path : "store", rc, what);
}

int wl_store_sqlerr_at(sqlite3 *db, const char *path, int rc, const char *what) {
  const char *msg = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  int code = code_of(db, rc), sys = db ? sqlite3_system_errno(db) : 0;
  uint64_t free_bytes = 0;
  switch (code) {
  case WL_E_NOSPACE:
    sys = disk_full(db, rc);
    if (wl_os_free_bytes(path, &free_bytes) != WL_OK)
      free_bytes = 0;
    return wl_err(code, "%s: disk full while %s (%s, os error %d; %llu bytes free); "
                  "the batch was not written, everything committed before is kept",
                  path, what, msg, sys, (unsigned long long)free_bytes);
  case WL_E_BUSY:
    return wl_err(code, "%s: the store is locked by another process while %s (%s)", path, what,
                  msg);
  case WL_E_READONLY:
    return wl_err(code, "%s: the store is read-only while %s (%s); check the file's "
                  "permissions and the medium", path, what, msg);
  case WL_E_CORRUPT:
    return wl_err(code, "%s: the database file is damaged or not a database (%s: %s)", path,
                  what, msg);
  default:
    return wl_err(code, "%s: %s failed: %s (sqlite %d, os error %d)", path, what, msg, rc, sys);
  }
}

/* ---------------------------------------------------------------- statements */

sqlite3_stmt *wl_st(wl_store *s, enum wl_st id) {
  sqlite3_stmt *st = s->st[id];
  if (st) {
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return st;
  }
  int rc = sqlite3_prepare_v3(s->db, st_sql[id], -1, SQLITE_PREPARE_PERSISTENT, &s->st[id], NULL);
  if (rc != SQLITE_OK) {
    wl_store_sqlerr(s, rc, "preparing a statement");
    s->st[id] = NULL;
    return NULL;
  }
  return s->st[id];
}

int wl_store_step_done(wl_store *s, sqlite3_stmt *st, const char *what) {
  int rc = sqlite3_step(st);
  sqlite3_reset(st);
  if (rc == SQLITE_DONE || rc == SQLITE_ROW)
    return WL_OK;
  return wl_store_sqlerr(s, rc, what);
}

int wl_store_step_int64(wl_store *s, sqlite3_stmt *st, int64_t *out, const char *what) {
  int rc = sqlite3_step(st);
  *out = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
  sqlite3_reset(st);
  return rc == SQLITE_ROW || rc == SQLITE_DONE ? WL_OK : wl_store_sqlerr(s, rc, what);
}

int wl_store_exec(wl_store *s, const char *sql, const char *what) {
  int rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL);
  return rc == SQLITE_OK ? WL_OK : wl_store_sqlerr(s, rc, what);
}

/* Ticks, filter ids and import keys are uint64 kept bit-exact in SQLite's int64. */
void wl_store_bind_u64(sqlite3_stmt *st, int i, uint64_t v) {
  sqlite3_bind_int64(st, i, (sqlite3_int64)v);
}

uint64_t wl_store_col_u64(sqlite3_stmt *st, int i) {
  return (uint64_t)sqlite3_column_int64(st, i);
}

void wl_store_col_text(sqlite3_stmt *st, int i, char *out, size_t cap) {
  const unsigned char *t = sqlite3_column_text(st, i);
  wl_strlcpy(out, t ? (const char *)t : "", cap);
}

/* ---------------------------------------------------------------- transactions */

int wl_store_txn_begin(wl_store *s) {
  /* Inside wl_store_begin, SQLite may have rolled the whole transaction back on an earlier
   * error (SQLITE_NOMEM, _FULL, _IOERR): a savepoint would then start a transaction of its own
   * and its release commit the batch, which the caller believes part of theirs. */
  if (s->in_txn && sqlite3_get_autocommit(s->db))
    return wl_err(WL_E_DB, "%s: the transaction was rolled back after an earlier error; "
                  "roll it back and begin again", s->path);
  sqlite3_stmt *st = wl_st(s, s->in_txn ? ST_SAVEPOINT : ST_BEGIN);
  return st ? wl_store_step_done(s, st, "starting a transaction") : WL_E_DB;
}

int wl_store_txn_commit(wl_store *s) {
  sqlite3_stmt *st = wl_st(s, s->in_txn ? ST_RELEASE : ST_COMMIT);
  return st ? wl_store_step_done(s, st, "committing a transaction") : WL_E_DB;
}

/* One of the undo statements (ST_ROLLBACK, ST_ROLLBACK_TO, ST_RELEASE), which
 * wl_store_write_init prepares up front: undoing then parses no SQL, so it does not fail for
 * want of memory, which would leave SQLite's transaction open while the handle believes it
 * closed. SQLITE_OK or SQLite's code; the message is left alone. */
static int undo(wl_store *s, enum wl_st id) {
  sqlite3_stmt *st = wl_st(s, id);
  if (!st)
    return SQLITE_NOMEM;
  int rc = sqlite3_step(st);
  sqlite3_reset(st);
  return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* Roll back without touching the message of the error that caused it. */
void wl_store_txn_abort(wl_store *s) {
  if (sqlite3_get_autocommit(s->db))
    return; /* SQLite already rolled everything back; in_txn stays: see wl_store_txn_begin */
  if (s->in_txn) {
    if (undo(s, ST_ROLLBACK_TO) == SQLITE_OK)
      undo(s, ST_RELEASE);
    return;
  }
  undo(s, ST_ROLLBACK);
}

int wl_store_begin(wl_store *s) {
  if (!s || s->in_txn)
    return wl_err(WL_E_INVAL, "wl_store_begin: %s", s ? "a transaction is already open" : "NULL");
  int rc = wl_store_exec(s, "BEGIN IMMEDIATE", "starting a transaction");
  /* another process may have written since: the marks are what meta holds now */
  if (rc == WL_OK && !s->read_only && s->chunk && (rc = wl_store_write_load(s)) != WL_OK)
    undo(s, ST_ROLLBACK);
  if (rc == WL_OK) {
    s->in_txn = 1;
    wl_store_write_mark(s);
  }
  return rc;
}

int wl_store_commit(wl_store *s) {
  if (!s || !s->in_txn)
    return wl_err(WL_E_INVAL, "wl_store_commit: no transaction is open");
  int rc = wl_store_exec(s, "COMMIT", "committing");
  s->in_txn = 0;
  if (rc != WL_OK) {
    if (!sqlite3_get_autocommit(s->db))
      undo(s, ST_ROLLBACK);
    wl_store_write_reset(s); /* caches cleared, the state of wl_store_begin */
  }
  return rc;
}

int wl_store_rollback(wl_store *s) {
  if (!s || !s->in_txn)
    return wl_err(WL_E_INVAL, "wl_store_rollback: no transaction is open");
  int rc = sqlite3_get_autocommit(s->db) ? SQLITE_OK : undo(s, ST_ROLLBACK);
  if (rc != SQLITE_OK && !sqlite3_get_autocommit(s->db))
    return wl_store_sqlerr(s, rc, "rolling back"); /* still open: retry, or close */
  s->in_txn = 0;
  return wl_store_write_reset(s);
}

/* ---------------------------------------------------------------- meta */

int wl_store_meta_set(wl_store *s, const char *key, const char *value) {
  if (!s || !key || !value)
    return wl_err(WL_E_INVAL, "wl_store_meta_set: NULL argument");
  sqlite3_stmt *st = wl_st(s, ST_META_SET);
  if (!st)
    return WL_E_DB;
  sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC);
  return wl_store_step_done(s, st, "writing meta");
}

int wl_store_meta_set_int(wl_store *s, const char *key, int64_t v) {
  sqlite3_stmt *st = wl_st(s, ST_META_SET);
  if (!st)
    return WL_E_DB;
  sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 2, v);
  return wl_store_step_done(s, st, "writing meta");
}

int wl_store_meta_get(wl_store *s, const char *key, char *out, size_t cap) {
  if (!s || !key || !out || !cap)
    return wl_err(WL_E_INVAL, "wl_store_meta_get: NULL argument");
  sqlite3_stmt *st = wl_st(s, ST_META_GET);
  if (!st)
    return WL_E_DB;
  sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
  int rc = sqlite3_step(st), ret = WL_OK;
  if (rc == SQLITE_ROW) {
    const unsigned char *t = sqlite3_column_text(st, 0);
    if (wl_strlcpy(out, t ? (const char *)t : "", cap) >= cap)
      ret = wl_err(WL_E_TOOBIG, "%s: meta '%s' is longer than %u bytes", s->path, key,
                   (unsigned)cap - 1);
  } else if (rc == SQLITE_DONE) {
    out[0] = 0;
    ret = wl_err(WL_E_NOTFOUND, "%s: no meta value '%s'", s->path, key);
  } else {
    ret = wl_store_sqlerr(s, rc, "reading meta");
  }
  sqlite3_reset(st);
  return ret;
}

int wl_store_counter_add(wl_store *s, const char *key, int64_t delta) {
  if (!s || !key)
    return wl_err(WL_E_INVAL, "wl_store_counter_add: NULL argument");
  sqlite3_stmt *st = wl_st(s, ST_COUNTER_ADD);
  if (!st)
    return WL_E_DB;
  sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 2, delta);
  return wl_store_step_done(s, st, "adding to a counter");
}

int wl_store_counter_get(wl_store *s, const char *key, int64_t *out) {
  if (!s || !key || !out)
    return wl_err(WL_E_INVAL, "wl_store_counter_get: NULL argument");
  sqlite3_stmt *st = wl_st(s, ST_META_GET);
  if (!st)
    return WL_E_DB;
  sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
  return wl_store_step_int64(s, st, out, "reading meta");
}

/* ---------------------------------------------------------------- filters_seen */

int wl_store_filter_info_put(wl_store *s, const wl_filter_info *fi) {
  if (!s || !fi)
    return wl_err(WL_E_INVAL, "wl_store_filter_info_put: NULL argument");
  sqlite3_stmt *st = wl_st(s, ST_FILTER_PUT);
  if (!st)
    return WL_E_DB;
  wl_store_bind_u64(st, 1, fi->filter_id);
  sqlite3_bind_text(st, 2, fi->name, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 3, fi->provider, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 4, fi->sublayer, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 5, fi->action, -1, SQLITE_STATIC);
  sqlite3_bind_int(st, 6, fi->ours ? 1 : 0);
  sqlite3_bind_text(st, 7, fi->filter_key, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 8, fi->provider_key, -1, SQLITE_STATIC);
  return wl_store_step_done(s, st, "recording a filter");
}

int wl_store_filter_info_get(wl_store *s, uint64_t filter_id, wl_filter_info *out) {
  if (!s || !out)
    return wl_err(WL_E_INVAL, "wl_store_filter_info_get: NULL argument");
  memset(out, 0, sizeof *out);
  out->filter_id = filter_id;
  sqlite3_stmt *st = wl_st(s, ST_FILTER_GET);
  if (!st)
    return WL_E_DB;
  wl_store_bind_u64(st, 1, filter_id);
  int rc = sqlite3_step(st), ret = WL_OK;
  if (rc == SQLITE_ROW) {
    wl_store_col_text(st, 0, out->name, sizeof out->name);
    wl_store_col_text(st, 1, out->provider, sizeof out->provider);
    wl_store_col_text(st, 2, out->sublayer, sizeof out->sublayer);
    wl_store_col_text(st, 3, out->action, sizeof out->action);
    out->ours = sqlite3_column_int(st, 4);
    wl_store_col_text(st, 5, out->filter_key, sizeof out->filter_key);
    wl_store_col_text(st, 6, out->provider_key, sizeof out->provider_key);
  } else if (rc == SQLITE_DONE) {
    ret = wl_err(WL_E_NOTFOUND, "%s: filter %llu was never attributed", s->path,
                 (unsigned long long)filter_id);
  } else {
    ret = wl_store_sqlerr(s, rc, "reading a filter");
  }
  sqlite3_reset(st);
  return ret;
}

/* ---------------------------------------------------------------- open / close */

static int configure(wl_store *s, unsigned busy_ms) {
  sqlite3_extended_result_codes(s->db, 1);
  sqlite3_busy_timeout(s->db, (int)busy_ms);
  if (s->read_only)
    return WL_OK;
  /* Keep the -wal and -shm files (created owner-only by us) instead of deleting and letting
   * SQLite re-create them with default permissions on the next open. */
  int one = 1;
  sqlite3_file_control(s->db, "main", SQLITE_FCNTL_PERSIST_WAL, &one);
  if (sqlite3_db_readonly(s->db, "main") == 1)
    return wl_err(WL_E_READONLY, "%s: the store is read-only (file permissions or a read-only "
                  "medium); wfplearn needs to write it", s->path);
  return WL_OK;
}

/* Before anything is written: a newer or foreign file is left exactly as it was. */
static int check_schema(wl_store *s) {
  int v = 0, rc = wl_schema_version_of(s, &v);
  if (rc != WL_OK)
    return rc;
  if (v > WL_STORE_SCHEMA_VERSION)
    return wl_err(WL_E_VERSION, "%s: schema version %d was written by a newer wfplearn (this "
                  "one knows up to %d); refusing to downgrade it, upgrade wfplearn", s->path, v,
                  WL_STORE_SCHEMA_VERSION);
  if ((rc = wl_schema_verify(s, v)) != WL_OK)
    return rc;
  if (!s->read_only)
    return WL_OK;
  if (v == 0)
    return wl_err(WL_E_NOTFOUND, "%s: empty, not a wfplearn store yet (run learn first)",
                  s->path);
  if (v < WL_STORE_SCHEMA_VERSION)
    return wl_err(WL_E_READONLY, "%s: schema version %d needs upgrading to %d; open it once "
                  "with a writing command (learn)", s->path, v, WL_STORE_SCHEMA_VERSION);
  s->schema_version = v;
  return WL_OK;
}

/* The writer's settings. With synchronous=NORMAL a commit only appends to the WAL; the fsyncs
 * (WAL, then database) happen at checkpoints, which SQLite runs inside the COMMIT that takes the
 * WAL past wal_autocheckpoint pages, on the writer's thread. A batch rewrites every flows page
 * it touches (with a realistic stream: most of the table), so at SQLite's default of 1000 pages
 * a checkpoint came every few batches and, on a busy disk, cost more than the batch itself.
 * At 4000 pages (16 MB) a checkpoint copies a page rewritten by many batches once and the two
 * fsyncs are amortised over ~4x more batches. 1 M events over 20,000 flows in batches of 2,048
 * (bench/store_bench write): 2.8 s either way on an idle disk; 5.7 s -> 2.8 s while another
 * process writes and fsyncs (dd conv=fsync); 3.2-13 s -> 2.7 s on this shared machine under
 * load. The WAL file stays about 16 MB (journal_size_limit truncates it back after a larger
 * transaction); status's db_bytes counts it. The page cache is 64 MB (issue 16): a new flow is
 * an insert into the flows_key index and a rollup a seek per flow in flows, so once those
 * outgrow the cache each costs a read from the OS; issue 16's stress stream through
 * store_stream write, CPU time: 1M events 3.6 s, 3M 13.6 s (x3.8) with 16 MB; 3.8 s and 11.9 s
 * (x3.2) with 64 MB, max RSS 92 and 128 MB. */
#define WAL_PRAGMAS                                                                            \
  "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA wal_autocheckpoint=4000; "       \
  "PRAGMA journal_size_limit=16777216; PRAGMA cache_size=-65536; PRAGMA temp_store=MEMORY"

/* A writing handle rolls the pending blocks up as it goes (store_rollup.c): at open (what a
 * killed writer left), and at close, so that readers afterwards need not. Best effort: a
 * failure leaves them pending, which every reader and the next rollup handle; the message of an
 * earlier error is kept. */
static void rollup_quietly(wl_store *s) {
  char keep[512];
  int pending;
  wl_strlcpy(keep, wl_errmsg(), sizeof keep);
  if (wl_rollup_before_read(s, &pending) != WL_OK || keep[0]) {
    if (keep[0])
      wl_err(WL_E_DB, "%s", keep);
    else
      wl_err_clear();
  }
}

static int open_db(wl_store *s, const wl_store_opts *o) {
  int flags = s->read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE;
  int rc = sqlite3_open_v2(s->path, &s->db, flags | SQLITE_OPEN_NOMUTEX, NULL);
  if (rc != SQLITE_OK)
    return wl_store_sqlerr(s, rc, "opening");
  rc = configure(s, o && o->busy_timeout_ms ? o->busy_timeout_ms : WL_STORE_BUSY_MS);
  if (rc == WL_OK && o && o->quick_check)
    rc = wl_schema_quick_check(s);
  if (rc == WL_OK)
    rc = check_schema(s);
  if (rc != WL_OK || s->read_only)
    return rc;
  rc = wl_store_exec(s, WAL_PRAGMAS, "setting WAL mode");
  if (rc == WL_OK)
    rc = wl_schema_migrate(s);
  if (rc == WL_OK)
    rc = wl_store_write_init(s);
  if (rc == WL_OK)
    rollup_quietly(s);
  return rc;
}

int wl_store_open(const char *path, const wl_store_opts *opts, wl_store **out) {
  if (!out)
    return wl_err(WL_E_INVAL, "wl_store_open: NULL out");
  *out = NULL;
  if (!path || !*path)
    return wl_err(WL_E_INVAL, "wl_store_open: no path");
  wl_store *s = calloc(1, sizeof *s);
  size_t n = strlen(path) + 1;
  if (!s || !(s->path = malloc(n))) {
    free(s);
    return wl_err(WL_E_NOMEM, "%s: no memory for the store handle", path);
  }
  memcpy(s->path, path, n);
  s->read_only = opts && opts->read_only;
  s->retain_ticks = opts && opts->retain_ticks ? opts->retain_ticks : WL_STORE_RETAIN_TICKS;
  s->retain_bytes = opts && opts->retain_bytes ? opts->retain_bytes : WL_STORE_RETAIN_BYTES;
  s->rollup_events = opts && opts->rollup_events ? opts->rollup_events : WL_STORE_ROLLUP_EVENTS;
  int rc;
  if (s->read_only) { /* stat, not open: a close would drop this process's locks (wl_os.h) */
    wl_file_id id;
    rc = wl_os_file_id(path, &id) == WL_OK ? WL_OK
                                           : wl_err(WL_E_NOTFOUND, "%s: no store here", path);
    if (rc == WL_OK && wl_os_is_dir(path))
      rc = wl_err(WL_E_INVAL, "%s: is a directory, not a store file", path);
  } else {
    rc = wl_schema_prepare_files(path);
  }
  if (rc == WL_OK)
    rc = open_db(s, opts);
  if (rc != WL_OK) {
    wl_store_close(s);
    return rc;
  }
  *out = s;
  return WL_OK;
}

void wl_store_close(wl_store *s) {
  if (!s)
    return;
  if (s->db && !s->read_only && s->chunk && !s->in_txn)
    rollup_quietly(s);
  if (s->db && s->in_txn && !sqlite3_get_autocommit(s->db))
    sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
  for (int i = 0; i < ST_COUNT; i++)
    sqlite3_finalize(s->st[i]);
  wl_store_write_free(s);
  sqlite3_close_v2(s->db);
  free(s->path);
  free(s);
}

int wl_store_schema_version(wl_store *s) { return s ? s->schema_version : 0; }
