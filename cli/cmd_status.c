/* cmd_status.c — `wfplearn status [--json]`: what the store holds and what state it is in
 * (mode, capture state, counters, size, time span). Opens the store read-only, so it works
 * while learn is writing (WAL readers do not block the writer). A store that does not exist
 * yet is reported as empty rather than created.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "common/wl_err.h"
#include "store/store.h"
#include "ui/report.h"

typedef wl_status status; /* ui/report.h: shared with the review page */

static void usage(FILE *f) {
  fprintf(f,
          "usage: wfplearn status [--json] [--check]\n"
          "\n"
          "Show the store: mode (learn, pending, enforce), capture state, events stored and\n"
          "kept, ring drops, apps, flows, rules, size on disk, the time span seen, and the\n"
          "weights of wfplearn's sublayer and Windows Firewall's (MPSSVC_*) from the engine.\n"
          "\n"
          "  --json   one object: events, events_kept, drops, backfilled, skipped, duplicates,\n"
          "           not_connections (allow events at flow established, listen or bind:\n"
          "           counted, never stored as connections), apps, flows, rules, mode,\n"
          "           capture_state, capture_warning (why learn ran without allow events,\n"
          "           or null), blind_since (when learn's self-check found no allow events\n"
          "           while connections were open, or null), evtlog_since (when learn began\n"
          "           reading the Security log, or null), held (connections, table_only,\n"
          "           programs: long-lived connections seen in the connection tables, those\n"
          "           no event covers, their programs), db_bytes, first_seen, last_seen,\n"
          "           sublayers (name -> weight or null: ours and Windows Firewall's), window\n"
          "           (state, since, until, ended, left_s, events_per_day, summary; null when\n"
          "           none), service_state, engine_state, service_repair (what its verify\n"
          "           --repair at start did; null when the service never ran)\n"
          "  --check  also verify the file (SQLite quick_check); a damaged store is an error\n"
          "\n"
          "example:\n"
          "  wfplearn --db week.db status --json\n");
}

static void print_window(FILE *f, const status *x) {
  char line[WL_WINDOW_SUMMARY_MAX + 160];
  uint64_t now = wl_time_now();
  wl_window_describe(&x->window, now, line, sizeof line);
  fprintf(f, "window    %s\n", line);
  if (wl_status_per_day(x, now))
    fprintf(f, "rate      %llu events/day over the window\n", wl_status_per_day(x, now));
  if (x->service[0])
    fprintf(f, "service   %s\nengine    %s\n", x->service, x->engine[0] ? x->engine : "-");
  if (x->repair[0])
    fprintf(f, "repair    %s\n", x->repair);
}

static void human_size(uint64_t b, char *out, size_t cap) {
  static const char *const unit[] = {"bytes", "KiB", "MiB", "GiB", "TiB"};
  double v = (double)b;
  int u = 0;
  while (v >= 1024 && u < 4) {
    v /= 1024;
    u++;
  }
  snprintf(out, cap, u ? "%.1f %s" : "%.0f %s", v, unit[u]);
}

static void print_human(FILE *f, const char *path, const status *x, wl_engine *e) {
  const wl_store_stats *st = &x->st;
  char size[32], a[WL_TIME_STR_MAX], b[WL_TIME_STR_MAX];
  if (!x->exists) {
    fprintf(f, "store     %s: nothing recorded yet (run wfplearn learn)\nmode      learn\n", path);
    wl_cli_print_sublayers(f, e, 0);
    return;
  }
  human_size(st->db_bytes, size, sizeof size);
  fprintf(f, "store     %s (%s, schema %d)\n", path, size, x->schema);
  fprintf(f, "mode      %s", x->mode);
  unsigned long long deadline = strtoull(x->deadline, NULL, 10);
  if (!strcmp(x->mode, "pending") && deadline) {
    wl_time_text((uint64_t)deadline, a);
    fprintf(f, " (wfplearn confirm before %s, or it is rolled back)", a);
  }
  fprintf(f, "\ncapture   %s\n", x->capture[0] ? x->capture : "never ran");
  if (x->warning[0])
    fprintf(f, "WARNING   %s\n", x->warning);
  if (x->blind_since[0])
    fprintf(f, "WARNING   blind to allowed traffic since %s (connections open, no allow event "
               "recorded)\n", x->blind_since);
  if (x->evtlog_since[0])
    fprintf(f, "seclog    the Security log (5156/5157) read since %s: allowed traffic learnt "
               "from it\n", x->evtlog_since);
  if (x->held.held)
    fprintf(f, "held      %llu long-lived connections in the connection tables, %llu with no "
               "event (%llu programs; review lists them)\n", (unsigned long long)x->held.held,
            (unsigned long long)x->held.table_only, (unsigned long long)x->held.programs);
  fprintf(f, "events    %llu stored, %llu kept, %llu backfilled, %llu duplicates, %llu skipped\n",
          (unsigned long long)st->events, (unsigned long long)st->events_kept,
          (unsigned long long)st->backfilled, (unsigned long long)st->duplicates,
          (unsigned long long)st->skipped);
  if (st->not_connections)
    fprintf(f, "not conn. %llu allow events at flow established / listen / bind (counted, not "
            "stored as connections)\n", (unsigned long long)st->not_connections);
  fprintf(f, "drops     %llu%s\n", (unsigned long long)st->drops,
          st->drops ? " (events lost while the ring was full)" : "");
  fprintf(f, "apps      %llu\nflows     %llu\nrules     %llu\n", (unsigned long long)st->apps,
          (unsigned long long)st->flows, (unsigned long long)st->rules);
  if (st->first_ts) {
    wl_time_text(st->first_ts, a);
    wl_time_text(st->last_ts, b);
    fprintf(f, "seen      %s .. %s\n", a, b);
  }
  print_window(f, x);
  wl_cli_print_sublayers(f, e, 0);
}

int wl_cmd_status(wl_cli *cli, int argc, char **argv) {
  int json = 0, check = 0;
  if (wl_cli_wants_help(argc, argv)) {
    usage(cli->out);
    return WL_OK;
  }
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--json") == 0)
      json = 1;
    else if (strcmp(argv[i], "--check") == 0)
      check = 1;
    else
      return wl_err(WL_E_INVAL, "unknown argument '%s' (see wfplearn status --help)", argv[i]);
  }
  status x;
  int rc = wl_status_load(cli->db_path, check, &x);
  if (rc != WL_OK)
    return rc;
  /* The engine is read only for the sublayer weights; status works without it. */
  wl_engine *e = NULL;
  if (wl_engine_open(wl_cli_engine(cli), 0, &e) != WL_OK)
    e = NULL;
  if (json)
    wl_report_status(cli->out, cli->db_path, &x, e);
  else
    print_human(cli->out, cli->db_path, &x, e);
  wl_engine_close(e);
  wl_err_clear();
  return WL_OK;
}
