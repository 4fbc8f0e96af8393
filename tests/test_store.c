/* test_store.c — the store: schema migrations (empty file, re-open, a newer file refused, a
 * foreign or damaged file), meta and counters, filter attribution, rules and transactions,
 * the rollup against a brute-force count over a seeded stream, the per-app summary, drops by
 * filter, the raw events round trip, importer keys and duplicates, retention by age and by
 * size, and a locked database.
 */
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
#include "db/store.h"
#include "tests/test_store_gen.h"

#define MINUTE (60ull * 10000000ull)
#define HOUR (60 * MINUTE)
#define DAY (24 * HOUR)

/* ---------------------------------------------------------------- helpers */

static char db_path[1024];

static void remove_db(const char *p) {
  char q[1100];
  remove(p);
  snprintf(q, sizeof q, "%s-wal", p);
  remove(q);
  snprintf(q, sizeof q, "%s-shm", p);
  remove(q);
}

static int setup_path(void **state) {
  static int n;
  const char *dir = getenv("WL_BUILD_DIR");
  snprintf(db_path, sizeof db_path, "%s/test_store_%u_%d.db", dir ? dir : ".",
           (unsigned)wl_os_pid(), n++);
  remove_db(db_path);
  *state = db_path;
  return 0;
}

static int teardown_path(void **state) {
  remove_db(*state);
  return 0;
}

static wl_store *open_ok(const wl_store_opts *o) {
  wl_store *s = NULL;
  int rc = wl_store_open(db_path, o, &s);
  if (rc != WL_OK)
    fail_msg("open %s: %s", db_path, wl_errmsg());
  return s;
}

static void raw_exec(const char *sql) {
  sqlite3 *db;
  assert_int_equal(sqlite3_open(db_path, &db), SQLITE_OK);
  char *err = NULL;
  if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK)
    fail_msg("%s: %s", sql, err);
  sqlite3_close(db);
}

