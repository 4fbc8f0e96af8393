/* store_events.c — wl_store_events: raw events in time order, read back from the blocks.
 *
 * Blocks are sorted inside (store_block.c) but may overlap each other (an import next to a
 * capture, two writers), so this is a merge: blocks come in order of their first event
 * (the blocks_ts index), a block is opened (decoded) once the events already open have reached
 * its first time, and the earliest head among the open blocks goes next; equal times go in
 * block order (the order they were written), as the old (ts, id) key did. Each event is rebuilt
 * from its flow (direction, protocol, remote address, the port the flow keeps, app), its
 * context (has/type/origin/loopback bits, filter, layer, local address, reauth, SIDs) and the
 * port its row keeps. Those come from small caches filled by id lookups (flow ids repeat: a few
 * flows make most events), cleared when three quarters full; flows come from flow_pack (the
 * only copy of the keys since schema 13) a chunk of 1,024 ids at a time, each chunk read once.
 *
 * Bounds: an open block holds its own rows (at most WL_STORE_BLOCK_MAX); only blocks that
 * overlap in time are open at once. Caches: 1024 contexts and 256 apps (their strings inline);
 * flows: 32 bytes a flow of the chunks the events touch (24 MB for 738k flows), until the end.
 */
#include <stdlib.h>
#include <string.h>

#include "common/wl_err.h"
#include "common/wl_hash.h"
#include "store/flow_pack.h"
#include "store/store_int.h"

#define CTX_SLOTS 1024u
#define APP_SLOTS 256u

typedef struct ev_flow {
  int64_t app; /* -1: no flow has this id */
  uint16_t remote_port, local_port;
  uint8_t dir, proto, ip_version, pad;
  uint8_t remote_addr[16];
} ev_flow;

typedef struct ev_ctx {
  uint64_t tag; /* ctx id */
  int64_t bits;
  uint64_t filter;
  uint32_t reauth;
  uint16_t layer, pad;
  uint8_t local_addr[16];
  char user[WL_SID_STR_MAX], package[WL_SID_STR_MAX];
} ev_ctx;

typedef struct ev_app {
  uint64_t tag; /* app id */
  char path[WL_PATH_MAX], dos[WL_PATH_MAX];
} ev_app;

typedef struct cursor {
  wl_block_row *rows;
  size_t n, i;
} cursor;

typedef struct reader {
  wl_block_codec codec;
  wl_block_row *scratch; /* WL_STORE_BLOCK_MAX rows */
  wl_htab ctxs, apps;
  ev_flow **flows;       /* flows[id >> 10][id & 1023]: each chunk of flow_pack read once */
  size_t nflows;         /* entries of flows */
  wl_pack_chunk *keys;   /* the chunk of flow_pack read last (lookup_flow) */
  sqlite3_stmt *get;     /* its statement */
  cursor *open;
  size_t nopen, cap;
  wl_event ev;
} reader;

static void reader_free(reader *r) {
  wl_block_codec_free(&r->codec);
  free(r->scratch);
  for (size_t i = 0; i < r->nflows; i++)
    free(r->flows[i]);
  free(r->flows);
  wl_htab_free(&r->ctxs);
  wl_htab_free(&r->apps);
  free(r->keys);
  sqlite3_finalize(r->get);
  for (size_t i = 0; i < r->nopen; i++)
    free(r->open[i].rows);
  free(r->open);
}

static int reader_init(wl_store *s, reader *r) {
  memset(r, 0, sizeof *r);
  if (wl_block_codec_init(&r->codec) != WL_OK ||
      !(r->scratch = malloc(WL_STORE_BLOCK_MAX * sizeof *r->scratch)) ||
      wl_htab_init(&r->ctxs, CTX_SLOTS, sizeof(ev_ctx)) != WL_OK ||
      wl_htab_init(&r->apps, APP_SLOTS, sizeof(ev_app)) != WL_OK ||
      !(r->keys = malloc(sizeof *r->keys))) {
    reader_free(r);
    return wl_err(WL_E_NOMEM, "%s: no memory to read events", s->path);
  }
  r->keys->no = -1;
  return WL_OK;
}

/* ---------------------------------------------------------------- lookups by id */

static int not_stored(wl_store *s, uint64_t id) {
  return wl_err(WL_E_CORRUPT, "%s: an event block names flow %llu, which is not stored",
                s->path, (unsigned long long)id);
}

static void col_addr(sqlite3_stmt *st, int i, uint8_t out[16]) {
  int n = sqlite3_column_bytes(st, i);
  const void *b = sqlite3_column_blob(st, i);
  memset(out, 0, 16);
  if (b && n > 0)
    memcpy(out, b, n > 16 ? 16 : (size_t)n);
}

