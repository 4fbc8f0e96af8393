/* test_win_evcopy.c — the BFE callback's copy FWPM_NET_EVENTn → wl_raw_event (engine/fwpuclnt/win_evcopy.c),
 * from hand-built FWPM_NET_EVENT0..5 structs (Windows build, runs under wine).
 *
 * Table-driven: for every struct version, v4 and v6 events of each payload type the version can
 * carry; then every header flag missing in turn (flags must be copied as given, nothing else
 * may change), app id blobs (odd size, empty, NULL data with a size, longer than the copy
 * bound), NULL / short / oversized SIDs, NULL payload pointers and types wfplearn skips. Every
 * expected value is written literally here, never computed by the code under test.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "engine/fwpuclnt/win_backend.h"

#define ALL_FLAGS 0x3FFFu

/* Test inputs: what the hand-built event holds. */
typedef struct ev_spec {
  int version;       /* FWPM_NET_EVENTn */
  int v6;
  uint32_t type;     /* FWPM_NET_EVENT_TYPE */
  int payload;       /* payload pointer non-NULL */
  uint32_t flags;
  uint32_t app_size; /* blob size as WFP states it */
  int app_null;      /* data pointer NULL */
  int user;          /* 0 NULL, 1 a 5-subauthority SID, 2 a SID claiming 200 subauthorities */
  int package;       /* same for the package SID (versions >= 2) */
} ev_spec;

/* Storage the event points into. */
typedef struct ev_store {
  uint8_t app[WL_RAW_APP_MAX + 64];
  DWORD user[32], package[32]; /* DWORD-aligned like a real SID; 128 bytes, > WL_SID_MAX */
  FWPM_NET_EVENT_CLASSIFY_DROP0 d0;
  FWPM_NET_EVENT_CLASSIFY_DROP1 d1;
  FWPM_NET_EVENT_CLASSIFY_DROP2 d2;
  FWPM_NET_EVENT_CLASSIFY_ALLOW0 a0;
  FWPM_NET_EVENT_CAPABILITY_DROP0 cd;
  FWPM_NET_EVENT_CAPABILITY_ALLOW0 ca;
  int dummy_ike; /* what an IKE payload pointer points to (never read) */
} ev_store;

static const uint8_t V6_LOCAL[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01};
static const uint8_t V6_REMOTE[16] = {0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0x02, 0x11, 0x22, 0xff,
                                      0xfe, 0x33, 0x44, 0x55};

static SID *make_sid(DWORD *buf, int kind) {
  if (!kind)
    return NULL;
  memset(buf, 0xEE, 32 * sizeof(DWORD));
  SID *s = (SID *)buf;
  s->Revision = 1;
  s->SubAuthorityCount = kind == 1 ? 5 : 200;
  memset(s->IdentifierAuthority.Value, 0, 6);
  s->IdentifierAuthority.Value[5] = 5;
  for (int i = 0; i < 5; i++)
    s->SubAuthority[i] = 21 + (DWORD)i * 1000;
  return s;
}

/* The header fields every version shares, set from the spec. */
#define FILL_COMMON(h, sp, st)                                                    \
  do {                                                                            \
    (h)->timeStamp.dwLowDateTime = 0x89ABCDEFu;                                   \
    (h)->timeStamp.dwHighDateTime = 0x01234567u;                                  \
    (h)->flags = (sp)->flags;                                                     \
    (h)->ipVersion = (sp)->v6 ? FWP_IP_VERSION_V6 : FWP_IP_VERSION_V4;            \
    (h)->ipProtocol = 17;                                                         \
    if ((sp)->v6) {                                                               \
      memcpy((h)->localAddrV6.byteArray16, V6_LOCAL, 16);                         \
      memcpy((h)->remoteAddrV6.byteArray16, V6_REMOTE, 16);                       \
    } else {                                                                      \
      memset(&(h)->localAddrV6, 0xAA, 16); /* bytes past the UINT32: not copied */ \
      memset(&(h)->remoteAddrV6, 0xAA, 16);                                       \
      (h)->localAddrV4 = 0xC0A80001u;   /* 192.168.0.1, host order */             \
      (h)->remoteAddrV4 = 0x08080404u;  /* 8.8.4.4 */                             \
    }                                                                             \
    (h)->localPort = 51234;                                                       \
    (h)->remotePort = 53;                                                         \
    (h)->scopeId = 7;                                                             \
    for (size_t i_ = 0; i_ < sizeof (st)->app; i_++)                              \
      (st)->app[i_] = (uint8_t)(i_ * 7 + 3);                                      \
    (h)->appId.size = (sp)->app_size;                                             \
    (h)->appId.data = (sp)->app_null ? NULL : (st)->app;                          \
    (h)->userId = make_sid((st)->user, (sp)->user);                               \
  } while (0)

