/* fake_filter.c — the fake fwpuclnt.dll's filters: FWPM_FILTER0 (as a caller of the real
 * FwpmFilterAdd0 builds it) → the sim's wl_filter, and back for FwpmFilterGetById0/ByKey0 and
 * enumeration.
 *
 * This is the other side of the wire from the backend's win_filter.c and is written apart
 * from it on purpose (its own address, mask and SID handling; SIDs and security descriptors
 * through advapi32's SDDL functions rather than wfplearn's SID code), so that a test adding a
 * filter through the backend and reading what the sim stored checks one against the other.
 * It validates like BFE does for what wfplearn uses: wrong data type for a field
 * FWP_E_TYPE_MISMATCH, wrong match type FWP_E_MATCH_TYPE_MISMATCH, a non-contiguous v4 mask
 * FWP_E_INVALID_NET_MASK, low > high FWP_E_INVALID_RANGE, unknown field
 * FWP_E_CONDITION_NOT_FOUND, unknown layer FWP_E_LAYER_NOT_FOUND.
 */
#include <stdlib.h>
#include <string.h>

#include "common/wl_err.h"
#include "tests/fake_fwpuclnt/win_fakedll.h"

#include <sddl.h> /* after windows.h */

static const struct {
  const GUID *key;
  uint16_t id;
} g_layer[] = {
    {&wl_FWPM_LAYER_ALE_AUTH_CONNECT_V4, WL_LAYER_ALE_AUTH_CONNECT_V4},
    {&wl_FWPM_LAYER_ALE_AUTH_CONNECT_V6, WL_LAYER_ALE_AUTH_CONNECT_V6},
    {&wl_FWPM_LAYER_ALE_AUTH_RECV_ACCEPT_V4, WL_LAYER_ALE_AUTH_RECV_ACCEPT_V4},
    {&wl_FWPM_LAYER_ALE_AUTH_RECV_ACCEPT_V6, WL_LAYER_ALE_AUTH_RECV_ACCEPT_V6},
};
#define NLAYER (sizeof g_layer / sizeof g_layer[0])

/* ---- SIDs and security descriptors through advapi32 ---- */

static DWORD sid_to_text(PSID sid, char *out, size_t cap) {
  wchar_t *w = NULL;
  if (!sid || !IsValidSid(sid) || !ConvertSidToStringSidW(sid, &w))
    return (DWORD)FWP_E_INVALID_PARAMETER;
  fake_wide_to_utf8(w, out, cap);
  LocalFree(w);
  return ERROR_SUCCESS;
}

/* The account SID of the first "A" ACE in the SDDL of the DACL; its rights must be CC (0x1,
 * FWP_ACTRL_MATCH_FILTER). Fields of an ACE string: type;flags;rights;guid;iguid;sid. */
static DWORD sd_user(const FWP_BYTE_BLOB *b, char *out, size_t cap) {
  if (!b || !b->data || !IsValidSecurityDescriptor(b->data) ||
      GetSecurityDescriptorLength(b->data) > b->size)
    return (DWORD)FWP_E_INVALID_PARAMETER;
  wchar_t *sddl = NULL;
  if (!ConvertSecurityDescriptorToStringSecurityDescriptorW(b->data, SDDL_REVISION_1,
                                                            DACL_SECURITY_INFORMATION, &sddl, NULL))
    return GetLastError();
  DWORD code = (DWORD)FWP_E_INVALID_PARAMETER;
  wchar_t *ace = wcsstr(sddl, L"(A;");
  wchar_t *f[6] = {0};
  for (int i = 0; ace && i < 6; i++) { /* split the ACE's fields in place */
    f[i] = i ? wcschr(f[i - 1], L';') : ace + 1;
    if (!f[i])
      break;
    if (i)
      *f[i]++ = 0;
  }
  wchar_t *end = f[5] ? wcschr(f[5], L')') : NULL;
  if (end && (!wcscmp(f[2], L"CC") || !wcscmp(f[2], L"0x1"))) {
    *end = 0;
    PSID sid = NULL;
    if (ConvertStringSidToSidW(f[5], &sid)) { /* also turns aliases ("SY") into SIDs */
      code = sid_to_text(sid, out, cap);
      LocalFree(sid);
    }
  }
  LocalFree(sddl);
  return code;
}

/* ---- conditions: FWPM → sim ---- */

