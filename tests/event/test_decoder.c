/* test_decoder.c — the consumer's cached decoder (wl_decoder, event/decode.h) against the
 * plain one: hits, misses, collisions and replacement in a set, keys that differ only in the
 * last byte or in whether the copy was cut, the DOS form re-mapped after every change of the
 * drive map (in place, a re-read map, another map), SIDs that do not decode never cached, the
 * reset of an event full of garbage, and a long differential run of random raw records (app id
 * blobs odd, unterminated, cut, with invalid UTF-16; SIDs malformed, short, over-long) through
 * tiny and default caches, and one whose hash is the same for every key, while the map
 * changes, where every field must equal wl_decode's. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "common/wl_err.h"
#include "common/wl_text.h"
#include "event/decode.h"
#include "event/paths.h"
#include "tests/support/test_event.h"

#define VOL3 "\\device\\harddiskvolume3"
#define VOL4 "\\device\\harddiskvolume4"

/* The UTF-16LE of s (UTF-8) into r's app id with a terminator, as WFP gives app ids. */
static void put_app(wl_raw_event *r, const char *s) {
  size_t n = wl_utf8_to_utf16le(s, strlen(s), r->app_id, WL_RAW_APP_MAX - 2);
  assert_true(n <= WL_RAW_APP_MAX - 2);
  r->app_id[n] = r->app_id[n + 1] = 0;
  r->app_id_size = r->app_id_copied = (uint32_t)(n + 2);
  r->flags |= WL_RAW_APP_ID_SET;
}

static void put_user(wl_raw_event *r, const char *sid) {
  int n = wl_sid_from_string(sid, r->user_sid);
  assert_true(n > 0);
  r->user_sid_len = (uint8_t)n;
  r->flags |= WL_RAW_USER_ID_SET;
}

static void base_raw(wl_raw_event *r) {
  memset(r, 0, sizeof *r);
  r->type = WL_RAW_TYPE_CLASSIFY_ALLOW;
  r->timestamp = 133500000000000000ULL;
}

static wl_decoder *make(size_t apps, size_t sids) {
  wl_decoder *d;
  assert_int_equal(wl_decoder_create(apps, sids, &d), WL_OK);
  return d;
}

static wl_decoder_stats stats(const wl_decoder *d) {
  wl_decoder_stats s;
  wl_decoder_get_stats(d, &s);
  return s;
}

/* What the decoder's app_dos must be: the app's DOS form under map when it is an NT path. */
static void want_dos(const wl_event *a, const wl_path_map *map, char *out) {
  out[0] = '\0';
  if (map && (a->has & WL_HAS_APP) && !wl_path_is_dos(a->app) &&
      wl_path_to_dos(map, a->app, out, WL_PATH_MAX) != 1)
    out[0] = '\0';
  wl_err_clear();
}

/* Decode r both ways (the decoder's event full of garbage first) and compare. */
static void check(wl_decoder *d, const wl_raw_event *r, const wl_path_map *map) {
  wl_event a, b;
  char dos[WL_PATH_MAX];
  memset(&b, 0x5A, sizeof b);
  int ka = wl_decode(r, &a), kb = wl_decoder_decode(d, r, map, &b);
  assert_int_equal(ka, kb);
  if (!ka) {
    assert_int_equal(b.type, WL_EVT_OTHER);
    assert_int_equal(b.ts, a.ts);
    return;
  }
  wl_test_assert_event(&a, &b); /* b from the decoder, a from wl_decode */
  assert_int_equal(a.origin, b.origin);
  want_dos(&a, map, dos);
  assert_string_equal(b.app_dos, dos);
}

