/* rebind.c — app updates keep their rule (rebind.h): which proposals are updates of a rule,
 * the re-bind itself, and the sweep that drops an old path's filters once its binary is gone.
 *
 * A re-bind and a sweep are the same write: a rule row changes its path columns, the filters
 * its rebuilt rule wants are put (adopt-or-replace by key: the old path's filters, which the
 * rule keeps while the old binary exists, have the keys they had), and the keys the row listed
 * that the rule no longer wants are deleted. Order as apply.c: engine begin → filters →
 * store begin → row → store commit → engine commit; a failed engine commit puts the old row
 * back (best effort: if that fails too, verify reports the row's keys as missing, fail-closed).
 */
#include <stdlib.h>
#include <string.h>

#include "common/wl_err.h"
#include "whitelist/apply.h"
#include "whitelist/rebind.h"
#include "whitelist/version_path.h"
#include "whitelist/whitelist_int.h"

/* ---------------------------------------------------------------- review */

static const wl_rule *candidate(const wl_rule *rules, size_t nr, const wl_proposal *p, int *kind) {
  for (size_t i = 0; i < nr; i++) {
    const wl_rule *r = &rules[i];
    if (r->dir != p->dir || (!r->app[0] && !r->app_nt[0]) || r->package[0])
      continue; /* package rules follow their package already (rule.c) */
    *kind = wl_version_path_match(r->app, p->app_dos[0] ? p->app_dos : p->app);
    if (!*kind)
      *kind = wl_version_path_match(r->app_nt, p->app);
    if (*kind)
      return r;
  }
  return NULL;
}

/* An update's path is new by nature: its predecessor was ruled, so "new path" says nothing
 * against it. An app never seen before the cut has only that reason (proposals.c missed_why):
 * its stability becomes unknown and the unstable flag goes. */
static void forgive_new_path(wl_proposal *p) {
  if (!(p->unstable_why & WL_STABILITY_NEW_PATH))
    return;
  p->unstable_why = 0;
  p->stability = -1;
  p->flags &= ~(uint32_t)WL_PROPOSAL_FLAG_UNSTABLE;
}

static void annotate_one(wl_engine *e, const wl_rule *rules, size_t nr, wl_proposal *p) {
  int kind = 0;
  p->update_of = p->update_candidate = 0;
  p->update_kind = p->signer_checked = p->signer_status = 0;
  p->signer[0] = p->rule_signer[0] = 0;
  if (!p->app[0] || (p->flags & (WL_PROPOSAL_FLAG_NO_APP | WL_PROPOSAL_FLAG_TRUNCATED |
                                 WL_PROPOSAL_FLAG_UNMAPPED)))
    return;
  const wl_rule *c = candidate(rules, nr, p, &kind);
  if (!c)
    return;
  p->update_candidate = c->id;
  p->update_kind = (uint8_t)kind;
  wl_strlcpy(p->rule_signer, c->signer, sizeof p->rule_signer);
  wl_signer sg;
  if (!e || wl_engine_signer(e, p->app_dos[0] ? p->app_dos : p->app, &sg) != WL_OK) {
    wl_err_clear(); /* signer unknown: shown unchecked; promote asks again */
    return;
  }
  p->signer_checked = 1;
  p->signer_status = sg.status;
  wl_strlcpy(p->signer, sg.name, sizeof p->signer);
  if (sg.status == WL_SIGN_SIGNED && c->signer[0] && !strcmp(sg.name, c->signer)) {
    p->update_of = c->id;
    forgive_new_path(p);
  } else
    p->flags |=
        sg.status == WL_SIGN_UNSIGNED ? WL_PROPOSAL_FLAG_UNSIGNED : WL_PROPOSAL_FLAG_SIGNER_CHANGED;
}

int wl_rebind_annotate(wl_engine *e, wl_store *s, wl_proposal *p, size_t n) {
  wl_rule *rules = NULL;
  size_t nr = 0;
  if (!n)
    return WL_OK;
  int rc = wl_rules_load(s, &rules, &nr);
  for (size_t i = 0; !rc && i < n; i++)
    annotate_one(e, rules, nr, &p[i]);
  free(rules);
  return rc;
}

void wl_rebind_signer_of(wl_engine *e, const char *app, char *out, size_t cap) {
  wl_signer sg;
  out[0] = 0;
  if (app[0] && wl_engine_signer(e, app, &sg) == WL_OK && sg.status == WL_SIGN_SIGNED)
    wl_strlcpy(out, sg.name, cap);
  wl_err_clear();
}

