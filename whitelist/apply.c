/* apply.c — changing the whitelist in the engine and the store together: add rules (promote,
 * import-policy), promote proposals (wl_promote) and revoke rules. (Verify and repair, which reconcile the two afterwards, are
 * verify.c.)
 *
 * Order and failure cases (the invariant: the engine never holds a permit the store does not
 * know about, so every leftover is fail-closed):
 *   add:    engine begin → filters added (adopt-or-replace) → store begin → rows → store commit
 *           → engine commit.
 *           - any failure before the store commit: both aborted, nothing changed;
 *           - store commit fails: engine aborted, nothing changed;
 *           - engine commit fails: the rows just committed are deleted again (a second store
 *             transaction). If that fails too, rows without filters remain: their traffic stays
 *             blocked, `verify` reports the filters missing and `verify --repair` adds them.
 *   revoke: engine begin → filters deleted → engine commit → store begin → rows deleted →
 *           store commit.
 *           - engine commit fails: nothing changed;
 *           - store commit fails: the filters are gone but the rows stay (fail-closed);
 *             `verify` reports them missing and revoking again finishes the job.
 * WFP's transaction holds the engine's lock while the store commits: both are short.
 *
 * Cleanup: a function that acquires several things (memory, a transaction) releases them in
 * reverse order at labels, and the first error is the one returned.
 */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/wl_err.h"
#include "whitelist/apply.h"
#include "whitelist/proposal.h"
#include "whitelist/rebind.h"
#include "whitelist/whitelist_int.h"

typedef struct ident_list {
  char **s;
  int64_t *ids;
  size_t n, cap;
} ident_list;

static void idents_free(ident_list *l) {
  for (size_t i = 0; i < l->n; i++)
    free(l->s[i]);
  free(l->s);
  free(l->ids);
}

static int idents_push(ident_list *l, const char *s, int64_t id) {
  if (l->n == l->cap) {
    size_t cap = l->cap ? 2 * l->cap : 32;
    char **ns = realloc(l->s, cap * sizeof *ns);
    if (ns)
      l->s = ns;
    int64_t *ni = ns ? realloc(l->ids, cap * sizeof *ni) : NULL;
    if (!ni)
      return wl_err(WL_E_NOMEM, "rules: out of memory");
    l->ids = ni;
    l->cap = cap;
  }
  size_t len = strlen(s) + 1;
  if (!(l->s[l->n] = malloc(len)))
    return wl_err(WL_E_NOMEM, "rules: out of memory");
  memcpy(l->s[l->n], s, len);
  l->ids[l->n++] = id;
  return WL_OK;
}

static int64_t idents_find(const ident_list *l, const char *s) {
  for (size_t i = 0; i < l->n; i++)
    if (!strcmp(l->s[i], s))
      return l->ids[i] ? l->ids[i] : -1;
  return 0;
}

/* The identities of the rules already in the store. */
static int idents_load(wl_store *s, ident_list *l) {
  wl_rule *have = NULL;
  size_t n = 0;
  char id[WL_RULE_IDENTITY_MAX];
  int rc = wl_rules_load(s, &have, &n);
  for (size_t i = 0; !rc && i < n; i++) {
    wl_rule_identity(&have[i], id, sizeof id);
    rc = idents_push(l, id, have[i].id);
  }
  free(have);
  return rc;
}

/* ---------------------------------------------------------------- add */

/* One wl_rules_add call: the caller's rules and rows, and what is worked out for them. */
typedef struct batch {
  const wl_rule *rules;
  wl_rule_row *rows;
  size_t n;
  int *is_new;  /* [n]: 1 unless identical to a stored rule or an earlier one of the batch */
  wl_filter *f; /* the new rules' filters, at most WL_RULE_MAX_FILTERS each */
  size_t nf;
} batch;

/* Which rules are new. The others get the identical stored row's id (0 for a duplicate within
 * the batch); res counts both kinds. */