static void fill_payloads(ev_store *st) {
  st->d0 = (FWPM_NET_EVENT_CLASSIFY_DROP0){.filterId = 0x1122334455667788ull, .layerId = 44};
  FWPM_NET_EVENT_CLASSIFY_DROP1 d1 = {0x1122334455667788ull, 48, 0x20, 1, 2, 0x3901, TRUE};
  st->d1 = d1;
  memset(&st->d2, 0, sizeof st->d2);
  st->d2.filterId = 0x1122334455667788ull;
  st->d2.layerId = 50;
  st->d2.reauthReason = 0x20;
  st->d2.msFwpDirection = 0x3900;
  st->d2.isLoopback = TRUE;
  st->d2.vSwitchSourcePort = 99;
  FWPM_NET_EVENT_CLASSIFY_ALLOW0 a0 = {0x99ull, 46, 0x4, 1, 1, 0x3901, FALSE};
  st->a0 = a0;
  st->cd = (FWPM_NET_EVENT_CAPABILITY_DROP0){FWPM_APPC_NETWORK_CAPABILITY_INTERNET_CLIENT, 0x77ull, TRUE};
  st->ca = (FWPM_NET_EVENT_CAPABILITY_ALLOW0){FWPM_APPC_NETWORK_CAPABILITY_INTERNET_CLIENT, 0x78ull, FALSE};
}

/* The Windows 8+ union: point the member for the type at its payload. */
#define SET_WIN8_PAYLOAD(ev, sp, st)                                                 \
  do {                                                                               \
    (ev)->type = (FWPM_NET_EVENT_TYPE)(sp)->type;                                    \
    (ev)->classifyDrop = NULL;                                                       \
    if (!(sp)->payload)                                                              \
      break;                                                                         \
    if ((sp)->type == 3) (ev)->classifyDrop = &(st)->d2;                             \
    else if ((sp)->type == 6) (ev)->classifyAllow = &(st)->a0;                       \
    else if ((sp)->type == 7) (ev)->capabilityDrop = &(st)->cd;                      \
    else if ((sp)->type == 8) (ev)->capabilityAllow = &(st)->ca;                     \
    else (ev)->ikeMmFailure = (void *)&(st)->dummy_ike;                              \
  } while (0)

