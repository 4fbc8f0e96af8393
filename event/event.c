/* event.c — small helpers of the event model: clearing and the names used in files/output. */
#include "event/event.h"

#include <stddef.h>
#include <string.h>

#include "common/wl_err.h"
#include "common/wl_text.h"

void wl_event_clear(wl_event *ev) { memset(ev, 0, sizeof *ev); }

/* the strings are wl_event's last fields, after all the others */
_Static_assert(offsetof(wl_event, app_dos) == offsetof(wl_event, app) + WL_PATH_MAX &&
                   offsetof(wl_event, user) == offsetof(wl_event, app_dos) + WL_PATH_MAX &&
                   offsetof(wl_event, package) == offsetof(wl_event, user) + WL_SID_STR_MAX &&
                   sizeof(wl_event) - offsetof(wl_event, package) - WL_SID_STR_MAX < 8,
               "wl_event: the four strings come last");

void wl_event_reset(wl_event *ev) {
  memset(ev, 0, offsetof(wl_event, app));
  ev->app[0] = ev->app_dos[0] = ev->user[0] = ev->package[0] = '\0';
}

static const char *const type_names[] = {
    [WL_EVT_OTHER] = "other",     [WL_EVT_DROP] = "drop",         [WL_EVT_ALLOW] = "allow",
    [WL_EVT_CAP_DROP] = "cap-drop", [WL_EVT_CAP_ALLOW] = "cap-allow",
};
static const char *const dir_names[] = {
    [WL_DIR_UNKNOWN] = "?", [WL_DIR_IN] = "in", [WL_DIR_OUT] = "out"};

const char *wl_event_type_name(int type) {
  if (type < 0 || (size_t)type >= sizeof type_names / sizeof type_names[0])
    return "other";
  return type_names[type];
}

const char *wl_dir_name(int dir) {
  if (dir < 0 || (size_t)dir >= sizeof dir_names / sizeof dir_names[0])
    return "?";
  return dir_names[dir];
}

static int lookup(const char *const *names, size_t n, const char *s, int *out) {
  for (size_t i = 0; i < n; i++)
    if (names[i] && strcmp(names[i], s) == 0) {
      *out = (int)i;
      return WL_OK;
    }
  return WL_E_PARSE;
}

int wl_event_type_parse(const char *s, int *type) {
  if (lookup(type_names, sizeof type_names / sizeof type_names[0], s, type) == WL_OK)
    return WL_OK;
  return wl_err(WL_E_PARSE, "unknown event type '%s' (allow, drop, cap-allow, cap-drop)", s);
}

int wl_dir_parse(const char *s, int *dir) {
  if (strcmp(s, "?") != 0 &&
      lookup(dir_names, sizeof dir_names / sizeof dir_names[0], s, dir) == WL_OK)
    return WL_OK;
  return wl_err(WL_E_PARSE, "unknown direction '%s' (in, out)", s);
}

int wl_event_is_connection(const wl_event *ev) {
  if ((ev->type != WL_EVT_ALLOW && ev->type != WL_EVT_CAP_ALLOW) || !(ev->has & WL_HAS_LAYER))
    return 1;
  switch (ev->layer_id) {
  case WL_LAYER_ALE_RESOURCE_ASSIGNMENT_V4:
  case WL_LAYER_ALE_RESOURCE_ASSIGNMENT_V6:
  case WL_LAYER_ALE_AUTH_LISTEN_V4:
  case WL_LAYER_ALE_AUTH_LISTEN_V6:
  case WL_LAYER_ALE_FLOW_ESTABLISHED_V4:
  case WL_LAYER_ALE_FLOW_ESTABLISHED_V6:
    return 0;
  default:
    return 1;
  }
}

int wl_event_ts_too_new(uint64_t ts) { return ts > wl_time_now() + WL_EVENT_FUTURE_TICKS; }
