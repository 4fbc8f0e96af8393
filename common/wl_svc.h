/* wl_svc.h — the OS layer's part for running as a system service and writing to the system's
 * log. Windows (common/svc_win.c): the service control manager (StartServiceCtrlDispatcherW,
 * a control handler for STOP, SHUTDOWN, PRESHUTDOWN and POWERBROADCAST, SetServiceStatus with
 * wait hints) and the Event Log (ReportEventW). POSIX (common/svc_posix.c): the body runs in
 * the foreground, SIGINT/SIGTERM become a stop, log lines go to stderr. The service's logic is
 * portable (service/); only this glue knows the SCM.
 */
#ifndef WL_SVC_H
#define WL_SVC_H

#include <stddef.h>

typedef enum wl_os_svc_ctl {
  WL_OS_SVC_STOP = 1,
  WL_OS_SVC_SHUTDOWN,
  WL_OS_SVC_PRESHUTDOWN,
  WL_OS_SVC_SUSPEND, /* PBT_APMSUSPEND: the machine is going to sleep */
  WL_OS_SVC_RESUME,  /* PBT_APMRESUMEAUTOMATIC / PBT_APMRESUMESUSPEND */
} wl_os_svc_ctl;

typedef struct wl_os_service {
  const char *name;            /* the service's name ("wfplearn") */
  int (*run)(void *ctx);       /* the body: returns WL_OK or a WL_E_* code when it ends */
  /* Called on the OS's thread (Windows: the dispatcher; POSIX: a signal context): only set
   * flags. */
  void (*control)(void *ctx, wl_os_svc_ctl c);
  void *ctx;
  unsigned stop_wait_hint_ms;  /* how long a stop may take (the SCM's wait hint) */
} wl_os_service;

/* Run s as the OS's service; returns when the body has returned, with its result. Windows:
 * foreground runs the body in the console (Ctrl+C is a stop) without asking the SCM; else a
 * process the service control manager did not start gets WL_E_UNSUPPORTED. POSIX: always in
 * the foreground. */
int wl_os_service_main(const wl_os_service *s, int foreground);
/* Tell the service manager a stop is under way and may take wait_hint_ms more (each call
 * advances the checkpoint). No-op outside a service. */
void wl_os_service_stopping(unsigned wait_hint_ms);
/* Configure the installed service `name` the way the installer cannot say with standard MSI
 * tables: automatic delayed start, restart on failure (5 s, 30 s, 60 s; counter reset after a
 * day, also for a non-crash exit with an error), and the PRESHUTDOWN timeout. Windows only
 * (POSIX: WL_E_UNSUPPORTED); each part is tried, the first failure returned. */
int wl_os_service_configure(const char *name, unsigned preshutdown_ms);

/* Add dir to the system PATH (add=1) or take it out (add=0): Windows edits
 * HKLM\SYSTEM\CurrentControlSet\Control\Session Manager\Environment\Path (entries compared
 * without case and trailing '\', nothing else touched, at most 32767 characters) and
 * broadcasts WM_SETTINGCHANGE "Environment"; *changed says whether it had to. POSIX:
 * WL_E_UNSUPPORTED. */
int wl_os_system_path(const char *dir, int add, int *changed);

#define WL_OS_LOG_INFO 0
#define WL_OS_LOG_WARNING 1
#define WL_OS_LOG_ERROR 2
/* One entry in the system's log under `source` (Windows: the Application log, event id 1,
 * the line as its only string; POSIX: "source: line" on stderr). Never fails loudly. */
void wl_os_event_log(const char *source, int level, const char *line);

#endif