/* ---------------------------------------------------------------- the write */

/* 1 when the rule's previous binary still exists, 0 when it is gone, < 0 on an engine error. */
static int prev_exists(wl_engine *e, const wl_rule *r) {
  uint8_t blob[WL_APP_ID_MAX];
  size_t len = 0;
  const char *app = r->prev_app[0] ? r->prev_app : r->prev_app_nt;
  int rc = wl_engine_app_id(e, app, blob, sizeof blob, &len);
  if (rc == WL_E_NOTFOUND) {
    wl_err_clear();
    return 0;
  }
  return rc ? rc : 1;
}

static int has_key(const wl_guid *k, size_t n, const wl_guid *key) {
  for (size_t i = 0; i < n; i++)
    if (wl_guid_eq(&k[i], key))
      return 1;
  return 0;
}

typedef struct rb_write {
  wl_rule_row *old, *row; /* the row as stored, and as it becomes */
  wl_filter f[WL_RULE_MAX_FILTERS];
  size_t nf;
  wl_guid del[WL_ROW_MAX_KEYS];
  size_t nd;
} rb_write;

/* The filters nr wants, its row, and the old keys it no longer wants. */
static int plan(wl_engine *e, const wl_rule *nr, rb_write *w, wl_rebind_result *res) {
  wl_guid oldk[WL_ROW_MAX_KEYS];
  size_t nk = 0;
  int rc = wl_rule_filters(e, nr, w->f, WL_RULE_MAX_FILTERS, &w->nf);
  if (!rc)
    rc = wl_filter_keys_parse(w->old->filters, oldk, WL_ROW_MAX_KEYS, &nk);
  if (rc)
    return rc;
  *w->row = *w->old;
  if ((rc = wl_rule_to_row(nr, w->row)) != WL_OK)
    return rc;
  wl_filter_keys_format(w->f, w->nf, w->row->filters, sizeof w->row->filters);
  for (size_t i = 0; i < w->nf; i++)
    res->added += !has_key(oldk, nk, &w->f[i].key);
  w->nd = 0;
  for (size_t i = 0; i < nk; i++) {
    int wanted = 0;
    for (size_t j = 0; j < w->nf && !wanted; j++)
      wanted = wl_guid_eq(&oldk[i], &w->f[j].key);
    if (!wanted)
      w->del[w->nd++] = oldk[i];
  }
  res->removed = w->nd;
  return WL_OK;
}

static int commit(wl_engine *e, wl_store *s, rb_write *w) {
  size_t added = 0, adopted = 0, deleted = 0;
  int rc = wl_engine_begin(e);
  if (rc)
    return rc;
  if ((rc = wl_objects_ensure(e)) != WL_OK ||
      (rc = wl_filters_put(e, w->f, w->nf, &added, &adopted)) != WL_OK ||
      (rc = wl_filters_delete(e, w->del, w->nd, &deleted)) != WL_OK ||
      (rc = wl_store_begin(s)) != WL_OK)
    goto abort_engine;
  if ((rc = wl_store_rule_update(s, w->row)) != WL_OK) {
    wl_store_rollback(s);
    goto abort_engine;
  }
  if ((rc = wl_store_commit(s)) != WL_OK)
    goto abort_engine;
  if ((rc = wl_engine_commit(e)) != WL_OK) {
    char msg[512];
    wl_strlcpy(msg, wl_errmsg(), sizeof msg);
    if (wl_store_rule_update(s, w->old) != WL_OK) /* autocommit: the row as it was */
      return wl_err(rc,
                    "%s (rule %lld's row was changed without its filters: run verify "
                    "--repair)",
                    msg, (long long)w->old->id);
    return wl_err(rc, "%s (rule %lld not re-bound)", msg, (long long)w->old->id);
  }
  return WL_OK;
abort_engine:
  wl_engine_abort(e);
  return rc;
}

/* Load rule `id`, let `change` make the new rule from it, and write (unless dry). */
typedef int (*rb_change)(wl_engine *e, const wl_proposal *p, wl_rule *nr, wl_rebind_result *res);

