/* service.c — the service loop (service.h): facts → wl_svc_decide → one action → wl_svc_done,
 * once per tick. The actions are the only code here that touches the store, the capture and
 * the window; the decisions are all in machine.c.
 */
#include "service/service.h"

#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture/capture.h"
#include "common/wl_err.h"
#include "common/wl_os.h"
#include "common/wl_text.h"
#include "import/import.h"
#include "whitelist/apply.h"
#include "whitelist/expiry.h"

#define WHY_MAX 600

struct wl_service {
  wl_service_opts o;
  atomic_int stop, suspend, state;
  wl_svc m;
  wl_store *ctl;       /* the loop's handle: window and service meta */
  wl_store *cap_store; /* the capture's handle, open while capturing */
  wl_capture *cap;
  char why[WHY_MAX];   /* the message of the last action */
  char engine[WHY_MAX]; /* the last WL_META_SERVICE_ENGINE written */
  wl_svc_window window; /* the window as last read (kept when a read fails) */
  int verified;         /* the start's verify --repair has run (verify_at_start) */
  wl_expiry_timer expiry; /* temporary rules: checked at start and periodically (expiry.h) */
  unsigned blind_ticks; /* ticks the capture has been blind (issue 19); 0: not blind */
};

static uint64_t now_ticks(wl_service *s) {
  return s->o.clock ? s->o.clock(s->o.clock_ctx) : wl_time_now();
}

static void log_line(wl_service *s, int level, const char *line) {
  if (s->o.log)
    s->o.log(s->o.log_ctx, level, line);
  else
    wl_os_event_log(WL_SERVICE_NAME, level, line);
}

static void meta(wl_service *s, const char *key, const char *value) {
  if (s->ctl && wl_store_meta_set(s->ctl, key, value) != WL_OK)
    wl_err_clear(); /* status is informative; the next change writes again */
}

static void on_change(void *ctx, wl_svc_state from, wl_svc_state to, const char *why) {
  wl_service *s = ctx;
  char line[WHY_MAX + 128], t[WL_TIME_STR_MAX], st[96];
  int level = to == WL_SVC_REFUSED   ? WL_OS_LOG_ERROR
              : to == WL_SVC_WAITING ? WL_OS_LOG_WARNING
                                     : WL_OS_LOG_INFO;
  atomic_store(&s->state, (int)to);
  snprintf(line, sizeof line, "%s -> %s%s%s", wl_svc_state_name(from), wl_svc_state_name(to),
           why[0] ? ": " : "", why);
  log_line(s, level, line);
  wl_time_format(now_ticks(s), t);
  snprintf(st, sizeof st, "%s since %s", wl_svc_state_name(to), t);
  meta(s, WL_META_SERVICE_STATE, st);
  meta(s, WL_META_SERVICE_EVENT, line);
}

/* A temporary rule removed at its deadline (whitelist/expiry.h): the log and status's event. */
static void expiry_log(void *ctx, int warning, const char *line) {
  wl_service *s = ctx;
  log_line(s, warning ? WL_OS_LOG_WARNING : WL_OS_LOG_INFO, line);
  meta(s, WL_META_SERVICE_EVENT, line);
}

static void set_engine(wl_service *s, const char *text) {
  if (strcmp(text, s->engine) == 0)
    return;
  wl_strlcpy(s->engine, text, sizeof s->engine);
  meta(s, WL_META_SERVICE_ENGINE, text);
}

/* Issue 19: one Event Log entry (a warning) when the self-check finds the capture blind to
 * allowed traffic, written on the second tick it is seen, so it can say whether the fallback
 * to the Security log took over; again only after allow events came back and went away. */
