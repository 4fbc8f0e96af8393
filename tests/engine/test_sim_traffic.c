/* test_sim_traffic.c — traffic files: wl_sim_parse_attempt on good lines (v4, v6, protocol
 * names, optional members) and a table of bad ones whose message must name the column or the
 * field; wl_sim_run_traffic on a small file (counts, malformed lines reported as FILE:LINE,
 * events to a subscriber, comments and blank lines); scaled time stopped by wl_sim_stop from
 * another thread.
 */
#include "common/wl_thread.h"
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
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

static char g_state[512], g_spec[600], g_traffic[512];
static int g_serial;

static int setup(void **st) {
  (void)st;
  const char *env = getenv("WL_TEST_ENGINE");
  unsigned pid = (unsigned)wl_os_pid();
  ++g_serial;
  snprintf(g_state, sizeof g_state, "test_sim_tr_%u_%d.state", pid, g_serial);
  snprintf(g_traffic, sizeof g_traffic, "test_sim_tr_%u_%d.jsonl", pid, g_serial);
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
  remove(g_traffic);
  snprintf(p, sizeof p, "%s.lock", g_state);
  remove(p);
  return 0;
}

static int parse(const char *line, wl_attempt *a) {
  return wl_sim_parse_attempt(line, strlen(line), a);
}

static void test_parse_good(void **st) {
  (void)st;
  wl_attempt a;
  uint64_t ts;
  const char *l1 = "{\"ts\":\"2026-11-16T08:00:01.1234567Z\",\"app\":\"C:\\\\Windows\\\\System32\\\\"
                   "svchost.exe\",\"dir\":\"out\",\"proto\":17,\"local\":\"192.168.1.23:50000\","
                   "\"remote\":\"192.168.1.1:53\",\"user\":\"S-1-5-20\",\"note\":[1,2]}";
  assert_int_equal(parse(l1, &a), WL_OK);
  assert_int_equal(wl_time_parse("2026-11-16T08:00:01.1234567Z", 28, &ts), WL_OK);
  assert_true(a.ts == ts);
  assert_string_equal(a.app, "C:\\Windows\\System32\\svchost.exe");
  assert_int_equal(a.dir, WL_DIR_OUT);
  assert_int_equal(a.proto, 17);
  assert_int_equal(a.ip_version, 4);
  assert_int_equal(a.local_port, 50000);
  assert_int_equal(a.remote_port, 53);
  assert_int_equal(a.remote_addr[0], 192);
  assert_int_equal(a.remote_addr[3], 1);
  assert_int_equal(a.has_ports, 1);
  assert_string_equal(a.user, "S-1-5-20");
  assert_string_equal(a.package, "");
  const char *l2 = "{\"ts\":\"2026-11-16T08:00:02Z\",\"app\":\"\",\"dir\":\"in\",\"proto\":\"tcp\","
                   "\"local\":\"[2001:db8:1::23]:3000\",\"remote\":\"[2001:db8:1::5]:49152\","
                   "\"package\":\"S-1-15-2-1-2-3\"}";
  assert_int_equal(parse(l2, &a), WL_OK);
  assert_int_equal(a.dir, WL_DIR_IN);
  assert_int_equal(a.proto, 6);
  assert_int_equal(a.ip_version, 6);
  assert_int_equal(a.local_port, 3000);
  assert_string_equal(a.app, "");
  assert_string_equal(a.user, "");
  assert_string_equal(a.package, "S-1-15-2-1-2-3");
  const char *l3 = "{\"ts\":\"2026-11-16T08:00:03Z\",\"dir\":\"out\",\"proto\":1,"
                   "\"local\":\"192.168.1.23\",\"remote\":\"8.8.8.8\"}";
  assert_int_equal(parse(l3, &a), WL_OK);
  assert_int_equal(a.has_ports, 0); /* ICMP without ports: the port flags stay clear */
}

typedef struct bad_line {
  const char *line, *must_say;
} bad_line;

