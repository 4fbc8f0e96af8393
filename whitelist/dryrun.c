/* dryrun.c — `enforce --dry-run`: replay the recorded events against the filters the machine
 * would have after enforce (dryrun.h says which), through engine/arbitrate.c, the arbitration
 * the sim classifies with. Read-only: the engine is enumerated, never changed.
 *
 * Shape: build the filter set (engine filters minus those enforce owns or a rule re-creates,
 * plus the enforce set and the rules' filters), give each filter its sublayer's weight as the
 * engine reports it, then walk the store's events once. Apps are looked up in a hash table of
 * the distinct recorded paths (bounded: DRY_APP_SLOTS), each with its app id computed once.
 *
 * Where it can differ from the engine: sublayers of equal weight are evaluated in the order the
 * enumeration first names them (the sim: the order they were added; WFP: undocumented); the
 * replay decides each recorded attempt as new, as the sim does (no per-flow cache, no reauth).
 */
#include <stdlib.h>
#include <string.h>

#include "common/wl_err.h"
#include "common/wl_hash.h"
#include "common/wl_text.h"
#include "engine/arbitrate.h"
#include "engine/keys.h"
#include "event/paths.h"
#include "whitelist/apply.h"
#include "whitelist/dryrun.h"
#include "whitelist/enforce.h"
#include "whitelist/rule.h"
#include "whitelist/whitelist_int.h"

#define DRY_APP_SLOTS (1u << 15) /* distinct recorded apps: at most 3/4 of this (24576) */
#define DRY_SUBLAYERS 64         /* distinct sublayers weighed; filters in others are skipped */
#define DRY_SYNTH_ID  0xFFFFFFFF00000000ull /* ids of filters not in the engine (yet) */

enum { ORIGIN_ENGINE, ORIGIN_ENFORCE, ORIGIN_RULE };

typedef struct fset {
  wl_filter *f; /* engine filters kept, then the enforce set, then the rules' */
  uint8_t *origin;
  size_t n, cap;
  wl_filter *engine; /* from wl_engine_filter_enum */
  size_t n_engine;
} fset;

typedef struct app_ent { /* hash entry: first member the tag */
  uint64_t tag;
  uint32_t idx;
  uint32_t pad;
} app_ent;

typedef struct app_info {
  char *path;    /* as recorded (the key) */
  uint8_t *blob; /* app id */
  size_t blob_len;
  int row[3]; /* wl_dryrun row per enum wl_dir; -1 none yet */
  uint8_t missing;
} app_info;

typedef struct run {
  wl_engine *e;
  fset fs;
  wl_arb_set *set;
  wl_htab tab;
  app_info *apps;
  size_t napps, capps;
  wl_dryrun *d;
  size_t crows;
  int rc;
} run;

/* ---------------------------------------------------------------- the filter set */

static int fset_push(fset *s, const wl_filter *f, uint8_t origin) {
  if (s->n == s->cap) {
    size_t cap = s->cap ? s->cap * 2 : 64;
    wl_filter *nf = realloc(s->f, cap * sizeof *nf);
    if (!nf)
      return wl_err(WL_E_NOMEM, "enforce --dry-run: no memory for the filters");
    s->f = nf;
    uint8_t *no = realloc(s->origin, cap);
    if (!no)
      return wl_err(WL_E_NOMEM, "enforce --dry-run: no memory for the filters");
    s->origin = no;
    s->cap = cap;
  }
  s->f[s->n] = *f;
  if (origin != ORIGIN_ENGINE) { /* not in the engine: an id of its own, weight as given */
    s->f[s->n].id = DRY_SYNTH_ID + s->n;
    s->f[s->n].effective_weight = f->weight_type == WL_WEIGHT_EXACT ? f->weight : 0;
  }
  s->origin[s->n++] = origin;
  return WL_OK;
}

