/* store_owners.c — flow id -> app, direction, action for the rollups (owners.h says why an
 * array). An entry packs app << 8 | dir << 2 | drop << 1 | 1; 0 is "not known".
 */
#include "store/owners.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "common/wl_err.h"
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

/* Flows [id, id + WL_OWNERS_READ) from the file, kept; id's own row also into *out (so it is
 * found even when there was no memory to keep it). */
static int read_range(wl_owners *o, sqlite3 *db, const char *path, uint64_t id, wl_owner *out,
                      int *found) {
  int rc = SQLITE_OK;
  if (!o->range)
    rc = sqlite3_prepare_v2(db, "SELECT id, app, dir, action FROM flows WHERE id>=?1 AND id<?2",
                            -1, &o->range, NULL);
  if (rc != SQLITE_OK)
    return wl_store_sqlerr_at(db, path, rc, "reading flows");
  sqlite3_bind_int64(o->range, 1, (sqlite3_int64)id);
  sqlite3_bind_int64(o->range, 2, (sqlite3_int64)(id + WL_OWNERS_READ));
  while ((rc = sqlite3_step(o->range)) == SQLITE_ROW) {
    int64_t f = sqlite3_column_int64(o->range, 0), app = sqlite3_column_int64(o->range, 1);
    int dir = sqlite3_column_int(o->range, 2);
    int drop = sqlite3_column_int(o->range, 3) == WL_EVT_DROP;
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
  sqlite3_reset(o->range);
  return rc == SQLITE_DONE ? WL_OK : wl_store_sqlerr_at(db, path, rc, "reading flows");
}

int wl_owners_get(wl_owners *o, sqlite3 *db, const char *path, uint64_t id, wl_owner *out,
                  int *found) {
  const uint64_t *e = entry(o, id);
  if ((*found = e && unpack(*e, out)) != 0 || id == 0 || id > (uint64_t)INT64_MAX - WL_OWNERS_READ)
    return WL_OK;
  return read_range(o, db, path, id, out, found);
}

void wl_owners_clear(wl_owners *o) {
  for (size_t c = 0; o && c < o->nchunks; c++) {
    free(o->chunk[c]);
    o->chunk[c] = NULL;
  }
}

void wl_owners_free(wl_owners *o) {
  if (!o)
    return;
  wl_owners_clear(o);
  free(o->chunk);
  sqlite3_finalize(o->range);
  memset(o, 0, sizeof *o);
}