static DWORD v4_prefix(UINT32 mask, uint8_t *len) {
  uint8_t n = 0;
  while (n < 32 && (mask >> (31 - n)) & 1u)
    n++;
  for (uint8_t i = n; i < 32; i++)
    if ((mask >> (31 - i)) & 1u)
      return (DWORD)FWP_E_INVALID_NET_MASK;
  *len = n;
  return ERROR_SUCCESS;
}

static void v4_bytes(UINT32 host, uint8_t *addr) {
  addr[0] = (uint8_t)(host >> 24);
  addr[1] = (uint8_t)(host >> 16);
  addr[2] = (uint8_t)(host >> 8);
  addr[3] = (uint8_t)host;
}

static DWORD addr_from(const FWP_CONDITION_VALUE0 *v, FWP_MATCH_TYPE m, wl_condition *w) {
  if (m != FWP_MATCH_EQUAL)
    return (DWORD)FWP_E_MATCH_TYPE_MISMATCH;
  switch (v->type) {
  case FWP_V4_ADDR_MASK:
    w->ip_version = 4;
    v4_bytes(v->v4AddrMask->addr, w->addr);
    return v4_prefix(v->v4AddrMask->mask, &w->prefix_len);
  case FWP_UINT32:
    w->ip_version = 4;
    v4_bytes(v->uint32, w->addr);
    w->prefix_len = 32;
    return ERROR_SUCCESS;
  case FWP_V6_ADDR_MASK:
    if (v->v6AddrMask->prefixLength > 128)
      return (DWORD)FWP_E_INVALID_NET_MASK;
    w->ip_version = 6;
    memcpy(w->addr, v->v6AddrMask->addr, 16);
    w->prefix_len = v->v6AddrMask->prefixLength;
    return ERROR_SUCCESS;
  case FWP_BYTE_ARRAY16_TYPE:
    w->ip_version = 6;
    memcpy(w->addr, v->byteArray16->byteArray16, 16);
    w->prefix_len = 128;
    return ERROR_SUCCESS;
  default:
    return (DWORD)FWP_E_TYPE_MISMATCH;
  }
}

static DWORD port_from(const FWP_CONDITION_VALUE0 *v, FWP_MATCH_TYPE m, wl_condition *w) {
  if (v->type == FWP_UINT16) {
    if (m != FWP_MATCH_EQUAL)
      return (DWORD)FWP_E_MATCH_TYPE_MISMATCH;
    w->match = WL_MATCH_EQUAL;
    w->port_lo = w->port_hi = v->uint16;
    return ERROR_SUCCESS;
  }
  if (v->type != FWP_RANGE_TYPE || v->rangeValue->valueLow.type != FWP_UINT16 ||
      v->rangeValue->valueHigh.type != FWP_UINT16)
    return (DWORD)FWP_E_TYPE_MISMATCH;
  if (m != FWP_MATCH_RANGE)
    return (DWORD)FWP_E_MATCH_TYPE_MISMATCH;
  if (v->rangeValue->valueLow.uint16 > v->rangeValue->valueHigh.uint16)
    return (DWORD)FWP_E_INVALID_RANGE;
  w->match = WL_MATCH_RANGE;
  w->port_lo = v->rangeValue->valueLow.uint16;
  w->port_hi = v->rangeValue->valueHigh.uint16;
  return ERROR_SUCCESS;
}

static DWORD app_from(const FWP_CONDITION_VALUE0 *v, FWP_MATCH_TYPE m, wl_filter *f) {
  if (v->type != FWP_BYTE_BLOB_TYPE)
    return (DWORD)FWP_E_TYPE_MISMATCH;
  if (m != FWP_MATCH_EQUAL)
    return (DWORD)FWP_E_MATCH_TYPE_MISMATCH;
  if (f->app_id_len || !v->byteBlob || v->byteBlob->size > WL_APP_ID_MAX ||
      (v->byteBlob->size && !v->byteBlob->data))
    return (DWORD)FWP_E_INVALID_PARAMETER; /* the sim models one app id per filter */
  f->app_id_len = v->byteBlob->size;
  memcpy(f->app_id, v->byteBlob->data, v->byteBlob->size);
  return ERROR_SUCCESS;
}

