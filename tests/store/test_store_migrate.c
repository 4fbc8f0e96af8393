/* test_store_migrate.c — stores written by older versions open and migrate (issue 16).
 *
 * Version 6 (pending blocks without the flows born in them) migrates to 7 and rolls up to the
 * same totals: test_migrate_v6_pending.
 *
 * A version-2 store (and a version-1 one: filters_seen without its keys, apps without
 * `truncated`) is built here with the DDL those versions had (kept in this file, as schema.c
 * asks) and filled with SQL the way their writer did: apps, SIDs, contexts, flows keyed by
 * their key with an id, and one events row per event (time, sequence, flow, the port the flow
 * does not keep minus 32768, context). Opening it for writing migrates it to the current
 * schema: the events come back from blocks field for field and in order, the flows and apps
 * are intact, a read-only open before that asks for the upgrade, and new batches add to it.
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
#include "store/store.h"
#include "store/flow_pack.h"
#include "store/store_int.h"
#include "tests/support/test_store_util.h"

/* Version 1 as schema.c created it (the tables this test fills; the rest are created empty). */
static const char v1_ddl[] =
    "CREATE TABLE meta(key TEXT PRIMARY KEY NOT NULL, value) WITHOUT ROWID;"
    "CREATE TABLE apps(id INTEGER PRIMARY KEY, path TEXT NOT NULL UNIQUE,"
    " dos_path TEXT NOT NULL DEFAULT '', first_seen INTEGER NOT NULL,"
    " last_seen INTEGER NOT NULL, allowed INTEGER NOT NULL DEFAULT 0,"
    " blocked INTEGER NOT NULL DEFAULT 0, endpoints INTEGER NOT NULL DEFAULT 0);"
    "CREATE TABLE sids(id INTEGER PRIMARY KEY, sid TEXT NOT NULL UNIQUE);"
    "CREATE TABLE flows(app INTEGER NOT NULL, dir INTEGER NOT NULL, proto INTEGER NOT NULL,"
    " ip_version INTEGER NOT NULL, remote_addr BLOB NOT NULL, remote_port INTEGER NOT NULL,"
    " local_port INTEGER NOT NULL, action INTEGER NOT NULL, id INTEGER NOT NULL,"
    " count INTEGER NOT NULL, first_seen INTEGER NOT NULL, last_seen INTEGER NOT NULL,"
    " last_filter_id INTEGER NOT NULL, PRIMARY KEY(app, dir, proto, ip_version, remote_addr,"
    " remote_port, local_port, action)) WITHOUT ROWID;"
    "CREATE UNIQUE INDEX flows_id ON flows(id);"
    "CREATE TABLE ctx(id INTEGER PRIMARY KEY, bits INTEGER NOT NULL,"
    " filter_id INTEGER NOT NULL, layer INTEGER NOT NULL, local_addr BLOB NOT NULL,"
    " reauth INTEGER NOT NULL, user INTEGER NOT NULL, package INTEGER NOT NULL,"
    " UNIQUE(bits, filter_id, layer, local_addr, reauth, user, package));"
    "CREATE TABLE events(ts INTEGER NOT NULL, id INTEGER NOT NULL, flow INTEGER NOT NULL,"
    " port INTEGER, ctx INTEGER NOT NULL, PRIMARY KEY(ts, id)) WITHOUT ROWID;"
    "CREATE TABLE drops_hourly(hour INTEGER NOT NULL, filter_id INTEGER NOT NULL,"
    " count INTEGER NOT NULL, PRIMARY KEY(hour, filter_id)) WITHOUT ROWID;"
    "CREATE TABLE filters_seen(filter_id INTEGER PRIMARY KEY, name TEXT NOT NULL,"
    " provider TEXT NOT NULL, sublayer TEXT NOT NULL, action TEXT NOT NULL,"
    " ours INTEGER NOT NULL);"
    "CREATE TABLE rules(id INTEGER PRIMARY KEY AUTOINCREMENT, app TEXT NOT NULL,"
    " app_nt TEXT NOT NULL, dir INTEGER NOT NULL, proto INTEGER NOT NULL, scope TEXT NOT NULL,"
    " ports TEXT NOT NULL, remotes TEXT NOT NULL, user TEXT NOT NULL, package TEXT NOT NULL,"
    " filters TEXT NOT NULL, evidence TEXT NOT NULL, origin TEXT NOT NULL,"
    " created INTEGER NOT NULL);"
    "CREATE TABLE import_keys(key INTEGER PRIMARY KEY);"
    "PRAGMA application_id=2003201134;";