static int mark_new(batch *b, ident_list *have, wl_apply_result *res) {
  char id[WL_RULE_IDENTITY_MAX];
  for (size_t i = 0; i < b->n; i++) {
    wl_rule_identity(&b->rules[i], id, sizeof id);
    int64_t same = idents_find(have, id);
    if (same) { /* an existing rule, or an earlier one of this batch */
      b->rows[i].id = same > 0 ? same : 0;
      res->same_rules++;
      continue;
    }
    b->is_new[i] = 1;
    res->added_rules++;
    int rc = idents_push(have, id, 0);
    if (rc)
      return rc;
  }
  assert(res->added_rules + res->same_rules == b->n);
  return WL_OK;
}

/* Filters for every new rule; rows get their rule columns and filter keys. */
static int build_all(wl_engine *e, batch *b) {
  b->nf = 0;
  for (size_t i = 0; i < b->n; i++) {
    if (!b->is_new[i])
      continue;
    size_t k = 0;
    wl_rule_row *row = &b->rows[i];
    int rc = wl_rule_filters(e, &b->rules[i], b->f + b->nf, WL_RULE_MAX_FILTERS, &k);
    if (!rc)
      rc = wl_rule_to_row(&b->rules[i], row);
    if (rc)
      return rc;
    wl_filter_keys_format(b->f + b->nf, k, row->filters, sizeof row->filters);
    if (!row->created)
      row->created = wl_time_now();
    b->nf += k;
  }
  assert(b->nf <= b->n * WL_RULE_MAX_FILTERS);
  return WL_OK;
}

/* Deletes the new rows again (the engine commit failed after the store's). Best effort: if
 * this fails too, rows without filters remain, which is fail-closed (see the top). */
static int undo_rows(wl_store *s, const batch *b) {
  int rc = wl_store_begin(s);
  if (rc)
    return rc;
  for (size_t i = 0; !rc && i < b->n; i++)
    if (b->is_new[i])
      rc = wl_store_rule_delete(s, b->rows[i].id);
  if (rc) {
    wl_store_rollback(s);
    return rc;
  }
  return wl_store_commit(s);
}

/* Inside the caller's engine transaction, which this ends either way: the new rows in one
 * store transaction, the store committed, then the engine. */
static int commit_both(wl_engine *e, wl_store *s, batch *b) {
  int rc = wl_store_begin(s);
  if (rc)
    goto abort_engine;
  for (size_t i = 0; i < b->n; i++) {
    if (!b->is_new[i])
      continue;
    rc = wl_store_rule_add(s, &b->rows[i]);
    if (rc)
      goto rollback_store;
  }
  rc = wl_store_commit(s);
  if (rc)
    goto abort_engine;
  rc = wl_engine_commit(e);
  if (rc) {
    char msg[512];
    wl_strlcpy(msg, wl_errmsg(), sizeof msg);
    if (undo_rows(s, b) != WL_OK)
      return wl_err(rc, "%s (the rules were stored without their filters, so their traffic "
                    "stays blocked: run verify --repair to add the filters, or revoke them)",
                    msg);
    return wl_err(rc, "%s (the rules were not added)", msg);
  }
  return WL_OK;
rollback_store:
  wl_store_rollback(s);
abort_engine:
  wl_engine_abort(e);
  return rc;
}

/* One engine transaction: our provider and sublayer, the filters, then commit_both. */
static int engine_add(wl_engine *e, wl_store *s, batch *b, wl_apply_result *res) {
  int rc = wl_engine_begin(e);
  if (rc)
    return rc;
  rc = wl_objects_ensure(e);
  if (rc)
    goto abort_engine;
  rc = wl_filters_put(e, b->f, b->nf, &res->added_filters, &res->adopted_filters);
  if (rc)
    goto abort_engine;
  return commit_both(e, s, b);
abort_engine:
  wl_engine_abort(e);
  return rc;
}

