/* dedup.c — one connection, two sources, one event (issue 19, item 2).
 *
 * With the Security log on beside WFP net events (the fallback: WFP still delivers drops while
 * allow events are missing; or both simply working), a connection can arrive twice: as a WFP
 * net event and as a 5156/5157 record. And a blocked connection is logged twice by the Security
 * log itself when both subcategories are audited: 5157 (connection blocked) and 5152 (packet
 * dropped). The rule, applied before an event is stored:
 *
 *   Two events are the same connection when they agree on direction, protocol, IP version,
 *   local and remote address and port, verdict (allow or drop) and application (NT path,
 *   compared case-insensitively; "" when absent, so an event without an app only matches one
 *   without), come from sources with different tags (WFP / Security log 5156-5157 / Security
 *   log 5152), and their timestamps are at most WL_CAPTURE_DEDUP_TICKS (2 s) apart. The one that
 *   arrives second is not stored (counted in the session's `duplicates`).
 *
 * Events of one tag are never merged: two WFP events with the same 5-tuple are two classify
 * decisions (a retried connection), as in the store. The process id is not part of the key:
 * WFP's net events carry none, so the application stands for it.
 *
 * Memory: WL_CAPTURE_DEDUP_SLOTS entries (24 bytes each), 4-way buckets by the key's hash, the
 * oldest entry of a bucket replaced; a connection evicted before its twin arrives (more than
 * ~8000 distinct connections in 2 s) would be counted twice, never lost.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "capture/capture_impl.h"
#include "common/wl_hash.h"

#define WAYS 4u

typedef struct slot {
  uint64_t key, ts;
  unsigned tag; /* 0: free */
} slot;

struct wl_capture_dedup {
  slot s[WL_CAPTURE_DEDUP_SLOTS];
};

_Static_assert((WL_CAPTURE_DEDUP_SLOTS % WAYS) == 0, "whole buckets");

int wl_capture_dedup_create(wl_capture_dedup **out) {
  *out = calloc(1, sizeof **out);
  return *out ? WL_OK : wl_err(WL_E_NOMEM, "capture: out of memory for the duplicate check");
}

void wl_capture_dedup_destroy(wl_capture_dedup *d) { free(d); }

static uint64_t key_of(const wl_event *ev) {
  int allow = ev->type == WL_EVT_ALLOW || ev->type == WL_EVT_CAP_ALLOW;
  uint8_t k[40] = {ev->dir, ev->proto, ev->ip_version, (uint8_t)allow};
  memcpy(k + 4, &ev->local_port, 2);
  memcpy(k + 6, &ev->remote_port, 2);
  memcpy(k + 8, ev->local_addr, 16);
  memcpy(k + 24, ev->remote_addr, 16);
  uint64_t h = wl_fnv1a64(WL_FNV1A64_INIT, k, sizeof k);
  for (const char *p = (ev->has & WL_HAS_APP) ? ev->app : ""; *p; p++) {
    char lc = (char)tolower((unsigned char)*p);
    h = wl_fnv1a64(h, &lc, 1);
  }
  return h | 1u; /* never 0 */
}

int wl_capture_dedup_check(wl_capture_dedup *d, const wl_event *ev, unsigned tag) {
  uint64_t key = key_of(ev);
  slot *b = &d->s[(key % (WL_CAPTURE_DEDUP_SLOTS / WAYS)) * WAYS], *victim = b;
  for (unsigned i = 0; i < WAYS; i++) {
    slot *s = &b[i];
    if (s->tag && s->key == key) {
      uint64_t gap = s->ts > ev->ts ? s->ts - ev->ts : ev->ts - s->ts;
      if (gap <= WL_CAPTURE_DEDUP_TICKS && s->tag != tag)
        return 1;
    }
    if (!s->tag || (victim->tag && s->ts < victim->ts))
      victim = s;
  }
  victim->key = key;
  victim->ts = ev->ts;
  victim->tag = tag;
  return 0;
}
