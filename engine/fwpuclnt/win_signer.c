/* win_signer.c — the "wfp" backend's wl_engine_signer (issue 15, item 4): who signed a binary,
 * so review re-binds a rule to an updated app only when the new binary has the ruled one's
 * signer.
 *
 * WinVerifyTrust with WINTRUST_ACTION_GENERIC_VERIFY_V2 on the file (WTD_CHOICE_FILE), no UI,
 * WTD_REVOKE_NONE and WTD_CACHE_ONLY_URL_RETRIEVAL (a review must not wait on the network for
 * a CRL), WTD_STATEACTION_VERIFY so the state stays open to read the signer, then
 * WTHelperProvDataFromStateData → WTHelperGetProvSignerFromChain(0) → the chain's leaf
 * certificate → CertGetNameStringW(CERT_NAME_SIMPLE_DISPLAY_TYPE), and WTD_STATEACTION_CLOSE.
 * All through win_api.c's table (wintrust.dll, crypt32.dll from System32; a test may supply
 * them).
 *
 * What the documentation says and this relies on (learn.microsoft.com "WinVerifyTrust
 * function", "WINTRUST_DATA structure", "Example C Program: Verifying the Signature of a PE
 * File", "WTHelperProvDataFromStateData", "CertGetNameStringW"): 0 = trusted; TRUST_E_NOSIGNATURE
 * (also TRUST_E_SUBJECT_FORM_UNKNOWN, TRUST_E_PROVIDER_UNKNOWN) = not signed, or a kind of file
 * the provider cannot read; other codes (TRUST_E_EXPLICIT_DISTRUST, CERT_E_UNTRUSTEDROOT,
 * TRUST_E_BAD_DIGEST, CERT_E_EXPIRED...) = signed but not trusted: the name is still read when
 * the state has a signer. Catalog-signed files (Windows' own binaries) have no embedded
 * signature and read as unsigned here (no CryptCATAdmin lookup): the apps re-binding is for
 * (Squirrel, Chrome-style, Store packages) carry embedded signatures.
 * Verified under wine: an unsigned file reads as unsigned (tests/engine/test_win_signer.c);
 * a signed file's name is reasoned from the documentation, not run.
 */
#include <windows.h>

#include <softpub.h>
#include <wincrypt.h>
#include <wintrust.h>

#include <string.h>

#include "common/wl_err.h"
#include "engine/fwpuclnt/win_backend.h"

#ifndef TRUST_E_NOSIGNATURE
#define TRUST_E_NOSIGNATURE ((LONG)0x800B0100L)
#endif

static int is_unsigned(LONG st) {
  return st == (LONG)TRUST_E_NOSIGNATURE || st == (LONG)TRUST_E_SUBJECT_FORM_UNKNOWN ||
         st == (LONG)TRUST_E_PROVIDER_UNKNOWN;
}

/* The leaf signer's simple display name, "" when the state has none. */
static void signer_name(const wl_fwp_api *api, HANDLE state, char *out, size_t cap) {
  out[0] = 0;
  CRYPT_PROVIDER_DATA *prov = state ? api->WTHelperProvDataFromStateData(state) : NULL;
  CRYPT_PROVIDER_SGNR *sgnr = prov ? api->WTHelperGetProvSignerFromChain(prov, 0, FALSE, 0) : NULL;
  if (!sgnr || !sgnr->csCertChain || !sgnr->pasCertChain || !sgnr->pasCertChain[0].pCert)
    return;
  wchar_t name[WL_SIGNER_MAX];
  DWORD n = api->CertGetNameStringW(sgnr->pasCertChain[0].pCert, CERT_NAME_SIMPLE_DISPLAY_TYPE, 0,
                                    NULL, name, WL_SIGNER_MAX);
  if (n > 1) /* n counts the terminator; 1 = empty name */
    wl_fwp_from_wide(name, out, cap);
}

int wl_fwp_signer(void *impl, const char *dos_path, wl_signer *out) {
  wl_fwp *b = impl;
  const wl_fwp_api *api = &b->api;
  if (!api->WinVerifyTrust)
    return wl_err(WL_E_UNSUPPORTED, "signer: wintrust.dll is not available here");
  wchar_t path[WL_PATH_MAX];
  wl_fwp_to_wide(dos_path, path, WL_PATH_MAX);
  if (GetFileAttributesW(path) == INVALID_FILE_ATTRIBUTES)
    return wl_err(WL_E_NOTFOUND, "signer: %s: no such file (GetFileAttributesW: %lu)", dos_path,
                  (unsigned long)GetLastError());
  WINTRUST_FILE_INFO file;
  memset(&file, 0, sizeof file);
  file.cbStruct = sizeof file;
  file.pcwszFilePath = path;
  WINTRUST_DATA wd;
  memset(&wd, 0, sizeof wd);
  wd.cbStruct = sizeof wd;
  wd.dwUIChoice = WTD_UI_NONE;
  wd.fdwRevocationChecks = WTD_REVOKE_NONE;
  wd.dwUnionChoice = WTD_CHOICE_FILE;
  wd.pFile = &file;
  wd.dwStateAction = WTD_STATEACTION_VERIFY;
  wd.dwProvFlags = WTD_CACHE_ONLY_URL_RETRIEVAL;
  GUID action = WINTRUST_ACTION_GENERIC_VERIFY_V2;
  LONG st = api->WinVerifyTrust((HWND)INVALID_HANDLE_VALUE, &action, &wd);
  if (st == 0) {
    out->status = WL_SIGN_SIGNED;
    signer_name(api, wd.hWVTStateData, out->name, sizeof out->name);
  } else if (is_unsigned(st)) {
    out->status = WL_SIGN_UNSIGNED;
  } else {
    out->status = WL_SIGN_UNTRUSTED;
    signer_name(api, wd.hWVTStateData, out->name, sizeof out->name);
  }
  wd.dwStateAction = WTD_STATEACTION_CLOSE;
  api->WinVerifyTrust((HWND)INVALID_HANDLE_VALUE, &action, &wd);
  return WL_OK;
}
