/* test_selfcheck.c — issue 19, item 1: learn notices when allow events do not come.
 *
 *  - the sim's connection table: an allowed attempt opens a connection (TCP established, UDP a
 *    bound endpoint), a blocked one does not; suppressing allow events (the Windows 11 build
 *    that delivered only drops) keeps the connection and loses the events;
 *  - a live capture ("wfp" source on a sim engine, traffic classified from the side) with allow
 *    events suppressed: within the settling time the self-check logs the warning, writes
 *    WL_META_BLIND_SINCE and the capture keeps going; allow events back: no longer blind;
 *  - the same traffic with allow events delivered: no warning.
 * Built twice: natively on the sim engine, and (WL_SELFCHECK_WFP, Windows, under wine) on the
 * "wfp" engine over the fake fwpuclnt.dll, whose GetExtendedTcpTable / GetExtendedUdpTable /
 * OpenProcess / QueryFullProcessImageNameW answer from the fake's sim (tests/support/
 * fake_ctl.c): the same checks then go through the real backend's table parsing
 * (engine/fwpuclnt/win_conns.c). That build also reads wine's own tables for a listening socket
 * of this process (test_real_tables; wine finds the row but, here, not its owner pid).
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
#include "tests/support/test_log.h"

#ifdef WL_SELFCHECK_WFP
#include <winsock2.h>
#include <windows.h>
#include "tests/support/fake_ctl.h"
/* the side: a "wfp" engine over the fake, driven through its test exports */
#define SIDE_CLASSIFY wl_fakectl_classify
#define SIDE_SUPPRESS wl_fakectl_suppress_allow
#define SIDE_DRAIN wl_fakectl_drain
#define HAS_PIDS 1
#else
#define SIDE_CLASSIFY wl_sim_classify
#define SIDE_SUPPRESS wl_sim_suppress_allow
#define SIDE_DRAIN wl_sim_drain
#define HAS_PIDS 0 /* the sim's attempts name no process */
#endif

#define SETTLE_MS 300u

typedef struct fixture {
  char db[1024], state[1024], spec[1100];
  wl_store *store;
  wl_engine *e; /* our own handle on the same sim: classifies from the side */
  wl_test_log log;
} fixture;

static void fx_init(fixture *f, const char *name) {
  char n[128];
  memset(f, 0, sizeof *f);
  wl_test_log_init(&f->log);
  snprintf(n, sizeof n, "selfcheck_%s.db", name);
  wl_test_path(f->db, sizeof f->db, n);
#ifdef WL_SELFCHECK_WFP
  wl_strlcpy(f->state, getenv("WL_SIM_STATE"), sizeof f->state); /* the fake's */
  wl_strlcpy(f->spec, "wfp", sizeof f->spec);
#else
  snprintf(n, sizeof n, "selfcheck_%s.state", name);
  wl_test_path(f->state, sizeof f->state, n);
  snprintf(f->spec, sizeof f->spec, "sim:%s", f->state);
#endif
  wl_test_remove_db(f->db);
  wl_test_remove_state(f->state);
  assert_int_equal(wl_store_open(f->db, NULL, &f->store), WL_OK);
  assert_int_equal(wl_engine_open(f->spec, 0, &f->e), WL_OK);
}

static void fx_done(fixture *f) {
  wl_test_log_done(&f->log);
  wl_engine_close(f->e);
  wl_store_close(f->store);
  wl_test_remove_db(f->db);
  wl_test_remove_state(f->state);
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
  assert_int_equal(SIDE_CLASSIFY(e, &a, d), WL_OK);
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
  if (c[0].proto != 6) { /* no order is promised: TCP first here */
    wl_conn x = c[0];
    c[0] = c[1];
    c[1] = x;
  }
  assert_int_equal(c[0].state, WL_CONN_ESTABLISHED);
  assert_int_equal(c[0].proto, 6);
  assert_int_equal(c[0].remote_port, 443);
  assert_int_equal(c[0].local_port, 50000);
  assert_memory_equal(c[0].remote_addr, "\x01\x02\x03\x04", 4);
  assert_string_equal(c[0].app, "C:\\x\\b.exe");
  assert_true(HAS_PIDS ? c[0].pid != 0 && c[0].pid == c[1].pid : c[0].pid == 0);
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
  assert_int_equal(SIDE_SUPPRESS(f.e, 1), WL_OK);
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
  o.log = wl_test_log_keep;
  o.log_ctx = &f->log;
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
  assert_int_equal(SIDE_DRAIN(f->e, 10000), WL_OK);
}

