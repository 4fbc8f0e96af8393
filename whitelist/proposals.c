/* proposals.c — review's numbered proposals: the flows no rule (and no essential exception)
 * covers, grouped by (app, direction), with their evidence, flags and proposed scope; and the
 * rule a proposal becomes.
 *
 * One pass over the apps (to know paths and which rules name each app) and one over the flows.
 * Memory: one entry per active app (its paths and the indexes of the rules that can match it)
 * and one proposal per (app, direction) that has uncovered flows; rules are loaded once. A flow
 * is only compared with the rules of its app and the any-app rules. Stability (proposal.h) needs
 * the evidence of the flows first seen before a cut: those go to an early set of their
 * proposal's, the others to the proposal's own, and the two are merged when the pass ends
 * (early_merge; each flow is added once). It also keeps what it needs of each
 * uncovered flow seen after the cut (later_flow, 40 bytes each: its weight and what a rule
 * matches on) to check against the rule the early evidence gives once the pass is over. That
 * list is the flows a second pass over the store's `last_seen >= cut` listing would give, in
 * the same order (the flows table's id order), so the sums are the same to the last bit; it
 * saves reading the whole flows table a second time (a million rows on a busy week).
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "common/wl_err.h"
#include "whitelist/proposal.h"
#include "whitelist/whitelist_int.h"

int64_t wl_proposal_id(int64_t app_id, int dir) {
  return 2 * app_id + (dir == WL_DIR_IN) + 1;
}

int wl_proposal_split(int64_t id, int64_t *app_id, int *dir) {
  if (id < 1)
    return wl_err(WL_E_INVAL, "proposal %lld: ids start at 1 (see wfplearn review)",
                  (long long)id);
  *app_id = (id - 1) / 2;
  *dir = ((id - 1) % 2) ? WL_DIR_IN : WL_DIR_OUT;
  return WL_OK;
}

typedef struct app_ent {
  int64_t id;
  char *path, *dos;
  int truncated;            /* the store's apps.truncated */
  size_t *rules, n_rules;   /* indexes into ctx.rules that name this app */
  wl_evidence *ev[2];       /* [0] out, [1] in: the evidence of its proposal in that direction
                             * (NULL: no uncovered flow, no proposal); during the pass only of
                             * the flows not in early[d] */
  int64_t covered_by[2];    /* a rule that covered one of its flows, per direction */
  wl_evidence *early[2];    /* stability: its uncovered flows first seen before the cut */
  wl_rule *early_rule[2];   /* the rule learned from early[d]; NULL when none could be built.
                             * Its app is checked once (early_app) and then cleared, so the
                             * check per later flow compares no paths */
  int early_app[2];         /* early_rule[d]'s app matches this app */
  const char *exc_path;     /* path for wl_exception_covers: "" when not a DNS client (the only
                             * use it makes of the path), so no path is compared per flow */
  double later[2], later_ok[2]; /* attempts after the cut, and those early_rule allows */
  uint32_t why[2];          /* WL_STABILITY_NEW_* of what early_rule missed */
} app_ent;

/* An uncovered flow with attempts after the cut (stability's later part). */
typedef struct later_flow {
  double w;              /* its attempts after the cut (prorated: see later_add) */
  uint32_t app;          /* index into build_ctx.apps */
  uint8_t dir, proto, ip_version, action;
  uint16_t remote_port, local_port;
  uint8_t remote_addr[16];
} later_flow;

typedef struct build_ctx {
  later_flow *later;        /* stability: uncovered flows seen after the cut, in store order */
  size_t n_later, cap_later;
  wl_rule *rules;
  wl_rule *bare;            /* rules[i] with its app cleared: for the apps it was matched to */
  size_t n_rules;
  size_t *any_app;          /* rules with no app */
  size_t n_any;
  app_ent *apps;
  size_t n_apps, cap_apps;
  uint32_t *by_id;          /* app id -> index + 1 into apps (0: none), ids < n_by_id; NULL when
                             * the ids are too sparse (find_app bisects then) */
  size_t n_by_id;
  int64_t only_app;         /* < 0: all */
  uint64_t cut;             /* stability: flows first seen before it learn; 0 = not computed */
  int keep_later;           /* stability wanted: keep the later flows (review, not promote) */
  int rc;
} build_ctx;

