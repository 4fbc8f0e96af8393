/* cmd_policy.c — `wfplearn export` (the whitelist as a JSON policy) and `import-policy` (merge
 * one, all or nothing). The format is documented in whitelist/policy.c and the README.
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "common/wl_err.h"
#include "common/wl_os.h"
#include "whitelist/open.h"
#include "whitelist/policy.h"

int wl_cmd_export(wl_cli *cli, int argc, char **argv) {
  const char *out = NULL;
  int missing = 0;
  if (wl_cli_wants_help(argc, argv)) {
    fputs("usage: wfplearn export [--format json] [-o FILE]\n"
          "\n"
          "Write the whitelist as a JSON policy: each rule with its evidence summary, without\n"
          "anything machine-specific (NT paths and filter keys are derived again on import).\n"
          "\n"
          "  --format json   the only format (default)\n"
          "  -o FILE         write to FILE instead of stdout\n"
          "\n"
          "example:\n"
          "  wfplearn export -o policy.json\n",
          cli->out);
    return WL_OK;
  }
  for (int i = 1; i < argc; i++) {
    const char *v;
    if ((v = wl_cli_opt(argc, argv, &i, "--format", &missing)) != NULL) {
      if (strcmp(v, "json") != 0)
        return wl_err(WL_E_INVAL, "--format %s: only json is supported", v);
    } else if ((v = wl_cli_opt(argc, argv, &i, "-o", &missing)) != NULL) {
      out = v;
    } else {
      return wl_err(WL_E_INVAL, "%s: %s (see export --help)", argv[i],
                    missing ? "needs a value" : "unknown argument");
    }
  }
  wl_store *s = NULL;
  FILE *f = cli->out;
  int rc = wl_whitelist_need_store(cli->db_path);
  if (!rc)
    rc = wl_whitelist_open(cli->db_path, NULL, 0, &s, NULL);
  if (!rc && out && (rc = wl_os_fopen(out, "w", &f)) != WL_OK)
    rc = wl_err_prefix(rc, "%s: cannot create", out);
  if (!rc)
    rc = wl_policy_export(s, f);
  if (f && f != cli->out && fclose(f) && !rc)
    rc = wl_err(WL_E_IO, "%s: write failed", out);
  wl_store_close(s);
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
  wl_engine_close(e);
  wl_store_close(s);
  return rc;
}