static void test_hit_and_miss(void **state) {
  (void)state;
  wl_decoder *d = make(0, 0);
  wl_path_map m;
  wl_path_map_init(&m);
  assert_int_equal(wl_path_map_add(&m, 'C', VOL3), WL_OK);
  wl_raw_event r;
  base_raw(&r);
  put_app(&r, VOL3 "\\x\\a.exe");
  put_user(&r, "S-1-5-21-3623811015-3361044348-30300820-1013");
  check(d, &r, &m);
  wl_decoder_stats s = stats(d);
  assert_true(s.app_hits == 0 && s.app_misses == 1 && s.dos_maps == 1);
  assert_true(s.sid_hits == 0 && s.sid_misses == 1);
  check(d, &r, &m);
  s = stats(d);
  assert_true(s.app_hits == 1 && s.app_misses == 1 && s.dos_maps == 1);
  assert_true(s.sid_hits == 1 && s.sid_misses == 1);
  wl_event ev;
  assert_int_equal(wl_decoder_decode(d, &r, &m, &ev), 1);
  assert_string_equal(ev.app, VOL3 "\\x\\a.exe");
  assert_string_equal(ev.app_dos, "C:\\x\\a.exe");
  assert_string_equal(ev.user, "S-1-5-21-3623811015-3361044348-30300820-1013");

  /* the same length, the last code unit before the terminator differs: another app */
  wl_raw_event r2 = r;
  r2.app_id[r2.app_id_size - 4] = 'f';
  check(d, &r2, &m);
  assert_int_equal(stats(d).app_misses, 2);
  assert_int_equal(wl_decoder_decode(d, &r2, &m, &ev), 1);
  assert_string_equal(ev.app, VOL3 "\\x\\a.exf");

  /* the same bytes without a terminator: whole, then a copy cut short of the blob's size */
  wl_raw_event u = r;
  u.app_id_size = u.app_id_copied = r.app_id_size - 2;
  check(d, &u, &m);
  assert_int_equal(wl_decoder_decode(d, &u, &m, &ev), 1);
  assert_int_equal(ev.has & WL_HAS_APP_TRUNC, 0);
  u.app_id_size += 40;
  check(d, &u, &m);
  assert_int_equal(wl_decoder_decode(d, &u, &m, &ev), 1);
  assert_int_equal(ev.has & WL_HAS_APP_TRUNC, WL_HAS_APP_TRUNC);
  u.app_id_size -= 40; /* and back: the whole one is still right */
  assert_int_equal(wl_decoder_decode(d, &u, &m, &ev), 1);
  assert_int_equal(ev.has & WL_HAS_APP_TRUNC, 0);

  /* a terminator inside a cut copy ends the string: not truncated */
  wl_raw_event t = r;
  t.app_id_size += 40;
  check(d, &t, &m);
  assert_int_equal(wl_decoder_decode(d, &t, &m, &ev), 1);
  assert_int_equal(ev.has & WL_HAS_APP_TRUNC, 0);
  wl_decoder_destroy(d);
}

/* Four ways a set: a fifth app replaces the least recently used one; results stay exact. */
static void test_collisions(void **state) {
  (void)state;
  wl_decoder *d = make(4, 1); /* one set of four apps, one SID slot */
  wl_raw_event r[5];
  char app[64];
  for (int i = 0; i < 5; i++) {
    base_raw(&r[i]);
    snprintf(app, sizeof app, VOL3 "\\app%d.exe", i);
    put_app(&r[i], app);
    put_user(&r[i], i % 2 ? "S-1-5-18" : "S-1-5-21-1-2-3-1001");
  }
  for (int i = 0; i < 4; i++)
    check(d, &r[i], NULL);
  for (int i = 0; i < 4; i++)
    check(d, &r[i], NULL);
  wl_decoder_stats s = stats(d);
  assert_true(s.app_misses == 4 && s.app_hits == 4);
  assert_int_equal(s.sid_hits, 0); /* one slot, two SIDs in turn: each replaces the other */
  assert_int_equal(s.sid_misses, 8);
  check(d, &r[1], NULL); /* 1 is now the most recent; 0 the least */
  check(d, &r[4], NULL); /* replaces 0 */
  check(d, &r[2], NULL);
  check(d, &r[3], NULL);
  check(d, &r[1], NULL);
  check(d, &r[4], NULL);
  s = stats(d);
  assert_true(s.app_misses == 5 && s.app_hits == 9);
  check(d, &r[0], NULL); /* gone: decoded again, right */
  assert_int_equal(stats(d).app_misses, 6);
  /* the same SID twice in a row hits, even in one slot */
  check(d, &r[0], NULL);
  assert_true(stats(d).sid_hits >= 1);
  wl_decoder_destroy(d);
}

