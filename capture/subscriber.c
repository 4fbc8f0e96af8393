/* subscriber.c — the engine side of capture (the callback itself is in callback.c): saving,
 * setting and restoring the engine's net event options, connecting (open the engine, backfill
 * from its net event buffer, subscribe) and the health probe. Option values are
 * FWPM_ENGINE_OPTION (fwpmtypes.h): FWPM_ENGINE_COLLECT_NET_EVENTS (0/1) and
 * FWPM_ENGINE_NET_EVENT_MATCH_ANY_KEYWORDS (FWPM_NET_EVENT_KEYWORD_* bits, Windows 8+).
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "capture/capture_impl.h"
#include "common/wl_err.h"
#include "common/wl_os.h"

/* Ours: allow and drop events, including the capability ones (an AppContainer allowed or
 * refused by a capability, FWPM_NET_EVENT_TYPE_CAPABILITY_ALLOW/DROP), and inbound multicast
 * and broadcast. --no-allow removes both allow keywords, --no-inbound the inbound ones. */
uint32_t wl_capture_keywords(const wl_capture_opts *o) {
  uint32_t kw = WL_KW_CLASSIFY_ALLOW | WL_KW_CAPABILITY_ALLOW | WL_KW_CAPABILITY_DROP |
                WL_KW_INBOUND_MCAST | WL_KW_INBOUND_BCAST;
  if (o->no_allow)
    kw &= ~(WL_KW_CLASSIFY_ALLOW | WL_KW_CAPABILITY_ALLOW);
  if (o->no_inbound)
    kw &= ~(WL_KW_INBOUND_MCAST | WL_KW_INBOUND_BCAST);
  return kw;
}

/* ---- options ---- */

static void format_saved(char *buf, size_t cap, uint32_t collect, int kw_known, uint32_t kw) {
  if (kw_known)
    snprintf(buf, cap, "collect=%" PRIu32 " keywords=0x%" PRIx32, collect, kw);
  else
    snprintf(buf, cap, "collect=%" PRIu32 " keywords=none", collect);
}

static int parse_saved(const char *s, uint32_t *collect, int *kw_known, uint32_t *kw) {
  unsigned long c = 0, k = 0;
  if (sscanf(s, "collect=%lu keywords=0x%lx", &c, &k) == 2) {
    *kw_known = 1;
  } else if (sscanf(s, "collect=%lu keywords=none", &c) == 1) {
    *kw_known = 0;
  } else {
    return WL_E_PARSE;
  }
  *collect = (uint32_t)c;
  *kw = (uint32_t)k;
  return WL_OK;
}

/* Our keywords OR-ed into the value found at start, so whatever else asked for events keeps
 * them. An engine that refuses a bit (an older Windows: CAPABILITY_* and CLASSIFY_ALLOW are
 * Windows 8+, fwpmtypes.h) is asked again without the capability bits, then without
 * CLASSIFY_ALLOW; the bits found are never taken away. Any other failure is returned. When
 * CLASSIFY_ALLOW was wanted and is not in place, c->allow_warning says why. */
static int set_keywords(wl_capture *c, wl_engine *e) {
  static const uint32_t give_up[] = {0, WL_KW_CAPABILITY_ALLOW | WL_KW_CAPABILITY_DROP,
                                     WL_KW_CLASSIFY_ALLOW};
  char why[256] = "the engine has no FWPM_ENGINE_NET_EVENT_MATCH_ANY_KEYWORDS option";
  uint32_t want = c->keywords;
  int rc = WL_OK;
  c->allow_warning[0] = 0;
  c->keywords_set = c->found_keywords;
  for (size_t i = 0; c->keywords_known && i < sizeof give_up / sizeof give_up[0]; i++) {
    want &= ~give_up[i];
    rc = wl_engine_set_option(e, WL_OPT_NET_EVENT_MATCH_ANY_KEYWORDS, c->found_keywords | want);
    if (rc == WL_OK) {
      c->keywords_set = c->found_keywords | want;
      break;
    }
    if (rc != WL_E_INVAL && rc != WL_E_UNSUPPORTED)
      return wl_err_prefix(rc, "setting the net event keywords");
    snprintf(why, sizeof why, "%s", wl_errmsg());
  }
  wl_err_clear();
  if ((c->keywords & WL_KW_CLASSIFY_ALLOW) && !(c->keywords_set & WL_KW_CLASSIFY_ALLOW))
    snprintf(c->allow_warning, sizeof c->allow_warning,
             "allow events are off: the engine refused FWPM_NET_EVENT_KEYWORD_CLASSIFY_ALLOW "
             "(%s); learning from drops only, so review will see blocked traffic only "
             "(Windows 8 or later reports allowed connections)",
             why);
  return WL_OK;
}

