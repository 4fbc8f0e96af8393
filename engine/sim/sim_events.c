/* sim_events.c — the sim's net event plumbing, shaped like BFE's: a classifying thread hands
 * the event to a bounded queue and returns; one delivery thread per bus calls the
 * subscribers' callbacks, like a BFE worker. Every event also goes into a bounded buffer that
 * wl_engine_enum_events reads (FwpmNetEventEnum's view of BFE's net event store).
 *
 * One bus per state file per process (registered by path), shared by all engine handles on
 * that file, so a subscription on one handle sees what another handle of the process
 * classifies. Bounds: WL_SIM_QUEUE_CAP queued events (a full queue makes the classifier wait,
 * never drop), WL_SIM_BUFFER_CAP buffered events (the oldest are overwritten), WL_SIM_MAX_SUBS
 * subscriptions. A callback that answers WL_E_FULL gets the same event again after 1 ms.
 *
 * Locks: `deliver` is held while a callback runs (so unsubscribe, which takes it, waits for a
 * callback in flight), `mu` guards the queue, buffer and table; order deliver → mu. A callback
 * must not call back into the engine (it would deadlock on unsubscribe, and BFE forbids it too).
 *
 * Cost per event: the classifier signals the delivery thread only when it is asleep, the
 * thread takes up to DELIVER_BATCH events per turn of the lock, and the classifier is woken
 * only when it waits for room; so a fast producer and consumer do not trade a futex call and
 * a context switch per event.
 */
#include "common/wl_thread.h"
#include <stdatomic.h>
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "common/wl_err.h"
#include "common/wl_os.h"
#include "engine/sim/sim_internal.h"

#define BUS_PATH_MAX 4096
#define ENUM_FULL_LIMIT_MS 10000u /* enum gives up on a callback that stays full this long */
#define DELIVER_BATCH 64u /* events the delivery thread takes from the queue at once */

typedef struct bus_sub {
  int active;
  const void *owner;
  wl_net_event_cb cb;
  void *ctx;
} bus_sub;

struct wl_sim_bus {
  wl_sim_bus *next;
  char path[BUS_PATH_MAX];
  int refs;
  wl_mutex mu, deliver;
  wl_cond items; /* the delivery thread waits here for events (or stop) */
  wl_cond room;  /* emitters wait here for room in the queue (or stop) */
  int thread_asleep;    /* the delivery thread waits on `items` */
  size_t room_waiters;  /* emitters waiting on `room` */
  wl_raw_event *queue;
  size_t qhead, qlen;
  int delivering;    /* events were popped and are not delivered yet */
  wl_raw_event *buf; /* ring of the last events, grows to WL_SIM_BUFFER_CAP */
  size_t bcap, bstart, blen;
  uint64_t bseq0; /* sequence number of buf[bstart] */
  bus_sub subs[WL_SIM_MAX_SUBS];
  size_t nactive;
  wl_thread thread;
  int thread_on, stop;
  atomic_uint_fast64_t full_waits;
  atomic_uint run; /* simulated BFE restarts so far */
  wl_sim_conns conns; /* sim_conns.c */
};

static wl_mutex reg_mu = WL_MUTEX_INIT;
static wl_sim_bus *reg_head;

static void bus_free(wl_sim_bus *b) {
  wl_sim_conns_destroy(&b->conns);
  wl_mutex_destroy(&b->mu);
  wl_mutex_destroy(&b->deliver);
  wl_cond_destroy(&b->items);
  wl_cond_destroy(&b->room);
  free(b->queue);
  free(b->buf);
  free(b);
}

static int bus_new(const char *path, wl_sim_bus **out) {
  wl_sim_bus *b = calloc(1, sizeof *b);
  if (!b || !(b->queue = malloc(WL_SIM_QUEUE_CAP * sizeof *b->queue))) {
    free(b);
    return wl_err(WL_E_NOMEM, "sim: no memory for the event queue");
  }
  wl_strlcpy(b->path, path, sizeof b->path);
  wl_mutex_init(&b->mu);
  wl_mutex_init(&b->deliver);
  wl_cond_init(&b->items);
  wl_cond_init(&b->room);
  atomic_init(&b->full_waits, 0);
  wl_sim_conns_init(&b->conns);
  b->refs = 1;
  *out = b;
  return WL_OK;
}

int wl_sim_bus_get(const char *state_path, wl_sim_bus **out) {
  int rc = WL_OK;
  if (strlen(state_path) >= BUS_PATH_MAX)
    return wl_err(WL_E_TOOBIG, "sim: state path longer than %d bytes", BUS_PATH_MAX - 1);
  wl_mutex_lock(&reg_mu);
  wl_sim_bus *b = reg_head;
  while (b && strcmp(b->path, state_path) != 0)
    b = b->next;
  if (b) {
    b->refs++;
  } else if ((rc = bus_new(state_path, &b)) == WL_OK) {
    b->next = reg_head;
    reg_head = b;
  }
  wl_mutex_unlock(&reg_mu);
  *out = b;
  return rc;
}

