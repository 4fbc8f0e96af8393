/* test_win_signer.c — the "wfp" backend's wl_engine_signer (engine/fwpuclnt/win_signer.c),
 * Windows build under wine, over our fake fwpuclnt.dll (loaded from the test's folder):
 *   - with wine's own wintrust.dll and crypt32.dll: this unsigned test executable reads as
 *     unsigned, a text file too (no PE signature to read), a missing file is WL_E_NOTFOUND;
 *   - with a recording wintrust in the table (wl_fwp_api_override): a trusted signature gives
 *     the leaf certificate's name (WTHelperProvDataFromStateData → WTHelperGetProvSignerFromChain
 *     → CertGetNameStringW), an untrusted one gives "untrusted" with the name, and every
 *     WTD_STATEACTION_VERIFY is closed with WTD_STATEACTION_CLOSE.
 * What wine cannot show is a real Authenticode signature verified: that part is reasoned from
 * the documentation (win_signer.c names the pages). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "common/wl_err.h"
#include "engine/engine.h"
#include "engine/fwpuclnt/win_api.h"
#include "engine/fwpuclnt/win_backend.h"

#include <softpub.h>

static HMODULE g_dll;

static wl_engine *open_wfp(void) {
  wl_engine *e = NULL;
  if (wl_engine_open("wfp", WL_SESSION_DYNAMIC, &e) != WL_OK)
    fail_msg("open: %s", wl_errmsg());
  return e;
}

/* The fake's Fwpm* entry points; the signer ones from `with` (NULL: System32's). */
static void use_table(const wl_fwp_api *with) {
  static wl_fwp_api t;
  memset(&t, 0, sizeof t);
  wl_fwp_api_resolve(g_dll, &t);
  if (with) {
    t.WinVerifyTrust = with->WinVerifyTrust;
    t.WTHelperProvDataFromStateData = with->WTHelperProvDataFromStateData;
    t.WTHelperGetProvSignerFromChain = with->WTHelperGetProvSignerFromChain;
    t.CertGetNameStringW = with->CertGetNameStringW;
  }
  wl_fwp_api_override(&t);
}

static int setup(void **state) {
  (void)state;
  g_dll = LoadLibraryW(L"fwpuclnt.dll");
  if (!g_dll || !GetProcAddress(g_dll, "wl_fake_outstanding")) {
    fprintf(stderr, "fwpuclnt.dll beside the test is not our fake (WINEDLLOVERRIDES?)\n");
    return -1;
  }
  return 0;
}

static int teardown(void **state) {
  (void)state;
  wl_fwp_api_override(NULL);
  FreeLibrary(g_dll);
  return 0;
}

static void test_wine_wintrust(void **state) {
  (void)state;
  use_table(NULL);
  wl_engine *e = open_wfp();
  wchar_t wexe[MAX_PATH];
  char exe[WL_PATH_MAX];
  assert_true(GetModuleFileNameW(NULL, wexe, MAX_PATH) > 0);
  wl_fwp_from_wide(wexe, exe, sizeof exe);
  wl_signer sg;
  int rc = wl_engine_signer(e, exe, &sg);
  if (rc)
    fail_msg("signer of %s: %s", exe, wl_errmsg());
  assert_int_equal(sg.status, WL_SIGN_UNSIGNED);
  assert_string_equal(sg.name, "");
  FILE *f = fopen("test_win_signer.txt", "w");
  assert_non_null(f);
  fputs("not a program\n", f);
  fclose(f);
  assert_int_equal(wl_engine_signer(e, "test_win_signer.txt", &sg), WL_OK);
  assert_int_equal(sg.status, WL_SIGN_UNSIGNED);
  remove("test_win_signer.txt");
  assert_int_equal(wl_engine_signer(e, "C:\\no\\such\\file.exe", &sg), WL_E_NOTFOUND);
  wl_engine_close(e);
}