static DWORD cond_from(const FWPM_FILTER_CONDITION0 *c, wl_filter *f) {
  const FWP_CONDITION_VALUE0 *v = &c->conditionValue;
  const GUID *k = &c->fieldKey;
  wl_condition *w = &f->conds[f->num_conds];
  memset(w, 0, sizeof *w);
  if (v->type >= FWP_BYTE_ARRAY16_TYPE && v->type != FWP_SID && !v->byteBlob)
    return (DWORD)FWP_E_NULL_POINTER; /* every pointer member shares the union slot */
  if (IsEqualGUID(k, &wl_FWPM_CONDITION_ALE_APP_ID)) {
    w->field = WL_FIELD_APP_ID;
    return app_from(v, c->matchType, f);
  }
  if (IsEqualGUID(k, &wl_FWPM_CONDITION_IP_PROTOCOL)) {
    w->field = WL_FIELD_PROTOCOL;
    w->proto = v->uint8;
    return v->type != FWP_UINT8 ? (DWORD)FWP_E_TYPE_MISMATCH
           : c->matchType != FWP_MATCH_EQUAL ? (DWORD)FWP_E_MATCH_TYPE_MISMATCH : ERROR_SUCCESS;
  }
  int local = IsEqualGUID(k, &wl_FWPM_CONDITION_IP_LOCAL_PORT);
  if (local || IsEqualGUID(k, &wl_FWPM_CONDITION_IP_REMOTE_PORT)) {
    w->field = local ? WL_FIELD_LOCAL_PORT : WL_FIELD_REMOTE_PORT;
    return port_from(v, c->matchType, w);
  }
  local = IsEqualGUID(k, &wl_FWPM_CONDITION_IP_LOCAL_ADDRESS);
  if (local || IsEqualGUID(k, &wl_FWPM_CONDITION_IP_REMOTE_ADDRESS)) {
    w->field = local ? WL_FIELD_LOCAL_ADDR : WL_FIELD_REMOTE_ADDR;
    return addr_from(v, c->matchType, w);
  }
  if (IsEqualGUID(k, &wl_FWPM_CONDITION_ALE_USER_ID)) {
    w->field = WL_FIELD_USER;
    if (v->type != FWP_SECURITY_DESCRIPTOR_TYPE)
      return (DWORD)FWP_E_TYPE_MISMATCH;
    return f->user_sid[0] ? (DWORD)FWP_E_INVALID_PARAMETER
                          : sd_user(v->sd, f->user_sid, sizeof f->user_sid);
  }
  if (IsEqualGUID(k, &wl_FWPM_CONDITION_ALE_PACKAGE_ID)) {
    w->field = WL_FIELD_PACKAGE;
    if (v->type != FWP_SID)
      return (DWORD)FWP_E_TYPE_MISMATCH;
    return f->package_sid[0] ? (DWORD)FWP_E_INVALID_PARAMETER
                             : sid_to_text(v->sid, f->package_sid, sizeof f->package_sid);
  }
  if (IsEqualGUID(k, &wl_FWPM_CONDITION_FLAGS)) {
    w->field = WL_FIELD_FLAGS;
    w->match = WL_MATCH_FLAGS_ANY_SET;
    w->flags = v->uint32;
    return v->type != FWP_UINT32 ? (DWORD)FWP_E_TYPE_MISMATCH
           : c->matchType != FWP_MATCH_FLAGS_ANY_SET ? (DWORD)FWP_E_MATCH_TYPE_MISMATCH
                                                     : ERROR_SUCCESS;
  }
  return (DWORD)FWP_E_CONDITION_NOT_FOUND;
}

static DWORD weight_from(const FWP_VALUE0 *v, wl_filter *f) {
  switch (v->type) {
  case FWP_EMPTY: f->weight_type = WL_WEIGHT_AUTO; return ERROR_SUCCESS;
  case FWP_UINT8:
    if (v->uint8 > 15)
      return (DWORD)FWP_E_INVALID_WEIGHT;
    f->weight_type = WL_WEIGHT_INDEX;
    f->weight = v->uint8;
    return ERROR_SUCCESS;
  case FWP_UINT64:
    if (!v->uint64)
      return (DWORD)FWP_E_NULL_POINTER;
    f->weight_type = WL_WEIGHT_EXACT;
    f->weight = *v->uint64;
    return ERROR_SUCCESS;
  default: return (DWORD)FWP_E_INVALID_WEIGHT;
  }
}

