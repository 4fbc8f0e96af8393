/* report_rebind.c — how review shows an app update (issue 15, item 4; whitelist/rebind.h): the
 * "update of rule N" member of `review --json` and the page, and its lines in text review.
 *
 * JSON (members of a proposal, docs/cli.md "App updates"):
 *   "update_of": N or null        promote re-binds rule N (same signer checked)
 *   "update": null, or {"rule": N, "kind": "squirrel"|"dotted"|"windowsapps",
 *             "signer": {"checked": bool, "status": "signed"|"unsigned"|"untrusted"|null,
 *                        "name": str|null, "rule_signer": str|null}}
 * The flags `unsigned` / `signer-changed` say why a candidate is not re-bound. And in
 * `rules`: the signer recorded with a rule and the path it was re-bound from ("signer",
 * "prev_app": str or null).
 */
#include <stdio.h>

#include "common/wl_err.h"
#include "common/wl_json.h"
#include "ui/report.h"
#include "whitelist/rebind.h"
#include "whitelist/version_path.h"

void wl_report_rebind_json(FILE *f, const wl_proposal *p) {
  if (p->update_of)
    fprintf(f, ",\"update_of\":%lld", (long long)p->update_of);
  else
    fputs(",\"update_of\":null", f);
  if (!p->update_candidate) {
    fputs(",\"update\":null", f);
    return;
  }
  fprintf(f, ",\"update\":{\"rule\":%lld,\"kind\":\"%s\",\"signer\":{\"checked\":%s,\"status\":",
          (long long)p->update_candidate, wl_version_kind_name(p->update_kind),
          p->signer_checked ? "true" : "false");
  wl_json_write_string(f, p->signer_checked ? wl_sign_status_name(p->signer_status) : NULL);
  fputs(",\"name\":", f);
  wl_json_write_string(f, p->signer[0] ? p->signer : NULL);
  fputs(",\"rule_signer\":", f);
  wl_json_write_string(f, p->rule_signer[0] ? p->rule_signer : NULL);
  fputs("}}", f);
}

void wl_report_rebind_text(FILE *f, const wl_proposal *p) {
  if (!p->update_candidate)
    return;
  const char *rs = p->rule_signer[0] ? p->rule_signer : "none recorded";
  if (p->update_of)
    fprintf(f,
            "     update of rule %lld (%s version folder; signed by \"%s\", as the rule's "
            "binary): promote re-binds rule %lld to this path\n",
            (long long)p->update_of, wl_version_kind_name(p->update_kind), p->signer,
            (long long)p->update_of);
  else if (!p->signer_checked)
    fprintf(f,
            "     looks like an update of rule %lld (%s version folder); signer not checked "
            "here (rule's: %s): promote checks it\n",
            (long long)p->update_candidate, wl_version_kind_name(p->update_kind), rs);
  else
    fprintf(f,
            "     looks like an update of rule %lld (%s version folder), not re-bound: "
            "%s%s%s (rule's signer: %s)\n",
            (long long)p->update_candidate, wl_version_kind_name(p->update_kind),
            wl_sign_status_name(p->signer_status), p->signer[0] ? " by " : "", p->signer, rs);
}

int wl_report_rebind_annotate(wl_store *s, const char *engine_spec, wl_proposal *p, size_t n) {
  int rc = wl_rebind_annotate(NULL, s, p, n), any = 0;
  for (size_t i = 0; !rc && i < n; i++)
    any |= p[i].update_candidate != 0;
  if (rc || !any || !engine_spec)
    return rc;
  wl_engine *e = NULL; /* only now: no engine is opened for a review without candidates */
  if (wl_engine_open(engine_spec, 0, &e) != WL_OK) {
    wl_err_clear(); /* signers unknown: shown as not checked */
    return WL_OK;
  }
  rc = wl_rebind_annotate(e, s, p, n);
  wl_engine_close(e);
  return rc;
}

void wl_report_rule_rebind_json(FILE *f, const wl_rule_row *row) {
  fputs(",\"signer\":", f);
  wl_json_write_string(f, row->signer[0] ? row->signer : NULL);
  fputs(",\"prev_app\":", f);
  wl_json_write_string(f, row->prev_app[0] ? row->prev_app : NULL);
}

void wl_report_rule_rebind_text(FILE *f, const wl_rule_row *row) {
  if (row->signer[0])
    fprintf(f, "      signed by \"%s\"\n", row->signer);
  if (row->prev_app[0])
    fprintf(f, "      re-bound from %s (still allowed while that binary exists)\n", row->prev_app);
}
