/* cli.h — what every `wfplearn` command gets, and the command table.
 *
 * main.c parses the global options (--db, --engine), then calls the command's function with the
 * arguments after the command name (argv[0] is the command name). A command returns WL_OK or a
 * WL_E_* code after calling wl_err() with one clear line; main prints that line on stderr as
 * "wfplearn COMMAND: message" and exits 0, 1 (user error) or 2 (internal/platform error).
 * Commands print results to cli->out; `--help` prints the command's usage with an example.
 */
#ifndef WL_CLI_H
#define WL_CLI_H

#include <stdint.h>
#include <stdio.h>

#include "engine/engine.h"
#include "store/store.h"
#include "whitelist/rule_use.h"

typedef struct wl_cli {
  const char *db_path;     /* --db, else "wfplearn.db" (never from the environment) */
  const char *engine_spec; /* --engine, else the platform's default; commands read it through
                            * wl_cli_engine() */
  FILE *out;
  FILE *err;
  int is_tty;              /* stdout/stderr is a terminal: live status lines allowed */
  int sim_noted;           /* wl_cli_engine said "simulated engine" on err already */
} wl_cli;

typedef int (*wl_cmd_fn)(wl_cli *cli, int argc, char **argv);

typedef struct wl_cmd {
  const char *name;
  wl_cmd_fn fn;
  const char *summary; /* one line for `wfplearn --help` */
} wl_cmd;

/* The commands, one file each (cli/cmd_*.c). */
int wl_cmd_learn(wl_cli *cli, int argc, char **argv);
int wl_cmd_import(wl_cli *cli, int argc, char **argv);
int wl_cmd_status(wl_cli *cli, int argc, char **argv);
int wl_cmd_review(wl_cli *cli, int argc, char **argv);
int wl_cmd_promote(wl_cli *cli, int argc, char **argv);
int wl_cmd_rules(wl_cli *cli, int argc, char **argv);
int wl_cmd_revoke(wl_cli *cli, int argc, char **argv);
int wl_cmd_verify(wl_cli *cli, int argc, char **argv);
int wl_cmd_enforce(wl_cli *cli, int argc, char **argv);
int wl_cmd_confirm(wl_cli *cli, int argc, char **argv);
int wl_cmd_relax(wl_cli *cli, int argc, char **argv);
int wl_cmd_export(wl_cli *cli, int argc, char **argv);
int wl_cmd_import_policy(wl_cli *cli, int argc, char **argv);
int wl_cmd_merge_policy(wl_cli *cli, int argc, char **argv);
int wl_cmd_uninstall(wl_cli *cli, int argc, char **argv);
int wl_cmd_ui(wl_cli *cli, int argc, char **argv); /* the review page (cli/cmd_ui.c) */
int wl_cmd_watchdog(wl_cli *cli, int argc, char **argv); /* internal: holds enforce's session */
int wl_cmd_service(wl_cli *cli, int argc, char **argv); /* what the service manager runs */

/* Helpers for commands. */
int wl_cli_wants_help(int argc, char **argv);          /* any "-h"/"--help" among argv */
/* Value of "--name VALUE" or "--name=VALUE" at argv[*i]; advances *i. NULL if not this option.
 * Sets *missing when the option is present without a value. */
const char *wl_cli_opt(int argc, char **argv, int *i, const char *name, int *missing);
/* The platform's default engine spec ("wfp" on Windows, "sim" elsewhere). */
const char *wl_cli_default_engine(void);
/* 1 where the default engine is the real WFP (Windows): there the sim is only ever chosen by an
 * explicit --engine sim:STATE, and each command that opens it says so. */
int wl_cli_real_engine_default(void);
/* The engine spec a command opens. Where the real WFP is the default and the spec is the sim,
 * the first call says so on cli->err ("simulated engine ...: Windows' firewall is not
 * touched"), once per command. */
const char *wl_cli_engine(wl_cli *cli);
/* The sublayer weights (ours and Windows Firewall's, whitelist/apply.h wl_sublayers_report):
 * "sublayers  wfplearn 0xf000, MPSSVC_WF 0x1000, ..." (absent ones as "-"), or, with json, a
 * ",\"sublayers\":{...}" member (null when absent). When the engine cannot be read, the line
 * says why and the member is null. e may be NULL (not opened: err says why). */
void wl_cli_print_sublayers(FILE *f, wl_engine *e, int json);
/* review's last section (cli_held.c, issue 19 item 3): long-lived connections seen only in the
 * connection tables, no event covering them, as table-only evidence; nothing when none. */
void wl_cli_print_held(FILE *f, wl_store *s);
int wl_cli_isatty(FILE *f);
/* --since V: D before the newest event in the store (2d, 12h), or an RFC 3339 time; WL_E_INVAL
 * with a message naming V otherwise (review, enforce --dry-run). */
int wl_cli_since(wl_store *s, const char *v, uint64_t *since);

/* cli_rule_use.c (issue 15, items 6 and 7). The line under each rule of `rules`: hits, last
 * hit, time left of a temporary rule, "unused". */
void wl_cli_rule_use_text(FILE *f, const wl_rule_row *row, const wl_rule_use *u, uint64_t now);
/* review's text for the unused rules (proposed for revoke), after the proposals. */
int wl_cli_review_unused(wl_cli *cli, wl_store *s, size_t *n);
/* Before a command runs (main.c): remove the temporary rules past their deadline (argv[0] is
 * the command). Not for --help, status, service, watchdog, uninstall, merge-policy, nor
 * without a store; a failure is a warning on cli->err and the command runs anyway. */
void wl_cli_expiry_sweep(wl_cli *cli, int argc, char **argv);

#endif
