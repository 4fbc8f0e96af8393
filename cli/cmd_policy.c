/* cmd_policy.c — `wfplearn export` (the whitelist as a JSON policy, or compiled to Windows
 * Firewall policy: fleet/fleet.h), `import-policy` (merge one, all or nothing) and
 * `merge-policy` (many machines' policies into one baseline). The policy format is documented
 * in whitelist/policy.c and docs/formats.md.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "common/wl_err.h"
#include "common/wl_os.h"
#include "fleet/fleet.h"
#include "whitelist/open.h"
#include "whitelist/policy.h"

/* 1 when both paths name one existing file (file identity: another spelling of the same path,
 * a link, "./", case on Windows, is the same file). */
static int same_file(const char *a, const char *b) {
  wl_file_id x, y;
  int same = wl_os_file_id(a, &x) == WL_OK && wl_os_file_id(b, &y) == WL_OK &&
             x.dev == y.dev && x.ino == y.ino;
  wl_err_clear();
  return same;
}

/* -o must never name the store or one of its companion files (issue 18 item 7): the export
 * would replace the database it reads. */
static int refuse_store_path(const char *db, const char *out) {
  static const char *const suffix[] = {"", "-wal", "-shm", "-journal"};
  for (size_t i = 0; i < sizeof suffix / sizeof suffix[0]; i++) {
    char path[4096];
    snprintf(path, sizeof path, "%s%s", db, suffix[i]);
    if (same_file(out, path))
      return wl_err(WL_E_INVAL, "%s: is the store%s; not overwritten", out,
                    i ? " journal" : "");
  }
  return WL_OK;
}

/* -o FILE: written whole or not at all (wl_os_newfile); without -o, *f stays stdout. */
static int out_open(const char *out, wl_os_newfile **nf, FILE **f) {
  return out ? wl_os_newfile_open(out, nf, f) : WL_OK;
}

static int out_close(wl_os_newfile *nf, int rc) {
  if (nf && !rc)
    return wl_os_newfile_commit(nf);
  wl_os_newfile_abort(nf); /* NULL-safe */
  return rc;
}

/* The export itself, on f: the policy (json) or one of the fleet formats. */
static int export_to(wl_cli *cli, wl_store *s, int fmt, const char *host, unsigned flags,
                     FILE *f) {
  if (fmt == WL_FLEET_JSON)
    return wl_policy_export(s, host, f);
  wl_fleet_rule *rules = NULL;
  size_t n = 0;
  wl_fleet_stats st;
  int rc = wl_fleet_load_store(s, host, &rules, &n);
  if (!rc)
    rc = wl_fleet_export(fmt, rules, n, host, flags, f, cli->err, &st);
  if (!rc) {
    fprintf(cli->err, "wfplearn export: %zu rules, %zu written as %s, %zu left out",
            st.rules, st.written, wl_fleet_format_name(fmt), st.left_out);
    if (st.widened)
      fprintf(cli->err, ", %zu widened to every user (--any-user)", st.widened);
    if (st.duplicates)
      fprintf(cli->err, ", %zu duplicates written once", st.duplicates);
    fputs(st.left_out || st.widened || st.duplicates ? " (see above)\n" : "\n", cli->err);
  }
  free(rules);
  return rc;
}

