/* test_sim.c — the simulated engine's policy side: the arbitration table (two sublayers, hard
 * and soft permits, weights, no match, v4/v6, in/out, conditions), the baseline policy,
 * object rules, transactions, dynamic sessions (closed, and owned by a killed child process),
 * persistence across opens and processes, classification seeing other handles' changes at
 * once, app ids and the drive map.
 *
 * The engine spec comes from $WL_TEST_ENGINE when set (the wine run through the fake DLL),
 * else "sim:" on a fresh state file per test. This binary re-executes itself as the helper
 * process: `test_sim --child dynamic|persistent STATE KEY` (see child_main).
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
#include "common/wl_os.h"
#include "common/wl_text.h"
#include "engine/engine.h"
#include "engine/sim/sim.h"
#include "tests/support/test_files.h"

#define WAIT_MS 20000u /* bound on waiting for a helper process */

static char g_state[512];
static char g_spec[600];
static int g_serial;

static void new_state(void) {
  const char *env = getenv("WL_TEST_ENGINE");
  snprintf(g_state, sizeof g_state, "test_sim_%u_%d.state", (unsigned)wl_os_pid(), ++g_serial);
  snprintf(g_spec, sizeof g_spec, "%s", env && *env ? env : "");
  if (!g_spec[0])
    snprintf(g_spec, sizeof g_spec, "sim:%s", g_state);
}

static void remove_state(void) { wl_test_remove_state(g_state); }

static int setup(void **st) {
  (void)st;
  new_state();
  return 0;
}

static int teardown(void **st) {
  (void)st;
  remove_state();
  return 0;
}

static wl_engine *open_eng(unsigned flags) {
  wl_engine *e = NULL;
  int rc = wl_engine_open(g_spec, flags, &e);
  if (rc != WL_OK)
    fprintf(stderr, "open %s: %s\n", g_spec, wl_errmsg());
  assert_int_equal(rc, WL_OK);
  return e;
}

/* ---------------------------------------------------------------- builders */

static const wl_guid K_PROV = {0x11111111, 1, 1, {1, 2, 3, 4, 5, 6, 7, 8}};
static const wl_guid K_HI = {0x22222222, 2, 2, {1, 2, 3, 4, 5, 6, 7, 8}};
static const wl_guid K_LO = {0x33333333, 3, 3, {1, 2, 3, 4, 5, 6, 7, 8}};

static void add_layers(wl_engine *e, uint32_t flags) {
  wl_provider p = {.key = K_PROV, .name = "test provider", .flags = flags};
  wl_sublayer hi = {.key = K_HI, .name = "hi", .provider = K_PROV, .flags = flags,
                    .weight = 0xF000};
  wl_sublayer lo = {.key = K_LO, .name = "lo", .provider = K_PROV, .flags = flags,
                    .weight = 0x0800};
  assert_int_equal(wl_engine_provider_add(e, &p), WL_OK);
  assert_int_equal(wl_engine_sublayer_add(e, &hi), WL_OK);
  assert_int_equal(wl_engine_sublayer_add(e, &lo), WL_OK);
}

static wl_filter *mkf(const char *name, const wl_guid *subl, uint16_t layer, uint32_t action,
                      uint32_t flags, uint8_t wtype, uint64_t weight) {
  wl_filter *f = calloc(1, sizeof *f);
  assert_non_null(f);
  snprintf(f->name, sizeof f->name, "%s", name);
  f->provider = K_PROV;
  f->sublayer = *subl;
  f->layer_id = layer;
  f->action = action;
  f->flags = flags;
  f->weight_type = wtype;
  f->weight = weight;
  return f;
}

static wl_condition *cond(wl_filter *f, uint8_t field, uint8_t match) {
  assert_true(f->num_conds < WL_FILTER_MAX_CONDS);
  wl_condition *c = &f->conds[f->num_conds++];
  c->field = field;
  c->match = match;
  return c;
}

static void c_app(wl_engine *e, wl_filter *f, const char *path) {
  size_t len = 0;
  if (path[1] == ':')
    assert_int_equal(wl_sim_set_file(e, path, 1), WL_OK); /* the app is installed */
  assert_int_equal(wl_engine_app_id(e, path, f->app_id, sizeof f->app_id, &len), WL_OK);
  f->app_id_len = (uint32_t)len;
  cond(f, WL_FIELD_APP_ID, WL_MATCH_EQUAL);
}

static void c_port(wl_filter *f, uint8_t field, uint16_t lo, uint16_t hi) {
  wl_condition *c = cond(f, field, lo == hi ? WL_MATCH_EQUAL : WL_MATCH_RANGE);
  c->port_lo = lo;
  c->port_hi = hi;
}

static void c_addr(wl_filter *f, uint8_t field, const char *prefix) {
  wl_condition *c = cond(f, field, WL_MATCH_EQUAL);
  assert_int_equal(wl_prefix_parse(prefix, strlen(prefix), &c->ip_version, c->addr,
                                   &c->prefix_len), WL_OK);
}

static void c_proto(wl_filter *f, uint8_t proto) { cond(f, WL_FIELD_PROTOCOL, WL_MATCH_EQUAL)->proto = proto; }

static void c_flags(wl_filter *f, uint32_t flags) {
  cond(f, WL_FIELD_FLAGS, WL_MATCH_FLAGS_ANY_SET)->flags = flags;
}

static void c_user(wl_filter *f, const char *sid) {
  snprintf(f->user_sid, sizeof f->user_sid, "%s", sid);
  cond(f, WL_FIELD_USER, WL_MATCH_EQUAL);
}

static void c_pkg(wl_filter *f, const char *sid) {
  snprintf(f->package_sid, sizeof f->package_sid, "%s", sid);
  cond(f, WL_FIELD_PACKAGE, WL_MATCH_EQUAL);
}

static uint64_t add(wl_engine *e, wl_filter *f) {
  int rc = wl_engine_filter_add(e, f);
  if (rc != WL_OK)
    fprintf(stderr, "add %s: %s\n", f->name, wl_errmsg());
  assert_int_equal(rc, WL_OK);
  assert_true(f->id != 0);
  uint64_t id = f->id;
  free(f);
  return id;
}

