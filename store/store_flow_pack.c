/* store_flow_pack.c — the flows packed: what the readers that list every flow read (review,
 * the page's proposals), since schema 12 the only home of their totals and since schema 13 of
 * their keys, kept by the write path and the rollup in their own transactions (issue 16).
 *
 * Why: review lists every flow of the week in id order (a million rows on a busy workstation).
 * Through SQLite that costs about 2,800 instructions a row, most of them column decoding
 * (OP_Column and the sqlite3_column_* calls: ~160 a column); even `SELECT id FROM flows` costs
 * 660 a row. flow_pack holds the same flows WL_PACK_IDS ids to a row, varint-coded in id order,
 * so a listing is a few thousand blob reads and a decode of ~40 instructions a flow.
 *
 * Exactness: flow_pack holds every flow, key and totals. They change in two places only, each
 * in one transaction: a block's new flows are appended here by the write path with that block's
 * totals (store_write.c's flows_flush, wl_flow_pack_born; ids above every id before them), and
 * a rollup adds totals to records (wl_flow_pack_add; until schema 12 it added the same to the
 * flows rows, ST_FLOWS_ADD). So a kill -9 neither loses nor double-counts, and a reader
 * (wl_flow_pack_each) gets every flow in id order; a read-only handle adds the pending blocks
 * to them as before (store_read.c). A flow the rollup touches that is not packed is
 * WL_E_CORRUPT (the rollup rolls back). test_store_flow_pack compares the listing with the
 * flows read by id and with the events written.
 *
 * Rows: flow_pack(chunk, last_id, last_first, data): chunk n holds the ids
 * [n << WL_PACK_SHIFT, (n + 1) << WL_PACK_SHIFT); last_id and last_first are its last record's
 * (what an appended record is coded against, so new flows are appended without decoding).
 * Record: varints (unsigned LEB128) id minus the previous record's id (the first: minus the
 * chunk's first id) and app; bytes dir, proto, ip_version, action; remote_port and local_port
 * (2 bytes each, little-endian); a byte: the length of remote_addr without its trailing zero
 * bytes (bits 0-4) and how many bytes of it the flow's key holds (bits 5-6, schema 13: 0 none,
 * 1 four, 2 sixteen, 3 the number in a byte after the address), then those bytes; varints
 * count, first_seen zigzag-minus the previous record's, last_seen zigzag-minus first_seen,
 * last_filter_id. About 25-30 bytes a flow.
 *
 * Since schema 13 this is the only copy of the flows' keys too: the flows table is gone (its
 * insert was a fifth of the write path's instructions). What read a flow by id reads its chunk
 * (wl_flow_pack_chunk: 1,024 flows decoded at once), the writer's map of every flow is loaded
 * from here (wl_flow_pack_each_from), and the migration (wl_schema_v13_keys) writes each
 * record's key length from the flows row before dropping the table (records of schemas 10-12
 * had bits 5-6 clear).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/wl_err.h"
#include "store/flow_pack.h"

#define WL_PACK_SHIFT 10 /* ids per chunk: 1024 */
_Static_assert(WL_PACK_IDS == 1u << WL_PACK_SHIFT, "a chunk's ids (flow_pack.h)");
#define REC_MAX 128      /* the longest record: 11 varints of <= 10 bytes, 2 + 16 addr bytes */

/* ---------------------------------------------------------------- codec */

static size_t put_v(uint8_t *p, uint64_t v) {
  size_t n = 0;
  while (v >= 0x80) {
    p[n++] = (uint8_t)(v | 0x80);
    v >>= 7;
  }
  p[n++] = (uint8_t)v;
  return n;
}

static int get_v_slow(const uint8_t **p, const uint8_t *end, uint64_t *v) {
  uint64_t x = 0;
  for (int shift = 0; *p < end && shift < 64; shift += 7) {
    uint8_t b = *(*p)++;
    x |= (uint64_t)(b & 0x7f) << shift;
    if (!(b & 0x80)) {
      *v = x;
      return 1;
    }
  }
  return 0;
}

/* Most values are one byte (flags, small ids): that case inline. */
static inline int get_v(const uint8_t **p, const uint8_t *end, uint64_t *v) {
  if (*p < end && **p < 0x80) {
    *v = *(*p)++;
    return 1;
  }
  return get_v_slow(p, end, v);
}

