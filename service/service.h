/* service.h — wfplearn as a long-running service: the state machine (machine.h) driven by a
 * loop that owns the store, the capture session and the learning window (window.h).
 *
 * One thread runs wl_service_run; the OS's control thread (or a signal) calls
 * wl_service_control, which only sets flags. Every tick the loop reads the window from the
 * store (so `learn --stop` or `learn --for` from another process take effect within a tick),
 * checks the capture's health, asks the machine for one action and does it. Each state change
 * goes to the log callback once (the Event Log in the product) and to the store's meta
 * (WL_META_SERVICE_*), which `status` shows; engine retries update the meta, not the log.
 * Once per start, when the engine first answers, the rules are verified and repaired (app ids
 * re-derived after a volume renumbering, issue 12 item 15); never a reason to fail.
 *
 * Two store handles: the capture's consumer thread owns one while capturing (capture.h), the
 * loop reads and writes the window through the other.
 */
#ifndef WL_SERVICE_SERVICE_H
#define WL_SERVICE_SERVICE_H

#include <stdint.h>

#include "common/wl_svc.h"
#include "service/machine.h"
#include "service/window.h"

#define WL_SERVICE_NAME "wfplearn"
#define WL_SERVICE_TICK_MS 250u
#define WL_SERVICE_STOP_HINT_MS 30000u /* the SCM's wait hint while flushing */

/* meta keys written by the service */
#define WL_META_SERVICE_STATE  "service_state"  /* "capturing since 2026-...Z" */
#define WL_META_SERVICE_ENGINE "service_engine" /* "connected" | "waiting since T: attempt N ..." */
#define WL_META_SERVICE_EVENT  "service_event"  /* the last line sent to the log */
#define WL_META_SERVICE_REPAIR "service_repair" /* what the start's verify --repair did */

typedef uint64_t (*wl_service_clock_fn)(void *ctx); /* wall clock, ticks */
typedef void (*wl_service_log_fn)(void *ctx, int level, const char *line);

typedef struct wl_service_opts {
  const char *db_path;
  const char *engine_spec;  /* NULL: "wfp" on Windows (the caller's default) */
  const char *source;       /* NULL: "wfp"; sim:TRAFFIC for tests on the sim */
  double speed;             /* file sources */
  int start_window;         /* 1: no window ever recorded → begin a default one at start */
  unsigned tick_ms;         /* 0: WL_SERVICE_TICK_MS */
  wl_service_clock_fn clock; /* NULL: wl_time_now */
  void *clock_ctx;
  unsigned selfcheck_settle_ms; /* 0: the capture's default (tests shorten it) */
  wl_service_log_fn log;    /* NULL: wl_os_event_log(WL_SERVICE_NAME, ...) */
  void *log_ctx;
} wl_service_opts;

typedef struct wl_service wl_service;

int wl_service_create(const wl_service_opts *o, wl_service **out); /* release: _destroy */
/* Any thread, signal-safe (atomics only). */
void wl_service_control(wl_service *s, wl_os_svc_ctl c);
/* Runs until a stop; WL_OK after a clean stop. */
int wl_service_run(wl_service *s);
wl_svc_state wl_service_state(wl_service *s); /* for tests (atomic snapshot) */
void wl_service_destroy(wl_service *s);        /* NULL-safe */

#endif
