/* test_store_app_hourly.c — events per (app, direction, hour) (issue 16; store/store_app_hourly.c,
 * what the page's timeline reads): against a brute-force count of the raw events, through a
 * writing handle (rolled up before it reads, rollups every few hundred events meanwhile) and a
 * read-only one while the writer still has blocks pending; the [since, until) bounds; a rollup
 * that fails rolls its counts back (and the flow ids it handed out are not misattributed); and the v7 -> v8 migration, which counts the blocks already rolled
 * up and leaves the pending ones to the rollup (neither lost nor counted twice).
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
#include "store/store.h"
#include "tests/support/test_store_util.h"

#define TH (3600ull * 10000000ull)
#define HOURS 64 /* the stream spans fewer */
#define N_EV 20000

typedef struct counts {
  uint64_t h0;
  uint64_t allowed[3][HOURS], blocked[3][HOURS]; /* [enum wl_dir][hour - h0] */
} counts;

typedef struct brute {
  const char *app;
  counts *c;
} brute;

static int brute_cb(void *ctx, const wl_event *ev) {
  brute *b = ctx;
  if (strcmp(ev->app, b->app) != 0)
    return 0;
  uint64_t h = ev->ts / TH - b->c->h0;
  assert_true(h < HOURS);
  assert_true(ev->dir <= WL_DIR_OUT);
  if (ev->type == WL_EVT_DROP || ev->type == WL_EVT_CAP_DROP)
    b->c->blocked[ev->dir][h]++;
  else
    b->c->allowed[ev->dir][h]++;
  return 0;
}

typedef struct got {
  counts *c;
  int dir;
} got;

static int hours_cb(void *ctx, const wl_app_hour *h) {
  got *g = ctx;
  assert_true(h->hour >= g->c->h0 && h->hour - g->c->h0 < HOURS);
  g->c->allowed[g->dir][h->hour - g->c->h0] += h->allowed;
  g->c->blocked[g->dir][h->hour - g->c->h0] += h->blocked;
  return 0;
}

/* Every app's hours through wl_store_app_hours equal the raw events' count; returns the events
 * seen (so a caller knows the store was not empty). */
static uint64_t check_all(wl_store *s, uint64_t h0) {
  static app_names apps;
  static counts want, have;
  uint64_t total = 0;
  memset(&apps, 0, sizeof apps);
  assert_int_equal(wl_store_apps(s, 0, collect_app, &apps), WL_OK);
  assert_true(apps.n > 1);
  for (int i = 0; i < apps.n; i++) {
    memset(&want, 0, sizeof want);
    memset(&have, 0, sizeof have);
    want.h0 = have.h0 = h0;
    brute b = {apps.path[i], &want};
    assert_int_equal(wl_store_events(s, 0, 0, brute_cb, &b), WL_OK);
    for (int d = WL_DIR_UNKNOWN; d <= WL_DIR_OUT; d++) {
      got g = {&have, d};
      assert_int_equal(wl_store_app_hours(s, apps.id[i], d, 0, 0, hours_cb, &g), WL_OK);
    }
    assert_memory_equal(&want, &have, sizeof want);
    for (int d = WL_DIR_UNKNOWN; d <= WL_DIR_OUT; d++)
      for (int h = 0; h < HOURS; h++)
        total += want.allowed[d][h] + want.blocked[d][h];
  }
  return total;
}

static uint64_t kept(wl_store *s) {
  wl_store_stats st;
  assert_int_equal(wl_store_stats_get(s, &st), WL_OK);
  assert_true(st.events_kept > 1000);
  return st.events_kept;
}

static wl_event *stream(void) {
  return make_stream(N_EV, 400, 9, 77, 20 * 10000000ull); /* 0..2 s apart: about 5.5 hours */
}

static void test_matches_raw_events(void **state) {
  (void)state;
  wl_store_opts o = {.rollup_events = 700};
  wl_event *ev = stream();
  wl_store *s = open_ok(&o);
  write_batches(s, ev, N_EV / 2, 5);
  /* a read-only handle, the writer's last blocks (maybe) pending */
  wl_store_opts ro = {.read_only = 1};
  wl_store *r = open_ok(&ro);
  uint64_t h0 = ev[0].ts / TH - 2;
  assert_int_equal(check_all(r, h0), kept(r));
  wl_store_close(r);
  write_batches(s, ev + N_EV / 2, N_EV - N_EV / 2, 6);
  assert_int_equal(check_all(s, h0), kept(s)); /* the writer rolls up before it reads */
  wl_store_close(s);
  s = open_ok(&ro);
  assert_int_equal(check_all(s, h0), kept(s));
  wl_store_close(s);
  free(ev);
}

/* Blocks pending for sure: a writer that never rolls up on its own (the rollup timer aside). */
static void test_read_only_adds_pending(void **state) {
  (void)state;
  wl_store_opts o = {.rollup_events = 1u << 30};
  wl_event *ev = stream();
  wl_store *s = open_ok(&o);
  assert_int_equal(wl_store_write(s, ev, 3000, NULL), WL_OK);
  wl_store_opts ro = {.read_only = 1};
  wl_store *r = open_ok(&ro);
  if (raw_int("SELECT count(*) FROM pending") == 0)
    print_message("note: the writer rolled up (its timer): nothing pending to add\n");
  assert_true(check_all(r, ev[0].ts / TH - 2) == kept(r));
  wl_store_close(r);
  wl_store_close(s);
  free(ev);
}

