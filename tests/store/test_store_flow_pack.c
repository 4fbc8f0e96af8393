/* test_store_flow_pack.c — the packed flows (issue 16; store/store_flow_pack.c, what review's
 * listing of every flow reads, since schema 12 the only copy of the totals and since schema 13
 * of the keys): the listing's keys against the flows read one by one by id
 * (wl_flow_pack_find), in id order, after rollups every few hundred events
 * and at close (the totals against a model of the events: compare_flows); the listing of every flow
 * (wl_store_flows(-1), from the pack) against the per-app listings for a
 * read-only handle while the writer still has blocks pending, with and without since; a rollup
 * that fails rolls the pack back with it; the v9 -> v10 migration, with blocks pending; and the
 * writer's map of every flow when a key's first hash is another's (test_map_first_hash_taken).
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
#include "common/wl_hash.h"
#include "store/flow_pack.h"
#include "store/store.h"
#include "store/store_int.h"
#include "tests/support/test_store_util.h"

#define N_EV 20000

typedef struct list {
  wl_pack_flow *v;
  size_t n, cap;
} list;

static void push(list *l, uint64_t id, const wl_flow *f) {
  if (l->n == l->cap) {
    l->cap = l->cap ? 2 * l->cap : 1024;
    l->v = realloc(l->v, l->cap * sizeof *l->v);
    assert_non_null(l->v);
  }
  memset(&l->v[l->n], 0, sizeof l->v[l->n]);
  l->v[l->n].id = id;
  l->v[l->n].f = *f;
  l->n++;
}

static int pack_cb(void *ctx, const wl_pack_flow *f) {
  push(ctx, f->id, &f->f);
  return 0;
}

static int flow_cb(void *ctx, const wl_flow *f) {
  push(ctx, 0, f);
  return 0;
}

/* The committed flows read one by one by id (wl_flow_pack_find, the readers by id: 1, 2, ...
 * until an id is not stored, which must be the last one + 1), keys only: the listing must give
 * the same. Since schema 13 flow_pack is the only copy of the keys. */
