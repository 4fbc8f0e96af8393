/* sim_classify.c — how the sim decides a connection attempt, and the net event it reports.
 *
 * The decision itself is engine/arbitrate.c's (sublayer weight order, the highest-weight match
 * per sublayer, block overrides a soft permit, hard permits, conditions same-field OR and
 * different-field AND, default permit): the code `enforce --dry-run` replays events with, so the
 * backtest and the sim cannot disagree. What is the sim's here: which filters exist (disabled
 * filters and those of dead dynamic sessions or sublayers do not), each filter's sublayer weight,
 * and the attempt's form (wl_attempt → wl_arb_input).
 *
 * The view borrows the state it was built from: rebuild it after the state changes or when
 * wl_sim_view_stale says an owner died.
 */
#include <stdlib.h>
#include <string.h>

#include "common/wl_err.h"
#include "common/wl_os.h"
#include "engine/arbitrate.h"
#include "engine/sim/sim_internal.h"

#define VIEW_MAX_PIDS 64 /* distinct dynamic owners watched; more just rebuild every time */

struct wl_sim_view {
  wl_arb_set *set;
  size_t npids;
  int overflow;
  uint32_t pids[VIEW_MAX_PIDS];
  uint8_t alive[VIEW_MAX_PIDS];
};

static void watch_pid(wl_sim_view *v, const wl_sim_owner *o, int alive) {
  if (o->session == 0)
    return;
  for (size_t i = 0; i < v->npids; i++)
    if (v->pids[i] == o->pid)
      return;
  if (v->npids == VIEW_MAX_PIDS) {
    v->overflow = 1;
    return;
  }
  v->pids[v->npids] = o->pid;
  v->alive[v->npids++] = (uint8_t)alive;
}

static void view_add(wl_sim_view *v, const wl_sim_state *s, const wl_sim_filt *x) {
  int alive = wl_sim_owner_alive(&x->own);
  long si = wl_sim_find_subl(s, &x->f.sublayer);
  watch_pid(v, &x->own, alive);
  if (si >= 0)
    watch_pid(v, &s->subl[si].own, wl_sim_owner_alive(&s->subl[si].own));
  if (!alive || si < 0 || !wl_sim_owner_alive(&s->subl[si].own))
    return;
  wl_arb_set_add(v->set, &x->f, s->subl[si].s.weight, (uint32_t)si);
}

int wl_sim_view_build(const wl_sim_state *s, wl_sim_view **out) {
  wl_sim_view *v = calloc(1, sizeof *v);
  if (!v)
    return wl_err(WL_E_NOMEM, "sim: no memory for the classification view");
  int rc = wl_arb_set_new(s->nfilt, &v->set);
  if (rc) {
    free(v);
    return rc;
  }
  for (size_t i = 0; i < s->nfilt; i++)
    view_add(v, s, &s->filt[i]);
  wl_arb_set_sort(v->set);
  *out = v;
  return WL_OK;
}

void wl_sim_view_free(wl_sim_view *v) {
  if (!v)
    return;
  wl_arb_set_free(v->set);
  free(v);
}

int wl_sim_view_stale(const wl_sim_view *v) {
  if (v->overflow)
    return 1;
  for (size_t i = 0; i < v->npids; i++)
    if ((uint8_t)wl_os_pid_alive(v->pids[i]) != v->alive[i])
      return 1;
  return 0;
}

int wl_sim_is_loopback(const wl_attempt *a) {
  return wl_arb_is_loopback(a->ip_version, a->local_addr, a->remote_addr);
}

void wl_sim_arbitrate(const wl_sim_view *v, const wl_attempt *a, const uint8_t *app_id,
                      size_t app_id_len, wl_decision *out) {
  wl_arb_input in = {.dir = a->dir,
                     .proto = a->proto,
                     .ip_version = a->ip_version,
                     .local_port = a->local_port,
                     .remote_port = a->remote_port,
                     .app_id = app_id,
                     .app_id_len = app_id_len,
                     .user = a->user,
                     .package = a->package};
  memcpy(in.local_addr, a->local_addr, 16);
  memcpy(in.remote_addr, a->remote_addr, 16);
  wl_arb_result r;
  wl_arb_decide(v->set, &in, &r);
  memset(out, 0, sizeof *out);
  out->action = r.action;
  out->filter_id = r.filter_id;
  out->layer_id = r.layer_id;
  out->matched = r.matched;
  out->hard = r.hard;
}

/* ---------------------------------------------------------------- events */

static int is_mcast(const wl_attempt *a, const uint8_t *addr) {
  return a->ip_version == 4 ? (addr[0] & 0xF0) == 0xE0 : addr[0] == 0xFF;
}

/* Limited broadcast, or a v4 address ending in .255 (the sim knows no subnet masks, so it
 * assumes /24 networks for directed broadcasts). */
