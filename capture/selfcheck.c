/* selfcheck.c — never learn blind (issue 19, item 1): while a live capture runs, compare what
 * the machine has open with the allow events recorded.
 *
 * Every WL_CAPTURE_SELFCHECK_MS (or the settling time, when shorter) the consumer thread reads
 * the engine's connection tables (each read is also noted in the store as evidence: held.c) (wl_engine_connections: GetExtendedTcpTable /
 * GetExtendedUdpTable on Windows, the sim's table) and counts established connections and
 * listeners. Once the settling time has passed since the capture started, connections exist
 * and not one allow event (classify allow at any layer, FLOW_ESTABLISHED included) has come,
 * the capture is blind to allowed traffic: it logs a warning once, writes the time into the
 * store's meta (WL_META_BLIND_SINCE, which `status` prints) and goes on capturing (drops are
 * still worth recording, and allow events may yet start). When allow events do come later,
 * the meta is cleared and that is logged too. Why "not one" rather than per-connection
 * coverage: an allow event is sent when a connection is authorised, so connections that were
 * open before learn started are never covered; the question the check answers is whether the
 * source delivers allow events at all, and a single one proves it does.
 *
 * Not run: for replay (no machine), when allow events were not asked for (--no-allow; the
 * start-up warning already says so), and on an engine without connection tables (logged once).
 */
#include <inttypes.h>
#include <stdlib.h>

#include "capture/capture_impl.h"
#include "common/wl_text.h"

#define CONN_READ_CAP 4096u /* entries read per check (a bound on the buffer; total is counted) */

void wl_capture_selfcheck_init(wl_capture *c, const wl_capture_opts *o) {
  c->check_settle_ms = o->selfcheck_settle_ms ? o->selfcheck_settle_ms
                                              : WL_CAPTURE_SELFCHECK_SETTLE_MS;
  c->check_every_ms = c->check_settle_ms < WL_CAPTURE_SELFCHECK_MS ? c->check_settle_ms
                                                                   : WL_CAPTURE_SELFCHECK_MS;
  c->check_off = c->kind == WL_CAPTURE_REPLAY || c->kind == WL_CAPTURE_EVTLOG; /* no tables */
  c->blind_off = o->no_allow; /* the tables are still read: evidence (held.c) */
  c->check_start_ns = c->check_last_ns = wl_time_mono_ns();
}

/* Listeners and established connections now open; -1 when they cannot be read. */
static long open_connections(wl_capture *c) {
  wl_conn *buf = malloc(CONN_READ_CAP * sizeof *buf);
  size_t n = 0, total = 0;
  int rc = WL_E_NOMEM;
  if (buf) {
    wl_mutex_lock(&c->engine_lock);
    rc = c->engine ? wl_engine_connections(c->engine, buf, CONN_READ_CAP, &n, &total)
                   : WL_E_STOPPED;
    wl_mutex_unlock(&c->engine_lock);
  }
  if (rc == WL_OK)
    wl_capture_held_note(c, buf, n); /* item 3: the tables are evidence too (held.c) */
  free(buf);
  if (rc == WL_E_UNSUPPORTED) {
    wl_capture_log(c, "self-check off: %s", wl_errmsg());
    c->check_off = 1;
  }
  return rc == WL_OK ? (long)total : -1;
}

static void set_blind(wl_capture *c, long conns, uint64_t settled_s) {
  char since[WL_TIME_STR_MAX];
  wl_time_format(wl_time_now(), since);
  c->blind = 1;
  wl_capture_log(c,
                 "warning: blind to allowed traffic since %s: %ld connections and listeners are "
                 "open and no allow event came in %" PRIu64 " s (the engine does not deliver "
                 "them; %s)",
                 since, conns, settled_s,
                 c->fallback ? "falling back to the Security log for them"
                             : "outbound traffic is not being learnt");
  if (wl_store_meta_set(c->store, WL_META_BLIND_SINCE, since) != WL_OK)
    wl_capture_log(c, "store: %s", wl_errmsg());
}

void wl_capture_selfcheck_tick(wl_capture *c) {
  if (c->check_off)
    return;
  uint64_t now = wl_time_mono_ns();
  if (now - c->check_last_ns < (uint64_t)c->check_every_ms * 1000000u)
    return;
  c->check_last_ns = now;
  long conns = open_connections(c);
  if (conns >= 0)
    atomic_store(&c->open_conns, (uint64_t)conns);
  uint64_t allows = atomic_load(&c->allow_seen);
  if (c->blind_off)
    return;
  if (c->blind && allows > 0) {
    c->blind = 0;
    wl_capture_log(c, "allow events are coming in again: no longer blind");
    if (wl_store_meta_set(c->store, WL_META_BLIND_SINCE, "") != WL_OK)
      wl_capture_log(c, "store: %s", wl_errmsg());
    return;
  }
  uint64_t settled_ms = (now - c->check_start_ns) / 1000000u;
  if (c->blind || allows > 0 || settled_ms < c->check_settle_ms)
    return;
  if (conns > 0)
    set_blind(c, conns, settled_ms / 1000);
}