static uint64_t zz(uint64_t a, uint64_t b) { /* a - b, zigzag */
  int64_t d = (int64_t)(a - b);
  return ((uint64_t)d << 1) ^ (uint64_t)(d >> 63);
}

static uint64_t unzz(uint64_t b, uint64_t z) {
  return b + (uint64_t)((int64_t)(z >> 1) ^ -(int64_t)(z & 1));
}

static size_t rec_put(uint8_t *p, const wl_pack_flow *r, uint64_t prev_id, uint64_t prev_first) {
  const wl_flow *f = &r->f;
  size_t n = 0, len = 16;
  while (len && !f->remote_addr[len - 1])
    len--;
  n += put_v(p + n, r->id - prev_id);
  n += put_v(p + n, (uint64_t)f->app_id);
  p[n++] = f->dir;
  p[n++] = f->proto;
  p[n++] = f->ip_version;
  p[n++] = f->action;
  p[n++] = (uint8_t)f->remote_port;
  p[n++] = (uint8_t)(f->remote_port >> 8);
  p[n++] = (uint8_t)f->local_port;
  p[n++] = (uint8_t)(f->local_port >> 8);
  unsigned code = r->alen == 0 ? 0 : r->alen == 4 ? 1 : r->alen == 16 ? 2 : 3;
  p[n++] = (uint8_t)(len | code << 5);
  memcpy(p + n, f->remote_addr, len);
  n += len;
  if (code == 3)
    p[n++] = r->alen;
  n += put_v(p + n, f->count);
  n += put_v(p + n, zz(f->first_seen, prev_first));
  n += put_v(p + n, zz(f->last_seen, f->first_seen));
  n += put_v(p + n, f->last_filter_id);
  return n;
}

/* A varint with at least 10 bytes readable at p (no bounds checks): the listing's hot path. */
static inline const uint8_t *get_fast(const uint8_t *p, uint64_t *v) {
  uint64_t x = *p++;
  if (x < 0x80) {
    *v = x;
    return p;
  }
  x &= 0x7f;
  for (int shift = 7; shift < 70; shift += 7) {
    uint64_t b = *p++;
    x |= (b & 0x7f) << shift;
    if (b < 0x80)
      break;
  }
  *v = x;
  return p;
}

#define FIXED 9 /* dir, proto, ip_version, action, remote_port, local_port (LE), addr length */

static void rec_set(wl_pack_flow *r, const uint64_t v[6], const uint8_t *fx, uint64_t prev_id,
                    uint64_t prev_first) {
  wl_flow *f = &r->f;
  r->id = prev_id + v[0];
  f->app_id = (int64_t)v[1];
  f->dir = fx[0];
  f->proto = fx[1];
  f->ip_version = fx[2];
  f->action = fx[3];
  f->remote_port = (uint16_t)(fx[4] | fx[5] << 8);
  f->local_port = (uint16_t)(fx[6] | fx[7] << 8);
  f->count = v[2];
  f->first_seen = unzz(prev_first, v[3]);
  f->last_seen = unzz(f->first_seen, v[4]);
  f->last_filter_id = v[5];
}

/* The key's address length from the length byte b (bits 5-6), the explicit one read at *p
 * (advanced) when there is one; 0 when it is out of range. */
static inline int key_len(wl_pack_flow *r, uint8_t b, const uint8_t **p, const uint8_t *end) {
  static const uint8_t by_code[3] = {0, 4, 16};
  unsigned code = b >> 5 & 3;
  if (code < 3) {
    r->alen = by_code[code];
    return 1;
  }
  if (*p >= end || **p > 16)
    return 0;
  r->alen = *(*p)++;
  return 1;
}