DWORD fake_filter_from_fwpm(const FWPM_FILTER0 *in, wl_filter *out) {
  memset(out, 0, sizeof *out);
  if (!in->displayData.name)
    return (DWORD)FWP_E_NULL_DISPLAY_NAME;
  for (size_t i = 0; i < NLAYER; i++)
    if (IsEqualGUID(&in->layerKey, g_layer[i].key))
      out->layer_id = g_layer[i].id;
  if (!out->layer_id)
    return (DWORD)FWP_E_LAYER_NOT_FOUND;
  if (in->action.type != FWP_ACTION_PERMIT && in->action.type != FWP_ACTION_BLOCK)
    return (DWORD)FWP_E_INVALID_ACTION_TYPE;
  if (in->numFilterConditions > WL_FILTER_MAX_CONDS ||
      (in->numFilterConditions && !in->filterCondition))
    return (DWORD)FWP_E_INVALID_PARAMETER;
  fake_guid_to_wl(&in->filterKey, &out->key);
  fake_wide_to_utf8(in->displayData.name, out->name, sizeof out->name);
  fake_wide_to_utf8(in->displayData.description, out->description, sizeof out->description);
  if (in->providerKey)
    fake_guid_to_wl(in->providerKey, &out->provider);
  fake_guid_to_wl(&in->subLayerKey, &out->sublayer);
  out->action = in->action.type;
  out->flags = in->flags;
  DWORD code = weight_from(&in->weight, out);
  for (UINT32 i = 0; code == ERROR_SUCCESS && i < in->numFilterConditions; i++)
    if ((code = cond_from(&in->filterCondition[i], out)) == ERROR_SUCCESS)
      out->num_conds++;
  return code;
}

/* ---- sim → FWPM (into a root block) ---- */

static int cond_to(void *root, const wl_filter *f, const wl_condition *w,
                   FWPM_FILTER_CONDITION0 *c) {
  FWP_CONDITION_VALUE0 *v = &c->conditionValue;
  c->matchType = FWP_MATCH_EQUAL;
  switch (w->field) {
  case WL_FIELD_APP_ID:
    c->fieldKey = wl_FWPM_CONDITION_ALE_APP_ID;
    v->type = FWP_BYTE_BLOB_TYPE;
    if (!(v->byteBlob = fake_child_alloc(root, sizeof *v->byteBlob)) ||
        !(v->byteBlob->data = fake_child_dup(root, f->app_id, f->app_id_len)))
      return -1;
    v->byteBlob->size = f->app_id_len;
    return 0;
  case WL_FIELD_PROTOCOL:
    c->fieldKey = wl_FWPM_CONDITION_IP_PROTOCOL;
    v->type = FWP_UINT8;
    v->uint8 = w->proto;
    return 0;
  case WL_FIELD_LOCAL_PORT:
  case WL_FIELD_REMOTE_PORT:
    c->fieldKey = w->field == WL_FIELD_LOCAL_PORT ? wl_FWPM_CONDITION_IP_LOCAL_PORT
                                                  : wl_FWPM_CONDITION_IP_REMOTE_PORT;
    if (w->match != WL_MATCH_RANGE) {
      v->type = FWP_UINT16;
      v->uint16 = w->port_lo;
      return 0;
    }
    c->matchType = FWP_MATCH_RANGE;
    v->type = FWP_RANGE_TYPE;
    if (!(v->rangeValue = fake_child_alloc(root, sizeof *v->rangeValue)))
      return -1;
    v->rangeValue->valueLow.type = v->rangeValue->valueHigh.type = FWP_UINT16;
    v->rangeValue->valueLow.uint16 = w->port_lo;
    v->rangeValue->valueHigh.uint16 = w->port_hi;
    return 0;
  default:
    return 1; /* the others: cond_to_more */
  }
}

