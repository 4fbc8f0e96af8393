/* test_store_status.c — `wfplearn status`: --json fields and values against what was written,
 * the human output, a store that does not exist yet, --check on a good and a damaged file,
 * --help and a bad argument. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cli/cli.h"
#include "common/wl_err.h"
#include "common/wl_json.h"
#include "common/wl_os.h"
#include "common/wl_text.h"
#include "engine/sim/sim.h"
#include "store/store.h"
#include "tests/support/test_store_gen.h"
#include "tests/support/test_files.h"

static char db_path[1024];
static char engine_spec[1100];
static char out[8192];

static void remove_db(void) { wl_test_remove_db(db_path); }

/* Runs `status ARGS` with stdout captured into `out`. */
static int run_status(const char *a1, const char *a2) {
  char *argv[4] = {"status", (char *)a1, (char *)a2, NULL};
  int argc = 1 + (a1 != NULL) + (a2 != NULL);
  FILE *f = tmpfile();
  assert_non_null(f);
  wl_cli cli = {.db_path = db_path, .engine_spec = engine_spec, .out = f, .err = stderr};
  int rc = wl_cmd_status(&cli, argc, argv);
  rewind(f);
  size_t n = fread(out, 1, sizeof out - 1, f);
  out[n] = 0;
  fclose(f);
  return rc;
}

static uint64_t num(const wl_json *o, const char *key) {
  uint64_t v = 0;
  if (wl_json_uint64(wl_json_get(o, key), &v) != WL_OK)
    fail_msg("status --json: no number '%s' in %s", key, out);
  return v;
}

static void test_status_json_and_human(void **state) {
  (void)state;
  const size_t n = 2000;
  wl_event *ev = malloc(n * sizeof *ev);
  uint64_t rng = 3;
  tsg_model m = {0};
  for (size_t i = 0; i < n; i++) {
    tsg_random_event(100, 8, TSG_T0 + i * 10000000, &rng, &ev[i]);
    tsg_model_add(&m, &ev[i]);
  }
  wl_store *s = NULL;
  assert_int_equal(wl_store_open(db_path, NULL, &s), WL_OK);
  wl_batch_counters c = {.ring_drops = 17, .backfilled = 5};
  assert_int_equal(wl_store_write(s, ev, n, &c), WL_OK);
  assert_int_equal(wl_store_meta_set(s, "mode", "enforce"), WL_OK);
  assert_int_equal(wl_store_meta_set(s, "capture_state", "stopped"), WL_OK);
  assert_int_equal(wl_store_meta_set(s, "capture_warning", "allow events are off: because"), WL_OK);
  assert_int_equal(wl_store_meta_set(s, "capture_blind_since", "2026-12-02T11:00:00.0000000Z"),
                   WL_OK); /* issue 19's self-check */
  wl_rule_row r = {.proto = -1};
  assert_int_equal(wl_store_rule_add(s, &r), WL_OK);
  assert_int_equal(wl_store_rule_add(s, &r), WL_OK);
  /* status runs while this writer is still open */
  assert_int_equal(run_status("--json", NULL), WL_OK);
  wl_json_arena a = {0};
  const wl_json *o = NULL;
  wl_json_error je;
  assert_int_equal(wl_json_parse(&a, out, strlen(out), &o, &je), WL_OK);
  assert_int_equal(num(o, "events"), m.stored);
  assert_int_equal(num(o, "events_kept"), m.stored);
  assert_int_equal(num(o, "drops"), 17);
  assert_int_equal(num(o, "backfilled"), 5);
  assert_int_equal(num(o, "flows"), m.n);
  assert_int_equal(num(o, "rules"), 2);
  assert_true(num(o, "apps") >= 8);
  assert_true(num(o, "db_bytes") > 0);
  assert_string_equal(wl_json_string(wl_json_get(o, "mode")), "enforce");
  assert_string_equal(wl_json_string(wl_json_get(o, "capture_state")), "stopped");
  assert_string_equal(wl_json_string(wl_json_get(o, "capture_warning")), "allow events are off: because");
  assert_string_equal(wl_json_string(wl_json_get(o, "blind_since")), "2026-12-02T11:00:00.0000000Z");
  assert_non_null(wl_json_string(wl_json_get(o, "first_seen")));
  uint64_t last = 0;
  for (size_t i = 0; i < n; i++)
    if (ev[i].type != WL_EVT_OTHER && ev[i].ts > last)
      last = ev[i].ts;
  char want[WL_TIME_STR_MAX];
  wl_time_format(last, want);
  assert_string_equal(wl_json_string(wl_json_get(o, "last_seen")), want);
  /* the sublayer weights from the engine: ours not installed, WF and WSH as the sim has them */
  const wl_json *sl = wl_json_get(o, "sublayers");
  assert_non_null(sl);
  assert_int_equal(wl_json_get(sl, "wfplearn")->type, WL_JSON_NULL);
  uint64_t wf = 0, wsh = 0;
  assert_int_equal(wl_json_uint64(wl_json_get(sl, "MPSSVC_WF"), &wf), WL_OK);
  assert_int_equal(wl_json_uint64(wl_json_get(sl, "MPSSVC_WSH"), &wsh), WL_OK);
  assert_int_equal(wf, WL_SIM_WF_SUBLAYER_WEIGHT);
  assert_int_equal(wsh, WL_SIM_WSH_SUBLAYER_WEIGHT);
  assert_int_equal(wl_json_get(sl, "MPSSVC_QUARANTINE")->type, WL_JSON_NULL);
  wl_json_arena_free(&a);
  wl_store_close(s);

  assert_int_equal(run_status(NULL, NULL), WL_OK);
  assert_non_null(strstr(out, "mode      enforce"));
  assert_non_null(strstr(out, "rules     2"));
  assert_non_null(strstr(out, "capture   stopped"));
  assert_non_null(strstr(out, "WARNING   allow events are off: because"));
  assert_non_null(strstr(out, "WARNING   blind to allowed traffic since 2026-12-02T11:00:00.0000000Z"));
  assert_non_null(strstr(out, "sublayers wfplearn -, MPSSVC_WF 0x1000, MPSSVC_WSH 0x1001,"));
  tsg_model_free(&m);
  free(ev);
}