static void raw_flows(list *l) {
  sqlite3 *db = NULL;
  sqlite3_stmt *get = NULL;
  wl_pack_chunk *c = malloc(sizeof *c);
  assert_non_null(c);
  c->no = -1;
  assert_int_equal(sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
  const wl_pack_flow *p = NULL;
  assert_int_equal(wl_flow_pack_find(db, db_path, &get, c, 0, &p), WL_OK);
  assert_null(p);
  for (uint64_t id = 1;; id++) {
    assert_int_equal(wl_flow_pack_find(db, db_path, &get, c, id, &p), WL_OK);
    if (!p)
      break;
    assert_int_equal(p->id, id);
    wl_flow f = p->f;
    f.count = f.first_seen = f.last_seen = f.last_filter_id = 0;
    push(l, id, &f);
  }
  sqlite3_stmt *st = NULL;
  assert_int_equal(sqlite3_prepare_v2(db, "SELECT max(last_id) FROM flow_pack", -1, &st, NULL),
                   SQLITE_OK);
  assert_int_equal(sqlite3_step(st), SQLITE_ROW);
  assert_int_equal(sqlite3_column_int64(st, 0), l->n);
  sqlite3_finalize(st);
  sqlite3_finalize(get);
  sqlite3_close(db);
  free(c);
}

static void assert_same(const list *a, const list *b) {
  assert_int_equal(a->n, b->n);
  for (size_t i = 0; i < a->n; i++) {
    assert_int_equal(a->v[i].id, b->v[i].id);
    assert_memory_equal(&a->v[i].f, &b->v[i].f, sizeof a->v[i].f);
  }
}

/* The keys of a (its totals zeroed), as raw_flows reads them. */
static list keys_of(const list *a) {
  list k = {0};
  for (size_t i = 0; i < a->n; i++) {
    wl_flow f = a->v[i].f;
    f.count = f.first_seen = f.last_seen = f.last_filter_id = 0;
    push(&k, a->v[i].id, &f);
  }
  return k;
}

/* s (a writer with nothing pending, or any handle): its pack read through wl_flow_pack_each
 * has the keys the committed flows have read by id, and every flow counted; wl_store_flows(-1) gives the
 * pack's flows, totals included. */
static void check_pack(wl_store *s) {
  list want = {0}, have = {0}, all = {0};
  raw_flows(&want);
  assert_true(want.n > 100);
  assert_int_equal(wl_flow_pack_each(s, -1, pack_cb, &have), WL_OK);
  list keys = keys_of(&have);
  assert_same(&want, &keys);
  free(keys.v);
  for (size_t i = 0; i < have.n; i++)
    assert_true(have.v[i].f.count > 0 && have.v[i].f.first_seen <= have.v[i].f.last_seen);
  free(want.v);
  want = have; /* the listings below: the pack's flows, totals included */
  have = (list){0};
  assert_int_equal(wl_store_flows(s, -1, 0, flow_cb, &all), WL_OK);
  for (size_t i = 0; i < want.n; i++)
    all.v[i].id = want.v[i].id;
  assert_same(&want, &all);
  for (size_t i = 0; i < want.n; i++) /* per app (flows_app gone, schema 11): its rows of flows */
    if (i == 0 || want.v[i].f.app_id != want.v[i - 1].f.app_id) {
      int64_t app = want.v[i].f.app_id;
      list one = {0}, got = {0};
      for (size_t j = 0; j < want.n; j++)
        if (want.v[j].f.app_id == app)
          push(&one, 0, &want.v[j].f);
      assert_int_equal(wl_store_flows(s, app, 0, flow_cb, &got), WL_OK);
      assert_same(&one, &got);
      free(one.v);
      free(got.v);
    }
  free(want.v);
  free(have.v);
  free(all.v);
}

static int by_flow(const void *a, const void *b) {
  return memcmp(&((const wl_pack_flow *)a)->f, &((const wl_pack_flow *)b)->f, sizeof(wl_flow));
}

/* Every flow at or after since (pending blocks added): the listing of every app has the flows
 * the per-app listings have, each app's in the same order (both read the pack since schema 11;
 * check_pack and test_read_only_adds_pending hold them to the flows table and to a model). */
static void check_listing(wl_store *s, uint64_t since) {
  static app_names apps;
  list all = {0}, per = {0};
  memset(&apps, 0, sizeof apps);
  assert_int_equal(wl_store_apps(s, 0, collect_app, &apps), WL_OK);
  assert_int_equal(wl_store_flows(s, -1, since, flow_cb, &all), WL_OK);
  for (int i = 0; i < apps.n; i++) {
    list one = {0}, sub = {0}; /* in id order: the app's rows of the listing of every flow */
    assert_int_equal(wl_store_flows(s, apps.id[i], since, flow_cb, &one), WL_OK);
    for (size_t j = 0; j < all.n; j++)
      if (all.v[j].f.app_id == apps.id[i])
        push(&sub, 0, &all.v[j].f);
    assert_same(&sub, &one);
    for (size_t j = 0; j < one.n; j++)
      push(&per, 0, &one.v[j].f);
    free(one.v);
    free(sub.v);
  }
  assert_true(all.n > 10);
  qsort(all.v, all.n, sizeof *all.v, by_flow);
  qsort(per.v, per.n, sizeof *per.v, by_flow);
  assert_same(&all, &per);
  free(all.v);
  free(per.v);
}

static wl_event *stream(void) {
  return make_stream(N_EV, 3000, 9, 77, 20 * 10000000ull);
}

static void test_matches_flows(void **state) {
  (void)state;
  wl_store_opts o = {.rollup_events = 700};
  wl_event *ev = stream();
  wl_store *s = open_ok(&o);
  write_batches(s, ev, N_EV / 2, 5);
  wl_store_opts ro = {.read_only = 1};
  wl_store *r = open_ok(&ro);
  check_listing(r, 0); /* the writer's last blocks (maybe) pending */
  check_listing(r, ev[N_EV / 4].ts);
  wl_store_close(r);
  write_batches(s, ev + N_EV / 2, N_EV - N_EV / 2, 6);
  check_listing(s, ev[N_EV / 3].ts); /* the writer rolls up before it reads */
  check_pack(s);
  wl_store_close(s);
  s = open_ok(&ro);
  check_pack(s);
  check_listing(s, 0);
  wl_store_close(s);
  free(ev);
}

/* Blocks pending for sure: a writer that never rolls up on its own (the rollup timer aside). */
static void test_read_only_adds_pending(void **state) {
  (void)state;
  wl_event *ev = stream();
  wl_store *s = open_ok(NULL);
  write_batches(s, ev, 8000, 7);
  wl_store_close(s);
  wl_store_opts o = {.rollup_events = 1u << 30};
  s = open_ok(&o);
  assert_int_equal(wl_store_write(s, ev + 8000, 4000, NULL), WL_OK);
  wl_store_opts ro = {.read_only = 1};
  wl_store *r = open_ok(&ro);
  if (raw_int("SELECT count(*) FROM pending") == 0)
    print_message("note: the writer rolled up (its timer): nothing pending to add\n");
  check_listing(r, 0);
  check_listing(r, ev[9000].ts);
  tsg_model m = {0}; /* the flows table and the pending blocks, all apps and app by app */
  for (size_t i = 0; i < 12000; i++)
    tsg_model_add(&m, &ev[i]);
  app_names apps = {0};
  assert_int_equal(wl_store_apps(r, 0, collect_app, &apps), WL_OK);
  compare_flows(r, &m, &apps);
  tsg_model_free(&m);
  wl_store_close(r);
  wl_store_close(s);
  s = open_ok(&ro);
  check_pack(s);
  wl_store_close(s);
  free(ev);
}

/* A version-9 store with blocks pending: the migration packs what flows has; the rollup at that
 * open adds the pending blocks to it. */
static void test_v9_migrates(void **state) {
  (void)state;
  wl_event *ev = stream();
  wl_store *s = open_ok(NULL);
  write_batches(s, ev, N_EV - 2500, 8);
  wl_store_close(s);
  wl_store_opts o = {.rollup_events = 1u << 30};
  s = open_ok(&o);
  assert_int_equal(wl_store_write(s, ev + N_EV - 2500, 2500, NULL), WL_OK);
  tsu_undo_v12();
  raw_exec(TSU_UNDO_V11 TSU_UNDO_V10
           "UPDATE meta SET value=9 WHERE key='schema_version'");
  wl_store_opts ro = {.read_only = 1};
  wl_store *r = NULL;
  assert_int_equal(wl_store_open(db_path, &ro, &r), WL_E_READONLY); /* needs migrating */
  wl_err_clear();
  wl_store_opts q = {.quick_check = 1};
  r = open_ok(&q);
  assert_int_equal(wl_store_schema_version(r), WL_STORE_SCHEMA_VERSION);
  check_listing(r, 0);
  check_pack(r);
  wl_store_close(r);
  wl_store_close(s);
  s = open_ok(&ro);
  check_pack(s);
  wl_store_close(s);
  free(ev);
}

/* A rollup that fails after the flows and the pack were written (a trigger on drops_hourly,
 * written after them) rolls both back. */
static void test_failed_rollup_rolls_back(void **state) {
  (void)state;
  wl_store_opts o = {.rollup_events = 700};
  wl_event *ev = stream();
  wl_event *other = make_stream(6000, 900, 9, 78, 20 * 10000000ull); /* other flows */
  wl_store *s = open_ok(&o);
  write_past_failed_rollup(s, ev, other);
  check_listing(s, 0);
  check_pack(s);
  wl_store_close(s);
  wl_store_opts ro = {.read_only = 1};
  s = open_ok(&ro);
  check_pack(s);
  wl_store_close(s);
  free(other);
  free(ev);
}

/* A rollup's event at the same time as the flow's last one takes its filter (what schema 11's
 * upsert did, `excluded.last_seen >= last_seen`): the pack must do the same. */
static void test_same_time_takes_filter(void **state) {
  (void)state;
  wl_event *ev = stream();
  size_t d = 0;
  while (ev[d].type != WL_EVT_DROP && ev[d].type != WL_EVT_CAP_DROP)
    d++;
  wl_event *two = calloc(2, sizeof *two);
  assert_non_null(two);
  two[0] = two[1] = ev[d]; /* one flow, one time, two filters */
  two[0].filter_id = 1001;
  two[1].filter_id = 1002;
  two[0].has |= WL_HAS_FILTER;
  two[1].has |= WL_HAS_FILTER;
  wl_store *s = open_ok(NULL);
  write_batches(s, ev, 2000, 13);
  assert_int_equal(wl_store_write(s, &two[0], 1, NULL), WL_OK);
  wl_store_close(s); /* rolled up: the second rollup adds a same-time event */
  s = open_ok(NULL);
  assert_int_equal(wl_store_write(s, &two[1], 1, NULL), WL_OK);
  wl_store_close(s);
  wl_store_opts ro = {.read_only = 1};
  s = open_ok(&ro);
  list all = {0};
  assert_int_equal(wl_store_flows(s, -1, 0, flow_cb, &all), WL_OK);
  size_t took = 0;
  for (size_t i = 0; i < all.n; i++)
    took += all.v[i].f.last_filter_id == 1002;
  assert_int_equal(took, 1);
  free(all.v);
  check_pack(s);
  wl_store_close(s);
  free(two);
  free(ev);
}

/* A damaged chunk is reported (WL_E_CORRUPT, naming it), never read past or taken as flows; a
 * rollup that would add to a flow missing from the pack rolls back the same way. */
static void test_damaged_chunk(void **state) {
  (void)state;
  wl_event *ev = stream();
  wl_store *s = open_ok(NULL);
  write_batches(s, ev, 3000, 12);
  wl_store_close(s);
  list l = {0};
  raw_exec("UPDATE flow_pack SET data=substr(data, 1, length(data) - 1) WHERE chunk=0");
  wl_store_opts ro = {.read_only = 1};
  s = open_ok(&ro);
  assert_int_equal(wl_store_flows(s, -1, 0, flow_cb, &l), WL_E_CORRUPT);
  assert_non_null(strstr(wl_errmsg(), "flow_pack chunk 0"));
  wl_err_clear();
  wl_store_close(s);
  raw_exec("UPDATE flow_pack SET data=x'ffffffffffffffffffffff' WHERE chunk=0");
  s = open_ok(&ro);
  assert_int_equal(wl_store_flows(s, -1, 0, flow_cb, &l), WL_E_CORRUPT);
  wl_err_clear();
  wl_store_close(s);
  remove_db(db_path);
  wl_store_opts o = {.rollup_events = 700};
  s = open_ok(&o);
  assert_int_equal(wl_store_write(s, ev, 300, NULL), WL_OK); /* born, packed, pending */
  raw_exec("DELETE FROM flow_pack"); /* behind the writer's back */
  /* the same flows again: the rollup a batch triggers finds them unpacked */
  assert_int_equal(wl_store_write(s, ev, 3000, NULL), WL_E_CORRUPT);
  assert_non_null(strstr(wl_errmsg(), "not in flow_pack"));
  wl_err_clear();
  wl_store_close(s);
  free(l.v);
  free(ev);
}

/* ---- the flow map's two hashes (store_flowmap.c): a key whose first hash another key holds */

/* A map entry as store_flowmap.c lays it out (fm_ent): wl_htab's tag, the second hash, the id. */
typedef struct map_ent {
  uint64_t tag, check;
  int64_t id;
} map_ent;

typedef struct key_find {
  uint16_t port;
  wl_flow_key k;
  int64_t id;
} key_find;

/* The key of the packed flow with that remote port, as store_flowmap.c's key_of builds it. */
static int key_cb(void *ctx, const wl_pack_flow *p) {
  key_find *x = ctx;
  if (p->f.remote_port != x->port)
    return 0;
  memset(&x->k, 0, sizeof x->k);
  x->k.app = p->f.app_id;
  x->k.dir = p->f.dir;
  x->k.proto = p->f.proto;
  x->k.ip_version = p->f.ip_version;
  x->k.alen = p->alen;
  memcpy(x->k.remote_addr, p->f.remote_addr, p->alen);
  x->k.remote_port = p->f.remote_port;
  x->k.local_port = p->f.local_port;
  x->k.action = p->f.action;
  x->id = (int64_t)p->id;
  return 1;
}

/* Flows A, B (ports 1001, 1002) stored; then, in a handle whose cache has never seen them, B's
 * map entry is taken over as if another key with B's first hash held it (A's id, a second hash
 * of nobody's), and so is the slot of a new flow C (port 1003). B's events must still go to B
 * (found by the pass over its app's flows) and C must become a flow of its own: neither merged
 * into A, which a map trusting its first hash would do. */
static void test_map_first_hash_taken(void **state) {
  (void)state;
  wl_event *ev = stream();
  size_t a = 0;
  while (ev[a].type != WL_EVT_ALLOW || ev[a].ip_version != 4)
    a++;
  wl_event e[4];
  for (int i = 0; i < 4; i++) {
    e[i] = ev[a];
    e[i].remote_port = (uint16_t)(1001 + i); /* A, B, C, D */
  }
  wl_store *s = open_ok(NULL);
  assert_int_equal(wl_store_write(s, e, 2, NULL), WL_OK); /* A, B */
  wl_store_close(s);
  s = open_ok(NULL);
  assert_int_equal(wl_store_write(s, &e[3], 1, NULL), WL_OK); /* D: the map loads A and B */
  key_find kb = {.port = 1002}, ka = {.port = 1001};
  assert_int_equal(wl_flow_pack_each(s, -1, key_cb, &kb), 1);
  assert_int_equal(wl_flow_pack_each(s, -1, key_cb, &ka), 1);
  assert_int_equal(s->fmap.esize, sizeof(map_ent));
  wl_flow_key kc = kb.k;
  kc.remote_port = 1003;
  const wl_flow_key *keys[2] = {&kb.k, &kc};
  for (int i = 0; i < 2; i++) {
    uint64_t tag = wl_hash_bytes(keys[i], sizeof *keys[i]);
    uint32_t slot;
    assert_true(wl_htab_add(&s->fmap, tag, NULL, NULL, &slot) == i); /* B's there, C's not */
    map_ent *m = wl_htab_entry(&s->fmap, slot);
    m->check = 12345; /* nobody's */
    m->id = ka.id;
  }
  wl_event again[3] = {e[1], e[2], e[1]}; /* B, C, B */
  assert_int_equal(wl_store_write(s, again, 3, NULL), WL_OK);
  wl_store_close(s);
  wl_store_opts ro = {.read_only = 1};
  s = open_ok(&ro);
  list all = {0};
  assert_int_equal(wl_store_flows(s, -1, 0, flow_cb, &all), WL_OK);
  assert_int_equal(all.n, 4);
  for (size_t i = 0; i < all.n; i++) {
    uint16_t port = all.v[i].f.remote_port;
    assert_true(port >= 1001 && port <= 1004);
    assert_int_equal(all.v[i].f.count, port == 1002 ? 3 : 1);
  }
  free(all.v);
  wl_store_close(s);
  free(ev);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_matches_flows, setup_path, teardown_path),
      cmocka_unit_test_setup_teardown(test_read_only_adds_pending, setup_path, teardown_path),
      cmocka_unit_test_setup_teardown(test_v9_migrates, setup_path, teardown_path),
      cmocka_unit_test_setup_teardown(test_failed_rollup_rolls_back, setup_path, teardown_path),
      cmocka_unit_test_setup_teardown(test_same_time_takes_filter, setup_path, teardown_path),
      cmocka_unit_test_setup_teardown(test_damaged_chunk, setup_path, teardown_path),
      cmocka_unit_test_setup_teardown(test_map_first_hash_taken, setup_path, teardown_path),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
