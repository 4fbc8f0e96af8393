/* fault_engine.c — see fault_engine.h. The wrapper's impl is the inner wl_engine; every op goes
 * through the public engine API, so the wrapper knows nothing of the backend beneath. */
#include <stdatomic.h>
#include <stdlib.h>

#include "common/wl_err.h"
#include "engine/backend.h"
#include "tests/support/fault_engine.h"

static _Atomic int fail_subscribe, fail_get_option, fail_lookup;

void wl_fault_fail_subscribe(int n) { atomic_store(&fail_subscribe, n); }
void wl_fault_fail_get_option(int n) { atomic_store(&fail_get_option, n); }
int wl_fault_fail_filter_lookup(int n) { return atomic_exchange(&fail_lookup, n); }

/* 1 when a failure was armed (and is now used up). */
static int take(_Atomic int *left) {
  int n = atomic_load(left);
  while (n > 0 && !atomic_compare_exchange_weak(left, &n, n - 1)) {
  }
  return n > 0;
}

#define INNER(impl) ((wl_engine *)(impl))

static void f_close(void *impl) { wl_engine_close(INNER(impl)); }
static int f_event_version(const void *impl) {
  return wl_engine_event_version((const wl_engine *)impl);
}
static int f_get_option(void *impl, int option, uint32_t *value) {
  if (take(&fail_get_option))
    return wl_err(WL_E_ENGINE, "FwpmEngineGetOption0: failure injected (fault engine)");
  return wl_engine_get_option(INNER(impl), option, value);
}
static int f_set_option(void *impl, int option, uint32_t value) {
  return wl_engine_set_option(INNER(impl), option, value);
}
static int f_subscribe(void *impl, wl_net_event_cb cb, void *ctx, void **sub) {
  if (take(&fail_subscribe))
    return wl_err(WL_E_ENGINE, "FwpmNetEventSubscribe: failure injected (fault engine)");
  wl_subscription *s = NULL;
  int rc = wl_engine_subscribe(INNER(impl), cb, ctx, &s);
  *sub = s;
  return rc;
}
static int f_unsubscribe(void *impl, void *sub) {
  return wl_engine_unsubscribe(INNER(impl), sub);
}
static int f_enum_events(void *impl, uint64_t since, wl_net_event_cb cb, void *ctx) {
  return wl_engine_enum_events(INNER(impl), since, cb, ctx);
}
static int f_begin(void *impl) { return wl_engine_begin(INNER(impl)); }
static int f_commit(void *impl) { return wl_engine_commit(INNER(impl)); }
static int f_abort(void *impl) { return wl_engine_abort(INNER(impl)); }
static int f_provider_add(void *impl, const wl_provider *p) {
  return wl_engine_provider_add(INNER(impl), p);
}
static int f_provider_get(void *impl, const wl_guid *key, wl_provider *out) {
  return wl_engine_provider_get(INNER(impl), key, out);
}
static int f_provider_delete(void *impl, const wl_guid *key) {
  return wl_engine_provider_delete(INNER(impl), key);
}
static int f_sublayer_add(void *impl, const wl_sublayer *s) {
  return wl_engine_sublayer_add(INNER(impl), s);
}
static int f_sublayer_get(void *impl, const wl_guid *key, wl_sublayer *out) {
  return wl_engine_sublayer_get(INNER(impl), key, out);
}
static int f_sublayer_delete(void *impl, const wl_guid *key) {
  return wl_engine_sublayer_delete(INNER(impl), key);
}
static int f_filter_add(void *impl, wl_filter *f) { return wl_engine_filter_add(INNER(impl), f); }
static int f_filter_delete(void *impl, const wl_guid *key) {
  return wl_engine_filter_delete(INNER(impl), key);
}
static int f_filter_get_by_id(void *impl, uint64_t id, wl_filter *out) {
  if (take(&fail_lookup))
    return wl_err(WL_E_ENGINE, "FwpmFilterGetById0: failure injected (fault engine)");
  return wl_engine_filter_get_by_id(INNER(impl), id, out);
}
static int f_filter_get_by_key(void *impl, const wl_guid *key, wl_filter *out) {
  return wl_engine_filter_get_by_key(INNER(impl), key, out);
}
static int f_filter_enum(void *impl, const wl_guid *provider, wl_filter **out, size_t *n) {
  return wl_engine_filter_enum(INNER(impl), provider, out, n);
}
static int f_app_id(void *impl, const char *dos_path, uint8_t *out, size_t cap, size_t *len) {
  return wl_engine_app_id(INNER(impl), dos_path, out, cap, len);
}
static int f_drive_map(void *impl, wl_drive *out, size_t cap, size_t *n) {
  return wl_engine_drive_map(INNER(impl), out, cap, n);
}
static int f_machine(void *impl, wl_machine *out) { return wl_engine_machine(INNER(impl), out); }

static int f_connections(void *impl, wl_conn *out, size_t cap, size_t *n, size_t *total) {
  return wl_engine_connections(INNER(impl), out, cap, n, total);
}

static const wl_engine_ops fault_ops = {
    .kind = "fault",
    .close = f_close,
    .event_version = f_event_version,
    .get_option = f_get_option,
    .set_option = f_set_option,
    .subscribe = f_subscribe,
    .unsubscribe = f_unsubscribe,
    .enum_events = f_enum_events,
    .txn_begin = f_begin,
    .txn_commit = f_commit,
    .txn_abort = f_abort,
    .provider_add = f_provider_add,
    .provider_get = f_provider_get,
    .provider_delete = f_provider_delete,
    .sublayer_add = f_sublayer_add,
    .sublayer_get = f_sublayer_get,
    .sublayer_delete = f_sublayer_delete,
    .filter_add = f_filter_add,
    .filter_delete = f_filter_delete,
    .filter_get_by_id = f_filter_get_by_id,
    .filter_get_by_key = f_filter_get_by_key,
    .filter_enum = f_filter_enum,
    .app_id = f_app_id,
    .drive_map = f_drive_map,
    .machine = f_machine,
    .connections = f_connections,
};

static int fault_open(const char *arg, unsigned flags, const wl_engine_ops **ops, void **impl) {
  if (!arg || !*arg)
    return wl_err(WL_E_INVAL, "engine 'fault:': the engine to wrap is missing (fault:SPEC)");
  wl_engine *inner = NULL;
  int rc = wl_engine_open(arg, flags, &inner);
  if (rc != WL_OK)
    return rc;
  *ops = &fault_ops;
  *impl = inner;
  return WL_OK;
}

static const wl_engine_backend fault_backend = {"fault", fault_open};

void wl_fault_engine_install(void) { wl_engine_backend_override(&fault_backend); }
void wl_fault_engine_uninstall(void) { wl_engine_backend_override(NULL); }
