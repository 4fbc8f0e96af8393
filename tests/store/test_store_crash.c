/* test_store_crash.c — durability under kill -9.
 *
 * The test re-executes itself as a child (`--child DB REPORT`) that writes numbered batches as
 * fast as it can; batch k is generated from seed k and carries ring_drops = 1, so meta's
 * ring_drops counts the committed batches. After each commit the child appends k to REPORT
 * (a plain write to the kernel, which survives SIGKILL). The parent kills the child with
 * wl_os_kill at a random moment, 20 times; each time the store must open with quick_check,
 * hold exactly batches 0..B-1 where B is what the child reported or one more (committed, not yet
 * reported: the batch in flight), and its flows, events and counters must match a brute-force
 * model of those batches. Then the next child continues from batch B.
 *
 * Issue 16: the child rolls its event blocks up every ROLLUP events (a few batches), so kills
 * land before, inside and after rollups; each time the store is first checked through a
 * read-only handle (which adds the blocks a killed writer left pending itself), then through a
 * writing one (which rolls them up at open).
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
#include "store/store.h"
#include "tests/support/test_store_gen.h"
#include "tests/support/test_files.h"

#define KILLS 20
#define MAX_BATCH 500
#define ROLLUP 700

static size_t batch_events(uint64_t k, wl_event *ev) {
  uint64_t rng = 0xc0ffee + k * 7919;
  size_t n = 1 + (size_t)(tsg_next(&rng) % MAX_BATCH);
  for (size_t i = 0; i < n; i++)
    tsg_random_event(200, 15, TSG_T0 + k * 600000000ull + i * 1000, &rng, &ev[i]);
  return n;
}

/* ---------------------------------------------------------------- the child */

static int child_main(const char *db, const char *report) {
  wl_store *s = NULL;
  wl_event *ev = malloc(MAX_BATCH * sizeof *ev);
  FILE *rep = fopen(report, "a");
  wl_store_opts o = {.rollup_events = ROLLUP};
  if (!ev || !rep || wl_store_open(db, &o, &s) != WL_OK) {
    fprintf(stderr, "child: %s\n", wl_errmsg());
    return 3;
  }
  int64_t k = 0;
  if (wl_store_counter_get(s, "ring_drops", &k) != WL_OK)
    return 3;
  for (;; k++) {
    size_t n = batch_events((uint64_t)k, ev);
    wl_batch_counters c = {.ring_drops = 1};
    if (wl_store_write(s, ev, n, &c) != WL_OK) {
      fprintf(stderr, "child: batch %lld: %s\n", (long long)k, wl_errmsg());
      return 4;
    }
    fprintf(rep, "%lld\n", (long long)k);
    fflush(rep);
  }
}

/* ---------------------------------------------------------------- the parent */

static char db_path[1024], report_path[1100], log_path[1100];

static void remove_all(void) {
  wl_test_remove_db(db_path);
  remove(report_path);
  remove(log_path);
}

/* Number of batches the child reported as committed (last line + 1). */
static int64_t reported(void) {
  FILE *f = fopen(report_path, "r");
  long long k, last = -1;
  if (!f)
    return 0;
  while (fscanf(f, "%lld", &k) == 1)
    last = k;
  fclose(f);
  return last + 1;
}

typedef struct verify {
  tsg_model m;
  int64_t batches;  /* batches in the model */
  uint64_t ts_sum;  /* sum of the stored events' ts */
  wl_event *ev;
} verify;

static void model_add_batch(verify *v) {
  size_t n = batch_events((uint64_t)v->batches++, v->ev);
  for (size_t i = 0; i < n; i++)
    if (tsg_model_add(&v->m, &v->ev[i]))
      v->ts_sum += v->ev[i].ts;
}

typedef struct sums {
  uint64_t n, ts_sum;
} sums;

static int sum_event(void *ctx, const wl_event *ev) {
  sums *x = ctx;
  x->n++;
  x->ts_sum += ev->ts;
  return 0;
}

typedef struct flow_sums {
  const tsg_model *m;
  uint64_t flows, count;
} flow_sums;

static int sum_flow(void *ctx, const wl_flow *f) {
  flow_sums *x = ctx;
  x->flows++;
  x->count += f->count;
  return 0;
}

/* Blocks the killed child left pending (not rolled up yet); -1 before the schema exists (a
 * child killed before its first commit). */
