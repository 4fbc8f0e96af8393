/* store_owners.c — flow id -> app, direction, action for the rollups (owners.h says why an
 * array). An entry packs app << 8 | dir << 2 | drop << 1 | 1; 0 is "not known".
 */
#include "store/owners.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "common/wl_err.h"
#include "store/flow_pack.h"
#include "store/store_int.h"

static uint64_t *entry(const wl_owners *o, uint64_t id) {
  uint64_t c = id / WL_OWNERS_CHUNK;
  return c < o->nchunks && o->chunk[c] ? &o->chunk[c][id % WL_OWNERS_CHUNK] : NULL;
}

/* The chunk of id, made when missing (NULL without memory). */
static uint64_t *entry_made(wl_owners *o, uint64_t id) {
  uint64_t c = id / WL_OWNERS_CHUNK;
  if (c >= o->nchunks) {
    size_t n = o->nchunks ? o->nchunks : 16;
    while (n <= c)
      n *= 2;
    uint64_t **v = realloc(o->chunk, n * sizeof *v);
    if (!v)
      return NULL;
    memset(v + o->nchunks, 0, (n - o->nchunks) * sizeof *v);
    o->chunk = v;
    o->nchunks = n;
  }
  if (!o->chunk[c] && !(o->chunk[c] = calloc(WL_OWNERS_CHUNK, sizeof **o->chunk)))
    return NULL;
  return &o->chunk[c][id % WL_OWNERS_CHUNK];
}

void wl_owners_set(wl_owners *o, uint64_t id, int64_t app, int dir, int drop) {
  assert(id > 0 && app >= 0 && app < ((int64_t)1 << 56));
  uint64_t *e = entry_made(o, id);
  if (e)
    *e = (uint64_t)app << 8 | (uint64_t)(dir & 63) << 2 | (uint64_t)(drop != 0) << 1 | 1u;
}

void wl_owners_prefetch(const wl_owners *o, uint64_t id) {
  const uint64_t *e = entry(o, id);
  if (e)
    __builtin_prefetch(e);
}

static int unpack(uint64_t v, wl_owner *out) {
  if (!(v & 1))
    return 0;
  out->app = (int64_t)(v >> 8);
  out->dir = (uint8_t)(v >> 2 & 63);
  out->drop = (uint8_t)(v >> 1 & 1);
  return 1;
}

/* The flows of id's chunk of flow_pack, kept; id's own into *out (so it is found even when
 * there was no memory to keep it). */
static int read_chunk(wl_owners *o, sqlite3 *db, const char *path, uint64_t id, wl_owner *out,
                      int *found) {
  if (!o->keys) {
    if (!(o->keys = malloc(sizeof *o->keys)))
      return wl_err(WL_E_NOMEM, "%s: no memory for a chunk of flows", path);
    o->keys->no = -1;
  }
  const wl_pack_flow *p;
  int rc = wl_flow_pack_find(db, path, &o->get, o->keys, id, &p);
  if (rc != WL_OK || !p)
    return rc;
  for (size_t i = 0; i < o->keys->n; i++) {
    const wl_pack_flow *f = &o->keys->r[i];
    if (f->id > 0 && f->f.app_id >= 0 && f->f.app_id < ((int64_t)1 << 56))
      wl_owners_set(o, f->id, f->f.app_id, f->f.dir, f->f.action == WL_EVT_DROP);
  }
  if (p->f.app_id < 0 || p->f.app_id >= ((int64_t)1 << 56))
    return WL_OK; /* not a flow this store writes: never kept, never found */
  out->app = p->f.app_id;
  out->dir = p->f.dir;
  out->drop = p->f.action == WL_EVT_DROP;
  *found = 1;
  return WL_OK;
}

#define LEGACY_READ 4096u /* ids read from flows in one query (legacy) */

/* A migration before schema 10 (no flow_pack yet): flows [id, id + LEGACY_READ) from the flows
 * table, kept; id's own into *out. */
static int read_flows(wl_owners *o, sqlite3 *db, const char *path, uint64_t id, wl_owner *out,
                      int *found) {
  int rc = SQLITE_OK;
  if (id > (uint64_t)INT64_MAX - LEGACY_READ)
    return WL_OK;
  if (!o->get)
    rc = sqlite3_prepare_v2(db, "SELECT id, app, dir, action FROM flows WHERE id>=?1 AND id<?2",
                            -1, &o->get, NULL);
  if (rc != SQLITE_OK)
    return wl_store_sqlerr_at(db, path, rc, "reading flows");
  sqlite3_bind_int64(o->get, 1, (sqlite3_int64)id);
  sqlite3_bind_int64(o->get, 2, (sqlite3_int64)(id + LEGACY_READ));
  while ((rc = sqlite3_step(o->get)) == SQLITE_ROW) {
    int64_t f = sqlite3_column_int64(o->get, 0), app = sqlite3_column_int64(o->get, 1);
    int dir = sqlite3_column_int(o->get, 2);
    int drop = sqlite3_column_int(o->get, 3) == WL_EVT_DROP;
    if (f <= 0 || app < 0 || app >= ((int64_t)1 << 56))
      continue; /* not a flow this store writes: never kept, never found */
    wl_owners_set(o, (uint64_t)f, app, dir, drop);
    if ((uint64_t)f == id) {
      out->app = app;
      out->dir = (uint8_t)dir;
      out->drop = (uint8_t)drop;
      *found = 1;
    }
  }
  sqlite3_reset(o->get);
  return rc == SQLITE_DONE ? WL_OK : wl_store_sqlerr_at(db, path, rc, "reading flows");
}

int wl_owners_get(wl_owners *o, sqlite3 *db, const char *path, uint64_t id, wl_owner *out,
                  int *found) {
  const uint64_t *e = entry(o, id);
  if ((*found = e && unpack(*e, out)) != 0 || id == 0)
    return WL_OK;
  return o->legacy ? read_flows(o, db, path, id, out, found)
                   : read_chunk(o, db, path, id, out, found);
}

void wl_owners_clear(wl_owners *o) {
  for (size_t c = 0; o && c < o->nchunks; c++) {
    free(o->chunk[c]);
    o->chunk[c] = NULL;
  }
  if (o && o->keys)
    o->keys->no = -1;
}

void wl_owners_free(wl_owners *o) {
  if (!o)
    return;
  wl_owners_clear(o);
  free(o->chunk);
  free(o->keys);
  sqlite3_finalize(o->get);
  memset(o, 0, sizeof *o);
}
