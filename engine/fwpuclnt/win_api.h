/* win_api.h — internal to engine/fwpuclnt/ (Windows): the one table of fwpuclnt.dll entry points.
 *
 * An executable that imports a symbol its fwpuclnt.dll lacks does not start at all on older
 * Windows, so nothing in wfplearn imports fwpuclnt: every Fwpm* function the backend calls is
 * resolved here, at run time, with LoadLibraryExW(L"fwpuclnt.dll", SEARCH_SYSTEM32 only) +
 * GetProcAddress, into one
 * table (the SQLite os_win.c aSyscall[] habit), with the one kernel32 call the backend makes
 * about the platform (QueryDosDeviceW, for the drive map). Tests replace the whole table with
 * wl_fwp_api_override() to record calls, fail the Nth one, pretend a function is missing, or
 * answer the drive map from the fake fwpuclnt.dll (tests/support/fake_ctl.c).
 *
 * Required entries (the Windows 7 API the backend cannot work without) make the load fail with
 * WL_E_UNSUPPORTED naming the first missing one; versioned ones (FwpmNetEventSubscribe1..4,
 * FwpmNetEventEnum1..5) may be NULL. Only real fwpuclnt exports are looked up.
 *
 * Also the error edge: Win32 / FWP_E_* codes → WL_E_* with the API name and the code's
 * symbolic name in the message ("FwpmFilterAdd0: FWP_E_ALREADY_EXISTS (0x80320009)").
 */
#ifndef WL_WIN_API_H
#define WL_WIN_API_H

#include "engine/fwpuclnt/wfp_defs.h"

#include <wincrypt.h>
#include <wintrust.h>
#include <ntsecapi.h> /* AUDIT_POLICY_INFORMATION */

/* X(name, required) — every fwpuclnt export wfplearn may call, in one list. */
#define WL_FWP_API_MAP(X)                  \
  X(FwpmEngineOpen0, 1)                    \
  X(FwpmEngineClose0, 1)                   \
  X(FwpmEngineGetOption0, 1)               \
  X(FwpmEngineSetOption0, 1)               \
  X(FwpmTransactionBegin0, 1)              \
  X(FwpmTransactionCommit0, 1)             \
  X(FwpmTransactionAbort0, 1)              \
  X(FwpmProviderAdd0, 1)                   \
  X(FwpmProviderGetByKey0, 1)              \
  X(FwpmProviderDeleteByKey0, 1)           \
  X(FwpmSubLayerAdd0, 1)                   \
  X(FwpmSubLayerGetByKey0, 1)              \
  X(FwpmSubLayerDeleteByKey0, 1)           \
  X(FwpmFilterAdd0, 1)                     \
  X(FwpmFilterDeleteByKey0, 1)             \
  X(FwpmFilterGetById0, 1)                 \
  X(FwpmFilterGetByKey0, 1)                \
  X(FwpmFilterCreateEnumHandle0, 1)        \
  X(FwpmFilterEnum0, 1)                    \
  X(FwpmFilterDestroyEnumHandle0, 1)       \
  X(FwpmFreeMemory0, 1)                    \
  X(FwpmGetAppIdFromFileName0, 1)          \
  X(FwpmNetEventSubscribe0, 0)             \
  X(FwpmNetEventSubscribe1, 0)             \
  X(FwpmNetEventSubscribe2, 0)             \
  X(FwpmNetEventSubscribe3, 0)             \
  X(FwpmNetEventSubscribe4, 0)             \
  X(FwpmNetEventUnsubscribe0, 0)           \
  X(FwpmNetEventCreateEnumHandle0, 0)      \
  X(FwpmNetEventDestroyEnumHandle0, 0)     \
  X(FwpmNetEventEnum0, 0)                  \
  X(FwpmNetEventEnum1, 0)                  \
  X(FwpmNetEventEnum2, 0)                  \
  X(FwpmNetEventEnum3, 0)                  \
  X(FwpmNetEventEnum4, 0)                  \
  X(FwpmNetEventEnum5, 0)