/* The entry of id in t, filled by statement `which` through fill when not cached. */
static int lookup(wl_store *s, wl_htab *t, enum wl_st which, uint64_t id,
                  void (*fill)(sqlite3_stmt *, void *), const char *what, void **out) {
  uint32_t slot = wl_htab_find(t, id, NULL, NULL);
  if (slot != WL_HTAB_NONE) {
    *out = wl_htab_entry(t, slot);
    return WL_OK;
  }
  sqlite3_stmt *st = wl_st(s, which);
  if (!st)
    return WL_E_DB;
  wl_store_bind_u64(st, 1, id);
  int rc = sqlite3_step(st);
  if (rc != SQLITE_ROW) {
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? wl_err(WL_E_CORRUPT, "%s: an event block names %s %llu, which "
                                      "is not stored", s->path, what, (unsigned long long)id)
                             : wl_store_sqlerr(s, rc, "reading an event");
  }
  if (wl_htab_full(t))
    wl_htab_clear(t);
  wl_htab_add(t, id, NULL, NULL, &slot);
  *out = wl_htab_entry(t, slot);
  fill(st, *out);
  sqlite3_reset(st);
  return WL_OK;
}

/* Flow id from the reader's copy, else its chunk of flow_pack read and all of it kept (the
 * events of a block name flows all over the week's ids: each chunk of 1,024 is decoded once, and
 * kept until the listing ends: 32 bytes a flow of the chunks it touches, 24 MB for 738k). */
static int lookup_flow(wl_store *s, reader *r, uint64_t id, const ev_flow **out) {
  size_t c = (size_t)(id >> 10);
  if (c < r->nflows && r->flows[c]) {
    *out = &r->flows[c][id & 1023];
    return (*out)->app >= 0 ? WL_OK : not_stored(s, id);
  }
  if (c >= r->nflows) {
    size_t n = r->nflows ? r->nflows : 64;
    while (n <= c)
      n *= 2;
    ev_flow **v = realloc(r->flows, n * sizeof *v);
    if (!v)
      return wl_err(WL_E_NOMEM, "%s: no memory to read events", s->path);
    memset(v + r->nflows, 0, (n - r->nflows) * sizeof *v);
    r->flows = v;
    r->nflows = n;
  }
  const wl_pack_flow *p;
  int rc = wl_flow_pack_find(s->db, s->path, &r->get, r->keys, id, &p);
  if (rc != WL_OK)
    return rc;
  ev_flow *chunk = malloc(WL_PACK_IDS * sizeof *chunk);
  if (!chunk)
    return wl_err(WL_E_NOMEM, "%s: no memory to read events", s->path);
  for (size_t i = 0; i < WL_PACK_IDS; i++)
    chunk[i].app = -1;
  for (size_t i = 0; i < r->keys->n; i++) {
    const wl_pack_flow *k = &r->keys->r[i];
    ev_flow *f = &chunk[k->id & 1023];
    f->app = k->f.app_id < 0 ? 0 : k->f.app_id;
    f->dir = k->f.dir;
    f->proto = k->f.proto;
    f->ip_version = k->f.ip_version;
    memcpy(f->remote_addr, k->f.remote_addr, 16);
    f->remote_port = k->f.remote_port;
    f->local_port = k->f.local_port;
  }
  r->flows[c] = chunk;
  *out = &chunk[id & 1023];
  return (*out)->app >= 0 ? WL_OK : not_stored(s, id);
}

static void fill_ctx(sqlite3_stmt *st, void *e) {
  ev_ctx *c = e;
  c->bits = sqlite3_column_int64(st, 0);
  c->filter = wl_store_col_u64(st, 1);
  c->layer = (uint16_t)sqlite3_column_int(st, 2);
  col_addr(st, 3, c->local_addr);
  c->reauth = (uint32_t)sqlite3_column_int64(st, 4);
  wl_store_col_text(st, 5, c->user, sizeof c->user);
  wl_store_col_text(st, 6, c->package, sizeof c->package);
}

static void fill_app(sqlite3_stmt *st, void *e) {
  ev_app *a = e;
  wl_store_col_text(st, 0, a->path, sizeof a->path);
  wl_store_col_text(st, 1, a->dos, sizeof a->dos);
}

/* Rebuilds the event of row: see store_write.c for what each part keeps. */
static int rebuild(wl_store *s, reader *r, const wl_block_row *row) {
  void *pc = NULL, *pa = NULL;
  const ev_flow *f = NULL;
  int rc;
  if ((rc = lookup_flow(s, r, row->flow, &f)) != WL_OK ||
      (rc = lookup(s, &r->ctxs, ST_CTX_BY_ID, row->ctx, fill_ctx, "context", &pc)) != WL_OK)
    return rc;
  const ev_ctx *c = pc;
  if ((rc = lookup(s, &r->apps, ST_APP_BY_ID, (uint64_t)f->app, fill_app, "app", &pa)) !=
      WL_OK)
    return rc;
  const ev_app *a = pa;
  wl_event *ev = &r->ev;
  wl_event_clear(ev);
  ev->ts = row->ts;
  ev->has = (uint32_t)(c->bits >> 16);
  ev->is_loopback = (uint8_t)(c->bits >> 8);
  ev->type = (uint8_t)((c->bits >> 4) & 15);
  ev->origin = (uint8_t)(c->bits & 15);
  memcpy(ev->local_addr, c->local_addr, 16);
  ev->filter_id = c->filter;
  ev->layer_id = c->layer;
  ev->reauth = c->reauth;
  ev->dir = f->dir;
  ev->proto = f->proto;
  ev->ip_version = f->ip_version;
  memcpy(ev->remote_addr, f->remote_addr, 16);
  uint16_t port = 0;
  wl_block_port_get(row->port, &port);
  ev->remote_port = f->dir == WL_DIR_IN ? port : f->remote_port;
  ev->local_port = f->dir == WL_DIR_OUT ? port : f->local_port;
  memcpy(ev->app, a->path, sizeof ev->app);
  memcpy(ev->app_dos, a->dos, sizeof ev->app_dos);
  memcpy(ev->user, c->user, sizeof ev->user);
  memcpy(ev->package, c->package, sizeof ev->package);
  return WL_OK;
}

