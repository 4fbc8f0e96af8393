/* window.h — the learning window: "learn for a week" as a fact kept in the store, so that
 * reboots, logoffs, sleeps, service restarts and upgrades resume the same window instead of
 * starting a new one.
 *
 * A window is (state, since, until, ended, counters at its start, summary) in the store's meta
 * (WL_META_WINDOW_* below). `learn --for D` and the service start call wl_window_begin: an
 * active window whose end has not come is resumed as it is (D does not move its end); none, a
 * finished one, or an active one whose end passed while nothing ran (closed first with its
 * summary) gives a new one from now. At the end (wl_window_finish) the window becomes "ended"
 * (its time ran out) or "stopped" (`learn --stop`), with a one-line summary: events and drops
 * during the window, apps, proposals waiting.
 *
 * The decisions are pure functions of (window, now) so a table test with a fake clock covers
 * them; wl_window_load / _save / _finish are the store side. Times are ticks (wl_text.h).
 */
#ifndef WL_SERVICE_WINDOW_H
#define WL_SERVICE_WINDOW_H

#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

#define WL_WINDOW_DEFAULT_TICKS (7ULL * 24 * 3600 * 10000000ULL) /* learn --for: 7 days */
#define WL_WINDOW_SUMMARY_MAX 256

/* meta keys */
#define WL_META_WINDOW_STATE   "window_state"   /* "active" | "ended" | "stopped"; absent: none */
#define WL_META_WINDOW_SINCE   "window_since"   /* ticks, decimal */
#define WL_META_WINDOW_UNTIL   "window_until"   /* ticks: when it ends by itself */
#define WL_META_WINDOW_ENDED   "window_ended"   /* ticks: when it did end (0 while active) */
#define WL_META_WINDOW_BASE    "window_base"    /* "events drops" stored when it began */
#define WL_META_WINDOW_SUMMARY "window_summary" /* one line, set when it ends */

typedef enum wl_window_state {
  WL_WINDOW_NONE = 0,
  WL_WINDOW_ACTIVE,
  WL_WINDOW_ENDED,   /* its time ran out */
  WL_WINDOW_STOPPED, /* learn --stop */
} wl_window_state;

typedef struct wl_window {
  wl_window_state state;
  uint64_t since, until, ended;        /* ticks */
  uint64_t base_events, base_drops;    /* the store's counters when it began */
  char summary[WL_WINDOW_SUMMARY_MAX]; /* "" until it ends */
} wl_window;

/* ---- pure decisions ---- */
/* 1 when w is active and its end has come at now. */
int wl_window_due(const wl_window *w, uint64_t now);
/* Ticks left (0 when not active or due). */
uint64_t wl_window_left(const wl_window *w, uint64_t now);
/* What wl_window_begin does with w at now. */
typedef enum wl_window_begin_kind {
  WL_WINDOW_RESUME,      /* active, not due: continue it unchanged */
  WL_WINDOW_NEW,         /* none or finished: a new one from now */
  WL_WINDOW_CLOSE_NEW,   /* active but due: close it (summary) first, then a new one */
} wl_window_begin_kind;
wl_window_begin_kind wl_window_plan(const wl_window *w, uint64_t now);
const char *wl_window_state_name(wl_window_state s); /* "none", "active", "ended", "stopped" */
/* One line for people: "active since A until B (3d 4h left)", "ended at B: SUMMARY",
 * "stopped at B: SUMMARY", "none". */
void wl_window_describe(const wl_window *w, uint64_t now, char *out, size_t cap);

/* ---- the store side ---- */
/* Reads the window from meta (state NONE when there is none). */
int wl_window_load(wl_store *s, wl_window *out);
int wl_window_save(wl_store *s, const wl_window *w);
/* learn --for D / service start: wl_window_plan, then resume, close + create, or create (D
 * ticks from now; 0: WL_WINDOW_DEFAULT_TICKS). *out is the window in force; *kind what was
 * done. */
int wl_window_begin(wl_store *s, uint64_t now, uint64_t duration, wl_window *out,
                    wl_window_begin_kind *kind);
/* End an active window at now as ENDED or STOPPED with its summary (WL_E_NOTFOUND when none is
 * active). *out (may be NULL) is the finished window. */
int wl_window_finish(wl_store *s, uint64_t now, wl_window_state how, wl_window *out);

#endif