static const char v2_ddl[] =
    "ALTER TABLE filters_seen ADD COLUMN filter_key TEXT NOT NULL DEFAULT '';"
    "ALTER TABLE filters_seen ADD COLUMN provider_key TEXT NOT NULL DEFAULT '';"
    "ALTER TABLE apps ADD COLUMN truncated INTEGER NOT NULL DEFAULT 0;";

#define N 3000

static sqlite3 *db;

static void ok(int rc) {
  if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW)
    fail_msg("sqlite: %s", sqlite3_errmsg(db));
}

/* Runs sql with the int64/text/blob arguments given by fmt ('i', 't', 'b' + length), returns
 * the first column of its first row (0 when none). */
static int64_t q(const char *sql, const char *fmt, ...) {
  sqlite3_stmt *st = NULL;
  va_list ap;
  ok(sqlite3_prepare_v2(db, sql, -1, &st, NULL));
  va_start(ap, fmt);
  for (int i = 1; fmt && *fmt; fmt++, i++) {
    if (*fmt == 'i')
      sqlite3_bind_int64(st, i, va_arg(ap, int64_t));
    else if (*fmt == 't')
      sqlite3_bind_text(st, i, va_arg(ap, const char *), -1, SQLITE_TRANSIENT);
    else if (*fmt == 'n')
      sqlite3_bind_null(st, i);
    else {
      const void *p = va_arg(ap, const void *);
      sqlite3_bind_blob(st, i, p, va_arg(ap, int), SQLITE_TRANSIENT);
    }
  }
  va_end(ap);
  int rc = sqlite3_step(st);
  ok(rc);
  int64_t v = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
  sqlite3_finalize(st);
  return v;
}

static int64_t sid_id(const char *sid) {
  if (!sid[0])
    return 0;
  q("INSERT OR IGNORE INTO sids(sid) VALUES(?1)", "t", sid);
  return q("SELECT id FROM sids WHERE sid=?1", "t", sid);
}

