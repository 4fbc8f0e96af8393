/* source_sim.c — the `sim:TRAFFIC` source: subscribe to the sim engine (retrying like the wfp
 * source), have it classify every attempt of a traffic file (wl_sim_run_traffic: each decision
 * becomes a net event delivered to our callback from the sim's thread; when the ring is full
 * the callback says so and the sim waits and delivers again, so nothing is lost), then
 * unsubscribe. No backfill: the file is the whole input. The sim's own count of emitted events
 * (auth-layer events and their FLOW_ESTABLISHED twins) is what the store's events, drops and
 * not_connections must add up to.
 */
#include <inttypes.h>

#include "capture/capture_impl.h"
#include "common/wl_err.h"
#include "engine/sim/sim.h"

static void report_sim(wl_capture *c, const wl_sim_stats *st) {
  atomic_store(&c->emitted, st->events + st->flow_events);
  atomic_store(&c->malformed, st->malformed);
  for (uint32_t i = 0; i < st->errors_kept && i < WL_SIM_ERRORS_KEPT; i++)
    wl_capture_log(c, "%s", st->errors[i]);
  if (st->malformed > st->errors_kept)
    wl_capture_log(c, "%s: %" PRIu64 " malformed lines skipped in all", c->path, st->malformed);
}

void *wl_capture_source_sim(void *arg) {
  wl_capture *c = arg;
  if (wl_capture_connect_retry(c, 0) == WL_OK) {
    wl_sim_stats st = {0};
    int rc = wl_sim_run_traffic(c->engine, c->path, c->speed, &st);
    report_sim(c, &st);
    if (rc != WL_OK && rc != WL_E_STOPPED)
      wl_capture_set_error(c, rc);
  }
  wl_capture_disconnect(c, 0);
  atomic_store(&c->producer_done, 1);
  return NULL;
}
