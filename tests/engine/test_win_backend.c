/* test_win_backend.c — the fwpuclnt backend against a recording fwpuclnt table (Windows build,
 * runs under wine; no DLL involved): wl_fwp_api_override() replaces every Fwpm* entry point
 * with the fakes below, which record what the backend passed and count what they hand out.
 *
 *  - the FWPM_FILTER0 built for every condition kind, checked field by field against literal
 *    expectations (layer GUID, host-order v4 address and mask, v6 prefix, port range, the user
 *    SID's security descriptor as SDDL, package SID bytes, weights);
 *  - FWPM_FILTER0 → wl_filter for what the engine returns (incl. an unknown condition);
 *  - the FwpmNetEventSubscribeN fallback order 4 → 0 and the callback struct version each gets;
 *  - fault injection: fail the Nth fwpuclnt call of a full session for every N; whatever
 *    fails, every block handed out is given back to FwpmFreeMemory0 and every handle closed,
 *    and the message names the API and the code;
 *  - missing exports and code names.
 * Longer than most files: about half of it is the recording fwpuclnt itself (one small fake per
 * entry point, each building what the engine would hand out as one freeable block).
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
#include "engine/engine.h"
#include "engine/fwpuclnt/win_backend.h"
#include "engine/sim/sim.h"

#include <sddl.h>

#define USER_SID "S-1-5-21-1004336348-1177238915-682003330-1013"
#define PKG_SID "S-1-15-2-1-2-3-4-5-6-7"
#define USER_SID_W L"S-1-5-21-1004336348-1177238915-682003330-1013"
#define PKG_SID_W L"S-1-15-2-1-2-3-4-5-6-7"

/* ---- the recording fwpuclnt ---- */

typedef struct seen_cond {
  GUID key;
  int match, type;
  UINT32 u32, mask;
  UINT16 lo, hi;
  UINT8 u8, prefix, v6[16];
  char text[256];      /* SDDL of a security descriptor */
  uint8_t bytes[128];  /* blob / SID bytes */
  UINT32 nbytes;
} seen_cond;

static struct {
  int calls, fail_at;   /* fail the fail_at-th DWORD call with FWP_E_TIMEOUT (0: never) */
  long blocks, handles; /* handed out and not yet given back */
  int subscribed;       /* N of the FwpmNetEventSubscribeN called */
  UINT32 session_flags; /* FwpmEngineOpen0's session->flags */
  void *cb, *cb_ctx;
  uint32_t option;
  /* the last FwpmFilterAdd0 */
  GUID layer, sublayer, filter_key, provider;
  int has_provider, weight_type;
  UINT64 weight;
  UINT32 action, flags, nconds;
  wchar_t name[64];
  seen_cond c[16];
} R;

#define ENTER()                           \
  do {                                    \
    if (++R.calls == R.fail_at)           \
      return (DWORD)FWP_E_TIMEOUT;        \
  } while (0)

static void *give(size_t n) {
  R.blocks++;
  return calloc(1, n);
}

static void WINAPI r_free(void **p) {
  if (p && *p) {
    free(*p);
    *p = NULL;
    R.blocks--;
  }
}

static DWORD WINAPI r_open(const wchar_t *s, UINT32 a, SEC_WINNT_AUTH_IDENTITY_W *id,
                           const FWPM_SESSION0 *session, HANDLE *h) {
  ENTER();
  assert_null(s);
  assert_null(id);
  assert_int_equal(a, RPC_C_AUTHN_WINNT);
  R.session_flags = session->flags;
  R.handles++;
  *h = (HANDLE)0x1000;
  return 0;
}
static DWORD WINAPI r_close(HANDLE h) {
  assert_ptr_equal(h, (HANDLE)0x1000);
  R.handles--;
  ENTER();
  return 0;
}
static DWORD WINAPI r_get_option(HANDLE h, FWPM_ENGINE_OPTION o, FWP_VALUE0 **v) {
  ENTER();
  (void)h;
  assert_int_equal(o, FWPM_ENGINE_COLLECT_NET_EVENTS);
  *v = give(sizeof **v);
  (*v)->type = FWP_UINT32;
  (*v)->uint32 = R.option;
  return 0;
}
static DWORD WINAPI r_set_option(HANDLE h, FWPM_ENGINE_OPTION o, const FWP_VALUE0 *v) {
  ENTER();
  (void)h;
  (void)o;
  assert_int_equal(v->type, FWP_UINT32);
  R.option = v->uint32;
  return 0;
}
static DWORD WINAPI r_txn_begin(HANDLE h, UINT32 f) { ENTER(); (void)h; assert_int_equal(f, 0); return 0; }
static DWORD WINAPI r_txn_end(HANDLE h) { ENTER(); (void)h; return 0; }
static DWORD WINAPI r_prov_add(HANDLE h, const FWPM_PROVIDER0 *p, PSECURITY_DESCRIPTOR sd) {
  ENTER();
  (void)h;
  assert_null(sd);
  assert_true(wcscmp(p->displayData.name, L"wfplearn") == 0);
  assert_int_equal(p->flags, FWPM_PROVIDER_FLAG_PERSISTENT);
  return 0;
}
static DWORD WINAPI r_prov_get(HANDLE h, const GUID *k, FWPM_PROVIDER0 **out) {
  ENTER();
  (void)h;
  struct { FWPM_PROVIDER0 p; wchar_t name[16]; } *b = give(sizeof *b);
  b->p.providerKey = *k;
  wcscpy(b->name, L"prov");
  b->p.displayData.name = b->name;
  b->p.flags = FWPM_PROVIDER_FLAG_PERSISTENT;
  *out = &b->p;
  return 0;
}
static DWORD WINAPI r_del(HANDLE h, const GUID *k) { ENTER(); (void)h; (void)k; return 0; }
static DWORD WINAPI r_subl_add(HANDLE h, const FWPM_SUBLAYER0 *s, PSECURITY_DESCRIPTOR sd) {
  ENTER();
  (void)h;
  (void)sd;
  /* Windows reads flags as a UINT32: the two bytes past mingw's UINT16 must be zero. */
  UINT32 flags32;
  memcpy(&flags32, (const char *)s + offsetof(FWPM_SUBLAYER0, flags), 4);
  assert_int_equal(flags32, FWPM_SUBLAYER_FLAG_PERSISTENT);
  assert_int_equal(s->weight, 0x4000);
  assert_non_null(s->providerKey);
  return 0;
}
static DWORD WINAPI r_subl_get(HANDLE h, const GUID *k, FWPM_SUBLAYER0 **out) {
  ENTER();
  (void)h;
  struct { FWPM_SUBLAYER0 s; wchar_t name[16]; } *b = give(sizeof *b);
  b->s.subLayerKey = *k;
  wcscpy(b->name, L"subl");
  b->s.displayData.name = b->name;
  b->s.weight = 0x4000;
  *out = &b->s;
  return 0;
}

