/* test_wl_sublayers.c — wfplearn's sublayer against Windows Firewall's (issue 12, item 1).
 *
 * The sim models FWPM_SUBLAYER_MPSSVC_WSH (...2300) and FWPM_SUBLAYER_MPSSVC_WF (...2301)
 * under their fwpmu.h keys. wl_objects_ensure must weigh ours against WF and nothing else: a
 * heavy WF is a conflict, a heavy WSH is not (it is reported). wl_sublayers_report lists ours
 * and the six MPSSVC sublayers with their weights.
 *
 * Item 2: the sim's WSH blocks one AppContainer package's connections (engine/sim/sim.h) and
 * weighs less than our sublayer, so a hard permit of ours that matched the container would
 * open it. A rule for an app, not for a package, must leave that block alone. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/wl_err.h"
#include "engine/engine.h"
#include "engine/keys.h"
#include "engine/sim/sim.h"
#include "whitelist/apply.h"
#include "whitelist/rule.h"
#include "whitelist/whitelist_int.h"
#include "tests/support/test_files.h"

static char g_state[512];

static int setup(void **st) {
  (void)st;
  wl_test_path(g_state, sizeof g_state, "sublayers.state");
  wl_test_remove_state(g_state);
  return 0;
}

static int teardown(void **st) {
  (void)st;
  wl_test_remove_state(g_state);
  return 0;
}

static wl_engine *open_sim(void) {
  char spec[600];
  wl_engine *e = NULL;
  snprintf(spec, sizeof spec, "sim:%s", g_state);
  assert_int_equal(wl_engine_open(spec, 0, &e), WL_OK);
  return e;
}

/* Give a Windows sublayer another weight: its filters out, the sublayer re-added. */
static void reweigh(wl_engine *e, const wl_guid *key, uint16_t weight) {
  static const wl_guid prov = WL_KEY_MPSSVC_WF_PROVIDER;
  wl_filter *all = NULL;
  size_t n = 0;
  wl_sublayer sl;
  assert_int_equal(wl_engine_sublayer_get(e, key, &sl), WL_OK);
  assert_int_equal(wl_engine_filter_enum(e, &prov, &all, &n), WL_OK);
  for (size_t i = 0; i < n; i++)
    if (wl_guid_eq(&all[i].sublayer, key))
      assert_int_equal(wl_engine_filter_delete(e, &all[i].key), WL_OK);
  wl_engine_free(all);
  assert_int_equal(wl_engine_sublayer_delete(e, key), WL_OK);
  sl.weight = weight;
  assert_int_equal(wl_engine_sublayer_add(e, &sl), WL_OK);
}

static int ensure(wl_engine *e) {
  assert_int_equal(wl_engine_begin(e), WL_OK);
  int rc = wl_objects_ensure(e);
  if (rc == WL_OK)
    assert_int_equal(wl_engine_commit(e), WL_OK);
  else
    assert_int_equal(wl_engine_abort(e), WL_OK);
  return rc;
}

static void test_heavy_wsh_is_no_conflict(void **st) {
  (void)st;
  static const wl_guid wsh = WL_KEY_MPSSVC_WSH_SUBLAYER;
  wl_engine *e = open_sim();
  reweigh(e, &wsh, 0xFFFF);
  assert_int_equal(ensure(e), WL_OK);
  wl_engine_close(e);
}

static void test_heavy_wf_is_a_conflict(void **st) {
  (void)st;
  static const wl_guid wf = WL_KEY_MPSSVC_WF_SUBLAYER;
  wl_engine *e = open_sim();
  reweigh(e, &wf, 0xFFFF);
  assert_int_equal(ensure(e), WL_E_CONFLICT);
  assert_non_null(strstr(wl_errmsg(), "MPSSVC_WF"));
  assert_non_null(strstr(wl_errmsg(), "0xffff"));
  wl_engine_close(e);
}