static int cond_to_more(void *root, const wl_filter *f, const wl_condition *w,
                        FWPM_FILTER_CONDITION0 *c) {
  FWP_CONDITION_VALUE0 *v = &c->conditionValue;
  if (w->field == WL_FIELD_LOCAL_ADDR || w->field == WL_FIELD_REMOTE_ADDR) {
    c->fieldKey = w->field == WL_FIELD_LOCAL_ADDR ? wl_FWPM_CONDITION_IP_LOCAL_ADDRESS
                                                  : wl_FWPM_CONDITION_IP_REMOTE_ADDRESS;
    if (w->ip_version == 4) {
      v->type = FWP_V4_ADDR_MASK;
      if (!(v->v4AddrMask = fake_child_alloc(root, sizeof *v->v4AddrMask)))
        return -1;
      v->v4AddrMask->addr = (UINT32)w->addr[0] << 24 | (UINT32)w->addr[1] << 16 |
                            (UINT32)w->addr[2] << 8 | w->addr[3];
      v->v4AddrMask->mask = w->prefix_len ? ~(UINT32)0 << (32 - w->prefix_len) : 0;
    } else {
      v->type = FWP_V6_ADDR_MASK;
      if (!(v->v6AddrMask = fake_child_alloc(root, sizeof *v->v6AddrMask)))
        return -1;
      memcpy(v->v6AddrMask->addr, w->addr, 16);
      v->v6AddrMask->prefixLength = w->prefix_len;
    }
    return 0;
  }
  if (w->field == WL_FIELD_FLAGS) {
    c->fieldKey = wl_FWPM_CONDITION_FLAGS;
    c->matchType = FWP_MATCH_FLAGS_ANY_SET;
    v->type = FWP_UINT32;
    v->uint32 = w->flags;
    return 0;
  }
  wchar_t wsid[WL_SID_STR_MAX], text[WL_SID_STR_MAX + 32];
  const char *sid = w->field == WL_FIELD_USER ? f->user_sid : f->package_sid;
  if (!MultiByteToWideChar(CP_UTF8, 0, sid, -1, wsid, WL_SID_STR_MAX))
    return -1;
  if (w->field == WL_FIELD_PACKAGE) {
    PSID p = NULL;
    c->fieldKey = wl_FWPM_CONDITION_ALE_PACKAGE_ID;
    v->type = FWP_SID;
    if (!ConvertStringSidToSidW(wsid, &p))
      return -1;
    v->sid = fake_child_dup(root, p, GetLengthSid(p));
    LocalFree(p);
    return v->sid ? 0 : -1;
  }
  PSECURITY_DESCRIPTOR sd = NULL;
  ULONG n = 0;
  c->fieldKey = wl_FWPM_CONDITION_ALE_USER_ID;
  v->type = FWP_SECURITY_DESCRIPTOR_TYPE;
  wcscpy(text, L"O:LSD:(A;;CC;;;");
  wcscat(text, wsid);
  wcscat(text, L")");
  if (!ConvertStringSecurityDescriptorToSecurityDescriptorW(text, SDDL_REVISION_1, &sd, &n))
    return -1;
  int rc = -1;
  if ((v->sd = fake_child_alloc(root, sizeof *v->sd)) && (v->sd->data = fake_child_dup(root, sd, n))) {
    v->sd->size = n;
    rc = 0;
  }
  LocalFree(sd);
  return rc;
}

int fake_filter_to_fwpm(void *root, const wl_filter *in, FWPM_FILTER0 *f) {
  fake_guid_from_wl(&in->key, &f->filterKey);
  f->displayData.name = fake_child_wide(root, in->name);
  f->displayData.description = in->description[0] ? fake_child_wide(root, in->description) : NULL;
  f->flags = in->flags;
  static const wl_guid zero;
  if (!wl_guid_eq(&in->provider, &zero) && (f->providerKey = fake_child_alloc(root, sizeof(GUID))))
    fake_guid_from_wl(&in->provider, f->providerKey);
  for (size_t i = 0; i < NLAYER; i++)
    if (g_layer[i].id == in->layer_id)
      f->layerKey = *g_layer[i].key;
  fake_guid_from_wl(&in->sublayer, &f->subLayerKey);
  f->weight.type = in->weight_type == WL_WEIGHT_INDEX ? FWP_UINT8
                   : in->weight_type == WL_WEIGHT_EXACT ? FWP_UINT64 : FWP_EMPTY;
  if (f->weight.type == FWP_UINT8)
    f->weight.uint8 = (UINT8)in->weight;
  if (f->weight.type == FWP_UINT64 && !(f->weight.uint64 = fake_child_dup(root, &in->weight, 8)))
    return -1;
  f->effectiveWeight.type = FWP_UINT64;
  if (!(f->effectiveWeight.uint64 = fake_child_dup(root, &in->effective_weight, 8)))
    return -1;
  f->action.type = in->action;
  f->filterId = in->id;
  f->numFilterConditions = in->num_conds;
  if (in->num_conds &&
      !(f->filterCondition = fake_child_alloc(root, in->num_conds * sizeof *f->filterCondition)))
    return -1;
  for (uint32_t i = 0; i < in->num_conds; i++) {
    int rc = cond_to(root, in, &in->conds[i], &f->filterCondition[i]);
    if (rc > 0)
      rc = cond_to_more(root, in, &in->conds[i], &f->filterCondition[i]);
    if (rc < 0)
      return -1;
  }
  return 0;
}

