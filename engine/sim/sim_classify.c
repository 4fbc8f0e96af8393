/* sim_classify.c — how the sim decides a connection attempt, and the net event it reports.
 *
 * Arbitration after "Filter Arbitration" (Microsoft Learn, WFP):
 *   - a layer's sublayers are evaluated in weight order, highest first, every one of them;
 *   - within a sublayer the matching filter with the highest weight decides that sublayer
 *     (disabled filters and filters of dead dynamic sessions do not exist);
 *   - across sublayers Block overrides Permit, and a Block is final;
 *   - a Permit that cleared the action right (FWPM_FILTER_FLAG_CLEAR_ACTION_RIGHT, a "hard
 *     permit") cannot be overridden by a Block in a lower-weight sublayer (only a callout veto
 *     could, and the sim has no callouts); a soft permit can;
 *   - nothing matched anywhere: the layer's default action, permit, with filter id 0.
 * Reported filter: the Block that won, else the Permit of the highest-weight sublayer that
 * permitted (the first writer of the action; a sim choice, WFP does not document it).
 *
 * Conditions: same field ORed, different fields ANDed. The view borrows the state it was built
 * from: rebuild it after the state changes or when wl_sim_view_stale says an owner died.
 */
#include <stdlib.h>
#include <string.h>

#include "common/wl_err.h"
#include "common/wl_os.h"
#include "engine/sim/sim_internal.h"

#define VIEW_MAX_PIDS 64 /* distinct dynamic owners watched; more just rebuild every time */

typedef struct vent {
  const wl_filter *f;
  uint16_t subl_weight;
  uint32_t subl_index;
} vent;

typedef struct vlayer {
  size_t n;
  vent *e; /* sorted: sublayer weight desc, sublayer, filter weight desc, id asc */
} vlayer;

struct wl_sim_view {
  vlayer layers[4];
  size_t npids;
  int overflow;
  uint32_t pids[VIEW_MAX_PIDS];
  uint8_t alive[VIEW_MAX_PIDS];
};

static int layer_slot(uint16_t layer) {
  switch (layer) {
  case WL_LAYER_ALE_AUTH_RECV_ACCEPT_V4: return 0;
  case WL_LAYER_ALE_AUTH_RECV_ACCEPT_V6: return 1;
  case WL_LAYER_ALE_AUTH_CONNECT_V4: return 2;
  case WL_LAYER_ALE_AUTH_CONNECT_V6: return 3;
  }
  return -1;
}

static int vent_cmp(const void *pa, const void *pb) {
  const vent *a = pa, *b = pb;
  if (a->subl_weight != b->subl_weight)
    return a->subl_weight > b->subl_weight ? -1 : 1;
  if (a->subl_index != b->subl_index)
    return a->subl_index < b->subl_index ? -1 : 1;
  if (a->f->effective_weight != b->f->effective_weight)
    return a->f->effective_weight > b->f->effective_weight ? -1 : 1;
  return a->f->id < b->f->id ? -1 : a->f->id > b->f->id;
}

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

static int view_add(wl_sim_view *v, const wl_sim_state *s, const wl_sim_filt *x) {
  int slot = layer_slot(x->f.layer_id), alive = wl_sim_owner_alive(&x->own);
  long si = wl_sim_find_subl(s, &x->f.sublayer);
  watch_pid(v, &x->own, alive);
  if (si >= 0)
    watch_pid(v, &s->subl[si].own, wl_sim_owner_alive(&s->subl[si].own));
  if (slot < 0 || !alive || si < 0 || !wl_sim_owner_alive(&s->subl[si].own) ||
      (x->f.flags & WL_FILTER_DISABLED))
    return 0;
  vlayer *l = &v->layers[slot];
  l->e[l->n].f = &x->f;
  l->e[l->n].subl_weight = s->subl[si].s.weight;
  l->e[l->n].subl_index = (uint32_t)si;
  l->n++;
  return 1;
}

int wl_sim_view_build(const wl_sim_state *s, wl_sim_view **out) {
  wl_sim_view *v = calloc(1, sizeof *v);
  if (!v)
    return wl_err(WL_E_NOMEM, "sim: no memory for the classification view");
  for (int k = 0; k < 4; k++) {
    v->layers[k].e = malloc((s->nfilt ? s->nfilt : 1) * sizeof(vent));
    if (!v->layers[k].e) {
      wl_sim_view_free(v);
      return wl_err(WL_E_NOMEM, "sim: no memory for the classification view");
    }
  }
  for (size_t i = 0; i < s->nfilt; i++)
    view_add(v, s, &s->filt[i]);
  for (int k = 0; k < 4; k++)
    qsort(v->layers[k].e, v->layers[k].n, sizeof(vent), vent_cmp);
  *out = v;
  return WL_OK;
}