int wl_cmd_export(wl_cli *cli, int argc, char **argv) {
  const char *out = NULL, *host = NULL;
  char host_buf[WL_FLEET_HOST_MAX] = "";
  int missing = 0, fmt = WL_FLEET_JSON, rc = WL_OK;
  unsigned flags = 0;
  if (wl_cli_wants_help(argc, argv)) {
    fputs("usage: wfplearn export [--format json|powershell|netsh|intune] [--host NAME]\n"
          "                       [--any-user] [-o FILE]\n"
          "\n"
          "Write the whitelist as a JSON policy (the default; what import-policy and\n"
          "merge-policy read), or compiled to Windows Firewall rules for Group Policy and\n"
          "Intune. Rules a format cannot express exactly are left out, each named on stderr\n"
          "and in the output, never widened.\n"
          "\n"
          "  --format json        the policy: rules, evidence, this host's name\n"
          "  --format powershell  a .ps1 of New-NetFirewallRule calls, group 'wfplearn'\n"
          "                       (-PolicyStore DOMAIN\\GPO targets a GPO; idempotent)\n"
          "  --format netsh       a .cmd of netsh advfirewall firewall lines\n"
          "  --format intune      Intune firewall-rule profiles (Firewall CSP field names,\n"
          "                       at most 150 rules per profile)\n"
          "  --host NAME          the machine named in the evidence (default: this one)\n"
          "  --any-user           netsh has no user condition: write rules narrowed to one\n"
          "                       user for every user (each marked WIDENED) instead of\n"
          "                       leaving them out\n"
          "  -o FILE              write FILE whole or not at all (a private temporary file\n"
          "                       renamed over it), never the store\n"
          "\n"
          "example:\n"
          "  wfplearn export --format powershell -o wfplearn.ps1\n",
          cli->out);
    return WL_OK;
  }
  for (int i = 1; i < argc && !rc; i++) {
    const char *v;
    if ((v = wl_cli_opt(argc, argv, &i, "--format", &missing)) != NULL)
      rc = wl_fleet_format_parse(v, &fmt);
    else if ((v = wl_cli_opt(argc, argv, &i, "-o", &missing)) != NULL)
      out = v;
    else if ((v = wl_cli_opt(argc, argv, &i, "--host", &missing)) != NULL)
      host = v;
    else if (!strcmp(argv[i], "--any-user"))
      flags |= WL_FLEET_ANY_USER;
    else
      return wl_err(WL_E_INVAL, "%s: %s (see export --help)", argv[i],
                    missing ? "needs a value" : "unknown argument");
  }
  if (rc)
    return rc;
  if (!host && wl_os_hostname(host_buf, sizeof host_buf) == WL_OK)
    host = host_buf;
  wl_err_clear();
  wl_store *s = NULL;
  wl_os_newfile *nf = NULL;
  FILE *f = cli->out;
  rc = wl_whitelist_need_store(cli->db_path);
  if (!rc && out)
    rc = refuse_store_path(cli->db_path, out);
  if (!rc)
    rc = wl_whitelist_open(cli->db_path, NULL, 0, &s, NULL);
  if (!rc)
    rc = out_open(out, &nf, &f);
  if (!rc)
    rc = export_to(cli, s, fmt, host, flags, f);
  rc = out_close(nf, rc);
  wl_store_close(s);
  return rc;
}

typedef struct merge_args {
  const char **paths;
  size_t n;
  unsigned min_hosts;
  const char *out;
} merge_args;

static int merge_parse(int argc, char **argv, merge_args *m) {
  int missing = 0;
  for (int i = 1; i < argc; i++) {
    const char *v;
    if ((v = wl_cli_opt(argc, argv, &i, "--min-hosts", &missing)) != NULL) {
      char *end = NULL;
      unsigned long k = strtoul(v, &end, 10);
      if (!*v || *end || k < 1 || k > 1000000 || v[0] == '-')
        return wl_err(WL_E_INVAL, "--min-hosts %s: a whole number from 1", v);
      m->min_hosts = (unsigned)k;
    } else if ((v = wl_cli_opt(argc, argv, &i, "-o", &missing)) != NULL) {
      m->out = v;
    } else if (argv[i][0] != '-' && !missing) {
      m->paths[m->n++] = argv[i];
    } else {
      return wl_err(WL_E_INVAL, "%s: %s (see merge-policy --help)", argv[i],
                    missing ? "needs a value" : "unknown argument");
    }
  }
  if (!m->n)
    return wl_err(WL_E_INVAL, "which policy files? (see merge-policy --help)");
  for (size_t i = 0; i < m->n && m->out; i++)
    if (same_file(m->out, m->paths[i]))
      return wl_err(WL_E_INVAL, "%s: is one of the inputs; not overwritten", m->out);
  return WL_OK;
}