static void sid_text(PSID sid, char *out, size_t cap) {
  wchar_t *w = NULL;
  out[0] = 0;
  if (sid && ConvertSidToStringSidW(sid, &w)) {
    WideCharToMultiByte(CP_UTF8, 0, w, -1, out, (int)cap, NULL, NULL);
    LocalFree(w);
  }
}

/* "owner|acecount|type|mask|sid" of a security descriptor, through advapi32. */
static void sd_summary(PSECURITY_DESCRIPTOR sd, char *out, size_t cap) {
  PSID owner = NULL;
  BOOL def = FALSE, present = FALSE;
  PACL dacl = NULL;
  ACCESS_ALLOWED_ACE *ace = NULL;
  char o[128], s[128];
  assert_true(IsValidSecurityDescriptor(sd));
  assert_true(GetSecurityDescriptorOwner(sd, &owner, &def));
  assert_true(GetSecurityDescriptorDacl(sd, &present, &dacl, &def) && present && dacl);
  assert_true(GetAce(dacl, 0, (void **)&ace));
  sid_text(owner, o, sizeof o);
  sid_text(&ace->SidStart, s, sizeof s);
  snprintf(out, cap, "%s|%u|%u|0x%lx|%s", o, (unsigned)dacl->AceCount,
           (unsigned)ace->Header.AceType, (unsigned long)ace->Mask, s);
}

static void see_cond(const FWPM_FILTER_CONDITION0 *c, seen_cond *s) {
  const FWP_CONDITION_VALUE0 *v = &c->conditionValue;
  memset(s, 0, sizeof *s);
  s->key = c->fieldKey;
  s->match = c->matchType;
  s->type = v->type;
  switch (v->type) {
  case FWP_UINT8: s->u8 = v->uint8; break;
  case FWP_UINT16: s->lo = v->uint16; break;
  case FWP_UINT32: s->u32 = v->uint32; break;
  case FWP_RANGE_TYPE:
    assert_int_equal(v->rangeValue->valueLow.type, FWP_UINT16);
    assert_int_equal(v->rangeValue->valueHigh.type, FWP_UINT16);
    s->lo = v->rangeValue->valueLow.uint16;
    s->hi = v->rangeValue->valueHigh.uint16;
    break;
  case FWP_V4_ADDR_MASK: s->u32 = v->v4AddrMask->addr; s->mask = v->v4AddrMask->mask; break;
  case FWP_V6_ADDR_MASK:
    memcpy(s->v6, v->v6AddrMask->addr, 16);
    s->prefix = v->v6AddrMask->prefixLength;
    break;
  case FWP_BYTE_BLOB_TYPE:
    s->nbytes = v->byteBlob->size;
    memcpy(s->bytes, v->byteBlob->data, s->nbytes < 128 ? s->nbytes : 128);
    break;
  case FWP_SID:
    s->nbytes = GetLengthSid(v->sid);
    memcpy(s->bytes, v->sid, s->nbytes);
    break;
  case FWP_SECURITY_DESCRIPTOR_TYPE:
    assert_int_equal(v->sd->size, GetSecurityDescriptorLength(v->sd->data));
    sd_summary(v->sd->data, s->text, sizeof s->text);
    break;
  default: fail_msg("unexpected condition value type %d", v->type);
  }
}

static DWORD WINAPI r_filter_add(HANDLE h, const FWPM_FILTER0 *f, PSECURITY_DESCRIPTOR sd,
                                 UINT64 *id) {
  ENTER();
  (void)h;
  assert_null(sd);
  R.filter_key = f->filterKey;
  R.layer = f->layerKey;
  R.sublayer = f->subLayerKey;
  R.has_provider = f->providerKey != NULL;
  if (f->providerKey)
    R.provider = *f->providerKey;
  R.weight_type = f->weight.type;
  R.weight = f->weight.type == FWP_UINT64 ? *f->weight.uint64 : f->weight.uint8;
  R.action = f->action.type;
  R.flags = f->flags;
  wcsncpy(R.name, f->displayData.name, 63);
  R.nconds = f->numFilterConditions;
  for (UINT32 i = 0; i < f->numFilterConditions && i < 16; i++)
    see_cond(&f->filterCondition[i], &R.c[i]);
  *id = 70042;
  return 0;
}

/* ---- an FWPM_FILTER0 as the engine hands it out: one block ---- */

typedef struct filter_block {
  FWPM_FILTER0 f;
  FWPM_FILTER_CONDITION0 c[7];
  FWP_V4_ADDR_AND_MASK v4bad;
  FWP_V6_ADDR_AND_MASK v6;
  FWP_BYTE_BLOB sd_blob;
  uint8_t sd[256];
  DWORD pkg[17];
  UINT64 w, ew;
  GUID prov;
  wchar_t name[32];
} filter_block;