/* Set collection on and our keywords (again after a reconnect). */
static int set_ours(wl_capture *c, wl_engine *e) {
  int rc = wl_engine_set_option(e, WL_OPT_COLLECT_NET_EVENTS, 1);
  if (rc != WL_OK)
    return wl_err_prefix(rc, "switching net event collection on");
  return set_keywords(c, e);
}

/* What the engine has now, unless a previous run died with its findings still saved: then
 * those are the values to put back. Saved in meta before anything is changed. */
int wl_capture_options_apply(wl_capture *c) {
  char buf[96];
  int rc;
  if (wl_store_meta_get(c->store, WL_META_SAVED_OPTIONS, buf, sizeof buf) == WL_OK && buf[0] &&
      parse_saved(buf, &c->found_collect, &c->keywords_known, &c->found_keywords) == WL_OK) {
    wl_capture_log(c,
                   "engine options of an earlier run that did not stop cleanly (%s) will be "
                   "restored at stop",
                   buf);
  } else {
    if ((rc = wl_engine_get_option(c->engine, WL_OPT_COLLECT_NET_EVENTS, &c->found_collect)))
      return wl_err_prefix(rc, "reading FWPM_ENGINE_COLLECT_NET_EVENTS");
    c->keywords_known = wl_engine_get_option(c->engine, WL_OPT_NET_EVENT_MATCH_ANY_KEYWORDS,
                                             &c->found_keywords) == WL_OK;
    format_saved(buf, sizeof buf, c->found_collect, c->keywords_known, c->found_keywords);
    if ((rc = wl_store_meta_set(c->store, WL_META_SAVED_OPTIONS, buf)) != WL_OK)
      return wl_err_prefix(rc, "saving the engine options in the store");
  }
  c->options_saved = 1;
  if ((rc = set_ours(c, c->engine)) != WL_OK)
    return rc;
  /* said loudly: the log (stderr for learn) and the store, where `status` shows it */
  if (c->allow_warning[0])
    wl_capture_log(c, "%s", c->allow_warning);
  if ((rc = wl_store_meta_set(c->store, WL_META_CAPTURE_WARNING, c->allow_warning)) != WL_OK)
    return wl_err_prefix(rc, "saving the capture warning in the store");
  return WL_OK;
}

static int restore(wl_engine *e, uint32_t collect, int kw_known, uint32_t kw) {
  int rc = WL_OK, rc2;
  if (kw_known && (rc2 = wl_engine_set_option(e, WL_OPT_NET_EVENT_MATCH_ANY_KEYWORDS, kw)))
    rc = wl_err_prefix(rc2, "restoring the net event keywords");
  if ((rc2 = wl_engine_set_option(e, WL_OPT_COLLECT_NET_EVENTS, collect)) && rc == WL_OK)
    rc = wl_err_prefix(rc2, "restoring FWPM_ENGINE_COLLECT_NET_EVENTS");
  return rc;
}

int wl_capture_options_restore(wl_capture *c) {
  if (!c->options_saved)
    return WL_OK;
  int rc = WL_OK;
  wl_mutex_lock(&c->engine_lock);
  if (!c->engine)
    rc = wl_engine_open(c->engine_spec, 0, &c->engine);
  if (rc == WL_OK)
    rc = restore(c->engine, c->found_collect, c->keywords_known, c->found_keywords);
  wl_mutex_unlock(&c->engine_lock);
  if (rc != WL_OK)
    return rc; /* meta keeps the values for `uninstall` */
  c->options_saved = 0;
  return wl_store_meta_set(c->store, WL_META_SAVED_OPTIONS, "");
}

