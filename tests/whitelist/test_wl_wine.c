/* test_wl_wine.c — the whitelist's filters through the real fwpuclnt backend and our fake
 * fwpuclnt.dll, under wine (Windows build only; the DLL sits beside this .exe and
 * WINEDLLOVERRIDES / WL_SIM_STATE come from tests/CMakeLists.txt).
 *
 * Rules of every shape (app + ports and a range + user; v4 address and v6 prefix, so one filter
 * per IP version; inbound with a package SID; no app) and the whole enforce set are added with
 * the "wfp" engine: the backend turns them into FWPM_FILTER0s (real layouts) and the DLL hands
 * them to a sim on a state file. A native sim opened on that file must then hold exactly the
 * intended layer, sublayer, provider, action, weight, flags, conditions, app id and SIDs, field
 * by field; reading them back through the DLL gives the same; the sublayer has our weight.
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
#include "engine/engine.h"
#include "engine/keys.h"
#include "store/store.h"
#include "whitelist/apply.h"
#include "whitelist/dryrun.h"
#include "whitelist/enforce.h"
#include "whitelist/open.h"
#include "whitelist/rule.h"
#include "whitelist/whitelist_int.h"
#include "tests/support/fake_ctl.h"
#include "tests/support/test_filter.h"

#define DB "test_wl_wine.db"
#define USER_SID "S-1-5-21-1004336348-1177238915-682003330-1013"
#define PKG_SID "S-1-15-2-1-2-3-4-5-6-7"

static char g_state[512], g_native[600];

static void cleanup(void) {
  char p[600];
  static const char *sfx[] = {"", "-wal", "-shm"};
  for (int i = 0; i < 3; i++) {
    snprintf(p, sizeof p, "%s%s", DB, sfx[i]);
    remove(p);
  }
  snprintf(p, sizeof p, "%s.lock", g_state);
  remove(g_state);
  remove(p);
}

static int setup(void **state) {
  (void)state;
  const char *s = getenv("WL_SIM_STATE");
  if (!s || !*s) {
    fprintf(stderr, "WL_SIM_STATE is not set (tests/CMakeLists.txt sets it)\n");
    return -1;
  }
  snprintf(g_state, sizeof g_state, "%s", s);
  snprintf(g_native, sizeof g_native, "sim:%s", g_state);
  cleanup();
  return wl_fakectl_drive_map_on() == WL_OK ? 0 : -1; /* the sim's drives, as the fake has them */
}

static int teardown(void **state) {
  (void)state;
  wl_fakectl_drive_map_off();
  cleanup();
  return 0;
}

static void rule(wl_rule *r, const char *app, int dir, int proto, const char *ports,
                 const char *remotes, const char *user, const char *pkg) {
  memset(r, 0, sizeof *r);
  strcpy(r->app, app);
  r->dir = (uint8_t)dir;
  r->proto = (int16_t)proto;
  assert_int_equal(wl_ports_parse(ports, r->ports, WL_RULE_MAX_PORTS, &r->n_ports), WL_OK);
  assert_int_equal(wl_remotes_parse(remotes, r->remotes, WL_RULE_MAX_REMOTES, &r->n_remotes),
                   WL_OK);
  strcpy(r->user, user);
  strcpy(r->package, pkg);
}

/* Field by field; conditions in order (the backend and the DLL keep it). */

#define NRULES 4

/* Independent of the builder: rule 0 (browser, tcp, 443 and 8000-8100, one user) as the issue
 * states it — ALE_AUTH_CONNECT v4 then v6, our sublayer, a persistent hard permit at the rule
 * weight, conditions app id, protocol, the two remote ports, user. */
