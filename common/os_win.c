/* os_win.c — the wl_os.h contract (and the two clocks of wl_text.h) on Windows.
 *
 * Everything the portable core asks of Windows outside engine/fwpuclnt/: processes (CreateProcessW with a
 * correctly quoted command line, TerminateProcess), Ctrl+C and console close
 * (SetConsoleCtrlHandler), a protected DACL for Administrators and SYSTEM on the database and
 * state files (SDDL via ConvertStringSecurityDescriptorToSecurityDescriptorW, applied with
 * SetNamedSecurityInfoW), and file identity (GetFileInformationByHandle). Paths cross this
 * boundary as UTF-8 and are widened here; Win32 errors are translated to WL_E_* here, with
 * the API name and the Win32 code in the message. Links with advapi32 (see CMakeLists.txt).
 */
#ifndef _WIN32_WINNT
#define _WIN32_WINNT 0x0A00 /* CMake sets it; this keeps a bare compile working */
#endif
#ifndef UNICODE
#define UNICODE
#endif
#include <windows.h>

#include <aclapi.h>
#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <sddl.h>
#include <shellapi.h>
#include <shlobj.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/wl_err.h"
#include "common/wl_os.h"
#include "common/wl_text.h"

#define WL_OS_WPATH_MAX 32768  /* UNICODE_STRING limit, in wide characters */
#define WL_OS_CMDLINE_MAX 32767 /* CreateProcessW lpCommandLine limit, in wide characters */
#define WL_OS_CLOSE_GRACE_MS 4000 /* console close: time left to the main thread to clean up */

static int win_code(DWORD e) {
  switch (e) {
  case ERROR_FILE_NOT_FOUND:
  case ERROR_PATH_NOT_FOUND:
  case ERROR_INVALID_NAME:
  case ERROR_INVALID_PARAMETER: return WL_E_NOTFOUND;
  case ERROR_ACCESS_DENIED:
  case ERROR_PRIVILEGE_NOT_HELD: return WL_E_PERM;
  case ERROR_NOT_ENOUGH_MEMORY:
  case ERROR_OUTOFMEMORY: return WL_E_NOMEM;
  case ERROR_DISK_FULL:
  case ERROR_HANDLE_DISK_FULL: return WL_E_NOSPACE;
  case ERROR_WRITE_PROTECT: return WL_E_READONLY;
  case ERROR_SHARING_VIOLATION:
  case ERROR_LOCK_VIOLATION: return WL_E_BUSY;
  default: return WL_E_IO;
  }
}

static int win_err(const char *api, const char *what, DWORD e) {
  return wl_err(win_code(e), "%s(%s): Win32 error %lu", api, what ? what : "", (unsigned long)e);
}

/* UTF-8 -> newly allocated UTF-16 (free()), or NULL with the error set. */
static wchar_t *widen(const char *s) {
  int n = MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, s, -1, NULL, 0);
  if (n <= 0 || n > WL_OS_WPATH_MAX) {
    wl_err(WL_E_INVAL, "\"%.80s\": not valid UTF-8 or longer than %d characters", s,
           WL_OS_WPATH_MAX);
    return NULL;
  }
  wchar_t *w = malloc((size_t)n * sizeof *w);
  if (!w) {
    wl_err(WL_E_NOMEM, "widen: out of memory");
    return NULL;
  }
  MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, s, -1, w, n);
  return w;
}

/* ---------------------------------------------------------------- clocks, sleep, pids */

static uint64_t ft_ticks(FILETIME ft) {
  return (uint64_t)ft.dwHighDateTime << 32 | ft.dwLowDateTime;
}

/* GetSystemTimePreciseAsFileTime is Windows 8 / Server 2012 or later ("Minimum supported
 * client: Windows 8", learn.microsoft.com/windows/win32/api/sysinfoapi/
 * nf-sysinfoapi-getsystemtimepreciseasfiletime); a static import would stop wfplearn.exe from
 * loading on Windows 7 at all (scripts/checks/win7-imports.sh refuses one). So it is looked up
 * once in kernel32 and, where missing, GetSystemTimeAsFileTime (Windows 2000+, the clock-tick
 * resolution) stands in. Racing first calls store the same pointer. */
