/* test_capture_replay.c — the JSON-lines event stream: a table of good lines and what they
 * decode to, a table of malformed lines (each must be rejected), format → parse round trips
 * that keep exactly the known fields (v4/v6, ports without addresses, truncated apps, escapes),
 * and the reader: blank/comment lines, malformed lines skipped and reported as FILE:LINE,
 * over-long lines, a last line without newline. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/wl_err.h"
#include "common/wl_text.h"
#include "capture/capture.h"
#include "capture/replay.h"
#include "event/decode.h"
#include "tests/support/test_event.h"
#include "tests/support/test_files.h"

static wl_json_arena arena;

static int parse(const char *line, wl_event *ev) {
  return wl_replay_parse_line(&arena, line, strlen(line), ev);
}

static void test_good_lines(void **state) {
  (void)state;
  wl_event ev;
  const char *l1 = "{\"ts\":\"2026-11-24T03:30:49.1234567Z\",\"type\":\"drop\",\"dir\":\"in\","
                   "\"app\":\"\\\\device\\\\harddiskvolume3\\\\a.exe\",\"proto\":6,"
                   "\"local\":\"192.168.1.23:445\",\"remote\":\"192.168.1.50:50000\","
                   "\"filter_id\":65001,\"layer_id\":44,\"user\":\"S-1-5-18\",\"extra\":[1,2]}";
  assert_int_equal(parse(l1, &ev), 1);
  uint64_t ts;
  assert_int_equal(wl_time_parse("2026-11-24T03:30:49.1234567Z", 28, &ts), WL_OK);
  assert_true(ev.ts == ts);
  assert_int_equal(ev.type, WL_EVT_DROP);
  assert_int_equal(ev.dir, WL_DIR_IN);
  assert_string_equal(ev.app, "\\device\\harddiskvolume3\\a.exe");
  assert_int_equal(ev.proto, 6);
  assert_int_equal(ev.ip_version, 4);
  static const uint8_t l[4] = {192, 168, 1, 23}, r[4] = {192, 168, 1, 50};
  assert_memory_equal(ev.local_addr, l, 4);
  assert_memory_equal(ev.remote_addr, r, 4);
  assert_int_equal(ev.local_port, 445);
  assert_int_equal(ev.remote_port, 50000);
  assert_true(ev.filter_id == 65001);
  assert_int_equal(ev.layer_id, 44);
  assert_string_equal(ev.user, "S-1-5-18");
  assert_int_equal(ev.origin, WL_ORIGIN_REPLAY);
  assert_int_equal(ev.has, WL_HAS_DIR | WL_HAS_APP | WL_HAS_PROTO | WL_HAS_IP_VERSION |
                               WL_HAS_LOCAL_ADDR | WL_HAS_REMOTE_ADDR | WL_HAS_LOCAL_PORT |
                               WL_HAS_REMOTE_PORT | WL_HAS_FILTER | WL_HAS_LAYER | WL_HAS_USER);

  /* minimal: everything else unknown */
  assert_int_equal(parse("{\"ts\":\"2026-01-01T00:00:00Z\",\"type\":\"allow\"}", &ev), 1);
  assert_int_equal(ev.has, 0);
  assert_int_equal(ev.type, WL_EVT_ALLOW);

  /* v6 with and without port; S-1-0-0 package is none; "?" direction is unknown */
  assert_int_equal(parse("{\"ts\":\"2026-01-01T00:00:00Z\",\"type\":\"cap-drop\",\"dir\":\"?\","
                         "\"remote\":\"[2001:db8::1]:443\",\"local\":\"2001:db8::23\","
                         "\"package\":\"S-1-0-0\",\"filter_id\":0}",
                         &ev),
                   1);
  assert_int_equal(ev.has,
                   WL_HAS_IP_VERSION | WL_HAS_LOCAL_ADDR | WL_HAS_REMOTE_ADDR | WL_HAS_REMOTE_PORT);
  assert_int_equal(ev.ip_version, 6);
  assert_int_equal(ev.remote_port, 443);
  assert_int_equal(ev.remote_addr[15], 1);
  assert_int_equal(ev.local_addr[15], 0x23);

  /* blank and comment lines are not events */
  assert_int_equal(parse("", &ev), 0);
  assert_int_equal(parse("   \r", &ev), 0);
  assert_int_equal(parse("# comment", &ev), 0);
}