static int rule_cb(void *ctx, const wl_rule_row *row) {
  run *r = ctx;
  wl_rule rule;
  wl_filter f[WL_RULE_MAX_FILTERS];
  size_t n = 0;
  r->d->rules++;
  if (wl_rule_from_row(row, &rule) || wl_rule_filters(r->e, &rule, f, WL_RULE_MAX_FILTERS, &n)) {
    r->d->rules_unresolved++; /* enforce would refuse to start over it: verify says why */
    wl_err_clear();
    return 0;
  }
  for (size_t i = 0; i < n; i++)
    if ((r->rc = fset_push(&r->fs, &f[i], ORIGIN_RULE)) != WL_OK)
      return 1;
  return 0;
}

static int enforce_set(run *r, const wl_dryrun_opts *o) {
  wl_machine m;
  wl_enforce_set set;
  wl_filter *f = calloc(WL_ENFORCE_MAX_FILTERS, sizeof *f);
  size_t n = 0;
  int rc = f ? wl_engine_machine(r->e, &m) : wl_err(WL_E_NOMEM, "enforce --dry-run");
  if (!rc) /* as enforce: a remote session's listener stays open with --inbound */
    rc = wl_enforce_set_make(r->e, o->inbound, o->baseline, m.remote ? m.remote_port : 0, &set);
  if (!rc)
    rc = wl_enforce_filters(&set, 1, f, WL_ENFORCE_MAX_FILTERS, &n);
  for (size_t i = 0; !rc && i < n; i++)
    rc = fset_push(&r->fs, &f[i], ORIGIN_ENFORCE);
  free(f);
  return rc;
}

/* 1 when the engine's filter is replaced: any enforce filter (the set is the one enforce would
 * install now), or a filter a rule re-creates under the same key. */
static int replaced(const fset *s, size_t first_rule, const wl_filter *f) {
  if (wl_enforce_owns(&f->key))
    return 1;
  for (size_t i = first_rule; i < s->n; i++)
    if (wl_guid_eq(&s->f[i].key, &f->key))
      return 1;
  return 0;
}

static int build_filters(run *r, wl_store *s, const wl_dryrun_opts *o) {
  int rc = enforce_set(r, o);
  size_t first_rule = r->fs.n;
  if (!rc)
    rc = wl_store_rules(s, rule_cb, r);
  if (!rc)
    rc = r->rc;
  if (!rc)
    rc = wl_engine_filter_enum(r->e, NULL, &r->fs.engine, &r->fs.n_engine);
  for (size_t i = 0; !rc && i < r->fs.n_engine; i++)
    if (!replaced(&r->fs, first_rule, &r->fs.engine[i]))
      rc = fset_push(&r->fs, &r->fs.engine[i], ORIGIN_ENGINE);
  return rc ? wl_err_prefix(rc, "enforce --dry-run: the filters after enforce") : WL_OK;
}

/* Each filter into the arbitration set with its sublayer's weight as the engine has it (ours:
 * WL_SUBLAYER_WEIGHT when the engine does not have it yet, as enforce would add it). A filter
 * whose sublayer the engine does not know is not evaluated, as in the engine. */
static int weigh(run *r) {
  wl_guid keys[DRY_SUBLAYERS];
  int weight[DRY_SUBLAYERS];
  size_t nk = 0;
  wl_guid ours = wl_sublayer_key();
  int rc = wl_arb_set_new(r->fs.n, &r->set);
  for (size_t i = 0; !rc && i < r->fs.n; i++) {
    const wl_filter *f = &r->fs.f[i];
    size_t k = 0;
    while (k < nk && !wl_guid_eq(&keys[k], &f->sublayer))
      k++;
    if (k == nk) {
      if (nk == DRY_SUBLAYERS)
        continue;
      wl_sublayer sl;
      int g = wl_engine_sublayer_get(r->e, &f->sublayer, &sl);
      if (g && g != WL_E_NOTFOUND)
        return g;
      wl_err_clear();
      keys[nk] = f->sublayer;
      weight[nk++] = !g                                ? (int)sl.weight
                     : wl_guid_eq(&f->sublayer, &ours) ? (int)WL_SUBLAYER_WEIGHT
                                                       : -1;
    }
    if (weight[k] >= 0)
      r->d->filters += (size_t)wl_arb_set_add(r->set, f, (uint16_t)weight[k], (uint32_t)k);
  }
  if (!rc)
    wl_arb_set_sort(r->set);
  return rc;
}

/* ---------------------------------------------------------------- apps */