static char *dup_str(const char *s) {
  size_t n = strlen(s) + 1;
  char *d = malloc(n);
  if (d)
    memcpy(d, s, n);
  return d;
}

static int app_cb(void *ctx, const wl_app_summary *a) {
  build_ctx *c = ctx;
  if (c->only_app >= 0 && a->app_id != c->only_app)
    return 0;
  if (c->n_apps == c->cap_apps) {
    size_t cap = c->cap_apps ? 2 * c->cap_apps : 64;
    app_ent *n = realloc(c->apps, cap * sizeof *n);
    if (!n)
      return c->rc = wl_err(WL_E_NOMEM, "proposals: %u apps", (unsigned)cap);
    c->apps = n;
    c->cap_apps = cap;
  }
  app_ent *e = &c->apps[c->n_apps];
  memset(e, 0, sizeof *e);
  e->id = a->app_id;
  e->path = dup_str(a->path);
  e->dos = dup_str(a->dos_path);
  e->truncated = a->truncated;
  e->rules = malloc((c->n_rules ? c->n_rules : 1) * sizeof *e->rules);
  if (!e->path || !e->dos || !e->rules) {
    free(e->path);
    free(e->dos);
    free(e->rules);
    return c->rc = wl_err(WL_E_NOMEM, "proposals: app %lld", (long long)a->app_id);
  }
  e->exc_path = wl_is_dns_client(e->path) ? e->path : "";
  c->n_apps++;
  for (size_t i = 0; i < c->n_rules; i++)
    if ((c->rules[i].app[0] || c->rules[i].app_nt[0]) &&
        wl_rule_app_matches(&c->rules[i], e->path, e->dos))
      e->rules[e->n_rules++] = i;
  return 0;
}

static int app_cmp(const void *a, const void *b) {
  const app_ent *x = a, *y = b;
  return x->id < y->id ? -1 : x->id > y->id;
}

static app_ent *find_app(build_ctx *c, int64_t id) {
  if (c->by_id) /* every flow looks its app up: an index, not a bisection */
    return id >= 0 && (uint64_t)id < c->n_by_id && c->by_id[id] ? &c->apps[c->by_id[id] - 1]
                                                                 : NULL;
  app_ent key = {0};
  key.id = id;
  if (!c->n_apps)
    return NULL;
  return bsearch(&key, c->apps, c->n_apps, sizeof *c->apps, app_cmp);
}

static int64_t covering_rule(build_ctx *c, const app_ent *a, const wl_flow *f) {
  for (size_t i = 0; i < a->n_rules; i++) /* their app matched a's once, in app_cb */
    if (wl_rule_covers(&c->bare[a->rules[i]], a->path, a->dos, f))
      return c->rules[a->rules[i]].id;
  for (size_t i = 0; i < c->n_any; i++)
    if (wl_rule_covers(&c->rules[c->any_app[i]], a->path, a->dos, f))
      return c->rules[c->any_app[i]].id;
  return 0;
}

/* Stability's later part: f's attempts after the cut, weighed by the share of its attempts that
 * fell after it (the count prorated over [first_seen, last_seen]), added to its proposal's
 * total now and kept for the check against the early rule (stability()). */
static int later_add(build_ctx *c, app_ent *a, const wl_flow *f) {
  int in = f->dir == WL_DIR_IN;
  double w = (double)f->count;
  if (f->first_seen < c->cut && f->last_seen > f->first_seen)
    w *= (double)(f->last_seen - c->cut) / (double)(f->last_seen - f->first_seen);
  a->later[in] += w;
  if (c->n_later == c->cap_later) {
    size_t cap = c->cap_later ? 2 * c->cap_later : 4096;
    later_flow *n = realloc(c->later, cap * sizeof *n);
    if (!n)
      return c->rc = wl_err(WL_E_NOMEM, "proposals: %u flows after the cut", (unsigned)cap);
    c->later = n;
    c->cap_later = cap;
  }
  later_flow *l = &c->later[c->n_later++];
  l->w = w;
  l->app = (uint32_t)(a - c->apps);
  l->dir = f->dir;
  l->proto = f->proto;
  l->ip_version = f->ip_version;
  l->action = f->action;
  l->remote_port = f->remote_port;
  l->local_port = f->local_port;
  memcpy(l->remote_addr, f->remote_addr, sizeof l->remote_addr);
  return 0;
}

