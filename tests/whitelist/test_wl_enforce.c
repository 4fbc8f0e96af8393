/* test_wl_enforce.c — enforce's safety net on the sim engine, with a real watchdog process (this
 * test executable, started as `wfplearn watchdog` by enforce):
 *   - no confirm: after S=2 seconds the dynamic block is gone by itself, the mode is learn;
 *   - the watchdog SIGKILLed: the block is gone too, and confirm says it is too late;
 *   - confirmed: the persistent block survives the watchdog and is seen by a new process;
 *   - relax while pending releases the watchdog.
 * Waits poll with generous limits (this asserts behaviour, not speed). */
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
#include "tests/support/test_wl_world.h"
#include "whitelist/enforce.h"

#define GONE_MS 30000u

static wl_store *open_store(const world *w) {
  wl_store *s = NULL;
  if (wl_store_open(w->db, NULL, &s))
    fail_msg("store %s: %s", w->db, wl_errmsg());
  return s;
}

static void mode_is(const world *w, const char *want) {
  wl_store *s = open_store(w);
  char mode[16];
  assert_int_equal(wl_enforce_mode(s, mode, sizeof mode), WL_OK);
  assert_string_equal(mode, want);
  wl_store_close(s);
}

static uint32_t watchdog_pid(const world *w) {
  wl_store *s = open_store(w);
  char v[32] = "";
  assert_int_equal(wl_store_meta_get(s, WL_META_WD_PID, v, sizeof v), WL_OK);
  wl_store_close(s);
  return (uint32_t)strtoul(v, NULL, 10);
}

/* How app 5's outbound attempt is decided now, in a fresh engine handle. */
static void decide(const world *w, wl_decision *d) {
  wl_attempt a;
  world_attempt(w, 5, &a);
  wl_engine *e = world_engine(w);
  assert_int_equal(wl_sim_classify(e, &a, d), WL_OK);
  wl_engine_close(e);
}

static void assert_blocked_by_us(const world *w) {
  wl_decision d;
  decide(w, &d);
  assert_int_equal(d.action, WL_ACTION_BLOCK);
  wl_engine *e = world_engine(w);
  wl_filter *f = malloc(sizeof *f);
  assert_int_equal(wl_engine_filter_get_by_id(e, d.filter_id, f), WL_OK);
  assert_true(wl_enforce_owns(&f->key));
  free(f);
  wl_engine_close(e);
}

static void assert_open(const world *w) {
  wl_decision d;
  decide(w, &d);
  assert_int_equal(d.action, WL_ACTION_PERMIT);
  assert_int_equal(d.filter_id, WL_SIM_ID_OUT_ALLOW_V4); /* Windows Firewall's default */
}

static void start(const world *w, const char *within) {
  size_t enf = 0;
  wl_store_close(open_store(w)); /* an empty store: enforce refuses to run without one */
  assert_int_equal(world_run(w, "enforce", "--confirm-within", within, NULL), 0);
  mode_is(w, "pending");
  world_count_filters(w, &enf);
  assert_int_equal(enf, 17); /* outbound: block, loopback, appcontainer loopback, dns, dhcp,
                                multicast, baseline web and time (v4, v6), nd (v6) */
  assert_blocked_by_us(w);
}

static void test_expires_without_confirm(void **state) {
  (void)state;
  world w;
  world_init(&w, "expire", 3);
  assert_open(&w);
  start(&w, "2");
  uint32_t pid = watchdog_pid(&w);
  assert_true(pid != 0 && pid != wl_os_pid());
  assert_true(world_wait_gone(pid, GONE_MS));
  size_t enf = 0;
  assert_int_equal(world_count_filters(&w, &enf), 0);
  assert_open(&w);
  mode_is(&w, "learn");
  assert_int_equal(world_run(&w, "confirm", NULL), 1); /* nothing pending any more */
  world_remove(&w);
}

static void test_killed_watchdog(void **state) {
  (void)state;
  world w;
  world_init(&w, "kill", 4);
  start(&w, "120");
  uint32_t pid = watchdog_pid(&w);
  assert_int_equal(wl_os_kill(pid), WL_OK); /* SIGKILL: no cleanup of its own */
  assert_true(world_wait_gone(pid, GONE_MS));
  assert_int_equal(world_count_filters(&w, NULL), 0);
  assert_open(&w);
  mode_is(&w, "learn"); /* a pending mode whose watchdog is dead reads as learn */
  assert_int_equal(world_run(&w, "confirm", NULL), 1);
  assert_open(&w);
  world_remove(&w);
}

static void test_confirmed_survives(void **state) {
  (void)state;
  world w;
  world_init(&w, "confirm", 6);
  start(&w, "120");
  uint32_t pid = watchdog_pid(&w);
  assert_int_equal(world_run(&w, "enforce", NULL), 1); /* one pending at a time */
  assert_int_equal(world_run(&w, "confirm", NULL), 0);
  assert_true(world_wait_gone(pid, GONE_MS)); /* the watchdog was told to leave */
  mode_is(&w, "enforce");
  size_t enf = 0;
  world_count_filters(&w, &enf);
  assert_int_equal(enf, 17); /* the persistent set only: the dynamic one left with it */
  assert_blocked_by_us(&w);
  /* A new process sees the block and a consistent whitelist. */
  assert_int_equal(world_spawn_wait(&w, GONE_MS, "verify", NULL), 0);
  char out[4096];
  assert_true(world_read(w.scratch, out, sizeof out) > 0);
  assert_non_null(strstr(out, "17 of 17 filters present, 0 problems"));
  assert_int_equal(world_run(&w, "enforce", NULL), 1); /* already enforcing */
  assert_int_equal(world_run(&w, "relax", NULL), 0);
  assert_int_equal(world_count_filters(&w, NULL), 0);
  assert_open(&w);
  mode_is(&w, "learn");
  world_remove(&w);
}

static void test_relax_pending(void **state) {
  (void)state;
  world w;
  world_init(&w, "relaxp", 8);
  start(&w, "120");
  uint32_t pid = watchdog_pid(&w);
  assert_int_equal(world_run(&w, "relax", NULL), 0);
  assert_true(world_wait_gone(pid, GONE_MS));
  assert_int_equal(world_count_filters(&w, NULL), 0);
  assert_open(&w);
  mode_is(&w, "learn");
  world_remove(&w);
}

static int enforce_tests(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_expires_without_confirm),
      cmocka_unit_test(test_killed_watchdog),
      cmocka_unit_test(test_confirmed_survives),
      cmocka_unit_test(test_relax_pending),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

int main(int argc, char **argv) { return world_main(argc, argv, enforce_tests); }
