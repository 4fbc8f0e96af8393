/* attribution.c — which filter decided: for each distinct filter id seen in events, look the
 * filter up once (wl_engine_filter_get_by_id, then its provider's and sublayer's names), store
 * it with wl_store_filter_info_put, and remember the id so it is not asked again. The cache is
 * bounded (WL_CAPTURE_FILTER_CACHE ids; when 3/4 full it starts over, which only costs repeat
 * lookups). A lookup that fails while the engine is down (no handle during a reconnect, a dead
 * handle after a BFE restart) is not final: the id waits in a bounded list
 * (WL_CAPTURE_ATTRIB_PENDING) and is asked again with backoff (retry_min_ms doubling to
 * WL_CAPTURE_RETRY_MAX_MS) at most WL_CAPTURE_ATTRIB_TRIES times; waiting for a handle costs no
 * try. A filter the live engine does not know (removed since) is final. A filter of wfplearn's
 * provider (WL_PROVIDER_KEY_INIT of engine/keys.h, or named "wfplearn") is "ours", so
 * review can tell "blocked by wfplearn's default block" from "blocked by Windows Firewall's
 * default inbound rule".
 *
 * Filter ids are run-time ids: BFE numbers its filters afresh when it restarts (and Windows
 * Firewall's reload adds them again under new ids), so an id names a filter only for the life
 * of one engine connection. The stored row therefore carries the filter's key and its
 * provider's key, and the cache (and the waiting list, whose ids meant other filters) starts
 * over whenever the capture opened a new engine handle (c->engine_gen: at start and on every
 * reconnect), so the first event of each id after a restart is looked up again and its row
 * names the filter that holds the id now (issue 12, item 6). Events still in the ring from
 * before the restart are attributed with the new numbering: an assumption that few are. Rows
 * are per run-time id, so an id's row describes its latest holder. Consumer thread only;
 * replay has no engine and attributes nothing (its filter ids belong to another machine).
 */
#include <assert.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "capture/capture_impl.h"
#include "common/wl_err.h"
#include "common/wl_hash.h"
#include "common/wl_os.h"
#include "engine/keys.h"

typedef struct pending {
  uint64_t id, next_ns; /* asked again at or after next_ns */
  unsigned tries, delay_ms;
} pending;

struct wl_capture_attrib {
  wl_htab ids; /* WL_CAPTURE_FILTER_CACHE slots, entries: the id alone (0 is never a filter) */
  pending wait[WL_CAPTURE_ATTRIB_PENDING]; /* failed lookups to ask again */
  size_t nwait;
  unsigned gen; /* c->engine_gen the cache belongs to */
  int store_err_logged, full_logged;
};

int wl_capture_attrib_create(wl_capture *c) {
  c->attrib = calloc(1, sizeof *c->attrib);
  if (!c->attrib)
    return wl_err(WL_E_NOMEM, "capture: out of memory");
  int rc = wl_htab_init(&c->attrib->ids, WL_CAPTURE_FILTER_CACHE, sizeof(uint64_t));
  if (rc != WL_OK)
    wl_capture_attrib_destroy(c);
  return rc;
}

void wl_capture_attrib_destroy(wl_capture *c) {
  if (!c || !c->attrib)
    return;
  wl_htab_free(&c->attrib->ids);
  free(c->attrib);
  c->attrib = NULL;
}

/* 1 when id was not cached (and is now). At 3/4 full the cache starts over. */
static int remember(wl_capture_attrib *a, uint64_t id) {
  uint32_t slot;
  assert(id != 0);
  if (wl_htab_full(&a->ids))
    wl_htab_clear(&a->ids);
  return wl_htab_add(&a->ids, id, NULL, NULL, &slot) == 1;
}

static int is_ours(const wl_provider *p) {
  wl_guid ours = wl_provider_key();
  return wl_guid_eq(&p->key, &ours) || strcmp(p->name, WL_CAPTURE_OUR_PROVIDER_NAME) == 0;
}

/* Fill fi from the engine; WL_E_NOTFOUND when the filter is gone. Engine lock held. */
static int describe(wl_engine *e, uint64_t id, wl_filter_info *fi) {
  static const wl_guid none;
  wl_filter *f = malloc(sizeof *f); /* ~4 KB of conditions: not on the stack */
  if (!f)
    return wl_err(WL_E_NOMEM, "attribution: out of memory");
  int rc = wl_engine_filter_get_by_id(e, id, f);
  if (rc == WL_OK) {
    wl_provider p;
    wl_sublayer sl;
    fi->filter_id = id;
    wl_guid_format(&f->key, fi->filter_key);
    wl_strlcpy(fi->name, f->name, sizeof fi->name);
    if (!wl_guid_eq(&f->provider, &none))
      wl_guid_format(&f->provider, fi->provider_key);
    if (!wl_guid_eq(&f->provider, &none) && wl_engine_provider_get(e, &f->provider, &p) == 0) {
      wl_strlcpy(fi->provider, p.name, sizeof fi->provider);
      fi->ours = is_ours(&p);
    }
    if (wl_engine_sublayer_get(e, &f->sublayer, &sl) == WL_OK)
      wl_strlcpy(fi->sublayer, sl.name, sizeof fi->sublayer);
    wl_strlcpy(fi->action,
               f->action == WL_ACTION_BLOCK    ? "block"
               : f->action == WL_ACTION_PERMIT ? "permit"
                                               : "",
               sizeof fi->action);
  }
  free(f);
  return rc;
}

