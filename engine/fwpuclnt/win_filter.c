/* win_filter.c — wl_filter <-> FWPM_FILTER0, and the backend's filter calls (add, delete by
 * key, get by id/key, enumerate a provider's filters).
 *
 * Each condition is encoded the way the WFP pages document it ("Filtering Condition
 * Identifiers", FWP_CONDITION_VALUE0, FWP_V4_ADDR_AND_MASK):
 *   app id        FWP_BYTE_BLOB_TYPE, EQUAL (the blob from FwpmGetAppIdFromFileName0)
 *   protocol      FWP_UINT8, EQUAL
 *   ports         FWP_UINT16 EQUAL, or FWP_RANGE_TYPE (two FWP_UINT16) RANGE
 *   v4 addresses  FWP_V4_ADDR_MASK, address and mask as HOST-order UINT32s
 *   v6 addresses  FWP_V6_ADDR_MASK, 16 bytes in network order and a prefix length
 *   user          FWP_SECURITY_DESCRIPTOR_TYPE: a self-relative SD granting that SID
 *                 FWP_ACTRL_MATCH_FILTER ("CC" in SDDL), EQUAL
 *   package       FWP_SID, EQUAL
 *   flags         FWP_UINT32, FLAGS_ANY_SET
 * The fake fwpuclnt.dll decodes these with its own, separately written code (fake_filter.c),
 * so a test through the DLL checks one side against the other.
 */
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "common/wl_err.h"
#include "common/wl_text.h"
#include "engine/fwpuclnt/win_backend.h"

#include <sddl.h> /* after windows.h */

#define WL_FWP_ENUM_CHUNK 64u       /* filters asked per FwpmFilterEnum0 call */
#define WL_FWP_ENUM_MAX 100000u     /* filters we agree to list (bounds the array) */

/* ---- layers ---- */

static const struct {
  uint16_t id;
  const GUID *key;
} g_layers[] = {
    {WL_LAYER_ALE_AUTH_CONNECT_V4, &wl_FWPM_LAYER_ALE_AUTH_CONNECT_V4},
    {WL_LAYER_ALE_AUTH_CONNECT_V6, &wl_FWPM_LAYER_ALE_AUTH_CONNECT_V6},
    {WL_LAYER_ALE_AUTH_RECV_ACCEPT_V4, &wl_FWPM_LAYER_ALE_AUTH_RECV_ACCEPT_V4},
    {WL_LAYER_ALE_AUTH_RECV_ACCEPT_V6, &wl_FWPM_LAYER_ALE_AUTH_RECV_ACCEPT_V6},
};
#define NLAYERS (sizeof g_layers / sizeof g_layers[0])

const GUID *wl_fwp_layer_key(uint16_t layer_id) {
  for (size_t i = 0; i < NLAYERS; i++)
    if (g_layers[i].id == layer_id)
      return g_layers[i].key;
  return NULL;
}

uint16_t wl_fwp_layer_id(const GUID *key) {
  for (size_t i = 0; i < NLAYERS; i++)
    if (IsEqualGUID(key, g_layers[i].key))
      return g_layers[i].id;
  return 0;
}

/* ---- wl_filter -> FWPM_FILTER0 ---- */

static int build_ports(const wl_condition *c, wl_fwp_fbuild *b, uint32_t i) {
  FWPM_FILTER_CONDITION0 *fc = &b->conds[i];
  if (c->match == WL_MATCH_EQUAL) {
    fc->conditionValue.type = FWP_UINT16;
    fc->conditionValue.uint16 = c->port_lo;
    return WL_OK;
  }
  if (c->match != WL_MATCH_RANGE || c->port_lo > c->port_hi)
    return wl_err(WL_E_INVAL, "filter condition %u: port match %u (%u-%u) is not EQUAL or a "
                  "valid RANGE", i, c->match, c->port_lo, c->port_hi);
  b->ranges[i].valueLow.type = FWP_UINT16;
  b->ranges[i].valueLow.uint16 = c->port_lo;
  b->ranges[i].valueHigh.type = FWP_UINT16;
  b->ranges[i].valueHigh.uint16 = c->port_hi;
  fc->matchType = FWP_MATCH_RANGE;
  fc->conditionValue.type = FWP_RANGE_TYPE;
  fc->conditionValue.rangeValue = &b->ranges[i];
  return WL_OK;
}