static int flow_cb(void *ctx, const wl_flow *f) {
  build_ctx *c = ctx;
  if (f->dir != WL_DIR_IN && f->dir != WL_DIR_OUT)
    return 0;
  app_ent *a = find_app(c, f->app_id);
  if (!a || wl_exception_covers(f, a->exc_path))
    return 0;
  int64_t by = covering_rule(c, a, f);
  if (by) {
    a->covered_by[f->dir == WL_DIR_IN] = by;
    return 0;
  }
  int in = f->dir == WL_DIR_IN;
  if (!a->ev[in] && !(a->ev[in] = calloc(1, sizeof *a->ev[in]))) /* a proposal: the proposals
                                                                 * are made when the pass ends */
    return c->rc = wl_err(WL_E_NOMEM, "proposals: out of memory");
  if (c->cut && f->first_seen < c->cut) { /* the proposal's share: merged in (early_merge) */
    if (!a->early[in] && !(a->early[in] = calloc(1, sizeof *a->early[in])))
      return c->rc = wl_err(WL_E_NOMEM, "proposals: out of memory");
    wl_evidence_add(a->early[in], f);
  } else {
    wl_evidence_add(a->ev[in], f);
  }
  if (c->keep_later && f->last_seen >= c->cut)
    return later_add(c, a, f);
  return 0;
}

/* Each proposal's evidence: its flows first seen before the cut (early), then the others, as
 * if added in that order. A flow is added to one set, not to the proposal's and early's: over a
 * million flows the second add was a quarter of review's time. */
static void early_merge(build_ctx *c) {
  for (size_t i = 0; i < c->n_apps; i++)
    for (int d = 0; d < 2; d++) {
      wl_evidence *e = c->apps[i].ev[d];
      if (!e || !c->apps[i].early[d])
        continue;
      wl_evidence late = *e;
      *e = *c->apps[i].early[d];
      wl_evidence_merge(e, &late);
    }
}

/* a's proposal in direction in (a->ev[in] set), its evidence complete (early_merge): what
 * finish() completes; stability unknown until stability_of. */
static void proposal_of(const app_ent *a, int in, wl_proposal *p) {
  assert(a->ev[in]);
  memset(p, 0, sizeof *p);
  p->dir = in ? WL_DIR_IN : WL_DIR_OUT;
  p->id = wl_proposal_id(a->id, p->dir);
  p->app_id = a->id;
  wl_strlcpy(p->app, a->path, sizeof p->app);
  wl_strlcpy(p->app_dos, a->dos, sizeof p->app_dos);
  p->flags = a->truncated ? WL_PROPOSAL_FLAG_TRUNCATED : 0;
  p->stability = -1;
  p->evidence = *a->ev[in];
}

/* Flags, protocol and scope once the evidence is complete. */
static void finish(wl_proposal *p) {
  const wl_evidence *evd = &p->evidence;
  p->flags = wl_path_flags(p->app) |
             (p->flags & (WL_PROPOSAL_FLAG_TRUNCATED | WL_PROPOSAL_FLAG_UNSTABLE));
  if (wl_is_nt_path(p->app) && !p->app_dos[0] && wl_strncasecmp(p->app, "\\device\\mup\\", 12))
    p->flags |= WL_PROPOSAL_FLAG_UNMAPPED;
  if (evd->allowed + evd->blocked == 1)
    p->flags |= WL_PROPOSAL_FLAG_SEEN_ONCE;
  p->proto = (evd->n_protos == 1 && !evd->protos_overflow) ? evd->protos[0] : -1;
  p->choice = wl_scope_choose(evd, p->dir, (p->flags & WL_PROPOSAL_FLAG_NO_APP) != 0);
}

static void ctx_free(build_ctx *c) {
  for (size_t i = 0; i < c->n_apps; i++) {
    free(c->apps[i].path);
    free(c->apps[i].dos);
    free(c->apps[i].rules);
    for (int d = 0; d < 2; d++) {
      free(c->apps[i].ev[d]);
      free(c->apps[i].early[d]);
      free(c->apps[i].early_rule[d]);
    }
  }
  free(c->apps);
  free(c->by_id);
  free(c->rules);
  free(c->bare);
  free(c->any_app);
  free(c->later);
}

