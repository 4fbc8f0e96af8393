/* engine.c — the engine seam's dispatcher: parse the spec, open the backend, forward every
 * wl_engine_* call (and the sim controls of sim.h) through its ops table (engine_impl.h).
 *
 * "sim" / "sim:FILE" open the simulated engine; "wfp" opens the fwpuclnt backend when this
 * build has it (WL_HAVE_FWPUCLNT, set by wfp/windows.cmake) and is WL_E_UNSUPPORTED otherwise.
 * The dispatcher checks the handle and the arguments it can; an ops entry a backend leaves
 * NULL answers WL_E_UNSUPPORTED naming the call and the backend.
 */
#include <stdlib.h>
#include <string.h>

#include "common/wl_err.h"
#include "engine/backend.h"

struct wl_engine {
  const wl_engine_ops *ops;
  void *impl;
};

struct wl_subscription {
  wl_engine *e;
  void *impl;
};

#define CALL(e, op, ...)                                                                  \
  (!(e) ? wl_err(WL_E_INVAL, "%s: NULL engine", #op)                                      \
   : !(e)->ops->op ? wl_err(WL_E_UNSUPPORTED, "%s: not supported by the %s engine", #op,  \
                            (e)->ops->kind)                                               \
                   : (e)->ops->op((e)->impl, __VA_ARGS__))

#define CALL0(e, op)                                                                      \
  (!(e) ? wl_err(WL_E_INVAL, "%s: NULL engine", #op)                                      \
   : !(e)->ops->op ? wl_err(WL_E_UNSUPPORTED, "%s: not supported by the %s engine", #op,  \
                            (e)->ops->kind)                                               \
                   : (e)->ops->op((e)->impl))

static int open_backend(const char *spec, unsigned flags, const wl_engine_ops **ops,
                        void **impl) {
  if (!strcmp(spec, "sim"))
    return wl_sim_backend_open(NULL, flags, ops, impl);
  if (!strncmp(spec, "sim:", 4)) {
    if (!spec[4])
      return wl_err(WL_E_INVAL, "engine 'sim:': the state file name is missing");
    return wl_sim_backend_open(spec + 4, flags, ops, impl);
  }
  if (!strcmp(spec, "wfp")) {
#ifdef WL_HAVE_FWPUCLNT
    return wl_fwp_backend_open(flags, ops, impl);
#else
    return wl_err(WL_E_UNSUPPORTED, "engine 'wfp': the Windows Filtering Platform exists only "
                  "on Windows; use --engine sim[:STATEFILE] here");
#endif
  }
  return wl_err(WL_E_INVAL, "engine '%s': expected wfp, sim or sim:STATEFILE", spec);
}

int wl_engine_open(const char *spec, unsigned session_flags, wl_engine **out) {
  if (!spec || !out)
    return wl_err(WL_E_INVAL, "wl_engine_open: NULL argument");
  *out = NULL;
  wl_engine *e = calloc(1, sizeof *e);
  if (!e)
    return wl_err(WL_E_NOMEM, "wl_engine_open: no memory");
  int rc = open_backend(spec, session_flags, &e->ops, &e->impl);
  if (rc != WL_OK) {
    free(e);
    return rc;
  }
  *out = e;
  return WL_OK;
}

void wl_engine_close(wl_engine *e) {
  if (!e)
    return;
  e->ops->close(e->impl);
  free(e);
}

const char *wl_engine_kind(const wl_engine *e) { return e ? e->ops->kind : "none"; }

int wl_engine_get_option(wl_engine *e, int option, uint32_t *value) {
  if (!value)
    return wl_err(WL_E_INVAL, "wl_engine_get_option: NULL value");
  return CALL(e, get_option, option, value);
}

int wl_engine_set_option(wl_engine *e, int option, uint32_t value) {
  return CALL(e, set_option, option, value);
}

int wl_engine_subscribe(wl_engine *e, wl_net_event_cb cb, void *ctx, wl_subscription **out) {
  if (!cb || !out)
    return wl_err(WL_E_INVAL, "wl_engine_subscribe: NULL callback or handle");
  wl_subscription *s = calloc(1, sizeof *s);
  if (!s)
    return wl_err(WL_E_NOMEM, "wl_engine_subscribe: no memory");
  int rc = CALL(e, subscribe, cb, ctx, &s->impl);
  if (rc != WL_OK) {
    free(s);
    return rc;
  }
  s->e = e;
  *out = s;
  return WL_OK;
}

int wl_engine_unsubscribe(wl_engine *e, wl_subscription *s) {
  if (!s)
    return WL_OK;
  if (s->e != e)
    return wl_err(WL_E_INVAL, "wl_engine_unsubscribe: subscription of another engine");
  int rc = CALL(e, unsubscribe, s->impl);
  free(s);
  return rc;
}

int wl_engine_event_version(const wl_engine *e) {
  return e && e->ops->event_version ? e->ops->event_version(e->impl) : 0;
}

int wl_engine_enum_events(wl_engine *e, uint64_t since, wl_net_event_cb cb, void *ctx) {
  if (!cb)
    return wl_err(WL_E_INVAL, "wl_engine_enum_events: NULL callback");
  return CALL(e, enum_events, since, cb, ctx);
}

int wl_engine_begin(wl_engine *e) { return CALL0(e, txn_begin); }
int wl_engine_commit(wl_engine *e) { return CALL0(e, txn_commit); }
int wl_engine_abort(wl_engine *e) { return CALL0(e, txn_abort); }

int wl_engine_provider_add(wl_engine *e, const wl_provider *p) {
  return CALL(e, provider_add, p);
}
int wl_engine_provider_get(wl_engine *e, const wl_guid *key, wl_provider *out) {
  if (!key || !out)
    return wl_err(WL_E_INVAL, "wl_engine_provider_get: NULL argument");
  return CALL(e, provider_get, key, out);
}
int wl_engine_provider_delete(wl_engine *e, const wl_guid *key) {
  return CALL(e, provider_delete, key);
}
int wl_engine_sublayer_add(wl_engine *e, const wl_sublayer *s) {
  return CALL(e, sublayer_add, s);
}
int wl_engine_sublayer_get(wl_engine *e, const wl_guid *key, wl_sublayer *out) {
  if (!key || !out)
    return wl_err(WL_E_INVAL, "wl_engine_sublayer_get: NULL argument");
  return CALL(e, sublayer_get, key, out);
}
int wl_engine_sublayer_delete(wl_engine *e, const wl_guid *key) {
  return CALL(e, sublayer_delete, key);
}

int wl_engine_filter_add(wl_engine *e, wl_filter *f) { return CALL(e, filter_add, f); }
int wl_engine_filter_delete(wl_engine *e, const wl_guid *key) {
  return CALL(e, filter_delete, key);
}
int wl_engine_filter_get_by_id(wl_engine *e, uint64_t id, wl_filter *out) {
  return CALL(e, filter_get_by_id, id, out);
}
int wl_engine_filter_get_by_key(wl_engine *e, const wl_guid *key, wl_filter *out) {
  return CALL(e, filter_get_by_key, key, out);
}
int wl_engine_filter_enum(wl_engine *e, const wl_guid *provider, wl_filter **out, size_t *n) {
  return CALL(e, filter_enum, provider, out, n);
}
void wl_engine_free(void *p) { free(p); }

int wl_engine_app_id(wl_engine *e, const char *dos_path, uint8_t *out, size_t cap, size_t *len) {
  if (!dos_path || !out || !len)
    return wl_err(WL_E_INVAL, "wl_engine_app_id: NULL argument");
  return CALL(e, app_id, dos_path, out, cap, len);
}

int wl_engine_drive_map(wl_engine *e, wl_drive *out, size_t cap, size_t *n) {
  if (!out || !n)
    return wl_err(WL_E_INVAL, "wl_engine_drive_map: NULL argument");
  return CALL(e, drive_map, out, cap, n);
}

/* ---- sim controls (sim.h) ---- */

int wl_sim_classify(wl_engine *e, const wl_attempt *a, wl_decision *out) {
  if (!a || !out)
    return wl_err(WL_E_INVAL, "wl_sim_classify: NULL argument");
  return CALL(e, sim_classify, a, out);
}

int wl_sim_run_traffic(wl_engine *e, const char *path, double speed, wl_sim_stats *stats) {
  if (!path)
    return wl_err(WL_E_INVAL, "wl_sim_run_traffic: NULL path");
  return CALL(e, sim_run_traffic, path, speed, stats);
}

int wl_sim_stop(wl_engine *e) { return CALL0(e, sim_stop); }

int wl_sim_drain(wl_engine *e, unsigned timeout_ms) { return CALL(e, sim_drain, timeout_ms); }

int wl_sim_set_drive(wl_engine *e, char letter, const char *device) {
  return CALL(e, sim_set_drive, letter, device);
}
