/* test_wl_lockout.c — the ways a default block could land without the whitelist under it, or a
 * watchdog could be mistaken, on the sim engine with real watchdog processes:
 *   - after uninstall, promote of a covered proposal puts the covering rule's filters back
 *     (issue 18, item 3: it said "nothing to add" and the rule stayed filterless);
 *   - enforce puts missing rule filters back before the block goes in (issue 18, item 3);
 *   - relax and uninstall never kill a process that reused a dead watchdog's pid (issue 18,
 *     item 5; issue 12, item 14): the watchdog is its pid and its start time;
 *   - the confirm deadline is wall-clock: a deadline that passed while the machine slept (the
 *     recorded deadline moved into the past) expires the trial at once (issue 12, item 14);
 *   - two enforces at once leave one pending enforce with its block in place (issue 18,
 *     item 8: they used to leave "pending" with no block);
 *   - enforce --inbound typed in a remote desktop session keeps that session's listener open,
 *     or refuses without --force when its port is unknown (issue 12, item 9);
 *   - the Windows essentials baseline is listed, kept by default, and can be dropped.
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
#include "engine/keys.h"
#include "store/store.h"
#include "tests/support/test_wl_world.h"
#include "whitelist/apply.h"
#include "whitelist/enforce.h"
#include "whitelist/proposal.h"

#define GONE_MS 30000u
#define ENFORCE_OUT_FILTERS 17 /* enforce_set.c, baseline kept */

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

static uint64_t meta_u64(const world *w, const char *key) {
  wl_store *s = open_store(w);
  char v[32] = "";
  wl_store_meta_get(s, key, v, sizeof v);
  wl_store_close(s);
  return strtoull(v, NULL, 10);
}

static void meta_set(const world *w, const char *key, unsigned long long v) {
  char buf[32];
  snprintf(buf, sizeof buf, "%llu", v);
  wl_store *s = open_store(w);
  assert_int_equal(wl_store_meta_set(s, key, buf), WL_OK);
  wl_store_close(s);
}

/* Learn the world's traffic and promote app `app`'s proposal; its id in id_out. */
static void learn_promote(const world *w, unsigned app, char id_out[24]) {
  char src[WORLD_PATH + 8];
  snprintf(src, sizeof src, "sim:%s", w->traffic);
  assert_int_equal(world_run(w, "learn", "--source", src, NULL), 0);
  wl_store *s = open_store(w);
  wl_proposal *p = NULL;
  size_t n = 0;
  assert_int_equal(wl_proposals_build(s, 0, &p, &n), WL_OK);
  id_out[0] = 0;
  for (size_t i = 0; i < n; i++)
    if (world_app_index(p[i].app) == (int)app)
      snprintf(id_out, 24, "%lld", (long long)p[i].id);
  wl_proposals_free(p);
  wl_store_close(s);
  assert_true(id_out[0] != 0);
  assert_int_equal(world_run(w, "promote", id_out, NULL), 0);
}

/* App `app`'s first attempt as the engine decides it now. */
static wl_decision decide(const world *w, unsigned app) {
  wl_attempt a;
  wl_decision d;
  world_attempt(w, app, &a);
  wl_engine *e = world_engine(w);
  assert_int_equal(wl_sim_classify(e, &a, &d), WL_OK);
  wl_engine_close(e);
  return d;
}

/* The filter that decided is one of ours (a rule's, not enforce's). */
static int decided_by_rule(const world *w, const wl_decision *d) {
  wl_engine *e = world_engine(w);
  wl_filter *f = malloc(sizeof *f);
  wl_guid pk = wl_provider_key();
  int ours = wl_engine_filter_get_by_id(e, d->filter_id, f) == WL_OK &&
             wl_guid_eq(&f->provider, &pk) && !wl_enforce_owns(&f->key);
  free(f);
  wl_engine_close(e);
  return ours;
}

/* Delete every filter of our provider behind wfplearn's back (what uninstall or a firewall
 * reset leaves: rules in the store, no filters). */
static void drop_our_filters(const world *w) {
  wl_engine *e = world_engine(w);
  wl_guid pk = wl_provider_key();
  wl_filter *all = NULL;
  size_t n = 0;
  assert_int_equal(wl_engine_filter_enum(e, &pk, &all, &n), WL_OK);
  assert_int_equal(wl_engine_begin(e), WL_OK);
  for (size_t i = 0; i < n; i++)
    assert_int_equal(wl_engine_filter_delete(e, &all[i].key), WL_OK);
  assert_int_equal(wl_engine_commit(e), WL_OK);
  wl_engine_free(all);
  wl_engine_close(e);
}

