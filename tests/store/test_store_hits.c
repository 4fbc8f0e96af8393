/* test_store_hits.c — rule use in the store (issue 15, item 6; store/store_hits.c): the hourly
 * rollup of allow events per filter key against a brute-force count, what is not counted
 * (drops, non-connections, events from the future, unattributed ids, imports), a BFE restart
 * that renumbers filter ids between batches (hits stay with the key that had the id when they
 * were written), a failed batch leaving no hits, and the v2 -> v3 migration (hits_hourly,
 * rules.expires) of a store written by version 2.
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
#include "common/wl_text.h"
#include "store/store.h"
#include "tests/support/test_store_util.h"

#define KEY_A "{aaaaaaaa-0000-0000-0000-000000000001}"
#define KEY_B "{bbbbbbbb-0000-0000-0000-000000000002}"

static void attribute(wl_store *s, uint64_t id, const char *key) {
  wl_filter_info fi = {.filter_id = id, .ours = 1};
  snprintf(fi.filter_key, sizeof fi.filter_key, "%s", key);
  snprintf(fi.name, sizeof fi.name, "rule filter %s", key);
  snprintf(fi.action, sizeof fi.action, "permit");
  assert_int_equal(wl_store_filter_info_put(s, &fi), WL_OK);
}

/* An outbound allow of app 1 at ts decided by filter id. */
static void allow_event(uint64_t ts, uint64_t filter, wl_event *ev) {
  uint64_t rng = ts;
  tsg_flow_event(1, 4, ts, &rng, ev);
  ev->type = WL_EVT_ALLOW;
  ev->dir = WL_DIR_OUT;
  ev->layer_id = WL_LAYER_ALE_AUTH_CONNECT_V4;
  ev->ip_version = 4;
  ev->filter_id = filter;
}

typedef struct hits_of {
  const char *key;
  uint64_t count, last_ts;
  int rows;
} hits_of;

static int find_hits(void *ctx, const wl_filter_hits *h) {
  hits_of *x = ctx;
  x->rows++;
  if (!strcmp(h->filter_key, x->key)) {
    x->count = h->count;
    x->last_ts = h->last_ts;
  }
  return 0;
}

static hits_of hits(wl_store *s, const char *key, uint64_t since) {
  hits_of x = {key, 0, 0, 0};
  assert_int_equal(wl_store_filter_hits(s, since, find_hits, &x), WL_OK);
  return x;
}

/* A seeded stream over three filters and three days, written in odd batch sizes: per key the
 * count and newest time equal a brute-force count; `since` keeps whole hours. */
static void test_rollup_matches_brute_force(void **state) {
  (void)state;
  wl_store *s = open_ok(NULL);
  attribute(s, 65001, KEY_A);
  attribute(s, 65002, KEY_B);
  enum { N = 20000 };
  wl_event *ev = calloc(N, sizeof *ev);
  assert_non_null(ev);
  uint64_t rng = 7, want[3] = {0}, last[3] = {0}, since = TSG_T0 + DAY + 30 * MINUTE;
  uint64_t want_since[3] = {0};
  for (size_t i = 0; i < N; i++) {
    uint64_t ts = TSG_T0 + (uint64_t)i * (3 * DAY / N) + tsg_next(&rng) % HOUR;
    int f = (int)(tsg_next(&rng) % 4); /* 0, 1: A, B; 2: unattributed id; 3: a drop */
    allow_event(ts, f == 0 ? 65001 : f == 1 ? 65002 : 65003, &ev[i]);
    if (f == 3)
      ev[i].type = WL_EVT_DROP;
    if (f < 3) {
      want[f]++;
      last[f] = ts > last[f] ? ts : last[f];
      want_since[f] += ts >= since - since % HOUR;
    }
  }
  write_batches(s, ev, N, 3);
  hits_of a = hits(s, KEY_A, 0), b = hits(s, KEY_B, 0);
  assert_int_equal(a.rows, 2); /* 65003 has no key: it counts for no rule */
  assert_int_equal(a.count, want[0]);
  assert_int_equal(a.last_ts, last[0]);
  assert_int_equal(b.count, want[1]);
  assert_int_equal(b.last_ts, last[1]);
  assert_int_equal(hits(s, KEY_A, since).count, want_since[0]);
  assert_int_equal(hits(s, KEY_B, since).count, want_since[1]);
  wl_store_close(s);
  free(ev);
}

/* Drops, allows that are not connections (flow established), events dated past the future
 * limit and imported events are not hits. */
