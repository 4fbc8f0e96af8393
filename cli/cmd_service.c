/* cmd_service.c — `wfplearn service [--foreground] [--source S]`: what the Windows service
 * control manager runs (the MSI registers "wfplearn.exe service"). The service follows the
 * learning window in the store (service/window.h): at its first start it begins the default
 * 7-day window; afterwards it resumes the window in force, ends it when its time is up, and
 * waits for `learn --for` to start another. On Linux (and with --foreground on Windows) the
 * same loop runs in the console: Ctrl+C/SIGTERM stop it as the SCM's STOP would.
 */
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "common/wl_err.h"
#include "common/wl_os.h"
#include "common/wl_svc.h"
#include "service/service.h"

static void usage(FILE *f) {
  fprintf(f,
          "usage: wfplearn service [--foreground] [--source wfp|sim:TRAFFIC] [--no-window]\n"
          "       wfplearn service --remove-data | --path-add | --path-remove\n"
          "\n"
          "Run as the wfplearn service: capture into the store while a learning window is\n"
          "active, resume it after restarts, end it by itself. Started by the Windows service\n"
          "manager (installed by the MSI); elsewhere, or with --foreground, in the console.\n"
          "\n"
          "  --foreground   Windows: run in this console instead of under the service manager\n"
          "  --source S     what to capture (default wfp; sim:TRAFFIC for tests on the sim)\n"
          "  --no-window    do not begin the default 7-day window when none was ever recorded\n"
          "  --remove-data  delete the store instead (the MSI's uninstall with REMOVE_DATA=1)\n"
          "  --path-add, --path-remove\n"
          "                 put this program's folder in the system PATH, or take it out\n"
          "                 (what the MSI runs; Windows)\n"
          "\n"
          "example:\n"
          "  sc start wfplearn\n"
          "  wfplearn --db svc.db --engine sim:state service --source sim:traffic.jsonl\n");
}

/* The MSI's uninstall with REMOVE_DATA=1: the store and its WAL files go (the service has
 * stopped by then). remove() takes the ANSI code page on Windows: the default store's path
 * (%ProgramData%\wfplearn\wfplearn.db) is ASCII on every Windows the MSI targets. */
static int remove_data(wl_cli *cli) {
  static const char *const suffix[] = {"", "-wal", "-shm"};
  char p[1100];
  int removed = 0;
  for (size_t i = 0; i < sizeof suffix / sizeof suffix[0]; i++) {
    snprintf(p, sizeof p, "%s%s", cli->db_path, suffix[i]);
    removed += remove(p) == 0;
  }
  fprintf(cli->out, "service: %s: %d files removed\n", cli->db_path, removed);
  return WL_OK;
}

/* The MSI's PATH entry: the folder of this exe added to (or taken from) the system PATH. */
static int system_path(wl_cli *cli, int add) {
  char exe[1024];
  int changed = 0, rc = wl_os_exe_path(exe, sizeof exe);
  if (rc != WL_OK)
    return rc;
  char *slash = strrchr(exe, '\\'), *fwd = strrchr(exe, '/');
  if (fwd > slash)
    slash = fwd;
  if (slash)
    *slash = '\0';
  if ((rc = wl_os_system_path(exe, add, &changed)) != WL_OK)
    return rc;
  fprintf(cli->out, "service: PATH %s %s\n", exe,
          !changed ? "unchanged" : add ? "added" : "removed");
  return WL_OK;
}

static int run_body(void *ctx) { return wl_service_run(ctx); }
static void control(void *ctx, wl_os_svc_ctl c) { wl_service_control(ctx, c); }

int wl_cmd_service(wl_cli *cli, int argc, char **argv) {
  wl_service_opts o = {.db_path = cli->db_path, .start_window = 1};
  int foreground = 0, missing = 0;
  const char *v;
  if (wl_cli_wants_help(argc, argv)) {
    usage(cli->out);
    return WL_OK;
  }
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--foreground") == 0)
      foreground = 1;
    else if (strcmp(argv[i], "--remove-data") == 0)
      return remove_data(cli);
    else if (strcmp(argv[i], "--path-add") == 0 || strcmp(argv[i], "--path-remove") == 0)
      return system_path(cli, strcmp(argv[i], "--path-add") == 0);
    else if (strcmp(argv[i], "--no-window") == 0)
      o.start_window = 0;
    else if ((v = wl_cli_opt(argc, argv, &i, "--source", &missing)))
      o.source = v;
    else
      return wl_err(WL_E_INVAL, "%s: %s (see wfplearn service --help)", argv[i],
                    missing ? "needs a value" : "unknown option");
  }
  o.engine_spec = wl_cli_engine(cli);
  /* delayed start, restart on failure, PRESHUTDOWN time: the installer's standard tables
   * cannot say them; where there is no SCM (POSIX, a console) this fails and changes nothing */
  int crc = wl_os_service_configure(WL_SERVICE_NAME, WL_SERVICE_STOP_HINT_MS);
  if (crc != WL_OK && crc != WL_E_UNSUPPORTED && !foreground)
    wl_os_event_log(WL_SERVICE_NAME, WL_OS_LOG_WARNING, wl_errmsg());
  wl_err_clear();
  wl_service *s = NULL;
  int rc = wl_service_create(&o, &s);
  if (rc != WL_OK)
    return rc;
  wl_os_service os = {.name = WL_SERVICE_NAME, .run = run_body, .control = control, .ctx = s,
                      .stop_wait_hint_ms = WL_SERVICE_STOP_HINT_MS};
  rc = wl_os_service_main(&os, foreground);
  wl_service_destroy(s);
  return rc;
}
