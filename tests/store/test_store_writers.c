/* test_store_writers.c — issue 18: two writers on one store and timestamps from the future.
 *
 * Two handles on one file stand for two processes (SQLite locks per connection): batches
 * written through each in turn must all be kept, with distinct flow and event ids (the ids were
 * read once at open, so the second writer reused the first one's flow ids: "UNIQUE constraint
 * failed: flows.id"). The capture lock (wl_store_capture_lock) admits one capture per store and
 * names its holder. A record dated far in the future is not stored and does not become the
 * retention anchor; a store whose last_ts already says 9999 does not prune by it.
 * The same with real processes: tests/capture/test_learn_procs.c.
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
#include "common/wl_text.h"
#include "store/store.h"
#include "store/store_int.h"
#include "tests/support/test_store_util.h"

static wl_store *open_second(void) {
  wl_store *s = NULL;
  if (wl_store_open(db_path, NULL, &s) != WL_OK)
    fail_msg("second open of %s: %s", db_path, wl_errmsg());
  return s;
}

/* The flows of a rolled-back transaction are not in flows: the writer's map of every flow
 * (store_flowmap.c) must not keep them, nor keep their ids, which the next batch gives again
 * (to other flows, here). Then the same flows come again and are added once. */
static void test_rolled_back_flows_come_again(void **state) {
  (void)state;
  wl_event *ev = make_stream(900, 300, 7, 12, 10000000);
  wl_store *s = open_ok(NULL);
  assert_int_equal(wl_store_write(s, ev, 100, NULL), WL_OK);
  assert_int_equal(wl_store_begin(s), WL_OK);
  assert_int_equal(wl_store_write(s, ev + 100, 300, NULL), WL_OK);
  assert_int_equal(wl_store_rollback(s), WL_OK);
  assert_int_equal(wl_store_write(s, ev + 400, 250, NULL), WL_OK); /* the ids given again */
  assert_int_equal(wl_store_write(s, ev + 100, 300, NULL), WL_OK);
  assert_int_equal(wl_store_write(s, ev + 650, 250, NULL), WL_OK);
  wl_store_close(s);
  tsg_model m = {0};
  for (int i = 0; i < 900; i++)
    tsg_model_add(&m, &ev[i]);
  uint64_t flows, distinct;
  tsu_flow_keys(&flows, &distinct);
  assert_int_equal(flows, m.n);
  assert_int_equal(distinct, m.n);
  assert_int_equal(tsu_flow_events(), m.stored);
  tsg_model_free(&m);
  free(ev);
}

/* Batches through two handles in turn, each with flows the other has not seen. */
static void test_two_writers_interleave(void **state) {
  (void)state;
  wl_event *ev = make_stream(600, 200, 7, 11, 10000000);
  wl_store *a = open_ok(NULL), *b = open_second();
  for (int i = 0; i < 6; i++) {
    wl_store *w = i % 2 ? b : a;
    if (wl_store_write(w, ev + i * 100, 100, NULL) != WL_OK)
      fail_msg("batch %d through handle %c: %s", i, i % 2 ? 'b' : 'a', wl_errmsg());
  }
  uint64_t dups = 0, keys[10];
  for (int i = 0; i < 10; i++)
    keys[i] = 1000 + (uint64_t)i;
  assert_int_equal(wl_store_write_keyed(b, ev, keys, 10, &dups), WL_OK); /* an import */
  assert_int_equal(wl_store_write(a, ev + 10, 10, NULL), WL_OK);
  wl_store_close(a);
  wl_store_close(b);
  tsg_model m = {0};
  for (int i = 0; i < 600; i++)
    tsg_model_add(&m, &ev[i]);
  for (int i = 0; i < 20; i++)
    tsg_model_add(&m, &ev[i]);
  uint64_t flows, distinct;
  tsu_flow_keys(&flows, &distinct);
  assert_int_equal(flows, m.n);
  assert_int_equal(distinct, m.n);
  assert_int_equal(raw_int("SELECT sum(n) FROM blocks"), m.stored);
  assert_int_equal(tsu_flow_events(), m.stored);
  assert_int_equal(raw_int("SELECT value FROM meta WHERE key='events'"), m.stored);
  assert_int_equal(raw_int("SELECT value FROM meta WHERE key='flows'"), m.n);
  assert_int_equal(raw_int("SELECT count(*) FROM pending"), 0); /* rolled up by close */
  tsg_model_free(&m);
  free(ev);
}

