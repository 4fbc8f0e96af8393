/* capture.h — learn mode's capture: one source feeds the ring, one consumer thread decodes and
 * writes the store. The whole contract of the capture module (the decoder is event/decode.h, the
 * replay file format capture/replay.h).
 *
 *   source thread / engine thread            consumer thread
 *   ─────────────────────────────            ───────────────
 *   wfp          subscriber callback ─┐      pop a batch (≤ WL_CAPTURE_BATCH) → wl_decode
 *   sim:TRAFFIC  (the sim's thread)   ├─▶ ring ─▶ NT→DOS path, attribution (filter id → name,
 *   replay:FILE  reader, encodes      ┘        provider, sublayer), live counters → one store
 *                                               transaction per batch or per 100 ms
 *
 * The callback (wl_capture_callback) only copies into the ring: no engine call, no allocation,
 * no lock. On the live WFP engine a full ring counts a drop (BFE ignores the return value);
 * file sources (replay, the sim reading a traffic file) wait instead, so they lose nothing.
 * Drops, skipped event types, backfilled events and allow events that are not new connections
 * (the ALE_FLOW_ESTABLISHED event BFE sends after each allowed connection, listen and bind
 * permits: wl_event_is_connection) reach the store's counters with the batch; the last are
 * never stored as events or flows, so an allowed connection counts once.
 *
 * Engine options: at start the subscriber reads FWPM_ENGINE_COLLECT_NET_EVENTS and
 * FWPM_ENGINE_NET_EVENT_MATCH_ANY_KEYWORDS, saves them in the store's meta (so `uninstall` can
 * put them back after a crash: wl_capture_restore_saved_options), switches collection on, ORs
 * its keywords into the value found (wl_capture_keywords; WL_META_CAPTURE_WARNING when allow events
 * cannot be had), and on stop restores exactly what it found. If a previous run died with options
 * still saved, those saved values (not the ones it left behind) are what gets restored.
 *
 * Resilience (wfp source): a failing subscribe, or an engine that stops answering (probed every
 * WL_CAPTURE_PROBE_MS), is retried with backoff (WL_CAPTURE_RETRY_MIN_MS doubling to
 * WL_CAPTURE_RETRY_MAX_MS), each streak logged once. Before each subscription the engine's net
 * event buffer is read from the last stored live timestamp (exclusive), marked BACKFILL; the
 * buffer is read before subscribing, so nothing is counted twice (events in the short gap
 * between the read and the subscription are lost instead).
 *
 * The Security log (evtlog.c, issue 19): source "eventlog", or the wfp source's fallback once the
 * self-check finds it blind (unless no_fallback). Audit policy saved in meta and restored like the
 * engine options (WL_META_SAVED_AUDIT); records parsed by the command's parser (import's evtxml,
 * handed in as parse_evtxml) and pushed with origin WL_ORIGIN_EVTLOG. One connection seen by two
 * sources is stored once (dedup.c states the rule: same direction, protocol, addresses, ports,
 * verdict and program, other source, within WL_CAPTURE_DEDUP_TICKS); the twin is counted in
 * `duplicates`. Each connection-table read is also noted in the store (held.c, store/held.h).
 *
 * Attribution: each distinct filter id is looked up once; a lookup that fails while the engine
 * is down is asked again with backoff, at most WL_CAPTURE_ATTRIB_TRIES times.
 *
 * Memory: the ring (capacity × ~1.3 KB, default WL_CAPTURE_RING_DEFAULT: ~10 MB), one batch of
 * decoded events (WL_CAPTURE_BATCH × ~2.5 KB: ~20 MB; large batches because each store
 * transaction has a fixed cost; records are decoded in their ring slots, not copied out) and the
 * attribution cache (WL_CAPTURE_FILTER_CACHE ids). The distinct apps and flows are counted by
 * the store (a bit an id: wl_store_session_counts).
 */
#ifndef WL_CAPTURE_H
#define WL_CAPTURE_H

#include <stddef.h>
#include <stdint.h>

#include "store/store.h"
#include "event/event.h"
#include "event/ring.h"
#include "engine/engine.h"

