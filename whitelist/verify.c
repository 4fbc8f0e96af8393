/* verify.c — compare the whitelist (rule rows, and in enforce mode the persistent block) with
 * the filters the engine really has, and repair the differences.
 *
 * A rule's expected filters are rebuilt from the row (keys derive from the rule, so nothing
 * else is needed to find them): missing → re-add, altered → replace. Filters of our provider
 * that no rule and no enforce variant owns are orphans → delete. A row whose stored key list no
 * longer matches its rebuilt filters (its app now maps elsewhere, say) is updated. Repairs are
 * one engine transaction, then the row updates in one store transaction: the engine side first,
 * so a failure leaves at worst rows listing keys that `verify` reports again.
 */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/wl_err.h"
#include "engine/keys.h"
#include "whitelist/apply.h"
#include "whitelist/enforce.h"
#include "whitelist/whitelist_int.h"

typedef struct vctx {
  wl_engine *e;
  wl_verify_report *rep;
  wl_filter *put;          /* filters to (re-)add on repair */
  size_t n_put, cap_put;
  wl_guid *owned;          /* keys a rule or the enforce block owns */
  size_t n_owned, cap_owned;
  wl_rule_row *stale;      /* rows whose key list changed */
  size_t n_stale, cap_stale;
  wl_filter *cur, *tmp;    /* scratch: one engine filter, the rule's filters */
  wl_rule *rule;
} vctx;

static wl_issue *issue(vctx *v, int kind, int64_t rule, const wl_guid *key, uint64_t fid,
                       const char *what) {
  wl_verify_report *r = v->rep;
  r->issues_total++;
  if (r->n_issues == WL_VERIFY_MAX_ISSUES)
    return NULL;
  wl_issue *i = &r->issues[r->n_issues++];
  memset(i, 0, sizeof *i);
  i->kind = kind;
  i->rule_id = rule;
  if (key)
    i->key = *key;
  i->filter_id = fid;
  wl_strlcpy(i->what, what, sizeof i->what);
  return i;
}

static int grow(void **p, size_t *cap, size_t n, size_t size) {
  if (n < *cap)
    return WL_OK;
  size_t c = *cap ? 2 * *cap : 16;
  void *q = realloc(*p, c * size);
  if (!q)
    return wl_err(WL_E_NOMEM, "verify: out of memory");
  *p = q;
  *cap = c;
  return WL_OK;
}

static int own(vctx *v, const wl_guid *k) {
  int rc = grow((void **)&v->owned, &v->cap_owned, v->n_owned, sizeof *v->owned);
  if (!rc)
    v->owned[v->n_owned++] = *k;
  return rc;
}

/* Check one expected filter; queue it for repair when missing or altered. */
static int expect(vctx *v, const wl_filter *f, int64_t rule, int kind_if_missing) {
  int rc = own(v, &f->key);
  if (rc)
    return rc;
  v->rep->filters_expected++;
  rc = wl_engine_filter_get_by_key(v->e, &f->key, v->cur);
  if (rc && rc != WL_E_NOTFOUND)
    return rc;
  if (!rc && wl_filter_same(f, v->cur)) {
    v->rep->filters_found++;
    return WL_OK;
  }
  if (!rc)
    v->rep->filters_found++;
  issue(v, rc ? kind_if_missing : WL_ISSUE_ALTERED, rule, &f->key, rc ? 0 : v->cur->id,
        f->name);
  wl_err_clear();
  rc = grow((void **)&v->put, &v->cap_put, v->n_put, sizeof *v->put);
  if (!rc)
    v->put[v->n_put++] = *f;
  return rc;
}

/* A rule whose app cannot be derived (not on disk, volume gone): keep what it had — its
 * filters are not orphans, only unexplainable — and say whether they are still there. */
static int unresolved(vctx *v, const wl_rule_row *row) {
  wl_issue *x = issue(v, WL_ISSUE_UNRESOLVED, row->id, NULL, 0, wl_errmsg());
  wl_err_clear();
  wl_guid k[WL_ROW_MAX_KEYS];
  size_t nk = 0;
  int rc = WL_OK;
  wl_filter_keys_parse(row->filters, k, WL_ROW_MAX_KEYS, &nk);
  for (size_t i = 0; i < nk && !rc; i++) {
    rc = own(v, &k[i]);
    int got = rc ? rc : wl_engine_filter_get_by_key(v->e, &k[i], v->cur);
    if (got == WL_E_NOTFOUND && x)
      x->lost = 1;
    if (got == WL_E_NOTFOUND)
      wl_err_clear();
  }
  return rc == WL_E_NOMEM ? rc : 0;
}

