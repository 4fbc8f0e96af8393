/* filters.c — a rule becomes FWPM_FILTER0s (as wl_filter): which layers, which conditions,
 * which key; and the app id and SIDs a rule is resolved to.
 *
 * Every permit is a hard permit in wfplearn's sublayer. Why hard (FWPM_FILTER_FLAG_CLEAR_
 * ACTION_RIGHT): WFP evaluates every sublayer of a layer, highest weight first, and a block
 * from any sublayer overrides a soft permit from a higher one. Windows Firewall's sublayer blocks
 * unsolicited inbound by default, so a soft permit of ours for an inbound rule would lose to it;
 * clearing the action right makes our permit final for lower sublayers (only a callout veto can
 * override it). Our own default block (enforce.c) lives in the same sublayer at the lowest
 * weight, so inside the sublayer a matching permit is picked first and the block never sees
 * the connection.
 *
 * Keys are RFC 4122 v5 GUIDs of the rule's identity plus the layer (wl_guid_from_name), so the
 * same rule always has the same filter keys: promoting twice adds nothing, and verify finds a
 * rule's filters without any side table.
 *
 * Filters are written by key with the adopt-or-replace rule: keys are derived from what a filter
 * does, so a key already present is usually our own earlier filter (a promote whose store commit
 * failed, a second promote, a confirm retried). Identical → adopted, nothing added; different →
 * replaced. Rule rows list their keys as text ("{GUID},{GUID}"), formatted and parsed here.
 */
#include <stdlib.h>
#include <string.h>

#include "common/wl_err.h"
#include "event/paths.h"
#include "engine/keys.h"
#include "whitelist/apply.h"
#include "whitelist/whitelist_int.h"

/* The DOS form of an app path: as is, or through the engine's drive map for an NT path. */
static int dos_path_of(wl_engine *e, const char *app, char *dos, size_t cap) {
  if (!wl_is_nt_path(app)) {
    wl_strlcpy(dos, app, cap);
    return WL_OK;
  }
  wl_drive drives[26];
  size_t n = 0;
  int rc = wl_engine_drive_map(e, drives, 26, &n);
  if (rc)
    return rc;
  wl_path_map m;
  wl_path_map_init(&m);
  for (size_t i = 0; i < n; i++)
    wl_path_map_add(&m, drives[i].letter, drives[i].device);
  rc = wl_path_to_dos(&m, app, dos, cap);
  if (rc < 0)
    return rc;
  if (rc == 0)
    return wl_err(WL_E_NOTFOUND, "app %s: its volume has no drive letter, so it has no app id",
                  app);
  return WL_OK;
}

static int rule_app_id(wl_engine *e, const wl_rule *r, uint8_t *blob, size_t cap, size_t *len) {
  char dos[WL_PATH_MAX];
  int rc = dos_path_of(e, r->app[0] ? r->app : r->app_nt, dos, sizeof dos);
  if (!rc)
    rc = wl_engine_app_id(e, dos, blob, cap, len);
  return rc ? wl_err_prefix(rc, "rule for %s", r->app[0] ? r->app : r->app_nt) : WL_OK;
}

/* ---------------------------------------------------------------- SIDs from the evidence */

typedef struct sid_state {
  int user_state, pkg_state; /* 0 none seen, 1 one value, 2 mixed or missing */
  char user[WL_SID_STR_MAX], pkg[WL_SID_STR_MAX];
} sid_state;

typedef struct sid_scan {
  const wl_rule *rules;
  sid_state *st;
  size_t n;
} sid_scan;

static void sid_see(int *state, char *kept, const char *v) {
  if (*state == 2)
    return;
  if (!v[0] || (*state == 1 && strcmp(kept, v) != 0)) {
    *state = 2;
    return;
  }
  if (*state == 0)
    wl_strlcpy(kept, v, WL_SID_STR_MAX);
  *state = 1;
}

static int sid_cb(void *ctx, const wl_event *ev) {
  sid_scan *sc = ctx;
  for (size_t i = 0; i < sc->n; i++) {
    const wl_rule *r = &sc->rules[i];
    if (ev->dir != r->dir || (!r->app[0] && !r->app_nt[0]) ||
        !wl_rule_app_matches(r, ev->app, ev->app_dos))
      continue;
    sid_see(&sc->st[i].user_state, sc->st[i].user, ev->user);
    sid_see(&sc->st[i].pkg_state, sc->st[i].pkg, ev->package);
  }
  return 0;
}