/* Rules, apps (sorted by id), then flows. Release *c with ctx_free whatever this returns. */
static int gather(wl_store *s, uint64_t since, int64_t only_app, uint64_t cut, int keep_later,
                  build_ctx *c) {
  memset(c, 0, sizeof *c);
  c->only_app = only_app;
  c->cut = cut;
  c->keep_later = cut && keep_later;
  int rc = wl_rules_load(s, &c->rules, &c->n_rules);
  if (rc)
    return rc;
  c->any_app = malloc((c->n_rules ? c->n_rules : 1) * sizeof *c->any_app);
  c->bare = malloc((c->n_rules ? c->n_rules : 1) * sizeof *c->bare);
  if (!c->any_app || !c->bare)
    return wl_err(WL_E_NOMEM, "proposals: out of memory");
  for (size_t i = 0; i < c->n_rules; i++) {
    c->bare[i] = c->rules[i];
    c->bare[i].app[0] = c->bare[i].app_nt[0] = '\0';
    c->bare[i].prev_app[0] = c->bare[i].prev_app_nt[0] = '\0';
  }
  for (size_t i = 0; i < c->n_rules; i++)
    if (!c->rules[i].app[0] && !c->rules[i].app_nt[0])
      c->any_app[c->n_any++] = i;
  rc = wl_store_apps(s, since, app_cb, c);
  if (rc || c->rc)
    return rc ? rc : c->rc;
  if (c->n_apps > 1)
    qsort(c->apps, c->n_apps, sizeof *c->apps, app_cmp);
  /* app ids are the apps table's rowids, dense from 1: an index when it stays small */
  if (c->n_apps && c->apps[0].id >= 0 &&
      (uint64_t)c->apps[c->n_apps - 1].id < 4 * (uint64_t)c->n_apps + 4096 &&
      (c->by_id = calloc((size_t)c->apps[c->n_apps - 1].id + 1, sizeof *c->by_id)) != NULL) {
    c->n_by_id = (size_t)c->apps[c->n_apps - 1].id + 1;
    for (size_t i = 0; i < c->n_apps; i++)
      c->by_id[c->apps[i].id] = (uint32_t)(i + 1);
  }
  rc = wl_store_flows(s, only_app, since, flow_cb, c);
  if (rc || c->rc)
    return rc ? rc : c->rc;
  early_merge(c);
  return WL_OK;
}

/* ---------------------------------------------------------------- stability */

static int has_port(const wl_evidence *e, uint16_t port) {
  for (uint32_t i = 0; i < e->n_ports; i++)
    if (e->ports[i] == port)
      return 1;
  return port == 0 || e->ports_overflow;
}

static int has_addr(const wl_evidence *e, const wl_flow *f) {
  for (uint32_t i = 0; i < e->n_addrs; i++)
    if (e->addrs[i].ip_version == f->ip_version && !memcmp(e->addrs[i].addr, f->remote_addr, 16))
      return 1;
  return e->addrs_overflow || (f->ip_version != 4 && f->ip_version != 6);
}

static int has_proto(const wl_evidence *e, uint8_t proto) {
  for (uint32_t i = 0; i < e->n_protos; i++)
    if (e->protos[i] == proto)
      return 1;
  return e->protos_overflow;
}

/* Why the rule learned from `e` missed f: what it scopes by that the earlier part never showed. */
static uint32_t missed_why(const wl_evidence *e, const wl_rule *r, const wl_flow *f) {
  uint32_t why = 0;
  if (!e)
    return WL_STABILITY_NEW_PATH;
  if (!has_proto(e, f->proto))
    why |= WL_STABILITY_NEW_PROTO;
  if (r->scope == WL_SCOPE_PORT &&
      !has_port(e, f->dir == WL_DIR_IN ? f->local_port : f->remote_port))
    why |= WL_STABILITY_NEW_PORTS;
  if (r->scope == WL_SCOPE_REMOTE && !has_addr(e, f))
    why |= WL_STABILITY_NEW_HOSTS;
  if (!why) /* in the evidence yet not covered: a prefix or port set the rule could not keep */
    why = r->scope == WL_SCOPE_REMOTE ? WL_STABILITY_NEW_HOSTS : WL_STABILITY_NEW_PORTS;
  return why;
}