static void fill_filter(filter_block *b, const GUID *layer) {
  static const GUID key = {0x11111111, 0x2222, 0x3333, {4, 4, 5, 5, 6, 6, 7, 7}};
  static const GUID unknown_field = {0x89b0f2d5, 0x1b2c, 0x4a1e, {1, 2, 3, 4, 5, 6, 7, 8}};
  b->f.filterKey = key;
  wcscpy(b->name, L"Block inbound");
  b->f.displayData.name = b->name;
  b->prov = key;
  b->f.providerKey = &b->prov;
  b->f.layerKey = *layer;
  b->f.action.type = FWP_ACTION_BLOCK;
  b->f.flags = FWPM_FILTER_FLAG_PERSISTENT;
  b->w = 0x123456789ull;
  b->f.weight.type = FWP_UINT64;
  b->f.weight.uint64 = &b->w;
  b->ew = 0xF00000000000001ull;
  b->f.effectiveWeight.type = FWP_UINT64;
  b->f.effectiveWeight.uint64 = &b->ew;
  b->f.filterId = 70042;
  FWPM_FILTER_CONDITION0 *c = b->c;
  c[0].fieldKey = wl_FWPM_CONDITION_IP_REMOTE_ADDRESS;
  c[0].conditionValue.type = FWP_V6_ADDR_MASK;
  static const uint8_t v6[16] = {0x20, 0x01, 0x0d, 0xb8, 0xab, 0xcd};
  memcpy(b->v6.addr, v6, 16);
  b->v6.prefixLength = 48;
  c[0].conditionValue.v6AddrMask = &b->v6;
  c[1].fieldKey = wl_FWPM_CONDITION_IP_LOCAL_ADDRESS; /* FWP_UINT32: one host, host order */
  c[1].conditionValue.type = FWP_UINT32;
  c[1].conditionValue.uint32 = 0x7F000001u;
  c[2].fieldKey = wl_FWPM_CONDITION_IP_LOCAL_PORT;
  c[2].conditionValue.type = FWP_UINT16;
  c[2].conditionValue.uint16 = 3389;
  c[3].fieldKey = unknown_field; /* skipped */
  c[3].conditionValue.type = FWP_UINT32;
  c[4].fieldKey = wl_FWPM_CONDITION_IP_REMOTE_ADDRESS; /* mask 255.0.255.0: skipped */
  c[4].conditionValue.type = FWP_V4_ADDR_MASK;
  b->v4bad.mask = 0xFF00FF00u;
  c[4].conditionValue.v4AddrMask = &b->v4bad;
  PSECURITY_DESCRIPTOR sd = NULL;
  ULONG n = 0;
  assert_true(ConvertStringSecurityDescriptorToSecurityDescriptorW(
      L"O:SYD:(A;;CC;;;" L"" USER_SID_W L")", SDDL_REVISION_1, &sd, &n));
  assert_true(n <= sizeof b->sd);
  memcpy(b->sd, sd, n);
  LocalFree(sd);
  b->sd_blob.size = n;
  b->sd_blob.data = b->sd;
  c[5].fieldKey = wl_FWPM_CONDITION_ALE_USER_ID;
  c[5].conditionValue.type = FWP_SECURITY_DESCRIPTOR_TYPE;
  c[5].conditionValue.sd = &b->sd_blob;
  PSID p = NULL;
  assert_true(ConvertStringSidToSidW(PKG_SID_W, &p));
  memcpy(b->pkg, p, GetLengthSid(p));
  LocalFree(p);
  c[6].fieldKey = wl_FWPM_CONDITION_ALE_PACKAGE_ID;
  c[6].conditionValue.type = FWP_SID;
  c[6].conditionValue.sid = (SID *)b->pkg;
  b->f.numFilterConditions = 7;
  b->f.filterCondition = b->c;
}

static FWPM_FILTER0 *engine_filter(const GUID *layer) {
  filter_block *b = give(sizeof *b);
  fill_filter(b, layer);
  return &b->f;
}

static DWORD WINAPI r_get_by_id(HANDLE h, UINT64 id, FWPM_FILTER0 **out) {
  ENTER();
  (void)h;
  assert_int_equal(id, 70042);
  *out = engine_filter(&wl_FWPM_LAYER_ALE_AUTH_RECV_ACCEPT_V6);
  return 0;
}
static DWORD WINAPI r_get_by_key(HANDLE h, const GUID *k, FWPM_FILTER0 **out) {
  ENTER();
  (void)h;
  (void)k;
  *out = engine_filter(&wl_FWPM_LAYER_ALE_AUTH_CONNECT_V4);
  return 0;
}

/* Filter enumeration: one filter per layer asked for, in two Enum0 calls. */
static struct { GUID layer; int left; } g_fenum;
static int g_layers_asked;
static DWORD WINAPI r_fenum_create(HANDLE h, const FWPM_FILTER_ENUM_TEMPLATE0 *t, HANDLE *eh) {
  ENTER();
  (void)h;
  assert_non_null(t);
  assert_non_null(t->providerKey);
  assert_int_equal(t->actionMask, 0xFFFFFFFFu);
  assert_int_equal(t->numFilterConditions, 0);
  g_fenum.layer = t->layerKey;
  g_fenum.left = 1;
  g_layers_asked++;
  R.handles++;
  *eh = (HANDLE)0x3000;
  return 0;
}
static DWORD WINAPI r_fenum(HANDLE h, HANDLE eh, UINT32 n, FWPM_FILTER0 ***entries, UINT32 *got) {
  ENTER();
  (void)h;
  assert_ptr_equal(eh, (HANDLE)0x3000);
  assert_true(n > 0);
  *entries = NULL;
  *got = 0;
  if (!g_fenum.left)
    return 0;
  g_fenum.left = 0;
  struct { FWPM_FILTER0 *p[1]; filter_block fb; } *arr = give(sizeof *arr);
  fill_filter(&arr->fb, &g_fenum.layer);
  arr->p[0] = &arr->fb.f;
  *entries = arr->p;
  *got = 1;
  return 0;
}
static DWORD WINAPI r_fenum_destroy(HANDLE h, HANDLE eh) {
  (void)h;
  assert_ptr_equal(eh, (HANDLE)0x3000);
  R.handles--;
  ENTER();
  return 0;
}

static DWORD WINAPI r_app_id(const wchar_t *path, FWP_BYTE_BLOB **out) {
  ENTER();
  assert_true(wcscmp(path, L"C:\\Tools\\a.exe") == 0);
  struct { FWP_BYTE_BLOB b; wchar_t s[40]; } *blk = give(sizeof *blk);
  wcscpy(blk->s, L"\\device\\harddiskvolume3\\tools\\a.exe");
  blk->b.size = (UINT32)(wcslen(blk->s) + 1) * 2;
  blk->b.data = (UINT8 *)blk->s;
  *out = &blk->b;
  return 0;
}

/* Subscriptions: remember which version and the callback. */
#define R_SUB(N, CB)                                                                       \
  static DWORD WINAPI r_sub##N(HANDLE h, const FWPM_NET_EVENT_SUBSCRIPTION0 *s, CB cb,     \
                               void *ctx, HANDLE *eh) {                                    \
    ENTER();                                                                               \
    (void)h;                                                                               \
    assert_non_null(s);                                                                    \
    assert_non_null(s->enumTemplate);                                                      \
    assert_int_equal(s->enumTemplate->numFilterConditions, 0);                             \
    R.subscribed = N;                                                                      \
    void *p = NULL;                                                                        \
    memcpy(&p, &cb, sizeof p);                                                             \
    R.cb = p;                                                                              \
    R.cb_ctx = ctx;                                                                        \
    R.handles++;                                                                           \
    *eh = (HANDLE)0x2000;                                                                  \
    return 0;                                                                              \
  }
