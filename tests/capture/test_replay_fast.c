/* test_replay_fast.c — the replay path's shortcuts give exactly what the plain computation
 * gives: a line's members found by name in one pass (first of a name wins, near-miss names are
 * unknown keys, every name reaches its own field), the flat-object reader against the full one
 * (every prefix of lines of every shape: results, events, messages), the remembered SID texts
 * (wl_replay_parse_line_cached against wl_replay_parse_line, results and messages), and the
 * replay source's memory of apps and users (wl_replay_memo_encode against wl_encode, byte for
 * byte, with thousands of apps so slots are taken over; the drive memo's conditions), and the
 * reader's loop (wl_replay_next resets its event instead of clearing it) against
 * wl_replay_parse_line, one event over the next, long strings followed by short ones.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "capture/replay.h"
#include "capture/replay_memo.h"
#include "common/wl_err.h"
#include "common/wl_text.h"
#include "event/decode.h"
#include "tests/support/test_event.h"
#include "tests/support/test_files.h"

static wl_json_arena arena;

static const char *const names[] = {
    "ts", "type", "dir", "app", "app_dos", "app_truncated", "local", "remote", "local_port",
    "remote_port", "ip_version", "proto", "filter_id", "layer_id", "reauth", "loopback", "user",
    "package"};
#define N_NAMES (sizeof names / sizeof names[0])
#define TS_TYPE "\"ts\":\"2026-01-01T00:00:00Z\",\"type\":\"drop\""

static int parse(const char *line, wl_event *ev) {
  return wl_replay_parse_line(&arena, line, strlen(line), ev);
}

/* Each name, first in the line with an array value, is the field the error names: a name
 * reaching another field (or none) would give another message or none. */
static void test_every_name(void **state) {
  (void)state;
  char line[256], want[64];
  wl_event ev;
  for (size_t i = 0; i < N_NAMES; i++) {
    snprintf(line, sizeof line, "{\"%s\":[]," TS_TYPE ",\"%s\":null}", names[i], names[i]);
    assert_int_equal(parse(line, &ev), WL_E_PARSE);
    snprintf(want, sizeof want, "\"%s\": ", names[i]);
    assert_memory_equal(wl_errmsg(), want, strlen(want));
    /* the same name later with a bad value is not looked at: the first one wins */
    if (strcmp(names[i], "ts") && strcmp(names[i], "type")) {
      snprintf(line, sizeof line, "{" TS_TYPE ",\"%s\":null,\"%s\":[]}", names[i], names[i]);
      assert_int_equal(parse(line, &ev), 1);
      assert_int_equal(ev.has, 0);
    }
  }
}

/* Names one letter off, one letter short or long, or of another case are unknown keys. */
static void test_near_names(void **state) {
  (void)state;
  char line[256], key[32];
  wl_event ev;
  for (size_t i = 0; i < N_NAMES; i++) {
    size_t n = strlen(names[i]);
    for (size_t k = 0; k <= n; k++) {
      for (int variant = 0; variant < 4; variant++) {
        memcpy(key, names[i], n + 1);
        if (variant == 0 && k < n)
          key[k] ^= 0x20; /* case */
        else if (variant == 1 && k < n)
          key[k] = key[k] == 'x' ? 'y' : 'x';
        else if (variant == 2) {
          memmove(key + k + 1, key + k, n - k + 1);
          key[k] = 'e';
        } else if (variant == 3 && k < n)
          memmove(key + k, key + k + 1, n - k);
        else
          continue;
        int known = 0;
        for (size_t j = 0; j < N_NAMES; j++)
          known |= strcmp(key, names[j]) == 0;
        if (known)
          continue; /* the change made another real name */
        snprintf(line, sizeof line, "{" TS_TYPE ",\"%s\":[]}", key);
        assert_int_equal(parse(line, &ev), 1);
        assert_int_equal(ev.has, 0);
      }
    }
  }
}

static const char *const sids[] = {
    "S-1-5-18", "S-1-5-21-1004336348-1177238915-682003330-1001", "s-1-5-18", "S-1-5-19",
    "S-1-15-2-1-2-3-4-5-6-7", "S-1-0-0", "S-1-5", "root", "S-1-5-", "S-1-5-18-", "S-1-99999999999999",
    "S-1-5-4294967296", "S-1-5-4294967295", "", "S-1-281474976710655-1", "S-1-5-21-1-2-3-1002",
};

