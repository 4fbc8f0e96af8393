/* engine.c — the engine seam's dispatcher: parse the spec, open the backend, forward every
 * wl_engine_* call through its ops table (backend.h).
 *
 * "sim" / "sim:FILE" open the simulated engine; "wfp" opens the fwpuclnt backend when this
 * build has it (WL_HAVE_FWPUCLNT, set by engine/CMakeLists.txt) and is WL_E_UNSUPPORTED
 * otherwise. A test may put one more backend in front (wl_engine_backend_override).
 * The dispatcher checks the handle and the arguments it can; an ops entry a backend leaves
 * NULL answers WL_E_UNSUPPORTED naming the call and the backend.
 */
#include <stdlib.h>
#include <string.h>

#include "common/wl_err.h"
#include "engine/backend.h"

struct wl_subscription {
  wl_engine *e;
  void *impl;
  wl_subscription *next; /* on e->failed */
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

#ifndef WL_HAVE_FWPUCLNT
static int no_fwpuclnt(const char *arg, unsigned flags, const wl_engine_ops **ops, void **impl) {
  return wl_err(WL_E_UNSUPPORTED, "engine 'wfp': the Windows Filtering Platform exists only "
                "on Windows; use --engine sim[:STATEFILE] here");
}
#define wl_fwp_backend_open no_fwpuclnt
#endif

static const wl_engine_backend builtin[] = {
    {"sim", wl_sim_backend_open},
    {"wfp", wl_fwp_backend_open},
};
static const wl_engine_backend *extra_backend; /* tests: wl_engine_backend_override */

void wl_engine_backend_override(const wl_engine_backend *extra) { extra_backend = extra; }

/* "NAME" or "NAME:ARG" of b? Then *arg is ARG (NULL for a bare NAME). */
static int spec_names(const char *spec, const wl_engine_backend *b, const char **arg) {
  size_t n = strlen(b->name);
  if (strncmp(spec, b->name, n) || (spec[n] && spec[n] != ':'))
    return 0;
  *arg = spec[n] ? spec + n + 1 : NULL;
  return 1;
}

static int open_backend(const char *spec, unsigned flags, const wl_engine_ops **ops,
                        void **impl) {
  const char *arg;
  if (extra_backend && spec_names(spec, extra_backend, &arg))
    return extra_backend->open(arg, flags, ops, impl);
  for (size_t i = 0; i < sizeof builtin / sizeof builtin[0]; i++) {
    if (!spec_names(spec, &builtin[i], &arg))
      continue;
    if (arg && !*arg)
      return wl_err(WL_E_INVAL, "engine '%s': the state file name is missing", spec);
    if (arg && !strcmp(builtin[i].name, "wfp"))
      return wl_err(WL_E_INVAL, "engine '%s': expected wfp, sim or sim:STATEFILE", spec);
    return builtin[i].open(arg, flags, ops, impl);
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
  e->ops->close(e->impl); /* ends the session's subscriptions: no callback runs after it */
  for (wl_subscription *s = e->failed, *next; s; s = next) {
    next = s->next;
    free(s);
  }
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
  if (rc == WL_OK) {
    wl_subscription **p = &e->failed; /* it may have failed before */
    while (*p && *p != s)
      p = &(*p)->next;
    if (*p)
      *p = s->next;
    free(s);
  } else { /* still subscribed (engine.h): freed at close unless a retry succeeds */
    wl_subscription *f = e->failed;
    while (f && f != s)
      f = f->next;
    if (!f) {
      s->next = e->failed;
      e->failed = s;
    }
  }
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

int wl_engine_machine(wl_engine *e, wl_machine *out) {
  if (!out)
    return wl_err(WL_E_INVAL, "wl_engine_machine: NULL argument");
  memset(out, 0, sizeof *out);
  return CALL(e, machine, out);
}

int wl_engine_drive_map(wl_engine *e, wl_drive *out, size_t cap, size_t *n) {
  if (!out || !n)
    return wl_err(WL_E_INVAL, "wl_engine_drive_map: NULL argument");
  return CALL(e, drive_map, out, cap, n);
}

int wl_engine_connections(wl_engine *e, wl_conn *out, size_t cap, size_t *n, size_t *total) {
  size_t all = 0;
  if (!out || !n)
    return wl_err(WL_E_INVAL, "wl_engine_connections: NULL argument");
  *n = 0;
  int rc = CALL(e, connections, out, cap, n, &all);
  if (total)
    *total = all;
  return rc;
}

int wl_engine_signer(wl_engine *e, const char *dos_path, wl_signer *out) {
  if (!dos_path || !out)
    return wl_err(WL_E_INVAL, "wl_engine_signer: NULL argument");
  memset(out, 0, sizeof *out);
  return CALL(e, signer, dos_path, out);
}

const char *wl_sign_status_name(int status) {
  return status == WL_SIGN_SIGNED ? "signed" : status == WL_SIGN_UNTRUSTED ? "untrusted"
                                                                            : "unsigned";
}