/* A flow kept by later_add against its proposal's early rule. */
static void later_check(build_ctx *c, const later_flow *l) {
  app_ent *a = &c->apps[l->app];
  int in = l->dir == WL_DIR_IN;
  wl_flow f;
  memset(&f, 0, sizeof f);
  f.app_id = a->id;
  f.dir = l->dir;
  f.proto = l->proto;
  f.ip_version = l->ip_version;
  f.action = l->action;
  f.remote_port = l->remote_port;
  f.local_port = l->local_port;
  memcpy(f.remote_addr, l->remote_addr, sizeof f.remote_addr);
  if (a->early_rule[in] && a->early_app[in] &&
      wl_rule_covers(a->early_rule[in], a->path, a->dos, &f))
    a->later_ok[in] += l->w;
  else if (a->early_rule[in] || !a->early[in])
    a->why[in] |= missed_why(a->early[in], a->early_rule[in], &f);
}

/* The rule review would have proposed from the flows before the cut (NULL: none buildable). */
static int learn_early(app_ent *a, int in) {
  wl_proposal *tmp = malloc(sizeof *tmp);
  wl_rule *r = malloc(sizeof *r);
  int rc = WL_OK;
  if (!tmp || !r) {
    rc = wl_err(WL_E_NOMEM, "proposals: out of memory");
    goto out;
  }
  proposal_of(a, in, tmp);
  tmp->evidence = *a->early[in];
  finish(tmp);
  if (wl_proposal_rule(tmp, -1, r) == WL_OK) {
    a->early_rule[in] = r;
    a->early_app[in] = wl_rule_app_matches(r, a->path, a->dos);
    r->app[0] = r->app_nt[0] = r->prev_app[0] = r->prev_app_nt[0] = '\0'; /* checked above */
    r = NULL;
  }
  wl_err_clear(); /* an early part no rule fits: stability unknown, not an error */
out:
  free(tmp);
  free(r);
  return rc;
}

/* p's stability from what stability() found (c->cut set). */
static void stability_of(const app_ent *a, int in, wl_proposal *p) {
  int unknown = a->later[in] < WL_STABILITY_MIN_LATER || (a->early[in] && !a->early_rule[in]);
  p->stability = unknown ? -1 : a->later_ok[in] / a->later[in];
  p->unstable_why = unknown ? 0 : a->why[in];
  if (!unknown && p->stability < WL_STABILITY_LOW)
    p->flags |= WL_PROPOSAL_FLAG_UNSTABLE;
}

/* Stability of every proposal gathered in c (c->cut set): early rules, then the later flows;
 * stability_of gives each proposal its part. */
static int stability(build_ctx *c) {
  int rc = WL_OK;
  for (size_t i = 0; !rc && i < c->n_apps; i++)
    for (int d = 0; !rc && d < 2; d++)
      if (c->apps[i].ev[d] && c->apps[i].early[d])
        rc = learn_early(&c->apps[i], d);
  for (size_t i = 0; !rc && i < c->n_later; i++)
    later_check(c, &c->later[i]);
  return rc ? rc : c->rc;
}

static int prop_cmp(const void *a, const void *b) {
  const wl_proposal *x = a, *y = b;
  const wl_evidence *ex = &x->evidence, *ey = &y->evidence;
  uint64_t tx = ex->allowed + ex->blocked, ty = ey->allowed + ey->blocked;
  if (ex->blocked != ey->blocked)
    return ex->blocked > ey->blocked ? -1 : 1;
  if (tx != ty)
    return tx > ty ? -1 : 1;
  return x->id < y->id ? -1 : x->id > y->id;
}

