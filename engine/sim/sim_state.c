/* sim_state.c — the simulated BFE's object store and its state file.
 *
 * The model is three growable arrays (providers, sublayers, filters, each bounded by
 * WL_SIM_MAX_OBJECTS) plus the engine options and the drive map. The state file is what BFE's
 * persistent store is to Windows, and also what BFE's memory is to the other processes: every
 * process with a "sim:FILE" engine reads it, so dynamic objects are kept in it too, tagged with
 * their owner (pid, session) and ignored once that owner is gone.
 * The file format is in sim_store.c.
 */
#include <stdlib.h>
#include <string.h>

#include "common/wl_err.h"
#include "common/wl_os.h"
#include "engine/sim/sim_internal.h"

void wl_sim_state_init(wl_sim_state *s) { memset(s, 0, sizeof *s); }

void wl_sim_state_free(wl_sim_state *s) {
  if (!s)
    return;
  free(s->prov);
  free(s->subl);
  free(s->filt);
  free(s->files);
  free(s->signers);
  wl_sim_state_init(s);
}

/* Grow an array to hold one more element of `size` bytes, bounded. */
static int grow(void **arr, size_t *cap, size_t n, size_t size, const char *what) {
  if (n < *cap)
    return WL_OK;
  if (n >= WL_SIM_MAX_OBJECTS)
    return wl_err(WL_E_FULL, "sim: more than %u %s", WL_SIM_MAX_OBJECTS, what);
  size_t nc = *cap ? *cap * 2 : 16;
  if (nc > WL_SIM_MAX_OBJECTS)
    nc = WL_SIM_MAX_OBJECTS;
  void *p = realloc(*arr, nc * size);
  if (!p)
    return wl_err(WL_E_NOMEM, "sim: no memory for %u %s", (unsigned)nc, what);
  *arr = p;
  *cap = nc;
  return WL_OK;
}

int wl_sim_state_add_prov(wl_sim_state *s, const wl_sim_prov *p) {
  int rc = grow((void **)&s->prov, &s->cprov, s->nprov, sizeof *p, "providers");
  if (rc == WL_OK)
    s->prov[s->nprov++] = *p;
  return rc;
}

int wl_sim_state_add_subl(wl_sim_state *s, const wl_sim_subl *x) {
  int rc = grow((void **)&s->subl, &s->csubl, s->nsubl, sizeof *x, "sublayers");
  if (rc == WL_OK)
    s->subl[s->nsubl++] = *x;
  return rc;
}

int wl_sim_state_add_filt(wl_sim_state *s, const wl_sim_filt *f) {
  int rc = grow((void **)&s->filt, &s->cfilt, s->nfilt, sizeof *f, "filters");
  if (rc == WL_OK)
    s->filt[s->nfilt++] = *f;
  return rc;
}

static void *dup_array(const void *src, size_t n, size_t size) {
  if (n == 0)
    return NULL;
  void *p = malloc(n * size);
  if (p)
    memcpy(p, src, n * size);
  return p;
}

int wl_sim_state_copy(wl_sim_state *dst, const wl_sim_state *src) {
  *dst = *src;
  dst->prov = dup_array(src->prov, src->nprov, sizeof *src->prov);
  dst->subl = dup_array(src->subl, src->nsubl, sizeof *src->subl);
  dst->filt = dup_array(src->filt, src->nfilt, sizeof *src->filt);
  dst->files = dup_array(src->files, src->files_len, 1);
  dst->files_cap = src->files_len;
  dst->signers = dup_array(src->signers, src->signers_len, 1);
  dst->signers_cap = src->signers_len;
  dst->cprov = src->nprov;
  dst->csubl = src->nsubl;
  dst->cfilt = src->nfilt;
  if ((src->nprov && !dst->prov) || (src->nsubl && !dst->subl) || (src->nfilt && !dst->filt) ||
      (src->files_len && !dst->files) || (src->signers_len && !dst->signers)) {
    wl_sim_state_free(dst);
    return wl_err(WL_E_NOMEM, "sim: no memory to copy the state");
  }
  return WL_OK;
}

long wl_sim_find_prov(const wl_sim_state *s, const wl_guid *key) {
  for (size_t i = 0; i < s->nprov; i++)
    if (wl_guid_eq(&s->prov[i].p.key, key))
      return (long)i;
  return -1;
}

