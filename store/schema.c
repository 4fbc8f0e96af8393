/* schema.c — the store's tables, their numbered migrations, and the files on disk.
 *
 * meta.schema_version says which migrations a file has. Opening runs the missing ones in
 * order, all in one IMMEDIATE transaction that re-reads the version first (two processes
 * opening at once cannot both migrate, and a failure midway leaves the file as it was). A file whose version is newer than this binary knows is
 * refused with WL_E_VERSION, never downgraded. To change the schema: append a migration to
 * `migration()`, bump WL_STORE_SCHEMA_VERSION in store.h, and keep the old DDL in the tests.
 *
 * flows is WITHOUT ROWID keyed by the flow key: the upsert of a repeat touches one b-tree
 * page, not an index page and a table page. Its id (what events refer to) is assigned by the
 * writer from meta.flow_seq and indexed (flows_id) in append order.
 *
 * Sizes (what a week of traffic costs): events is WITHOUT ROWID keyed by (ts, id), so time
 * order needs no second index. A row is five integers: time, sequence, the flow's id (app,
 * direction, protocol, remote address and the port the flow keeps), the one port the flow
 * does not keep (stored minus 32768 so an ephemeral port takes 2 bytes, not 3), and the id of
 * its context in ctx (has/type/origin/loopback bits, filter, layer, local address, reauth,
 * user and package SIDs: a machine has few distinct ones). About 30 bytes an event on disk.
 *
 * The database, -wal and -shm files are created here, empty and owner-only, before SQLite opens
 * them (SQLite would create them with the process umask; on Windows with the folder's ACL).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/wl_err.h"
#include "common/wl_os.h"
#include "store/app_hourly.h"
#include "store/flow_pack.h"
#include "store/store_int.h"

/* Version 1. */
static const char schema_v1[] =
    "CREATE TABLE meta(key TEXT PRIMARY KEY NOT NULL, value) WITHOUT ROWID;"
    "CREATE TABLE apps(id INTEGER PRIMARY KEY, path TEXT NOT NULL UNIQUE,"
    " dos_path TEXT NOT NULL DEFAULT '', first_seen INTEGER NOT NULL,"
    " last_seen INTEGER NOT NULL, allowed INTEGER NOT NULL DEFAULT 0,"
    " blocked INTEGER NOT NULL DEFAULT 0, endpoints INTEGER NOT NULL DEFAULT 0);"
    "CREATE TABLE sids(id INTEGER PRIMARY KEY, sid TEXT NOT NULL UNIQUE);"
    "CREATE TABLE flows(app INTEGER NOT NULL, dir INTEGER NOT NULL, proto INTEGER NOT NULL,"
    " ip_version INTEGER NOT NULL, remote_addr BLOB NOT NULL, remote_port INTEGER NOT NULL,"
    " local_port INTEGER NOT NULL, action INTEGER NOT NULL, id INTEGER NOT NULL,"
    " count INTEGER NOT NULL, first_seen INTEGER NOT NULL, last_seen INTEGER NOT NULL,"
    " last_filter_id INTEGER NOT NULL, PRIMARY KEY(app, dir, proto, ip_version, remote_addr,"
    " remote_port, local_port, action)) WITHOUT ROWID;"
    "CREATE UNIQUE INDEX flows_id ON flows(id);"
    "CREATE TABLE ctx(id INTEGER PRIMARY KEY, bits INTEGER NOT NULL,"
    " filter_id INTEGER NOT NULL, layer INTEGER NOT NULL, local_addr BLOB NOT NULL,"
    " reauth INTEGER NOT NULL, user INTEGER NOT NULL, package INTEGER NOT NULL,"
    " UNIQUE(bits, filter_id, layer, local_addr, reauth, user, package));"
    "CREATE TABLE events(ts INTEGER NOT NULL, id INTEGER NOT NULL, flow INTEGER NOT NULL,"
    " port INTEGER, ctx INTEGER NOT NULL, PRIMARY KEY(ts, id)) WITHOUT ROWID;"
    "CREATE TABLE drops_hourly(hour INTEGER NOT NULL, filter_id INTEGER NOT NULL,"
    " count INTEGER NOT NULL, PRIMARY KEY(hour, filter_id)) WITHOUT ROWID;"
    "CREATE TABLE filters_seen(filter_id INTEGER PRIMARY KEY, name TEXT NOT NULL,"
    " provider TEXT NOT NULL, sublayer TEXT NOT NULL, action TEXT NOT NULL,"
    " ours INTEGER NOT NULL);"
    "CREATE TABLE rules(id INTEGER PRIMARY KEY AUTOINCREMENT, app TEXT NOT NULL,"
    " app_nt TEXT NOT NULL, dir INTEGER NOT NULL, proto INTEGER NOT NULL, scope TEXT NOT NULL,"
    " ports TEXT NOT NULL, remotes TEXT NOT NULL, user TEXT NOT NULL, package TEXT NOT NULL,"
    " filters TEXT NOT NULL, evidence TEXT NOT NULL, origin TEXT NOT NULL,"
    " created INTEGER NOT NULL);"
    "CREATE TABLE import_keys(key INTEGER PRIMARY KEY);"
    "PRAGMA application_id=2003201134;"; /* WL_STORE_APP_ID */