static int64_t pending_blocks(void) {
  sqlite3 *db = NULL;
  sqlite3_stmt *st = NULL;
  int64_t n = -1;
  if (sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK)
    n = sqlite3_prepare_v2(db, "SELECT count(*) FROM pending", -1, &st, NULL) == SQLITE_OK &&
                sqlite3_step(st) == SQLITE_ROW
            ? sqlite3_column_int64(st, 0)
            : -1;
  sqlite3_finalize(st);
  sqlite3_close(db);
  return n;
}

static int sum_app(void *ctx, const wl_app_summary *a) {
  *(uint64_t *)ctx += a->allowed + a->blocked;
  return 0;
}

static void check_store(verify *v, int64_t rep, int read_only) {
  wl_store_opts o = {.quick_check = 1, .read_only = read_only};
  wl_store *s = NULL;
  if (wl_store_open(db_path, &o, &s) != WL_OK)
    fail_msg("after kill: %s", wl_errmsg());
  int64_t b = 0;
  assert_int_equal(wl_store_counter_get(s, "ring_drops", &b), WL_OK);
  if (b != rep && b != rep + 1)
    fail_msg("store holds %lld batches, child reported %lld", (long long)b, (long long)rep);
  assert_true(b >= v->batches); /* nothing committed is ever lost */
  while (v->batches < b)
    model_add_batch(v);
  wl_store_stats st;
  assert_int_equal(wl_store_stats_get(s, &st), WL_OK);
  assert_int_equal(st.events, v->m.stored);
  assert_int_equal(st.events_kept, v->m.stored);
  assert_int_equal(st.flows, v->m.n);
  sums x = {0};
  assert_int_equal(wl_store_events(s, 0, 0, sum_event, &x), 0);
  assert_int_equal(x.n, v->m.stored);
  assert_int_equal(x.ts_sum, v->ts_sum);
  flow_sums fs = {.m = &v->m};
  assert_int_equal(wl_store_flows(s, -1, 0, sum_flow, &fs), 0);
  assert_int_equal(fs.flows, v->m.n);
  assert_int_equal(fs.count, v->m.stored);
  uint64_t app_events = 0;
  assert_int_equal(wl_store_apps(s, 0, sum_app, &app_events), 0);
  assert_int_equal(app_events, v->m.stored);
  wl_store_close(s);
}

static void test_kill9_loses_at_most_the_batch_in_flight(void **state) {
  (void)state;
  char exe[1024];
  assert_int_equal(wl_os_exe_path(exe, sizeof exe), WL_OK);
  verify v = {.ev = malloc(MAX_BATCH * sizeof(wl_event))};
  uint64_t rng = 424242;
  int with_pending = 0;
  for (int round = 0; round < KILLS; round++) {
    char *argv[] = {exe, "--child", db_path, report_path, NULL};
    uint32_t pid = 0;
    assert_int_equal(wl_os_spawn(argv, log_path, &pid), WL_OK);
    wl_sleep_ms(20 + (unsigned)(tsg_next(&rng) % 250));
    assert_int_equal(wl_os_pid_alive(pid), 1); /* still writing: it never stops by itself */
    assert_int_equal(wl_os_kill(pid), WL_OK);
    for (int i = 0; i < 30000 && wl_os_pid_alive(pid); i++) /* a kill waits out an fsync */
      wl_sleep_ms(1);
    assert_int_equal(wl_os_pid_alive(pid), 0);
    int64_t rep = reported(), pend = pending_blocks();
    with_pending += pend > 0;
    if (pend >= 0) /* a read-only open needs a store */
      check_store(&v, rep, 1);
    check_store(&v, rep, 0);
  }
  print_message("crash: %d kills (%d leaving blocks pending), %lld batches, %llu events, "
                "%zu flows\n", KILLS, with_pending, (long long)v.batches,
                (unsigned long long)v.m.stored, v.m.n);
  assert_true(with_pending > 0); /* the rebuild after a crash was exercised */
  assert_true(v.batches > KILLS); /* the children did make progress */
  tsg_model_free(&v.m);
  free(v.ev);
}

static int setup(void **state) {
  (void)state;
  snprintf(db_path, sizeof db_path, "%s/test_store_crash_%u.db", wl_test_dir(),
           (unsigned)wl_os_pid());
  snprintf(report_path, sizeof report_path, "%s.report", db_path);
  snprintf(log_path, sizeof log_path, "%s.log", db_path);
  remove_all();
  return 0;
}

static int teardown(void **state) {
  (void)state;
  remove_all();
  return 0;
}

int main(int argc, char **argv) {
  if (argc == 4 && strcmp(argv[1], "--child") == 0)
    return child_main(argv[2], argv[3]);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_kill9_loses_at_most_the_batch_in_flight, setup,
                                      teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