void wl_sim_bus_put(wl_sim_bus *b) {
  if (!b)
    return;
  wl_mutex_lock(&reg_mu);
  int last = --b->refs == 0;
  if (last) {
    wl_sim_bus **pp = &reg_head;
    while (*pp != b)
      pp = &(*pp)->next;
    *pp = b->next;
  }
  wl_mutex_unlock(&reg_mu);
  if (!last)
    return;
  wl_mutex_lock(&b->mu);
  b->stop = 1;
  wl_cond_broadcast(&b->items);
  wl_cond_broadcast(&b->room);
  wl_mutex_unlock(&b->mu);
  if (b->thread_on)
    wl_thread_join(&b->thread);
  bus_free(b);
}

/* ---------------------------------------------------------------- delivery */

static int bus_stopping(wl_sim_bus *b) {
  wl_mutex_lock(&b->mu);
  int stop = b->stop;
  wl_mutex_unlock(&b->mu);
  return stop;
}

/* Hand ev to every active subscriber; one that says WL_E_FULL gets it again after 1 ms (the
 * `deliver` lock is let go meanwhile, so an unsubscribe can get in). */
static void deliver_all(wl_sim_bus *b, const wl_raw_event *ev) {
  wl_mutex_lock(&b->deliver);
  for (size_t i = 0; i < WL_SIM_MAX_SUBS; i++) {
    while (b->subs[i].active && b->subs[i].cb(b->subs[i].ctx, ev) == WL_E_FULL) {
      wl_mutex_unlock(&b->deliver);
      atomic_fetch_add(&b->full_waits, 1);
      if (bus_stopping(b))
        return;
      wl_sleep_ms(1);
      wl_mutex_lock(&b->deliver);
    }
  }
  wl_mutex_unlock(&b->deliver);
}

/* With mu held: move up to cap queued events to out; wake emitters waiting for room. */
static size_t pop_batch(wl_sim_bus *b, wl_raw_event *out, size_t cap) {
  assert(b->qhead < WL_SIM_QUEUE_CAP && b->qlen <= WL_SIM_QUEUE_CAP);
  size_t n = 0;
  for (; n < cap && b->qlen > 0; n++) {
    out[n] = b->queue[b->qhead];
    b->qhead = (b->qhead + 1) % WL_SIM_QUEUE_CAP;
    b->qlen--;
  }
  if (n > 0 && b->room_waiters > 0)
    wl_cond_broadcast(&b->room);
  return n;
}

static void *delivery_thread(void *arg) {
  wl_sim_bus *b = arg;
  wl_raw_event one, *ev = malloc(DELIVER_BATCH * sizeof *ev);
  size_t cap = DELIVER_BATCH;
  if (!ev) { /* no memory for a batch: one at a time */
    ev = &one;
    cap = 1;
  }
  wl_mutex_lock(&b->mu);
  for (;;) {
    while (b->qlen == 0 && !b->stop) {
      b->thread_asleep = 1;
      wl_cond_wait(&b->items, &b->mu);
      b->thread_asleep = 0;
    }
    if (b->stop)
      break;
    size_t n = pop_batch(b, ev, cap);
    b->delivering = 1;
    wl_mutex_unlock(&b->mu);
    for (size_t k = 0; k < n; k++)
      deliver_all(b, &ev[k]);
    wl_mutex_lock(&b->mu);
    b->delivering = 0;
  }
  b->qlen = 0; /* stopping: nobody is left to deliver to */
  b->delivering = 0;
  wl_cond_broadcast(&b->room);
  wl_mutex_unlock(&b->mu);
  if (ev != &one)
    free(ev);
  return NULL;
}

int wl_sim_bus_subscribe(wl_sim_bus *b, const void *owner, wl_net_event_cb cb, void *ctx,
                         void **sub) {
  int rc = WL_OK;
  if (!cb || !sub)
    return wl_err(WL_E_INVAL, "sim subscribe: NULL callback or handle");
  wl_mutex_lock(&b->deliver);
  wl_mutex_lock(&b->mu);
  size_t i = 0;
  while (i < WL_SIM_MAX_SUBS && b->subs[i].active)
    i++;
  if (i == WL_SIM_MAX_SUBS) {
    rc = wl_err(WL_E_FULL, "sim subscribe: already %u subscriptions", WL_SIM_MAX_SUBS);
  } else if (!b->thread_on && wl_thread_start(&b->thread, delivery_thread, b) != 0) {
    rc = wl_err(WL_E_INTERNAL, "sim subscribe: cannot start the delivery thread");
  } else {
    b->thread_on = 1;
    b->subs[i] = (bus_sub){1, owner, cb, ctx};
    b->nactive++;
    assert(b->nactive <= WL_SIM_MAX_SUBS);
    *sub = &b->subs[i];
  }
  wl_mutex_unlock(&b->mu);
  wl_mutex_unlock(&b->deliver);
  return rc;
}

