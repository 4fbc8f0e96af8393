/* win_events.c — net event subscriptions and backfill for the fwpuclnt backend.
 *
 * Subscribe: the newest FwpmNetEventSubscribeN the DLL exports (4, 3, 2, 1, then 0) with the
 * callback of the matching struct version (Subscribe4 delivers FWPM_NET_EVENT5 ... Subscribe0
 * delivers FWPM_NET_EVENT1). A newer one that is exported but fails is followed by the next
 * older one (a DLL newer than the engine behind it), unless the failure says BFE is gone; the
 * version that worked is the one later subscriptions start from and the one
 * wl_engine_event_version reports. Unsubscribe: a subscription whose
 * FwpmNetEventUnsubscribe0 failed is kept, context and all, since BFE may still call it. The callback runs on a BFE worker thread and does exactly two
 * things: copy the event into a wl_raw_event on its stack (win_evcopy.c) and hand it to the
 * subscriber. What the subscriber answers is ignored: BFE has no way to be told "later"; the
 * subscriber counts its own drops.
 *
 * Backfill: FwpmNetEventCreateEnumHandle0 with a time window, the newest FwpmNetEventEnumN
 * (5 down to 0), FwpmFreeMemory0 after every batch, the enum handle destroyed on every path.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/wl_err.h"
#include "common/wl_os.h"
#include "engine/fwpuclnt/win_backend.h"

#define WL_FWP_EVENT_CHUNK 256u       /* events asked per FwpmNetEventEnumN call */
#define WL_FWP_FULL_RETRY_MS 10000u   /* backfill: how long a WL_E_FULL subscriber is retried */

typedef struct wl_fwp_sub {
  wl_fwp *b;
  HANDLE h;
  int version; /* N of the FwpmNetEventSubscribeN in use */
  wl_net_event_cb cb;
  void *ctx;
} wl_fwp_sub;

/* One callback per struct version: copy, deliver, return. */
#define WL_FWP_CALLBACK(fn, T, copy)                                \
  static void CALLBACK fn(void *context, const T *ev) {             \
    const wl_fwp_sub *s = context;                                  \
    wl_raw_event raw;                                               \
    copy(ev, &raw);                                                 \
    raw.origin = WL_ORIGIN_LIVE;                                    \
    (void)s->cb(s->ctx, &raw);                                      \
  }
WL_FWP_CALLBACK(on_event1, FWPM_NET_EVENT1, wl_fwp_copy_event1)
WL_FWP_CALLBACK(on_event2, FWPM_NET_EVENT2, wl_fwp_copy_event2)
WL_FWP_CALLBACK(on_event3, FWPM_NET_EVENT3, wl_fwp_copy_event3)
WL_FWP_CALLBACK(on_event4, FWPM_NET_EVENT4, wl_fwp_copy_event4)
WL_FWP_CALLBACK(on_event5, FWPM_NET_EVENT5, wl_fwp_copy_event5)

static int has_subscribe(const wl_fwp *b, int v) {
  switch (v) {
  case 4: return b->api.FwpmNetEventSubscribe4 != NULL;
  case 3: return b->api.FwpmNetEventSubscribe3 != NULL;
  case 2: return b->api.FwpmNetEventSubscribe2 != NULL;
  case 1: return b->api.FwpmNetEventSubscribe1 != NULL;
  case 0: return b->api.FwpmNetEventSubscribe0 != NULL;
  default: return 0;
  }
}

static DWORD call_subscribe(wl_fwp *b, const FWPM_NET_EVENT_SUBSCRIPTION0 *t, wl_fwp_sub *s) {
  switch (s->version) {
  case 4: return b->api.FwpmNetEventSubscribe4(b->engine, t, on_event5, s, &s->h);
  case 3: return b->api.FwpmNetEventSubscribe3(b->engine, t, on_event4, s, &s->h);
  case 2: return b->api.FwpmNetEventSubscribe2(b->engine, t, on_event3, s, &s->h);
  case 1: return b->api.FwpmNetEventSubscribe1(b->engine, t, on_event2, s, &s->h);
  default: return b->api.FwpmNetEventSubscribe0(b->engine, t, on_event1, s, &s->h);
  }
}

