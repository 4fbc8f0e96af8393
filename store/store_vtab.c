/* store_vtab.c — two eponymous virtual tables over rows the write path holds in memory, so
 * that one statement writes a whole set of flows (issue 16):
 *   wl_new_flows(id, app, dir, proto, ip_version, remote_addr, remote_port, local_port, action,
 *                count, first, last, filter)
 *                                the flows first seen in the block (store_write.c), with their
 *                                totals in it;
 *   wl_flow_adds(id, count, first, last, filter)
 *                                the totals a rollup adds to flows (store_rollup.c).
 * Why: a statement per flow cost SQLite's fixed cost of a statement (bind, step, reset, halt:
 * ~5k instructions) on top of the row's own B-tree work; an INSERT ... SELECT over these tables
 * pays it once per block or rollup. Measured with callgrind on 20,000 new flows into a
 * 200,000-flow table: 16.6k instructions a flow with one INSERT each, 11.8k through
 * wl_new_flows; 19,000 rollup updates: 11.4k each with one UPDATE each, 8.9k through
 * wl_flow_adds (an upsert on id: 12.9k with UPDATE ... FROM).
 *
 * The rows are never copied: a table reads s->vnew / s->vadd (wl_vrows: a base, a stride and
 * optionally a list of indexes), which the caller points at its rows just before stepping the
 * statement. Eponymous-only (no CREATE VIRTUAL TABLE, nothing written to the schema), read
 * only, registered on each writing connection.
 */
#include <string.h>

#include "common/wl_err.h"
#include "store/store_int.h"

typedef struct vtab {
  sqlite3_vtab base;
  const wl_vrows *rows;
  int kind; /* 0: wl_new_flows, 1: wl_flow_adds */
} vtab;

typedef struct vcur {
  sqlite3_vtab_cursor base;
  uint32_t i;
} vcur;

typedef struct vmod {
  const char *name, *decl;
} vmod;

static const vmod mods[2] = {
    {"wl_new_flows", "CREATE TABLE x(id, app, dir, proto, ip_version, remote_addr, remote_port, "
                     "local_port, action, count, first, last, filter)"},
    {"wl_flow_adds", "CREATE TABLE x(id, count, first, last, filter)"},
};

static int v_connect(sqlite3 *db, void *aux, int argc, const char *const *argv,
                     sqlite3_vtab **out, char **err) {
  (void)argc;
  (void)err;
  int kind = strcmp(argv[0], mods[0].name) == 0 ? 0 : 1;
  int rc = sqlite3_declare_vtab(db, mods[kind].decl);
  if (rc != SQLITE_OK)
    return rc;
  vtab *t = sqlite3_malloc(sizeof *t);
  if (!t)
    return SQLITE_NOMEM;
  memset(t, 0, sizeof *t);
  t->rows = aux;
  t->kind = kind;
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
  uint32_t k = r->idx ? r->idx[i] : i;
  return (const unsigned char *)r->base + (size_t)k * r->stride;
}

static int v_column(sqlite3_vtab_cursor *c, sqlite3_context *ctx, int col) {
  const vtab *t = (const vtab *)c->pVtab;
  const void *p = row_at(t->rows, ((vcur *)c)->i);
  if (t->kind == 0) {
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
    case 8: sqlite3_result_int(ctx, f->k.action); break;
    case 9: sqlite3_result_int64(ctx, (sqlite3_int64)f->count); break;
    case 10: sqlite3_result_int64(ctx, (sqlite3_int64)f->first); break;
    case 11: sqlite3_result_int64(ctx, (sqlite3_int64)f->last); break;
    default: sqlite3_result_int64(ctx, (sqlite3_int64)f->filter); break;
    }
    return SQLITE_OK;
  }
  const wl_roll_flow *f = p;
  uint64_t v = col == 0 ? f->tag : col == 1 ? f->count : col == 2 ? f->first
             : col == 3 ? f->last : f->filter;
  sqlite3_result_int64(ctx, (sqlite3_int64)v);
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
  int rc = sqlite3_create_module(s->db, mods[0].name, &module, &s->vnew);
  if (rc == SQLITE_OK)
    rc = sqlite3_create_module(s->db, mods[1].name, &module, &s->vadd);
  return rc == SQLITE_OK ? WL_OK : wl_store_sqlerr(s, rc, "registering the row tables");
}