/* Build version sp->version and copy it. */
static void build_and_copy(const ev_spec *sp, ev_store *st, wl_raw_event *raw) {
  fill_payloads(st);
  memset(raw, 0x5A, sizeof *raw); /* garbage in: the copy must set every scalar */
  union {
    FWPM_NET_EVENT0 e0; FWPM_NET_EVENT1 e1; FWPM_NET_EVENT2 e2;
    FWPM_NET_EVENT3 e3; FWPM_NET_EVENT4 e4; FWPM_NET_EVENT5 e5;
  } u;
  memset(&u, 0x33, sizeof u);
  switch (sp->version) {
  case 0:
    FILL_COMMON(&u.e0.header, sp, st);
    u.e0.type = (FWPM_NET_EVENT_TYPE)sp->type;
    u.e0.classifyDrop = sp->payload ? &st->d0 : NULL;
    wl_fwp_copy_event0(&u.e0, raw);
    break;
  case 1:
    FILL_COMMON(&u.e1.header, sp, st);
    u.e1.type = (FWPM_NET_EVENT_TYPE)sp->type;
    u.e1.classifyDrop = sp->payload ? &st->d1 : NULL;
    wl_fwp_copy_event1(&u.e1, raw);
    break;
#define WIN8_CASE(N, e)                                            \
  case N:                                                          \
    FILL_COMMON(&u.e.header, sp, st);                              \
    u.e.header.packageSid = make_sid(st->package, sp->package);    \
    SET_WIN8_PAYLOAD(&u.e, sp, st);                                \
    wl_fwp_copy_event##N(&u.e, raw);                               \
    break;
  WIN8_CASE(2, e2)
  WIN8_CASE(3, e3)
  WIN8_CASE(4, e4)
  WIN8_CASE(5, e5)
#undef WIN8_CASE
  }
}

/* ---- checks: every expected value literal ---- */

static void check_header(const ev_spec *sp, const ev_store *st, const wl_raw_event *r) {
  assert_int_equal(r->timestamp, 0x0123456789ABCDEFull);
  assert_int_equal(r->flags, sp->flags);
  assert_int_equal(r->ip_version, sp->v6 ? 1 : 0);
  assert_int_equal(r->ip_protocol, 17);
  static const uint8_t zero12[12];
  if (sp->v6) {
    assert_memory_equal(r->local_addr, V6_LOCAL, 16);
    assert_memory_equal(r->remote_addr, V6_REMOTE, 16);
  } else { /* the host-order UINT32 as it sits in memory (little-endian), rest zero */
    static const uint8_t l4[4] = {0x01, 0x00, 0xA8, 0xC0}, r4[4] = {0x04, 0x04, 0x08, 0x08};
    assert_memory_equal(r->local_addr, l4, 4);
    assert_memory_equal(r->remote_addr, r4, 4);
    assert_memory_equal(r->local_addr + 4, zero12, 12);
    assert_memory_equal(r->remote_addr + 4, zero12, 12);
  }
  assert_int_equal(r->local_port, 51234);
  assert_int_equal(r->remote_port, 53);
  assert_int_equal(r->scope_id, 7);
  assert_int_equal(r->app_id_size, sp->app_size);
  uint32_t want = sp->app_null ? 0 : sp->app_size > 1024 ? 1024 : sp->app_size;
  assert_int_equal(r->app_id_copied, want);
  if (want)
    assert_memory_equal(r->app_id, st->app, want);
  uint8_t ulen = sp->user == 1 ? 28 : sp->user == 2 ? 68 : 0;
  assert_int_equal(r->user_sid_len, ulen);
  if (ulen)
    assert_memory_equal(r->user_sid, st->user, ulen);
  uint8_t plen = sp->version < 2 ? 0 : sp->package == 1 ? 28 : sp->package == 2 ? 68 : 0;
  assert_int_equal(r->package_sid_len, plen);
  if (plen)
    assert_memory_equal(r->package_sid, st->package, plen);
  assert_int_equal(r->origin, WL_ORIGIN_LIVE);
}

