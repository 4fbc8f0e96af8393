/* report.c — the JSON of status, review and rules (ui/report.h), moved here from cli/cmd_*.c
 * so that the CLI's --json and the review page's API write the very same objects.
 */
#include "ui/report.h"

#include <stdlib.h>
#include <string.h>

#include "capture/capture.h"
#include "common/wl_err.h"
#include "common/wl_json.h"
#include "common/wl_os.h"
#include "common/wl_text.h"
#include "service/service.h"
#include "whitelist/apply.h"
#include "whitelist/enforce.h"
#include "whitelist/rule_use.h"

/* ---------------------------------------------------------------- status */

static void meta_or(wl_store *s, const char *key, char *out, size_t cap, const char *dflt) {
  if (wl_store_meta_get(s, key, out, cap) != WL_OK || !out[0])
    wl_strlcpy(out, dflt, cap);
}

/* The learning window and the service's state (service/): zero / "" when never recorded. */
static void load_service(wl_store *s, wl_status *x) {
  if (wl_window_load(s, &x->window) != WL_OK) {
    wl_err_clear();
    memset(&x->window, 0, sizeof x->window);
  }
  meta_or(s, WL_META_SERVICE_STATE, x->service, sizeof x->service, "");
  meta_or(s, WL_META_SERVICE_ENGINE, x->engine, sizeof x->engine, "");
  meta_or(s, WL_META_SERVICE_EVENT, x->event, sizeof x->event, "");
  meta_or(s, WL_META_SERVICE_REPAIR, x->repair, sizeof x->repair, "");
}

int wl_status_load(const char *path, int check, wl_status *x) {
  memset(x, 0, sizeof *x);
  wl_strlcpy(x->mode, "learn", sizeof x->mode);
  FILE *f = NULL;
  if (wl_os_fopen(path, "rb", &f) != WL_OK) {
    wl_err_clear();
    return WL_OK; /* no store yet: empty */
  }
  fclose(f);
  wl_store_opts o = {.read_only = 1, .quick_check = check};
  wl_store *s = NULL;
  int rc = wl_store_open(path, &o, &s);
  if (rc == WL_E_NOTFOUND) /* an empty file: created, never written */
    return WL_OK;
  if (rc == WL_OK)
    rc = wl_store_stats_get(s, &x->st);
  if (rc == WL_OK) {
    x->exists = 1;
    x->schema = wl_store_schema_version(s);
    /* the whitelist's view: a pending mode whose watchdog died reads as learn */
    if (wl_enforce_mode(s, x->mode, sizeof x->mode) != WL_OK)
      wl_strlcpy(x->mode, "learn", sizeof x->mode);
    meta_or(s, "capture_state", x->capture, sizeof x->capture, "");
    /* "running" in meta with nobody holding the capture lock: learn died (kill -9, a crash) */
    if (!strcmp(x->capture, "running") && wl_store_capture_holder(s, NULL, 0) == 0)
      wl_strlcpy(x->capture, "interrupted", sizeof x->capture);
    meta_or(s, "watchdog_deadline", x->deadline, sizeof x->deadline, "");
    meta_or(s, WL_META_CAPTURE_WARNING, x->warning, sizeof x->warning, "");
    meta_or(s, WL_META_BLIND_SINCE, x->blind_since, sizeof x->blind_since, "");
    meta_or(s, WL_META_EVTLOG_SINCE, x->evtlog_since, sizeof x->evtlog_since, "");
    if (wl_store_held_counts(s, &x->held) != WL_OK)
      wl_err_clear(); /* informative: zeros */
    load_service(s, x);
  }
  wl_store_close(s);
  return rc;
}

static void json_time(FILE *f, const char *key, uint64_t ticks) {
  char t[WL_TIME_STR_MAX];
  fprintf(f, ",\"%s\":", key);
  if (!ticks) {
    fputs("null", f);
    return;
  }
  wl_time_format(ticks, t);
  wl_json_write_string(f, t);
}

void wl_report_sublayers(FILE *f, wl_engine *e) {
  wl_sublayer_weight w[WL_SUBLAYER_REPORT_MAX];
  size_t n = 0;
  fputs(",\"sublayers\":", f);
  if (!e || wl_sublayers_report(e, w, &n) != WL_OK) {
    fputs("null", f);
    return;
  }
  for (size_t i = 0; i < n; i++) {
    fputs(i ? "," : "{", f);
    wl_json_write_string(f, w[i].name);
    if (w[i].present)
      fprintf(f, ":%u", (unsigned)w[i].weight);
    else
      fputs(":null", f);
  }
  fputs(n ? "}" : "{}", f);
}

