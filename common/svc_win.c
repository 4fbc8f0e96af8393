/* svc_win.c — wl_svc.h on Windows: the thin glue between the service control manager and the
 * portable service (service/). The SCM calls ServiceMain on a thread of its dispatcher; the
 * control handler runs on the dispatcher's thread and only reports STOP_PENDING and forwards
 * the control to the body's flags. Accepted: STOP, SHUTDOWN, PRESHUTDOWN (so a long flush is
 * not cut short at shutdown) and POWEREVENT (suspend/resume). SetServiceStatus calls are
 * serialised by one lock (the handler and the body both report). Event Log entries use source
 * `wfplearn`, registered by the installer.
 */
#include "common/wl_svc.h"

#include <windows.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "common/wl_err.h"
#include "common/wl_os.h"
#include "common/wl_thread.h"

#define SVC_NAME_MAX 64
#define SVC_LINE_MAX 2048 /* wide characters of one Event Log line */

static const wl_os_service *current;
static SERVICE_STATUS_HANDLE status_handle;
static SERVICE_STATUS status;
static wl_mutex status_lock = WL_MUTEX_INIT;
static int body_rc;

static void widen_into(const char *s, wchar_t *out, int cap) {
  if (MultiByteToWideChar(CP_UTF8, 0, s, -1, out, cap) <= 0)
    out[0] = L'\0';
  out[cap - 1] = L'\0';
}

static void report(DWORD state, DWORD exit_code, DWORD specific, DWORD wait_hint) {
  wl_mutex_lock(&status_lock);
  status.dwServiceType = SERVICE_WIN32_OWN_PROCESS;
  status.dwCurrentState = state;
  status.dwControlsAccepted =
      state == SERVICE_RUNNING ? SERVICE_ACCEPT_STOP | SERVICE_ACCEPT_SHUTDOWN |
                                     SERVICE_ACCEPT_PRESHUTDOWN | SERVICE_ACCEPT_POWEREVENT
                               : 0;
  status.dwWin32ExitCode = exit_code;
  status.dwServiceSpecificExitCode = specific;
  status.dwWaitHint = wait_hint;
  status.dwCheckPoint =
      state == SERVICE_RUNNING || state == SERVICE_STOPPED ? 0 : status.dwCheckPoint + 1;
  if (status_handle)
    SetServiceStatus(status_handle, &status);
  wl_mutex_unlock(&status_lock);
}

void wl_os_service_stopping(unsigned wait_hint_ms) {
  if (status_handle)
    report(SERVICE_STOP_PENDING, NO_ERROR, 0, wait_hint_ms);
}

static DWORD WINAPI handler(DWORD ctl, DWORD type, LPVOID data, LPVOID ctx) {
  (void)data;
  (void)ctx;
  const wl_os_service *s = current;
  wl_os_svc_ctl c = 0;
  switch (ctl) {
  case SERVICE_CONTROL_STOP: c = WL_OS_SVC_STOP; break;
  case SERVICE_CONTROL_SHUTDOWN: c = WL_OS_SVC_SHUTDOWN; break;
  case SERVICE_CONTROL_PRESHUTDOWN: c = WL_OS_SVC_PRESHUTDOWN; break;
  case SERVICE_CONTROL_POWEREVENT:
    if (type == PBT_APMSUSPEND)
      c = WL_OS_SVC_SUSPEND;
    else if (type == PBT_APMRESUMEAUTOMATIC || type == PBT_APMRESUMESUSPEND)
      c = WL_OS_SVC_RESUME;
    break;
  case SERVICE_CONTROL_INTERROGATE: return NO_ERROR;
  default: return ERROR_CALL_NOT_IMPLEMENTED;
  }
  if (c == WL_OS_SVC_STOP || c == WL_OS_SVC_SHUTDOWN || c == WL_OS_SVC_PRESHUTDOWN)
    wl_os_service_stopping(s ? s->stop_wait_hint_ms : 30000);
  if (c && s && s->control)
    s->control(s->ctx, c);
  return NO_ERROR;
}

static void WINAPI service_main(DWORD argc, LPWSTR *argv) {
  (void)argc;
  (void)argv;
  const wl_os_service *s = current;
  wchar_t name[SVC_NAME_MAX];
  widen_into(s->name, name, SVC_NAME_MAX);
  status_handle = RegisterServiceCtrlHandlerExW(name, handler, NULL);
  if (!status_handle) {
    body_rc = wl_err(WL_E_IO, "RegisterServiceCtrlHandlerExW: Win32 error %lu",
                     (unsigned long)GetLastError());
    return;
  }
  report(SERVICE_START_PENDING, NO_ERROR, 0, 10000);
  report(SERVICE_RUNNING, NO_ERROR, 0, 0);
  body_rc = s->run(s->ctx);
  /* a failure exit makes the SCM's recovery restart us (failure actions on non-crash) */
  report(SERVICE_STOPPED, body_rc ? ERROR_SERVICE_SPECIFIC_ERROR : NO_ERROR,
         body_rc ? (DWORD)-body_rc : 0, 0);
}

