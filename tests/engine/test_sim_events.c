/* test_sim_events.c — the sim's net events: the collection option and keywords decide what is
 * emitted (off → nothing; on → drops only; CLASSIFY_ALLOW → allows too; inbound multicast and
 * broadcast only with their keywords), the event carries the deciding filter and layer and
 * exactly the header fields the sim knows, delivery happens on another thread, a subscriber
 * that says WL_E_FULL gets the same event again (nothing lost, order kept), unsubscribe stops
 * delivery, and enum_events reads the buffer with origin BACKFILL. Every allow event is
 * followed by its ALE_FLOW_ESTABLISHED twin (issue 12, item 4): the sinks below count those
 * apart (`flow`) and keep only the auth-layer events. Also run under TSan.
 */
#include "common/wl_thread.h"
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

#define MAX_SEEN 4096
#define DRAIN_MS 20000u

static char g_state[512], g_spec[600];
static int g_serial;

static int setup(void **st) {
  (void)st;
  const char *env = getenv("WL_TEST_ENGINE");
  snprintf(g_state, sizeof g_state, "test_sim_ev_%u_%d.state", (unsigned)wl_os_pid(), ++g_serial);
  if (env && *env)
    snprintf(g_spec, sizeof g_spec, "%s", env);
  else
    snprintf(g_spec, sizeof g_spec, "sim:%s", g_state);
  return 0;
}

static int teardown(void **st) {
  (void)st;
  char p[600];
  remove(g_state);
  snprintf(p, sizeof p, "%s.lock", g_state);
  remove(p);
  return 0;
}

/* What a subscriber saw. `full_first` makes it refuse the first N deliveries with WL_E_FULL. */
typedef struct sink {
  wl_mutex mu;
  size_t n, refusals, full_first, flow; /* flow: FLOW_ESTABLISHED events seen */
  int other_thread; /* 1 once a callback ran on a thread other than the test's */
  wl_raw_event *ev;
} sink;

/* The ALE_FLOW_ESTABLISHED allow event the sim sends after each allow (sim_events.c). */
static int is_flow(const wl_raw_event *ev) {
  return ev->layer_id == WL_LAYER_ALE_FLOW_ESTABLISHED_V4 ||
         ev->layer_id == WL_LAYER_ALE_FLOW_ESTABLISHED_V6;
}

static _Thread_local int on_test_thread; /* set on the thread that runs the tests */

static void sink_init(sink *s, size_t full_first) {
  memset(s, 0, sizeof *s);
  wl_mutex_init(&s->mu);
  on_test_thread = 1;
  s->full_first = full_first;
  s->ev = calloc(MAX_SEEN, sizeof *s->ev);
  assert_non_null(s->ev);
}

static void sink_free(sink *s) {
  wl_mutex_destroy(&s->mu);
  free(s->ev);
}

static int sink_cb(void *ctx, const wl_raw_event *ev) {
  sink *s = ctx;
  int rc = WL_OK;
  wl_mutex_lock(&s->mu);
  if (!on_test_thread)
    s->other_thread = 1;
  if (s->refusals < s->full_first) {
    s->refusals++;
    rc = WL_E_FULL;
  } else if (is_flow(ev)) {
    s->flow++;
  } else if (s->n < MAX_SEEN) {
    s->ev[s->n++] = *ev;
  }
  wl_mutex_unlock(&s->mu);
  return rc;
}

static size_t sink_count(sink *s) {
  wl_mutex_lock(&s->mu);
  size_t n = s->n;
  wl_mutex_unlock(&s->mu);
  return n;
}

static wl_engine *open_eng(void) {
  wl_engine *e = NULL;
  assert_int_equal(wl_engine_open(g_spec, 0, &e), WL_OK);
  return e;
}

#define USER "S-1-5-21-3623811015-3361044348-30300820-1013"
#define APP "C:\\Program Files\\App\\App.exe"
#define APP_NT "\\device\\harddiskvolume3\\program files\\app\\app.exe"