/* One record at *p (advanced); 0 when the bytes are not a record. */
static int rec_get(const uint8_t **p, const uint8_t *end, wl_pack_flow *r, uint64_t prev_id,
                   uint64_t prev_first) {
  uint64_t v[6];
  wl_flow *f = &r->f;
  const uint8_t *q = *p, *fx;
  size_t len;
  if (end - q >= REC_MAX) { /* room for the longest record: no checks per byte */
    q = get_fast(q, &v[0]);
    q = get_fast(q, &v[1]);
    fx = q;
    q += FIXED;
    len = fx[FIXED - 1] & 31;
    if (len > 16)
      return 0;
    memset(f->remote_addr, 0, sizeof f->remote_addr);
    memcpy(f->remote_addr, q, len);
    q += len;
    if (!key_len(r, fx[FIXED - 1], &q, q + 1))
      return 0;
    for (int i = 2; i < 6; i++)
      q = get_fast(q, &v[i]);
    *p = q;
    rec_set(r, v, fx, prev_id, prev_first);
    return 1;
  }
  if (!get_v(p, end, &v[0]) || !get_v(p, end, &v[1]) || end - *p < FIXED)
    return 0;
  fx = *p;
  *p += FIXED;
  len = fx[FIXED - 1] & 31;
  if (len > 16 || (size_t)(end - *p) < len)
    return 0;
  memset(f->remote_addr, 0, sizeof f->remote_addr);
  memcpy(f->remote_addr, *p, len);
  *p += len;
  if (!key_len(r, fx[FIXED - 1], p, end))
    return 0;
  for (int i = 2; i < 6; i++)
    if (!get_v(p, end, &v[i]))
      return 0;
  rec_set(r, v, fx, prev_id, prev_first);
  return 1;
}

/* ---------------------------------------------------------------- chunks */

typedef struct chunk {
  int64_t no;           /* chunk number: ids [no << SHIFT, (no + 1) << SHIFT) */
  wl_pack_flow *r;      /* its flows, in id order (room for WL_PACK_IDS) */
  size_t n;
  uint8_t *buf;         /* encoding buffer */
  size_t buf_cap;
} chunk;

/* Where the chunks live: the store's database or, in the migration, one without a handle. */
typedef struct dbx {
  sqlite3 *db;
  const char *path;
} dbx;

static int sqlerr(const dbx *x, int r, const char *what) {
  return wl_store_sqlerr_at(x->db, x->path, r, what);
}

static int corrupt(const char *path, int64_t no) {
  return wl_err(WL_E_CORRUPT, "%s: flow_pack chunk %lld is damaged", path, (long long)no);
}

/* The records of chunk no (b[0..len)) into r[0..*n): at most WL_PACK_IDS, ids ascending. */
static int decode_recs(const char *path, int64_t no, const uint8_t *b, size_t len,
                       wl_pack_flow *r, size_t *n) {
  const uint8_t *p = b, *end = b + len;
  uint64_t id = (uint64_t)no << WL_PACK_SHIFT, first = 0;
  *n = 0;
  while (p < end) {
    if (*n == WL_PACK_IDS || !rec_get(&p, end, &r[*n], id, first)) {
      *n = 0;
      return corrupt(path, no);
    }
    id = r[*n].id;
    first = r[*n].f.first_seen;
    (*n)++;
  }
  return WL_OK;
}

static int decode(const char *path, int64_t no, const uint8_t *b, size_t len, chunk *c) {
  c->no = no;
  c->n = 0;
  if (!c->r && !(c->r = malloc(WL_PACK_IDS * sizeof *c->r)))
    return wl_err(WL_E_NOMEM, "flow_pack: out of memory");
  return decode_recs(path, no, b, len, c->r, &c->n);
}

static int chunk_load(const dbx *s, sqlite3_stmt *get, int64_t no, chunk *c) {
  sqlite3_bind_int64(get, 1, no);
  int r = sqlite3_step(get), rc = WL_OK;
  c->no = no;
  c->n = 0;
  if (r == SQLITE_ROW)
    rc = decode(s->path, no, sqlite3_column_blob(get, 0), (size_t)sqlite3_column_bytes(get, 0),
                c);
  else if (r != SQLITE_DONE)
    rc = sqlerr(s, r, "reading flow_pack");
  sqlite3_reset(get);
  return rc;
}

static int grow(uint8_t **buf, size_t *cap, size_t need) {
  if (need <= *cap)
    return WL_OK;
  size_t n = *cap ? *cap : 4096;
  while (n < need)
    n *= 2;
  uint8_t *b = realloc(*buf, n);
  if (!b)
    return wl_err(WL_E_NOMEM, "flow_pack: out of memory");
  *buf = b;
  *cap = n;
  return WL_OK;
}