typedef VOID(WINAPI *wl_filetime_fn)(LPFILETIME);
static _Atomic(wl_filetime_fn) g_now_fn;

static wl_filetime_fn now_fn(void) {
  wl_filetime_fn f = atomic_load(&g_now_fn);
  if (f)
    return f;
  HMODULE k = GetModuleHandleW(L"kernel32.dll");
  FARPROC p = k ? GetProcAddress(k, "GetSystemTimePreciseAsFileTime") : NULL;
  if (p)
    memcpy(&f, &p, sizeof f);
  else
    f = GetSystemTimeAsFileTime;
  atomic_store(&g_now_fn, f);
  return f;
}

uint64_t wl_time_now(void) {
  FILETIME ft;
  now_fn()(&ft);
  return ft_ticks(ft);
}

uint64_t wl_time_mono_ns(void) {
  static _Atomic uint64_t freq; /* racing first calls store the same value */
  LARGE_INTEGER c, fq;
  uint64_t f = atomic_load(&freq);
  if (!f) {
    QueryPerformanceFrequency(&fq); /* fixed at boot, never 0 on XP and later */
    f = (uint64_t)fq.QuadPart;
    atomic_store(&freq, f);
  }
  QueryPerformanceCounter(&c);
  uint64_t v = (uint64_t)c.QuadPart;
  return v / f * 1000000000ULL + v % f * 1000000000ULL / f;
}

void wl_sleep_ms(unsigned ms) { Sleep(ms); }

uint32_t wl_os_pid(void) { return (uint32_t)GetCurrentProcessId(); }

int wl_os_hostname(char *out, size_t cap) {
  wchar_t w[256];
  DWORD n = (DWORD)(sizeof w / sizeof w[0]);
  assert(cap > 1);
  if (!GetComputerNameExW(ComputerNameDnsHostname, w, &n) ||
      WideCharToMultiByte(CP_UTF8, 0, w, -1, out, (int)cap, NULL, NULL) <= 0) {
    unsigned long err = GetLastError();
    wl_strlcpy(out, "?", cap);
    return wl_err(WL_E_IO, "GetComputerNameExW: error %lu", err);
  }
  return WL_OK;
}

int wl_os_pid_alive(uint32_t pid) {
  if (pid == 0)
    return 0;
  HANDLE h = OpenProcess(SYNCHRONIZE | PROCESS_QUERY_LIMITED_INFORMATION, FALSE, pid);
  if (!h)
    return GetLastError() == ERROR_ACCESS_DENIED; /* exists but is not ours to open */
  int alive = WaitForSingleObject(h, 0) == WAIT_TIMEOUT;
  CloseHandle(h);
  return alive;
}

int wl_os_pid_start(uint32_t pid, uint64_t *start) {
  FILETIME created, exited, kernel, user;
  *start = 0;
  HANDLE h = pid ? OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, FALSE, pid) : NULL;
  if (!h) {
    DWORD err = pid ? GetLastError() : ERROR_INVALID_PARAMETER;
    if (err == ERROR_INVALID_PARAMETER)
      return wl_err(WL_E_NOTFOUND, "process %u: no such process", (unsigned)pid);
    return win_err("OpenProcess", "PROCESS_QUERY_LIMITED_INFORMATION", err);
  }
  int rc = WL_OK;
  if (GetProcessTimes(h, &created, &exited, &kernel, &user))
    *start = ft_ticks(created);
  else
    rc = win_err("GetProcessTimes", "", GetLastError());
  CloseHandle(h);
  return rc;
}

int wl_os_kill(uint32_t pid) {
  int rc = WL_OK;
  HANDLE h = OpenProcess(PROCESS_TERMINATE, FALSE, pid);
  if (!h)
    return win_err("OpenProcess", "PROCESS_TERMINATE", GetLastError());
  if (!TerminateProcess(h, 1))
    rc = win_err("TerminateProcess", "", GetLastError());
  CloseHandle(h);
  return rc;
}

/* ---------------------------------------------------------------- spawn */

/* Appends one argument quoted the way CommandLineToArgvW and the CRT read it back:
 * backslashes are literal unless they precede a quote, where they are doubled. */