static void on_console_stop(void *ctx) {
  const wl_os_service *s = ctx;
  if (s->control)
    s->control(s->ctx, WL_OS_SVC_STOP);
}

int wl_os_service_main(const wl_os_service *s, int foreground) {
  wchar_t name[SVC_NAME_MAX];
  widen_into(s->name, name, SVC_NAME_MAX);
  SERVICE_TABLE_ENTRYW table[] = {{name, service_main}, {NULL, NULL}};
  current = s;
  if (foreground) { /* never ask the SCM (wine's dispatcher waits for it instead of failing) */
    wl_os_on_interrupt(on_console_stop, (void *)s);
    return s->run(s->ctx);
  }
  if (StartServiceCtrlDispatcherW(table))
    return body_rc;
  DWORD e = GetLastError();
  if (e == ERROR_FAILED_SERVICE_CONTROLLER_CONNECT)
    return wl_err(WL_E_UNSUPPORTED, "not started by the service manager (sc start %s), "
                  "or add --foreground", s->name);
  return wl_err(WL_E_IO, "StartServiceCtrlDispatcherW: Win32 error %lu", (unsigned long)e);
}

static int config2(SC_HANDLE h, DWORD level, void *info, const char *what) {
  if (ChangeServiceConfig2W(h, level, info))
    return WL_OK;
  return wl_err(WL_E_IO, "ChangeServiceConfig2W(%s): Win32 error %lu", what,
                (unsigned long)GetLastError());
}

int wl_os_service_configure(const char *name, unsigned preshutdown_ms) {
  wchar_t wname[SVC_NAME_MAX];
  widen_into(name, wname, SVC_NAME_MAX);
  SC_HANDLE scm = OpenSCManagerW(NULL, NULL, SC_MANAGER_CONNECT);
  if (!scm)
    return wl_err(WL_E_PERM, "OpenSCManagerW: Win32 error %lu", (unsigned long)GetLastError());
  SC_HANDLE h = OpenServiceW(scm, wname, SERVICE_CHANGE_CONFIG | SERVICE_START);
  if (!h) {
    DWORD e = GetLastError();
    CloseServiceHandle(scm);
    return wl_err(WL_E_PERM, "OpenServiceW(%s): Win32 error %lu", name, (unsigned long)e);
  }
  SC_ACTION acts[3] = {{SC_ACTION_RESTART, 5000}, {SC_ACTION_RESTART, 30000},
                       {SC_ACTION_RESTART, 60000}};
  SERVICE_FAILURE_ACTIONSW fa = {.dwResetPeriod = 24 * 3600, .cActions = 3, .lpsaActions = acts};
  SERVICE_FAILURE_ACTIONS_FLAG flag = {.fFailureActionsOnNonCrashFailures = TRUE};
  SERVICE_DELAYED_AUTO_START_INFO delayed = {.fDelayedAutostart = TRUE};
  SERVICE_PRESHUTDOWN_INFO pre = {.dwPreshutdownTimeout = preshutdown_ms};
  int rc = WL_OK, r;
  if ((r = config2(h, SERVICE_CONFIG_DELAYED_AUTO_START_INFO, &delayed, "delayed start")))
    rc = rc ? rc : r;
  if ((r = config2(h, SERVICE_CONFIG_FAILURE_ACTIONS, &fa, "failure actions")))
    rc = rc ? rc : r;
  if ((r = config2(h, SERVICE_CONFIG_FAILURE_ACTIONS_FLAG, &flag, "failure actions flag")))
    rc = rc ? rc : r;
  if ((r = config2(h, SERVICE_CONFIG_PRESHUTDOWN_INFO, &pre, "preshutdown")))
    rc = rc ? rc : r;
  CloseServiceHandle(h);
  CloseServiceHandle(scm);
  return rc;
}

#define PATH_KEY L"SYSTEM\\CurrentControlSet\\Control\\Session Manager\\Environment"
#define PATH_MAX_W 32767

/* One PATH entry equals dir: without case, ignoring trailing backslashes. */
static int same_dir(const wchar_t *entry, size_t n, const wchar_t *dir, size_t dn) {
  while (n && entry[n - 1] == L'\\')
    n--;
  return n == dn && _wcsnicmp(entry, dir, n) == 0;
}

