/* cmd_review.c — `wfplearn review` (numbered proposals with their evidence) and
 * `wfplearn promote` (proposals → permit rules, atomically). The logic is whitelist/'s; this
 * file parses arguments and prints, for people or (--json, docs/cli.md) for scripts.
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
#include "whitelist/proposal.h"
#include "whitelist/rule.h"

#define PROMOTE_MAX_IDS 256

static void review_usage(FILE *f) {
  fprintf(f,
          "usage: wfplearn review [--since D] [--json]\n"
          "\n"
          "Numbered proposals: for each app and direction, the connections no rule allows yet\n"
          "(allowed or blocked), counted, with who blocked them, the proposed rule scope and\n"
          "risk flags (temp-path, seen-once, no-app, svchost). Ids are stable: promote ID means\n"
          "the same app and direction whatever review printed since.\n"
          "\n"
          "  --since D   only flows seen within D before the newest event (30m, 12h, 2d, 1w), or\n"
          "              since an RFC 3339 time\n"
          "  --json      an array of proposals (id, app, dir, proto, scope, ports, remotes,\n"
          "              allowed, blocked, first_seen, last_seen, flags, ...)\n"
          "\n"
          "example:\n"
          "  wfplearn review --since 2d\n");
}

/* D before the newest event in the store (a copied store reads the same), or an absolute time. */
static int parse_since(wl_store *s, const char *v, uint64_t *since) {
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

static const char *proto_name(int p) {
  static char buf[8];
  switch (p) {
  case -1: return "any";
  case 1: return "icmp";
  case 6: return "tcp";
  case 17: return "udp";
  case 58: return "icmpv6";
  default: snprintf(buf, sizeof buf, "%d", p); return buf;
  }
}

static const char *shown_app(const wl_proposal *p) {
  return p->app_dos[0] ? p->app_dos : p->app[0] ? p->app : NULL;
}

static void text_scope(FILE *f, const wl_proposal *p, wl_rule *r) {
  char buf[2048];
  if (wl_proposal_rule(p, -1, r) != WL_OK) {
    fprintf(f, "     proposed: nothing narrows it (%s)\n", wl_errmsg());
    wl_err_clear();
    return;
  }
  fprintf(f, "     proposed: %s, %s", wl_scope_name(r->scope), proto_name(r->proto));
  if (r->n_ports) {
    wl_ports_format(r->ports, r->n_ports, buf, sizeof buf);
    fprintf(f, ", %s port %s", r->dir == WL_DIR_IN ? "local" : "remote", buf);
  }
  if (r->n_remotes) {
    wl_remotes_format(r->remotes, r->n_remotes, buf, sizeof buf);
    fprintf(f, ", remote %.200s%s", buf, strlen(buf) > 200 ? "..." : "");
  }
  fputc('\n', f);
}

static void text_proposal(FILE *f, wl_store *s, const wl_proposal *p, wl_rule *r) {
  char t1[WL_TIME_STR_MAX], t2[WL_TIME_STR_MAX];
  wl_time_format(p->evidence.first_seen, t1);
  wl_time_format(p->evidence.last_seen, t2);
  fprintf(f, "#%-4lld %-3s %s\n", (long long)p->id, p->dir == WL_DIR_IN ? "in" : "out",
          shown_app(p) ? shown_app(p) : "(no app)");
  text_scope(f, p, r);
  fprintf(f, "     allowed %llu, blocked %llu; %s%u remote address%s; %.19s .. %.19s\n",
          (unsigned long long)p->evidence.allowed, (unsigned long long)p->evidence.blocked,
          p->evidence.addrs_overflow ? "more than " : "", (unsigned)p->evidence.n_addrs,
          p->evidence.n_addrs == 1 && !p->evidence.addrs_overflow ? "" : "es", t1, t2);
  fputs(p->dir == WL_DIR_IN ? "     from e.g." : "     to e.g.", f);
  for (uint32_t i = 0; i < p->evidence.n_addrs && i < 3; i++) {
    char ep[WL_EP_STR_MAX];
    if (p->dir == WL_DIR_IN) /* the port kept is the local one it listened on */
      wl_addr_format(p->evidence.addrs[i].ip_version, p->evidence.addrs[i].addr, ep);
    else
      wl_endpoint_format(p->evidence.addrs[i].ip_version, p->evidence.addrs[i].addr,
                         p->evidence.addrs[i].port, ep);
    fprintf(f, " %s", ep);
  }
  fputc('\n', f);
  for (uint32_t i = 0; i < p->evidence.n_filters; i++) {
    wl_filter_info fi;
    if (p->evidence.filters[i].filter_id == 0) { /* the source recorded no filter (pfirewall.log) */
      fprintf(f, "     blocked, no filter recorded x%llu\n",
              (unsigned long long)p->evidence.filters[i].count);
      continue;
    }
    if (wl_store_filter_info_get(s, p->evidence.filters[i].filter_id, &fi) == WL_OK && fi.name[0])
      fprintf(f, "     blocked by filter %llu \"%s\"%s%s%s x%llu\n",
              (unsigned long long)fi.filter_id, fi.name, fi.provider[0] ? " (" : "", fi.provider,
              fi.provider[0] ? ")" : "", (unsigned long long)p->evidence.filters[i].count);
    else
      fprintf(f, "     blocked by filter %llu x%llu\n",
              (unsigned long long)p->evidence.filters[i].filter_id,
              (unsigned long long)p->evidence.filters[i].count);
    wl_err_clear();
  }
  char why[96];
  wl_stability_why_text(p->unstable_why, why, sizeof why);
  if (p->stability >= 0)
    fprintf(f, "     stability %.2f%s%s%s\n", p->stability, why[0] ? " (missed: " : "", why,
            why[0] ? ")" : "");
  else
    fputs("     stability unknown (too little data)\n", f);
  for (uint32_t bit = 1; bit <= WL_PROPOSAL_FLAG_LAST; bit <<= 1)
    if (p->flags & bit)
      fprintf(f, "     ! %s: %s%s%s%s\n", wl_proposal_flag_name(bit), wl_proposal_flag_note(bit),
              bit == WL_PROPOSAL_FLAG_UNSTABLE && why[0] ? " (" : "",
              bit == WL_PROPOSAL_FLAG_UNSTABLE ? why : "",
              bit == WL_PROPOSAL_FLAG_UNSTABLE && why[0] ? ")" : "");
}

int wl_cmd_review(wl_cli *cli, int argc, char **argv) {
  const char *since_s = NULL;
  int json = 0, missing = 0;
  if (wl_cli_wants_help(argc, argv)) {
    review_usage(cli->out);
    return WL_OK;
  }
  for (int i = 1; i < argc; i++) {
    const char *v;
    if (!strcmp(argv[i], "--json"))
      json = 1;
    else if ((v = wl_cli_opt(argc, argv, &i, "--since", &missing)) != NULL)
      since_s = v;
    else
      return wl_err(WL_E_INVAL, "%s: %s (see review --help)", argv[i],
                    missing ? "needs a value" : "unknown argument");
  }
  wl_store *s = NULL;
  wl_proposal *p = NULL;
  size_t n = 0;
  uint64_t since = 0;
  wl_rule *r = malloc(sizeof *r);
  int rc = r ? wl_whitelist_need_store(cli->db_path) : wl_err(WL_E_NOMEM, "out of memory");
  if (!rc)
    rc = wl_whitelist_open(cli->db_path, NULL, 0, &s, NULL);
  if (!rc && since_s)
    rc = parse_since(s, since_s, &since);
  if (!rc)
    rc = wl_proposals_build(s, since, &p, &n);
  for (size_t i = 0; !rc && i < n; i++) {
    if (json) {
      fputs(i ? ",\n " : "[", cli->out);
      wl_report_proposal(cli->out, s, &p[i], r);
    } else {
      text_proposal(cli->out, s, &p[i], r);
    }
  }
  if (!rc && json)
    fputs(n ? "]\n" : "[]\n", cli->out);
  else if (!rc)
    fprintf(cli->out, "%s%zu proposal%s. Promote with: wfplearn promote ID... "
                      "[--scope app|port|remote] [--dry-run]\n",
            n ? "\n" : "", n, n == 1 ? "" : "s");
  wl_proposals_free(p);
  wl_store_close(s);
  free(r);
  return rc;
}

/* ---------------------------------------------------------------- promote */

static void promote_usage(FILE *f) {
  fprintf(f,
          "usage: wfplearn promote ID... [--scope app|port|remote] [--dry-run] [--skip-missing]\n"
          "\n"
          "Turn review's proposals into permanent permit rules: hard-permit WFP filters in\n"
          "wfplearn's sublayer, on the IPv4 and IPv6 layers, all of them in one transaction\n"
          "(all ids or none). Promoting what a rule already allows adds nothing.\n"
          "\n"
          "  --scope S   override the proposed scope for every id: app (the app, any endpoint),\n"
          "              port (the ports it used), remote (the addresses or prefixes it talked to)\n"
          "  --dry-run   print the rules and filters that would be added, change nothing\n"
          "  --skip-missing   leave out the proposals whose app is no longer on disk (a rule\n"
          "              needs the file for its app id); without it, each is named and\n"
          "              nothing is promoted\n"
          "\n"
          "example:\n"
          "  wfplearn promote 7 12 --scope port\n");
}

static void print_filters(FILE *f, wl_engine *e, const wl_rule *r) {
  wl_filter *fl = calloc(WL_RULE_MAX_FILTERS, sizeof *fl);
  size_t n = 0;
  if (fl && wl_rule_filters(e, r, fl, WL_RULE_MAX_FILTERS, &n) == WL_OK)
    for (size_t i = 0; i < n; i++) {
      char g[WL_GUID_STR_MAX];
      wl_guid_format(&fl[i].key, g);
      fprintf(f, "    filter %s layer %u, %u conditions: %s\n", g, (unsigned)fl[i].layer_id,
              (unsigned)fl[i].num_conds, fl[i].name);
    }
  free(fl);
}

static void print_rule(FILE *f, const char *what, const wl_rule *r, const wl_rule_row *row) {
  fprintf(f, "%s %s %s %s%s%s%s%s%s%s\n", what, r->dir == WL_DIR_IN ? "in" : "out",
          r->app[0] ? r->app : "(any app)", proto_name(r->proto),
          row->ports[0] ? " ports " : "", row->ports, row->remotes[0] ? " remotes " : "",
          row->remotes, r->user[0] ? " user " : "", r->user);
}

typedef struct promote_args {
  int64_t ids[PROMOTE_MAX_IDS];
  size_t n;
  int scope, dry_run, skip_missing;
} promote_args;

static int promote_parse(int argc, char **argv, promote_args *a) {
  int missing = 0;
  a->n = 0;
  a->scope = -1;
  a->dry_run = 0;
  a->skip_missing = 0;
  for (int i = 1; i < argc; i++) {
    const char *v;
    char *end = NULL;
    long long id = argv[i][0] != '-' ? strtoll(argv[i], &end, 10) : 0;
    if (!strcmp(argv[i], "--dry-run")) {
      a->dry_run = 1;
    } else if (!strcmp(argv[i], "--skip-missing")) {
      a->skip_missing = 1;
    } else if ((v = wl_cli_opt(argc, argv, &i, "--scope", &missing)) != NULL) {
      int rc = wl_scope_parse(v, &a->scope);
      if (rc)
        return rc;
    } else if (end && end != argv[i] && *end == 0) {
      if (a->n == PROMOTE_MAX_IDS)
        return wl_err(WL_E_TOOBIG, "at most %d ids at once", PROMOTE_MAX_IDS);
      a->ids[a->n++] = id;
    } else {
      return wl_err(WL_E_INVAL, "%s: %s (see promote --help)", argv[i],
                    missing ? "needs a value" : "not a proposal id or option");
    }
  }
  return a->n ? WL_OK : wl_err(WL_E_INVAL, "which proposals? (see wfplearn review)");
}

/* Proposal → resolved rule + row; *covered = the rule that already covers it (0: none);
 * *missing = 1 when its app has no app id here (not on disk: named on stderr). */
static int promote_one(wl_cli *cli, wl_engine *e, wl_store *s, int64_t id, int scope,
                       wl_proposal *p, wl_rule *r, wl_rule_row *row, int64_t *covered,
                       int *missing) {
  *covered = 0;
  *missing = 0;
  int rc = wl_proposal_get(s, id, p);
  if (rc == WL_E_EXISTS) {
    fprintf(cli->out, "%s; no new rule\n", wl_errmsg());
    wl_err_clear();
    *covered = p->covered_by;
    return WL_OK;
  }
  if (!rc)
    rc = wl_proposal_rule(p, scope, r);
  if (rc)
    return rc;
  rc = wl_rule_resolve(e, NULL, r); /* SIDs for all of them at once: wl_rules_sids */
  if (rc == WL_E_NOTFOUND) { /* no app id: the file is gone (or its volume) */
    fprintf(cli->err, "wfplearn promote: proposal %lld: missing: %s\n", (long long)id,
            wl_errmsg());
    wl_err_clear();
    *missing = 1;
    return WL_OK;
  }
  if (rc)
    return rc;
  memset(row, 0, sizeof *row);
  wl_proposal_evidence_json(p, row->evidence, sizeof row->evidence);
  wl_strlcpy(row->origin, "promote", sizeof row->origin);
  return WL_OK;
}

static void restore_missing(void *ctx, int64_t rule_id, const char *msg) {
  wl_cli *cli = ctx;
  fprintf(cli->err, "wfplearn promote: rule %lld: missing: %s (its filters stay as they are)\n",
          (long long)rule_id, msg);
}

/* The covering rules' filters, put back where the engine lost them (after uninstall, say):
 * "already covered" must hold in the engine, not only in the store (issue 18, item 3). A
 * covering rule whose app is gone is named and left alone with --skip-missing. */
static int promote_restore(wl_cli *cli, wl_engine *e, wl_store *s, const int64_t *ids,
                           size_t n, int dry_run, int skip_missing) {
  size_t added = 0;
  if (!n || dry_run)
    return WL_OK;
  int rc = wl_rules_restore(e, s, ids, n, &added, skip_missing ? restore_missing : NULL, cli);
  if (!rc && added)
    fprintf(cli->out, "put back %zu missing filter%s of the covering rule%s\n", added,
            added == 1 ? "" : "s", n == 1 ? "" : "s");
  return rc;
}

/* Dry run: print; else add all in one transaction and print what was added. */
static int promote_finish(wl_cli *cli, wl_engine *e, wl_store *s, wl_rule *rules,
                          wl_rule_row *rows, size_t k, int dry_run) {
  wl_apply_result res = {0};
  int rc = wl_rules_sids(s, rules, k);
  for (size_t i = 0; !rc && i < k; i++)
    rc = wl_rule_to_row(&rules[i], &rows[i]);
  if (rc || !k)
    return rc;
  if (dry_run) {
    for (size_t i = 0; i < k; i++) {
      print_rule(cli->out, "would add:", &rules[i], &rows[i]);
      print_filters(cli->out, e, &rules[i]);
    }
    return WL_OK;
  }
  if ((rc = wl_rules_add(e, s, rules, rows, k, &res)) != WL_OK)
    return rc;
  for (size_t i = 0; i < k; i++) {
    char what[48];
    snprintf(what, sizeof what, "rule %lld:", (long long)rows[i].id);
    print_rule(cli->out, what, &rules[i], &rows[i]);
  }
  fprintf(cli->out, "%zu rule%s added (%zu filters), %zu already present\n", res.added_rules,
          res.added_rules == 1 ? "" : "s", res.added_filters + res.adopted_filters,
          res.same_rules);
  return WL_OK;
}

int wl_cmd_promote(wl_cli *cli, int argc, char **argv) {
  if (wl_cli_wants_help(argc, argv)) {
    promote_usage(cli->out);
    return WL_OK;
  }
  promote_args *a = malloc(sizeof *a);
  int rc = a ? promote_parse(argc, argv, a) : wl_err(WL_E_NOMEM, "out of memory");
  if (rc) {
    free(a);
    return rc;
  }
  wl_store *s = NULL;
  wl_engine *e = NULL;
  wl_proposal *p = malloc(sizeof *p);
  wl_rule *rules = calloc(a->n, sizeof *rules);
  wl_rule_row *rows = calloc(a->n, sizeof *rows);
  int64_t *covered = calloc(a->n, sizeof *covered);
  size_t k = 0, nc = 0, nmissing = 0;
  rc = (p && rules && rows && covered) ? wl_whitelist_need_store(cli->db_path)
                            : wl_err(WL_E_NOMEM, "out of memory");
  if (!rc)
    rc = wl_whitelist_open(cli->db_path, wl_cli_engine(cli), 0, &s, &e);
  for (size_t i = 0; !rc && i < a->n; i++) {
    int64_t by = 0;
    int missing = 0;
    rc = promote_one(cli, e, s, a->ids[i], a->scope, p, &rules[k], &rows[k], &by, &missing);
    k += !rc && !by && !missing;
    nmissing += missing;
    if (by)
      covered[nc++] = by;
  }
  if (!rc && nmissing && !a->skip_missing) /* all or nothing, each missing app named above */
    rc = wl_err(WL_E_NOTFOUND, "%zu proposal%s name apps no longer on disk (listed above): "
                "nothing promoted (--skip-missing promotes the others)", nmissing,
                nmissing == 1 ? "" : "s");
  if (!rc)
    rc = promote_restore(cli, e, s, covered, nc, a->dry_run, a->skip_missing);
  if (!rc)
    rc = promote_finish(cli, e, s, rules, rows, k, a->dry_run);
  wl_engine_close(e);
  wl_store_close(s);
  free(a), free(p), free(rules), free(rows), free(covered);
  return rc;
}
