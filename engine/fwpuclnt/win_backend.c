/* win_backend.c — the "wfp" backend of wl_engine: fwpuclnt.dll through the run-time table of
 * win_api.c. This file holds the session (FwpmEngineOpen0/Close0), engine options,
 * transactions, providers and sublayers, app ids (FwpmGetAppIdFromFileName0) and the drive map
 * (QueryDosDeviceW); filters are in win_filter.c, net events in win_events.c / win_evcopy.c.
 *
 * Every FWPM_* object the engine hands back is released with FwpmFreeMemory0 on every path,
 * every handle is closed, and every failure names the API and its code (win_api.c).
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "common/wl_err.h"
#include "common/wl_text.h"
#include "engine/fwpuclnt/win_backend.h"

#include <rpc.h> /* after windows.h */

/* ---- the portable mirrors of WFP values (engine.h, event.h) must be WFP's values: the backend
 *      passes them through unchanged ---- */
#define WL_SAME(a, b) _Static_assert((long long)(a) == (long long)(b), #a " != " #b)
WL_SAME(WL_OPT_COLLECT_NET_EVENTS, WL_FWPM_ENGINE_COLLECT_NET_EVENTS);
WL_SAME(WL_OPT_NET_EVENT_MATCH_ANY_KEYWORDS, WL_FWPM_ENGINE_NET_EVENT_MATCH_ANY_KEYWORDS);
WL_SAME(WL_KW_INBOUND_MCAST, FWPM_NET_EVENT_KEYWORD_INBOUND_MCAST);
WL_SAME(WL_KW_INBOUND_BCAST, FWPM_NET_EVENT_KEYWORD_INBOUND_BCAST);
WL_SAME(WL_KW_CAPABILITY_DROP, FWPM_NET_EVENT_KEYWORD_CAPABILITY_DROP);
WL_SAME(WL_KW_CAPABILITY_ALLOW, FWPM_NET_EVENT_KEYWORD_CAPABILITY_ALLOW);
WL_SAME(WL_KW_CLASSIFY_ALLOW, FWPM_NET_EVENT_KEYWORD_CLASSIFY_ALLOW);
WL_SAME(WL_KW_PORT_SCANNING_DROP, FWPM_NET_EVENT_KEYWORD_PORT_SCANNING_DROP);
WL_SAME(WL_ACTION_BLOCK, FWP_ACTION_BLOCK);
WL_SAME(WL_ACTION_PERMIT, FWP_ACTION_PERMIT);
WL_SAME(WL_FILTER_PERSISTENT, FWPM_FILTER_FLAG_PERSISTENT);
WL_SAME(WL_FILTER_BOOTTIME, FWPM_FILTER_FLAG_BOOTTIME);
WL_SAME(WL_FILTER_CLEAR_ACTION_RIGHT, FWPM_FILTER_FLAG_CLEAR_ACTION_RIGHT);
WL_SAME(WL_FILTER_DISABLED, FWPM_FILTER_FLAG_DISABLED);
WL_SAME(WL_SESSION_DYNAMIC, FWPM_SESSION_FLAG_DYNAMIC);
WL_SAME(WL_COND_FLAG_IS_LOOPBACK, FWP_CONDITION_FLAG_IS_LOOPBACK);
WL_SAME(WL_MATCH_EQUAL, FWP_MATCH_EQUAL);
WL_SAME(WL_MATCH_RANGE, FWP_MATCH_RANGE);
WL_SAME(WL_MATCH_FLAGS_ANY_SET, FWP_MATCH_FLAGS_ANY_SET);
WL_SAME(WL_RAW_IP_PROTOCOL_SET, FWPM_NET_EVENT_FLAG_IP_PROTOCOL_SET);
WL_SAME(WL_RAW_LOCAL_ADDR_SET, FWPM_NET_EVENT_FLAG_LOCAL_ADDR_SET);
WL_SAME(WL_RAW_REMOTE_ADDR_SET, FWPM_NET_EVENT_FLAG_REMOTE_ADDR_SET);
WL_SAME(WL_RAW_LOCAL_PORT_SET, FWPM_NET_EVENT_FLAG_LOCAL_PORT_SET);
WL_SAME(WL_RAW_REMOTE_PORT_SET, FWPM_NET_EVENT_FLAG_REMOTE_PORT_SET);
WL_SAME(WL_RAW_APP_ID_SET, FWPM_NET_EVENT_FLAG_APP_ID_SET);
WL_SAME(WL_RAW_USER_ID_SET, FWPM_NET_EVENT_FLAG_USER_ID_SET);
WL_SAME(WL_RAW_SCOPE_ID_SET, FWPM_NET_EVENT_FLAG_SCOPE_ID_SET);
WL_SAME(WL_RAW_IP_VERSION_SET, FWPM_NET_EVENT_FLAG_IP_VERSION_SET);
WL_SAME(WL_RAW_REAUTH_REASON_SET, FWPM_NET_EVENT_FLAG_REAUTH_REASON_SET);
WL_SAME(WL_RAW_PACKAGE_ID_SET, FWPM_NET_EVENT_FLAG_PACKAGE_ID_SET);
WL_SAME(WL_RAW_ENTERPRISE_ID_SET, FWPM_NET_EVENT_FLAG_ENTERPRISE_ID_SET);
WL_SAME(WL_RAW_POLICY_FLAGS_SET, FWPM_NET_EVENT_FLAG_POLICY_FLAGS_SET);
WL_SAME(WL_RAW_EFFECTIVE_NAME_SET, FWPM_NET_EVENT_FLAG_EFFECTIVE_NAME_SET);
WL_SAME(WL_RAW_TYPE_CLASSIFY_DROP, WL_FWPM_NET_EVENT_TYPE_CLASSIFY_DROP);
WL_SAME(WL_RAW_TYPE_CLASSIFY_ALLOW, WL_FWPM_NET_EVENT_TYPE_CLASSIFY_ALLOW);
WL_SAME(WL_RAW_TYPE_CAPABILITY_DROP, WL_FWPM_NET_EVENT_TYPE_CAPABILITY_DROP);
WL_SAME(WL_RAW_TYPE_CAPABILITY_ALLOW, WL_FWPM_NET_EVENT_TYPE_CAPABILITY_ALLOW);
WL_SAME(WL_RAW_IP_V4, FWP_IP_VERSION_V4);
WL_SAME(WL_RAW_IP_V6, FWP_IP_VERSION_V6);
WL_SAME(WL_RAW_IP_NONE, FWP_IP_VERSION_NONE);
WL_SAME(WL_RAW_DIR_IN, FWP_DIRECTION_IN);
WL_SAME(WL_RAW_DIR_OUT, FWP_DIRECTION_OUT);
WL_SAME(WL_SID_MAX, SECURITY_MAX_SID_SIZE);
WL_SAME(sizeof(wl_guid), sizeof(GUID));