static void blind_entry(wl_service *s, const wl_capture_stats *cs) {
  char line[400];
  if (!cs->blind) {
    s->blind_ticks = 0;
    return;
  }
  if (s->blind_ticks >= 2)
    return; /* said already */
  if (++s->blind_ticks == 1 && !cs->evtlog)
    return; /* the fallback may start within the tick: say it next time */
  s->blind_ticks = 2;
  snprintf(line, sizeof line,
           "blind to allowed traffic: %llu connections and listeners are open and WFP "
           "delivered no allow event within the settling time; %s",
           (unsigned long long)cs->open_conns,
           cs->evtlog ? "learning them from the Security log instead (events 5156/5157)"
                      : "outbound traffic is not being learnt (no Security-log fallback)");
  log_line(s, WL_OS_LOG_WARNING, line);
}

/* The engine line of `status`: connected, or waiting since when, how often, why. */
static void engine_status(wl_service *s) {
  char text[WHY_MAX], t[WL_TIME_STR_MAX], n[WL_TIME_STR_MAX];
  if (s->m.state == WL_SVC_WAITING) {
    wl_time_format((uint64_t)s->m.since_ms * 10000, t);
    wl_time_format((uint64_t)s->m.next_try_ms * 10000, n);
    snprintf(text, sizeof text, "waiting since %s (%u attempts, next at %s): %s", t,
             s->m.attempts, n, s->why);
    set_engine(s, text);
  } else if (s->m.state == WL_SVC_CAPTURING && s->cap) {
    wl_capture_stats cs;
    wl_capture_stats_get(s->cap, &cs);
    blind_entry(s, &cs);
    set_engine(s, cs.subscribed || cs.done ? "connected"
                                           : "reconnecting (the engine stopped answering)");
  } else if (s->m.state != WL_SVC_CAPTURING) {
    set_engine(s, "not in use");
  }
}

static void keep_why(wl_service *s, int rc, const char *fallback) {
  const char *msg = wl_errmsg();
  if (rc == WL_OK)
    wl_strlcpy(s->why, fallback, sizeof s->why);
  else
    snprintf(s->why, sizeof s->why, "%s", msg[0] ? msg : wl_strerror(rc));
  wl_err_clear();
}

static void describe_window(wl_service *s, const char *verb, const wl_window *w) {
  char a[WL_TIME_STR_MAX], b[WL_TIME_STR_MAX];
  wl_time_format(w->since, a);
  wl_time_format(w->until, b);
  snprintf(s->why, sizeof s->why, "%s the learning window %s .. %s", verb, a, b);
}

static int open_store(wl_service *s) {
  wl_window w;
  wl_window_begin_kind kind = WL_WINDOW_RESUME;
  int rc = s->ctl ? WL_OK : wl_store_open(s->o.db_path, NULL, &s->ctl);
  if (rc == WL_OK)
    rc = wl_window_load(s->ctl, &w);
  if (rc == WL_OK && s->o.start_window && w.state == WL_WINDOW_NONE)
    rc = wl_window_begin(s->ctl, now_ticks(s), 0, &w, &kind);
  if (rc != WL_OK) {
    keep_why(s, rc, "");
    char msg[WHY_MAX];
    snprintf(msg, sizeof msg, "the store %s cannot be used: %s (still running; retrying)",
             s->o.db_path, s->why);
    wl_strlcpy(s->why, msg, sizeof s->why);
    wl_store_close(s->ctl);
    s->ctl = NULL;
    return rc;
  }
  if (w.state == WL_WINDOW_ACTIVE)
    describe_window(s, kind == WL_WINDOW_NEW ? "began" : "following", &w);
  else
    snprintf(s->why, sizeof s->why, "no learning window active (wfplearn learn --for 7d)");
  return WL_OK;
}

/* Persistent filters bake in \device\harddiskvolumeN, which changes when volumes are
 * renumbered (issue 12, item 15): once per start, the first time the engine answers, the
 * rules are checked and repaired as `verify --repair --skip-missing` does (app ids re-derived,
 * lost filters put back, orphans deleted; enforce's own start does the same). One log line
 * says what was repaired, WL_META_SERVICE_REPAIR keeps it for `status`. Never fails the
 * service: a failure is logged as a warning and not retried until the next start; an engine
 * that cannot be opened yet is tried again with the capture's next attempt. */