/* One event the way the version-1/2 writer stored it. */
static void old_write(const wl_event *ev, int64_t seq) {
  int64_t app = q("SELECT id FROM apps WHERE path=?1", "t", ev->app);
  if (!app) {
    q("INSERT INTO apps(path,dos_path,first_seen,last_seen) VALUES(?1,?2,?3,?3)", "tti", ev->app,
      ev->app_dos, (int64_t)ev->ts);
    app = sqlite3_last_insert_rowid(db);
  }
  int alen = ev->ip_version == 4 ? 4 : 16;
  int64_t bits = ((int64_t)ev->has << 16) | ((int64_t)ev->is_loopback << 8) |
                 ((int64_t)(ev->type & 15) << 4) | (ev->origin & 15);
  int64_t user = sid_id(ev->user), package = sid_id(ev->package);
  const char *ctx_key = "bits=?1 AND filter_id=?2 AND layer=?3 AND local_addr=?4 AND "
                        "reauth=?5 AND user=?6 AND package=?7";
  char sql[512];
  snprintf(sql, sizeof sql, "SELECT id FROM ctx WHERE %s", ctx_key);
  int64_t ctx = q(sql, "iiibiii", bits, (int64_t)ev->filter_id, (int64_t)ev->layer_id,
                  ev->local_addr, alen, (int64_t)ev->reauth, user, package);
  if (!ctx) {
    q("INSERT INTO ctx(bits,filter_id,layer,local_addr,reauth,user,package) "
      "VALUES(?1,?2,?3,?4,?5,?6,?7)", "iiibiii", bits, (int64_t)ev->filter_id,
      (int64_t)ev->layer_id, ev->local_addr, alen, (int64_t)ev->reauth, user, package);
    ctx = sqlite3_last_insert_rowid(db);
  }
  int drop = ev->type == WL_EVT_DROP || ev->type == WL_EVT_CAP_DROP;
  int64_t action = drop ? WL_EVT_DROP : WL_EVT_ALLOW;
  int64_t rport = ev->dir == WL_DIR_IN ? 0 : ev->remote_port;
  int64_t lport = ev->dir == WL_DIR_OUT ? 0 : ev->local_port;
  const char *key = "app=?1 AND dir=?2 AND proto=?3 AND ip_version=?4 AND remote_addr=?5 AND "
                    "remote_port=?6 AND local_port=?7 AND action=?8";
  snprintf(sql, sizeof sql, "SELECT id FROM flows WHERE %s", key);
  int64_t flow = q(sql, "iiiibiii", app, (int64_t)ev->dir, (int64_t)ev->proto,
                   (int64_t)ev->ip_version, ev->remote_addr, alen, rport, lport, action);
  if (!flow) {
    flow = q("SELECT count(*) FROM flows", NULL) + 1;
    q("INSERT INTO flows VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,0,?10,?10,?11)", "iiiibiiiiii", app,
      (int64_t)ev->dir, (int64_t)ev->proto, (int64_t)ev->ip_version, ev->remote_addr, alen,
      rport, lport, action, flow, (int64_t)ev->ts, (int64_t)ev->filter_id);
    q("UPDATE apps SET endpoints=endpoints+1 WHERE id=?1", "i", app);
  }
  q("UPDATE flows SET count=count+1, first_seen=min(first_seen,?2), last_filter_id=CASE WHEN "
    "?2>=last_seen THEN ?3 ELSE last_filter_id END, last_seen=max(last_seen,?2) WHERE id=?1",
    "iii", flow, (int64_t)ev->ts, (int64_t)ev->filter_id);
  q(drop ? "UPDATE apps SET blocked=blocked+1, last_seen=max(last_seen,?2) WHERE id=?1"
         : "UPDATE apps SET allowed=allowed+1, last_seen=max(last_seen,?2) WHERE id=?1",
    "ii", app, (int64_t)ev->ts);
  int64_t port = ev->dir == WL_DIR_OUT ? ev->local_port : ev->remote_port;
  q("INSERT INTO events VALUES(?1,?2,?3,?4,?5)", "iiiii", (int64_t)ev->ts, seq, flow,
    port - 32768, ctx);
}

/* A store of `version` (1 or 2) holding ev[0..n). */
static void make_old_store(int version, const wl_event *ev, size_t n) {
  remove_db(db_path);
  assert_int_equal(sqlite3_open(db_path, &db), SQLITE_OK);
  ok(sqlite3_exec(db, v1_ddl, NULL, NULL, NULL));
  if (version == 2)
    ok(sqlite3_exec(db, v2_ddl, NULL, NULL, NULL));
  ok(sqlite3_exec(db, "BEGIN", NULL, NULL, NULL));
  tsg_model m = {0};
  int64_t first = 0, last = 0;
  for (size_t i = 0; i < n; i++) {
    old_write(&ev[i], (int64_t)i);
    tsg_model_add(&m, &ev[i]);
    first = !first || (int64_t)ev[i].ts < first ? (int64_t)ev[i].ts : first;
    last = (int64_t)ev[i].ts > last ? (int64_t)ev[i].ts : last;
  }
  static const char *const keys[] = {"schema_version", "events", "events_kept", "flows",
                                     "event_seq", "flow_seq", "first_ts", "last_ts"};
  int64_t vals[] = {version, (int64_t)n, (int64_t)n, (int64_t)m.n, (int64_t)n,
                    (int64_t)m.n + 1, first, last};
  for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
    q("INSERT INTO meta VALUES(?1,?2)", "ti", keys[i], vals[i]);
  ok(sqlite3_exec(db, "COMMIT", NULL, NULL, NULL));
  sqlite3_close(db);
  db = NULL;
  tsg_model_free(&m);
}