static int build_addr(const wl_condition *c, wl_fwp_fbuild *b, uint32_t i) {
  FWPM_FILTER_CONDITION0 *fc = &b->conds[i];
  if (c->ip_version == 4 && c->prefix_len <= 32) {
    b->v4[i].addr = wl_addr_to_v4_host(c->addr);
    b->v4[i].mask = c->prefix_len ? 0xFFFFFFFFu << (32 - c->prefix_len) : 0;
    fc->conditionValue.type = FWP_V4_ADDR_MASK;
    fc->conditionValue.v4AddrMask = &b->v4[i];
    return WL_OK;
  }
  if (c->ip_version == 6 && c->prefix_len <= 128) {
    memcpy(b->v6[i].addr, c->addr, 16);
    b->v6[i].prefixLength = c->prefix_len;
    fc->conditionValue.type = FWP_V6_ADDR_MASK;
    fc->conditionValue.v6AddrMask = &b->v6[i];
    return WL_OK;
  }
  return wl_err(WL_E_INVAL, "filter condition %u: address version %u / prefix %u", i,
                c->ip_version, c->prefix_len);
}

/* "O:LSD:(A;;CC;;;SID)": owner LocalService, one ACE allowing FWP_ACTRL_MATCH_FILTER. */
static int build_user(const wl_filter *in, wl_fwp_fbuild *b, uint32_t i) {
  wchar_t sddl[WL_SID_STR_MAX + 32], wsid[WL_SID_STR_MAX];
  uint8_t bin[WL_SID_MAX];
  if (b->sd || wl_sid_from_string(in->user_sid, bin) < 0)
    return wl_err(WL_E_INVAL, "filter condition %u: user SID \"%s\" is invalid or repeated", i,
                  in->user_sid);
  wl_fwp_to_wide(in->user_sid, wsid, WL_SID_STR_MAX);
  wcscpy(sddl, L"O:LSD:(A;;CC;;;"); /* 16 + WL_SID_STR_MAX - 1 + 2 units fit */
  wcscat(sddl, wsid);
  wcscat(sddl, L")");
  ULONG size = 0;
  if (!ConvertStringSecurityDescriptorToSecurityDescriptorW(sddl, SDDL_REVISION_1, &b->sd,
                                                            &size)) {
    b->sd = NULL;
    return wl_fwp_err(NULL, "ConvertStringSecurityDescriptorToSecurityDescriptorW",
                      GetLastError());
  }
  b->sd_blob.size = size;
  b->sd_blob.data = (UINT8 *)b->sd;
  b->conds[i].conditionValue.type = FWP_SECURITY_DESCRIPTOR_TYPE;
  b->conds[i].conditionValue.sd = &b->sd_blob;
  return WL_OK;
}

