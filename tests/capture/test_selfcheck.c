/* test_selfcheck.c — issue 19, item 1: learn notices when allow events do not come.
 *
 *  - the sim's connection table: an allowed attempt opens a connection (TCP established, UDP a
 *    bound endpoint), a blocked one does not; suppressing allow events (the Windows 11 build
 *    that delivered only drops) keeps the connection and loses the events;
 *  - a live capture ("wfp" source on a sim engine, traffic classified from the side) with allow
 *    events suppressed: within the settling time the self-check logs the warning, writes
 *    WL_META_BLIND_SINCE and the capture keeps going; allow events back: no longer blind;
 *  - the same traffic with allow events delivered: no warning.
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
#include "capture/capture.h"
#include "engine/sim/sim.h"
#include "store/store.h"
#include "tests/support/test_files.h"

#define SETTLE_MS 300u

typedef struct fixture {
  char db[1024], state[1024], spec[1100];
  wl_store *store;
  wl_engine *e; /* our own handle on the same sim: classifies from the side */
  char log[8][512];
  int nlog;
} fixture;

static void fx_init(fixture *f, const char *name) {
  char n[128];
  memset(f, 0, sizeof *f);
  snprintf(n, sizeof n, "selfcheck_%s.db", name);
  wl_test_path(f->db, sizeof f->db, n);
  snprintf(n, sizeof n, "selfcheck_%s.state", name);
  wl_test_path(f->state, sizeof f->state, n);
  snprintf(f->spec, sizeof f->spec, "sim:%s", f->state);
  wl_test_remove_db(f->db);
  wl_test_remove_state(f->state);
  assert_int_equal(wl_store_open(f->db, NULL, &f->store), WL_OK);
  assert_int_equal(wl_engine_open(f->spec, 0, &f->e), WL_OK);
}

static void fx_done(fixture *f) {
  wl_engine_close(f->e);
  wl_store_close(f->store);
  wl_test_remove_db(f->db);
  wl_test_remove_state(f->state);
}

static void keep_log(void *ctx, const char *line) {
  fixture *f = ctx;
  if (f->nlog < 8)
    wl_strlcpy(f->log[f->nlog++], line, sizeof f->log[0]);
}

static int logged(const fixture *f, const char *what) {
  for (int i = 0; i < f->nlog; i++)
    if (strstr(f->log[i], what))
      return 1;
  return 0;
}

static void attempt(wl_engine *e, const char *dir, const char *proto, const char *remote,
                    wl_decision *d) {
  char line[256];
  wl_attempt a;
  snprintf(line, sizeof line,
           "{\"ts\":\"2026-11-02T10:00:00Z\",\"app\":\"C:\\\\x\\\\b.exe\",\"dir\":\"%s\","
           "\"proto\":\"%s\",\"local\":\"10.0.0.5:50000\",\"remote\":\"%s\"}",
           dir, proto, remote);
  assert_int_equal(wl_sim_parse_attempt(line, strlen(line), &a), WL_OK);
  assert_int_equal(wl_sim_classify(e, &a, d), WL_OK);
}

static void test_sim_connection_table(void **state) {
  (void)state;
  fixture f;
  fx_init(&f, "table");
  wl_conn c[4];
  size_t n = 9, total = 9;
  wl_decision d;
  assert_int_equal(wl_engine_connections(f.e, c, 4, &n, &total), WL_OK);
  assert_int_equal(n, 0);
  assert_int_equal(total, 0);
  attempt(f.e, "out", "tcp", "1.2.3.4:443", &d);
  assert_int_equal(d.action, WL_ACTION_PERMIT);
  assert_int_equal(d.event_type, 0); /* a new state's keywords (0) ask for drops only */
  attempt(f.e, "out", "tcp", "1.2.3.4:443", &d); /* the same connection: refreshed, not twice */
  attempt(f.e, "out", "udp", "8.8.8.8:53", &d);
  attempt(f.e, "in", "tcp", "1.2.3.9:4444", &d); /* inbound default block: no connection */
  assert_int_equal(d.action, WL_ACTION_BLOCK);
  assert_int_equal(wl_engine_connections(f.e, c, 4, &n, &total), WL_OK);
  assert_int_equal(n, 2);
  assert_int_equal(total, 2);
  assert_int_equal(c[0].state, WL_CONN_ESTABLISHED);
  assert_int_equal(c[0].proto, 6);
  assert_int_equal(c[0].remote_port, 443);
  assert_int_equal(c[0].local_port, 50000);
  assert_memory_equal(c[0].remote_addr, "\x01\x02\x03\x04", 4);
  assert_string_equal(c[0].app, "C:\\x\\b.exe");
  assert_int_equal(c[1].state, WL_CONN_LISTEN); /* UDP: a bound endpoint, no remote end */
  assert_int_equal(c[1].remote_port, 0);
  assert_int_equal(wl_engine_connections(f.e, c, 1, &n, &total), WL_OK); /* cap bounds */
  assert_int_equal(n, 1);
  assert_int_equal(total, 2);
  /* allow events suppressed: the connection opens, the event does not come */
  assert_int_equal(wl_engine_set_option(f.e, WL_OPT_NET_EVENT_MATCH_ANY_KEYWORDS,
                                        WL_KW_CLASSIFY_ALLOW), WL_OK);
  attempt(f.e, "out", "tcp", "5.6.7.8:443", &d);
  assert_int_equal(d.event_type, WL_RAW_TYPE_CLASSIFY_ALLOW);
  assert_int_equal(wl_sim_suppress_allow(f.e, 1), WL_OK);
  attempt(f.e, "out", "tcp", "5.6.7.9:443", &d);
  assert_int_equal(d.action, WL_ACTION_PERMIT);
  assert_int_equal(d.event_type, 0);
  assert_int_equal(wl_engine_connections(f.e, c, 4, &n, &total), WL_OK);
  assert_int_equal(total, 4);
  fx_done(&f);
}