static void check_migrates(int version) {
  /* every event a connection attempt, all fields known, in and out, v4 and v6 */
  wl_event *ev = make_stream(N, 400, 30, 16 + (uint64_t)version, 10000000);
  size_t n = 0;
  for (size_t i = 0; i < N; i++) {
    uint64_t rng = i * 31 + 7;
    tsg_flow_event((uint32_t)(i * 2654435761u % 400), 30, ev[i].ts, &rng, &ev[n]);
    n++;
  }
  make_old_store(version, ev, n / 2);
  wl_store_opts ro = {.read_only = 1};
  wl_store *s = NULL;
  assert_int_equal(wl_store_open(db_path, &ro, &s), WL_E_READONLY);
  s = open_ok(NULL);
  assert_int_equal(wl_store_schema_version(s), WL_STORE_SCHEMA_VERSION);
  wl_store_stats st;
  assert_int_equal(wl_store_stats_get(s, &st), WL_OK);
  assert_int_equal(st.events, n / 2);
  assert_int_equal(st.events_kept, n / 2);
  compare_events(s, ev, n / 2, 0, 0); /* from the blocks the migration made */
  tsg_model m = {0};
  for (size_t i = 0; i < n / 2; i++)
    tsg_model_add(&m, &ev[i]);
  app_names apps = {0};
  assert_int_equal(wl_store_apps(s, 0, collect_app, &apps), 0);
  compare_flows(s, &m, &apps);
  compare_apps(&m, &apps);
  /* and the migrated store goes on */
  assert_int_equal(wl_store_write(s, ev + n / 2, n - n / 2, NULL), WL_OK);
  for (size_t i = n / 2; i < n; i++)
    tsg_model_add(&m, &ev[i]);
  wl_store_close(s);
  s = open_ok(&ro);
  memset(&apps, 0, sizeof apps);
  assert_int_equal(wl_store_apps(s, 0, collect_app, &apps), 0);
  compare_flows(s, &m, &apps);
  compare_apps(&m, &apps);
  compare_events(s, ev, n, 0, 0);
  assert_int_equal(raw_int("SELECT count(*) FROM sqlite_master WHERE name='events'"), 0);
  wl_store_close(s);
  tsg_model_free(&m);
  free(ev);
}

static void test_migrate_v2_events_to_blocks(void **state) {
  (void)state;
  check_migrates(2);
}

static void test_migrate_v1_through_v2(void **state) {
  (void)state;
  check_migrates(1);
}

/* Version 6 (issue 16's block store, before pending said which flows a block gave birth to):
 * a v6 writer added a new flow with count 0 and left every event of a pending block to the
 * rollups. A current store is taken back to that state with every block pending (counts,
 * app totals and drops zeroed, pending without born_lo/born_hi, schema_version 6); opening
 * it migrates and rolls the blocks up to the same totals, and it goes on. */