int wl_capture_restore_saved_options(wl_store *s, wl_engine *e) {
  char buf[96];
  uint32_t collect, kw;
  int known;
  if (wl_store_meta_get(s, WL_META_SAVED_OPTIONS, buf, sizeof buf) != WL_OK || !buf[0]) {
    wl_err_clear();
    return wl_capture_restore_saved_audit(s, e); /* the Security-log source's, evtlog.c */
  }
  if (parse_saved(buf, &collect, &known, &kw) != WL_OK)
    return wl_err(WL_E_CORRUPT, "store meta %s: unreadable value '%s'", WL_META_SAVED_OPTIONS, buf);
  int rc = restore(e, collect, known, kw);
  if (rc != WL_OK)
    return rc;
  if ((rc = wl_store_meta_set(s, WL_META_SAVED_OPTIONS, "")) != WL_OK)
    return rc;
  return wl_capture_restore_saved_audit(s, e); /* the Security-log source's, evtlog.c */
}

/* ---- connecting ---- */

/* Backfill delivers synchronously on this (source) thread: wait for room, never drop. */
typedef struct backfill_ctx {
  wl_capture *c;
  uint64_t n;
} backfill_ctx;

static int backfill_cb(void *ctx, const wl_raw_event *ev) {
  backfill_ctx *b = ctx;
  wl_raw_event copy = *ev;
  copy.origin = WL_ORIGIN_BACKFILL;
  while (wl_ring_push(b->c->ring, &copy) == WL_E_FULL) {
    if (atomic_load(&b->c->stop_req))
      return WL_E_STOPPED;
    wl_sleep_ms(1);
  }
  b->n++;
  return WL_OK;
}

static int backfill(wl_capture *c) {
  backfill_ctx b = {c, 0};
  uint64_t since = atomic_load(&c->last_live_ts);
  int rc = wl_engine_enum_events(c->engine, since, backfill_cb, &b);
  if (rc == WL_E_UNSUPPORTED) {
    wl_err_clear();
    return WL_OK;
  }
  if (b.n)
    wl_capture_log(c, "backfilled %" PRIu64 " events from the engine's buffer", b.n);
  return rc == WL_E_STOPPED ? WL_OK : rc;
}

static int subscribe(wl_capture *c) {
  return wl_engine_subscribe(c->engine, wl_capture_callback, &c->sink, &c->sub);
}

int wl_capture_connect(wl_capture *c, int do_backfill) {
  int rc = WL_OK;
  wl_mutex_lock(&c->engine_lock);
  if (!c->engine) {
    if ((rc = wl_engine_open(c->engine_spec, 0, &c->engine)) == WL_OK) {
      atomic_fetch_add(&c->engine_gen, 1); /* BFE may have restarted: ids renumbered */
      rc = set_ours(c, c->engine);
    }
  }
  wl_mutex_unlock(&c->engine_lock);
  if (rc == WL_OK && do_backfill)
    rc = backfill(c);
  if (rc == WL_OK && !c->sub)
    rc = subscribe(c);
  if (rc == WL_OK)
    atomic_store(&c->subscribed, 1);
  return rc;
}

void wl_capture_disconnect(wl_capture *c, int close_engine) {
  if (c->sub && c->engine) {
    if (wl_engine_unsubscribe(c->engine, c->sub) != WL_OK)
      wl_capture_log(c, "unsubscribe: %s", wl_errmsg());
  }
  c->sub = NULL;
  atomic_store(&c->subscribed, 0);
  if (close_engine) {
    wl_mutex_lock(&c->engine_lock);
    wl_engine_close(c->engine);
    c->engine = NULL;
    wl_mutex_unlock(&c->engine_lock);
  }
}

int wl_capture_probe(wl_capture *c) {
  uint32_t v;
  return c->engine && wl_engine_get_option(c->engine, WL_OPT_COLLECT_NET_EVENTS, &v) == WL_OK;
}
