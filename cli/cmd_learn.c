/* cmd_learn.c — `wfplearn learn`: capture connections into the store until stopped, until
 * --duration has passed, or until a file source (replay:FILE, sim:TRAFFIC) is consumed.
 * Ctrl+C, SIGTERM and console close flush the last batch, restore the engine options and exit
 * 0. On a terminal a one-line status (events, events/s, drops, apps) is redrawn about once a
 * second on stderr; a summary line goes to stdout at the end.
 * With --for D the run belongs to a learning window kept in the store (service/window.h): a
 * later run, or the service, continues it; its end stops capture and records a summary;
 * --stop ends it from any process (a running learn or service sees it within a second).
 */
#include <inttypes.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "common/wl_err.h"
#include "common/wl_os.h"
#include "common/wl_text.h"
#include "store/store.h"
#include "capture/capture.h"
#include "engine/engine.h"
#include "import/import.h"
#include "service/window.h"

typedef struct learn_args {
  wl_capture_opts o;
  uint64_t duration;    /* ticks, 0 = none */
  wl_store_opts store;  /* --retain, --retain-mb */
  uint64_t window;      /* --for D: ticks (0: the default 7 days) */
  int for_set, stop, window_only; /* --for, --stop, --window-only */
} learn_args;

static void usage(FILE *f) {
  fprintf(f,
          "usage: wfplearn learn [--source wfp|eventlog|replay:FILE|sim:TRAFFIC]\n"
          "                      [--duration D] [--speed X] [--no-allow] [--no-inbound]\n"
          "                      [--no-fallback] [--audit-drops] [--record FILE]\n"
          "                      [--retain D] [--retain-mb N]\n"
          "       wfplearn learn --for D [--window-only] [OPTIONS]  |  wfplearn learn --stop\n"
          "\n"
          "Capture every connection the machine makes or refuses into the store.\n"
          "\n"
          "  --source S     wfp (default): WFP net events, live, until stopped;\n"
          "                 replay:FILE: a recorded JSON-lines event stream ('-' = stdin);\n"
          "                 sim:TRAFFIC: the sim engine classifying a traffic file;\n"
          "                 eventlog: the Security log's events 5156/5157 (5152 with\n"
          "                 --audit-drops), live; auditing is switched on and put back\n"
          "  --no-fallback  wfp: stay on WFP when allow events do not come (by default learn\n"
          "                 then also reads the Security log, counting each connection once)\n"
          "  --audit-drops  the Security log: also audit Filtering Platform Packet Drop\n"
          "  --duration D   stop after D (30s, 15m, 2h, 7d)\n"
          "  --for D        learn within a window of D (default 7d) kept in the store: a later\n"
          "                 run (or the service, after a reboot) continues the same window;\n"
          "                 at its end capture stops by itself and `status` has a summary\n"
          "  --window-only  with --for: record the window and return (the service captures)\n"
          "  --stop         end the active window now (its summary goes to `status`)\n"
          "  --speed X      file sources: 0 = as fast as possible (default), 1 = recorded\n"
          "                 time, X = X times faster than recorded\n"
          "  --no-allow     do not ask WFP for allowed connections (only blocks)\n"
          "  --no-inbound   do not ask WFP for inbound multicast/broadcast events\n"
          "  --record FILE  also write every stored event to FILE (JSON lines, replayable)\n"
          "  --ring N       ring capacity in events, a power of two (default %u)\n"
          "  --retain D     keep raw events for D back from the newest one (default 7d);\n"
          "                 flows and apps are kept whatever their age\n"
          "  --retain-mb N  and at most N MiB of database for them (default 1024)\n"
          "\n"
          "Ctrl+C stops cleanly: the last batch is written and the engine options restored.\n"
          "\n"
          "example:\n"
          "  wfplearn --db week.db learn --duration 7d\n"
          "  wfplearn --db test.db learn --source sim:traffic.jsonl --record events.jsonl\n",
          WL_CAPTURE_RING_DEFAULT);
}

static int parse_number(const char *opt, const char *v, double *out) {
  char *end;
  *out = strtod(v, &end);
  if (end == v || *end != '\0' || !(*out >= 0))
    return wl_err(WL_E_INVAL, "%s '%s': expected a non-negative number", opt, v);
  return WL_OK;
}