unsigned long long wl_status_per_day(const wl_status *x, uint64_t now) {
  const wl_window *w = &x->window;
  uint64_t end = w->state == WL_WINDOW_ACTIVE ? now : w->ended;
  uint64_t ev = x->st.events >= w->base_events ? x->st.events - w->base_events : 0;
  if (w->state == WL_WINDOW_NONE || end < w->since + 60 * WL_TICKS_PER_SEC)
    return 0;
  return (unsigned long long)((double)ev * 86400.0 * WL_TICKS_PER_SEC / (double)(end - w->since));
}

/* ",window":{...}|null, service_state, engine_state (the page's header shows them too). */
static void json_window(FILE *f, const wl_status *x) {
  const wl_window *w = &x->window;
  uint64_t now = wl_time_now();
  fputs(",\"window\":", f);
  if (w->state == WL_WINDOW_NONE) {
    fputs("null", f);
  } else {
    fputs("{\"state\":", f);
    wl_json_write_string(f, wl_window_state_name(w->state));
    fprintf(f, ",\"left_s\":%llu,\"events_per_day\":%llu",
            (unsigned long long)(wl_window_left(w, now) / WL_TICKS_PER_SEC),
            wl_status_per_day(x, now));
    json_time(f, "since", w->since);
    json_time(f, "until", w->until);
    json_time(f, "ended", w->ended);
    fputs(",\"summary\":", f);
    wl_json_write_string(f, w->summary[0] ? w->summary : NULL);
    fputs("}", f);
  }
  fputs(",\"service_state\":", f);
  wl_json_write_string(f, x->service[0] ? x->service : NULL);
  fputs(",\"engine_state\":", f);
  wl_json_write_string(f, x->engine[0] ? x->engine : NULL);
  fputs(",\"service_repair\":", f);
  wl_json_write_string(f, x->repair[0] ? x->repair : NULL);
}

void wl_report_status(FILE *f, const char *path, const wl_status *x, wl_engine *e) {
  const wl_store_stats *st = &x->st;
  fputs("{\"db\":", f);
  wl_json_write_string(f, path);
  fprintf(f, ",\"exists\":%s,\"schema_version\":%d,\"mode\":", x->exists ? "true" : "false",
          x->schema);
  wl_json_write_string(f, x->mode);
  fputs(",\"capture_state\":", f);
  wl_json_write_string(f, x->capture[0] ? x->capture : NULL);
  fputs(",\"capture_warning\":", f);
  wl_json_write_string(f, x->warning[0] ? x->warning : NULL);
  fputs(",\"blind_since\":", f);
  wl_json_write_string(f, x->blind_since[0] ? x->blind_since : NULL);
  fputs(",\"evtlog_since\":", f);
  wl_json_write_string(f, x->evtlog_since[0] ? x->evtlog_since : NULL);
  fprintf(f, ",\"held\":{\"connections\":%llu,\"table_only\":%llu,\"programs\":%llu}",
          (unsigned long long)x->held.held, (unsigned long long)x->held.table_only,
          (unsigned long long)x->held.programs);
  fprintf(f,
          ",\"events\":%llu,\"events_kept\":%llu,\"drops\":%llu,\"backfilled\":%llu,"
          "\"skipped\":%llu,\"duplicates\":%llu,\"not_connections\":%llu,\"apps\":%llu,"
          "\"flows\":%llu,\"rules\":%llu,\"db_bytes\":%llu",
          (unsigned long long)st->events, (unsigned long long)st->events_kept,
          (unsigned long long)st->drops, (unsigned long long)st->backfilled,
          (unsigned long long)st->skipped, (unsigned long long)st->duplicates,
          (unsigned long long)st->not_connections, (unsigned long long)st->apps,
          (unsigned long long)st->flows, (unsigned long long)st->rules,
          (unsigned long long)st->db_bytes);
  json_time(f, "first_seen", st->first_ts);
  json_time(f, "last_seen", st->last_ts);
  /* a pending enforce: when the watchdog rolls it back unless confirmed (the page's countdown) */
  json_time(f, "confirm_before",
            strcmp(x->mode, "pending") ? 0 : (uint64_t)strtoull(x->deadline, NULL, 10));
  json_window(f, x);
  wl_report_sublayers(f, e);
  fputs("}\n", f);
}

