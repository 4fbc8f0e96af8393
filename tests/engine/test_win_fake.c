/* test_win_fake.c — the fwpuclnt backend end to end through our fake fwpuclnt.dll, under wine
 * (the DLL is built beside this .exe; WINEDLLOVERRIDES=fwpuclnt=n,b and WL_SIM_STATE come from
 * tests/CMakeLists.txt).
 *
 *  - filters: the backend adds permit FWPM_FILTER0s with app id, protocol, port (equal and
 *    range), v4 and v6 address, user, package and flags conditions; a native sim opened on the
 *    same state file must hold exactly those conditions (field by field), and reading them
 *    back through the DLL gives the same; enumerate, delete, duplicates, transactions, a
 *    dynamic session;
 *  - events: a subscription through FwpmNetEventSubscribe4 (FWPM_NET_EVENT5), and, with the
 *    Windows 8+ exports hidden, through FwpmNetEventSubscribe0 (FWPM_NET_EVENT1: drops only),
 *    receives what the sim decided, copied exactly; backfill through FwpmNetEventEnum5/1;
 *  - app ids and the drive map through FwpmGetAppIdFromFileName0 and the test exports;
 *  - after every test the DLL has no block the backend did not free and no open handle.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include "common/wl_thread.h"

#include "common/wl_err.h"
#include "engine/engine.h"
#include "engine/fwpuclnt/win_api.h"
#include "engine/sim/sim.h"
#include "tests/fake_fwpuclnt/win_fake.h"
#include "tests/support/fake_ctl.h"
#include "tests/support/test_filter.h"
#include "tests/support/test_files.h"

#define USER_SID "S-1-5-21-1004336348-1177238915-682003330-1013"
#define PKG_SID "S-1-15-2-1-2-3-4-5-6-7"
#define APP_DOS "C:\\Program Files\\App\\a.exe"
#define APP_NT "\\device\\harddiskvolume3\\program files\\app\\a.exe"

static HMODULE g_dll; /* our own reference, so the DLL (and its switches) outlive each open */
static wl_fake_hide_newer_fn g_hide;
static wl_fake_outstanding_fn g_outstanding;
static wl_fake_bfe_fn g_bfe;
static wl_fake_refuse_newer_fn g_refuse;
static char g_state[512];

static const wl_guid PROV = {0x5eed0001, 0x1111, 0x2222, {1, 2, 3, 4, 5, 6, 7, 8}};
static const wl_guid SUBL = {0x5eed0002, 0x3333, 0x4444, {8, 7, 6, 5, 4, 3, 2, 1}};

static void *sym(const char *name) {
  FARPROC p = GetProcAddress(g_dll, name);
  void *v;
  memcpy(&v, &p, sizeof v);
  return v;
}

static void remove_state(void) { wl_test_remove_state(g_state); }

static int group_setup(void **state) {
  (void)state;
  const char *s = getenv("WL_SIM_STATE");
  if (!s || !*s) {
    fprintf(stderr, "WL_SIM_STATE is not set (tests/CMakeLists.txt sets it)\n");
    return -1;
  }
  snprintf(g_state, sizeof g_state, "%s", s);
  g_dll = LoadLibraryW(L"fwpuclnt.dll");
  if (!g_dll || !GetProcAddress(g_dll, "wl_fake_outstanding")) {
    fprintf(stderr, "fwpuclnt.dll beside the test is not our fake (WINEDLLOVERRIDES?)\n");
    return -1;
  }
  g_hide = (wl_fake_hide_newer_fn)sym("wl_fake_hide_newer");
  g_outstanding = (wl_fake_outstanding_fn)sym("wl_fake_outstanding");
  g_bfe = (wl_fake_bfe_fn)sym("wl_fake_bfe");
  g_refuse = (wl_fake_refuse_newer_fn)sym("wl_fake_refuse_newer");
  return 0;
}

static int group_teardown(void **state) {
  (void)state;
  wl_fakectl_drive_map_off();
  remove_state();
  if (g_dll)
    FreeLibrary(g_dll);
  return 0;
}

static int setup(void **state) {
  (void)state;
  remove_state();
  g_bfe(1); /* BFE running, whatever a failed test left */
  g_refuse(0);
  return wl_fakectl_drive_map_on() == WL_OK ? 0 : -1;
}

/* Nothing handed out by the DLL is left: every block freed, every handle closed. */
static void assert_all_released(void) {
  long blocks = -1, handles = -1;
  g_outstanding(&blocks, &handles);
  if (blocks || handles)
    fail_msg("fake fwpuclnt still has %ld blocks and %ld handles out", blocks, handles);
}