static int64_t raw_int(const char *sql) {
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

/* A seeded stream: ts increase by 0..2 s, with some out-of-order jitter. */
static wl_event *make_stream(size_t n, uint32_t nflows, uint32_t napps, uint64_t seed,
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

static void write_batches(wl_store *s, const wl_event *ev, size_t n, uint64_t seed) {
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

/* ---------------------------------------------------------------- schema */

static void test_migrate_empty_and_reopen(void **state) {
  (void)state;
  wl_store *s = open_ok(NULL);
  assert_int_equal(wl_store_schema_version(s), WL_STORE_SCHEMA_VERSION);
  char v[32];
  assert_int_equal(wl_store_meta_get(s, "schema_version", v, sizeof v), WL_OK);
  assert_string_equal(v, "1");
  assert_int_equal(wl_store_meta_set(s, "mode", "learn"), WL_OK);
  wl_store_close(s);
  wl_store_close(NULL);

  /* Re-open: nothing re-applied, data kept; read-only open works too. */
  s = open_ok(NULL);
  assert_int_equal(wl_store_schema_version(s), 1);
  assert_int_equal(wl_store_meta_get(s, "mode", v, sizeof v), WL_OK);
  assert_string_equal(v, "learn");
  wl_store_close(s);
  wl_store_opts ro = {.read_only = 1, .quick_check = 1};
  s = open_ok(&ro);
  assert_int_equal(wl_store_schema_version(s), 1);
  assert_int_equal(wl_store_write(s, NULL, 0, NULL), WL_E_READONLY);
  wl_store_close(s);
  assert_int_equal(raw_int("SELECT count(*) FROM sqlite_master WHERE name='events'"), 1);
  assert_int_equal(raw_int("PRAGMA application_id"), 0x77666c6e);
}

static void test_newer_version_refused(void **state) {
  (void)state;
  wl_store_close(open_ok(NULL));
  raw_exec("UPDATE meta SET value=7 WHERE key='schema_version'");
  wl_store *s = (wl_store *)1;
  assert_int_equal(wl_store_open(db_path, NULL, &s), WL_E_VERSION);
  assert_null(s);
  assert_non_null(strstr(wl_errmsg(), db_path));
  assert_non_null(strstr(wl_errmsg(), "newer"));
  wl_store_opts ro = {.read_only = 1};
  assert_int_equal(wl_store_open(db_path, &ro, &s), WL_E_VERSION);
  /* never downgraded */
  assert_int_equal(raw_int("SELECT value FROM meta WHERE key='schema_version'"), 7);
}

static void test_foreign_and_damaged_files(void **state) {
  (void)state;
  wl_store *s = NULL;
  raw_exec("CREATE TABLE t(x)");
  assert_int_equal(wl_store_open(db_path, NULL, &s), WL_E_PARSE);
  assert_non_null(strstr(wl_errmsg(), "not a wfplearn store"));
  remove_db(db_path);

  FILE *f = fopen(db_path, "wb");
  assert_non_null(f);
  for (int i = 0; i < 2000; i++)
    fputs("this is not a database ", f);
  fclose(f);
  assert_int_equal(wl_store_open(db_path, NULL, &s), WL_E_CORRUPT);
  assert_non_null(strstr(wl_errmsg(), db_path));
  remove_db(db_path);

  wl_store_opts ro = {.read_only = 1};
  assert_int_equal(wl_store_open(db_path, &ro, &s), WL_E_NOTFOUND);
  assert_non_null(strstr(wl_errmsg(), db_path));
}

/* Overwrite the middle of a b-tree page of a closed store: quick_check must say so. */
static void test_quick_check_reports_damage(void **state) {
  (void)state;
  wl_store *s = open_ok(NULL);
  wl_event *ev = make_stream(5000, 300, 20, 7, 10000000);
  write_batches(s, ev, 5000, 1);
  free(ev);
  wl_store_close(s);
  int64_t pages = raw_int("PRAGMA page_count");
  assert_true(pages > 8);
  FILE *f = fopen(db_path, "r+b");
  assert_non_null(f);
  for (int64_t pg = 3; pg < pages; pg += 2) {
    fseek(f, (long)(pg * 4096 + 100), SEEK_SET);
    for (int i = 0; i < 64; i++)
      fputc(0xA5, f);
  }
  fclose(f);
  wl_store_opts o = {.quick_check = 1};
  assert_int_equal(wl_store_open(db_path, &o, &s), WL_E_CORRUPT);
  assert_non_null(strstr(wl_errmsg(), db_path));
  assert_non_null(strstr(wl_errmsg(), "damaged"));
}

/* ---------------------------------------------------------------- meta, filters, rules */

static void test_meta_and_counters(void **state) {
  (void)state;
  wl_store *s = open_ok(NULL);
  char v[8];
  int64_t n = -1;
  assert_int_equal(wl_store_meta_get(s, "nope", v, sizeof v), WL_E_NOTFOUND);
  assert_int_equal(wl_store_meta_set(s, "capture_state", "running"), WL_OK);
  assert_int_equal(wl_store_meta_get(s, "capture_state", v, sizeof v), WL_OK);
  assert_string_equal(v, "running");
  assert_int_equal(wl_store_meta_set(s, "capture_state", "stopped-long"), WL_OK);
  assert_int_equal(wl_store_meta_get(s, "capture_state", v, sizeof v), WL_E_TOOBIG);
  assert_int_equal(wl_store_counter_get(s, "restarts", &n), WL_OK);
  assert_int_equal(n, 0);
  assert_int_equal(wl_store_counter_add(s, "restarts", 5), WL_OK);
  assert_int_equal(wl_store_counter_add(s, "restarts", -2), WL_OK);
  assert_int_equal(wl_store_counter_get(s, "restarts", &n), WL_OK);
  assert_int_equal(n, 3);
  wl_store_close(s);
}

static void test_filter_info(void **state) {
  (void)state;
  wl_store *s = open_ok(NULL);
  wl_filter_info fi = {.filter_id = 70001, .ours = 0}, out;
  snprintf(fi.name, sizeof fi.name, "Block inbound");
  snprintf(fi.sublayer, sizeof fi.sublayer, "MPSSVC_WF");
  snprintf(fi.action, sizeof fi.action, "block");
  assert_int_equal(wl_store_filter_info_get(s, 70001, &out), WL_E_NOTFOUND);
  assert_int_equal(wl_store_filter_info_put(s, &fi), WL_OK);
  assert_int_equal(wl_store_filter_info_get(s, 70001, &out), WL_OK);
  assert_string_equal(out.name, "Block inbound");
  assert_string_equal(out.provider, "");
  assert_string_equal(out.action, "block");
  snprintf(fi.provider, sizeof fi.provider, "wfplearn");
  fi.ours = 1;
  assert_int_equal(wl_store_filter_info_put(s, &fi), WL_OK);
  assert_int_equal(wl_store_filter_info_get(s, 70001, &out), WL_OK);
  assert_string_equal(out.provider, "wfplearn");
  assert_int_equal(out.ours, 1);
  wl_store_close(s);
}

typedef struct rule_list {
  int64_t ids[8];
  int n;
} rule_list;

static int collect_rule(void *ctx, const wl_rule_row *r) {
  rule_list *l = ctx;
  l->ids[l->n++] = r->id;
  return l->n == 8;
}

static void test_rules_and_transactions(void **state) {
  (void)state;
  wl_store *s = open_ok(NULL);
  wl_rule_row r = {.dir = WL_DIR_OUT, .proto = 6, .created = 42}, g;
  snprintf(r.app, sizeof r.app, "C:\\apps\\a.exe");
  snprintf(r.scope, sizeof r.scope, "port");
  snprintf(r.ports, sizeof r.ports, "443,8000-8100");
  snprintf(r.filters, sizeof r.filters, "{01234567-89ab-cdef-0123-456789abcdef}");
  snprintf(r.origin, sizeof r.origin, "promote");
  assert_int_equal(wl_store_rule_add(s, &r), WL_OK);
  int64_t first = r.id;
  assert_true(first > 0);
  assert_int_equal(wl_store_rule_get(s, first, &g), WL_OK);
  assert_string_equal(g.ports, "443,8000-8100");
  assert_int_equal(g.proto, 6);
  assert_int_equal(g.created, 42);

  /* rolled back: gone; committed: kept */
  assert_int_equal(wl_store_begin(s), WL_OK);
  assert_int_equal(wl_store_begin(s), WL_E_INVAL);
  r.proto = -1;
  assert_int_equal(wl_store_rule_add(s, &r), WL_OK);
  int64_t rolled = r.id;
  assert_int_equal(wl_store_rollback(s), WL_OK);
  assert_int_equal(wl_store_rule_get(s, rolled, &g), WL_E_NOTFOUND);
  assert_int_equal(wl_store_begin(s), WL_OK);
  assert_int_equal(wl_store_rule_add(s, &r), WL_OK);
  snprintf(r.remotes, sizeof r.remotes, "10.0.0.0/8");
  assert_int_equal(wl_store_rule_update(s, &r), WL_OK);
  assert_int_equal(wl_store_commit(s), WL_OK);
  assert_int_equal(wl_store_commit(s), WL_E_INVAL);
  assert_int_equal(wl_store_rule_get(s, r.id, &g), WL_OK);
  assert_string_equal(g.remotes, "10.0.0.0/8");
  assert_int_equal(g.proto, -1);

  assert_int_equal(wl_store_rule_delete(s, first), WL_OK);
  assert_int_equal(wl_store_rule_delete(s, first), WL_E_NOTFOUND);
  g.id = 9999;
  assert_int_equal(wl_store_rule_update(s, &g), WL_E_NOTFOUND);
  rule_list l = {0};
  assert_int_equal(wl_store_rules(s, collect_rule, &l), 0);
  assert_int_equal(l.n, 1);
  assert_int_equal(l.ids[0], r.id);
  wl_store_stats st;
  assert_int_equal(wl_store_stats_get(s, &st), WL_OK);
  assert_int_equal(st.rules, 1);
  /* ids are never reused, even of the newest rule deleted */
  int64_t last = r.id;
  assert_int_equal(wl_store_rule_delete(s, last), WL_OK);
  assert_int_equal(wl_store_rule_add(s, &r), WL_OK);
  assert_true(r.id > last && r.id > first);
  wl_store_close(s);
}

/* ---------------------------------------------------------------- rollup */

typedef struct app_names {
  int64_t id[256];
  char path[256][128];
  wl_app_summary sum[256];
  int n;
} app_names;

static int collect_app(void *ctx, const wl_app_summary *a) {
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
static void compare_flows(wl_store *s, const tsg_model *m, const app_names *apps) {
  flow_check c = {.m = m, .apps = apps, .seen = calloc(m->n + 1, 1)};
  assert_int_equal(wl_store_flows(s, -1, 0, check_flow, &c), 0);
  assert_int_equal(c.n, m->n);
  /* and per app, through the index */
  memset(c.seen, 0, m->n);
  c.n = 0;
  for (int i = 0; i < apps->n; i++)
    assert_int_equal(wl_store_flows(s, apps->id[i], 0, check_flow, &c), 0);
  assert_int_equal(c.n, m->n);
  free(c.seen);
}

static void compare_apps(const tsg_model *m, const app_names *apps) {
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

static void compare_drops(wl_store *s, const wl_event *ev, size_t n, uint64_t since,
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
static void compare_events(wl_store *s, const wl_event *ev, size_t n, uint64_t since,
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

static void test_rollup_matches_brute_force(void **state) {
  (void)state;
  const size_t n = 40000;
  wl_event *ev = make_stream(n, 400, 25, 20261124, 20000000);
  tsg_model m = {0};
  for (size_t i = 0; i < n; i++)
    tsg_model_add(&m, &ev[i]);
  wl_store *s = open_ok(NULL);
  wl_filter_info fi = {.filter_id = 70001};
  snprintf(fi.name, sizeof fi.name, "drop-1");
  assert_int_equal(wl_store_filter_info_put(s, &fi), WL_OK);
  write_batches(s, ev, n / 2, 99);
  wl_store_close(s); /* half, close, re-open: caches and ids must survive */
  s = open_ok(NULL);
  write_batches(s, ev + n / 2, n - n / 2, 100);

  app_names apps = {0};
  assert_int_equal(wl_store_apps(s, 0, collect_app, &apps), 0);
  compare_flows(s, &m, &apps);
  compare_apps(&m, &apps);
  compare_drops(s, ev, n, 0, "drop-1");
  compare_drops(s, ev, n, TSG_T0 / HOUR * HOUR + 5 * HOUR, "drop-1"); /* whole hours */
  compare_events(s, ev, n, 0, 0);
  compare_events(s, ev, n, TSG_T0 + 3 * HOUR, TSG_T0 + 6 * HOUR);

  wl_store_stats st;
  assert_int_equal(wl_store_stats_get(s, &st), WL_OK);
  assert_int_equal(st.events, m.stored);
  assert_int_equal(st.events_kept, m.stored);
  assert_int_equal(st.flows, m.n);
  assert_int_equal(st.apps, apps.n);
  /* compact: IPv4 addresses as 4 bytes, no address as none */
  assert_int_equal(raw_int("SELECT count(*) FROM flows WHERE ip_version=4 AND "
                           "length(remote_addr) NOT IN (0, 4)"), 0);
  assert_int_equal(raw_int("SELECT count(*) FROM ctx WHERE length(local_addr) NOT IN (0,4,16)"),
                   0);
  assert_true(raw_int("SELECT count(*) FROM flows WHERE length(remote_addr)=4") > 0);
  assert_true(st.skipped >= m.skipped);
  assert_true(st.db_bytes > 0);
  assert_true(st.first_ts <= ev[0].ts && st.last_ts >= ev[n - 1].ts);
  /* apps since: only those seen at or after */
  app_names late = {0};
  uint64_t since = ev[n - 1].ts - 30000000; /* the last few seconds */
  assert_int_equal(wl_store_apps(s, since, collect_app, &late), 0);
  for (int i = 0; i < late.n; i++)
    assert_true(late.sum[i].last_seen >= since);
  assert_true(late.n < apps.n);
  wl_store_close(s);
  tsg_model_free(&m);
  free(ev);
}

static int stop_at_3(void *ctx, const wl_event *ev) {
  (void)ev;
  return ++*(int *)ctx == 3 ? 42 : 0;
}

static void test_callbacks_stop_and_counters(void **state) {
  (void)state;
  wl_event *ev = make_stream(100, 10, 3, 5, 10000000);
  wl_store *s = open_ok(NULL);
  wl_batch_counters c = {.ring_drops = 5, .skipped = 2, .backfilled = 7};
  assert_int_equal(wl_store_write(s, ev, 100, &c), WL_OK);
  assert_int_equal(wl_store_write(s, NULL, 0, &c), WL_OK); /* counters only */
  int k = 0;
  assert_int_equal(wl_store_events(s, 0, 0, stop_at_3, &k), 42);
  wl_store_stats st;
  assert_int_equal(wl_store_stats_get(s, &st), WL_OK);
  assert_int_equal(st.drops, 10);
  assert_int_equal(st.backfilled, 14);
  size_t other = 0;
  for (int i = 0; i < 100; i++)
    other += ev[i].type == WL_EVT_OTHER;
  assert_int_equal(st.skipped, 4 + other);
  assert_int_equal(st.events, 100 - other);
  wl_store_close(s);
  free(ev);
}

/* A batch inside wl_store_begin/rollback is undone with the rest. */
static void test_write_inside_transaction(void **state) {
  (void)state;
  wl_event *ev = make_stream(50, 10, 3, 6, 10000000);
  wl_store *s = open_ok(NULL);
  assert_int_equal(wl_store_begin(s), WL_OK);
  assert_int_equal(wl_store_write(s, ev, 50, NULL), WL_OK);
  assert_int_equal(wl_store_rollback(s), WL_OK);
  wl_store_stats st;
  assert_int_equal(wl_store_stats_get(s, &st), WL_OK);
  assert_int_equal(st.events, 0);
  assert_int_equal(st.apps, 0);
  assert_int_equal(wl_store_write(s, ev, 50, NULL), WL_OK); /* caches were not left stale */
  assert_int_equal(wl_store_stats_get(s, &st), WL_OK);
  tsg_model m = {0};
  for (int i = 0; i < 50; i++)
    tsg_model_add(&m, &ev[i]);
  assert_int_equal(st.events, m.stored);
  assert_int_equal(st.flows, m.n);
  compare_events(s, ev, 50, 0, 0);
  tsg_model_free(&m);
  wl_store_close(s);
  free(ev);
}


/* One flow seen out of order and with ties, split into batches every way: count, first/last
 * seen and the filter of the newest event (ties: the later one written) must not depend on
 * how the events were batched. */
static void test_out_of_order_and_ties(void **state) {
  (void)state;
  static const struct {
    uint64_t ts, filter;
  } seq[] = {{100, 1}, {50, 2}, {200, 3}, {150, 4}, {200, 5}, {20, 6}};
  static const size_t splits[][6] = {
      {6}, {1, 1, 1, 1, 1, 1}, {2, 4}, {3, 3}, {4, 1, 1}, {1, 5}, {5, 1},
  };
  for (size_t t = 0; t < sizeof splits / sizeof splits[0]; t++) {
    remove_db(db_path);
    wl_store *s = open_ok(NULL);
    wl_event ev[6];
    uint64_t rng = 1;
    for (int i = 0; i < 6; i++) {
      tsg_flow_event(5, 1, TSG_T0 + seq[i].ts, &rng, &ev[i]);
      ev[i].type = WL_EVT_DROP;
      ev[i].filter_id = seq[i].filter;
    }
    for (size_t i = 0, k = 0; i < 6; i += splits[t][k++])
      assert_int_equal(wl_store_write(s, ev + i, splits[t][k], NULL), WL_OK);
    tsg_model m = {0};
    for (int i = 0; i < 6; i++)
      tsg_model_add(&m, &ev[i]);
    assert_int_equal(m.n, 1);
    assert_int_equal(m.flows[0].f.first_seen, TSG_T0 + 20);
    assert_int_equal(m.flows[0].f.last_filter_id, 5);
    app_names apps = {0};
    assert_int_equal(wl_store_apps(s, 0, collect_app, &apps), 0);
    compare_flows(s, &m, &apps);
    compare_apps(&m, &apps);
    compare_drops(s, ev, 6, 0, NULL);
    wl_store_close(s);
    tsg_model_free(&m);
  }
}

/* Fault injection: a trigger makes the Nth insert of a table fail in the middle of a batch.
 * Everything of the batch must be rolled back (rows, counters, interned apps, SIDs and
 * contexts, in-memory ids) and the same batch written again must give the right store. */
static void test_failed_batch_rolls_back(void **state) {
  (void)state;
  static const char *const triggers[] = {
      "CREATE TRIGGER inject BEFORE INSERT ON events WHEN NEW.id = 1700 "
      "BEGIN SELECT RAISE(ABORT, 'injected'); END",
      "CREATE TRIGGER inject BEFORE INSERT ON flows WHEN (SELECT count(*) FROM flows) = %lld "
      "BEGIN SELECT RAISE(ABORT, 'injected'); END",
      "CREATE TRIGGER inject BEFORE UPDATE ON apps WHEN NEW.endpoints > OLD.endpoints + 5 "
      "BEGIN SELECT RAISE(ABORT, 'injected'); END",
      "CREATE TRIGGER inject BEFORE INSERT ON ctx WHEN (SELECT count(*) FROM ctx) = %lld "
      "BEGIN SELECT RAISE(ABORT, 'injected'); END",
      "CREATE TRIGGER inject BEFORE DELETE ON events "
      "BEGIN SELECT RAISE(ABORT, 'injected'); END",
  };
  const size_t n = 6000;
  wl_event *ev = make_stream(n, 400, 30, 12, 10000000);
  tsg_model m = {0};
  for (size_t i = 0; i < n; i++)
    tsg_model_add(&m, &ev[i]);
  for (size_t t = 0; t < sizeof triggers / sizeof triggers[0]; t++) {
    remove_db(db_path);
    wl_store *s = open_ok(NULL);
    assert_int_equal(wl_store_write(s, ev, 1000, NULL), WL_OK);
    if (t == 4) { /* the last one fails in pruning: a size cap the next batch exceeds */
      wl_store_close(s);
      wl_store_opts o = {.retain_bytes = (uint64_t)raw_int("PRAGMA page_count") * 4096 + 8192};
      s = open_ok(&o);
    }
    char sql[512];
    long long at = raw_int(t == 1 ? "SELECT count(*) FROM flows" : "SELECT count(*) FROM ctx");
    snprintf(sql, sizeof sql, triggers[t], at + 20);
    raw_exec(sql);
    int rc = wl_store_write(s, ev + 1000, 3000, NULL);
    if (rc != WL_E_INVAL)
      fail_msg("trigger %zu: %d %s", t, rc, wl_errmsg());
    assert_non_null(strstr(wl_errmsg(), "injected"));
    wl_store_stats st;
    assert_int_equal(wl_store_stats_get(s, &st), WL_OK);
    tsg_model first = {0};
    for (size_t i = 0; i < 1000; i++)
      tsg_model_add(&first, &ev[i]);
    assert_int_equal(st.events, first.stored);
    assert_int_equal(st.flows, first.n);
    compare_events(s, ev, 1000, 0, 0);
    tsg_model_free(&first);
    raw_exec("DROP TRIGGER inject");
    assert_int_equal(wl_store_write(s, ev + 1000, n - 1000, NULL), WL_OK);
    assert_int_equal(wl_store_stats_get(s, &st), WL_OK);
    assert_int_equal(st.events, m.stored);
    assert_int_equal(st.flows, m.n);
    app_names apps = {0};
    assert_int_equal(wl_store_apps(s, 0, collect_app, &apps), 0);
    compare_flows(s, &m, &apps);
    compare_apps(&m, &apps);
    if (t != 4)
      compare_events(s, ev, n, 0, 0);
    wl_store_close(s);
  }
  tsg_model_free(&m);
  free(ev);
}

/* ---------------------------------------------------------------- importers */

static void test_keyed_duplicates(void **state) {
  (void)state;
  const size_t n = 3000;
  wl_event *ev = make_stream(n, 50, 5, 11, 10000000);
  uint64_t *keys = malloc(n * sizeof *keys);
  for (size_t i = 0; i < n; i++)
    keys[i] = (i + 1) * 0x9e3779b97f4a7c15ull; /* distinct: odd multiplier */
  keys[10] = keys[9]; /* a repeat inside one call */
  wl_store *s = open_ok(NULL);
  uint64_t dups = 99;
  assert_int_equal(wl_store_write_keyed(s, ev, keys, 2000, &dups), WL_OK);
  assert_int_equal(dups, 1);
  /* overlapping re-import: 1000..1999 are known */
  assert_int_equal(wl_store_write_keyed(s, ev + 1000, keys + 1000, n - 1000, &dups), WL_OK);
  assert_int_equal(dups, 1000);
  tsg_model m = {0};
  for (size_t i = 0; i < n; i++)
    if (i != 10)
      tsg_model_add(&m, &ev[i]);
  wl_store_stats st;
  assert_int_equal(wl_store_stats_get(s, &st), WL_OK);
  assert_int_equal(st.events, m.stored);
  assert_int_equal(st.duplicates, 1001);
  assert_int_equal(st.flows, m.n);
  app_names apps = {0};
  assert_int_equal(wl_store_apps(s, 0, collect_app, &apps), 0);
  compare_flows(s, &m, &apps);
  wl_store_close(s);
  tsg_model_free(&m);
  free(keys);
  free(ev);
}

/* ---------------------------------------------------------------- retention */

static int count_event(void *ctx, const wl_event *ev) {
  (void)ev;
  ++*(uint64_t *)ctx;
  return 0;
}

static void test_retention_by_age(void **state) {
  (void)state;
  /* five days of old (2022) data, one event a minute-ish: the window is relative to the
   * newest event, not the wall clock, so a replay of old data keeps its last day. */
  const size_t n = 8000;
  wl_event *ev = make_stream(n, 200, 12, 3, 2 * 90 * 10000000ull);
  for (size_t i = 0; i < n; i++) /* strictly in time order for an exact cut */
    if (i && ev[i].ts < ev[i - 1].ts)
      ev[i].ts = ev[i - 1].ts;
  wl_store_opts o = {.retain_ticks = DAY};
  wl_store *s = open_ok(&o);
  for (size_t i = 0; i < n; i += 400)
    assert_int_equal(wl_store_write(s, ev + i, 400, NULL), WL_OK);
  uint64_t newest = ev[n - 1].ts, cutoff = newest - DAY;
  assert_true(ev[0].ts < cutoff - 2 * DAY);
  size_t kept = 0, gone = 0;
  for (size_t i = 0; i < n; i++)
    if (ev[i].type != WL_EVT_OTHER)
      *(ev[i].ts >= cutoff ? &kept : &gone) += 1;
  wl_store_stats st;
  assert_int_equal(wl_store_stats_get(s, &st), WL_OK);
  assert_int_equal(st.events_kept, kept);
  assert_int_equal(st.events, kept + gone);
  compare_events(s, ev, n, cutoff, 0);
  uint64_t listed = 0; /* nothing older is left */
  assert_int_equal(wl_store_events(s, 0, 0, count_event, &listed), 0);
  assert_int_equal(listed, kept);
  /* flows and apps keep everything */
  tsg_model m = {0};
  for (size_t i = 0; i < n; i++)
    tsg_model_add(&m, &ev[i]);
  app_names apps = {0};
  assert_int_equal(wl_store_apps(s, 0, collect_app, &apps), 0);
  compare_flows(s, &m, &apps);
  compare_apps(&m, &apps);
  compare_drops(s, ev, n, 0, NULL);
  wl_store_close(s);
  tsg_model_free(&m);
  free(ev);
}

static void test_retention_by_size(void **state) {
  (void)state;
  const size_t n = 60000;
  const uint64_t cap = 1536 * 1024; /* the random stream has many flows and contexts */
  wl_event *ev = make_stream(n, 300, 20, 4, 10000000);
  for (size_t i = 1; i < n; i++)
    if (ev[i].ts < ev[i - 1].ts)
      ev[i].ts = ev[i - 1].ts;
  wl_store_opts o = {.retain_bytes = cap};
  wl_store *s = open_ok(&o);
  for (size_t i = 0; i < n; i += 1000)
    assert_int_equal(wl_store_write(s, ev + i, 1000, NULL), WL_OK);
  wl_store_stats st;
  assert_int_equal(wl_store_stats_get(s, &st), WL_OK);
  assert_true(st.events_kept > 1000);
  assert_true(st.events_kept < st.events / 2);
  /* what is kept is the newest part of the stream */
  size_t stored = 0, first_kept = n;
  for (size_t i = n; i-- > 0;)
    if (ev[i].type != WL_EVT_OTHER && ++stored == st.events_kept) {
      first_kept = i;
      break;
    }
  assert_true(first_kept < n);
  compare_events(s, ev + first_kept, n - first_kept, 0, 0);
  wl_store_close(s);
  /* the database's used pages stay within the cap plus about one batch */
  int64_t used = raw_int("SELECT (p.page_count-f.freelist_count)*z.page_size FROM "
                         "pragma_page_count() p, pragma_freelist_count() f, pragma_page_size() z");
  assert_true((uint64_t)used <= cap + 128 * 1024);
  /* flows and apps are all there */
  s = open_ok(&o);
  tsg_model m = {0};
  for (size_t i = 0; i < n; i++)
    tsg_model_add(&m, &ev[i]);
  app_names apps = {0};
  assert_int_equal(wl_store_apps(s, 0, collect_app, &apps), 0);
  compare_flows(s, &m, &apps);
  compare_apps(&m, &apps);
  wl_store_close(s);
  tsg_model_free(&m);
  free(ev);
}


/* Retention shortened on a full store: each batch prunes a bounded slice (2 x its size + 1024
 * rows), never the whole backlog at once, and the backlog drains batch by batch. */
static void test_retention_backlog_drains_in_slices(void **state) {
  (void)state;
  const size_t n = 12000;
  wl_event *ev = make_stream(n, 100, 10, 21, 2 * 60 * 10000000ull); /* ~8 days */
  for (size_t i = 1; i < n; i++)
    if (ev[i].ts < ev[i - 1].ts)
      ev[i].ts = ev[i - 1].ts;
  wl_store_opts keep = {.retain_ticks = 30 * DAY}, day = {.retain_ticks = DAY};
  wl_store *s = open_ok(&keep);
  write_batches(s, ev, n - 10, 5);
  wl_store_stats before, st;
  assert_int_equal(wl_store_stats_get(s, &before), WL_OK);
  assert_int_equal(before.events_kept, before.events);
  wl_store_close(s);
  s = open_ok(&day);
  size_t stored10 = 0;
  for (size_t i = n - 10; i < n; i++)
    stored10 += ev[i].type != WL_EVT_OTHER;
  assert_int_equal(wl_store_write(s, ev + n - 10, 10, NULL), WL_OK);
  assert_int_equal(wl_store_stats_get(s, &st), WL_OK);
  assert_int_equal(st.events_kept, before.events_kept + stored10 - (2 * stored10 + 1024));
  int batches = 1;
  uint64_t prev = st.events_kept;
  for (;; batches++) { /* empty batches prune 1024 each until only the last day is left */
    assert_int_equal(wl_store_write(s, NULL, 0, NULL), WL_OK);
    assert_int_equal(wl_store_stats_get(s, &st), WL_OK);
    assert_true(prev - st.events_kept <= 1024);
    if (st.events_kept == prev)
      break;
    prev = st.events_kept;
  }
  assert_true(batches > 3);
  compare_events(s, ev, n, ev[n - 1].ts - DAY, 0);
  uint64_t listed = 0;
  assert_int_equal(wl_store_events(s, 0, 0, count_event, &listed), 0);
  assert_int_equal(listed, st.events_kept);
  wl_store_close(s);
  free(ev);
}

/* is_new: first seen within 7 days of the newest event (not of the wall clock). */
static void test_apps_new_this_week(void **state) {
  (void)state;
  wl_event ev[3];
  uint64_t rng = 2;
  tsg_flow_event(1, 3, TSG_T0, &rng, &ev[0]);                /* app1: 10 days before */
  tsg_flow_event(2, 3, TSG_T0 + 4 * DAY, &rng, &ev[1]);      /* app2: 6 days before */
  tsg_flow_event(3, 3, TSG_T0 + 10 * DAY, &rng, &ev[2]);     /* app0: the newest */
  wl_store *s = open_ok(NULL);
  assert_int_equal(wl_store_write(s, ev, 3, NULL), WL_OK);
  app_names apps = {0};
  assert_int_equal(wl_store_apps(s, 0, collect_app, &apps), 0);
  assert_int_equal(apps.n, 3);
  for (int i = 0; i < apps.n; i++) {
    int want = apps.sum[i].first_seen != TSG_T0;
    assert_int_equal(apps.sum[i].is_new, want);
    assert_int_equal(apps.sum[i].endpoints, 1);
  }
  app_names recent = {0};
  assert_int_equal(wl_store_apps(s, TSG_T0 + 4 * DAY, collect_app, &recent), 0);
  assert_int_equal(recent.n, 2);
  wl_store_close(s);
}

/* ---------------------------------------------------------------- locked */

static void test_locked_then_retry(void **state) {
  (void)state;
  wl_event *ev = make_stream(500, 40, 4, 8, 10000000);
  wl_store_opts o = {.busy_timeout_ms = 50};
  wl_store *s = open_ok(&o);
  assert_int_equal(wl_store_write(s, ev, 250, NULL), WL_OK);
  sqlite3 *other;
  assert_int_equal(sqlite3_open(db_path, &other), SQLITE_OK);
  assert_int_equal(sqlite3_exec(other, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
  assert_int_equal(wl_store_write(s, ev + 250, 250, NULL), WL_E_BUSY);
  assert_non_null(strstr(wl_errmsg(), db_path));
  assert_non_null(strstr(wl_errmsg(), "locked"));
  assert_int_equal(wl_store_meta_set(s, "mode", "learn"), WL_E_BUSY);
  sqlite3_exec(other, "ROLLBACK", NULL, NULL, NULL);
  sqlite3_close(other);
  /* the same batch again: stored once, nothing lost */
  assert_int_equal(wl_store_write(s, ev + 250, 250, NULL), WL_OK);
  compare_events(s, ev, 500, 0, 0);
  wl_store_close(s);
  free(ev);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_migrate_empty_and_reopen, setup_path, teardown_path),
      cmocka_unit_test_setup_teardown(test_newer_version_refused, setup_path, teardown_path),
      cmocka_unit_test_setup_teardown(test_foreign_and_damaged_files, setup_path, teardown_path),
      cmocka_unit_test_setup_teardown(test_quick_check_reports_damage, setup_path,
                                      teardown_path),
      cmocka_unit_test_setup_teardown(test_meta_and_counters, setup_path, teardown_path),
      cmocka_unit_test_setup_teardown(test_filter_info, setup_path, teardown_path),
      cmocka_unit_test_setup_teardown(test_rules_and_transactions, setup_path, teardown_path),
      cmocka_unit_test_setup_teardown(test_rollup_matches_brute_force, setup_path,
                                      teardown_path),
      cmocka_unit_test_setup_teardown(test_callbacks_stop_and_counters, setup_path,
                                      teardown_path),
      cmocka_unit_test_setup_teardown(test_write_inside_transaction, setup_path, teardown_path),
      cmocka_unit_test_setup_teardown(test_out_of_order_and_ties, setup_path, teardown_path),
      cmocka_unit_test_setup_teardown(test_failed_batch_rolls_back, setup_path, teardown_path),
      cmocka_unit_test_setup_teardown(test_keyed_duplicates, setup_path, teardown_path),
      cmocka_unit_test_setup_teardown(test_retention_by_age, setup_path, teardown_path),
      cmocka_unit_test_setup_teardown(test_retention_by_size, setup_path, teardown_path),
      cmocka_unit_test_setup_teardown(test_retention_backlog_drains_in_slices, setup_path,
                                      teardown_path),
      cmocka_unit_test_setup_teardown(test_apps_new_this_week, setup_path, teardown_path),
      cmocka_unit_test_setup_teardown(test_locked_then_retry, setup_path, teardown_path),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