/* The app id of the rule's DOS path now. When it differs from the row's (the volume was
 * renumbered: persistent filters bake in \device\harddiskvolumeN), r->app_nt takes the new
 * one and *moved is set; the rule's filter keys follow it. */
static int rederive(vctx *v, const wl_rule_row *row, wl_rule *r, int *moved) {
  uint8_t blob[WL_APP_ID_MAX];
  size_t len = 0;
  char nt[WL_PATH_MAX], what[160];
  *moved = 0;
  if (!r->app[0] || wl_is_nt_path(r->app) || !row->app_nt[0] || r->package[0])
    return WL_OK; /* any app, never mapped to a DOS path, or a package rule (its filters name
                   * the package, not the path): nothing to derive */
  int rc = wl_engine_app_id(v->e, r->app, blob, sizeof blob, &len);
  if (rc)
    return wl_err_prefix(rc, "rule for %s", r->app);
  wl_utf16le_to_utf8(blob, len, nt, sizeof nt);
  if (strlen(nt) == strlen(row->app_nt) && !wl_strncasecmp(nt, row->app_nt, strlen(nt)))
    return WL_OK;
  snprintf(what, sizeof what, "app id of %.40s is now %.50s (was %.50s)", r->app, nt, row->app_nt);
  issue(v, WL_ISSUE_APPID, row->id, NULL, 0, what);
  wl_strlcpy(r->app_nt, nt, sizeof r->app_nt);
  *moved = 1;
  return WL_OK;
}

static int rule_cb(void *ctx, const wl_rule_row *row) {
  vctx *v = ctx;
  size_t n = 0;
  int moved = 0;
  char keys[sizeof row->filters];
  v->rep->rules++;
  int rc = wl_rule_from_row(row, v->rule);
  if (!rc)
    rc = rederive(v, row, v->rule, &moved);
  if (!rc)
    rc = wl_rule_filters(v->e, v->rule, v->tmp, WL_RULE_MAX_FILTERS, &n);
  if (rc == WL_E_NOMEM)
    return rc;
  if (rc)
    return unresolved(v, row);
  for (size_t i = 0; i < n && !rc; i++)
    rc = expect(v, &v->tmp[i], row->id, WL_ISSUE_MISSING);
  wl_filter_keys_format(v->tmp, n, keys, sizeof keys);
  if (!rc && (moved || strcmp(keys, row->filters) != 0)) {
    if (!moved)
      issue(v, WL_ISSUE_ALTERED, row->id, NULL, 0, "the rule row lists other filter keys");
    rc = grow((void **)&v->stale, &v->cap_stale, v->n_stale, sizeof *v->stale);
    if (!rc) {
      v->stale[v->n_stale] = *row;
      wl_strlcpy(v->stale[v->n_stale].app_nt, v->rule->app_nt, sizeof row->app_nt);
      wl_strlcpy(v->stale[v->n_stale++].filters, keys, sizeof row->filters);
    }
  }
  return rc;
}

/* In enforce mode the persistent block must be complete; while pending, the dynamic one is the
 * watchdog's (owned, not checked: it lives and dies with that process). */
static int check_block(vctx *v, wl_store *s) {
  char mode[32];
  wl_filter *f = calloc(WL_ENFORCE_MAX_FILTERS, sizeof *f);
  wl_enforce_set *set = malloc(sizeof *set);
  size_t n = 0;
  int rc = f && set ? wl_enforce_mode(s, mode, sizeof mode) : wl_err(WL_E_NOMEM, "verify");
  if (!rc && !strcmp(mode, "enforce"))
    rc = wl_enforce_set_load(v->e, s, set);
  if (!rc && !strcmp(mode, "enforce"))
    rc = wl_enforce_filters(set, 1, f, WL_ENFORCE_MAX_FILTERS, &n);
  for (size_t i = 0; !rc && i < n; i++)
    rc = expect(v, &f[i], 0, WL_ISSUE_BLOCK);
  free(set);
  free(f);
  return rc;
}

static int is_owned(const vctx *v, const wl_guid *k) {
  for (size_t i = 0; i < v->n_owned; i++)
    if (wl_guid_eq(&v->owned[i], k))
      return 1;
  return wl_enforce_owns(k);
}