static wl_attempt mka(int dir, const char *local, const char *remote, uint64_t ts) {
  wl_attempt a;
  uint8_t rv;
  memset(&a, 0, sizeof a);
  a.ts = ts;
  snprintf(a.app, sizeof a.app, "%s", APP);
  snprintf(a.user, sizeof a.user, "%s", USER);
  a.dir = (uint8_t)dir;
  a.proto = 6;
  a.has_ports = 1;
  assert_int_equal(wl_endpoint_parse(local, strlen(local), &a.ip_version, a.local_addr,
                                     &a.local_port), WL_OK);
  assert_int_equal(wl_endpoint_parse(remote, strlen(remote), &rv, a.remote_addr,
                                     &a.remote_port), WL_OK);
  return a;
}

static void set_opts(wl_engine *e, uint32_t collect, uint32_t keywords) {
  uint32_t v = 99;
  assert_int_equal(wl_engine_set_option(e, WL_OPT_COLLECT_NET_EVENTS, collect), WL_OK);
  assert_int_equal(wl_engine_set_option(e, WL_OPT_NET_EVENT_MATCH_ANY_KEYWORDS, keywords), WL_OK);
  assert_int_equal(wl_engine_get_option(e, WL_OPT_COLLECT_NET_EVENTS, &v), WL_OK);
  assert_int_equal(v, collect);
  assert_int_equal(wl_engine_get_option(e, WL_OPT_NET_EVENT_MATCH_ANY_KEYWORDS, &v), WL_OK);
  assert_int_equal(v, keywords);
}

/* One outbound (allowed by the baseline) and one inbound (blocked by it). */
static void classify_pair(wl_engine *e, uint64_t ts) {
  wl_decision d;
  wl_attempt out = mka(WL_DIR_OUT, "192.168.1.23:50000", "142.250.74.46:443", ts);
  wl_attempt in = mka(WL_DIR_IN, "192.168.1.23:445", "192.168.1.5:50001", ts + 1);
  assert_int_equal(wl_sim_classify(e, &out, &d), WL_OK);
  assert_int_equal(d.action, WL_ACTION_PERMIT);
  assert_int_equal(wl_sim_classify(e, &in, &d), WL_OK);
  assert_int_equal(d.action, WL_ACTION_BLOCK);
}

static int count_cb(void *ctx, const wl_raw_event *ev) {
  *(size_t *)ctx += !is_flow(ev);
  return WL_OK;
}

static void run_options_case(uint32_t collect, uint32_t keywords, size_t want_drops,
                             size_t want_allows) {
  sink s;
  wl_subscription *sub = NULL;
  size_t buffered = 0;
  wl_engine *e = open_eng();
  sink_init(&s, 0);
  set_opts(e, collect, keywords);
  assert_int_equal(wl_engine_subscribe(e, sink_cb, &s, &sub), WL_OK);
  classify_pair(e, 1000);
  assert_int_equal(wl_sim_drain(e, DRAIN_MS), WL_OK);
  size_t drops = 0, allows = 0;
  for (size_t i = 0; i < sink_count(&s); i++) {
    drops += s.ev[i].type == WL_RAW_TYPE_CLASSIFY_DROP;
    allows += s.ev[i].type == WL_RAW_TYPE_CLASSIFY_ALLOW;
  }
  assert_int_equal(drops, want_drops);
  assert_int_equal(allows, want_allows);
  assert_int_equal(sink_count(&s), want_drops + want_allows);
  assert_int_equal(s.flow, want_allows); /* one FLOW_ESTABLISHED event per allowed connection */
  assert_int_equal(wl_engine_enum_events(e, 0, count_cb, &buffered), WL_OK);
  assert_int_equal(buffered, want_drops + want_allows); /* the buffer holds what was emitted */
  assert_int_equal(wl_engine_unsubscribe(e, sub), WL_OK);
  wl_engine_close(e);
  sink_free(&s);
}

static void test_collection_off(void **st) {
  (void)st;
  run_options_case(0, WL_KW_CLASSIFY_ALLOW, 0, 0);
}

static void test_drops_only_without_allow_keyword(void **st) {
  (void)st;
  run_options_case(1, 0, 1, 0);
}

static void test_allow_keyword_gives_both(void **st) {
  (void)st;
  run_options_case(1, WL_KW_CLASSIFY_ALLOW, 1, 1);
}

