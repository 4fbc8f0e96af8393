/* test_capture_wfp.c — (Windows build, under wine) capture through the real fwpuclnt backend:
 * engine "wfp" resolves our fake fwpuclnt.dll (the sim behind the real Fwpm* ABI), so the
 * subscription, the versioned FWPM_NET_EVENTn copies, the drop-on-full callback of a live
 * engine, the decoder, attribution and the option save/restore all run as they would on
 * Windows. The capture's source is "wfp", as on a real machine; the traffic comes from the
 * side, classified by the fake DLL's test exports (tests/support/fake_ctl.h) while the capture
 * is subscribed. Afterwards the store's events plus drops plus not_connections (the
 * FLOW_ESTABLISHED allow events, issue 12 item 4) equal what the engine emitted, the
 * options are back, and the deciding filters are attributed. */
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
#include "capture/capture.h"
#include "tests/support/fake_ctl.h"
#include "tests/support/gen_traffic.h"

static void test_sim_traffic_through_fwpuclnt(void **state) {
  (void)state;
  const char *traffic = "capture_wfp.traffic", *dbp = "capture_wfp.db";
  wl_engine *e;
  wl_store *s;
  wl_capture *c;
  wl_capture_stats st;
  wl_store_stats ss;
  uint32_t collect, kw;
  remove(dbp);
  assert_int_equal(wl_gen_traffic(traffic, 5000, 20, 4), 0);
  assert_int_equal(wl_engine_open("wfp", 0, &e), WL_OK);
  assert_string_equal(wl_engine_kind(e), "wfp");
  assert_int_equal(wl_engine_set_option(e, WL_OPT_COLLECT_NET_EVENTS, 0), WL_OK);
  assert_int_equal(wl_engine_set_option(e, WL_OPT_NET_EVENT_MATCH_ANY_KEYWORDS, 0), WL_OK);

  assert_int_equal(wl_store_open(dbp, NULL, &s), WL_OK);
  wl_capture_opts o;
  memset(&o, 0, sizeof o);
  o.source = "wfp";
  o.engine_spec = "wfp";
  assert_int_equal(wl_capture_start(&o, s, &c), WL_OK);
  do {
    wl_sleep_ms(10);
    wl_capture_stats_get(c, &st);
  } while (!st.subscribed && !st.error);
  wl_sim_stats sst;
  memset(&sst, 0, sizeof sst);
  if (wl_fakectl_run_traffic(e, traffic, 0, &sst) != WL_OK)
    fail_msg("traffic through the fake: %s", wl_errmsg());
  assert_int_equal(sst.events, 5000);
  assert_int_equal(wl_fakectl_drain(e, 10000), WL_OK);
  assert_int_equal(wl_capture_stop(c), WL_OK);
  wl_capture_stats_get(c, &st);
  wl_capture_destroy(c);

  print_message("through fwpuclnt (event version %d): %llu stored, %llu dropped\n",
                wl_engine_event_version(e), (unsigned long long)st.events,
                (unsigned long long)st.drops);
  /* each allowed attempt also sent its ALE_FLOW_ESTABLISHED allow event through fwpuclnt: it is
   * counted apart, never stored as a second connection (issue 12, item 4) */
  assert_true(sst.flow_events > 0);
  assert_int_equal(sst.flow_events, sst.allowed);
  assert_int_equal(st.emitted, 5000 + sst.flow_events);
  assert_int_equal(wl_store_stats_get(s, &ss), WL_OK);
  assert_int_equal(ss.events + ss.drops + ss.not_connections, st.emitted);
  if (ss.drops == 0) { /* nothing lost: exactly one stored event per attempt */
    assert_int_equal(ss.events, 5000);
    assert_int_equal(ss.not_connections, sst.flow_events);
  }
  assert_true(ss.events > 0);
  wl_filter_info fi;
  assert_int_equal(wl_store_filter_info_get(s, 65003, &fi), WL_OK); /* outbound default allow */
  assert_string_equal(fi.action, "permit");
  assert_int_equal(fi.ours, 0);
  wl_store_close(s);

  assert_int_equal(wl_engine_get_option(e, WL_OPT_COLLECT_NET_EVENTS, &collect), WL_OK);
  assert_int_equal(wl_engine_get_option(e, WL_OPT_NET_EVENT_MATCH_ANY_KEYWORDS, &kw), WL_OK);
  assert_int_equal(collect, 0);
  assert_int_equal(kw, 0);
  wl_engine_close(e);
  remove(traffic);
  remove(dbp);
}

/* ---- the drive map follows the machine (issue 12, item 13) ---- */

typedef struct app_find {
  const char *nt;
  char dos[WL_PATH_MAX];
  int seen;
} app_find;

static int find_app(void *ctx, const wl_app_summary *a) {
  app_find *w = ctx;
  for (; w->nt; w++)
    if (strcmp(a->path, w->nt) == 0) {
      snprintf(w->dos, sizeof w->dos, "%s", a->dos_path);
      w->seen = 1;
    }
  return 0;
}

