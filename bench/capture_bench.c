/* capture_bench.c — costs on the capture path, per event:
 *   callback   wl_capture_callback into a ring with room (what a BFE worker pays: one ~1.3 KB
 *              copy and a CAS), and on a full ring (the drop path);
 *   decode     wl_decode of realistic raw records (v4/v6, app id, SIDs, payload), and
 *              wl_decoder_decode (what the consumer runs: the same with its app id and SID
 *              caches, no drive map) over the same 64 records;
 *   parse      wl_replay_parse_line of event stream lines (the full reader), and
 *              wl_replay_parse_line_cached (what the replay source runs).
 * Prints one line per measure. Run by scripts/bench/capture.sh (Release build).
 *   capture_bench [N]   (default 2000000 events)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/wl_text.h"
#include "capture/capture.h"
#include "capture/replay.h"
#include "event/decode.h"

#define VARIANTS 64

/* Realistic records: a decoded event in several shapes, encoded as the callback sees them. */
static void make_raw(wl_raw_event *raw, int i) {
  wl_event ev;
  wl_event_clear(&ev);
  ev.ts = 134380800000000000ULL + (uint64_t)i * 10000;
  ev.type = i % 3 ? WL_EVT_ALLOW : WL_EVT_DROP;
  ev.dir = i % 5 ? WL_DIR_OUT : WL_DIR_IN;
  ev.proto = i % 2 ? 6 : 17;
  ev.ip_version = i % 4 ? 4 : 6;
  for (int k = 0; k < (ev.ip_version == 4 ? 4 : 16); k++) {
    ev.local_addr[k] = (uint8_t)(10 + k);
    ev.remote_addr[k] = (uint8_t)(i * 7 + k);
  }
  ev.local_port = (uint16_t)(49152 + i);
  ev.remote_port = 443;
  snprintf(ev.app, sizeof ev.app,
           "\\device\\harddiskvolume3\\program files\\vendor%02d\\app%03d.exe", i % 17, i);
  strcpy(ev.user, "S-1-5-21-3623811015-3361044348-30300820-1013");
  ev.filter_id = 65001 + (uint64_t)(i % 4);
  ev.layer_id = 48;
  ev.has = WL_HAS_PROTO | WL_HAS_LOCAL_ADDR | WL_HAS_REMOTE_ADDR | WL_HAS_LOCAL_PORT |
           WL_HAS_REMOTE_PORT | WL_HAS_APP | WL_HAS_USER | WL_HAS_IP_VERSION | WL_HAS_FILTER |
           WL_HAS_LAYER | WL_HAS_DIR;
  wl_encode(&ev, raw);
  raw->origin = WL_ORIGIN_LIVE;
}

static double ns_per(uint64_t t0, uint64_t n) { return (double)(wl_time_mono_ns() - t0) / n; }

/* Pushes into a ring with room (emptied between rounds, untimed): the usual callback. */
static void bench_callback_room(const wl_raw_event *raw, uint64_t n) {
  wl_ring *r;
  enum { ROUND = 8192 };
  if (wl_ring_create(1u << 14, sizeof(wl_raw_event), &r) != 0)
    exit(1);
  wl_raw_event *out = malloc(ROUND * sizeof *out);
  wl_capture_sink sink = {r, 1};
  uint64_t spent = 0, done = 0;
  while (out && done < n) {
    uint64_t t0 = wl_time_mono_ns();
    for (int i = 0; i < ROUND; i++)
      wl_capture_callback(&sink, &raw[(done + (uint64_t)i) % VARIANTS]);
    spent += wl_time_mono_ns() - t0;
    done += ROUND;
    wl_ring_pop(r, out, ROUND);
  }
  printf("callback: %.1f ns/event (ring with room; %llu dropped)\n", (double)spent / done,
         (unsigned long long)wl_ring_dropped(r));
  free(out);
  wl_ring_destroy(r);
}

static void bench_callback_full(const wl_raw_event *raw, uint64_t n) {
  wl_ring *r;
  wl_capture_sink sink = {NULL, 1};
  uint64_t t0;
  if (wl_ring_create(1024, sizeof(wl_raw_event), &r) != 0) /* full: each call is a drop */
    exit(1);
  sink.ring = r;
  for (int i = 0; i < 1024; i++)
    wl_capture_callback(&sink, &raw[0]);
  t0 = wl_time_mono_ns();
  for (uint64_t i = 0; i < n; i++)
    wl_capture_callback(&sink, &raw[i % VARIANTS]);
  printf("callback (ring full, drop counted): %.1f ns/event\n", ns_per(t0, n));
  wl_ring_destroy(r);
}

static void bench_decode(const wl_raw_event *raw, uint64_t n) {
  wl_event *ev = malloc(sizeof *ev);
  uint64_t kept = 0, t0 = wl_time_mono_ns();
  for (uint64_t i = 0; i < n; i++)
    kept += (uint64_t)wl_decode(&raw[i % VARIANTS], ev);
  printf("decode: %.1f ns/event (%llu kept)\n", ns_per(t0, n), (unsigned long long)kept);
  wl_decoder *d = NULL;
  if (wl_decoder_create(0, 0, &d) != 0)
    exit(1);
  kept = 0;
  t0 = wl_time_mono_ns();
  for (uint64_t i = 0; i < n; i++)
    kept += (uint64_t)wl_decoder_decode(d, &raw[i % VARIANTS], NULL, ev);
  printf("decode with the consumer's caches: %.1f ns/event (%llu kept)\n", ns_per(t0, n),
         (unsigned long long)kept);
  wl_decoder_destroy(d);
  free(ev);
}

static void bench_parse(const wl_raw_event *raw, uint64_t n) {
  static char lines[VARIANTS][2048];
  wl_event ev;
  wl_json_arena a = {0};
  for (int i = 0; i < VARIANTS; i++) {
    wl_decode(&raw[i], &ev);
    wl_replay_format(&ev, lines[i], sizeof lines[i]);
  }
  uint64_t ok = 0, t0 = wl_time_mono_ns();
  for (uint64_t i = 0; i < n; i++) {
    const char *l = lines[i % VARIANTS];
    ok += wl_replay_parse_line(&a, l, strlen(l) - 1, &ev) == 1;
  }
  printf("replay parse: %.1f ns/line (%llu ok)\n", ns_per(t0, n), (unsigned long long)ok);
  static wl_replay_cache c; /* 333 KB: not on the stack */
  memset(&c, 0, sizeof c);
  ok = 0;
  t0 = wl_time_mono_ns();
  for (uint64_t i = 0; i < n; i++) {
    const char *l = lines[i % VARIANTS];
    ok += wl_replay_parse_line_cached(&a, &c, l, strlen(l) - 1, &ev) == 1;
  }
  printf("replay parse, the replay source's reader: %.1f ns/line (%llu ok)\n", ns_per(t0, n),
         (unsigned long long)ok);
  wl_json_arena_free(&a);
}

int main(int argc, char **argv) {
  uint64_t n = argc > 1 ? strtoull(argv[1], NULL, 10) : 2000000;
  wl_raw_event *raw = malloc(VARIANTS * sizeof *raw);
  if (!raw || n == 0)
    return 1;
  for (int i = 0; i < VARIANTS; i++)
    make_raw(&raw[i], i);
  bench_callback_room(raw, n);
  bench_callback_full(raw, n);
  bench_decode(raw, n);
  bench_parse(raw, n / 4);
  free(raw);
  return 0;
}
