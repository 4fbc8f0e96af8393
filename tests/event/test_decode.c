/* test_decode.c — the decoder wl_raw_event → wl_event, table-driven: a fully populated v4 and
 * v6 event of every kept type, then each FWPM_NET_EVENT_FLAG_* cleared in turn (the matching
 * field, and only it, must become unknown and zero), app id blobs (odd sizes, empty, no
 * terminator, truncated copies), SIDs (S-1-0-0 package, malformed), payload rules (allow
 * without filter info, capability payloads), skipped types, exact timestamps, and the
 * encode → decode round trip used by file sources. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "common/wl_text.h"
#include "event/decode.h"
#include "tests/support/test_event.h"

#define APP  "\\device\\harddiskvolume3\\program files\\app\\a.exe"
#define USER "S-1-5-21-3623811015-3361044348-30300820-1013"
#define PKG  "S-1-15-2-1-2-3-4-5-6-7"

static const uint8_t v6_local[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x23};
static const uint8_t v6_remote[16] = {0x26, 0x06, 0x47, 0, 0, 0, 0,    0,
                                      0,    0,    0,    0, 0, 0, 0x11, 0x11};

/* The UTF-16LE blob of an ASCII string, terminator included, as WFP gives app ids. */
static uint32_t put_app(wl_raw_event *r, const char *s) {
  size_t n = strlen(s);
  for (size_t i = 0; i <= n; i++) {
    r->app_id[2 * i] = (uint8_t)s[i];
    r->app_id[2 * i + 1] = 0;
  }
  r->app_id_size = r->app_id_copied = (uint32_t)(2 * (n + 1));
  return r->app_id_size;
}

static void put_sid(const char *s, uint8_t *out, uint8_t *len) {
  int n = wl_sid_from_string(s, out);
  assert_true(n > 0);
  *len = (uint8_t)n;
}

/* A raw event with every header flag and a classify payload. */
static void full_raw(wl_raw_event *r, uint32_t type, int v6) {
  memset(r, 0, sizeof *r);
  r->timestamp = 133500000001234567ULL;
  r->type = type;
  r->flags = WL_RAW_IP_PROTOCOL_SET | WL_RAW_LOCAL_ADDR_SET | WL_RAW_REMOTE_ADDR_SET |
             WL_RAW_LOCAL_PORT_SET | WL_RAW_REMOTE_PORT_SET | WL_RAW_APP_ID_SET |
             WL_RAW_USER_ID_SET | WL_RAW_SCOPE_ID_SET | WL_RAW_IP_VERSION_SET |
             WL_RAW_REAUTH_REASON_SET | WL_RAW_PACKAGE_ID_SET | WL_RAW_ENTERPRISE_ID_SET |
             WL_RAW_POLICY_FLAGS_SET | WL_RAW_EFFECTIVE_NAME_SET;
  r->ip_protocol = 6;
  if (v6) {
    r->ip_version = WL_RAW_IP_V6;
    memcpy(r->local_addr, v6_local, 16);
    memcpy(r->remote_addr, v6_remote, 16);
  } else {
    uint32_t l = 0xC0A80117u, rem = 0x8EFA4A2Eu; /* 192.168.1.23, 142.250.74.46 */
    r->ip_version = WL_RAW_IP_V4;
    memcpy(r->local_addr, &l, 4);
    memcpy(r->remote_addr, &rem, 4);
  }
  r->local_port = 50123;
  r->remote_port = 443;
  put_app(r, APP);
  put_sid(USER, r->user_sid, &r->user_sid_len);
  put_sid(PKG, r->package_sid, &r->package_sid_len);
  r->has_payload = 1;
  r->filter_id = 70042;
  r->layer_id = v6 ? WL_LAYER_ALE_AUTH_CONNECT_V6 : WL_LAYER_ALE_AUTH_CONNECT_V4;
  r->direction = WL_RAW_DIR_OUT;
  r->reauth_reason = 3;
  r->is_loopback = 1;
  r->origin = WL_ORIGIN_LIVE;
}