#define WL_CAPTURE_RING_DEFAULT   (1u << 13)
#define WL_CAPTURE_BATCH          8192u /* events per store transaction, at most */
#define WL_CAPTURE_POP            512u  /* raw records peeked (decoded in place) at a time */
#define WL_CAPTURE_FLUSH_MS       100u
#define WL_CAPTURE_FILTER_CACHE   4096u
#define WL_CAPTURE_PROBE_MS       2000u
#define WL_CAPTURE_RETRY_MIN_MS   100u
#define WL_CAPTURE_RETRY_MAX_MS   5000u
#define WL_CAPTURE_MAP_REFRESH_MS 30000u /* NT→DOS map re-read on a miss at most this often */
#define WL_CAPTURE_MAP_MIN_MS     200u   /* ... and on a device not seen to miss before, this */
#define WL_CAPTURE_MAP_UNKNOWN    16u    /* device prefixes remembered as missing per read */
#define WL_CAPTURE_ATTRIB_PENDING 64u    /* failed filter lookups waiting to be asked again */
#define WL_CAPTURE_ATTRIB_TRIES   8u     /* lookups of one filter id before it is given up */

/* A filter whose provider has engine/keys.h's WL_PROVIDER_KEY, or this name, is attributed as
 * wfplearn's own ("ours"). */
#define WL_CAPTURE_OUR_PROVIDER_NAME "wfplearn"

/* meta keys written by capture */
#define WL_META_SAVED_OPTIONS "capture_saved_options" /* "collect=N keywords=0xK", "" = none */
/* Set at start when learn runs without allow events because the engine refused
 * FWPM_NET_EVENT_KEYWORD_CLASSIFY_ALLOW (why, in words; `status` prints it); "" otherwise. */
#define WL_META_CAPTURE_WARNING "capture_warning"
/* The self-check (selfcheck.c): when learn found itself blind to allowed traffic (connections
 * open, no allow event within the settling time), RFC 3339 UTC; "" otherwise. */
#define WL_META_BLIND_SINCE "capture_blind_since"
#define WL_CAPTURE_SELFCHECK_SETTLE_MS 120000u /* allow events expected within this */
#define WL_CAPTURE_SELFCHECK_MS 10000u         /* connection tables read at most this often */
/* The Security-log source (evtlog.c): the audit policy found before it was changed,
 * "conn=N drop=M" (AuditingInformation bits; drop=- when not touched), "" = none saved. */
#define WL_META_SAVED_AUDIT "capture_saved_audit"
/* When the session started reading the Security log (source eventlog, or the fallback), RFC 3339
 * UTC; "" when the last session did not (written by the consumer, cleared at start). */
#define WL_META_EVTLOG_SINCE "capture_evtlog_since"
#define WL_CAPTURE_EVTLOG_WAIT_MS 100u /* a Security-log read waits at most this */
#define WL_CAPTURE_DEDUP_TICKS 20000000ull /* 2 s: one connection seen by two sources */
#define WL_CAPTURE_DEDUP_SLOTS 8192u       /* recent connections remembered for that */
#define WL_META_CAPTURE_STATE "capture_state"         /* "running" | "stopped" */
#define WL_META_LAST_LIVE_TS  "capture_last_ts"       /* newest ts from the wfp source */

/* ---- the subscriber callback ---- */
typedef struct wl_capture_sink {
  wl_ring *ring;
  int lossy; /* 1: push_or_drop, return WL_OK (live WFP). 0: return WL_E_FULL, the producer
              * waits and delivers again (the sim, file readers). */
} wl_capture_sink;
/* wl_net_event_cb for wl_engine_subscribe / wl_engine_enum_events; ctx is a wl_capture_sink. */
int wl_capture_callback(void *ctx, const wl_raw_event *ev);

/* ---- a capture session ---- */
typedef struct wl_capture wl_capture;

typedef void (*wl_capture_log_fn)(void *ctx, const char *line);
/* One Event XML record → *out (import.h's wl_import_event_xml: capture cannot include import/,
 * a sibling layer, so the command hands the parser in). 1 parsed, 0 skipped (why), < 0 error. */
typedef int (*wl_capture_evtxml_fn)(const char *xml, size_t len, const wl_path_map *paths,
                                    wl_event *out, uint32_t *event_id, char *why, size_t cap);