long wl_sim_find_subl(const wl_sim_state *s, const wl_guid *key) {
  for (size_t i = 0; i < s->nsubl; i++)
    if (wl_guid_eq(&s->subl[i].s.key, key))
      return (long)i;
  return -1;
}

long wl_sim_find_filt(const wl_sim_state *s, const wl_guid *key) {
  for (size_t i = 0; i < s->nfilt; i++)
    if (wl_guid_eq(&s->filt[i].f.key, key))
      return (long)i;
  return -1;
}

int wl_sim_owner_alive(const wl_sim_owner *o) {
  return o->session == 0 || wl_os_pid_alive(o->pid);
}

static int owner_gone(const wl_sim_owner *o, uint64_t session) {
  return (session != 0 && o->session == session) || !wl_sim_owner_alive(o);
}

size_t wl_sim_state_purge(wl_sim_state *s, uint64_t session) {
  size_t removed = 0, j = 0;
  for (size_t i = 0; i < s->nfilt; i++)
    if (owner_gone(&s->filt[i].own, session))
      removed++;
    else
      s->filt[j++] = s->filt[i];
  s->nfilt = j;
  j = 0;
  for (size_t i = 0; i < s->nsubl; i++)
    if (owner_gone(&s->subl[i].own, session))
      removed++;
    else
      s->subl[j++] = s->subl[i];
  s->nsubl = j;
  j = 0;
  for (size_t i = 0; i < s->nprov; i++)
    if (owner_gone(&s->prov[i].own, session))
      removed++;
    else
      s->prov[j++] = s->prov[i];
  s->nprov = j;
  return removed;
}

/* ---------------------------------------------------------------- baseline */

static void base_filter(wl_sim_state *s, uint64_t id, uint16_t layer, uint32_t action,
                        uint64_t weight, const char *name, int loopback) {
  static const wl_guid prov = WL_SIM_WF_PROVIDER_KEY, wf = WL_SIM_WF_SUBLAYER_KEY,
                       wsh = WL_SIM_WSH_SUBLAYER_KEY;
  const int isolation = id == WL_SIM_ID_WSH_APPCONTAINER_V4 || id == WL_SIM_ID_WSH_APPCONTAINER_V6;
  /* The key is derived from the id so it is the same in every state file. */
  static const wl_guid ns = {0x5f0c7a1e, 0x51a0, 0x4c3e, {0x9b, 0x1d, 0x77, 0x2e, 0x1f, 0x00, 0x65, 0x01}};
  wl_sim_filt f;
  memset(&f, 0, sizeof f);
  wl_guid_from_name(&ns, &id, sizeof id, &f.f.key);
  f.f.id = id;
  wl_strlcpy(f.f.name, name, sizeof f.f.name);
  wl_strlcpy(f.f.description, "baseline policy of the simulated engine", sizeof f.f.description);
  f.f.provider = prov;
  f.f.sublayer = isolation ? wsh : wf;
  f.f.layer_id = layer;
  f.f.action = action;
  f.f.flags = WL_FILTER_PERSISTENT;
  f.f.weight_type = WL_WEIGHT_EXACT;
  f.f.weight = weight;
  f.f.effective_weight = weight;
  if (loopback) {
    f.f.num_conds = 1;
    f.f.conds[0].field = WL_FIELD_FLAGS;
    f.f.conds[0].match = WL_MATCH_FLAGS_ANY_SET;
    f.f.conds[0].flags = WL_COND_FLAG_IS_LOOPBACK;
  }
  if (isolation) {
    f.f.num_conds = 1;
    f.f.conds[0].field = WL_FIELD_PACKAGE;
    f.f.conds[0].match = WL_MATCH_EQUAL;
    wl_strlcpy(f.f.package_sid, WL_SIM_ISOLATED_PACKAGE, sizeof f.f.package_sid);
  }
  (void)wl_sim_state_add_filt(s, &f); /* s starts empty: capacity 16 is never exceeded */
}