static void assert_rule0_by_hand(const wl_filter *f, int v6) {
  wl_guid sk = wl_sublayer_key(), pk = wl_provider_key();
  assert_int_equal(f->layer_id, v6 ? WL_LAYER_ALE_AUTH_CONNECT_V6 : WL_LAYER_ALE_AUTH_CONNECT_V4);
  assert_true(wl_guid_eq(&f->sublayer, &sk) && wl_guid_eq(&f->provider, &pk));
  assert_int_equal(f->action, WL_ACTION_PERMIT);
  assert_int_equal(f->flags, WL_FILTER_PERSISTENT | WL_FILTER_CLEAR_ACTION_RIGHT);
  assert_int_equal(f->weight_type, WL_WEIGHT_EXACT);
  assert_int_equal(f->weight, WL_WEIGHT_RULE);
  static const struct { uint8_t field, match; uint16_t lo, hi; } c[] = {
      {WL_FIELD_APP_ID, WL_MATCH_EQUAL, 0, 0},       {WL_FIELD_PROTOCOL, WL_MATCH_EQUAL, 0, 0},
      {WL_FIELD_REMOTE_PORT, WL_MATCH_EQUAL, 443, 0}, {WL_FIELD_REMOTE_PORT, WL_MATCH_RANGE, 8000, 8100},
      {WL_FIELD_USER, WL_MATCH_EQUAL, 0, 0},         {WL_FIELD_PACKAGE, WL_MATCH_EQUAL, 0, 0}};
  assert_int_equal(f->num_conds, 6);
  for (int i = 0; i < 6; i++) {
    assert_int_equal(f->conds[i].field, c[i].field);
    assert_int_equal(f->conds[i].match, c[i].match);
    if (c[i].lo)
      assert_int_equal(f->conds[i].port_lo, c[i].lo);
    if (c[i].hi)
      assert_int_equal(f->conds[i].port_hi, c[i].hi);
  }
  assert_int_equal(f->conds[1].proto, 6);
  assert_string_equal(f->user_sid, USER_SID);
  assert_string_equal(f->package_sid, "S-1-0-0"); /* not for a package: never an AppContainer */
  assert_true(f->app_id_len > 0);
}

