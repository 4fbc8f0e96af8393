/* capture.c — a capture session: parse the source, open what it needs (engine or replay file,
 * record file), save and set the engine options, start the consumer and source threads; stop
 * them in order (source, then the consumer drains and flushes), restore the options, report.
 * The thread bodies live in source_*.c and consumer.c; the engine side in subscriber.c.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture/capture_impl.h"
#include "common/wl_err.h"
#include "common/wl_os.h"
#include "engine/sim/sim.h"

void wl_capture_log(wl_capture *c, const char *fmt, ...) {
  char line[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
  if (c->log)
    c->log(c->log_ctx, line);
  else
    fprintf(stderr, "wfplearn: %s\n", line);
}

static int ended(wl_capture *c) {
  return atomic_load(&c->consumer_done) || atomic_load(&c->error);
}

/* The waiters of wl_capture_wait: under end_lock, so a waiter that found nothing ended yet is
 * already waiting when the broadcast comes. */
static void wake_waiters(wl_capture *c) {
  if (!c->end_ready)
    return;
  wl_mutex_lock(&c->end_lock);
  wl_cond_broadcast(&c->end_cond);
  wl_mutex_unlock(&c->end_lock);
}

/* The first fatal error wins; its message (set on this thread) is kept for the caller, who
 * reports it (wl_capture_stop sets it again on the caller's thread). */
void wl_capture_set_error(wl_capture *c, int rc) {
  int zero = 0;
  if (rc == WL_OK)
    return;
  char msg[sizeof c->errmsg];
  wl_strlcpy(msg, wl_errmsg()[0] ? wl_errmsg() : wl_strerror(rc), sizeof msg);
  wl_mutex_lock(&c->hint_lock); /* orders errmsg with its readers */
  if (atomic_compare_exchange_strong(&c->error, &zero, rc))
    wl_strlcpy(c->errmsg, msg, sizeof c->errmsg);
  wl_mutex_unlock(&c->hint_lock);
  wake_waiters(c);
}

void wl_capture_consumer_ended(wl_capture *c) {
  atomic_store(&c->consumer_done, 1);
  wake_waiters(c);
}

int wl_capture_wait(wl_capture *c, unsigned ms) {
  uint64_t until = wl_time_mono_ns() + (uint64_t)ms * 1000000u;
  if (!c->end_ready) { /* no condition variable: poll */
    wl_sleep_ms(ms);
    return ended(c);
  }
  wl_mutex_lock(&c->end_lock);
  for (uint64_t now; !ended(c) && (now = wl_time_mono_ns()) < until;)
    wl_cond_timedwait(&c->end_cond, &c->end_lock, (unsigned)((until - now + 999999u) / 1000000u));
  wl_mutex_unlock(&c->end_lock);
  return ended(c);
}

int wl_capture_sleep(wl_capture *c, unsigned ms) {
  while (ms > 0 && !atomic_load(&c->stop_req)) {
    unsigned slice = ms < 20 ? ms : 20;
    wl_sleep_ms(slice);
    ms -= slice;
  }
  return atomic_load(&c->stop_req) != 0;
}

static int parse_source(wl_capture *c, const char *src) {
  if (!src || strcmp(src, "wfp") == 0 || strcmp(src, "eventlog") == 0) {
    c->kind = src && src[0] == 'e' ? WL_CAPTURE_EVTLOG : WL_CAPTURE_WFP;
    return WL_OK;
  }
  const char *arg = NULL;
  if (strncmp(src, "replay:", 7) == 0)
    c->kind = WL_CAPTURE_REPLAY, arg = src + 7;
  else if (strncmp(src, "sim:", 4) == 0)
    c->kind = WL_CAPTURE_SIM, arg = src + 4;
  if (!arg || !arg[0])
    return wl_err(WL_E_INVAL, "source '%s': expected wfp, eventlog, replay:FILE or sim:TRAFFIC",
                  src);
  if (wl_strlcpy(c->path, arg, sizeof c->path) >= sizeof c->path)
    return wl_err(WL_E_TOOBIG, "source file name longer than %zu bytes", sizeof c->path - 1);
  return WL_OK;
}

static int copy_opts(wl_capture *c, const wl_capture_opts *o) {
  int rc = parse_source(c, o->source);
  if (rc != WL_OK)
    return rc;
  const char *spec = o->engine_spec ? o->engine_spec : "sim";
  if (wl_strlcpy(c->engine_spec, spec, sizeof c->engine_spec) >= sizeof c->engine_spec)
    return wl_err(WL_E_TOOBIG, "engine spec longer than %zu bytes", sizeof c->engine_spec - 1);
  if (!(o->speed >= 0 && o->speed < 1e9))
    return wl_err(WL_E_INVAL, "speed %g: expected 0 (as fast as possible) or a positive factor",
                  o->speed);
  c->speed = o->speed;
  c->keywords = wl_capture_keywords(o);
  c->retry_min_ms = o->retry_min_ms ? o->retry_min_ms : WL_CAPTURE_RETRY_MIN_MS;
  c->log = o->log;
  c->log_ctx = o->log_ctx;
  c->parse_evtxml = o->parse_evtxml;
  c->fallback = !o->no_fallback && o->parse_evtxml;
  c->audit_drops = o->audit_drops != 0;
  wl_capture_selfcheck_init(c, o);
  return WL_OK;
}