_Static_assert(WL_STORE_APP_ID == 2003201134, "application_id in schema_v1");

/* Version 2 (issue 12 item 6, issue 18 item 12): a filter's run-time id changes when BFE restarts, so the
 * attribution also keeps what identifies the filter across restarts: its key and its
 * provider's key ("{GUID}", "" when unknown: rows written before version 2). */
static const char schema_v2[] =
    "ALTER TABLE filters_seen ADD COLUMN filter_key TEXT NOT NULL DEFAULT '';"
    "ALTER TABLE filters_seen ADD COLUMN provider_key TEXT NOT NULL DEFAULT '';"
    /* issue 18 item 12: an app path cut short (longer than WL_PATH_MAX, or than the event's copy
     * of WFP's app id) keeps its truncated identity, flagged, instead of becoming "no app" */
    "ALTER TABLE apps ADD COLUMN truncated INTEGER NOT NULL DEFAULT 0;";

/* v5: store_held.c */
extern const char wl_store_schema_v3_held[];
/* migration(k) takes a file from version k-1 to k (SQL text;
 * NULL: none)... */
static const char *migration(int k) {
  switch (k) {
  case 1: return schema_v1;
  case 2: return schema_v2;
  case 3: return wl_schema_v3_rebind(); /* schema_v3_rebind.c: rules.signer, prev_app(_nt) */
  case 4: return wl_schema_v3_rule_use(); /* store_hits.c: hits_hourly, rules.expires */
  case 5: return wl_store_schema_v3_held; /* store_held.c: held (issue 19 item 3) */
  case 7: return wl_schema_v7_born(); /* schema_v7_born.c: pending's born flows (issue 16) */
  case 9: return wl_schema_v9_flows_app(); /* store_flowmap.c: no unique key index (issue 16) */
  case 11: return wl_schema_v11_no_app_index(); /* schema_v9_flows_app.c: nor flows_app */
  case 12: return wl_schema_v12_keys_only(); /* schema_v9_flows_app.c: totals in flow_pack only */
  default: return NULL;
  }
}
/* ...or a function where data must be converted (its own file; it gets the database and the
 * path for messages, returns WL_*). */
static int (*const migration_fns[WL_STORE_SCHEMA_VERSION + 1])(sqlite3 *, const char *) = {
    [6] = wl_schema_v3_blocks, /* issue 16: events -> blocks (schema_v3_blocks.c) */
    [8] = wl_schema_app_hourly, /* issue 16: events per app and hour (store_app_hourly.c) */
    [10] = wl_schema_v10_pack, /* issue 16: review's packed flows (store_flow_pack.c) */
    [13] = wl_schema_v13_keys}; /* issue 16: flows dropped, its keys in flow_pack only */

/* ---------------------------------------------------------------- files */

static int file_err(const char *path, const char *what, int e) {
  int code = WL_E_IO;
  if (e == EISDIR)
    return wl_err(WL_E_INVAL, "%s: is a directory, not a store file", path);
  if (e == EACCES || e == EPERM)
    code = WL_E_PERM;
  else if (e == EROFS)
    code = WL_E_READONLY;
  else if (e == ENOENT)
    code = WL_E_NOTFOUND;
  else if (e == ENOSPC)
    code = WL_E_NOSPACE;
  return wl_err(code, "%s: cannot %s: %s", path, what, strerror(e));
}

/* An existing file must be writable, and is made owner-only too when we may (a store created
 * 0644 beforehand, issue 18; a file of another user we can write stays as it is); a missing one
 * is created empty and restricted. The existing file is checked without opening it
 * (wl_os_writable): another handle of this process may have it open, and on POSIX a close
 * would drop that handle's SQLite locks. */
