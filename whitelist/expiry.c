/* expiry.c — temporary rules removed at their deadline (expiry.h): the sweep the service and
 * the commands share, its timer for the service, and `--for D`.
 *
 * Due rules are collected first (ids only, bounded by EXPIRY_BATCH a pass: the rest wait for
 * the next pass of the same sweep) and revoked one by one after the listing's statement is
 * done, each in its own engine and store transactions (whitelist/apply.c wl_rules_revoke), so
 * one rule that cannot be removed does not keep the others.
 */
#include "whitelist/expiry.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/wl_err.h"
#include "common/wl_text.h"
#include "whitelist/apply.h"

#define EXPIRY_BATCH 64u

int wl_expiry_parse_for(const char *d, uint64_t now, uint64_t *expires) {
  uint64_t t = 0;
  if (!d || wl_duration_parse(d, &t) != WL_OK || t == 0 || t > WL_EXPIRY_MAX_TICKS) {
    wl_err_clear();
    return wl_err(WL_E_INVAL, "--for %.40s: expected how long the rule lasts, like 30m, 2h, 3d "
                  "or 1w (more than 0, at most a year)", d ? d : "");
  }
  *expires = now + t;
  return WL_OK;
}

typedef struct due_ctx {
  uint64_t now, next;
  int64_t ids[EXPIRY_BATCH];
  uint64_t at[EXPIRY_BATCH];
  char what[EXPIRY_BATCH][160];
  size_t n;
  int more;
} due_ctx;

static int collect_due(void *ctx, const wl_rule_row *r) {
  due_ctx *d = ctx;
  if (!r->expires)
    return 0;
  if (r->expires > d->now) {
    d->next = !d->next || r->expires < d->next ? r->expires : d->next;
    return 0;
  }
  if (d->n == EXPIRY_BATCH) {
    d->more = 1;
    return 0;
  }
  d->ids[d->n] = r->id;
  d->at[d->n] = r->expires;
  snprintf(d->what[d->n], sizeof d->what[d->n], "%s %.140s", r->dir == WL_DIR_IN ? "in" : "out",
           r->app[0] ? r->app : "(any app)");
  d->n++;
  return 0;
}

static void say(wl_expiry_log_fn log, void *ctx, const due_ctx *d, size_t i) {
  char t[WL_TIME_STR_MAX], line[320];
  wl_time_format(d->at[i], t);
  uint64_t late = d->now - d->at[i];
  snprintf(line, sizeof line, "rule %lld (%s) expired at %s: its filters and the rule were "
           "removed%s", (long long)d->ids[i], d->what[i], t,
           late > 2 * WL_EXPIRY_CHECK_TICKS ? " (the deadline passed while wfplearn was not "
                                              "running or the machine was asleep)" : "");
  if (log)
    log(ctx, 0, line);
}

/* Revoke what collect_due found; WL_E_NOTFOUND (removed by someone else) is not an error. */
static int remove_due(wl_engine *e, wl_store *s, const due_ctx *d, wl_expiry_log_fn log,
                      void *ctx, size_t *expired) {
  for (size_t i = 0; i < d->n; i++) {
    int rc = wl_rules_revoke(e, s, &d->ids[i], 1);
    if (rc == WL_E_NOTFOUND) {
      wl_err_clear();
      continue;
    }
    if (rc)
      return wl_err_prefix(rc, "rule %lld expired but was not removed", (long long)d->ids[i]);
    (*expired)++;
    say(log, ctx, d, i);
  }
  return WL_OK;
}

int wl_expiry_sweep(wl_store *s, wl_engine *e, const char *engine_spec, uint64_t now,
                    wl_expiry_log_fn log, void *ctx, wl_expiry_report *rep) {
  wl_expiry_report r = {0, 0};
  wl_engine *mine = NULL;
  int rc = WL_OK;
  due_ctx *d = calloc(1, sizeof *d);
  if (!d)
    return wl_err(WL_E_NOMEM, "expired rules: out of memory");
  do {
    memset(d, 0, sizeof *d);
    d->now = now;
    if ((rc = wl_store_rules(s, collect_due, d)) != WL_OK || !d->n)
      break;
    if (!e && !mine && !engine_spec) {
      rc = wl_err(WL_E_INVAL, "rule %lld expired: no engine to remove its filters from",
                  (long long)d->ids[0]);
      break;
    }
    if (!e && !mine && (rc = wl_engine_open(engine_spec, 0, &mine)) != WL_OK)
      break;
    rc = remove_due(e ? e : mine, s, d, log, ctx, &r.expired);
  } while (rc == WL_OK && d->more);
  r.next = d->next;
  free(d);
  wl_engine_close(mine);
  if (rep)
    *rep = r;
  return rc;
}

void wl_expiry_tick(wl_expiry_timer *t, wl_store *s, const char *engine_spec, uint64_t now,
                    wl_expiry_log_fn log, void *ctx) {
  if (!s || (t->last && now >= t->last && now < t->next))
    return; /* not open yet, or not time yet (a clock gone backwards checks at once) */
  wl_expiry_report r;
  int rc = wl_expiry_sweep(s, NULL, engine_spec, now, log, ctx, &r);
  t->last = now;
  t->next = now + WL_EXPIRY_CHECK_TICKS;
  if (rc == WL_OK && r.next && r.next < t->next)
    t->next = r.next;
  if (rc != WL_OK && !t->failing && log) {
    char line[600];
    snprintf(line, sizeof line, "expired rules not removed yet (tried again every %llu s): %s",
             (unsigned long long)(WL_EXPIRY_CHECK_TICKS / WL_TICKS_PER_SEC),
             wl_errmsg()[0] ? wl_errmsg() : wl_strerror(rc));
    log(ctx, 1, line);
  }
  t->failing = rc != WL_OK;
  wl_err_clear();
}