static int open_record(wl_capture *c, const char *path) {
  if (!path)
    return WL_OK;
  int rc = wl_os_fopen(path, "wb", &c->record);
  if (rc != WL_OK)
    return wl_err_prefix(rc, "%s: cannot create the record file", path);
  rc = wl_os_restrict_file(path); /* events name apps and users: owner only */
  return rc == WL_OK ? WL_OK : wl_err_prefix(rc, "%s", path);
}

/* The engine for wfp and sim sources, the file for replay; options saved and set. */
static int open_source(wl_capture *c, const wl_capture_opts *o) {
  int rc;
  if (c->kind == WL_CAPTURE_REPLAY) {
    c->sink.lossy = o->force_lossy != 0;
    return wl_replay_open(c->path, &c->reader);
  }
  if (c->kind == WL_CAPTURE_EVTLOG) /* the Security log only: WFP's options are left alone */
    return wl_capture_evtlog_start(c);
  if (c->kind == WL_CAPTURE_SIM) { /* say so now rather than from the source thread */
    FILE *f = NULL;
    if (wl_os_fopen(c->path, "rb", &f) != WL_OK)
      return wl_err(WL_E_NOTFOUND, "%s: cannot open the traffic file", c->path);
    fclose(f);
  }
  if ((rc = wl_engine_open(c->engine_spec, 0, &c->engine)) != WL_OK)
    return rc;
  c->sink.lossy = o->force_lossy || strcmp(wl_engine_kind(c->engine), "wfp") == 0;
  return wl_capture_options_apply(c);
}

static void load_last_ts(wl_capture *c) {
  char buf[32];
  if (wl_store_meta_get(c->store, WL_META_LAST_LIVE_TS, buf, sizeof buf) == WL_OK)
    atomic_store(&c->last_live_ts, strtoull(buf, NULL, 10));
  wl_err_clear();
}

static int start_threads(wl_capture *c) {
  void *(*body)(void *) = c->kind == WL_CAPTURE_WFP   ? wl_capture_source_wfp
                          : c->kind == WL_CAPTURE_SIM    ? wl_capture_source_sim
                          : c->kind == WL_CAPTURE_EVTLOG ? wl_capture_source_evtlog
                                                         : wl_capture_source_replay;
  if (wl_thread_start(&c->consumer_thread, wl_capture_consumer_main, c) != 0)
    return wl_err(WL_E_INTERNAL, "cannot start the consumer thread");
  c->consumer_started = 1;
  if (wl_thread_start(&c->source_thread, body, c) != 0) {
    atomic_store(&c->producer_done, 1);
    return wl_err(WL_E_INTERNAL, "cannot start the source thread");
  }
  c->source_started = 1;
  return WL_OK;
}

static int alloc_session(const wl_capture_opts *o, wl_store *store, wl_capture **out) {
  wl_capture *c = calloc(1, sizeof *c);
  if (!c)
    return wl_err(WL_E_NOMEM, "capture: out of memory");
  wl_mutex_init(&c->engine_lock);
  wl_mutex_init(&c->hint_lock);
  if (wl_mutex_init(&c->end_lock) == WL_OK) {
    if (wl_cond_init(&c->end_cond) == WL_OK)
      c->end_ready = 1;
    else
      wl_mutex_destroy(&c->end_lock);
  }
  wl_err_clear(); /* without them, wl_capture_wait polls */
  wl_path_map_init(&c->hints);
  c->store = store;
  *out = c;
  int rc = copy_opts(c, o);
  if (rc == WL_OK)
    rc = wl_ring_create(o->ring_capacity ? o->ring_capacity : WL_CAPTURE_RING_DEFAULT,
                        sizeof(wl_raw_event), &c->ring);
  c->sink.ring = c->ring;
  if (rc == WL_OK)
    rc = wl_capture_consumer_create(c);
  if (rc == WL_OK)
    rc = wl_capture_attrib_create(c);
  return rc;
}

int wl_capture_start(const wl_capture_opts *o, wl_store *store, wl_capture **out) {
  wl_capture *c = NULL;
  *out = NULL;
  if (!o || !store)
    return wl_err(WL_E_INVAL, "wl_capture_start: options and store are required");
  int rc = alloc_session(o, store, &c);
  if (rc == WL_OK) {
    load_last_ts(c);
    rc = open_source(c, o);
  }
  if (rc == WL_OK)
    rc = open_record(c, o->record_path);
  if (rc == WL_OK)
    rc = wl_store_meta_set(store, WL_META_CAPTURE_STATE, "running");
  if (rc == WL_OK)
    rc = wl_store_meta_set(store, WL_META_BLIND_SINCE, "");
  if (rc == WL_OK)
    rc = wl_store_meta_set(store, WL_META_EVTLOG_SINCE, "");
  if (rc == WL_OK)
    rc = start_threads(c);
  if (rc != WL_OK) {
    int keep = rc;
    char msg[512];
    wl_strlcpy(msg, wl_errmsg(), sizeof msg);
    wl_capture_destroy(c);
    return wl_err(keep, "%s", msg);
  }
  *out = c;
  return WL_OK;
}