static void test_report(void **st) {
  (void)st;
  wl_engine *e = open_sim();
  wl_sublayer_weight w[WL_SUBLAYER_REPORT_MAX];
  size_t n = 0;
  assert_int_equal(wl_sublayers_report(e, w, &n), WL_OK);
  assert_int_equal(n, 7);
  assert_string_equal(w[0].name, "wfplearn");
  assert_false(w[0].present); /* not installed yet */
  assert_string_equal(w[1].name, "MPSSVC_WF");
  assert_true(w[1].present);
  assert_int_equal(w[1].weight, WL_SIM_WF_SUBLAYER_WEIGHT);
  assert_string_equal(w[2].name, "MPSSVC_WSH");
  assert_true(w[2].present);
  assert_int_equal(w[2].weight, WL_SIM_WSH_SUBLAYER_WEIGHT);
  for (size_t i = 3; i < n; i++)
    assert_false(w[i].present); /* the sim does not model the others */
  assert_int_equal(ensure(e), WL_OK);
  assert_int_equal(wl_sublayers_report(e, w, &n), WL_OK);
  assert_true(w[0].present);
  assert_int_equal(w[0].weight, WL_SUBLAYER_WEIGHT);
  wl_engine_close(e);
}

static wl_attempt attempt(const char *app, const char *package) {
  wl_attempt a;
  memset(&a, 0, sizeof a);
  wl_strlcpy(a.app, app, sizeof a.app);
  a.dir = WL_DIR_OUT;
  a.proto = 6;
  a.ip_version = 4;
  a.has_ports = 1;
  a.local_port = 50000;
  a.remote_port = 443;
  memcpy(a.local_addr, (const uint8_t[]){192, 168, 1, 23}, 4);
  memcpy(a.remote_addr, (const uint8_t[]){93, 184, 216, 34}, 4);
  wl_strlcpy(a.package, package, sizeof a.package);
  return a;
}

static void test_permit_keeps_appcontainer_blocked(void **st) {
  (void)st;
  static const char *app = "C:\\Apps\\store\\app.exe";
  wl_engine *e = open_sim();
  wl_rule r;
  memset(&r, 0, sizeof r);
  wl_strlcpy(r.app, app, sizeof r.app);
  r.dir = WL_DIR_OUT;
  r.proto = -1;
  wl_filter f[WL_RULE_MAX_FILTERS];
  size_t n = 0, added = 0, adopted = 0;
  assert_int_equal(wl_sim_set_file(e, app, 1), WL_OK);
  assert_int_equal(wl_rule_filters(e, &r, f, WL_RULE_MAX_FILTERS, &n), WL_OK);
  assert_int_equal(wl_engine_begin(e), WL_OK);
  assert_int_equal(wl_objects_ensure(e), WL_OK);
  assert_int_equal(wl_filters_put(e, f, n, &added, &adopted), WL_OK);
  assert_int_equal(wl_engine_commit(e), WL_OK);
  wl_decision d;
  wl_attempt a = attempt(app, ""); /* the app itself: our rule permits it */
  assert_int_equal(wl_sim_classify(e, &a, &d), WL_OK);
  assert_int_equal(d.action, WL_ACTION_PERMIT);
  assert_int_equal(d.filter_id, f[0].id);
  a = attempt(app, WL_SIM_ISOLATED_PACKAGE); /* same binary in an AppContainer: WSH decides */
  assert_int_equal(wl_sim_classify(e, &a, &d), WL_OK);
  assert_int_equal(d.action, WL_ACTION_BLOCK);
  assert_int_equal(d.filter_id, WL_SIM_ID_WSH_APPCONTAINER_V4);
  wl_engine_close(e);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_heavy_wsh_is_no_conflict, setup, teardown),
      cmocka_unit_test_setup_teardown(test_heavy_wf_is_a_conflict, setup, teardown),
      cmocka_unit_test_setup_teardown(test_report, setup, teardown),
      cmocka_unit_test_setup_teardown(test_permit_keeps_appcontainer_blocked, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
