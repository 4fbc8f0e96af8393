/* arbitrate.c — WFP's filter arbitration over a filter set (the rules are in arbitrate.h). Used
 * by the sim's classify and by `enforce --dry-run`, so both decide with this code only.
 *
 * A set is four arrays, one per ALE auth layer, sorted once: sublayer weight descending, then
 * sublayer index, then filter weight descending, then filter id ascending (BFE's order of equal
 * weights is undocumented; lower id first is the sim's choice). Deciding walks one array, a
 * sublayer at a time, taking the first matching filter of each sublayer.
 */
#include <stdlib.h>
#include <string.h>

#include "common/wl_err.h"
#include "common/wl_text.h"
#include "engine/arbitrate.h"

#define ARB_LAYERS 4

typedef struct arb_ent {
  const wl_filter *f;
  uint16_t subl_weight;
  uint32_t subl_index;
} arb_ent;

struct wl_arb_set {
  size_t cap;
  size_t n[ARB_LAYERS];
  arb_ent *e[ARB_LAYERS];
};

static int layer_slot(uint16_t layer) {
  switch (layer) {
  case WL_LAYER_ALE_AUTH_RECV_ACCEPT_V4:
    return 0;
  case WL_LAYER_ALE_AUTH_RECV_ACCEPT_V6:
    return 1;
  case WL_LAYER_ALE_AUTH_CONNECT_V4:
    return 2;
  case WL_LAYER_ALE_AUTH_CONNECT_V6:
    return 3;
  }
  return -1;
}

int wl_arb_set_new(size_t cap, wl_arb_set **out) {
  wl_arb_set *s = calloc(1, sizeof *s);
  if (!s)
    return wl_err(WL_E_NOMEM, "arbitration: no memory for a filter set");
  s->cap = cap ? cap : 1;
  for (int k = 0; k < ARB_LAYERS; k++) {
    s->e[k] = malloc(s->cap * sizeof(arb_ent));
    if (!s->e[k]) {
      wl_arb_set_free(s);
      return wl_err(WL_E_NOMEM, "arbitration: no memory for a filter set");
    }
  }
  *out = s;
  return WL_OK;
}

void wl_arb_set_free(wl_arb_set *s) {
  if (!s)
    return;
  for (int k = 0; k < ARB_LAYERS; k++)
    free(s->e[k]);
  free(s);
}

int wl_arb_set_add(wl_arb_set *s, const wl_filter *f, uint16_t subl_weight, uint32_t subl_index) {
  int slot = layer_slot(f->layer_id);
  if (slot < 0 || (f->flags & WL_FILTER_DISABLED))
    return 0;
  if (s->n[slot] == s->cap)
    return 0; /* cannot happen when cap counts every filter added (the callers' contract) */
  arb_ent *x = &s->e[slot][s->n[slot]++];
  x->f = f;
  x->subl_weight = subl_weight;
  x->subl_index = subl_index;
  return 1;
}

static int ent_cmp(const void *pa, const void *pb) {
  const arb_ent *a = pa, *b = pb;
  if (a->subl_weight != b->subl_weight)
    return a->subl_weight > b->subl_weight ? -1 : 1;
  if (a->subl_index != b->subl_index)
    return a->subl_index < b->subl_index ? -1 : 1;
  if (a->f->effective_weight != b->f->effective_weight)
    return a->f->effective_weight > b->f->effective_weight ? -1 : 1;
  return a->f->id < b->f->id ? -1 : a->f->id > b->f->id;
}

void wl_arb_set_sort(wl_arb_set *s) {
  for (int k = 0; k < ARB_LAYERS; k++)
    qsort(s->e[k], s->n[k], sizeof(arb_ent), ent_cmp);
}

/* ---------------------------------------------------------------- matching */

typedef struct actx {
  const wl_arb_input *in;
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
  return c->match == WL_MATCH_RANGE ? port >= c->port_lo && port <= c->port_hi : port == c->port_lo;
}

static int cond_ok(const wl_filter *f, const wl_condition *c, const actx *x) {
  const wl_arb_input *a = x->in;
  const char *user = a->user ? a->user : "", *pkg = a->package ? a->package : "";
  switch (c->field) {
  case WL_FIELD_APP_ID:
    return a->app_id_len && a->app_id_len == f->app_id_len &&
           !memcmp(a->app_id, f->app_id, a->app_id_len);
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
  case WL_FIELD_USER: /* WFP: an access check of the token against an SD; here: SID equality */
    return user[0] && !wl_strncasecmp(user, f->user_sid, WL_SID_STR_MAX);
  case WL_FIELD_PACKAGE: /* an attempt outside an AppContainer has the NULL SID */
    return !wl_strncasecmp(pkg[0] ? pkg : WL_ARB_NULL_PACKAGE, f->package_sid, WL_SID_STR_MAX);
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

int wl_arb_is_loopback(uint8_t ip_version, const uint8_t local[16], const uint8_t remote[16]) {
  static const uint8_t v6_lo[16] = {[15] = 1};
  if (ip_version == 4)
    return remote[0] == 127 || local[0] == 127;
  return !memcmp(remote, v6_lo, 16) || !memcmp(local, v6_lo, 16);
}

uint16_t wl_arb_layer(uint8_t dir, uint8_t ip_version) {
  if (dir == WL_DIR_IN)
    return ip_version == 6 ? WL_LAYER_ALE_AUTH_RECV_ACCEPT_V6 : WL_LAYER_ALE_AUTH_RECV_ACCEPT_V4;
  return ip_version == 6 ? WL_LAYER_ALE_AUTH_CONNECT_V6 : WL_LAYER_ALE_AUTH_CONNECT_V4;
}

void wl_arb_decide(const wl_arb_set *s, const wl_arb_input *in, wl_arb_result *out) {
  /* Loopback of an AppContainer process carries FWP_CONDITION_FLAG_IS_APPCONTAINER_LOOPBACK as
   * well as IS_LOOPBACK (fwpmtypes.h; set here for any loopback attempt with a package). */
  uint32_t loop = wl_arb_is_loopback(in->ip_version, in->local_addr, in->remote_addr)
                      ? WL_COND_FLAG_IS_LOOPBACK
                      : 0;
  if (loop && in->package && in->package[0])
    loop |= WL_COND_FLAG_IS_APPCONTAINER_LOOPBACK;
  actx x = {in, loop};
  memset(out, 0, sizeof *out);
  out->layer_id = wl_arb_layer(in->dir, in->ip_version);
  out->action = WL_ACTION_PERMIT; /* the layer's default */
  int slot = layer_slot(out->layer_id);
  const arb_ent *e = s->e[slot];
  size_t n = s->n[slot], i = 0;
  while (i < n) {
    uint32_t subl = e[i].subl_index;
    const wl_filter *win = NULL;
    for (; i < n && e[i].subl_index == subl; i++)
      if (!win && filter_ok(e[i].f, &x))
        win = e[i].f; /* highest weight match decides this sublayer; skip the rest */
    if (!win)
      continue;
    if (win->action == WL_ACTION_BLOCK) { /* overrides a soft permit; final */
      out->action = WL_ACTION_BLOCK;
      out->filter = win;
      out->filter_id = win->id;
      out->matched = 1;
      out->hard = 0;
      return;
    }
    if (!out->matched) {
      out->matched = 1;
      out->filter = win;
      out->filter_id = win->id;
      out->hard = (win->flags & WL_FILTER_CLEAR_ACTION_RIGHT) != 0;
      if (out->hard)
        return; /* lower sublayers are evaluated by WFP but cannot change this */
    }
  }
}