static void test_filters_through_the_dll(void **state) {
  (void)state;
  wl_engine *e = NULL;
  wl_store *s = NULL;
  assert_int_equal(wl_whitelist_open(DB, "wfp", 0, &s, &e), WL_OK);
  assert_string_equal(wl_engine_kind(e), "wfp");
  wl_rule *r = calloc(NRULES, sizeof *r);
  wl_rule_row *rows = calloc(NRULES, sizeof *rows);
  rule(&r[0], "C:\\Program Files\\Browser\\b.exe", WL_DIR_OUT, 6, "443,8000-8100", "", USER_SID,
       "");
  rule(&r[1], "C:\\Apps\\update.exe", WL_DIR_OUT, 6, "", "203.0.113.7,2001:db8:5::/48", "", "");
  rule(&r[2], "C:\\Apps\\server.exe", WL_DIR_IN, 6, "3000", "", "", PKG_SID);
  rule(&r[3], "", WL_DIR_IN, 17, "137-138,5353", "", "", "");
  for (int i = 0; i < 3; i++) /* the apps are installed: an app id needs the file */
    assert_int_equal(wl_fakectl_set_file(e, r[i].app, 1), WL_OK);
  for (int i = 0; i < NRULES; i++)
    assert_int_equal(wl_rule_resolve(e, NULL, &r[i]), WL_OK);
  assert_string_equal(r[0].app_nt, "\\device\\harddiskvolume3\\program files\\browser\\b.exe");
  wl_apply_result res;
  assert_int_equal(wl_rules_add(e, s, r, rows, NRULES, &res), WL_OK);
  assert_int_equal(res.added_rules, NRULES);
  assert_int_equal(res.added_filters, 2 + 2 + 2 + 2);
  /* The enforce set too (persistent variant, inbound included). */
  wl_filter *enf = calloc(WL_ENFORCE_MAX_FILTERS, sizeof *enf);
  size_t nenf = 0;
  wl_enforce_set *set = calloc(1, sizeof *set);
  assert_int_equal(wl_enforce_set_make(e, 1, 1, 3390, set), WL_OK);
  assert_int_equal(wl_enforce_filters(set, 1, enf, WL_ENFORCE_MAX_FILTERS, &nenf), WL_OK);
  free(set);
  assert_int_equal(wl_engine_begin(e), WL_OK);
  for (size_t i = 0; i < nenf; i++)
    assert_int_equal(wl_engine_filter_add(e, &enf[i]), WL_OK);
  assert_int_equal(wl_engine_commit(e), WL_OK);

  /* What we meant, rebuilt; what the DLL's sim holds, read natively and through the DLL. */
  wl_filter *want = calloc(NRULES * WL_RULE_MAX_FILTERS, sizeof *want), *got = malloc(sizeof *got);
  size_t nw = 0;
  for (int i = 0; i < NRULES; i++) {
    size_t k = 0;
    assert_int_equal(wl_rule_filters(e, &r[i], want + nw, WL_RULE_MAX_FILTERS, &k), WL_OK);
    nw += k;
  }
  assert_int_equal(nw, 8);
  for (size_t i = 0; i < nw; i++) { /* through the DLL */
    assert_int_equal(wl_engine_filter_get_by_key(e, &want[i].key, got), WL_OK);
    wl_test_assert_filter(&want[i], got, WL_TEST_FILTER_MEANING);
    assert_true(wl_filter_same(&want[i], got));
  }
  wl_verify_report *rep = calloc(1, sizeof *rep);
  assert_int_equal(wl_rules_verify(e, s, 0, rep), WL_OK);
  assert_int_equal(rep->issues_total, 0);
  wl_engine_close(e);
  wl_store_close(s);

  wl_engine *n = NULL;
  assert_int_equal(wl_engine_open(g_native, 0, &n), WL_OK);
  assert_string_equal(wl_engine_kind(n), "sim");
  for (size_t i = 0; i < nw; i++) {
    assert_int_equal(wl_engine_filter_get_by_key(n, &want[i].key, got), WL_OK);
    wl_test_assert_filter(&want[i], got, WL_TEST_FILTER_MEANING);
    assert_true(wl_filter_same(&want[i], got));
    if (i < 2)
      assert_rule0_by_hand(got, (int)i);
  }
  for (size_t i = 0; i < nenf; i++) {
    assert_int_equal(wl_engine_filter_get_by_key(n, &enf[i].key, got), WL_OK);
    wl_test_assert_filter(&enf[i], got, WL_TEST_FILTER_MEANING);
    assert_true(wl_filter_same(&enf[i], got));
  }
  /* The v4/v6 split: each filter of rule 1 carries only its own version's address. */
  assert_int_equal(want[2].layer_id, WL_LAYER_ALE_AUTH_CONNECT_V4);
  assert_int_equal(want[3].layer_id, WL_LAYER_ALE_AUTH_CONNECT_V6);
  wl_guid sk = wl_sublayer_key(), pk = wl_provider_key();
  wl_sublayer sl;
  wl_provider pv;
  assert_int_equal(wl_engine_sublayer_get(n, &sk, &sl), WL_OK);
  assert_int_equal(sl.weight, WL_SUBLAYER_WEIGHT);
  assert_true(wl_guid_eq(&sl.provider, &pk));
  assert_int_equal(sl.flags & WL_OBJ_PERSISTENT, WL_OBJ_PERSISTENT);
  assert_int_equal(wl_engine_provider_get(n, &pk, &pv), WL_OK);
  assert_string_equal(pv.name, WL_PROVIDER_NAME);
  wl_engine_close(n);

  /* uninstall through the DLL leaves nothing of ours. */
  assert_int_equal(wl_whitelist_open(DB, "wfp", 0, &s, &e), WL_OK);
  wl_uninstall_report ur;
  assert_int_equal(wl_uninstall(e, s, &ur), WL_OK);
  assert_int_equal(ur.filters, nw + nenf);
  assert_int_equal(ur.sublayers + ur.providers, 2);
  wl_engine_close(e);
  wl_store_close(s);
  free(r), free(rows), free(enf), free(want), free(got), free(rep);
}

/* Through the real backend and the DLL: an app id needs the file (item 8); a renumbered
 * volume moves a rule's app id and verify --repair follows it (item 15); enforce's DNS
 * exception is the DNS client's (svchost.exe from GetSystemDirectoryW) and a remote session's
 * listener is kept (GetSystemMetrics / RegGetValueW answered by fake_ctl) (item 9). */