/* ---- small helpers (shared with win_filter.c / win_events.c) ---- */

void wl_fwp_guid_to_win(const wl_guid *in, GUID *out) {
  out->Data1 = in->d1;
  out->Data2 = in->d2;
  out->Data3 = in->d3;
  memcpy(out->Data4, in->d4, 8);
}

void wl_fwp_guid_from_win(const GUID *in, wl_guid *out) {
  out->d1 = (uint32_t)in->Data1;
  out->d2 = in->Data2;
  out->d3 = in->Data3;
  memcpy(out->d4, in->Data4, 8);
}

int wl_fwp_guid_is_zero(const wl_guid *g) {
  static const wl_guid zero;
  return wl_guid_eq(g, &zero);
}

void wl_fwp_to_wide(const char *s, wchar_t *out, size_t cap) {
  if (!cap)
    return;
  size_t room = (cap - 1) * sizeof(wchar_t);
  size_t need = s ? wl_utf8_to_utf16le(s, strlen(s), (uint8_t *)out, room) : 0;
  out[(need < room ? need : room) / sizeof(wchar_t)] = 0; /* truncated when need > room */
}

void wl_fwp_from_wide(const wchar_t *s, char *out, size_t cap) {
  if (!cap)
    return;
  out[0] = 0;
  if (s)
    wl_utf16le_to_utf8((const uint8_t *)s, wcslen(s) * sizeof(wchar_t), out, cap);
}