/* Cached and uncached parsing agree on every line, in a long mixed sequence that fills and
 * turns over the remembered entries. */
static void test_sid_memory(void **state) {
  (void)state;
  wl_replay_cache *c = calloc(1, sizeof *c);
  assert_non_null(c);
  char line[512], msg[512];
  wl_event a, b;
  uint32_t x = 12345;
  for (int i = 0; i < 4000; i++) {
    x = x * 1103515245u + 12345u;
    const char *u = sids[(x >> 8) % (sizeof sids / sizeof sids[0])];
    const char *p = sids[(x >> 20) % (sizeof sids / sizeof sids[0])];
    snprintf(line, sizeof line, "{" TS_TYPE ",\"user\":\"%s\",\"package\":\"%s\"}", u, p);
    int ra = wl_replay_parse_line(&arena, line, strlen(line), &a);
    snprintf(msg, sizeof msg, "%s", wl_errmsg());
    int rb = wl_replay_parse_line_cached(&arena, c, line, strlen(line), &b);
    assert_int_equal(ra, rb);
    if (ra == 1)
      assert_memory_equal(&a, &b, sizeof a);
    else
      assert_string_equal(msg, wl_errmsg());
  }
  free(c);
}

/* Both readers on one line: the same result, event bytes and message. */
static void agree(wl_replay_cache *c, const char *line, size_t len) {
  static char msg[4096];
  wl_event a, b;
  char *copy = malloc(len + 1); /* exact size: ASan sees a read past the line */
  assert_non_null(copy);
  memcpy(copy, line, len);
  copy[len] = '\0';
  int ra = wl_replay_parse_line(&arena, copy, len, &a);
  snprintf(msg, sizeof msg, "%s", wl_errmsg());
  int rb = wl_replay_parse_line_cached(&arena, c, copy, len, &b);
  free(copy);
  assert_int_equal(ra, rb);
  if (ra == 1)
    assert_memory_equal(&a, &b, sizeof a);
  else if (ra < 0)
    assert_string_equal(msg, wl_errmsg());
}

static const char *const flat_lines[] = {
    "{\"ts\":\"2022-06-18T04:26:40.0012629Z\",\"type\":\"allow\",\"dir\":\"out\",\"app\":"
    "\"\\\\device\\\\harddiskvolume3\\\\program files\\\\app3\\\\bin3.exe\",\"app_dos\":"
    "\"C:\\\\Program Files\\\\app3\\\\bin3.exe\",\"proto\":6,\"local\":\"192.168.1.23:60690\","
    "\"remote\":\"101.31.124.224:80\",\"filter_id\":65000,\"layer_id\":48,\"user\":\"S-1-5-18\","
    "\"loopback\":false,\"reauth\":2,\"package\":null,\"x\":-1.5e3,\"\":true}",
    " {\t\"ts\" : \"2026-01-01T00:00:00Z\" ,\r\n\"type\":\"drop\" , \"app_truncated\" : true } ",
    "{\"ts\":\"2026-01-01T00:00:00Z\",\"type\":\"drop\",\"extra\":[1,{\"a\":2}],\"dir\":\"in\"}",
    "{\"ts\":\"2026-01-01T00:00:00Z\",\"typ\\u0065\":\"drop\"}",
    "{\"ts\":\"2026-01-01T00:00:00Z\",\"type\":\"drop\",\"caf\xc3\xa9\":1}",
    "{\"ts\":\"2026-01-01T00:00:00Z\",\"type\":\"drop\",\"app\":\"\\u00e9\\ud83d\\ude00\\ud800\"}",
    "{\"ts\":\"2026-01-01T00:00:00Z\",\"type\":\"drop\",\"proto\":06}",
    "{\"ts\":\"2026-01-01T00:00:00Z\",\"type\":\"drop\",\"loopback\":tru}",
    "{\"ts\":\"2026-01-01T00:00:00Z\",\"type\":\"drop\"}{}",
    "{\"ts\":\"2026-01-01T00:00:00Z\",\"type\":\"drop\",}",
    "{\"ts\":\"2026-01-01T00:00:00Z\" \"type\":\"drop\"}",
    "{\"ts\":\"2026-01-01T00:00:00Z\",\"type\":\"drop\",\"user\":\"S-1-5-18\",\"user\":5}",
    "{}", "[]", "\"x\"", "5", "{\"a\":\"\x01\"}", "{\"a\":\"\xff\"}", "{\"a\" 1}", "{\"a\":}",
};