/* The DOS form follows the map: a drive re-pointed or added in place, the map read again
 * (init + adds, even to the same number of drives), another map, no map. */
static void test_map_changes(void **state) {
  (void)state;
  wl_decoder *d = make(0, 0);
  wl_path_map m, m2;
  wl_event ev;
  wl_raw_event r;
  base_raw(&r);
  put_app(&r, VOL3 "\\x\\a.exe");
  wl_path_map_init(&m);
  assert_int_equal(wl_path_map_add(&m, 'C', VOL3), WL_OK);
  assert_int_equal(wl_decoder_decode(d, &r, &m, &ev), 1);
  assert_string_equal(ev.app_dos, "C:\\x\\a.exe");
  assert_int_equal(wl_path_map_add(&m, 'C', VOL4), WL_OK); /* re-pointed */
  assert_int_equal(wl_decoder_decode(d, &r, &m, &ev), 1);
  assert_string_equal(ev.app_dos, "");
  assert_int_equal(wl_path_map_add(&m, 'D', VOL3), WL_OK); /* added */
  assert_int_equal(wl_decoder_decode(d, &r, &m, &ev), 1);
  assert_string_equal(ev.app_dos, "D:\\x\\a.exe");
  wl_path_map_init(&m); /* read again: one drive, as before */
  assert_int_equal(wl_path_map_add(&m, 'E', VOL3), WL_OK);
  assert_int_equal(wl_decoder_decode(d, &r, &m, &ev), 1);
  assert_string_equal(ev.app_dos, "E:\\x\\a.exe");
  wl_path_map_init(&m2);
  assert_int_equal(wl_path_map_add(&m2, 'F', VOL3), WL_OK);
  assert_int_equal(wl_decoder_decode(d, &r, &m2, &ev), 1);
  assert_string_equal(ev.app_dos, "F:\\x\\a.exe");
  assert_int_equal(wl_decoder_decode(d, &r, &m, &ev), 1);
  assert_string_equal(ev.app_dos, "E:\\x\\a.exe");
  assert_int_equal(wl_decoder_decode(d, &r, NULL, &ev), 1);
  assert_string_equal(ev.app_dos, "");
  assert_string_equal(ev.app, VOL3 "\\x\\a.exe");
  /* an unchanged map is not asked again */
  assert_int_equal(wl_decoder_decode(d, &r, &m2, &ev), 1);
  uint64_t maps = stats(d).dos_maps;
  assert_int_equal(wl_decoder_decode(d, &r, &m, &ev), 1);
  assert_int_equal(wl_decoder_decode(d, &r, &m, &ev), 1);
  assert_int_equal(stats(d).dos_maps, maps + 1);
  /* a DOS app is left to the caller; \device\mup\ maps without a drive */
  base_raw(&r);
  put_app(&r, "C:\\x\\a.exe");
  check(d, &r, &m);
  base_raw(&r);
  put_app(&r, "\\device\\mup\\srv\\share\\a.exe");
  assert_int_equal(wl_decoder_decode(d, &r, &m, &ev), 1);
  assert_string_equal(ev.app_dos, "\\\\srv\\share\\a.exe");
  wl_decoder_destroy(d);
}