static const uint32_t kept_types[] = {WL_RAW_TYPE_CLASSIFY_DROP, WL_RAW_TYPE_CLASSIFY_ALLOW,
                                      WL_RAW_TYPE_CAPABILITY_DROP, WL_RAW_TYPE_CAPABILITY_ALLOW};
static const int kept_evt[] = {WL_EVT_DROP, WL_EVT_ALLOW, WL_EVT_CAP_DROP, WL_EVT_CAP_ALLOW};

static int classify(uint32_t t) {
  return t == WL_RAW_TYPE_CLASSIFY_DROP || t == WL_RAW_TYPE_CLASSIFY_ALLOW;
}

/* Everything a full event should decode to, given which has bits remain. */
static void check_fields(const wl_event *ev, uint32_t has, int v6) {
  static const uint8_t v4l[4] = {192, 168, 1, 23}, v4r[4] = {142, 250, 74, 46};
  assert_int_equal(ev->has, has);
  assert_int_equal(ev->proto, (has & WL_HAS_PROTO) ? 6 : 0);
  assert_int_equal(ev->ip_version, (has & WL_HAS_IP_VERSION) ? (v6 ? 6 : 4) : 0);
  uint8_t zero[16] = {0};
  if (has & WL_HAS_LOCAL_ADDR)
    assert_memory_equal(ev->local_addr, v6 ? v6_local : v4l, v6 ? 16 : 4);
  else
    assert_memory_equal(ev->local_addr, zero, 16);
  if (has & WL_HAS_REMOTE_ADDR)
    assert_memory_equal(ev->remote_addr, v6 ? v6_remote : v4r, v6 ? 16 : 4);
  else
    assert_memory_equal(ev->remote_addr, zero, 16);
  if (!v6) {
    assert_memory_equal(ev->local_addr + 4, zero, 12);
    assert_memory_equal(ev->remote_addr + 4, zero, 12);
  }
  assert_int_equal(ev->local_port, (has & WL_HAS_LOCAL_PORT) ? 50123 : 0);
  assert_int_equal(ev->remote_port, (has & WL_HAS_REMOTE_PORT) ? 443 : 0);
  assert_string_equal(ev->app, (has & WL_HAS_APP) ? APP : "");
  assert_string_equal(ev->app_dos, "");
  assert_string_equal(ev->user, (has & WL_HAS_USER) ? USER : "");
  assert_string_equal(ev->package, (has & WL_HAS_PACKAGE) ? PKG : "");
  assert_int_equal(ev->filter_id, (has & WL_HAS_FILTER) ? 70042 : 0);
  assert_int_equal(ev->layer_id, (has & WL_HAS_LAYER) ? (v6 ? 50 : 48) : 0);
  assert_int_equal(ev->dir, (has & WL_HAS_DIR) ? WL_DIR_OUT : WL_DIR_UNKNOWN);
  assert_int_equal(ev->reauth, (has & WL_HAS_REAUTH) ? 3 : 0);
  assert_int_equal(ev->is_loopback, (has & WL_HAS_LOOPBACK) ? 1 : 0);
  assert_int_equal(ev->ts, 133500000001234567ULL);
}

static uint32_t full_has(uint32_t raw_type) {
  uint32_t has = WL_HAS_PROTO | WL_HAS_LOCAL_ADDR | WL_HAS_REMOTE_ADDR | WL_HAS_LOCAL_PORT |
                 WL_HAS_REMOTE_PORT | WL_HAS_APP | WL_HAS_USER | WL_HAS_IP_VERSION |
                 WL_HAS_PACKAGE | WL_HAS_FILTER | WL_HAS_LOOPBACK;
  if (classify(raw_type))
    has |= WL_HAS_LAYER | WL_HAS_DIR | WL_HAS_REAUTH;
  return has;
}

