/* wfplearn_main.c — the process entry point; everything else is in the wl_cli library so
 * tests can run commands in-process. */
#include "cli/main.h"

int main(int argc, char **argv) { return wl_cli_main(argc, argv); }