int wl_fwp_new_guid(GUID *out) {
  RPC_STATUS st = UuidCreate(out);
  if (st != RPC_S_OK && st != RPC_S_UUID_LOCAL_ONLY)
    return wl_err(WL_E_INTERNAL, "UuidCreate: %ld", (long)st);
  return WL_OK;
}

/* ---- session ---- */

static void fwp_close(void *impl) {
  wl_fwp *b = impl;
  if (!b)
    return;
  if (b->engine) {
    /* abort first: FwpmNetEventUnsubscribe0 fails inside a transaction (its reference page) */
    if (atomic_exchange(&b->in_txn, 0))
      b->api.FwpmTransactionAbort0(b->engine);
    wl_fwp_unsubscribe_all(b);
    b->api.FwpmEngineClose0(b->engine);
    b->engine = NULL;
  }
  wl_mutex_destroy(&b->lock);
  wl_fwp_api_unload(&b->api);
  free(b);
}

static int fwp_event_version(const void *impl) {
  const wl_fwp *b = impl;
  /* FwpmNetEventSubscribeN delivers FWPM_NET_EVENT(N+1). */
  int v = atomic_load(&b->sub_version);
  return v < 0 ? 0 : v + 1;
}

/* ---- options: FWP_VALUE0 holding a UINT32 ---- */

static int fwp_get_option(void *impl, int option, uint32_t *value) {
  wl_fwp *b = impl;
  FWP_VALUE0 *v = NULL;
  DWORD e = b->api.FwpmEngineGetOption0(b->engine, (FWPM_ENGINE_OPTION)option, &v);
  int rc = WL_OK;
  if (e)
    rc = wl_fwp_err(&b->api, "FwpmEngineGetOption0", e);
  else if (!v || v->type != FWP_UINT32)
    rc = wl_err(WL_E_ENGINE, "FwpmEngineGetOption0(%d): value type %d, not FWP_UINT32", option,
                v ? (int)v->type : -1);
  else
    *value = v->uint32;
  if (v)
    b->api.FwpmFreeMemory0((void **)&v);
  return rc;
}

static int fwp_set_option(void *impl, int option, uint32_t value) {
  wl_fwp *b = impl;
  FWP_VALUE0 v;
  memset(&v, 0, sizeof v);
  v.type = FWP_UINT32;
  v.uint32 = value;
  DWORD e = b->api.FwpmEngineSetOption0(b->engine, (FWPM_ENGINE_OPTION)option, &v);
  return e ? wl_fwp_err(&b->api, "FwpmEngineSetOption0", e) : WL_OK;
}

/* ---- transactions ---- */

static int fwp_begin(void *impl) {
  wl_fwp *b = impl;
  DWORD e = b->api.FwpmTransactionBegin0(b->engine, 0);
  if (e)
    return wl_fwp_err(&b->api, "FwpmTransactionBegin0", e);
  atomic_store(&b->in_txn, 1);
  return WL_OK;
}

static int fwp_commit(void *impl) {
  wl_fwp *b = impl;
  DWORD e = b->api.FwpmTransactionCommit0(b->engine);
  atomic_store(&b->in_txn, 0); /* a failed commit aborts the transaction (FwpmTransactionCommit0) */
  return e ? wl_fwp_err(&b->api, "FwpmTransactionCommit0", e) : WL_OK;
}

static int fwp_abort(void *impl) {
  wl_fwp *b = impl;
  DWORD e = b->api.FwpmTransactionAbort0(b->engine);
  atomic_store(&b->in_txn, 0);
  return e ? wl_fwp_err(&b->api, "FwpmTransactionAbort0", e) : WL_OK;
}

/* ---- providers ---- */