static wl_capture *start(fixture *f) {
  wl_capture_opts o;
  memset(&o, 0, sizeof o);
  o.source = "wfp";
  o.engine_spec = f->spec;
  o.selfcheck_settle_ms = SETTLE_MS;
  o.log = keep_log;
  o.log_ctx = f;
  wl_capture *c = NULL;
  assert_int_equal(wl_capture_start(&o, f->store, &c), WL_OK);
  wl_capture_stats st;
  for (int i = 0; i < 2000; i++) {
    wl_capture_stats_get(c, &st);
    if (st.subscribed)
      return c;
    wl_sleep_ms(5);
  }
  fail_msg("the capture did not subscribe");
  return NULL;
}

/* Wait up to ms for the self-check's verdict to become `blind`; its last value. */
static int wait_blind(wl_capture *c, int blind, unsigned ms) {
  wl_capture_stats st;
  for (unsigned t = 0; t < ms; t += 10) {
    wl_capture_stats_get(c, &st);
    if (st.blind == blind)
      return blind;
    wl_sleep_ms(10);
  }
  return st.blind;
}

static void some_traffic(fixture *f) {
  wl_decision d;
  char remote[64];
  for (int i = 0; i < 5; i++) {
    snprintf(remote, sizeof remote, "1.2.3.%d:443", i + 1);
    attempt(f->e, "out", "tcp", remote, &d);
  }
  assert_int_equal(wl_sim_drain(f->e, 10000), WL_OK);
}

static void test_blind_when_allow_events_suppressed(void **state) {
  (void)state;
  fixture f;
  fx_init(&f, "blind");
  assert_int_equal(wl_sim_suppress_allow(f.e, 1), WL_OK);
  uint64_t t0 = wl_time_mono_ns();
  wl_capture *c = start(&f);
  some_traffic(&f);
  assert_int_equal(wait_blind(c, 1, 10 * SETTLE_MS), 1);
  uint64_t took_ms = (wl_time_mono_ns() - t0) / 1000000u;
  wl_capture_stats st;
  wl_capture_stats_get(c, &st);
  assert_int_equal(st.allow_events, 0);
  assert_int_equal(st.open_conns, 5);
  assert_int_equal(st.error, 0); /* the capture keeps going */
  assert_true(logged(&f, "blind to allowed traffic since"));
  printf("# blind after %llu ms (settling time %u ms)\n", (unsigned long long)took_ms,
         SETTLE_MS);
  char since[64] = "";
  /* the store is the consumer's until stop: read the meta through a second connection */
  wl_store *ro = NULL;
  assert_int_equal(wl_store_open(f.db, NULL, &ro), WL_OK);
  assert_int_equal(wl_store_meta_get(ro, WL_META_BLIND_SINCE, since, sizeof since), WL_OK);
  assert_true(strlen(since) >= 20);
  /* allow events come again: no longer blind, the meta is cleared */
  assert_int_equal(wl_sim_suppress_allow(f.e, 0), WL_OK);
  some_traffic(&f);
  assert_int_equal(wait_blind(c, 0, 10 * SETTLE_MS), 0);
  assert_true(logged(&f, "no longer blind"));
  assert_int_equal(wl_capture_stop(c), WL_OK);
  wl_capture_destroy(c);
  assert_int_equal(wl_store_meta_get(ro, WL_META_BLIND_SINCE, since, sizeof since), WL_OK);
  assert_string_equal(since, "");
  wl_store_close(ro);
  fx_done(&f);
}

static void test_not_blind_with_allow_events(void **state) {
  (void)state;
  fixture f;
  fx_init(&f, "sees");
  wl_capture *c = start(&f);
  some_traffic(&f);
  assert_int_equal(wait_blind(c, 1, 4 * SETTLE_MS), 0);
  wl_capture_stats st;
  wl_capture_stats_get(c, &st);
  assert_true(st.allow_events >= 5);
  assert_false(logged(&f, "blind"));
  assert_int_equal(wl_capture_stop(c), WL_OK);
  wl_capture_destroy(c);
  fx_done(&f);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_sim_connection_table),
      cmocka_unit_test(test_blind_when_allow_events_suppressed),
      cmocka_unit_test(test_not_blind_with_allow_events),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