/* SIDs that do not decode are decoded (and their error set) every time, never cached. */
static void test_bad_sids(void **state) {
  (void)state;
  wl_decoder *d = make(0, 0);
  wl_raw_event r;
  wl_event ev;
  base_raw(&r);
  put_user(&r, "S-1-5-21-1-2-3-1001");
  r.user_sid[0] = 2; /* revision 2 */
  for (int i = 0; i < 3; i++) {
    wl_err_clear();
    assert_int_equal(wl_decoder_decode(d, &r, NULL, &ev), 1);
    assert_int_equal(ev.has & WL_HAS_USER, 0);
    assert_string_equal(ev.user, "");
    assert_true(wl_errmsg()[0] != '\0');
  }
  assert_true(stats(d).sid_misses == 3 && stats(d).sid_hits == 0);
  r.user_sid[0] = 1;
  r.user_sid_len = 12; /* shorter than its 5 subauthorities */
  check(d, &r, NULL);
  check(d, &r, NULL);
  r.user_sid_len = 200; /* more than a SID holds: the first WL_SID_MAX bytes count */
  check(d, &r, NULL);
  check(d, &r, NULL);
  /* the null package SID means none, from the cache too */
  wl_raw_event p;
  base_raw(&p);
  int n = wl_sid_from_string("S-1-0-0", p.package_sid);
  p.package_sid_len = (uint8_t)n;
  p.flags |= WL_RAW_PACKAGE_ID_SET;
  for (int i = 0; i < 2; i++) {
    assert_int_equal(wl_decoder_decode(d, &p, NULL, &ev), 1);
    assert_int_equal(ev.has & WL_HAS_PACKAGE, 0);
    assert_string_equal(ev.package, "");
  }
  wl_decoder_destroy(d);
}

/* wl_event_reset: every field zero and every string empty, whatever the event held. */
static void test_event_reset(void **state) {
  (void)state;
  wl_event ev, zero;
  memset(&ev, 0x5A, sizeof ev);
  wl_event_clear(&zero);
  wl_event_reset(&ev);
  assert_memory_equal(&ev, &zero, offsetof(wl_event, app));
  assert_string_equal(ev.app, "");
  assert_string_equal(ev.app_dos, "");
  assert_string_equal(ev.user, "");
  assert_string_equal(ev.package, "");
}

static void test_create_args(void **state) {
  (void)state;
  wl_decoder *d = (wl_decoder *)1;
  assert_int_equal(wl_decoder_create(3, 0, &d), WL_E_INVAL);
  assert_null(d);
  assert_int_equal(wl_decoder_create(2, 0, &d), WL_E_INVAL);
  assert_int_equal(wl_decoder_create(0, 6, &d), WL_E_INVAL);
  assert_int_equal(wl_decoder_create(1u << 17, 0, &d), WL_E_INVAL);
  wl_decoder_destroy(NULL);
}

/* ---- the differential run ---- */

static uint64_t rng_state = 0x9E3779B97F4A7C15ULL;
static uint32_t rnd(uint32_t n) {
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 7;
  rng_state ^= rng_state << 17;
  return (uint32_t)(rng_state >> 11) % n;
}

static const char *const apps[] = {
    VOL3 "\\windows\\system32\\svchost.exe",
    VOL3 "\\WINDOWS\\System32\\svchost.exe",
    VOL4 "\\tools\\b.exe",
    "\\device\\harddiskvolume30\\c.exe",
    "\\device\\mup\\srv\\share\\d.exe",
    "C:\\dos\\e.exe",
    "\\\\srv\\share\\f.exe",
    VOL3 "\\caf\xc3\xa9\\\xf0\x9f\x98\x80.exe",
    VOL3,
    "x",
};

static const char *const sids[] = {"S-1-5-18", "S-1-5-21-3623811015-3361044348-30300820-1013",
                                   "S-1-15-2-1-2-3-4-5-6-7", "S-1-0-0", "S-1-0x0100000000FF-7"};