static wl_decision fake_decide(wl_engine *e, const char *line) {
  wl_attempt a;
  wl_decision d;
  assert_int_equal(wl_sim_parse_attempt(line, strlen(line), &a), WL_OK);
  assert_int_equal(wl_fakectl_classify(e, &a, &d), WL_OK);
  return d;
}

static void test_files_machine_and_exceptions(void **state) {
  (void)state;
  wl_engine *e = NULL;
  wl_store *s = NULL;
  wl_fakectl_remote_session(1, 3390);
  assert_int_equal(wl_whitelist_open(DB, "wfp", 0, &s, &e), WL_OK);
  wl_machine m;
  assert_int_equal(wl_engine_machine(e, &m), WL_OK);
  assert_int_equal(m.remote, 1);
  assert_int_equal(m.remote_port, 3390);
  wl_rule r;
  rule(&r, "C:\\Apps\\gone.exe", WL_DIR_OUT, 6, "443", "", "", "");
  assert_int_equal(wl_rule_resolve(e, NULL, &r), WL_E_NOTFOUND); /* not installed */
  assert_non_null(strstr(wl_errmsg(), "ERROR_FILE_NOT_FOUND"));
  assert_int_equal(wl_fakectl_set_file(e, r.app, 1), WL_OK);
  assert_int_equal(wl_rule_resolve(e, NULL, &r), WL_OK);
  wl_rule_row row;
  wl_apply_result res;
  assert_int_equal(wl_rules_add(e, s, &r, &row, 1, &res), WL_OK);
  wl_verify_report *rep = calloc(1, sizeof *rep);
  assert_int_equal(wl_fakectl_set_drive(e, 'C', "\\device\\harddiskvolume9"), WL_OK);
  assert_int_equal(wl_rules_verify(e, s, 0, rep), WL_OK);
  int moved = 0;
  for (size_t i = 0; i < rep->n_issues; i++)
    moved |= rep->issues[i].kind == WL_ISSUE_APPID;
  assert_true(moved);
  assert_int_equal(wl_rules_verify(e, s, WL_VERIFY_REPAIR, rep), WL_OK);
  assert_int_equal(wl_rules_verify(e, s, 0, rep), WL_OK);
  assert_int_equal(rep->issues_total, 0);
  assert_int_equal(wl_fakectl_set_drive(e, 'C', "\\device\\harddiskvolume3"), WL_OK);
  assert_int_equal(wl_rules_verify(e, s, WL_VERIFY_REPAIR, rep), WL_OK); /* and back */
  assert_int_equal(wl_fakectl_set_file(e, r.app, 0), WL_OK); /* uninstalled */
  assert_int_equal(wl_rules_verify(e, s, 0, rep), WL_OK);
  assert_int_equal(rep->issues_total, 1);
  assert_int_equal(rep->issues[0].kind, WL_ISSUE_UNRESOLVED);
  free(rep);
  /* enforce's set through the backend: svchost.exe's app id from the system folder */
  wl_enforce_set *set = calloc(1, sizeof *set);
  wl_filter *enf = calloc(WL_ENFORCE_MAX_FILTERS, sizeof *enf);
  size_t nenf = 0, added = 0, adopted = 0;
  assert_int_equal(wl_enforce_set_make(e, 1, 1, m.remote_port, set), WL_OK);
  assert_int_equal(wl_enforce_filters(set, 1, enf, WL_ENFORCE_MAX_FILTERS, &nenf), WL_OK);
  assert_int_equal(wl_engine_begin(e), WL_OK);
  assert_int_equal(wl_objects_ensure(e), WL_OK);
  assert_int_equal(wl_filters_put(e, enf, nenf, &added, &adopted), WL_OK);
  assert_int_equal(wl_engine_commit(e), WL_OK);
  static const char dns_svchost[] =
      "{\"ts\":\"2026-01-01T00:00:00Z\",\"app\":\"C:\\\\Windows\\\\System32\\\\svchost.exe\","
      "\"dir\":\"out\",\"proto\":\"udp\",\"local\":\"10.0.0.5:50000\",\"remote\":\"8.8.8.8:53\"}";
  static const char dns_app[] =
      "{\"ts\":\"2026-01-01T00:00:00Z\",\"app\":\"C:\\\\Apps\\\\server.exe\","
      "\"dir\":\"out\",\"proto\":\"udp\",\"local\":\"10.0.0.5:50000\",\"remote\":\"8.8.8.8:53\"}";
  static const char rdp_in[] =
      "{\"ts\":\"2026-01-01T00:00:00Z\",\"app\":\"C:\\\\Windows\\\\System32\\\\svchost.exe\","
      "\"dir\":\"in\",\"proto\":\"tcp\",\"local\":\"10.0.0.5:3390\",\"remote\":\"10.0.0.7:50000\"}";
  assert_int_equal(fake_decide(e, dns_svchost).action, WL_ACTION_PERMIT);
  assert_int_equal(fake_decide(e, dns_app).action, WL_ACTION_BLOCK);
  assert_int_equal(fake_decide(e, rdp_in).action, WL_ACTION_PERMIT);
  wl_uninstall_report ur;
  assert_int_equal(wl_uninstall(e, s, &ur), WL_OK);
  free(enf);
  free(set);
  wl_engine_close(e);
  wl_store_close(s);
  wl_fakectl_remote_session(0, 0);
}

