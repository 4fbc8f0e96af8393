/* store_held_cover.c — the held rows' counts and listing (store/held.h): which long-lived held
 * rows no flow covers ("table-only"), worked out in C with one pass over flow_pack (issue 16).
 *
 * Why not SQL: the cover test was a NOT EXISTS subquery over flows JOIN apps per held row, which
 * found a program's flows through flows_app, the index on flows(app). Schema 11 dropped that
 * index (it was a third of the write path's cost), and without it SQLite would scan every flow
 * for every held row (20,000 x a million). Here: the held rows (reads >= WL_HELD_LONG_READS)
 * are read once and matched to the apps rows whose DOS or NT path equals theirs (COLLATE
 * NOCASE: ASCII case folded); each (app, row) gives two keys, the one an inbound flow would have
 * (app, protocol, local port) and an outbound one's (app, protocol, remote address and port),
 * hashed into a sorted index. Then one pass over the packed flows (wl_flow_pack_each_of: the
 * records of apps no held row names are skipped undecoded) looks each flow's key up there and
 * marks the rows it covers, stopping when none is left. Exact, as the subquery was: a flow
 * covers a row of the same program and protocol, outbound (dir 2) to the same remote address
 * (the same bytes: the packed record's address and its key length, schema 13) and port, or inbound (dir 1) to the same local port. Pending blocks are not
 * looked at (they never were). The order is the query's: uncovered first, then by program
 * (binary), first seen, and the table's key order. Cost at the cap (20,000 held rows, 738k flows): ~0.5 G instructions,
 * ~0.1 s (the subquery through flows_app took minutes there); with no held row, nothing.
 */
#include <stdlib.h>
#include <string.h>

#include "common/wl_err.h"
#include "common/wl_hash.h"
#include "store/flow_pack.h"
#include "store/held.h"
#include "store/store_int.h"

typedef struct row {
  char *app; /* malloc'd */
  uint8_t state, proto, ip_version, alen, covered;
  uint16_t local_port, remote_port;
  uint8_t remote_addr[16];
  uint64_t first_seen, last_seen, reads;
  uint32_t ord; /* the table's key order */
} row;

/* A held row's key (one per matched app and direction) and a flow's: equal keys, a cover. */
typedef struct ckey {
  int64_t app;
  uint8_t addr[16]; /* outbound: the remote address, zero-padded; inbound: zeros */
  uint16_t port;    /* outbound: remote port; inbound: local port */
  uint8_t proto, dir, pad[4];
} ckey;

typedef struct ent {
  uint64_t hash; /* of the ckey */
  int64_t app;
  uint32_t row;
} ent;

typedef struct heldset {
  wl_store *s;
  row *r;
  size_t n, left;     /* rows; of them not covered yet */
  uint8_t *has;       /* app ids 0 .. max_app: 1 when a held row names it */
  int64_t max_app;
  ent *e;             /* sorted by hash; those of the hash's top `bits` bits b are */
  uint32_t *start;    /* e[start[b] .. start[b + 1]) */
  int bits;
} heldset;

static uint64_t ckey_hash(int64_t app, uint8_t proto, uint8_t dir, uint16_t port,
                          const uint8_t *addr) {
  ckey k;
  memset(&k, 0, sizeof k);
  k.app = app;
  k.proto = proto;
  k.dir = dir;
  k.port = port;
  if (addr)
    memcpy(k.addr, addr, sizeof k.addr);
  return wl_hash_bytes(&k, sizeof k);
}

#define STOP 1 /* every row covered: the pass stops early */

static int nomem(wl_store *s) {
  return wl_err(WL_E_NOMEM, "%s: no memory for the held connections", s->path);
}

static int prep(wl_store *s, const char *sql, sqlite3_stmt **st) {
  int rc = sqlite3_prepare_v2(s->db, sql, -1, st, NULL);
  return rc == SQLITE_OK ? WL_OK : wl_store_sqlerr(s, rc, "preparing a held-connections query");
}