static int put_row(const dbx *s, sqlite3_stmt *put, int64_t no, uint64_t last_id,
                   uint64_t last_first, const uint8_t *data, size_t len) {
  sqlite3_bind_int64(put, 1, no);
  sqlite3_bind_int64(put, 2, (int64_t)last_id);
  sqlite3_bind_int64(put, 3, (int64_t)last_first);
  sqlite3_bind_blob(put, 4, data, (int)len, SQLITE_STATIC);
  int r = sqlite3_step(put);
  sqlite3_reset(put);
  return r == SQLITE_DONE ? WL_OK : sqlerr(s, r, "writing flow_pack");
}

static int chunk_save(const dbx *s, sqlite3_stmt *put, chunk *c) {
  size_t len = 0;
  int rc = grow(&c->buf, &c->buf_cap, c->n * REC_MAX + 1);
  if (rc != WL_OK)
    return rc;
  uint64_t id = (uint64_t)c->no << WL_PACK_SHIFT, first = 0;
  for (size_t i = 0; i < c->n; i++) {
    len += rec_put(c->buf + len, &c->r[i], id, first);
    id = c->r[i].id;
    first = c->r[i].f.first_seen;
  }
  return put_row(s, put, c->no, id, first, c->buf, len);
}

static void chunk_free(chunk *c) {
  free(c->r);
  free(c->buf);
}

static const char sql_get[] = "SELECT data FROM flow_pack WHERE chunk=?1";
static const char sql_put[] =
    "INSERT OR REPLACE INTO flow_pack(chunk, last_id, last_first, data) VALUES(?1, ?2, ?3, ?4)";

static int prep(sqlite3 *db, const char *path, const char *sql, sqlite3_stmt **st) {
  int r = sqlite3_prepare_v3(db, sql, -1, 0, st, NULL);
  if (r != SQLITE_OK)
    return wl_err(WL_E_DB, "%s: flow_pack: %s", path, sqlite3_errmsg(db));
  return WL_OK;
}

/* ---------------------------------------------------------------- new flows */

/* Appends recs[0..n) (ids ascending, above every id packed) to their chunks. */
static int append(const dbx *x, const wl_pack_flow *recs, size_t n) {
  sqlite3_stmt *get = NULL, *put = NULL;
  uint8_t *buf = NULL;
  size_t cap = 0;
  int rc = prep(x->db, x->path, "SELECT last_id, last_first, data FROM flow_pack WHERE chunk=?1",
                &get);
  if (rc == WL_OK)
    rc = prep(x->db, x->path, sql_put, &put);
  for (size_t i = 0; rc == WL_OK && i < n;) {
    int64_t no = (int64_t)(recs[i].id >> WL_PACK_SHIFT);
    size_t j = i;
    while (j < n && (int64_t)(recs[j].id >> WL_PACK_SHIFT) == no)
      j++;
    uint64_t id = (uint64_t)no << WL_PACK_SHIFT, first = 0;
    size_t len = 0;
    sqlite3_bind_int64(get, 1, no);
    int r = sqlite3_step(get);
    if (r == SQLITE_ROW) {
      id = (uint64_t)sqlite3_column_int64(get, 0);
      first = (uint64_t)sqlite3_column_int64(get, 1);
      len = (size_t)sqlite3_column_bytes(get, 2);
      if ((rc = grow(&buf, &cap, len + (j - i) * REC_MAX)) == WL_OK && len)
        memcpy(buf, sqlite3_column_blob(get, 2), len);
    } else if (r != SQLITE_DONE) {
      rc = sqlerr(x, r, "reading flow_pack");
    } else {
      rc = grow(&buf, &cap, (j - i) * REC_MAX);
    }
    sqlite3_reset(get);
    if (rc == WL_OK && recs[i].id <= id && len)
      rc = wl_err(WL_E_CORRUPT, "%s: flow %llu is older than flow_pack's last", x->path,
                  (unsigned long long)recs[i].id);
    for (; rc == WL_OK && i < j; i++) {
      len += rec_put(buf + len, &recs[i], id, first);
      id = recs[i].id;
      first = recs[i].f.first_seen;
    }
    if (rc == WL_OK)
      rc = put_row(x, put, no, id, first, buf, len);
  }
  sqlite3_finalize(get);
  sqlite3_finalize(put);
  free(buf);
  return rc;
}

