/* test_store_util.c — what the store's tests share: a database path per test, raw SQL on the
 * file, seeded streams written in odd batch sizes, and comparisons of everything the store
 * reads back (flows, per-app totals, drops by filter, raw events) with the brute-force model
 * of test_store_gen.c. */
#include "tests/support/test_store_util.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "common/wl_err.h"
#include "common/wl_os.h"
#include "store/flow_pack.h"
#include "tests/support/test_files.h"


char db_path[1024];

void remove_db(const char *p) { wl_test_remove_db(p); }

int setup_path(void **state) {
  static int n;
  snprintf(db_path, sizeof db_path, "%s/test_store_%u_%d.db", wl_test_dir(),
           (unsigned)wl_os_pid(), n++);
  remove_db(db_path);
  *state = db_path;
  return 0;
}

int teardown_path(void **state) {
  remove_db(*state);
  return 0;
}

wl_store *open_ok(const wl_store_opts *o) {
  wl_store *s = NULL;
  int rc = wl_store_open(db_path, o, &s);
  if (rc != WL_OK)
    fail_msg("open %s: %s", db_path, wl_errmsg());
  return s;
}

void raw_exec(const char *sql) {
  sqlite3 *db;
  assert_int_equal(sqlite3_open(db_path, &db), SQLITE_OK);
  char *err = NULL;
  if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK)
    fail_msg("%s: %s", sql, err);
  sqlite3_close(db);
}

int64_t raw_int(const char *sql) {
  sqlite3 *db;
  sqlite3_stmt *st;
  assert_int_equal(sqlite3_open(db_path, &db), SQLITE_OK);
  assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
  assert_int_equal(sqlite3_step(st), SQLITE_ROW);
  int64_t v = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  sqlite3_close(db);
  return v;
}

typedef struct pack_list {
  wl_pack_flow *v;
  size_t n, cap;
} pack_list;

static int pack_keep(void *ctx, const wl_pack_flow *f) {
  pack_list *l = ctx;
  if (l->n == l->cap) {
    l->cap = l->cap ? 2 * l->cap : 1024;
    l->v = realloc(l->v, l->cap * sizeof *l->v);
    assert_non_null(l->v);
  }
  l->v[l->n++] = *f;
  return 0;
}

static size_t varint_len(const uint8_t *p, const uint8_t *end) {
  size_t n = 0;
  while (p + n < end && (p[n] & 0x80))
    n++;
  assert_true(p + n < end);
  return n + 1;
}

/* flow_pack's records as schema 12 wrote them: the length byte without the key's length (bits
 * 5-6), no byte after the address. The layout: store_flow_pack.c's header. */
static void pack_as_v12(sqlite3 *db) {
  sqlite3_stmt *st, *up;
  assert_int_equal(sqlite3_prepare_v2(db, "SELECT chunk, data FROM flow_pack", -1, &st, NULL),
                   SQLITE_OK);
  size_t nrow = 0, cap = 0;
  struct old_row { int64_t no; uint8_t *data; size_t len; } *rows = NULL;
  while (sqlite3_step(st) == SQLITE_ROW) {
    const uint8_t *p = sqlite3_column_blob(st, 1), *end = p + sqlite3_column_bytes(st, 1);
    uint8_t *out = malloc((size_t)(end - p) + 1), *o = out;
    assert_non_null(out);
    while (p < end) {
      size_t n = varint_len(p, end); /* id */
      n += varint_len(p + n, end);   /* app */
      memcpy(o, p, n + 8);           /* and dir, proto, ip_version, action, the ports */
      o += n + 8;
      p += n + 8;
      unsigned kept = *p & 31, code = *p >> 5 & 3;
      *o++ = (uint8_t)kept;
      p++;
      memcpy(o, p, kept);
      o += kept;
      p += kept + (code == 3);
      for (int i = 0; i < 4; i++) { /* count, first, last, filter */
        n = varint_len(p, end);
        memcpy(o, p, n);
        o += n;
        p += n;
      }
    }
    if (nrow == cap) {
      cap = cap ? 2 * cap : 64;
      rows = realloc(rows, cap * sizeof *rows);
      assert_non_null(rows);
    }
    rows[nrow].no = sqlite3_column_int64(st, 0);
    rows[nrow].data = out;
    rows[nrow++].len = (size_t)(o - out);
  }
  sqlite3_finalize(st);
  assert_int_equal(sqlite3_prepare_v2(db, "UPDATE flow_pack SET data=?2 WHERE chunk=?1", -1,
                                      &up, NULL),
                   SQLITE_OK);
  for (size_t i = 0; i < nrow; i++) {
    sqlite3_bind_int64(up, 1, rows[i].no);
    sqlite3_bind_blob(up, 2, rows[i].data, (int)rows[i].len, SQLITE_STATIC);
    assert_int_equal(sqlite3_step(up), SQLITE_DONE);
    sqlite3_reset(up);
    free(rows[i].data);
  }
  sqlite3_finalize(up);
  free(rows);
}

