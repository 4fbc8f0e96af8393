/* test_store_oom.c — the store under allocation failure (tests/support/fail_alloc.h): for
 * n = 1, 2, ... the nth allocation (the product's and SQLite's) fails, once or from then on,
 * while one whole path runs: create a store, write two batches inside wl_store_begin and roll
 * them back, write batches (plain and keyed, with duplicate keys), record a filter and a meta
 * value, add a rule in a transaction, read the stats and every review query, close, re-open
 * read-only with quick_check and read again. The loop ends at the first n the path survives
 * without a failure.
 *
 * For every n: each step returns WL_OK or a WL_E_* code with a message; a step that says WL_OK
 * gave a whole answer (the counts it reported match what the store holds); nothing leaks (the
 * ASan flavour runs with detect_leaks=1); and afterwards, with failures off, the store opens
 * with quick_check and holds exactly the batches that were reported written, each fully
 * (flows, per-app totals, drops, raw events, counters and first/last time against the
 * brute-force model), nothing of the rolled-back batches, and the rule only if its commit said
 * WL_OK.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/wl_err.h"
#include "common/wl_os.h"
#include "store/store.h"
#include "tests/support/fail_alloc.h"
#include "tests/support/test_store_gen.h"
#include "tests/support/test_store_util.h"

/* The stream and its batches: [start, start + len); the last one is written keyed. */
#define NEV    50
#define NBATCH 5
static const size_t batch_start[NBATCH] = {0, 1, 10, 30, 33};
static const size_t batch_len[NBATCH] = {1, 9, 20, 3, 17};
#define KEYED    (NBATCH - 1)
#define KEY_MOD  12 /* keys of the keyed batch repeat: 5 duplicates */
#define NPHANTOM 10 /* events of the discarded batch */
#define MAX_N    200000

/* What the armed run reported, checked against the store afterwards. */
typedef struct answers {
  int open_rc, batch_rc[NBATCH], rule_rc, stats_rc, apps_rc, flows_rc, drops_rc, events_rc;
  int ro_rc, ro_stats_rc;
  wl_store_stats stats, ro_stats;
  uint64_t apps, flows, drops, events, keyed_dups;
} answers;

typedef struct fixture {
  wl_store *s;        /* open while the path runs (teardown closes it) */
  wl_event *ev;       /* the stream */
  uint64_t keys[NEV]; /* record keys of the keyed batch */
  wl_event *kept;     /* the events the store should hold, for compare_events */
  wl_event *phantom;  /* a batch written inside a transaction that is rolled back */
  tsg_model model;
  answers a;
} fixture;

static int setup(void **state) {
  snprintf(db_path, sizeof db_path, "%s/test_store_oom_%u.db", wl_fail_alloc_dir(),
           (unsigned)wl_os_pid());
  remove_db(db_path);
  fixture *f = calloc(1, sizeof *f);
  assert_non_null(f);
  f->ev = make_stream(NEV, 30, 6, 0x5eed, 20000000ull);
  f->kept = malloc(NEV * sizeof *f->kept);
  assert_non_null(f->kept);
  for (size_t i = 0; i < NEV; i++)
    f->keys[i] = 1000 + i % KEY_MOD;
  f->phantom = malloc(NPHANTOM * sizeof *f->phantom);
  assert_non_null(f->phantom);
  for (size_t i = 0; i < NPHANTOM; i++) { /* a year later: it would move every time bound */
    f->phantom[i] = f->ev[i];
    f->phantom[i].ts += 365 * 86400 * 10000000ull;
  }
  *state = f;
  return 0;
}

static int teardown(void **state) {
  fixture *f = *state;
  wl_fail_alloc_disarm();
  wl_store_close(f->s);
  tsg_model_free(&f->model);
  free(f->ev);
  free(f->kept);
  free(f->phantom);
  free(f);
  remove_db(db_path);
  return 0;
}

/* ---------------------------------------------------------------- the path */

static int count_app(void *ctx, const wl_app_summary *a) {
  (void)a;
  ++*(uint64_t *)ctx;
  return 0;
}

static int count_flow(void *ctx, const wl_flow *fl) {
  (void)fl;
  ++*(uint64_t *)ctx;
  return 0;
}

static int sum_drops(void *ctx, const wl_drop_summary *d) {
  *(uint64_t *)ctx += d->count;
  return 0;
}

/* Each step's code is checked where it is returned (wl_fail_alloc_step). */
#define STEP(name, call) (rc = wl_fail_alloc_step(name, n, (call)))