static int track(wl_fwp *b, wl_fwp_sub *s, int add) {
  int rc = add ? WL_E_FULL : WL_E_NOTFOUND;
  wl_mutex_lock(&b->lock);
  for (size_t i = 0; i < WL_FWP_MAX_SUBS; i++) {
    if (b->subs[i] == (add ? NULL : (void *)s)) {
      b->subs[i] = add ? s : NULL;
      rc = WL_OK;
      break;
    }
  }
  wl_mutex_unlock(&b->lock);
  return rc;
}

int wl_fwp_subscribe(void *impl, wl_net_event_cb cb, void *ctx, void **sub) {
  wl_fwp *b = impl;
  if (b->sub_version < 0 || !b->api.FwpmNetEventUnsubscribe0)
    return wl_err(WL_E_UNSUPPORTED, "fwpuclnt.dll exports no FwpmNetEventSubscribe0..4 / "
                  "FwpmNetEventUnsubscribe0");
  wl_fwp_sub *s = calloc(1, sizeof *s);
  if (!s)
    return wl_err(WL_E_NOMEM, "subscribe: out of memory");
  s->b = b;
  s->cb = cb;
  s->ctx = ctx;
  if (track(b, s, 1)) {
    free(s);
    return wl_err(WL_E_FULL, "subscribe: %d subscriptions already on this engine handle",
                  WL_FWP_MAX_SUBS);
  }
  FWPM_NET_EVENT_ENUM_TEMPLATE0 t; /* no conditions: every event */
  FWPM_NET_EVENT_SUBSCRIPTION0 sub0;
  memset(&t, 0, sizeof t);
  memset(&sub0, 0, sizeof sub0);
  sub0.enumTemplate = &t;
  sub0.sessionKey = b->session_key;
  int rc = WL_E_UNSUPPORTED;
  for (int v = atomic_load(&b->sub_version); v >= 0; v--) {
    if (!has_subscribe(b, v))
      continue;
    s->version = v;
    DWORD e = call_subscribe(b, &sub0, s);
    if (e == ERROR_SUCCESS) {
      atomic_store(&b->sub_version, v); /* later subscriptions and event_version follow */
      *sub = s;
      return WL_OK;
    }
    char fn[32];
    snprintf(fn, sizeof fn, "FwpmNetEventSubscribe%d", v);
    rc = wl_fwp_err(&b->api, fn, e);
    /* an older version would fail the same way: BFE gone, memory, access, a transaction */
    if (rc == WL_E_ENGINE || rc == WL_E_NOMEM || rc == WL_E_PERM ||
        e == (DWORD)FWP_E_TXN_IN_PROGRESS)
      break;
  }
  track(b, s, 0);
  free(s);
  return rc;
}

/* FwpmNetEventUnsubscribe0 returns once no callback of this subscription is running. When it
 * fails (in a transaction: FWP_E_TXN_IN_PROGRESS; BFE gone) the callback may still run, so s
 * is not freed. */
static int end_sub(wl_fwp *b, wl_fwp_sub *s) {
  DWORD e = b->api.FwpmNetEventUnsubscribe0(b->engine, s->h);
  if (e)
    return wl_fwp_err(&b->api, "FwpmNetEventUnsubscribe0", e);
  free(s);
  return WL_OK;
}

int wl_fwp_unsubscribe(void *impl, void *sub) {
  wl_fwp *b = impl;
  if (!sub)
    return WL_OK;
  if (track(b, sub, 0))
    return wl_err(WL_E_INVAL, "unsubscribe: not a subscription of this engine handle");
  int rc = end_sub(b, sub);
  if (rc != WL_OK)
    track(b, sub, 1); /* still live: a later unsubscribe, or the close, ends it */
  return rc;
}

/* At close, after any transaction was aborted. A subscription that still cannot be ended is
 * left to the session's end (WFP cancels them then) and its context deliberately not freed:
 * whether a callback can still run after FwpmEngineClose0 is not documented. */
void wl_fwp_unsubscribe_all(wl_fwp *b) {
  for (size_t i = 0; i < WL_FWP_MAX_SUBS; i++) {
    wl_mutex_lock(&b->lock);
    wl_fwp_sub *s = b->subs[i];
    b->subs[i] = NULL;
    wl_mutex_unlock(&b->lock);
    if (s)
      (void)end_sub(b, s);
  }
}

/* ---- backfill ---- */