static wl_attempt mka(const char *app, int dir, uint8_t proto, const char *local,
                      const char *remote, const char *user, const char *pkg) {
  wl_attempt a;
  uint8_t rv;
  memset(&a, 0, sizeof a);
  a.ts = WL_UNIX_EPOCH_TICKS + 1700000000ULL * WL_TICKS_PER_SEC;
  snprintf(a.app, sizeof a.app, "%s", app);
  a.dir = (uint8_t)dir;
  a.proto = proto;
  assert_int_equal(wl_endpoint_parse(local, strlen(local), &a.ip_version, a.local_addr,
                                     &a.local_port), WL_OK);
  assert_int_equal(wl_endpoint_parse(remote, strlen(remote), &rv, a.remote_addr,
                                     &a.remote_port), WL_OK);
  assert_int_equal(rv, a.ip_version);
  a.has_ports = 1;
  snprintf(a.user, sizeof a.user, "%s", user ? user : "");
  snprintf(a.package, sizeof a.package, "%s", pkg ? pkg : "");
  return a;
}

/* Delete the baseline's filters so that "nothing matched" can be seen. */
static void drop_baseline(wl_engine *e) {
  static const wl_guid wf = WL_SIM_WF_PROVIDER_KEY;
  wl_filter *fs = NULL;
  size_t n = 0;
  assert_int_equal(wl_engine_filter_enum(e, &wf, &fs, &n), WL_OK);
  assert_int_equal(n, 8); /* 6 in WF, 2 in WSH */
  for (size_t i = 0; i < n; i++)
    assert_int_equal(wl_engine_filter_delete(e, &fs[i].key), WL_OK);
  wl_engine_free(fs);
}

/* ---------------------------------------------------------------- arbitration table */

#define L_IN4 WL_LAYER_ALE_AUTH_RECV_ACCEPT_V4
#define L_IN6 WL_LAYER_ALE_AUTH_RECV_ACCEPT_V6
#define L_OUT4 WL_LAYER_ALE_AUTH_CONNECT_V4
#define L_OUT6 WL_LAYER_ALE_AUTH_CONNECT_V6
#define PERMIT WL_ACTION_PERMIT
#define BLOCK WL_ACTION_BLOCK
#define HARD WL_FILTER_CLEAR_ACTION_RIGHT
#define APP_A "C:\\apps\\a.exe"
#define APP_B "C:\\apps\\b.exe"
#define APP_C "C:\\apps\\c.exe"
#define APP_D "D:\\Tools\\D.exe"
#define APP_E "C:\\apps\\e.exe"
#define APP_G "C:\\apps\\g.exe"
#define APP_H "C:\\apps\\h.exe"
#define PKG "S-1-15-2-1-2-3-4-5-6-7"

enum { NF = 20 };

/* The policy of the table: index → filter, comments say what each one is for. */
static void build_policy(wl_engine *e, uint64_t ids[NF]) {
  wl_filter *f;
  f = mkf("0 A hard permit 443", &K_HI, L_OUT4, PERMIT, HARD, WL_WEIGHT_AUTO, 0);
  c_app(e, f, APP_A), c_port(f, WL_FIELD_REMOTE_PORT, 443, 443), ids[0] = add(e, f);
  f = mkf("1 B soft permit", &K_HI, L_OUT4, PERMIT, 0, WL_WEIGHT_AUTO, 0);
  c_app(e, f, APP_B), ids[1] = add(e, f);
  f = mkf("2 C block 10/8 idx5", &K_HI, L_OUT4, BLOCK, 0, WL_WEIGHT_INDEX, 5);
  c_app(e, f, APP_C), c_addr(f, WL_FIELD_REMOTE_ADDR, "10.0.0.0/8"), ids[2] = add(e, f);
  f = mkf("3 C permit idx2", &K_HI, L_OUT4, PERMIT, 0, WL_WEIGHT_INDEX, 2);
  c_app(e, f, APP_C), ids[3] = add(e, f);
  f = mkf("4 lo block 443 w100", &K_LO, L_OUT4, BLOCK, 0, WL_WEIGHT_EXACT, 100);
  c_port(f, WL_FIELD_REMOTE_PORT, 443, 443), ids[4] = add(e, f);
  f = mkf("5 lo block B w200", &K_LO, L_OUT4, BLOCK, 0, WL_WEIGHT_EXACT, 200);
  c_app(e, f, APP_B), ids[5] = add(e, f);
  f = mkf("6 E permit idx9", &K_HI, L_OUT4, PERMIT, 0, WL_WEIGHT_INDEX, 9);
  c_app(e, f, APP_E), ids[6] = add(e, f);
  f = mkf("7 E block exact in range 8", &K_HI, L_OUT4, BLOCK, 0, WL_WEIGHT_EXACT,
          (8ULL << 60) | 0xFFFF);
  c_app(e, f, APP_E), ids[7] = add(e, f);
  f = mkf("8 E udp block exact range 10", &K_HI, L_OUT4, BLOCK, 0, WL_WEIGHT_EXACT, 10ULL << 60);
  c_app(e, f, APP_E), c_proto(f, 17), ids[8] = add(e, f);
  f = mkf("9 A v6 hard permit", &K_HI, L_OUT6, PERMIT, HARD, WL_WEIGHT_AUTO, 0);
  c_app(e, f, APP_A), ids[9] = add(e, f);
  f = mkf("10 lo v6 block 443", &K_LO, L_OUT6, BLOCK, 0, WL_WEIGHT_AUTO, 0);
  c_port(f, WL_FIELD_REMOTE_PORT, 443, 443), ids[10] = add(e, f);
  f = mkf("11 D inbound 3000 soft", &K_HI, L_IN4, PERMIT, 0, WL_WEIGHT_AUTO, 0);
  c_app(e, f, APP_D), c_port(f, WL_FIELD_LOCAL_PORT, 3000, 3000), ids[11] = add(e, f);
  f = mkf("12 lo loopback block", &K_LO, L_IN4, BLOCK, 0, WL_WEIGHT_AUTO, 0);
  c_flags(f, WL_COND_FLAG_IS_LOOPBACK), ids[12] = add(e, f);
  f = mkf("13 inbound 8000-8100 hard", &K_HI, L_IN4, PERMIT, HARD, WL_WEIGHT_AUTO, 0);
  c_port(f, WL_FIELD_LOCAL_PORT, 8000, 8100), ids[13] = add(e, f);
  f = mkf("14 SYSTEM to 192.0.2/24 block", &K_HI, L_OUT4, BLOCK, 0, WL_WEIGHT_AUTO, 0);
  c_user(f, "S-1-5-18"), c_addr(f, WL_FIELD_REMOTE_ADDR, "192.0.2.0/24"), ids[14] = add(e, f);
  f = mkf("15 package permit v6", &K_HI, L_OUT6, PERMIT, 0, WL_WEIGHT_AUTO, 0);
  c_pkg(f, PKG), ids[15] = add(e, f);
  f = mkf("16 G ssh 22 or 2222", &K_HI, L_OUT4, PERMIT, 0, WL_WEIGHT_AUTO, 0);
  c_app(e, f, APP_G), c_port(f, WL_FIELD_REMOTE_PORT, 22, 22);
  c_port(f, WL_FIELD_REMOTE_PORT, 2222, 2222), ids[16] = add(e, f);
  f = mkf("17 H block disabled", &K_HI, L_OUT4, BLOCK, WL_FILTER_DISABLED, WL_WEIGHT_AUTO, 0);
  c_app(e, f, APP_H), ids[17] = add(e, f);
  f = mkf("18 lo inbound v6 tcp 80", &K_LO, L_IN6, PERMIT, 0, WL_WEIGHT_AUTO, 0);
  c_proto(f, 6), c_port(f, WL_FIELD_LOCAL_PORT, 80, 80), ids[18] = add(e, f);
  f = mkf("19 lo D block from .66", &K_LO, L_IN4, BLOCK, 0, WL_WEIGHT_AUTO, 0);
  c_app(e, f, APP_D), c_addr(f, WL_FIELD_REMOTE_ADDR, "192.168.1.66"), ids[19] = add(e, f);
}

