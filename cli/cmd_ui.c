/* cmd_ui.c — `wfplearn ui [--port N] [--no-browser]`: serve the review page (ui/ui.h) on
 * 127.0.0.1 until Ctrl+C. The first line on stdout is the URL with its token, for people and
 * for scripts that start it; the token is printed nowhere else.
 */
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "common/wl_err.h"
#include "common/wl_os.h"
#include "ui/ui.h"
#include "ui/ui_os.h"
#include "whitelist/open.h"

static volatile int g_stop;

static void on_interrupt(void *ctx) {
  (void)ctx;
  g_stop = 1;
}

static void usage(FILE *f) {
  fprintf(f,
          "usage: wfplearn ui [--port N] [--no-browser]\n"
          "\n"
          "Serve the review page on 127.0.0.1: proposals with their evidence and timeline, one\n"
          "click to allow, the rules with revoke, enforce with a countdown and confirm. The\n"
          "first line printed is the page's URL with a fresh token (only that URL opens it);\n"
          "Ctrl+C stops the server. The JSON API behind it is described in docs/ui.md.\n"
          "\n"
          "  --port N       listen on port N (default 0: a free port)\n"
          "  --no-browser   only print the URL; do not start the default browser\n"
          "\n"
          "example:\n"
          "  wfplearn --db week.db ui --port 8080 --no-browser\n");
}

static int parse(int argc, char **argv, wl_ui_opts *o, int *browser) {
  int missing = 0;
  for (int i = 1; i < argc; i++) {
    const char *v;
    char *end = NULL;
    if (!strcmp(argv[i], "--no-browser")) {
      *browser = 0;
    } else if ((v = wl_cli_opt(argc, argv, &i, "--port", &missing)) != NULL) {
      long p = strtol(v, &end, 10);
      if (!*v || *end || p < 0 || p > 65535)
        return wl_err(WL_E_INVAL, "--port %s: expected 0 to 65535", v);
      o->port = (uint16_t)p;
    } else {
      return wl_err(WL_E_INVAL, "%s: %s (see ui --help)", argv[i],
                    missing ? "needs a value" : "unknown argument");
    }
  }
  return WL_OK;
}

int wl_cmd_ui(wl_cli *cli, int argc, char **argv) {
  wl_ui_opts o = {cli->db_path, NULL, 0};
  wl_ui *u = NULL;
  int browser = 1;
  if (wl_cli_wants_help(argc, argv)) {
    usage(cli->out);
    return WL_OK;
  }
  int rc = parse(argc, argv, &o, &browser);
  if (!rc)
    rc = wl_whitelist_need_store(cli->db_path);
  if (!rc) {
    o.engine_spec = wl_cli_engine(cli);
    rc = wl_ui_start(&o, &u);
  }
  if (rc)
    return rc;
  g_stop = 0;
  wl_os_on_interrupt(on_interrupt, NULL);
  fprintf(cli->out, "%s\n", wl_ui_url(u));
  fflush(cli->out);
  if (browser && wl_ui_open_browser(wl_ui_url(u)) != WL_OK) {
    fprintf(cli->err, "wfplearn ui: no browser started (%s): open the URL above\n", wl_errmsg());
    wl_err_clear();
  }
  fprintf(cli->err, "wfplearn ui: serving on 127.0.0.1:%u; Ctrl+C stops\n",
          (unsigned)wl_ui_port(u));
  while (!g_stop)
    wl_sleep_ms(100);
  wl_ui_stop(u);
  fprintf(cli->err, "wfplearn ui: stopped\n");
  return WL_OK;
}