static int quote_arg(char *cmd, size_t cap, size_t *n, const char *arg) {
#define PUTC(c) \
  do {          \
    if (*n + 1 >= cap) \
      return -1; \
    cmd[(*n)++] = (c); \
  } while (0)
  if (*n)
    PUTC(' ');
  if (*arg && !strpbrk(arg, " \t\n\v\"")) {
    for (const char *p = arg; *p; p++)
      PUTC(*p);
    cmd[*n] = 0;
    return 0;
  }
  PUTC('"');
  for (const char *p = arg;; p++) {
    size_t bs = 0;
    while (*p == '\\')
      p++, bs++;
    size_t reps = !*p ? 2 * bs : *p == '"' ? 2 * bs + 1 : bs;
    for (size_t k = 0; k < reps; k++)
      PUTC('\\');
    if (!*p)
      break;
    PUTC(*p);
  }
  PUTC('"');
#undef PUTC
  cmd[*n] = 0;
  return 0;
}

/* argv quoted into one newly allocated UTF-16 command line (free()), at most
 * WL_OS_CMDLINE_MAX characters. */
static int command_line(char *const argv[], wchar_t **wcmd) {
  size_t n = 0, cap = 4 * WL_OS_CMDLINE_MAX; /* UTF-8 bytes; re-checked once widened */
  int rc = WL_OK;
  char *cmd = malloc(cap);
  *wcmd = NULL;
  if (!cmd)
    return wl_err(WL_E_NOMEM, "wl_os_spawn: out of memory");
  cmd[0] = 0;
  for (size_t i = 0; argv[i] && !rc; i++)
    if (quote_arg(cmd, cap, &n, argv[i]))
      rc = WL_E_TOOBIG;
  if (!rc && !(*wcmd = widen(cmd)))
    rc = WL_E_INVAL;
  else if (!rc && wcslen(*wcmd) > WL_OS_CMDLINE_MAX)
    rc = WL_E_TOOBIG;
  if (rc == WL_E_TOOBIG)
    wl_err(rc, "wl_os_spawn(%s): command line longer than %d characters", argv[0],
           WL_OS_CMDLINE_MAX);
  free(cmd);
  return rc;
}

static HANDLE open_inheritable(const wchar_t *path, DWORD access, DWORD disposition) {
  SECURITY_ATTRIBUTES sa = {sizeof sa, NULL, TRUE};
  return CreateFileW(path, access, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, &sa,
                     disposition, FILE_ATTRIBUTE_NORMAL, NULL);
}

/* Only the two handles in the list are inherited (PROC_THREAD_ATTRIBUTE_HANDLE_LIST), so the
 * child cannot keep our database or log files open. */
static int create_detached(wchar_t *app, wchar_t *cmd, HANDLE in, HANDLE out, uint32_t *pid) {
  STARTUPINFOEXW si;
  PROCESS_INFORMATION pi;
  SIZE_T size = 0;
  HANDLE list[2] = {in, out};
  int rc = WL_OK;
  memset(&si, 0, sizeof si);
  si.StartupInfo.cb = sizeof si;
  si.StartupInfo.dwFlags = STARTF_USESTDHANDLES;
  si.StartupInfo.hStdInput = in;
  si.StartupInfo.hStdOutput = si.StartupInfo.hStdError = out;
  InitializeProcThreadAttributeList(NULL, 1, 0, &size);
  si.lpAttributeList = malloc(size);
  if (!si.lpAttributeList)
    return wl_err(WL_E_NOMEM, "wl_os_spawn: out of memory");
  if (!InitializeProcThreadAttributeList(si.lpAttributeList, 1, 0, &size)) {
    rc = win_err("InitializeProcThreadAttributeList", "", GetLastError());
    free(si.lpAttributeList);
    return rc;
  }
  if (!UpdateProcThreadAttribute(si.lpAttributeList, 0, PROC_THREAD_ATTRIBUTE_HANDLE_LIST, list,
                                 sizeof list, NULL, NULL))
    rc = win_err("UpdateProcThreadAttribute", "HANDLE_LIST", GetLastError());
  else if (!CreateProcessW(app, cmd, NULL, NULL, TRUE,
                           DETACHED_PROCESS | CREATE_NEW_PROCESS_GROUP |
                               EXTENDED_STARTUPINFO_PRESENT,
                           NULL, NULL, &si.StartupInfo, &pi))
    rc = win_err("CreateProcessW", "", GetLastError());
  else {
    *pid = (uint32_t)pi.dwProcessId;
    CloseHandle(pi.hThread);
    CloseHandle(pi.hProcess);
  }
  DeleteProcThreadAttributeList(si.lpAttributeList);
  free(si.lpAttributeList);
  return rc;
}

