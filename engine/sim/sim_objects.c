/* sim_objects.c — providers, sublayers and filters of the simulated engine: add, get, delete,
 * enumerate, with the FwpmXxxAdd0/Delete0 rules that matter: keys are unique (WL_E_EXISTS),
 * references must exist, a persistent object cannot hang off a non-persistent one
 * (FWP_E_LIFETIME_MISMATCH) nor be added in a dynamic session, and an object still referenced
 * cannot be deleted (FWP_E_IN_USE). Objects of dead dynamic owners do not exist here.
 * Every call runs under the handle's mutex through wl_sim_eng_read / _write_begin / _end.
 */
#include <stdlib.h>
#include <string.h>

#include "common/wl_err.h"
#include "engine/sim/sim_internal.h"

static const wl_guid zero_guid;

static int is_zero(const wl_guid *g) { return wl_guid_eq(g, &zero_guid); }

static long live_prov(const wl_sim_state *s, const wl_guid *k) {
  long i = wl_sim_find_prov(s, k);
  return i >= 0 && wl_sim_owner_alive(&s->prov[i].own) ? i : -1;
}

static long live_subl(const wl_sim_state *s, const wl_guid *k) {
  long i = wl_sim_find_subl(s, k);
  return i >= 0 && wl_sim_owner_alive(&s->subl[i].own) ? i : -1;
}

static long live_filt(const wl_sim_state *s, const wl_guid *k) {
  long i = wl_sim_find_filt(s, k);
  return i >= 0 && wl_sim_owner_alive(&s->filt[i].own) ? i : -1;
}

static const char *gstr(const wl_guid *g, char buf[WL_GUID_STR_MAX]) {
  wl_guid_format(g, buf);
  return buf;
}

/* Run op(w, arg) as one change (inside the open transaction, or locked and saved). */
static int change(void *impl, int (*op)(wl_sim_engine *, wl_sim_state *, void *), void *arg) {
  wl_sim_engine *e = impl;
  wl_sim_state *w;
  wl_os_lock *lk;
  wl_mutex_lock(&e->mu);
  int rc = wl_sim_eng_write_begin(e, &w, &lk);
  if (rc == WL_OK)
    rc = wl_sim_eng_write_end(e, lk, op(e, w, arg));
  wl_mutex_unlock(&e->mu);
  return rc;
}

static int lifetime_ok(const wl_sim_engine *e, uint32_t persistent, const char *what) {
  if (persistent && (e->session_flags & WL_SESSION_DYNAMIC))
    return wl_err(WL_E_CONFLICT, "%s: persistent object in a dynamic session "
                  "(FWP_E_DYNAMIC_SESSION_IN_PROGRESS)", what);
  return WL_OK;
}

/* ---------------------------------------------------------------- providers */

static int op_prov_add(wl_sim_engine *e, wl_sim_state *w, void *arg) {
  wl_sim_prov p = {*(const wl_provider *)arg, wl_sim_eng_owner(e)};
  char g[WL_GUID_STR_MAX];
  int rc = lifetime_ok(e, p.p.flags & WL_OBJ_PERSISTENT, "provider add");
  if (rc != WL_OK)
    return rc;
  if (is_zero(&p.p.key))
    return wl_err(WL_E_INVAL, "provider add: the key is required");
  if (wl_sim_find_prov(w, &p.p.key) >= 0)
    return wl_err(WL_E_EXISTS, "provider %s already exists (FWP_E_ALREADY_EXISTS)",
                  gstr(&p.p.key, g));
  return wl_sim_state_add_prov(w, &p);
}

int wl_sim_provider_add(void *impl, const wl_provider *p) {
  if (!p)
    return wl_err(WL_E_INVAL, "provider add: NULL");
  return change(impl, op_prov_add, (void *)p);
}