int wl_flow_pack_born(wl_store *s, const wl_new_flow *fresh, uint32_t n) {
  wl_pack_flow *recs = n ? malloc(n * sizeof *recs) : NULL;
  size_t k = 0;
  if (n && !recs)
    return wl_err(WL_E_NOMEM, "flow_pack: out of memory");
  for (uint32_t i = 0; i < n; i++) {
    const wl_new_flow *nf = &fresh[i];
    wl_pack_flow *r = &recs[k++];
    wl_flow *f = &r->f;
    memset(f, 0, sizeof *f);
    r->id = nf->id;
    f->app_id = nf->k.app;
    f->dir = nf->k.dir;
    f->proto = nf->k.proto;
    f->ip_version = nf->k.ip_version;
    f->action = nf->k.action;
    memcpy(f->remote_addr, nf->k.remote_addr, nf->k.alen > 16 ? 16 : nf->k.alen);
    r->alen = nf->k.alen > 16 ? 16 : nf->k.alen;
    f->remote_port = nf->k.remote_port;
    f->local_port = nf->k.local_port;
    f->count = nf->count;
    f->first_seen = nf->first;
    f->last_seen = nf->last;
    f->last_filter_id = nf->filter;
  }
  dbx x = {s->db, s->path};
  int rc = k ? append(&x, recs, k) : WL_OK;
  free(recs);
  return rc;
}

/* ---------------------------------------------------------------- the rollup's totals */

int wl_flow_pack_add(wl_store *s, const wl_htab *t, const uint32_t *used, uint32_t n) {
  sqlite3_stmt *get = NULL, *put = NULL;
  chunk c = {.no = -1};
  dbx x = {s->db, s->path};
  int rc = prep(s->db, s->path, sql_get, &get);
  if (rc == WL_OK)
    rc = prep(s->db, s->path, sql_put, &put);
  size_t k = 0; /* c.r[k]: where the search for the next id starts (ids ascend) */
  for (uint32_t i = 0; rc == WL_OK && i < n; i++) {
    const wl_roll_flow *d = wl_htab_entry(t, used[i]);
    int64_t no = (int64_t)(d->tag >> WL_PACK_SHIFT);
    if (no != c.no) {
      if (c.no >= 0 && (rc = chunk_save(&x, put, &c)) != WL_OK)
        break;
      if ((rc = chunk_load(&x, get, no, &c)) != WL_OK)
        break;
      k = 0;
    }
    while (k < c.n && c.r[k].id < d->tag)
      k++;
    if (k == c.n || c.r[k].id != d->tag) {
      rc = wl_err(WL_E_CORRUPT, "%s: flow %llu is not in flow_pack", s->path,
                  (unsigned long long)d->tag);
      break;
    }
    wl_flow *f = &c.r[k].f; /* what the v11 upsert ST_FLOWS_ADD did to the flows row */
    f->count += d->count;
    f->first_seen = d->first < f->first_seen ? d->first : f->first_seen;
    if (d->last >= f->last_seen) {
      f->last_filter_id = d->filter;
      f->last_seen = d->last;
    }
  }
  if (rc == WL_OK && c.no >= 0)
    rc = chunk_save(&x, put, &c);
  sqlite3_finalize(get);
  sqlite3_finalize(put);
  chunk_free(&c);
  return rc;
}

/* ---------------------------------------------------------------- readers */

/* The listing reads every page of flow_pack once: kept in the page cache (64 MB, store.c) they
 * only cost page faults (0.02-0.04 s for the 20 MB of a million flows; 0.01 s through a 2 MB
 * cache). Outside a transaction (so no dirty page is spilled) the cache is small meanwhile. */
static int64_t cache_shrink(sqlite3 *db) {
  sqlite3_stmt *st = NULL;
  int64_t old = 0;
  if (!sqlite3_get_autocommit(db) ||
      sqlite3_prepare_v2(db, "PRAGMA cache_size", -1, &st, NULL) != SQLITE_OK)
    return 0;
  if (sqlite3_step(st) == SQLITE_ROW)
    old = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  if (old && sqlite3_exec(db, "PRAGMA cache_size=-2048", NULL, NULL, NULL) != SQLITE_OK)
    old = 0;
  return old;
}

static void cache_restore(sqlite3 *db, int64_t old) {
  char sql[64];
  if (!old)
    return;
  snprintf(sql, sizeof sql, "PRAGMA cache_size=%lld", (long long)old);
  sqlite3_exec(db, sql, NULL, NULL, NULL); /* a failure leaves the small cache: slower only */
}