static int sum_cb(void *ctx, const wl_app_hour *h) {
  uint64_t *v = ctx;
  v[0] += h->allowed + h->blocked;
  v[1] = v[1] < h->hour ? h->hour : v[1];
  v[2] = v[2] > h->hour ? h->hour : v[2];
  return 0;
}

static void test_bounds(void **state) {
  (void)state;
  wl_event *ev = stream();
  wl_store *s = open_ok(NULL);
  write_batches(s, ev, N_EV, 7);
  static app_names apps;
  assert_int_equal(wl_store_apps(s, 0, collect_app, &apps), WL_OK);
  uint64_t h0 = ev[0].ts / TH;
  /* [h0 + 1 h + 1 tick, h0 + 3 h - 1 tick) overlaps hours h0+1 and h0+2 only */
  uint64_t v[3] = {0, 0, UINT64_MAX};
  for (int i = 0; i < apps.n; i++)
    for (int d = WL_DIR_UNKNOWN; d <= WL_DIR_OUT; d++)
      assert_int_equal(wl_store_app_hours(s, apps.id[i], d,
                                          (h0 + 1) * TH + 1, (h0 + 3) * TH - 1, sum_cb, v),
                       WL_OK);
  assert_true(v[0] > 0);
  assert_int_equal(v[2], h0 + 1);
  assert_int_equal(v[1], h0 + 2);
  /* no such app: nothing */
  memset(v, 0, sizeof v);
  assert_int_equal(wl_store_app_hours(s, 999999, WL_DIR_OUT, 0, 0, sum_cb, v), WL_OK);
  assert_int_equal(v[0], 0);
  assert_int_equal(wl_store_app_hours(NULL, 1, WL_DIR_OUT, 0, 0, sum_cb, v), WL_E_INVAL);
  wl_err_clear();
  wl_store_close(s);
  free(ev);
}

/* A version-7 store: the table dropped and the version set back, with some blocks pending (a
 * writer killed before its rollup): the migration counts the rolled-up blocks, the rollup at
 * open the pending ones. */
static void test_v7_migrates(void **state) {
  (void)state;
  wl_event *ev = stream();
  wl_store *s = open_ok(NULL);
  write_batches(s, ev, N_EV - 2500, 8);
  wl_store_close(s); /* all rolled up */
  wl_store_opts o = {.rollup_events = 1u << 30};
  s = open_ok(&o);
  assert_int_equal(wl_store_write(s, ev + N_EV - 2500, 2500, NULL), WL_OK);
  int64_t pending = raw_int("SELECT count(*) FROM pending");
  /* as version 7 wrote it, while the writer is still open (its close would roll up) */
  tsu_undo_v12();
  raw_exec(TSU_UNDO_V11 TSU_UNDO_V10 TSU_UNDO_V9
           "DROP TABLE app_hourly; UPDATE meta SET value=7 WHERE key='schema_version'");
  wl_store_opts ro = {.read_only = 1};
  wl_store *r = NULL;
  assert_int_equal(wl_store_open(db_path, &ro, &r), WL_E_READONLY); /* needs migrating */
  wl_err_clear();
  wl_store_opts q = {.quick_check = 1};
  r = open_ok(&q);
  assert_int_equal(wl_store_schema_version(r), WL_STORE_SCHEMA_VERSION);
  assert_int_equal(check_all(r, ev[0].ts / TH - 2), kept(r));
  wl_store_close(r);
  if (pending == 0)
    print_message("note: the writer rolled up (its timer): no pending blocks migrated\n");
  wl_store_close(s); /* its pending blocks were rolled up by the migrating open: nothing left */
  s = open_ok(&ro);
  assert_int_equal(check_all(s, ev[0].ts / TH - 2), kept(s));
  wl_store_close(s);
  free(ev);
}

/* A batch whose rollup fails after writing app_hourly (a trigger on drops_hourly, written after
 * it) rolls back with it; the flow ids it had handed out go to other flows in the next batches,
 * whose counts must not land on the flows of the rolled-back batch (the caches of flows). */
static void test_failed_rollup_rolls_back(void **state) {
  (void)state;
  wl_store_opts o = {.rollup_events = 700};
  wl_event *ev = stream();
  wl_event *other = make_stream(6000, 900, 9, 78, 20 * 10000000ull); /* other flows */
  wl_store *s = open_ok(&o);
  write_past_failed_rollup(s, ev, other);
  assert_int_equal(check_all(s, ev[0].ts / TH - 2), kept(s));
  wl_store_close(s);
  wl_store_opts ro = {.read_only = 1};
  s = open_ok(&ro);
  assert_int_equal(check_all(s, ev[0].ts / TH - 2), kept(s));
  wl_store_close(s);
  free(other);
  free(ev);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_matches_raw_events, setup_path, teardown_path),
      cmocka_unit_test_setup_teardown(test_read_only_adds_pending, setup_path, teardown_path),
      cmocka_unit_test_setup_teardown(test_bounds, setup_path, teardown_path),
      cmocka_unit_test_setup_teardown(test_v7_migrates, setup_path, teardown_path),
      cmocka_unit_test_setup_teardown(test_failed_rollup_rolls_back, setup_path, teardown_path),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