typedef struct arb_case {
  const char *what, *app;
  int dir;
  uint8_t proto;
  const char *local, *remote, *user, *pkg;
  uint32_t action;
  int filter; /* index into the policy; -1: nothing matched (default permit, id 0) */
  uint16_t layer;
  int hard;
} arb_case;

#define OUT WL_DIR_OUT
#define IN WL_DIR_IN
#define ME4 "192.168.1.23:50000"
#define ME6 "[2001:db8::23]:50000"
static const arb_case cases[] = {
    {"hard permit beats lower block", APP_A, OUT, 6, ME4, "1.2.3.4:443", 0, 0, PERMIT, 0, L_OUT4, 1},
    {"no filter matches: default permit", APP_A, OUT, 6, ME4, "1.2.3.4:80", 0, 0, PERMIT, -1, L_OUT4, 0},
    {"soft permit overridden; heavier lower block decides", APP_B, OUT, 6, ME4, "1.2.3.4:443", 0, 0, BLOCK, 5, L_OUT4, 0},
    {"soft permit overridden by lower block", APP_B, OUT, 6, ME4, "1.2.3.4:80", 0, 0, BLOCK, 5, L_OUT4, 0},
    {"weight index 5 block beats index 2 permit", APP_C, OUT, 6, ME4, "10.1.2.3:80", 0, 0, BLOCK, 2, L_OUT4, 0},
    {"soft permit stands when nothing below blocks", APP_C, OUT, 17, ME4, "8.8.8.8:53", 0, 0, PERMIT, 3, L_OUT4, 0},
    {"soft permit overridden by lower 443 block", APP_C, OUT, 6, ME4, "8.8.8.8:443", 0, 0, BLOCK, 4, L_OUT4, 0},
    {"index 9 outweighs exact weight in range 8", APP_E, OUT, 6, ME4, "1.1.1.1:80", 0, 0, PERMIT, 6, L_OUT4, 0},
    {"exact weight in range 10 outweighs index 9", APP_E, OUT, 17, ME4, "1.1.1.1:80", 0, 0, BLOCK, 8, L_OUT4, 0},
    {"v6 layer: hard permit beats lower v6 block", APP_A, OUT, 6, ME6, "[2001:db8::1]:443", 0, 0, PERMIT, 9, L_OUT6, 1},
    {"v6 layer: lower block, v4 filters ignored", APP_D, OUT, 6, ME6, "[2001:db8::1]:443", 0, 0, BLOCK, 10, L_OUT6, 0},
    {"v6 layer: no match", APP_D, OUT, 6, ME6, "[2001:db8::1]:80", 0, 0, PERMIT, -1, L_OUT6, 0},
    {"inbound soft permit on local port", APP_D, IN, 6, "192.168.1.23:3000", "192.168.1.5:50000", 0, 0, PERMIT, 11, L_IN4, 0},
    {"inbound soft permit overridden by lower block", APP_D, IN, 6, "192.168.1.23:3000", "192.168.1.66:50000", 0, 0, BLOCK, 19, L_IN4, 0},
    {"inbound: outbound filters do not apply", APP_D, IN, 6, "192.168.1.23:3001", "192.168.1.5:50000", 0, 0, PERMIT, -1, L_IN4, 0},
    {"inbound loopback: hard port-range permit beats loopback block", "", IN, 6, "127.0.0.1:8080", "127.0.0.1:5000", 0, 0, PERMIT, 13, L_IN4, 1},
    {"inbound loopback block (flags condition)", "", IN, 6, "127.0.0.1:9000", "127.0.0.1:5000", 0, 0, BLOCK, 12, L_IN4, 0},
    {"user SID and address prefix both match", "System", OUT, 6, ME4, "192.0.2.7:80", "S-1-5-18", 0, BLOCK, 14, L_OUT4, 0},
    {"user SID differs", "System", OUT, 6, ME4, "192.0.2.7:80", "S-1-5-20", 0, PERMIT, -1, L_OUT4, 0},
    {"package SID permit", "", OUT, 6, ME6, "[2001:db8::5]:80", 0, PKG, PERMIT, 15, L_OUT6, 0},
    {"same field ORed: second port", APP_G, OUT, 6, ME4, "1.2.3.4:2222", 0, 0, PERMIT, 16, L_OUT4, 0},
    {"same field ORed: neither port", APP_G, OUT, 6, ME4, "1.2.3.4:23", 0, 0, PERMIT, -1, L_OUT4, 0},
    {"disabled filter does not exist", APP_H, OUT, 6, ME4, "1.2.3.4:80", 0, 0, PERMIT, -1, L_OUT4, 0},
    {"lower sublayer permit alone decides", "", IN, 6, "[2001:db8::23]:80", "[2001:db8::9]:40000", 0, 0, PERMIT, 18, L_IN6, 0},
    {"different fields ANDed: protocol differs", "", IN, 17, "[2001:db8::23]:80", "[2001:db8::9]:40000", 0, 0, PERMIT, -1, L_IN6, 0},
};