static pack_list read_pack(void);

/* A flow's id and key as ?1..?9 of an INSERT into a flows table of schema 12 (remote_addr as
 * many bytes as the key has). */
static void bind_key(sqlite3_stmt *st, const wl_pack_flow *p) {
  const wl_flow *f = &p->f;
  sqlite3_bind_int64(st, 1, (sqlite3_int64)p->id);
  sqlite3_bind_int64(st, 2, f->app_id);
  sqlite3_bind_int(st, 3, f->dir);
  sqlite3_bind_int(st, 4, f->proto);
  sqlite3_bind_int(st, 5, f->ip_version);
  sqlite3_bind_blob(st, 6, f->remote_addr, p->alen, SQLITE_STATIC);
  sqlite3_bind_int(st, 7, f->remote_port);
  sqlite3_bind_int(st, 8, f->local_port);
  sqlite3_bind_int(st, 9, f->action);
}

/* Back to version `to` (12 or 11) with the data: see test_store_util.h. */
static void undo_to(int to) {
  pack_list l = read_pack();
  sqlite3 *db;
  sqlite3_stmt *st;
  assert_int_equal(sqlite3_open(db_path, &db), SQLITE_OK);
  assert_int_equal(sqlite3_exec(db, "BEGIN;" TSU_UNDO_V13_SCHEMA, NULL, NULL, NULL), SQLITE_OK);
  if (to == 11)
    assert_int_equal(sqlite3_exec(db, TSU_UNDO_V12_SCHEMA, NULL, NULL, NULL), SQLITE_OK);
  assert_int_equal(sqlite3_prepare_v2(db,
                                      to == 11 ? "INSERT INTO flows(id,app,dir,proto,ip_version,"
                                                 "remote_addr,remote_port,local_port,action,"
                                                 "count,first_seen,last_seen,last_filter_id) "
                                                 "VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,"
                                                 "?13)"
                                               : "INSERT INTO flows(id,app,dir,proto,ip_version,"
                                                 "remote_addr,remote_port,local_port,action) "
                                                 "VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9)",
                                      -1, &st, NULL),
                   SQLITE_OK);
  for (size_t i = 0; i < l.n; i++) {
    const wl_flow *f = &l.v[i].f;
    bind_key(st, &l.v[i]);
    if (to == 11) {
      sqlite3_bind_int64(st, 10, (sqlite3_int64)f->count);
      sqlite3_bind_int64(st, 11, (sqlite3_int64)f->first_seen);
      sqlite3_bind_int64(st, 12, (sqlite3_int64)f->last_seen);
      sqlite3_bind_int64(st, 13, (sqlite3_int64)f->last_filter_id);
    }
    assert_int_equal(sqlite3_step(st), SQLITE_DONE);
    sqlite3_reset(st);
  }
  sqlite3_finalize(st);
  pack_as_v12(db);
  char sql[128];
  snprintf(sql, sizeof sql, "UPDATE meta SET value=%d WHERE key='schema_version'; COMMIT", to);
  assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
  sqlite3_close(db);
  free(l.v);
}

void tsu_undo_v13(void) { undo_to(12); }
void tsu_undo_v12(void) { undo_to(11); }

static pack_list read_pack(void) {
  pack_list l = {0};
  wl_store_opts ro = {.read_only = 1};
  wl_store *r = NULL;
  assert_int_equal(wl_store_open(db_path, &ro, &r), WL_OK);
  assert_int_equal(wl_flow_pack_each(r, -1, pack_keep, &l), WL_OK);
  wl_store_close(r);
  return l;
}

/* The key of a packed flow as bytes, for sorting. */
typedef struct key_bytes {
  uint8_t b[40];
} key_bytes;

static int key_cmp(const void *a, const void *b) { return memcmp(a, b, sizeof(key_bytes)); }