static wl_engine *open_wfp(unsigned flags) {
  wl_engine *e = NULL;
  if (wl_engine_open("wfp", flags, &e))
    fail_msg("open wfp: %s", wl_errmsg());
  if (wl_fakectl_set_file(e, APP_DOS, 1)) /* the app is installed */
    fail_msg("set file: %s", wl_errmsg());
  return e;
}

static wl_engine *open_native(void) {
  char spec[600];
  wl_engine *e = NULL;
  snprintf(spec, sizeof spec, "sim:%s", g_state);
  if (wl_engine_open(spec, 0, &e))
    fail_msg("open %s: %s", spec, wl_errmsg());
  return e;
}

/* UTF-16LE of an ASCII string with its terminator, as app ids are. */
static size_t utf16(const char *s, uint8_t *out) {
  size_t n = strlen(s);
  for (size_t i = 0; i <= n; i++) {
    out[2 * i] = (uint8_t)s[i];
    out[2 * i + 1] = 0;
  }
  return 2 * (n + 1);
}

static void add_provider_and_sublayer(wl_engine *w) {
  wl_provider p = {.key = PROV, .name = "wfplearn test", .flags = WL_OBJ_PERSISTENT};
  wl_sublayer s = {.key = SUBL, .name = "wfplearn test", .provider = PROV,
                   .flags = WL_OBJ_PERSISTENT, .weight = 0x7000};
  if (wl_engine_provider_add(w, &p) || wl_engine_sublayer_add(w, &s))
    fail_msg("provider/sublayer: %s", wl_errmsg());
}

static wl_condition *cond(wl_filter *f, uint8_t field, uint8_t match) {
  wl_condition *c = &f->conds[f->num_conds++];
  memset(c, 0, sizeof *c);
  c->field = field;
  c->match = match;
  return c;
}

static void base_filter(wl_filter *f, wl_engine *w, const char *name, uint16_t layer) {
  memset(f, 0, sizeof *f);
  strcpy(f->name, name);
  strcpy(f->description, "added through the fake fwpuclnt.dll");
  f->provider = PROV;
  f->sublayer = SUBL;
  f->layer_id = layer;
  f->action = WL_ACTION_PERMIT;
  f->flags = WL_FILTER_CLEAR_ACTION_RIGHT;
  f->weight_type = WL_WEIGHT_INDEX;
  f->weight = 9;
  size_t len = 0;
  if (wl_engine_app_id(w, APP_DOS, f->app_id, sizeof f->app_id, &len))
    fail_msg("app id: %s", wl_errmsg());
  f->app_id_len = (uint32_t)len;
  cond(f, WL_FIELD_APP_ID, WL_MATCH_EQUAL);
}

/* v4 outbound: app, TCP, remote port range and one more port, remote 10/8, local host, user. */
static void filter_v4(wl_filter *f, wl_engine *w) {
  base_filter(f, w, "allow a.exe v4", WL_LAYER_ALE_AUTH_CONNECT_V4);
  cond(f, WL_FIELD_PROTOCOL, WL_MATCH_EQUAL)->proto = 6;
  wl_condition *c = cond(f, WL_FIELD_REMOTE_PORT, WL_MATCH_RANGE);
  c->port_lo = 8000;
  c->port_hi = 8100;
  c = cond(f, WL_FIELD_REMOTE_PORT, WL_MATCH_EQUAL);
  c->port_lo = c->port_hi = 443;
  c = cond(f, WL_FIELD_REMOTE_ADDR, WL_MATCH_EQUAL);
  c->ip_version = 4;
  c->prefix_len = 8;
  memcpy(c->addr, "\x0a\x00\x00\x00", 4);
  c = cond(f, WL_FIELD_LOCAL_ADDR, WL_MATCH_EQUAL);
  c->ip_version = 4;
  c->prefix_len = 32;
  memcpy(c->addr, "\xc0\xa8\x01\x0a", 4);
  cond(f, WL_FIELD_USER, WL_MATCH_EQUAL);
  strcpy(f->user_sid, USER_SID);
}

/* v6 inbound: app, UDP, local port, remote 2001:db8::/32, package. */
static void filter_v6(wl_filter *f, wl_engine *w) {
  base_filter(f, w, "allow a.exe v6", WL_LAYER_ALE_AUTH_RECV_ACCEPT_V6);
  f->weight_type = WL_WEIGHT_EXACT;
  f->weight = 0x00FF000000000123ull;
  cond(f, WL_FIELD_PROTOCOL, WL_MATCH_EQUAL)->proto = 17;
  wl_condition *c = cond(f, WL_FIELD_LOCAL_PORT, WL_MATCH_EQUAL);
  c->port_lo = c->port_hi = 5353;
  c = cond(f, WL_FIELD_REMOTE_ADDR, WL_MATCH_EQUAL);
  c->ip_version = 6;
  c->prefix_len = 32;
  memcpy(c->addr, "\x20\x01\x0d\xb8", 4);
  cond(f, WL_FIELD_PACKAGE, WL_MATCH_EQUAL);
  strcpy(f->package_sid, PKG_SID);
}