/* SQLite's NOCASE: ASCII letters folded, bytes compared unsigned. */
static int nocase(const char *a, const char *b) {
  for (;; a++, b++) {
    unsigned x = (unsigned char)*a, y = (unsigned char)*b;
    x += x - 'A' < 26u ? 32 : 0;
    y += y - 'A' < 26u ? 32 : 0;
    if (x != y || !x)
      return (int)x - (int)y;
  }
}

static void heldset_free(heldset *x) {
  for (size_t i = 0; i < x->n; i++)
    free(x->r[i].app);
  free(x->r);
  free(x->has);
  free(x->e);
  free(x->start);
}

static int load_rows(heldset *x) {
  sqlite3_stmt *st = NULL;
  size_t cap = 0;
  int r = SQLITE_DONE, rc = prep(x->s,
                                 "SELECT app, state, proto, ip_version, remote_addr,"
                                 " remote_port, local_port, first_seen, last_seen, reads"
                                 " FROM held WHERE reads >= ?1",
                                 &st);
  if (rc == WL_OK)
    sqlite3_bind_int(st, 1, (int)WL_HELD_LONG_READS);
  while (rc == WL_OK && (r = sqlite3_step(st)) == SQLITE_ROW) {
    if (x->n == cap) {
      row *p = realloc(x->r, (cap = cap ? 2 * cap : 64) * sizeof *p);
      if (!p) {
        rc = nomem(x->s);
        break;
      }
      x->r = p;
    }
    row *h = &x->r[x->n];
    memset(h, 0, sizeof *h);
    const char *app = (const char *)sqlite3_column_text(st, 0);
    if (!(h->app = strdup(app ? app : ""))) {
      rc = nomem(x->s);
      break;
    }
    x->n++;
    h->state = (uint8_t)sqlite3_column_int(st, 1);
    h->proto = (uint8_t)sqlite3_column_int(st, 2);
    h->ip_version = (uint8_t)sqlite3_column_int(st, 3);
    int alen = sqlite3_column_bytes(st, 4);
    h->alen = (uint8_t)(alen > 16 ? 17 : alen); /* 17: longer than any flow's address */
    if (alen > 0 && alen <= 16)
      memcpy(h->remote_addr, sqlite3_column_blob(st, 4), (size_t)alen);
    h->remote_port = (uint16_t)sqlite3_column_int(st, 5);
    h->local_port = (uint16_t)sqlite3_column_int(st, 6);
    h->first_seen = wl_store_col_u64(st, 7);
    h->last_seen = wl_store_col_u64(st, 8);
    h->reads = wl_store_col_u64(st, 9);
    h->ord = (uint32_t)(x->n - 1);
  }
  if (rc == WL_OK && r != SQLITE_DONE)
    rc = wl_store_sqlerr(x->s, r, "reading held connections");
  sqlite3_finalize(st);
  x->left = x->n;
  return rc;
}

/* a row's index with its app, sorted NOCASE to find an apps row's held rows */
typedef struct keyed {
  const char *app;
  uint32_t i;
} keyed;

static int by_nocase(const void *a, const void *b) {
  const keyed *x = a, *y = b;
  return nocase(x->app, y->app);
}

/* The first of k[0..n) whose app is NOCASE >= `path`. */
static size_t lower(const keyed *k, size_t n, const char *path) {
  size_t lo = 0, hi = n;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (nocase(k[mid].app, path) < 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo;
}

typedef struct pair {
  int64_t app;
  uint32_t i;
} pair;

static int add_pairs(const keyed *k, size_t n, int64_t app, const char *path, pair **p,
                     size_t *np, size_t *cap) {
  for (size_t j = lower(k, n, path); j < n && nocase(k[j].app, path) == 0; j++) {
    if (*np == *cap) {
      pair *q = realloc(*p, (*cap = *cap ? 2 * *cap : 64) * sizeof *q);
      if (!q)
        return WL_E_NOMEM;
      *p = q;
    }
    (*p)[(*np)++] = (pair){app, k[j].i};
  }
  return WL_OK;
}

/* qsort, but never with a NULL base: an empty set has none (UBSan: qsort's base is nonnull). */
static void sort(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *)) {
  if (n > 1)
    qsort(base, n, size, cmp);
}