void wl_sim_view_free(wl_sim_view *v) {
  if (!v)
    return;
  for (int k = 0; k < 4; k++)
    free(v->layers[k].e);
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

/* ---------------------------------------------------------------- matching */

typedef struct actx {
  const wl_attempt *a;
  const uint8_t *app;
  size_t app_len;
  uint32_t cflags; /* FWP_CONDITION_FLAG_* of this attempt */
} actx;

static int prefix_eq(const uint8_t *x, const uint8_t *y, unsigned bits) {
  unsigned whole = bits / 8, rest = bits % 8;
  if (memcmp(x, y, whole) != 0)
    return 0;
  if (!rest)
    return 1;
  uint8_t m = (uint8_t)(0xFF << (8 - rest));
  return (x[whole] & m) == (y[whole] & m);
}

static int port_ok(const wl_condition *c, uint16_t port) {
  return c->match == WL_MATCH_RANGE ? port >= c->port_lo && port <= c->port_hi
                                    : port == c->port_lo;
}

static int cond_ok(const wl_filter *f, const wl_condition *c, const actx *x) {
  const wl_attempt *a = x->a;
  switch (c->field) {
  case WL_FIELD_APP_ID:
    return x->app_len && x->app_len == f->app_id_len && !memcmp(x->app, f->app_id, x->app_len);
  case WL_FIELD_PROTOCOL:
    return a->proto == c->proto;
  case WL_FIELD_LOCAL_PORT:
    return port_ok(c, a->local_port);
  case WL_FIELD_REMOTE_PORT:
    return port_ok(c, a->remote_port);
  case WL_FIELD_REMOTE_ADDR:
    return c->ip_version == a->ip_version && prefix_eq(a->remote_addr, c->addr, c->prefix_len);
  case WL_FIELD_LOCAL_ADDR:
    return c->ip_version == a->ip_version && prefix_eq(a->local_addr, c->addr, c->prefix_len);
  case WL_FIELD_USER: /* WFP: an access check of the token against an SD; sim: SID equality */
    return a->user[0] && !wl_strncasecmp(a->user, f->user_sid, WL_SID_STR_MAX);
  case WL_FIELD_PACKAGE: /* an attempt outside an AppContainer has the NULL SID (sim.h) */
    return !wl_strncasecmp(a->package[0] ? a->package : WL_SIM_NULL_PACKAGE, f->package_sid,
                           WL_SID_STR_MAX);
  case WL_FIELD_FLAGS:
    return (x->cflags & c->flags) != 0;
  }
  return 0;
}

static int filter_ok(const wl_filter *f, const actx *x) {
  uint32_t present = 0, matched = 0;
  for (uint32_t i = 0; i < f->num_conds; i++) {
    uint32_t bit = 1u << f->conds[i].field;
    present |= bit;
    if (!(matched & bit) && cond_ok(f, &f->conds[i], x))
      matched |= bit;
  }
  return present == matched;
}

int wl_sim_is_loopback(const wl_attempt *a) {
  static const uint8_t v6_lo[16] = {[15] = 1};
  if (a->ip_version == 4)
    return a->remote_addr[0] == 127 || a->local_addr[0] == 127;
  return !memcmp(a->remote_addr, v6_lo, 16) || !memcmp(a->local_addr, v6_lo, 16);
}

static uint16_t attempt_layer(const wl_attempt *a) {
  if (a->dir == WL_DIR_IN)
    return a->ip_version == 6 ? WL_LAYER_ALE_AUTH_RECV_ACCEPT_V6 : WL_LAYER_ALE_AUTH_RECV_ACCEPT_V4;
  return a->ip_version == 6 ? WL_LAYER_ALE_AUTH_CONNECT_V6 : WL_LAYER_ALE_AUTH_CONNECT_V4;
}

void wl_sim_arbitrate(const wl_sim_view *v, const wl_attempt *a, const uint8_t *app_id,
                      size_t app_id_len, wl_decision *out) {
  /* Loopback of an AppContainer process carries FWP_CONDITION_FLAG_IS_APPCONTAINER_LOOPBACK as
   * well as IS_LOOPBACK (fwpmtypes.h; the sim sets it for any loopback attempt with a package). */
  uint32_t loop = wl_sim_is_loopback(a) ? WL_COND_FLAG_IS_LOOPBACK : 0;
  if (loop && a->package[0])
    loop |= WL_COND_FLAG_IS_APPCONTAINER_LOOPBACK;
  actx x = {a, app_id, app_id_len, loop};
  memset(out, 0, sizeof *out);
  out->layer_id = attempt_layer(a);
  out->action = WL_ACTION_PERMIT; /* the layer's default */
  const vlayer *l = &v->layers[layer_slot(out->layer_id)];
  size_t i = 0;
  while (i < l->n) {
    uint32_t subl = l->e[i].subl_index;
    const wl_filter *win = NULL;
    for (; i < l->n && l->e[i].subl_index == subl; i++)
      if (!win && filter_ok(l->e[i].f, &x))
        win = l->e[i].f; /* highest weight match decides this sublayer; skip the rest */
    if (!win)
      continue;
    if (win->action == WL_ACTION_BLOCK) { /* overrides a soft permit; final */
      out->action = WL_ACTION_BLOCK;
      out->filter_id = win->id;
      out->matched = 1;
      out->hard = 0;
      return;
    }
    if (!out->matched) {
      out->matched = 1;
      out->filter_id = win->id;
      out->hard = (win->flags & WL_FILTER_CLEAR_ACTION_RIGHT) != 0;
      if (out->hard)
        return; /* lower sublayers are evaluated by WFP but cannot change this */
    }
  }
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