/* The record at *p (advanced) if its app is `app`: 1; another app's: skipped (its id and
 * first_seen, which the next record is coded against, still decoded), 2; 0 when the bytes
 * are not a record. The skip reads the app (the second varint) and steps over the rest. */
typedef struct app_sel {
  int64_t app;       /* the app wanted (set NULL) */
  const uint8_t *set; /* or: set[a] != 0 for the apps a <= max wanted */
  int64_t max;
} app_sel;

static inline int wanted(const app_sel *w, uint64_t a) {
  return w->set ? a <= (uint64_t)w->max && w->set[a] : (int64_t)a == w->app;
}

static int rec_get_app(const uint8_t **p, const uint8_t *end, wl_pack_flow *r, const app_sel *w,
                       uint64_t *prev_id, uint64_t *prev_first) {
  if (end - *p < REC_MAX) { /* the chunk's tail: decoded whole, with checks */
    if (!rec_get(p, end, r, *prev_id, *prev_first))
      return 0;
    *prev_id = r->id;
    *prev_first = r->f.first_seen;
    return wanted(w, (uint64_t)r->f.app_id) ? 1 : 2;
  }
  uint64_t d, a, first;
  const uint8_t *q = get_fast(get_fast(*p, &d), &a);
  if (wanted(w, a)) {
    if (!rec_get(p, end, r, *prev_id, *prev_first))
      return 0;
    *prev_id = r->id;
    *prev_first = r->f.first_seen;
    return 1;
  }
  size_t len = q[FIXED - 1] & 31;
  if (len > 16)
    return 0;
  uint64_t skip;
  len += (q[FIXED - 1] >> 5 & 3) == 3; /* the key's address length after the address */
  q = get_fast(q + FIXED + len, &skip); /* count */
  q = get_fast(q, &first);
  q = get_fast(get_fast(q, &skip), &skip); /* last_seen, last_filter_id */
  *prev_id += d;
  *prev_first = unzz(*prev_first, first);
  *p = q;
  return 2;
}

static int each(wl_store *s, const app_sel *w, uint64_t from, wl_pack_cb cb, void *ctx) {
  sqlite3_stmt *st = NULL;
  int r = SQLITE_DONE;
  int64_t cache = cache_shrink(s->db);
  int rc = prep(s->db, s->path,
                "SELECT chunk, data FROM flow_pack WHERE chunk>=?1 ORDER BY chunk", &st);
  if (rc == WL_OK)
    sqlite3_bind_int64(st, 1, (int64_t)(from >> WL_PACK_SHIFT));
  while (rc == WL_OK && (r = sqlite3_step(st)) == SQLITE_ROW) {
    int64_t no = sqlite3_column_int64(st, 0);
    const uint8_t *p = sqlite3_column_blob(st, 1);
    const uint8_t *end = p + sqlite3_column_bytes(st, 1);
    uint64_t id = (uint64_t)no << WL_PACK_SHIFT, first = 0;
    wl_pack_flow f;
    while (rc == WL_OK && p < end) {
      int got = !w ? rec_get(&p, end, &f, id, first) : rec_get_app(&p, end, &f, w, &id, &first);
      if (!got) {
        rc = corrupt(s->path, no);
        break;
      }
      if (!w) {
        id = f.id;
        first = f.f.first_seen;
      }
      if (got == 1 && f.id >= from)
        rc = cb(ctx, &f);
    }
  }
  if (rc == WL_OK && r != SQLITE_DONE)
    rc = wl_store_sqlerr(s, r, "reading flow_pack");
  sqlite3_finalize(st);
  cache_restore(s->db, cache);
  return rc;
}

int wl_flow_pack_each(wl_store *s, int64_t app, wl_pack_cb cb, void *ctx) {
  app_sel w = {.app = app};
  return each(s, app < 0 ? NULL : &w, 0, cb, ctx);
}

int wl_flow_pack_each_from(wl_store *s, uint64_t from, wl_pack_cb cb, void *ctx) {
  return each(s, NULL, from, cb, ctx);
}

int wl_flow_pack_each_of(wl_store *s, const uint8_t *set, int64_t max, wl_pack_cb cb,
                         void *ctx) {
  app_sel w = {.set = set, .max = max};
  return each(s, &w, 0, cb, ctx);
}

