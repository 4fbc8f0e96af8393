/* source_replay.c — the `replay:FILE` source: read a JSON-lines event stream, turn each event
 * back into the raw shape (wl_encode) so it takes the same path as live events, written straight
 * into a claimed ring slot (no record built on the stack and copied in); when the ring is full,
 * wait (a file never loses an event). Speed 0 pushes as fast as the
 * consumer takes them; speed X waits out the recorded gaps divided by X. Drive letters are
 * learned from lines carrying both "app" and "app_dos" and handed to the consumer as path
 * hints, so a recorded stream replays with its DOS paths on any machine.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "capture/capture_impl.h"
#include "capture/replay_memo.h"
#include "common/wl_err.h"
#include "common/wl_os.h"
#include "common/wl_text.h"
#include "event/decode.h"

/* app "\device\harddiskvolume3\x\a.exe" + app_dos "C:\x\a.exe" → C: = \device\harddiskvolume3.
 * Returns 1 when it added a drive to seen (so running it again may do something), else 0. */
static int learn_drive(wl_capture *c, wl_path_map *seen, const wl_event *ev) {
  const char *nt = ev->app, *dos = ev->app_dos;
  size_t ln = strlen(nt), ld = strlen(dos);
  if (!(ev->has & WL_HAS_APP) || ld < 3 || dos[1] != ':' || dos[2] != '\\' || ln <= ld ||
      wl_strncasecmp(nt, "\\device\\", 8) != 0 ||
      wl_strncasecmp(nt + ln - (ld - 2), dos + 2, ld - 2) != 0)
    return 0;
  char device[sizeof seen->drives[0].device], probe[WL_PATH_MAX];
  size_t dl = ln - (ld - 2);
  if (dl >= sizeof device)
    return 0;
  memcpy(device, nt, dl);
  device[dl] = '\0';
  if (wl_path_to_dos(seen, nt, probe, sizeof probe) == 1 && wl_strncasecmp(probe, dos, 2) == 0)
    return 0; /* known already */
  if (wl_path_map_add(seen, dos[0], device) != WL_OK)
    return 0;
  wl_mutex_lock(&c->hint_lock);
  wl_path_map_add(&c->hints, dos[0], device);
  atomic_fetch_add(&c->hint_gen, 1);
  wl_mutex_unlock(&c->hint_lock);
  return 1;
}

/* Recorded time: wait until (ts - first) / speed has passed since the first event. */
static int pace(wl_capture *c, uint64_t first_ts, uint64_t t0_ns, uint64_t ts) {
  if (c->speed <= 0 || ts <= first_ts)
    return 0;
  double due_ns = (double)(ts - first_ts) * 100.0 / c->speed;
  for (;;) {
    double now = (double)(wl_time_mono_ns() - t0_ns);
    if (now >= due_ns)
      return 0;
    double left_ms = (due_ns - now) / 1e6;
    if (wl_capture_sleep(c, left_ms > 100 ? 100 : (unsigned)left_ms + 1))
      return 1;
  }
}

/* A slot for the next record (*ticket set), waiting while the ring is full; NULL when stopping,
 * or when lossy and full (a drop counted, as wl_ring_push_or_drop does). */
static wl_raw_event *claim_wait(wl_capture *c, uint64_t *ticket) {
  wl_raw_event *raw;
  while (!(raw = wl_ring_claim(c->ring, ticket))) {
    if (c->sink.lossy) {
      wl_ring_count_drop(c->ring);
      return NULL;
    }
    if (atomic_load(&c->stop_req))
      return NULL;
    wl_sleep_ms(1);
  }
  return raw;
}

static void report_malformed(wl_capture *c) {
  const char *msgs[WL_REPLAY_ERRORS_KEPT];
  size_t n = wl_replay_errors(c->reader, msgs, WL_REPLAY_ERRORS_KEPT);
  uint64_t bad = wl_replay_malformed(c->reader);
  atomic_store(&c->malformed, bad);
  for (size_t i = 0; i < n; i++)
    wl_capture_log(c, "skipped %s", msgs[i]);
  if (bad > n)
    wl_capture_log(c, "%s: %" PRIu64 " malformed lines skipped in all", c->path, bad);
}

void *wl_capture_source_replay(void *arg) {
  wl_capture *c = arg;
  wl_path_map seen;
  wl_event ev;
  uint64_t first_ts = 0, t0_ns = 0;
  int rc = 0, started = 0;
  uint32_t seen_gen = 0; /* counts the drives learn_drive added to seen */
  /* Only a speed-up: without it (out of memory) every line is simply computed in full. */
  wl_replay_memo *memo = calloc(1, sizeof *memo);
  wl_path_map_init(&seen);
  while (!atomic_load(&c->stop_req) && (rc = wl_replay_next(c->reader, &ev)) == 1) {
    if (!started) {
      started = 1;
      first_ts = ev.ts;
      t0_ns = wl_time_mono_ns();
    }
    wl_replay_memo_slot *slot = wl_replay_memo_app(memo, &ev);
    if (!wl_replay_memo_drive_known(slot, &ev, seen_gen)) {
      if (learn_drive(c, &seen, &ev))
        seen_gen++;
      else if (slot)
        wl_replay_memo_drive_note(slot, &ev, seen_gen);
    }
    if (pace(c, first_ts, t0_ns, ev.ts))
      break;
    uint64_t ticket;
    wl_raw_event *raw = claim_wait(c, &ticket);
    if (!raw && !c->sink.lossy)
      break; /* stopping */
    if (raw) { /* filled and published at once: the consumer waits at a claimed slot */
      wl_replay_memo_encode(memo, slot, &ev, raw);
      raw->origin = WL_ORIGIN_REPLAY;
      wl_ring_publish(c->ring, ticket);
    }
    atomic_fetch_add(&c->emitted, 1);
  }
  if (rc < 0)
    wl_capture_set_error(c, rc);
  free(memo);
  report_malformed(c);
  atomic_store(&c->producer_done, 1);
  return NULL;
}
