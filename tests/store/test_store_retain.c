/* test_store_retain.c — retention by age (relative to the newest event) and by size, events
 * gone while flows and apps stay; an import older than the window keeps its rollups only; a
 * shortened retention draining in bounded slices; "new this week"; a database locked by
 * another connection, then the same batch retried.
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
#include "tests/support/test_store_util.h"

/* ---------------------------------------------------------------- retention */

static uint64_t listed_since(wl_store *s, uint64_t since) {
  uint64_t n = 0;
  assert_int_equal(wl_store_events(s, since, 0, count_event, &n), 0);
  return n;
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
  /* whole blocks go (issue 16): a batch's block is kept when its newest event is not older
   * than the cutoff, so a block straddling it keeps its older events too */
  size_t kept = 0, gone = 0;
  for (size_t b = 0; b < n; b += 400) {
    size_t stored = 0;
    for (size_t i = b; i < b + 400; i++)
      stored += ev[i].type != WL_EVT_OTHER;
    *(ev[b + 399].ts >= cutoff ? &kept : &gone) += stored;
  }
  wl_store_stats st;
  assert_int_equal(wl_store_stats_get(s, &st), WL_OK);
  assert_int_equal(st.events_kept, kept);
  assert_int_equal(st.events, kept + gone);
  compare_events(s, ev, n, cutoff, 0);
  uint64_t listed = 0; /* nothing older than the straddling block is left */
  assert_int_equal(wl_store_events(s, 0, 0, count_event, &listed), 0);
  assert_int_equal(listed, kept);
  assert_true(kept - listed_since(s, cutoff) < 400);
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

/* Importing logs older than the window (store.h): their raw rows go in the batch that brought
 * them, their rollups and import keys stay (a re-import is all duplicates), and the raw events
 * already kept are not touched. */
static void test_old_import_keeps_rollups_only(void **state) {
  (void)state;
  const size_t n = 3000;
  wl_event *live = make_stream(n, 100, 8, 11, 30 * 10000000ull);
  wl_event *old = make_stream(n, 100, 8, 12, 30 * 10000000ull);
  uint64_t *keys = malloc(n * sizeof *keys);
  assert_non_null(keys);
  size_t live_n = 0, old_n = 0;
  for (size_t i = 0; i < n; i++) {
    old[i].ts -= 30 * DAY; /* a month before the live traffic */
    keys[i] = 1000 + i;
    live_n += live[i].type != WL_EVT_OTHER;
    old_n += old[i].type != WL_EVT_OTHER;
  }
  wl_store *s = open_ok(NULL);
  assert_int_equal(wl_store_write(s, live, n, NULL), WL_OK);
  uint64_t dups = 1;
  for (size_t i = 0; i < n; i += 1000)
    assert_int_equal(wl_store_write_keyed(s, old + i, keys + i, 1000, &dups), WL_OK);
  assert_int_equal(dups, 0);
  wl_store_stats st;
  assert_int_equal(wl_store_stats_get(s, &st), WL_OK);
  assert_int_equal(st.events, live_n + old_n);
  assert_int_equal(st.events_kept, live_n);
  uint64_t listed = 0;
  assert_int_equal(wl_store_events(s, 0, 0, count_event, &listed), 0);
  assert_int_equal(listed, live_n);
  compare_events(s, live, n, 0, 0);
  tsg_model m = {0};
  for (size_t i = 0; i < n; i++) {
    tsg_model_add(&m, &live[i]);
    tsg_model_add(&m, &old[i]);
  }
  app_names apps = {0};
  assert_int_equal(wl_store_apps(s, 0, collect_app, &apps), 0);
  compare_flows(s, &m, &apps);
  compare_apps(&m, &apps);
  assert_int_equal(wl_store_write_keyed(s, old, keys, 1000, &dups), WL_OK);
  assert_int_equal(dups, 1000);
  wl_store_close(s);
  tsg_model_free(&m);
  free(keys);
  free(old);
  free(live);
}

static void test_retention_by_size(void **state) {
  (void)state;
  const size_t n = 60000;
  wl_event *ev = make_stream(n, 300, 20, 4, 10000000);
  for (size_t i = 1; i < n; i++)
    if (ev[i].ts < ev[i - 1].ts)
      ev[i].ts = ev[i - 1].ts;
  /* the cap: what the whole stream takes less two thirds of its event blocks (the rest is
   * rollups, contexts and the like, which are never pruned) */
  wl_store *s = open_ok(NULL);
  for (size_t i = 0; i < n; i += 1000)
    assert_int_equal(wl_store_write(s, ev + i, 1000, NULL), WL_OK);
  wl_store_close(s);
  const uint64_t cap = (uint64_t)raw_int("SELECT (p.page_count-f.freelist_count)*z.page_size "
                                         "FROM pragma_page_count() p, pragma_freelist_count() f,"
                                         " pragma_page_size() z") -
                       (uint64_t)raw_int("SELECT sum(length(data)) FROM blocks") * 2 / 3;
  remove_db(db_path);
  wl_store_opts o = {.retain_bytes = cap};
  s = open_ok(&o);
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


/* Retention shortened on a full store: each batch prunes a bounded slice (whole blocks, up to
 * 2 x its size + 1024 events
 * of them), never the whole backlog at once, and the backlog drains batch by batch. */
static void test_retention_backlog_drains_in_slices(void **state) {
  (void)state;
  const size_t n = 12000;
  wl_event *ev = make_stream(n, 100, 10, 21, 2 * 60 * 10000000ull); /* ~8 days */
  for (size_t i = 1; i < n; i++)
    if (ev[i].ts < ev[i - 1].ts)
      ev[i].ts = ev[i - 1].ts;
  wl_store_opts keep = {.retain_ticks = 30 * DAY}, day = {.retain_ticks = DAY};
  wl_store *s = open_ok(&keep);
  for (size_t i = 0; i < n - 10; i += 100) /* blocks of 100: slices are whole blocks */
    assert_int_equal(wl_store_write(s, ev + i, n - 10 - i < 100 ? n - 10 - i : 100, NULL), WL_OK);
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
  uint64_t pruned = before.events_kept + stored10 - st.events_kept;
  assert_true(pruned <= 2 * stored10 + 1024 && pruned + 100 > 2 * stored10 + 1024);
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
      cmocka_unit_test_setup_teardown(test_retention_by_age, setup_path, teardown_path),
      cmocka_unit_test_setup_teardown(test_old_import_keeps_rollups_only, setup_path, teardown_path),
      cmocka_unit_test_setup_teardown(test_retention_by_size, setup_path, teardown_path),
      cmocka_unit_test_setup_teardown(test_retention_backlog_drains_in_slices, setup_path, teardown_path),
      cmocka_unit_test_setup_teardown(test_apps_new_this_week, setup_path, teardown_path),
      cmocka_unit_test_setup_teardown(test_locked_then_retry, setup_path, teardown_path),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