/* A file-like source: a full consumer is waited for (bounded), never skipped silently. */
static int deliver(wl_net_event_cb cb, void *ctx, wl_raw_event *raw) {
  raw->origin = WL_ORIGIN_BACKFILL;
  for (unsigned waited = 0;; waited++) {
    int rc = cb(ctx, raw);
    if (rc != WL_E_FULL)
      return rc;
    if (waited >= WL_FWP_FULL_RETRY_MS)
      return wl_err(WL_E_FULL, "net event backfill: consumer full for %u ms",
                    WL_FWP_FULL_RETRY_MS);
    wl_sleep_ms(1);
  }
}

/* One FwpmNetEventEnumN batch of struct version V into the callback; frees the batch. */
#define WL_FWP_ENUM_BATCH(V, T)                                                          \
  static int batch##V(wl_fwp *b, HANDLE h, wl_net_event_cb cb, void *ctx, UINT32 *got) { \
    T **entries = NULL;                                                                  \
    wl_raw_event raw;                                                                    \
    DWORD e = b->api.FwpmNetEventEnum##V(b->engine, h, WL_FWP_EVENT_CHUNK, &entries, got); \
    int rc = e ? wl_fwp_err(&b->api, "FwpmNetEventEnum" #V, e) : WL_OK;                  \
    for (UINT32 i = 0; rc == WL_OK && entries && i < *got; i++) {                        \
      wl_fwp_copy_event##V(entries[i], &raw);                                            \
      rc = deliver(cb, ctx, &raw);                                                       \
    }                                                                                    \
    if (entries)                                                                         \
      b->api.FwpmFreeMemory0((void **)&entries);                                         \
    return rc;                                                                           \
  }
WL_FWP_ENUM_BATCH(0, FWPM_NET_EVENT0)
WL_FWP_ENUM_BATCH(1, FWPM_NET_EVENT1)
WL_FWP_ENUM_BATCH(2, FWPM_NET_EVENT2)
WL_FWP_ENUM_BATCH(3, FWPM_NET_EVENT3)
WL_FWP_ENUM_BATCH(4, FWPM_NET_EVENT4)
WL_FWP_ENUM_BATCH(5, FWPM_NET_EVENT5)

static int batch(wl_fwp *b, HANDLE h, wl_net_event_cb cb, void *ctx, UINT32 *got) {
  switch (b->enum_version) {
  case 5: return batch5(b, h, cb, ctx, got);
  case 4: return batch4(b, h, cb, ctx, got);
  case 3: return batch3(b, h, cb, ctx, got);
  case 2: return batch2(b, h, cb, ctx, got);
  case 1: return batch1(b, h, cb, ctx, got);
  default: return batch0(b, h, cb, ctx, got);
  }
}

static FILETIME to_filetime(uint64_t t) {
  FILETIME f;
  f.dwLowDateTime = (DWORD)t;
  f.dwHighDateTime = (DWORD)(t >> 32);
  return f;
}

int wl_fwp_enum_events(void *impl, uint64_t since, wl_net_event_cb cb, void *ctx) {
  wl_fwp *b = impl;
  if (b->enum_version < 0 || !b->api.FwpmNetEventCreateEnumHandle0 ||
      !b->api.FwpmNetEventDestroyEnumHandle0)
    return wl_err(WL_E_UNSUPPORTED, "fwpuclnt.dll exports no FwpmNetEventEnum0..5 / "
                  "FwpmNetEventCreateEnumHandle0");
  FWPM_NET_EVENT_ENUM_TEMPLATE0 t;
  memset(&t, 0, sizeof t);
  t.startTime = to_filetime(since + 1);           /* since is exclusive */
  t.endTime = to_filetime(0x7FFFFFFFFFFFFFFFull); /* the largest valid FILETIME */
  HANDLE h = NULL;
  DWORD e = b->api.FwpmNetEventCreateEnumHandle0(b->engine, &t, &h);
  if (e)
    return wl_fwp_err(&b->api, "FwpmNetEventCreateEnumHandle0", e);
  int rc;
  UINT32 got;
  do {
    got = 0;
    rc = batch(b, h, cb, ctx, &got);
  } while (rc == WL_OK && got == WL_FWP_EVENT_CHUNK);
  e = b->api.FwpmNetEventDestroyEnumHandle0(b->engine, h);
  if (e && rc == WL_OK)
    rc = wl_fwp_err(&b->api, "FwpmNetEventDestroyEnumHandle0", e);
  return rc;
}
