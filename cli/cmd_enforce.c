/* cmd_enforce.c — `wfplearn enforce` (default block, pending until confirmed), `confirm`,
 * `relax`, and the internal `watchdog` command that holds a pending enforce's dynamic session.
 * The mechanism is explained in whitelist/enforce.c.
 */
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "common/wl_err.h"
#include "store/store.h"
#include "ui/report.h"
#include "whitelist/dryrun.h"
#include "whitelist/enforce.h"
#include "whitelist/open.h"

#define ENFORCE_DEFAULT_WITHIN 60u
#define ENFORCE_MAX_WITHIN 86400u

static int count_rules(void *ctx, const wl_rule_row *r) {
  (void)r;
  (*(size_t *)ctx)++;
  return 0;
}

static int parse_seconds(const char *opt, const char *v, unsigned *out) {
  uint64_t t = 0;
  if (wl_duration_parse(v, &t) || t < WL_TICKS_PER_SEC ||
      t / WL_TICKS_PER_SEC > ENFORCE_MAX_WITHIN)
    return wl_err(WL_E_INVAL, "%s %s: expected a duration from 1s to 1d (30, 90s, 5m)", opt, v);
  *out = (unsigned)(t / WL_TICKS_PER_SEC);
  return WL_OK;
}

static void enforce_usage(FILE *f) {
  fprintf(f,
          "usage: wfplearn enforce [--confirm-within S] [--inbound] [--baseline keep|drop]\n"
          "                        [--force] | --list-baseline\n"
          "       wfplearn enforce --dry-run [--inbound] [--baseline keep|drop] [--since D]\n"
          "                        [--json]\n"
          "\n"
          "Block everything the whitelist does not allow, except loopback, DHCP, DNS for the\n"
          "DNS client, IPv6 neighbour discovery, multicast membership, and the Windows\n"
          "essentials baseline (network status, Windows Update, certificate revocation, time\n"
          "sync; see --list-baseline). The rules' filters are checked (and put back) first. The\n"
          "block starts pending: a watchdog process holds it in a dynamic WFP session, and\n"
          "unless `wfplearn confirm` comes within S, or if the watchdog dies, Windows removes\n"
          "it by itself, so a bad policy cannot lock you out. In a remote desktop session,\n"
          "--inbound keeps that session's listener allowed.\n"
          "\n"
          "  --confirm-within S   seconds (or 90s, 5m) to confirm; default %u\n"
          "  --inbound            block unsolicited inbound too (default: outbound only)\n"
          "  --baseline B         keep (default) or drop the Windows essentials baseline\n"
          "  --list-baseline      print the baseline and the exceptions, change nothing\n"
          "  --force              --inbound in a remote session whose port cannot be read\n"
          "  --dry-run            change nothing: replay the recorded events against the rules,\n"
          "                       the block and its exceptions, and say per app what would\n"
          "                       have been allowed and blocked\n"
          "  --since D            with --dry-run: events within D before the newest one (2d,\n"
          "                       12h) or since an RFC 3339 time; default all kept\n"
          "  --json               with --dry-run: one JSON object (docs/cli.md)\n"
          "\n"
          "example:\n"
          "  wfplearn enforce --dry-run --inbound\n"
          "  wfplearn enforce --confirm-within 120 && wfplearn confirm\n",
          ENFORCE_DEFAULT_WITHIN);
}

/* The backtest's table: most blocked first. */
static void dryrun_text(FILE *f, const wl_dryrun *d, const wl_enforce_opts *o) {
  char since[WL_TIME_STR_MAX] = "the first kept event";
  if (d->since)
    wl_time_text(d->since, since);
  fprintf(f, "enforce --dry-run: %llu connection attempts since %s, replayed against %zu rule%s,\n"
             "the default block (%s, baseline %s) and its exceptions, and the engine's other "
             "filters (%zu in all)\n\n",
          (unsigned long long)d->events, since, d->rules, d->rules == 1 ? "" : "s",
          o->inbound ? "outbound and inbound" : "outbound", o->baseline ? "kept" : "dropped",
          d->filters);
  if (d->napps)
    fprintf(f, "%10s %10s  %-3s  %s\n", "allowed", "blocked", "dir", "app");
  for (size_t i = 0; i < d->napps; i++) {
    const wl_dryrun_app *a = &d->apps[i];
    fprintf(f, "%10llu %10llu  %-3s  %s%s\n", (unsigned long long)a->allowed,
            (unsigned long long)a->blocked, a->dir == WL_DIR_IN ? "in" : "out",
            a->app[0] ? a->app : "(no app)", a->missing ? "  (file gone)" : "");
  }
  fprintf(f,
          "%swould allow %llu (%llu by rules, %llu by the exceptions), would block %llu (%llu by "
          "the default block, the rest by other filters already there)\n",
          d->napps ? "\n" : "", (unsigned long long)(d->events - d->would_block),
          (unsigned long long)d->by_rule, (unsigned long long)d->by_exception,
          (unsigned long long)d->would_block, (unsigned long long)d->by_block);
  if (d->rules_unresolved)
    fprintf(f, "%zu rule%s cannot be built (its app is gone; see wfplearn verify): enforce "
               "would refuse to start\n", d->rules_unresolved, d->rules_unresolved == 1 ? "" : "s");
  if (d->apps_missing)
    fprintf(f, "%zu app%s no longer on disk, replayed with the recorded app id\n",
            d->apps_missing, d->apps_missing == 1 ? "" : "s");
}

