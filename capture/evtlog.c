/* evtlog.c — the Security-log source (issue 19, item 2): `learn --source eventlog`, and the wfp
 * source's fallback once the self-check (selfcheck.c) finds it blind to allowed traffic.
 *
 * Start (the eventlog source at start; the wfp source's own thread on fallback, so the consumer
 * never blocks on it): open a second engine handle for the Security-log side (the wfp source may
 * close and reopen its own when BFE restarts), save the audit policy of "Filtering Platform
 * Connection" (and "Packet Drop" with audit_drops) in the store's meta (WL_META_SAVED_AUDIT)
 * before changing anything, OR in SUCCESS|FAILURE (FAILURE for Packet Drop), and subscribe
 * (engine/evtlog.h). Exactly like the engine options (subscriber.c): if a previous run died
 * with a policy still saved, that saved policy, not the one it left behind, is what stop
 * restores; `uninstall` restores it too (wl_capture_restore_saved_audit).
 *
 * Reading: each record is rendered XML; the command's parser (import's evtxml parser, one for
 * files and live records) makes it a wl_event, which is encoded back to the raw shape
 * (wl_encode, like replay) with origin WL_ORIGIN_EVTLOG and pushed; the ring never drops it
 * (the source waits for room). 5157 and 5152 of one blocked connection count once (dedup.c);
 * the consumer drops the twin of a WFP event. A record that does not parse is logged (the
 * first few) and counted malformed.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture/capture_impl.h"
#include "common/wl_err.h"
#include "common/wl_os.h"
#include "event/decode.h"
#include "engine/evtlog.h"

#define BAD_LOGGED 5u /* malformed records logged with their reason */

/* ---- the audit policy ---- */

static void format_audit(char *buf, size_t cap, const uint32_t found[2], int drops) {
  if (drops)
    snprintf(buf, cap, "conn=%" PRIu32 " drop=%" PRIu32, found[0], found[1]);
  else
    snprintf(buf, cap, "conn=%" PRIu32 " drop=-", found[0]);
}

static int parse_audit(const char *s, uint32_t found[2], int *drops) {
  unsigned a = 0, b = 0;
  if (sscanf(s, "conn=%u drop=%u", &a, &b) == 2)
    *drops = 1;
  else if (sscanf(s, "conn=%u drop=-", &a) == 1)
    *drops = 0;
  else
    return WL_E_PARSE;
  found[0] = a & 3u;
  found[1] = b & 3u;
  return WL_OK;
}

static int audit_restore(wl_engine *e, const uint32_t found[2], int drops) {
  int rc = wl_engine_audit_set(e, WL_AUDIT_FP_CONNECTION, found[0]);
  if (rc != WL_OK)
    return wl_err_prefix(rc, "restoring the audit policy of Filtering Platform Connection");
  if (drops && (rc = wl_engine_audit_set(e, WL_AUDIT_FP_PACKET_DROP, found[1])) != WL_OK)
    return wl_err_prefix(rc, "restoring the audit policy of Filtering Platform Packet Drop");
  return WL_OK;
}

/* Save what is there (or keep what a dead run saved), then ask for our events. */
static int audit_apply(wl_capture *c) {
  char buf[64];
  int rc, drops = c->audit_drops;
  if (wl_store_meta_get(c->store, WL_META_SAVED_AUDIT, buf, sizeof buf) == WL_OK && buf[0] &&
      parse_audit(buf, c->audit_found, &drops) == WL_OK) {
    wl_capture_log(c, "audit policy of an earlier run that did not stop cleanly (%s) will be "
                   "restored at stop", buf);
    if (c->audit_drops && !drops) { /* that run left Packet Drop alone: save it now */
      if ((rc = wl_engine_audit_get(c->ev_engine, WL_AUDIT_FP_PACKET_DROP, &c->audit_found[1])))
        return wl_err_prefix(rc, "reading the audit policy");
      drops = 1;
    }
  } else {
    wl_err_clear();
    if ((rc = wl_engine_audit_get(c->ev_engine, WL_AUDIT_FP_CONNECTION, &c->audit_found[0])) ||
        (c->audit_drops &&
         (rc = wl_engine_audit_get(c->ev_engine, WL_AUDIT_FP_PACKET_DROP, &c->audit_found[1]))))
      return wl_err_prefix(rc, "reading the audit policy");
  }
  format_audit(buf, sizeof buf, c->audit_found, drops);
  if ((rc = wl_store_meta_set(c->store, WL_META_SAVED_AUDIT, buf)) != WL_OK)
    return wl_err_prefix(rc, "saving the audit policy in the store");
  c->audit_saved = 1;
  c->audit_drops = drops;
  rc = wl_engine_audit_set(c->ev_engine, WL_AUDIT_FP_CONNECTION,
                           c->audit_found[0] | WL_AUDIT_SUCCESS | WL_AUDIT_FAILURE);
  if (rc == WL_OK && c->audit_drops)
    rc = wl_engine_audit_set(c->ev_engine, WL_AUDIT_FP_PACKET_DROP,
                             c->audit_found[1] | WL_AUDIT_FAILURE);
  return rc == WL_OK ? WL_OK : wl_err_prefix(rc, "enabling Filtering Platform auditing");
}

