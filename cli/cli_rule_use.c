/* cli_rule_use.c — the command line's side of rule use and temporary rules (issue 15, items 6
 * and 7): the line `rules` prints under each rule (hits, last hit, time left), review's text
 * for unused rules (proposed for revoke), and the expiry sweep every command that opens the
 * store for writing runs first (whitelist/expiry.h: where no service runs, the next command
 * removes what expired).
 */
#include <string.h>

#include "cli/cli.h"
#include "common/wl_err.h"
#include "common/wl_text.h"
#include "store/store.h"
#include "whitelist/expiry.h"
#include "whitelist/open.h"
#include "whitelist/rule_use.h"

void wl_cli_rule_use_text(FILE *f, const wl_rule_row *row, const wl_rule_use *u, uint64_t now) {
  char t[WL_TIME_STR_MAX], left[32];
  if (u->last_hit)
    wl_time_text(u->last_hit, t);
  fprintf(f, "      hits %llu, last %s", (unsigned long long)u->hits,
          u->last_hit ? t : "never");
  if (row->expires) {
    wl_expiry_left_text(row->expires, now, left, sizeof left);
    wl_time_text(row->expires, t);
    if (now >= row->expires)
      fprintf(f, "; expired at %s (removed by the service or the next command)", t);
    else
      fprintf(f, "; expires in %s (%s)", left, t);
  }
  if (u->unused)
    fprintf(f, "; unused for %d days (see review)", WL_RULE_UNUSED_DAYS);
  fputc('\n', f);
}

typedef struct unused_ctx {
  FILE *f;
  size_t n;
} unused_ctx;

static int print_unused(void *ctx, const wl_rule_row *row, const wl_rule_use *u) {
  unused_ctx *c = ctx;
  char t[WL_TIME_STR_MAX];
  if (!u->unused)
    return 0;
  if (!c->n++)
    fprintf(c->f, "\nUnused rules, proposed for revoke (nothing they allow was seen in the %d "
                  "days before the newest event):\n", WL_RULE_UNUSED_DAYS);
  wl_time_text(u->last_hit ? u->last_hit : row->created, t);
  fprintf(c->f, "rule %-4lld %-3s %s%s%s%s%s\n     %s %s; %llu hits in all\n     ! unused: "
          "revoke it with wfplearn revoke %lld (nothing is revoked by itself)\n",
          (long long)row->id, row->dir == WL_DIR_IN ? "in" : "out",
          row->app[0] ? row->app : "(any app)", row->ports[0] ? "  ports " : "", row->ports,
          row->remotes[0] ? "  remotes " : "", row->remotes,
          u->last_hit ? "last used" : "never used; created", t, (unsigned long long)u->hits,
          (long long)row->id);
  return 0;
}

int wl_cli_review_unused(wl_cli *cli, wl_store *s, size_t *n) {
  unused_ctx c = {cli->out, 0};
  int rc = wl_rules_each_use(s, print_unused, &c);
  *n = c.n;
  return rc;
}

static void sweep_log(void *ctx, int warning, const char *line) {
  fprintf(((wl_cli *)ctx)->err, "wfplearn: %s%s\n", warning ? "warning: " : "", line);
}

/* Commands that do not open the store for writing, or must not touch the engine first. */
static int sweeps(const char *cmd) {
  static const char *const skip[] = {"status", "service", "watchdog", "uninstall",
                                     "merge-policy"};
  for (size_t i = 0; i < sizeof skip / sizeof skip[0]; i++)
    if (!strcmp(cmd, skip[i]))
      return 0;
  return 1;
}

void wl_cli_expiry_sweep(wl_cli *cli, int argc, char **argv) {
  wl_store *s = NULL;
  if (!argc || !sweeps(argv[0]) || wl_cli_wants_help(argc, argv) ||
      wl_whitelist_need_store(cli->db_path) != WL_OK ||
      wl_store_open(cli->db_path, NULL, &s) != WL_OK) { /* no store yet, or one the command
                                                         * itself will report on */
    wl_err_clear();
    return;
  }
  if (wl_expiry_sweep(s, NULL, cli->engine_spec, wl_time_now(), sweep_log, cli, NULL) != WL_OK)
    fprintf(cli->err, "wfplearn: warning: expired rules not removed yet: %s\n", wl_errmsg());
  wl_store_close(s);
  wl_err_clear();
}