static void classify_app(wl_engine *e, const char *app, int i) {
  wl_attempt a;
  wl_decision d;
  memset(&a, 0, sizeof a);
  a.ts = 134000000000000000ULL + (uint64_t)i * 10000000ULL;
  snprintf(a.app, sizeof a.app, "%s", app);
  a.dir = WL_DIR_OUT;
  a.proto = 6;
  a.has_ports = 1;
  a.ip_version = 4;
  a.local_port = 50000;
  a.remote_port = 443;
  uint8_t l[4] = {10, 0, 0, 5}, r[4] = {1, 2, 3, 4};
  memcpy(a.local_addr, l, 4);
  memcpy(a.remote_addr, r, 4);
  if (wl_fakectl_classify(e, &a, &d) != WL_OK)
    fail_msg("classify %s through the fake: %s", app, wl_errmsg());
  assert_int_equal(wl_fakectl_drain(e, 10000), WL_OK);
}

static void wait_events(wl_capture *c, uint64_t n) {
  wl_capture_stats st;
  for (int i = 0; i < 2000; i++) {
    wl_capture_stats_get(c, &st);
    if (st.events >= n)
      return;
    wl_sleep_ms(5);
  }
  fail_msg("waited for %llu events, have %llu", (unsigned long long)n,
           (unsigned long long)st.events);
}

/* A drive added while learn runs (QueryDosDeviceW answers from the fake's map), one with a
 * 200-character device: the capture reads the map again for a device it has not seen. */
static void test_drive_added_mid_capture(void **state) {
  (void)state;
  const char *dbp = "capture_wfp_drives.db";
  char longdev[256], fnt[400];
  size_t ln = (size_t)snprintf(longdev, sizeof longdev, "\\device\\");
  while (ln < 200)
    ln += (size_t)snprintf(longdev + ln, sizeof longdev - ln, "longvolumename");
  wl_engine *e;
  wl_store *s;
  wl_capture *c;
  wl_capture_stats st;
  remove(dbp);
  assert_int_equal(wl_engine_open("wfp", 0, &e), WL_OK);
  assert_int_equal(wl_store_open(dbp, NULL, &s), WL_OK);
  wl_capture_opts o;
  memset(&o, 0, sizeof o);
  o.source = "wfp";
  o.engine_spec = "wfp";
  assert_int_equal(wl_capture_start(&o, s, &c), WL_OK);
  do {
    wl_sleep_ms(10);
    wl_capture_stats_get(c, &st);
  } while (!st.subscribed && !st.error);
  classify_app(e, "C:\\x\\c.exe", 1);
  wait_events(c, 1);
  wl_sleep_ms(WL_CAPTURE_MAP_MIN_MS + 50);
  assert_int_equal(wl_fakectl_set_drive(e, 'E', "\\device\\harddiskvolume9"), WL_OK);
  classify_app(e, "E:\\x\\e.exe", 2);
  wait_events(c, 2);
  wl_sleep_ms(WL_CAPTURE_MAP_MIN_MS + 50);
  assert_int_equal(wl_fakectl_set_drive(e, 'F', longdev), WL_OK);
  classify_app(e, "F:\\f.exe", 3);
  wait_events(c, 3);
  assert_int_equal(wl_capture_stop(c), WL_OK);
  wl_capture_destroy(c);
  snprintf(fnt, sizeof fnt, "%s\\f.exe", longdev);
  app_find want[] = {{"\\device\\harddiskvolume3\\x\\c.exe", "", 0},
                     {"\\device\\harddiskvolume9\\x\\e.exe", "", 0},
                     {fnt, "", 0},
                     {NULL, "", 0}};
  assert_int_equal(wl_store_apps(s, 0, find_app, want), WL_OK);
  for (app_find *w = want; w->nt; w++)
    if (!w->seen)
      fail_msg("app %s not stored", w->nt);
  assert_string_equal(want[0].dos, "C:\\x\\c.exe");
  assert_string_equal(want[1].dos, "E:\\x\\e.exe");
  assert_string_equal(want[2].dos, "F:\\f.exe");
  wl_store_close(s);
  assert_int_equal(wl_fakectl_set_drive(e, 'E', NULL), WL_OK);
  assert_int_equal(wl_fakectl_set_drive(e, 'F', NULL), WL_OK);
  wl_engine_close(e);
  remove(dbp);
}

/* ---- attribution by filter key across a BFE restart (issue 12, item 6) ---- */