R_SUB(0, FWPM_NET_EVENT_CALLBACK0)
R_SUB(1, FWPM_NET_EVENT_CALLBACK1)
R_SUB(2, FWPM_NET_EVENT_CALLBACK2)
R_SUB(3, FWPM_NET_EVENT_CALLBACK3)
R_SUB(4, FWPM_NET_EVENT_CALLBACK4)
static DWORD WINAPI r_unsub(HANDLE h, HANDLE eh) {
  (void)h;
  assert_ptr_equal(eh, (HANDLE)0x2000);
  ENTER(); /* a failed unsubscribe leaves the subscription (the backend ends it at close) */
  R.handles--;
  return 0;
}

/* Net event backfill: two events in the first batch, none after. */
static uint64_t g_ne_start;
static int g_ne_left;
static DWORD WINAPI r_ne_create(HANDLE h, const FWPM_NET_EVENT_ENUM_TEMPLATE0 *t, HANDLE *eh) {
  ENTER();
  (void)h;
  g_ne_start = (uint64_t)t->startTime.dwHighDateTime << 32 | t->startTime.dwLowDateTime;
  g_ne_left = 2;
  R.handles++;
  *eh = (HANDLE)0x4000;
  return 0;
}
static DWORD WINAPI r_ne_destroy(HANDLE h, HANDLE eh) {
  (void)h;
  assert_ptr_equal(eh, (HANDLE)0x4000);
  R.handles--;
  ENTER();
  return 0;
}
#define R_NE_ENUM(N, T, DROP)                                                              \
  static DWORD WINAPI r_ne_enum##N(HANDLE h, HANDLE eh, UINT32 n, T ***entries, UINT32 *got) { \
    ENTER();                                                                               \
    (void)h;                                                                               \
    (void)eh;                                                                              \
    *entries = NULL;                                                                       \
    *got = 0;                                                                              \
    if (!g_ne_left)                                                                        \
      return 0;                                                                            \
    assert_true(n >= 2);                                                                   \
    struct { T *p[2]; T ev[2]; DROP d[2]; } *b = give(sizeof *b);                          \
    for (int i = 0; i < 2; i++) {                                                          \
      b->p[i] = &b->ev[i];                                                                 \
      b->ev[i].header.timeStamp.dwLowDateTime = 1000u + (DWORD)i;                          \
      b->ev[i].type = FWPM_NET_EVENT_TYPE_CLASSIFY_DROP;                                   \
      b->d[i].filterId = 65001u + (UINT64)i;                                               \
      b->ev[i].classifyDrop = &b->d[i];                                                    \
    }                                                                                      \
    g_ne_left = 0;                                                                         \
    *entries = b->p;                                                                       \
    *got = 2;                                                                              \
    return 0;                                                                              \
  }
R_NE_ENUM(0, FWPM_NET_EVENT0, FWPM_NET_EVENT_CLASSIFY_DROP0)
R_NE_ENUM(5, FWPM_NET_EVENT5, FWPM_NET_EVENT_CLASSIFY_DROP2)

static wl_fwp_api full_table(void) {
  wl_fwp_api t;
  memset(&t, 0, sizeof t);
  t.FwpmEngineOpen0 = r_open;
  t.FwpmEngineClose0 = r_close;
  t.FwpmEngineGetOption0 = r_get_option;
  t.FwpmEngineSetOption0 = r_set_option;
  t.FwpmTransactionBegin0 = r_txn_begin;
  t.FwpmTransactionCommit0 = r_txn_end;
  t.FwpmTransactionAbort0 = r_txn_end;
  t.FwpmProviderAdd0 = r_prov_add;
  t.FwpmProviderGetByKey0 = r_prov_get;
  t.FwpmProviderDeleteByKey0 = r_del;
  t.FwpmSubLayerAdd0 = r_subl_add;
  t.FwpmSubLayerGetByKey0 = r_subl_get;
  t.FwpmSubLayerDeleteByKey0 = r_del;
  t.FwpmFilterAdd0 = r_filter_add;
  t.FwpmFilterDeleteByKey0 = r_del;
  t.FwpmFilterGetById0 = r_get_by_id;
  t.FwpmFilterGetByKey0 = r_get_by_key;
  t.FwpmFilterCreateEnumHandle0 = r_fenum_create;
  t.FwpmFilterEnum0 = r_fenum;
  t.FwpmFilterDestroyEnumHandle0 = r_fenum_destroy;
  t.FwpmFreeMemory0 = r_free;
  t.FwpmGetAppIdFromFileName0 = r_app_id;
  t.FwpmNetEventSubscribe0 = r_sub0;
  t.FwpmNetEventSubscribe1 = r_sub1;
  t.FwpmNetEventSubscribe2 = r_sub2;
  t.FwpmNetEventSubscribe3 = r_sub3;
  t.FwpmNetEventSubscribe4 = r_sub4;
  t.FwpmNetEventUnsubscribe0 = r_unsub;
  t.FwpmNetEventCreateEnumHandle0 = r_ne_create;
  t.FwpmNetEventDestroyEnumHandle0 = r_ne_destroy;
  t.FwpmNetEventEnum0 = r_ne_enum0;
  t.FwpmNetEventEnum5 = r_ne_enum5;
  return t;
}

/* ---- tests ---- */

static wl_fwp_api g_table;

static int setup(void **state) {
  (void)state;
  memset(&R, 0, sizeof R);
  g_table = full_table();
  wl_fwp_api_override(&g_table);
  return 0;
}

static int teardown(void **state) {
  (void)state;
  wl_fwp_api_override(NULL);
  return 0;
}

static wl_engine *open_wfp(void) {
  wl_engine *e = NULL;
  int rc = wl_engine_open("wfp", WL_SESSION_DYNAMIC, &e);
  if (rc)
    fail_msg("open: %s", wl_errmsg());
  assert_string_equal(wl_engine_kind(e), "wfp");
  assert_int_equal(R.session_flags, FWPM_SESSION_FLAG_DYNAMIC);
  return e;
}

static const wl_guid PROV = {0xa1b2c3d4, 0x1111, 0x2222, {1, 2, 3, 4, 5, 6, 7, 8}};
static const wl_guid SUBL = {0x0badf00d, 0x3333, 0x4444, {8, 7, 6, 5, 4, 3, 2, 1}};

static void add_cond(wl_filter *f, uint8_t field, uint8_t match) {
  wl_condition *c = &f->conds[f->num_conds++];
  memset(c, 0, sizeof *c);
  c->field = field;
  c->match = match;
}