/* The flat reader and the full one agree on lines of every shape, and on every prefix of them
 * (each prefix a different error, or a different line). */
static void test_flat_agrees(void **state) {
  (void)state;
  wl_replay_cache *c = calloc(1, sizeof *c);
  assert_non_null(c);
  for (size_t i = 0; i < sizeof flat_lines / sizeof flat_lines[0]; i++) {
    size_t n = strlen(flat_lines[i]);
    for (size_t k = 0; k <= n; k++)
      agree(c, flat_lines[i], k);
  }
  free(c);
}

static const char *const endpoints[] = {
    "1.2.3.4", "1.2.3.4:0", "0.0.0.0:80", "255.255.255.255:65535", "01.2.3.4", "1.2.3.4:065",
    "256.1.1.1", "1.2.3.4:65536", "1.2.3", "1.2.3.4.5", "1.2.3.4:", ":80", "1.2.3.4:80:1",
    "[1.2.3.4]:80", "1.2.3.4 ", " 1.2.3.4", "1234.1.1.1", "1.2.3.4:123456", "1.2.3.4:1234567",
    "1..3.4", "1.2.3.4%1", "[2001:db8::1]:443", "2001:db8::1", "::ffff:1.2.3.4", "1.2.3.-4",
    "1.2.3.4:-1", "1.2.3.4:8o", "10.0.0.1:00", "100.200.250.199:9999",
};
static const char *const times[] = {
    "2026-01-01T00:00:00.0000001Z", "2026-01-01T00:00:00.9999999Z", "2026-01-01T00:00:01.0000000Z",
    "2026-01-01T00:00:00.1234567Z", "2026-01-01T00:00:00.1234567z", "2026-01-01T00:00:00.123456Z",
    "2026-01-01T00:00:00.12345678Z", "2026-01-01T00:00:00.12345a7Z", "2026-01-01t00:00:00.1234567Z",
    "2026-02-30T00:00:00.1234567Z", "2026-02-30T00:00:00.7654321Z", "2026-01-01T00:00:00.1234567+",
    "2026-01-01 00:00:00.1234567Z", "2026-01-01T00:00:00Z", "2026-01-01T00:00:00.5+02:00",
    "1600-01-01T00:00:00.1234567Z", "2026-01-01T00:00:00.1234567Z", "9999-12-31T23:59:59.9999999Z",
    "2026-01-01T00:00:00.0000000Z", "2026-01-01T00:00:00.0000009Z",
};

/* The direct "a.b.c.d[:port]" reader and the remembered time prefix against the full readers,
 * with the cache carried from line to line (so a prefix read earlier serves later lines). */
static void test_fast_fields_agree(void **state) {
  (void)state;
  char line[256];
  wl_replay_cache *c = calloc(1, sizeof *c);
  assert_non_null(c);
  for (int round = 0; round < 2; round++) {
    for (size_t i = 0; i < sizeof endpoints / sizeof endpoints[0]; i++) {
      snprintf(line, sizeof line, "{" TS_TYPE ",\"remote\":\"%s\",\"local\":\"%s\"}",
               endpoints[i], endpoints[(i + 3) % (sizeof endpoints / sizeof endpoints[0])]);
      agree(c, line, strlen(line));
      snprintf(line, sizeof line, "{" TS_TYPE ",\"local\":\"%s\"}", endpoints[i]);
      agree(c, line, strlen(line));
    }
    for (size_t i = 0; i < sizeof times / sizeof times[0]; i++) {
      snprintf(line, sizeof line, "{\"ts\":\"%s\",\"type\":\"drop\"}", times[i]);
      agree(c, line, strlen(line));
    }
  }
  free(c);
}