static int fwp_provider_add(void *impl, const wl_provider *p) {
  wl_fwp *b = impl;
  FWPM_PROVIDER0 fp;
  wchar_t name[128], desc[256];
  memset(&fp, 0, sizeof fp);
  wl_fwp_guid_to_win(&p->key, &fp.providerKey);
  wl_fwp_to_wide(p->name, name, 128);
  wl_fwp_to_wide(p->description, desc, 256);
  fp.displayData.name = name;
  fp.displayData.description = p->description[0] ? desc : NULL;
  fp.flags = (p->flags & WL_OBJ_PERSISTENT) ? FWPM_PROVIDER_FLAG_PERSISTENT : 0;
  DWORD e = b->api.FwpmProviderAdd0(b->engine, &fp, NULL);
  return e ? wl_fwp_err(&b->api, "FwpmProviderAdd0", e) : WL_OK;
}

static int fwp_provider_get(void *impl, const wl_guid *key, wl_provider *out) {
  wl_fwp *b = impl;
  FWPM_PROVIDER0 *fp = NULL;
  GUID k;
  wl_fwp_guid_to_win(key, &k);
  DWORD e = b->api.FwpmProviderGetByKey0(b->engine, &k, &fp);
  int rc = WL_OK;
  if (e)
    rc = wl_fwp_err(&b->api, "FwpmProviderGetByKey0", e);
  else if (!fp)
    rc = wl_err(WL_E_ENGINE, "FwpmProviderGetByKey0: succeeded but returned nothing");
  else {
    memset(out, 0, sizeof *out);
    wl_fwp_guid_from_win(&fp->providerKey, &out->key);
    wl_fwp_from_wide(fp->displayData.name, out->name, sizeof out->name);
    wl_fwp_from_wide(fp->displayData.description, out->description, sizeof out->description);
    out->flags = (fp->flags & FWPM_PROVIDER_FLAG_PERSISTENT) ? WL_OBJ_PERSISTENT : 0;
  }
  if (fp)
    b->api.FwpmFreeMemory0((void **)&fp);
  return rc;
}

static int fwp_provider_delete(void *impl, const wl_guid *key) {
  wl_fwp *b = impl;
  GUID k;
  wl_fwp_guid_to_win(key, &k);
  DWORD e = b->api.FwpmProviderDeleteByKey0(b->engine, &k);
  return e ? wl_fwp_err(&b->api, "FwpmProviderDeleteByKey0", e) : WL_OK;
}

/* ---- sublayers ---- */

static int fwp_sublayer_add(void *impl, const wl_sublayer *s) {
  wl_fwp *b = impl;
  FWPM_SUBLAYER0 fs; /* zeroed whole: Windows reads flags as UINT32, mingw declares UINT16 */
  wchar_t name[128], desc[256];
  GUID prov;
  memset(&fs, 0, sizeof fs);
  wl_fwp_guid_to_win(&s->key, &fs.subLayerKey);
  wl_fwp_to_wide(s->name, name, 128);
  wl_fwp_to_wide(s->description, desc, 256);
  fs.displayData.name = name;
  fs.displayData.description = s->description[0] ? desc : NULL;
  fs.flags = (s->flags & WL_OBJ_PERSISTENT) ? FWPM_SUBLAYER_FLAG_PERSISTENT : 0;
  if (!wl_fwp_guid_is_zero(&s->provider)) {
    wl_fwp_guid_to_win(&s->provider, &prov);
    fs.providerKey = &prov;
  }
  fs.weight = s->weight;
  DWORD e = b->api.FwpmSubLayerAdd0(b->engine, &fs, NULL);
  return e ? wl_fwp_err(&b->api, "FwpmSubLayerAdd0", e) : WL_OK;
}

static int fwp_sublayer_get(void *impl, const wl_guid *key, wl_sublayer *out) {
  wl_fwp *b = impl;
  FWPM_SUBLAYER0 *fs = NULL;
  GUID k;
  wl_fwp_guid_to_win(key, &k);
  DWORD e = b->api.FwpmSubLayerGetByKey0(b->engine, &k, &fs);
  int rc = WL_OK;
  if (e)
    rc = wl_fwp_err(&b->api, "FwpmSubLayerGetByKey0", e);
  else if (!fs)
    rc = wl_err(WL_E_ENGINE, "FwpmSubLayerGetByKey0: succeeded but returned nothing");
  else {
    memset(out, 0, sizeof *out);
    wl_fwp_guid_from_win(&fs->subLayerKey, &out->key);
    wl_fwp_from_wide(fs->displayData.name, out->name, sizeof out->name);
    wl_fwp_from_wide(fs->displayData.description, out->description, sizeof out->description);
    if (fs->providerKey)
      wl_fwp_guid_from_win(fs->providerKey, &out->provider);
    out->flags = (fs->flags & FWPM_SUBLAYER_FLAG_PERSISTENT) ? WL_OBJ_PERSISTENT : 0;
    out->weight = fs->weight;
  }
  if (fs)
    b->api.FwpmFreeMemory0((void **)&fs);
  return rc;
}