static void test_migrate_v6_pending(void **state) {
  (void)state;
  wl_event *ev = make_stream(N, 400, 30, 66, 10000000);
  tsg_model m = {0};
  for (size_t i = 0; i < N / 2; i++)
    tsg_model_add(&m, &ev[i]);
  wl_store *s = open_ok(NULL);
  write_batches(s, ev, N / 2, 6);
  wl_store_close(s);
  int64_t drops = raw_int("SELECT sum(count) FROM drops_hourly");
  assert_true(drops > 0);
  tsu_undo_v12();
  raw_exec("UPDATE flows SET count=0, last_seen=first_seen, last_filter_id=0;"
           "UPDATE apps SET allowed=0, blocked=0; DELETE FROM drops_hourly;"
           "INSERT INTO pending(seq) SELECT seq FROM blocks;"
           "ALTER TABLE pending DROP COLUMN born_hi; ALTER TABLE pending DROP COLUMN born_lo;"
           TSU_UNDO_V11 TSU_UNDO_V10 TSU_UNDO_V9 "DROP TABLE app_hourly;" /* 8, store_app_hourly.c */
           "UPDATE meta SET value=6 WHERE key='schema_version'");
  wl_store_opts ro = {.read_only = 1};
  assert_int_equal(wl_store_open(db_path, &ro, &s), WL_E_READONLY);
  s = open_ok(NULL); /* migrates, then rolls the pending blocks up */
  assert_int_equal(wl_store_schema_version(s), WL_STORE_SCHEMA_VERSION);
  assert_int_equal(raw_int("SELECT count(*) FROM pending"), 0);
  assert_int_equal(raw_int("SELECT sum(count) FROM drops_hourly"), drops);
  app_names apps = {0};
  assert_int_equal(wl_store_apps(s, 0, collect_app, &apps), 0);
  compare_flows(s, &m, &apps);
  compare_apps(&m, &apps);
  write_batches(s, ev + N / 2, N - N / 2, 7);
  for (size_t i = N / 2; i < N; i++)
    tsg_model_add(&m, &ev[i]);
  wl_store_close(s);
  s = open_ok(&ro);
  memset(&apps, 0, sizeof apps);
  assert_int_equal(wl_store_apps(s, 0, collect_app, &apps), 0);
  compare_flows(s, &m, &apps);
  compare_apps(&m, &apps);
  compare_events(s, ev, N, 0, 0);
  wl_store_close(s);
  tsg_model_free(&m);
  free(ev);
}

/* The closed store at db_path, read-only: one flows row a key of m, the counts of every event
 * in the flows' and the apps' totals. */
static void check_against_model(const tsg_model *m) {
  wl_store_opts ro = {.read_only = 1};
  wl_store *s = open_ok(&ro);
  app_names apps = {0};
  assert_int_equal(wl_store_apps(s, 0, collect_app, &apps), 0);
  compare_flows(s, m, &apps);
  compare_apps(m, &apps);
  wl_store_close(s);
  uint64_t flows, distinct;
  tsu_flow_keys(&flows, &distinct);
  assert_int_equal(flows, m->n);
  assert_int_equal(distinct, m->n);
}

/* The stored flows: how many, and a checksum of their keys (the key's address length
 * included), read from flow_pack through a read-only handle. */
typedef struct key_sum {
  int64_t n, sum;
} key_sum;

static int add_key(void *ctx, const wl_pack_flow *p) {
  key_sum *k = ctx;
  const wl_flow *f = &p->f;
  k->n++;
  k->sum += f->app_id + f->dir + f->proto + f->ip_version + f->remote_port + f->local_port +
            f->action + p->alen;
  return 0;
}

static key_sum pack_keys(void) {
  key_sum k = {0};
  wl_store_opts ro = {.read_only = 1};
  wl_store *r = open_ok(&ro);
  assert_int_equal(wl_flow_pack_each(r, -1, add_key, &k), WL_OK);
  wl_store_close(r);
  return k;
}

/* The same from a flows table of schema <= 12 (the raw file). */
static key_sum table_keys(void) {
  key_sum k = {raw_int("SELECT count(*) FROM flows"),
               raw_int("SELECT sum(app + dir + proto + ip_version + remote_port + local_port"
                       " + action + length(remote_addr)) FROM flows")};
  return k;
}

/* Version 8 (a unique index on the flow key, flows_key): opening it drops that index (for
 * flows_app, which 11 drops too); the writer then finds every existing flow from its map (store_flowmap.c), so the
 * same flows coming again add no row, and new ones do. */
