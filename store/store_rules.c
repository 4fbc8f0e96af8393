/* store_rules.c — rows of the whitelist. The whitelist module owns their meaning; the store
 * keeps them (ids never reused: AUTOINCREMENT) and groups changes with wl_store_begin/commit. */
#include <string.h>

#include "common/wl_err.h"
#include "store/store_int.h"

/* ?2..?18 in the order of the rules columns (store.c: ST_RULE_ADD / ST_RULE_UPDATE). */
static void bind_rule(sqlite3_stmt *st, const wl_rule_row *r) {
  sqlite3_bind_text(st, 2, r->app, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 3, r->app_nt, -1, SQLITE_STATIC);
  sqlite3_bind_int(st, 4, r->dir);
  sqlite3_bind_int(st, 5, r->proto);
  sqlite3_bind_text(st, 6, r->scope, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 7, r->ports, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 8, r->remotes, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 9, r->user, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 10, r->package, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 11, r->filters, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 12, r->evidence, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 13, r->origin, -1, SQLITE_STATIC);
  wl_store_bind_u64(st, 14, r->created);
  sqlite3_bind_text(st, 15, r->signer, -1, SQLITE_STATIC); /* schema v3 */
  sqlite3_bind_text(st, 16, r->prev_app, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 17, r->prev_app_nt, -1, SQLITE_STATIC);
  wl_store_bind_u64(st, 18, r->expires);
}

static void fill_rule(sqlite3_stmt *st, wl_rule_row *r) {
  memset(r, 0, sizeof *r);
  r->id = sqlite3_column_int64(st, 0);
  wl_store_col_text(st, 1, r->app, sizeof r->app);
  wl_store_col_text(st, 2, r->app_nt, sizeof r->app_nt);
  r->dir = (uint8_t)sqlite3_column_int(st, 3);
  r->proto = (int16_t)sqlite3_column_int(st, 4);
  wl_store_col_text(st, 5, r->scope, sizeof r->scope);
  wl_store_col_text(st, 6, r->ports, sizeof r->ports);
  wl_store_col_text(st, 7, r->remotes, sizeof r->remotes);
  wl_store_col_text(st, 8, r->user, sizeof r->user);
  wl_store_col_text(st, 9, r->package, sizeof r->package);
  wl_store_col_text(st, 10, r->filters, sizeof r->filters);
  wl_store_col_text(st, 11, r->evidence, sizeof r->evidence);
  wl_store_col_text(st, 12, r->origin, sizeof r->origin);
  r->created = wl_store_col_u64(st, 13);
  wl_store_col_text(st, 14, r->signer, sizeof r->signer); /* schema v3 */
  wl_store_col_text(st, 15, r->prev_app, sizeof r->prev_app);
  wl_store_col_text(st, 16, r->prev_app_nt, sizeof r->prev_app_nt);
  r->expires = wl_store_col_u64(st, 17);
}

int wl_store_rule_add(wl_store *s, wl_rule_row *r) {
  if (!s || !r)
    return wl_err(WL_E_INVAL, "wl_store_rule_add: NULL argument");
  sqlite3_stmt *st = wl_st(s, ST_RULE_ADD);
  if (!st)
    return WL_E_DB;
  bind_rule(st, r);
  int rc = wl_store_step_done(s, st, "adding a rule");
  if (rc == WL_OK)
    r->id = sqlite3_last_insert_rowid(s->db);
  return rc;
}

/* Runs a statement keyed by ?1 = id; WL_E_NOTFOUND when it touched no row. */
static int by_id(wl_store *s, sqlite3_stmt *st, int64_t id, const char *what) {
  sqlite3_bind_int64(st, 1, id);
  int rc = wl_store_step_done(s, st, what);
  if (rc == WL_OK && sqlite3_changes(s->db) == 0)
    rc = wl_err(WL_E_NOTFOUND, "%s: no rule %lld", s->path, (long long)id);
  return rc;
}

int wl_store_rule_update(wl_store *s, const wl_rule_row *r) {
  if (!s || !r)
    return wl_err(WL_E_INVAL, "wl_store_rule_update: NULL argument");
  sqlite3_stmt *st = wl_st(s, ST_RULE_UPDATE);
  if (!st)
    return WL_E_DB;
  bind_rule(st, r);
  return by_id(s, st, r->id, "updating a rule");
}

int wl_store_rule_delete(wl_store *s, int64_t id) {
  if (!s)
    return wl_err(WL_E_INVAL, "wl_store_rule_delete: NULL store");
  sqlite3_stmt *st = wl_st(s, ST_RULE_DEL);
  return st ? by_id(s, st, id, "deleting a rule") : WL_E_DB;
}

int wl_store_rule_get(wl_store *s, int64_t id, wl_rule_row *out) {
  if (!s || !out)
    return wl_err(WL_E_INVAL, "wl_store_rule_get: NULL argument");
  sqlite3_stmt *st = wl_st(s, ST_RULE_GET);
  if (!st)
    return WL_E_DB;
  sqlite3_bind_int64(st, 1, id);
  int rc = sqlite3_step(st), ret = WL_OK;
  if (rc == SQLITE_ROW)
    fill_rule(st, out);
  else if (rc == SQLITE_DONE)
    ret = wl_err(WL_E_NOTFOUND, "%s: no rule %lld", s->path, (long long)id);
  else
    ret = wl_store_sqlerr(s, rc, "reading a rule");
  sqlite3_reset(st);
  return ret;
}

int wl_store_rules(wl_store *s, wl_rule_cb cb, void *ctx) {
  if (!s || !cb)
    return wl_err(WL_E_INVAL, "wl_store_rules: NULL argument");
  sqlite3_stmt *st = wl_st(s, ST_RULES);
  if (!st)
    return WL_E_DB;
  wl_rule_row r; /* ~6 KB: on the stack, bounded */
  int rc, ret = WL_OK;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    fill_rule(st, &r);
    if ((ret = cb(ctx, &r)) != 0)
      break;
  }
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    ret = wl_store_sqlerr(s, rc, "listing rules");
  sqlite3_reset(st);
  return ret;
}