/* ---------------------------------------------------------------- issue 18, item 3 */

static void test_promote_after_uninstall(void **state) {
  (void)state;
  world w;
  char id[24];
  world_init(&w, "lo-promote", 31);
  learn_promote(&w, 1, id);
  size_t rule_filters = world_count_filters(&w, NULL);
  assert_true(rule_filters > 0);
  assert_int_equal(world_run(&w, "uninstall", NULL), 0);
  assert_int_equal(world_count_filters(&w, NULL), 0);
  assert_int_equal(world_run(&w, "promote", id, NULL), 0); /* covered by the rule: put back */
  assert_int_equal(world_count_filters(&w, NULL), rule_filters);
  assert_int_equal(world_run(&w, "verify", NULL), 0);
  assert_int_equal(world_run(&w, "promote", id, NULL), 0); /* idempotent */
  assert_int_equal(world_count_filters(&w, NULL), rule_filters);
  world_remove(&w);
}

static void test_enforce_repairs_rules_first(void **state) {
  (void)state;
  world w;
  char id[24];
  world_init(&w, "lo-enforce", 32);
  learn_promote(&w, 1, id);
  size_t rule_filters = world_count_filters(&w, NULL);
  drop_our_filters(&w);
  assert_int_equal(world_run(&w, "enforce", "--confirm-within", "120", NULL), 0);
  size_t enf = 0;
  assert_int_equal(world_count_filters(&w, &enf), rule_filters + ENFORCE_OUT_FILTERS);
  assert_int_equal(enf, ENFORCE_OUT_FILTERS);
  wl_decision d = decide(&w, 1); /* the whitelisted app still gets through */
  assert_int_equal(d.action, WL_ACTION_PERMIT);
  assert_true(decided_by_rule(&w, &d));
  uint32_t pid = (uint32_t)meta_u64(&w, WL_META_WD_PID);
  assert_int_equal(world_run(&w, "relax", NULL), 0);
  assert_true(world_wait_gone(pid, GONE_MS));
  world_remove(&w);
}

/* ---------------------------------------------------------------- pid reuse, deadline */

/* A process that has nothing to do with wfplearn: this executable, sleeping. */
static uint32_t spawn_sleeper(unsigned ms) {
  char exe[1024], arg[16];
  uint32_t pid = 0;
  assert_int_equal(wl_os_exe_path(exe, sizeof exe), WL_OK);
  snprintf(arg, sizeof arg, "%u", ms);
  char *argv[] = {exe, "--sleep-ms", arg, NULL};
  assert_int_equal(wl_os_spawn(argv, NULL, &pid), WL_OK);
  return pid;
}

/* enforce, then the watchdog dies, and its pid "is reused" by an unrelated process (the store
 * is pointed at the sleeper's pid: pids cannot be chosen). */
static uint32_t pending_with_reused_pid(const world *w) {
  wl_store_close(open_store(w));
  assert_int_equal(world_run(w, "enforce", "--confirm-within", "120", NULL), 0);
  uint32_t wd = (uint32_t)meta_u64(w, WL_META_WD_PID);
  assert_true(meta_u64(w, WL_META_WD_START) != 0); /* recorded with the pid */
  assert_int_equal(wl_os_kill(wd), WL_OK);
  assert_true(world_wait_gone(wd, GONE_MS));
  uint32_t other = spawn_sleeper(60000);
  meta_set(w, WL_META_WD_PID, other);
  return other;
}

static void test_reused_pid_not_killed(void **state) {
  (void)state;
  const char *cmds[] = {"relax", "uninstall"};
  for (int c = 0; c < 2; c++) {
    world w;
    world_init(&w, c ? "lo-reuse-u" : "lo-reuse-r", 33);
    uint32_t other = pending_with_reused_pid(&w);
    mode_is(&w, "learn"); /* not the watchdog: the pending enforce is dead */
    assert_int_equal(world_run(&w, cmds[c], NULL), 0);
    assert_true(wl_os_pid_alive(other)); /* the unrelated process lives on */
    mode_is(&w, "learn");
    assert_int_equal(world_run(&w, "confirm", NULL), 1);
    wl_os_kill(other);
    world_wait_gone(other, GONE_MS);
    world_remove(&w);
  }
}