static void test_what_is_not_counted(void **state) {
  (void)state;
  wl_store *s = open_ok(NULL);
  attribute(s, 65001, KEY_A);
  wl_event ev[4];
  uint64_t now = wl_time_now();
  allow_event(now - HOUR, 65001, &ev[0]);
  allow_event(now - HOUR, 65001, &ev[1]);
  ev[1].type = WL_EVT_DROP;
  allow_event(now - HOUR, 65001, &ev[2]);
  ev[2].layer_id = WL_LAYER_ALE_FLOW_ESTABLISHED_V4;
  allow_event(now + 30 * DAY, 65001, &ev[3]);
  assert_int_equal(wl_store_write(s, ev, 4, NULL), WL_OK);
  assert_int_equal(hits(s, KEY_A, 0).count, 1);
  uint64_t keys[1] = {42};
  assert_int_equal(wl_store_write_keyed(s, ev, keys, 1, NULL), WL_OK);
  assert_int_equal(hits(s, KEY_A, 0).count, 1);
  wl_store_close(s);
}

/* BFE restarts between two batches and gives id 65001 to another filter: the hits written
 * before stay with key A, the ones after go to key B; a rollback of a batch counts nothing. */
static void test_ids_renumbered_between_batches(void **state) {
  (void)state;
  wl_store *s = open_ok(NULL);
  wl_event ev[3];
  attribute(s, 65001, KEY_A);
  for (int i = 0; i < 3; i++)
    allow_event(TSG_T0 + (uint64_t)i * MINUTE, 65001, &ev[i]);
  assert_int_equal(wl_store_write(s, ev, 3, NULL), WL_OK);
  attribute(s, 65001, KEY_B); /* the capture looked the id up again after the restart */
  attribute(s, 65002, KEY_A);
  allow_event(TSG_T0 + 10 * MINUTE, 65001, &ev[0]);
  allow_event(TSG_T0 + 11 * MINUTE, 65002, &ev[1]);
  assert_int_equal(wl_store_write(s, ev, 2, NULL), WL_OK);
  hits_of a = hits(s, KEY_A, 0), b = hits(s, KEY_B, 0);
  assert_int_equal(a.count, 4);
  assert_int_equal(a.last_ts, TSG_T0 + 11 * MINUTE);
  assert_int_equal(b.count, 1);
  assert_int_equal(b.last_ts, TSG_T0 + 10 * MINUTE);

  assert_int_equal(wl_store_begin(s), WL_OK); /* a batch inside a transaction rolled back */
  assert_int_equal(wl_store_write(s, ev, 2, NULL), WL_OK);
  assert_int_equal(wl_store_rollback(s), WL_OK);
  assert_int_equal(hits(s, KEY_A, 0).count, 4);
  assert_int_equal(hits(s, KEY_B, 0).count, 1);
  wl_store_close(s);
}

/* A store as version 2 wrote it (no hits_hourly, rules without expires) opens, migrates to 3,
 * keeps its rules (permanent: expires 0), and counts hits from then on. */
static void test_migrate_v2(void **state) {
  (void)state;
  wl_store *s = open_ok(NULL);
  wl_rule_row r = {.dir = WL_DIR_OUT, .proto = 6};
  snprintf(r.app, sizeof r.app, "C:\\x\\a.exe");
  snprintf(r.scope, sizeof r.scope, "app");
  snprintf(r.filters, sizeof r.filters, "%s", KEY_A);
  snprintf(r.origin, sizeof r.origin, "promote");
  assert_int_equal(wl_store_rule_add(s, &r), WL_OK);
  wl_store_close(s);
  raw_exec(TSU_UNDO_TO_V2 "UPDATE meta SET value=2 WHERE key='schema_version'");
  wl_store_opts ro = {.read_only = 1};
  assert_int_equal(wl_store_open(db_path, &ro, &s), WL_E_READONLY); /* asks for the upgrade */
  s = open_ok(NULL);
  assert_int_equal(wl_store_schema_version(s), WL_STORE_SCHEMA_VERSION);
  wl_rule_row out;
  assert_int_equal(wl_store_rule_get(s, r.id, &out), WL_OK);
  assert_string_equal(out.filters, KEY_A);
  assert_int_equal(out.expires, 0);
  out.expires = TSG_T0 + DAY;
  assert_int_equal(wl_store_rule_update(s, &out), WL_OK);
  assert_int_equal(wl_store_rule_get(s, r.id, &out), WL_OK);
  assert_int_equal(out.expires, TSG_T0 + DAY);
  attribute(s, 65001, KEY_A);
  wl_event ev;
  allow_event(TSG_T0, 65001, &ev);
  assert_int_equal(wl_store_write(s, &ev, 1, NULL), WL_OK);
  assert_int_equal(hits(s, KEY_A, 0).count, 1);
  wl_store_close(s);
  assert_int_equal(raw_int("SELECT value FROM meta WHERE key='schema_version'"),
                   WL_STORE_SCHEMA_VERSION);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_rollup_matches_brute_force, setup_path, teardown_path),
      cmocka_unit_test_setup_teardown(test_what_is_not_counted, setup_path, teardown_path),
      cmocka_unit_test_setup_teardown(test_ids_renumbered_between_batches, setup_path,
                                      teardown_path),
      cmocka_unit_test_setup_teardown(test_migrate_v2, setup_path, teardown_path),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