static int build_cond(const wl_filter *in, wl_fwp_fbuild *b, uint32_t i) {
  const wl_condition *c = &in->conds[i];
  FWPM_FILTER_CONDITION0 *fc = &b->conds[i];
  fc->matchType = FWP_MATCH_EQUAL;
  switch (c->field) {
  case WL_FIELD_APP_ID:
    if (in->app_id_len == 0 || in->app_id_len > WL_APP_ID_MAX)
      return wl_err(WL_E_INVAL, "filter condition %u: app id of %u bytes", i, in->app_id_len);
    fc->fieldKey = wl_FWPM_CONDITION_ALE_APP_ID;
    b->app_blob.size = in->app_id_len;
    b->app_blob.data = (UINT8 *)in->app_id;
    fc->conditionValue.type = FWP_BYTE_BLOB_TYPE;
    fc->conditionValue.byteBlob = &b->app_blob;
    return WL_OK;
  case WL_FIELD_PROTOCOL:
    fc->fieldKey = wl_FWPM_CONDITION_IP_PROTOCOL;
    fc->conditionValue.type = FWP_UINT8;
    fc->conditionValue.uint8 = c->proto;
    return WL_OK;
  case WL_FIELD_LOCAL_PORT:
  case WL_FIELD_REMOTE_PORT:
    fc->fieldKey = c->field == WL_FIELD_LOCAL_PORT ? wl_FWPM_CONDITION_IP_LOCAL_PORT
                                                   : wl_FWPM_CONDITION_IP_REMOTE_PORT;
    return build_ports(c, b, i);
  case WL_FIELD_LOCAL_ADDR:
  case WL_FIELD_REMOTE_ADDR:
    fc->fieldKey = c->field == WL_FIELD_LOCAL_ADDR ? wl_FWPM_CONDITION_IP_LOCAL_ADDRESS
                                                   : wl_FWPM_CONDITION_IP_REMOTE_ADDRESS;
    return build_addr(c, b, i);
  case WL_FIELD_USER:
    fc->fieldKey = wl_FWPM_CONDITION_ALE_USER_ID;
    return build_user(in, b, i);
  case WL_FIELD_PACKAGE:
    fc->fieldKey = wl_FWPM_CONDITION_ALE_PACKAGE_ID;
    if (wl_sid_from_string(in->package_sid, b->package_sid) < 0)
      return wl_err(WL_E_INVAL, "filter condition %u: package SID \"%s\"", i, in->package_sid);
    fc->conditionValue.type = FWP_SID;
    fc->conditionValue.sid = (SID *)b->package_sid;
    return WL_OK;
  case WL_FIELD_FLAGS:
    fc->fieldKey = wl_FWPM_CONDITION_FLAGS;
    fc->matchType = FWP_MATCH_FLAGS_ANY_SET;
    fc->conditionValue.type = FWP_UINT32;
    fc->conditionValue.uint32 = c->flags;
    return WL_OK;
  default:
    return wl_err(WL_E_INVAL, "filter condition %u: unknown field %u", i, c->field);
  }
}

static int build_weight(const wl_filter *in, wl_fwp_fbuild *b) {
  switch (in->weight_type) {
  case WL_WEIGHT_AUTO:
    b->f.weight.type = FWP_EMPTY;
    return WL_OK;
  case WL_WEIGHT_INDEX:
    if (in->weight > 15)
      return wl_err(WL_E_INVAL, "filter weight index %llu > 15", (unsigned long long)in->weight);
    b->f.weight.type = FWP_UINT8;
    b->f.weight.uint8 = (UINT8)in->weight;
    return WL_OK;
  case WL_WEIGHT_EXACT:
    b->weight64 = in->weight;
    b->f.weight.type = FWP_UINT64;
    b->f.weight.uint64 = &b->weight64;
    return WL_OK;
  default:
    return wl_err(WL_E_INVAL, "filter weight type %u", in->weight_type);
  }
}

int wl_fwp_filter_build(const wl_filter *in, wl_fwp_fbuild *b) {
  memset(b, 0, sizeof *b);
  const GUID *layer = wl_fwp_layer_key(in->layer_id);
  if (!layer)
    return wl_err(WL_E_INVAL, "filter layer id %u is not one of wfplearn's ALE auth layers",
                  in->layer_id);
  if (in->num_conds > WL_FILTER_MAX_CONDS)
    return wl_err(WL_E_INVAL, "filter has %u conditions (max %d)", in->num_conds,
                  WL_FILTER_MAX_CONDS);
  wl_fwp_guid_to_win(&in->key, &b->f.filterKey);
  wl_fwp_to_wide(in->name, b->name, 128);
  wl_fwp_to_wide(in->description, b->description, 256);
  b->f.displayData.name = b->name;
  b->f.displayData.description = in->description[0] ? b->description : NULL;
  b->f.flags = in->flags;
  if (!wl_fwp_guid_is_zero(&in->provider)) {
    wl_fwp_guid_to_win(&in->provider, &b->provider);
    b->f.providerKey = &b->provider;
  }
  b->f.layerKey = *layer;
  wl_fwp_guid_to_win(&in->sublayer, &b->f.subLayerKey);
  b->f.action.type = in->action;
  int rc = build_weight(in, b);
  for (uint32_t i = 0; rc == WL_OK && i < in->num_conds; i++)
    rc = build_cond(in, b, i);
  if (rc)
    return rc;
  b->f.numFilterConditions = in->num_conds;
  b->f.filterCondition = in->num_conds ? b->conds : NULL;
  return WL_OK;
}

