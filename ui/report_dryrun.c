/* report_dryrun.c — the JSON of `enforce --dry-run --json` (whitelist/dryrun.h) and the review
 * page's GET /api/dryrun, which answers the same document, so the page shows before its Enforce
 * button exactly what the command would print.
 *
 * {"events": N, "would_block": N, "by_block": N, "allowed": N, "by_rule": N, "by_exception": N,
 *  "since": "RFC 3339" | null, "inbound": bool, "baseline": bool, "filters": N, "rules": N,
 *  "rules_unresolved": N, "apps_missing": N, "skipped": N,
 *  "apps": [{"app", "dir", "allowed", "blocked", "by_block", "by_rule", "by_exception",
 *            "missing"}]}
 * The keys are docs/cli.md's ("enforce --dry-run").
 */
#include <stdlib.h>
#include <string.h>

#include "common/wl_err.h"
#include "common/wl_json.h"
#include "common/wl_text.h"
#include "ui/report.h"
#include "ui/ui_int.h"
#include "whitelist/open.h"

static const char *dir_name(uint8_t dir) {
  return dir == WL_DIR_IN ? "in" : dir == WL_DIR_OUT ? "out" : "?";
}

void wl_report_dryrun(FILE *f, const wl_dryrun *d, const wl_dryrun_opts *o) {
  char since[WL_TIME_STR_MAX] = "";
  if (d->since)
    wl_time_format(d->since, since);
  fprintf(f,
          "{\"events\":%llu,\"would_block\":%llu,\"by_block\":%llu,\"allowed\":%llu,"
          "\"by_rule\":%llu,\"by_exception\":%llu,\"since\":",
          (unsigned long long)d->events, (unsigned long long)d->would_block,
          (unsigned long long)d->by_block, (unsigned long long)(d->events - d->would_block),
          (unsigned long long)d->by_rule, (unsigned long long)d->by_exception);
  if (d->since)
    wl_json_write_string(f, since);
  else
    fputs("null", f);
  fprintf(f,
          ",\"inbound\":%s,\"baseline\":%s,\"filters\":%zu,\"rules\":%zu,"
          "\"rules_unresolved\":%zu,\"apps_missing\":%zu,\"skipped\":%llu,\"apps\":[",
          o->inbound ? "true" : "false", o->baseline ? "true" : "false", d->filters, d->rules,
          d->rules_unresolved, d->apps_missing, (unsigned long long)d->skipped);
  for (size_t i = 0; i < d->napps; i++) {
    const wl_dryrun_app *a = &d->apps[i];
    fputs(i ? ",\n{\"app\":" : "\n{\"app\":", f);
    wl_json_write_string(f, a->app[0] ? a->app : NULL); /* as review: null for no app */
    fprintf(f,
            ",\"dir\":\"%s\",\"allowed\":%llu,\"blocked\":%llu,\"by_block\":%llu,"
            "\"by_rule\":%llu,\"by_exception\":%llu,\"missing\":%s}",
            dir_name(a->dir), (unsigned long long)a->allowed, (unsigned long long)a->blocked,
            (unsigned long long)a->by_block, (unsigned long long)a->by_rule,
            (unsigned long long)a->by_exception, a->missing ? "true" : "false");
  }
  fputs("]}\n", f);
}

/* GET /api/dryrun[?inbound=1][&baseline=drop]: what enforce with those options would block. */
void wl_ui_get_dryrun(wl_ui *u, const wl_http_req *req, FILE *f, wl_http_resp *resp) {
  const char *in = wl_http_query(req, "inbound"), *base = wl_http_query(req, "baseline");
  wl_dryrun_opts o = {.since = 0,
                      .inbound = in && (!strcmp(in, "1") || !strcmp(in, "true")),
                      .baseline = !(base && !strcmp(base, "drop"))};
  wl_store *s = NULL;
  wl_engine *e = NULL;
  wl_dryrun *d = NULL;
  int rc = wl_whitelist_need_store(u->db_path);
  if (!rc)
    rc = wl_whitelist_open(u->db_path, u->engine_spec, 0, &s, &e);
  if (!rc)
    rc = wl_dryrun_run(e, s, &o, &d);
  if (!rc)
    wl_report_dryrun(f, d, &o);
  wl_dryrun_free(d);
  wl_engine_close(e);
  wl_store_close(s);
  wl_ui_answer(resp, rc, f);
}