static void test_arbitration_table(void **st) {
  (void)st;
  uint64_t ids[NF];
  wl_engine *e = open_eng(0);
  drop_baseline(e);
  add_layers(e, 0);
  build_policy(e, ids);
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    const arb_case *c = &cases[i];
    wl_attempt a = mka(c->app, c->dir, c->proto, c->local, c->remote, c->user, c->pkg);
    wl_decision d;
    assert_int_equal(wl_sim_classify(e, &a, &d), WL_OK);
    uint64_t want = c->filter < 0 ? 0 : ids[c->filter];
    if (d.action != c->action || d.filter_id != want || d.layer_id != c->layer ||
        d.matched != (c->filter >= 0) || d.hard != c->hard)
      fail_msg("case %zu (%s): got action 0x%x filter %llu layer %u matched %u hard %u, want "
               "0x%x filter %llu layer %u", i, c->what, (unsigned)d.action,
               (unsigned long long)d.filter_id, d.layer_id, d.matched, d.hard,
               (unsigned)c->action, (unsigned long long)want, c->layer);
  }
  wl_engine_close(e);
}

/* The weight ranges of "Filter Weight Assignment": index i → [i * 2^60, (i+1) * 2^60). */
static void test_effective_weights(void **st) {
  (void)st;
  wl_engine *e = open_eng(0);
  add_layers(e, 0);
  wl_filter got;
  for (uint64_t idx = 0; idx < 16; idx += 5) {
    wl_filter *f = mkf("w", &K_HI, L_OUT4, PERMIT, 0, WL_WEIGHT_INDEX, idx);
    c_port(f, WL_FIELD_REMOTE_PORT, 443, 443);
    uint64_t id = add(e, f);
    assert_int_equal(wl_engine_filter_get_by_id(e, id, &got), WL_OK);
    assert_true(got.effective_weight >> 60 == idx);
  }
  wl_filter *f = mkf("exact", &K_HI, L_OUT4, PERMIT, 0, WL_WEIGHT_EXACT, 0x123456789ULL);
  uint64_t id = add(e, f);
  assert_int_equal(wl_engine_filter_get_by_id(e, id, &got), WL_OK);
  assert_true(got.effective_weight == 0x123456789ULL);
  f = mkf("auto", &K_HI, L_OUT4, PERMIT, 0, WL_WEIGHT_AUTO, 0);
  id = add(e, f);
  assert_int_equal(wl_engine_filter_get_by_id(e, id, &got), WL_OK);
  assert_true(got.effective_weight >> 60 == 0);
  f = mkf("index 16", &K_HI, L_OUT4, PERMIT, 0, WL_WEIGHT_INDEX, 16);
  assert_int_equal(wl_engine_filter_add(e, f), WL_E_INVAL);
  assert_non_null(strstr(wl_errmsg(), "FWP_E_INVALID_WEIGHT"));
  free(f);
  wl_engine_close(e);
}

/* A new state has the Windows-Firewall-like baseline: inbound blocked by its default rule,
 * outbound allowed by its default rule, inbound loopback permitted. */
static void test_baseline(void **st) {
  (void)st;
  static const wl_guid wf = WL_SIM_WF_PROVIDER_KEY, wfs = WL_SIM_WF_SUBLAYER_KEY;
  wl_engine *e = open_eng(0);
  wl_decision d;
  wl_attempt a = mka(APP_A, IN, 6, "192.168.1.23:445", "192.168.1.5:50000", 0, 0);
  assert_int_equal(wl_sim_classify(e, &a, &d), WL_OK);
  assert_int_equal(d.action, BLOCK);
  assert_int_equal(d.filter_id, WL_SIM_ID_IN_BLOCK_V4);
  a = mka(APP_A, IN, 6, "[2001:db8::23]:445", "[2001:db8::5]:50000", 0, 0);
  assert_int_equal(wl_sim_classify(e, &a, &d), WL_OK);
  assert_int_equal(d.filter_id, WL_SIM_ID_IN_BLOCK_V6);
  a = mka(APP_A, OUT, 6, ME4, "1.2.3.4:443", 0, 0);
  assert_int_equal(wl_sim_classify(e, &a, &d), WL_OK);
  assert_int_equal(d.action, PERMIT);
  assert_int_equal(d.filter_id, WL_SIM_ID_OUT_ALLOW_V4);
  a = mka(APP_A, IN, 6, "127.0.0.1:8080", "127.0.0.1:5000", 0, 0);
  assert_int_equal(wl_sim_classify(e, &a, &d), WL_OK);
  assert_int_equal(d.action, PERMIT);
  assert_int_equal(d.filter_id, WL_SIM_ID_IN_LOOPBACK_V4);
  wl_filter f;
  wl_provider p;
  wl_sublayer s;
  assert_int_equal(wl_engine_filter_get_by_id(e, WL_SIM_ID_IN_BLOCK_V4, &f), WL_OK);
  assert_true(wl_guid_eq(&f.provider, &wf) && wl_guid_eq(&f.sublayer, &wfs));
  assert_non_null(strstr(f.name, "default inbound block"));
  assert_int_equal(wl_engine_provider_get(e, &wf, &p), WL_OK);
  assert_string_equal(p.name, WL_SIM_WF_PROVIDER_NAME);
  assert_int_equal(wl_engine_sublayer_get(e, &wfs, &s), WL_OK);
  assert_int_equal(s.weight, WL_SIM_WF_SUBLAYER_WEIGHT);
  /* Both MPSSVC sublayers the sim models sit under their fwpmu.h keys: WSH ...2300, WF ...2301. */
  static const wl_guid wsh = WL_KEY_MPSSVC_WSH_SUBLAYER;
  static const wl_guid wf_real = {0xb3cdd441, 0xaf90, 0x41ba,
                                  {0xa7, 0x45, 0x7c, 0x60, 0x08, 0xff, 0x23, 0x01}};
  assert_true(wl_guid_eq(&wfs, &wf_real));
  assert_int_equal(wl_engine_sublayer_get(e, &wsh, &s), WL_OK);
  assert_int_equal(s.weight, WL_SIM_WSH_SUBLAYER_WEIGHT);
  assert_non_null(strstr(s.name, "Service Hardening"));
  /* A soft permit in a heavier sublayer does not get through the firewall's inbound block; a
   * hard one does. */
  add_layers(e, 0);
  wl_filter *x = mkf("soft in", &K_HI, L_IN4, PERMIT, 0, WL_WEIGHT_AUTO, 0);
  c_port(x, WL_FIELD_LOCAL_PORT, 445, 445);
  add(e, x);
  a = mka(APP_A, IN, 6, "192.168.1.23:445", "192.168.1.5:50000", 0, 0);
  assert_int_equal(wl_sim_classify(e, &a, &d), WL_OK);
  assert_int_equal(d.filter_id, WL_SIM_ID_IN_BLOCK_V4);
  x = mkf("hard in", &K_HI, L_IN4, PERMIT, HARD, WL_WEIGHT_INDEX, 15);
  c_port(x, WL_FIELD_LOCAL_PORT, 445, 445);
  uint64_t hard = add(e, x);
  assert_int_equal(wl_sim_classify(e, &a, &d), WL_OK);
  assert_int_equal(d.action, PERMIT);
  assert_int_equal(d.filter_id, hard);
  wl_engine_close(e);
}