/* enforce --dry-run: nothing is written, to the engine or the store. */
static int dryrun(wl_cli *cli, const wl_enforce_opts *o, const char *since_s, int json) {
  wl_store *s = NULL;
  wl_engine *e = NULL;
  wl_dryrun *d = NULL;
  wl_dryrun_opts dro = {.inbound = o->inbound, .baseline = o->baseline};
  int rc = wl_whitelist_need_store(cli->db_path);
  if (!rc)
    rc = wl_whitelist_open(cli->db_path, NULL, 0, &s, NULL);
  if (!rc && since_s)
    rc = wl_cli_since(s, since_s, &dro.since);
  if (!rc)
    rc = wl_engine_open(wl_cli_engine(cli), 0, &e);
  if (!rc)
    rc = wl_dryrun_run(e, s, &dro, &d);
  if (!rc && json)
    wl_report_dryrun(cli->out, d, &dro);
  else if (!rc)
    dryrun_text(cli->out, d, o);
  wl_dryrun_free(d);
  wl_engine_close(e);
  wl_store_close(s);
  return rc;
}

int wl_cmd_enforce(wl_cli *cli, int argc, char **argv) {
  wl_enforce_opts o = {0};
  int missing = 0, dry = 0, json = 0;
  const char *since_s = NULL;
  if (wl_cli_wants_help(argc, argv)) {
    enforce_usage(cli->out);
    return WL_OK;
  }
  o.within_s = ENFORCE_DEFAULT_WITHIN;
  o.baseline = 1;
  for (int i = 1; i < argc; i++) {
    const char *v;
    if (!strcmp(argv[i], "--inbound")) {
      o.inbound = 1;
    } else if (!strcmp(argv[i], "--force")) {
      o.force = 1;
    } else if (!strcmp(argv[i], "--dry-run")) {
      dry = 1;
    } else if (!strcmp(argv[i], "--json")) {
      json = 1;
    } else if ((v = wl_cli_opt(argc, argv, &i, "--since", &missing)) != NULL) {
      since_s = v;
    } else if (!strcmp(argv[i], "--list-baseline")) {
      wl_enforce_baseline_list(cli->out);
      return WL_OK;
    } else if ((v = wl_cli_opt(argc, argv, &i, "--baseline", &missing)) != NULL) {
      if (strcmp(v, "keep") && strcmp(v, "drop"))
        return wl_err(WL_E_INVAL, "--baseline %s: expected keep or drop", v);
      o.baseline = !strcmp(v, "keep");
    } else if ((v = wl_cli_opt(argc, argv, &i, "--confirm-within", &missing)) != NULL) {
      int rc = parse_seconds("--confirm-within", v, &o.within_s);
      if (rc)
        return rc;
    } else {
      return wl_err(WL_E_INVAL, "%s: %s (see enforce --help)", argv[i],
                    missing ? "needs a value" : "unknown argument");
    }
  }
  if (!dry && (json || since_s))
    return wl_err(WL_E_INVAL, "%s: only with --dry-run (see enforce --help)",
                  json ? "--json" : "--since");
  if (dry)
    return dryrun(cli, &o, since_s, json);
  o.db_path = cli->db_path;
  o.engine_spec = cli->engine_spec; /* said (wl_cli_engine) once the store is there */
  wl_store *s = NULL;
  wl_os_lock *lock = NULL;
  size_t nrules = 0, repaired = 0;
  uint32_t pid = 0;
  int rc = wl_whitelist_need_store(cli->db_path); /* a mistyped --db must not block everything */
  if (!rc)
    rc = wl_enforce_lock(cli->db_path, &lock);
  if (!rc)
    rc = wl_whitelist_open(cli->db_path, NULL, 0, &s, NULL);
  if (!rc)
    o.engine_spec = wl_cli_engine(cli);
  if (!rc)
    rc = wl_store_rules(s, count_rules, &nrules);
  if (!rc && nrules == 0)
    fprintf(cli->err, "wfplearn enforce: warning: no rules: only the essentials (see enforce "
                      "--list-baseline) will get through\n");
  if (!rc)
    rc = wl_enforce_start(s, &o, &pid, &repaired);
  if (repaired)
    fprintf(cli->out, "put back %zu filter%s of the rules (missing or altered) before the "
            "block\n", repaired, repaired == 1 ? "" : "s");
  if (!rc && o.remote_port)
    fprintf(cli->out, "remote desktop session: its listener (port %u) stays allowed\n",
            (unsigned)o.remote_port);
  if (!rc)
    fprintf(cli->out,
            "enforce pending: the default block is in place (%zu rule%s, %s, baseline %s; "
            "watchdog pid %lu).\n"
            "Check that what you need still works, then run `wfplearn confirm` within %u s;\n"
            "otherwise it rolls back by itself.\n",
            nrules, nrules == 1 ? "" : "s", o.inbound ? "outbound and inbound" : "outbound",
            o.baseline ? "kept" : "dropped", (unsigned long)pid, o.within_s);
  wl_store_close(s);
  wl_os_lock_release(lock);
  return rc;
}