static void write_all(fixture *f, size_t n) {
  int rc;
  for (int b = 0; b < NBATCH; b++) {
    const wl_event *ev = f->ev + batch_start[b];
    if (b == KEYED) {
      f->a.batch_rc[b] =
          STEP("write_keyed", wl_store_write_keyed(f->s, ev, f->keys + batch_start[b], batch_len[b],
                                                   &f->a.keyed_dups));
    } else {
      wl_batch_counters c = {.ring_drops = 1, .skipped = 2, .backfilled = (uint64_t)b};
      f->a.batch_rc[b] = STEP("write", wl_store_write(f->s, ev, batch_len[b], &c));
    }
  }
}

/* Two batches inside wl_store_begin, rolled back: none of them may stay, in the file or in
 * the writer's memory (sequence numbers, first/last time). */
static void discarded(fixture *f, size_t n) {
  int rc;
  if (STEP("begin (discarded)", wl_store_begin(f->s)) != WL_OK)
    return;
  STEP("write (discarded)", wl_store_write(f->s, f->phantom, NPHANTOM / 2, NULL));
  STEP("write (discarded)",
       wl_store_write(f->s, f->phantom + NPHANTOM / 2, NPHANTOM - NPHANTOM / 2, NULL));
  STEP("rollback", wl_store_rollback(f->s));
}

static void side_tables(fixture *f, size_t n) {
  int rc;
  wl_filter_info fi = {
      .filter_id = 70001, .name = "block it", .sublayer = "sub", .action = "block"};
  STEP("filter_info_put", wl_store_filter_info_put(f->s, &fi));
  STEP("meta_set", wl_store_meta_set(f->s, "mode", "learn"));
  wl_rule_row r = {.dir = WL_DIR_OUT, .proto = 6};
  snprintf(r.app, sizeof r.app, "C:\\apps\\app1\\bin1.exe");
  snprintf(r.scope, sizeof r.scope, "app");
  snprintf(r.origin, sizeof r.origin, "promote");
  f->a.rule_rc = STEP("begin", wl_store_begin(f->s));
  if (rc == WL_OK) {
    if (STEP("rule_add", wl_store_rule_add(f->s, &r)) == WL_OK) {
      f->a.rule_rc = STEP("commit", wl_store_commit(f->s));
    } else {
      STEP("rollback", wl_store_rollback(f->s));
      f->a.rule_rc = -1;
    }
  }
}

static void read_all(fixture *f, size_t n) {
  int rc;
  answers *a = &f->a;
  a->stats_rc = STEP("stats", wl_store_stats_get(f->s, &a->stats));
  a->apps_rc = STEP("apps", wl_store_apps(f->s, 0, count_app, &a->apps));
  a->flows_rc = STEP("flows", wl_store_flows(f->s, -1, 0, count_flow, &a->flows));
  a->drops_rc = STEP("drops", wl_store_drops_by_filter(f->s, 0, sum_drops, &a->drops));
  a->events_rc = STEP("events", wl_store_events(f->s, 0, 0, count_event, &a->events));
}

static void run_path(fixture *f, size_t n, enum wl_fail_mode mode) {
  int rc;
  memset(&f->a, 0, sizeof f->a);
  remove_db(db_path);
  wl_err_clear();
  wl_fail_alloc_arm(n, mode);
  f->a.open_rc = STEP("open", wl_store_open(db_path, NULL, &f->s));
  if (rc == WL_OK) {
    discarded(f, n);
    write_all(f, n);
    side_tables(f, n);
    read_all(f, n);
    wl_store_close(f->s);
    f->s = NULL;
  } else {
    assert_null(f->s);
    for (int b = 0; b < NBATCH; b++)
      f->a.batch_rc[b] = -1;
    f->a.rule_rc = -1;
  }
  wl_store_opts ro = {.read_only = 1, .quick_check = 1};
  f->a.ro_rc = STEP("open read-only", wl_store_open(db_path, &ro, &f->s));
  if (rc == WL_OK) {
    f->a.ro_stats_rc = STEP("stats read-only", wl_store_stats_get(f->s, &f->a.ro_stats));
    wl_store_close(f->s);
    f->s = NULL;
  }
  wl_fail_alloc_disarm();
}

/* ---------------------------------------------------------------- the checks */