/* ---- the exports ---- */

static fake_engine *engine_of(HANDLE h) { return fake_handle_get(h, FAKE_ENGINE); }

WL_FAKE_EXPORT DWORD WINAPI FwpmFilterAdd0(HANDLE engineHandle, const FWPM_FILTER0 *filter,
                                           PSECURITY_DESCRIPTOR sd, UINT64 *id) {
  fake_enter();
  fake_engine *e = engine_of(engineHandle);
  (void)sd;
  if (!e)
    return ERROR_INVALID_HANDLE;
  if (!filter)
    return (DWORD)FWP_E_NULL_POINTER;
  wl_filter *f = malloc(sizeof *f);
  if (!f)
    return ERROR_NOT_ENOUGH_MEMORY;
  DWORD code = fake_filter_from_fwpm(filter, f);
  if (code == ERROR_SUCCESS)
    code = fake_code(e->ops->filter_add(e->impl, f), (DWORD)FWP_E_SUBLAYER_NOT_FOUND);
  if (code == ERROR_SUCCESS && id)
    *id = f->id;
  free(f);
  return code;
}

WL_FAKE_EXPORT DWORD WINAPI FwpmFilterDeleteByKey0(HANDLE engineHandle, const GUID *key) {
  fake_enter();
  fake_engine *e = engine_of(engineHandle);
  if (!e)
    return ERROR_INVALID_HANDLE;
  if (!key)
    return (DWORD)FWP_E_NULL_POINTER;
  wl_guid k;
  fake_guid_to_wl(key, &k);
  return fake_code(e->ops->filter_delete(e->impl, &k), (DWORD)FWP_E_FILTER_NOT_FOUND);
}

/* FwpmFilterGetById0/ByKey0 give the FWPM_FILTER0 itself as the root block. */
static DWORD hand_out(const wl_filter *f, FWPM_FILTER0 **out) {
  FWPM_FILTER0 *ff = fake_root_alloc(sizeof *ff);
  if (!ff || fake_filter_to_fwpm(ff, f, ff)) {
    fake_root_free(ff);
    return ERROR_NOT_ENOUGH_MEMORY;
  }
  *out = ff;
  return ERROR_SUCCESS;
}

WL_FAKE_EXPORT DWORD WINAPI FwpmFilterGetById0(HANDLE engineHandle, UINT64 id,
                                               FWPM_FILTER0 **filter) {
  fake_enter();
  fake_engine *e = engine_of(engineHandle);
  if (!e)
    return ERROR_INVALID_HANDLE;
  if (!filter)
    return (DWORD)FWP_E_NULL_POINTER;
  wl_filter *f = malloc(sizeof *f);
  if (!f)
    return ERROR_NOT_ENOUGH_MEMORY;
  DWORD code = fake_code(e->ops->filter_get_by_id(e->impl, id, f), (DWORD)FWP_E_FILTER_NOT_FOUND);
  if (code == ERROR_SUCCESS)
    code = hand_out(f, filter);
  free(f);
  return code;
}

WL_FAKE_EXPORT DWORD WINAPI FwpmFilterGetByKey0(HANDLE engineHandle, const GUID *key,
                                                FWPM_FILTER0 **filter) {
  fake_enter();
  fake_engine *e = engine_of(engineHandle);
  if (!e)
    return ERROR_INVALID_HANDLE;
  if (!key || !filter)
    return (DWORD)FWP_E_NULL_POINTER;
  wl_guid k;
  fake_guid_to_wl(key, &k);
  wl_filter *f = malloc(sizeof *f);
  if (!f)
    return ERROR_NOT_ENOUGH_MEMORY;
  DWORD code = fake_code(e->ops->filter_get_by_key(e->impl, &k, f), (DWORD)FWP_E_FILTER_NOT_FOUND);
  if (code == ERROR_SUCCESS)
    code = hand_out(f, filter);
  free(f);
  return code;
}

/* ---- enumeration: the matching filters are fetched at create time ---- */

typedef struct fake_fenum {
  int kind; /* FAKE_FILTER_ENUM */
  fake_engine *eng;
  wl_filter *v;
  size_t n, pos;
} fake_fenum;

