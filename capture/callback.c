/* callback.c — the net event callback: runs on a BFE worker thread (or the sim's delivery thread),
 * copies the event into the ring and returns. No engine call, no allocation, no lock. In lossy
 * mode (the live WFP engine, which ignores the return value) a full ring counts a drop; in
 * waiting mode the producer is told WL_E_FULL and delivers the same event again. Its own file
 * so that it links without the rest of capture (the callback tests and benchmark).
 */
#include "capture/capture.h"
#include "common/wl_err.h"

int wl_capture_callback(void *ctx, const wl_raw_event *ev) {
  wl_capture_sink *s = ctx;
  if (s->lossy) {
    wl_ring_push_or_drop(s->ring, ev);
    return WL_OK;
  }
  return wl_ring_push(s->ring, ev);
}