int wl_os_spawn(char *const argv[], const char *log_path, uint32_t *pid) {
  wchar_t *wapp = NULL, *wcmd = NULL, *wlog = NULL;
  HANDLE in = INVALID_HANDLE_VALUE, out = INVALID_HANDLE_VALUE;
  int rc = WL_OK;
  if (!argv || !argv[0] || !pid)
    return wl_err(WL_E_INVAL, "wl_os_spawn: NULL argument");
  if ((rc = command_line(argv, &wcmd)))
    goto out;
  if (!(wapp = widen(argv[0])) || (log_path && !(wlog = widen(log_path)))) {
    rc = WL_E_INVAL;
    goto out;
  }
  DWORD attr = wlog ? GetFileAttributesW(wlog) : INVALID_FILE_ATTRIBUTES;
  if (attr != INVALID_FILE_ATTRIBUTES && (attr & FILE_ATTRIBUTE_REPARSE_POINT)) {
    rc = wl_err(WL_E_PERM, "%s: a symbolic link; wfplearn does not write through links",
                log_path); /* issue 18; POSIX: O_NOFOLLOW */
    goto out;
  }
  in = open_inheritable(L"NUL", GENERIC_READ, OPEN_EXISTING);
  out = wlog ? open_inheritable(wlog, FILE_APPEND_DATA, OPEN_ALWAYS)
             : open_inheritable(L"NUL", GENERIC_WRITE, OPEN_EXISTING);
  if (in == INVALID_HANDLE_VALUE || out == INVALID_HANDLE_VALUE) {
    rc = win_err("CreateFileW", log_path ? log_path : "NUL", GetLastError());
    goto out;
  }
  rc = create_detached(wapp, wcmd, in, out, pid);
  if (rc)
    wl_err_prefix(rc, "wl_os_spawn(%s)", argv[0]);
out:
  if (in != INVALID_HANDLE_VALUE)
    CloseHandle(in);
  if (out != INVALID_HANDLE_VALUE)
    CloseHandle(out);
  free(wlog);
  free(wcmd);
  free(wapp);
  return rc;
}

int wl_os_exe_path(char *out, size_t cap) {
  int rc = WL_OK;
  if (!out || !cap || cap > INT_MAX)
    return wl_err(WL_E_INVAL, "wl_os_exe_path: no buffer");
  wchar_t *w = malloc(WL_OS_WPATH_MAX * sizeof *w);
  if (!w)
    return wl_err(WL_E_NOMEM, "wl_os_exe_path: out of memory");
  DWORD n = GetModuleFileNameW(NULL, w, WL_OS_WPATH_MAX);
  if (n == 0 || n >= WL_OS_WPATH_MAX) {
    rc = win_err("GetModuleFileNameW", "", GetLastError());
    goto out;
  }
  if (WideCharToMultiByte(CP_UTF8, 0, w, -1, out, (int)cap, NULL, NULL) <= 0) {
    out[0] = 0;
    rc = wl_err(WL_E_FULL, "wl_os_exe_path: path longer than %u bytes", (unsigned)cap);
  }
out:
  free(w);
  return rc;
}

/* ---------------------------------------------------------------- interrupt */

static void (*_Atomic intr_fn)(void *);
static void *_Atomic intr_ctx;
static atomic_int intr_installed;

/* Runs on a thread the system creates. Ctrl+C/Break: the flag is set and we carry on. Close,
 * logoff, shutdown: Windows ends the process when this returns, so it waits a little to let
 * the main thread see the flag, flush and exit by itself. */
static BOOL WINAPI ctrl_handler(DWORD type) {
  void (*fn)(void *) = atomic_load(&intr_fn);
  if (!fn)
    return FALSE; /* default handling */
  fn(atomic_load(&intr_ctx));
  if (type == CTRL_CLOSE_EVENT || type == CTRL_LOGOFF_EVENT || type == CTRL_SHUTDOWN_EVENT)
    Sleep(WL_OS_CLOSE_GRACE_MS);
  return TRUE;
}