/* Every condition kind wfplearn writes. */
static void full_filter(wl_filter *f) {
  memset(f, 0, sizeof *f);
  strcpy(f->name, "wfplearn: allow a.exe");
  f->provider = PROV;
  f->sublayer = SUBL;
  f->layer_id = WL_LAYER_ALE_AUTH_CONNECT_V4;
  f->action = WL_ACTION_PERMIT;
  f->flags = WL_FILTER_PERSISTENT | WL_FILTER_CLEAR_ACTION_RIGHT;
  f->weight_type = WL_WEIGHT_INDEX;
  f->weight = 12;
  static const char app[] = "\\\0d\0e\0v\0\0"; /* UTF-16LE "\dev" + NUL: 10 bytes */
  memcpy(f->app_id, app, 10);
  f->app_id_len = 10;
  add_cond(f, WL_FIELD_APP_ID, WL_MATCH_EQUAL);
  add_cond(f, WL_FIELD_PROTOCOL, WL_MATCH_EQUAL);
  f->conds[1].proto = 6;
  add_cond(f, WL_FIELD_REMOTE_PORT, WL_MATCH_RANGE);
  f->conds[2].port_lo = 8000;
  f->conds[2].port_hi = 8100;
  add_cond(f, WL_FIELD_REMOTE_PORT, WL_MATCH_EQUAL);
  f->conds[3].port_lo = f->conds[3].port_hi = 443;
  add_cond(f, WL_FIELD_REMOTE_ADDR, WL_MATCH_EQUAL);
  f->conds[4].ip_version = 4;
  f->conds[4].prefix_len = 8;
  memcpy(f->conds[4].addr, "\x0a\x01\x02\x03", 4);
  add_cond(f, WL_FIELD_REMOTE_ADDR, WL_MATCH_EQUAL);
  f->conds[5].ip_version = 6;
  f->conds[5].prefix_len = 32;
  memcpy(f->conds[5].addr, "\x20\x01\x0d\xb8", 4);
  add_cond(f, WL_FIELD_LOCAL_ADDR, WL_MATCH_EQUAL);
  f->conds[6].ip_version = 4;
  f->conds[6].prefix_len = 32;
  memcpy(f->conds[6].addr, "\xc0\xa8\x01\x0a", 4);
  add_cond(f, WL_FIELD_USER, WL_MATCH_EQUAL);
  strcpy(f->user_sid, USER_SID);
  add_cond(f, WL_FIELD_PACKAGE, WL_MATCH_EQUAL);
  strcpy(f->package_sid, PKG_SID);
  add_cond(f, WL_FIELD_FLAGS, WL_MATCH_FLAGS_ANY_SET);
  f->conds[9].flags = WL_COND_FLAG_IS_LOOPBACK;
}

static void test_filter_build(void **state) {
  (void)state;
  wl_engine *e = open_wfp();
  wl_filter f;
  full_filter(&f);
  assert_int_equal(wl_engine_filter_add(e, &f), WL_OK);
  assert_int_equal(f.id, 70042);
  static const wl_guid zero;
  assert_false(wl_guid_eq(&f.key, &zero)); /* generated, and what the engine got */
  assert_int_equal(R.filter_key.Data1, f.key.d1);
  assert_memory_equal(R.filter_key.Data4, f.key.d4, 8);
  static const GUID connect_v4 = {0xc38d57d1, 0x05a7, 0x4c33, {0x90, 0x4f, 0x7f, 0xbc, 0xee, 0xe6, 0x0e, 0x82}};
  assert_memory_equal(&R.layer, &connect_v4, sizeof(GUID));
  assert_int_equal(R.sublayer.Data1, 0x0badf00d);
  assert_true(R.has_provider);
  assert_int_equal(R.provider.Data1, 0xa1b2c3d4);
  assert_int_equal(R.action, 0x1002);
  assert_int_equal(R.flags, 0x9);
  assert_int_equal(R.weight_type, FWP_UINT8);
  assert_int_equal(R.weight, 12);
  assert_true(wcscmp(R.name, L"wfplearn: allow a.exe") == 0);
  assert_int_equal(R.nconds, 10);
  seen_cond *c = R.c;
  assert_int_equal(c[0].type, FWP_BYTE_BLOB_TYPE);
  assert_int_equal(c[0].match, FWP_MATCH_EQUAL);
  assert_int_equal(c[0].nbytes, 10);
  assert_memory_equal(c[0].bytes, "\\\0d\0e\0v\0\0", 10);
  assert_int_equal(c[0].key.Data1, 0xd78e1e87);
  assert_int_equal(c[1].type, FWP_UINT8);
  assert_int_equal(c[1].u8, 6);
  assert_int_equal(c[1].key.Data1, 0x3971ef2b);
  assert_int_equal(c[2].type, FWP_RANGE_TYPE);
  assert_int_equal(c[2].match, FWP_MATCH_RANGE);
  assert_int_equal(c[2].lo, 8000);
  assert_int_equal(c[2].hi, 8100);
  assert_int_equal(c[2].key.Data1, 0xc35a604d);
  assert_int_equal(c[3].type, FWP_UINT16);
  assert_int_equal(c[3].match, FWP_MATCH_EQUAL);
  assert_int_equal(c[3].lo, 443);
  assert_int_equal(c[4].type, FWP_V4_ADDR_MASK);
  assert_int_equal(c[4].u32, 0x0A010203u); /* host order */
  assert_int_equal(c[4].mask, 0xFF000000u);
  assert_int_equal(c[4].key.Data1, 0xb235ae9a);
  assert_int_equal(c[5].type, FWP_V6_ADDR_MASK);
  assert_int_equal(c[5].prefix, 32);
  assert_memory_equal(c[5].v6, "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\0", 16);
  assert_int_equal(c[6].type, FWP_V4_ADDR_MASK);
  assert_int_equal(c[6].u32, 0xC0A8010Au);
  assert_int_equal(c[6].mask, 0xFFFFFFFFu);
  assert_int_equal(c[6].key.Data1, 0xd9ee00de);
  assert_int_equal(c[7].type, FWP_SECURITY_DESCRIPTOR_TYPE);
  assert_int_equal(c[7].key.Data1, 0xaf043a0a);
  /* owner LocalService, one ACCESS_ALLOWED ACE, FWP_ACTRL_MATCH_FILTER, the user */
  assert_string_equal(c[7].text, "S-1-5-19|1|0|0x1|" USER_SID);
  assert_int_equal(c[8].type, FWP_SID);
  assert_int_equal(c[8].key.Data1, 0x71bc78fa);
  assert_int_equal(c[8].nbytes, 8 + 4 * 8);
  static const uint8_t pkg[] = {1, 8, 0, 0, 0, 0, 0, 15, 2, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0,
                                3, 0, 0, 0, 4, 0, 0, 0, 5, 0, 0, 0, 6, 0, 0, 0, 7, 0, 0, 0};
  assert_memory_equal(c[8].bytes, pkg, sizeof pkg);
  assert_int_equal(c[9].type, FWP_UINT32);
  assert_int_equal(c[9].match, FWP_MATCH_FLAGS_ANY_SET);
  assert_int_equal(c[9].u32, 1);
  assert_int_equal(c[9].key.Data1, 0x632ce23b);
  wl_engine_close(e);
  assert_int_equal(R.blocks, 0);
  assert_int_equal(R.handles, 0);
}

