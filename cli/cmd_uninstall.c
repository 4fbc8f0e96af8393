/* cmd_uninstall.c — `wfplearn uninstall`: remove every WFP object of wfplearn (filters of its
 * provider, its sublayer, its provider), release a pending enforce, and put back the engine
 * options the capture changed. Idempotent: a second run finds nothing and succeeds. Refused,
 * changing nothing, while a capture holds the store's capture lock.
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "common/wl_err.h"
#include "capture/capture.h"
#include "engine/engine.h"
#include "store/store.h"
#include "whitelist/apply.h"
#include "whitelist/open.h"

int wl_cmd_uninstall(wl_cli *cli, int argc, char **argv) {
  if (wl_cli_wants_help(argc, argv)) {
    fputs("usage: wfplearn uninstall\n"
          "\n"
          "Remove every WFP object wfplearn added (its filters, sublayer and provider), stop a\n"
          "pending enforce, and restore the net event options capture changed. The store and\n"
          "its rules are kept (delete the file to forget them). Safe to run twice.\n"
          "\n"
          "example:\n"
          "  wfplearn uninstall\n",
          cli->out);
    return WL_OK;
  }
  if (argc > 1)
    return wl_err(WL_E_INVAL, "%s: unknown argument (see uninstall --help)", argv[1]);
  wl_store *s = NULL;
  wl_engine *e = NULL;
  wl_uninstall_report rep = {0};
  int rc = wl_engine_open(wl_cli_engine(cli), 0, &e);
  /* Without a store there is nothing to restore or release, but the engine is cleaned (and no
   * empty store is created). */
  if (!rc && (wl_whitelist_need_store(cli->db_path) != WL_OK ||
              wl_store_open(cli->db_path, NULL, &s) != WL_OK)) {
    fprintf(cli->err, "wfplearn uninstall: warning: %s; engine options not restored\n",
            wl_errmsg());
    s = NULL;
  }
  /* A running capture would go on recording drops only, and its stop would put back options
   * already put back: refused (issue 18). */
  char who[256];
  if (!rc && s && wl_store_capture_holder(s, who, sizeof who) > 0)
    rc = wl_err(WL_E_CONFLICT, "%s: a capture is running on this store (%s); stop it first "
                "(Ctrl+C, or end that process): uninstall would take its engine options away "
                "under it. Nothing was changed", cli->db_path, who);
  if (!rc)
    rc = wl_uninstall(e, s, &rep);
  if (!rc && s)
    rc = wl_capture_restore_saved_options(s, e);
  if (!rc && !rep.filters && !rep.sublayers && !rep.providers && !rep.watchdog_released)
    fprintf(cli->out, "nothing to remove: no wfplearn filter, sublayer or provider in the "
                      "engine%s\n", s ? "; engine options restored" : "");
  else if (!rc)
    fprintf(cli->out,
            "removed %zu filter%s, %zu sublayer, %zu provider%s%s\n", rep.filters,
            rep.filters == 1 ? "" : "s", rep.sublayers, rep.providers,
            rep.watchdog_released ? "; pending enforce released" : "",
            s ? "; engine options restored" : "");
  wl_engine_close(e);
  wl_store_close(s);
  return rc;
}