static void test_deadline_is_wall_clock(void **state) {
  (void)state;
  world w;
  world_init(&w, "lo-sleep", 34);
  wl_store_close(open_store(&w));
  assert_int_equal(world_run(&w, "enforce", "--confirm-within", "600", NULL), 0);
  uint32_t wd = (uint32_t)meta_u64(&w, WL_META_WD_PID);
  /* The machine slept past the deadline: wall-clock time is beyond it, monotonic time is not. */
  meta_set(&w, WL_META_WD_DEADLINE, (unsigned long long)(wl_time_now() - WL_TICKS_PER_SEC));
  assert_true(world_wait_gone(wd, 10000)); /* expired at once, not 600 s later */
  mode_is(&w, "learn");
  assert_int_equal(world_count_filters(&w, NULL), 0);
  world_remove(&w);
}

/* ---------------------------------------------------------------- issue 18, item 8 */

static void test_concurrent_enforce(void **state) {
  (void)state;
  char exe[1024];
  assert_int_equal(wl_os_exe_path(exe, sizeof exe), WL_OK);
  for (int trial = 0; trial < 3; trial++) {
    world w;
    char tag[32];
    snprintf(tag, sizeof tag, "lo-race%d", trial);
    world_init(&w, tag, 35);
    wl_store_close(open_store(&w));
    char *argv[] = {exe, "--db", w.db, "--engine", w.spec, "enforce", "--confirm-within", "120",
                    NULL};
    uint32_t a = 0, b = 0;
    assert_int_equal(wl_os_spawn(argv, NULL, &a), WL_OK);
    assert_int_equal(wl_os_spawn(argv, NULL, &b), WL_OK);
    assert_true(world_wait_gone(a, GONE_MS));
    assert_true(world_wait_gone(b, GONE_MS));
    mode_is(&w, "pending");
    size_t enf = 0;
    world_count_filters(&w, &enf);
    assert_int_equal(enf, ENFORCE_OUT_FILTERS); /* the block is really there */
    wl_decision d = decide(&w, 5);
    assert_int_equal(d.action, WL_ACTION_BLOCK);
    uint32_t wd = (uint32_t)meta_u64(&w, WL_META_WD_PID);
    assert_int_equal(world_run(&w, "relax", NULL), 0);
    assert_true(world_wait_gone(wd, GONE_MS));
    world_remove(&w);
  }
}

/* ---------------------------------------------------------------- issue 12, item 9 */

/* An inbound attempt to local TCP port `port` from the LAN, as decided now. */
static wl_decision inbound_to(const world *w, uint16_t port) {
  char line[256];
  snprintf(line, sizeof line, "{\"ts\":\"2026-01-01T00:00:00Z\",\"app\":\"%s\",\"dir\":\"in\","
           "\"proto\":\"tcp\",\"local\":\"10.0.0.5:%u\",\"remote\":\"10.0.0.77:50000\"}",
           "C:\\\\Windows\\\\System32\\\\svchost.exe", (unsigned)port);
  wl_attempt a;
  wl_decision d;
  assert_int_equal(wl_sim_parse_attempt(line, strlen(line), &a), WL_OK);
  wl_engine *e = world_engine(w);
  assert_int_equal(wl_sim_classify(e, &a, &d), WL_OK);
  wl_engine_close(e);
  return d;
}

static void remote_session(const world *w, int remote, uint16_t port) {
  wl_engine *e = world_engine(w);
  assert_int_equal(wl_sim_set_remote_session(e, remote, port), WL_OK);
  wl_engine_close(e);
}

static void relax_pending(const world *w) {
  uint32_t wd = (uint32_t)meta_u64(w, WL_META_WD_PID);
  assert_int_equal(world_run(w, "relax", NULL), 0);
  assert_true(world_wait_gone(wd, GONE_MS));
}