static void test_filter_weights_and_refusals(void **state) {
  (void)state;
  wl_engine *e = open_wfp();
  wl_filter f;
  full_filter(&f);
  f.weight_type = WL_WEIGHT_EXACT;
  f.weight = 0x0123456789ull;
  assert_int_equal(wl_engine_filter_add(e, &f), WL_OK);
  assert_int_equal(R.weight_type, FWP_UINT64);
  assert_int_equal(R.weight, 0x0123456789ull);
  full_filter(&f);
  f.weight_type = WL_WEIGHT_AUTO;
  assert_int_equal(wl_engine_filter_add(e, &f), WL_OK);
  assert_int_equal(R.weight_type, FWP_EMPTY);
  int calls = R.calls;
  /* what WFP cannot express is refused before any call */
  full_filter(&f);
  f.layer_id = 45;
  assert_int_equal(wl_engine_filter_add(e, &f), WL_E_INVAL);
  full_filter(&f);
  f.conds[4].prefix_len = 33;
  assert_int_equal(wl_engine_filter_add(e, &f), WL_E_INVAL);
  full_filter(&f);
  f.conds[2].port_lo = 9000;
  assert_int_equal(wl_engine_filter_add(e, &f), WL_E_INVAL);
  full_filter(&f);
  f.weight_type = WL_WEIGHT_INDEX;
  f.weight = 16;
  assert_int_equal(wl_engine_filter_add(e, &f), WL_E_INVAL);
  full_filter(&f);
  strcpy(f.user_sid, "S-1-nonsense");
  assert_int_equal(wl_engine_filter_add(e, &f), WL_E_INVAL);
  assert_int_equal(R.calls, calls);
  wl_engine_close(e);
  assert_int_equal(R.blocks, 0);
}

static void test_filter_parse(void **state) {
  (void)state;
  wl_engine *e = open_wfp();
  wl_filter f;
  assert_int_equal(wl_engine_filter_get_by_id(e, 70042, &f), WL_OK);
  assert_int_equal(R.blocks, 0);
  assert_int_equal(f.key.d1, 0x11111111);
  assert_int_equal(f.provider.d1, 0x11111111);
  assert_string_equal(f.name, "Block inbound");
  assert_int_equal(f.layer_id, 46);
  assert_int_equal(f.action, WL_ACTION_BLOCK);
  assert_int_equal(f.flags, WL_FILTER_PERSISTENT);
  assert_int_equal(f.weight_type, WL_WEIGHT_EXACT);
  assert_int_equal(f.weight, 0x123456789ull);
  assert_int_equal(f.effective_weight, 0xF00000000000001ull);
  assert_int_equal(f.id, 70042);
  assert_int_equal(f.num_conds, 5); /* the unknown field and the 255.0.255.0 mask skipped */
  assert_int_equal(f.conds[0].field, WL_FIELD_REMOTE_ADDR);
  assert_int_equal(f.conds[0].ip_version, 6);
  assert_int_equal(f.conds[0].prefix_len, 48);
  assert_memory_equal(f.conds[0].addr, "\x20\x01\x0d\xb8\xab\xcd\0\0", 8);
  assert_int_equal(f.conds[1].field, WL_FIELD_LOCAL_ADDR);
  assert_int_equal(f.conds[1].ip_version, 4);
  assert_int_equal(f.conds[1].prefix_len, 32);
  assert_memory_equal(f.conds[1].addr, "\x7f\x00\x00\x01", 4); /* network order */
  assert_int_equal(f.conds[2].field, WL_FIELD_LOCAL_PORT);
  assert_int_equal(f.conds[2].match, WL_MATCH_EQUAL);
  assert_int_equal(f.conds[2].port_lo, 3389);
  assert_int_equal(f.conds[3].field, WL_FIELD_USER);
  assert_string_equal(f.user_sid, USER_SID);
  assert_int_equal(f.conds[4].field, WL_FIELD_PACKAGE);
  assert_string_equal(f.package_sid, PKG_SID);
  assert_int_equal(wl_engine_filter_get_by_key(e, &PROV, &f), WL_OK);
  assert_int_equal(f.layer_id, 48);
  wl_engine_close(e);
  assert_int_equal(R.blocks, 0);
}

static void test_filter_enum(void **state) {
  (void)state;
  wl_engine *e = open_wfp();
  wl_filter *v = NULL;
  size_t n = 0;
  assert_int_equal(wl_engine_filter_enum(e, &PROV, &v, &n), WL_OK);
  assert_int_equal(g_layers_asked, 4);
  assert_int_equal(n, 4);
  int seen = 0;
  for (size_t i = 0; i < n; i++)
    seen |= v[i].layer_id == 44 ? 1 : v[i].layer_id == 46 ? 2 : v[i].layer_id == 48 ? 4
                                : v[i].layer_id == 50 ? 8 : 16;
  assert_int_equal(seen, 15);
  wl_engine_free(v);
  assert_int_equal(R.blocks, 0);
  assert_int_equal(R.handles, 1);
  g_layers_asked = 0;
  wl_engine_close(e);
}

/* ---- net events ---- */

static wl_raw_event g_got;
static int g_ngot;
static int on_raw(void *ctx, const wl_raw_event *ev) {
  (void)ctx;
  g_got = *ev;
  g_ngot++;
  return WL_E_FULL; /* BFE must not care */
}