static int simple(wl_cli *cli, int argc, char **argv, const char *usage,
                  int (*fn)(wl_engine *, wl_store *), const char *done, const char *already) {
  if (wl_cli_wants_help(argc, argv)) {
    fputs(usage, cli->out);
    return WL_OK;
  }
  if (argc > 1)
    return wl_err(WL_E_INVAL, "%s: unknown argument (see %s --help)", argv[1], argv[0]);
  wl_store *s = NULL;
  wl_engine *e = NULL;
  wl_os_lock *lock = NULL;
  int rc = wl_whitelist_need_store(cli->db_path); /* nothing can be pending without one */
  if (!rc)
    rc = wl_enforce_lock(cli->db_path, &lock); /* one of enforce/confirm/relax at a time */
  if (!rc)
    rc = wl_whitelist_open(cli->db_path, wl_cli_engine(cli), 0, &s, &e);
  char mode[16] = ""; /* already: what to say instead when the mode was learn before */
  if (!rc && already && wl_enforce_mode(s, mode, sizeof mode) != WL_OK)
    wl_err_clear();
  if (!rc)
    rc = fn(e, s);
  if (!rc)
    fprintf(cli->out, "%s\n", already && !strcmp(mode, "learn") ? already : done);
  wl_engine_close(e);
  wl_store_close(s);
  wl_os_lock_release(lock);
  return rc;
}

int wl_cmd_confirm(wl_cli *cli, int argc, char **argv) {
  return simple(cli, argc, argv,
                "usage: wfplearn confirm\n"
                "\n"
                "Keep the pending enforce: the default block becomes persistent (it survives\n"
                "reboots and the watchdog), and the mode becomes enforce.\n"
                "\n"
                "example:\n"
                "  wfplearn enforce --confirm-within 60 && wfplearn confirm\n",
                wl_enforce_confirm, "enforce confirmed: the default block is persistent", NULL);
}

int wl_cmd_relax(wl_cli *cli, int argc, char **argv) {
  return simple(cli, argc, argv,
                "usage: wfplearn relax\n"
                "\n"
                "Remove the default block (pending or confirmed) and return to learn mode. The\n"
                "rules stay.\n"
                "\n"
                "example:\n"
                "  wfplearn relax\n",
                wl_enforce_relax, "relaxed: no default block; mode learn (the rules stay)",
                "nothing to relax: already in learn mode, no default block");
}

/* Internal: `wfplearn --db DB --engine SPEC watchdog --within S --token T [--inbound]`,
 * started by enforce. Its output goes to DB.watchdog.log. */
int wl_cmd_watchdog(wl_cli *cli, int argc, char **argv) {
  wl_watchdog_opts o = {cli->db_path, NULL, NULL, 0, 0, 1, 0};
  int missing = 0;
  const char *outcome = NULL;
  if (wl_cli_wants_help(argc, argv)) {
    fputs("usage: wfplearn watchdog --within S --token T [--inbound] [--baseline-drop]\n"
          "                         [--remote-port P]\n"
          "\n"
          "Internal: started by enforce; holds the pending block in a dynamic session.\n"
          "\n"
          "example:\n"
          "  (run by wfplearn enforce)\n",
          cli->out);
    return WL_OK;
  }
  for (int i = 1; i < argc; i++) {
    const char *v;
    if (!strcmp(argv[i], "--inbound")) {
      o.inbound = 1;
    } else if (!strcmp(argv[i], "--baseline-drop")) {
      o.baseline = 0;
    } else if ((v = wl_cli_opt(argc, argv, &i, "--within", &missing)) != NULL) {
      int rc = parse_seconds("--within", v, &o.within_s);
      if (rc)
        return rc;
    } else if ((v = wl_cli_opt(argc, argv, &i, "--token", &missing)) != NULL) {
      o.token = v;
    } else if ((v = wl_cli_opt(argc, argv, &i, "--remote-port", &missing)) != NULL) {
      char *end = NULL;
      unsigned long p = strtoul(v, &end, 10);
      if (!*v || *end || p > 65535)
        return wl_err(WL_E_INVAL, "--remote-port %s: expected a port", v);
      o.remote_port = (uint16_t)p;
    } else {
      return wl_err(WL_E_INVAL, "%s: %s", argv[i], missing ? "needs a value" : "unknown argument");
    }
  }
  if (!o.within_s || !o.token || strlen(o.token) > 48)
    return wl_err(WL_E_INVAL, "watchdog needs --within S and --token T");
  fprintf(cli->out, "watchdog %s: holding the block for %u s\n", o.token, o.within_s);
  fflush(cli->out);
  o.engine_spec = wl_cli_engine(cli);
  int rc = wl_enforce_watchdog(&o, &outcome);
  fprintf(cli->out, "watchdog %s: %s\n", o.token, rc ? "failed" : outcome);
  return rc;
}
