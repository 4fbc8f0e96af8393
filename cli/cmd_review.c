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
#include "whitelist/expiry.h"
#include "whitelist/open.h"
#include "whitelist/proposal.h"
#include "whitelist/rule.h"

#define PROMOTE_MAX_IDS 256

static void review_usage(FILE *f) {
  fprintf(f,
          "usage: wfplearn review [--since D] [--json]\n"
          "\n"
          "Numbered proposals: for each app and direction, the connections no rule allows yet\n"
          "(allowed or blocked), counted, with who blocked them, the proposed rule scope, its\n"
          "stability (the share of the latest day's traffic a rule learned from the days before\n"
          "would have allowed), an app update (\"update of rule N\": promote re-binds rule N)\n"
          "and risk flags (temp-path, seen-once, no-app, svchost, unstable, unsigned,\n"
          "signer-changed). Ids are stable: promote ID means the same app and direction\n"
          "whatever review printed since. At the end, rules unused for 30 days of event time,\n"
          "proposed for revoke (never revoked by themselves).\n"
          "\n"
          "  --since D   only flows seen within D before the newest event (30m, 12h, 2d, 1w), or\n"
          "              since an RFC 3339 time\n"
          "  --json      an array of proposals (id, app, dir, proto, scope, ports, remotes,\n"
          "              allowed, blocked, first_seen, last_seen, flags, stability,\n"
          "              unstable_why, update_of, update, ...), then the revoke proposals\n"
          "              ({\"kind\": \"revoke\", \"rule\", \"unused_days\", \"flags\"})\n"
          "\n"
          "example:\n"
          "  wfplearn review --since 2d\n");
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

/* since: review --since's start (0 none); a flow seen since then may have begun before it, and
 * first_seen is its first sighting, so the line says so. */
static void text_proposal(FILE *f, wl_store *s, wl_filter_names *names, const wl_proposal *p,
                          wl_rule *r, uint64_t since) {
  char t1[WL_TIME_STR_MAX], t2[WL_TIME_STR_MAX];
  wl_time_text(p->evidence.first_seen, t1);
  wl_time_text(p->evidence.last_seen, t2);
  fprintf(f, "#%-4lld %-3s %s\n", (long long)p->id, p->dir == WL_DIR_IN ? "in" : "out",
          shown_app(p) ? shown_app(p) : "(no app)");
  text_scope(f, p, r);
  fprintf(f, "     allowed %llu, blocked %llu; %s%u remote address%s; first seen %s%s, "
             "last %s\n",
          (unsigned long long)p->evidence.allowed, (unsigned long long)p->evidence.blocked,
          p->evidence.addrs_overflow ? "more than " : "", (unsigned)p->evidence.n_addrs,
          p->evidence.n_addrs == 1 && !p->evidence.addrs_overflow ? "" : "es", t1,
          since && p->evidence.first_seen < since ? " (before --since: these flows began earlier)"
                                                  : "",
          t2);
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
    if (p->evidence.filters[i].filter_id == 0) { /* the source recorded no filter (pfirewall.log) */
      fprintf(f, "     blocked, no filter recorded x%llu\n",
              (unsigned long long)p->evidence.filters[i].count);
      continue;
    }
    const wl_filter_info *fi = wl_filter_names_get(names, s, p->evidence.filters[i].filter_id);
    if (fi && fi->name[0])
      fprintf(f, "     blocked by filter %llu \"%s\"%s%s%s x%llu\n",
              (unsigned long long)fi->filter_id, fi->name, fi->provider[0] ? " (" : "",
              fi->provider, fi->provider[0] ? ")" : "",
              (unsigned long long)p->evidence.filters[i].count);
    else
      fprintf(f, "     blocked by filter %llu x%llu\n",
              (unsigned long long)p->evidence.filters[i].filter_id,
              (unsigned long long)p->evidence.filters[i].count);
  }
  char why[96];
  wl_stability_why_text(p->unstable_why, why, sizeof why);
  if (p->stability >= 0)
    fprintf(f, "     stability %.2f%s%s%s\n", p->stability, why[0] ? " (missed: " : "", why,
            why[0] ? ")" : "");
  else if (p->update_of) /* rebind.c: its path is new, its predecessor ruled */
    fprintf(f, "     stability unknown (a new version of rule %lld's app)\n", (long long)p->update_of);
  else
    fputs("     stability unknown (too little data)\n", f);
  wl_report_rebind_text(f, p);
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
  wl_filter_names names = {0};
  int rc = r ? wl_whitelist_need_store(cli->db_path) : wl_err(WL_E_NOMEM, "out of memory");
  if (!rc)
    rc = wl_whitelist_open(cli->db_path, NULL, 0, &s, NULL);
  if (!rc && since_s)
    rc = wl_cli_since(s, since_s, &since);
  if (!rc)
    rc = wl_proposals_build(s, since, &p, &n);
  if (!rc) /* app updates: "update of rule N" (whitelist/rebind.h) */
    rc = wl_report_rebind_annotate(s, cli->engine_spec, p, n);
  for (size_t i = 0; !rc && i < n; i++) {
    if (json) {
      fputs(i ? ",\n " : "[", cli->out);
      wl_report_proposal(cli->out, s, &names, &p[i], r);
    } else {
      text_proposal(cli->out, s, &names, &p[i], r, since);
    }
  }
  wl_filter_names_free(&names);
  size_t items = n, unused = 0; /* and the unused rules, proposed for revoke (issue 15, item 6) */
  if (!rc)
    rc = json ? wl_report_unused(cli->out, s, &items) : wl_cli_review_unused(cli, s, &unused);
  if (!rc && json) /* and the table-only evidence (issue 19; the text lists it last) */
    rc = wl_report_held(cli->out, s, &items);
  if (!rc && json)
    fputs(items ? "]\n" : "[]\n", cli->out);
  else if (!rc && unused)
    fprintf(cli->out, "\n%zu proposal%s, %zu unused rule%s proposed for revoke. Promote with: "
                      "wfplearn promote ID... [--scope app|port|remote] [--for D] [--dry-run]; "
                      "revoke with: wfplearn revoke ID...\n",
            n, n == 1 ? "" : "s", unused, unused == 1 ? "" : "s");
  else if (!rc)
    fprintf(cli->out, "%s%zu proposal%s. Promote with: wfplearn promote ID... "
                      "[--scope app|port|remote] [--for D] [--dry-run]\n",
            n ? "\n" : "", n, n == 1 ? "" : "s");
  if (!rc && !json)
    wl_cli_print_held(cli->out, s); /* issue 19: programs seen only in the connection tables */
  wl_proposals_free(p);
  wl_store_close(s);
  free(r);
  return rc;
}