static void verify_at_start(wl_service *s) {
  char line[WHY_MAX];
  wl_engine *e = NULL;
  wl_verify_report *rep = malloc(sizeof *rep);
  int rc = rep ? WL_OK : wl_err(WL_E_NOMEM, "verify at start: out of memory");
  if (!rc && s->o.engine_spec && wl_engine_open(s->o.engine_spec, 0, &e) != WL_OK) {
    wl_err_clear(); /* not reachable yet: the capture's attempt says why */
    free(rep);
    return;
  }
  s->verified = 1;
  if (!rc && e)
    rc = wl_rules_verify(e, s->ctl, WL_VERIFY_REPAIR | WL_VERIFY_SKIP_MISSING, rep);
  wl_engine_close(e);
  if (rc) {
    snprintf(line, sizeof line, "verify at start failed (still running; wfplearn verify "
             "--repair): %s", wl_errmsg()[0] ? wl_errmsg() : wl_strerror(rc));
    wl_err_clear();
  } else if (!e) {
    snprintf(line, sizeof line, "verify at start skipped: no engine named");
  } else {
    size_t moved = 0, left = 0;
    for (size_t i = 0; i < rep->n_issues; i++) {
      moved += rep->issues[i].kind == WL_ISSUE_APPID;
      left += rep->issues[i].kind == WL_ISSUE_UNRESOLVED;
    }
    if (!rep->issues_total)
      snprintf(line, sizeof line, "verify at start: %zu rules match the engine, nothing "
               "repaired", rep->rules);
    else
      snprintf(line, sizeof line, "verify at start: %zu problems, %zu repaired (%zu app ids "
               "re-derived after a volume was renumbered), %zu rules whose apps are not on "
               "disk left as they are", rep->issues_total, rep->repaired, moved, left);
  }
  free(rep);
  log_line(s, rc ? WL_OS_LOG_WARNING : WL_OS_LOG_INFO, line);
  meta(s, WL_META_SERVICE_REPAIR, line);
}

static int start_capture(wl_service *s) {
  wl_capture_opts co = {.source = s->o.source, .engine_spec = s->o.engine_spec,
                        .speed = s->o.speed, .parse_evtxml = wl_import_event_xml,
                        .selfcheck_settle_ms = s->o.selfcheck_settle_ms};
  if (!s->verified)
    verify_at_start(s);
  int rc = s->cap_store ? WL_OK : wl_store_open(s->o.db_path, NULL, &s->cap_store);
  if (rc == WL_OK)
    rc = wl_capture_start(&co, s->cap_store, &s->cap);
  keep_why(s, rc, "capturing into the store");
  if (rc != WL_OK) {
    wl_capture_destroy(s->cap);
    s->cap = NULL;
    wl_store_close(s->cap_store);
    s->cap_store = NULL;
  }
  return rc;
}

static int stop_capture(wl_service *s, const char *why) {
  int rc = WL_OK;
  if (s->cap) {
    if (atomic_load(&s->stop))
      wl_os_service_stopping(WL_SERVICE_STOP_HINT_MS);
    rc = wl_capture_stop(s->cap);
    wl_capture_destroy(s->cap);
    s->cap = NULL;
  }
  wl_store_close(s->cap_store);
  s->cap_store = NULL;
  keep_why(s, rc, why);
  return rc;
}

static int end_window(wl_service *s) {
  wl_window w;
  stop_capture(s, "");
  int rc = wl_window_finish(s->ctl, now_ticks(s), WL_WINDOW_ENDED, &w);
  if (rc == WL_OK)
    snprintf(s->why, sizeof s->why, "the learning window ended: %s", w.summary);
  else
    keep_why(s, rc, "");
  return rc;
}

