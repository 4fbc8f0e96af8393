/* window.c — the learning window's decisions (pure, table-tested with a fake clock) and its
 * record in the store's meta (window.h). Every value is a decimal text in meta, so `status`
 * reads it through the same meta API without this module.
 */
#include "service/window.h"

#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/wl_err.h"
#include "common/wl_text.h"
#include "whitelist/proposal.h"

static const char *const state_names[] = {"none", "active", "ended", "stopped"};

const char *wl_window_state_name(wl_window_state s) {
  return (unsigned)s < sizeof state_names / sizeof state_names[0] ? state_names[s] : "none";
}

int wl_window_due(const wl_window *w, uint64_t now) {
  return w->state == WL_WINDOW_ACTIVE && now >= w->until;
}

uint64_t wl_window_left(const wl_window *w, uint64_t now) {
  return w->state == WL_WINDOW_ACTIVE && now < w->until ? w->until - now : 0;
}

wl_window_begin_kind wl_window_plan(const wl_window *w, uint64_t now) {
  if (w->state != WL_WINDOW_ACTIVE)
    return WL_WINDOW_NEW;
  return wl_window_due(w, now) ? WL_WINDOW_CLOSE_NEW : WL_WINDOW_RESUME;
}

static void left_text(uint64_t ticks, char *out, size_t cap) {
  uint64_t sec = ticks / 10000000ULL;
  if (sec >= 86400)
    snprintf(out, cap, "%" PRIu64 "d %" PRIu64 "h", sec / 86400, sec % 86400 / 3600);
  else if (sec >= 3600)
    snprintf(out, cap, "%" PRIu64 "h %" PRIu64 "m", sec / 3600, sec % 3600 / 60);
  else
    snprintf(out, cap, "%" PRIu64 "m %" PRIu64 "s", sec / 60, sec % 60);
}

void wl_window_describe(const wl_window *w, uint64_t now, char *out, size_t cap) {
  char a[WL_TIME_STR_MAX], b[WL_TIME_STR_MAX], left[32];
  wl_time_text(w->since, a);
  switch (w->state) {
  case WL_WINDOW_ACTIVE:
    wl_time_text(w->until, b);
    left_text(wl_window_left(w, now), left, sizeof left);
    snprintf(out, cap, "active since %s until %s (%s left)", a, b, left);
    break;
  case WL_WINDOW_ENDED:
  case WL_WINDOW_STOPPED:
    wl_time_text(w->ended, b);
    snprintf(out, cap, "%s at %s (began %s): %s", wl_window_state_name(w->state), b, a,
             w->summary);
    break;
  default:
    snprintf(out, cap, "none");
  }
}

static uint64_t meta_u64(wl_store *s, const char *key) {
  char v[32];
  if (wl_store_meta_get(s, key, v, sizeof v) != WL_OK) {
    wl_err_clear();
    return 0;
  }
  return strtoull(v, NULL, 10);
}

int wl_window_load(wl_store *s, wl_window *out) {
  char v[64];
  memset(out, 0, sizeof *out);
  int rc = wl_store_meta_get(s, WL_META_WINDOW_STATE, v, sizeof v);
  if (rc == WL_E_NOTFOUND) {
    wl_err_clear();
    return WL_OK;
  }
  if (rc != WL_OK)
    return rc;
  for (size_t i = 1; i < sizeof state_names / sizeof state_names[0]; i++)
    if (strcmp(v, state_names[i]) == 0)
      out->state = (wl_window_state)i;
  out->since = meta_u64(s, WL_META_WINDOW_SINCE);
  out->until = meta_u64(s, WL_META_WINDOW_UNTIL);
  out->ended = meta_u64(s, WL_META_WINDOW_ENDED);
  if (wl_store_meta_get(s, WL_META_WINDOW_BASE, v, sizeof v) == WL_OK)
    sscanf(v, "%" SCNu64 " %" SCNu64, &out->base_events, &out->base_drops);
  if (wl_store_meta_get(s, WL_META_WINDOW_SUMMARY, out->summary, sizeof out->summary) != WL_OK)
    out->summary[0] = '\0';
  wl_err_clear();
  return WL_OK;
}

