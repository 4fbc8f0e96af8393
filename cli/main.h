/* main.h — run the wfplearn command line in-process (the exe and tests call this). */
#ifndef WL_CLI_MAIN_H
#define WL_CLI_MAIN_H
int wl_cli_main(int argc, char **argv); /* returns the process exit code: 0, 1 or 2 */
#endif