typedef struct wl_fwp_api {
  HMODULE module; /* NULL when the table was supplied by a test */
#define WL_FWP_API_FIELD(name, req) wl_##name##_fn name;
  WL_FWP_API_MAP(WL_FWP_API_FIELD)
#undef WL_FWP_API_FIELD
  /* kernel32 (always there): the drive map; a test's table may answer it differently */
  DWORD(WINAPI *QueryDosDeviceW)(LPCWSTR device, LPWSTR target, DWORD cap);
  /* user32 / advapi32: is this a remote desktop session, and its listener's port (enforce's
   * anti-lockout, wl_engine_machine); a test's table answers them as a remote session would */
  int(WINAPI *GetSystemMetrics)(int index);
  LSTATUS(WINAPI *RegGetValueW)(HKEY key, LPCWSTR sub, LPCWSTR value, DWORD flags, LPDWORD type,
                                PVOID data, LPDWORD size);
  /* iphlpapi (resolved at run time from System32, may be NULL: the self-check is then off) and
   * kernel32: the connection tables with owner pids and the owners' images
   * (wl_engine_connections, win_conns.c); a test's table answers them from the fake's sim.
   * The table class is TCP_TABLE_CLASS / UDP_TABLE_CLASS (enums: passed as a ULONG). */
  HMODULE iphlpapi;
  DWORD(WINAPI *GetExtendedTcpTable)(PVOID table, PDWORD size, BOOL order, ULONG af,
                                     ULONG table_class, ULONG reserved);
  DWORD(WINAPI *GetExtendedUdpTable)(PVOID table, PDWORD size, BOOL order, ULONG af,
                                     ULONG table_class, ULONG reserved);
  HANDLE(WINAPI *OpenProcess)(DWORD access, BOOL inherit, DWORD pid);
  BOOL(WINAPI *QueryFullProcessImageNameW)(HANDLE process, DWORD flags, LPWSTR name,
                                           PDWORD size);
  BOOL(WINAPI *CloseHandle)(HANDLE h);
  /* wintrust.dll and crypt32.dll (resolved at run time from System32, may be NULL: signers are
   * then unknown): who signed a binary (wl_engine_signer, win_signer.c, issue 15). A test's
   * table may answer them; else the real ones are loaded (wine has both). */
  HMODULE wintrust, crypt32;
  LONG(WINAPI *WinVerifyTrust)(HWND hwnd, GUID *action, LPVOID data);
  CRYPT_PROVIDER_DATA *(WINAPI *WTHelperProvDataFromStateData)(HANDLE state);
  CRYPT_PROVIDER_SGNR *(WINAPI *WTHelperGetProvSignerFromChain)(CRYPT_PROVIDER_DATA *prov,
                                                                DWORD signer, BOOL counter,
                                                                DWORD counter_index);
  DWORD(WINAPI *CertGetNameStringW)(PCCERT_CONTEXT cert, DWORD type, DWORD flags, void *type_para,
                                    LPWSTR name, DWORD cap);
  /* The Security log and the audit policy (win_evtlog.c, issue 19): wevtapi.dll from System32
   * and advapi32's Audit* resolved at run time (NULL when missing: the eventlog source is then
   * unsupported, nothing else depends on them), the token calls that enable
   * SeSecurityPrivilege, and the wait on the subscription's signal. A test's table answers them
   * (tests/capture/test_evtlog_wfp.c). EVT_HANDLE is a HANDLE. */
  HMODULE wevtapi;
  HANDLE(WINAPI *EvtSubscribe)(HANDLE session, HANDLE signal, LPCWSTR channel, LPCWSTR query,
                               HANDLE bookmark, PVOID ctx, PVOID callback, DWORD flags);
  BOOL(WINAPI *EvtNext)(HANDLE results, DWORD n, HANDLE *events, DWORD timeout, DWORD flags,
                        PDWORD returned);
  BOOL(WINAPI *EvtRender)(HANDLE context, HANDLE fragment, DWORD flags, DWORD size,
                          PVOID buffer, PDWORD used, PDWORD properties);
  BOOL(WINAPI *EvtClose)(HANDLE h);
  BOOLEAN(WINAPI *AuditQuerySystemPolicy)(const GUID *subs, ULONG n,
                                          PAUDIT_POLICY_INFORMATION *out);
  BOOLEAN(WINAPI *AuditSetSystemPolicy)(PCAUDIT_POLICY_INFORMATION policy, ULONG n);
  VOID(WINAPI *AuditFree)(PVOID buffer);
  BOOL(WINAPI *OpenProcessToken)(HANDLE process, DWORD access, PHANDLE token);
  BOOL(WINAPI *LookupPrivilegeValueW)(LPCWSTR system, LPCWSTR name, PLUID luid);
  BOOL(WINAPI *AdjustTokenPrivileges)(HANDLE token, BOOL disable_all, PTOKEN_PRIVILEGES state,
                                      DWORD len, PTOKEN_PRIVILEGES prev, PDWORD ret_len);
  HANDLE(WINAPI *CreateEventW)(LPSECURITY_ATTRIBUTES sa, BOOL manual, BOOL initial,
                               LPCWSTR name);
  DWORD(WINAPI *WaitForSingleObject)(HANDLE h, DWORD ms);
  BOOL(WINAPI *ResetEvent)(HANDLE h);
} wl_fwp_api;

/* Fill *api: from the test override when one is set, else LoadLibraryW(L"fwpuclnt.dll") and
 * GetProcAddress for every entry. WL_E_UNSUPPORTED when the DLL or a required entry is
 * missing. Release with wl_fwp_api_unload (NULL-safe, idempotent). */
int wl_fwp_api_load(wl_fwp_api *api);
void wl_fwp_api_unload(wl_fwp_api *api);
/* Fill *api's entries from module m (GetProcAddress of each; missing ones NULL). Does not set
 * api->module or take a reference. The product calls it on System32's fwpuclnt.dll only; tests
 * call it on the fake they loaded from their own folder (tests/support/fake_ctl.c). */
void wl_fwp_api_resolve(HMODULE m, wl_fwp_api *api);

/* Tests: every later wl_fwp_api_load copies *api instead of loading the DLL (NULL: back to the
 * DLL). Not thread-safe; set it before opening engines. */
void wl_fwp_api_override(const wl_fwp_api *api);

/* Newest FwpmNetEventSubscribeN in the table: N (0..4), or -1 when there is none. */
int wl_fwp_api_subscribe_version(const wl_fwp_api *api);
/* Newest FwpmNetEventEnumN (0..5), or -1. */
int wl_fwp_api_enum_version(const wl_fwp_api *api);

/* ---- errors ---- */
/* "FWP_E_ALREADY_EXISTS", "ERROR_ACCESS_DENIED", ... or NULL when the code is not in our
 * tables. */
const char *wl_fwp_code_name(DWORD code);
/* WL_E_* for a Win32 / FWP_E_* code (0 → WL_OK). */
int wl_fwp_code_to_wl(DWORD code);
/* Set the message "API: NAME (0xCODE)" and return the WL_E_* code. */
int wl_fwp_err(const wl_fwp_api *api, const char *fn, DWORD code);

#endif