static int create_owner_only(const char *path) {
  FILE *f = NULL;
  if (wl_os_is_dir(path))
    return file_err(path, "open", EISDIR);
  int rc = wl_os_writable(path);
  if (rc != WL_E_NOTFOUND) {
    if (rc != WL_OK) {
      int e = errno;
      if (e == EACCES || e == EPERM || e == EROFS)
        return wl_err(WL_E_READONLY, "%s: the store is read-only (%s); wfplearn needs to "
                      "write it: check its permissions and the medium", path, strerror(e));
      return file_err(path, "open for writing", e);
    }
    if (wl_os_restrict_file(path) != WL_OK)
      wl_err_clear();
    return WL_OK;
  }
  if (wl_os_fopen(path, "ab", &f) != WL_OK)
    return file_err(path, "create", errno);
  fclose(f);
  rc = wl_os_restrict_file(path);
  return rc == WL_OK ? rc : wl_err_prefix(rc, "%s: cannot make it owner-only", path);
}

int wl_schema_prepare_files(const char *path) {
  static const char *const suffix[] = {"", "-wal", "-shm"};
  char p[4096];
  for (size_t i = 0; i < sizeof suffix / sizeof suffix[0]; i++) {
    if ((size_t)snprintf(p, sizeof p, "%s%s", path, suffix[i]) >= sizeof p)
      return wl_err(WL_E_TOOBIG, "%s: path too long", path);
    int rc = create_owner_only(p);
    if (rc != WL_OK)
      return rc;
  }
  return WL_OK;
}

/* ---------------------------------------------------------------- version */

static int query_int(wl_store *s, const char *sql, int64_t *out, int *found) {
  sqlite3_stmt *st = NULL;
  int rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
  if (rc == SQLITE_OK) {
    rc = sqlite3_step(st);
    *found = rc == SQLITE_ROW;
    *out = *found ? sqlite3_column_int64(st, 0) : 0;
    if (rc == SQLITE_ROW || rc == SQLITE_DONE)
      rc = SQLITE_OK;
  }
  sqlite3_finalize(st);
  return rc == SQLITE_OK ? WL_OK : wl_store_sqlerr(s, rc, "reading the schema version");
}

int wl_schema_version_of(wl_store *s, int *version) {
  int64_t n = 0, appid = 0;
  int found = 0, rc;
  *version = 0;
  if ((rc = query_int(s, "PRAGMA application_id", &appid, &found)) != WL_OK)
    return rc;
  if (appid != 0 && appid != WL_STORE_APP_ID)
    return wl_err(WL_E_PARSE, "%s: an SQLite database of another program (application_id "
                  "0x%llx), not a wfplearn store", s->path, (unsigned long long)appid);
  rc = query_int(s, "SELECT count(*) FROM sqlite_master WHERE type='table' AND name='meta'",
                 &n, &found);
  if (rc != WL_OK || n == 0) {
    if (rc == WL_OK && (rc = query_int(s, "SELECT count(*) FROM sqlite_master", &n, &found)) ==
                           WL_OK && n != 0)
      rc = wl_err(WL_E_PARSE, "%s: an SQLite database without wfplearn's tables, not a "
                  "wfplearn store", s->path);
    return rc;
  }
  rc = query_int(s, "SELECT value FROM meta WHERE key='schema_version'", &n, &found);
  if (rc == WL_OK && (!found || n <= 0 || n > 1000000))
    return wl_err(WL_E_CORRUPT, "%s: meta.schema_version is missing or invalid", s->path);
  *version = (int)n;
  return rc;
}

/* ---------------------------------------------------------------- verify */

/* A database's tables and indexes as text, one "type name columns" line each (columns
 * comma-joined in order; none for an index), sorted by name. */
static const char list_sql[] =
    "SELECT m.type || ' ' || m.name || ' ' || coalesce((SELECT group_concat(name, ',') FROM"
    " (SELECT name FROM pragma_table_info(m.name) ORDER BY cid)), '') FROM sqlite_master m"
    " WHERE m.name NOT LIKE 'sqlite_%' AND m.type IN ('table','index') ORDER BY m.name";

