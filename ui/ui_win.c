/* ui_win.c — ui/ui_os.h on Windows: BCryptGenRandom, sockaddr_in, a delete-on-close temporary
 * file in %TEMP%, ShellExecuteW for the default browser. */
#include "ui/ui_os.h"

#include <winsock2.h> /* before windows.h, which would pull in the old winsock.h */

#include <windows.h> /* before the headers that need its types */

#include <bcrypt.h>
#include <errno.h>
#include <objbase.h>
#include <shellapi.h>
#include <string.h>

#include "common/wl_err.h"

int wl_ui_random(uint8_t *out, size_t n) {
  NTSTATUS st = BCryptGenRandom(NULL, out, (ULONG)n, BCRYPT_USE_SYSTEM_PREFERRED_RNG);
  return st >= 0 ? WL_OK : wl_err(WL_E_IO, "BCryptGenRandom: 0x%08lx", (unsigned long)st);
}

int wl_ui_loopback_addr(uint16_t port, void *buf, size_t cap, size_t *len) {
  struct sockaddr_in a;
  if (cap < sizeof a)
    return wl_err(WL_E_INVAL, "wl_ui_loopback_addr: buffer too small");
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  memcpy(buf, &a, sizeof a);
  *len = sizeof a;
  return WL_OK;
}

int wl_ui_memfile(FILE **out) {
  wchar_t dir[MAX_PATH + 1], path[MAX_PATH + 1];
  *out = NULL;
  DWORD n = GetTempPathW(MAX_PATH + 1, dir);
  if (!n || n > MAX_PATH)
    return wl_err(WL_E_IO, "GetTempPathW: error %lu", (unsigned long)GetLastError());
  if (!GetTempFileNameW(dir, L"wfl", 0, path))
    return wl_err(WL_E_IO, "GetTempFileNameW: error %lu", (unsigned long)GetLastError());
  *out = _wfopen(path, L"w+bTD"); /* T: short-lived, D: deleted when closed */
  if (!*out) {
    DeleteFileW(path);
    return wl_err(WL_E_IO, "_wfopen(temporary file): errno %d", errno);
  }
  return WL_OK;
}

int wl_ui_open_browser(const char *url) {
  wchar_t w[512];
  if (!MultiByteToWideChar(CP_UTF8, 0, url, -1, w, (int)(sizeof w / sizeof w[0])))
    return wl_err(WL_E_INVAL, "URL too long");
  /* ShellExecute may hand the URL to a shell extension through COM: initialise it first */
  HRESULT co = CoInitializeEx(NULL, COINIT_APARTMENTTHREADED | COINIT_DISABLE_OLE1DDE);
  HINSTANCE h = ShellExecuteW(NULL, L"open", w, NULL, NULL, SW_SHOWNORMAL);
  if (SUCCEEDED(co))
    CoUninitialize();
  return (INT_PTR)h > 32 ? WL_OK
                         : wl_err(WL_E_UNSUPPORTED, "ShellExecuteW: error %ld", (long)(INT_PTR)h);
}