int wl_sim_bus_unsubscribe(wl_sim_bus *b, void *sub) {
  bus_sub *s = sub;
  if (!s || s < b->subs || s >= b->subs + WL_SIM_MAX_SUBS)
    return wl_err(WL_E_INVAL, "sim unsubscribe: not a subscription of this engine");
  wl_mutex_lock(&b->deliver); /* waits for a callback in flight */
  wl_mutex_lock(&b->mu);
  int was = s->active;
  if (was) {
    assert(b->nactive > 0);
    s->active = 0;
    b->nactive--;
  }
  wl_mutex_unlock(&b->mu);
  wl_mutex_unlock(&b->deliver);
  return was ? WL_OK : wl_err(WL_E_NOTFOUND, "sim unsubscribe: subscription already ended");
}

void wl_sim_bus_unsubscribe_owner(wl_sim_bus *b, const void *owner) {
  for (size_t i = 0; i < WL_SIM_MAX_SUBS; i++) {
    wl_mutex_lock(&b->deliver);
    wl_mutex_lock(&b->mu);
    if (b->subs[i].active && b->subs[i].owner == owner) {
      b->subs[i].active = 0;
      b->nactive--;
    }
    wl_mutex_unlock(&b->mu);
    wl_mutex_unlock(&b->deliver);
  }
}

/* ---------------------------------------------------------------- emit, enum, drain */

/* The buffer: blen of bcap slots used from bstart on (mod bcap), oldest first. */
static void buffer_add(wl_sim_bus *b, const wl_raw_event *ev) {
  assert(b->blen <= b->bcap && b->bcap <= WL_SIM_BUFFER_CAP);
  assert(b->bcap == 0 ? b->bstart == 0 : b->bstart < b->bcap);
  if (b->blen == b->bcap && b->bcap < WL_SIM_BUFFER_CAP) { /* grow; never wrapped yet */
    size_t nc = b->bcap ? b->bcap * 2 : 256;
    nc = nc > WL_SIM_BUFFER_CAP ? WL_SIM_BUFFER_CAP : nc;
    wl_raw_event *p = realloc(b->buf, nc * sizeof *p);
    if (p) {
      b->buf = p;
      b->bcap = nc;
    }
  }
  if (b->bcap == 0)
    return; /* no memory for the buffer: enum will miss it, delivery does not */
  if (b->blen < b->bcap) {
    b->buf[(b->bstart + b->blen++) % b->bcap] = *ev;
    return;
  }
  b->buf[b->bstart] = *ev; /* overwrite the oldest */
  b->bstart = (b->bstart + 1) % b->bcap;
  b->bseq0++;
}

int wl_sim_bus_emit(wl_sim_bus *b, const wl_raw_event *ev, int lazy, uint64_t *waited) {
  wl_mutex_lock(&b->mu);
  buffer_add(b, ev);
  if (b->nactive > 0 && !b->stop) {
    while (b->qlen == WL_SIM_QUEUE_CAP && !b->stop) {
      if (waited)
        (*waited)++;
      b->room_waiters++;
      wl_cond_wait(&b->room, &b->mu);
      b->room_waiters--;
    }
    if (!b->stop) {
      assert(b->qhead < WL_SIM_QUEUE_CAP && b->qlen < WL_SIM_QUEUE_CAP);
      b->queue[(b->qhead + b->qlen++) % WL_SIM_QUEUE_CAP] = *ev;
      if (b->thread_asleep && (!lazy || b->qlen >= DELIVER_BATCH))
        wl_cond_signal(&b->items);
    }
  }
  wl_mutex_unlock(&b->mu);
  return WL_OK;
}

/* BFE sends a second allow event for an allowed connection: the flow-established one. The
 * connection is authorised at ALE_AUTH_CONNECT / ALE_AUTH_RECV_ACCEPT (the allow event wfplearn
 * learns from, Security log 5156 "Layer Name: Connect / Receive/Accept"); once the TCP handshake
 * completes, or at once for non-TCP traffic, the flow reaches ALE_FLOW_ESTABLISHED ("allows for
 * notification of when a TCP connection has been established, or when non-TCP traffic has been
 * authorized", "Filtering Layer Identifiers", Microsoft Learn), whose permit is logged with the
 * CLASSIFY_ALLOW keyword too (FWPM_NET_EVENT_CLASSIFY_ALLOW0 carries its layerId; simplewall's
 * log callback skips FLOW_ESTABLISHED allow events for that reason). The sim emits one for every
 * allowed attempt, right after the auth event and with the same header, the layer's run-time id
 * and a direction of FWP_DIRECTION_OUTBOUND / INBOUND: so a consumer that counts it as a
 * connection counts every allowed connection twice (issue 12, item 4). That BFE always sends it
 * is an assumption (it needs a permit filter at that layer to report, which Windows Firewall
 * has): the sim models the case that would hurt. */
