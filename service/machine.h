/* machine.h — the service's state machine, pure: no store, no engine, no clock of its own.
 *
 * The runner (service.h) asks wl_svc_decide what to do next, given the facts of the moment
 * (a stop asked for, the machine going to sleep, the window's state, the capture's health, the
 * time in ms); it does that one action and tells wl_svc_done how it went. Every state change
 * is announced once through on_change (the runner turns it into one Event Log entry and the
 * store's service meta), never per event. Tests drive it with a fake clock.
 *
 *   state      | condition                       | action         | next state
 *   -----------+---------------------------------+----------------+---------------------------
 *   starting   | -                               | OPEN_STORE     | idle; refused on failure
 *   refused    | retry time reached              | OPEN_STORE     | idle; refused (backoff)
 *   idle       | window active, due              | END_WINDOW     | idle
 *   idle       | window active                   | START_CAPTURE  | capturing; waiting on fail
 *   waiting    | no window / due                 | - / END_WINDOW | idle
 *   waiting    | retry time reached              | START_CAPTURE  | capturing; waiting (backoff)
 *   capturing  | window due                      | END_WINDOW     | idle (capture off, summary)
 *   capturing  | window stopped (learn --stop)   | STOP_CAPTURE   | idle
 *   capturing  | capture failed                  | STOP_CAPTURE   | waiting (retry at once)
 *   capturing  | suspend                         | STOP_CAPTURE   | suspended (flushed)
 *   suspended  | resumed                         | -              | idle (re-opens the engine)
 *   any        | stop/shutdown/preshutdown       | STOP_CAPTURE?  | stopped (EXIT)
 *
 * waiting and suspended also go to stopped on a stop; "any" includes starting and refused.
 * Backoff: WL_SVC_RETRY_MIN_MS doubling to WL_SVC_RETRY_MAX_MS, reset by a success.
 */
#ifndef WL_SERVICE_MACHINE_H
#define WL_SERVICE_MACHINE_H

#include <stdint.h>

#define WL_SVC_RETRY_MIN_MS 1000u
#define WL_SVC_RETRY_MAX_MS 60000u

typedef enum wl_svc_state {
  WL_SVC_STARTING = 0,
  WL_SVC_REFUSED,   /* the store cannot be used (newer version, damaged): retries, keeps running */
  WL_SVC_IDLE,      /* no active window */
  WL_SVC_WAITING,   /* window active, the engine cannot be opened: retrying with backoff */
  WL_SVC_CAPTURING,
  WL_SVC_SUSPENDED, /* flushed before sleep */
  WL_SVC_STOPPED,
  WL_SVC_STATE_COUNT
} wl_svc_state;

typedef enum wl_svc_action {
  WL_SVC_NONE = 0,       /* nothing now: wait a tick */
  WL_SVC_OPEN_STORE,
  WL_SVC_START_CAPTURE,  /* open the engine, save and set its options, subscribe */
  WL_SVC_STOP_CAPTURE,   /* flush the last batch, restore the options */
  WL_SVC_END_WINDOW,     /* STOP_CAPTURE if capturing, then close the window with its summary */
  WL_SVC_EXIT,           /* report stopped and return */
} wl_svc_action;

typedef enum wl_svc_window {
  WL_SVC_WINDOW_NONE = 0, /* none, ended or stopped */
  WL_SVC_WINDOW_ACTIVE,
  WL_SVC_WINDOW_DUE,      /* active and its end has come */
} wl_svc_window;

typedef struct wl_svc_facts {
  uint64_t now_ms;
  int stop;            /* STOP, SHUTDOWN or PRESHUTDOWN arrived */
  int suspend;         /* 1 between a suspend and the resume */
  wl_svc_window window;
  int capture_failed;  /* the running capture reported a fatal error */
} wl_svc_facts;

typedef void (*wl_svc_change_fn)(void *ctx, wl_svc_state from, wl_svc_state to,
                                 const char *why);

typedef struct wl_svc {
  wl_svc_state state;
  wl_svc_action pending;  /* what decide returned, until done */
  wl_svc_state target;    /* where a pending STOP_CAPTURE leads */
  uint64_t next_try_ms;   /* waiting / refused: when to try again */
  unsigned backoff_ms;    /* the next delay */
  unsigned attempts;      /* failures in the current streak */
  uint64_t since_ms;      /* when the current state began */
  wl_svc_change_fn on_change;
  void *ctx;
} wl_svc;

void wl_svc_init(wl_svc *m, wl_svc_change_fn on_change, void *ctx, uint64_t now_ms);
wl_svc_action wl_svc_decide(wl_svc *m, const wl_svc_facts *f);
/* The pending action ended with rc (WL_OK or an error; why: its message, may be ""). */
void wl_svc_done(wl_svc *m, int rc, const char *why, uint64_t now_ms);
const char *wl_svc_state_name(wl_svc_state s);
const char *wl_svc_action_name(wl_svc_action a);

#endif