/* *out: the listing, malloc'd; SQLite's code on failure. */
static int list_schema(sqlite3 *db, char **out) {
  sqlite3_stmt *st = NULL;
  char *text = NULL;
  size_t len = 0;
  int rc = sqlite3_prepare_v2(db, list_sql, -1, &st, NULL);
  while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
    const char *line = (const char *)sqlite3_column_text(st, 0);
    size_t n = line ? strlen(line) : 0;
    char *grown = realloc(text, len + n + 2);
    if (!grown) {
      rc = SQLITE_NOMEM;
      break;
    }
    text = grown;
    memcpy(text + len, line ? line : "", n);
    len += n;
    text[len++] = '\n';
    text[len] = 0;
    rc = SQLITE_OK;
  }
  sqlite3_finalize(st);
  if (rc != SQLITE_DONE) {
    free(text);
    return rc == SQLITE_OK ? SQLITE_ERROR : rc;
  }
  *out = text ? text : calloc(1, 1);
  return *out ? SQLITE_OK : SQLITE_NOMEM;
}

/* The listing of what migrations 1..v create in an empty database. The current version's is
 * wl_schema_listing (schema_listing.c), written down once: building it runs every migration in
 * memory, ~23M instructions, which every command paid at its first open (a fifth of a status,
 * 4 % of review over a million flows). test_store_migrate builds it and compares, so the text
 * cannot fall behind the migrations. Older versions' are built when a file says it has one. */
int wl_schema_expected_build(int v, const char *path, char **out) {
  sqlite3 *want = NULL;
  int rc = sqlite3_open_v2(":memory:", &want, SQLITE_OPEN_READWRITE, NULL), ret = WL_OK;
  for (int k = 1; rc == SQLITE_OK && ret == WL_OK && k <= v; k++) {
    if (migration(k))
      rc = sqlite3_exec(want, migration(k), NULL, NULL, NULL);
    if (rc == SQLITE_OK && migration_fns[k])
      ret = migration_fns[k](want, path);
  }
  if (ret == WL_OK && rc == SQLITE_OK)
    rc = list_schema(want, out);
  if (ret == WL_OK && rc != SQLITE_OK) /* SQLite failing on a database of our own in memory
                                        * says nothing about the file: out of memory, a bug */
    ret = wl_err((rc & 0xff) == SQLITE_NOMEM ? WL_E_NOMEM : WL_E_INTERNAL,
                 "%s: building the expected schema: %s", path,
                 want ? sqlite3_errmsg(want) : sqlite3_errstr(rc));
  sqlite3_close(want);
  return ret;
}

_Static_assert(WL_SCHEMA_LISTING_VERSION == WL_STORE_SCHEMA_VERSION,
               "schema_listing.c: the listing of the current version (see test_store_migrate)");

/* The line of a listing, at or after *at, for the name of line `want` (both sorted), or NULL. */
static const char *line_for(const char **at, const char *want) {
  const char *name = strchr(want, ' ') + 1;
  size_t nlen = (size_t)(strchr(name, ' ') - name);
  for (const char *l = *at; *l; l = strchr(l, '\n') + 1) {
    const char *n = strchr(l, ' ') + 1;
    size_t len = (size_t)(strchr(n, ' ') - n);
    int c = strncmp(n, name, len < nlen ? len : nlen);
    if (c > 0 || (c == 0 && len > nlen))
      break; /* sorted: past it */
    if (c == 0 && len == nlen) {
      *at = l;
      return l;
    }
  }
  return NULL;
}

/* Every table and index that migrations 1..v create in an empty database must be in the file
 * under the same kind, and every such table with the same columns. Catches a schema changed
 * without a version bump (a development build's file failed with "no such table: ctx"). */
static int compare_schema(wl_store *s, int v, const char *want, const char *have) {
  const char *at = have;
  for (const char *w = want; *w; w = strchr(w, '\n') + 1) {
    size_t wlen = (size_t)(strchr(w, '\n') - w);
    const char *name = strchr(w, ' ') + 1, *cols = strchr(name, ' ') + 1;
    const char *h = line_for(&at, w);
    int tlen = (int)(name - 1 - w), nlen = (int)(cols - 1 - name), clen = (int)(w + wlen - cols);
    if (!h || strncmp(h, w, (size_t)tlen + 1) != 0)
      return wl_err(WL_E_CORRUPT,
                    "%s: says schema version %d but has no %.*s '%.*s': it was written by a "
                    "build with a different schema; move it away (learn starts a new store)",
                    s->path, v, tlen, w, nlen, name);
    const char *hcols = strchr(strchr(h, ' ') + 1, ' ') + 1;
    int hlen = (int)(strchr(hcols, '\n') - hcols);
    if (hlen != clen || strncmp(hcols, cols, (size_t)clen) != 0)
      return wl_err(WL_E_CORRUPT,
                    "%s: says schema version %d but table '%.*s' has columns (%.*s), not (%.*s): "
                    "it was written by a build with a different schema; move it away (learn "
                    "starts a new store)",
                    s->path, v, nlen, name, hlen, hcols, clen, cols);
  }
  return WL_OK;
}

