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
#include "common/wl_os.h"
#include "common/wl_json.h"
#include "common/wl_text.h"
#include "capture/capture.h"
#include "store/store.h"
#include "whitelist/enforce.h"
#include "service/service.h"

typedef struct status {
  int exists, schema;
  char mode[32], capture[32], deadline[32];
  char warning[512]; /* WL_META_CAPTURE_WARNING: learn ran without allow events, and why */
  wl_store_stats st;
  wl_window window;                          /* the learning window (learn --for, service) */
  char service[128], engine[512], event[512]; /* WL_META_SERVICE_*: "" when it never ran */
} status;

static void usage(FILE *f) {
  fprintf(f,
          "usage: wfplearn status [--json] [--check]\n"
          "\n"
          "Show the store: mode (learn, pending, enforce), capture state, events stored and\n"
          "kept, ring drops, apps, flows, rules, size on disk, the time span seen, and the\n"
          "weights of wfplearn's sublayer and Windows Firewall's (MPSSVC_*) from the engine.\n"
          "\n"
          "  --json   one object: events, events_kept, drops, backfilled, skipped, duplicates,\n"
          "           apps, flows, rules, mode, capture_state, capture_warning (why learn\n"
          "           ran without allow events, or null), db_bytes, first_seen, last_seen,\n"
          "           sublayers (name -> weight or null: ours and Windows Firewall's), window\n"
          "           (state, since, until, ended, left_s, events_per_day, summary; null when\n"
          "           none), service_state, engine_state (null when the service never ran)\n"
          "  --check  also verify the file (SQLite quick_check); a damaged store is an error\n"
          "\n"
          "example:\n"
          "  wfplearn --db week.db status --json\n");
}

static void json_time(FILE *f, const char *key, uint64_t ticks);

static void meta_or(wl_store *s, const char *key, char *out, size_t cap, const char *dflt) {
  if (wl_store_meta_get(s, key, out, cap) != WL_OK || !out[0])
    wl_strlcpy(out, dflt, cap);
}

static void load_service(wl_store *s, status *x) {
  if (wl_window_load(s, &x->window) != WL_OK)
    memset(&x->window, 0, sizeof x->window);
  meta_or(s, WL_META_SERVICE_STATE, x->service, sizeof x->service, "");
  meta_or(s, WL_META_SERVICE_ENGINE, x->engine, sizeof x->engine, "");
  meta_or(s, WL_META_SERVICE_EVENT, x->event, sizeof x->event, "");
}

/* Events per day over the window so far (0 when no window or under a minute old). */
static unsigned long long per_day(const status *x, uint64_t now) {
  const wl_window *w = &x->window;
  uint64_t end = w->state == WL_WINDOW_ACTIVE ? now : w->ended;
  uint64_t ev = x->st.events >= w->base_events ? x->st.events - w->base_events : 0;
  if (w->state == WL_WINDOW_NONE || end < w->since + 60 * WL_TICKS_PER_SEC)
    return 0;
  return (unsigned long long)((double)ev * 86400.0 * WL_TICKS_PER_SEC / (double)(end - w->since));
}

static void json_window(FILE *f, const status *x) {
  const wl_window *w = &x->window;
  uint64_t now = wl_time_now();
  fputs(",\"window\":", f);
  if (w->state == WL_WINDOW_NONE) {
    fputs("null", f);
  } else {
    fputs("{\"state\":", f);
    wl_json_write_string(f, wl_window_state_name(w->state));
    fprintf(f, ",\"left_s\":%llu,\"events_per_day\":%llu",
            (unsigned long long)(wl_window_left(w, now) / WL_TICKS_PER_SEC), per_day(x, now));
    json_time(f, "since", w->since);
    json_time(f, "until", w->until);
    json_time(f, "ended", w->ended);
    fputs(",\"summary\":", f);
    wl_json_write_string(f, w->summary[0] ? w->summary : NULL);
    fputs("}", f);
  }
  fputs(",\"service_state\":", f);
  wl_json_write_string(f, x->service[0] ? x->service : NULL);
  fputs(",\"engine_state\":", f);
  wl_json_write_string(f, x->engine[0] ? x->engine : NULL);
}

static void print_window(FILE *f, const status *x) {
  char line[WL_WINDOW_SUMMARY_MAX + 160];
  uint64_t now = wl_time_now();
  wl_window_describe(&x->window, now, line, sizeof line);
  fprintf(f, "window    %s\n", line);
  if (per_day(x, now))
    fprintf(f, "rate      %llu events/day over the window\n", per_day(x, now));
  if (x->service[0])
    fprintf(f, "service   %s\nengine    %s\n", x->service, x->engine[0] ? x->engine : "-");
}