/* ---------------------------------------------------------------- by id */

static int chunk_read(sqlite3 *db, const char *path, sqlite3_stmt **get, int64_t no,
                      wl_pack_chunk *c) {
  dbx x = {db, path};
  int rc = *get ? WL_OK : prep(db, path, sql_get, get);
  c->no = -1;
  c->n = 0;
  if (rc != WL_OK)
    return rc;
  sqlite3_bind_int64(*get, 1, no);
  int r = sqlite3_step(*get);
  if (r == SQLITE_ROW)
    rc = decode_recs(path, no, sqlite3_column_blob(*get, 0),
                     (size_t)sqlite3_column_bytes(*get, 0), c->r, &c->n);
  else if (r != SQLITE_DONE)
    rc = sqlerr(&x, r, "reading flow_pack");
  sqlite3_reset(*get);
  if (rc == WL_OK)
    c->no = no;
  return rc;
}

static const wl_pack_flow *chunk_at(const wl_pack_chunk *c, uint64_t id) {
  size_t lo = 0, hi = c->n;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (c->r[mid].id < id)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo < c->n && c->r[lo].id == id ? &c->r[lo] : NULL;
}

int wl_flow_pack_find(sqlite3 *db, const char *path, sqlite3_stmt **get, wl_pack_chunk *c,
                      uint64_t id, const wl_pack_flow **out) {
  int64_t no = (int64_t)(id >> WL_PACK_SHIFT);
  *out = NULL;
  if (id == 0 || id > (uint64_t)INT64_MAX)
    return WL_OK;
  if (c->no == no && (*out = chunk_at(c, id)) != NULL)
    return WL_OK;
  if (c->no == no && c->n && c->r[c->n - 1].id > id)
    return WL_OK; /* a gap in ids held: no such flow */
  int rc = chunk_read(db, path, get, no, c);
  if (rc == WL_OK)
    *out = chunk_at(c, id);
  return rc;
}

/* ---------------------------------------------------------------- migration */

/* v9 -> v10: the table, filled from flows a chunk at a time. */
int wl_schema_v10_pack(sqlite3 *db, const char *path) {
  dbx x = {db, path};
  sqlite3_stmt *st = NULL;
  wl_pack_flow *recs = malloc((WL_PACK_IDS + 1) * sizeof *recs); /* a chunk and the next */
  size_t n = 0;
  int r = SQLITE_DONE, rc = recs ? WL_OK : wl_err(WL_E_NOMEM, "flow_pack: out of memory");
  if (rc == WL_OK &&
      sqlite3_exec(db, "CREATE TABLE flow_pack(chunk INTEGER PRIMARY KEY, last_id INTEGER NOT "
                   "NULL, last_first INTEGER NOT NULL, data BLOB NOT NULL)",
                   NULL, NULL, NULL) != SQLITE_OK)
    rc = sqlerr(&x, SQLITE_ERROR, "creating flow_pack");
  if (rc == WL_OK)
    rc = prep(db, path,
              "SELECT app,dir,proto,ip_version,remote_addr,remote_port,local_port,action,"
              "count,first_seen,last_seen,last_filter_id,id FROM flows ORDER BY id",
              &st);
  while (rc == WL_OK && (r = sqlite3_step(st)) == SQLITE_ROW) {
    wl_store_fill_flow(st, &recs[n].f);
    int alen = sqlite3_column_bytes(st, 4);
    recs[n].alen = (uint8_t)(alen > 16 ? 16 : alen);
    recs[n].id = (uint64_t)sqlite3_column_int64(st, 12);
    if (n && recs[n].id >> WL_PACK_SHIFT != recs[0].id >> WL_PACK_SHIFT) {
      wl_pack_flow next = recs[n];
      rc = append(&x, recs, n);
      recs[0] = next;
      n = 0;
    }
    n++;
  }
  if (rc == WL_OK && r != SQLITE_DONE)
    rc = sqlerr(&x, r, "listing flows");
  if (rc == WL_OK && n)
    rc = append(&x, recs, n);
  sqlite3_finalize(st);
  free(recs);
  return rc;
}