int wl_sim_bus_emit_flow_established(wl_sim_bus *b, const wl_raw_event *auth, uint8_t dir,
                                     int lazy) {
  wl_raw_event *ev = malloc(sizeof *ev);
  if (!ev)
    return wl_err(WL_E_NOMEM, "sim classify: no memory for the event");
  *ev = *auth;
  int v6 = auth->ip_version == WL_RAW_IP_V6;
  ev->layer_id = v6 ? WL_LAYER_ALE_FLOW_ESTABLISHED_V6 : WL_LAYER_ALE_FLOW_ESTABLISHED_V4;
  ev->direction =
      dir == WL_DIR_IN ? WL_RAW_FWP_DIRECTION_INBOUND : WL_RAW_FWP_DIRECTION_OUTBOUND;
  int rc = wl_sim_bus_emit(b, ev, lazy, NULL);
  free(ev);
  return rc;
}

static int enum_deliver(wl_net_event_cb cb, void *ctx, const wl_raw_event *ev) {
  for (unsigned waited = 0;; waited++) {
    int rc = cb(ctx, ev);
    if (rc != WL_E_FULL)
      return rc;
    if (waited >= ENUM_FULL_LIMIT_MS)
      return wl_err(WL_E_TIMEOUT, "sim enum: the callback stayed full for %u ms",
                    ENUM_FULL_LIMIT_MS);
    wl_sleep_ms(1);
  }
}

int wl_sim_bus_enum(wl_sim_bus *b, uint64_t since, wl_net_event_cb cb, void *ctx) {
  int rc = WL_OK;
  wl_raw_event *ev = malloc(sizeof *ev);
  if (!ev)
    return wl_err(WL_E_NOMEM, "sim enum: no memory");
  wl_mutex_lock(&b->mu);
  uint64_t seq = b->bseq0, end = b->bseq0 + b->blen; /* what is there now, oldest first */
  while (rc == WL_OK) {
    if (seq < b->bseq0)
      seq = b->bseq0; /* overwritten while we were delivering */
    if (seq >= end || seq >= b->bseq0 + b->blen)
      break;
    assert(b->bcap > 0 && seq - b->bseq0 < b->blen);
    *ev = b->buf[(b->bstart + (seq - b->bseq0)) % b->bcap];
    seq++;
    if (ev->timestamp <= since)
      continue;
    wl_mutex_unlock(&b->mu);
    ev->origin = WL_ORIGIN_BACKFILL;
    rc = enum_deliver(cb, ctx, ev);
    wl_mutex_lock(&b->mu);
  }
  wl_mutex_unlock(&b->mu);
  free(ev);
  return rc;
}

void wl_sim_bus_flush(wl_sim_bus *b) {
  wl_mutex_lock(&b->mu);
  if (b->qlen > 0 && b->thread_asleep)
    wl_cond_signal(&b->items);
  wl_mutex_unlock(&b->mu);
}

int wl_sim_bus_drain(wl_sim_bus *b, unsigned timeout_ms) {
  uint64_t deadline = wl_time_mono_ns() + (uint64_t)timeout_ms * 1000000u;
  wl_sim_bus_flush(b);
  for (;;) {
    wl_mutex_lock(&b->mu);
    int idle = b->qlen == 0 && !b->delivering;
    wl_mutex_unlock(&b->mu);
    if (idle)
      return WL_OK;
    if (wl_time_mono_ns() >= deadline)
      return wl_err(WL_E_TIMEOUT, "sim: events still undelivered after %u ms", timeout_ms);
    wl_sleep_ms(1);
  }
}

uint64_t wl_sim_bus_full_waits(wl_sim_bus *b) { return atomic_load(&b->full_waits); }

void wl_sim_bus_restart(wl_sim_bus *b) {
  wl_mutex_lock(&b->deliver); /* waits for a callback in flight */
  wl_mutex_lock(&b->mu);
  for (size_t i = 0; i < WL_SIM_MAX_SUBS; i++)
    b->subs[i].active = 0;
  b->nactive = 0;
  b->qlen = 0; /* what BFE had not delivered yet is gone with it */
  atomic_fetch_add(&b->run, 1);
  wl_cond_broadcast(&b->room);
  wl_mutex_unlock(&b->mu);
  wl_mutex_unlock(&b->deliver);
}

unsigned wl_sim_bus_run(wl_sim_bus *b) { return atomic_load(&b->run); }

wl_sim_conns *wl_sim_bus_conns(wl_sim_bus *b) { return &b->conns; }