/* Every field of both events, as the FWPM_NET_EVENT header would carry it. */
static void test_event_fields(void **st) {
  (void)st;
  sink s;
  wl_subscription *sub = NULL;
  wl_engine *e = open_eng();
  sink_init(&s, 0);
  set_opts(e, 1, WL_KW_CLASSIFY_ALLOW);
  assert_int_equal(wl_engine_subscribe(e, sink_cb, &s, &sub), WL_OK);
  classify_pair(e, 133000000000000000ULL);
  wl_decision d;
  wl_attempt v6 = mka(WL_DIR_OUT, "[2001:db8:1::23]:50000", "[2001:db8:1::1]:53", 7);
  v6.proto = 17;
  v6.user[0] = '\0';
  v6.app[0] = '\0';
  assert_int_equal(wl_sim_classify(e, &v6, &d), WL_OK);
  assert_int_equal(d.event_type, WL_RAW_TYPE_CLASSIFY_ALLOW);
  assert_int_equal(wl_sim_drain(e, DRAIN_MS), WL_OK);
  assert_int_equal(sink_count(&s), 3);
  assert_true(s.other_thread); /* delivered on the sim's delivery thread, like BFE */
  const uint32_t base = WL_RAW_IP_PROTOCOL_SET | WL_RAW_LOCAL_ADDR_SET | WL_RAW_REMOTE_ADDR_SET |
                        WL_RAW_LOCAL_PORT_SET | WL_RAW_REMOTE_PORT_SET | WL_RAW_IP_VERSION_SET;
  const wl_raw_event *a = &s.ev[0], *b = &s.ev[1], *c = &s.ev[2];
  assert_int_equal(a->type, WL_RAW_TYPE_CLASSIFY_ALLOW);
  assert_int_equal(a->flags, base | WL_RAW_APP_ID_SET | WL_RAW_USER_ID_SET);
  assert_true(a->timestamp == 133000000000000000ULL);
  assert_int_equal(a->filter_id, WL_SIM_ID_OUT_ALLOW_V4);
  assert_int_equal(a->layer_id, WL_LAYER_ALE_AUTH_CONNECT_V4);
  assert_int_equal(a->direction, WL_RAW_FWP_DIRECTION_OUTBOUND); /* allow: 0, as BFE (sim_classify.c) */
  assert_int_equal(a->ip_version, WL_RAW_IP_V4);
  assert_int_equal(a->ip_protocol, 6);
  assert_int_equal(a->origin, WL_ORIGIN_SIM);
  assert_int_equal(a->has_payload, 1);
  assert_int_equal(a->local_port, 50000);
  assert_int_equal(a->remote_port, 443);
  uint32_t host = 0;
  memcpy(&host, a->remote_addr, 4); /* IPv4 as the host-order UINT32 */
  assert_int_equal(host, (142u << 24) | (250u << 16) | (74u << 8) | 46u);
  uint8_t want[WL_APP_ID_MAX], sid[WL_SID_MAX];
  size_t n = strlen(APP_NT);
  for (size_t i = 0; i < n; i++)
    want[2 * i] = (uint8_t)APP_NT[i], want[2 * i + 1] = 0;
  want[2 * n] = want[2 * n + 1] = 0;
  assert_int_equal(a->app_id_size, 2 * n + 2); /* NUL included, as WFP does */
  assert_int_equal(a->app_id_copied, 2 * n + 2);
  assert_memory_equal(a->app_id, want, 2 * n + 2);
  int sl = wl_sid_from_string(USER, sid);
  assert_int_equal(a->user_sid_len, sl);
  assert_memory_equal(a->user_sid, sid, (size_t)sl);
  assert_int_equal(b->type, WL_RAW_TYPE_CLASSIFY_DROP);
  assert_int_equal(b->filter_id, WL_SIM_ID_IN_BLOCK_V4);
  assert_int_equal(b->layer_id, WL_LAYER_ALE_AUTH_RECV_ACCEPT_V4);
  assert_int_equal(b->direction, WL_RAW_DIR_IN);
  assert_int_equal(c->flags, base); /* no app, no user: their flags stay clear */
  assert_int_equal(c->ip_version, WL_RAW_IP_V6);
  assert_int_equal(c->layer_id, WL_LAYER_ALE_AUTH_CONNECT_V6);
  assert_int_equal(c->filter_id, WL_SIM_ID_OUT_ALLOW_V6);
  assert_int_equal(c->remote_addr[0], 0x20);
  assert_int_equal(c->remote_addr[15], 1);
  assert_int_equal(s.flow, 2); /* the two allows' FLOW_ESTABLISHED twins */
  assert_int_equal(wl_engine_unsubscribe(e, sub), WL_OK);
  wl_engine_close(e);
  sink_free(&s);
}