static const char *const bad_lines[] = {
    "{",
    "[]",
    "\"x\"",
    "{\"type\":\"drop\"}",
    "{\"ts\":\"yesterday\",\"type\":\"drop\"}",
    "{\"ts\":\"2026-01-01T00:00:00Z\"}",
    "{\"ts\":\"2026-01-01T00:00:00Z\",\"type\":\"block\"}",
    "{\"ts\":\"2026-01-01T00:00:00Z\",\"type\":\"drop\",\"dir\":\"up\"}",
    "{\"ts\":\"2026-01-01T00:00:00Z\",\"type\":\"drop\",\"proto\":256}",
    "{\"ts\":\"2026-01-01T00:00:00Z\",\"type\":\"drop\",\"proto\":\"6\"}",
    "{\"ts\":\"2026-01-01T00:00:00Z\",\"type\":\"drop\",\"proto\":-1}",
    "{\"ts\":\"2026-01-01T00:00:00Z\",\"type\":\"drop\",\"remote\":\"1.2.3.4:99999\"}",
    "{\"ts\":\"2026-01-01T00:00:00Z\",\"type\":\"drop\",\"remote\":\"1.2.3\"}",
    "{\"ts\":\"2026-01-01T00:00:00Z\",\"type\":\"drop\",\"remote\":5}",
    ("{\"ts\":\"2026-01-01T00:00:00Z\",\"type\":\"drop\",\"local\":\"1.2.3.4:1\","
     "\"remote\":\"[::1]:2\"}"), /* one element (clang: -Wstring-concatenation) */
    "{\"ts\":\"2026-01-01T00:00:00Z\",\"type\":\"drop\",\"user\":\"root\"}",
    "{\"ts\":\"2026-01-01T00:00:00Z\",\"type\":\"drop\",\"loopback\":1}",
    "{\"ts\":\"2026-01-01T00:00:00Z\",\"type\":\"drop\",\"layer_id\":65535}",
    "{\"ts\":\"2026-01-01T00:00:00Z\",\"type\":\"drop\",\"ip_version\":5}",
    "{\"ts\":\"2026-01-01T00:00:00Z\",\"type\":\"drop\",\"app\":\"a\\u0000b\"}",
    "{\"ts\":\"2026-01-01T00:00:00Z\",\"type\":\"drop\",\"filter_id\":1.5}",
    "{\"ts\":\"2026-01-01T00:00:00Z\",\"type\":\"drop\"} trailing",
};

static void test_bad_lines(void **state) {
  (void)state;
  for (size_t i = 0; i < sizeof bad_lines / sizeof bad_lines[0]; i++) {
    wl_event ev;
    int rc = parse(bad_lines[i], &ev);
    if (rc != WL_E_PARSE)
      fail_msg("accepted: %s", bad_lines[i]);
    assert_true(wl_errmsg()[0] != '\0');
  }
}

static void assert_same(const wl_event *a, const wl_event *b) {
  wl_test_assert_event(a, b);
  assert_string_equal(a->app_dos, b->app_dos);
}