static int fwp_sublayer_delete(void *impl, const wl_guid *key) {
  wl_fwp *b = impl;
  GUID k;
  wl_fwp_guid_to_win(key, &k);
  DWORD e = b->api.FwpmSubLayerDeleteByKey0(b->engine, &k);
  return e ? wl_fwp_err(&b->api, "FwpmSubLayerDeleteByKey0", e) : WL_OK;
}

/* ---- app ids and the drive map ---- */

static int fwp_app_id(void *impl, const char *dos_path, uint8_t *out, size_t cap, size_t *len) {
  wl_fwp *b = impl;
  wchar_t path[1024];
  FWP_BYTE_BLOB *blob = NULL;
  if (strlen(dos_path) >= 1024)
    return wl_err(WL_E_TOOBIG, "app id: path longer than 1023 bytes: %.60s...", dos_path);
  wl_fwp_to_wide(dos_path, path, 1024);
  DWORD e = b->api.FwpmGetAppIdFromFileName0(path, &blob);
  int rc = WL_OK;
  if (e)
    rc = wl_fwp_err(&b->api, "FwpmGetAppIdFromFileName0", e);
  else if (!blob)
    rc = wl_err(WL_E_ENGINE, "FwpmGetAppIdFromFileName0: succeeded but returned no blob");
  else if (blob->size > cap)
    rc = wl_err(WL_E_TOOBIG, "app id of %s: %lu bytes, room for %llu", dos_path,
                (unsigned long)blob->size, (unsigned long long)cap);
  else {
    if (blob->size)
      memcpy(out, blob->data, blob->size);
    *len = blob->size;
  }
  if (blob)
    b->api.FwpmFreeMemory0((void **)&blob);
  return rc;
}

/* QueryDosDeviceW for A:..Z:, lower-cased ("\device\harddiskvolume3"). The first target of
 * the multi-string is the current one. A target that does not fit WL_DEVICE_MAX bytes of UTF-8
 * (QueryDosDeviceW fails with ERROR_INSUFFICIENT_BUFFER) leaves the letter out rather than keep
 * a cut prefix that would match the wrong paths. Runs in the caller's logon session: an
 * elevated process does not see a user's mapped drives and SUBSTs (event/paths.h). */
static int fwp_drive_map(void *impl, wl_drive *out, size_t cap, size_t *n) {
  wl_fwp *b = impl;
  size_t k = 0;
  for (wchar_t l = L'A'; l <= L'Z' && k < cap; l++) {
    wchar_t dev[3] = {l, L':', 0}, target[WL_DEVICE_MAX];
    if (!b->api.QueryDosDeviceW(dev, target, WL_DEVICE_MAX))
      continue;
    char u8[sizeof out[k].device + 4];
    wl_fwp_from_wide(target, u8, sizeof u8);
    if (strlen(u8) >= sizeof out[k].device)
      continue; /* longer in UTF-8 than we keep */
    for (char *p = u8; *p; p++)
      if (*p >= 'A' && *p <= 'Z')
        *p = (char)(*p - 'A' + 'a');
    out[k].letter = (char)l;
    wl_strlcpy(out[k].device, u8, sizeof out[k].device);
    k++;
  }
  *n = k;
  return WL_OK;
}

/* The system folder (GetSystemDirectoryW) and the session: SM_REMOTESESSION says remote desktop;
 * the listener's port is the RDP-Tcp WinStation's PortNumber (MS "Change the listening port
 * for Remote Desktop"), 0 when it cannot be read (the caller then refuses rather than guess). */