static int act(wl_service *s, wl_svc_action a) {
  switch (a) {
  case WL_SVC_OPEN_STORE: return open_store(s);
  case WL_SVC_START_CAPTURE: return start_capture(s);
  case WL_SVC_STOP_CAPTURE:
    return stop_capture(s, atomic_load(&s->stop) ? "stop requested: flushed, options restored"
                           : atomic_load(&s->suspend) ? "going to sleep: flushed"
                                                      : "capture stopped");
  case WL_SVC_END_WINDOW: return end_window(s);
  default: return WL_OK;
  }
}

static wl_svc_window window_fact(wl_service *s, uint64_t now) {
  wl_window w;
  if (!s->ctl)
    return s->window = WL_SVC_WINDOW_NONE;
  if (wl_window_load(s->ctl, &w) != WL_OK) { /* a busy read changes nothing */
    wl_err_clear();
    return s->window;
  }
  if (w.state != WL_WINDOW_ACTIVE)
    return s->window = WL_SVC_WINDOW_NONE;
  return s->window = wl_window_due(&w, now) ? WL_SVC_WINDOW_DUE : WL_SVC_WINDOW_ACTIVE;
}

static int capture_failed(wl_service *s) {
  wl_capture_stats cs;
  if (!s->cap)
    return 0;
  wl_capture_stats_get(s->cap, &cs);
  return cs.error != 0;
}

/* Sleep a tick in slices, so a stop is acted on within WL_SERVICE_NAP_MS (the SCM and the
 * installer's StopServices wait for it; controls only set atomics, so there is nothing to
 * wait on). */
#define WL_SERVICE_NAP_MS 10u
static void nap(wl_service *s, unsigned tick) {
  for (unsigned t = 0; t < tick && !atomic_load(&s->stop); t += WL_SERVICE_NAP_MS)
    wl_sleep_ms(WL_SERVICE_NAP_MS);
}

int wl_service_run(wl_service *s) {
  unsigned tick = s->o.tick_ms ? s->o.tick_ms : WL_SERVICE_TICK_MS;
  wl_svc_init(&s->m, on_change, s, now_ticks(s) / 10000);
  for (;;) {
    uint64_t now = now_ticks(s);
    wl_svc_facts f = {.now_ms = now / 10000,
                      .stop = atomic_load(&s->stop),
                      .suspend = atomic_load(&s->suspend),
                      .window = window_fact(s, now),
                      .capture_failed = capture_failed(s)};
    wl_svc_action a = wl_svc_decide(&s->m, &f);
    if (a == WL_SVC_EXIT)
      break;
    wl_expiry_tick(&s->expiry, s->ctl, s->o.engine_spec, now, expiry_log, s); /* wall clock */
    if (a == WL_SVC_NONE) {
      engine_status(s);
      nap(s, tick);
      continue;
    }
    int rc = act(s, a);
    wl_svc_done(&s->m, rc, s->why, now_ticks(s) / 10000);
    engine_status(s);
  }
  stop_capture(s, "");
  return WL_OK;
}

void wl_service_control(wl_service *s, wl_os_svc_ctl c) {
  if (c == WL_OS_SVC_SUSPEND)
    atomic_store(&s->suspend, 1);
  else if (c == WL_OS_SVC_RESUME)
    atomic_store(&s->suspend, 0);
  else
    atomic_store(&s->stop, 1);
}

wl_svc_state wl_service_state(wl_service *s) { return (wl_svc_state)atomic_load(&s->state); }

int wl_service_create(const wl_service_opts *o, wl_service **out) {
  wl_service *s = calloc(1, sizeof *s);
  if (!s)
    return wl_err(WL_E_NOMEM, "wl_service_create: out of memory");
  s->o = *o;
  atomic_init(&s->stop, 0);
  atomic_init(&s->suspend, 0);
  atomic_init(&s->state, WL_SVC_STARTING);
  *out = s;
  return WL_OK;
}

void wl_service_destroy(wl_service *s) {
  if (!s)
    return;
  wl_capture_destroy(s->cap);
  wl_store_close(s->cap_store);
  wl_store_close(s->ctl);
  free(s);
}