int wl_rules_add(wl_engine *e, wl_store *s, const wl_rule *rules, wl_rule_row *rows,
                 size_t n, wl_apply_result *res) {
  ident_list have = {0};
  batch b = {rules, rows, n, NULL, NULL, 0};
  int rc;
  memset(res, 0, sizeof *res);
  b.is_new = calloc(n ? n : 1, sizeof *b.is_new);
  b.f = calloc(n * WL_RULE_MAX_FILTERS + 1, sizeof *b.f);
  if (!b.is_new || !b.f) {
    rc = wl_err(WL_E_NOMEM, "rules: out of memory");
    goto out;
  }
  rc = idents_load(s, &have);
  if (rc)
    goto out;
  rc = mark_new(&b, &have, res);
  if (rc)
    goto out;
  rc = build_all(e, &b);
  if (rc || !res->added_rules)
    goto out;
  rc = engine_add(e, s, &b, res);
out:
  if (rc)
    memset(res, 0, sizeof *res);
  idents_free(&have);
  free(b.f);
  free(b.is_new);
  return rc;
}

/* ---------------------------------------------------------------- restore */

/* The filters of rule `id` as its row says, appended to f[*nf]. */
static int row_filters(wl_engine *e, wl_store *s, int64_t id, wl_filter *f, size_t *nf) {
  wl_rule_row *row = malloc(sizeof *row);
  wl_rule *r = malloc(sizeof *r);
  size_t k = 0;
  int rc = row && r ? wl_store_rule_get(s, id, row) : wl_err(WL_E_NOMEM, "rules: out of memory");
  if (!rc)
    rc = wl_rule_from_row(row, r);
  if (!rc)
    rc = wl_rule_filters(e, r, f + *nf, WL_RULE_MAX_FILTERS, &k);
  if (rc)
    wl_err_prefix(rc, "rule %lld", (long long)id);
  *nf += k;
  free(row);
  free(r);
  return rc;
}

int wl_rules_restore(wl_engine *e, wl_store *s, const int64_t *ids, size_t n, size_t *added,
                     wl_missing_cb missing, void *ctx) {
  size_t nf = 0, adopted = 0;
  int rc = WL_OK;
  *added = 0;
  wl_filter *f = calloc(n * WL_RULE_MAX_FILTERS + 1, sizeof *f);
  if (!f)
    return wl_err(WL_E_NOMEM, "rules: out of memory");
  for (size_t i = 0; i < n; i++) {
    rc = row_filters(e, s, ids[i], f, &nf);
    if (rc == WL_E_NOTFOUND && missing) { /* its app is gone: leave the rule as it is */
      missing(ctx, ids[i], wl_errmsg());
      wl_err_clear();
      rc = WL_OK;
    }
    if (rc)
      goto out;
  }
  rc = wl_engine_begin(e);
  if (rc)
    goto out;
  rc = wl_objects_ensure(e);
  if (!rc)
    rc = wl_filters_put(e, f, nf, added, &adopted);
  if (rc) {
    wl_engine_abort(e);
    *added = 0;
    goto out;
  }
  rc = wl_engine_commit(e);
  if (rc)
    *added = 0;
out:
  free(f);
  return rc;
}

/* ---------------------------------------------------------------- revoke */

/* The filter keys of rules ids[0..n), as their rows list them: at most WL_ROW_MAX_KEYS each. */
static int collect_keys(wl_store *s, const int64_t *ids, size_t n, wl_guid *keys, size_t *nk) {
  wl_rule_row *row = malloc(sizeof *row);
  int rc = WL_OK;
  *nk = 0;
  if (!row)
    return wl_err(WL_E_NOMEM, "revoke: out of memory");
  for (size_t i = 0; i < n; i++) {
    size_t k = 0;
    rc = wl_store_rule_get(s, ids[i], row);
    if (rc == WL_E_NOTFOUND)
      rc = wl_err(WL_E_NOTFOUND, "rule %lld: no such rule (see wfplearn rules)",
                  (long long)ids[i]);
    if (rc)
      goto out;
    rc = wl_filter_keys_parse(row->filters, keys + *nk, WL_ROW_MAX_KEYS, &k);
    if (rc)
      goto out;
    *nk += k;
  }
  assert(*nk <= n * WL_ROW_MAX_KEYS);
out:
  free(row);
  return rc;
}