static void check_payload(const ev_spec *sp, const wl_raw_event *r) {
  assert_int_equal(r->type, sp->type);
  int carried = sp->payload && (sp->type == 3 || (sp->version >= 2 && sp->type >= 6 && sp->type <= 8));
  assert_int_equal(r->has_payload, carried);
  if (!carried) {
    assert_int_equal(r->filter_id, 0);
    assert_int_equal(r->layer_id, 0);
    assert_int_equal(r->direction, 0);
    assert_int_equal(r->reauth_reason, 0);
    assert_int_equal(r->is_loopback, 0);
    return;
  }
  typedef struct { uint64_t id; uint16_t layer; uint32_t reauth, dir; uint8_t loop; } expect_t;
  expect_t x;
  if (sp->type == 3 && sp->version == 0) x = (expect_t){0x1122334455667788ull, 44, 0, 0, 0};
  else if (sp->type == 3 && sp->version == 1) x = (expect_t){0x1122334455667788ull, 48, 0x20, 0x3901, 1};
  else if (sp->type == 3) x = (expect_t){0x1122334455667788ull, 50, 0x20, 0x3900, 1};
  else if (sp->type == 6) x = (expect_t){0x99, 46, 0x4, 0x3901, 0};
  else if (sp->type == 7) x = (expect_t){0x77, 0, 0, 0, 1};
  else x = (expect_t){0x78, 0, 0, 0, 0};
  assert_int_equal(r->filter_id, x.id);
  assert_int_equal(r->layer_id, x.layer);
  assert_int_equal(r->reauth_reason, x.reauth);
  assert_int_equal(r->direction, x.dir);
  assert_int_equal(r->is_loopback, x.loop);
}

static void run_spec(const ev_spec *sp) {
  ev_store st;
  wl_raw_event raw;
  build_and_copy(sp, &st, &raw);
  check_header(sp, &st, &raw);
  check_payload(sp, &raw);
}

/* ---- the tables ---- */

static void test_every_version_and_type(void **state) {
  (void)state;
  static const uint32_t types[] = {3, 6, 7, 8, 0 /* IKE MM failure: skipped */};
  for (int v = 0; v <= 5; v++)
    for (int v6 = 0; v6 <= 1; v6++)
      for (size_t t = 0; t < sizeof types / sizeof types[0]; t++)
        for (int payload = 0; payload <= 1; payload++) {
          ev_spec sp = {v, v6, types[t], payload, ALL_FLAGS, 98, 0, 1, 1};
          run_spec(&sp);
        }
}

static void test_each_flag_missing(void **state) {
  (void)state;
  for (int v = 0; v <= 5; v++)
    for (int bit = 0; bit < 14; bit++) {
      ev_spec sp = {v, bit & 1, 3, 1, ALL_FLAGS & ~(1u << bit), 98, 0, 1, 1};
      run_spec(&sp);
    }
  ev_spec none = {5, 0, 3, 1, 0, 98, 0, 1, 1};
  run_spec(&none);
}

static void test_app_id_blobs(void **state) {
  (void)state;
  static const struct { uint32_t size; int null; } blobs[] = {
      {0, 1}, {0, 0}, {7, 0}, {1, 0}, {5, 1}, {1023, 0}, {1024, 0}, {1025, 0}, {1024 + 63, 0}};
  for (int v = 0; v <= 5; v++)
    for (size_t i = 0; i < sizeof blobs / sizeof blobs[0]; i++) {
      ev_spec sp = {v, 1, 3, 1, ALL_FLAGS, blobs[i].size, blobs[i].null, 1, 1};
      run_spec(&sp);
    }
}

static void test_sids(void **state) {
  (void)state;
  for (int v = 0; v <= 5; v++)
    for (int user = 0; user <= 2; user++)
      for (int pkg = 0; pkg <= 2; pkg++) {
        ev_spec sp = {v, 0, 6, 1, ALL_FLAGS, 20, 0, user, pkg};
        run_spec(&sp);
      }
}

static void test_sid_len(void **state) {
  (void)state;
  DWORD buf[32];
  assert_int_equal(wl_fwp_sid_len(NULL), 0);
  SID *s = make_sid(buf, 1);
  assert_int_equal(wl_fwp_sid_len(s), 28);
  s->SubAuthorityCount = 0;
  assert_int_equal(wl_fwp_sid_len(s), 8);
  s->SubAuthorityCount = 15;
  assert_int_equal(wl_fwp_sid_len(s), 68);
  s->SubAuthorityCount = 16;
  assert_int_equal(wl_fwp_sid_len(s), 68);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_every_version_and_type),
      cmocka_unit_test(test_each_flag_missing),
      cmocka_unit_test(test_app_id_blobs),
      cmocka_unit_test(test_sids),
      cmocka_unit_test(test_sid_len),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
