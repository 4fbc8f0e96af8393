/* capture_impl.h — internal to the capture module (capture/capture.c, subscriber.c,
 * consumer.c, attribution.c, source_*.c): the session record and the functions the files share.
 * Not a contract: the public one is capture/capture.h.
 *
 * Threads and what they touch:
 *   caller thread   start/stop: the store (before the consumer starts / after it ended), options
 *   source thread   the engine (subscribe, backfill, probe, reconnect) or the replay file
 *   consumer thread the store, the record file, the engine for attribution and the drive map
 *   engine thread   wl_capture_callback only: the ring
 * engine_lock guards the engine pointer between the source and consumer threads (never taken by
 * the callback); hint_lock guards the replay's path hints and errmsg.
 */
#ifndef WL_CAPTURE_IMPL_H
#define WL_CAPTURE_IMPL_H

#include "common/wl_thread.h"
#include <stdatomic.h>
#include <stdio.h>

#include "capture/capture.h"
#include "capture/replay.h"
#include "common/wl_err.h"
#include "event/paths.h"

enum wl_capture_kind { WL_CAPTURE_WFP = 0, WL_CAPTURE_REPLAY, WL_CAPTURE_SIM, WL_CAPTURE_EVTLOG };

typedef struct wl_capture_consumer wl_capture_consumer; /* consumer.c */
typedef struct wl_capture_attrib wl_capture_attrib;     /* attribution.c */
typedef struct wl_capture_dedup wl_capture_dedup;       /* dedup.c */
typedef struct wl_evtlog wl_evtlog;                     /* engine/evtlog.h */

struct wl_capture {
  int kind;        /* enum wl_capture_kind */
  char path[1024]; /* replay or traffic file */
  char engine_spec[256];
  double speed;
  uint32_t keywords; /* ours, OR-ed into found_keywords */
  unsigned retry_min_ms;
  wl_capture_log_fn log;
  void *log_ctx;

  wl_store *store;
  wl_ring *ring;
  wl_capture_sink sink; /* the callback's context: ring + lossy */
  FILE *record;
  wl_replay_reader *reader;

  wl_mutex engine_lock;
  wl_engine *engine;
  wl_subscription *sub;

  /* options found at start (restored at stop) */
  int options_saved, keywords_known;
  uint32_t found_collect, found_keywords;
  /* set by set_ours (start and every reconnect): the keyword value in place, and why allow
   * events are off when we wanted them ("" when they are on or not wanted) */
  uint32_t keywords_set;
  char allow_warning[384];

  wl_thread source_thread, consumer_thread;
  int source_started, consumer_started, stopped, stop_rc;

  _Atomic int stop_req;      /* source: stop producing */
  _Atomic int producer_done; /* source: no more pushes */
  _Atomic int consumer_done;
  _Atomic int error; /* first fatal error */
  char errmsg[512];  /* its message (written once, by whoever set error) */
  _Atomic int subscribed;
  _Atomic unsigned engine_gen; /* +1 per engine handle opened (start, every reconnect): the
                                * attribution cache is per handle (filter ids are run-time ids) */

  _Atomic uint64_t events, skipped, backfilled, not_conn, malformed, emitted, apps, flows, rate;
  _Atomic uint64_t sub_failures, reconnects, store_retries, attrib_pending, attrib_failed;
  _Atomic uint64_t last_live_ts; /* newest stored ts of the wfp source (backfill's bound) */

  wl_capture_consumer *cons;
  wl_capture_attrib *attrib;

  /* the self-check (selfcheck.c; consumer thread, allow_seen counted by it too) */
  _Atomic uint64_t allow_seen, open_conns;
  unsigned check_settle_ms, check_every_ms;
  uint64_t check_start_ns, check_last_ns;
  int check_off, blind_off;
  unsigned held_failing; /* held.c: store failures in a row (logged once) */
  _Atomic int blind;

  /* the Security log (evtlog.c): its own engine handle (the wfp source may reconnect its own),
   * opened by the source thread; the audit policy found (restored at stop) */
  wl_capture_evtxml_fn parse_evtxml;
  int fallback, audit_drops;
  wl_engine *ev_engine;
  wl_evtlog *ev_sub;
  int audit_saved, ev_failed;
  unsigned ev_errors; /* failed reads in a row (logged once) */
  int ev_noted;       /* consumer: WL_META_EVTLOG_SINCE written */
  uint32_t audit_found[2];
  wl_capture_dedup *ev_dedup; /* 5157 and 5152 of one blocked connection (source thread) */
  wl_capture_dedup *dedup;    /* wfp vs Security log (consumer thread) */
  _Atomic int evtlog_on;
  _Atomic uint64_t ev_records, duplicates;