/* merge-policy: many machines' policies into a baseline plus per-host exceptions. */
int wl_cmd_merge_policy(wl_cli *cli, int argc, char **argv) {
  if (wl_cli_wants_help(argc, argv)) {
    fputs("usage: wfplearn merge-policy POLICY.json... [--min-hosts K] [-o FILE]\n"
          "\n"
          "Merge the policies exported on many machines: \"rules\" holds the rules seen on at\n"
          "least K machines (with their host count), \"exceptions\" each machine's others.\n"
          "A machine is a policy's \"host\", else its file name. An exception for an app and\n"
          "direction the baseline has a different rule for is a conflict (listed). The result\n"
          "is a policy: import-policy takes its baseline. Any unreadable file and nothing is\n"
          "written. The store is not used.\n"
          "\n"
          "  --min-hosts K   a rule joins the baseline when seen on K machines (default 1)\n"
          "  -o FILE         write FILE whole or not at all (default: stdout)\n"
          "\n"
          "example:\n"
          "  wfplearn merge-policy pc*.json --min-hosts 3 -o baseline.json\n",
          cli->out);
    return WL_OK;
  }
  merge_args m = {calloc((size_t)argc + 1, sizeof *m.paths), 0, 1, NULL};
  if (!m.paths)
    return wl_err(WL_E_NOMEM, "merge-policy: out of memory");
  wl_os_newfile *nf = NULL;
  FILE *f = cli->out;
  wl_fleet_merge_report rep;
  int rc = merge_parse(argc, argv, &m);
  if (!rc)
    rc = out_open(m.out, &nf, &f);
  if (!rc)
    rc = wl_fleet_merge(m.paths, m.n, m.min_hosts, f, cli->err, &rep);
  rc = out_close(nf, rc);
  if (!rc)
    fprintf(cli->err,
            "wfplearn merge-policy: %zu files, %zu rules, %zu distinct: %zu in the baseline "
            "(on >= %u hosts), %zu host exceptions, %zu conflicts\n",
            rep.files, rep.rules_read, rep.distinct, rep.baseline, m.min_hosts, rep.exceptions,
            rep.conflicts);
  free(m.paths);
  return rc;
}

int wl_cmd_import_policy(wl_cli *cli, int argc, char **argv) {
  const char *path = NULL;
  int json = 0;
  unsigned flags = 0;
  if (wl_cli_wants_help(argc, argv)) {
    fputs("usage: wfplearn import-policy FILE [--dry-run] [--skip-missing] [--json] [--allow-any-app]\n"
          "\n"
          "Merge a policy written by export: rules identical to one here are skipped, a rule\n"
          "for an app and direction that already has a different rule is a conflict. Any\n"
          "conflict or error and nothing is imported; otherwise all new rules and their\n"
          "filters are added in one transaction.\n"
          "\n"
          "  --dry-run   check and report only\n"
          "  --skip-missing   leave out the rules whose app is not on this machine (a\n"
          "              rule needs the file for its app id); without it, each is named and\n"
          "              nothing is imported\n"
          "  --json      end with {\"read\",\"added\",\"same\",\"conflicts\"}\n"
          "  --allow-any-app  accept rules for any app (\"app\": null), which allow that\n"
          "              traffic for every program\n"
          "\n"
          "example:\n"
          "  wfplearn import-policy policy.json --dry-run && wfplearn import-policy policy.json\n",
          cli->out);
    return WL_OK;
  }
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--dry-run"))
      flags |= WL_POLICY_DRY_RUN;
    else if (!strcmp(argv[i], "--skip-missing"))
      flags |= WL_POLICY_SKIP_MISSING;
    else if (!strcmp(argv[i], "--json"))
      json = 1;
    else if (!strcmp(argv[i], "--allow-any-app"))
      flags |= WL_POLICY_ANY_APP;
    else if (argv[i][0] != '-' && !path)
      path = argv[i];
    else
      return wl_err(WL_E_INVAL, "%s: unknown argument (see import-policy --help)", argv[i]);
  }
  if (!path)
    return wl_err(WL_E_INVAL, "which policy file? (see import-policy --help)");
  wl_store *s = NULL;
  wl_engine *e = NULL;
  wl_policy_report rep = {0};
  int rc = wl_whitelist_open(cli->db_path, wl_cli_engine(cli), 0, &s, &e);
  if (!rc)
    rc = wl_policy_import(e, s, path, flags, cli->err, &rep);
  if (json && (!rc || rc == WL_E_CONFLICT))
    fprintf(cli->out, "{\"read\":%zu,\"added\":%zu,\"same\":%zu,\"conflicts\":%zu}\n",
            rep.read, rep.added, rep.same, rep.conflicts);
  else if (!rc)
    fprintf(cli->out, "%s: %zu rules read, %zu %s, %zu already here\n", path, rep.read,
            rep.added, (flags & WL_POLICY_DRY_RUN) ? "would be added" : "added", rep.same);
  if (!rc && rep.missing)
    fprintf(cli->out, "%zu rule%s skipped: app not on this machine\n", rep.missing,
            rep.missing == 1 ? "" : "s");
  if (!rc && rep.expired) /* temporary rules past their "expires" */
    fprintf(cli->out, "%zu rule%s skipped: expired\n", rep.expired, rep.expired == 1 ? "" : "s");
  wl_engine_close(e);
  wl_store_close(s);
  return rc;
}
