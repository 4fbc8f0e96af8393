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

/* -o must never name the store or one of its companion files (issue 18 item 7): the export
 * would replace the database it reads. Compared by file identity, so another spelling of the
 * same path (a link, "./", case on Windows) is caught too. */
static int refuse_store_path(const char *db, const char *out) {
  static const char *const suffix[] = {"", "-wal", "-shm", "-journal"};
  wl_file_id o, d;
  if (wl_os_file_id(out, &o) != WL_OK) {
    wl_err_clear();
    return WL_OK; /* not there yet: it cannot be the store */
  }
  for (size_t i = 0; i < sizeof suffix / sizeof suffix[0]; i++) {
    char path[4096];
    snprintf(path, sizeof path, "%s%s", db, suffix[i]);
    if (wl_os_file_id(path, &d) == WL_OK && d.dev == o.dev && d.ino == o.ino)
      return wl_err(WL_E_INVAL, "%s: is the store%s; not overwritten", out,
                    i ? " journal" : "");
    wl_err_clear();
  }
  return WL_OK;
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
    fputs(st.left_out || st.widened ? " (see above)\n" : "\n", cli->err);
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
  if (!rc && out)
    rc = wl_os_newfile_open(out, &nf, &f);
  if (!rc)
    rc = export_to(cli, s, fmt, host, flags, f);
  if (nf && !rc)
    rc = wl_os_newfile_commit(nf);
  else if (nf)
    wl_os_newfile_abort(nf);
  wl_store_close(s);
  return rc;
}

/* merge-policy: many machines' policies into a baseline plus per-host exceptions. */
int wl_cmd_merge_policy(wl_cli *cli, int argc, char **argv) {
  const char *out = NULL;
  const char **paths = NULL;
  size_t n = 0;
  unsigned min_hosts = 1;
  int missing = 0, rc = WL_OK;
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
  paths = calloc((size_t)argc + 1, sizeof *paths);
  if (!paths)
    return wl_err(WL_E_NOMEM, "merge-policy: out of memory");
  for (int i = 1; i < argc && !rc; i++) {
    const char *v;
    if ((v = wl_cli_opt(argc, argv, &i, "--min-hosts", &missing)) != NULL) {
      char *end = NULL;
      unsigned long k = strtoul(v, &end, 10);
      if (!*v || *end || k < 1 || k > 1000000 || v[0] == '-')
        rc = wl_err(WL_E_INVAL, "--min-hosts %s: a whole number from 1", v);
      min_hosts = (unsigned)k;
    } else if ((v = wl_cli_opt(argc, argv, &i, "-o", &missing)) != NULL) {
      out = v;
    } else if (argv[i][0] != '-' && !missing) {
      paths[n++] = argv[i];
    } else {
      rc = wl_err(WL_E_INVAL, "%s: %s (see merge-policy --help)", argv[i],
                  missing ? "needs a value" : "unknown argument");
    }
  }
  wl_os_newfile *nf = NULL;
  FILE *f = cli->out;
  wl_fleet_merge_report rep;
  if (!rc && !n)
    rc = wl_err(WL_E_INVAL, "which policy files? (see merge-policy --help)");
  for (size_t i = 0; i < n && !rc && out; i++) {
    wl_file_id a, b;
    if (wl_os_file_id(out, &a) == WL_OK && wl_os_file_id(paths[i], &b) == WL_OK &&
        a.dev == b.dev && a.ino == b.ino)
      rc = wl_err(WL_E_INVAL, "%s: is one of the inputs; not overwritten", out);
    else
      wl_err_clear();
  }
  if (!rc && out)
    rc = wl_os_newfile_open(out, &nf, &f);
  if (!rc)
    rc = wl_fleet_merge(paths, n, min_hosts, f, cli->err, &rep);
  if (nf && !rc)
    rc = wl_os_newfile_commit(nf);
  else if (nf)
    wl_os_newfile_abort(nf);
  if (!rc)
    fprintf(cli->err,
            "wfplearn merge-policy: %zu files, %zu rules, %zu distinct: %zu in the baseline "
            "(on >= %u hosts), %zu host exceptions, %zu conflicts\n",
            rep.files, rep.rules_read, rep.distinct, rep.baseline, min_hosts, rep.exceptions,
            rep.conflicts);
  free(paths);
  return rc;
}

int wl_cmd_import_policy(wl_cli *cli, int argc, char **argv) {
  const char *path = NULL;
  int dry_run = 0, json = 0;
  if (wl_cli_wants_help(argc, argv)) {
    fputs("usage: wfplearn import-policy FILE [--dry-run] [--json]\n"
          "\n"
          "Merge a policy written by export: rules identical to one here are skipped, a rule\n"
          "for an app and direction that already has a different rule is a conflict. Any\n"
          "conflict or error and nothing is imported; otherwise all new rules and their\n"
          "filters are added in one transaction.\n"
          "\n"
          "  --dry-run   check and report only\n"
          "  --json      end with {\"read\",\"added\",\"same\",\"conflicts\"}\n"
          "\n"
          "example:\n"
          "  wfplearn import-policy policy.json --dry-run && wfplearn import-policy policy.json\n",
          cli->out);
    return WL_OK;
  }
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--dry-run"))
      dry_run = 1;
    else if (!strcmp(argv[i], "--json"))
      json = 1;
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
    rc = wl_policy_import(e, s, path, dry_run, cli->err, &rep);
  if (json && (!rc || rc == WL_E_CONFLICT))
    fprintf(cli->out, "{\"read\":%zu,\"added\":%zu,\"same\":%zu,\"conflicts\":%zu}\n",
            rep.read, rep.added, rep.same, rep.conflicts);
  else if (!rc)
    fprintf(cli->out, "%s: %zu rules read, %zu %s, %zu already here\n", path, rep.read,
            rep.added, dry_run ? "would be added" : "added", rep.same);
  wl_engine_close(e);
  wl_store_close(s);
  return rc;
}