/* A batch inside wl_store_begin on one handle after the other wrote. */
static void test_writer_inside_transaction_after_other(void **state) {
  (void)state;
  wl_event *ev = make_stream(200, 100, 5, 12, 10000000);
  wl_store *a = open_ok(NULL), *b = open_second();
  assert_int_equal(wl_store_write(a, ev, 100, NULL), WL_OK);
  assert_int_equal(wl_store_begin(b), WL_OK);
  assert_int_equal(wl_store_write(b, ev + 100, 50, NULL), WL_OK);
  assert_int_equal(wl_store_write(b, ev + 150, 50, NULL), WL_OK);
  assert_int_equal(wl_store_commit(b), WL_OK);
  assert_int_equal(wl_store_write(a, ev, 10, NULL), WL_OK);
  wl_store_close(a);
  wl_store_close(b);
  tsg_model m = {0};
  for (int i = 0; i < 210; i++)
    tsg_model_add(&m, &ev[i % 200]);
  assert_int_equal(raw_int("SELECT sum(n) FROM blocks"), m.stored);
  assert_int_equal(tsu_flow_events(), m.stored);
  uint64_t flows, distinct;
  tsu_flow_keys(&flows, &distinct);
  assert_int_equal(flows, m.n);
  assert_int_equal(distinct, m.n);
  tsg_model_free(&m);
  free(ev);
}

/* ---------------------------------------------------------------- rollups added up as written */

static int no_flow(void *ctx, const wl_flow *f) {
  (void)ctx;
  (void)f;
  return 0;
}

static void write_ok(wl_store *s, const wl_event *ev, size_t n) {
  if (wl_store_write(s, ev, n, NULL) != WL_OK)
    fail_msg("writing %zu events: %s", n, wl_errmsg());
}

/* A writer adds its blocks up as it lists them (store_rollup.c, wl_rollup_add_block) and its
 * rollup uses those sums only when pending lists exactly its blocks: every way out of that must
 * give the totals of a rollup that reads the blocks back. Here: another writer's block pending,
 * a block of its list rolled up by the other writer, more blocks than its list holds, and a
 * transaction rolled back; then flows, apps, drops and the hourly totals against the model. */
static void test_rollup_as_written(void **state) {
  (void)state;
  const size_t n = 5000;
  wl_event *ev = make_stream(n, 300, 9, 21, 10000000);
  wl_store_opts o = {.rollup_events = 1u << 30}; /* rollups only when asked for, and at close */
  wl_store *a = open_ok(&o), *b = NULL;
  assert_int_equal(wl_store_open(db_path, &o, &b), WL_OK);
  write_ok(a, ev, 500); /* a's blocks added up as they are listed, and rolled up from that */
  assert_true(a->roll.live && a->roll.nseq >= 1);
  assert_int_equal(wl_store_flows(a, 0, 0, no_flow, NULL), WL_OK);
  assert_true(a->roll.live && a->roll.nseq == 0);
  assert_int_equal(raw_int("SELECT count(*) FROM pending"), 0);
  write_ok(a, ev + 500, 300);
  write_ok(b, ev + 800, 300); /* b's block pending too: a reads them all back */
  uint32_t b_blocks = b->roll.nseq;
  assert_true(b->roll.live && b_blocks >= 1);
  assert_int_equal(wl_store_flows(a, 0, 0, no_flow, NULL), WL_OK);
  assert_int_equal(raw_int("SELECT count(*) FROM pending"), 0);
  write_ok(b, ev + 1100, 300); /* b's list still names the block a rolled up */
  assert_true(b->roll.live && b->roll.nseq > b_blocks);
  assert_int_equal(wl_store_flows(b, 0, 0, no_flow, NULL), WL_OK); /* must not count it again */
  for (size_t i = 1400; i < 1400 + WL_ROLLUP_LIVE_BLOCKS + 100; i++)
    write_ok(a, ev + i, 1); /* a block each (some events are not stored): more than the list */
  assert_false(a->roll.live);
  assert_int_equal(wl_store_flows(a, 0, 0, no_flow, NULL), WL_OK);
  assert_true(a->roll.live);
  size_t at = 1400 + WL_ROLLUP_LIVE_BLOCKS + 100;
  assert_int_equal(wl_store_begin(a), WL_OK);
  write_ok(a, ev + at, 200);
  assert_true(a->roll.live && a->roll.nseq >= 1);
  assert_int_equal(wl_store_rollback(a), WL_OK); /* its sums are not the file's */
  assert_false(a->roll.live);
  write_ok(a, ev + at, n - at);
  write_ok(b, ev, 100); /* left pending for close */
  wl_store_close(a);
  wl_store_close(b);
  tsg_model m = {0};
  for (size_t i = 0; i < n; i++)
    tsg_model_add(&m, &ev[i]);
  for (size_t i = 0; i < 100; i++)
    tsg_model_add(&m, &ev[i]);
  wl_event *all = malloc((n + 100) * sizeof *all);
  assert_non_null(all);
  memcpy(all, ev, n * sizeof *ev);
  memcpy(all + n, ev, 100 * sizeof *ev);
  wl_store_opts ro = {.read_only = 1};
  wl_store *r = open_ok(&ro);
  app_names apps = {0};
  assert_int_equal(wl_store_apps(r, 0, collect_app, &apps), 0);
  compare_flows(r, &m, &apps);
  compare_apps(&m, &apps);
  compare_drops(r, all, n + 100, 0, NULL);
  wl_store_close(r);
  uint64_t drops = 0;
  for (size_t i = 0; i < m.n; i++)
    drops += m.flows[i].f.action == WL_EVT_DROP ? m.flows[i].f.count : 0;
  assert_int_equal(raw_int("SELECT sum(allowed) + sum(blocked) FROM app_hourly"), m.stored);
  assert_int_equal(raw_int("SELECT sum(blocked) FROM app_hourly"), drops);
  tsg_model_free(&m);
  free(all);
  free(ev);
}