void wl_fwp_filter_build_free(wl_fwp_fbuild *b) {
  if (b && b->sd) {
    LocalFree(b->sd);
    b->sd = NULL;
  }
}

/* ---- FWPM_FILTER0 -> wl_filter ---- */

/* The SID of the first ACCESS_ALLOWED ACE of a self-relative security descriptor. */
static int parse_user_sd(const FWP_BYTE_BLOB *blob, char *out, size_t cap) {
  PSECURITY_DESCRIPTOR sd = blob ? (PSECURITY_DESCRIPTOR)blob->data : NULL;
  BOOL present = FALSE, defaulted = FALSE;
  PACL dacl = NULL;
  if (!sd || blob->size < sizeof(SECURITY_DESCRIPTOR_RELATIVE) || !IsValidSecurityDescriptor(sd) ||
      !GetSecurityDescriptorDacl(sd, &present, &dacl, &defaulted) || !present || !dacl)
    return WL_E_PARSE;
  for (DWORD i = 0; i < dacl->AceCount; i++) {
    ACE_HEADER *ace = NULL;
    if (!GetAce(dacl, i, (void **)&ace) || ace->AceType != ACCESS_ALLOWED_ACE_TYPE)
      continue;
    const SID *sid = (const SID *)&((ACCESS_ALLOWED_ACE *)ace)->SidStart;
    return wl_sid_to_string((const uint8_t *)sid, wl_fwp_sid_len(sid), out, cap);
  }
  return WL_E_PARSE;
}

static int parse_prefix(UINT32 mask, uint8_t *len) {
  uint8_t n = 0;
  while (n < 32 && (mask & (0x80000000u >> n)))
    n++;
  if (n < 32 && (mask << n) != 0)
    return WL_E_PARSE; /* not a contiguous mask */
  *len = n;
  return WL_OK;
}

static int parse_ports(const FWP_CONDITION_VALUE0 *v, wl_condition *c) {
  if (v->type == FWP_UINT16) {
    c->match = WL_MATCH_EQUAL;
    c->port_lo = c->port_hi = v->uint16;
    return WL_OK;
  }
  if (v->type == FWP_RANGE_TYPE && v->rangeValue && v->rangeValue->valueLow.type == FWP_UINT16 &&
      v->rangeValue->valueHigh.type == FWP_UINT16) {
    c->match = WL_MATCH_RANGE;
    c->port_lo = v->rangeValue->valueLow.uint16;
    c->port_hi = v->rangeValue->valueHigh.uint16;
    return WL_OK;
  }
  return WL_E_PARSE;
}