/* The filters, in one engine transaction committed before the rows go. */
static int delete_filters(wl_engine *e, const wl_guid *keys, size_t nk) {
  size_t deleted = 0;
  int rc = wl_engine_begin(e);
  if (rc)
    return rc;
  rc = wl_filters_delete(e, keys, nk, &deleted);
  if (rc)
    goto abort_engine;
  return wl_engine_commit(e);
abort_engine:
  wl_engine_abort(e);
  return rc;
}

/* The rows, once their filters are gone. Failing now leaves rows without filters
 * (fail-closed), and the message says to revoke again. */
static int delete_rows(wl_store *s, const int64_t *ids, size_t n) {
  int rc = wl_store_begin(s);
  if (rc)
    return rc;
  for (size_t i = 0; i < n; i++) {
    rc = wl_store_rule_delete(s, ids[i]);
    if (rc)
      goto rollback_store;
  }
  rc = wl_store_commit(s);
  if (rc)
    goto half_done;
  return WL_OK;
rollback_store:
  wl_store_rollback(s);
half_done:
  return wl_err_prefix(rc, "the filters were removed but the rules were not (revoke again)");
}

int wl_rules_revoke(wl_engine *e, wl_store *s, const int64_t *ids, size_t n) {
  size_t nk = 0;
  int rc;
  wl_guid *keys = malloc((n * WL_ROW_MAX_KEYS + 1) * sizeof *keys);
  if (!keys)
    return wl_err(WL_E_NOMEM, "revoke: out of memory");
  rc = collect_keys(s, ids, n, keys, &nk);
  if (rc)
    goto out;
  rc = delete_filters(e, keys, nk);
  if (rc)
    goto out;
  rc = delete_rows(s, ids, n);
out:
  free(keys);
  return rc;
}

/* ---------------------------------------------------------------- promote */

/* One proposal → rep->rules/rows[n_rules] (resolved), or counted as covered or missing. */
static int promote_one(wl_engine *e, wl_store *s, int64_t id, int scope, wl_proposal *p,
                       int64_t *covered, wl_proposal *rebinds, wl_promote_report *rep) {
  wl_rule *r = &rep->rules[rep->n_rules];
  wl_rule_row *row = &rep->rows[rep->n_rules];
  int rc = wl_proposal_get(s, id, p);
  if (rc == WL_E_EXISTS) {
    if (rep->on_covered)
      rep->on_covered(rep->ctx, id, wl_errmsg());
    wl_err_clear();
    covered[rep->covered++] = p->covered_by;
    return WL_OK;
  }
  if (!rc && (scope < 0 || scope == p->choice.scope)) /* an app update re-binds its rule */
    rc = wl_rebind_annotate(e, s, p, 1);                 /* (rebind.h), after the loop */
  if (!rc && p->update_of) {
    for (size_t i = 0; i < rep->rebound; i++)
      if (rebinds[i].id == p->id)
        return WL_OK; /* the same id twice: one re-bind */
    rebinds[rep->rebound++] = *p;
    return WL_OK;
  }
  if (!rc)
    rc = wl_proposal_rule(p, scope, r);
  if (rc)
    return rc;
  rc = wl_rule_resolve(e, NULL, r); /* SIDs for all of them at once: wl_rules_sids */
  if (!rc) /* who signed it, so its next version can be re-bound (rebind.h) */
    wl_rebind_signer_of(e, r->app, r->signer, sizeof r->signer);
  if (rc == WL_E_NOTFOUND && rep->on_missing) { /* no app id: the file is gone (or its volume) */
    rep->on_missing(rep->ctx, id, wl_errmsg());
    wl_err_clear();
    rep->missing++;
    return WL_OK;
  }
  if (rc)
    return rc;
  memset(row, 0, sizeof *row);
  wl_proposal_evidence_json(p, row->evidence, sizeof row->evidence);
  wl_strlcpy(row->origin, "promote", sizeof row->origin);
  row->expires = rep->expires; /* promote --for: a temporary rule */
  rep->n_rules++;
  return WL_OK;
}