/* A random app id: one of the apps, in one of the shapes WFP blobs (and broken ones) take. */
static void rand_app(wl_raw_event *r) {
  static char longapp[490]; /* 980 bytes of UTF-16: what a record holds */
  if (!longapp[0]) {
    size_t k = (size_t)snprintf(longapp, sizeof longapp, VOL3);
    while (k + 10 < sizeof longapp)
      k += (size_t)snprintf(longapp + k, sizeof longapp - k, "\\longname");
  }
  uint32_t pick = rnd(sizeof apps / sizeof apps[0] + 1);
  put_app(r, pick < sizeof apps / sizeof apps[0] ? apps[pick] : longapp);
  uint32_t len = r->app_id_size - 2; /* without the terminator */
  switch (rnd(9)) {
  case 0: /* as WFP gives it */
    break;
  case 1: /* no terminator */
    r->app_id_size = r->app_id_copied = len;
    break;
  case 2: /* an odd size: a stray byte */
    r->app_id[len] = 'Z';
    r->app_id_size = r->app_id_copied = len + 1;
    break;
  case 3: /* a copy cut short of the blob */
    r->app_id_copied = len / 2 + rnd(2);
    r->app_id_size = len + 2;
    break;
  case 4: /* a copy bigger than the blob says */
    r->app_id_copied = len + 2;
    r->app_id_size = len / 2;
    break;
  case 5: /* a lone surrogate inside */
    if (len >= 4) {
      r->app_id[2] = 0x00;
      r->app_id[3] = (uint8_t)(rnd(2) ? 0xD8 : 0xDC);
    }
    break;
  case 6: /* empty, or only a terminator */
    r->app_id_size = r->app_id_copied = rnd(2) ? 0 : 2;
    r->app_id[0] = r->app_id[1] = 0;
    break;
  case 7: /* the flag unset */
    r->flags &= ~WL_RAW_APP_ID_SET;
    break;
  default: /* a NUL in the middle */
    if (len >= 6)
      r->app_id[4] = r->app_id[5] = 0;
    break;
  }
}

static void rand_sid(uint8_t *sid, uint8_t *len, uint32_t *flags, uint32_t bit) {
  int n = wl_sid_from_string(sids[rnd(sizeof sids / sizeof sids[0])], sid);
  assert_true(n > 0);
  *len = (uint8_t)n;
  *flags |= bit;
  switch (rnd(8)) {
  case 0:
    *flags &= ~bit;
    break;
  case 1:
    *len = 0; /* the pointer was NULL */
    break;
  case 2:
    *len = (uint8_t)(n - 1 - (int)rnd(4)); /* too short for its count */
    break;
  case 3:
    sid[0] = 3; /* not revision 1 */
    break;
  case 4:
    *len = 255;
    break;
  default:
    break;
  }
}

static void rand_raw(wl_raw_event *r) {
  static const uint32_t types[] = {WL_RAW_TYPE_CLASSIFY_DROP, WL_RAW_TYPE_CLASSIFY_ALLOW,
                                   WL_RAW_TYPE_CAPABILITY_DROP, WL_RAW_TYPE_CAPABILITY_ALLOW, 1};
  memset(r, 0, sizeof *r);
  r->type = types[rnd(5)];
  r->timestamp = 133500000000000000ULL + rnd(1000000);
  r->flags = rnd(0x4000) & ~(WL_RAW_APP_ID_SET | WL_RAW_USER_ID_SET | WL_RAW_PACKAGE_ID_SET);
  r->ip_version = rnd(3);
  r->ip_protocol = (uint8_t)rnd(20);
  for (int i = 0; i < 16; i++) {
    r->local_addr[i] = (uint8_t)rnd(256);
    r->remote_addr[i] = (uint8_t)rnd(256);
  }
  r->local_port = (uint16_t)rnd(65536);
  r->remote_port = (uint16_t)rnd(65536);
  r->has_payload = (uint8_t)rnd(2);
  r->filter_id = rnd(3);
  r->layer_id = (uint16_t)(rnd(2) ? 36 + rnd(20) : WL_RAW_LAYER_UNKNOWN);
  static const uint32_t dirs[] = {WL_RAW_DIR_IN,     WL_RAW_DIR_OUT, WL_RAW_DIR_FORWARD, 0, 1,
                                  WL_RAW_DIR_UNKNOWN};
  r->direction = dirs[rnd(6)];
  r->reauth_reason = rnd(4);
  r->is_loopback = (uint8_t)(rnd(3) == 2 ? WL_RAW_LOOPBACK_UNKNOWN : rnd(2));
  r->origin = (uint8_t)rnd(6);
  rand_app(r);
  rand_sid(r->user_sid, &r->user_sid_len, &r->flags, WL_RAW_USER_ID_SET);
  rand_sid(r->package_sid, &r->package_sid_len, &r->flags, WL_RAW_PACKAGE_ID_SET);
}