int wl_proposals_build(wl_store *s, uint64_t since, wl_proposal **out, size_t *n) {
  build_ctx c;
  wl_proposal *arr = NULL;
  size_t count = 0, k = 0;
  wl_store_stats st;
  *out = NULL;
  *n = 0;
  memset(&c, 0, sizeof c);
  int rc = wl_store_stats_get(s, &st);
  if (rc)
    goto out;
  rc = gather(s, since, -1, wl_stability_cut(since > st.first_ts ? since : st.first_ts, st.last_ts),
              1, &c);
  if (!rc && c.cut)
    rc = stability(&c);
  if (rc)
    goto out;
  for (size_t i = 0; i < c.n_apps; i++)
    count += (c.apps[i].ev[0] != NULL) + (c.apps[i].ev[1] != NULL);
  if (count && !(arr = malloc(count * sizeof *arr))) {
    rc = wl_err(WL_E_NOMEM, "proposals: %u proposals", (unsigned)count);
    goto out;
  }
  for (size_t i = 0; i < c.n_apps; i++)
    for (int d = 0; d < 2; d++)
      if (c.apps[i].ev[d]) {
        proposal_of(&c.apps[i], d, &arr[k]);
        if (c.cut)
          stability_of(&c.apps[i], d, &arr[k]);
        finish(&arr[k++]);
      }
  assert(k == count);
  if (k)
    qsort(arr, k, sizeof *arr, prop_cmp);
  *out = arr;
  *n = k;
out:
  ctx_free(&c);
  return rc;
}

void wl_proposals_free(wl_proposal *p) { free(p); }

int wl_proposal_get(wl_store *s, int64_t id, wl_proposal *out) {
  int64_t app_id = 0;
  int dir = WL_DIR_OUT;
  int rc = wl_proposal_split(id, &app_id, &dir);
  if (rc)
    return rc;
  build_ctx c;
  wl_store_stats st;
  memset(&c, 0, sizeof c);
  /* the cut review uses (without --since), so the evidence is in the same order as its */
  if ((rc = wl_store_stats_get(s, &st)) != WL_OK)
    goto out;
  rc = gather(s, 0, app_id, wl_stability_cut(st.first_ts, st.last_ts), 0, &c);
  if (rc)
    goto out;
  if (c.n_apps == 0) {
    rc = wl_err(WL_E_NOTFOUND, "proposal %lld: no such proposal (see wfplearn review)",
                (long long)id);
    goto out;
  }
  assert(c.n_apps == 1 && c.apps[0].id == app_id); /* app ids are the apps table's keys */
  const app_ent *a = &c.apps[0];
  int in = dir == WL_DIR_IN;
  if (!a->ev[in]) {
    out->covered_by = a->covered_by[in];
    if (a->covered_by[in])
      rc = wl_err(WL_E_EXISTS, "proposal %lld: already covered by rule %lld", (long long)id,
                  (long long)a->covered_by[in]);
    else
      rc = wl_err(WL_E_NOTFOUND, "proposal %lld: nothing to allow (no uncovered %s flows)",
                  (long long)id, in ? "inbound" : "outbound");
    goto out;
  }
  proposal_of(a, in, out);
  finish(out);
out:
  ctx_free(&c);
  return rc;
}

/* ---------------------------------------------------------------- proposal → rule */

static int rule_ports(const wl_proposal *p, wl_rule *r) {
  const wl_evidence *evd = &p->evidence;
  if (evd->ports_overflow || evd->n_ports == 0)
    return wl_err(WL_E_INVAL, "proposal %lld: %s ports to scope by (use --scope app or remote)",
                  (long long)p->id, evd->n_ports ? "too many" : "no");
  r->n_ports = 0;
  for (uint32_t i = 0; i < evd->n_ports; i++) {
    if (r->n_ports && evd->ports[i] == r->ports[r->n_ports - 1].hi + 1) {
      r->ports[r->n_ports - 1].hi = evd->ports[i];
      continue;
    }
    if (r->n_ports == WL_RULE_MAX_PORTS)
      return wl_err(WL_E_INVAL, "proposal %lld: more than %d port ranges for one rule",
                    (long long)p->id, WL_RULE_MAX_PORTS);
    r->ports[r->n_ports++] = (wl_port_range){evd->ports[i], evd->ports[i]};
  }
  return WL_OK;
}