/* ---------------------------------------------------------------- the merge */

/* Decode the block the statement is on and open it from its first event at or after since. */
static int open_block(wl_store *s, reader *r, sqlite3_stmt *st, uint64_t since) {
  size_t n = 0, first = 0;
  int rc = wl_block_decode(&r->codec, sqlite3_column_blob(st, 2),
                           (size_t)sqlite3_column_bytes(st, 2), r->scratch, &n);
  if (rc != WL_OK)
    return rc;
  while (first < n && r->scratch[first].ts < since)
    first++;
  if (first == n)
    return WL_OK;
  if (r->nopen == r->cap) {
    size_t cap = r->cap ? r->cap * 2 : 8;
    cursor *p = realloc(r->open, cap * sizeof *p);
    if (!p)
      return wl_err(WL_E_NOMEM, "%s: no memory to read events", s->path);
    r->open = p;
    r->cap = cap;
  }
  cursor *c = &r->open[r->nopen];
  if (!(c->rows = malloc((n - first) * sizeof *c->rows)))
    return wl_err(WL_E_NOMEM, "%s: no memory to read events", s->path);
  memcpy(c->rows, r->scratch + first, (n - first) * sizeof *c->rows);
  c->n = n - first;
  c->i = 0;
  r->nopen++;
  return WL_OK;
}

/* The open block whose next event goes first (the earliest; on a tie, the one opened first,
 * which came first in (ts_min, seq) order). */
static size_t earliest(const reader *r) {
  size_t best = 0;
  for (size_t i = 1; i < r->nopen; i++)
    if (r->open[i].rows[r->open[i].i].ts < r->open[best].rows[r->open[best].i].ts)
      best = i;
  return best;
}

static void close_block(reader *r, size_t i) {
  free(r->open[i].rows);
  memmove(&r->open[i], &r->open[i + 1], (r->nopen - i - 1) * sizeof *r->open);
  r->nopen--;
}

static int merge(wl_store *s, reader *r, sqlite3_stmt *st, uint64_t since, uint64_t until,
                 wl_event_cb cb, void *ctx) {
  int sr = sqlite3_step(st), rc = WL_OK;
  for (;;) {
    while (sr == SQLITE_ROW) { /* open what may hold the next event */
      uint64_t head = r->nopen ? r->open[earliest(r)].rows[r->open[earliest(r)].i].ts : 0;
      if (r->nopen && wl_store_col_u64(st, 1) > head)
        break;
      if ((rc = open_block(s, r, st, since)) != WL_OK)
        return rc;
      sr = sqlite3_step(st);
    }
    if (sr != SQLITE_ROW && sr != SQLITE_DONE)
      return wl_store_sqlerr(s, sr, "listing events");
    if (!r->nopen)
      return WL_OK;
    size_t b = earliest(r);
    cursor *c = &r->open[b];
    const wl_block_row *row = &c->rows[c->i];
    if (until && row->ts >= until) { /* the rest of this block is later still */
      close_block(r, b);
      continue;
    }
    if ((rc = rebuild(s, r, row)) != WL_OK)
      return rc;
    if ((rc = cb(ctx, &r->ev)) != 0)
      return rc;
    if (++c->i == c->n)
      close_block(r, b);
  }
}

int wl_store_events(wl_store *s, uint64_t since, uint64_t until, wl_event_cb cb, void *ctx) {
  if (!s || !cb)
    return wl_err(WL_E_INVAL, "wl_store_events: NULL argument");
  reader *r = malloc(sizeof *r);
  if (!r)
    return wl_err(WL_E_NOMEM, "%s: no memory to read events", s->path);
  int rc = reader_init(s, r);
  if (rc != WL_OK) {
    free(r);
    return rc;
  }
  sqlite3_stmt *st = wl_st(s, ST_BLOCKS_RANGE);
  if (!st) {
    rc = WL_E_DB;
  } else {
    wl_store_bind_u64(st, 1, since);
    sqlite3_bind_int64(st, 2, until ? (int64_t)until : INT64_MAX);
    rc = merge(s, r, st, since, until, cb, ctx);
    sqlite3_reset(st);
  }
  reader_free(r);
  free(r);
  return rc;
}