static int by_hash(const void *a, const void *b) {
  const ent *x = a, *y = b;
  return x->hash < y->hash ? -1 : x->hash > y->hash;
}

static int index_keys(heldset *x, const pair *p, size_t np) {
  size_t ne = 2 * np;
  while (x->bits < 30 && ((size_t)1 << x->bits) < ne)
    x->bits++;
  x->bits += !x->bits;
  x->has = calloc((size_t)x->max_app + 1, 1);
  x->e = malloc(ne * sizeof *x->e);
  x->start = calloc(((size_t)1 << x->bits) + 1, sizeof *x->start);
  if (!x->has || !x->e || !x->start)
    return nomem(x->s);
  for (size_t j = 0; j < np; j++) {
    const row *h = &x->r[p[j].i];
    x->has[p[j].app] = 1;
    x->e[2 * j] = (ent){ckey_hash(p[j].app, h->proto, WL_DIR_IN, h->local_port, NULL), p[j].app,
                        p[j].i};
    x->e[2 * j + 1] = (ent){
        ckey_hash(p[j].app, h->proto, WL_DIR_OUT, h->remote_port, h->remote_addr), p[j].app,
        p[j].i};
  }
  sort(x->e, ne, sizeof *x->e, by_hash);
  for (size_t j = 0; j < ne; j++)
    x->start[(x->e[j].hash >> (64 - x->bits)) + 1]++;
  for (size_t b = 0; b < (size_t)1 << x->bits; b++)
    x->start[b + 1] += x->start[b];
  return WL_OK;
}

/* The apps rows whose path or dos_path equals a held row's (NOCASE), indexed by key. */
static int match_apps(heldset *x) {
  sqlite3_stmt *st = NULL;
  keyed *k = malloc(x->n * sizeof *k);
  pair *p = NULL;
  size_t np = 0, cap = 0;
  int r = SQLITE_DONE, rc = k ? prep(x->s, "SELECT id, path, dos_path FROM apps", &st)
                              : nomem(x->s);
  for (size_t i = 0; k && i < x->n; i++)
    k[i] = (keyed){x->r[i].app, (uint32_t)i};
  if (rc == WL_OK)
    sort(k, x->n, sizeof *k, by_nocase);
  while (rc == WL_OK && (r = sqlite3_step(st)) == SQLITE_ROW) {
    int64_t id = sqlite3_column_int64(st, 0);
    const char *path = (const char *)sqlite3_column_text(st, 1);
    const char *dos = (const char *)sqlite3_column_text(st, 2);
    if (id <= 0)
      continue;
    if (path && add_pairs(k, x->n, id, path, &p, &np, &cap) != WL_OK)
      rc = nomem(x->s);
    if (rc == WL_OK && dos && !(path && nocase(path, dos) == 0) &&
        add_pairs(k, x->n, id, dos, &p, &np, &cap) != WL_OK)
      rc = nomem(x->s);
    if (id > x->max_app)
      x->max_app = id;
  }
  if (rc == WL_OK && r != SQLITE_DONE)
    rc = wl_store_sqlerr(x->s, r, "reading apps");
  sqlite3_finalize(st);
  if (rc == WL_OK && np) /* each pair's two keys, by hash, with a bucket index */
    rc = index_keys(x, p, np);
  free(k);
  free(p);
  return rc;
}

