/* report_use.c — the JSON of rule use and temporary rules (issue 15, items 6 and 7), for
 * `rules --json` / GET /api/rules (members of each rule) and `review --json` / GET
 * /api/proposals (revoke proposals for unused rules, after the allow proposals). Kept apart from
 * report.c so that file only gains the calls.
 */
#include <stdlib.h>
#include <string.h>

#include "common/wl_err.h"
#include "common/wl_json.h"
#include "common/wl_text.h"
#include "ui/report.h"
#include "whitelist/rule_use.h"

/* ,"key":"T" or ,"key":null when ticks is 0 */
static void time_member(FILE *f, const char *key, uint64_t ticks) {
  char t[WL_TIME_STR_MAX];
  if (ticks)
    wl_time_format(ticks, t);
  fprintf(f, ",\"%s\":", key);
  wl_json_write_string(f, ticks ? t : NULL);
}

void wl_report_rule_use(FILE *f, const wl_rule_row *row, const wl_rule_use *u, uint64_t now) {
  if (u) {
    fprintf(f, ",\"hits\":%llu", (unsigned long long)u->hits);
    time_member(f, "last_hit", u->last_hit);
    fprintf(f, ",\"unused\":%s", u->unused ? "true" : "false");
  }
  time_member(f, "expires", row->expires);
  fputs(",\"expires_in_s\":", f);
  if (row->expires)
    fprintf(f, "%llu", (unsigned long long)(row->expires > now
                                                ? (row->expires - now) / WL_TICKS_PER_SEC
                                                : 0));
  else
    fputs("null", f);
}

typedef struct unused_ctx {
  FILE *f;
  size_t *items;
  wl_rule *r; /* scratch: the row parsed */
} unused_ctx;

/* {"kind":"revoke","rule":{the rule as rules --json has it},"unused_days":30,"flags":["unused"]} */
static int unused_cb(void *ctx, const wl_rule_row *row, const wl_rule_use *u) {
  unused_ctx *c = ctx;
  if (!u->unused)
    return 0;
  if (wl_rule_from_row(row, c->r) != WL_OK) { /* shown anyway; verify explains */
    memset(c->r, 0, sizeof *c->r);
    wl_err_clear();
  }
  fputs((*c->items)++ ? ",\n " : "[", c->f);
  fputs("{\"kind\":\"revoke\",\"rule\":", c->f);
  wl_report_rule(c->f, row, c->r, u);
  fprintf(c->f, ",\"unused_days\":%d,\"flags\":[\"unused\"]}", WL_RULE_UNUSED_DAYS);
  return 0;
}

int wl_report_unused(FILE *f, wl_store *s, size_t *items) {
  unused_ctx c = {f, items, malloc(sizeof(wl_rule))};
  int rc = c.r ? wl_rules_each_use(s, unused_cb, &c) : wl_err(WL_E_NOMEM, "out of memory");
  free(c.r);
  return rc;
}