int wl_capture_restore_saved_audit(wl_store *s, wl_engine *e) {
  char buf[64];
  uint32_t found[2];
  int drops;
  if (wl_store_meta_get(s, WL_META_SAVED_AUDIT, buf, sizeof buf) != WL_OK || !buf[0]) {
    wl_err_clear();
    return WL_OK;
  }
  if (parse_audit(buf, found, &drops) != WL_OK)
    return wl_err(WL_E_CORRUPT, "store meta %s: unreadable value '%s'", WL_META_SAVED_AUDIT, buf);
  int rc = audit_restore(e, found, drops);
  return rc == WL_OK ? wl_store_meta_set(s, WL_META_SAVED_AUDIT, "") : rc;
}

/* ---- start and stop ---- */

int wl_capture_evtlog_start(wl_capture *c) {
  int rc;
  if (!c->parse_evtxml)
    return wl_err(WL_E_INVAL, "the Security-log source needs an Event XML parser");
  if (!c->dedup && (rc = wl_capture_dedup_create(&c->dedup)) != WL_OK)
    return rc;
  if (!c->ev_dedup && (rc = wl_capture_dedup_create(&c->ev_dedup)) != WL_OK)
    return rc;
  if (!c->ev_engine && (rc = wl_engine_open(c->engine_spec, 0, &c->ev_engine)) != WL_OK)
    return rc;
  if (!c->audit_saved && (rc = audit_apply(c)) != WL_OK)
    return rc;
  if ((rc = wl_engine_evtlog_open(c->ev_engine, &c->ev_sub)) != WL_OK)
    return wl_err_prefix(rc, "subscribing to the Security log");
  atomic_store(&c->evtlog_on, 1);
  return WL_OK;
}

int wl_capture_evtlog_finish(wl_capture *c) {
  int rc = WL_OK;
  atomic_store(&c->evtlog_on, 0);
  wl_engine_evtlog_close(c->ev_engine, c->ev_sub);
  c->ev_sub = NULL;
  if (c->audit_saved) {
    if (!c->ev_engine)
      rc = wl_engine_open(c->engine_spec, 0, &c->ev_engine);
    if (rc == WL_OK)
      rc = audit_restore(c->ev_engine, c->audit_found, c->audit_drops);
    if (rc == WL_OK) {
      c->audit_saved = 0;
      rc = wl_store_meta_set(c->store, WL_META_SAVED_AUDIT, "");
    } /* else meta keeps it for `uninstall` */
  }
  wl_engine_close(c->ev_engine);
  c->ev_engine = NULL;
  wl_capture_dedup_destroy(c->dedup);
  wl_capture_dedup_destroy(c->ev_dedup);
  c->dedup = c->ev_dedup = NULL;
  return rc;
}

/* ---- reading ---- */

static int push_wait(wl_capture *c, const wl_raw_event *raw) {
  while (wl_ring_push(c->ring, raw) == WL_E_FULL) {
    if (atomic_load(&c->stop_req))
      return 1;
    wl_sleep_ms(1);
  }
  return 0;
}

/* One record: parse, drop the 5152 twin of a 5157, push. 1 when stopping. */
static int take_record(wl_capture *c, const char *xml, size_t len, int too_big) {
  wl_event ev;
  wl_raw_event raw;
  uint32_t id = 0;
  char why[256] = "longer than WL_EVTLOG_XML_MAX (8 KB): not one of the events we read";
  int rc = too_big ? 0 : c->parse_evtxml(xml, len, NULL, &ev, &id, why, sizeof why);
  atomic_fetch_add(&c->ev_records, 1);
  if (rc <= 0) {
    if (atomic_fetch_add(&c->malformed, 1) < BAD_LOGGED)
      wl_capture_log(c, "Security log: record skipped: %s", rc < 0 ? wl_errmsg() : why);
    return 0;
  }
  if (wl_capture_dedup_check(c->ev_dedup, &ev, id == 5152 ? 3u : 2u)) {
    atomic_fetch_add(&c->duplicates, 1);
    return 0;
  }
  wl_encode(&ev, &raw);
  raw.origin = WL_ORIGIN_EVTLOG;
  return push_wait(c, &raw);
}