static void test_full_events(void **state) {
  (void)state;
  for (int v6 = 0; v6 <= 1; v6++)
    for (size_t t = 0; t < sizeof kept_types / sizeof kept_types[0]; t++) {
      wl_raw_event r;
      wl_event ev;
      full_raw(&r, kept_types[t], v6);
      assert_int_equal(wl_decode(&r, &ev), 1);
      assert_int_equal(ev.type, kept_evt[t]);
      assert_int_equal(ev.origin, WL_ORIGIN_LIVE);
      check_fields(&ev, full_has(kept_types[t]), v6);
    }
}

/* Each flag cleared in turn: exactly these has bits disappear. */
static const struct {
  uint32_t flag, lost;
} flag_table[] = {
    {WL_RAW_IP_PROTOCOL_SET, WL_HAS_PROTO},
    {WL_RAW_LOCAL_ADDR_SET, WL_HAS_LOCAL_ADDR},
    {WL_RAW_REMOTE_ADDR_SET, WL_HAS_REMOTE_ADDR},
    {WL_RAW_LOCAL_PORT_SET, WL_HAS_LOCAL_PORT},
    {WL_RAW_REMOTE_PORT_SET, WL_HAS_REMOTE_PORT},
    {WL_RAW_APP_ID_SET, WL_HAS_APP},
    {WL_RAW_USER_ID_SET, WL_HAS_USER},
    {WL_RAW_SCOPE_ID_SET, 0},
    /* the addresses are read through ipVersion: without it they are unknown too */
    {WL_RAW_IP_VERSION_SET, WL_HAS_IP_VERSION | WL_HAS_LOCAL_ADDR | WL_HAS_REMOTE_ADDR},
    {WL_RAW_REAUTH_REASON_SET, WL_HAS_REAUTH},
    {WL_RAW_PACKAGE_ID_SET, WL_HAS_PACKAGE},
    {WL_RAW_ENTERPRISE_ID_SET, 0},
    {WL_RAW_POLICY_FLAGS_SET, 0},
    {WL_RAW_EFFECTIVE_NAME_SET, 0},
};

static void test_each_flag_missing(void **state) {
  (void)state;
  for (int v6 = 0; v6 <= 1; v6++)
    for (size_t t = 0; t < sizeof kept_types / sizeof kept_types[0]; t++)
      for (size_t i = 0; i < sizeof flag_table / sizeof flag_table[0]; i++) {
        wl_raw_event r;
        wl_event ev;
        full_raw(&r, kept_types[t], v6);
        r.flags &= ~flag_table[i].flag;
        assert_int_equal(wl_decode(&r, &ev), 1);
        check_fields(&ev, full_has(kept_types[t]) & ~flag_table[i].lost, v6);
      }
}

static void test_no_flags(void **state) {
  (void)state;
  wl_raw_event r;
  wl_event ev;
  full_raw(&r, WL_RAW_TYPE_CLASSIFY_DROP, 0);
  r.flags = 0;
  r.has_payload = 0;
  assert_int_equal(wl_decode(&r, &ev), 1);
  check_fields(&ev, 0, 0);
}

/* ip_version flag set but FWP_IP_VERSION_NONE: no addresses. */
static void test_ip_version_none(void **state) {
  (void)state;
  wl_raw_event r;
  wl_event ev;
  full_raw(&r, WL_RAW_TYPE_CLASSIFY_DROP, 0);
  r.ip_version = WL_RAW_IP_NONE;
  assert_int_equal(wl_decode(&r, &ev), 1);
  check_fields(&ev,
               full_has(r.type) & ~(WL_HAS_IP_VERSION | WL_HAS_LOCAL_ADDR | WL_HAS_REMOTE_ADDR), 0);
}