static void classify_v(wl_engine *e, int in, int i) {
  wl_attempt a;
  wl_decision d;
  memset(&a, 0, sizeof a);
  a.ts = 134100000000000000ULL + (uint64_t)i * 10000000ULL;
  snprintf(a.app, sizeof a.app, "C:\\x\\%s.exe", in ? "s" : "b");
  a.dir = in ? WL_DIR_IN : WL_DIR_OUT;
  a.proto = 6;
  a.has_ports = 1;
  if (in) { /* [::1]:445 <- [::1]:50001: Windows Firewall's IPv6 loopback permit */
    a.ip_version = 6;
    a.local_addr[15] = a.remote_addr[15] = 1;
    a.local_port = 445;
    a.remote_port = 50001;
  } else { /* 10.0.0.5:50000 -> 1.2.3.4:443: the default outbound allow */
    uint8_t l[4] = {10, 0, 0, 5}, r[4] = {1, 2, 3, 4};
    a.ip_version = 4;
    memcpy(a.local_addr, l, 4);
    memcpy(a.remote_addr, r, 4);
    a.local_port = 50000;
    a.remote_port = 443;
  }
  if (wl_fakectl_classify(e, &a, &d) != WL_OK)
    fail_msg("classify through the fake: %s", wl_errmsg());
  assert_int_equal(d.action, WL_ACTION_PERMIT);
  assert_int_equal(wl_fakectl_drain(e, 10000), WL_OK);
}

static void key_of(wl_engine *e, uint64_t id, char out[WL_GUID_STR_MAX]) {
  wl_filter *f = malloc(sizeof *f);
  assert_non_null(f);
  if (wl_engine_filter_get_by_id(e, id, f) != WL_OK)
    fail_msg("filter %llu: %s", (unsigned long long)id, wl_errmsg());
  wl_guid_format(&f->key, out);
  free(f);
}

static void bfe_restart(void) {
  assert_int_equal(wl_fakectl_bfe(0), WL_OK);
  assert_int_equal(wl_fakectl_bfe(1), WL_OK);
}

/* The fake's BFE stops and starts: its filters get new run-time ids (65003 and 65006 swap),
 * the capture's handle dies and it reconnects; the event after the restart carries 65006 for
 * the outbound allow and the store names the outbound allow's key for it. */
static void test_attribution_after_bfe_restart(void **state) {
  (void)state;
  const char *dbp = "capture_wfp_restart.db";
  char want[WL_GUID_STR_MAX], loop[WL_GUID_STR_MAX], now[WL_GUID_STR_MAX];
  wl_engine *e;
  wl_store *s;
  wl_capture *c;
  wl_capture_stats st;
  wl_filter_info fi;
  remove(dbp);
  assert_int_equal(wl_engine_open("wfp", 0, &e), WL_OK);
  assert_int_equal(wl_store_open(dbp, NULL, &s), WL_OK);
  wl_capture_opts o;
  memset(&o, 0, sizeof o);
  o.source = "wfp";
  o.engine_spec = "wfp";
  o.retry_min_ms = 20;
  assert_int_equal(wl_capture_start(&o, s, &c), WL_OK);
  do {
    wl_sleep_ms(10);
    wl_capture_stats_get(c, &st);
  } while (!st.subscribed && !st.error);
  classify_v(e, 0, 1);
  classify_v(e, 1, 2);
  wait_events(c, 2);
  key_of(e, WL_SIM_ID_OUT_ALLOW_V4, want);
  key_of(e, WL_SIM_ID_IN_LOOPBACK_V6, loop);
  bfe_restart();
  wl_engine_close(e);
  for (int i = 0; i < 3000; i++) {
    wl_capture_stats_get(c, &st);
    if (st.reconnects >= 1 && st.subscribed)
      break;
    wl_sleep_ms(5);
  }
  assert_true(st.reconnects >= 1);
  assert_int_equal(wl_engine_open("wfp", 0, &e), WL_OK);
  key_of(e, WL_SIM_ID_IN_LOOPBACK_V6, now);
  assert_string_equal(now, want); /* renumbered */
  classify_v(e, 0, 3);
  wait_events(c, 3);
  assert_int_equal(wl_capture_stop(c), WL_OK);
  wl_capture_destroy(c);
  assert_int_equal(wl_store_filter_info_get(s, WL_SIM_ID_IN_LOOPBACK_V6, &fi), WL_OK);
  assert_string_equal(fi.filter_key, want);
  assert_non_null(strstr(fi.name, "outbound allow"));
  assert_true(strcmp(fi.filter_key, loop) != 0);
  wl_store_close(s);
  wl_engine_close(e);
  bfe_restart(); /* the ids back as they were, for whatever runs next on this state */
  remove(dbp);
}

static int drive_map_on(void **state) {
  (void)state;
  return wl_fakectl_drive_map_on() == WL_OK ? 0 : -1;
}

static int drive_map_off(void **state) {
  (void)state;
  wl_fakectl_drive_map_off();
  return 0;
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_sim_traffic_through_fwpuclnt),
                                     cmocka_unit_test(test_drive_added_mid_capture),
                                     cmocka_unit_test(test_attribution_after_bfe_restart)};
  return cmocka_run_group_tests(tests, drive_map_on, drive_map_off);
}