/* Field by field, everything the caller gave (the engine fills id/effective weight). */

static void test_filters_through_dll(void **state) {
  (void)state;
  wl_engine *w = open_wfp(0), *native = open_native();
  assert_string_equal(wl_engine_kind(w), "wfp");
  add_provider_and_sublayer(w);
  wl_filter f4, f6, got;
  filter_v4(&f4, w);
  filter_v6(&f6, w);
  uint8_t nt[256];
  assert_int_equal(f4.app_id_len, utf16(APP_NT, nt));
  assert_memory_equal(f4.app_id, nt, f4.app_id_len);
  const wl_filter *fs[2] = {&f4, &f6};
  for (int i = 0; i < 2; i++) {
    wl_filter *f = (wl_filter *)fs[i];
    if (wl_engine_filter_add(w, f))
      fail_msg("add %s: %s", f->name, wl_errmsg());
    assert_int_equal(wl_engine_filter_get_by_key(native, &f->key, &got), WL_OK);
    wl_test_assert_filter(f, &got, WL_TEST_FILTER_EXACT); /* what the sim decoded */
    uint64_t eff = got.effective_weight;
    assert_int_equal(wl_engine_filter_get_by_id(w, f->id, &got), WL_OK);
    wl_test_assert_filter(f, &got, WL_TEST_FILTER_EXACT); /* and back through the DLL */
    assert_int_equal(got.effective_weight, eff);
  }
  wl_filter *v = NULL;
  size_t n = 0;
  assert_int_equal(wl_engine_filter_enum(w, &PROV, &v, &n), WL_OK);
  assert_int_equal(n, 2);
  assert_true((wl_guid_eq(&v[0].key, &f4.key) && wl_guid_eq(&v[1].key, &f6.key)) ||
              (wl_guid_eq(&v[0].key, &f6.key) && wl_guid_eq(&v[1].key, &f4.key)));
  wl_engine_free(v);
  /* the same key again */
  assert_int_equal(wl_engine_filter_add(w, &f4), WL_E_EXISTS);
  assert_non_null(strstr(wl_errmsg(), "FwpmFilterAdd0: FWP_E_ALREADY_EXISTS (0x80320009)"));
  assert_int_equal(wl_engine_filter_delete(w, &f4.key), WL_OK);
  assert_int_equal(wl_engine_filter_get_by_key(native, &f4.key, &got), WL_E_NOTFOUND);
  assert_int_equal(wl_engine_filter_delete(w, &f4.key), WL_E_NOTFOUND);
  assert_non_null(strstr(wl_errmsg(), "FWP_E_FILTER_NOT_FOUND"));
  wl_provider p;
  wl_sublayer s;
  assert_int_equal(wl_engine_provider_get(w, &PROV, &p), WL_OK);
  assert_string_equal(p.name, "wfplearn test");
  assert_int_equal(p.flags, WL_OBJ_PERSISTENT);
  assert_int_equal(wl_engine_sublayer_get(w, &SUBL, &s), WL_OK);
  assert_int_equal(s.weight, 0x7000);
  assert_true(wl_guid_eq(&s.provider, &PROV));
  wl_engine_close(native);
  wl_engine_close(w);
  assert_all_released();
}

static void test_transactions_and_sessions(void **state) {
  (void)state;
  wl_engine *w = open_wfp(0), *native = open_native();
  add_provider_and_sublayer(w);
  wl_filter f, got;
  filter_v4(&f, w);
  assert_int_equal(wl_engine_begin(w), WL_OK);
  assert_int_equal(wl_engine_filter_add(w, &f), WL_OK);
  assert_int_equal(wl_engine_abort(w), WL_OK);
  assert_int_equal(wl_engine_filter_get_by_key(native, &f.key, &got), WL_E_NOTFOUND);
  assert_int_equal(wl_engine_begin(w), WL_OK);
  assert_int_equal(wl_engine_filter_add(w, &f), WL_OK);
  assert_int_equal(wl_engine_commit(w), WL_OK);
  assert_int_equal(wl_engine_filter_get_by_key(native, &f.key, &got), WL_OK);
  /* a filter in a sublayer that does not exist is refused, and says where */
  filter_v4(&f, w);
  f.sublayer.d1 ^= 1;
  assert_true(wl_engine_filter_add(w, &f) != WL_OK);
  assert_non_null(strstr(wl_errmsg(), "FwpmFilterAdd0: "));
  wl_engine_close(w);
  /* a dynamic session's filter goes with the session */
  w = open_wfp(WL_SESSION_DYNAMIC);
  filter_v6(&f, w);
  assert_int_equal(wl_engine_filter_add(w, &f), WL_OK);
  assert_int_equal(wl_engine_filter_get_by_key(native, &f.key, &got), WL_OK);
  wl_engine_close(w);
  assert_int_equal(wl_engine_filter_get_by_key(native, &f.key, &got), WL_E_NOTFOUND);
  wl_engine_close(native);
  assert_all_released();
}