int wl_os_on_interrupt(void (*fn)(void *ctx), void *ctx) {
  atomic_store(&intr_fn, NULL); /* never the old fn with the new ctx */
  atomic_store(&intr_ctx, ctx);
  atomic_store(&intr_fn, fn);
  if (fn && !atomic_exchange(&intr_installed, 1) && !SetConsoleCtrlHandler(ctrl_handler, TRUE)) {
    atomic_store(&intr_installed, 0);
    return win_err("SetConsoleCtrlHandler", "", GetLastError());
  }
  return WL_OK;
}

/* ---------------------------------------------------------------- files */

/* Protected (no inherited ACEs) DACL: full access for BUILTIN\Administrators and SYSTEM. */
#define WL_OS_RESTRICT_SDDL L"D:P(A;;FA;;;BA)(A;;FA;;;SY)"

int wl_os_restrict_file(const char *path) {
  PSECURITY_DESCRIPTOR sd = NULL;
  PACL dacl = NULL;
  BOOL present = FALSE, defaulted = FALSE;
  int rc = WL_OK;
  if (!path)
    return wl_err(WL_E_INVAL, "wl_os_restrict_file: NULL path");
  wchar_t *w = widen(path);
  if (!w)
    return WL_E_INVAL;
  if (!ConvertStringSecurityDescriptorToSecurityDescriptorW(WL_OS_RESTRICT_SDDL, SDDL_REVISION_1,
                                                            &sd, NULL)) {
    rc = win_err("ConvertStringSecurityDescriptorToSecurityDescriptorW", path, GetLastError());
    goto out;
  }
  if (!GetSecurityDescriptorDacl(sd, &present, &dacl, &defaulted) || !present) {
    rc = win_err("GetSecurityDescriptorDacl", path, GetLastError());
    goto out;
  }
  DWORD e = SetNamedSecurityInfoW(w, SE_FILE_OBJECT,
                                  DACL_SECURITY_INFORMATION | PROTECTED_DACL_SECURITY_INFORMATION,
                                  NULL, NULL, dacl, NULL);
  if (e != ERROR_SUCCESS)
    rc = win_err("SetNamedSecurityInfoW", path, e);
out:
  if (sd)
    LocalFree(sd);
  free(w);
  return rc;
}

/* ---------------------------------------------------------------- the default store path */

/* The folder's security: owner Administrators, protected DACL for Administrators and SYSTEM,
 * inherited by files and folders created in it (OICI), so the store and its -journal/-wal files
 * start restricted. ProgramData lets Users create folders, so a folder that exists already may
 * have been made by someone else: its owner and DACL are set anew, and when that fails the
 * folder is not used. */
#define WL_OS_DIR_SDDL L"O:BAD:P(A;OICI;FA;;;BA)(A;OICI;FA;;;SY)"

static int secure_dir(const wchar_t *dir, const char *what) {
  PSECURITY_DESCRIPTOR sd = NULL;
  PACL dacl = NULL;
  PSID owner = NULL;
  BOOL present = FALSE, defaulted = FALSE;
  int rc = WL_OK;
  if (!ConvertStringSecurityDescriptorToSecurityDescriptorW(WL_OS_DIR_SDDL, SDDL_REVISION_1, &sd,
                                                            NULL))
    return win_err("ConvertStringSecurityDescriptorToSecurityDescriptorW", what, GetLastError());
  if (!GetSecurityDescriptorDacl(sd, &present, &dacl, &defaulted) || !present ||
      !GetSecurityDescriptorOwner(sd, &owner, &defaulted)) {
    rc = win_err("GetSecurityDescriptorDacl", what, GetLastError());
    goto out;
  }
  SECURITY_ATTRIBUTES sa = {sizeof sa, sd, FALSE};
  if (CreateDirectoryW(dir, &sa))
    goto out; /* made with it */
  DWORD e = GetLastError();
  if (e != ERROR_ALREADY_EXISTS) {
    rc = win_err("CreateDirectoryW", what, e);
    goto out;
  }
  e = SetNamedSecurityInfoW((LPWSTR)dir, SE_FILE_OBJECT,
                            OWNER_SECURITY_INFORMATION | DACL_SECURITY_INFORMATION |
                                PROTECTED_DACL_SECURITY_INFORMATION,
                            owner, NULL, dacl, NULL);
  if (e != ERROR_SUCCESS)
    rc = win_err("SetNamedSecurityInfoW", what, e);
out:
  LocalFree(sd);
  return rc;
}