static int fwp_machine(void *impl, wl_machine *out) {
  wl_fwp *b = impl;
  wchar_t dir[WL_PATH_MAX / 2];
  UINT n = GetSystemDirectoryW(dir, WL_PATH_MAX / 2);
  if (n == 0 || n >= WL_PATH_MAX / 2)
    return wl_err(WL_E_ENGINE, "GetSystemDirectoryW failed (%lu)", (unsigned long)GetLastError());
  wl_fwp_from_wide(dir, out->system_dir, sizeof out->system_dir);
  out->remote = b->api.GetSystemMetrics(SM_REMOTESESSION) != 0;
  DWORD port = 0, size = sizeof port;
  if (out->remote &&
      b->api.RegGetValueW(HKEY_LOCAL_MACHINE,
                          L"SYSTEM\\CurrentControlSet\\Control\\Terminal Server\\WinStations\\RDP-Tcp",
                          L"PortNumber", RRF_RT_REG_DWORD, NULL, &port, &size) == ERROR_SUCCESS &&
      port > 0 && port < 65536)
    out->remote_port = (uint16_t)port;
  return WL_OK;
}

static const wl_engine_ops g_fwp_ops = {
    .kind = "wfp",
    .close = fwp_close,
    .event_version = fwp_event_version,
    .get_option = fwp_get_option,
    .set_option = fwp_set_option,
    .subscribe = wl_fwp_subscribe,
    .unsubscribe = wl_fwp_unsubscribe,
    .enum_events = wl_fwp_enum_events,
    .txn_begin = fwp_begin,
    .txn_commit = fwp_commit,
    .txn_abort = fwp_abort,
    .provider_add = fwp_provider_add,
    .provider_get = fwp_provider_get,
    .provider_delete = fwp_provider_delete,
    .sublayer_add = fwp_sublayer_add,
    .sublayer_get = fwp_sublayer_get,
    .sublayer_delete = fwp_sublayer_delete,
    .filter_add = wl_fwp_filter_add,
    .filter_delete = wl_fwp_filter_delete,
    .filter_get_by_id = wl_fwp_filter_get_by_id,
    .filter_get_by_key = wl_fwp_filter_get_by_key,
    .filter_enum = wl_fwp_filter_enum,
    .app_id = fwp_app_id,
    .drive_map = fwp_drive_map,
    .machine = fwp_machine,
    .connections = wl_fwp_connections,
    .signer = wl_fwp_signer,
    .evtlog_open = wl_fwp_evtlog_open,
    .evtlog_next = wl_fwp_evtlog_next,
    .evtlog_close = wl_fwp_evtlog_close,
    .audit_get = wl_fwp_audit_get,
    .audit_set = wl_fwp_audit_set,
};

int wl_fwp_backend_open(const char *arg, unsigned session_flags, const wl_engine_ops **ops,
                        void **impl) {
  assert(!arg); /* engine.c refuses "wfp:ARG" */
  wl_fwp *b = calloc(1, sizeof *b);
  if (!b)
    return wl_err(WL_E_NOMEM, "fwpuclnt backend: out of memory");
  wl_mutex_init(&b->lock);
  int rc = wl_fwp_api_load(&b->api);
  if (rc)
    goto fail;
  FWPM_SESSION0 s;
  memset(&s, 0, sizeof s);
  if ((rc = wl_fwp_new_guid(&s.sessionKey)))
    goto fail;
  b->session_key = s.sessionKey;
  s.displayData.name = L"wfplearn";
  s.displayData.description = L"wfplearn learning-mode monitor";
  s.flags = (session_flags & WL_SESSION_DYNAMIC) ? FWPM_SESSION_FLAG_DYNAMIC : 0;
  DWORD e = b->api.FwpmEngineOpen0(NULL, RPC_C_AUTHN_WINNT, NULL, &s, &b->engine);
  if (e) {
    b->engine = NULL;
    rc = wl_fwp_err(&b->api, "FwpmEngineOpen0", e);
    goto fail;
  }
  b->sub_version = wl_fwp_api_subscribe_version(&b->api);
  b->enum_version = wl_fwp_api_enum_version(&b->api);
  *ops = &g_fwp_ops;
  *impl = b;
  return WL_OK;
fail:
  fwp_close(b);
  return rc;
}