static void test_app_ids_and_drives(void **state) {
  (void)state;
  wl_engine *w = open_wfp(0);
  wl_drive d[26];
  size_t n = 0, len = 0;
  assert_int_equal(wl_engine_drive_map(w, d, 26, &n), WL_OK);
  int found = 0;
  for (size_t i = 0; i < n; i++)
    found |= d[i].letter == 'C' && !strcmp(d[i].device, "\\device\\harddiskvolume3");
  assert_true(found);
  assert_int_equal(wl_fakectl_set_drive(w, 'E', "\\device\\harddiskvolume9"), WL_OK);
  uint8_t id[256], want[256];
  /* FwpmGetAppIdFromFileName0 opens the file: ERROR_FILE_NOT_FOUND until it exists (item 8) */
  assert_int_equal(wl_engine_app_id(w, "E:\\Tools\\X.exe", id, sizeof id, &len), WL_E_NOTFOUND);
  assert_non_null(strstr(wl_errmsg(), "ERROR_FILE_NOT_FOUND"));
  assert_int_equal(wl_fakectl_set_file(w, "E:\\Tools\\X.exe", 1), WL_OK);
  assert_int_equal(wl_engine_app_id(w, "E:\\Tools\\X.exe", id, sizeof id, &len), WL_OK);
  assert_int_equal(len, utf16("\\device\\harddiskvolume9\\tools\\x.exe", want));
  assert_memory_equal(id, want, len);
  /* renumbered (item 15): the file stays, its app id follows the volume's new device */
  assert_int_equal(wl_fakectl_set_drive(w, 'E', "\\device\\harddiskvolume12"), WL_OK);
  assert_int_equal(wl_engine_app_id(w, "E:\\Tools\\X.exe", id, sizeof id, &len), WL_OK);
  assert_int_equal(len, utf16("\\device\\harddiskvolume12\\tools\\x.exe", want));
  assert_memory_equal(id, want, len);
  assert_int_equal(wl_fakectl_set_file(w, "e:/tools/x.exe", 0), WL_OK); /* deleted */
  assert_int_equal(wl_engine_app_id(w, "E:\\Tools\\X.exe", id, sizeof id, &len), WL_E_NOTFOUND);
  assert_int_equal(wl_engine_app_id(w, "Q:\\nowhere.exe", id, sizeof id, &len), WL_E_NOTFOUND);
  assert_non_null(strstr(wl_errmsg(), "FwpmGetAppIdFromFileName0"));
  assert_int_equal(wl_engine_app_id(w, APP_DOS, id, 10, &len), WL_E_TOOBIG);
  uint32_t v = 99;
  assert_int_equal(wl_engine_set_option(w, WL_OPT_NET_EVENT_MATCH_ANY_KEYWORDS,
                                        WL_KW_CLASSIFY_ALLOW), WL_OK);
  assert_int_equal(wl_engine_get_option(w, WL_OPT_NET_EVENT_MATCH_ANY_KEYWORDS, &v), WL_OK);
  assert_int_equal(v, WL_KW_CLASSIFY_ALLOW);
  wl_engine_close(w);
  assert_all_released();
}

/* ---- net events ---- */

#define MAX_EV 64
static wl_mutex g_mu = WL_MUTEX_INIT;
static wl_raw_event g_ev[MAX_EV];
static int g_nev;

static int g_flow; /* ALE_FLOW_ESTABLISHED allow events seen (kept apart, issue 12 item 4) */

static int record(void *ctx, const wl_raw_event *ev) {
  (void)ctx;
  wl_mutex_lock(&g_mu);
  if (ev->layer_id == WL_LAYER_ALE_FLOW_ESTABLISHED_V4 ||
      ev->layer_id == WL_LAYER_ALE_FLOW_ESTABLISHED_V6) {
    assert_int_equal(ev->type, WL_RAW_TYPE_CLASSIFY_ALLOW);
    g_flow++;
  } else if (g_nev < MAX_EV) {
    g_ev[g_nev++] = *ev;
  }
  wl_mutex_unlock(&g_mu);
  return WL_OK;
}

/* out: a.exe to 93.184.216.34:443 (baseline outbound allow v4); in: 2001:db8::99 to our
 * port 3389 (baseline inbound block v6). */