/* Keep what the template asks for: its layer (zero GUID: every layer) and action mask. */
static size_t fenum_filter(const FWPM_FILTER_ENUM_TEMPLATE0 *t, wl_filter *v, size_t n) {
  size_t k = 0;
  for (size_t i = 0; i < n; i++) {
    int keep = 1;
    if (t && !fake_guid_zero(&t->layerKey)) {
      keep = 0;
      for (size_t j = 0; j < NLAYER; j++)
        if (IsEqualGUID(&t->layerKey, g_layer[j].key) && g_layer[j].id == v[i].layer_id)
          keep = 1;
    }
    if (t && !(v[i].action & t->actionMask))
      keep = 0;
    if (keep)
      v[k++] = v[i];
  }
  return k;
}

WL_FAKE_EXPORT DWORD WINAPI FwpmFilterCreateEnumHandle0(
    HANDLE engineHandle, const FWPM_FILTER_ENUM_TEMPLATE0 *enumTemplate, HANDLE *enumHandle) {
  fake_enter();
  fake_engine *e = engine_of(engineHandle);
  if (!e)
    return ERROR_INVALID_HANDLE;
  if (!enumHandle)
    return (DWORD)FWP_E_NULL_POINTER;
  if (enumTemplate && (enumTemplate->numFilterConditions || enumTemplate->providerContextTemplate ||
                       enumTemplate->calloutKey))
    return ERROR_NOT_SUPPORTED; /* the fake models provider, layer and action mask only */
  fake_fenum *h = calloc(1, sizeof *h);
  if (!h)
    return ERROR_NOT_ENOUGH_MEMORY;
  h->kind = FAKE_FILTER_ENUM;
  h->eng = e;
  wl_guid prov;
  const GUID *pk = enumTemplate ? enumTemplate->providerKey : NULL;
  if (pk)
    fake_guid_to_wl(pk, &prov);
  DWORD code = fake_code(e->ops->filter_enum(e->impl, pk ? &prov : NULL, &h->v, &h->n),
                         (DWORD)FWP_E_PROVIDER_NOT_FOUND);
  if (code == ERROR_SUCCESS) {
    h->n = fenum_filter(enumTemplate, h->v, h->n);
    code = fake_handle_add(h);
  }
  if (code != ERROR_SUCCESS) {
    free(h->v);
    free(h);
    return code;
  }
  *enumHandle = h;
  return ERROR_SUCCESS;
}

WL_FAKE_EXPORT DWORD WINAPI FwpmFilterEnum0(HANDLE engineHandle, HANDLE enumHandle,
                                            UINT32 numEntriesRequested, FWPM_FILTER0 ***entries,
                                            UINT32 *numEntriesReturned) {
  fake_enter();
  fake_fenum *h = fake_handle_get(enumHandle, FAKE_FILTER_ENUM);
  if (!engine_of(engineHandle) || !h || h->eng != engineHandle)
    return ERROR_INVALID_HANDLE;
  if (!entries || !numEntriesReturned)
    return (DWORD)FWP_E_NULL_POINTER;
  size_t k = h->n - h->pos < numEntriesRequested ? h->n - h->pos : numEntriesRequested;
  *entries = NULL;
  *numEntriesReturned = 0;
  if (!k)
    return ERROR_SUCCESS;
  FWPM_FILTER0 **arr = fake_root_alloc(k * sizeof *arr);
  for (size_t i = 0; arr && i < k; i++) {
    if (!(arr[i] = fake_child_alloc(arr, sizeof **arr)) ||
        fake_filter_to_fwpm(arr, &h->v[h->pos + i], arr[i])) {
      fake_root_free(arr);
      arr = NULL;
    }
  }
  if (!arr)
    return ERROR_NOT_ENOUGH_MEMORY;
  h->pos += k;
  *entries = arr;
  *numEntriesReturned = (UINT32)k;
  return ERROR_SUCCESS;
}

WL_FAKE_EXPORT DWORD WINAPI FwpmFilterDestroyEnumHandle0(HANDLE engineHandle, HANDLE enumHandle) {
  fake_enter();
  fake_fenum *h = fake_handle_get(enumHandle, FAKE_FILTER_ENUM);
  if (!engine_of(engineHandle) || !h || h->eng != engineHandle)
    return ERROR_INVALID_HANDLE;
  fake_handle_remove(h);
  free(h->v);
  free(h);
  return ERROR_SUCCESS;
}