/* ---------------------------------------------------------------- promote */

static void promote_usage(FILE *f) {
  fprintf(f,
          "usage: wfplearn promote ID... [--scope app|port|remote] [--for D] [--dry-run]\n"
          "                        [--skip-missing]\n"
          "\n"
          "Turn review's proposals into permit rules (permanent, or temporary with --for):\n"
          "hard-permit WFP filters in wfplearn's sublayer, on the IPv4 and IPv6 layers, all of\n"
          "them in one transaction (all ids or none). Promoting what a rule already allows adds\n"
          "nothing; an app update (review's \"update of rule N\") re-binds rule N to the new path.\n"
          "\n"
          "  --scope S   override the proposed scope for every id: app (the app, any endpoint),\n"
          "              port (the ports it used), remote (the addresses or prefixes it talked to)\n"
          "  --for D     temporary rules: removed with their filters D from now (30m, 2h,\n"
          "              3d, 1w; wall clock, so also when the deadline passed while the\n"
          "              machine was off or asleep: by the service, or the next command)\n"
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
  char until[WL_TIME_STR_MAX] = "";
  if (row->expires) /* promote --for */
    wl_time_text(row->expires, until);
  fprintf(f, "%s %s %s %s%s%s%s%s%s%s%s%s\n", what, r->dir == WL_DIR_IN ? "in" : "out",
          r->app[0] ? r->app : "(any app)", proto_name(r->proto),
          row->ports[0] ? " ports " : "", row->ports, row->remotes[0] ? " remotes " : "",
          row->remotes, r->user[0] ? " user " : "", r->user, until[0] ? " until " : "", until);
}

typedef struct promote_args {
  int64_t ids[PROMOTE_MAX_IDS];
  size_t n;
  int scope, dry_run, skip_missing;
  uint64_t expires; /* --for D: the wall-clock deadline; 0 permanent */
} promote_args;

static int promote_parse(int argc, char **argv, promote_args *a) {
  int missing = 0;
  a->n = 0;
  a->scope = -1;
  a->dry_run = 0;
  a->skip_missing = 0;
  a->expires = 0;
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
    } else if ((v = wl_cli_opt(argc, argv, &i, "--for", &missing)) != NULL) {
      int rc = wl_expiry_parse_for(v, wl_time_now(), &a->expires); /* whitelist/expiry.h */
      if (rc)
        return rc;
    } else if (end && end != argv[i] && *end == 0) {
      int dup = 0; /* the same id twice is one proposal (as the page's API has it) */
      for (size_t k = 0; k < a->n; k++)
        dup |= a->ids[k] == id;
      if (!dup && a->n == PROMOTE_MAX_IDS)
        return wl_err(WL_E_TOOBIG, "at most %d ids at once", PROMOTE_MAX_IDS);
      if (!dup)
        a->ids[a->n++] = id;
    } else {
      return wl_err(WL_E_INVAL, "%s: %s (see promote --help)", argv[i],
                    missing ? "needs a value" : "not a proposal id or option");
    }
  }
  return a->n ? WL_OK : wl_err(WL_E_INVAL, "which proposals? (see wfplearn review)");
}

