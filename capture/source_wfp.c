/* source_wfp.c — the `wfp` source: keep a net event subscription alive until stopped. Events
 * arrive on the engine's threads through wl_capture_callback; this thread only supervises:
 * connect (open the engine, set options, backfill from its buffer, subscribe), retry with
 * backoff when that fails, probe the engine every WL_CAPTURE_PROBE_MS and reconnect when it no
 * longer answers (BFE restarted: TinyWall's subscription dies silently there, ours must not).
 * Works on the sim engine too (events then come from whoever classifies on it).
 */
#include <inttypes.h>

#include "capture/capture_impl.h"
#include "common/wl_err.h"
#include "common/wl_text.h"

/* Connect until it works: WL_OK, or WL_E_STOPPED when a stop came first. */
int wl_capture_connect_retry(wl_capture *c, int do_backfill) {
  unsigned delay = c->retry_min_ms, failures = 0;
  for (;;) {
    if (atomic_load(&c->stop_req))
      return WL_E_STOPPED;
    int rc = wl_capture_connect(c, do_backfill);
    if (rc == WL_OK)
      break;
    atomic_fetch_add(&c->sub_failures, 1);
    if (failures++ == 0)
      wl_capture_log(c, "subscribing to net events failed: %s; retrying with backoff", wl_errmsg());
    if (rc == WL_E_ENGINE || rc == WL_E_IO || rc == WL_E_TIMEOUT) /* handle may be dead */
      wl_capture_disconnect(c, 1);
    if (wl_capture_sleep(c, delay))
      return WL_E_STOPPED;
    delay = delay * 2 < WL_CAPTURE_RETRY_MAX_MS ? delay * 2 : WL_CAPTURE_RETRY_MAX_MS;
  }
  if (failures)
    wl_capture_log(c, "subscribed to net events after %u failed attempts", failures);
  return WL_OK;
}

void *wl_capture_source_wfp(void *arg) {
  wl_capture *c = arg;
  uint64_t next_probe = wl_time_mono_ns() + WL_CAPTURE_PROBE_MS * 1000000ULL;
  while (wl_capture_connect_retry(c, 1) == WL_OK) {
    while (!wl_capture_evtlog_idle(c, 100)) { /* sleeps, or reads the fallback */
      uint64_t now = wl_time_mono_ns();
      if (now < next_probe)
        continue;
      next_probe = now + WL_CAPTURE_PROBE_MS * 1000000ULL;
      if (!wl_capture_probe(c))
        break;
    }
    if (atomic_load(&c->stop_req))
      break;
    atomic_fetch_add(&c->reconnects, 1);
    wl_capture_log(c, "the filtering engine stopped answering; reconnecting");
    wl_capture_disconnect(c, 1);
  }
  wl_capture_disconnect(c, 0); /* waits for callbacks in flight */
  atomic_store(&c->producer_done, 1);
  return NULL;
}