/* ---------------------------------------------------------------- object rules */

static void test_object_rules(void **st) {
  (void)st;
  wl_engine *e = open_eng(0);
  add_layers(e, WL_OBJ_PERSISTENT);
  wl_provider p = {.key = K_PROV, .name = "again"};
  assert_int_equal(wl_engine_provider_add(e, &p), WL_E_EXISTS);
  wl_sublayer s = {.key = K_HI, .name = "again"};
  assert_int_equal(wl_engine_sublayer_add(e, &s), WL_E_EXISTS);
  /* a filter in an unknown sublayer, on an unknown layer, with a v6 address on a v4 layer */
  wl_guid nowhere = {0x99, 9, 9, {9}};
  wl_filter *f = mkf("bad sublayer", &nowhere, L_OUT4, PERMIT, 0, WL_WEIGHT_AUTO, 0);
  assert_int_equal(wl_engine_filter_add(e, f), WL_E_NOTFOUND);
  f->sublayer = K_HI;
  f->layer_id = 47;
  assert_int_equal(wl_engine_filter_add(e, f), WL_E_INVAL);
  f->layer_id = L_OUT4;
  c_addr(f, WL_FIELD_REMOTE_ADDR, "2001:db8::/32");
  assert_int_equal(wl_engine_filter_add(e, f), WL_E_INVAL);
  assert_non_null(strstr(wl_errmsg(), "FWP_E_INCOMPATIBLE_LAYER"));
  f->num_conds = 0;
  f->flags = WL_FILTER_PERSISTENT;
  f->provider = (wl_guid){0};
  uint64_t id = add(e, f); /* persistent filter in persistent sublayer: fine */
  wl_filter got;
  assert_int_equal(wl_engine_filter_get_by_id(e, id, &got), WL_OK);
  /* the key is generated, the sublayer in use cannot go, the provider neither */
  assert_false(wl_guid_eq(&got.key, &(wl_guid){0}));
  assert_int_equal(wl_engine_sublayer_delete(e, &K_HI), WL_E_CONFLICT);
  assert_int_equal(wl_engine_provider_delete(e, &K_PROV), WL_E_CONFLICT);
  wl_filter dup = got;
  assert_int_equal(wl_engine_filter_add(e, &dup), WL_E_EXISTS);
  assert_int_equal(wl_engine_filter_delete(e, &got.key), WL_OK);
  assert_int_equal(wl_engine_filter_delete(e, &got.key), WL_E_NOTFOUND);
  assert_int_equal(wl_engine_filter_get_by_id(e, id, &got), WL_E_NOTFOUND);
  assert_int_equal(wl_engine_sublayer_delete(e, &K_HI), WL_OK);
  /* zero sublayer: the universal one */
  f = mkf("universal", &(wl_guid){0}, L_OUT4, BLOCK, 0, WL_WEIGHT_AUTO, 0);
  id = add(e, f);
  static const wl_guid univ = WL_SIM_UNIVERSAL_SUBLAYER_KEY;
  assert_int_equal(wl_engine_filter_get_by_id(e, id, &got), WL_OK);
  assert_true(wl_guid_eq(&got.sublayer, &univ));
  /* a persistent sublayer cannot hang off a non-persistent provider */
  wl_provider tp = {.key = {0x77, 7, 7, {7}}, .name = "temp"};
  assert_int_equal(wl_engine_provider_add(e, &tp), WL_OK);
  wl_sublayer ps = {.key = {0x78, 7, 7, {7}}, .provider = tp.key, .flags = WL_OBJ_PERSISTENT};
  assert_int_equal(wl_engine_sublayer_add(e, &ps), WL_E_CONFLICT);
  assert_non_null(strstr(wl_errmsg(), "FWP_E_LIFETIME_MISMATCH"));
  wl_engine_close(e);
}

/* ---------------------------------------------------------------- transactions */

static wl_filter *app_block(wl_engine *e, const char *app, const wl_guid *key) {
  wl_filter *f = mkf(app, &K_HI, L_OUT4, BLOCK, 0, WL_WEIGHT_AUTO, 0);
  c_app(e, f, app);
  if (key)
    f->key = *key;
  return f;
}

static size_t count_ours(wl_engine *e) {
  wl_filter *fs = NULL;
  size_t n = 0;
  assert_int_equal(wl_engine_filter_enum(e, &K_PROV, &fs, &n), WL_OK);
  wl_engine_free(fs);
  return n;
}

