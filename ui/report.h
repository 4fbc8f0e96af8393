/* report.h — the JSON documents of `status --json`, `review --json` and `rules --json`.
 *
 * One writer for the command line and the review page's API (GET /api/status, /api/proposals,
 * /api/rules), so the two cannot drift apart: the page sees exactly the objects scripts see.
 * The keys are the contract of docs/cli.md ("Machine-readable output"). Writers take a FILE
 * (stdout for the CLI, a memory file for the page: ui/ui_os.h) and report nothing on failure
 * of the stream itself; the caller checks ferror.
 */
#ifndef WL_UI_REPORT_H
#define WL_UI_REPORT_H

#include <stdint.h>
#include <stdio.h>

#include "engine/engine.h"
#include "service/window.h"
#include "store/held.h"
#include "store/store.h"
#include "whitelist/dryrun.h"
#include "whitelist/proposal.h"
#include "whitelist/rule.h"

/* What `status` shows: read from a store opened read-only (works while learn writes). */
typedef struct wl_status {
  int exists, schema;
  char mode[32], capture[32], deadline[32];
  char warning[512]; /* WL_META_CAPTURE_WARNING: learn ran without allow events, and why */
  char blind_since[WL_TIME_STR_MAX]; /* WL_META_BLIND_SINCE: the self-check found learn blind */
  char evtlog_since[WL_TIME_STR_MAX]; /* WL_META_EVTLOG_SINCE: the Security log was read */
  wl_store_stats st;
  wl_held_counts held; /* connections seen in the connection tables (issue 19, store/held.h) */
  wl_window window;                           /* the learning window (learn --for, service) */
  char service[128], engine[512], event[512]; /* WL_META_SERVICE_*: "" when it never ran */
  char repair[512]; /* WL_META_SERVICE_REPAIR: what the service's verify --repair at start did */
} wl_status;

/* Load the status of the store at path; a missing or never-written store is reported as empty
 * (exists 0, mode learn), not created. check: also run SQLite's quick_check. */
int wl_status_load(const char *path, int check, wl_status *x);
/* `status --json`: one object and a newline. e (may be NULL) gives the sublayer weights. */
void wl_report_status(FILE *f, const char *path, const wl_status *x, wl_engine *e);
/* Events per day over the learning window so far (0 when none or under a minute old). */
unsigned long long wl_status_per_day(const wl_status *x, uint64_t now);
/* The ",\"sublayers\":{name: weight|null}" member (null when e is NULL or cannot be read). */
void wl_report_sublayers(FILE *f, wl_engine *e);

/* report_filters.c — the filters named under a listing's proposals ("blocked by"), each looked
 * up in the store once: start from {0}, wl_filter_names_free when the listing is done. */
typedef struct wl_filter_names {
  struct wl_filter_name {
    wl_filter_info fi;
    int known; /* 0: never attributed (the store has no row for it) */
  } *v, spare;  /* spare: a lookup past the most kept, or when v cannot grow */
  size_t n, cap;
} wl_filter_names;
/* The filter's name, provider and keys as recorded; NULL when it was never attributed. Valid
 * until the next call. */
const wl_filter_info *wl_filter_names_get(wl_filter_names *m, wl_store *s, uint64_t filter_id);
void wl_filter_names_free(wl_filter_names *m);

/* One element of `review --json`. r is scratch space for the proposed rule; names: the
 * listing's filter names. */
void wl_report_proposal(FILE *f, wl_store *s, wl_filter_names *names, const wl_proposal *p,
                        wl_rule *r);
/* `review --json` whole: the proposals seen at or after since (0 = all), one a line; app
 * updates checked through engine_spec (NULL: signers not checked), report_rebind.c. */
int wl_report_proposals(FILE *f, wl_store *s, const char *engine_spec, uint64_t since);

/* report_rebind.c — app updates (whitelist/rebind.h) in review. The "update_of" and "update"
 * members of a proposal's JSON object; the text lines under a proposal; the annotation, which
 * opens the engine (engine_spec, NULL: never) only when a proposal is an update candidate. */
void wl_report_rebind_json(FILE *f, const wl_proposal *p);
void wl_report_rebind_text(FILE *f, const wl_proposal *p);
int wl_report_rebind_annotate(wl_store *s, const char *engine_spec, wl_proposal *p, size_t n);
/* A rule's recorded signer and previous path: `rules --json` members, `rules` lines. */
void wl_report_rule_rebind_json(FILE *f, const wl_rule_row *row);
void wl_report_rule_rebind_text(FILE *f, const wl_rule_row *row);

/* One element of `rules --json`; r is the row's parsed rule (zeroed when it did not parse); u
 * its use (whitelist/rule_use.h; NULL: the use members are left out). */
struct wl_rule_use;
void wl_report_rule(FILE *f, const wl_rule_row *row, const wl_rule *r,
                    const struct wl_rule_use *u);
/* `rules --json` whole. */
int wl_report_rules(FILE *f, wl_store *s);

/* `enforce --dry-run --json` and GET /api/dryrun (ui/report_dryrun.c): one object. */
void wl_report_dryrun(FILE *f, const wl_dryrun *d, const wl_dryrun_opts *o);
/* ---- report_use.c: rule use and temporary rules (issue 15, items 6 and 7) ---- */
/* The members ,"hits","last_hit","unused" (when u is not NULL) and ,"expires","expires_in_s"
 * (null when permanent; 0 once past) of a rule object. */
void wl_report_rule_use(FILE *f, const wl_rule_row *row, const struct wl_rule_use *u,
                        uint64_t now);
/* review's revoke proposals: one element {"kind":"revoke","rule":{...},"unused_days":30,
 * "flags":["unused"]} per unused rule ("rule" is the object of `rules --json`), each preceded by "[" when *items is 0 and ",\n " otherwise (*items counts the
 * array's elements so far: the caller closes the array). */
int wl_report_unused(FILE *f, wl_store *s, size_t *items);
/* ---- report_held.c: table-only evidence (issue 19, item 3) ---- */
/* review's "held" elements, after the revoke ones: one {"kind":"held","app",...} per long-lived
 * connection seen only in the connection tables (store/held.h), with the same "[" / ",\n "
 * and *items convention as wl_report_unused. Evidence, not proposals: no id. */
int wl_report_held(FILE *f, wl_store *s, size_t *items);

#endif