/* One option at argv[*i]; WL_OK, or WL_E_INVAL with the message set. */
static int parse_one(int argc, char **argv, int *i, learn_args *a) {
  int missing = 0;
  const char *v;
  double num;
  if (strcmp(argv[*i], "--no-allow") == 0)
    a->o.no_allow = 1;
  else if (strcmp(argv[*i], "--no-inbound") == 0)
    a->o.no_inbound = 1;
  else if (strcmp(argv[*i], "--no-fallback") == 0)
    a->o.no_fallback = 1;
  else if (strcmp(argv[*i], "--audit-drops") == 0)
    a->o.audit_drops = 1;
  else if (strcmp(argv[*i], "--stop") == 0)
    a->stop = 1;
  else if (strcmp(argv[*i], "--window-only") == 0)
    a->window_only = 1;
  else if ((v = wl_cli_opt(argc, argv, i, "--for", &missing))) {
    if (wl_duration_parse(v, &a->window) != WL_OK || a->window == 0)
      return wl_err(WL_E_INVAL, "--for '%s': expected e.g. 20s, 2h, 7d", v);
    a->for_set = 1;
  } else if ((v = wl_cli_opt(argc, argv, i, "--source", &missing)))
    a->o.source = v;
  else if ((v = wl_cli_opt(argc, argv, i, "--record", &missing)))
    a->o.record_path = v;
  else if ((v = wl_cli_opt(argc, argv, i, "--duration", &missing))) {
    if (wl_duration_parse(v, &a->duration) != WL_OK || a->duration == 0)
      return wl_err(WL_E_INVAL, "--duration '%s': expected e.g. 30s, 15m, 2h, 7d", v);
  } else if ((v = wl_cli_opt(argc, argv, i, "--speed", &missing))) {
    if (parse_number("--speed", v, &a->o.speed) != WL_OK)
      return WL_E_INVAL;
  } else if ((v = wl_cli_opt(argc, argv, i, "--ring", &missing))) {
    if (parse_number("--ring", v, &num) != WL_OK || num < 2 || num > (double)(1u << 24) ||
        num != (double)(size_t)num)
      return wl_err(WL_E_INVAL, "--ring '%s': expected a power of two from 2 to %u", v, 1u << 24);
    a->o.ring_capacity = (size_t)num;
  } else if ((v = wl_cli_opt(argc, argv, i, "--retain", &missing))) {
    if (wl_duration_parse(v, &a->store.retain_ticks) != WL_OK || a->store.retain_ticks == 0)
      return wl_err(WL_E_INVAL, "--retain '%s': expected e.g. 12h, 7d, 2w", v);
  } else if ((v = wl_cli_opt(argc, argv, i, "--retain-mb", &missing))) {
    if (parse_number("--retain-mb", v, &num) != WL_OK || num < 1 || num > 1048576.0 * 1024)
      return wl_err(WL_E_INVAL, "--retain-mb '%s': expected a size in MiB, 1 to 1073741824",
                    v);
    a->store.retain_bytes = (uint64_t)(num * 1024 * 1024);
  } else if (missing)
    return wl_err(WL_E_INVAL, "%s needs a value", argv[*i]);
  else
    return wl_err(WL_E_INVAL, "%s: unknown option (see wfplearn learn --help)", argv[*i]);
  return WL_OK;
}

static atomic_int interrupted;
static void on_interrupt(void *ctx) {
  (void)ctx;
  atomic_store(&interrupted, 1);
}

typedef struct status {
  wl_cli *cli;
  int shown; /* a status line is on the terminal */
} status;

/* The status line is overwritten with '\r' and blanks (no escape sequences: a Windows console
 * without VT processing would print them). */
#define STATUS_WIDTH 72

static void clear_status(status *st) {
  if (st->shown)
    fprintf(st->cli->err, "\r%*s\r", STATUS_WIDTH, "");
  st->shown = 0;
}

static void log_line(void *ctx, const char *line) {
  status *st = ctx;
  clear_status(st);
  fprintf(st->cli->err, "wfplearn learn: %s\n", line);
  fflush(st->cli->err);
}

