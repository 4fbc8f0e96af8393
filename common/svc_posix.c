/* svc_posix.c — wl_svc.h on POSIX: no service manager to talk to (systemd runs a foreground
 * process), so the body runs here, SIGINT/SIGTERM are a stop, and log lines go to stderr.
 */
#include "common/wl_svc.h"

#include <stdio.h>

#include "common/wl_err.h"
#include "common/wl_os.h"

static const wl_os_service *current;

static void on_signal(void *ctx) {
  (void)ctx;
  if (current && current->control)
    current->control(current->ctx, WL_OS_SVC_STOP);
}

int wl_os_service_main(const wl_os_service *s, int foreground) {
  (void)foreground;
  current = s;
  wl_os_on_interrupt(on_signal, NULL);
  int rc = s->run(s->ctx);
  current = NULL;
  return rc;
}

void wl_os_service_stopping(unsigned wait_hint_ms) { (void)wait_hint_ms; }

int wl_os_service_configure(const char *name, unsigned preshutdown_ms) {
  (void)preshutdown_ms;
  return wl_err(WL_E_UNSUPPORTED, "%s: services are configured by the init system here", name);
}

int wl_os_system_path(const char *dir, int add, int *changed) {
  (void)add;
  *changed = 0;
  return wl_err(WL_E_UNSUPPORTED, "%s: the system PATH is the installer's business here", dir);
}

void wl_os_event_log(const char *source, int level, const char *line) {
  static const char *const lv[] = {"", "warning: ", "error: "};
  fprintf(stderr, "%s: %s%s\n", source, lv[level >= 0 && level <= 2 ? level : 0], line);
  fflush(stderr);
}
