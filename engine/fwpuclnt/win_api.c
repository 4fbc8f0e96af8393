/* win_api.c — resolving fwpuclnt.dll at run time into one replaceable table, and turning its
 * Win32 / FWP_E_* codes into WL_E_* with readable messages. See win_api.h.
 *
 * The table's pointer types come from wfp_defs.h; for the entry points mingw does declare,
 * the types are checked against mingw's prototypes at compile time below, so a typo in a
 * hand-written signature cannot reach a call.
 */
#include "engine/fwpuclnt/win_api.h"

#include <stdio.h>
#include <string.h>

#include "common/wl_err.h"

/* ---- our signatures vs mingw's prototypes (GCC/Clang only: needs __typeof__) ---- */
#if defined(__GNUC__)
#define WL_SAME_TYPE(name)                                                                 \
  _Static_assert(__builtin_types_compatible_p(__typeof__(&name), wl_##name##_fn),          \
                 "wl_" #name "_fn does not match mingw's prototype")
WL_SAME_TYPE(FwpmEngineOpen0);
WL_SAME_TYPE(FwpmEngineClose0);
WL_SAME_TYPE(FwpmEngineGetOption0);
WL_SAME_TYPE(FwpmEngineSetOption0);
WL_SAME_TYPE(FwpmTransactionBegin0);
WL_SAME_TYPE(FwpmTransactionCommit0);
WL_SAME_TYPE(FwpmTransactionAbort0);
WL_SAME_TYPE(FwpmProviderAdd0);
WL_SAME_TYPE(FwpmProviderGetByKey0);
WL_SAME_TYPE(FwpmProviderDeleteByKey0);
WL_SAME_TYPE(FwpmSubLayerAdd0);
WL_SAME_TYPE(FwpmSubLayerGetByKey0);
WL_SAME_TYPE(FwpmSubLayerDeleteByKey0);
WL_SAME_TYPE(FwpmFilterAdd0);
WL_SAME_TYPE(FwpmFilterDeleteByKey0);
WL_SAME_TYPE(FwpmFilterGetById0);
WL_SAME_TYPE(FwpmFilterGetByKey0);
WL_SAME_TYPE(FwpmFilterCreateEnumHandle0);
WL_SAME_TYPE(FwpmFilterEnum0);
WL_SAME_TYPE(FwpmFilterDestroyEnumHandle0);
WL_SAME_TYPE(FwpmFreeMemory0);
WL_SAME_TYPE(FwpmGetAppIdFromFileName0);
WL_SAME_TYPE(FwpmNetEventSubscribe0);
WL_SAME_TYPE(FwpmNetEventUnsubscribe0);
WL_SAME_TYPE(FwpmNetEventCreateEnumHandle0);
WL_SAME_TYPE(FwpmNetEventDestroyEnumHandle0);
WL_SAME_TYPE(FwpmNetEventEnum0);
WL_SAME_TYPE(FwpmNetEventEnum1);
#endif

/* ---- the table ---- */

static const wl_fwp_api *g_override; /* tests only */

void wl_fwp_api_override(const wl_fwp_api *api) { g_override = api; }

/* GetProcAddress returns FARPROC; going through void * is how every Windows program does it. */
static void *proc(HMODULE m, const char *name) {
  FARPROC p = GetProcAddress(m, name);
  void *v;
  memcpy(&v, &p, sizeof v);
  return v;
}

/* The first required entry the table lacks, or NULL. */
static const char *first_missing(const wl_fwp_api *api) {
#define WL_FWP_CHECK(name, req)   \
  if ((req) && !api->name)        \
    return #name;
  WL_FWP_API_MAP(WL_FWP_CHECK)
#undef WL_FWP_CHECK
  return NULL;
}

void wl_fwp_api_resolve(HMODULE m, wl_fwp_api *api) {
#define WL_FWP_RESOLVE(name, ...)         \
  {                                       \
    void *p_ = proc(m, #name);            \
    memcpy(&api->name, &p_, sizeof p_);   \
  }
  WL_FWP_API_MAP(WL_FWP_RESOLVE)
#undef WL_FWP_RESOLVE
}

/* From System32 only, never the application's folder, the current directory or PATH (DLL
 * planting: an elevated wfplearn started from Downloads would load a fwpuclnt.dll lying there).
 * LOAD_LIBRARY_SEARCH_SYSTEM32 needs KB2533623 on Windows 7, built into Windows 8 and later;
 * without it LoadLibraryExW fails with ERROR_INVALID_PARAMETER ("LoadLibraryExW function",
 * learn.microsoft.com/windows/win32/api/libloaderapi/nf-libloaderapi-loadlibraryexw). */
static int load_dll(wl_fwp_api *api) {
  HMODULE m = LoadLibraryExW(L"fwpuclnt.dll", NULL, LOAD_LIBRARY_SEARCH_SYSTEM32);
  if (!m) {
    DWORD e = GetLastError();
    const char *name = wl_fwp_code_name(e);
    return wl_err(WL_E_UNSUPPORTED, "LoadLibraryExW(fwpuclnt.dll, SEARCH_SYSTEM32): %s (%lu): "
                  "no Windows Filtering Platform here%s", name ? name : "error", (unsigned long)e,
                  e == ERROR_INVALID_PARAMETER ? " (Windows 7 needs update KB2533623)" : "");
  }
  api->module = m;
  wl_fwp_api_resolve(m, api);
  return WL_OK;
}

/* The connection tables' entry points, unless a test's table has them: iphlpapi.dll from System32
 * (same reason as above). Missing: the entries stay NULL and wl_engine_connections says
 * unsupported; nothing else depends on them. */
static void load_iphlpapi(wl_fwp_api *api) {
  if (api->GetExtendedTcpTable || api->GetExtendedUdpTable)
    return;
  HMODULE m = LoadLibraryExW(L"iphlpapi.dll", NULL, LOAD_LIBRARY_SEARCH_SYSTEM32);
  if (!m)
    return;
  void *t = proc(m, "GetExtendedTcpTable"), *u = proc(m, "GetExtendedUdpTable");
  memcpy(&api->GetExtendedTcpTable, &t, sizeof t);
  memcpy(&api->GetExtendedUdpTable, &u, sizeof u);
  api->iphlpapi = m;
}

/* The signer entry points (win_signer.c), unless a test's table has them: wintrust.dll and
 * crypt32.dll from System32. Missing: the entries stay NULL and wl_engine_signer says
 * unsupported (review then shows the signer as unknown). */
static void load_wintrust(wl_fwp_api *api) {
  if (api->WinVerifyTrust)
    return;
  HMODULE w = LoadLibraryExW(L"wintrust.dll", NULL, LOAD_LIBRARY_SEARCH_SYSTEM32);
  HMODULE c = w ? LoadLibraryExW(L"crypt32.dll", NULL, LOAD_LIBRARY_SEARCH_SYSTEM32) : NULL;
  void *v = w ? proc(w, "WinVerifyTrust") : NULL;
  void *d = w ? proc(w, "WTHelperProvDataFromStateData") : NULL;
  void *g = w ? proc(w, "WTHelperGetProvSignerFromChain") : NULL;
  void *n = c ? proc(c, "CertGetNameStringW") : NULL;
  if (!v || !d || !g || !n) {
    if (c)
      FreeLibrary(c);
    if (w)
      FreeLibrary(w);
    return;
  }
  memcpy(&api->WinVerifyTrust, &v, sizeof v);
  memcpy(&api->WTHelperProvDataFromStateData, &d, sizeof d);
  memcpy(&api->WTHelperGetProvSignerFromChain, &g, sizeof g);
  memcpy(&api->CertGetNameStringW, &n, sizeof n);
  api->wintrust = w;
  api->crypt32 = c;
}

/* The Security log's entry points (win_evtlog.c), unless a test's table has them: wevtapi.dll from
 * System32, advapi32's Audit* looked up by name (GetProcAddress, so a Windows or a wine without
 * them still starts). Missing: NULL, the eventlog source says unsupported. */
static void load_evtlog(wl_fwp_api *api) {
  if (!api->EvtSubscribe && !api->EvtNext) {
    HMODULE m = LoadLibraryExW(L"wevtapi.dll", NULL, LOAD_LIBRARY_SEARCH_SYSTEM32);
    if (m) {
      void *p[4] = {proc(m, "EvtSubscribe"), proc(m, "EvtNext"), proc(m, "EvtRender"),
                    proc(m, "EvtClose")};
      memcpy(&api->EvtSubscribe, &p[0], sizeof p[0]);
      memcpy(&api->EvtNext, &p[1], sizeof p[1]);
      memcpy(&api->EvtRender, &p[2], sizeof p[2]);
      memcpy(&api->EvtClose, &p[3], sizeof p[3]);
      api->wevtapi = m;
    }
  }
  HMODULE adv = GetModuleHandleW(L"advapi32.dll"); /* linked: stays loaded */
  if (adv && !api->AuditQuerySystemPolicy && !api->AuditSetSystemPolicy) {
    void *q = proc(adv, "AuditQuerySystemPolicy"), *s = proc(adv, "AuditSetSystemPolicy"),
         *f = proc(adv, "AuditFree");
    memcpy(&api->AuditQuerySystemPolicy, &q, sizeof q);
    memcpy(&api->AuditSetSystemPolicy, &s, sizeof s);
    memcpy(&api->AuditFree, &f, sizeof f);
  }
  if (!api->OpenProcessToken)
    api->OpenProcessToken = OpenProcessToken;
  if (!api->LookupPrivilegeValueW)
    api->LookupPrivilegeValueW = LookupPrivilegeValueW;
  if (!api->AdjustTokenPrivileges)
    api->AdjustTokenPrivileges = AdjustTokenPrivileges;
  if (!api->CreateEventW)
    api->CreateEventW = CreateEventW;
  if (!api->WaitForSingleObject)
    api->WaitForSingleObject = WaitForSingleObject;
  if (!api->ResetEvent)
    api->ResetEvent = ResetEvent;
}

int wl_fwp_api_load(wl_fwp_api *api) {
  memset(api, 0, sizeof *api);
  if (g_override) {
    *api = *g_override;
    api->module = NULL;
    api->iphlpapi = NULL;
    api->wintrust = api->crypt32 = NULL;
    api->wevtapi = NULL;
  } else {
    int rc = load_dll(api);
    if (rc)
      return rc;
  }
  if (!api->QueryDosDeviceW)
    api->QueryDosDeviceW = QueryDosDeviceW;
  if (!api->GetSystemMetrics)
    api->GetSystemMetrics = GetSystemMetrics;
  if (!api->RegGetValueW)
    api->RegGetValueW = RegGetValueW;
  load_iphlpapi(api);
  load_wintrust(api);
  load_evtlog(api);
  if (!api->OpenProcess)
    api->OpenProcess = OpenProcess;
  if (!api->QueryFullProcessImageNameW)
    api->QueryFullProcessImageNameW = QueryFullProcessImageNameW;
  if (!api->CloseHandle)
    api->CloseHandle = CloseHandle;
  const char *missing = first_missing(api);
  if (missing) {
    wl_fwp_api_unload(api);
    return wl_err(WL_E_UNSUPPORTED, "fwpuclnt.dll: %s not exported (Windows 7 or later needed)",
                  missing);
  }
  return WL_OK;
}

void wl_fwp_api_unload(wl_fwp_api *api) {
  if (!api)
    return;
  if (api->module)
    FreeLibrary(api->module);
  if (api->iphlpapi)
    FreeLibrary(api->iphlpapi);
  if (api->crypt32)
    FreeLibrary(api->crypt32);
  if (api->wintrust)
    FreeLibrary(api->wintrust);
  if (api->wevtapi)
    FreeLibrary(api->wevtapi);
  memset(api, 0, sizeof *api);
}

int wl_fwp_api_subscribe_version(const wl_fwp_api *api) {
  if (api->FwpmNetEventSubscribe4) return 4;
  if (api->FwpmNetEventSubscribe3) return 3;
  if (api->FwpmNetEventSubscribe2) return 2;
  if (api->FwpmNetEventSubscribe1) return 1;
  if (api->FwpmNetEventSubscribe0) return 0;
  return -1;
}

int wl_fwp_api_enum_version(const wl_fwp_api *api) {
  if (api->FwpmNetEventEnum5) return 5;
  if (api->FwpmNetEventEnum4) return 4;
  if (api->FwpmNetEventEnum3) return 3;
  if (api->FwpmNetEventEnum2) return 2;
  if (api->FwpmNetEventEnum1) return 1;
  if (api->FwpmNetEventEnum0) return 0;
  return -1;
}

/* ---- codes ---- */

/* X(name, wl code) — winerror.h's FWP_E_* values (mingw has the Windows 7 set). */
#define WL_FWP_E_MAP(X)                                   \
  X(FWP_E_CALLOUT_NOT_FOUND, NOTFOUND)                    \
  X(FWP_E_CONDITION_NOT_FOUND, NOTFOUND)                  \
  X(FWP_E_FILTER_NOT_FOUND, NOTFOUND)                     \
  X(FWP_E_LAYER_NOT_FOUND, NOTFOUND)                      \
  X(FWP_E_PROVIDER_NOT_FOUND, NOTFOUND)                   \
  X(FWP_E_PROVIDER_CONTEXT_NOT_FOUND, NOTFOUND)           \
  X(FWP_E_SUBLAYER_NOT_FOUND, NOTFOUND)                   \
  X(FWP_E_NOT_FOUND, NOTFOUND)                            \
  X(FWP_E_ALREADY_EXISTS, EXISTS)                         \
  X(FWP_E_IN_USE, BUSY)                                   \
  X(FWP_E_DYNAMIC_SESSION_IN_PROGRESS, CONFLICT)          \
  X(FWP_E_WRONG_SESSION, CONFLICT)                        \
  X(FWP_E_NO_TXN_IN_PROGRESS, INVAL)                      \
  X(FWP_E_TXN_IN_PROGRESS, CONFLICT)                      \
  X(FWP_E_TXN_ABORTED, ENGINE)                            \
  X(FWP_E_SESSION_ABORTED, ENGINE)                        \
  X(FWP_E_INCOMPATIBLE_TXN, CONFLICT)                     \
  X(FWP_E_TIMEOUT, TIMEOUT)                               \
  X(FWP_E_NET_EVENTS_DISABLED, ENGINE)                    \
  X(FWP_E_INCOMPATIBLE_LAYER, INVAL)                      \
  X(FWP_E_KM_CLIENTS_ONLY, UNSUPPORTED)                   \
  X(FWP_E_LIFETIME_MISMATCH, INVAL)                       \
  X(FWP_E_BUILTIN_OBJECT, PERM)                           \
  X(FWP_E_TOO_MANY_CALLOUTS, FULL)                        \
  X(FWP_E_NOTIFICATION_DROPPED, ENGINE)                   \
  X(FWP_E_TRAFFIC_MISMATCH, INVAL)                        \
  X(FWP_E_INCOMPATIBLE_SA_STATE, INVAL)                   \
  X(FWP_E_NULL_POINTER, INVAL)                            \
  X(FWP_E_INVALID_ENUMERATOR, INVAL)                      \
  X(FWP_E_INVALID_FLAGS, INVAL)                           \
  X(FWP_E_INVALID_NET_MASK, INVAL)                        \
  X(FWP_E_INVALID_RANGE, INVAL)                           \
  X(FWP_E_INVALID_INTERVAL, INVAL)                        \
  X(FWP_E_ZERO_LENGTH_ARRAY, INVAL)                       \
  X(FWP_E_NULL_DISPLAY_NAME, INVAL)                       \
  X(FWP_E_INVALID_ACTION_TYPE, INVAL)                     \
  X(FWP_E_INVALID_WEIGHT, INVAL)                          \
  X(FWP_E_MATCH_TYPE_MISMATCH, INVAL)                     \
  X(FWP_E_TYPE_MISMATCH, INVAL)                           \
  X(FWP_E_OUT_OF_BOUNDS, INVAL)                           \
  X(FWP_E_RESERVED, INVAL)                                \
  X(FWP_E_DUPLICATE_CONDITION, INVAL)                     \
  X(FWP_E_DUPLICATE_KEYMOD, INVAL)                        \
  X(FWP_E_ACTION_INCOMPATIBLE_WITH_LAYER, INVAL)          \
  X(FWP_E_ACTION_INCOMPATIBLE_WITH_SUBLAYER, INVAL)       \
  X(FWP_E_CONTEXT_INCOMPATIBLE_WITH_LAYER, INVAL)         \
  X(FWP_E_CONTEXT_INCOMPATIBLE_WITH_CALLOUT, INVAL)       \
  X(FWP_E_INCOMPATIBLE_AUTH_METHOD, INVAL)                \
  X(FWP_E_INCOMPATIBLE_DH_GROUP, INVAL)                   \
  X(FWP_E_EM_NOT_SUPPORTED, UNSUPPORTED)                  \
  X(FWP_E_NEVER_MATCH, INVAL)                             \
  X(FWP_E_PROVIDER_CONTEXT_MISMATCH, INVAL)               \
  X(FWP_E_INVALID_PARAMETER, INVAL)                       \
  X(FWP_E_TOO_MANY_SUBLAYERS, FULL)                       \
  X(FWP_E_CALLOUT_NOTIFICATION_FAILED, ENGINE)            \
  X(FWP_E_INVALID_AUTH_TRANSFORM, INVAL)                  \
  X(FWP_E_INVALID_CIPHER_TRANSFORM, INVAL)

/* The Win32 / RPC codes fwpuclnt returns in practice (winerror.h). The RPC codes and
 * ERROR_INVALID_HANDLE mean the Base Filtering Engine is gone: not running
 * (EPT_S_NOT_REGISTERED from FwpmEngineOpen0: its RPC endpoint is not registered), stopped
 * under an open handle (RPC_S_SERVER_UNAVAILABLE, RPC_S_CALL_FAILED), or restarted so that the
 * handle's binding is stale (ERROR_INVALID_HANDLE; our own handles are never bad). They map to
 * WL_E_ENGINE, which callers treat as "close the handle, reopen later" (capture reconnects with
 * backoff), not to "not supported", which would read as the user's mistake. */
#define WL_WIN32_E_MAP(X)                       \
  X(ERROR_FILE_NOT_FOUND, NOTFOUND)             \
  X(ERROR_PATH_NOT_FOUND, NOTFOUND)             \
  X(ERROR_ACCESS_DENIED, PERM)                  \
  X(ERROR_INVALID_HANDLE, ENGINE)               \
  X(ERROR_NOT_ENOUGH_MEMORY, NOMEM)             \
  X(ERROR_OUTOFMEMORY, NOMEM)                   \
  X(ERROR_NOT_SUPPORTED, UNSUPPORTED)           \
  X(ERROR_INVALID_PARAMETER, INVAL)             \
  X(ERROR_CALL_NOT_IMPLEMENTED, UNSUPPORTED)    \
  X(ERROR_INSUFFICIENT_BUFFER, TOOBIG)          \
  X(ERROR_INVALID_NAME, INVAL)                  \
  X(ERROR_MOD_NOT_FOUND, UNSUPPORTED)           \
  X(ERROR_PROC_NOT_FOUND, UNSUPPORTED)          \
  X(ERROR_ALREADY_EXISTS, EXISTS)               \
  X(ERROR_SERVICE_NOT_ACTIVE, UNSUPPORTED)      \
  X(ERROR_GEN_FAILURE, ENGINE)                  \
  X(ERROR_PRIVILEGE_NOT_HELD, PERM)             \
  X(ERROR_NOT_ALL_ASSIGNED, PERM)               \
  X(ERROR_TIMEOUT, TIMEOUT)                     \
  X(ERROR_NO_MORE_ITEMS, TIMEOUT)               \
  X(ERROR_EVT_CHANNEL_NOT_FOUND, NOTFOUND)      \
  X(RPC_S_SERVER_UNAVAILABLE, ENGINE)           \
  X(RPC_S_CALL_FAILED, ENGINE)                  \
  X(RPC_S_CANNOT_SUPPORT, UNSUPPORTED)          \
  X(RPC_S_PROCNUM_OUT_OF_RANGE, UNSUPPORTED)    \
  X(EPT_S_NOT_REGISTERED, ENGINE)

typedef struct code_entry {
  DWORD code;
  const char *name;
  int wl;
} code_entry;

static const code_entry g_codes[] = {
#define WL_CODE_ENTRY(name, wl) {(DWORD)(name), #name, WL_E_##wl},
    WL_FWP_E_MAP(WL_CODE_ENTRY) WL_WIN32_E_MAP(WL_CODE_ENTRY)
#undef WL_CODE_ENTRY
};

static const code_entry *find_code(DWORD code) {
  for (size_t i = 0; i < sizeof g_codes / sizeof g_codes[0]; i++)
    if (g_codes[i].code == code)
      return &g_codes[i];
  return NULL;
}

const char *wl_fwp_code_name(DWORD code) {
  const code_entry *c = find_code(code);
  return c ? c->name : NULL;
}

int wl_fwp_code_to_wl(DWORD code) {
  if (code == ERROR_SUCCESS)
    return WL_OK;
  const code_entry *c = find_code(code);
  return c ? c->wl : WL_E_ENGINE;
}

int wl_fwp_err(const wl_fwp_api *api, const char *fn, DWORD code) {
  const char *name = wl_fwp_code_name(code);
  char fallback[32];
  if (!name) {
    snprintf(fallback, sizeof fallback, "%s", (code & 0xFFFF0000u) == 0x80320000u
             ? "FWP_E_unknown" : "Win32 error");
    name = fallback;
  }
  return wl_err(wl_fwp_code_to_wl(code), "%s: %s (0x%08lx)", fn, name, (unsigned long)code);
}