static int load(const char *path, int check, status *x) {
  memset(x, 0, sizeof *x);
  wl_strlcpy(x->mode, "learn", sizeof x->mode);
  FILE *f = NULL;
  if (wl_os_fopen(path, "rb", &f) != WL_OK) {
    wl_err_clear();
    return WL_OK; /* no store yet: empty */
  }
  fclose(f);
  wl_store_opts o = {.read_only = 1, .quick_check = check};
  wl_store *s = NULL;
  int rc = wl_store_open(path, &o, &s);
  if (rc == WL_E_NOTFOUND) /* an empty file: created, never written */
    return WL_OK;
  if (rc == WL_OK)
    rc = wl_store_stats_get(s, &x->st);
  if (rc == WL_OK) {
    x->exists = 1;
    x->schema = wl_store_schema_version(s);
    /* the whitelist's view: a pending mode whose watchdog died reads as learn */
    if (wl_enforce_mode(s, x->mode, sizeof x->mode) != WL_OK)
      wl_strlcpy(x->mode, "learn", sizeof x->mode);
    meta_or(s, "capture_state", x->capture, sizeof x->capture, "");
    meta_or(s, "watchdog_deadline", x->deadline, sizeof x->deadline, "");
    meta_or(s, WL_META_CAPTURE_WARNING, x->warning, sizeof x->warning, "");
    load_service(s, x);
  }
  wl_store_close(s);
  return rc;
}

static void json_time(FILE *f, const char *key, uint64_t ticks) {
  char t[WL_TIME_STR_MAX];
  fprintf(f, ",\"%s\":", key);
  if (!ticks) {
    fputs("null", f);
    return;
  }
  wl_time_format(ticks, t);
  wl_json_write_string(f, t);
}

static void print_json(FILE *f, const char *path, const status *x, wl_engine *e) {
  const wl_store_stats *st = &x->st;
  fputs("{\"db\":", f);
  wl_json_write_string(f, path);
  fprintf(f, ",\"exists\":%s,\"schema_version\":%d,\"mode\":", x->exists ? "true" : "false",
          x->schema);
  wl_json_write_string(f, x->mode);
  fputs(",\"capture_state\":", f);
  wl_json_write_string(f, x->capture[0] ? x->capture : NULL);
  fputs(",\"capture_warning\":", f);
  wl_json_write_string(f, x->warning[0] ? x->warning : NULL);
  fprintf(f,
          ",\"events\":%llu,\"events_kept\":%llu,\"drops\":%llu,\"backfilled\":%llu,"
          "\"skipped\":%llu,\"duplicates\":%llu,\"apps\":%llu,\"flows\":%llu,\"rules\":%llu,"
          "\"db_bytes\":%llu",
          (unsigned long long)st->events, (unsigned long long)st->events_kept,
          (unsigned long long)st->drops, (unsigned long long)st->backfilled,
          (unsigned long long)st->skipped, (unsigned long long)st->duplicates,
          (unsigned long long)st->apps, (unsigned long long)st->flows,
          (unsigned long long)st->rules, (unsigned long long)st->db_bytes);
  json_time(f, "first_seen", st->first_ts);
  json_time(f, "last_seen", st->last_ts);
  json_window(f, x);
  wl_cli_print_sublayers(f, e, 1);
  fputs("}\n", f);
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
    wl_time_format((uint64_t)deadline, a);
    fprintf(f, " (wfplearn confirm before %s, or it is rolled back)", a);
  }
  fprintf(f, "\ncapture   %s\n", x->capture[0] ? x->capture : "never ran");
  if (x->warning[0])
    fprintf(f, "WARNING   %s\n", x->warning);
  fprintf(f, "events    %llu stored, %llu kept, %llu backfilled, %llu duplicates, %llu skipped\n",
          (unsigned long long)st->events, (unsigned long long)st->events_kept,
          (unsigned long long)st->backfilled, (unsigned long long)st->duplicates,
          (unsigned long long)st->skipped);
  fprintf(f, "drops     %llu%s\n", (unsigned long long)st->drops,
          st->drops ? " (events lost while the ring was full)" : "");
  fprintf(f, "apps      %llu\nflows     %llu\nrules     %llu\n", (unsigned long long)st->apps,
          (unsigned long long)st->flows, (unsigned long long)st->rules);
  if (st->first_ts) {
    wl_time_format(st->first_ts, a);
    wl_time_format(st->last_ts, b);
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
  int rc = load(cli->db_path, check, &x);
  if (rc != WL_OK)
    return rc;
  /* The engine is read only for the sublayer weights; status works without it. */
  wl_engine *e = NULL;
  if (wl_engine_open(wl_cli_engine(cli), 0, &e) != WL_OK)
    e = NULL;
  if (json)
    print_json(cli->out, cli->db_path, &x, e);
  else
    print_human(cli->out, cli->db_path, &x, e);
  wl_engine_close(e);
  wl_err_clear();
  return WL_OK;
}