static int cover_cb(void *ctx, const wl_pack_flow *p) {
  heldset *x = ctx;
  const wl_flow *f = &p->f;
  if (f->app_id <= 0 || f->app_id > x->max_app || !x->has[f->app_id] ||
      (f->dir != WL_DIR_IN && f->dir != WL_DIR_OUT))
    return 0;
  int out = f->dir == WL_DIR_OUT;
  uint64_t hash = ckey_hash(f->app_id, f->proto, f->dir, out ? f->remote_port : f->local_port,
                            out ? f->remote_addr : NULL);
  uint64_t b = hash >> (64 - x->bits);
  for (uint32_t k = x->start[b]; k < x->start[b + 1]; k++) {
    const ent *e = &x->e[k];
    row *h = &x->r[e->row];
    if (e->hash != hash || e->app != f->app_id || h->covered || h->proto != f->proto)
      continue;
    if (!out ? f->local_port != h->local_port
             : (f->remote_port != h->remote_port ||
                memcmp(f->remote_addr, h->remote_addr, 16) != 0))
      continue;
    if (out && p->alen != h->alen) /* the key's bytes exactly: "1.2.3.0" is not "::" */
      continue;
    h->covered = 1;
    if (--x->left == 0)
      return STOP;
  }
  return 0;
}

/* The long-lived rows with `covered` set. */
static int heldset_load(wl_store *s, heldset *x) {
  memset(x, 0, sizeof *x);
  x->s = s;
  int rc = load_rows(x);
  if (rc == WL_OK && x->n)
    rc = match_apps(x);
  if (rc == WL_OK && x->e) {
    rc = wl_flow_pack_each_of(s, x->has, x->max_app, cover_cb, x); /* others skipped */
    rc = rc == STOP ? WL_OK : rc;
  }
  return rc;
}

/* uncovered first, then app (binary), first seen, key order */
static int by_listing(const void *a, const void *b) {
  const row *x = a, *y = b;
  int c;
  if (x->covered != y->covered)
    return x->covered ? 1 : -1;
  if ((c = strcmp(x->app, y->app)) != 0)
    return c;
  if (x->first_seen != y->first_seen)
    return x->first_seen < y->first_seen ? -1 : 1;
  return x->ord < y->ord ? -1 : x->ord > y->ord;
}

int wl_store_held_counts(wl_store *s, wl_held_counts *out) {
  heldset x;
  memset(out, 0, sizeof *out);
  int rc = heldset_load(s, &x);
  if (rc == WL_OK) {
    sort(x.r, x.n, sizeof *x.r, by_listing);
    out->held = x.n;
    for (size_t i = 0; i < x.n && !x.r[i].covered; i++) {
      out->table_only++;
      out->programs += i == 0 || strcmp(x.r[i].app, x.r[i - 1].app) != 0;
    }
  }
  heldset_free(&x);
  return rc;
}

int wl_store_held_list(wl_store *s, int table_only, wl_held_cb cb, void *ctx) {
  heldset x;
  wl_held h;
  int rc = heldset_load(s, &x);
  if (rc == WL_OK)
    sort(x.r, x.n, sizeof *x.r, by_listing);
  for (size_t i = 0; rc == WL_OK && i < x.n && !(table_only && x.r[i].covered); i++) {
    const row *r = &x.r[i];
    memset(&h, 0, sizeof h);
    size_t len = strlen(r->app);
    memcpy(h.app, r->app, len < sizeof h.app ? len : sizeof h.app - 1);
    h.state = r->state;
    h.proto = r->proto;
    h.ip_version = r->ip_version;
    memcpy(h.remote_addr, r->remote_addr, sizeof h.remote_addr);
    h.remote_port = r->remote_port;
    h.local_port = r->local_port;
    h.first_seen = r->first_seen;
    h.last_seen = r->last_seen;
    h.reads = r->reads;
    h.table_only = !r->covered;
    if (cb(ctx, &h))
      break;
  }
  heldset_free(&x);
  return rc;
}
