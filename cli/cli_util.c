/* cli_util.c — small helpers shared by the commands: option values, --help detection. */
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "common/wl_err.h"
#include "common/wl_json.h"
#include "ui/report.h"
#include "whitelist/apply.h"

int wl_cli_wants_help(int argc, char **argv) {
  for (int i = 1; i < argc; i++)
    if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
      return 1;
  return 0;
}

const char *wl_cli_opt(int argc, char **argv, int *i, const char *name, int *missing) {
  size_t n = strlen(name);
  const char *a = argv[*i];
  if (strncmp(a, name, n) != 0)
    return NULL;
  if (a[n] == '=')
    return a + n + 1;
  if (a[n] != '\0')
    return NULL;
  if (*i + 1 >= argc) {
    if (missing)
      *missing = 1;
    return NULL;
  }
  *i += 1;
  return argv[*i];
}

int wl_cli_isatty(FILE *f) { return isatty(fileno(f)); }

/* The engine a command opens unless --engine says otherwise: on Windows the real one.
 * WL_DEFAULT_ENGINE comes from CMake, which knows the platform. */
const char *wl_cli_default_engine(void) { return WL_DEFAULT_ENGINE; }

int wl_cli_real_engine_default(void) { return strcmp(WL_DEFAULT_ENGINE, "wfp") == 0; }

const char *wl_cli_engine(wl_cli *cli) {
  if (!cli->sim_noted && wl_cli_real_engine_default() && strncmp(cli->engine_spec, "sim", 3) == 0) {
    cli->sim_noted = 1;
    fprintf(cli->err, "wfplearn: simulated engine (%s): Windows' firewall is not touched\n",
            cli->engine_spec);
  }
  return cli->engine_spec;
}

/* ---------------------------------------------------------------- sublayer weights */

void wl_cli_print_sublayers(FILE *f, wl_engine *e, int json) {
  wl_sublayer_weight w[WL_SUBLAYER_REPORT_MAX];
  size_t n = 0;
  int rc = e ? wl_sublayers_report(e, w, &n) : WL_E_UNSUPPORTED;
  if (json) {
    wl_report_sublayers(f, e); /* the same member as the page's /api/status */
    return;
  }
  if (rc) {
    fprintf(f, "sublayers not read: %s\n", wl_errmsg());
    return;
  }
  fputs("sublayers", f);
  for (size_t i = 0; i < n; i++) {
    if (w[i].present)
      fprintf(f, "%s %s 0x%04x", i ? "," : "", w[i].name, (unsigned)w[i].weight);
    else
      fprintf(f, "%s %s -", i ? "," : "", w[i].name);
  }
  fputs("\n", f);
}

/* D before the newest event in the store (a copied store reads the same), or an absolute time. */
int wl_cli_since(wl_store *s, const char *v, uint64_t *since) {
  uint64_t d = 0;
  if (wl_time_parse(v, strlen(v), since) == WL_OK)
    return WL_OK;
  if (wl_duration_parse(v, &d))
    return wl_err(WL_E_INVAL, "--since %s: expected a duration (2d, 12h) or an RFC 3339 time", v);
  wl_store_stats st;
  int rc = wl_store_stats_get(s, &st);
  if (rc)
    return rc;
  *since = st.last_ts > d ? st.last_ts - d : 0;
  return WL_OK;
}