typedef struct wl_capture_opts {
  const char *source;      /* "wfp" (NULL too), "replay:FILE", "sim:TRAFFIC", "eventlog" */
  const char *engine_spec; /* for wfp and sim sources: "wfp", "sim", "sim:STATE"; NULL: "sim" */
  double speed;            /* file sources: 0 as fast as possible, 1 recorded time, X faster */
  int no_allow;            /* keywords without FWPM_NET_EVENT_KEYWORD_CLASSIFY_ALLOW */
  int no_inbound;          /* keywords without INBOUND_MCAST / INBOUND_BCAST */
  const char *record_path; /* write every stored event to this JSON-lines file; NULL: no */
  size_t ring_capacity;    /* power of two; 0: WL_CAPTURE_RING_DEFAULT */
  int force_lossy;         /* 1: the callback drops on a full ring whatever the engine (tests) */
  unsigned retry_min_ms;   /* 0: WL_CAPTURE_RETRY_MIN_MS */
  unsigned selfcheck_settle_ms; /* 0: WL_CAPTURE_SELFCHECK_SETTLE_MS */
  /* The Security log (evtlog.c): the "eventlog" source, and the wfp source's fallback to it
   * when the self-check finds it blind. Both need parse_evtxml (NULL: no fallback). */
  wl_capture_evtxml_fn parse_evtxml;
  int no_fallback;         /* 1: stay blind rather than fall back to the Security log */
  int audit_drops;         /* also audit "Filtering Platform Packet Drop" (5152) */
  wl_capture_log_fn log;   /* one line per notable thing (retries, store errors, bad lines);
                            * called from capture threads; NULL: stderr */
  void *log_ctx;
} wl_capture_opts;

typedef struct wl_capture_stats {
  uint64_t events;       /* stored by this session (backfilled included) */
  uint64_t drops;        /* ring drops (the callback found the ring full) */
  uint64_t skipped;      /* events of other types */
  uint64_t not_connections; /* allow events at flow established / listen / bind: not stored */
  uint64_t backfilled;   /* stored events read from the engine's buffer */
  uint64_t malformed;    /* replay/traffic lines skipped */
  uint64_t emitted;      /* what the source produced: sim net events (after the run), replay
                          * events read; for wfp events received + drops */
  uint64_t apps, flows;  /* distinct ones stored this session (after each batch) */
  uint64_t events_per_s; /* over the last second or so */
  uint64_t subscribe_failures, reconnects, store_retries;
  uint64_t attrib_pending; /* filter ids whose lookup failed, waiting to be asked again */
  uint64_t attrib_failed;  /* filter ids given up (WL_CAPTURE_ATTRIB_TRIES failed lookups) */
  uint64_t allow_events;   /* allow events received (any layer): the self-check's evidence */
  uint64_t open_conns;     /* connections + listeners at the self-check's last read */
  uint64_t evtlog_records; /* Security-log records read (eventlog source or fallback) */
  uint64_t duplicates;     /* events not stored: the same connection from the other source */
  int evtlog;              /* the Security-log source is reading */
  int blind;               /* the self-check found no allow events with connections open */
  int subscribed;          /* a net event subscription is in place */
  int running;             /* source still producing */
  int done;                /* the source ended and everything was written (file sources) */
  int error;               /* first fatal error (WL_E_*), 0 if none */
} wl_capture_stats;

/* Opens the engine (wfp, sim sources), saves and sets options, subscribes (retrying in the
 * background if that fails), starts the source and consumer threads. The store is used by the
 * consumer thread only until wl_capture_stop returns. Release with wl_capture_destroy. */
int wl_capture_start(const wl_capture_opts *o, wl_store *store, wl_capture **out);
/* Any thread (not a signal handler: use a flag): ask the source to stop producing. */
void wl_capture_request_stop(wl_capture *c);
void wl_capture_stats_get(wl_capture *c, wl_capture_stats *out);
/* Wait at most ms for the capture to end by itself (stats' done, or an error): 1 as soon as it
 * has, else 0 when the time ran out. A file source's end is seen when it happens, not at the
 * next poll. */
int wl_capture_wait(wl_capture *c, unsigned ms);
/* Stop the source, drain the ring, flush the last batch, unsubscribe, restore the engine
 * options, mark the store stopped. Returns the first error of the session (WL_OK when clean).
 * Safe to call twice. */
int wl_capture_stop(wl_capture *c);
void wl_capture_destroy(wl_capture *c); /* stops first if needed; NULL-safe */
/* The engine the session opened (NULL for replay); valid until stop; for tests and sim drivers
 * (a reconnect replaces it). */
wl_engine *wl_capture_engine(wl_capture *c);

/* Put back the engine options a capture saved in the store's meta and clear them (what
 * `uninstall` runs after a crash). WL_OK, also when nothing was saved. */
int wl_capture_restore_saved_options(wl_store *s, wl_engine *e);
/* The same for the audit policy the Security-log source saved (evtlog.c); called by the above
 * too, so `uninstall` restores both. */
int wl_capture_restore_saved_audit(wl_store *s, wl_engine *e);

#endif