int wl_rules_sids(wl_store *s, wl_rule *rules, size_t n) {
  sid_scan sc = {rules, calloc(n ? n : 1, sizeof(sid_state)), n};
  if (!sc.st)
    return wl_err(WL_E_NOMEM, "rules: out of memory");
  int rc = n ? wl_store_events(s, 0, 0, sid_cb, &sc) : WL_OK;
  for (size_t i = 0; !rc && i < n; i++) {
    if (sc.st[i].user_state == 1 && !rules[i].user[0])
      wl_strlcpy(rules[i].user, sc.st[i].user, sizeof rules[i].user);
    /* Windows reports S-1-0-0 for an app outside an AppContainer: that is "no package" */
    if (sc.st[i].pkg_state == 1 && !rules[i].package[0] &&
        strcmp(sc.st[i].pkg, WL_PACKAGE_NONE) != 0)
      wl_strlcpy(rules[i].package, sc.st[i].pkg, sizeof rules[i].package);
  }
  free(sc.st);
  return rc;
}

int wl_rule_resolve(wl_engine *e, wl_store *s, wl_rule *r) {
  if (!r->app[0] && !r->app_nt[0])
    return WL_OK; /* any app: nothing to resolve, and SIDs of "no app" mean nothing */
  uint8_t blob[WL_APP_ID_MAX];
  size_t len = 0;
  char dos[WL_PATH_MAX];
  int rc = dos_path_of(e, r->app[0] ? r->app : r->app_nt, dos, sizeof dos);
  if (!rc)
    rc = wl_engine_app_id(e, dos, blob, sizeof blob, &len);
  if (rc)
    return wl_err_prefix(rc, "rule for %s", r->app[0] ? r->app : r->app_nt);
  wl_strlcpy(r->app, dos, sizeof r->app);
  wl_utf16le_to_utf8(blob, len, r->app_nt, sizeof r->app_nt);
  return s ? wl_rules_sids(s, r, 1) : WL_OK;
}

/* ---------------------------------------------------------------- building */

wl_condition *wl_cond_add(wl_filter *f, uint8_t field, uint8_t match) {
  wl_condition *c = &f->conds[f->num_conds++];
  memset(c, 0, sizeof *c);
  c->field = field;
  c->match = match;
  return c;
}

void wl_cond_port(wl_filter *f, uint8_t field, uint16_t lo, uint16_t hi) {
  wl_condition *c = wl_cond_add(f, field, lo == hi ? WL_MATCH_EQUAL : WL_MATCH_RANGE);
  c->port_lo = lo;
  c->port_hi = hi;
}

static void rule_name(const wl_rule *r, char *buf, size_t cap) {
  char ports[64];
  const char *app = r->app[0] ? wl_path_basename(r->app) : "any app";
  wl_ports_format(r->ports, r->n_ports, ports, sizeof ports);
  if (r->proto >= 0)
    snprintf(buf, cap, "wfplearn rule: %s %s proto %d%s%s", app,
             r->dir == WL_DIR_IN ? "in" : "out", (int)r->proto, r->n_ports ? " port " : "",
             ports);
  else
    snprintf(buf, cap, "wfplearn rule: %s %s%s%s", app, r->dir == WL_DIR_IN ? "in" : "out",
             r->n_ports ? " port " : "", ports);
}

/* Conditions of r for one IP version; same-field conditions are ORed by WFP. */
static void rule_conds(const wl_rule *r, int ipv, const uint8_t *blob, size_t blob_len,
                       wl_filter *f) {
  if (blob_len && !r->package[0]) { /* a package rule matches by package, not by path */
    wl_cond_add(f, WL_FIELD_APP_ID, WL_MATCH_EQUAL);
    memcpy(f->app_id, blob, blob_len);
    f->app_id_len = (uint32_t)blob_len;
  }
  if (r->proto >= 0)
    wl_cond_add(f, WL_FIELD_PROTOCOL, WL_MATCH_EQUAL)->proto = (uint8_t)r->proto;
  for (uint32_t i = 0; i < r->n_ports; i++)
    wl_cond_port(f, r->dir == WL_DIR_IN ? WL_FIELD_LOCAL_PORT : WL_FIELD_REMOTE_PORT,
                 r->ports[i].lo, r->ports[i].hi);
  for (uint32_t i = 0; i < r->n_remotes; i++) {
    if (r->remotes[i].ip_version != ipv)
      continue; /* a v4 prefix only on the v4 layer */
    wl_condition *c = wl_cond_add(f, WL_FIELD_REMOTE_ADDR, WL_MATCH_EQUAL);
    c->ip_version = (uint8_t)ipv;
    c->prefix_len = r->remotes[i].len;
    memcpy(c->addr, r->remotes[i].addr, 16);
  }
  if (r->user[0]) {
    wl_cond_add(f, WL_FIELD_USER, WL_MATCH_EQUAL);
    wl_strlcpy(f->user_sid, r->user, sizeof f->user_sid);
  }
  /* Not for a package: never for an AppContainer either (WL_PACKAGE_NONE, apply.h). */
  wl_cond_add(f, WL_FIELD_PACKAGE, WL_MATCH_EQUAL);
  wl_strlcpy(f->package_sid, r->package[0] ? r->package : WL_PACKAGE_NONE, sizeof f->package_sid);
}