typedef struct app_key {
  const run *r;
  const char *path;
} app_key;
static int app_eq(const void *entry, const void *key) {
  const app_ent *x = entry;
  const app_key *k = key;
  return !strcmp(k->r->apps[x->idx].path, k->path);
}

/* A path a file can have: DOS (C:\\...) or UNC (\\\\server\\...); not "System". */
static int file_path(const char *p) {
  return (((p[0] | 0x20) >= 'a' && (p[0] | 0x20) <= 'z') && p[1] == ':') ||
         (p[0] == '\\' && p[1] == '\\');
}

/* The app id a filter condition carries for this app now: the engine's, from its DOS path;
 * else (file gone, no drive letter) the recorded path's UTF-16LE, and the app is missing. */
static int app_id_of(run *r, const wl_event *ev, app_info *a) {
  uint8_t blob[WL_APP_ID_MAX];
  size_t len = 0;
  const char *dos = ev->app_dos[0] ? ev->app_dos : !wl_is_nt_path(ev->app) ? ev->app : "";
  int rc = file_path(dos) ? wl_engine_app_id(r->e, dos, blob, sizeof blob, &len) : WL_E_NOTFOUND;
  if (rc) {
    wl_err_clear();
    a->missing = (uint8_t)file_path(dos);
    size_t need = wl_utf8_to_utf16le(ev->app, strlen(ev->app), blob, sizeof blob - 2);
    len = need < sizeof blob - 2 ? need : sizeof blob - 2;
    blob[len] = blob[len + 1] = 0; /* app ids include the terminator */
    len += 2;
  }
  a->blob = malloc(len);
  if (!a->blob)
    return wl_err(WL_E_NOMEM, "enforce --dry-run: no memory for app ids");
  memcpy(a->blob, blob, len);
  a->blob_len = len;
  r->d->apps_missing += a->missing;
  return WL_OK;
}

static int app_lookup(run *r, const wl_event *ev, app_info **out) {
  uint32_t slot;
  size_t plen = strlen(ev->app);
  app_key key = {r, ev->app};
  int added = wl_htab_add(&r->tab, wl_hash_bytes(ev->app, plen), &key, app_eq, &slot);
  if (added < 0)
    return wl_err(WL_E_TOOBIG, "enforce --dry-run: more than %u distinct apps",
                  (unsigned)r->tab.max);
  app_ent *x = wl_htab_entry(&r->tab, slot);
  if (!added) {
    *out = &r->apps[x->idx];
    return WL_OK;
  }
  if (r->napps == r->capps) {
    size_t cap = r->capps ? r->capps * 2 : 64;
    app_info *na = realloc(r->apps, cap * sizeof *na);
    if (!na)
      return wl_err(WL_E_NOMEM, "enforce --dry-run: no memory for apps");
    r->apps = na;
    r->capps = cap;
  }
  app_info *a = &r->apps[r->napps];
  memset(a, 0, sizeof *a);
  a->row[0] = a->row[1] = a->row[2] = -1;
  x->idx = (uint32_t)r->napps++;
  a->path = malloc(plen + 1);
  if (!a->path)
    return wl_err(WL_E_NOMEM, "enforce --dry-run: no memory for apps");
  memcpy(a->path, ev->app, plen + 1);
  *out = a;
  return app_id_of(r, ev, a);
}

static int row_of(run *r, const wl_event *ev, app_info *a, wl_dryrun_app **out) {
  wl_dryrun *d = r->d;
  if (a->row[ev->dir] < 0) {
    if (d->napps == r->crows) {
      size_t cap = r->crows ? r->crows * 2 : 64;
      wl_dryrun_app *nr = realloc(d->apps, cap * sizeof *nr);
      if (!nr)
        return wl_err(WL_E_NOMEM, "enforce --dry-run: no memory for the report");
      d->apps = nr;
      r->crows = cap;
    }
    wl_dryrun_app *x = &d->apps[d->napps];
    memset(x, 0, sizeof *x);
    wl_strlcpy(x->app, ev->app_dos[0] ? ev->app_dos : ev->app, sizeof x->app);
    x->dir = ev->dir;
    x->missing = a->missing;
    a->row[ev->dir] = (int)d->napps++;
  }
  *out = &d->apps[a->row[ev->dir]];
  return WL_OK;
}