/* ---------------------------------------------------------------- enforce --dry-run */

static void event(wl_event *ev, const char *dos, const char *nt, int type, int proto,
                  uint16_t rport) {
  memset(ev, 0, sizeof *ev);
  ev->ts = 133000000000000000ull;
  ev->has = WL_HAS_PROTO | WL_HAS_LOCAL_ADDR | WL_HAS_REMOTE_ADDR | WL_HAS_LOCAL_PORT |
            WL_HAS_REMOTE_PORT | WL_HAS_APP | WL_HAS_IP_VERSION | WL_HAS_DIR;
  ev->type = (uint8_t)type;
  ev->dir = WL_DIR_OUT;
  ev->ip_version = 4;
  ev->proto = (uint8_t)proto;
  ev->local_port = 50000;
  ev->remote_port = rport;
  memcpy(ev->local_addr, (uint8_t[]){10, 0, 0, 5}, 4);
  memcpy(ev->remote_addr, (uint8_t[]){203, 0, 113, 7}, 4);
  strcpy(ev->app, nt);
  strcpy(ev->app_dos, dos);
}

/* The verdict of the dry-run row of app (by its DOS path's end): 1 allowed, 0 blocked. */
static int dry_verdict(const wl_dryrun *d, const char *name, int *missing) {
  for (size_t i = 0; i < d->napps; i++) {
    size_t n = strlen(d->apps[i].app), m = strlen(name);
    if (n >= m && !wl_strncasecmp(d->apps[i].app + n - m, name, m + 1)) {
      *missing = d->apps[i].missing;
      return d->apps[i].allowed > 0 && !d->apps[i].blocked;
    }
  }
  fail_msg("dry-run: no row for %s", name);
  return -1;
}

/* The backtest through the real backend and the fake DLL: the engine's filters come back through
 * FwpmFilterEnum, sublayer weights through FwpmSubLayerGetByKey, app ids through
 * FwpmGetAppIdFromFileName0; its verdicts are those the fake's sim gives once enforced. */
