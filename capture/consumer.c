/* consumer.c — the one thread that empties the ring: pop a batch, decode (allow events that are
 * not new connections — flow established, listen, bind — are only counted, never stored as
 * connections: wl_event_is_connection), map NT paths to DOS,
 * attribute filter ids, and write the store in one transaction
 * per WL_CAPTURE_BATCH events or per WL_CAPTURE_FLUSH_MS, whichever comes first. A store that is
 * busy, full or failing I/O keeps the batch: the write is retried with backoff (logged once per
 * streak) while the ring absorbs what arrives (and the live callback counts drops). Live
 * counters are atomics in the session, read by any thread; the distinct apps and flows are the
 * store's (wl_store_session_counts), taken after each batch.
 */
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture/capture_impl.h"
#include "common/wl_err.h"
#include "common/wl_hash.h"
#include "common/wl_os.h"
#include "common/wl_text.h"
#include "event/decode.h"

#define STOP_RETRIES 10 /* store retries allowed once a stop was requested */

struct wl_capture_consumer {
  wl_decoder *dec;   /* its caches of app ids (with their DOS form under `map`) and SIDs */
  wl_event *ev;      /* WL_CAPTURE_BATCH */
  size_t n;          /* decoded events waiting in ev[] */
  uint64_t batch_ns; /* when the first of them arrived */
  uint64_t drops_written, skipped, backfilled, not_conn, max_ts;
  wl_path_map map;
  uint64_t map_ns; /* last read of the engine's drive map (0: never) */
  uint64_t unknown[WL_CAPTURE_MAP_UNKNOWN]; /* hashes of device prefixes that missed since */
  size_t nunknown;
  unsigned hint_gen;
  uint64_t rate_ns, rate_events;
};

int wl_capture_consumer_create(wl_capture *c) {
  wl_capture_consumer *k = calloc(1, sizeof *k);
  if (!k)
    return wl_err(WL_E_NOMEM, "capture: out of memory");
  c->cons = k;
  k->ev = malloc(WL_CAPTURE_BATCH * sizeof *k->ev);
  if (!k->ev)
    return wl_err(WL_E_NOMEM, "capture: out of memory for a batch of %u", WL_CAPTURE_BATCH);
  wl_path_map_init(&k->map);
  return wl_decoder_create(0, 0, &k->dec);
}

void wl_capture_consumer_destroy(wl_capture *c) {
  wl_capture_consumer *k = c ? c->cons : NULL;
  if (!k)
    return;
  free(k->ev);
  wl_decoder_destroy(k->dec);
  free(k);
  c->cons = NULL;
}

/* ---- NT → DOS ---- */

/* Read the engine's drive map afresh (a letter removed or re-pointed since is forgotten); the
 * replay hints are merged again on the next lookup. */
static void load_drive_map(wl_capture *c, wl_capture_consumer *k) {
  wl_drive *d = malloc(26 * sizeof *d); /* 13 KB: not on the consumer's stack */
  size_t n = 0;
  k->map_ns = wl_time_mono_ns();
  k->nunknown = 0;
  if (!d)
    return;
  wl_mutex_lock(&c->engine_lock);
  int rc = c->engine ? wl_engine_drive_map(c->engine, d, 26, &n) : WL_E_NOTFOUND;
  wl_mutex_unlock(&c->engine_lock);
  if (rc == WL_OK) {
    wl_path_map_init(&k->map);
    for (size_t i = 0; i < n; i++)
      if (wl_path_map_add(&k->map, d[i].letter, d[i].device) != WL_OK)
        wl_err_clear(); /* not a device path (a SUBST's \??\C:\dir): never in an app id */
    k->hint_gen = atomic_load(&c->hint_gen) - 1u;
  }
  wl_err_clear();
  free(d);
}

/* Whether the map should be read again for an NT path no drive maps: when its device prefix
 * (\device\NAME) has not missed since the last read — a volume mounted or a drive mapped
 * since (issue 12, item 13) — at most every WL_CAPTURE_MAP_MIN_MS; otherwise every
 * WL_CAPTURE_MAP_REFRESH_MS. Devices with no letter (\device\mup is mapped without one, a
 * volume mounted in a folder) stay unknown without costing a read per event. */
static int map_stale(wl_capture_consumer *k, const char *nt, uint64_t now) {
  if (k->map_ns == 0)
    return 1;
  uint64_t age = now - k->map_ns;
  if (age >= WL_CAPTURE_MAP_REFRESH_MS * 1000000ULL)
    return 1;
  const char *p = nt[0] == '\\' ? strchr(nt + 1, '\\') : NULL; /* \device\NAME\... */
  const char *end = p ? strchr(p + 1, '\\') : NULL;
  if (!end)
    return 0;
  uint64_t h = wl_fnv1a64(WL_FNV1A64_INIT, nt, (size_t)(end - nt));
  for (size_t i = 0; i < k->nunknown; i++)
    if (k->unknown[i] == h)
      return 0; /* missed already since the last read */
  if (k->nunknown < WL_CAPTURE_MAP_UNKNOWN)
    k->unknown[k->nunknown++] = h;
  return age >= WL_CAPTURE_MAP_MIN_MS * 1000000ULL;
}