static void make_event(wl_event *ev, uint32_t x, int napps) {
  static const char *const users[] = {"S-1-5-18", "S-1-5-21-1-2-3-1001", "", "S-1-5-19"};
  wl_event_clear(ev);
  ev->ts = 133000000000000000ull + x;
  ev->type = WL_EVT_DROP;
  ev->has = WL_HAS_PROTO | WL_HAS_DIR;
  ev->proto = 6;
  ev->dir = WL_DIR_OUT;
  unsigned app = (x >> 4) % (unsigned)napps;
  if (app % 7 != 6) {
    ev->has |= WL_HAS_APP;
    size_t len = (size_t)snprintf(ev->app, sizeof ev->app, "\\device\\harddiskvolume3\\app%u\\%s.exe",
                                  app, app % 5 == 1 ? "caf\xc3\xa9\xf0\x9f\x98\x80" : "b");
    if (app % 11 == 3) { /* around and past what a slot keeps */
      size_t want = 200 + app % 120;
      while (len < want && len + 1 < sizeof ev->app)
        ev->app[len++] = 'z';
      ev->app[len] = '\0';
    }
    if ((x >> 12) % 9 == 0)
      ev->has |= WL_HAS_APP_TRUNC;
  }
  if ((x >> 14) % 3 == 0)
    snprintf(ev->app_dos, sizeof ev->app_dos, "C:\\app%u\\b.exe", app);
  const char *u = users[(x >> 16) % 4];
  if (u[0]) {
    ev->has |= WL_HAS_USER;
    snprintf(ev->user, sizeof ev->user, "%s", u);
  }
  if ((x >> 18) % 5 == 0) {
    ev->has |= WL_HAS_PACKAGE;
    snprintf(ev->package, sizeof ev->package, "S-1-15-2-1-2-%u", x % 3);
  }
}

/* The bytes of a raw record past each SID's and the app id's length mean nothing (wl_encode
 * leaves them as they were): cleared so two records compare by what they say. */
static void raw_tails_clear(wl_raw_event *r) {
  if (r->user_sid_len < sizeof r->user_sid)
    memset(r->user_sid + r->user_sid_len, 0, sizeof r->user_sid - r->user_sid_len);
  if (r->package_sid_len < sizeof r->package_sid)
    memset(r->package_sid + r->package_sid_len, 0, sizeof r->package_sid - r->package_sid_len);
  if (r->app_id_copied < sizeof r->app_id)
    memset(r->app_id + r->app_id_copied, 0, sizeof r->app_id - r->app_id_copied);
}

/* wl_replay_memo_encode == wl_encode, byte for byte (past the tails), with few apps (hits) and with many more
 * apps than slots (slots taken over again and again). */
static void test_memo_encode(void **state) {
  (void)state;
  wl_replay_memo *m = calloc(1, sizeof *m);
  assert_non_null(m);
  wl_raw_event *want = malloc(sizeof *want), *got = malloc(sizeof *got);
  assert_true(want && got);
  wl_event ev, before;
  int napps[] = {5, 300, 5000};
  uint32_t x = 777;
  for (size_t k = 0; k < 3; k++)
    for (int i = 0; i < 20000; i++) {
      x = x * 1664525u + 1013904223u;
      make_event(&ev, x, napps[k]);
      before = ev;
      wl_encode(&ev, want);
      wl_replay_memo_slot *s = wl_replay_memo_app(i % 97 == 5 ? NULL : m, &ev);
      wl_replay_memo_encode(i % 89 == 7 ? NULL : m, s, &ev, got);
      raw_tails_clear(want);
      raw_tails_clear(got);
      assert_memory_equal(want, got, sizeof *want);
      assert_memory_equal(&ev, &before, sizeof ev);
    }
  free(want);
  free(got);
  free(m);
}

static void test_memo_drive(void **state) {
  (void)state;
  wl_replay_memo *m = calloc(1, sizeof *m);
  assert_non_null(m);
  wl_event ev;
  make_event(&ev, 0, 1);
  ev.has |= WL_HAS_APP;
  snprintf(ev.app, sizeof ev.app, "\\device\\harddiskvolume3\\a.exe");
  snprintf(ev.app_dos, sizeof ev.app_dos, "C:\\a.exe");
  wl_replay_memo_slot *s = wl_replay_memo_app(m, &ev);
  assert_non_null(s);
  assert_false(wl_replay_memo_drive_known(s, &ev, 0));
  wl_replay_memo_drive_note(s, &ev, 3);
  assert_true(wl_replay_memo_drive_known(s, &ev, 3));
  assert_false(wl_replay_memo_drive_known(s, &ev, 4)); /* seen changed since */
  snprintf(ev.app_dos, sizeof ev.app_dos, "D:\\a.exe");
  assert_false(wl_replay_memo_drive_known(s, &ev, 3)); /* another app_dos */
  ev.app_dos[0] = '\0';
  assert_false(wl_replay_memo_drive_known(s, &ev, 3));
  assert_false(wl_replay_memo_drive_known(NULL, &ev, 3));
  ev.has &= ~WL_HAS_APP;
  assert_null(wl_replay_memo_app(m, &ev));
  free(m);
}