/* wl_promote's notices, printed as they happen. */
static void promote_covered(void *ctx, int64_t id, const char *msg) {
  (void)id;
  fprintf(((wl_cli *)ctx)->out, "%s; no new rule\n", msg);
}

static void promote_missing(void *ctx, int64_t id, const char *msg) {
  fprintf(((wl_cli *)ctx)->err, "wfplearn promote: proposal %lld: missing: %s\n", (long long)id,
          msg);
}

static void promote_rebound(void *ctx, int64_t rule_id, const char *msg) {
  fprintf(((wl_cli *)ctx)->out, "rule %lld (app update) %s\n", (long long)rule_id, msg);
}

static void restore_missing(void *ctx, int64_t rule_id, const char *msg) {
  fprintf(((wl_cli *)ctx)->err,
          "wfplearn promote: rule %lld: missing: %s (its filters stay as they are)\n",
          (long long)rule_id, msg);
}

/* The covering rules' filters put back (also when adding failed afterwards); then, when rc is
 * WL_OK, what would be added with its filters (dry run) or what was added. */
static void promote_print(wl_cli *cli, wl_engine *e, const wl_promote_report *r, int dry_run,
                          int rc) {
  if (r->put_back)
    fprintf(cli->out, "put back %zu missing filter%s of the covering rule%s\n", r->put_back,
            r->put_back == 1 ? "" : "s", r->covered == 1 ? "" : "s");
  if (rc || !r->n_rules)
    return;
  for (size_t i = 0; i < r->n_rules; i++) {
    char what[48];
    if (dry_run) {
      print_rule(cli->out, "would add:", &r->rules[i], &r->rows[i]);
      print_filters(cli->out, e, &r->rules[i]);
      continue;
    }
    snprintf(what, sizeof what, "rule %lld:", (long long)r->rows[i].id);
    print_rule(cli->out, what, &r->rules[i], &r->rows[i]);
  }
  if (!dry_run)
    fprintf(cli->out, "%zu rule%s added (%zu filter%s), %zu already present\n",
            r->res.added_rules, r->res.added_rules == 1 ? "" : "s",
            r->res.added_filters + r->res.adopted_filters,
            r->res.added_filters + r->res.adopted_filters == 1 ? "" : "s", r->res.same_rules);
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
  wl_promote_report r = {.on_covered = promote_covered, .on_missing = promote_missing,
                         .on_missing_rule = restore_missing, .on_rebound = promote_rebound,
                         .ctx = cli, .expires = a->expires};
  rc = wl_whitelist_need_store(cli->db_path);
  if (!rc)
    rc = wl_whitelist_open(cli->db_path, wl_cli_engine(cli), 0, &s, &e);
  if (!rc)
    rc = wl_promote(e, s, a->ids, a->n, a->scope,
                    (a->dry_run ? WL_PROMOTE_DRY_RUN : 0) |
                        (a->skip_missing ? WL_PROMOTE_SKIP_MISSING : 0), &r);
  promote_print(cli, e, &r, a->dry_run, rc);
  if (!rc && a->expires && r.rebound) /* a re-bind keeps its rule as it was (rebind.h) */
    fprintf(cli->err, "wfplearn promote: --for: %zu app update%s re-bound to %s rule%s, which "
                      "keep%s %s expiry (--for applies to new rules only)\n",
            r.rebound, r.rebound == 1 ? "" : "s", r.rebound == 1 ? "its" : "their",
            r.rebound == 1 ? "" : "s", r.rebound == 1 ? "s" : "", r.rebound == 1 ? "its" : "their");
  wl_promote_report_free(&r);
  wl_engine_close(e);
  wl_store_close(s);
  free(a);
  return rc;
}