/* Append entry (n characters) to the ';'-list out of *len characters, within PATH_MAX_W. */
static int path_append(wchar_t *out, size_t *len, const wchar_t *entry, size_t n) {
  if (*len + n + 2 > PATH_MAX_W)
    return WL_E_TOOBIG;
  if (*len)
    out[(*len)++] = L';';
  wmemcpy(out + *len, entry, n);
  *len += n;
  out[*len] = L'\0';
  return WL_OK;
}

/* cur without the entries equal to dir, plus dir when add, into out (PATH_MAX_W + 1). */
static int path_rebuild(const wchar_t *cur, const wchar_t *dir, int add, wchar_t *out) {
  size_t dn = wcslen(dir), len = 0;
  out[0] = L'\0';
  for (const wchar_t *p = cur; *p;) {
    const wchar_t *e = wcschr(p, L';');
    size_t n = e ? (size_t)(e - p) : wcslen(p);
    if (n && !same_dir(p, n, dir, dn) && path_append(out, &len, p, n) != WL_OK)
      return WL_E_TOOBIG;
    p += n + (e != NULL);
  }
  return add ? path_append(out, &len, dir, dn) : WL_OK;
}

int wl_os_system_path(const char *dir, int add, int *changed) {
  wchar_t wdir[MAX_PATH];
  HKEY k = NULL;
  DWORD type = REG_EXPAND_SZ, size = (PATH_MAX_W + 1) * sizeof(wchar_t);
  wchar_t *cur = calloc(2 * (PATH_MAX_W + 1), sizeof(wchar_t)), *next = cur + PATH_MAX_W + 1;
  int rc = WL_OK;
  *changed = 0;
  if (!cur)
    return wl_err(WL_E_NOMEM, "wl_os_system_path: out of memory");
  widen_into(dir, wdir, MAX_PATH);
  for (size_t n = wcslen(wdir); n > 3 && wdir[n - 1] == L'\\'; n--)
    wdir[n - 1] = L'\0';
  LSTATUS e = RegOpenKeyExW(HKEY_LOCAL_MACHINE, PATH_KEY, 0, KEY_QUERY_VALUE | KEY_SET_VALUE, &k);
  if (e == ERROR_SUCCESS) {
    e = RegQueryValueExW(k, L"Path", NULL, &type, (BYTE *)cur, &size);
    if (e == ERROR_FILE_NOT_FOUND) {
      cur[0] = L'\0';
      e = ERROR_SUCCESS;
    }
  }
  if (e != ERROR_SUCCESS) {
    rc = wl_err(e == ERROR_ACCESS_DENIED ? WL_E_PERM : WL_E_IO,
                "the system PATH: Win32 error %lu", (unsigned long)e);
    goto out;
  }
  cur[PATH_MAX_W] = L'\0';
  if ((rc = path_rebuild(cur, wdir, add, next)) != WL_OK) {
    rc = wl_err(rc, "the system PATH would be longer than %d characters", PATH_MAX_W);
    goto out;
  }
  if (wcscmp(cur, next) == 0)
    goto out;
  e = RegSetValueExW(k, L"Path", 0, type == REG_SZ ? REG_SZ : REG_EXPAND_SZ, (const BYTE *)next,
                     (DWORD)((wcslen(next) + 1) * sizeof(wchar_t)));
  if (e != ERROR_SUCCESS) {
    rc = wl_err(WL_E_IO, "setting the system PATH: Win32 error %lu", (unsigned long)e);
    goto out;
  }
  *changed = 1;
  SendMessageTimeoutW(HWND_BROADCAST, WM_SETTINGCHANGE, 0, (LPARAM)L"Environment",
                      SMTO_ABORTIFHUNG, 5000, NULL);
out:
  if (k)
    RegCloseKey(k);
  free(cur);
  return rc;
}

void wl_os_event_log(const char *source, int level, const char *line) {
  static const WORD types[] = {EVENTLOG_INFORMATION_TYPE, EVENTLOG_WARNING_TYPE,
                               EVENTLOG_ERROR_TYPE};
  wchar_t wsrc[SVC_NAME_MAX], wline[SVC_LINE_MAX];
  widen_into(source, wsrc, SVC_NAME_MAX);
  widen_into(line, wline, SVC_LINE_MAX);
  HANDLE h = RegisterEventSourceW(NULL, wsrc);
  if (h) {
    LPCWSTR strings[1] = {wline};
    ReportEventW(h, types[level >= 0 && level <= 2 ? level : 0], 0, 1, NULL, 1, 0, strings,
                 NULL);
    DeregisterEventSource(h);
  }
  if (!current || !status_handle) { /* in a console too: say it where it can be seen */
    fprintf(stderr, "%s: %s\n", source, line);
    fflush(stderr);
  }
}