/* App id blobs: bytes given, size and copied, what must come out. */
static const struct {
  const char *name;
  const uint8_t *bytes;
  uint32_t size, copied;
  const char *app;
  int has, trunc;
} app_table[] = {
    {"terminated", (const uint8_t *)"a\0b\0c\0\0\0", 8, 8, "abc", 1, 0},
    {"no terminator", (const uint8_t *)"a\0b\0c\0", 6, 6, "abc", 1, 0},
    {"odd size", (const uint8_t *)"a\0b\0c\0X", 7, 7, "abc", 1, 0},
    {"one byte", (const uint8_t *)"a", 1, 1, "", 0, 0},
    {"empty blob", (const uint8_t *)"", 0, 0, "", 0, 0},
    {"only a terminator", (const uint8_t *)"\0\0", 2, 2, "", 0, 0},
    {"copy short of the blob", (const uint8_t *)"a\0b\0c\0", 40, 6, "abc", 1, 1},
    {"copied beyond size", (const uint8_t *)"a\0b\0c\0d\0", 4, 8, "ab", 1, 0},
    {"nothing copied", (const uint8_t *)"", 40, 0, "", 0, 0},
    {"nul inside a short copy", (const uint8_t *)"a\0\0\0c\0", 40, 6, "a", 1, 0},
    {"non-ASCII (é, U+1F600)", (const uint8_t *)"\xe9\0\x3d\xd8\x00\xde", 6, 6,
     "\xc3\xa9\xf0\x9f\x98\x80", 1, 0},
};

static void test_app_blobs(void **state) {
  (void)state;
  for (size_t i = 0; i < sizeof app_table / sizeof app_table[0]; i++) {
    wl_raw_event r;
    wl_event ev;
    full_raw(&r, WL_RAW_TYPE_CLASSIFY_ALLOW, 0);
    memset(r.app_id, 0, sizeof r.app_id);
    memcpy(r.app_id, app_table[i].bytes, app_table[i].copied);
    r.app_id_size = app_table[i].size;
    r.app_id_copied = app_table[i].copied;
    assert_int_equal(wl_decode(&r, &ev), 1);
    print_message("app case: %s\n", app_table[i].name);
    assert_string_equal(ev.app, app_table[i].app);
    assert_int_equal(!!(ev.has & WL_HAS_APP), app_table[i].has);
    assert_int_equal(!!(ev.has & WL_HAS_APP_TRUNC), app_table[i].trunc);
  }
}

/* A blob longer than the record keeps: the copy is WL_RAW_APP_MAX bytes, flagged truncated. */
static void test_app_long(void **state) {
  (void)state;
  wl_raw_event r;
  wl_event ev;
  full_raw(&r, WL_RAW_TYPE_CLASSIFY_DROP, 0);
  for (size_t i = 0; i < WL_RAW_APP_MAX; i += 2) {
    r.app_id[i] = 'x';
    r.app_id[i + 1] = 0;
  }
  r.app_id_size = 3000;
  r.app_id_copied = 5000; /* a corrupt copied count must not read past the array */
  assert_int_equal(wl_decode(&r, &ev), 1);
  assert_int_equal(strlen(ev.app), WL_RAW_APP_MAX / 2);
  assert_true(ev.has & WL_HAS_APP_TRUNC);
}

static void test_sids(void **state) {
  (void)state;
  wl_raw_event r;
  wl_event ev;
  full_raw(&r, WL_RAW_TYPE_CLASSIFY_DROP, 0);
  put_sid("S-1-0-0", r.package_sid, &r.package_sid_len);
  assert_int_equal(wl_decode(&r, &ev), 1);
  assert_false(ev.has & WL_HAS_PACKAGE);
  assert_string_equal(ev.package, "");
  assert_true(ev.has & WL_HAS_USER);

  full_raw(&r, WL_RAW_TYPE_CLASSIFY_DROP, 0);
  r.user_sid_len = 0;    /* flag set, pointer NULL */
  r.package_sid_len = 9; /* cut short of its 8 sub-authorities */
  assert_int_equal(wl_decode(&r, &ev), 1);
  assert_false(ev.has & (WL_HAS_USER | WL_HAS_PACKAGE));
  assert_string_equal(ev.user, "");
  assert_string_equal(ev.package, "");

  full_raw(&r, WL_RAW_TYPE_CLASSIFY_DROP, 0);
  r.user_sid_len = 200; /* larger than the array: clamped, still decodes */
  assert_int_equal(wl_decode(&r, &ev), 1);
  assert_string_equal(ev.user, USER);
}