/* The model of what was reported written; f->kept the events in stream order. */
static size_t model_of(fixture *f, uint64_t *stored, uint64_t *drops) {
  tsg_model_free(&f->model);
  memset(&f->model, 0, sizeof f->model);
  uint8_t seen[KEY_MOD] = {0};
  size_t k = 0;
  *stored = *drops = 0;
  for (int b = 0; b < NBATCH; b++) {
    if (f->a.batch_rc[b] != WL_OK)
      continue;
    for (size_t i = batch_start[b]; i < batch_start[b] + batch_len[b]; i++) {
      if (b == KEYED && seen[f->keys[i] % KEY_MOD]++)
        continue;
      const wl_event *e = &f->ev[i];
      if (tsg_model_add(&f->model, e)) {
        f->kept[k++] = *e;
        (*stored)++;
        *drops += e->type == WL_EVT_DROP || e->type == WL_EVT_CAP_DROP;
      }
    }
  }
  return k;
}

static void check_store(fixture *f, size_t n) {
  uint64_t stored, drops;
  size_t k = model_of(f, &stored, &drops);
  wl_store_opts o = {.quick_check = 1};
  if (wl_store_open(db_path, &o, &f->s) != WL_OK)
    fail_msg("n = %zu: the store does not open afterwards: %s", n, wl_errmsg());
  wl_store_stats st;
  assert_int_equal(wl_store_stats_get(f->s, &st), WL_OK);
  assert_int_equal(st.events, stored);
  assert_int_equal(st.events_kept, stored);
  assert_int_equal(st.flows, f->model.n);
  assert_int_equal(st.rules, f->a.rule_rc == WL_OK ? 1 : 0);
  uint64_t first = 0, last = 0;
  for (size_t i = 0; i < k; i++) {
    first = !first || f->kept[i].ts < first ? f->kept[i].ts : first;
    last = f->kept[i].ts > last ? f->kept[i].ts : last;
  }
  if (st.first_ts != first || st.last_ts != last)
    fail_msg("n = %zu: the store says events from %llu to %llu, it holds %llu to %llu", n,
             (unsigned long long)st.first_ts, (unsigned long long)st.last_ts,
             (unsigned long long)first, (unsigned long long)last);
  app_names *apps = calloc(1, sizeof *apps);
  assert_non_null(apps);
  assert_int_equal(wl_store_apps(f->s, 0, collect_app, apps), 0);
  compare_flows(f->s, &f->model, apps);
  compare_apps(&f->model, apps);
  compare_events(f->s, f->kept, k, 0, 0);
  uint64_t got_drops = 0;
  assert_int_equal(wl_store_drops_by_filter(f->s, 0, sum_drops, &got_drops), WL_OK);
  assert_int_equal(got_drops, drops);
  /* What the armed run called a success was whole. */
  const answers *a = &f->a;
  if (a->stats_rc == WL_OK) {
    assert_int_equal(a->stats.events, st.events);
    assert_int_equal(a->stats.flows, st.flows);
    assert_int_equal(a->stats.apps, st.apps);
  }
  if (a->ro_rc == WL_OK && a->ro_stats_rc == WL_OK)
    assert_int_equal(a->ro_stats.events, st.events);
  if (a->apps_rc == WL_OK)
    assert_int_equal(a->apps, (uint64_t)apps->n);
  if (a->flows_rc == WL_OK)
    assert_int_equal(a->flows, f->model.n);
  if (a->drops_rc == WL_OK)
    assert_int_equal(a->drops, drops);
  if (a->events_rc == WL_OK)
    assert_int_equal(a->events, stored);
  if (a->batch_rc[KEYED] == WL_OK)
    assert_int_equal(a->keyed_dups, batch_len[KEYED] - KEY_MOD);
  free(apps);
  wl_store_close(f->s);
  f->s = NULL;
}

static void store_path(void *ctx, size_t n, enum wl_fail_mode mode) {
  fixture *f = ctx;
  run_path(f, n, mode);
  check_store(f, n);
}

static void test_store_oom_once(void **state) {
  size_t k = wl_fail_alloc_loop("store", store_path, *state, WL_FAIL_ONCE, MAX_N);
  assert_true(k > 0);
}

static void test_store_oom_persistent(void **state) {
  size_t k = wl_fail_alloc_loop("store", store_path, *state, WL_FAIL_PERSIST, MAX_N);
  assert_true(k > 0);
}

int main(int argc, char **argv) {
  wl_fail_alloc_install();
  wl_fail_alloc_select(argc, argv);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_store_oom_once, setup, teardown),
      cmocka_unit_test_setup_teardown(test_store_oom_persistent, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