static int parse_addr(const FWP_CONDITION_VALUE0 *v, wl_condition *c) {
  if (v->type == FWP_V4_ADDR_MASK && v->v4AddrMask) {
    c->ip_version = 4;
    wl_addr_from_v4_host(v->v4AddrMask->addr, c->addr);
    return parse_prefix(v->v4AddrMask->mask, &c->prefix_len);
  }
  if (v->type == FWP_UINT32) {
    c->ip_version = 4;
    wl_addr_from_v4_host(v->uint32, c->addr);
    c->prefix_len = 32;
    return WL_OK;
  }
  if (v->type == FWP_V6_ADDR_MASK && v->v6AddrMask && v->v6AddrMask->prefixLength <= 128) {
    c->ip_version = 6;
    memcpy(c->addr, v->v6AddrMask->addr, 16);
    c->prefix_len = v->v6AddrMask->prefixLength;
    return WL_OK;
  }
  if (v->type == FWP_BYTE_ARRAY16_TYPE && v->byteArray16) {
    c->ip_version = 6;
    memcpy(c->addr, v->byteArray16->byteArray16, 16);
    c->prefix_len = 128;
    return WL_OK;
  }
  return WL_E_PARSE;
}

/* One condition into out->conds[out->num_conds]; WL_E_PARSE when we do not model it. */
static int parse_cond(const FWPM_FILTER_CONDITION0 *fc, wl_filter *out) {
  const FWP_CONDITION_VALUE0 *v = &fc->conditionValue;
  wl_condition *c = &out->conds[out->num_conds];
  memset(c, 0, sizeof *c);
  const GUID *k = &fc->fieldKey;
  int rc = WL_E_PARSE;
  if (IsEqualGUID(k, &wl_FWPM_CONDITION_ALE_APP_ID) && v->type == FWP_BYTE_BLOB_TYPE &&
      v->byteBlob && v->byteBlob->size <= WL_APP_ID_MAX && !out->app_id_len) {
    c->field = WL_FIELD_APP_ID;
    out->app_id_len = v->byteBlob->size;
    if (v->byteBlob->size)
      memcpy(out->app_id, v->byteBlob->data, v->byteBlob->size);
    rc = WL_OK;
  } else if (IsEqualGUID(k, &wl_FWPM_CONDITION_IP_PROTOCOL) && v->type == FWP_UINT8) {
    c->field = WL_FIELD_PROTOCOL;
    c->proto = v->uint8;
    rc = WL_OK;
  } else if (IsEqualGUID(k, &wl_FWPM_CONDITION_IP_LOCAL_PORT) ||
             IsEqualGUID(k, &wl_FWPM_CONDITION_IP_REMOTE_PORT)) {
    c->field = IsEqualGUID(k, &wl_FWPM_CONDITION_IP_LOCAL_PORT) ? WL_FIELD_LOCAL_PORT
                                                                : WL_FIELD_REMOTE_PORT;
    rc = parse_ports(v, c);
  } else if (IsEqualGUID(k, &wl_FWPM_CONDITION_IP_LOCAL_ADDRESS) ||
             IsEqualGUID(k, &wl_FWPM_CONDITION_IP_REMOTE_ADDRESS)) {
    c->field = IsEqualGUID(k, &wl_FWPM_CONDITION_IP_LOCAL_ADDRESS) ? WL_FIELD_LOCAL_ADDR
                                                                   : WL_FIELD_REMOTE_ADDR;
    rc = parse_addr(v, c);
  } else if (IsEqualGUID(k, &wl_FWPM_CONDITION_ALE_USER_ID) &&
             v->type == FWP_SECURITY_DESCRIPTOR_TYPE && !out->user_sid[0]) {
    c->field = WL_FIELD_USER;
    rc = parse_user_sd(v->sd, out->user_sid, sizeof out->user_sid);
  } else if (IsEqualGUID(k, &wl_FWPM_CONDITION_ALE_PACKAGE_ID) && v->type == FWP_SID && v->sid &&
             !out->package_sid[0]) {
    c->field = WL_FIELD_PACKAGE;
    rc = wl_sid_to_string((const uint8_t *)v->sid, wl_fwp_sid_len(v->sid), out->package_sid,
                          sizeof out->package_sid);
  } else if (IsEqualGUID(k, &wl_FWPM_CONDITION_FLAGS) && v->type == FWP_UINT32) {
    c->field = WL_FIELD_FLAGS;
    c->match = WL_MATCH_FLAGS_ANY_SET;
    c->flags = v->uint32;
    rc = WL_OK;
  }
  if (rc == WL_OK)
    out->num_conds++;
  return rc;
}

