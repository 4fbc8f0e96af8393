/* cmd_rules.c — `wfplearn rules` (list the whitelist), `revoke` (remove rules and their
 * filters) and `verify` (compare the rules with the filters the engine really has; --repair).
 */
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "common/wl_err.h"
#include "common/wl_json.h"
#include "store/store.h"
#include "ui/report.h"
#include "whitelist/apply.h"
#include "whitelist/open.h"
#include "whitelist/rule.h"

#define REVOKE_MAX_IDS 256

/* ---------------------------------------------------------------- rules */

static void rules_usage(FILE *f) {
  fprintf(f,
          "usage: wfplearn rules [--json]\n"
          "\n"
          "List the whitelist: each rule's app, direction, protocol, ports, remotes, user or\n"
          "package, where it came from, and the keys of the WFP filters that implement it;\n"
          "under it how many connections it allowed (hits) and when last, and for a\n"
          "temporary rule (promote --for) the time left.\n"
          "\n"
          "  --json   an array of rules (id, app, dir, proto, ports, remotes, filters, hits,\n"
          "           last_hit, unused, expires, expires_in_s, ...)\n"
          "\n"
          "example:\n"
          "  wfplearn rules --json > rules.json\n");
}

typedef struct list_ctx {
  FILE *f;
  int json;
  size_t n;
  wl_rule *r;
} list_ctx;

static int list_cb(void *ctx, const wl_rule_row *row, const wl_rule_use *u) {
  list_ctx *c = ctx;
  if (wl_rule_from_row(row, c->r) != WL_OK) { /* show it anyway; verify explains */
    memset(c->r, 0, sizeof *c->r);
    wl_err_clear();
  }
  if (c->json) {
    fputs(c->n ? ",\n " : "[", c->f);
    wl_report_rule(c->f, row, c->r, u);
  } else {
    size_t nf = row->filters[0] ? 1 : 0;
    for (const char *p = row->filters; *p; p++)
      nf += *p == ',';
    fprintf(c->f, "#%-4lld %-3s %-6s %s%s%s%s%s%s%s  [%s, %zu filter%s]\n", (long long)row->id,
            row->dir == WL_DIR_IN ? "in" : "out",
            row->proto < 0 ? "any" : row->proto == 6 ? "tcp" : row->proto == 17 ? "udp" : "ip",
            row->app[0] ? row->app : "(any app)", row->ports[0] ? "  ports " : "", row->ports,
            row->remotes[0] ? "  remotes " : "", row->remotes, row->user[0] ? "  user " : "",
            row->user, row->origin, nf, nf == 1 ? "" : "s");
    wl_cli_rule_use_text(c->f, row, u, wl_time_now()); /* hits, last hit, time left */
    wl_report_rule_rebind_text(c->f, row); /* app updates (whitelist/rebind.h) */
  }
  c->n++;
  return 0;
}

int wl_cmd_rules(wl_cli *cli, int argc, char **argv) {
  int json = 0;
  if (wl_cli_wants_help(argc, argv)) {
    rules_usage(cli->out);
    return WL_OK;
  }
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--json"))
      json = 1;
    else
      return wl_err(WL_E_INVAL, "%s: unknown argument (see rules --help)", argv[i]);
  }
  wl_store *s = NULL;
  list_ctx c = {cli->out, json, 0, malloc(sizeof(wl_rule))};
  int rc = c.r ? wl_whitelist_need_store(cli->db_path) : wl_err(WL_E_NOMEM, "out of memory");
  if (!rc)
    rc = wl_whitelist_open(cli->db_path, NULL, 0, &s, NULL);
  if (!rc)
    rc = wl_rules_each_use(s, list_cb, &c);
  if (!rc && json)
    fputs(c.n ? "]\n" : "[]\n", cli->out);
  else if (!rc && !c.n)
    fputs("no rules yet (see wfplearn review, then promote)\n", cli->out);
  wl_store_close(s);
  free(c.r);
  return rc;
}

/* ---------------------------------------------------------------- revoke */

int wl_cmd_revoke(wl_cli *cli, int argc, char **argv) {
  if (wl_cli_wants_help(argc, argv)) {
    fprintf(cli->out,
            "usage: wfplearn revoke RULE...\n"
            "\n"
            "Remove rules and their WFP filters, all of them or none. Under enforce, what they\n"
            "allowed is blocked again (and shows up in review).\n"
            "\n"
            "example:\n"
            "  wfplearn revoke 3 4\n");
    return WL_OK;
  }
  int64_t ids[REVOKE_MAX_IDS];
  size_t n = 0;
  for (int i = 1; i < argc; i++) {
    char *end = NULL;
    long long v = strtoll(argv[i], &end, 10);
    if (argv[i][0] == '-' || end == argv[i] || *end || v < 1)
      return wl_err(WL_E_INVAL, "%s: not a rule id (see wfplearn rules)", argv[i]);
    int dup = 0;
    for (size_t k = 0; k < n; k++)
      dup |= ids[k] == v;
    if (!dup && n == REVOKE_MAX_IDS)
      return wl_err(WL_E_TOOBIG, "at most %d rules at once", REVOKE_MAX_IDS);
    if (!dup)
      ids[n++] = v;
  }
  if (!n)
    return wl_err(WL_E_INVAL, "which rules? (see wfplearn rules)");
  wl_store *s = NULL;
  wl_engine *e = NULL;
  int rc = wl_whitelist_need_store(cli->db_path);
  if (!rc)
    rc = wl_whitelist_open(cli->db_path, wl_cli_engine(cli), 0, &s, &e);
  if (!rc)
    rc = wl_rules_revoke(e, s, ids, n);
  for (size_t i = 0; !rc && i < n; i++)
    fprintf(cli->out, "revoked rule %lld\n", (long long)ids[i]);
  wl_engine_close(e);
  wl_store_close(s);
  return rc;
}

