/* apply.c — changing the whitelist in the engine and the store together: add rules (promote,
 * import-policy), revoke rules, and verify / repair.
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
 */
#include <stdlib.h>
#include <string.h>

#include "common/wl_err.h"
#include "whitelist/whitelist_int.h"

typedef struct ident_list {
  char **s;
  int64_t *ids;
  size_t n, cap;
} ident_list;

static void idents_free(ident_list *l) {
  for (size_t i = 0; i < l->n; i++)
    free(l->s[i]);
  free(l->s), free(l->ids);
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
  char id[4096];
  int rc = wl_rules_load(s, &have, &n);
  for (size_t i = 0; !rc && i < n; i++) {
    wl_rule_identity(&have[i], id, sizeof id);
    rc = idents_push(l, id, have[i].id);
  }
  free(have);
  return rc;
}

/* Deletes rows[0..n) by id when they were added (id > 0 and not "same"), all or none. */
static int undo_rows(wl_store *s, wl_rule_row *rows, const int *is_new, size_t n) {
  int rc = wl_store_begin(s);
  if (rc)
    return rc;
  for (size_t i = 0; !rc && i < n; i++)
    if (is_new[i])
      rc = wl_store_rule_delete(s, rows[i].id);
  if (rc) {
    wl_store_rollback(s);
    return rc;
  }
  return wl_store_commit(s);
}

/* Filters for every new rule; rows get their rule columns and filter keys. */
static int build_all(wl_engine *e, const wl_rule *rules, wl_rule_row *rows, const int *is_new,
                     size_t n, wl_filter *f, size_t *nf) {
  *nf = 0;
  for (size_t i = 0; i < n; i++) {
    if (!is_new[i])
      continue;
    size_t k = 0;
    int rc = wl_rule_filters(e, &rules[i], f + *nf, WL_RULE_MAX_FILTERS, &k);
    if (!rc)
      rc = wl_rule_to_row(&rules[i], &rows[i]);
    if (rc)
      return rc;
    wl_filter_keys_format(f + *nf, k, rows[i].filters, sizeof rows[i].filters);
    if (!rows[i].created)
      rows[i].created = wl_time_now();
    *nf += k;
  }
  return WL_OK;
}

static int commit_both(wl_engine *e, wl_store *s, wl_rule_row *rows, const int *is_new,
                       size_t n) {
  int rc = wl_store_begin(s);
  for (size_t i = 0; !rc && i < n; i++)
    if (is_new[i])
      rc = wl_store_rule_add(s, &rows[i]);
  if (rc) {
    wl_store_rollback(s);
    wl_engine_abort(e);
    return rc;
  }
  if ((rc = wl_store_commit(s)) != WL_OK) {
    wl_engine_abort(e);
    return rc;
  }
  if ((rc = wl_engine_commit(e)) != WL_OK) {
    char msg[512];
    wl_strlcpy(msg, wl_errmsg(), sizeof msg);
    if (undo_rows(s, rows, is_new, n) != WL_OK)
      return wl_err(rc, "%s (the rules were stored without their filters, so their traffic "
                    "stays blocked: run verify --repair to add the filters, or revoke them)",
                    msg);
    return wl_err(rc, "%s (the rules were not added)", msg);
  }
  return WL_OK;
}

int wl_rules_add(wl_engine *e, wl_store *s, const wl_rule *rules, wl_rule_row *rows,
                 size_t n, wl_apply_result *res) {
  ident_list have = {0};
  int *is_new = calloc(n ? n : 1, sizeof *is_new);
  wl_filter *f = calloc(n * WL_RULE_MAX_FILTERS + 1, sizeof *f);
  char id[4096];
  size_t nf = 0;
  memset(res, 0, sizeof *res);
  int rc = (is_new && f) ? idents_load(s, &have) : wl_err(WL_E_NOMEM, "rules: out of memory");
  for (size_t i = 0; !rc && i < n; i++) {
    wl_rule_identity(&rules[i], id, sizeof id);
    int64_t same = idents_find(&have, id);
    if (same) { /* an existing rule, or an earlier one of this batch */
      rows[i].id = same > 0 ? same : 0;
      res->same_rules++;
      continue;
    }
    is_new[i] = 1;
    res->added_rules++;
    rc = idents_push(&have, id, 0);
  }
  if (!rc)
    rc = build_all(e, rules, rows, is_new, n, f, &nf);
  if (!rc && res->added_rules) {
    rc = wl_engine_begin(e);
    if (!rc)
      rc = wl_objects_ensure(e);
    if (!rc)
      rc = wl_filters_put(e, f, nf, &res->added_filters, &res->adopted_filters);
    if (rc)
      wl_engine_abort(e);
    else
      rc = commit_both(e, s, rows, is_new, n);
  }
  if (rc)
    memset(res, 0, sizeof *res);
  idents_free(&have);
  free(is_new), free(f);
  return rc;
}

int wl_rules_revoke(wl_engine *e, wl_store *s, const int64_t *ids, size_t n) {
  wl_rule_row *row = malloc(sizeof *row);
  wl_guid *keys = malloc((n * 8 + 1) * sizeof *keys);
  size_t nk = 0, deleted = 0;
  int rc = (row && keys) ? WL_OK : wl_err(WL_E_NOMEM, "revoke: out of memory");
  for (size_t i = 0; !rc && i < n; i++) {
    size_t k = 0;
    rc = wl_store_rule_get(s, ids[i], row);
    if (rc == WL_E_NOTFOUND)
      rc = wl_err(WL_E_NOTFOUND, "rule %lld: no such rule (see wfplearn rules)",
                  (long long)ids[i]);
    if (!rc)
      rc = wl_keys_parse(row->filters, keys + nk, 8, &k);
    nk += k;
  }
  if (!rc)
    rc = wl_engine_begin(e);
  if (!rc) {
    rc = wl_filters_delete(e, keys, nk, &deleted);
    rc = rc ? (wl_engine_abort(e), rc) : wl_engine_commit(e);
  }
  if (!rc)
    rc = wl_store_begin(s);
  if (!rc) {
    for (size_t i = 0; !rc && i < n; i++)
      rc = wl_store_rule_delete(s, ids[i]);
    rc = rc ? (wl_store_rollback(s), rc) : wl_store_commit(s);
    if (rc)
      rc = wl_err_prefix(rc, "the filters were removed but the rules were not (revoke again)");
  }
  free(row), free(keys);
  return rc;
}