/* wl_replay_next reuses one event, only reset between lines: every field and string is what
 * the reference reader gives on a cleared event, whatever the line before held (apps long and
 * short, with and without app_dos, SIDs and none, the flat lines of every shape and the
 * malformed ones skipped between them). */
static void test_reader_reset_agrees(void **state) {
  (void)state;
  char path[512], *text = malloc(1u << 20);
  static char line[WL_REPLAY_LINE_MAX];
  assert_non_null(text);
  size_t len = 0, nflat = sizeof flat_lines / sizeof flat_lines[0];
  wl_event ev, want;
  for (uint32_t i = 0; i < 600; i++) {
    make_event(&ev, i * 2654435761u, 40);
    len += wl_replay_format(&ev, text + len, (1u << 20) - len);
    if (i % 4 == 0) { /* a flat-lines line between them (errors included) */
      const char *f = flat_lines[(i / 4) % nflat];
      size_t n = strlen(f);
      if (memchr(f, '\n', n) || memchr(f, '\r', n))
        continue; /* one line each */
      memcpy(text + len, f, n);
      text[len + n] = '\n';
      len += n + 1;
    }
  }
  assert_true(len < (1u << 20));
  text[len] = '\0';
  wl_test_write_file(wl_test_path(path, sizeof path, "reset.jsonl"), text);
  wl_replay_reader *r;
  assert_int_equal(wl_replay_open(path, &r), WL_OK);
  memset(&ev, 0x5A, sizeof ev); /* what a stale event would hold */
  size_t at = 0, got = 0;
  while (wl_replay_next(r, &ev) == 1) {
    int rc;
    do { /* the next line the reference reads as an event */
      char *nl = memchr(text + at, '\n', len - at);
      assert_non_null(nl);
      size_t n = (size_t)(nl - (text + at));
      memcpy(line, text + at, n);
      at += n + 1;
      rc = wl_replay_parse_line(&arena, line, n, &want);
    } while (rc != 1);
    wl_test_assert_event(&want, &ev);
    assert_string_equal(want.app_dos, ev.app_dos);
    assert_int_equal(want.origin, ev.origin);
    got++;
  }
  assert_true(got >= 600 && wl_replay_malformed(r) > 0);
  wl_replay_close(r);
  remove(path);
  free(text);
}

/* The future-ts bound read once per WL_REPLAY_CLOCK_LINES lines refuses and lets through what a
 * clock read per line does: times just under and just over a day ahead, far ahead and now,
 * over several refreshes of the bound. */
static void test_future_bound_agrees(void **state) {
  (void)state;
  wl_replay_cache *c = calloc(1, sizeof *c);
  assert_non_null(c);
  char line[256], ts[WL_TIME_STR_MAX];
  const uint64_t hour = 3600ull * 10000000ull;
  uint64_t now = wl_time_now();
  const uint64_t when[] = {now, now + 23 * hour, now + 25 * hour, 2650467743990000000ull};
  size_t refused = 0;
  for (uint32_t i = 0; i < 3 * WL_REPLAY_CLOCK_LINES + 7; i++) {
    wl_time_format(when[i % 4] + i, ts);
    snprintf(line, sizeof line, "{\"ts\":\"%s\",\"type\":\"drop\"}", ts);
    agree(c, line, strlen(line));
    refused += wl_replay_parse_line_cached(&arena, c, line, strlen(line), &(wl_event){0}) < 0;
  }
  assert_int_equal(refused, (3 * WL_REPLAY_CLOCK_LINES + 7) / 2); /* the two future ones */
  free(c);
}

static int teardown(void **state) {
  (void)state;
  wl_json_arena_free(&arena);
  return 0;
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_every_name), cmocka_unit_test(test_near_names),
      cmocka_unit_test(test_sid_memory), cmocka_unit_test(test_memo_encode),
      cmocka_unit_test(test_memo_drive), cmocka_unit_test(test_flat_agrees),
      cmocka_unit_test(test_fast_fields_agree), cmocka_unit_test(test_reader_reset_agrees),
      cmocka_unit_test(test_future_bound_agrees),
  };
  return cmocka_run_group_tests(tests, NULL, teardown);
}