static void attempts(wl_attempt *out, wl_attempt *in) {
  memset(out, 0, sizeof *out);
  assert_int_equal(wl_time_parse("2026-11-20T10:00:00.1234567Z", 28, &out->ts), WL_OK);
  strcpy(out->app, APP_DOS);
  out->dir = WL_DIR_OUT;
  out->proto = 6;
  out->ip_version = 4;
  out->has_ports = 1;
  out->local_port = 50000;
  out->remote_port = 443;
  memcpy(out->local_addr, "\x0a\x00\x00\x05", 4);
  memcpy(out->remote_addr, "\x5d\xb8\xd8\x22", 4);
  strcpy(out->user, USER_SID);
  *in = *out;
  in->ts += 10000000;
  in->app[0] = 0;
  in->user[0] = 0;
  in->dir = WL_DIR_IN;
  in->ip_version = 6;
  in->local_port = 3389;
  in->remote_port = 51000;
  memcpy(in->local_addr, "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x05", 16);
  memcpy(in->remote_addr, "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x99", 16);
}

static void collect_all(wl_engine *e) {
  if (wl_engine_set_option(e, WL_OPT_COLLECT_NET_EVENTS, 1) ||
      wl_engine_set_option(e, WL_OPT_NET_EVENT_MATCH_ANY_KEYWORDS, WL_KW_CLASSIFY_ALLOW))
    fail_msg("options: %s", wl_errmsg());
}

/* The raw events the sim itself produces for the two attempts (a native sim, own state). */
static void native_events(wl_raw_event *out_ev, wl_raw_event *in_ev) {
  char spec[600];
  wl_engine *n = NULL;
  wl_subscription *s = NULL;
  wl_attempt a, b;
  wl_decision d;
  snprintf(spec, sizeof spec, "sim:%s.native", g_state);
  assert_int_equal(wl_engine_open(spec, WL_SESSION_DYNAMIC, &n), WL_OK);
  collect_all(n);
  attempts(&a, &b);
  g_nev = 0;
  assert_int_equal(wl_engine_subscribe(n, record, NULL, &s), WL_OK);
  assert_int_equal(wl_sim_classify(n, &a, &d), WL_OK);
  assert_int_equal(wl_sim_classify(n, &b, &d), WL_OK);
  assert_int_equal(wl_sim_drain(n, 10000), WL_OK);
  assert_int_equal(wl_engine_unsubscribe(n, s), WL_OK);
  wl_engine_close(n);
  assert_int_equal(g_nev, 2);
  *out_ev = g_ev[0];
  *in_ev = g_ev[1];
  g_nev = 0;
}

/* What went through FWPM_NET_EVENT(version) and back equals the sim's own event, within what
 * that version carries (header flag bits; package SID from version 2). */
static void assert_same_event(const wl_raw_event *got, const wl_raw_event *sim, int version) {
  uint32_t mask = version >= 3 ? 0x3FFF : version == 2 ? 0x7FF : 0x3FF;
  assert_int_equal(got->timestamp, sim->timestamp);
  assert_int_equal(got->type, sim->type);
  assert_int_equal(got->flags, sim->flags & mask);
  assert_int_equal(got->ip_version, sim->ip_version);
  assert_int_equal(got->ip_protocol, sim->ip_protocol);
  assert_memory_equal(got->local_addr, sim->local_addr, 16);
  assert_memory_equal(got->remote_addr, sim->remote_addr, 16);
  assert_int_equal(got->local_port, sim->local_port);
  assert_int_equal(got->remote_port, sim->remote_port);
  assert_int_equal(got->scope_id, sim->scope_id);
  assert_int_equal(got->app_id_size, sim->app_id_copied);
  assert_int_equal(got->app_id_copied, sim->app_id_copied);
  assert_memory_equal(got->app_id, sim->app_id, sim->app_id_copied);
  assert_int_equal(got->user_sid_len, sim->user_sid_len);
  assert_memory_equal(got->user_sid, sim->user_sid, sim->user_sid_len);
  assert_int_equal(got->package_sid_len, version >= 2 ? sim->package_sid_len : 0);
  assert_int_equal(got->has_payload, sim->has_payload);
  assert_int_equal(got->filter_id, sim->filter_id);
  assert_int_equal(got->layer_id, sim->layer_id);
  assert_int_equal(got->direction, sim->direction);
  assert_int_equal(got->reauth_reason, sim->reauth_reason);
  assert_int_equal(got->is_loopback, sim->is_loopback);
}