/* Classify allow without filter info (payload pointer NULL): no filter, layer, direction,
 * loopback or reauth, whatever the other fields hold. */
static void test_payload_rules(void **state) {
  (void)state;
  wl_raw_event r;
  wl_event ev;
  full_raw(&r, WL_RAW_TYPE_CLASSIFY_ALLOW, 1);
  r.has_payload = 0;
  assert_int_equal(wl_decode(&r, &ev), 1);
  check_fields(&ev,
               full_has(r.type) &
                   ~(WL_HAS_FILTER | WL_HAS_LAYER | WL_HAS_DIR | WL_HAS_LOOPBACK | WL_HAS_REAUTH),
               1);

  full_raw(&r, WL_RAW_TYPE_CLASSIFY_DROP, 0);
  r.direction = WL_RAW_DIR_IN;
  r.layer_id = 13; /* not an ALE auth layer: msFwpDirection decides */
  r.is_loopback = 0;
  assert_int_equal(wl_decode(&r, &ev), 1);
  assert_int_equal(ev.dir, WL_DIR_IN);
  assert_true(ev.has & WL_HAS_LOOPBACK);
  assert_int_equal(ev.is_loopback, 0);

  /* unknown markers of the file sources, and a direction value WFP does not define */
  full_raw(&r, WL_RAW_TYPE_CLASSIFY_DROP, 0);
  r.direction = 0x3902;
  r.filter_id = 0;
  r.layer_id = WL_RAW_LAYER_UNKNOWN;
  r.is_loopback = WL_RAW_LOOPBACK_UNKNOWN;
  assert_int_equal(wl_decode(&r, &ev), 1);
  check_fields(
      &ev, full_has(r.type) & ~(WL_HAS_FILTER | WL_HAS_LAYER | WL_HAS_DIR | WL_HAS_LOOPBACK), 0);
}

/* Direction: on the ALE auth layers the layer, whatever msFwpDirection says (an inbound allow
 * at RECV_ACCEPT with 0 = FWP_DIRECTION_OUTBOUND is what BFE sends, issue 12 item 3); elsewhere
 * the msFwpDirection values, FWP_DIRECTION_INBOUND/OUTBOUND (0/1) in allow events only, and
 * unknown for FORWARD on an unknown layer. */
static void test_direction_sources(void **state) {
  (void)state;
  static const struct {
    uint32_t type, direction;
    uint16_t layer;
    int want;
  } cases[] = {
      {WL_RAW_TYPE_CLASSIFY_DROP, WL_RAW_DIR_IN, WL_LAYER_ALE_AUTH_CONNECT_V4, WL_DIR_OUT},
      {WL_RAW_TYPE_CLASSIFY_ALLOW, WL_RAW_DIR_OUT, WL_LAYER_ALE_AUTH_RECV_ACCEPT_V4, WL_DIR_IN},
      {WL_RAW_TYPE_CLASSIFY_ALLOW, 0, WL_LAYER_ALE_AUTH_RECV_ACCEPT_V4, WL_DIR_IN},
      {WL_RAW_TYPE_CLASSIFY_ALLOW, 0, WL_LAYER_ALE_AUTH_RECV_ACCEPT_V6, WL_DIR_IN},
      {WL_RAW_TYPE_CLASSIFY_ALLOW, 1, WL_LAYER_ALE_AUTH_CONNECT_V6, WL_DIR_OUT},
      {WL_RAW_TYPE_CLASSIFY_DROP, WL_RAW_DIR_IN, 13, WL_DIR_IN},
      {WL_RAW_TYPE_CLASSIFY_DROP, WL_RAW_DIR_OUT, WL_RAW_LAYER_UNKNOWN, WL_DIR_OUT},
      {WL_RAW_TYPE_CLASSIFY_ALLOW, 1, WL_RAW_LAYER_UNKNOWN, WL_DIR_IN},
      {WL_RAW_TYPE_CLASSIFY_ALLOW, 0, WL_RAW_LAYER_UNKNOWN, WL_DIR_OUT},
      {WL_RAW_TYPE_CLASSIFY_DROP, 1, WL_RAW_LAYER_UNKNOWN, WL_DIR_UNKNOWN},
      {WL_RAW_TYPE_CLASSIFY_DROP, 0, WL_LAYER_ALE_AUTH_RECV_ACCEPT_V6, WL_DIR_IN},
      {WL_RAW_TYPE_CLASSIFY_DROP, WL_RAW_DIR_FORWARD, WL_LAYER_ALE_AUTH_CONNECT_V6, WL_DIR_OUT},
      {WL_RAW_TYPE_CLASSIFY_DROP, WL_RAW_DIR_FORWARD, 13, WL_DIR_UNKNOWN},
      {WL_RAW_TYPE_CLASSIFY_ALLOW, WL_RAW_DIR_UNKNOWN, WL_RAW_LAYER_UNKNOWN, WL_DIR_UNKNOWN},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    wl_raw_event r;
    wl_event ev;
    full_raw(&r, cases[i].type, 0);
    r.direction = cases[i].direction;
    r.layer_id = cases[i].layer;
    assert_int_equal(wl_decode(&r, &ev), 1);
    assert_int_equal(ev.dir, cases[i].want);
    assert_int_equal(!!(ev.has & WL_HAS_DIR), cases[i].want != WL_DIR_UNKNOWN);
  }
}