#define OK_REST ",\"dir\":\"out\",\"proto\":6,\"local\":\"10.0.0.1:1\",\"remote\":\"10.0.0.2:2\"}"
#define TS "{\"ts\":\"2026-11-16T08:00:00Z\""
static const bad_line bad[] = {
    {"{\"ts\":", "column"},
    {"[1,2]", "not a JSON object"},
    {"{\"dir\":\"out\",\"proto\":6,\"local\":\"10.0.0.1:1\",\"remote\":\"10.0.0.2:2\"}", "'ts'"},
    {"{\"ts\":\"yesterday\"" OK_REST, "'ts'"},
    {"{\"ts\":12" OK_REST, "'ts'"},
    {TS ",\"dir\":\"sideways\",\"proto\":6,\"local\":\"10.0.0.1:1\",\"remote\":\"10.0.0.2:2\"}", "'dir'"},
    {TS ",\"dir\":\"out\",\"proto\":300,\"local\":\"10.0.0.1:1\",\"remote\":\"10.0.0.2:2\"}", "'proto'"},
    {TS ",\"dir\":\"out\",\"proto\":\"sctpish\",\"local\":\"10.0.0.1:1\",\"remote\":\"10.0.0.2:2\"}", "'proto'"},
    {TS ",\"dir\":\"out\",\"local\":\"10.0.0.1:1\",\"remote\":\"10.0.0.2:2\"}", "'proto'"},
    {TS ",\"dir\":\"out\",\"proto\":6,\"local\":\"10.0.0.999:1\",\"remote\":\"10.0.0.2:2\"}", "'local'"},
    {TS ",\"dir\":\"out\",\"proto\":6,\"local\":\"10.0.0.1:1\"}", "'remote'"},
    {TS ",\"dir\":\"out\",\"proto\":6,\"local\":\"10.0.0.1:1\",\"remote\":\"[::1]:2\"}", "'remote'"},
    {TS ",\"app\":5" OK_REST, "'app'"},
    {TS ",\"user\":\"alice\"" OK_REST, "'user'"},
    {TS ",\"package\":\"S-x\"" OK_REST, "'package'"},
};

static void test_parse_errors(void **st) {
  (void)st;
  wl_attempt a;
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    int rc = parse(bad[i].line, &a);
    if (rc != WL_E_PARSE || !strstr(wl_errmsg(), bad[i].must_say))
      fail_msg("bad line %zu: rc %d, message \"%s\", expected it to say %s", i, rc, wl_errmsg(),
               bad[i].must_say);
  }
  assert_int_equal(wl_sim_parse_attempt(NULL, 0, &a), WL_E_INVAL);
}

static void write_file(const char *text) {
  FILE *f = fopen(g_traffic, "wb");
  assert_non_null(f);
  fputs(text, f);
  fclose(f);
}

typedef struct counter {
  wl_mutex mu;
  size_t drops, allows;
} counter;

static int count_cb(void *ctx, const wl_raw_event *ev) {
  counter *c = ctx;
  wl_mutex_lock(&c->mu);
  c->drops += ev->type == WL_RAW_TYPE_CLASSIFY_DROP;
  c->allows += ev->type == WL_RAW_TYPE_CLASSIFY_ALLOW &&
               ev->layer_id != WL_LAYER_ALE_FLOW_ESTABLISHED_V4 &&
               ev->layer_id != WL_LAYER_ALE_FLOW_ESTABLISHED_V6; /* not their twins */
  wl_mutex_unlock(&c->mu);
  return WL_OK;
}

#define LINE(ts, dir, local, remote) \
  "{\"ts\":\"2026-11-16T08:00:" ts "Z\",\"app\":\"C:\\\\x.exe\",\"dir\":\"" dir \
  "\",\"proto\":6,\"local\":\"" local "\",\"remote\":\"" remote "\"}\n"