/* The values written down independently of the sim. */
static void assert_out_event(const wl_raw_event *e) {
  uint8_t app[256], sid[WL_SID_MAX];
  assert_int_equal(e->type, WL_RAW_TYPE_CLASSIFY_ALLOW);
  assert_int_equal(e->filter_id, WL_SIM_ID_OUT_ALLOW_V4);
  assert_int_equal(e->layer_id, WL_LAYER_ALE_AUTH_CONNECT_V4);
  assert_int_equal(e->direction, WL_RAW_FWP_DIRECTION_OUTBOUND); /* allow events: 0 (sim_classify.c) */
  assert_int_equal(e->ip_version, WL_RAW_IP_V4);
  assert_memory_equal(e->remote_addr, "\x22\xd8\xb8\x5d", 4); /* host-order UINT32, LE */
  assert_int_equal(e->remote_port, 443);
  assert_int_equal(e->app_id_copied, utf16(APP_NT, app));
  assert_memory_equal(e->app_id, app, e->app_id_copied);
  int n = wl_sid_from_string(USER_SID, sid);
  assert_int_equal(e->user_sid_len, n);
  assert_memory_equal(e->user_sid, sid, (size_t)n);
}

static void assert_in_event(const wl_raw_event *e) {
  assert_int_equal(e->type, WL_RAW_TYPE_CLASSIFY_DROP);
  assert_int_equal(e->filter_id, WL_SIM_ID_IN_BLOCK_V6);
  assert_int_equal(e->layer_id, WL_LAYER_ALE_AUTH_RECV_ACCEPT_V6);
  assert_int_equal(e->direction, WL_RAW_DIR_IN);
  assert_int_equal(e->ip_version, WL_RAW_IP_V6);
  assert_memory_equal(e->local_addr, "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x05", 16);
  assert_int_equal(e->local_port, 3389);
  assert_int_equal(e->user_sid_len, 0);
}

static int on_backfill(void *ctx, const wl_raw_event *ev) {
  assert_int_equal(ev->origin, WL_ORIGIN_BACKFILL);
  return record(ctx, ev);
}

/* Subscribe, classify both attempts, drain; returns with g_ev holding what arrived. */
static void run_events(wl_engine *w) {
  wl_subscription *s = NULL;
  wl_attempt a, b;
  wl_decision d;
  collect_all(w);
  attempts(&a, &b);
  g_nev = 0;
  if (wl_engine_subscribe(w, record, NULL, &s))
    fail_msg("subscribe: %s", wl_errmsg());
  assert_int_equal(wl_fakectl_classify(w, &a, &d), WL_OK);
  assert_int_equal(d.action, WL_ACTION_PERMIT);
  assert_int_equal(d.filter_id, WL_SIM_ID_OUT_ALLOW_V4);
  assert_int_equal(wl_fakectl_classify(w, &b, &d), WL_OK);
  assert_int_equal(d.action, WL_ACTION_BLOCK);
  assert_int_equal(d.filter_id, WL_SIM_ID_IN_BLOCK_V6);
  assert_int_equal(wl_fakectl_drain(w, 10000), WL_OK);
  assert_int_equal(wl_engine_unsubscribe(w, s), WL_OK);
}

static void test_subscribe4(void **state) {
  (void)state;
  wl_raw_event sim_out, sim_in;
  native_events(&sim_out, &sim_in);
  wl_engine *w = open_wfp(0);
  assert_int_equal(wl_engine_event_version(w), 5);
  run_events(w);
  assert_int_equal(g_nev, 2);
  assert_int_equal(g_ev[0].origin, WL_ORIGIN_LIVE);
  assert_same_event(&g_ev[0], &sim_out, 5);
  assert_same_event(&g_ev[1], &sim_in, 5);
  assert_out_event(&g_ev[0]);
  assert_in_event(&g_ev[1]);
  g_nev = 0; /* backfill through FwpmNetEventEnum5 */
  assert_int_equal(wl_engine_enum_events(w, 0, on_backfill, NULL), WL_OK);
  assert_int_equal(g_nev, 2);
  assert_same_event(&g_ev[0], &sim_out, 5);
  assert_same_event(&g_ev[1], &sim_in, 5);
  g_nev = 0;
  assert_int_equal(wl_engine_enum_events(w, sim_out.timestamp, on_backfill, NULL), WL_OK);
  assert_int_equal(g_nev, 1); /* since is exclusive */
  assert_int_equal(g_ev[0].filter_id, WL_SIM_ID_IN_BLOCK_V6);
  wl_engine_close(w);
  assert_all_released();
}

static int show_newer(void **state) {
  (void)state;
  g_hide(0);
  return wl_fakectl_drive_map_on() == WL_OK ? 0 : -1;
}

