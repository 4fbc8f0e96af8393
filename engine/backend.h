/* engine_impl.h — internal to wfp/: the backend operations table behind wl_engine.
 *
 * wfp/engine.c parses the spec, opens one backend and forwards every wl_engine_* call (and the
 * sim controls of wfp/sim.h) through this table. A backend is a `void *impl` plus a static
 * const table; entries a backend cannot do are NULL and the dispatcher answers
 * WL_E_UNSUPPORTED. Backends: the sim (wfp/sim_*.c, always) and fwpuclnt (Windows, compiled
 * into wl_wfp with WL_HAVE_FWPUCLNT defined). Every function follows engine.h / sim.h: same
 * arguments minus the wl_engine, same returns, wl_err() message set on failure.
 *
 * Memory: filter_enum allocates *out with malloc (wl_engine_free is free()). The dispatcher
 * checks NULL handles and arguments it can check; backends check the rest.
 */
#ifndef WL_ENGINE_IMPL_H
#define WL_ENGINE_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include "engine/engine.h"
#include "engine/sim/sim.h"

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

  /* sim controls (wfp/sim.h); NULL when the backend cannot do them */
  int (*sim_classify)(void *impl, const wl_attempt *a, wl_decision *out);
  int (*sim_run_traffic)(void *impl, const char *path, double speed, wl_sim_stats *stats);
  int (*sim_stop)(void *impl);
  int (*sim_drain)(void *impl, unsigned timeout_ms);
  int (*sim_set_drive)(void *impl, char letter, const char *device);
} wl_engine_ops;

/* The sim backend (wl_sim). state_path: the state file; NULL means $WL_SIM_STATE, else
 * "wfplearn-sim.state" in the current directory. */
int wl_sim_backend_open(const char *state_path, unsigned session_flags,
                        const wl_engine_ops **ops, void **impl);

/* The fwpuclnt backend (Windows, wl_wfp with WL_HAVE_FWPUCLNT). */
int wl_fwp_backend_open(unsigned session_flags, const wl_engine_ops **ops, void **impl);

#endif
