/* sim_check.c — what the sim accepts as a filter, and the weight it gives it.
 *
 * Validation mirrors the FwpmFilterAdd0 failures that matter to wfplearn; each message names
 * the FWP_E_* code WFP would have returned (fwpmu.h / winerror.h names), so a test under the
 * sim and a run on Windows fail for the same reason.
 *
 * Effective weight, after "Filter Weight Assignment" (Microsoft Learn, WFP):
 *   FWP_UINT64  the weight is used as it is;
 *   FWP_UINT8   a weight range index 0..15: the index becomes the 4 high-order bits of the
 *               64-bit weight, so range i is [i * 2^60, (i + 1) * 2^60), and BFE fills the
 *               low 60 bits from the filter's conditions (more specific conditions weigh more);
 *   FWP_EMPTY   BFE assigns the weight from the conditions within range 0, [0, 2^60).
 * BFE's exact specificity order is not documented; the sim's stand-in for the low 60 bits:
 *   bits 52..59  number of distinct condition fields
 *   bits 44..51  remote address prefix length (the shortest of ORed conditions)
 *   bits 36..43  local address prefix length
 *   bits 20..35  remote port narrowness (65535 - width of the widest ORed range)
 *   bits  4..19  local port narrowness
 */
#include <string.h>

#include "common/wl_err.h"
#include "engine/sim/sim_internal.h"

#define FIELD_BIT(f) (1u << (f))

static unsigned port_narrow(const wl_filter *f, uint8_t field) {
  unsigned widest = 0;
  int seen = 0;
  for (uint32_t i = 0; i < f->num_conds; i++) {
    const wl_condition *c = &f->conds[i];
    if (c->field != field)
      continue;
    unsigned w = c->match == WL_MATCH_RANGE && c->port_hi > c->port_lo
                     ? (unsigned)(c->port_hi - c->port_lo) : 0;
    widest = !seen || w > widest ? w : widest;
    seen = 1;
  }
  return seen ? 65535u - widest : 0;
}

static unsigned prefix_min(const wl_filter *f, uint8_t field) {
  unsigned m = 0;
  int seen = 0;
  for (uint32_t i = 0; i < f->num_conds; i++) {
    const wl_condition *c = &f->conds[i];
    if (c->field == field) {
      m = !seen || c->prefix_len < m ? c->prefix_len : m;
      seen = 1;
    }
  }
  return m;
}

uint64_t wl_sim_effective_weight(const wl_filter *f) {
  if (f->weight_type == WL_WEIGHT_EXACT)
    return f->weight;
  unsigned fields = 0, mask = 0;
  for (uint32_t i = 0; i < f->num_conds && i < WL_FILTER_MAX_CONDS; i++)
    if (!(mask & FIELD_BIT(f->conds[i].field))) {
      mask |= FIELD_BIT(f->conds[i].field);
      fields++;
    }
  uint64_t low = (uint64_t)fields << 52 |
                 (uint64_t)prefix_min(f, WL_FIELD_REMOTE_ADDR) << 44 |
                 (uint64_t)prefix_min(f, WL_FIELD_LOCAL_ADDR) << 36 |
                 (uint64_t)port_narrow(f, WL_FIELD_REMOTE_PORT) << 20 |
                 (uint64_t)port_narrow(f, WL_FIELD_LOCAL_PORT) << 4;
  uint64_t index = f->weight_type == WL_WEIGHT_INDEX ? f->weight : 0;
  return index << 60 | (low & ((1ULL << 60) - 1));
}

static int layer_version(uint16_t layer) {
  switch (layer) {
  case WL_LAYER_ALE_AUTH_RECV_ACCEPT_V4:
  case WL_LAYER_ALE_AUTH_CONNECT_V4:
    return 4;
  case WL_LAYER_ALE_AUTH_RECV_ACCEPT_V6:
  case WL_LAYER_ALE_AUTH_CONNECT_V6:
    return 6;
  }
  return 0;
}

static int check_cond(const wl_filter *f, uint32_t i, int ipv) {
  const wl_condition *c = &f->conds[i];
  const char *bad = NULL;
  switch (c->field) {
  case WL_FIELD_APP_ID:
  case WL_FIELD_PROTOCOL:
  case WL_FIELD_USER:
  case WL_FIELD_PACKAGE:
    bad = c->match != WL_MATCH_EQUAL ? "only EQUAL is supported" : NULL;
    break;
  case WL_FIELD_LOCAL_PORT:
  case WL_FIELD_REMOTE_PORT:
    if (c->match != WL_MATCH_EQUAL && c->match != WL_MATCH_RANGE)
      bad = "ports take EQUAL or RANGE";
    else if (c->match == WL_MATCH_RANGE && c->port_lo > c->port_hi)
      bad = "range low end above high end (FWP_E_INVALID_RANGE)";
    break;
  case WL_FIELD_REMOTE_ADDR:
  case WL_FIELD_LOCAL_ADDR:
    if (c->match != WL_MATCH_EQUAL)
      bad = "addresses take EQUAL with a prefix length";
    else if (c->ip_version != ipv)
      bad = "address family does not fit the layer (FWP_E_INCOMPATIBLE_LAYER)";
    else if (c->prefix_len > (ipv == 4 ? 32 : 128))
      bad = "prefix length too long (FWP_E_INVALID_NET_MASK)";
    break;
  case WL_FIELD_FLAGS:
    bad = c->match != WL_MATCH_FLAGS_ANY_SET ? "flags take FLAGS_ANY_SET" : NULL;
    break;
  default:
    bad = "unknown field (FWP_E_CONDITION_NOT_FOUND)";
  }
  if (bad)
    return wl_err(WL_E_INVAL, "filter '%s': condition %u (field %u): %s", f->name, (unsigned)i,
                  (unsigned)c->field, bad);
  return WL_OK;
}