/* One app update: its rule re-bound (rebind.h), said through on_rebound. */
static int rebind_one(wl_engine *e, wl_store *s, const wl_proposal *p, int dry,
                      wl_promote_report *rep) {
  wl_rebind_result res;
  int rc = wl_rebind_apply(e, s, p, dry, &res);
  if (!rc && rep->on_rebound) {
    char msg[WL_PATH_MAX + 160];
    snprintf(msg, sizeof msg, "%s re-bound to %s (%zu filter%s added; the old path's filters %s)",
             dry ? "would be" : "is", p->app_dos[0] ? p->app_dos : p->app, res.added,
             res.added == 1 ? "" : "s",
             res.old_kept ? "stay while the old binary exists" : "removed: the old binary is gone");
    rep->on_rebound(rep->ctx, res.rule_id, msg);
  }
  return rc;
}

int wl_promote(wl_engine *e, wl_store *s, const int64_t *ids, size_t n, int scope, int flags,
               wl_promote_report *rep) {
  int skip = flags & WL_PROMOTE_SKIP_MISSING, dry = flags & WL_PROMOTE_DRY_RUN;
  rep->n_rules = rep->covered = rep->missing = rep->put_back = 0;
  memset(&rep->res, 0, sizeof rep->res);
  rep->rules = calloc(n ? n : 1, sizeof *rep->rules);
  rep->rows = calloc(n ? n : 1, sizeof *rep->rows);
  wl_proposal *p = malloc(sizeof *p);
  int64_t *covered = calloc(n ? n : 1, sizeof *covered);
  wl_proposal *rebinds = malloc((n ? n : 1) * sizeof *rebinds);
  rep->rebound = rep->swept = 0;
  int rc = p && covered && rebinds && rep->rules && rep->rows ? WL_OK
                                                              : wl_err(WL_E_NOMEM, "promote");
  if (!rc && !dry) /* re-bound rules whose old binary is gone lose its filters (rebind.h) */
    rc = wl_rebind_sweep(e, s, &rep->swept);
  for (size_t i = 0; !rc && i < n; i++)
    rc = promote_one(e, s, ids[i], scope, p, covered, rebinds, rep);
  if (!rc && rep->missing && !skip) /* all or nothing, each missing app named already */
    rc = wl_err(WL_E_NOTFOUND, "%zu proposal%s name apps no longer on disk (listed above): "
                "nothing promoted (--skip-missing promotes the others)", rep->missing,
                rep->missing == 1 ? "" : "s");
  for (size_t i = 0; !rc && i < rep->rebound; i++)
    rc = rebind_one(e, s, &rebinds[i], dry, rep);
  if (!rc && rep->covered && !dry)
    rc = wl_rules_restore(e, s, covered, rep->covered, &rep->put_back,
                          skip ? rep->on_missing_rule : NULL, rep->ctx);
  if (!rc && rep->n_rules)
    rc = wl_rules_sids(s, rep->rules, rep->n_rules);
  for (size_t i = 0; !rc && i < rep->n_rules; i++)
    rc = wl_rule_to_row(&rep->rules[i], &rep->rows[i]);
  if (!rc && rep->n_rules && !dry)
    rc = wl_rules_add(e, s, rep->rules, rep->rows, rep->n_rules, &rep->res);
  free(p);
  free(covered);
  free(rebinds);
  return rc;
}

void wl_promote_report_free(wl_promote_report *rep) {
  if (!rep)
    return;
  free(rep->rules);
  free(rep->rows);
  rep->rules = NULL;
  rep->rows = NULL;
}