/* The filters of r's own path (or package). */
static int path_filters(wl_engine *e, const wl_rule *r, wl_filter *out, size_t cap, size_t *n) {
  uint8_t blob[WL_APP_ID_MAX];
  size_t blob_len = 0;
  *n = 0;
  if ((r->app[0] || r->app_nt[0]) && !r->package[0]) {
    int rc = rule_app_id(e, r, blob, sizeof blob, &blob_len);
    if (rc)
      return rc;
  }
  int want[2] = {r->n_remotes == 0, r->n_remotes == 0}; /* [0] v4, [1] v6 */
  for (uint32_t i = 0; i < r->n_remotes; i++)
    want[r->remotes[i].ip_version == 6] = 1;
  static const wl_guid ns = WL_FILTER_NS_INIT;
  char ident[WL_RULE_IDENTITY_MAX];
  size_t ilen = wl_rule_identity(r, ident, sizeof ident - 16);
  for (int v = 0; v < 2; v++) {
    if (!want[v])
      continue;
    if (*n == cap)
      return wl_err(WL_E_TOOBIG, "rule %lld: more than %u filters", (long long)r->id,
                    (unsigned)cap);
    wl_filter *f = &out[(*n)++];
    memset(f, 0, sizeof *f);
    f->layer_id = r->dir == WL_DIR_IN
                      ? (v ? WL_LAYER_ALE_AUTH_RECV_ACCEPT_V6 : WL_LAYER_ALE_AUTH_RECV_ACCEPT_V4)
                      : (v ? WL_LAYER_ALE_AUTH_CONNECT_V6 : WL_LAYER_ALE_AUTH_CONNECT_V4);
    int kl = snprintf(ident + ilen, sizeof ident - ilen, "|layer=%u", (unsigned)f->layer_id);
    wl_guid_from_name(&ns, ident, ilen + (size_t)kl, &f->key);
    rule_name(r, f->name, sizeof f->name);
    wl_strlcpy(f->description, ident, sizeof f->description);
    f->provider = wl_provider_key();
    f->sublayer = wl_sublayer_key();
    f->action = WL_ACTION_PERMIT;
    f->flags = WL_FILTER_PERSISTENT | WL_FILTER_CLEAR_ACTION_RIGHT; /* hard: see the top */
    f->weight_type = WL_WEIGHT_EXACT;
    f->weight = WL_WEIGHT_RULE;
    rule_conds(r, v ? 6 : 4, blob, blob_len, f);
    ident[ilen] = 0;
  }
  return WL_OK;
}

/* A re-bound rule (whitelist/rebind.h) also keeps its previous path's filters while that
 * binary exists: the same rule on prev_app, so their keys are the ones the rule had before.
 * When its app id cannot be had (the file is gone: "unused"), they are left out, and verify
 * --repair or the next promote deletes them. */
int wl_rule_filters(wl_engine *e, const wl_rule *r, wl_filter *out, size_t cap, size_t *n) {
  int rc = path_filters(e, r, out, cap, n);
  if (rc || (!r->prev_app[0] && !r->prev_app_nt[0]) || r->package[0])
    return rc;
  wl_rule *prev = malloc(sizeof *prev);
  if (!prev)
    return wl_err(WL_E_NOMEM, "rule filters: out of memory");
  *prev = *r;
  wl_strlcpy(prev->app, r->prev_app, sizeof prev->app);
  wl_strlcpy(prev->app_nt, r->prev_app_nt, sizeof prev->app_nt);
  prev->prev_app[0] = prev->prev_app_nt[0] = 0;
  size_t k = 0;
  rc = path_filters(e, prev, out + *n, cap - *n, &k);
  if (rc == WL_E_NOTFOUND) { /* the previous binary is gone: its filters are not wanted */
    wl_err_clear();
    rc = WL_OK;
    k = 0;
  }
  *n += k;
  free(prev);
  return rc;
}

/* ---------------------------------------------------------------- comparing */

static int cond_eq(const wl_condition *a, const wl_condition *b) {
  if (a->field != b->field || a->match != b->match)
    return 0;
  switch (a->field) {
  case WL_FIELD_PROTOCOL: return a->proto == b->proto;
  case WL_FIELD_LOCAL_PORT:
  case WL_FIELD_REMOTE_PORT:
    return a->port_lo == b->port_lo &&
           (a->match != WL_MATCH_RANGE || a->port_hi == b->port_hi);
  case WL_FIELD_LOCAL_ADDR:
  case WL_FIELD_REMOTE_ADDR:
    return a->ip_version == b->ip_version && a->prefix_len == b->prefix_len &&
           memcmp(a->addr, b->addr, a->ip_version == 4 ? 4 : 16) == 0;
  case WL_FIELD_FLAGS: return a->flags == b->flags;
  default: return 1; /* APP_ID, USER, PACKAGE: values live in the filter */
  }
}