static uint64_t same_hash(const void *key, size_t n) {
  (void)key;
  (void)n;
  return 42;
}

/* 30,000 random records through a tiny decoder (one set, one SID slot: every new key a
 * collision) and a default one, the map changing now and then: always wl_decode's event. */
static void test_differential(void **state) {
  (void)state;
  wl_decoder *tiny = make(4, 1), *dflt = make(0, 0), *blind = make(16, 4);
  wl_decoder_set_hash(blind, same_hash); /* every key in one set: only the compare tells */
  wl_path_map maps[2];
  for (int i = 0; i < 2; i++) {
    wl_path_map_init(&maps[i]);
    assert_int_equal(wl_path_map_add(&maps[i], 'C', VOL3), WL_OK);
  }
  static const char letters[] = "CDE";
  static const char *const devs[] = {VOL3, VOL4, "\\device\\harddiskvolume30"};
  wl_raw_event r;
  for (int i = 0; i < 30000; i++) {
    wl_path_map *m = &maps[rnd(2)];
    switch (rnd(400)) {
    case 0:
      wl_path_map_init(m);
      /* fall through */
    case 1:
      assert_int_equal(wl_path_map_add(m, letters[rnd(3)], devs[rnd(3)]), WL_OK);
      break;
    default:
      break;
    }
    rand_raw(&r);
    int none = rnd(10) == 0;
    check(tiny, &r, none ? NULL : m);
    check(dflt, &r, none ? NULL : m);
    check(blind, &r, none ? NULL : m);
  }
  wl_decoder_stats t = stats(tiny), f = stats(dflt);
  print_message("tiny: %llu app hits, %llu misses, %llu maps; %llu sid hits, %llu misses\n",
                (unsigned long long)t.app_hits, (unsigned long long)t.app_misses,
                (unsigned long long)t.dos_maps, (unsigned long long)t.sid_hits,
                (unsigned long long)t.sid_misses);
  print_message("default: %llu app hits, %llu misses, %llu maps; %llu sid hits, %llu misses\n",
                (unsigned long long)f.app_hits, (unsigned long long)f.app_misses,
                (unsigned long long)f.dos_maps, (unsigned long long)f.sid_hits,
                (unsigned long long)f.sid_misses);
  assert_true(t.app_hits > 1000 && t.app_misses > 1000 && t.sid_hits > 100 && t.sid_misses > 1000);
  assert_true(f.app_hits > 10 * f.app_misses && f.sid_hits > f.sid_misses);
  wl_decoder_stats c = stats(blind);
  assert_true(c.app_hits > 500 && c.app_misses > 1000 && c.sid_hits > 500);
  wl_decoder_destroy(tiny);
  wl_decoder_destroy(dflt);
  wl_decoder_destroy(blind);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_hit_and_miss), cmocka_unit_test(test_collisions),
      cmocka_unit_test(test_map_changes),  cmocka_unit_test(test_bad_sids),
      cmocka_unit_test(test_create_args),  cmocka_unit_test(test_event_reset),
      cmocka_unit_test(test_differential),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
