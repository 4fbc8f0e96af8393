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

/* One element of `review --json`. r is scratch space for the proposed rule. */
void wl_report_proposal(FILE *f, wl_store *s, const wl_proposal *p, wl_rule *r);
/* `review --json` whole: the proposals seen at or after since (0 = all), one a line. */
int wl_report_proposals(FILE *f, wl_store *s, uint64_t since);

/* One element of `rules --json`; r is the row's parsed rule (zeroed when it did not parse). */
void wl_report_rule(FILE *f, const wl_rule_row *row, const wl_rule *r);
/* `rules --json` whole. */
int wl_report_rules(FILE *f, wl_store *s);

#endif