/* The FLOW_ESTABLISHED allow event right after an allowed attempt's auth event: the same
 * header and filter, the flow-established layer, a real FWP_DIRECTION (issue 12, item 4). */
static int keep_all(void *ctx, const wl_raw_event *ev) {
  sink *s = ctx;
  wl_mutex_lock(&s->mu);
  if (s->n < MAX_SEEN)
    s->ev[s->n++] = *ev;
  wl_mutex_unlock(&s->mu);
  return WL_OK;
}

static void test_flow_established_twin(void **st) {
  (void)st;
  sink s;
  wl_subscription *sub = NULL;
  wl_engine *e = open_eng();
  sink_init(&s, 0);
  set_opts(e, 1, WL_KW_CLASSIFY_ALLOW);
  assert_int_equal(wl_engine_subscribe(e, keep_all, &s, &sub), WL_OK);
  classify_pair(e, 1000);
  assert_int_equal(wl_sim_drain(e, DRAIN_MS), WL_OK);
  assert_int_equal(sink_count(&s), 3); /* allow, its twin, drop (no twin) */
  const wl_raw_event *a = &s.ev[0], *t = &s.ev[1];
  assert_int_equal(a->layer_id, WL_LAYER_ALE_AUTH_CONNECT_V4);
  assert_int_equal(t->type, WL_RAW_TYPE_CLASSIFY_ALLOW);
  assert_int_equal(t->layer_id, WL_LAYER_ALE_FLOW_ESTABLISHED_V4);
  assert_int_equal(t->direction, WL_RAW_FWP_DIRECTION_OUTBOUND);
  assert_true(t->filter_id == a->filter_id && t->timestamp == a->timestamp);
  assert_int_equal(t->flags, a->flags);
  assert_memory_equal(t->app_id, a->app_id, a->app_id_copied);
  assert_int_equal(s.ev[2].type, WL_RAW_TYPE_CLASSIFY_DROP);
  assert_int_equal(wl_engine_unsubscribe(e, sub), WL_OK);
  wl_engine_close(e);
  sink_free(&s);
}

/* A filter the test adds decides: its id and layer are in the event. */
static void test_event_names_deciding_filter(void **st) {
  (void)st;
  sink s;
  wl_subscription *sub = NULL;
  wl_engine *e = open_eng();
  sink_init(&s, 0);
  set_opts(e, 1, 0);
  wl_filter *f = calloc(1, sizeof *f);
  size_t len = 0;
  snprintf(f->name, sizeof f->name, "block app 443 v6");
  f->layer_id = WL_LAYER_ALE_AUTH_CONNECT_V6;
  f->action = WL_ACTION_BLOCK;
  assert_int_equal(wl_sim_set_file(e, APP, 1), WL_OK);
  assert_int_equal(wl_engine_app_id(e, APP, f->app_id, sizeof f->app_id, &len), WL_OK);
  f->app_id_len = (uint32_t)len;
  f->num_conds = 1;
  f->conds[0].field = WL_FIELD_APP_ID;
  assert_int_equal(wl_engine_filter_add(e, f), WL_OK);
  assert_int_equal(wl_engine_subscribe(e, sink_cb, &s, &sub), WL_OK);
  wl_attempt a = mka(WL_DIR_OUT, "[2001:db8:1::23]:50000", "[2001:db8::8]:443", 5);
  wl_decision d;
  assert_int_equal(wl_sim_classify(e, &a, &d), WL_OK);
  assert_int_equal(wl_sim_drain(e, DRAIN_MS), WL_OK);
  assert_int_equal(sink_count(&s), 1);
  assert_int_equal(s.ev[0].filter_id, f->id);
  assert_int_equal(s.ev[0].layer_id, WL_LAYER_ALE_AUTH_CONNECT_V6);
  assert_int_equal(s.ev[0].type, WL_RAW_TYPE_CLASSIFY_DROP);
  free(f);
  wl_engine_unsubscribe(e, sub);
  wl_engine_close(e);
  sink_free(&s);
}