int wl_sim_provider_get(void *impl, const wl_guid *key, wl_provider *out) {
  wl_sim_engine *e = impl;
  wl_sim_state *st;
  char g[WL_GUID_STR_MAX];
  wl_mutex_lock(&e->mu);
  int rc = wl_sim_eng_read(e, &st);
  long i = rc == WL_OK ? live_prov(st, key) : -1;
  if (i >= 0)
    *out = st->prov[i].p;
  else if (rc == WL_OK)
    rc = wl_err(WL_E_NOTFOUND, "provider %s not found (FWP_E_PROVIDER_NOT_FOUND)",
                gstr(key, g));
  wl_mutex_unlock(&e->mu);
  return rc;
}

static int op_prov_del(wl_sim_engine *e, wl_sim_state *w, void *arg) {
  const wl_guid *key = arg;
  char g[WL_GUID_STR_MAX];
  (void)e;
  long i = live_prov(w, key);
  if (i < 0)
    return wl_err(WL_E_NOTFOUND, "provider %s not found (FWP_E_PROVIDER_NOT_FOUND)",
                  gstr(key, g));
  for (size_t k = 0; k < w->nsubl; k++)
    if (wl_guid_eq(&w->subl[k].s.provider, key) && wl_sim_owner_alive(&w->subl[k].own))
      return wl_err(WL_E_CONFLICT, "provider %s: a sublayer uses it (FWP_E_IN_USE)",
                    gstr(key, g));
  for (size_t k = 0; k < w->nfilt; k++)
    if (wl_guid_eq(&w->filt[k].f.provider, key) && wl_sim_owner_alive(&w->filt[k].own))
      return wl_err(WL_E_CONFLICT, "provider %s: a filter uses it (FWP_E_IN_USE)",
                    gstr(key, g));
  w->prov[i] = w->prov[--w->nprov];
  return WL_OK;
}

int wl_sim_provider_delete(void *impl, const wl_guid *key) {
  if (!key)
    return wl_err(WL_E_INVAL, "provider delete: NULL key");
  return change(impl, op_prov_del, (void *)key);
}

/* ---------------------------------------------------------------- sublayers */

static int op_subl_add(wl_sim_engine *e, wl_sim_state *w, void *arg) {
  wl_sim_subl x = {*(const wl_sublayer *)arg, wl_sim_eng_owner(e)};
  char g[WL_GUID_STR_MAX];
  int persistent = (x.s.flags & WL_OBJ_PERSISTENT) != 0;
  int rc = lifetime_ok(e, persistent, "sublayer add");
  if (rc != WL_OK)
    return rc;
  if (is_zero(&x.s.key))
    return wl_err(WL_E_INVAL, "sublayer add: the key is required");
  if (wl_sim_find_subl(w, &x.s.key) >= 0)
    return wl_err(WL_E_EXISTS, "sublayer %s already exists (FWP_E_ALREADY_EXISTS)",
                  gstr(&x.s.key, g));
  if (!is_zero(&x.s.provider)) {
    long p = live_prov(w, &x.s.provider);
    if (p < 0)
      return wl_err(WL_E_NOTFOUND, "sublayer add: provider %s not found "
                    "(FWP_E_PROVIDER_NOT_FOUND)", gstr(&x.s.provider, g));
    if (persistent && !(w->prov[p].p.flags & WL_OBJ_PERSISTENT))
      return wl_err(WL_E_CONFLICT, "sublayer add: persistent sublayer of a non-persistent "
                    "provider (FWP_E_LIFETIME_MISMATCH)");
  }
  return wl_sim_state_add_subl(w, &x);
}

int wl_sim_sublayer_add(void *impl, const wl_sublayer *s) {
  if (!s)
    return wl_err(WL_E_INVAL, "sublayer add: NULL");
  return change(impl, op_subl_add, (void *)s);
}

int wl_sim_sublayer_get(void *impl, const wl_guid *key, wl_sublayer *out) {
  wl_sim_engine *e = impl;
  wl_sim_state *st;
  char g[WL_GUID_STR_MAX];
  wl_mutex_lock(&e->mu);
  int rc = wl_sim_eng_read(e, &st);
  long i = rc == WL_OK ? live_subl(st, key) : -1;
  if (i >= 0)
    *out = st->subl[i].s;
  else if (rc == WL_OK)
    rc = wl_err(WL_E_NOTFOUND, "sublayer %s not found (FWP_E_SUBLAYER_NOT_FOUND)",
                gstr(key, g));
  wl_mutex_unlock(&e->mu);
  return rc;
}