/* The Security log cannot be read here: the eventlog source fails, the fallback gives up. */
static void unusable(wl_capture *c) {
  if (c->kind == WL_CAPTURE_EVTLOG) {
    wl_capture_set_error(c, wl_err_prefix(WL_E_UNSUPPORTED, "reading the Security log"));
    wl_capture_request_stop(c);
  } else {
    wl_capture_log(c, "the Security log cannot be read here (%s): no fallback", wl_errmsg());
    c->ev_failed = 1;
    atomic_store(&c->evtlog_on, 0);
  }
}

int wl_capture_evtlog_pump(wl_capture *c, unsigned wait_ms) {
  char *xml = malloc(WL_EVTLOG_XML_MAX);
  size_t len = 0;
  int stopping = 0;
  if (!xml)
    return wl_capture_sleep(c, wait_ms);
  uint64_t until = wl_time_mono_ns() + (uint64_t)wait_ms * 1000000u;
  while (!(stopping = atomic_load(&c->stop_req) != 0)) {
    uint64_t now = wl_time_mono_ns();
    unsigned left = now >= until ? 0 : (unsigned)((until - now) / 1000000u);
    int rc = wl_engine_evtlog_next(c->ev_engine, c->ev_sub, xml, WL_EVTLOG_XML_MAX, &len,
                                   left < 20 ? left : 20);
    if (rc == WL_OK || rc == WL_E_TOOBIG) {
      if ((stopping = take_record(c, xml, len, rc == WL_E_TOOBIG)) != 0 ||
          wl_time_mono_ns() >= until)
        break; /* a busy log must not starve the wfp source's probe */
      continue;
    }
    if (rc == WL_E_UNSUPPORTED) { /* a stub (wine's EvtNext): retrying cannot help */
      unusable(c);
      break;
    }
    if (rc != WL_E_TIMEOUT) { /* said once per streak; retried every wait */
      if (c->ev_errors++ == 0)
        wl_capture_log(c, "Security log: %s; retrying", wl_errmsg());
      stopping = wl_capture_sleep(c, left);
      break;
    }
    if (c->ev_errors)
      wl_capture_log(c, "Security log: reading again after %u failures", c->ev_errors);
    c->ev_errors = 0;
    wl_err_clear();
    if (left == 0)
      break;
  }
  free(xml);
  return stopping;
}

int wl_capture_evtlog_idle(wl_capture *c, unsigned ms) {
  if (!atomic_load(&c->evtlog_on) && c->fallback && !c->ev_failed && atomic_load(&c->blind)) {
    int rc = wl_capture_evtlog_start(c);
    if (rc == WL_OK) {
      wl_capture_log(c, "falling back to the Security log (events 5156/5157%s) for allowed "
                     "traffic", c->audit_drops ? "/5152" : "");
    } else {
      c->ev_failed = 1; /* said once; the capture goes on blind */
      wl_capture_log(c, "cannot fall back to the Security log: %s", wl_errmsg());
    }
  }
  if (atomic_load(&c->evtlog_on))
    return wl_capture_evtlog_pump(c, ms);
  return wl_capture_sleep(c, ms);
}

void wl_capture_evtlog_note(wl_capture *c) {
  if (c->ev_noted || !atomic_load(&c->evtlog_on))
    return;
  char since[WL_TIME_STR_MAX];
  wl_time_format(wl_time_now(), since);
  c->ev_noted = 1;
  if (wl_store_meta_set(c->store, WL_META_EVTLOG_SINCE, since) != WL_OK)
    wl_capture_log(c, "store: %s", wl_errmsg());
}

void *wl_capture_source_evtlog(void *arg) {
  wl_capture *c = arg;
  while (!wl_capture_evtlog_pump(c, WL_CAPTURE_EVTLOG_WAIT_MS))
    ;
  atomic_store(&c->producer_done, 1);
  return NULL;
}