/* ---------------------------------------------------------------- verify */

static const char *issue_name(int kind) {
  switch (kind) {
  case WL_ISSUE_MISSING: return "missing";
  case WL_ISSUE_ALTERED: return "altered";
  case WL_ISSUE_ORPHAN: return "orphan";
  case WL_ISSUE_UNRESOLVED: return "unresolved";
  case WL_ISSUE_BLOCK: return "block-missing";
  case WL_ISSUE_APPID: return "app-id-moved";
  default: return "?";
  }
}

static void print_issues(FILE *f, const wl_verify_report *r) {
  for (size_t i = 0; i < r->n_issues; i++) {
    const wl_issue *x = &r->issues[i];
    char g[WL_GUID_STR_MAX] = "";
    if (x->key.d1 || x->key.d2 || x->key.d3)
      wl_guid_format(&x->key, g);
    if (x->rule_id)
      fprintf(f, "%-13s rule %lld %s %s%s\n", issue_name(x->kind), (long long)x->rule_id, g,
              x->what, x->lost ? " (and its filters are gone)" : "");
    else
      fprintf(f, "%-13s %s %s\n", issue_name(x->kind), g, x->what);
  }
  if (r->issues_total > r->n_issues)
    fprintf(f, "... and %zu more\n", r->issues_total - r->n_issues);
}

/* Print the report; after a repair, verify again and report what is left. */
static int verify_report(wl_cli *cli, wl_engine *e, wl_store *s, int flags,
                         wl_verify_report *rep) {
  int rc = WL_OK, repair = flags & WL_VERIFY_REPAIR;
  print_issues(cli->out, rep);
  fprintf(cli->out, "%zu rules, %zu of %zu filters present, %zu problem%s\n", rep->rules,
          rep->filters_found, rep->filters_expected, rep->issues_total,
          rep->issues_total == 1 ? "" : "s");
  wl_cli_print_sublayers(cli->out, e, 0);
  if (repair && rep->issues_total) {
    size_t fixed = rep->repaired;
    if ((rc = wl_rules_verify(e, s, 0, rep)) != WL_OK)
      return rc;
    fprintf(cli->out, "repaired %zu; %zu problem%s left\n", fixed, rep->issues_total,
            rep->issues_total == 1 ? "" : "s");
  }
  if (rep->issues_total)
    rc = wl_err(WL_E_CONFLICT, "%u problem%s between the rules and the engine%s",
                (unsigned)rep->issues_total, rep->issues_total == 1 ? "" : "s",
                repair ? " could not be repaired" : " (run verify --repair)");
  return rc;
}

/* verify --repair refused (an app not on disk): the report says which, and nothing changed. */
static int verify_refused(wl_cli *cli, const wl_verify_report *rep) {
  char msg[512];
  wl_strlcpy(msg, wl_errmsg(), sizeof msg);
  print_issues(cli->out, rep);
  return wl_err(WL_E_NOTFOUND, "%s", msg);
}

int wl_cmd_verify(wl_cli *cli, int argc, char **argv) {
  int repair = 0;
  if (wl_cli_wants_help(argc, argv)) {
    fprintf(cli->out,
            "usage: wfplearn verify [--repair [--skip-missing]]\n"
            "\n"
            "Compare the rules (and, when enforcing, the default block) with the filters the\n"
            "engine really has: filters missing or altered, and filters of wfplearn's provider\n"
            "that no rule owns. Exit 0 when they agree, 1 when they do not.\n"
            "\n"
            "  --repair   re-add missing filters, replace altered ones, re-derive app ids that\n"
            "             moved (a renumbered volume), delete orphans (one transaction). A rule\n"
            "             whose app is no longer on disk has no app id: each is named and\n"
            "             nothing is repaired, unless\n"
            "  --skip-missing   repair the rest and leave those rules as they are\n"
            "\n"
            "example:\n"
            "  wfplearn verify || wfplearn verify --repair\n");
    return WL_OK;
  }
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--repair"))
      repair |= WL_VERIFY_REPAIR;
    else if (!strcmp(argv[i], "--skip-missing"))
      repair |= WL_VERIFY_SKIP_MISSING;
    else
      return wl_err(WL_E_INVAL, "%s: unknown argument (see verify --help)", argv[i]);
  }
  wl_store *s = NULL;
  wl_engine *e = NULL;
  wl_verify_report *rep = malloc(sizeof *rep);
  int rc = rep ? wl_whitelist_need_store(cli->db_path) : wl_err(WL_E_NOMEM, "out of memory");
  if (!rc)
    rc = wl_whitelist_open(cli->db_path, wl_cli_engine(cli), 0, &s, &e);
  if (!rc && repair == WL_VERIFY_SKIP_MISSING)
    rc = wl_err(WL_E_INVAL, "--skip-missing goes with --repair");
  if (!rc) {
    rc = wl_rules_verify(e, s, repair, rep);
    if (rc == WL_E_NOTFOUND && (repair & WL_VERIFY_REPAIR))
      rc = verify_refused(cli, rep);
    else if (!rc)
      rc = verify_report(cli, e, s, repair, rep);
  }
  wl_engine_close(e);
  wl_store_close(s);
  free(rep);
  return rc;
}