static void test_subscribe0_hidden(void **state) {
  (void)state;
  wl_raw_event sim_out, sim_in;
  native_events(&sim_out, &sim_in);
  assert_int_equal(g_hide(1), WL_OK);
  assert_int_equal(wl_fakectl_drive_map_on(), WL_OK); /* the backend's table without them */
  assert_null(GetProcAddress(g_dll, "FwpmNetEventSubscribe4"));
  assert_null(GetProcAddress(g_dll, "FwpmNetEventSubscribe1"));
  assert_null(GetProcAddress(g_dll, "FwpmNetEventEnum2"));
  assert_non_null(GetProcAddress(g_dll, "FwpmNetEventSubscribe0"));
  assert_non_null(GetProcAddress(g_dll, "FwpmNetEventEnum1"));
  assert_non_null(GetProcAddress(g_dll, "FwpmNetEventUnsubscribe0"));
  assert_non_null(GetProcAddress(g_dll, "FwpmFilterAdd0"));
  assert_non_null(GetProcAddress(g_dll, "wl_fake_outstanding"));
  wl_engine *w = open_wfp(0);
  assert_int_equal(wl_engine_event_version(w), 1);
  run_events(w);
  assert_int_equal(g_nev, 1); /* FWPM_NET_EVENT1 has no classify allow */
  assert_same_event(&g_ev[0], &sim_in, 1);
  assert_in_event(&g_ev[0]);
  g_nev = 0; /* backfill through FwpmNetEventEnum1: the drop only */
  assert_int_equal(wl_engine_enum_events(w, 0, on_backfill, NULL), WL_OK);
  assert_int_equal(g_nev, 1);
  assert_same_event(&g_ev[0], &sim_in, 1);
  wl_engine_close(w);
  assert_int_equal(g_hide(0), WL_OK);
  assert_int_equal(wl_fakectl_drive_map_on(), WL_OK);
  assert_non_null(GetProcAddress(g_dll, "FwpmNetEventSubscribe4"));
  assert_non_null(GetProcAddress(g_dll, "FwpmNetEventEnum5"));
  w = open_wfp(0);
  assert_int_equal(wl_engine_event_version(w), 5);
  wl_engine_close(w);
  assert_all_released();
}

static void test_traffic_file(void **state) {
  (void)state;
  char path[600];
  snprintf(path, sizeof path, "%s.traffic", g_state);
  FILE *f = fopen(path, "wb");
  assert_non_null(f);
  fputs("{\"ts\":\"2026-11-20T10:00:00Z\",\"app\":\"C:\\\\Program Files\\\\App\\\\a.exe\","
        "\"dir\":\"out\",\"proto\":6,\"local\":\"10.0.0.5:50000\",\"remote\":\"93.184.216.34:443\"}\n"
        "this line is not JSON\n"
        "{\"ts\":\"2026-11-20T10:00:01Z\",\"dir\":\"in\",\"proto\":\"tcp\","
        "\"local\":\"[2001:db8::5]:3389\",\"remote\":\"[2001:db8::99]:51000\"}\n", f);
  fclose(f);
  wl_engine *w = open_wfp(0);
  wl_subscription *s = NULL;
  collect_all(w);
  g_nev = g_flow = 0;
  assert_int_equal(wl_engine_subscribe(w, record, NULL, &s), WL_OK);
  wl_sim_stats st;
  memset(&st, 0, sizeof st);
  if (wl_fakectl_run_traffic(w, path, 0, &st))
    fail_msg("run traffic: %s", wl_errmsg());
  assert_int_equal(wl_fakectl_drain(w, 10000), WL_OK);
  assert_int_equal(st.attempts, 2);
  assert_int_equal(st.malformed, 1);
  assert_int_equal(st.allowed, 1);
  assert_int_equal(st.blocked, 1);
  assert_int_equal(g_nev, 2);
  assert_int_equal(g_flow, 1); /* the allow's FLOW_ESTABLISHED twin crossed the ABI too */
  assert_int_equal(g_ev[0].filter_id, WL_SIM_ID_OUT_ALLOW_V4);
  assert_int_equal(g_ev[1].filter_id, WL_SIM_ID_IN_BLOCK_V6);
  assert_int_equal(wl_engine_unsubscribe(w, s), WL_OK);
  wl_engine_close(w);
  remove(path);
  assert_all_released();
}

/* BFE stopped, then started again (issue 12, item 12): the codes fwpuclnt gives then are
 * "the engine is gone, reconnect" (WL_E_ENGINE, which capture answers by closing and reopening
 * its handle), never "not supported" or "invalid argument". */