static void test_remote_session_kept(void **state) {
  (void)state;
  world w;
  world_init(&w, "lo-rdp", 36);
  wl_store_close(open_store(&w));
  remote_session(&w, 1, 3390); /* an RDP session on a moved port */
  assert_int_equal(world_run(&w, "enforce", "--inbound", "--confirm-within", "120", NULL), 0);
  wl_decision d = inbound_to(&w, 3390);
  assert_int_equal(d.action, WL_ACTION_PERMIT); /* the session survives */
  assert_int_equal(inbound_to(&w, 3389).action, WL_ACTION_BLOCK);
  assert_int_equal(meta_u64(&w, WL_META_REMOTE_PORT), 3390);
  uint32_t wd = (uint32_t)meta_u64(&w, WL_META_WD_PID);
  assert_int_equal(world_run(&w, "confirm", NULL), 0); /* the persistent set keeps it too */
  assert_true(world_wait_gone(wd, GONE_MS));
  assert_int_equal(inbound_to(&w, 3390).action, WL_ACTION_PERMIT);
  assert_int_equal(world_run(&w, "verify", NULL), 0);
  assert_int_equal(world_run(&w, "relax", NULL), 0);
  assert_int_equal(world_count_filters(&w, NULL), 0);
  /* A remote session whose port cannot be read: refused without --force. */
  remote_session(&w, 1, 0);
  assert_int_equal(world_run(&w, "enforce", "--inbound", "--confirm-within", "120", NULL), 1);
  mode_is(&w, "learn");
  assert_int_equal(world_count_filters(&w, NULL), 0);
  assert_int_equal(world_run(&w, "enforce", "--confirm-within", "120", NULL), 0); /* outbound */
  relax_pending(&w);
  assert_int_equal(
      world_run(&w, "enforce", "--inbound", "--force", "--confirm-within", "120", NULL), 0);
  assert_int_equal(inbound_to(&w, 3390).action, WL_ACTION_BLOCK); /* forced: not kept */
  relax_pending(&w);
  world_remove(&w);
}

/* svchost.exe's outbound HTTPS (Windows Update, NCSI, CRL/OCSP) as decided now. */
static uint32_t svchost_https(const world *w) {
  static const char line[] =
      "{\"ts\":\"2026-01-01T00:00:00Z\",\"app\":\"C:\\\\Windows\\\\System32\\\\svchost.exe\","
      "\"dir\":\"out\",\"proto\":\"tcp\",\"local\":\"10.0.0.5:50000\","
      "\"remote\":\"13.107.4.52:443\"}";
  wl_attempt a;
  wl_decision d;
  assert_int_equal(wl_sim_parse_attempt(line, strlen(line), &a), WL_OK);
  wl_engine *e = world_engine(w);
  assert_int_equal(wl_sim_classify(e, &a, &d), WL_OK);
  wl_engine_close(e);
  return d.action;
}

static void test_baseline_keep_drop(void **state) {
  (void)state;
  world w;
  world_init(&w, "lo-base", 37);
  wl_store_close(open_store(&w));
  assert_int_equal(world_spawn_wait(&w, GONE_MS, "enforce", "--list-baseline", NULL), 0);
  char out[4096];
  assert_true(world_read(w.scratch, out, sizeof out) > 0);
  assert_non_null(strstr(out, "Windows Update"));
  assert_non_null(strstr(out, "time sync"));
  assert_int_equal(world_count_filters(&w, NULL), 0); /* listing changes nothing */
  assert_int_equal(world_run(&w, "enforce", "--confirm-within", "120", NULL), 0);
  assert_int_equal(svchost_https(&w), WL_ACTION_PERMIT); /* kept by default */
  relax_pending(&w);
  assert_int_equal(world_run(&w, "enforce", "--baseline", "drop", "--confirm-within", "120",
                             NULL), 0);
  size_t enf = 0;
  world_count_filters(&w, &enf);
  assert_int_equal(enf, ENFORCE_OUT_FILTERS - 4); /* web and time, v4 and v6 */
  assert_int_equal(svchost_https(&w), WL_ACTION_BLOCK);
  uint32_t wd = (uint32_t)meta_u64(&w, WL_META_WD_PID);
  assert_int_equal(world_run(&w, "confirm", NULL), 0);
  assert_true(world_wait_gone(wd, GONE_MS));
  assert_int_equal(svchost_https(&w), WL_ACTION_BLOCK); /* confirmed as chosen */
  assert_int_equal(world_run(&w, "verify", NULL), 0);
  assert_int_equal(world_run(&w, "relax", NULL), 0);
  assert_int_equal(world_run(&w, "enforce", "--baseline", "maybe", NULL), 1);
  world_remove(&w);
}

static int lockout_tests(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_promote_after_uninstall),
      cmocka_unit_test(test_enforce_repairs_rules_first),
      cmocka_unit_test(test_reused_pid_not_killed),
      cmocka_unit_test(test_deadline_is_wall_clock),
      cmocka_unit_test(test_concurrent_enforce),
      cmocka_unit_test(test_remote_session_kept),
      cmocka_unit_test(test_baseline_keep_drop),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

int main(int argc, char **argv) { return world_main(argc, argv, lockout_tests); }