static void show_status(status *st, const wl_capture_stats *s) {
  char line[STATUS_WIDTH + 1];
  snprintf(line, sizeof line,
           "%" PRIu64 " events  %" PRIu64 "/s  %" PRIu64 " drops  %" PRIu64 " apps", s->events,
           s->events_per_s, s->drops, s->apps);
  fprintf(st->cli->err, "\r%-*s", STATUS_WIDTH, line);
  fflush(st->cli->err);
  st->shown = 1;
}

/* The engine options the capture set, watched on a handle of our own: another program (or
 * `wfplearn uninstall` of an older version) that switches collection off or takes keywords
 * away would leave learn recording a fraction of the traffic and exiting 0 (issue 18). */
typedef struct opt_watch {
  wl_engine *e;           /* NULL: nothing to watch (replay) or the engine would not open */
  uint32_t collect, kw;   /* as the capture left them */
  int kw_known;
  uint64_t next_ns;
} opt_watch;

static int source_uses_engine(const char *src) {
  return !src || strcmp(src, "wfp") == 0 || strncmp(src, "sim:", 4) == 0;
}

static void watch_start(opt_watch *w, const learn_args *a) {
  memset(w, 0, sizeof *w);
  if (!source_uses_engine(a->o.source) || wl_engine_open(a->o.engine_spec, 0, &w->e) != WL_OK ||
      wl_engine_get_option(w->e, WL_OPT_COLLECT_NET_EVENTS, &w->collect) != WL_OK) {
    wl_engine_close(w->e);
    w->e = NULL;
    wl_err_clear();
    return;
  }
  /* the capture switched collection on (capture.h); a 0 here already means it was taken. The
   * keywords it set are what the engine holds now (it may have refused the allow keyword). */
  w->collect = 1;
  w->kw_known = wl_engine_get_option(w->e, WL_OPT_NET_EVENT_MATCH_ANY_KEYWORDS, &w->kw) == WL_OK;
  w->next_ns = 0; /* the first check at once */
}

/* WL_OK, or WL_E_STOPPED with the message when the options are no longer the capture's. An
 * engine that does not answer is the capture's business (it retries and says so). */
static int watch_check(opt_watch *w, uint64_t now) {
  uint32_t collect = 0, kw = 0;
  if (!w->e || now < w->next_ns)
    return WL_OK;
  w->next_ns = now + WL_CAPTURE_PROBE_MS * 1000000ull;
  if (wl_engine_get_option(w->e, WL_OPT_COLLECT_NET_EVENTS, &collect) != WL_OK) {
    wl_err_clear();
    return WL_OK;
  }
  int kw_ok = !w->kw_known ||
              wl_engine_get_option(w->e, WL_OPT_NET_EVENT_MATCH_ANY_KEYWORDS, &kw) != WL_OK ||
              (kw & w->kw) == w->kw;
  wl_err_clear();
  if (collect == w->collect && kw_ok)
    return WL_OK;
  return wl_err(WL_E_STOPPED, "the engine's net event options were changed under the capture "
                "(collect %u -> %u, keywords 0x%x -> 0x%x: another program, or an uninstall); "
                "events were no longer all being collected, so learn stopped", (unsigned)w->collect,
                (unsigned)collect, (unsigned)w->kw, (unsigned)kw);
}

/* The window as another handle sees it (learn --stop or the service may change it): 1 while
 * it is active and not due; 0 otherwise (*due: its time is up). */
static int window_goes_on(wl_store *ctl, int *due) {
  wl_window w;
  if (wl_window_load(ctl, &w) != WL_OK) { /* busy: ask again next second */
    wl_err_clear();
    return 1;
  }
  *due = wl_window_due(&w, wl_time_now());
  return w.state == WL_WINDOW_ACTIVE && !*due;
}

/* Wait for the end: a file consumed, --duration, an interrupt, an error, the engine options
 * taken away (returned: WL_E_STOPPED), or (ctl: --for) the window's end or a `learn --stop`
 * elsewhere (*due: the window's time is up). */