/* v12 -> v13: each chunk's records get their key's address length from the flows rows of
 * their ids (records of schemas 10-12 had none), then flows goes. Every record must have its
 * row and every row its record: counted. The chunks are listed first, then each is read and
 * rewritten (no statement steps over flow_pack while it changes). */
int wl_schema_v13_keys(sqlite3 *db, const char *path) {
  dbx x = {db, path};
  sqlite3_stmt *list = NULL, *get = NULL, *rows = NULL, *put = NULL;
  chunk c = {.no = -1};
  int64_t packed = 0, listed = -1, *nos = NULL;
  size_t nno = 0, cap = 0;
  int r = SQLITE_DONE;
  int rc = prep(db, path, "SELECT chunk FROM flow_pack ORDER BY chunk", &list);
  while (rc == WL_OK && (r = sqlite3_step(list)) == SQLITE_ROW) {
    if (nno == cap) {
      size_t ncap = cap ? 2 * cap : 256;
      int64_t *n = realloc(nos, ncap * sizeof *n);
      if (!n) {
        rc = wl_err(WL_E_NOMEM, "flow_pack: out of memory");
        break;
      }
      nos = n;
      cap = ncap;
    }
    nos[nno++] = sqlite3_column_int64(list, 0);
  }
  if (rc == WL_OK && r != SQLITE_DONE)
    rc = sqlerr(&x, r, "listing flow_pack");
  sqlite3_finalize(list);
  if (rc == WL_OK)
    rc = prep(db, path, sql_get, &get);
  if (rc == WL_OK)
    rc = prep(db, path,
              "SELECT id, length(remote_addr) FROM flows WHERE id>=?1 AND id<?2 ORDER BY id",
              &rows);
  if (rc == WL_OK)
    rc = prep(db, path, sql_put, &put);
  for (size_t i = 0; rc == WL_OK && i < nno; i++) {
    int64_t no = nos[i];
    if ((rc = chunk_load(&x, get, no, &c)) != WL_OK)
      break;
    sqlite3_bind_int64(rows, 1, no << WL_PACK_SHIFT);
    sqlite3_bind_int64(rows, 2, (no + 1) << WL_PACK_SHIFT);
    size_t k = 0;
    while (rc == WL_OK && (r = sqlite3_step(rows)) == SQLITE_ROW) {
      uint64_t id = (uint64_t)sqlite3_column_int64(rows, 0);
      int alen = sqlite3_column_int(rows, 1);
      if (k < c.n && c.r[k].id < id) /* both in id order: the record has no row */
        break;
      if (k == c.n || c.r[k].id != id)
        rc = wl_err(WL_E_CORRUPT, "%s: flow %llu is in flows but not in flow_pack", path,
                    (unsigned long long)id);
      else
        c.r[k++].alen = (uint8_t)(alen > 16 ? 16 : alen);
    }
    if (rc == WL_OK && r != SQLITE_DONE && r != SQLITE_ROW)
      rc = sqlerr(&x, r, "listing flows");
    sqlite3_reset(rows);
    if (rc == WL_OK && k != c.n)
      rc = wl_err(WL_E_CORRUPT, "%s: flow %llu is in flow_pack but not in flows", path,
                  (unsigned long long)c.r[k].id);
    if (rc == WL_OK)
      rc = chunk_save(&x, put, &c);
    packed += (int64_t)c.n;
  }
  sqlite3_finalize(get);
  sqlite3_finalize(rows);
  sqlite3_finalize(put);
  chunk_free(&c);
  free(nos);
  if (rc == WL_OK) {
    sqlite3_stmt *st = NULL;
    rc = prep(db, path, "SELECT count(*) FROM flows", &st);
    if (rc == WL_OK && (r = sqlite3_step(st)) == SQLITE_ROW)
      listed = sqlite3_column_int64(st, 0);
    else if (rc == WL_OK)
      rc = sqlerr(&x, r, "counting flows");
    sqlite3_finalize(st);
  }
  if (rc == WL_OK && listed != packed)
    rc = wl_err(WL_E_CORRUPT, "%s: flows holds %lld flows, flow_pack %lld", path,
                (long long)listed, (long long)packed);
  if (rc == WL_OK && sqlite3_exec(db, "DROP TABLE flows", NULL, NULL, NULL) != SQLITE_OK)
    rc = sqlerr(&x, SQLITE_ERROR, "dropping flows");
  return rc;
}