static void test_run_file(void **st) {
  (void)st;
  write_file("# a comment\n"
             LINE("01", "out", "192.168.1.23:50000", "1.2.3.4:443")
             "\n"
             LINE("02", "in", "192.168.1.23:445", "192.168.1.5:50001")
             "{\"ts\":\"2026-11-16T08:00:03Z\",\"dir\":\"up\"}\n"
             LINE("04", "out", "[2001:db8::23]:50000", "[2001:db8::1]:443")
             "not json at all\n"
             "   \r\n"
             LINE("06", "in", "239.255.255.250:1900", "192.168.1.5:50002")
             LINE("07", "in", "192.168.1.23:3389", "192.168.1.9:50003"));
  wl_engine *e = NULL;
  wl_subscription *sub = NULL;
  counter c = {WL_MUTEX_INIT, 0, 0};
  wl_sim_stats s;
  assert_int_equal(wl_engine_open(g_spec, 0, &e), WL_OK);
  assert_int_equal(wl_engine_set_option(e, WL_OPT_COLLECT_NET_EVENTS, 1), WL_OK);
  assert_int_equal(wl_engine_set_option(e, WL_OPT_NET_EVENT_MATCH_ANY_KEYWORDS,
                                        WL_KW_CLASSIFY_ALLOW), WL_OK);
  assert_int_equal(wl_engine_subscribe(e, count_cb, &c, &sub), WL_OK);
  assert_int_equal(wl_sim_run_traffic(e, g_traffic, 0, &s), WL_OK);
  assert_int_equal(s.lines, 10);
  assert_int_equal(s.attempts, 5);
  assert_int_equal(s.malformed, 2);
  assert_int_equal(s.allowed, 2);
  assert_int_equal(s.blocked, 3);
  assert_int_equal(s.events, 4);     /* the multicast drop needs the INBOUND_MCAST keyword */
  assert_int_equal(s.suppressed, 1);
  assert_int_equal(s.flow_events, 2); /* each allow's ALE_FLOW_ESTABLISHED twin */
  assert_int_equal(s.errors_kept, 2);
  char where[600];
  snprintf(where, sizeof where, "%s:5: field 'dir'", g_traffic);
  assert_non_null(strstr(s.errors[0], where));
  snprintf(where, sizeof where, "%s:7: column", g_traffic);
  assert_non_null(strstr(s.errors[1], where));
  wl_mutex_lock(&c.mu); /* run_traffic returns only after delivery */
  assert_int_equal(c.drops, 2);
  assert_int_equal(c.allows, 2);
  wl_mutex_unlock(&c.mu);
  assert_int_equal(wl_sim_run_traffic(e, "no-such-traffic.jsonl", 0, &s), WL_E_NOTFOUND);
  assert_int_equal(wl_sim_run_traffic(e, g_traffic, -1, &s), WL_E_INVAL);
  wl_engine_unsubscribe(e, sub);
  wl_engine_close(e);
}

/* Many malformed lines: all counted, only the first few kept. */
static void test_malformed_bounded(void **st) {
  (void)st;
  FILE *f = fopen(g_traffic, "wb");
  assert_non_null(f);
  for (int i = 0; i < 40; i++)
    fputs("{}\n", f);
  fclose(f);
  wl_engine *e = NULL;
  wl_sim_stats s;
  assert_int_equal(wl_engine_open(g_spec, 0, &e), WL_OK);
  assert_int_equal(wl_sim_run_traffic(e, g_traffic, 0, &s), WL_OK);
  assert_int_equal(s.malformed, 40);
  assert_int_equal(s.errors_kept, WL_SIM_ERRORS_KEPT);
  assert_int_equal(s.attempts, 0);
  wl_engine_close(e);
}

/* A line dated past the clock (issue 18: it would become the store's retention anchor) is
 * malformed, with FILE:LINE; the lines around it are classified. */
static void test_future_line_malformed(void **st) {
  (void)st;
  write_file(LINE("01", "out", "192.168.1.23:50000", "1.2.3.4:443")
             "{\"ts\":\"9999-12-31T00:00:00Z\",\"app\":\"C:\\\\x.exe\",\"dir\":\"out\","
             "\"proto\":6,\"local\":\"192.168.1.23:50001\",\"remote\":\"1.2.3.4:443\"}\n"
             LINE("03", "out", "192.168.1.23:50002", "1.2.3.4:443"));
  wl_engine *e = NULL;
  wl_sim_stats s;
  assert_int_equal(wl_engine_open(g_spec, 0, &e), WL_OK);
  assert_int_equal(wl_sim_run_traffic(e, g_traffic, 0, &s), WL_OK);
  assert_int_equal(s.attempts, 2);
  assert_int_equal(s.malformed, 1);
  char where[600];
  snprintf(where, sizeof where, "%s:2: field 'ts'", g_traffic);
  if (!strstr(s.errors[0], where) || !strstr(s.errors[0], "past this machine's clock"))
    fail_msg("%s", s.errors[0]);
  wl_engine_close(e);
}