void tsu_flow_keys(uint64_t *flows, uint64_t *distinct) {
  pack_list l = read_pack();
  key_bytes *k = calloc(l.n ? l.n : 1, sizeof *k);
  assert_non_null(k);
  for (size_t i = 0; i < l.n; i++) {
    const wl_flow *f = &l.v[i].f;
    uint8_t *b = k[i].b;
    memcpy(b, &f->app_id, 8);
    b[8] = f->dir;
    b[9] = f->proto;
    b[10] = f->ip_version;
    b[11] = f->action;
    b[12] = l.v[i].alen;
    memcpy(b + 13, f->remote_addr, 16);
    memcpy(b + 29, &f->remote_port, 2);
    memcpy(b + 31, &f->local_port, 2);
  }
  qsort(k, l.n, sizeof *k, key_cmp);
  uint64_t d = 0;
  for (size_t i = 0; i < l.n; i++)
    d += i == 0 || key_cmp(&k[i], &k[i - 1]) != 0;
  *flows = l.n;
  *distinct = d;
  free(k);
  free(l.v);
}

void tsu_attach_flows(sqlite3 *db) {
  pack_list l = read_pack();
  sqlite3_stmt *st;
  assert_int_equal(sqlite3_exec(db, "ATTACH ':memory:' AS v12;"
                                    "CREATE TABLE v12.flows(id INTEGER PRIMARY KEY,"
                                    " app INTEGER NOT NULL, dir INTEGER NOT NULL,"
                                    " proto INTEGER NOT NULL, ip_version INTEGER NOT NULL,"
                                    " remote_addr BLOB NOT NULL, remote_port INTEGER NOT NULL,"
                                    " local_port INTEGER NOT NULL, action INTEGER NOT NULL)",
                                NULL, NULL, NULL),
                   SQLITE_OK);
  assert_int_equal(sqlite3_prepare_v2(db, "INSERT INTO v12.flows VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9)",
                                      -1, &st, NULL),
                   SQLITE_OK);
  for (size_t i = 0; i < l.n; i++) {
    bind_key(st, &l.v[i]);
    assert_int_equal(sqlite3_step(st), SQLITE_DONE);
    sqlite3_reset(st);
  }
  sqlite3_finalize(st);
  free(l.v);
}

static int add_count(void *ctx, const wl_flow *f) {
  *(uint64_t *)ctx += f->count;
  return 0;
}

uint64_t tsu_flow_events(void) {
  wl_store_opts ro = {.read_only = 1};
  wl_store *r = NULL;
  uint64_t n = 0;
  assert_int_equal(wl_store_open(db_path, &ro, &r), WL_OK);
  assert_int_equal(wl_store_flows(r, -1, 0, add_count, &n), WL_OK);
  wl_store_close(r);
  return n;
}

/* A seeded stream: ts increase by 0..2 s, with some out-of-order jitter. */
wl_event *make_stream(size_t n, uint32_t nflows, uint32_t napps, uint64_t seed,
                             uint64_t step) {
  wl_event *ev = malloc(n * sizeof *ev);
  assert_non_null(ev);
  uint64_t rng = seed, ts = TSG_T0;
  for (size_t i = 0; i < n; i++) {
    ts += tsg_next(&rng) % (step + 1);
    uint64_t jitter = (tsg_next(&rng) & 7) == 0 ? tsg_next(&rng) % (10 * step + 1) : 0;
    tsg_random_event(nflows, napps, ts - jitter, &rng, &ev[i]);
  }
  return ev;
}

void write_batches(wl_store *s, const wl_event *ev, size_t n, uint64_t seed) {
  static const size_t sizes[] = {1, 7, 100, 999, 4096, 4097, 9000, 250, 3};
  uint64_t rng = seed;
  for (size_t i = 0; i < n;) {
    size_t k = sizes[tsg_next(&rng) % (sizeof sizes / sizeof sizes[0])];
    if (k > n - i)
      k = n - i;
    wl_batch_counters c = {.ring_drops = k % 3, .skipped = 1, .backfilled = k / 2};
    if (wl_store_write(s, ev + i, k, &c) != WL_OK)
      fail_msg("write: %s", wl_errmsg());
    i += k;
  }
}

int collect_app(void *ctx, const wl_app_summary *a) {
  app_names *t = ctx;
  assert_true(t->n < 256);
  t->id[t->n] = a->app_id;
  snprintf(t->path[t->n], sizeof t->path[0], "%s", a->path);
  t->sum[t->n++] = *a;
  return 0;
}

static const char *app_name(const app_names *t, int64_t id) {
  for (int i = 0; i < t->n; i++)
    if (t->id[i] == id)
      return t->path[i];
  fail_msg("unknown app id %lld", (long long)id);
  return NULL;
}