static int wait_for_end(wl_capture *cap, status *st, uint64_t duration, opt_watch *w,
                        wl_store *ctl, int *due) {
  uint64_t start = wl_time_mono_ns(), last = start, polled = start;
  wl_capture_stats s;
  for (;;) {
    wl_capture_wait(cap, 50); /* woken at the end of a file at once */
    wl_capture_stats_get(cap, &s);
    uint64_t now = wl_time_mono_ns();
    if (s.done || s.error || atomic_load(&interrupted))
      return WL_OK;
    if (duration && (now - start) / 100 >= duration)
      return WL_OK;
    int rc = watch_check(w, now);
    if (rc != WL_OK)
      return rc;
    if (ctl && now - polled >= 1000000000ULL) {
      polled = now;
      if (!window_goes_on(ctl, due))
        return WL_OK;
    }
    if (st->cli->is_tty && now - last >= 1000000000ULL) {
      show_status(st, &s);
      last = now;
    }
  }
}

/* The file part of a source ("replay:FILE", "sim:TRAFFIC"), NULL for wfp and stdin. */
static const char *source_file(const char *src) {
  const char *f = !src ? NULL
                  : strncmp(src, "replay:", 7) == 0 ? src + 7
                  : strncmp(src, "sim:", 4) == 0    ? src + 4
                                                    : NULL;
  return f && *f && strcmp(f, "-") != 0 ? f : NULL;
}

static int same_file(const char *a, const char *b) {
  wl_file_id x, y;
  int same = wl_os_file_id(a, &x) == WL_OK && wl_os_file_id(b, &y) == WL_OK && x.dev == y.dev &&
             x.ino == y.ino;
  wl_err_clear();
  return same;
}

/* --record truncates its file: never the source being read, the store or its WAL (compared by
 * file identity, so another name, a link or a symlink to them is caught too). */
static int check_record(const char *db, const learn_args *a) {
  const char *rec = a->o.record_path, *src = source_file(a->o.source);
  if (!rec)
    return WL_OK;
  char side[4096];
  static const char *const sfx[] = {"", "-wal", "-shm", "-journal"};
  for (size_t i = 0; i < sizeof sfx / sizeof sfx[0]; i++) {
    snprintf(side, sizeof side, "%s%s", db, sfx[i]);
    if (same_file(rec, side))
      return wl_err(WL_E_INVAL, "--record %s: that is the store (%s); refusing to overwrite it",
                    rec, side);
  }
  if (src && same_file(rec, src))
    return wl_err(WL_E_INVAL, "--record %s: that is the source being read (%s); refusing to "
                  "overwrite it", rec, src);
  return WL_OK;
}

static void summary(wl_cli *cli, status *st, wl_capture *cap, uint64_t ns) {
  wl_capture_stats s;
  wl_capture_stats_get(cap, &s);
  clear_status(st);
  fprintf(cli->out,
          "learn: %" PRIu64 " events stored (%" PRIu64 " dropped, %" PRIu64 " skipped, %" PRIu64
          " backfilled, %" PRIu64 " malformed), %" PRIu64 " apps, %" PRIu64 " flows, %.1f s\n",
          s.events, s.drops, s.skipped, s.backfilled, s.malformed, s.apps, s.flows,
          (double)ns / 1e9);
  if (s.evtlog_records || s.duplicates) /* issue 19: the Security log was read */
    fprintf(cli->out, "learn: %" PRIu64 " Security log records read, %" PRIu64
            " connections seen by both sources stored once\n", s.evtlog_records, s.duplicates);
}

/* The store keeps no event dated past the clock (store.h): say how many it refused. */
static void report_future(wl_store *store, status *st, int64_t before) {
  int64_t after = 0;
  if (wl_store_counter_get(store, "future", &after) != WL_OK) {
    wl_err_clear();
    return;
  }
  if (after > before) {
    char line[160];
    long long n = (long long)(after - before);
    snprintf(line, sizeof line, "%lld event%s dated more than a day past this machine's clock "
             "not stored", n, n > 1 ? "s" : "");
    log_line(st, line);
  }
}

/* --for: begin or resume the window (says which); --stop: end it. */
static int window_start(wl_cli *cli, learn_args *a, wl_store *store) {
  wl_window w;
  wl_window_begin_kind kind;
  char line[512];
  int rc = a->stop ? wl_window_finish(store, wl_time_now(), WL_WINDOW_STOPPED, &w)
                   : wl_window_begin(store, wl_time_now(), a->window, &w, &kind);
  if (rc != WL_OK)
    return rc;
  wl_window_describe(&w, wl_time_now(), line, sizeof line);
  fprintf(cli->out, "learn: window %s%s\n",
          a->stop ? "" : kind == WL_WINDOW_RESUME ? "continued, " : "new, ", line);
  return WL_OK;
}