/* ---------------------------------------------------------------- review */

static void json_flags(FILE *f, uint32_t flags) {
  int first = 1;
  fputc('[', f);
  for (uint32_t bit = 1; bit <= WL_PROPOSAL_FLAG_LAST; bit <<= 1)
    if (flags & bit) {
      fprintf(f, "%s\"%s\"", first ? "" : ",", wl_proposal_flag_name(bit));
      first = 0;
    }
  fputc(']', f);
}

static void json_blocked_by(FILE *f, wl_store *s, wl_filter_names *names,
                            const wl_evidence *evd) {
  fputc('[', f);
  for (uint32_t i = 0; i < evd->n_filters; i++) {
    const wl_filter_info *fi = wl_filter_names_get(names, s, evd->filters[i].filter_id);
    fprintf(f, "%s{\"filter_id\":%llu,\"count\":%llu,\"name\":", i ? "," : "",
            (unsigned long long)evd->filters[i].filter_id,
            (unsigned long long)evd->filters[i].count);
    wl_json_write_string(f, fi && fi->name[0] ? fi->name : NULL);
    fputs(",\"provider\":", f);
    wl_json_write_string(f, fi && fi->provider[0] ? fi->provider : NULL);
    fprintf(f, ",\"ours\":%s}", fi && fi->ours ? "true" : "false");
  }
  fputc(']', f);
}

void wl_report_proposal(FILE *f, wl_store *s, wl_filter_names *names, const wl_proposal *p,
                        wl_rule *r) {
  char t1[WL_TIME_STR_MAX], t2[WL_TIME_STR_MAX];
  int ok = wl_proposal_rule(p, -1, r) == WL_OK;
  wl_time_format(p->evidence.first_seen, t1);
  wl_time_format(p->evidence.last_seen, t2);
  fprintf(f, "{\"id\":%lld,\"app\":", (long long)p->id);
  wl_json_write_string(f, p->app_dos[0] ? p->app_dos : p->app[0] ? p->app : NULL);
  fputs(",\"app_nt\":", f);
  wl_json_write_string(f, p->app[0] ? p->app : NULL);
  fprintf(f, ",\"dir\":\"%s\",\"proto\":", p->dir == WL_DIR_IN ? "in" : "out");
  if (p->proto >= 0)
    fprintf(f, "%d", (int)p->proto);
  else
    fputs("null", f);
  fprintf(f, ",\"scope\":\"%s\",\"ports\":", wl_scope_name(p->choice.scope));
  wl_ports_write_json(f, r->ports, ok ? r->n_ports : 0);
  fputs(",\"remotes\":", f);
  wl_remotes_write_json(f, r->remotes, ok ? r->n_remotes : 0);
  fprintf(f,
          ",\"allowed\":%llu,\"blocked\":%llu,\"first_seen\":\"%s\",\"last_seen\":\"%s\","
          "\"flags\":",
          (unsigned long long)p->evidence.allowed, (unsigned long long)p->evidence.blocked, t1, t2);
  json_flags(f, p->flags);
  if (p->stability >= 0)
    fprintf(f, ",\"stability\":%.3f,\"unstable_why\":[", p->stability);
  else
    fputs(",\"stability\":null,\"unstable_why\":[", f);
  for (uint32_t bit = 1, first = 1; bit <= WL_STABILITY_LAST; bit <<= 1)
    if (p->unstable_why & bit) {
      fprintf(f, "%s\"%s\"", first ? "" : ",", wl_stability_reason_name(bit));
      first = 0;
    }
  fputc(']', f);
  fprintf(f,
          ",\"flows\":%llu,\"remote_count\":%u,\"remotes_more\":%s,\"promotable\":%s,"
          "\"blocked_by\":",
          (unsigned long long)p->evidence.flows, (unsigned)p->evidence.n_addrs,
          p->evidence.addrs_overflow ? "true" : "false", ok ? "true" : "false");
  json_blocked_by(f, s, names, &p->evidence);
  wl_report_rebind_json(f, p);
  fputc('}', f);
  wl_err_clear();
}