/* ---- a recording wintrust ---- */
static struct {
  LONG answer;
  int verifies, closes;
} W;
static CRYPT_PROVIDER_DATA g_prov;
static CRYPT_PROVIDER_SGNR g_sgnr;
static CRYPT_PROVIDER_CERT g_cert;
static CERT_CONTEXT g_ctx;

static LONG WINAPI r_verify(HWND hwnd, GUID *action, LPVOID data) {
  static const GUID v2 = WINTRUST_ACTION_GENERIC_VERIFY_V2;
  WINTRUST_DATA *wd = data;
  (void)hwnd;
  assert_memory_equal(action, &v2, sizeof v2);
  assert_int_equal(wd->dwUIChoice, WTD_UI_NONE);
  assert_int_equal(wd->fdwRevocationChecks, WTD_REVOKE_NONE);
  if (wd->dwStateAction == WTD_STATEACTION_CLOSE) {
    assert_ptr_equal(wd->hWVTStateData, (HANDLE)&g_prov);
    W.closes++;
    return 0;
  }
  assert_int_equal(wd->dwStateAction, WTD_STATEACTION_VERIFY);
  W.verifies++;
  wd->hWVTStateData = (HANDLE)&g_prov;
  return W.answer;
}

static CRYPT_PROVIDER_DATA *WINAPI r_prov(HANDLE h) {
  return h == (HANDLE)&g_prov ? &g_prov : NULL;
}

static CRYPT_PROVIDER_SGNR *WINAPI r_sgnr(CRYPT_PROVIDER_DATA *p, DWORD i, BOOL counter, DWORD ci) {
  (void)ci;
  return p == &g_prov && i == 0 && !counter ? &g_sgnr : NULL;
}

static DWORD WINAPI r_name(PCCERT_CONTEXT c, DWORD type, DWORD flags, void *para, LPWSTR out,
                           DWORD cap) {
  static const wchar_t name[] = L"Contoso Chat Ltd";
  (void)flags;
  (void)para;
  assert_ptr_equal(c, &g_ctx);
  assert_int_equal(type, CERT_NAME_SIMPLE_DISPLAY_TYPE);
  assert_true(cap >= sizeof name / sizeof name[0]);
  memcpy(out, name, sizeof name);
  return sizeof name / sizeof name[0];
}

static void test_recorded_wintrust(void **state) {
  (void)state;
  wl_fwp_api with;
  memset(&with, 0, sizeof with);
  with.WinVerifyTrust = r_verify;
  with.WTHelperProvDataFromStateData = r_prov;
  with.WTHelperGetProvSignerFromChain = r_sgnr;
  with.CertGetNameStringW = r_name;
  g_cert.pCert = &g_ctx;
  g_sgnr.csCertChain = 1;
  g_sgnr.pasCertChain = &g_cert;
  use_table(&with);
  wl_engine *e = open_wfp();
  wchar_t wexe[MAX_PATH];
  char exe[WL_PATH_MAX];
  assert_true(GetModuleFileNameW(NULL, wexe, MAX_PATH) > 0);
  wl_fwp_from_wide(wexe, exe, sizeof exe);
  static const struct {
    LONG answer;
    int status;
    const char *name;
  } cases[] = {
      {0, WL_SIGN_SIGNED, "Contoso Chat Ltd"},
      {(LONG)CERT_E_UNTRUSTEDROOT, WL_SIGN_UNTRUSTED, "Contoso Chat Ltd"},
      {(LONG)TRUST_E_NOSIGNATURE, WL_SIGN_UNSIGNED, ""},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    wl_signer sg;
    memset(&W, 0, sizeof W);
    W.answer = cases[i].answer;
    assert_int_equal(wl_engine_signer(e, exe, &sg), WL_OK);
    assert_int_equal(sg.status, cases[i].status);
    assert_string_equal(sg.name, cases[i].name);
    assert_int_equal(W.verifies, 1);
    assert_int_equal(W.closes, 1);
  }
  wl_engine_close(e);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_wine_wintrust),
      cmocka_unit_test(test_recorded_wintrust),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