static void test_blind_when_allow_events_suppressed(void **state) {
  (void)state;
  fixture f;
  fx_init(&f, "blind");
  assert_int_equal(SIDE_SUPPRESS(f.e, 1), WL_OK);
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
  assert_true(wl_test_logged(&f.log, "blind to allowed traffic since"));
  printf("# blind after %llu ms (settling time %u ms)\n", (unsigned long long)took_ms,
         SETTLE_MS);
  char since[64] = "";
  /* the store is the consumer's until stop: read the meta through a second connection */
  wl_store *ro = NULL;
  assert_int_equal(wl_store_open(f.db, NULL, &ro), WL_OK);
  assert_int_equal(wl_store_meta_get(ro, WL_META_BLIND_SINCE, since, sizeof since), WL_OK);
  assert_true(strlen(since) >= 20);
  /* allow events come again: no longer blind, the meta is cleared */
  assert_int_equal(SIDE_SUPPRESS(f.e, 0), WL_OK);
  some_traffic(&f);
  assert_int_equal(wait_blind(c, 0, 10 * SETTLE_MS), 0);
  assert_true(wl_test_logged(&f.log, "no longer blind"));
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
  assert_false(wl_test_logged(&f.log, "blind"));
  assert_int_equal(wl_capture_stop(c), WL_OK);
  wl_capture_destroy(c);
  fx_done(&f);
}

#ifdef WL_SELFCHECK_WFP
/* Wine's own GetExtendedTcpTable (System32's iphlpapi, not the fake's answer): a socket this
 * process listens on is there, with our pid and our image. */
static void test_real_tables(void **state) {
  (void)state;
  wl_fakectl_drive_map_off();
  wl_fakectl_real_conn_tables(1);
  assert_int_equal(wl_fakectl_drive_map_on(), WL_OK);
  WSADATA wsa;
  assert_int_equal(WSAStartup(MAKEWORD(2, 2), &wsa), 0);
  SOCKET s = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
  assert_true(s != INVALID_SOCKET);
  struct sockaddr_in sa = {.sin_family = AF_INET};
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int len = sizeof sa;
  assert_int_equal(bind(s, (struct sockaddr *)&sa, sizeof sa), 0);
  assert_int_equal(listen(s, 1), 0);
  assert_int_equal(getsockname(s, (struct sockaddr *)&sa, &len), 0);
  uint16_t port = ntohs(sa.sin_port);
  wl_engine *e = NULL;
  assert_int_equal(wl_engine_open("wfp", 0, &e), WL_OK);
  wl_conn *c = calloc(4096, sizeof *c);
  size_t n = 0, total = 0, found = 4096;
  assert_non_null(c);
  int rc = wl_engine_connections(e, c, 4096, &n, &total);
  printf("# wine: wl_engine_connections -> %d (%s), %zu of %zu rows\n", rc,
         rc ? wl_errmsg() : "ok", n, total);
  assert_int_equal(rc, WL_OK);
  for (size_t i = 0; i < n; i++)
    if (c[i].proto == 6 && c[i].state == WL_CONN_LISTEN && c[i].local_port == port)
      found = i;
  assert_true(found < n);
  printf("# wine: our listener 127.0.0.1:%u pid %lu image \"%s\" (GetCurrentProcessId %lu)\n",
         port, (unsigned long)c[found].pid, c[found].app, (unsigned long)GetCurrentProcessId());
  assert_memory_equal(c[found].local_addr, "\x7f\0\0\x01", 4);
  /* Wine (as run here) gives the row an owner pid of 0: it cannot tie the host's socket to
   * the Windows process. Windows fills dwOwningPid (documented); when it is there, it is ours
   * and so is the image. */
  if (c[found].pid) {
    assert_int_equal(c[found].pid, GetCurrentProcessId());
    assert_non_null(strstr(c[found].app, "test_selfcheck_wfp.exe"));
  } else {
    assert_string_equal(c[found].app, "");
  }
  free(c);
  wl_engine_close(e);
  closesocket(s);
  WSACleanup();
  wl_fakectl_drive_map_off();
  wl_fakectl_real_conn_tables(0);
  assert_int_equal(wl_fakectl_drive_map_on(), WL_OK);
}

static int setup(void **state) {
  (void)state;
  return wl_fakectl_drive_map_on() == WL_OK ? 0 : -1;
}

static int teardown(void **state) {
  (void)state;
  wl_fakectl_drive_map_off();
  return 0;
}
#else
#define setup NULL
#define teardown NULL
#endif

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_sim_connection_table),
      cmocka_unit_test(test_blind_when_allow_events_suppressed),
      cmocka_unit_test(test_not_blind_with_allow_events),
#ifdef WL_SELFCHECK_WFP
      cmocka_unit_test(test_real_tables),
#endif
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