static int put_u64(wl_store *s, const char *key, uint64_t v) {
  char t[32];
  snprintf(t, sizeof t, "%" PRIu64, v);
  return wl_store_meta_set(s, key, t);
}

int wl_window_save(wl_store *s, const wl_window *w) {
  char base[64];
  int rc;
  snprintf(base, sizeof base, "%" PRIu64 " %" PRIu64, w->base_events, w->base_drops);
  if ((rc = put_u64(s, WL_META_WINDOW_SINCE, w->since)) != WL_OK ||
      (rc = put_u64(s, WL_META_WINDOW_UNTIL, w->until)) != WL_OK ||
      (rc = put_u64(s, WL_META_WINDOW_ENDED, w->ended)) != WL_OK ||
      (rc = wl_store_meta_set(s, WL_META_WINDOW_BASE, base)) != WL_OK ||
      (rc = wl_store_meta_set(s, WL_META_WINDOW_SUMMARY, w->summary)) != WL_OK)
    return rc;
  /* the state last: a window is active only once its times are in place */
  return wl_store_meta_set(s, WL_META_WINDOW_STATE, wl_window_state_name(w->state));
}

/* "N events, A apps, P proposals waiting, D drops" over the window. */
static int summarize(wl_store *s, wl_window *w) {
  wl_store_stats st;
  wl_proposal *p = NULL;
  size_t n = 0;
  int rc = wl_store_stats_get(s, &st);
  if (rc != WL_OK)
    return rc;
  if (wl_proposals_build(s, 0, &p, &n) != WL_OK) { /* the summary goes on without the count */
    wl_err_clear();
    n = 0;
  }
  wl_proposals_free(p);
  uint64_t ev = st.events >= w->base_events ? st.events - w->base_events : st.events;
  uint64_t dr = st.drops >= w->base_drops ? st.drops - w->base_drops : st.drops;
  snprintf(w->summary, sizeof w->summary,
           "%" PRIu64 " events, %" PRIu64 " apps, %zu proposals waiting, %" PRIu64 " drops", ev,
           st.apps, n, dr);
  return WL_OK;
}

int wl_window_finish(wl_store *s, uint64_t now, wl_window_state how, wl_window *out) {
  assert(how == WL_WINDOW_ENDED || how == WL_WINDOW_STOPPED);
  wl_window w;
  int rc = wl_window_load(s, &w);
  if (rc != WL_OK)
    return rc;
  if (w.state != WL_WINDOW_ACTIVE)
    return wl_err(WL_E_NOTFOUND, "no learning window is active");
  if ((rc = summarize(s, &w)) != WL_OK)
    return rc;
  w.state = how;
  /* a window closed late (nothing ran at its end) ended at its end, not now */
  w.ended = how == WL_WINDOW_ENDED && now > w.until ? w.until : now;
  if ((rc = wl_window_save(s, &w)) != WL_OK)
    return rc;
  if (out)
    *out = w;
  return WL_OK;
}

int wl_window_begin(wl_store *s, uint64_t now, uint64_t duration, wl_window *out,
                    wl_window_begin_kind *kind) {
  wl_window w;
  wl_store_stats st;
  int rc = wl_window_load(s, &w);
  if (rc != WL_OK)
    return rc;
  *kind = wl_window_plan(&w, now);
  if (*kind == WL_WINDOW_RESUME) {
    *out = w;
    return WL_OK;
  }
  if (*kind == WL_WINDOW_CLOSE_NEW && (rc = wl_window_finish(s, now, WL_WINDOW_ENDED, NULL)))
    return rc;
  if ((rc = wl_store_stats_get(s, &st)) != WL_OK)
    return rc;
  memset(&w, 0, sizeof w);
  w.state = WL_WINDOW_ACTIVE;
  w.since = now;
  w.until = now + (duration ? duration : WL_WINDOW_DEFAULT_TICKS);
  w.base_events = st.events;
  w.base_drops = st.drops;
  if ((rc = wl_window_save(s, &w)) != WL_OK)
    return rc;
  *out = w;
  return WL_OK;
}