static int op_subl_del(wl_sim_engine *e, wl_sim_state *w, void *arg) {
  const wl_guid *key = arg;
  char g[WL_GUID_STR_MAX];
  (void)e;
  long i = live_subl(w, key);
  if (i < 0)
    return wl_err(WL_E_NOTFOUND, "sublayer %s not found (FWP_E_SUBLAYER_NOT_FOUND)",
                  gstr(key, g));
  for (size_t k = 0; k < w->nfilt; k++)
    if (wl_guid_eq(&w->filt[k].f.sublayer, key) && wl_sim_owner_alive(&w->filt[k].own))
      return wl_err(WL_E_CONFLICT, "sublayer %s: a filter uses it (FWP_E_IN_USE)",
                    gstr(key, g));
  w->subl[i] = w->subl[--w->nsubl];
  return WL_OK;
}

int wl_sim_sublayer_delete(void *impl, const wl_guid *key) {
  if (!key)
    return wl_err(WL_E_INVAL, "sublayer delete: NULL key");
  return change(impl, op_subl_del, (void *)key);
}

/* ---------------------------------------------------------------- filters */

static int op_filt_add(wl_sim_engine *e, wl_sim_state *w, void *arg) {
  static const wl_guid universal = WL_SIM_UNIVERSAL_SUBLAYER_KEY;
  wl_filter *f = arg;
  char g[WL_GUID_STR_MAX];
  wl_sim_filt *x = malloc(sizeof *x); /* ~4 KB */
  if (!x)
    return wl_err(WL_E_NOMEM, "filter add: no memory");
  x->f = *f;
  x->own = wl_sim_eng_owner(e);
  if (is_zero(&x->f.sublayer))
    x->f.sublayer = universal; /* FWPM_FILTER0.subLayerKey zero: the universal sublayer */
  int rc = wl_sim_filter_check(w, &x->f, (e->session_flags & WL_SESSION_DYNAMIC) != 0);
  if (rc == WL_OK && !is_zero(&x->f.key) && wl_sim_find_filt(w, &x->f.key) >= 0)
    rc = wl_err(WL_E_EXISTS, "filter %s already exists (FWP_E_ALREADY_EXISTS)",
                gstr(&x->f.key, g));
  if (rc == WL_OK) {
    if (is_zero(&x->f.key))
      wl_sim_new_guid(&x->f.key);
    x->f.id = w->next_id;
    x->f.effective_weight = wl_sim_effective_weight(&x->f);
    rc = wl_sim_state_add_filt(w, x);
  }
  if (rc == WL_OK) {
    w->next_id++;
    f->id = x->f.id;
    f->key = x->f.key;
    f->sublayer = x->f.sublayer;
    f->effective_weight = x->f.effective_weight;
  }
  free(x);
  return rc;
}

int wl_sim_filter_add(void *impl, wl_filter *f) {
  if (!f)
    return wl_err(WL_E_INVAL, "filter add: NULL");
  return change(impl, op_filt_add, f);
}

static int op_filt_del(wl_sim_engine *e, wl_sim_state *w, void *arg) {
  const wl_guid *key = arg;
  char g[WL_GUID_STR_MAX];
  (void)e;
  long i = live_filt(w, key);
  if (i < 0)
    return wl_err(WL_E_NOTFOUND, "filter %s not found (FWP_E_FILTER_NOT_FOUND)", gstr(key, g));
  memmove(&w->filt[i], &w->filt[i + 1], (w->nfilt - (size_t)i - 1) * sizeof *w->filt);
  w->nfilt--;
  return WL_OK;
}

int wl_sim_filter_delete(void *impl, const wl_guid *key) {
  if (!key)
    return wl_err(WL_E_INVAL, "filter delete: NULL key");
  return change(impl, op_filt_del, (void *)key);
}