static void test_transactions(void **st) {
  (void)st;
  const wl_guid kx = {0xA1, 1, 1, {1}}, ky = {0xA2, 2, 2, {2}};
  wl_engine *e = open_eng(0), *other = open_eng(0);
  wl_filter got;
  add_layers(e, 0);
  /* a failing add inside a transaction, then abort: nothing is left */
  assert_int_equal(wl_engine_begin(e), WL_OK);
  assert_int_equal(wl_engine_begin(e), WL_E_CONFLICT);
  add(e, app_block(e, APP_A, &kx));
  wl_filter *bad = app_block(e, APP_B, &ky);
  bad->sublayer = (wl_guid){0x5, 5, 5, {5}};
  assert_int_equal(wl_engine_filter_add(e, bad), WL_E_NOTFOUND);
  free(bad);
  assert_int_equal(wl_engine_filter_get_by_key(e, &kx, &got), WL_OK); /* seen inside */
  assert_int_equal(wl_engine_filter_get_by_key(other, &kx, &got), WL_E_NOTFOUND); /* not outside */
  assert_int_equal(wl_engine_abort(e), WL_OK);
  assert_int_equal(wl_engine_filter_get_by_key(e, &kx, &got), WL_E_NOTFOUND);
  assert_int_equal(count_ours(e), 0);
  assert_int_equal(wl_engine_abort(e), WL_E_CONFLICT);
  /* committed: both, everywhere, and the classifier uses them */
  assert_int_equal(wl_engine_begin(e), WL_OK);
  add(e, app_block(e, APP_A, &kx));
  add(e, app_block(e, APP_B, &ky));
  wl_filter *dup = app_block(e, APP_C, &kx);
  assert_int_equal(wl_engine_filter_add(e, dup), WL_E_EXISTS); /* leaves nothing itself */
  free(dup);
  wl_attempt a = mka(APP_A, OUT, 6, ME4, "1.2.3.4:443", 0, 0);
  wl_decision d;
  assert_int_equal(wl_sim_classify(other, &a, &d), WL_OK);
  assert_int_equal(d.action, PERMIT); /* classification sees only committed policy */
  assert_int_equal(wl_engine_commit(e), WL_OK);
  assert_int_equal(count_ours(other), 2);
  assert_int_equal(wl_sim_classify(other, &a, &d), WL_OK);
  assert_int_equal(d.action, BLOCK);
  assert_int_equal(wl_engine_commit(e), WL_E_CONFLICT);
  /* closing with an open transaction aborts it */
  assert_int_equal(wl_engine_begin(e), WL_OK);
  assert_int_equal(wl_engine_filter_delete(e, &kx), WL_OK);
  wl_engine_close(e);
  assert_int_equal(count_ours(other), 2);
  wl_engine_close(other);
}

/* ---------------------------------------------------------------- sessions */

static void test_dynamic_session_close(void **st) {
  (void)st;
  const wl_guid kd = {0xD1, 1, 1, {1}};
  wl_engine *stat = open_eng(0);
  add_layers(stat, WL_OBJ_PERSISTENT);
  wl_engine *dyn = open_eng(WL_SESSION_DYNAMIC);
  wl_filter *f = app_block(dyn, APP_A, &kd);
  f->flags = WL_FILTER_PERSISTENT;
  assert_int_equal(wl_engine_filter_add(dyn, f), WL_E_CONFLICT); /* not in a dynamic session */
  assert_non_null(strstr(wl_errmsg(), "FWP_E_DYNAMIC_SESSION_IN_PROGRESS"));
  f->flags = 0;
  uint64_t id = add(dyn, f);
  /* visible to another session while alive, and enforced */
  wl_filter got;
  assert_int_equal(wl_engine_filter_get_by_key(stat, &kd, &got), WL_OK);
  wl_attempt a = mka(APP_A, OUT, 6, ME4, "1.2.3.4:443", 0, 0);
  wl_decision d;
  assert_int_equal(wl_sim_classify(stat, &a, &d), WL_OK);
  assert_int_equal(d.filter_id, id);
  wl_engine_close(dyn);
  assert_int_equal(wl_engine_filter_get_by_key(stat, &kd, &got), WL_E_NOTFOUND);
  assert_int_equal(wl_sim_classify(stat, &a, &d), WL_OK);
  assert_int_equal(d.action, PERMIT);
  assert_int_equal(d.filter_id, WL_SIM_ID_OUT_ALLOW_V4);
  wl_engine_close(stat);
}

/* The helper process: add a filter with key KEY blocking APP_A (dynamic: in a dynamic
 * session, then wait to be killed; persistent: persistent, then exit). */
static int child_main(const char *mode, const char *state, const char *key) {
  wl_engine *e = NULL;
  wl_guid k;
  int dynamic = !strcmp(mode, "dynamic");
  snprintf(g_spec, sizeof g_spec, "sim:%s", state);
  if (wl_guid_parse(key, &k) || wl_engine_open(g_spec, dynamic ? WL_SESSION_DYNAMIC : 0, &e)) {
    fprintf(stderr, "child: %s\n", wl_errmsg());
    return 2;
  }
  wl_filter *f = calloc(1, sizeof *f);
  size_t len = 0;
  snprintf(f->name, sizeof f->name, "child %s", mode);
  f->key = k;
  f->layer_id = L_OUT4;
  f->action = BLOCK;
  f->flags = dynamic ? 0 : WL_FILTER_PERSISTENT;
  if (wl_engine_app_id(e, APP_A, f->app_id, sizeof f->app_id, &len) == WL_OK) {
    f->app_id_len = (uint32_t)len;
    f->num_conds = 1;
    f->conds[0].field = WL_FIELD_APP_ID;
  }
  int rc = wl_engine_filter_add(e, f);
  free(f);
  if (rc != WL_OK) {
    fprintf(stderr, "child add: %s\n", wl_errmsg());
    return 2;
  }
  if (!dynamic) {
    wl_engine_close(e);
    return 0;
  }
  for (;;)
    wl_sleep_ms(1000); /* killed by the parent */
}

static uint32_t spawn_child(const char *mode, const wl_guid *key) {
  char exe[1024], keys[WL_GUID_STR_MAX];
  uint32_t pid = 0;
  assert_int_equal(wl_os_exe_path(exe, sizeof exe), WL_OK);
  wl_guid_format(key, keys);
  char *argv[] = {exe, "--child", (char *)mode, g_state, keys, NULL};
  assert_int_equal(wl_os_spawn(argv, NULL, &pid), WL_OK);
  return pid;
}

static int wait_for(wl_engine *e, const wl_guid *key, int present) {
  wl_filter got;
  for (unsigned ms = 0; ms < WAIT_MS; ms += 10) {
    if ((wl_engine_filter_get_by_key(e, key, &got) == WL_OK) == present)
      return 1;
    wl_sleep_ms(10);
  }
  return 0;
}

