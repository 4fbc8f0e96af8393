/* wfplearn_main.c — the process entry point; everything else is in the wl_cli library so
 * tests can run commands in-process. Arguments are made UTF-8 first (Windows passes main() the
 * ANSI code page, which cannot name every file). */
#include "cli/main.h"
#include "common/wl_err.h"
#include "common/wl_os.h"

#include <stdio.h>

int main(int argc, char **argv) {
  if (wl_os_utf8_args(&argc, &argv) != WL_OK) {
    fprintf(stderr, "wfplearn: %s\n", wl_errmsg());
    return 2;
  }
  return wl_cli_main(argc, argv);
}