static void merge_hints(wl_capture *c, wl_capture_consumer *k) {
  unsigned gen = atomic_load(&c->hint_gen);
  if (gen == k->hint_gen)
    return;
  wl_mutex_lock(&c->hint_lock);
  for (size_t i = 0; i < c->hints.n; i++)
    wl_path_map_add(&k->map, c->hints.drives[i].letter, c->hints.drives[i].device);
  wl_mutex_unlock(&c->hint_lock);
  k->hint_gen = gen;
}

/* app_dos from the map; a DOS app (replay files) becomes its NT form when a drive maps. The
 * decoder mapped an NT app already, under the map as it was (hints merged): what is left is a
 * DOS app, and an NT app no drive maps (then the map may be read again). */
static void map_app(wl_capture *c, wl_capture_consumer *k, wl_event *ev) {
  if (!(ev->has & WL_HAS_APP))
    return;
  if (wl_path_is_dos(ev->app)) {
    char nt[WL_PATH_MAX];
    wl_strlcpy(ev->app_dos, ev->app, sizeof ev->app_dos);
    if (wl_path_to_nt(&k->map, ev->app, nt, sizeof nt) == 1)
      wl_strlcpy(ev->app, nt, sizeof ev->app);
    return;
  }
  if (ev->app_dos[0])
    return;
  if (c->kind != WL_CAPTURE_REPLAY && map_stale(k, ev->app, wl_time_mono_ns())) {
    load_drive_map(c, k);
    merge_hints(c, k);
    if (wl_path_to_dos(&k->map, ev->app, ev->app_dos, sizeof ev->app_dos) == 1)
      return;
  }
  ev->app_dos[0] = '\0';
}

/* ---- live counters ---- */

static void update_rate(wl_capture *c, wl_capture_consumer *k) {
  uint64_t now = wl_time_mono_ns(), ev = atomic_load(&c->events);
  if (k->rate_ns == 0) {
    k->rate_ns = now;
    k->rate_events = ev;
  } else if (now - k->rate_ns >= 1000000000ULL) {
    atomic_store(&c->rate, (ev - k->rate_events) * 1000000000ULL / (now - k->rate_ns));
    k->rate_ns = now;
    k->rate_events = ev;
  }
}

/* ---- writing ---- */

static int retryable(int rc) { return rc == WL_E_BUSY || rc == WL_E_NOSPACE || rc == WL_E_IO; }

static void after_write(wl_capture *c, wl_capture_consumer *k, uint64_t drops) {
  atomic_fetch_add(&c->events, k->n);
  atomic_fetch_add(&c->skipped, k->skipped);
  atomic_fetch_add(&c->backfilled, k->backfilled);
  atomic_fetch_add(&c->not_conn, k->not_conn);
  k->drops_written = drops;
  uint64_t apps, flows; /* the store's: the apps and flows it wrote events for (store_seen.c) */
  wl_store_session_counts(c->store, &apps, &flows);
  atomic_store(&c->apps, apps);
  atomic_store(&c->flows, flows);
  for (size_t i = 0; c->record && i < k->n; i++)
    if (wl_replay_write(c->record, &k->ev[i]) != WL_OK) {
      wl_capture_log(c, "record file: %s; recording stopped", wl_errmsg());
      fclose(c->record);
      c->record = NULL;
    }
  if (k->max_ts > atomic_load(&c->last_live_ts)) {
    char buf[24];
    atomic_store(&c->last_live_ts, k->max_ts);
    snprintf(buf, sizeof buf, "%" PRIu64, k->max_ts);
    if (wl_store_meta_set(c->store, WL_META_LAST_LIVE_TS, buf) != WL_OK)
      wl_capture_log(c, "store: %s", wl_errmsg());
  }
  k->n = k->skipped = k->backfilled = k->not_conn = k->max_ts = k->batch_ns = 0;
}

/* One transaction; on busy / disk full / I/O the same batch again, with backoff. */
static int flush(wl_capture *c, wl_capture_consumer *k) {
  uint64_t drops = wl_ring_dropped(c->ring);
  wl_batch_counters bc = {drops - k->drops_written, k->skipped, k->backfilled, k->not_conn};
  if (k->n == 0 && bc.ring_drops == 0 && bc.skipped == 0 && bc.not_connections == 0)
    return WL_OK;
  unsigned delay = c->retry_min_ms, tries = 0;
  int rc;
  while ((rc = wl_store_write(c->store, k->ev, k->n, &bc)) != WL_OK) {
    if (!retryable(rc) || (atomic_load(&c->stop_req) && tries >= STOP_RETRIES))
      return rc;
    if (tries++ == 0)
      wl_capture_log(c, "store: %s; keeping the batch of %zu events and retrying", wl_errmsg(),
                     k->n);
    atomic_fetch_add(&c->store_retries, 1);
    wl_sleep_ms(delay);
    delay = delay * 2 < WL_CAPTURE_RETRY_MAX_MS ? delay * 2 : WL_CAPTURE_RETRY_MAX_MS;
  }
  if (tries)
    wl_capture_log(c, "store: the batch was written after %u retries", tries);
  after_write(c, k, drops);
  return WL_OK;
}