static int check_values(const wl_filter *f) {
  unsigned n_app = 0, n_user = 0, n_pkg = 0;
  uint8_t sid[WL_SID_MAX];
  for (uint32_t i = 0; i < f->num_conds; i++) {
    n_app += f->conds[i].field == WL_FIELD_APP_ID;
    n_user += f->conds[i].field == WL_FIELD_USER;
    n_pkg += f->conds[i].field == WL_FIELD_PACKAGE;
  }
  if (n_app > 1 || n_user > 1 || n_pkg > 1)
    return wl_err(WL_E_INVAL, "filter '%s': at most one app, user and package condition",
                  f->name);
  if (n_app && (f->app_id_len < 2 || f->app_id_len > WL_APP_ID_MAX))
    return wl_err(WL_E_INVAL, "filter '%s': app id condition with a %u-byte app id", f->name,
                  (unsigned)f->app_id_len);
  if (n_user && wl_sid_from_string(f->user_sid, sid) <= 0)
    return wl_err(WL_E_INVAL, "filter '%s': user condition: '%s' is not a SID", f->name,
                  f->user_sid);
  if (n_pkg && wl_sid_from_string(f->package_sid, sid) <= 0)
    return wl_err(WL_E_INVAL, "filter '%s': package condition: '%s' is not a SID", f->name,
                  f->package_sid);
  return WL_OK;
}

static int check_basics(const wl_filter *f, int *ipv) {
  const uint32_t known = WL_FILTER_PERSISTENT | WL_FILTER_BOOTTIME |
                         WL_FILTER_CLEAR_ACTION_RIGHT | WL_FILTER_DISABLED;
  *ipv = layer_version(f->layer_id);
  if (!*ipv)
    return wl_err(WL_E_INVAL, "filter '%s': layer %u is not simulated (FWP_E_LAYER_NOT_FOUND)",
                  f->name, (unsigned)f->layer_id);
  if (f->action != WL_ACTION_BLOCK && f->action != WL_ACTION_PERMIT)
    return wl_err(WL_E_INVAL, "filter '%s': action 0x%x (FWP_E_INVALID_ACTION_TYPE)", f->name,
                  (unsigned)f->action);
  if (f->flags & ~known)
    return wl_err(WL_E_INVAL, "filter '%s': unknown flags 0x%x (FWP_E_INVALID_FLAGS)", f->name,
                  (unsigned)(f->flags & ~known));
  if (f->flags & WL_FILTER_BOOTTIME)
    return wl_err(WL_E_UNSUPPORTED, "filter '%s': boot-time filters are not simulated", f->name);
  if (f->weight_type > WL_WEIGHT_EXACT ||
      (f->weight_type == WL_WEIGHT_INDEX && f->weight > 15))
    return wl_err(WL_E_INVAL, "filter '%s': weight index %llu above 15 (FWP_E_INVALID_WEIGHT)",
                  f->name, (unsigned long long)f->weight);
  if (f->num_conds > WL_FILTER_MAX_CONDS)
    return wl_err(WL_E_INVAL, "filter '%s': %u conditions, at most %u", f->name,
                  (unsigned)f->num_conds, WL_FILTER_MAX_CONDS);
  return WL_OK;
}

static int check_refs(const wl_sim_state *s, const wl_filter *f, int dynamic_session) {
  static const wl_guid zero;
  int persistent = (f->flags & WL_FILTER_PERSISTENT) != 0;
  if (persistent && dynamic_session)
    return wl_err(WL_E_CONFLICT, "filter '%s': persistent object in a dynamic session "
                  "(FWP_E_DYNAMIC_SESSION_IN_PROGRESS)", f->name);
  long si = wl_sim_find_subl(s, &f->sublayer);
  if (si < 0 || !wl_sim_owner_alive(&s->subl[si].own))
    return wl_err(WL_E_NOTFOUND, "filter '%s': sublayer not found (FWP_E_SUBLAYER_NOT_FOUND)",
                  f->name);
  if (persistent && !(s->subl[si].s.flags & WL_OBJ_PERSISTENT))
    return wl_err(WL_E_CONFLICT, "filter '%s': persistent filter in a non-persistent sublayer "
                  "(FWP_E_LIFETIME_MISMATCH)", f->name);
  if (wl_guid_eq(&f->provider, &zero))
    return WL_OK;
  long pi = wl_sim_find_prov(s, &f->provider);
  if (pi < 0 || !wl_sim_owner_alive(&s->prov[pi].own))
    return wl_err(WL_E_NOTFOUND, "filter '%s': provider not found (FWP_E_PROVIDER_NOT_FOUND)",
                  f->name);
  if (persistent && !(s->prov[pi].p.flags & WL_OBJ_PERSISTENT))
    return wl_err(WL_E_CONFLICT, "filter '%s': persistent filter of a non-persistent provider "
                  "(FWP_E_LIFETIME_MISMATCH)", f->name);
  return WL_OK;
}

int wl_sim_filter_check(const wl_sim_state *s, const wl_filter *f, int dynamic_session) {
  int ipv = 0, rc = check_basics(f, &ipv);
  for (uint32_t i = 0; rc == WL_OK && i < f->num_conds; i++)
    rc = check_cond(f, i, ipv);
  if (rc == WL_OK)
    rc = check_values(f);
  if (rc == WL_OK)
    rc = check_refs(s, f, dynamic_session);
  return rc;
}