static int find_orphans(vctx *v, wl_guid **orphans, size_t *n) {
  wl_guid pk = wl_provider_key();
  wl_filter *all = NULL;
  size_t na = 0, cap = 0;
  int rc = wl_engine_filter_enum(v->e, &pk, &all, &na);
  for (size_t i = 0; !rc && i < na; i++) {
    if (is_owned(v, &all[i].key))
      continue;
    issue(v, WL_ISSUE_ORPHAN, 0, &all[i].key, all[i].id, all[i].name);
    rc = grow((void **)orphans, &cap, *n, sizeof **orphans);
    if (!rc)
      (*orphans)[(*n)++] = all[i].key;
  }
  wl_engine_free(all);
  return rc;
}

/* The stale rows' new key lists, in one store transaction after the engine's. */
static int update_rows(wl_store *s, const wl_rule_row *rows, size_t n) {
  int rc = wl_store_begin(s);
  if (rc)
    return rc;
  for (size_t i = 0; i < n; i++) {
    rc = wl_store_rule_update(s, &rows[i]);
    if (rc)
      goto rollback_store;
  }
  return wl_store_commit(s);
rollback_store:
  wl_store_rollback(s);
  return rc;
}

static int repair_all(vctx *v, wl_store *s, const wl_guid *orphans, size_t n_orphans) {
  size_t added = 0, adopted = 0, deleted = 0;
  int rc = wl_engine_begin(v->e);
  if (rc)
    return rc;
  rc = wl_objects_ensure(v->e);
  if (rc)
    goto abort_engine;
  rc = wl_filters_put(v->e, v->put, v->n_put, &added, &adopted);
  if (rc)
    goto abort_engine;
  rc = wl_filters_delete(v->e, orphans, n_orphans, &deleted);
  if (rc)
    goto abort_engine;
  rc = wl_engine_commit(v->e);
  if (!rc && v->n_stale)
    rc = update_rows(s, v->stale, v->n_stale);
  if (!rc)
    v->rep->repaired = added + deleted + v->n_stale;
  return rc;
abort_engine:
  wl_engine_abort(v->e);
  return rc;
}

static void vctx_free(vctx *v) {
  free(v->put);
  free(v->owned);
  free(v->stale);
  free(v->cur);
  free(v->tmp);
  free(v->rule);
}

/* Unresolved rules (apps not on disk) named in one message, for the all-or-nothing refusal. */
static int refuse_missing(const wl_verify_report *rep) {
  char list[400] = "";
  size_t used = 0, n = 0;
  for (size_t i = 0; i < rep->n_issues; i++) {
    if (rep->issues[i].kind != WL_ISSUE_UNRESOLVED)
      continue;
    if (n++ < 4 && used < sizeof list)
      used += (size_t)snprintf(list + used, sizeof list - used, "%s rule %lld",
                               n > 1 ? "," : "", (long long)rep->issues[i].rule_id);
  }
  return n ? wl_err(WL_E_NOTFOUND, "%u rule%s name apps that cannot be found (%s%s): nothing "
                    "repaired (--skip-missing repairs the rest)", (unsigned)n, n == 1 ? "" : "s",
                    list, n > 4 ? ", ..." : "")
           : WL_OK;
}

int wl_rules_verify(wl_engine *e, wl_store *s, int flags, wl_verify_report *rep) {
  int repair = flags & WL_VERIFY_REPAIR;
  vctx v = {0};
  wl_guid *orphans = NULL;
  size_t n_orphans = 0;
  int rc;
  memset(rep, 0, sizeof *rep);
  v.e = e;
  v.rep = rep;
  v.cur = malloc(sizeof *v.cur);
  v.tmp = calloc(WL_RULE_MAX_FILTERS, sizeof *v.tmp);
  v.rule = malloc(sizeof *v.rule);
  if (!v.cur || !v.tmp || !v.rule) {
    rc = wl_err(WL_E_NOMEM, "verify: out of memory");
    goto out;
  }
  rc = wl_store_rules(s, rule_cb, &v);
  if (rc)
    goto out;
  rc = check_block(&v, s);
  if (rc)
    goto out;
  rc = find_orphans(&v, &orphans, &n_orphans);
  if (rc)
    goto out;
  assert(rep->n_issues <= WL_VERIFY_MAX_ISSUES && rep->n_issues <= rep->issues_total);
  if (repair && rep->issues_total && !(flags & WL_VERIFY_SKIP_MISSING))
    rc = refuse_missing(rep);
  if (!rc && repair && rep->issues_total)
    rc = repair_all(&v, s, orphans, n_orphans);
out:
  free(orphans);
  vctx_free(&v);
  return rc;
}