static void test_mcast_bcast_keywords(void **st) {
  (void)st;
  wl_engine *e = open_eng();
  wl_decision d;
  wl_attempt m = mka(WL_DIR_IN, "239.255.255.250:1900", "192.168.1.5:50000", 1);
  wl_attempt b = mka(WL_DIR_IN, "192.168.1.255:137", "192.168.1.5:137", 2);
  set_opts(e, 1, 0);
  assert_int_equal(wl_sim_classify(e, &m, &d), WL_OK);
  assert_int_equal(d.action, WL_ACTION_BLOCK);
  assert_int_equal(d.event_type, 0);
  assert_int_equal(wl_sim_classify(e, &b, &d), WL_OK);
  assert_int_equal(d.event_type, 0);
  set_opts(e, 1, WL_KW_INBOUND_MCAST | WL_KW_INBOUND_BCAST);
  assert_int_equal(wl_sim_classify(e, &m, &d), WL_OK);
  assert_int_equal(d.event_type, WL_RAW_TYPE_CLASSIFY_DROP);
  assert_int_equal(wl_sim_classify(e, &b, &d), WL_OK);
  assert_int_equal(d.event_type, WL_RAW_TYPE_CLASSIFY_DROP);
  wl_engine_close(e);
}

/* More events than the queue holds, to a subscriber that refuses the first ones: all arrive,
 * in order, and classify waited instead of dropping. */
static void test_full_subscriber_loses_nothing(void **st) {
  (void)st;
  sink s;
  wl_subscription *sub = NULL;
  wl_engine *e = open_eng();
  const size_t n = 3000;
  sink_init(&s, 25);
  set_opts(e, 1, WL_KW_CLASSIFY_ALLOW);
  assert_int_equal(wl_engine_subscribe(e, sink_cb, &s, &sub), WL_OK);
  for (size_t i = 0; i < n; i++) {
    wl_decision d;
    wl_attempt a = mka(WL_DIR_OUT, "192.168.1.23:50000", "1.2.3.4:443", 100 + i);
    assert_int_equal(wl_sim_classify(e, &a, &d), WL_OK);
  }
  assert_int_equal(wl_sim_drain(e, DRAIN_MS), WL_OK);
  assert_int_equal(sink_count(&s), n);
  assert_int_equal(s.refusals, 25);
  for (size_t i = 0; i < n; i++)
    assert_true(s.ev[i].timestamp == 100 + i);
  /* after unsubscribe nothing more arrives */
  assert_int_equal(wl_engine_unsubscribe(e, sub), WL_OK);
  wl_decision d;
  wl_attempt a = mka(WL_DIR_OUT, "192.168.1.23:50000", "1.2.3.4:443", 1);
  assert_int_equal(wl_sim_classify(e, &a, &d), WL_OK);
  assert_int_equal(wl_sim_drain(e, DRAIN_MS), WL_OK);
  assert_int_equal(sink_count(&s), n);
  wl_engine_close(e);
  sink_free(&s);
}

typedef struct enum_ctx {
  size_t n;
  uint64_t first_ts;
  int all_backfill;
} enum_ctx;

static int enum_cb(void *ctx, const wl_raw_event *ev) {
  enum_ctx *c = ctx;
  if (is_flow(ev))
    return WL_OK;
  if (c->n++ == 0)
    c->first_ts = ev->timestamp;
  c->all_backfill &= ev->origin == WL_ORIGIN_BACKFILL;
  return WL_OK;
}