int wl_schema_verify(wl_store *s, int v) {
  if (v < 1 || v > WL_STORE_SCHEMA_VERSION)
    return WL_OK;
  char *want = NULL, *have = NULL;
  int owned = v != WL_STORE_SCHEMA_VERSION, rc = WL_OK;
  if (!owned)
    want = (char *)wl_schema_listing;
  else if ((rc = wl_schema_expected_build(v, s->path, &want)) != WL_OK)
    goto out;
  int r = list_schema(s->db, &have);
  if (r != SQLITE_OK) {
    rc = wl_store_sqlerr(s, r, "reading the schema");
    goto out;
  }
  rc = compare_schema(s, v, want, have);
out:
  free(have);
  if (owned)
    free(want);
  return rc;
}

/* ---------------------------------------------------------------- migrate */

static int migrate_step(wl_store *s, int *version) {
  int rc = wl_store_exec(s, "BEGIN IMMEDIATE", "starting the schema migration"), v = 0;
  if (rc != WL_OK)
    return rc;
  if ((rc = wl_schema_version_of(s, &v)) != WL_OK)
    goto out;
  if (v > WL_STORE_SCHEMA_VERSION) {
    rc = wl_err(WL_E_VERSION, "%s: schema version %d was written by a newer wfplearn (this one "
                "knows up to %d); refusing to downgrade it, upgrade wfplearn", s->path, v,
                WL_STORE_SCHEMA_VERSION);
    goto out;
  }
  while (v < WL_STORE_SCHEMA_VERSION) { /* all missing ones in one transaction: a failure
                                        * leaves the file as it was, never half-way */
    if (migration(v + 1) &&
        (rc = wl_store_exec(s, migration(v + 1), "migrating the schema")) != WL_OK)
      goto out;
    if (migration_fns[v + 1] && (rc = migration_fns[v + 1](s->db, s->path)) != WL_OK)
      goto out;
    if ((rc = wl_store_meta_set_int(s, "schema_version", v + 1)) != WL_OK)
      goto out;
    v++;
  }
  rc = wl_store_exec(s, "COMMIT", "committing the schema migration");
out:
  if (rc != WL_OK && !sqlite3_get_autocommit(s->db))
    sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
  *version = v;
  return rc;
}

int wl_schema_migrate(wl_store *s) {
  int v = 0, rc;
  do {
    if ((rc = migrate_step(s, &v)) != WL_OK)
      return rc;
  } while (v < WL_STORE_SCHEMA_VERSION);
  s->schema_version = v;
  return WL_OK;
}

int wl_schema_quick_check(wl_store *s) {
  sqlite3_stmt *st = NULL;
  char first[256] = "";
  int problems = 0, failed = SQLITE_OK;
  int rc = sqlite3_prepare_v2(s->db, "PRAGMA quick_check", -1, &st, NULL);
  while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
    const char *t = (const char *)sqlite3_column_text(st, 0);
    /* "unable to get the page. error code=N": the check could not read a page (out of memory,
     * an I/O error), which says nothing about the file: that failure, not damage */
    const char *code = t ? strstr(t, "error code=") : NULL;
    if (code && failed == SQLITE_OK)
      failed = atoi(code + strlen("error code="));
    if (t && strcmp(t, "ok") != 0 && problems++ == 0)
      wl_strlcpy(first, t, sizeof first);
    rc = SQLITE_OK;
  }
  sqlite3_finalize(st);
  if (rc != SQLITE_DONE)
    return wl_store_sqlerr(s, rc, "PRAGMA quick_check");
  if ((failed & 0xff) == SQLITE_NOMEM || (failed & 0xff) == SQLITE_IOERR)
    return wl_store_sqlerr(s, failed, "PRAGMA quick_check");
  if (problems)
    return wl_err(WL_E_CORRUPT, "%s: the database file is damaged: quick_check found %d "
                  "problem(s), first: %s", s->path, problems, first);
  return WL_OK;
}