static int is_bcast(const wl_attempt *a, const uint8_t *addr) {
  return a->ip_version == 4 && addr[3] == 255;
}

int wl_sim_event_wanted(uint32_t collect, uint32_t keywords, const wl_attempt *a, uint32_t type) {
  if (!collect)
    return 0;
  if (type == WL_RAW_TYPE_CLASSIFY_ALLOW && !(keywords & WL_KW_CLASSIFY_ALLOW))
    return 0;
  /* FWPM_NET_EVENT_KEYWORD_INBOUND_MCAST / _BCAST: inbound multicast and broadcast events are
   * collected only when asked for. */
  if (a->dir == WL_DIR_IN && is_mcast(a, a->local_addr) && !(keywords & WL_KW_INBOUND_MCAST))
    return 0;
  if (a->dir == WL_DIR_IN && is_bcast(a, a->local_addr) && !(keywords & WL_KW_INBOUND_BCAST))
    return 0;
  return 1;
}

static void put_addr(uint8_t dst[16], const wl_attempt *a, const uint8_t *addr) {
  memset(dst, 0, 16);
  if (a->ip_version == 4) { /* FWP: IPv4 as a host-order UINT32 */
    uint32_t host = wl_addr_to_v4_host(addr);
    memcpy(dst, &host, sizeof host);
  } else {
    memcpy(dst, addr, 16);
  }
}

/* msFwpDirection as BFE fills it on the ALE auth layers. Drops carry FWP_DIRECTION_IN/OUT
 * (0x3900/0x3901, the FWPM_NET_EVENT_CLASSIFY_DROP1/2 pages). Allow events carry the
 * FWP_DIRECTION_INBOUND/OUTBOUND enum the CLASSIFY_ALLOW0 page documents, and real ones say
 * 0 (OUTBOUND) for inbound connections too: simplewall's users saw accepted inbound
 * connections logged as outbound, and simplewall now takes the direction from the
 * RECV_ACCEPT layer instead (issue 12). The sim reproduces that: every allow event says 0, so
 * only the layer tells an inbound allow. An assumption about BFE, not documented behaviour. */
static uint32_t bfe_direction(uint32_t type, uint8_t dir) {
  if (type == WL_RAW_TYPE_CLASSIFY_ALLOW)
    return WL_RAW_FWP_DIRECTION_OUTBOUND;
  return dir == WL_DIR_IN ? WL_RAW_DIR_IN : WL_RAW_DIR_OUT;
}

static void put_sids(wl_raw_event *ev, const wl_attempt *a) {
  int n;
  if (a->user[0] && (n = wl_sid_from_string(a->user, ev->user_sid)) > 0) {
    ev->user_sid_len = (uint8_t)n;
    ev->flags |= WL_RAW_USER_ID_SET;
  }
  if (a->package[0] && (n = wl_sid_from_string(a->package, ev->package_sid)) > 0) {
    ev->package_sid_len = (uint8_t)n;
    ev->flags |= WL_RAW_PACKAGE_ID_SET;
  }
}

void wl_sim_event_build(const wl_attempt *a, const uint8_t *app_id, size_t app_id_len,
                        const wl_decision *d, uint32_t type, wl_raw_event *ev) {
  memset(ev, 0, sizeof *ev);
  ev->timestamp = a->ts;
  ev->type = type;
  ev->flags = WL_RAW_IP_PROTOCOL_SET | WL_RAW_LOCAL_ADDR_SET | WL_RAW_REMOTE_ADDR_SET |
              WL_RAW_IP_VERSION_SET;
  ev->ip_protocol = a->proto;
  ev->ip_version = a->ip_version == 6 ? WL_RAW_IP_V6 : WL_RAW_IP_V4;
  put_addr(ev->local_addr, a, a->local_addr);
  put_addr(ev->remote_addr, a, a->remote_addr);
  if (a->has_ports) {
    ev->flags |= WL_RAW_LOCAL_PORT_SET | WL_RAW_REMOTE_PORT_SET;
    ev->local_port = a->local_port;
    ev->remote_port = a->remote_port;
  }
  if (app_id_len) {
    ev->flags |= WL_RAW_APP_ID_SET;
    ev->app_id_size = (uint32_t)app_id_len;
    ev->app_id_copied = (uint32_t)(app_id_len < WL_RAW_APP_MAX ? app_id_len : WL_RAW_APP_MAX);
    memcpy(ev->app_id, app_id, ev->app_id_copied);
  }
  put_sids(ev, a);
  ev->has_payload = 1;
  ev->filter_id = d->filter_id;
  ev->layer_id = d->layer_id;
  ev->direction = bfe_direction(type, a->dir);
  ev->is_loopback = (uint8_t)wl_sim_is_loopback(a);
  ev->origin = WL_ORIGIN_SIM;
}