/* %ProgramData% as a malloc'd wide string: the known folder (Vista+, shell32), else the
 * variable. */
static wchar_t *program_data(void) {
  PWSTR p = NULL;
  wchar_t *w = NULL;
  if (SUCCEEDED(SHGetKnownFolderPath(&FOLDERID_ProgramData, 0, NULL, &p)))
    w = _wcsdup(p);
  CoTaskMemFree(p); /* "even if the call fails" (SHGetKnownFolderPath's reference page) */
  if (w)
    return w;
  DWORD n = GetEnvironmentVariableW(L"ProgramData", NULL, 0);
  w = n ? malloc(n * sizeof *w) : NULL;
  if (w && GetEnvironmentVariableW(L"ProgramData", w, n) + 1 != n) {
    free(w);
    w = NULL;
  }
  return w;
}

int wl_os_default_db_path(char *out, size_t cap, int create) {
  int rc = WL_OK;
  if (!out || !cap || cap > INT_MAX)
    return wl_err(WL_E_INVAL, "wl_os_default_db_path: no buffer");
  out[0] = 0;
  wchar_t *base = program_data();
  if (!base)
    return wl_err(WL_E_NOTFOUND, "the ProgramData folder: not found (use --db PATH)");
  size_t n = wcslen(base) + sizeof "\\wfplearn\\wfplearn.db";
  wchar_t *w = malloc(n * sizeof *w);
  if (!w) {
    free(base);
    return wl_err(WL_E_NOMEM, "wl_os_default_db_path: out of memory");
  }
  _snwprintf(w, n, L"%ls\\wfplearn", base);
  w[n - 1] = 0;
  if (create)
    rc = secure_dir(w, "%ProgramData%\\wfplearn");
  if (!rc) {
    wcscat(w, L"\\wfplearn.db");
    if (WideCharToMultiByte(CP_UTF8, 0, w, -1, out, (int)cap, NULL, NULL) <= 0) {
      out[0] = 0;
      rc = wl_err(WL_E_FULL, "wl_os_default_db_path: path longer than %u bytes", (unsigned)cap);
    }
  }
  free(w);
  free(base);
  return rc;
}

int wl_os_file_id(const char *path, wl_file_id *out) {
  BY_HANDLE_FILE_INFORMATION fi;
  int rc = WL_OK;
  if (!path || !out)
    return wl_err(WL_E_INVAL, "wl_os_file_id: NULL argument");
  wchar_t *w = widen(path);
  if (!w)
    return WL_E_INVAL;
  HANDLE h = CreateFileW(w, FILE_READ_ATTRIBUTES,
                         FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, NULL,
                         OPEN_EXISTING, FILE_FLAG_BACKUP_SEMANTICS, NULL);
  free(w);
  if (h == INVALID_HANDLE_VALUE)
    return win_err("CreateFileW", path, GetLastError());
  if (!GetFileInformationByHandle(h, &fi)) {
    rc = win_err("GetFileInformationByHandle", path, GetLastError());
  } else {
    out->dev = fi.dwVolumeSerialNumber;
    out->ino = (uint64_t)fi.nFileIndexHigh << 32 | fi.nFileIndexLow;
    out->size = (uint64_t)fi.nFileSizeHigh << 32 | fi.nFileSizeLow;
    out->mtime = ft_ticks(fi.ftLastWriteTime);
  }
  CloseHandle(h);
  return rc;
}

/* GetDiskFreeSpaceExW wants a directory; for a file we retry with its parent (or, for a bare
 * name, the current directory's disk). */
int wl_os_writable(const char *path) {
  FILE *f = NULL;
  int rc = wl_os_fopen(path, "r+b", &f);
  if (f)
    fclose(f);
  wl_err_clear();
  return rc == WL_OK || rc == WL_E_NOTFOUND ? rc : WL_E_READONLY;
}