static void test_migrate_v8_key_index(void **state) {
  (void)state;
  wl_event *ev = make_stream(N, 400, 30, 88, 10000000);
  tsg_model m = {0};
  for (size_t i = 0; i < N; i++)
    tsg_model_add(&m, &ev[i]);
  wl_store *s = open_ok(NULL);
  write_batches(s, ev, N / 2, 8);
  wl_store_close(s);
  int64_t flows = pack_keys().n;
  tsu_undo_v12();
  raw_exec(TSU_UNDO_V11 TSU_UNDO_V10 TSU_UNDO_V9
           "UPDATE meta SET value=8 WHERE key='schema_version'");
  wl_store_opts ro = {.read_only = 1};
  assert_int_equal(wl_store_open(db_path, &ro, &s), WL_E_READONLY);
  wl_err_clear();
  s = open_ok(NULL);
  assert_int_equal(wl_store_schema_version(s), WL_STORE_SCHEMA_VERSION);
  assert_int_equal(raw_int("SELECT count(*) FROM sqlite_master WHERE name='flows_key'"), 0);
  assert_int_equal(raw_int("SELECT count(*) FROM sqlite_master WHERE name='flows_app'"), 0); /* 11 */
  assert_int_equal(pack_keys().n, flows);
  write_batches(s, ev, N / 4, 9); /* flows it has: none added */
  assert_int_equal(pack_keys().n, flows);
  write_batches(s, ev + N / 2, N - N / 2, 10);
  for (size_t i = 0; i < N / 4; i++)
    tsg_model_add(&m, &ev[i]);
  wl_store_close(s);
  check_against_model(&m);
  tsg_model_free(&m);
  free(ev);
}

/* Version 10 (flows_app, the index on flows(app)): opening it drops that index (for the empty
 * partial flows_app0, which 12 drops too: schema_v9_flows_app.c); the by-app listings (from
 * flow_pack) still work. */
static void test_migrate_v10_app_index(void **state) {
  (void)state;
  wl_event *ev = make_stream(N, 400, 30, 89, 10000000);
  tsg_model m = {0};
  for (size_t i = 0; i < N; i++)
    tsg_model_add(&m, &ev[i]);
  wl_store *s = open_ok(NULL);
  write_batches(s, ev, N / 2, 11);
  wl_store_close(s);
  tsu_undo_v12();
  raw_exec(TSU_UNDO_V11 "UPDATE meta SET value=10 WHERE key='schema_version'");
  assert_int_equal(raw_int("SELECT count(*) FROM sqlite_master WHERE name='flows_app'"), 1);
  wl_store_opts ro = {.read_only = 1};
  assert_int_equal(wl_store_open(db_path, &ro, &s), WL_E_READONLY);
  wl_err_clear();
  s = open_ok(NULL);
  assert_int_equal(wl_store_schema_version(s), WL_STORE_SCHEMA_VERSION);
  assert_int_equal(raw_int("SELECT count(*) FROM sqlite_master WHERE name='flows_app'"), 0);
  assert_int_equal(raw_int("SELECT count(*) FROM sqlite_master WHERE name='flows_app0'"), 0);
  assert_int_equal(raw_int("SELECT count(*) FROM sqlite_master WHERE tbl_name='flows'"), 0);
  write_batches(s, ev + N / 2, N - N / 2, 12);
  wl_store_close(s);
  s = open_ok(&ro);
  app_names apps = {0};
  assert_int_equal(wl_store_apps(s, 0, collect_app, &apps), 0);
  compare_flows(s, &m, &apps); /* every app's listing too */
  compare_apps(&m, &apps);
  wl_store_close(s);
  tsg_model_free(&m);
  free(ev);
}

/* A store holding ev[0, N/2) rolled up (written in batches of `seed`'s sizes) and ev[N/2,
 * N/2 + N/8) pending: the writer that wrote those is returned open (its close would roll up). */
static wl_store *with_pending(const wl_event *ev, uint64_t seed) {
  wl_store *s = open_ok(NULL);
  write_batches(s, ev, N / 2, seed);
  wl_store_close(s);
  wl_store_opts o = {.rollup_events = 1u << 30};
  s = open_ok(&o);
  assert_int_equal(wl_store_write(s, ev + N / 2, N / 8, NULL), WL_OK); /* pending */
  return s;
}

