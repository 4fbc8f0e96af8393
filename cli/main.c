/* main.c — global options, the command table, and the one place where an error becomes a line
 * on stderr and an exit code (0 ok, 1 user error, 2 internal or platform error). */
#include "cli/main.h"

#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "common/wl_err.h"
#include "common/wl_os.h"

#define WL_CLI_PATH_MAX 1024 /* the default store path, UTF-8 */

#ifndef WL_VERSION /* from project(VERSION) in CMakeLists.txt */
#error "WL_VERSION is set by the build (CMakeLists.txt project VERSION)"
#endif

static const wl_cmd commands[] = {
    {"learn", wl_cmd_learn, "capture connections into the store (wfp, replay:FILE, sim:TRAFFIC)"},
    {"import", wl_cmd_import, "load Windows logs (secjson, evtxml, pfirewall) into the store"},
    {"status", wl_cmd_status, "mode, capture state, events, drops, apps, flows, rules, size"},
    {"review", wl_cmd_review, "numbered proposals: what was seen and is not yet allowed"},
    {"promote", wl_cmd_promote, "turn proposals into permit rules (or temporary ones), atomically"},
    {"rules", wl_cmd_rules, "list the whitelist rules and their filters"},
    {"revoke", wl_cmd_revoke, "remove rules and their filters"},
    {"verify", wl_cmd_verify, "compare the rules with the filters the engine really has"},
    {"enforce", wl_cmd_enforce, "default block with the whitelist as exceptions"},
    {"confirm", wl_cmd_confirm, "keep the pending enforce policy"},
    {"relax", wl_cmd_relax, "remove the default block, back to learn"},
    {"export", wl_cmd_export, "write the policy (JSON) or Windows Firewall rules (ps1, netsh, "
                              "Intune)"},
    {"import-policy", wl_cmd_import_policy, "merge a policy file, all or nothing"},
    {"ui", wl_cmd_ui, "serve the review page on 127.0.0.1 (allow, revoke, enforce by click)"},
    {"merge-policy", wl_cmd_merge_policy, "many machines' policies into one baseline"},
    {"service", wl_cmd_service, "run as the wfplearn service (the service manager starts it)"},
    {"uninstall", wl_cmd_uninstall, "remove every WFP object of wfplearn and restore options"},
    {"watchdog", wl_cmd_watchdog, NULL}, /* internal */
};

static void usage(FILE *f) {
  char db[WL_CLI_PATH_MAX];
  if (wl_os_default_db_path(db, sizeof db, 0) != WL_OK) /* only shown: nothing made */
    snprintf(db, sizeof db, "%s", "wfplearn.db");
  fprintf(f,
          "usage: wfplearn [--db PATH] [--engine wfp|sim[:STATE]] COMMAND [ARGS]\n"
          "\n"
          "Learn what a Windows machine talks to, review it, and turn it into a WFP whitelist.\n"
          "\n"
          "commands:\n");
  for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
    if (commands[i].summary)
      fprintf(f, "  %-14s %s\n", commands[i].name, commands[i].summary);
  fprintf(f,
          "\n"
          "options:\n"
          "  --db PATH        the store (default: %s)\n"
          "  --engine SPEC    wfp (Windows), sim or sim:STATEFILE (default: %s; on Windows\n"
          "                   the simulated engine only as sim:STATEFILE)\n"
          "  --version        print the version\n"
          "  -h, --help       this text; COMMAND --help (or help COMMAND) for each command\n"
          "\n"
          "example:\n"
          "  wfplearn --db week.db learn --source sim:traffic.jsonl && wfplearn --db week.db "
          "review\n",
          db, wl_cli_default_engine());
}

static const wl_cmd *find_command(const char *name) {
  for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
    if (strcmp(commands[i].name, name) == 0)
      return &commands[i];
  return NULL;
}

int wl_cli_main(int argc, char **argv) {
  wl_cli cli = {0};
  cli.out = stdout;
  cli.err = stderr;
  /* Nothing from the environment (issue 12 item 7): an elevated prompt inherits the user's
   * variables, and a variable that silently switched Windows to the simulated engine would make
   * every command a no-op on the real firewall. */
  cli.db_path = NULL; /* the OS layer's default, below */
  cli.engine_spec = wl_cli_default_engine();

  int i = 1;
  for (; i < argc && argv[i][0] == '-'; i++) {
    int missing = 0;
    const char *v;
    if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
      usage(stdout);
      return 0;
    } else if (strcmp(argv[i], "--version") == 0) {
      printf("wfplearn %s\n", WL_VERSION);
      return 0;
    } else if ((v = wl_cli_opt(argc, argv, &i, "--db", &missing)) != NULL) {
      cli.db_path = v;
    } else if ((v = wl_cli_opt(argc, argv, &i, "--engine", &missing)) != NULL) {
      cli.engine_spec = v;
    } else {
      fprintf(stderr, "wfplearn: %s: %s\n", argv[i],
              missing ? "needs a value" : "unknown option (see wfplearn --help)");
      return 1;
    }
  }
  if (i >= argc) {
    usage(stderr);
    return 1;
  }
  if (wl_cli_real_engine_default() && strcmp(cli.engine_spec, "sim") == 0) {
    fprintf(stderr, "wfplearn: --engine sim: name the simulated engine's state file here "
                    "(--engine sim:STATE)\n");
    return 1;
  }
  char db_default[WL_CLI_PATH_MAX];
  if (!cli.db_path) {
    /* ./wfplearn.db on POSIX, %ProgramData%\wfplearn\wfplearn.db on Windows (folder made for
     * Administrators and SYSTEM only): wl_os_default_db_path */
    if (wl_os_default_db_path(db_default, sizeof db_default, 1) != WL_OK) {
      fprintf(stderr, "wfplearn: the default store: %s\n", wl_errmsg());
      return 2;
    }
    cli.db_path = db_default;
  }
  int help = strcmp(argv[i], "help") == 0 && i + 1 < argc; /* `help CMD` = `CMD --help` */
  char help_arg[] = "--help", *help_argv[] = {help ? argv[i + 1] : NULL, help_arg, NULL};
  if (strcmp(argv[i], "help") == 0 && !help) {
    usage(stdout);
    return 0;
  }
  const wl_cmd *cmd = find_command(argv[i + help]);
  if (!cmd && help) {
    fprintf(stderr, "wfplearn help: unknown command '%s' (see wfplearn --help)\n", argv[i + 1]);
    return 1;
  }
  if (help)
    return cmd->fn(&cli, 2, help_argv) == WL_OK ? 0 : 2;
  if (!cmd) {
    fprintf(stderr, "wfplearn: unknown command '%s' (see wfplearn --help)\n", argv[i]);
    return 1;
  }
  cli.is_tty = wl_cli_isatty(stderr);
  wl_err_clear();
  wl_cli_expiry_sweep(&cli, argc - i, argv + i); /* temporary rules past their deadline */
  int rc = cmd->fn(&cli, argc - i, argv + i);
  fflush(cli.out);
  if (rc == WL_OK)
    return 0;
  const char *msg = wl_errmsg();
  fprintf(stderr, "wfplearn %s: %s\n", cmd->name, msg[0] ? msg : wl_strerror(rc));
  return wl_err_is_user(rc) ? 1 : 2;
}