/* ---------------------------------------------------------------- the replay */

static int event_cb(void *ctx, const wl_event *ev) {
  run *r = ctx;
  if ((ev->type != WL_EVT_ALLOW && ev->type != WL_EVT_DROP) || !wl_event_is_connection(ev))
    return 0; /* not an attempt: a bind, a listen, a flow established after its allow */
  if ((ev->dir != WL_DIR_IN && ev->dir != WL_DIR_OUT) ||
      (ev->ip_version != 4 && ev->ip_version != 6)) {
    r->d->skipped++;
    return 0;
  }
  app_info *a = NULL;
  wl_dryrun_app *row = NULL;
  if ((r->rc = app_lookup(r, ev, &a)) != WL_OK || (r->rc = row_of(r, ev, a, &row)) != WL_OK)
    return 1;
  wl_arb_input in = {.dir = ev->dir,
                     .proto = ev->proto,
                     .ip_version = ev->ip_version,
                     .local_port = ev->local_port,
                     .remote_port = ev->remote_port,
                     .app_id = ev->app[0] ? a->blob : NULL,
                     .app_id_len = ev->app[0] ? a->blob_len : 0,
                     .user = ev->user,
                     .package = ev->package};
  memcpy(in.local_addr, ev->local_addr, 16);
  memcpy(in.remote_addr, ev->remote_addr, 16);
  wl_arb_result res;
  wl_arb_decide(r->set, &in, &res);
  r->d->events++;
  if (res.action == WL_ACTION_BLOCK) {
    int ours = res.filter && r->fs.origin[res.filter - r->fs.f] == ORIGIN_ENFORCE;
    r->d->would_block++;
    row->blocked++;
    row->by_block += ours;
    r->d->by_block += ours;
    return 0;
  }
  row->allowed++;
  uint8_t origin = res.filter ? r->fs.origin[res.filter - r->fs.f] : ORIGIN_ENGINE;
  row->by_rule += origin == ORIGIN_RULE;
  row->by_exception += origin == ORIGIN_ENFORCE;
  r->d->by_rule += origin == ORIGIN_RULE;
  r->d->by_exception += origin == ORIGIN_ENFORCE;
  return 0;
}

static int row_cmp(const void *pa, const void *pb) {
  const wl_dryrun_app *a = pa, *b = pb;
  if (a->blocked != b->blocked)
    return a->blocked > b->blocked ? -1 : 1;
  int c = strcmp(a->app, b->app);
  return c ? c : (int)a->dir - (int)b->dir;
}

int wl_dryrun_run(wl_engine *e, wl_store *s, const wl_dryrun_opts *o, wl_dryrun **out) {
  run r;
  memset(&r, 0, sizeof r);
  r.e = e;
  *out = NULL;
  r.d = calloc(1, sizeof *r.d);
  int rc = r.d ? wl_htab_init(&r.tab, DRY_APP_SLOTS, sizeof(app_ent))
               : wl_err(WL_E_NOMEM, "enforce --dry-run");
  if (rc)
    goto out;
  r.d->since = o->since;
  rc = build_filters(&r, s, o);
  if (!rc)
    rc = weigh(&r);
  if (!rc)
    rc = wl_store_events(s, o->since, 0, event_cb, &r);
  if (r.rc)
    rc = r.rc;
  if (rc)
    goto out;
  qsort(r.d->apps, r.d->napps, sizeof *r.d->apps, row_cmp);
  *out = r.d;
  r.d = NULL;
out:
  for (size_t i = 0; i < r.napps; i++) {
    free(r.apps[i].path);
    free(r.apps[i].blob);
  }
  free(r.apps);
  wl_htab_free(&r.tab);
  wl_arb_set_free(r.set);
  wl_engine_free(r.fs.engine);
  free(r.fs.f);
  free(r.fs.origin);
  wl_dryrun_free(r.d);
  return rc;
}

void wl_dryrun_free(wl_dryrun *d) {
  if (!d)
    return;
  free(d->apps);
  free(d);
}
