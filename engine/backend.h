/* backend.h — the contract a backend of the engine seam implements (engine/sim/,
 * engine/fwpuclnt/); nothing above engine/ includes it.
 *
 * engine/engine.c parses the spec, opens one backend and forwards every wl_engine_* call
 * through its operations table. A backend is a `void *impl` plus a static const table; entries
 * a backend cannot do are NULL and the dispatcher answers WL_E_UNSUPPORTED. Backends: the sim
 * (engine/sim/, always) and fwpuclnt (engine/fwpuclnt/, Windows builds). Every function follows
 * engine.h: same arguments minus the wl_engine, same returns, wl_err() message set on failure.
 * What only one backend can do (the sim's controls, engine/sim/sim.h) is not in the table: that
 * backend's own contract reaches its impl through wl_engine_impl_of.
 *
 * Memory: filter_enum allocates *out with malloc (wl_engine_free is free()). The dispatcher
 * checks NULL handles and arguments it can check; backends check the rest.
 */
#ifndef WL_ENGINE_IMPL_H
#define WL_ENGINE_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include "engine/engine.h"

typedef struct wl_engine_ops {
  const char *kind; /* "wfp" or "sim" */
  void (*close)(void *impl); /* aborts an open transaction; NULL-safe */
  int (*event_version)(const void *impl);

  int (*get_option)(void *impl, int option, uint32_t *value);
  int (*set_option)(void *impl, int option, uint32_t value);

  /* *sub is the backend's subscription handle; unsubscribe waits for callbacks in flight. */
  int (*subscribe)(void *impl, wl_net_event_cb cb, void *ctx, void **sub);
  int (*unsubscribe)(void *impl, void *sub);
  int (*enum_events)(void *impl, uint64_t since, wl_net_event_cb cb, void *ctx);

  int (*txn_begin)(void *impl);
  int (*txn_commit)(void *impl);
  int (*txn_abort)(void *impl);

  int (*provider_add)(void *impl, const wl_provider *p);
  int (*provider_get)(void *impl, const wl_guid *key, wl_provider *out);
  int (*provider_delete)(void *impl, const wl_guid *key);
  int (*sublayer_add)(void *impl, const wl_sublayer *s);
  int (*sublayer_get)(void *impl, const wl_guid *key, wl_sublayer *out);
  int (*sublayer_delete)(void *impl, const wl_guid *key);
  int (*filter_add)(void *impl, wl_filter *f);
  int (*filter_delete)(void *impl, const wl_guid *key);
  int (*filter_get_by_id)(void *impl, uint64_t id, wl_filter *out);
  int (*filter_get_by_key)(void *impl, const wl_guid *key, wl_filter *out);
  int (*filter_enum)(void *impl, const wl_guid *provider, wl_filter **out, size_t *n);

  int (*app_id)(void *impl, const char *dos_path, uint8_t *out, size_t cap, size_t *len);
  int (*drive_map)(void *impl, wl_drive *out, size_t cap, size_t *n);
  int (*machine)(void *impl, wl_machine *out);
  int (*connections)(void *impl, wl_conn *out, size_t cap, size_t *n, size_t *total);
  int (*signer)(void *impl, const char *dos_path, wl_signer *out); /* out zeroed by engine.c */

  /* engine/evtlog.h (issue 19): the Security log and the audit policy */
  int (*evtlog_open)(void *impl, void **sub);
  int (*evtlog_next)(void *impl, void *sub, char *xml, size_t cap, size_t *len,
                     unsigned timeout_ms);
  void (*evtlog_close)(void *impl, void *sub);
  int (*audit_get)(void *impl, int sub, uint32_t *flags);
  int (*audit_set)(void *impl, int sub, uint32_t flags);
} wl_engine_ops;

/* What a wl_engine handle is: the backend's table and its impl. */
struct wl_engine {
  const wl_engine_ops *ops;
  void *impl;
  wl_subscription *failed; /* unsubscribes that failed: freed by wl_engine_close (engine.c) */
};

/* The impl of e when e is a handle of the backend whose table is ops, else NULL (the way a
 * backend's own contract, like the sim's controls, finds its state behind a wl_engine). */
static inline void *wl_engine_impl_of(wl_engine *e, const wl_engine_ops *ops) {
  return e && e->ops == ops ? e->impl : NULL;
}

/* Opening a backend: arg is what follows "NAME:" in the spec (NULL for a bare "NAME"). */
typedef int (*wl_engine_open_fn)(const char *arg, unsigned session_flags,
                                 const wl_engine_ops **ops, void **impl);
typedef struct wl_engine_backend {
  const char *name; /* the spec's prefix: "sim", "wfp" */
  wl_engine_open_fn open;
} wl_engine_backend;

/* The backends of this build, in engine.c's table. */
/* The sim. arg: the state file; NULL means $WL_SIM_STATE, else "wfplearn-sim.state" in the
 * current directory. */
int wl_sim_backend_open(const char *arg, unsigned session_flags, const wl_engine_ops **ops,
                        void **impl);
/* fwpuclnt.dll (Windows builds, WL_HAVE_FWPUCLNT). arg must be NULL. */
int wl_fwp_backend_open(const char *arg, unsigned session_flags, const wl_engine_ops **ops,
                        void **impl);

/* Tests (a table they replace, like wl_fwp_api_override): one more backend, looked up before
 * the built-in ones, e.g. a wrapper that injects faults (tests/support/fault_engine.c). NULL
 * removes it. Not thread-safe: set it before opening engines. */
void wl_engine_backend_override(const wl_engine_backend *extra);

#endif