static int window_end(wl_cli *cli, wl_store *store) {
  wl_window w;
  int rc = wl_window_finish(store, wl_time_now(), WL_WINDOW_ENDED, &w);
  if (rc == WL_OK)
    fprintf(cli->out, "learn: the learning window ended: %s\n", w.summary);
  return rc;
}

static int run(wl_cli *cli, learn_args *a) {
  wl_store *store = NULL, *ctl = NULL;
  wl_store_lock *lock = NULL;
  wl_capture *cap = NULL;
  opt_watch w = {0};
  status st = {cli, 0};
  int due = 0;
  int rc = check_record(cli->db_path, a);
  if (rc == WL_OK)
    rc = wl_store_open(cli->db_path, &a->store, &store);
  if (rc != WL_OK)
    goto fail;
  if ((a->for_set || a->stop) && (rc = window_start(cli, a, store)) != WL_OK)
    goto fail;
  if (a->stop || a->window_only) {
    wl_store_close(store);
    return WL_OK;
  }
  rc = wl_store_capture_lock(store, &lock); /* before the engine options are touched */
  wl_store_opts ro = {.read_only = 1};
  if (rc == WL_OK && a->for_set)
    rc = wl_store_open(cli->db_path, &ro, &ctl);
  if (rc != WL_OK)
    goto fail;
  a->o.engine_spec = wl_cli_engine(cli);
  a->o.parse_evtxml = wl_import_event_xml; /* the Security log: the evtxml importer's parser */
  a->o.log = log_line;
  a->o.log_ctx = &st;
  atomic_store(&interrupted, 0);
  wl_os_on_interrupt(on_interrupt, NULL);
  uint64_t t0 = wl_time_mono_ns();
  int64_t future0 = 0;
  if (wl_store_counter_get(store, "future", &future0) != WL_OK)
    wl_err_clear();
  if ((rc = wl_capture_start(&a->o, store, &cap)) == WL_OK) {
    watch_start(&w, a);
    int lost = wait_for_end(cap, &st, a->duration, &w, ctl, &due);
    char msg[512] = "";
    if (lost != WL_OK) {
      wl_strlcpy(msg, wl_errmsg(), sizeof msg);
      log_line(&st, msg);
    }
    rc = wl_capture_stop(cap);
    char stop_msg[512] = "";
    if (rc != WL_OK)
      wl_strlcpy(stop_msg, wl_errmsg(), sizeof stop_msg);
    summary(cli, &st, cap, wl_time_mono_ns() - t0);
    report_future(store, &st, future0);
    if (lost != WL_OK)
      rc = wl_err(lost, "%s", msg);
    else if (rc != WL_OK)
      rc = wl_err(rc, "%s", stop_msg[0] ? stop_msg : wl_strerror(rc));
  }
  wl_engine_close(w.e);
  if (rc == WL_OK && due)
    rc = window_end(cli, store);
fail:
  wl_store_close(ctl);
  if (rc != WL_OK) { /* keep the message through the cleanup */
    char msg[512];
    wl_strlcpy(msg, wl_errmsg(), sizeof msg);
    wl_capture_destroy(cap);
    wl_store_capture_unlock(lock);
    wl_store_close(store);
    return wl_err(rc, "%s", msg[0] ? msg : wl_strerror(rc));
  }
  wl_capture_destroy(cap);
  wl_store_capture_unlock(lock);
  wl_store_close(store);
  return WL_OK;
}

int wl_cmd_learn(wl_cli *cli, int argc, char **argv) {
  learn_args a;
  memset(&a, 0, sizeof a);
  if (wl_cli_wants_help(argc, argv)) {
    usage(cli->out);
    return WL_OK;
  }
  for (int i = 1; i < argc; i++)
    if (parse_one(argc, argv, &i, &a) != WL_OK)
      return WL_E_INVAL;
  if (a.stop && (a.for_set || a.window_only))
    return wl_err(WL_E_INVAL, "--stop ends the window: it takes no --for or --window-only");
  if (a.window_only && !a.for_set)
    return wl_err(WL_E_INVAL, "--window-only goes with --for D");
  return run(cli, &a);
}
