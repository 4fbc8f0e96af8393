/* store_vtab.c — an eponymous virtual table over the flows the write path holds in memory,
 * so that one statement writes a whole set of flows (issue 16):
 *   wl_new_flows(id, app, dir, proto, ip_version, remote_addr, remote_port, local_port, action)
 *                                the keys of the flows first seen in the block (store_write.c).
 * Why: a statement per flow cost SQLite's fixed cost of a statement (bind, step, reset, halt:
 * ~5k instructions) on top of the row's own B-tree work; an INSERT ... SELECT over this table
 * pays it once per block. Measured with callgrind on 20,000 new flows into a 200,000-flow
 * table: 16.6k instructions a flow with one INSERT each, 11.8k through wl_new_flows. (Until
 * schema 12 a second table, wl_flow_adds, carried a rollup's totals into flows; they are in
 * flow_pack only now.)
 *
 * The rows are never copied: the table reads s->vnew (wl_vrows: a base, a stride and a count),
 * which the caller points at its rows just before stepping the statement. Eponymous-only (no
 * CREATE VIRTUAL TABLE, nothing written to the schema), read only, registered on each writing
 * connection.
 */
#include <string.h>

#include "common/wl_err.h"
#include "store/store_int.h"

typedef struct vtab {
  sqlite3_vtab base;
  const wl_vrows *rows;
} vtab;

typedef struct vcur {
  sqlite3_vtab_cursor base;
  uint32_t i;
} vcur;

static const char decl[] = "CREATE TABLE x(id, app, dir, proto, ip_version, remote_addr, "
                          "remote_port, local_port, action)";

static int v_connect(sqlite3 *db, void *aux, int argc, const char *const *argv,
                     sqlite3_vtab **out, char **err) {
  (void)argc;
  (void)argv;
  (void)err;
  int rc = sqlite3_declare_vtab(db, decl);
  if (rc != SQLITE_OK)
    return rc;
  vtab *t = sqlite3_malloc(sizeof *t);
  if (!t)
    return SQLITE_NOMEM;
  memset(t, 0, sizeof *t);
  t->rows = aux;
  *out = &t->base;
  return SQLITE_OK;
}

static int v_disconnect(sqlite3_vtab *t) {
  sqlite3_free(t);
  return SQLITE_OK;
}

static int v_best_index(sqlite3_vtab *t, sqlite3_index_info *info) {
  (void)t;
  info->estimatedCost = 1000;
  info->estimatedRows = 1000;
  return SQLITE_OK;
}

static int v_open(sqlite3_vtab *t, sqlite3_vtab_cursor **out) {
  (void)t;
  vcur *c = sqlite3_malloc(sizeof *c);
  if (!c)
    return SQLITE_NOMEM;
  memset(c, 0, sizeof *c);
  *out = &c->base;
  return SQLITE_OK;
}

static int v_close(sqlite3_vtab_cursor *c) {
  sqlite3_free(c);
  return SQLITE_OK;
}

static int v_filter(sqlite3_vtab_cursor *c, int idx, const char *idx_str, int argc,
                    sqlite3_value **argv) {
  (void)idx;
  (void)idx_str;
  (void)argc;
  (void)argv;
  ((vcur *)c)->i = 0;
  return SQLITE_OK;
}

static int v_next(sqlite3_vtab_cursor *c) {
  ((vcur *)c)->i++;
  return SQLITE_OK;
}

static int v_eof(sqlite3_vtab_cursor *c) {
  const vtab *t = (const vtab *)c->pVtab;
  return ((vcur *)c)->i >= t->rows->n;
}

static const void *row_at(const wl_vrows *r, uint32_t i) {
  return (const unsigned char *)r->base + (size_t)i * r->stride;
}

static int v_column(sqlite3_vtab_cursor *c, sqlite3_context *ctx, int col) {
  const vtab *t = (const vtab *)c->pVtab;
  const void *p = row_at(t->rows, ((vcur *)c)->i);
  const wl_new_flow *f = p;
  switch (col) {
  case 0: sqlite3_result_int64(ctx, (sqlite3_int64)f->id); break;
  case 1: sqlite3_result_int64(ctx, f->k.app); break;
  case 2: sqlite3_result_int(ctx, f->k.dir); break;
  case 3: sqlite3_result_int(ctx, f->k.proto); break;
  case 4: sqlite3_result_int(ctx, f->k.ip_version); break;
  case 5: sqlite3_result_blob(ctx, f->k.remote_addr, f->k.alen, SQLITE_STATIC); break;
  case 6: sqlite3_result_int(ctx, f->k.remote_port); break;
  case 7: sqlite3_result_int(ctx, f->k.local_port); break;
  default: sqlite3_result_int(ctx, f->k.action); break;
  }
  return SQLITE_OK;
}

static int v_rowid(sqlite3_vtab_cursor *c, sqlite3_int64 *out) {
  *out = ((vcur *)c)->i;
  return SQLITE_OK;
}

static const sqlite3_module module = {
    .iVersion = 0,
    .xCreate = NULL, /* eponymous only */
    .xConnect = v_connect,
    .xBestIndex = v_best_index,
    .xDisconnect = v_disconnect,
    .xDestroy = v_disconnect,
    .xOpen = v_open,
    .xClose = v_close,
    .xFilter = v_filter,
    .xNext = v_next,
    .xEof = v_eof,
    .xColumn = v_column,
    .xRowid = v_rowid,
};

int wl_vtab_register(wl_store *s) {
  int rc = sqlite3_create_module(s->db, "wl_new_flows", &module, &s->vnew);
  return rc == SQLITE_OK ? WL_OK : wl_store_sqlerr(s, rc, "registering the row tables");
}