static int rule_remotes(const wl_proposal *p, int use_prefixes, wl_rule *r) {
  const wl_evidence *evd = &p->evidence;
  int exact_fits = !evd->addrs_overflow && evd->n_addrs > 0 && evd->n_addrs <= WL_RULE_MAX_REMOTES;
  if (!use_prefixes && exact_fits) {
    for (uint32_t i = 0; i < evd->n_addrs; i++) {
      wl_prefix *x = &r->remotes[i];
      x->ip_version = evd->addrs[i].ip_version;
      x->len = x->ip_version == 4 ? 32 : 128;
      memcpy(x->addr, evd->addrs[i].addr, 16);
    }
    r->n_remotes = evd->n_addrs;
  } else if (!evd->prefixes_overflow && evd->n_prefixes > 0) {
    memcpy(r->remotes, evd->prefixes, evd->n_prefixes * sizeof evd->prefixes[0]);
    r->n_remotes = evd->n_prefixes;
  } else {
    return wl_err(WL_E_INVAL,
                  "proposal %lld: too many remote addresses to scope by (use --scope app or port)",
                  (long long)p->id);
  }
  char buf[2048]; /* through the text form: sorted and deduplicated as every rule is */
  wl_remotes_format(r->remotes, r->n_remotes, buf, sizeof buf);
  return wl_remotes_parse(buf, r->remotes, WL_RULE_MAX_REMOTES, &r->n_remotes);
}

int wl_proposal_rule(const wl_proposal *p, int scope_override, wl_rule *out) {
  int no_app = (p->flags & WL_PROPOSAL_FLAG_NO_APP) != 0;
  memset(out, 0, sizeof *out);
  if (p->flags & (WL_PROPOSAL_FLAG_TRUNCATED | WL_PROPOSAL_FLAG_UNMAPPED))
    return wl_err(WL_E_INVAL,
                  "proposal %lld: the app's path %s, so no rule can name it (%.80s%s); it is "
                  "not promoted, and never as \"any app\"",
                  (long long)p->id,
                  (p->flags & WL_PROPOSAL_FLAG_TRUNCATED)
                      ? "was recorded cut short"
                      : "is on a device with no drive letter here",
                  p->app, strlen(p->app) > 80 ? "..." : "");
  if (!no_app) {
    wl_strlcpy(out->app, p->app_dos[0] ? p->app_dos : p->app, sizeof out->app);
    if (wl_is_nt_path(p->app))
      wl_strlcpy(out->app_nt, p->app, sizeof out->app_nt);
  }
  out->dir = p->dir;
  out->proto = p->proto;
  int scope = scope_override >= 0 ? scope_override : p->choice.scope;
  if (no_app && scope == WL_SCOPE_APP)
    return wl_err(WL_E_INVAL,
                  "proposal %lld has no app: an app-scoped rule would allow anything (use "
                  "--scope port or remote)",
                  (long long)p->id);
  out->scope = (uint8_t)scope;
  if (scope == WL_SCOPE_PORT)
    return rule_ports(p, out);
  if (scope == WL_SCOPE_REMOTE)
    return rule_remotes(p, scope_override < 0 && p->choice.use_prefixes, out);
  return WL_OK;
}

size_t wl_proposal_evidence_json(const wl_proposal *p, char *buf, size_t cap) {
  const wl_evidence *evd = &p->evidence;
  char first[WL_TIME_STR_MAX], last[WL_TIME_STR_MAX], flags[192] = "", by[96] = "";
  size_t fl = 0, bl = 0;
  wl_time_format(evd->first_seen, first);
  wl_time_format(evd->last_seen, last);
  for (uint32_t bit = 1; bit <= WL_PROPOSAL_FLAG_LAST; bit <<= 1)
    if (p->flags & bit)
      fl += (size_t)snprintf(flags + fl, sizeof flags - fl, "%s\"%s\"", fl ? "," : "",
                             wl_proposal_flag_name(bit));
  for (uint32_t i = 0; i < evd->n_filters && bl < sizeof by; i++)
    bl += (size_t)snprintf(by + bl, sizeof by - bl, "%s%llu", i ? "," : "",
                           (unsigned long long)evd->filters[i].filter_id);
  int n = snprintf(buf, cap,
                   "{\"proposal\":%lld,\"allowed\":%llu,\"blocked\":%llu,\"flows\":%llu,"
                   "\"remotes\":%u,\"remotes_more\":%s,\"first_seen\":\"%s\",\"last_seen\":\"%s\","
                   "\"flags\":[%s],\"blocked_by\":[%s]}",
                   (long long)p->id, (unsigned long long)evd->allowed,
                   (unsigned long long)evd->blocked, (unsigned long long)evd->flows,
                   (unsigned)evd->n_addrs, evd->addrs_overflow ? "true" : "false", first, last,
                   flags, by);
  return n < 0 ? 0 : (size_t)n;
}