typedef struct flow_check {
  const tsg_model *m;
  const app_names *apps;
  uint8_t *seen;
  size_t n;
} flow_check;

static int check_flow(void *ctx, const wl_flow *f) {
  flow_check *c = ctx;
  const char *app = app_name(c->apps, f->app_id);
  for (size_t i = 0; i < c->m->n; i++) {
    const wl_flow *e = &c->m->flows[i].f;
    if (strcmp(c->m->flows[i].app, app) || e->dir != f->dir || e->proto != f->proto ||
        e->ip_version != f->ip_version || e->action != f->action ||
        e->remote_port != f->remote_port || e->local_port != f->local_port ||
        memcmp(e->remote_addr, f->remote_addr, 16))
      continue;
    assert_int_equal(c->seen[i], 0);
    c->seen[i] = 1;
    assert_int_equal(f->count, e->count);
    assert_int_equal(f->first_seen, e->first_seen);
    assert_int_equal(f->last_seen, e->last_seen);
    assert_int_equal(f->last_filter_id, e->last_filter_id);
    c->n++;
    return 0;
  }
  fail_msg("flow of %s not in the model", app);
  return 1;
}

/* Every flow of the store equals one of the model and every model flow is there. */
void compare_flows(wl_store *s, const tsg_model *m, const app_names *apps) {
  flow_check c = {.m = m, .apps = apps, .seen = calloc(m->n + 1, 1)};
  assert_int_equal(wl_store_flows(s, -1, 0, check_flow, &c), 0);
  assert_int_equal(c.n, m->n);
  /* and per app (from flow_pack since schema 11) */
  memset(c.seen, 0, m->n);
  c.n = 0;
  for (int i = 0; i < apps->n; i++)
    assert_int_equal(wl_store_flows(s, apps->id[i], 0, check_flow, &c), 0);
  assert_int_equal(c.n, m->n);
  free(c.seen);
}

void compare_apps(const tsg_model *m, const app_names *apps) {
  for (int i = 0; i < apps->n; i++) {
    uint64_t allowed = 0, blocked = 0, endpoints = 0, first = UINT64_MAX, last = 0;
    for (size_t j = 0; j < m->n; j++) {
      const wl_flow *f = &m->flows[j].f;
      if (strcmp(m->flows[j].app, apps->path[i]))
        continue;
      *(f->action == WL_EVT_DROP ? &blocked : &allowed) += f->count;
      endpoints++;
      first = f->first_seen < first ? f->first_seen : first;
      last = f->last_seen > last ? f->last_seen : last;
    }
    const wl_app_summary *a = &apps->sum[i];
    assert_int_equal(a->allowed, allowed);
    assert_int_equal(a->blocked, blocked);
    assert_int_equal(a->endpoints, endpoints);
    assert_int_equal(a->first_seen, first);
    assert_int_equal(a->last_seen, last);
    if (i > 0) /* most events first */
      assert_true(apps->sum[i - 1].allowed + apps->sum[i - 1].blocked >= allowed + blocked);
  }
}

typedef struct drop_tab {
  uint64_t filter[64], count[64];
  int n;
  const char *name70001; /* the attribution expected for filter 70001, NULL: none */
} drop_tab;

static void drop_add(drop_tab *t, uint64_t filter, uint64_t n) {
  for (int i = 0; i < t->n; i++)
    if (t->filter[i] == filter) {
      t->count[i] += n;
      return;
    }
  assert_true(t->n < 64);
  t->filter[t->n] = filter;
  t->count[t->n++] = n;
}

static int collect_drop(void *ctx, const wl_drop_summary *d) {
  drop_tab *t = ctx;
  drop_add(t, d->filter.filter_id, d->count);
  if (d->filter.filter_id == 70001)
    assert_string_equal(d->filter.name, t->name70001 ? t->name70001 : "");
  return 0;
}

void compare_drops(wl_store *s, const wl_event *ev, size_t n, uint64_t since,
                          const char *name70001) {
  drop_tab want = {0}, got = {.name70001 = name70001};
  for (size_t i = 0; i < n; i++)
    if ((ev[i].type == WL_EVT_DROP || ev[i].type == WL_EVT_CAP_DROP) && ev[i].ts >= since)
      drop_add(&want, ev[i].has & WL_HAS_FILTER ? ev[i].filter_id : 0, 1);
  assert_int_equal(wl_store_drops_by_filter(s, since, collect_drop, &got), 0);
  assert_int_equal(got.n, want.n);
  for (int i = 0; i < want.n; i++) {
    int found = 0;
    for (int j = 0; j < got.n; j++)
      if (got.filter[j] == want.filter[i]) {
        assert_int_equal(got.count[j], want.count[i]);
        found = 1;
      }
    assert_true(found);
    if (i > 0) /* most drops first */
      assert_true(got.count[i - 1] >= got.count[i]);
  }
}