static void full_event(wl_event *ev, int v6) {
  wl_event_clear(ev);
  ev->ts = 133500000001234567ULL;
  ev->type = WL_EVT_ALLOW;
  ev->dir = WL_DIR_OUT;
  ev->proto = 17;
  ev->ip_version = v6 ? 6 : 4;
  if (v6) {
    ev->local_addr[0] = 0x20, ev->local_addr[1] = 0x01, ev->local_addr[15] = 0x23;
    ev->remote_addr[0] = 0xfe, ev->remote_addr[1] = 0x80, ev->remote_addr[15] = 1;
  } else {
    memcpy(ev->local_addr, "\x0a\x00\x00\x05", 4);
    memcpy(ev->remote_addr, "\x08\x08\x08\x08", 4);
  }
  ev->local_port = 5353;
  ev->remote_port = 53;
  strcpy(ev->app, "C:\\Program Files\\\"quoted\" \xc3\xa9\\tab\there.exe");
  strcpy(ev->app_dos, "C:\\x.exe");
  strcpy(ev->user, "S-1-5-21-1-2-3-1001");
  strcpy(ev->package, "S-1-15-2-1");
  ev->filter_id = 0xFFFFFFFFFFFFFFF0ULL;
  ev->layer_id = 50;
  ev->reauth = 7;
  ev->is_loopback = 1;
  ev->has = WL_HAS_PROTO | WL_HAS_LOCAL_ADDR | WL_HAS_REMOTE_ADDR | WL_HAS_LOCAL_PORT |
            WL_HAS_REMOTE_PORT | WL_HAS_APP | WL_HAS_USER | WL_HAS_IP_VERSION | WL_HAS_PACKAGE |
            WL_HAS_FILTER | WL_HAS_LAYER | WL_HAS_DIR | WL_HAS_REAUTH | WL_HAS_LOOPBACK;
}

/* Clearing has bits must clear the value too, as the decoder leaves it. */
static void drop_fields(wl_event *ev, uint32_t bits) {
  ev->has &= ~bits;
  if (bits & WL_HAS_PROTO)
    ev->proto = 0;
  if (bits & WL_HAS_LOCAL_ADDR)
    memset(ev->local_addr, 0, 16);
  if (bits & WL_HAS_REMOTE_ADDR)
    memset(ev->remote_addr, 0, 16);
  if (bits & WL_HAS_LOCAL_PORT)
    ev->local_port = 0;
  if (bits & WL_HAS_REMOTE_PORT)
    ev->remote_port = 0;
  if (bits & WL_HAS_APP)
    ev->app[0] = '\0', ev->has &= ~WL_HAS_APP_TRUNC;
  if (bits & WL_HAS_USER)
    ev->user[0] = '\0';
  if (bits & WL_HAS_IP_VERSION)
    ev->ip_version = 0;
  if (bits & WL_HAS_PACKAGE)
    ev->package[0] = '\0';
  if (bits & WL_HAS_FILTER)
    ev->filter_id = 0;
  if (bits & WL_HAS_LAYER)
    ev->layer_id = 0;
  if (bits & WL_HAS_DIR)
    ev->dir = 0;
  if (bits & WL_HAS_REAUTH)
    ev->reauth = 0;
  if (bits & WL_HAS_LOOPBACK)
    ev->is_loopback = 0;
}

static void round_trip(const wl_event *a) {
  char line[WL_REPLAY_LINE_MAX];
  wl_event b;
  size_t n = wl_replay_format(a, line, sizeof line);
  assert_true(n < sizeof line);
  assert_int_equal(strlen(line), n);
  assert_int_equal(line[n - 1], '\n');
  assert_int_equal(wl_replay_parse_line(&arena, line, n - 1, &b), 1);
  assert_same(a, &b);
}