static void parse_weight(const FWPM_FILTER0 *in, wl_filter *out) {
  out->weight_type = WL_WEIGHT_AUTO;
  if (in->weight.type == FWP_UINT8) {
    out->weight_type = WL_WEIGHT_INDEX;
    out->weight = in->weight.uint8;
  } else if (in->weight.type == FWP_UINT64 && in->weight.uint64) {
    out->weight_type = WL_WEIGHT_EXACT;
    out->weight = *in->weight.uint64;
  }
  if (in->effectiveWeight.type == FWP_UINT64 && in->effectiveWeight.uint64)
    out->effective_weight = *in->effectiveWeight.uint64;
}

int wl_fwp_filter_parse(const FWPM_FILTER0 *in, wl_filter *out, unsigned *skipped) {
  memset(out, 0, sizeof *out);
  unsigned skip = 0;
  wl_fwp_guid_from_win(&in->filterKey, &out->key);
  out->id = in->filterId;
  wl_fwp_from_wide(in->displayData.name, out->name, sizeof out->name);
  wl_fwp_from_wide(in->displayData.description, out->description, sizeof out->description);
  if (in->providerKey)
    wl_fwp_guid_from_win(in->providerKey, &out->provider);
  wl_fwp_guid_from_win(&in->subLayerKey, &out->sublayer);
  out->layer_id = wl_fwp_layer_id(&in->layerKey);
  out->action = in->action.type;
  out->flags = in->flags;
  parse_weight(in, out);
  for (UINT32 i = 0; i < in->numFilterConditions && in->filterCondition; i++) {
    if (out->num_conds >= WL_FILTER_MAX_CONDS || parse_cond(&in->filterCondition[i], out))
      skip++;
  }
  if (skipped)
    *skipped = skip;
  return WL_OK;
}

/* ---- the backend's filter calls ---- */

int wl_fwp_filter_add(void *impl, wl_filter *f) {
  wl_fwp *b = impl;
  int rc;
  wl_fwp_fbuild *fb = malloc(sizeof *fb);
  if (!fb)
    return wl_err(WL_E_NOMEM, "filter add: out of memory");
  if ((rc = wl_fwp_filter_build(f, fb)))
    goto out;
  int gen = wl_fwp_guid_is_zero(&f->key);
  if (gen && (rc = wl_fwp_new_guid(&fb->f.filterKey)))
    goto out;
  UINT64 id = 0;
  DWORD e = b->api.FwpmFilterAdd0(b->engine, &fb->f, NULL, &id);
  if (e) {
    rc = wl_fwp_err(&b->api, "FwpmFilterAdd0", e);
    goto out;
  }
  f->id = id;
  if (gen)
    wl_fwp_guid_from_win(&fb->f.filterKey, &f->key);
out:
  wl_fwp_filter_build_free(fb);
  free(fb);
  return rc;
}

int wl_fwp_filter_delete(void *impl, const wl_guid *key) {
  wl_fwp *b = impl;
  GUID k;
  wl_fwp_guid_to_win(key, &k);
  DWORD e = b->api.FwpmFilterDeleteByKey0(b->engine, &k);
  return e ? wl_fwp_err(&b->api, "FwpmFilterDeleteByKey0", e) : WL_OK;
}

static int got_filter(wl_fwp *b, const char *fn, DWORD e, FWPM_FILTER0 *pf, wl_filter *out) {
  int rc = WL_OK;
  if (e)
    rc = wl_fwp_err(&b->api, fn, e);
  else if (!pf)
    rc = wl_err(WL_E_ENGINE, "%s: succeeded but returned no filter", fn);
  else
    rc = wl_fwp_filter_parse(pf, out, NULL);
  if (pf)
    b->api.FwpmFreeMemory0((void **)&pf);
  return rc;
}