void wl_capture_request_stop(wl_capture *c) {
  if (!c || atomic_exchange(&c->stop_req, 1))
    return;
  if (c->kind == WL_CAPTURE_SIM) {
    wl_mutex_lock(&c->engine_lock);
    if (c->engine)
      wl_sim_stop(c->engine);
    wl_mutex_unlock(&c->engine_lock);
  }
}

void wl_capture_stats_get(wl_capture *c, wl_capture_stats *s) {
  memset(s, 0, sizeof *s);
  s->events = atomic_load(&c->events);
  s->drops = wl_ring_dropped(c->ring);
  s->skipped = atomic_load(&c->skipped);
  s->not_connections = atomic_load(&c->not_conn);
  s->backfilled = atomic_load(&c->backfilled);
  s->malformed = atomic_load(&c->malformed);
  s->emitted = atomic_load(&c->emitted);
  if (c->kind == WL_CAPTURE_WFP)
    s->emitted = wl_ring_pushed(c->ring) + s->drops;
  s->apps = atomic_load(&c->apps);
  s->flows = atomic_load(&c->flows);
  s->events_per_s = atomic_load(&c->rate);
  s->subscribe_failures = atomic_load(&c->sub_failures);
  s->reconnects = atomic_load(&c->reconnects);
  s->store_retries = atomic_load(&c->store_retries);
  s->attrib_pending = atomic_load(&c->attrib_pending);
  s->attrib_failed = atomic_load(&c->attrib_failed);
  s->allow_events = atomic_load(&c->allow_seen);
  s->open_conns = atomic_load(&c->open_conns);
  s->blind = atomic_load(&c->blind);
  s->evtlog_records = atomic_load(&c->ev_records);
  s->duplicates = atomic_load(&c->duplicates);
  s->evtlog = atomic_load(&c->evtlog_on);
  s->subscribed = atomic_load(&c->subscribed);
  s->running = !atomic_load(&c->producer_done);
  s->done = atomic_load(&c->consumer_done);
  s->error = atomic_load(&c->error);
}

wl_engine *wl_capture_engine(wl_capture *c) { return c ? c->engine : NULL; }

int wl_capture_stop(wl_capture *c) {
  if (!c)
    return WL_OK;
  if (c->stopped)
    return atomic_load(&c->error) ? atomic_load(&c->error) : c->stop_rc;
  c->stopped = 1;
  wl_capture_request_stop(c);
  if (c->source_started)
    wl_thread_join(&c->source_thread);
  atomic_store(&c->producer_done, 1);
  if (c->consumer_started)
    wl_thread_join(&c->consumer_thread);
  int rc = c->stop_rc = wl_capture_options_restore(c);
  if (rc != WL_OK)
    wl_capture_log(c, "could not restore the engine options (`wfplearn uninstall` will): %s",
                   wl_errmsg());
  int rc_audit = wl_capture_evtlog_finish(c); /* the Security log's audit policy */
  if (rc_audit != WL_OK)
    wl_capture_log(c, "could not restore the audit policy (`wfplearn uninstall` will): %s",
                   wl_errmsg());
  if (rc == WL_OK)
    rc = c->stop_rc = rc_audit;
  if (c->consumer_started && wl_store_meta_set(c->store, WL_META_CAPTURE_STATE, "stopped"))
    wl_capture_log(c, "store: %s", wl_errmsg());
  if (c->record && fclose(c->record) != 0)
    wl_capture_set_error(c, wl_err(WL_E_IO, "closing the record file failed"));
  c->record = NULL;
  int err = atomic_load(&c->error);
  if (err) {
    wl_mutex_lock(&c->hint_lock);
    wl_err(err, "%s", c->errmsg);
    wl_mutex_unlock(&c->hint_lock);
    return err;
  }
  return rc;
}

void wl_capture_destroy(wl_capture *c) {
  if (!c)
    return;
  wl_capture_stop(c);
  wl_capture_disconnect(c, 1);
  wl_capture_evtlog_finish(c); /* a start that failed half-way */
  wl_replay_close(c->reader);
  wl_capture_attrib_destroy(c);
  wl_capture_consumer_destroy(c);
  wl_ring_destroy(c->ring);
  wl_mutex_destroy(&c->engine_lock);
  wl_mutex_destroy(&c->hint_lock);
  if (c->end_ready) {
    wl_cond_destroy(&c->end_cond);
    wl_mutex_destroy(&c->end_lock);
  }
  free(c);
}