/* Issue 18 (Low): a UTF-8 byte order mark on line 1 is skipped; a NUL byte in a line is said
 * as such, not as "line longer than 64 KiB". */
static void test_bom_and_nul(void **st) {
  (void)st;
  static const char text[] = "\xEF\xBB\xBF" LINE("01", "out", "192.168.1.23:50000", "1.2.3.4:443")
      "{\"ts\":\"2026-11-16T08:00:02Z\",\"a\0pp\":1}\n"
      LINE("03", "out", "192.168.1.23:50002", "1.2.3.4:443");
  FILE *f = fopen(g_traffic, "wb");
  assert_non_null(f);
  assert_int_equal(fwrite(text, 1, sizeof text - 1, f), sizeof text - 1);
  fclose(f);
  wl_engine *e = NULL;
  wl_sim_stats s;
  assert_int_equal(wl_engine_open(g_spec, 0, &e), WL_OK);
  assert_int_equal(wl_sim_run_traffic(e, g_traffic, 0, &s), WL_OK);
  assert_int_equal(s.lines, 3);
  assert_int_equal(s.attempts, 2);
  assert_int_equal(s.malformed, 1);
  char where[600];
  snprintf(where, sizeof where, "%s:2: a NUL byte in the line", g_traffic);
  if (!strstr(s.errors[0], where))
    fail_msg("%s", s.errors[0]);
  wl_engine_close(e);
}

typedef struct stop_ctx {
  wl_engine *e;
  atomic_int done;
} stop_ctx;

/* Keeps asking to stop until the run has returned (a stop before the run starts is reset). */
static void *stopper(void *arg) {
  stop_ctx *c = arg;
  while (!atomic_load(&c->done)) {
    wl_sleep_ms(50);
    wl_sim_stop(c->e);
  }
  return NULL;
}

/* Recorded time over an hour-long file: stopped from another thread, it says so. */
static void test_stop_scaled_run(void **st) {
  (void)st;
  write_file(LINE("00", "out", "192.168.1.23:50000", "1.2.3.4:443")
             "{\"ts\":\"2026-11-16T09:00:00Z\",\"app\":\"C:\\\\x.exe\",\"dir\":\"out\","
             "\"proto\":6,\"local\":\"192.168.1.23:50000\",\"remote\":\"1.2.3.4:443\"}\n");
  wl_sim_stats s;
  wl_thread t;
  stop_ctx c = {NULL, 0};
  assert_int_equal(wl_engine_open(g_spec, 0, &c.e), WL_OK);
  wl_engine *e = c.e;
  assert_int_equal(wl_thread_start(&t, stopper, &c), 0);
  assert_int_equal(wl_sim_run_traffic(e, g_traffic, 1.0, &s), WL_E_STOPPED);
  atomic_store(&c.done, 1);
  wl_thread_join(&t);
  assert_true(s.attempts <= 1);
  wl_engine_close(e);
  /* a stop before the run starts is not lost; it is used up by that run */
  assert_int_equal(wl_engine_open(g_spec, 0, &e), WL_OK);
  assert_int_equal(wl_sim_stop(e), WL_OK);
  assert_int_equal(wl_sim_run_traffic(e, g_traffic, 1.0, &s), WL_E_STOPPED);
  assert_int_equal(s.attempts, 0);
  assert_int_equal(wl_sim_run_traffic(e, g_traffic, 1e6, &s), WL_OK); /* fast-forward */
  assert_int_equal(s.attempts, 2);
  wl_engine_close(e);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_parse_good),
      cmocka_unit_test(test_parse_errors),
      cmocka_unit_test_setup_teardown(test_run_file, setup, teardown),
      cmocka_unit_test_setup_teardown(test_malformed_bounded, setup, teardown),
      cmocka_unit_test_setup_teardown(test_future_line_malformed, setup, teardown),
      cmocka_unit_test_setup_teardown(test_bom_and_nul, setup, teardown),
      cmocka_unit_test_setup_teardown(test_stop_scaled_run, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