/* Version 11 (the totals in flows and in flow_pack), with blocks pending: opening it drops
 * flows' total columns and flows_app0 (schema_v9_flows_app.c) and rolls the pending blocks up
 * into the pack alone; nothing is lost nor counted twice, the flows rows keep their keys, and
 * a writer goes on adding to the same flows. */
static void test_migrate_v11_keys_only(void **state) {
  (void)state;
  wl_event *ev = make_stream(N, 400, 30, 91, 10000000);
  tsg_model m = {0};
  for (size_t i = 0; i < N; i++)
    tsg_model_add(&m, &ev[i]);
  wl_store *s = with_pending(ev, 13);
  tsu_undo_v12(); /* while the writer is open: its close would roll up */
  assert_true(raw_int("SELECT count(*) FROM pending") > 0);
  key_sum keys = table_keys();
  assert_true(raw_int("SELECT sum(count) FROM flows") > 0);
  wl_store_opts ro = {.read_only = 1};
  wl_store *r = NULL;
  assert_int_equal(wl_store_open(db_path, &ro, &r), WL_E_READONLY); /* needs migrating */
  wl_err_clear();
  r = open_ok(NULL);
  assert_int_equal(wl_store_schema_version(r), WL_STORE_SCHEMA_VERSION);
  assert_int_equal(raw_int("SELECT count(*) FROM pending"), 0);
  assert_int_equal(raw_int("SELECT count(*) FROM sqlite_master WHERE tbl_name='flows'"), 0);
  key_sum now = pack_keys(); /* 12, then 13: the keys in flow_pack, with their lengths */
  assert_int_equal(now.n, keys.n);
  assert_int_equal(now.sum, keys.sum);
  write_batches(r, ev + N / 2 + N / 8, N - N / 2 - N / 8, 14);
  wl_store_close(r);
  wl_store_close(s);
  check_against_model(&m);
  tsg_model_free(&m);
  free(ev);
}

/* Version 12 (the keys in flows and in flow_pack, the packed records without the keys' address
 * lengths), with blocks pending: opening it gives every record its length from flows, drops
 * flows and rolls the blocks up; the keys are the same (lengths included: an IPv4 address that
 * ends in zero bytes, no address at all), a writer finds every old flow (none added twice), and
 * the events read back. A flows row missing from the pack, or a record without its row, is
 * refused (WL_E_CORRUPT) and the file left as it was. */
static void test_migrate_v12_flows_dropped(void **state) {
  (void)state;
  wl_event *ev = make_stream(N, 400, 30, 93, 10000000);
  for (size_t i = 0; i < N; i += 7) /* addresses that end in zero bytes, and none */
    ev[i].remote_addr[3] = 0;
  for (size_t i = 3; i < N; i += 11)
    ev[i].has &= ~(uint32_t)WL_HAS_REMOTE_ADDR;
  tsg_model m = {0};
  for (size_t i = 0; i < N; i++)
    tsg_model_add(&m, &ev[i]);
  wl_store *s = with_pending(ev, 15);
  key_sum before = pack_keys();
  tsu_undo_v13(); /* while the writer is open: its close would roll up */
  assert_true(raw_int("SELECT count(*) FROM pending") > 0);
  key_sum table = table_keys();
  assert_int_equal(table.n, before.n);
  assert_int_equal(table.sum, before.sum);
  /* damaged: a row without its record, then a record without its row */
  raw_exec("INSERT INTO flows VALUES(1000000, 1, 1, 6, 4, x'01020304', 0, 80, 1)");
  wl_store *r = (wl_store *)1;
  assert_int_equal(wl_store_open(db_path, NULL, &r), WL_E_CORRUPT);
  assert_null(r);
  assert_non_null(strstr(wl_errmsg(), "flows holds")); /* its chunk is not packed at all */
  assert_int_equal(raw_int("SELECT value FROM meta WHERE key='schema_version'"), 12);
  raw_exec("DELETE FROM flows WHERE id IN (1000000, 5)");
  assert_int_equal(wl_store_open(db_path, NULL, &r), WL_E_CORRUPT);
  if (!strstr(wl_errmsg(), "flow 5 is in flow_pack but not in flows"))
    fail_msg("%s", wl_errmsg());
  assert_int_equal(raw_int("SELECT count(*) FROM flows"), table.n - 1); /* nothing changed */
  assert_int_equal(raw_int("SELECT value FROM meta WHERE key='schema_version'"), 12);
  wl_err_clear();
  wl_store_close(s);
  /* again, undamaged */
  remove_db(db_path);
  s = with_pending(ev, 15);
  tsu_undo_v13();
  r = open_ok(NULL);
  assert_int_equal(wl_store_schema_version(r), WL_STORE_SCHEMA_VERSION);
  assert_int_equal(raw_int("SELECT count(*) FROM sqlite_master WHERE tbl_name='flows'"), 0);
  assert_int_equal(raw_int("SELECT count(*) FROM pending"), 0);
  key_sum after = pack_keys();
  assert_int_equal(after.n, before.n);
  assert_int_equal(after.sum, before.sum);
  compare_events(r, ev, N / 2 + N / 8, 0, 0); /* each event's flow read by id from the pack */
  write_batches(r, ev + N / 2 + N / 8, N - N / 2 - N / 8, 16);
  write_batches(r, ev, N / 4, 17); /* old flows again: none added */
  wl_store_close(r);
  wl_store_close(s);
  for (size_t i = 0; i < N / 4; i++)
    tsg_model_add(&m, &ev[i]);
  check_against_model(&m);
  tsg_model_free(&m);
  free(ev);
}