/* ---------------------------------------------------------------- the capture lock */

static void test_capture_lock_names_holder(void **state) {
  (void)state;
  wl_store *a = open_ok(NULL), *b = open_second();
  wl_store_lock *la = NULL, *lb = NULL;
  char who[256];
  assert_int_equal(wl_store_capture_holder(a, who, sizeof who), 0); /* nobody */
  assert_int_equal(wl_store_capture_lock(a, &la), WL_OK);
  assert_int_equal(wl_store_capture_lock(b, &lb), WL_E_CONFLICT);
  assert_null(lb);
  char pid[32];
  snprintf(pid, sizeof pid, "pid %u", (unsigned)wl_os_pid());
  if (!strstr(wl_errmsg(), "already") || !strstr(wl_errmsg(), pid))
    fail_msg("the refusal does not name the holder: %s", wl_errmsg());
  assert_int_equal(wl_store_capture_holder(b, who, sizeof who), 1);
  assert_non_null(strstr(who, pid));
  assert_non_null(strstr(who, "started"));
  assert_non_null(strstr(who, "on "));
  wl_store_capture_unlock(la);
  wl_store_capture_unlock(NULL);
  assert_int_equal(wl_store_capture_holder(b, NULL, 0), 0);
  assert_int_equal(wl_store_capture_lock(b, &lb), WL_OK);
  wl_store_capture_unlock(lb);
  wl_store_close(a);
  wl_store_close(b);
}

/* ---------------------------------------------------------------- the future */

static wl_event ev_at(uint64_t ts, uint32_t flow) {
  wl_event e;
  uint64_t rng = flow + 1;
  tsg_flow_event(flow, 3, ts, &rng, &e);
  return e;
}

/* One record dated 9999-12-31 among today's: not stored, and today's are kept. */
static void test_far_future_record_is_not_the_anchor(void **state) {
  (void)state;
  uint64_t now = wl_time_now();
  wl_event ev[4] = {ev_at(now - 3 * DAY, 1), ev_at(now - 2 * DAY, 2),
                    ev_at(2650467743999999999ull, 3), ev_at(now - DAY, 4)};
  wl_store *s = open_ok(NULL);
  assert_int_equal(wl_store_write(s, ev, 3, NULL), WL_OK);
  assert_int_equal(wl_store_write(s, ev + 3, 1, NULL), WL_OK);
  wl_store_stats st;
  assert_int_equal(wl_store_stats_get(s, &st), WL_OK);
  assert_int_equal(st.events_kept, 3);
  if (st.last_ts > now + DAY)
    fail_msg("last_ts moved to the future record: %llu", (unsigned long long)st.last_ts);
  wl_store_close(s);
  assert_int_equal(raw_int("SELECT sum(n) FROM blocks"), 3);
  assert_int_equal(raw_int("SELECT value FROM meta WHERE key='future'"), 1);
}

/* A store that already holds last_ts = 9999 (written before this fix) does not prune today's
 * events by it. */
static void test_stored_future_anchor_is_clamped(void **state) {
  (void)state;
  uint64_t now = wl_time_now();
  wl_event ev[2] = {ev_at(now - 2 * DAY, 1), ev_at(now - DAY, 2)};
  wl_store *s = open_ok(NULL);
  assert_int_equal(wl_store_write(s, ev, 1, NULL), WL_OK);
  wl_store_close(s);
  raw_exec("UPDATE meta SET value=2650467743999999999 WHERE key='last_ts'");
  s = open_ok(NULL);
  assert_int_equal(wl_store_write(s, ev + 1, 1, NULL), WL_OK);
  wl_store_close(s);
  assert_int_equal(raw_int("SELECT sum(n) FROM blocks"), 2);
  /* and meta no longer says 9999 (status shows it) */
  assert_int_equal(raw_int("SELECT value FROM meta WHERE key='last_ts'"), (int64_t)ev[1].ts);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_two_writers_interleave, setup_path, teardown_path),
      cmocka_unit_test_setup_teardown(test_rollup_as_written, setup_path, teardown_path),
      cmocka_unit_test_setup_teardown(test_rolled_back_flows_come_again, setup_path,
                                      teardown_path),
      cmocka_unit_test_setup_teardown(test_writer_inside_transaction_after_other, setup_path,
                                      teardown_path),
      cmocka_unit_test_setup_teardown(test_capture_lock_names_holder, setup_path, teardown_path),
      cmocka_unit_test_setup_teardown(test_far_future_record_is_not_the_anchor, setup_path,
                                      teardown_path),
      cmocka_unit_test_setup_teardown(test_stored_future_anchor_is_clamped, setup_path,
                                      teardown_path),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
