/* machine.c — the service's state machine (machine.h has the table). decide picks one action
 * from (state, facts) and remembers the state it leads to on success; done moves there, or to
 * the failure state with the next backoff.
 */
#include "service/machine.h"

#include <assert.h>
#include <stddef.h>

#include "common/wl_err.h"

static const char *const state_names[WL_SVC_STATE_COUNT] = {
    "starting", "refused", "idle", "waiting for the engine", "capturing", "suspended",
    "stopped"};
static const char *const action_names[] = {"none",         "open store", "start capture",
                                           "stop capture", "end window", "exit"};

const char *wl_svc_state_name(wl_svc_state s) {
  return (unsigned)s < WL_SVC_STATE_COUNT ? state_names[s] : "?";
}

const char *wl_svc_action_name(wl_svc_action a) {
  return (unsigned)a < sizeof action_names / sizeof action_names[0] ? action_names[a] : "?";
}

static void go(wl_svc *m, wl_svc_state to, const char *why, uint64_t now) {
  if (to == m->state)
    return;
  wl_svc_state from = m->state;
  m->state = to;
  m->since_ms = now;
  if (m->on_change)
    m->on_change(m->ctx, from, to, why ? why : "");
}

static void reset_backoff(wl_svc *m) {
  m->backoff_ms = WL_SVC_RETRY_MIN_MS;
  m->attempts = 0;
}

static void failed(wl_svc *m, wl_svc_state to, const char *why, uint64_t now) {
  m->attempts++;
  m->next_try_ms = now + m->backoff_ms;
  m->backoff_ms = m->backoff_ms >= WL_SVC_RETRY_MAX_MS / 2 ? WL_SVC_RETRY_MAX_MS
                                                           : m->backoff_ms * 2;
  go(m, to, why, now);
}

void wl_svc_init(wl_svc *m, wl_svc_change_fn on_change, void *ctx, uint64_t now_ms) {
  *m = (wl_svc){.state = WL_SVC_STARTING, .on_change = on_change, .ctx = ctx,
                .since_ms = now_ms};
  reset_backoff(m);
}

static wl_svc_action stop_capture(wl_svc *m, wl_svc_state target) {
  m->pending = WL_SVC_STOP_CAPTURE;
  m->target = target;
  return m->pending;
}

static wl_svc_action decide_capturing(wl_svc *m, const wl_svc_facts *f) {
  if (f->window == WL_SVC_WINDOW_DUE)
    return m->pending = WL_SVC_END_WINDOW;
  if (f->window == WL_SVC_WINDOW_NONE)
    return stop_capture(m, WL_SVC_IDLE);
  if (f->capture_failed)
    return stop_capture(m, WL_SVC_WAITING);
  if (f->suspend)
    return stop_capture(m, WL_SVC_SUSPENDED);
  return WL_SVC_NONE;
}

wl_svc_action wl_svc_decide(wl_svc *m, const wl_svc_facts *f) {
  assert(m->pending == WL_SVC_NONE);
  if (m->state == WL_SVC_STOPPED)
    return WL_SVC_EXIT;
  if (f->stop) {
    if (m->state == WL_SVC_CAPTURING)
      return stop_capture(m, WL_SVC_STOPPED);
    go(m, WL_SVC_STOPPED, "stop requested", f->now_ms);
    return WL_SVC_EXIT;
  }
  switch (m->state) {
  case WL_SVC_STARTING:
    return m->pending = WL_SVC_OPEN_STORE;
  case WL_SVC_REFUSED:
    return f->now_ms >= m->next_try_ms ? (m->pending = WL_SVC_OPEN_STORE) : WL_SVC_NONE;
  case WL_SVC_IDLE:
    if (f->window == WL_SVC_WINDOW_DUE)
      return m->pending = WL_SVC_END_WINDOW;
    if (f->window == WL_SVC_WINDOW_ACTIVE && !f->suspend)
      return m->pending = WL_SVC_START_CAPTURE;
    return WL_SVC_NONE;
  case WL_SVC_WAITING:
    if (f->window == WL_SVC_WINDOW_DUE)
      return m->pending = WL_SVC_END_WINDOW;
    if (f->window == WL_SVC_WINDOW_NONE)
      go(m, WL_SVC_IDLE, "the learning window was stopped", f->now_ms);
    else if (f->suspend)
      go(m, WL_SVC_SUSPENDED, "the machine is going to sleep", f->now_ms);
    else if (f->now_ms >= m->next_try_ms)
      return m->pending = WL_SVC_START_CAPTURE;
    return WL_SVC_NONE;
  case WL_SVC_CAPTURING:
    return decide_capturing(m, f);
  case WL_SVC_SUSPENDED:
    if (!f->suspend) {
      reset_backoff(m);
      go(m, WL_SVC_IDLE, "resumed from sleep", f->now_ms);
    }
    return WL_SVC_NONE;
  default:
    assert(0 && "unknown state");
    return WL_SVC_NONE;
  }
}

void wl_svc_done(wl_svc *m, int rc, const char *why, uint64_t now) {
  wl_svc_action a = m->pending;
  m->pending = WL_SVC_NONE;
  switch (a) {
  case WL_SVC_OPEN_STORE:
    if (rc == WL_OK) {
      reset_backoff(m);
      go(m, WL_SVC_IDLE, why, now);
    } else {
      failed(m, WL_SVC_REFUSED, why, now);
    }
    break;
  case WL_SVC_START_CAPTURE:
    if (rc == WL_OK) {
      reset_backoff(m);
      go(m, WL_SVC_CAPTURING, why, now);
    } else {
      failed(m, WL_SVC_WAITING, why, now);
    }
    break;
  case WL_SVC_STOP_CAPTURE:
    if (m->target == WL_SVC_WAITING)
      m->next_try_ms = now; /* a capture that failed is started again at once */
    go(m, m->target, why, now);
    break;
  case WL_SVC_END_WINDOW:
    go(m, WL_SVC_IDLE, why, now);
    break;
  default:
    assert(0 && "done without a pending action");
  }
}
