/* test_capture_cli.c — `wfplearn learn` through the real command line (wl_cli_main): exit codes
 * of usage errors (1), --help (0), a replay with --record (events stored = lines recorded), a
 * sim run with --no-allow (only the blocked inbound attempts become events), --duration on the
 * wfp source (returns by itself, options restored). Files live in $WL_BUILD_DIR. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cli/main.h"
#include "common/wl_text.h"
#include "db/store.h"
#include "monitor/capture.h"
#include "tests/gen_traffic.h"

static char db[1024], state[1024], engine[1100], traffic[1024], rec[1024];

static int run(const char *a1, const char *a2, const char *a3, const char *a4, const char *a5) {
  char *argv[12] = {"wfplearn", "--db", db, "--engine", engine, "learn"};
  int argc = 6;
  const char *extra[] = {a1, a2, a3, a4, a5};
  for (int i = 0; i < 5 && extra[i]; i++)
    argv[argc++] = (char *)extra[i];
  argv[argc] = NULL;
  return wl_cli_main(argc, argv);
}

static uint64_t store_events(void) {
  wl_store *s;
  wl_store_stats st;
  assert_int_equal(wl_store_open(db, NULL, &s), 0);
  assert_int_equal(wl_store_stats_get(s, &st), 0);
  wl_store_close(s);
  return st.events;
}

static uint64_t count_lines(const char *path, const char *needle) {
  FILE *f = fopen(path, "rb");
  char line[4096];
  uint64_t n = 0;
  assert_non_null(f);
  while (fgets(line, sizeof line, f))
    n += !needle || strstr(line, needle) != NULL;
  fclose(f);
  return n;
}

static void fresh(void) {
  char p[1100];
  remove(db);
  snprintf(p, sizeof p, "%s-wal", db);
  remove(p);
  snprintf(p, sizeof p, "%s-shm", db);
  remove(p);
  remove(state);
}

static void test_usage(void **s) {
  (void)s;
  fresh();
  assert_int_equal(run("--help", NULL, NULL, NULL, NULL), 0);
  assert_int_equal(run("--bogus", NULL, NULL, NULL, NULL), 1);
  assert_int_equal(run("--duration", "soon", NULL, NULL, NULL), 1);
  assert_int_equal(run("--speed", "-1", NULL, NULL, NULL), 1);
  assert_int_equal(run("--source", NULL, NULL, NULL, NULL), 1);
  assert_int_equal(run("--source", "replay:/nonexistent/x.jsonl", NULL, NULL, NULL), 1);
  assert_int_equal(run("--source", "carrier-pigeon", NULL, NULL, NULL), 1);
  assert_int_equal(run("--ring", "1000", "--source", "sim:x", NULL), 1); /* not a power of 2 */
}

static void test_sim_no_allow_then_replay(void **s) {
  (void)s;
  char src[1100];
  fresh();
  assert_int_equal(wl_gen_traffic(traffic, 5000, 20, 9), 0);
  snprintf(src, sizeof src, "sim:%s", traffic);
  assert_int_equal(run("--source", src, "--no-allow", "--record", rec), 0);
  uint64_t inbound = count_lines(traffic, "\"dir\":\"in\"");
  assert_true(inbound > 0 && inbound < 5000);
  assert_int_equal(store_events(), inbound); /* outbound allows were not asked for */
  assert_int_equal(count_lines(rec, NULL), inbound);

  fresh();
  snprintf(src, sizeof src, "replay:%s", rec);
  assert_int_equal(run("--source", src, NULL, NULL, NULL), 0);
  assert_int_equal(store_events(), inbound);
}

static void test_duration_wfp(void **s) {
  (void)s;
  fresh();
  uint64_t t0 = wl_time_mono_ns();
  assert_int_equal(run("--duration", "1s", NULL, NULL, NULL), 0);
  assert_true(wl_time_mono_ns() - t0 >= 900000000ULL);
  wl_store *st;
  char buf[64];
  assert_int_equal(wl_store_open(db, NULL, &st), 0);
  assert_int_equal(wl_store_meta_get(st, WL_META_CAPTURE_STATE, buf, sizeof buf), 0);
  assert_string_equal(buf, "stopped");
  assert_int_equal(wl_store_meta_get(st, WL_META_SAVED_OPTIONS, buf, sizeof buf), 0);
  assert_string_equal(buf, ""); /* restored */
  wl_store_close(st);
}

int main(void) {
  const char *d = getenv("WL_BUILD_DIR");
  d = d && d[0] ? d : ".";
  snprintf(db, sizeof db, "%s/capture_cli.db", d);
  snprintf(state, sizeof state, "%s/capture_cli.state", d);
  snprintf(engine, sizeof engine, "sim:%s", state);
  snprintf(traffic, sizeof traffic, "%s/capture_cli.traffic", d);
  snprintf(rec, sizeof rec, "%s/capture_cli.record", d);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_usage),
      cmocka_unit_test(test_sim_no_allow_then_replay),
      cmocka_unit_test(test_duration_wfp),
  };
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  fresh();
  remove(traffic);
  remove(rec);
  return rc;
}