static void test_dynamic_filter_of_killed_process(void **st) {
  (void)st;
  const wl_guid kc = {0xC1, 1, 1, {1}};
  if (getenv("WL_TEST_ENGINE"))
    skip(); /* the helper opens "sim:" directly */
  wl_engine *e = open_eng(0);
  uint32_t pid = spawn_child("dynamic", &kc);
  assert_true(wait_for(e, &kc, 1));
  wl_attempt a = mka(APP_A, OUT, 6, ME4, "1.2.3.4:443", 0, 0);
  wl_decision d;
  assert_int_equal(wl_sim_classify(e, &a, &d), WL_OK);
  assert_int_equal(d.action, BLOCK); /* the child's dynamic block is enforced here */
  assert_int_equal(wl_os_kill(pid), WL_OK);
  for (unsigned ms = 0; ms < WAIT_MS && wl_os_pid_alive(pid); ms += 10)
    wl_sleep_ms(10);
  assert_false(wl_os_pid_alive(pid));
  wl_filter got;
  assert_int_equal(wl_engine_filter_get_by_key(e, &kc, &got), WL_E_NOTFOUND);
  assert_int_equal(wl_sim_classify(e, &a, &d), WL_OK);
  assert_int_equal(d.action, PERMIT);
  /* and the next write purges it from the file: re-adding the key works */
  wl_filter *f = app_block(e, APP_A, &kc);
  f->sublayer = (wl_guid){0};
  f->provider = (wl_guid){0};
  add(e, f);
  wl_engine_close(e);
}

static void test_persistent_survives(void **st) {
  (void)st;
  const wl_guid kp = {0xE1, 1, 1, {1}}, kq = {0xE2, 2, 2, {2}};
  wl_engine *e = open_eng(0);
  add_layers(e, WL_OBJ_PERSISTENT);
  wl_filter *f = app_block(e, APP_B, &kp);
  f->flags = WL_FILTER_PERSISTENT;
  uint64_t id = add(e, f);
  wl_engine_close(e);
  e = open_eng(0); /* a new open reads it back, same id */
  wl_filter got;
  assert_int_equal(wl_engine_filter_get_by_key(e, &kp, &got), WL_OK);
  assert_int_equal(got.id, id);
  assert_true(got.app_id_len > 2 && got.num_conds == 1);
  assert_int_equal(got.flags, WL_FILTER_PERSISTENT);
  wl_provider p;
  assert_int_equal(wl_engine_provider_get(e, &K_PROV, &p), WL_OK);
  assert_string_equal(p.name, "test provider");
  if (!getenv("WL_TEST_ENGINE")) { /* a persistent filter of another process outlives it */
    uint32_t pid = spawn_child("persistent", &kq);
    assert_true(wait_for(e, &kq, 1));
    for (unsigned ms = 0; ms < WAIT_MS && wl_os_pid_alive(pid); ms += 10)
      wl_sleep_ms(10);
    assert_false(wl_os_pid_alive(pid));
    assert_int_equal(wl_engine_filter_get_by_key(e, &kq, &got), WL_OK);
    assert_true(got.id > id);
  }
  wl_engine_close(e);
}

/* Classification sees every committed change at once, whoever made it: another handle's
 * replace of the state file, and (native) the file rewritten in place. The classify path
 * checks the file cheaply (one fstat on POSIX) instead of reading its header each time. */
static void slurp(const char *path, uint8_t **data, long *len) {
  FILE *f = fopen(path, "rb");
  assert_non_null(f);
  assert_int_equal(fseek(f, 0, SEEK_END), 0);
  *len = ftell(f);
  assert_true(*len > 0);
  rewind(f);
  *data = malloc((size_t)*len);
  assert_non_null(*data);
  assert_int_equal(fread(*data, 1, (size_t)*len, f), (size_t)*len);
  fclose(f);
}

static void test_classify_sees_changes(void **st) {
  (void)st;
  const wl_guid kb = {0xB1, 1, 1, {1}};
  int native = !getenv("WL_TEST_ENGINE");
  wl_engine *a = open_eng(0), *b = open_eng(0);
  add_layers(b, WL_OBJ_PERSISTENT);
  wl_attempt at = mka(APP_A, OUT, 6, ME4, "1.2.3.4:443", 0, 0);
  wl_decision d;
  assert_int_equal(wl_sim_classify(a, &at, &d), WL_OK); /* a's cache is warm now */
  assert_int_equal(d.action, PERMIT);
  uint64_t id = add(b, app_block(b, APP_A, &kb));
  assert_int_equal(wl_sim_classify(a, &at, &d), WL_OK);
  assert_int_equal(d.action, BLOCK);
  assert_int_equal(d.filter_id, id);
  uint8_t *with = NULL;
  long len = 0;
  if (native)
    slurp(g_state, &with, &len);
  assert_int_equal(wl_engine_filter_delete(b, &kb), WL_OK);
  assert_int_equal(wl_sim_classify(a, &at, &d), WL_OK);
  assert_int_equal(d.action, PERMIT);
  if (native) { /* the older state written back over the same file (same inode) */
    FILE *f = fopen(g_state, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(with, 1, (size_t)len, f), (size_t)len);
    fclose(f);
    assert_int_equal(wl_sim_classify(a, &at, &d), WL_OK);
    assert_int_equal(d.action, BLOCK);
    assert_int_equal(d.filter_id, id);
  }
  free(with);
  wl_engine_close(b);
  wl_engine_close(a);
}

/* ---------------------------------------------------------------- app ids, drive map */

static void expect_app_id(wl_engine *e, const char *path, const char *nt) {
  uint8_t buf[WL_APP_ID_MAX], want[WL_APP_ID_MAX];
  size_t len = 0, n = strlen(nt);
  assert_int_equal(wl_engine_app_id(e, path, buf, sizeof buf, &len), WL_OK);
  for (size_t i = 0; i < n; i++) {
    want[2 * i] = (uint8_t)nt[i];
    want[2 * i + 1] = 0;
  }
  want[2 * n] = want[2 * n + 1] = 0;
  assert_int_equal(len, 2 * n + 2); /* UTF-16LE with the terminator, as WFP sizes it */
  assert_memory_equal(buf, want, len);
}