/* Call the subscribed callback with a classify drop of its struct version. */
static void fire(int sub_version) {
  FWPM_NET_EVENT_CLASSIFY_DROP1 d1 = {0xABCull, 48, 0, 0, 0, 0x3901, FALSE};
  FWPM_NET_EVENT_CLASSIFY_DROP2 d2;
  memset(&d2, 0, sizeof d2);
  d2.filterId = 0xABCull;
  d2.layerId = 48;
  d2.msFwpDirection = 0x3901;
#define FIRE(T, CBT, D)                                \
  {                                                    \
    T ev;                                              \
    memset(&ev, 0, sizeof ev);                         \
    ev.header.flags = 0x1FF;                           \
    ev.header.ipProtocol = 6;                          \
    ev.type = FWPM_NET_EVENT_TYPE_CLASSIFY_DROP;       \
    ev.classifyDrop = D;                               \
    CBT cb;                                            \
    memcpy(&cb, &R.cb, sizeof cb);                     \
    cb(R.cb_ctx, &ev);                                 \
  }                                                    \
  break;
  switch (sub_version) {
  case 0: FIRE(FWPM_NET_EVENT1, FWPM_NET_EVENT_CALLBACK0, &d1)
  case 1: FIRE(FWPM_NET_EVENT2, FWPM_NET_EVENT_CALLBACK1, &d2)
  case 2: FIRE(FWPM_NET_EVENT3, FWPM_NET_EVENT_CALLBACK2, &d2)
  case 3: FIRE(FWPM_NET_EVENT4, FWPM_NET_EVENT_CALLBACK3, &d2)
  default: FIRE(FWPM_NET_EVENT5, FWPM_NET_EVENT_CALLBACK4, &d2)
  }
#undef FIRE
}

static void test_subscribe_fallback(void **state) {
  (void)state;
  for (int top = 4; top >= 0; top--) {
    memset(&R, 0, sizeof R);
    g_table = full_table();
    wl_fwp_api *t = &g_table;
    if (top < 4) t->FwpmNetEventSubscribe4 = NULL;
    if (top < 3) t->FwpmNetEventSubscribe3 = NULL;
    if (top < 2) t->FwpmNetEventSubscribe2 = NULL;
    if (top < 1) t->FwpmNetEventSubscribe1 = NULL;
    wl_engine *e = open_wfp();
    assert_int_equal(wl_engine_event_version(e), top + 1);
    wl_subscription *s = NULL;
    assert_int_equal(wl_engine_subscribe(e, on_raw, NULL, &s), WL_OK);
    assert_int_equal(R.subscribed, top);
    g_ngot = 0;
    fire(top);
    assert_int_equal(g_ngot, 1);
    assert_int_equal(g_got.type, WL_RAW_TYPE_CLASSIFY_DROP);
    assert_int_equal(g_got.flags, 0x1FF);
    assert_int_equal(g_got.ip_protocol, 6);
    assert_int_equal(g_got.filter_id, 0xABC);
    assert_int_equal(g_got.layer_id, 48);
    assert_int_equal(g_got.direction, WL_RAW_DIR_OUT);
    assert_int_equal(g_got.origin, WL_ORIGIN_LIVE);
    assert_int_equal(wl_engine_unsubscribe(e, s), WL_OK);
    assert_int_equal(R.handles, 1);
    wl_engine_close(e);
    assert_int_equal(R.handles, 0);
  }
  /* none at all (wine's own fwpuclnt.dll): version 0, subscribing is unsupported */
  memset(&R, 0, sizeof R);
  g_table = full_table();
  g_table.FwpmNetEventSubscribe0 = NULL;
  g_table.FwpmNetEventSubscribe1 = NULL;
  g_table.FwpmNetEventSubscribe2 = NULL;
  g_table.FwpmNetEventSubscribe3 = NULL;
  g_table.FwpmNetEventSubscribe4 = NULL;
  wl_engine *e = open_wfp();
  assert_int_equal(wl_engine_event_version(e), 0);
  wl_subscription *s = NULL;
  assert_int_equal(wl_engine_subscribe(e, on_raw, NULL, &s), WL_E_UNSUPPORTED);
  wl_engine_close(e);
}

static void test_close_ends_subscriptions(void **state) {
  (void)state;
  wl_engine *e = open_wfp();
  wl_subscription *s = NULL;
  assert_int_equal(wl_engine_subscribe(e, on_raw, NULL, &s), WL_OK);
  assert_int_equal(R.handles, 2);
  wl_engine_close(e); /* the caller forgot to unsubscribe */
  assert_int_equal(R.handles, 0);
  free(s); /* the dispatcher's record; the backend's part is gone */
}

static int on_backfill(void *ctx, const wl_raw_event *ev) {
  uint64_t *ids = ctx;
  assert_int_equal(ev->origin, WL_ORIGIN_BACKFILL);
  ids[g_ngot++] = ev->filter_id;
  return WL_OK;
}

static void test_enum_events(void **state) {
  (void)state;
  for (int only0 = 0; only0 <= 1; only0++) {
    memset(&R, 0, sizeof R);
    g_table = full_table();
    if (only0)
      g_table.FwpmNetEventEnum5 = NULL;
    wl_engine *e = open_wfp();
    uint64_t ids[4] = {0};
    g_ngot = 0;
    assert_int_equal(wl_engine_enum_events(e, 999, on_backfill, ids), WL_OK);
    assert_int_equal(g_ne_start, 1000); /* since is exclusive */
    assert_int_equal(g_ngot, 2);
    assert_int_equal(ids[0], 65001);
    assert_int_equal(ids[1], 65002);
    assert_int_equal(R.blocks, 0);
    assert_int_equal(R.handles, 1);
    wl_engine_close(e);
  }
}

/* ---- everything released whatever fails ---- */