/* One lookup: WL_OK (stored), WL_E_NOTFOUND (final: the live engine has no such filter),
 * WL_E_STOPPED (no engine handle now: no try spent), or another error (engine down: a try). */
static int lookup(wl_capture *c, uint64_t filter_id) {
  wl_capture_attrib *a = c->attrib;
  wl_filter_info fi;
  memset(&fi, 0, sizeof fi);
  wl_mutex_lock(&c->engine_lock);
  int rc = c->engine ? describe(c->engine, filter_id, &fi) : WL_E_STOPPED;
  wl_mutex_unlock(&c->engine_lock);
  if (rc != WL_OK)
    return rc;
  if (wl_store_filter_info_put(c->store, &fi) != WL_OK && !a->store_err_logged) {
    a->store_err_logged = 1;
    wl_capture_log(c, "store: attribution of filter %" PRIu64 " not kept: %s", filter_id,
                   wl_errmsg());
  }
  return WL_OK;
}

/* Queue a failed lookup (once per id); a full list gives the id up, logged once. */
static void defer(wl_capture *c, uint64_t id, unsigned tries) {
  wl_capture_attrib *a = c->attrib;
  for (size_t i = 0; i < a->nwait; i++)
    if (a->wait[i].id == id)
      return;
  if (a->nwait == WL_CAPTURE_ATTRIB_PENDING) {
    atomic_fetch_add(&c->attrib_failed, 1);
    if (!a->full_logged++)
      wl_capture_log(c,
                     "attribution: %u filter lookups waiting already; filter %" PRIu64
                     " stays unattributed",
                     WL_CAPTURE_ATTRIB_PENDING, id);
    return;
  }
  pending *p = &a->wait[a->nwait++];
  p->id = id;
  p->tries = tries;
  p->delay_ms = c->retry_min_ms;
  p->next_ns = wl_time_mono_ns() + (uint64_t)p->delay_ms * 1000000ULL;
  atomic_store(&c->attrib_pending, a->nwait);
}

/* A new engine handle since the cache was filled: its ids may name other filters. */
static void follow_engine(wl_capture *c) {
  wl_capture_attrib *a = c->attrib;
  unsigned gen = atomic_load(&c->engine_gen);
  if (gen == a->gen)
    return;
  a->gen = gen;
  wl_htab_clear(&a->ids);
  a->nwait = 0;
  atomic_store(&c->attrib_pending, 0);
}

void wl_capture_attribute(wl_capture *c, uint64_t filter_id) {
  if (c->kind == WL_CAPTURE_REPLAY || filter_id == 0)
    return;
  follow_engine(c);
  if (!remember(c->attrib, filter_id))
    return;
  int rc = lookup(c, filter_id);
  if (rc != WL_OK && rc != WL_E_NOTFOUND)
    defer(c, filter_id, rc != WL_E_STOPPED);
  wl_err_clear(); /* a filter removed since: nothing to say about it */
}

/* 1 when p is settled (stored, final, or out of tries), 0 to keep it waiting. */
static int retry_one(wl_capture *c, pending *p, uint64_t now) {
  int rc = lookup(c, p->id);
  wl_err_clear();
  if (rc == WL_OK || rc == WL_E_NOTFOUND)
    return 1;
  if (rc != WL_E_STOPPED && ++p->tries >= WL_CAPTURE_ATTRIB_TRIES) {
    atomic_fetch_add(&c->attrib_failed, 1);
    wl_capture_log(c,
                   "attribution: looking up filter %" PRIu64 " failed %u times; left unattributed",
                   p->id, p->tries);
    return 1;
  }
  p->delay_ms =
      p->delay_ms * 2 < WL_CAPTURE_RETRY_MAX_MS ? p->delay_ms * 2 : WL_CAPTURE_RETRY_MAX_MS;
  p->next_ns = now + (uint64_t)p->delay_ms * 1000000ULL;
  return 0;
}

void wl_capture_attrib_retry(wl_capture *c, int final) {
  wl_capture_attrib *a = c->attrib;
  if (a->nwait == 0)
    return;
  uint64_t now = wl_time_mono_ns();
  for (size_t i = 0; i < a->nwait;) {
    pending *p = &a->wait[i];
    if (!final && now < p->next_ns) {
      i++;
    } else if (retry_one(c, p, now)) {
      *p = a->wait[--a->nwait];
    } else if (final) { /* stopping: no later chance */
      atomic_fetch_add(&c->attrib_failed, 1);
      *p = a->wait[--a->nwait];
    } else {
      i++;
    }
  }
  atomic_store(&c->attrib_pending, a->nwait);
}