/* The current schema's listing as written down (schema_listing.c) is the one the migrations
 * build: on a difference, the new text to paste there. And a store the migrations made has it. */
static void test_schema_listing(void **state) {
  (void)state;
  char *built = NULL;
  assert_int_equal(wl_schema_expected_build(WL_STORE_SCHEMA_VERSION, "listing", &built), WL_OK);
  if (strcmp(built, wl_schema_listing) != 0) {
    fprintf(stderr, "schema_listing.c is out of date; the migrations build:\n");
    for (const char *l = built; *l;) {
      const char *nl = strchr(l, '\n');
      fprintf(stderr, "    \"%.*s\\n\"\n", (int)(nl - l), l);
      l = nl + 1;
    }
    fail_msg("schema_listing.c differs from what the migrations build (above)");
  }
  free(built);
  wl_store *s = open_ok(NULL);
  assert_int_equal(wl_schema_verify(s, WL_STORE_SCHEMA_VERSION), WL_OK);
  wl_store_close(s);
  /* the listing is what an open checks: a column more, a table fewer */
  static const char *const damage[][2] = {{"ALTER TABLE apps ADD COLUMN extra INTEGER", "apps"},
                                          {"DROP TABLE app_hourly", "app_hourly"}};
  for (size_t i = 0; i < sizeof damage / sizeof damage[0]; i++) {
    remove_db(db_path);
    wl_store_close(open_ok(NULL));
    raw_exec(damage[i][0]);
    wl_store *t = NULL;
    assert_int_equal(wl_store_open(db_path, NULL, &t), WL_E_CORRUPT);
    assert_null(t);
    assert_non_null(strstr(wl_errmsg(), damage[i][1]));
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_schema_listing, setup_path, teardown_path),
      cmocka_unit_test_setup_teardown(test_migrate_v12_flows_dropped, setup_path, teardown_path),
      cmocka_unit_test_setup_teardown(test_migrate_v11_keys_only, setup_path, teardown_path),
      cmocka_unit_test_setup_teardown(test_migrate_v10_app_index, setup_path, teardown_path),
      cmocka_unit_test_setup_teardown(test_migrate_v8_key_index, setup_path, teardown_path),
      cmocka_unit_test_setup_teardown(test_migrate_v6_pending, setup_path, teardown_path),
      cmocka_unit_test_setup_teardown(test_migrate_v2_events_to_blocks, setup_path,
                                      teardown_path),
      cmocka_unit_test_setup_teardown(test_migrate_v1_through_v2, setup_path, teardown_path),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