/* A hint: the lines of a raw record the decoder reads first (the fixed fields, the SIDs and
 * the start of the app id; a typical app id ends within them). */
static void prefetch_raw(const wl_raw_event *raw) {
  const char *p = (const char *)raw;
  for (size_t off = 0; off < offsetof(wl_raw_event, app_id) + 256; off += 64)
    __builtin_prefetch(p + off);
}

/* Decode the popped records in place, each straight into the batch's next slot and its ring
 * slot freed at once; other types are only counted. */
static void take(wl_capture *c, wl_capture_consumer *k, size_t popped) {
  if (popped)
    merge_hints(c, k); /* a replay's hint is published before the event that taught it */
  for (size_t i = 0; i < popped; i++) {
    wl_event *ev = &k->ev[k->n];
    if (i + 1 < popped) { /* the next record, written on the producer's core, and the next */
      prefetch_raw(wl_ring_at(c->ring, 1)); /* batch slot: their lines come while this one */
      if (k->n + 1 < WL_CAPTURE_BATCH)      /* is decoded */
        wl_event_prefetch(&k->ev[k->n + 1], 1);
    }
    int ok = wl_decoder_decode(k->dec, wl_ring_front(c->ring), &k->map, ev);
    wl_ring_release(c->ring, 1);
    if (!ok) {
      k->skipped++;
      continue;
    }
    int evtlog = ev->origin == WL_ORIGIN_EVTLOG;
    if ((ev->type == WL_EVT_ALLOW || ev->type == WL_EVT_CAP_ALLOW) && !evtlog)
      atomic_fetch_add(&c->allow_seen, 1); /* the self-check's question is about WFP */
    if (!wl_event_is_connection(ev)) { /* flow established, listen, bind: counted apart */
      k->not_conn++;
      continue;
    }
    if (atomic_load(&c->evtlog_on) && wl_capture_dedup_check(c->dedup, ev, evtlog ? 2u : 1u)) {
      atomic_fetch_add(&c->duplicates, 1); /* the other source had it (dedup.c) */
      continue;
    }
    map_app(c, k, ev);
    if (ev->has & WL_HAS_FILTER)
      wl_capture_attribute(c, ev->filter_id);
    if (ev->origin == WL_ORIGIN_BACKFILL)
      k->backfilled++;
    if (c->kind == WL_CAPTURE_WFP && !evtlog && ev->ts > k->max_ts) /* the engine's clock: backfill's bound */
      k->max_ts = ev->ts;
    if (k->n++ == 0 && k->batch_ns == 0)
      k->batch_ns = wl_time_mono_ns();
  }
}

static int due(wl_capture *c, wl_capture_consumer *k) {
  if (k->n >= WL_CAPTURE_BATCH)
    return 1;
  int pending = k->n > 0 || k->skipped > 0 || k->not_conn > 0 ||
                wl_ring_dropped(c->ring) != k->drops_written;
  if (!pending)
    return 0;
  if (k->batch_ns == 0)
    k->batch_ns = wl_time_mono_ns(); /* only counters pending: they wait like events */
  return wl_time_mono_ns() - k->batch_ns >= WL_CAPTURE_FLUSH_MS * 1000000ULL;
}

/* After a fatal store error: keep emptying the ring so producers waiting for room finish. */
static void discard_until_done(wl_capture *c, wl_capture_consumer *k) {
  wl_capture_request_stop(c);
  for (;;) {
    int done = atomic_load(&c->producer_done);
    size_t n = wl_ring_peek(c->ring, WL_CAPTURE_POP);
    wl_ring_release(c->ring, n);
    if (n == 0) {
      if (done)
        return;
      wl_sleep_ms(1);
    }
  }
}

void *wl_capture_consumer_main(void *arg) {
  wl_capture *c = arg;
  wl_capture_consumer *k = c->cons;
  int rc = WL_OK;
  for (;;) {
    int done = atomic_load(&c->producer_done);
    size_t room = WL_CAPTURE_BATCH - k->n;
    if (room > WL_CAPTURE_POP)
      room = WL_CAPTURE_POP;
    size_t popped = room ? wl_ring_peek(c->ring, room) : 0; /* take() releases them */
    take(c, k, popped);
    update_rate(c, k);
    int idle = room > 0 && popped == 0;
    wl_capture_attrib_retry(c, idle && done);
    wl_capture_selfcheck_tick(c);
    wl_capture_evtlog_note(c);
    if ((due(c, k) || (idle && done)) && (rc = flush(c, k)) != WL_OK)
      break;
    if (idle && done)
      break;
    if (idle)
      wl_sleep_ms(1);
  }
  if (rc != WL_OK) {
    wl_capture_set_error(c, rc);
    discard_until_done(c, k);
  }
  atomic_store(&c->rate, 0);
  wl_capture_consumer_ended(c);
  return NULL;
}
