/* cmd_uninstall.c — placeholder until its module lands: says so and fails. */
#include "cli/cli.h"
#include "common/wl_err.h"

int wl_cmd_uninstall(wl_cli *cli, int argc, char **argv) {
  (void)cli; (void)argc; (void)argv;
  return wl_err(WL_E_UNSUPPORTED, "not built yet");
}