/* Allow events at flow established, listen and bind are not new connections (issue 12, item
 * 4); drops there, and events of the auth layers or of an unknown layer, are. */
static void test_is_connection(void **state) {
  (void)state;
  static const struct {
    uint32_t type;
    uint16_t layer;
    int want;
  } cases[] = {
      {WL_RAW_TYPE_CLASSIFY_ALLOW, WL_LAYER_ALE_AUTH_CONNECT_V4, 1},
      {WL_RAW_TYPE_CLASSIFY_ALLOW, WL_LAYER_ALE_AUTH_RECV_ACCEPT_V6, 1},
      {WL_RAW_TYPE_CLASSIFY_ALLOW, WL_LAYER_ALE_FLOW_ESTABLISHED_V4, 0},
      {WL_RAW_TYPE_CLASSIFY_ALLOW, WL_LAYER_ALE_FLOW_ESTABLISHED_V6, 0},
      {WL_RAW_TYPE_CLASSIFY_ALLOW, WL_LAYER_ALE_AUTH_LISTEN_V4, 0},
      {WL_RAW_TYPE_CLASSIFY_ALLOW, WL_LAYER_ALE_AUTH_LISTEN_V6, 0},
      {WL_RAW_TYPE_CLASSIFY_ALLOW, WL_LAYER_ALE_RESOURCE_ASSIGNMENT_V4, 0},
      {WL_RAW_TYPE_CLASSIFY_ALLOW, WL_LAYER_ALE_RESOURCE_ASSIGNMENT_V6, 0},
      {WL_RAW_TYPE_CLASSIFY_ALLOW, WL_RAW_LAYER_UNKNOWN, 1},
      {WL_RAW_TYPE_CLASSIFY_DROP, WL_LAYER_ALE_FLOW_ESTABLISHED_V4, 1},
      {WL_RAW_TYPE_CLASSIFY_DROP, WL_LAYER_ALE_AUTH_LISTEN_V4, 1},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    wl_raw_event r;
    wl_event ev;
    full_raw(&r, cases[i].type, 0);
    r.layer_id = cases[i].layer;
    assert_int_equal(wl_decode(&r, &ev), 1);
    assert_int_equal(wl_event_is_connection(&ev), cases[i].want);
  }
}