static int rewrite(wl_engine *e, wl_store *s, int64_t id, rb_change change, const wl_proposal *p,
                   int dry, wl_rebind_result *res) {
  rb_write *w = calloc(1, sizeof *w);
  wl_rule_row *rows = calloc(2, sizeof *rows);
  wl_rule *nr = malloc(sizeof *nr);
  int rc = w && rows && nr ? WL_OK : wl_err(WL_E_NOMEM, "re-bind: out of memory");
  if (rc)
    goto out;
  w->old = &rows[0];
  w->row = &rows[1];
  res->rule_id = id;
  if ((rc = wl_store_rule_get(s, id, w->old)) != WL_OK ||
      (rc = wl_rule_from_row(w->old, nr)) != WL_OK || (rc = change(e, p, nr, res)) != WL_OK ||
      (rc = plan(e, nr, w, res)) != WL_OK)
    goto out;
  if (!dry)
    rc = commit(e, s, w);
out:
  free(nr);
  free(rows);
  free(w);
  return rc;
}

/* The re-bind: the proposal's path becomes the rule's, the old one its prev while it exists. */
static int to_new_path(wl_engine *e, const wl_proposal *p, wl_rule *nr, wl_rebind_result *res) {
  wl_strlcpy(nr->prev_app, nr->app, sizeof nr->prev_app);
  wl_strlcpy(nr->prev_app_nt, nr->app_nt, sizeof nr->prev_app_nt);
  wl_strlcpy(nr->app, p->app_dos[0] ? p->app_dos : p->app, sizeof nr->app);
  nr->app_nt[0] = 0;
  int rc = wl_rule_resolve(e, NULL, nr); /* the new app id; SIDs stay the rule's */
  if (rc)
    return rc;
  int kept = prev_exists(e, nr);
  if (kept < 0)
    return kept;
  res->old_kept = kept;
  if (!kept)
    nr->prev_app[0] = nr->prev_app_nt[0] = 0;
  return WL_OK;
}

int wl_rebind_apply(wl_engine *e, wl_store *s, const wl_proposal *p, int dry_run,
                    wl_rebind_result *res) {
  memset(res, 0, sizeof *res);
  if (!p->update_of)
    return wl_err(WL_E_INVAL, "proposal %lld is not an update of a rule", (long long)p->id);
  return rewrite(e, s, p->update_of, to_new_path, p, dry_run, res);
}

/* ---------------------------------------------------------------- sweep */

static int drop_prev(wl_engine *e, const wl_proposal *p, wl_rule *nr, wl_rebind_result *res) {
  (void)e;
  (void)p;
  (void)res;
  nr->prev_app[0] = nr->prev_app_nt[0] = 0;
  return WL_OK;
}

typedef struct rb_list {
  int64_t *ids;
  size_t n, cap;
} rb_list;

static int rebound_cb(void *ctx, const wl_rule_row *r) {
  rb_list *l = ctx;
  if (!r->prev_app[0] && !r->prev_app_nt[0])
    return 0;
  if (l->n == l->cap) {
    size_t cap = l->cap ? 2 * l->cap : 16;
    int64_t *ids = realloc(l->ids, cap * sizeof *ids);
    if (!ids)
      return wl_err(WL_E_NOMEM, "re-bind sweep: out of memory");
    l->ids = ids;
    l->cap = cap;
  }
  l->ids[l->n++] = r->id;
  return 0;
}

int wl_rebind_sweep(wl_engine *e, wl_store *s, size_t *dropped) {
  rb_list l = {NULL, 0, 0};
  *dropped = 0;
  int rc = wl_store_rules(s, rebound_cb, &l);
  wl_rule *r = malloc(sizeof *r);
  wl_rule_row *row = malloc(sizeof *row);
  if (!rc && (!r || !row))
    rc = wl_err(WL_E_NOMEM, "re-bind sweep: out of memory");
  for (size_t i = 0; !rc && i < l.n; i++) {
    wl_rebind_result res = {0};
    if ((rc = wl_store_rule_get(s, l.ids[i], row)) != WL_OK ||
        (rc = wl_rule_from_row(row, r)) != WL_OK)
      break;
    int kept = prev_exists(e, r);
    if (kept < 0)
      rc = kept;
    else if (!kept && (rc = rewrite(e, s, l.ids[i], drop_prev, NULL, 0, &res)) == WL_OK)
      (*dropped)++;
  }
  free(row);
  free(r);
  free(l.ids);
  return rc;
}