int wl_report_proposals(FILE *f, wl_store *s, const char *engine_spec, uint64_t since) {
  wl_proposal *p = NULL;
  size_t n = 0;
  wl_rule *r = malloc(sizeof *r);
  wl_filter_names names = {0};
  int rc = r ? wl_proposals_build(s, since, &p, &n) : wl_err(WL_E_NOMEM, "out of memory");
  if (!rc)
    rc = wl_report_rebind_annotate(s, engine_spec, p, n);
  for (size_t i = 0; !rc && i < n; i++) {
    fputs(i ? ",\n " : "[", f);
    wl_report_proposal(f, s, &names, &p[i], r);
  }
  wl_filter_names_free(&names);
  if (!rc) /* then the unused rules, proposed for revoke (report_use.c) */
    rc = wl_report_unused(f, s, &n);
  if (!rc) /* then the table-only evidence (report_held.c) */
    rc = wl_report_held(f, s, &n);
  if (!rc)
    fputs(n ? "]\n" : "[]\n", f);
  wl_proposals_free(p);
  free(r);
  return rc;
}

/* ---------------------------------------------------------------- rules */

static void json_keys(FILE *f, const char *csv) {
  fputc('[', f);
  for (const char *p = csv; *p;) {
    const char *end = strchr(p, ',');
    size_t len = end ? (size_t)(end - p) : strlen(p);
    fprintf(f, "%s\"%.*s\"", p == csv ? "" : ",", (int)len, p);
    p = end ? end + 1 : p + len;
  }
  fputc(']', f);
}

void wl_report_rule(FILE *f, const wl_rule_row *row, const wl_rule *r,
                    const struct wl_rule_use *u) {
  char created[WL_TIME_STR_MAX];
  wl_time_format(row->created, created);
  fprintf(f, "{\"id\":%lld,\"app\":", (long long)row->id);
  wl_json_write_string(f, row->app[0] ? row->app : NULL);
  fputs(",\"app_nt\":", f);
  wl_json_write_string(f, row->app_nt[0] ? row->app_nt : NULL);
  fprintf(f, ",\"dir\":\"%s\",\"proto\":", row->dir == WL_DIR_IN ? "in" : "out");
  if (row->proto >= 0)
    fprintf(f, "%d", (int)row->proto);
  else
    fputs("null", f);
  fputs(",\"scope\":", f);
  wl_json_write_string(f, row->scope[0] ? row->scope : "app");
  fputs(",\"ports\":", f);
  wl_ports_write_json(f, r->ports, r->n_ports);
  fputs(",\"remotes\":", f);
  wl_remotes_write_json(f, r->remotes, r->n_remotes);
  fputs(",\"user\":", f);
  wl_json_write_string(f, row->user[0] ? row->user : NULL);
  fputs(",\"package\":", f);
  wl_json_write_string(f, row->package[0] ? row->package : NULL);
  fputs(",\"filters\":", f);
  json_keys(f, row->filters);
  fputs(",\"origin\":", f);
  wl_json_write_string(f, row->origin);
  wl_report_rule_rebind_json(f, row);
  fprintf(f, ",\"created\":\"%s\"", created);
  wl_report_rule_use(f, row, u, wl_time_now()); /* hits, last_hit, unused, expires (issue 15) */
  fputc('}', f);
}

typedef struct rules_ctx {
  FILE *f;
  size_t n;
  wl_rule *r;
} rules_ctx;

static int rules_cb(void *ctx, const wl_rule_row *row, const wl_rule_use *u) {
  rules_ctx *c = ctx;
  if (wl_rule_from_row(row, c->r) != WL_OK) { /* show it anyway; verify explains */
    memset(c->r, 0, sizeof *c->r);
    wl_err_clear();
  }
  fputs(c->n++ ? ",\n " : "[", c->f);
  wl_report_rule(c->f, row, c->r, u);
  return 0;
}

int wl_report_rules(FILE *f, wl_store *s) {
  rules_ctx c = {f, 0, malloc(sizeof(wl_rule))};
  int rc = c.r ? wl_rules_each_use(s, rules_cb, &c) : wl_err(WL_E_NOMEM, "out of memory");
  if (!rc)
    fputs(c.n ? "]\n" : "[]\n", f);
  free(c.r);
  return rc;
}