static void test_skipped_types(void **state) {
  (void)state;
  static const uint32_t other[] = {0, 1, 2, 4, 5, 9, 10, 11, 0xFFFFFFFFu};
  for (size_t i = 0; i < sizeof other / sizeof other[0]; i++) {
    wl_raw_event r;
    wl_event ev;
    full_raw(&r, other[i], 0);
    assert_int_equal(wl_decode(&r, &ev), 0);
    assert_int_equal(ev.type, WL_EVT_OTHER);
    assert_int_equal(ev.has, 0);
    assert_string_equal(ev.app, "");
  }
}

static void test_timestamps_exact(void **state) {
  (void)state;
  static const uint64_t ts[] = {0, 1, 133500000001234567ULL, 0x7FFFFFFFFFFFFFFFULL,
                                0xFFFFFFFFFFFFFFFFULL};
  for (size_t i = 0; i < sizeof ts / sizeof ts[0]; i++) {
    wl_raw_event r;
    wl_event ev;
    full_raw(&r, WL_RAW_TYPE_CLASSIFY_DROP, 0);
    r.timestamp = ts[i];
    r.origin = WL_ORIGIN_BACKFILL;
    assert_int_equal(wl_decode(&r, &ev), 1);
    assert_true(ev.ts == ts[i]);
    assert_int_equal(ev.origin, WL_ORIGIN_BACKFILL);
  }
}

/* decode(raw) → encode → decode gives the same event, for every flag subset of the table. */
static void test_encode_round_trip(void **state) {
  (void)state;
  for (int v6 = 0; v6 <= 1; v6++)
    for (size_t t = 0; t < sizeof kept_types / sizeof kept_types[0]; t++)
      for (size_t i = 0; i <= sizeof flag_table / sizeof flag_table[0]; i++)
        for (int payload = 0; payload <= 1; payload++) {
          wl_raw_event r, r2;
          wl_event a, b;
          full_raw(&r, kept_types[t], v6);
          if (i < sizeof flag_table / sizeof flag_table[0])
            r.flags &= ~flag_table[i].flag;
          r.has_payload = (uint8_t)payload;
          assert_int_equal(wl_decode(&r, &a), 1);
          wl_encode(&a, &r2);
          assert_int_equal(wl_decode(&r2, &b), 1);
          wl_test_assert_event(&a, &b);
          assert_int_equal(a.origin, b.origin);
        }
}

/* A truncated app and a long app keep their flag across encode → decode. */
static void test_encode_truncated_app(void **state) {
  (void)state;
  wl_event a, b;
  wl_raw_event r;
  wl_event_clear(&a);
  a.type = WL_EVT_DROP;
  a.has = WL_HAS_APP | WL_HAS_APP_TRUNC;
  strcpy(a.app, "\\device\\harddiskvolume3\\cut");
  wl_encode(&a, &r);
  assert_int_equal(wl_decode(&r, &b), 1);
  wl_test_assert_event(&a, &b);
  assert_int_equal(a.origin, b.origin);

  memset(a.app, 'y', WL_PATH_MAX - 1);
  a.app[WL_PATH_MAX - 1] = '\0';
  a.has = WL_HAS_APP;
  wl_encode(&a, &r);
  assert_int_equal(r.app_id_copied, WL_RAW_APP_MAX);
  assert_int_equal(wl_decode(&r, &b), 1);
  assert_true(b.has & WL_HAS_APP_TRUNC);
  assert_int_equal(strlen(b.app), WL_RAW_APP_MAX / 2);
  assert_memory_equal(b.app, a.app, WL_RAW_APP_MAX / 2);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_full_events),
      cmocka_unit_test(test_each_flag_missing),
      cmocka_unit_test(test_no_flags),
      cmocka_unit_test(test_ip_version_none),
      cmocka_unit_test(test_app_blobs),
      cmocka_unit_test(test_app_long),
      cmocka_unit_test(test_sids),
      cmocka_unit_test(test_payload_rules),
      cmocka_unit_test(test_direction_sources),
      cmocka_unit_test(test_is_connection),
      cmocka_unit_test(test_skipped_types),
      cmocka_unit_test(test_timestamps_exact),
      cmocka_unit_test(test_encode_round_trip),
      cmocka_unit_test(test_encode_truncated_app),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