int wl_fwp_filter_get_by_id(void *impl, uint64_t id, wl_filter *out) {
  wl_fwp *b = impl;
  FWPM_FILTER0 *pf = NULL;
  DWORD e = b->api.FwpmFilterGetById0(b->engine, id, &pf);
  return got_filter(b, "FwpmFilterGetById0", e, pf, out);
}

int wl_fwp_filter_get_by_key(void *impl, const wl_guid *key, wl_filter *out) {
  wl_fwp *b = impl;
  FWPM_FILTER0 *pf = NULL;
  GUID k;
  wl_fwp_guid_to_win(key, &k);
  DWORD e = b->api.FwpmFilterGetByKey0(b->engine, &k, &pf);
  return got_filter(b, "FwpmFilterGetByKey0", e, pf, out);
}

typedef struct filter_list {
  wl_filter *v;
  size_t n, cap;
} filter_list;

static int list_push(filter_list *l, const FWPM_FILTER0 *pf) {
  if (l->n == l->cap) {
    size_t cap = l->cap ? l->cap * 2 : 16;
    if (cap > WL_FWP_ENUM_MAX)
      cap = WL_FWP_ENUM_MAX;
    if (l->n >= cap)
      return wl_err(WL_E_TOOBIG, "filter enum: more than %u filters", WL_FWP_ENUM_MAX);
    wl_filter *v = realloc(l->v, cap * sizeof *v);
    if (!v)
      return wl_err(WL_E_NOMEM, "filter enum: out of memory at %llu filters",
                    (unsigned long long)l->n);
    l->v = v;
    l->cap = cap;
  }
  return wl_fwp_filter_parse(pf, &l->v[l->n++], NULL);
}

/* One layer's filters (of `provider`, or all when NULL) appended to l. */
static int enum_layer(wl_fwp *b, const GUID *layer, const GUID *provider, filter_list *l) {
  FWPM_FILTER_ENUM_TEMPLATE0 t;
  memset(&t, 0, sizeof t);
  t.providerKey = (GUID *)provider;
  t.layerKey = *layer;
  t.enumType = FWP_FILTER_ENUM_OVERLAPPING;
  t.actionMask = 0xFFFFFFFFu;
  HANDLE h = NULL;
  DWORD e = b->api.FwpmFilterCreateEnumHandle0(b->engine, &t, &h);
  if (e)
    return wl_fwp_err(&b->api, "FwpmFilterCreateEnumHandle0", e);
  int rc = WL_OK;
  UINT32 got;
  do {
    FWPM_FILTER0 **entries = NULL;
    got = 0;
    e = b->api.FwpmFilterEnum0(b->engine, h, WL_FWP_ENUM_CHUNK, &entries, &got);
    if (e)
      rc = wl_fwp_err(&b->api, "FwpmFilterEnum0", e);
    for (UINT32 i = 0; rc == WL_OK && entries && i < got; i++)
      rc = list_push(l, entries[i]);
    if (entries)
      b->api.FwpmFreeMemory0((void **)&entries);
  } while (rc == WL_OK && got == WL_FWP_ENUM_CHUNK);
  e = b->api.FwpmFilterDestroyEnumHandle0(b->engine, h);
  if (e && rc == WL_OK)
    rc = wl_fwp_err(&b->api, "FwpmFilterDestroyEnumHandle0", e);
  return rc;
}

int wl_fwp_filter_enum(void *impl, const wl_guid *provider, wl_filter **out, size_t *n) {
  wl_fwp *b = impl;
  filter_list l = {0};
  GUID pk;
  if (provider)
    wl_fwp_guid_to_win(provider, &pk);
  int rc = WL_OK;
  for (size_t i = 0; rc == WL_OK && i < NLAYERS; i++)
    rc = enum_layer(b, g_layers[i].key, provider ? &pk : NULL, &l);
  if (rc) {
    free(l.v);
    return rc;
  }
  *out = l.v;
  *n = l.n;
  return WL_OK;
}