static void test_round_trip(void **state) {
  (void)state;
  static const uint32_t subsets[] = {0,
                                     WL_HAS_PROTO,
                                     WL_HAS_LOCAL_ADDR,
                                     WL_HAS_REMOTE_ADDR,
                                     WL_HAS_LOCAL_PORT,
                                     WL_HAS_REMOTE_PORT,
                                     WL_HAS_APP,
                                     WL_HAS_USER,
                                     WL_HAS_PACKAGE,
                                     WL_HAS_FILTER,
                                     WL_HAS_LAYER,
                                     WL_HAS_DIR,
                                     WL_HAS_REAUTH,
                                     WL_HAS_LOOPBACK,
                                     WL_HAS_LOCAL_ADDR | WL_HAS_REMOTE_ADDR,
                                     WL_HAS_LOCAL_ADDR | WL_HAS_REMOTE_ADDR | WL_HAS_IP_VERSION,
                                     WL_HAS_LOCAL_PORT | WL_HAS_REMOTE_PORT};
  for (int v6 = 0; v6 <= 1; v6++)
    for (size_t i = 0; i < sizeof subsets / sizeof subsets[0]; i++) {
      wl_event a;
      full_event(&a, v6);
      drop_fields(&a, subsets[i]);
      round_trip(&a);
    }
  wl_event a;
  full_event(&a, 0);
  a.has |= WL_HAS_APP_TRUNC;
  round_trip(&a);
  memset(a.app, '"', WL_PATH_MAX - 1); /* worst case for escaping */
  a.app[WL_PATH_MAX - 1] = '\0';
  round_trip(&a);
  for (int t = WL_EVT_OTHER; t <= WL_EVT_CAP_ALLOW; t++) {
    a.type = (uint8_t)t;
    round_trip(&a);
  }
}

/* What the decoder makes of an encoded replay event is what the line said. */
static void test_through_raw(void **state) {
  (void)state;
  wl_event a, b;
  wl_raw_event raw;
  full_event(&a, 1);
  a.app_dos[0] = '\0';
  wl_encode(&a, &raw);
  assert_int_equal(wl_decode(&raw, &b), 1);
  a.origin = b.origin;
  assert_same(&a, &b);
}

static char *write_tmp(const char *text) {
  static char path[1024];
  wl_test_write_file(wl_test_path(path, sizeof path, "wl_replay_test.jsonl"), text);
  return path;
}

/* A record dated past the clock (issue 18: it would become the store's retention anchor) is
 * malformed, with FILE:LINE; the records around it are read. */
static void test_reader_future(void **state) {
  (void)state;
  char *path = write_tmp("{\"ts\":\"2026-01-01T00:00:01Z\",\"type\":\"allow\"}\n"
                         "{\"ts\":\"9999-12-31T00:00:00Z\",\"type\":\"allow\"}\n"
                         "{\"ts\":\"2026-01-01T00:00:03Z\",\"type\":\"allow\"}\n");
  wl_replay_reader *r;
  wl_event ev;
  assert_int_equal(wl_replay_open(path, &r), WL_OK);
  assert_int_equal(wl_replay_next(r, &ev), 1);
  assert_int_equal(wl_replay_next(r, &ev), 1);
  assert_int_equal(wl_replay_next(r, &ev), 0);
  assert_int_equal(wl_replay_malformed(r), 1);
  const char *msg[1];
  assert_int_equal(wl_replay_errors(r, msg, 1), 1);
  char want[1100];
  snprintf(want, sizeof want, "%s:2: \"ts\": more than a day past this machine's clock", path);
  assert_string_equal(msg[0], want);
  wl_replay_close(r);
}

/* Issue 18 (Low): a UTF-8 byte order mark on line 1 is an editor's, not an error; a line holding
 * a NUL byte is reported as such (it was "line too long" in the traffic reader), and the lines
 * after it are read. */