static void test_app_id(void **st) {
  (void)st;
  wl_engine *e = open_eng(0);
  static const char *files[] = {"C:\\Program Files\\Google\\Chrome.EXE", "d:/Tools/X.exe",
                                "\\\\Server\\Share\\a.exe", "E:\\x.exe", "C:\\x.exe"};
  uint8_t buf[WL_APP_ID_MAX];
  size_t len;
  /* FwpmGetAppIdFromFileName0 needs the file (issue 12, item 8) */
  assert_int_equal(wl_engine_app_id(e, files[0], buf, sizeof buf, &len), WL_E_NOTFOUND);
  assert_non_null(strstr(wl_errmsg(), "no such file"));
  for (size_t i = 0; i < sizeof files / sizeof files[0]; i++)
    assert_int_equal(wl_sim_set_file(e, files[i], 1), WL_OK);
  assert_int_equal(wl_sim_set_file(e, "System", 1), WL_E_INVAL);
  expect_app_id(e, "C:\\Windows\\System32\\svchost.exe", /* the baseline has it */
                "\\device\\harddiskvolume3\\windows\\system32\\svchost.exe");
  expect_app_id(e, "C:\\Program Files\\Google\\Chrome.EXE",
                "\\device\\harddiskvolume3\\program files\\google\\chrome.exe");
  expect_app_id(e, "d:/Tools/X.exe", "\\device\\harddiskvolume4\\tools\\x.exe");
  expect_app_id(e, "\\Device\\HarddiskVolume9\\A.exe", "\\device\\harddiskvolume9\\a.exe");
  expect_app_id(e, "\\\\Server\\Share\\a.exe", "\\device\\mup\\server\\share\\a.exe");
  expect_app_id(e, "System", "System");
  assert_int_equal(wl_sim_set_file(e, "c:/program files/google/chrome.exe", 0), WL_OK);
  assert_int_equal(wl_engine_app_id(e, files[0], buf, sizeof buf, &len), WL_E_NOTFOUND);
  assert_int_equal(wl_sim_set_file(e, files[0], 1), WL_OK);
  /* A renumbered volume keeps its files; the app id follows the new device (item 15). */
  assert_int_equal(wl_sim_set_drive(e, 'D', "\\device\\harddiskvolume8"), WL_OK);
  expect_app_id(e, "d:/Tools/X.exe", "\\device\\harddiskvolume8\\tools\\x.exe");
  assert_int_equal(wl_sim_set_drive(e, 'D', WL_SIM_DEFAULT_DRIVE_D), WL_OK);
  assert_int_equal(wl_engine_app_id(e, "E:\\x.exe", buf, sizeof buf, &len), WL_E_NOTFOUND);
  assert_int_equal(wl_engine_app_id(e, "C:\\x.exe", buf, 10, &len), WL_E_TOOBIG);
  assert_int_equal(wl_sim_set_drive(e, 'e', "\\Device\\HarddiskVolume7"), WL_OK);
  expect_app_id(e, "E:\\x.exe", "\\device\\harddiskvolume7\\x.exe");
  wl_drive map[26];
  size_t n = 0;
  assert_int_equal(wl_engine_drive_map(e, map, 26, &n), WL_OK);
  assert_int_equal(n, 3);
  assert_int_equal(map[0].letter, 'C');
  assert_string_equal(map[0].device, WL_SIM_DEFAULT_DRIVE_C);
  assert_string_equal(map[2].device, "\\device\\harddiskvolume7");
  assert_int_equal(wl_sim_set_drive(e, 'C', NULL), WL_OK);
  assert_int_equal(wl_engine_app_id(e, "C:\\x.exe", buf, sizeof buf, &len), WL_E_NOTFOUND);
  assert_int_equal(wl_sim_set_drive(e, '1', "x"), WL_E_INVAL);
  wl_engine_close(e);
  e = open_eng(0); /* the map is part of the state */
  assert_int_equal(wl_engine_drive_map(e, map, 26, &n), WL_OK);
  assert_int_equal(n, 2);
  wl_engine_close(e);
}

static void test_specs(void **st) {
  (void)st;
  wl_engine *e = (wl_engine *)1;
  assert_int_equal(wl_engine_open("bogus", 0, &e), WL_E_INVAL);
  assert_null(e);
  assert_int_equal(wl_engine_open("sim:", 0, &e), WL_E_INVAL);
#if WL_TEST_NATIVE /* set by tests/CMakeLists.txt for non-Windows builds: no fwpuclnt backend there */
  assert_int_equal(wl_engine_open("wfp", 0, &e), WL_E_UNSUPPORTED);
  assert_non_null(strstr(wl_errmsg(), "sim"));
#endif
  e = open_eng(0);
  assert_string_equal(wl_engine_kind(e), getenv("WL_TEST_ENGINE") ? wl_engine_kind(e) : "sim");
  assert_int_equal(wl_engine_event_version(e) >= 0, 1);
  wl_engine_close(e);
  wl_engine_close(NULL);
  /* a damaged state file is refused, not trusted */
  if (!getenv("WL_TEST_ENGINE")) {
    FILE *f = fopen(g_state, "r+b");
    assert_non_null(f);
    fseek(f, 60, SEEK_SET);
    fputc('X', f);
    fclose(f);
    assert_int_equal(wl_engine_open(g_spec, 0, &e), WL_E_CORRUPT);
  }
}

int main(int argc, char **argv) {
  if (argc == 5 && !strcmp(argv[1], "--child"))
    return child_main(argv[2], argv[3], argv[4]);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_arbitration_table, setup, teardown),
      cmocka_unit_test_setup_teardown(test_effective_weights, setup, teardown),
      cmocka_unit_test_setup_teardown(test_baseline, setup, teardown),
      cmocka_unit_test_setup_teardown(test_object_rules, setup, teardown),
      cmocka_unit_test_setup_teardown(test_transactions, setup, teardown),
      cmocka_unit_test_setup_teardown(test_dynamic_session_close, setup, teardown),
      cmocka_unit_test_setup_teardown(test_dynamic_filter_of_killed_process, setup, teardown),
      cmocka_unit_test_setup_teardown(test_persistent_survives, setup, teardown),
      cmocka_unit_test_setup_teardown(test_classify_sees_changes, setup, teardown),
      cmocka_unit_test_setup_teardown(test_app_id, setup, teardown),
      cmocka_unit_test_setup_teardown(test_specs, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