static void test_dryrun_through_the_dll(void **state) {
  (void)state;
  wl_engine *e = NULL;
  wl_store *s = NULL;
  assert_int_equal(wl_whitelist_open(DB, "wfp", 0, &s, &e), WL_OK);
  static const char *dos[3] = {"C:\\Apps\\update.exe", "C:\\Apps\\other.exe",
                               "C:\\Windows\\System32\\svchost.exe"};
  static const char *nt[3] = {"\\device\\harddiskvolume3\\apps\\update.exe",
                              "\\device\\harddiskvolume3\\apps\\other.exe",
                              "\\device\\harddiskvolume3\\windows\\system32\\svchost.exe"};
  for (int i = 0; i < 2; i++)
    assert_int_equal(wl_fakectl_set_file(e, dos[i], 1), WL_OK);
  wl_rule r;
  wl_rule_row row;
  wl_apply_result res;
  rule(&r, dos[0], WL_DIR_OUT, 6, "443", "", "", "");
  assert_int_equal(wl_rule_resolve(e, NULL, &r), WL_OK);
  assert_int_equal(wl_rules_add(e, s, &r, &row, 1, &res), WL_OK);
  wl_event ev[3];
  event(&ev[0], dos[0], nt[0], WL_EVT_ALLOW, 6, 443);
  event(&ev[1], dos[1], nt[1], WL_EVT_ALLOW, 6, 443);
  event(&ev[2], dos[2], nt[2], WL_EVT_ALLOW, 17, 53);
  wl_batch_counters bc = {0};
  assert_int_equal(wl_store_write(s, ev, 3, &bc), WL_OK);
  wl_dryrun_opts o = {.since = 0, .inbound = 0, .baseline = 1};
  wl_dryrun *d = NULL;
  int missing = 0;
  assert_int_equal(wl_dryrun_run(e, s, &o, &d), WL_OK);
  assert_int_equal(d->events, 3);
  assert_int_equal(d->would_block, 1);
  assert_int_equal(d->by_rule, 1);
  assert_int_equal(d->by_exception, 1);
  int want[3] = {1, 0, 1};
  const char *name[3] = {"update.exe", "other.exe", "svchost.exe"};
  for (int i = 0; i < 3; i++)
    assert_int_equal(dry_verdict(d, name[i], &missing), want[i]);
  wl_dryrun_free(d);
  /* enforce's set in the engine: the fake's sim decides the same attempts the same way */
  wl_enforce_set *set = calloc(1, sizeof *set);
  wl_filter *enf = calloc(WL_ENFORCE_MAX_FILTERS, sizeof *enf);
  size_t nenf = 0, added = 0, adopted = 0;
  assert_int_equal(wl_enforce_set_make(e, 0, 1, 0, set), WL_OK);
  assert_int_equal(wl_enforce_filters(set, 1, enf, WL_ENFORCE_MAX_FILTERS, &nenf), WL_OK);
  assert_int_equal(wl_engine_begin(e), WL_OK);
  assert_int_equal(wl_filters_put(e, enf, nenf, &added, &adopted), WL_OK);
  assert_int_equal(wl_engine_commit(e), WL_OK);
  static const char *json_app[3] = {"C:\\\\Apps\\\\update.exe", "C:\\\\Apps\\\\other.exe",
                                    "C:\\\\Windows\\\\System32\\\\svchost.exe"};
  for (int i = 0; i < 3; i++) {
    char line[512];
    snprintf(line, sizeof line,
             "{\"ts\":\"2026-01-01T00:00:00Z\",\"app\":\"%s\",\"dir\":\"out\",\"proto\":%d,"
             "\"local\":\"10.0.0.5:50000\",\"remote\":\"203.0.113.7:%d\"}",
             json_app[i], i == 2 ? 17 : 6, i == 2 ? 53 : 443);
    assert_int_equal(fake_decide(e, line).action == WL_ACTION_PERMIT, want[i]);
  }
  /* other.exe uninstalled since: counted as missing, still replayed (and still blocked) */
  assert_int_equal(wl_fakectl_set_file(e, "C:\\Apps\\other.exe", 0), WL_OK);
  assert_int_equal(wl_dryrun_run(e, s, &o, &d), WL_OK);
  assert_int_equal(d->apps_missing, 1);
  assert_int_equal(dry_verdict(d, "other.exe", &missing), 0);
  assert_true(missing);
  assert_int_equal(d->would_block, 1);
  wl_dryrun_free(d);
  wl_uninstall_report ur;
  assert_int_equal(wl_uninstall(e, s, &ur), WL_OK);
  free(enf);
  free(set);
  wl_engine_close(e);
  wl_store_close(s);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_filters_through_the_dll, setup, teardown),
      cmocka_unit_test_setup_teardown(test_files_machine_and_exceptions, setup, teardown),
      cmocka_unit_test_setup_teardown(test_dryrun_through_the_dll, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