/* Conditions as multisets: an engine may return them in another order. */
static int conds_same(const wl_filter *a, const wl_filter *b) {
  uint8_t used[WL_FILTER_MAX_CONDS] = {0};
  if (a->num_conds != b->num_conds || a->num_conds > WL_FILTER_MAX_CONDS)
    return 0;
  for (uint32_t i = 0; i < a->num_conds; i++) {
    uint32_t j = 0;
    while (j < b->num_conds && (used[j] || !cond_eq(&a->conds[i], &b->conds[j])))
      j++;
    if (j == b->num_conds)
      return 0;
    used[j] = 1;
  }
  return 1;
}

int wl_filter_same(const wl_filter *a, const wl_filter *b) {
  const uint32_t flag_mask = WL_FILTER_PERSISTENT | WL_FILTER_BOOTTIME |
                             WL_FILTER_CLEAR_ACTION_RIGHT | WL_FILTER_DISABLED;
  return a->layer_id == b->layer_id && a->action == b->action &&
         (a->flags & flag_mask) == (b->flags & flag_mask) && a->weight_type == b->weight_type &&
         (a->weight_type == WL_WEIGHT_AUTO || a->weight == b->weight) &&
         wl_guid_eq(&a->provider, &b->provider) && wl_guid_eq(&a->sublayer, &b->sublayer) &&
         a->app_id_len == b->app_id_len && a->app_id_len <= WL_APP_ID_MAX &&
         memcmp(a->app_id, b->app_id, a->app_id_len) == 0 &&
         strcmp(a->user_sid, b->user_sid) == 0 && strcmp(a->package_sid, b->package_sid) == 0 &&
         conds_same(a, b);
}

size_t wl_filter_keys_format(const wl_filter *f, size_t n, char *buf, size_t cap) {
  size_t len = 0;
  if (cap)
    buf[0] = 0;
  for (size_t i = 0; i < n; i++) {
    char g[WL_GUID_STR_MAX];
    wl_guid_format(&f[i].key, g);
    if (len + (i > 0) + strlen(g) < cap)
      snprintf(buf + len, cap - len, "%s%s", i ? "," : "", g);
    len += (i > 0) + strlen(g);
  }
  return len;
}

int wl_filter_keys_parse(const char *s, wl_guid *out, size_t cap, size_t *n) {
  *n = 0;
  for (const char *p = s; p && *p;) {
    const char *end = strchr(p, ',');
    size_t len = end ? (size_t)(end - p) : strlen(p);
    char one[WL_GUID_STR_MAX];
    if (len >= sizeof one)
      return wl_err(WL_E_PARSE, "filter key \"%.*s\": not a GUID", (int)(len > 40 ? 40 : len), p);
    memcpy(one, p, len);
    one[len] = 0;
    if (*n == cap)
      return wl_err(WL_E_TOOBIG, "more than %u filter keys", (unsigned)cap);
    int rc = wl_guid_parse(one, &out[*n]);
    if (rc)
      return rc;
    (*n)++;
    p = end ? end + 1 : p + len;
  }
  return WL_OK;
}

/* ---------------------------------------------------------------- writing by key */

int wl_filters_put(wl_engine *e, wl_filter *f, size_t n, size_t *added, size_t *adopted) {
  wl_filter *cur = malloc(sizeof *cur);
  int rc = cur ? WL_OK : wl_err(WL_E_NOMEM, "filters: out of memory");
  for (size_t i = 0; !rc && i < n; i++) {
    rc = wl_engine_filter_add(e, &f[i]);
    if (rc != WL_E_EXISTS) {
      *added += !rc;
      continue;
    }
    rc = wl_engine_filter_get_by_key(e, &f[i].key, cur);
    if (!rc && wl_filter_same(&f[i], cur)) {
      f[i].id = cur->id;
      (*adopted)++;
      continue;
    }
    if (!rc)
      rc = wl_engine_filter_delete(e, &f[i].key);
    if (!rc)
      rc = wl_engine_filter_add(e, &f[i]);
    *added += !rc;
  }
  free(cur);
  return rc;
}

int wl_filters_delete(wl_engine *e, const wl_guid *keys, size_t n, size_t *deleted) {
  for (size_t i = 0; i < n; i++) {
    int rc = wl_engine_filter_delete(e, &keys[i]);
    if (rc == WL_E_NOTFOUND)
      continue;
    if (rc)
      return rc;
    (*deleted)++;
  }
  wl_err_clear();
  return WL_OK;
}