static void test_status_no_store(void **state) {
  (void)state;
  assert_int_equal(run_status("--json", NULL), WL_OK);
  wl_json_arena a = {0};
  const wl_json *o = NULL;
  wl_json_error je;
  assert_int_equal(wl_json_parse(&a, out, strlen(out), &o, &je), WL_OK);
  assert_int_equal(num(o, "events"), 0);
  assert_int_equal(num(o, "db_bytes"), 0);
  assert_string_equal(wl_json_string(wl_json_get(o, "mode")), "learn");
  assert_int_equal(wl_json_get(o, "exists")->type, WL_JSON_FALSE);
  wl_json_arena_free(&a);
  FILE *f = fopen(db_path, "rb");
  assert_null(f); /* status created nothing */
}

/* --check runs quick_check: a good store passes, a damaged one is WL_E_CORRUPT naming it. */
static void test_status_check(void **state) {
  (void)state;
  const size_t n = 3000;
  wl_event *ev = malloc(n * sizeof *ev);
  uint64_t rng = 11;
  for (size_t i = 0; i < n; i++)
    tsg_random_event(300, 8, TSG_T0 + i * 10000000, &rng, &ev[i]);
  wl_store *s = NULL;
  assert_int_equal(wl_store_open(db_path, NULL, &s), WL_OK);
  assert_int_equal(wl_store_write(s, ev, n, NULL), WL_OK);
  wl_store_close(s); /* checkpoints: everything is in the main file */
  free(ev);
  assert_int_equal(run_status("--check", NULL), WL_OK);

  FILE *f = fopen(db_path, "r+b");
  assert_non_null(f);
  assert_int_equal(fseek(f, 0, SEEK_END), 0);
  long size = ftell(f);
  assert_true(size > 8 * 4096);
  static unsigned char junk[4096];
  memset(junk, 0xa5, sizeof junk);
  for (long off = 4096; off + 4096 < size; off += 3 * 4096) { /* every third page after the first */
    assert_int_equal(fseek(f, off, SEEK_SET), 0);
    assert_int_equal(fwrite(junk, 1, sizeof junk, f), sizeof junk);
  }
  fclose(f);
  assert_int_equal(run_status("--check", NULL), WL_E_CORRUPT);
  assert_non_null(strstr(wl_errmsg(), db_path));
}

/* issue 18 (Low): "running" in meta with no capture holding the store's lock (learn was killed
 * with -9) reads "interrupted"; while a capture holds it, "running". */
static void test_status_interrupted_capture(void **state) {
  (void)state;
  wl_store *s = NULL;
  assert_int_equal(wl_store_open(db_path, NULL, &s), WL_OK);
  assert_int_equal(wl_store_meta_set(s, "capture_state", "running"), WL_OK);
  assert_int_equal(run_status("--json", NULL), WL_OK);
  if (!strstr(out, "\"capture_state\":\"interrupted\""))
    fail_msg("%s", out);
  wl_store_lock *l = NULL;
  assert_int_equal(wl_store_capture_lock(s, &l), WL_OK);
  assert_int_equal(run_status("--json", NULL), WL_OK);
  if (!strstr(out, "\"capture_state\":\"running\""))
    fail_msg("%s", out);
  wl_store_capture_unlock(l);
  wl_store_close(s);
}

static void test_status_help_and_bad_args(void **state) {
  (void)state;
  assert_int_equal(run_status("--help", NULL), WL_OK);
  assert_non_null(strstr(out, "usage: wfplearn status"));
  assert_non_null(strstr(out, "example"));
  assert_int_equal(run_status("--jsn", NULL), WL_E_INVAL);
  assert_non_null(strstr(wl_errmsg(), "--jsn"));
}

static int setup(void **state) {
  (void)state;
  const char *dir = getenv("WL_BUILD_DIR");
  snprintf(db_path, sizeof db_path, "%s/test_store_status_%u.db", dir ? dir : ".",
           (unsigned)wl_os_pid());
  snprintf(engine_spec, sizeof engine_spec, "sim:%s.state", db_path);
  remove_db();
  wl_test_remove_state(engine_spec + 4);
  return 0;
}

static int teardown(void **state) {
  (void)state;
  remove_db();
  wl_test_remove_state(engine_spec + 4);
  return 0;
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_status_json_and_human, setup, teardown),
      cmocka_unit_test_setup_teardown(test_status_no_store, setup, teardown),
      cmocka_unit_test_setup_teardown(test_status_check, setup, teardown),
      cmocka_unit_test_setup_teardown(test_status_help_and_bad_args, setup, teardown),
      cmocka_unit_test_setup_teardown(test_status_interrupted_capture, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