  wl_mutex end_lock; /* end_cond: signalled when the consumer ends or an error is set */
  wl_cond end_cond;
  int end_ready;      /* both initialised */

  wl_mutex hint_lock; /* replay: drive letters learned from app/app_dos pairs */
  wl_path_map hints;
  _Atomic unsigned hint_gen;
};

/* capture.c */
void wl_capture_log(wl_capture *c, const char *fmt, ...) WL_PRINTF(2, 3);
void wl_capture_set_error(wl_capture *c, int rc);
/* The consumer has ended: consumer_done set and wl_capture_wait woken. */
void wl_capture_consumer_ended(wl_capture *c);
/* Sleep up to ms, in slices, returning early when a stop was requested. 1 if stopping. */
int wl_capture_sleep(wl_capture *c, unsigned ms);

/* subscriber.c */
int wl_capture_options_apply(wl_capture *c);         /* caller thread, at start: save + set */
int wl_capture_options_restore(wl_capture *c);       /* caller thread, at stop */
int wl_capture_connect(wl_capture *c, int backfill); /* source thread: open, options, backfill,
                                                      * subscribe (one attempt) */
void wl_capture_disconnect(wl_capture *c, int close_engine); /* unsubscribe (+ close) */
int wl_capture_probe(wl_capture *c);                         /* 1 when the engine answers */
uint32_t wl_capture_keywords(const wl_capture_opts *o);

/* source_wfp.c, source_sim.c, source_replay.c: the source thread bodies */
void *wl_capture_source_wfp(void *arg);
void *wl_capture_source_sim(void *arg);
void *wl_capture_source_replay(void *arg);
/* Connect with retries and backoff until it works or a stop is requested: WL_OK/WL_E_STOPPED */
int wl_capture_connect_retry(wl_capture *c, int backfill);

/* consumer.c */
int wl_capture_consumer_create(wl_capture *c);
void wl_capture_consumer_destroy(wl_capture *c);
void *wl_capture_consumer_main(void *arg);

/* selfcheck.c: set up at start (caller thread); tick from the consumer loop */
void wl_capture_selfcheck_init(wl_capture *c, const wl_capture_opts *o);
void wl_capture_selfcheck_tick(wl_capture *c);

/* evtlog.c: the Security-log source. start: save and set the audit policy, subscribe (the
 * eventlog source at start, the wfp source's thread on fallback); pump: read records for up to
 * wait_ms and push them (1 when stopping); finish (caller thread, at stop): unsubscribe and
 * put the audit policy back. */
int wl_capture_evtlog_start(wl_capture *c);
int wl_capture_evtlog_pump(wl_capture *c, unsigned wait_ms);
int wl_capture_evtlog_finish(wl_capture *c);
void *wl_capture_source_evtlog(void *arg);
/* The wfp source's idle wait: falls back to the Security log once blind (unless told not to)
 * and reads it while waiting; otherwise sleeps. 1 when stopping. */
int wl_capture_evtlog_idle(wl_capture *c, unsigned ms);
/* Consumer thread: once the Security log is being read, say since when in the store's meta. */
void wl_capture_evtlog_note(wl_capture *c);

/* dedup.c: recent connections, so one seen by two sources is stored once */
int wl_capture_dedup_create(wl_capture_dedup **out);
void wl_capture_dedup_destroy(wl_capture_dedup *d);
/* 1 when ev was already seen within WL_CAPTURE_DEDUP_TICKS from a source with another tag
 * (then it is a duplicate); otherwise remembers it under tag and returns 0. */
int wl_capture_dedup_check(wl_capture_dedup *d, const wl_event *ev, unsigned tag);

/* held.c: one connection-table read → the store's `held` table (consumer thread) */
void wl_capture_held_note(wl_capture *c, const wl_conn *conns, size_t n);

/* attribution.c: for each distinct filter id, once (consumer thread) */
int wl_capture_attrib_create(wl_capture *c);
void wl_capture_attrib_destroy(wl_capture *c);
void wl_capture_attribute(wl_capture *c, uint64_t filter_id);
/* Ask failed lookups again when their backoff has passed; final: every one once more, then
 * give up on the rest (the session is stopping). */
void wl_capture_attrib_retry(wl_capture *c, int final);

#endif