static int session(void) {
  wl_engine *e = NULL;
  wl_filter f, *v = NULL;
  wl_subscription *s = NULL;
  wl_provider p = {.key = PROV, .name = "wfplearn", .flags = WL_OBJ_PERSISTENT};
  wl_sublayer sl = {.key = SUBL, .name = "wfplearn", .provider = PROV,
                    .flags = WL_OBJ_PERSISTENT, .weight = 0x4000};
  uint32_t opt = 0;
  uint8_t app[256];
  size_t n = 0, len = 0;
  uint64_t ids[4];
  int rc = wl_engine_open("wfp", WL_SESSION_DYNAMIC, &e);
  if (!rc) rc = wl_engine_set_option(e, WL_OPT_COLLECT_NET_EVENTS, 1);
  if (!rc) rc = wl_engine_get_option(e, WL_OPT_COLLECT_NET_EVENTS, &opt);
  if (!rc) rc = wl_engine_begin(e);
  if (!rc) rc = wl_engine_provider_add(e, &p);
  if (!rc) rc = wl_engine_provider_get(e, &PROV, &p);
  if (!rc) rc = wl_engine_sublayer_add(e, &sl);
  if (!rc) rc = wl_engine_sublayer_get(e, &SUBL, &sl);
  if (!rc) { full_filter(&f); rc = wl_engine_filter_add(e, &f); }
  if (!rc) rc = wl_engine_filter_get_by_id(e, 70042, &f);
  if (!rc) rc = wl_engine_filter_enum(e, &PROV, &v, &n);
  wl_engine_free(v);
  if (!rc) rc = wl_engine_commit(e);
  if (!rc) rc = wl_engine_app_id(e, "C:\\Tools\\a.exe", app, sizeof app, &len);
  if (!rc) rc = wl_engine_subscribe(e, on_raw, NULL, &s);
  g_ngot = 0;
  if (!rc) rc = wl_engine_enum_events(e, 0, on_backfill, ids);
  if (!rc) rc = wl_engine_unsubscribe(e, s);
  else if (s) free(s); /* close ends it */
  wl_engine_close(e);
  return rc;
}

static void test_fault_injection(void **state) {
  (void)state;
  assert_int_equal(session(), WL_OK);
  assert_int_equal(R.blocks, 0);
  assert_int_equal(R.handles, 0);
  int total = R.calls;
  assert_true(total > 20);
  int failed = 0;
  for (int n = 1; n <= total; n++) {
    memset(&R, 0, sizeof R);
    g_layers_asked = 0;
    R.fail_at = n;
    int rc = session();
    if (rc) {
      failed++;
      assert_non_null(strstr(wl_errmsg(), "FWP_E_TIMEOUT (0x80320012)"));
      assert_non_null(strstr(wl_errmsg(), "Fwpm"));
      assert_int_equal(rc, WL_E_TIMEOUT);
    }
    if (R.blocks || R.handles)
      fail_msg("call %d failing leaves %ld blocks, %ld handles", n, R.blocks, R.handles);
  }
  assert_true(failed >= total - 6); /* only close/destroy/unsubscribe failures are not reported */
}

static void test_missing_export(void **state) {
  (void)state;
  g_table.FwpmFilterAdd0 = NULL;
  wl_engine *e = NULL;
  assert_int_equal(wl_engine_open("wfp", 0, &e), WL_E_UNSUPPORTED);
  assert_non_null(strstr(wl_errmsg(), "FwpmFilterAdd0"));
  assert_null(e);
  assert_int_equal(R.calls, 0);
  g_table = full_table();
  assert_int_equal(wl_engine_open("wfp", 0, &e), WL_OK);
  assert_int_equal(R.session_flags, 0);
  wl_engine_close(e);
  assert_int_equal(R.handles, 0);
}

static void test_code_names(void **state) {
  (void)state;
  assert_string_equal(wl_fwp_code_name((DWORD)FWP_E_ALREADY_EXISTS), "FWP_E_ALREADY_EXISTS");
  assert_string_equal(wl_fwp_code_name(1764), "RPC_S_CANNOT_SUPPORT");
  assert_null(wl_fwp_code_name(0x80329999u));
  assert_int_equal(wl_fwp_err(NULL, "FwpmFilterAdd0", (DWORD)FWP_E_ALREADY_EXISTS), WL_E_EXISTS);
  assert_string_equal(wl_errmsg(), "FwpmFilterAdd0: FWP_E_ALREADY_EXISTS (0x80320009)");
  assert_int_equal(wl_fwp_err(NULL, "FwpmEngineOpen0", 5), WL_E_PERM);
  assert_string_equal(wl_errmsg(), "FwpmEngineOpen0: ERROR_ACCESS_DENIED (0x00000005)");
  assert_int_equal(wl_fwp_err(NULL, "FwpmFilterGetById0", (DWORD)FWP_E_FILTER_NOT_FOUND),
                   WL_E_NOTFOUND);
  assert_int_equal(wl_fwp_err(NULL, "X", 0x80329999u), WL_E_ENGINE);
  assert_string_equal(wl_errmsg(), "X: FWP_E_unknown (0x80329999)");
  assert_int_equal(wl_fwp_code_to_wl(0), WL_OK);
}

static void test_sim_controls_unsupported(void **state) {
  (void)state;
  wl_engine *e = open_wfp();
  wl_attempt a;
  wl_decision d;
  memset(&a, 0, sizeof a);
  assert_int_equal(wl_sim_classify(e, &a, &d), WL_E_UNSUPPORTED);
  assert_int_equal(wl_sim_set_drive(e, 'C', "\\device\\harddiskvolume1"), WL_E_UNSUPPORTED);
  uint32_t v = 0;
  assert_int_equal(wl_engine_set_option(e, WL_OPT_COLLECT_NET_EVENTS, 7), WL_OK);
  assert_int_equal(wl_engine_get_option(e, WL_OPT_COLLECT_NET_EVENTS, &v), WL_OK);
  assert_int_equal(v, 7);
  uint8_t app[128];
  size_t len = 0;
  assert_int_equal(wl_engine_app_id(e, "C:\\Tools\\a.exe", app, 20, &len), WL_E_TOOBIG);
  assert_int_equal(wl_engine_app_id(e, "C:\\Tools\\a.exe", app, sizeof app, &len), WL_OK);
  assert_int_equal(len, 72);
  assert_memory_equal(app, "\\\0d\0e\0v\0", 8);
  wl_engine_close(e);
  assert_int_equal(R.blocks, 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_filter_build, setup, teardown),
      cmocka_unit_test_setup_teardown(test_filter_weights_and_refusals, setup, teardown),
      cmocka_unit_test_setup_teardown(test_filter_parse, setup, teardown),
      cmocka_unit_test_setup_teardown(test_filter_enum, setup, teardown),
      cmocka_unit_test_setup_teardown(test_subscribe_fallback, setup, teardown),
      cmocka_unit_test_setup_teardown(test_close_ends_subscriptions, setup, teardown),
      cmocka_unit_test_setup_teardown(test_enum_events, setup, teardown),
      cmocka_unit_test_setup_teardown(test_fault_injection, setup, teardown),
      cmocka_unit_test_setup_teardown(test_missing_export, setup, teardown),
      cmocka_unit_test_setup_teardown(test_code_names, setup, teardown),
      cmocka_unit_test_setup_teardown(test_sim_controls_unsupported, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