static void base_objects(wl_sim_state *s) {
  static const wl_guid prov = WL_SIM_WF_PROVIDER_KEY, subl = WL_SIM_WF_SUBLAYER_KEY,
                       wsh = WL_SIM_WSH_SUBLAYER_KEY, univ = WL_SIM_UNIVERSAL_SUBLAYER_KEY;
  wl_sim_prov p;
  wl_sim_subl x;
  memset(&p, 0, sizeof p);
  p.p.key = prov;
  wl_strlcpy(p.p.name, WL_SIM_WF_PROVIDER_NAME, sizeof p.p.name);
  wl_strlcpy(p.p.description, "baseline firewall policy of the simulated engine",
             sizeof p.p.description);
  p.p.flags = WL_OBJ_PERSISTENT;
  (void)wl_sim_state_add_prov(s, &p);
  memset(&x, 0, sizeof x);
  x.s.key = subl;
  wl_strlcpy(x.s.name, "Windows Firewall (simulated)", sizeof x.s.name);
  x.s.provider = prov;
  x.s.flags = WL_OBJ_PERSISTENT;
  x.s.weight = WL_SIM_WF_SUBLAYER_WEIGHT;
  (void)wl_sim_state_add_subl(s, &x);
  memset(&x, 0, sizeof x);
  x.s.key = wsh;
  wl_strlcpy(x.s.name, "Windows Service Hardening (simulated)", sizeof x.s.name);
  x.s.provider = prov;
  x.s.flags = WL_OBJ_PERSISTENT;
  x.s.weight = WL_SIM_WSH_SUBLAYER_WEIGHT;
  (void)wl_sim_state_add_subl(s, &x);
  memset(&x, 0, sizeof x);
  x.s.key = univ;
  wl_strlcpy(x.s.name, "Universal sublayer (simulated)", sizeof x.s.name);
  x.s.flags = WL_OBJ_PERSISTENT;
  x.s.weight = WL_SIM_UNIVERSAL_SUBLAYER_WEIGHT;
  (void)wl_sim_state_add_subl(s, &x);
}

void wl_sim_state_baseline(wl_sim_state *s, uint64_t nonce) {
  base_objects(s);
  /* Loopback permits outweigh the default block in the same sublayer. */
  base_filter(s, WL_SIM_ID_IN_BLOCK_V4, WL_LAYER_ALE_AUTH_RECV_ACCEPT_V4, WL_ACTION_BLOCK, 1,
              "Windows Firewall: default inbound block (IPv4)", 0);
  base_filter(s, WL_SIM_ID_IN_BLOCK_V6, WL_LAYER_ALE_AUTH_RECV_ACCEPT_V6, WL_ACTION_BLOCK, 1,
              "Windows Firewall: default inbound block (IPv6)", 0);
  base_filter(s, WL_SIM_ID_OUT_ALLOW_V4, WL_LAYER_ALE_AUTH_CONNECT_V4, WL_ACTION_PERMIT, 1,
              "Windows Firewall: default outbound allow (IPv4)", 0);
  base_filter(s, WL_SIM_ID_OUT_ALLOW_V6, WL_LAYER_ALE_AUTH_CONNECT_V6, WL_ACTION_PERMIT, 1,
              "Windows Firewall: default outbound allow (IPv6)", 0);
  base_filter(s, WL_SIM_ID_IN_LOOPBACK_V4, WL_LAYER_ALE_AUTH_RECV_ACCEPT_V4, WL_ACTION_PERMIT,
              2, "Windows Firewall: inbound loopback permit (IPv4)", 1);
  base_filter(s, WL_SIM_ID_IN_LOOPBACK_V6, WL_LAYER_ALE_AUTH_RECV_ACCEPT_V6, WL_ACTION_PERMIT,
              2, "Windows Firewall: inbound loopback permit (IPv6)", 1);
  base_filter(s, WL_SIM_ID_WSH_APPCONTAINER_V4, WL_LAYER_ALE_AUTH_CONNECT_V4, WL_ACTION_BLOCK, 1,
              "Windows Service Hardening: AppContainer block (IPv4)", 0);
  base_filter(s, WL_SIM_ID_WSH_APPCONTAINER_V6, WL_LAYER_ALE_AUTH_CONNECT_V6, WL_ACTION_BLOCK, 1,
              "Windows Service Hardening: AppContainer block (IPv6)", 0);
  s->nonce = nonce;
  s->generation = 0;
  s->next_id = WL_SIM_FIRST_FILTER_ID;
  s->collect = 1; /* like current Windows: collection on, keywords 0 (drops only) */
  s->keywords = 0;
  s->kw_supported = WL_SIM_KW_SUPPORTED_DEFAULT;
  s->ndrives = wl_sim_default_drives(s->drives);
  /* The files of Windows itself that wfplearn names (the DNS client's host, enforce.c). Out of
   * memory here leaves them out: app ids of them then fail, loudly. */
  wl_sim_file_set(s, WL_SIM_SVCHOST, 1);
}