static void test_bfe_down_is_an_engine_error(void **state) {
  (void)state;
  uint32_t v;
  wl_engine *e = open_wfp(0), *e2 = NULL;
  assert_int_equal(g_bfe(0), WL_OK);
  assert_int_equal(wl_engine_get_option(e, WL_OPT_COLLECT_NET_EVENTS, &v), WL_E_ENGINE);
  assert_non_null(strstr(wl_errmsg(), "RPC_S_SERVER_UNAVAILABLE"));
  assert_int_equal(wl_engine_open("wfp", 0, &e2), WL_E_ENGINE);
  assert_non_null(strstr(wl_errmsg(), "EPT_S_NOT_REGISTERED"));
  assert_int_equal(g_bfe(1), WL_OK);
  assert_int_equal(wl_engine_get_option(e, WL_OPT_COLLECT_NET_EVENTS, &v), WL_E_ENGINE);
  assert_non_null(strstr(wl_errmsg(), "ERROR_INVALID_HANDLE"));
  wl_engine_close(e); /* a stale handle still closes */
  e = open_wfp(0);    /* and a new one works */
  assert_int_equal(wl_engine_get_option(e, WL_OPT_COLLECT_NET_EVENTS, &v), WL_OK);
  wl_engine_close(e);
}

/* Subscribe4..1 exported but failing: the backend falls back to the next older one that
 * works (here Subscribe0, FWPM_NET_EVENT1: drops only) instead of giving up. */
static void test_subscribe_falls_back_when_newer_fails(void **state) {
  (void)state;
  wl_raw_event sim_out, sim_in;
  native_events(&sim_out, &sim_in);
  assert_int_equal(g_refuse(1), WL_OK);
  wl_engine *w = open_wfp(0);
  run_events(w);
  assert_int_equal(wl_engine_event_version(w), 1);
  assert_int_equal(g_nev, 1); /* FWPM_NET_EVENT1 has no classify allow */
  assert_same_event(&g_ev[0], &sim_in, 1);
  wl_engine_close(w);
  assert_int_equal(g_refuse(0), WL_OK);
  assert_all_released();
}

/* FwpmNetEventUnsubscribe0 fails inside a transaction (FWP_E_TXN_IN_PROGRESS): the
 * subscription is kept (its context is not freed while BFE may still call it) and can be
 * ended after the transaction; closing an engine with a transaction open aborts it before
 * unsubscribing, so nothing is left behind. */
static void test_unsubscribe_in_transaction(void **state) {
  (void)state;
  wl_engine *w = open_wfp(0);
  wl_subscription *s = NULL;
  assert_int_equal(wl_engine_subscribe(w, record, NULL, &s), WL_OK);
  assert_int_equal(wl_engine_begin(w), WL_OK);
  assert_int_not_equal(wl_engine_unsubscribe(w, s), WL_OK);
  assert_non_null(strstr(wl_errmsg(), "FWP_E_TXN_IN_PROGRESS"));
  assert_int_equal(wl_engine_abort(w), WL_OK);
  assert_int_equal(wl_engine_unsubscribe(w, s), WL_OK);
  assert_int_equal(wl_engine_subscribe(w, record, NULL, &s), WL_OK);
  assert_int_equal(wl_engine_begin(w), WL_OK);
  wl_engine_close(w);
  assert_all_released();
}

/* The product loads fwpuclnt.dll from System32 only (LOAD_LIBRARY_SEARCH_SYSTEM32, no DLL
 * planting): with our fake beside this test and WINEDLLOVERRIDES preferring it, the backend's
 * own loader (no override installed, nothing loaded yet) must still not pick the fake up. Run
 * before anything loads the fake: a loaded module of the same base name would be reused. */
static void test_product_loads_system32_only(void **state) {
  (void)state;
  wl_fwp_api_override(NULL);
  wl_fwp_api api;
  int rc = wl_fwp_api_load(&api);
  if (rc == WL_OK) {
    assert_non_null(api.module);
    assert_null(GetProcAddress(api.module, "wl_fake_outstanding"));
    wl_fwp_api_unload(&api);
  }
  assert_null(GetModuleHandleW(L"fwpuclnt.dll"));
}

int main(void) {
  const struct CMUnitTest loader[] = {
      cmocka_unit_test(test_product_loads_system32_only),
  };
  int failed = cmocka_run_group_tests_name("loader", loader, NULL, NULL);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup(test_filters_through_dll, setup),
      cmocka_unit_test_setup(test_transactions_and_sessions, setup),
      cmocka_unit_test_setup(test_app_ids_and_drives, setup),
      cmocka_unit_test_setup(test_subscribe4, setup),
      cmocka_unit_test_setup(test_bfe_down_is_an_engine_error, setup),
      cmocka_unit_test_setup(test_subscribe_falls_back_when_newer_fails, setup),
      cmocka_unit_test_setup(test_unsubscribe_in_transaction, setup),
      cmocka_unit_test_setup_teardown(test_subscribe0_hidden, setup, show_newer),
      cmocka_unit_test_setup(test_traffic_file, setup),
  };
  return failed + cmocka_run_group_tests(tests, group_setup, group_teardown);
}
