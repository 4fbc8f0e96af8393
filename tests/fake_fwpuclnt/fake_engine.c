/* fake_engine.c — the fake fwpuclnt.dll's session, options, transactions, providers,
 * sublayers and FwpmGetAppIdFromFileName0, plus the test-only exports that drive the sim
 * (classify one attempt, run a traffic file, drive map). Each export checks its handle,
 * converts the Windows structs to the sim's, calls the sim's ops table and converts back.
 *
 * The sim state file is the sim's default ($WL_SIM_STATE, else wfplearn-sim.state in the
 * current directory), so a test can open the same state natively (wl_engine_open("sim:PATH"))
 * and look at what the sim really stored.
 */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "common/wl_err.h"
#include "common/wl_text.h"
#include "tests/fake_fwpuclnt/win_fakedll.h"

static fake_engine *engine_of(HANDLE h) { return fake_handle_get(h, FAKE_ENGINE); }

/* The BFE service, as the test drives it (wl_fake_bfe, win_fake.h). What fwpuclnt returns when
 * BFE is not running is not documented: EPT_S_NOT_REGISTERED from FwpmEngineOpen0 ("no more
 * endpoints available from the endpoint mapper") is what tools report then, and
 * RPC_S_SERVER_UNAVAILABLE / ERROR_INVALID_HANDLE on a handle that outlived the service are
 * assumptions (issue 12, item 12). */
static atomic_int g_bfe_stopped;
static atomic_uint g_bfe_run;

static DWORD bfe_state(const fake_engine *e) {
  if (atomic_load(&g_bfe_stopped))
    return RPC_S_SERVER_UNAVAILABLE;
  return e->bfe_run == atomic_load(&g_bfe_run) ? ERROR_SUCCESS : ERROR_INVALID_HANDLE;
}

/* A started BFE numbers its filters afresh (issue 12, item 6): the sim's restart renumbers the
 * run-time ids in the state and ends the sim's subscriptions (sim.h, wl_sim_bfe_restart). */
static int renumber_filters(void) {
  const wl_engine_ops *ops;
  void *impl;
  int rc = wl_sim_backend_open(NULL, 0, &ops, &impl);
  if (rc != WL_OK)
    return rc;
  rc = wl_sim_eng_bfe_restart(impl);
  ops->close(impl);
  return rc;
}

WL_FAKE_EXPORT int WL_FAKE_API wl_fake_bfe(int running) {
  if (running && atomic_exchange(&g_bfe_stopped, 0)) {
    atomic_fetch_add(&g_bfe_run, 1);
    return renumber_filters();
  }
  if (!running)
    atomic_store(&g_bfe_stopped, 1);
  return WL_OK;
}