int wl_os_is_dir(const char *path) {
  wchar_t *w = widen(path);
  if (!w) {
    wl_err_clear();
    return 0;
  }
  DWORD a = GetFileAttributesW(w);
  free(w);
  return a != INVALID_FILE_ATTRIBUTES && (a & FILE_ATTRIBUTE_DIRECTORY);
}

int wl_os_free_bytes(const char *path, uint64_t *out) {
  ULARGE_INTEGER avail;
  if (!path || !out)
    return wl_err(WL_E_INVAL, "wl_os_free_bytes: NULL argument");
  wchar_t *w = widen(path);
  if (!w)
    return WL_E_INVAL;
  BOOL ok = GetDiskFreeSpaceExW(w, &avail, NULL, NULL);
  if (!ok) {
    wchar_t *slash = wcsrchr(w, L'\\'), *fwd = wcsrchr(w, L'/');
    if (fwd > slash)
      slash = fwd;
    if (slash)
      slash[1] = 0;
    ok = GetDiskFreeSpaceExW(slash ? w : NULL, &avail, NULL, NULL); /* NULL: current disk */
  }
  DWORD e = GetLastError();
  free(w);
  if (!ok)
    return win_err("GetDiskFreeSpaceExW", path, e);
  *out = avail.QuadPart;
  return WL_OK;
}

/* _wfopen sets errno like fopen (ENOENT, EACCES, ...). */
int wl_os_utf8_args(int *argc, char ***argv) {
  int n = 0;
  LPWSTR *w = CommandLineToArgvW(GetCommandLineW(), &n);
  if (!w)
    return wl_err(WL_E_INTERNAL, "CommandLineToArgvW: error %lu", GetLastError());
  size_t bytes = ((size_t)n + 1) * sizeof(char *);
  for (int i = 0; i < n; i++)
    bytes += (size_t)WideCharToMultiByte(CP_UTF8, 0, w[i], -1, NULL, 0, NULL, NULL);
  char **out = malloc(bytes); /* one block, kept for the life of the process */
  if (!out) {
    LocalFree(w);
    return wl_err(WL_E_NOMEM, "command line: out of memory");
  }
  char *p = (char *)(out + n + 1), *end = (char *)out + bytes;
  for (int i = 0; i < n; i++) {
    out[i] = p;
    p += WideCharToMultiByte(CP_UTF8, 0, w[i], -1, p, (int)(end - p), NULL, NULL);
  }
  out[n] = NULL;
  LocalFree(w);
  SetConsoleOutputCP(CP_UTF8);
  *argc = n;
  *argv = out;
  return WL_OK;
}

int wl_os_fopen(const char *path, const char *mode, FILE **out) {
  wchar_t wmode[8];
  size_t i = 0;
  if (!out)
    return wl_err(WL_E_INVAL, "wl_os_fopen: NULL argument");
  *out = NULL;
  if (!path || !mode || strlen(mode) >= sizeof wmode / sizeof wmode[0])
    return wl_err(WL_E_INVAL, "wl_os_fopen: NULL argument or mode too long");
  for (; mode[i]; i++)
    wmode[i] = (wchar_t)(unsigned char)mode[i];
  wmode[i] = 0;
  wchar_t *w = widen(path);
  if (!w)
    return WL_E_INVAL;
  /* never write through a symbolic link or junction (issue 18; POSIX: O_NOFOLLOW) */
  int writes = mode[0] != 'r' || strchr(mode, '+') != NULL;
  DWORD attr = writes ? GetFileAttributesW(w) : INVALID_FILE_ATTRIBUTES;
  if (attr != INVALID_FILE_ATTRIBUTES && (attr & FILE_ATTRIBUTE_REPARSE_POINT)) {
    free(w);
    return wl_err(WL_E_PERM, "%s: a symbolic link; wfplearn does not write through links", path);
  }
  *out = _wfopen(w, wmode);
  int e = errno;
  free(w);
  if (*out)
    return WL_OK;
  int rc = wl_err(e == ENOENT ? WL_E_NOTFOUND : e == EACCES ? WL_E_PERM : WL_E_IO,
                  "_wfopen(%s): %s (errno %d)", path, strerror(e), e);
  errno = e; /* callers may look closer */
  return rc;
}