/* What the store gives back: fields without their has bit read as 0; the DOS path is the one
 * the app is known by. */
static void normalise(wl_event *e) {
  wl_flow f;
  tsg_flow_of(e, &f);
  if (!(e->has & WL_HAS_DIR))
    e->dir = 0;
  if (!(e->has & WL_HAS_LOCAL_PORT))
    e->local_port = 0;
  if (!(e->has & WL_HAS_REMOTE_PORT))
    e->remote_port = 0;
  if (!(e->has & WL_HAS_REMOTE_ADDR))
    memset(e->remote_addr, 0, 16);
  if (!(e->has & WL_HAS_LOCAL_ADDR))
    memset(e->local_addr, 0, 16);
  if (!(e->has & WL_HAS_FILTER))
    e->filter_id = 0;
  if (!(e->has & WL_HAS_LAYER))
    e->layer_id = 0;
  if (!(e->has & WL_HAS_REAUTH))
    e->reauth = 0;
}

typedef struct ev_check {
  const wl_event **want; /* stable-sorted by ts */
  size_t i, n;
} ev_check;

static int check_event(void *ctx, const wl_event *got) {
  ev_check *c = ctx;
  assert_true(c->i < c->n);
  wl_event w = *c->want[c->i++];
  normalise(&w);
  assert_int_equal(got->ts, w.ts);
  assert_int_equal(got->has, w.has);
  assert_int_equal(got->type, w.type);
  assert_int_equal(got->dir, w.dir);
  assert_int_equal(got->proto, w.proto);
  assert_int_equal(got->ip_version, w.ip_version);
  assert_int_equal(got->local_port, w.local_port);
  assert_int_equal(got->remote_port, w.remote_port);
  assert_memory_equal(got->local_addr, w.local_addr, 16);
  assert_memory_equal(got->remote_addr, w.remote_addr, 16);
  assert_int_equal(got->filter_id, w.filter_id);
  assert_int_equal(got->layer_id, w.layer_id);
  assert_int_equal(got->reauth, w.reauth);
  assert_int_equal(got->is_loopback, w.is_loopback);
  assert_int_equal(got->origin, w.origin);
  assert_string_equal(got->app, w.app);
  assert_string_equal(got->user, w.user);
  assert_string_equal(got->package, w.package);
  if (w.app_dos[0])
    assert_string_equal(got->app_dos, w.app_dos);
  return 0;
}

static int by_ts(const void *a, const void *b) {
  const wl_event *x = *(const wl_event *const *)a, *y = *(const wl_event *const *)b;
  if (x->ts != y->ts)
    return x->ts < y->ts ? -1 : 1;
  return x < y ? -1 : x > y; /* stable: stream order */
}

/* Raw events in [since, until) equal the stored part of the stream, in time order. */
void compare_events(wl_store *s, const wl_event *ev, size_t n, uint64_t since,
                           uint64_t until) {
  ev_check c = {.want = malloc(n * sizeof(wl_event *))};
  for (size_t i = 0; i < n; i++)
    if (ev[i].type != WL_EVT_OTHER && ev[i].ts >= since && (!until || ev[i].ts < until))
      c.want[c.n++] = &ev[i];
  qsort(c.want, c.n, sizeof *c.want, by_ts);
  assert_int_equal(wl_store_events(s, since, until, check_event, &c), 0);
  assert_int_equal(c.i, c.n);
  free(c.want);
}

int count_event(void *ctx, const wl_event *ev) {
  (void)ev;
  ++*(uint64_t *)ctx;
  return 0;
}


void write_past_failed_rollup(wl_store *s, const wl_event *ev, const wl_event *other) {
  write_batches(s, ev, 3000, 9);
  raw_exec("CREATE TRIGGER inject BEFORE INSERT ON drops_hourly "
           "BEGIN SELECT RAISE(ABORT, 'injected'); END");
  assert_int_equal(wl_store_write(s, other, 2000, NULL), WL_E_INVAL);
  assert_non_null(strstr(wl_errmsg(), "injected"));
  wl_err_clear();
  raw_exec("DROP TRIGGER inject");
  write_batches(s, other + 2000, 4000, 10);
  write_batches(s, ev + 3000, 4000, 11);
}