#define ENGINE_OR_FAIL(e, h)              \
  fake_engine *e = engine_of(h);          \
  if (!e)                                 \
    return ERROR_INVALID_HANDLE;          \
  DWORD e##_bfe = bfe_state(e);           \
  if (e##_bfe != ERROR_SUCCESS)           \
    return e##_bfe;

/* ---- session ---- */

WL_FAKE_EXPORT DWORD WINAPI FwpmEngineOpen0(const wchar_t *serverName, UINT32 authnService,
                                            SEC_WINNT_AUTH_IDENTITY_W *authIdentity,
                                            const FWPM_SESSION0 *session, HANDLE *engineHandle) {
  fake_enter();
  if (!engineHandle)
    return (DWORD)FWP_E_NULL_POINTER;
  if (serverName || authIdentity ||
      (authnService != RPC_C_AUTHN_WINNT && authnService != RPC_C_AUTHN_DEFAULT))
    return ERROR_NOT_SUPPORTED; /* only the local engine, as wfplearn uses it */
  unsigned flags = session && (session->flags & FWPM_SESSION_FLAG_DYNAMIC) ? WL_SESSION_DYNAMIC : 0;
  if (atomic_load(&g_bfe_stopped))
    return EPT_S_NOT_REGISTERED;
  fake_engine *e = calloc(1, sizeof *e);
  if (!e)
    return ERROR_NOT_ENOUGH_MEMORY;
  e->kind = FAKE_ENGINE;
  e->bfe_run = atomic_load(&g_bfe_run);
  int rc = wl_sim_backend_open(NULL, flags, &e->ops, &e->impl);
  DWORD code = fake_code(rc, ERROR_FILE_NOT_FOUND);
  if (code == ERROR_SUCCESS && (code = fake_handle_add(e)) != ERROR_SUCCESS)
    e->ops->close(e->impl);
  if (code != ERROR_SUCCESS) {
    free(e);
    return code;
  }
  *engineHandle = e;
  return ERROR_SUCCESS;
}

WL_FAKE_EXPORT DWORD WINAPI FwpmEngineClose0(HANDLE engineHandle) {
  fake_enter();
  fake_engine *e = engine_of(engineHandle); /* the client side is freed whatever BFE does */
  if (!e)
    return ERROR_INVALID_HANDLE;
  fake_handle_remove(e);
  fake_events_engine_closing(e);
  e->ops->close(e->impl); /* aborts an open transaction; ends a dynamic session's objects */
  free(e);
  return ERROR_SUCCESS;
}

/* ---- options (FWP_VALUE0 with FWP_UINT32) ---- */

WL_FAKE_EXPORT DWORD WINAPI FwpmEngineGetOption0(HANDLE engineHandle, FWPM_ENGINE_OPTION option,
                                                 FWP_VALUE0 **value) {
  fake_enter();
  ENGINE_OR_FAIL(e, engineHandle);
  if (!value)
    return (DWORD)FWP_E_NULL_POINTER;
  uint32_t v = 0;
  int rc = e->ops->get_option(e->impl, (int)option, &v);
  if (rc)
    return fake_code(rc, (DWORD)FWP_E_NOT_FOUND);
  FWP_VALUE0 *out = fake_root_alloc(sizeof *out);
  if (!out)
    return ERROR_NOT_ENOUGH_MEMORY;
  out->type = FWP_UINT32;
  out->uint32 = v;
  *value = out;
  return ERROR_SUCCESS;
}

WL_FAKE_EXPORT DWORD WINAPI FwpmEngineSetOption0(HANDLE engineHandle, FWPM_ENGINE_OPTION option,
                                                 const FWP_VALUE0 *newValue) {
  fake_enter();
  ENGINE_OR_FAIL(e, engineHandle);
  if (!newValue)
    return (DWORD)FWP_E_NULL_POINTER;
  if (newValue->type != FWP_UINT32)
    return (DWORD)FWP_E_TYPE_MISMATCH;
  return fake_code(e->ops->set_option(e->impl, (int)option, newValue->uint32),
                   (DWORD)FWP_E_NOT_FOUND);
}

/* ---- transactions ---- */

WL_FAKE_EXPORT DWORD WINAPI FwpmTransactionBegin0(HANDLE engineHandle, UINT32 flags) {
  fake_enter();
  ENGINE_OR_FAIL(e, engineHandle);
  if (flags & ~(UINT32)0x1) /* FWPM_TXN_READ_ONLY is the only flag */
    return (DWORD)FWP_E_INVALID_FLAGS;
  int rc = e->ops->txn_begin(e->impl);
  if (rc == WL_OK)
    atomic_store(&e->in_txn, 1);
  return rc == WL_E_CONFLICT ? (DWORD)FWP_E_TXN_IN_PROGRESS : fake_code(rc, FWP_E_NOT_FOUND);
}

WL_FAKE_EXPORT DWORD WINAPI FwpmTransactionCommit0(HANDLE engineHandle) {
  fake_enter();
  ENGINE_OR_FAIL(e, engineHandle);
  int rc = e->ops->txn_commit(e->impl);
  atomic_store(&e->in_txn, 0); /* a failed commit aborts too */
  return rc == WL_E_CONFLICT ? (DWORD)FWP_E_NO_TXN_IN_PROGRESS : fake_code(rc, FWP_E_NOT_FOUND);
}

WL_FAKE_EXPORT DWORD WINAPI FwpmTransactionAbort0(HANDLE engineHandle) {
  fake_enter();
  ENGINE_OR_FAIL(e, engineHandle);
  int rc = e->ops->txn_abort(e->impl);
  atomic_store(&e->in_txn, 0);
  return rc == WL_E_CONFLICT ? (DWORD)FWP_E_NO_TXN_IN_PROGRESS : fake_code(rc, FWP_E_NOT_FOUND);
}

/* ---- providers ---- */

WL_FAKE_EXPORT DWORD WINAPI FwpmProviderAdd0(HANDLE engineHandle, const FWPM_PROVIDER0 *provider,
                                             PSECURITY_DESCRIPTOR sd) {
  fake_enter();
  ENGINE_OR_FAIL(e, engineHandle);
  (void)sd;
  if (!provider)
    return (DWORD)FWP_E_NULL_POINTER;
  if (!provider->displayData.name)
    return (DWORD)FWP_E_NULL_DISPLAY_NAME;
  wl_provider p;
  memset(&p, 0, sizeof p);
  fake_guid_to_wl(&provider->providerKey, &p.key);
  fake_wide_to_utf8(provider->displayData.name, p.name, sizeof p.name);
  fake_wide_to_utf8(provider->displayData.description, p.description, sizeof p.description);
  p.flags = (provider->flags & FWPM_PROVIDER_FLAG_PERSISTENT) ? WL_OBJ_PERSISTENT : 0;
  return fake_code(e->ops->provider_add(e->impl, &p), (DWORD)FWP_E_PROVIDER_NOT_FOUND);
}

WL_FAKE_EXPORT DWORD WINAPI FwpmProviderGetByKey0(HANDLE engineHandle, const GUID *key,
                                                  FWPM_PROVIDER0 **provider) {
  fake_enter();
  ENGINE_OR_FAIL(e, engineHandle);
  if (!key || !provider)
    return (DWORD)FWP_E_NULL_POINTER;
  wl_guid k;
  wl_provider p;
  fake_guid_to_wl(key, &k);
  int rc = e->ops->provider_get(e->impl, &k, &p);
  if (rc)
    return fake_code(rc, (DWORD)FWP_E_PROVIDER_NOT_FOUND);
  FWPM_PROVIDER0 *out = fake_root_alloc(sizeof *out);
  if (!out)
    return ERROR_NOT_ENOUGH_MEMORY;
  fake_guid_from_wl(&p.key, &out->providerKey);
  out->displayData.name = fake_child_wide(out, p.name);
  out->displayData.description = p.description[0] ? fake_child_wide(out, p.description) : NULL;
  out->flags = (p.flags & WL_OBJ_PERSISTENT) ? FWPM_PROVIDER_FLAG_PERSISTENT : 0;
  *provider = out;
  return ERROR_SUCCESS;
}

WL_FAKE_EXPORT DWORD WINAPI FwpmProviderDeleteByKey0(HANDLE engineHandle, const GUID *key) {
  fake_enter();
  ENGINE_OR_FAIL(e, engineHandle);
  if (!key)
    return (DWORD)FWP_E_NULL_POINTER;
  wl_guid k;
  fake_guid_to_wl(key, &k);
  return fake_code(e->ops->provider_delete(e->impl, &k), (DWORD)FWP_E_PROVIDER_NOT_FOUND);
}

/* ---- sublayers ---- */

WL_FAKE_EXPORT DWORD WINAPI FwpmSubLayerAdd0(HANDLE engineHandle, const FWPM_SUBLAYER0 *subLayer,
                                             PSECURITY_DESCRIPTOR sd) {
  fake_enter();
  ENGINE_OR_FAIL(e, engineHandle);
  (void)sd;
  if (!subLayer)
    return (DWORD)FWP_E_NULL_POINTER;
  if (!subLayer->displayData.name)
    return (DWORD)FWP_E_NULL_DISPLAY_NAME;
  wl_sublayer s;
  memset(&s, 0, sizeof s);
  fake_guid_to_wl(&subLayer->subLayerKey, &s.key);
  fake_wide_to_utf8(subLayer->displayData.name, s.name, sizeof s.name);
  fake_wide_to_utf8(subLayer->displayData.description, s.description, sizeof s.description);
  if (subLayer->providerKey)
    fake_guid_to_wl(subLayer->providerKey, &s.provider);
  s.flags = (subLayer->flags & FWPM_SUBLAYER_FLAG_PERSISTENT) ? WL_OBJ_PERSISTENT : 0;
  s.weight = subLayer->weight;
  return fake_code(e->ops->sublayer_add(e->impl, &s), (DWORD)FWP_E_PROVIDER_NOT_FOUND);
}

WL_FAKE_EXPORT DWORD WINAPI FwpmSubLayerGetByKey0(HANDLE engineHandle, const GUID *key,
                                                  FWPM_SUBLAYER0 **subLayer) {
  fake_enter();
  ENGINE_OR_FAIL(e, engineHandle);
  if (!key || !subLayer)
    return (DWORD)FWP_E_NULL_POINTER;
  wl_guid k;
  wl_sublayer s;
  fake_guid_to_wl(key, &k);
  int rc = e->ops->sublayer_get(e->impl, &k, &s);
  if (rc)
    return fake_code(rc, (DWORD)FWP_E_SUBLAYER_NOT_FOUND);
  FWPM_SUBLAYER0 *out = fake_root_alloc(sizeof *out);
  if (!out)
    return ERROR_NOT_ENOUGH_MEMORY;
  fake_guid_from_wl(&s.key, &out->subLayerKey);
  out->displayData.name = fake_child_wide(out, s.name);
  out->displayData.description = s.description[0] ? fake_child_wide(out, s.description) : NULL;
  out->flags = (s.flags & WL_OBJ_PERSISTENT) ? FWPM_SUBLAYER_FLAG_PERSISTENT : 0;
  static const wl_guid zero;
  if (!wl_guid_eq(&s.provider, &zero)) {
    out->providerKey = fake_child_alloc(out, sizeof(GUID));
    if (out->providerKey)
      fake_guid_from_wl(&s.provider, out->providerKey);
  }
  out->weight = s.weight;
  *subLayer = out;
  return ERROR_SUCCESS;
}

WL_FAKE_EXPORT DWORD WINAPI FwpmSubLayerDeleteByKey0(HANDLE engineHandle, const GUID *key) {
  fake_enter();
  ENGINE_OR_FAIL(e, engineHandle);
  if (!key)
    return (DWORD)FWP_E_NULL_POINTER;
  wl_guid k;
  fake_guid_to_wl(key, &k);
  return fake_code(e->ops->sublayer_delete(e->impl, &k), (DWORD)FWP_E_SUBLAYER_NOT_FOUND);
}

/* ---- app ids: the drive map and the files of the engine opened last ----
 * FwpmGetAppIdFromFileName0 opens the file: a path whose drive is unknown fails with
 * ERROR_PATH_NOT_FOUND, a file that does not exist (deleted, moved, never installed) with
 * ERROR_FILE_NOT_FOUND (issue 12, item 8), as the sim's app id does. With no engine open there
 * are no files to know of: every path is not found. */

WL_FAKE_EXPORT DWORD WINAPI FwpmGetAppIdFromFileName0(const wchar_t *fileName,
                                                      FWP_BYTE_BLOB **appId) {
  fake_enter();
  if (!fileName || !appId)
    return (DWORD)FWP_E_NULL_POINTER;
  wl_drive map[26];
  size_t n = 0;
  fake_engine *e = fake_latest_engine();
  if (!e || e->ops->drive_map(e->impl, map, 26, &n) != WL_OK)
    n = wl_sim_default_drives(map);
  char path[WL_PATH_MAX];
  uint8_t id[WL_APP_ID_MAX];
  size_t len = 0;
  fake_wide_to_utf8(fileName, path, sizeof path);
  int rc = wl_sim_app_id_map(map, n, path, id, sizeof id, &len);
  if (rc)
    return fake_code(rc, ERROR_PATH_NOT_FOUND);
  if (wl_sim_is_file_path(path)) { /* the sim's app id checks that the file exists */
    rc = e ? e->ops->app_id(e->impl, path, id, sizeof id, &len) : WL_E_NOTFOUND;
    if (rc)
      return fake_code(rc, ERROR_FILE_NOT_FOUND);
  }
  FWP_BYTE_BLOB *out = fake_root_alloc(sizeof *out);
  if (!out || !(out->data = fake_child_dup(out, id, len))) {
    fake_root_free(out);
    return ERROR_NOT_ENOUGH_MEMORY;
  }
  out->size = (UINT32)len;
  *appId = out;
  return ERROR_SUCCESS;
}

/* ---- test-only: drive the sim ---- */

#define TEST_ENGINE_OR_FAIL(e, h)                                                   \
  fake_engine *e = engine_of(h);                                                    \
  if (!e)                                                                           \
    return wl_err(WL_E_INVAL, "fake fwpuclnt: %p is not an open engine handle", h);

WL_FAKE_EXPORT int WL_FAKE_API wl_fake_classify(HANDLE engine, const wl_attempt *a,
                                                wl_decision *out) {
  fake_enter();
  TEST_ENGINE_OR_FAIL(e, engine);
  return wl_sim_eng_classify(e->impl, a, out);
}

WL_FAKE_EXPORT int WL_FAKE_API wl_fake_run_traffic(HANDLE engine, const char *path, double speed,
                                                   wl_sim_stats *stats) {
  fake_enter();
  TEST_ENGINE_OR_FAIL(e, engine);
  return wl_sim_eng_run_traffic(e->impl, path, speed, stats);
}

WL_FAKE_EXPORT int WL_FAKE_API wl_fake_stop(HANDLE engine) {
  fake_enter();
  TEST_ENGINE_OR_FAIL(e, engine);
  return wl_sim_eng_stop(e->impl);
}

WL_FAKE_EXPORT int WL_FAKE_API wl_fake_drain(HANDLE engine, unsigned timeout_ms) {
  fake_enter();
  TEST_ENGINE_OR_FAIL(e, engine);
  return wl_sim_eng_drain(e->impl, timeout_ms);
}

WL_FAKE_EXPORT int WL_FAKE_API wl_fake_set_drive(HANDLE engine, char letter, const char *device) {
  fake_enter();
  TEST_ENGINE_OR_FAIL(e, engine);
  return wl_sim_eng_set_drive(e->impl, letter, device);
}

WL_FAKE_EXPORT int WL_FAKE_API wl_fake_set_file(HANDLE engine, const char *path, int exists) {
  fake_enter();
  TEST_ENGINE_OR_FAIL(e, engine);
  return wl_sim_eng_set_file(e->impl, path, exists);
}

/* engine NULL: the map FwpmGetAppIdFromFileName0 uses (the engine opened last, else the sim's
 * default), which is what QueryDosDeviceW answers for a test (tests/support/fake_ctl.c). */
WL_FAKE_EXPORT int WL_FAKE_API wl_fake_drive_map(HANDLE engine, wl_drive *out, size_t cap,
                                                 size_t *n) {
  fake_enter();
  if (!engine) {
    wl_drive map[26];
    size_t k = 0;
    fake_engine *e = fake_latest_engine();
    if (!e || e->ops->drive_map(e->impl, map, 26, &k) != WL_OK)
      k = wl_sim_default_drives(map);
    *n = k < cap ? k : cap;
    memcpy(out, map, *n * sizeof *out);
    return WL_OK;
  }
  TEST_ENGINE_OR_FAIL(e, engine);
  return e->ops->drive_map(e->impl, out, cap, n);
}

WL_FAKE_EXPORT int WL_FAKE_API wl_fake_connections(HANDLE engine, wl_conn *out, size_t cap,
                                                   size_t *n, size_t *total) {
  fake_enter();
  if (!engine) {
    fake_engine *e = fake_latest_engine();
    if (!e)
      return wl_err(WL_E_NOTFOUND, "wl_fake_connections: no engine open");
    return e->ops->connections(e->impl, out, cap, n, total);
  }
  TEST_ENGINE_OR_FAIL(e, engine);
  return e->ops->connections(e->impl, out, cap, n, total);
}

WL_FAKE_EXPORT int WL_FAKE_API wl_fake_suppress_allow(HANDLE engine, int on) {
  fake_enter();
  TEST_ENGINE_OR_FAIL(e, engine);
  return wl_sim_eng_suppress_allow(e->impl, on);
}