/* Find a live filter by id (key NULL) or key and copy it out. */
static int filter_get(void *impl, uint64_t id, const wl_guid *key, wl_filter *out) {
  wl_sim_engine *e = impl;
  wl_sim_state *st;
  char g[WL_GUID_STR_MAX];
  if (!out)
    return wl_err(WL_E_INVAL, "filter get: NULL");
  wl_mutex_lock(&e->mu);
  int rc = wl_sim_eng_read(e, &st);
  long i = -1;
  for (size_t k = 0; rc == WL_OK && i < 0 && k < st->nfilt; k++)
    if ((key ? wl_guid_eq(&st->filt[k].f.key, key) : st->filt[k].f.id == id) &&
        wl_sim_owner_alive(&st->filt[k].own))
      i = (long)k;
  if (i >= 0)
    *out = st->filt[i].f;
  else if (rc == WL_OK && key)
    rc = wl_err(WL_E_NOTFOUND, "filter %s not found (FWP_E_FILTER_NOT_FOUND)", gstr(key, g));
  else if (rc == WL_OK)
    rc = wl_err(WL_E_NOTFOUND, "filter id %llu not found (FWP_E_FILTER_NOT_FOUND)",
                (unsigned long long)id);
  wl_mutex_unlock(&e->mu);
  return rc;
}

int wl_sim_filter_get_by_id(void *impl, uint64_t id, wl_filter *out) {
  return filter_get(impl, id, NULL, out);
}

int wl_sim_filter_get_by_key(void *impl, const wl_guid *key, wl_filter *out) {
  if (!key)
    return wl_err(WL_E_INVAL, "filter get: NULL key");
  return filter_get(impl, 0, key, out);
}

int wl_sim_filter_enum(void *impl, const wl_guid *provider, wl_filter **out, size_t *n) {
  wl_sim_engine *e = impl;
  wl_sim_state *st;
  if (!out || !n)
    return wl_err(WL_E_INVAL, "filter enum: NULL");
  *out = NULL;
  *n = 0;
  wl_mutex_lock(&e->mu);
  int rc = wl_sim_eng_read(e, &st);
  if (rc == WL_OK) {
    *out = malloc((st->nfilt ? st->nfilt : 1) * sizeof **out);
    if (!*out)
      rc = wl_err(WL_E_NOMEM, "filter enum: no memory for %u filters",
                  (unsigned)st->nfilt);
  }
  for (size_t k = 0; rc == WL_OK && k < st->nfilt; k++)
    if (wl_sim_owner_alive(&st->filt[k].own) &&
        (!provider || wl_guid_eq(&st->filt[k].f.provider, provider)))
      (*out)[(*n)++] = st->filt[k].f;
  wl_mutex_unlock(&e->mu);
  return rc;
}

/* ---------------------------------------------------------------- BFE restart */

static int cmp_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return x < y ? -1 : x > y;
}

/* BFE numbers its filters afresh when it starts: here every filter gets the run-time id that
 * the filter at the mirrored rank had (ids in use, sorted; rank i takes id n-1-i), so ids stay
 * in their range and most name another filter afterwards. next_id does not move. */
static int op_renumber(wl_sim_engine *e, wl_sim_state *w, void *arg) {
  (void)e;
  (void)arg;
  size_t n = w->nfilt;
  if (n < 2)
    return WL_OK;
  uint64_t *ids = malloc(n * sizeof *ids);
  if (!ids)
    return wl_err(WL_E_NOMEM, "sim restart: no memory");
  for (size_t i = 0; i < n; i++)
    ids[i] = w->filt[i].f.id;
  qsort(ids, n, sizeof *ids, cmp_u64);
  for (size_t i = 0; i < n; i++) {
    size_t lo = 0, hi = n; /* rank of this filter's id */
    while (lo < hi) {
      size_t mid = (lo + hi) / 2;
      if (ids[mid] < w->filt[i].f.id)
        lo = mid + 1;
      else
        hi = mid;
    }
    w->filt[i].f.id = ids[n - 1 - lo];
  }
  free(ids);
  return WL_OK;
}

int wl_sim_eng_bfe_restart(void *impl) {
  wl_sim_engine *e = impl;
  int rc = change(impl, op_renumber, NULL);
  if (rc == WL_OK)
    wl_sim_bus_restart(e->bus);
  return rc;
}