static void test_reader_bom_and_nul(void **state) {
  (void)state;
  static const char text[] = "\xEF\xBB\xBF{\"ts\":\"2026-01-01T00:00:01Z\",\"type\":\"allow\"}\n"
                             "{\"ts\":\"2026-01-01T00:00:02Z\",\"ty\0pe\":\"allow\"}\r\n"
                             "{\"ts\":\"2026-01-01T00:00:03Z\",\"type\":\"allow\"}\n";
  char path[1024];
  wl_test_path(path, sizeof path, "wl_replay_bom.jsonl");
  FILE *f = fopen(path, "wb");
  assert_non_null(f);
  assert_int_equal(fwrite(text, 1, sizeof text - 1, f), sizeof text - 1);
  fclose(f);
  wl_replay_reader *r;
  wl_event ev;
  assert_int_equal(wl_replay_open(path, &r), WL_OK);
  assert_int_equal(wl_replay_next(r, &ev), 1);
  assert_int_equal(wl_replay_next(r, &ev), 1);
  assert_int_equal(wl_replay_next(r, &ev), 0);
  assert_int_equal(wl_replay_lines(r), 3);
  assert_int_equal(wl_replay_malformed(r), 1);
  const char *msg[1];
  assert_int_equal(wl_replay_errors(r, msg, 1), 1);
  char want[1100];
  snprintf(want, sizeof want, "%s:2: a NUL byte in the line", path);
  assert_string_equal(msg[0], want);
  wl_replay_close(r);
}

static void test_reader(void **state) {
  (void)state;
  size_t big = WL_REPLAY_LINE_MAX + 100;
  char *text = malloc(big + 4096);
  assert_non_null(text);
  strcpy(text, "{\"ts\":\"2026-01-01T00:00:00Z\",\"type\":\"drop\"}\n"
               "\n# a comment\n"
               "{\"ts\":\"2026-01-01T00:00:01Z\",\"type\":\"nope\"}\n"
               "not json\n");
  size_t n = strlen(text);
  memset(text + n, 'x', big);
  strcpy(text + n + big, "\n{\"ts\":\"2026-01-01T00:00:02Z\",\"type\":\"allow\"}\r\n"
                         "{\"ts\":\"2026-01-01T00:00:03Z\",\"type\":\"allow\"}");
  char *path = write_tmp(text);
  free(text);

  wl_replay_reader *r;
  assert_int_equal(wl_replay_open(path, &r), WL_OK);
  wl_event ev;
  uint64_t want[] = {0, 2, 3};
  for (size_t i = 0; i < 3; i++) {
    assert_int_equal(wl_replay_next(r, &ev), 1);
    uint64_t base;
    assert_int_equal(wl_time_parse("2026-01-01T00:00:00Z", 20, &base), WL_OK);
    assert_true(ev.ts == base + want[i] * WL_TICKS_PER_SEC);
  }
  assert_int_equal(wl_replay_next(r, &ev), 0);
  assert_int_equal(wl_replay_lines(r), 8);
  assert_int_equal(wl_replay_malformed(r), 3);
  const char *msgs[8];
  assert_int_equal(wl_replay_errors(r, msgs, 8), 3);
  char want4[1100], want5[1100], want6[1100];
  snprintf(want4, sizeof want4, "%s:4: ", path);
  snprintf(want5, sizeof want5, "%s:5: ", path);
  snprintf(want6, sizeof want6, "%s:6: line too long", path);
  assert_memory_equal(msgs[0], want4, strlen(want4));
  assert_non_null(strstr(msgs[0], "type"));
  assert_memory_equal(msgs[1], want5, strlen(want5));
  assert_string_equal(msgs[2], want6);
  wl_replay_close(r);
  remove(path);
  assert_int_equal(wl_replay_open("/nonexistent/x.jsonl", &r), WL_E_NOTFOUND);
  wl_replay_close(NULL);
}

static int teardown(void **state) {
  (void)state;
  wl_json_arena_free(&arena);
  return 0;
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_good_lines), cmocka_unit_test(test_bad_lines),
      cmocka_unit_test(test_round_trip), cmocka_unit_test(test_through_raw),
      cmocka_unit_test(test_reader), cmocka_unit_test(test_reader_future),
      cmocka_unit_test(test_reader_bom_and_nul),
  };
  return cmocka_run_group_tests(tests, NULL, teardown);
}