/* The buffer without any subscriber: the last events, oldest first, after `since`. */
static void test_enum_events(void **st) {
  (void)st;
  wl_engine *e = open_eng();
  set_opts(e, 1, WL_KW_CLASSIFY_ALLOW);
  for (uint64_t i = 1; i <= 50; i++) {
    wl_decision d;
    wl_attempt a = mka(WL_DIR_OUT, "192.168.1.23:50000", "1.2.3.4:443", i * 10);
    assert_int_equal(wl_sim_classify(e, &a, &d), WL_OK);
  }
  enum_ctx c = {0, 0, 1};
  assert_int_equal(wl_engine_enum_events(e, 0, enum_cb, &c), WL_OK);
  assert_int_equal(c.n, 50);
  assert_true(c.first_ts == 10);
  assert_true(c.all_backfill);
  c = (enum_ctx){0, 0, 1};
  assert_int_equal(wl_engine_enum_events(e, 250, enum_cb, &c), WL_OK); /* exclusive */
  assert_int_equal(c.n, 25);
  assert_true(c.first_ts == 260);
  wl_engine_close(e);
}

/* One handle, several threads: two classify while a third adds and deletes filters; every
 * event arrives (checked under TSan in the tsan flavour). */
typedef struct thr_ctx {
  wl_engine *e;
  uint64_t base;
  int failed; /* 1 when a classify failed */
} thr_ctx;

static void *classify_thread(void *arg) {
  thr_ctx *c = arg;
  for (uint64_t i = 0; i < 300; i++) {
    wl_decision d;
    wl_attempt a = mka(WL_DIR_OUT, "192.168.1.23:50000", "1.2.3.4:443", c->base + i);
    if (wl_sim_classify(c->e, &a, &d) != WL_OK) {
      c->failed = 1;
      return NULL;
    }
  }
  return NULL;
}

static void test_threads_share_handle(void **st) {
  (void)st;
  sink s;
  wl_subscription *sub = NULL;
  wl_engine *e = open_eng();
  sink_init(&s, 0);
  set_opts(e, 1, WL_KW_CLASSIFY_ALLOW);
  assert_int_equal(wl_engine_subscribe(e, sink_cb, &s, &sub), WL_OK);
  wl_thread t1, t2;
  thr_ctx c1 = {e, 1000, 0}, c2 = {e, 5000, 0};
  assert_int_equal(wl_thread_start(&t1, classify_thread, &c1), 0);
  assert_int_equal(wl_thread_start(&t2, classify_thread, &c2), 0);
  for (int i = 0; i < 20; i++) {
    wl_filter *f = calloc(1, sizeof *f);
    f->layer_id = WL_LAYER_ALE_AUTH_CONNECT_V4;
    f->action = WL_ACTION_PERMIT;
    f->num_conds = 1;
    f->conds[0].field = WL_FIELD_REMOTE_PORT;
    f->conds[0].port_lo = (uint16_t)(1000 + i);
    assert_int_equal(wl_engine_filter_add(e, f), WL_OK);
    if (i % 2)
      assert_int_equal(wl_engine_filter_delete(e, &f->key), WL_OK);
    free(f);
  }
  wl_thread_join(&t1);
  wl_thread_join(&t2);
  assert_int_equal(c1.failed, 0);
  assert_int_equal(c2.failed, 0);
  assert_int_equal(wl_sim_drain(e, DRAIN_MS), WL_OK);
  assert_int_equal(sink_count(&s), 600);
  wl_filter *fs = NULL;
  size_t n = 0;
  assert_int_equal(wl_engine_filter_enum(e, NULL, &fs, &n), WL_OK);
  assert_int_equal(n, 8 + 10); /* baseline (WF 6, WSH 2) + the ones not deleted */
  wl_engine_free(fs);
  wl_engine_unsubscribe(e, sub);
  wl_engine_close(e);
  sink_free(&s);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_collection_off, setup, teardown),
      cmocka_unit_test_setup_teardown(test_drops_only_without_allow_keyword, setup, teardown),
      cmocka_unit_test_setup_teardown(test_allow_keyword_gives_both, setup, teardown),
      cmocka_unit_test_setup_teardown(test_flow_established_twin, setup, teardown),
      cmocka_unit_test_setup_teardown(test_event_fields, setup, teardown),
      cmocka_unit_test_setup_teardown(test_event_names_deciding_filter, setup, teardown),
      cmocka_unit_test_setup_teardown(test_mcast_bcast_keywords, setup, teardown),
      cmocka_unit_test_setup_teardown(test_full_subscriber_loses_nothing, setup, teardown),
      cmocka_unit_test_setup_teardown(test_enum_events, setup, teardown),
      cmocka_unit_test_setup_teardown(test_threads_share_handle, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
