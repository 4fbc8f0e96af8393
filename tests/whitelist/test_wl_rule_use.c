/* test_wl_rule_use.c — issue 15, items 6 and 7, end to end on the sim engine:
 *   - rule use: learn a week, promote two apps, replay the next month: each rule's hits are the
 *     allow events of its app; BFE restarts (renumbering every filter id) and the month is
 *     replayed again: the hits double, none moved to the other rule; `rules` shows them;
 *   - unused rules: a store with rules created and last hit at chosen event times: review
 *     (text and --json) proposes revoking exactly those unused for 30 days of event time, not a
 *     younger one, not one hit lately; nothing is revoked by it;
 *   - temporary rules: promote --for (and its errors), `rules` shows the time left, the sweep
 *     with an injected clock removes the rule and its filters from the engine at the deadline
 *     and not before, the next command removes one whose deadline passed, export keeps
 *     "expires" and import restores it (an expired one is skipped with a message), and the
 *     Windows Firewall exporters leave temporary rules out with a warning.
 * Commands run in-process or as child processes (their output captured). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/wl_err.h"
#include "common/wl_json.h"
#include "common/wl_text.h"
#include "engine/keys.h"
#include "store/store.h"
#include "tests/support/test_wl_world.h"
#include "whitelist/apply.h"
#include "whitelist/expiry.h"
#include "whitelist/proposal.h"
#include "whitelist/rule_use.h"
#include "whitelist/whitelist_int.h"

#define SEC WL_TICKS_PER_SEC
#define DAY (86400ull * SEC)

static wl_store *open_store(const world *w) {
  wl_store *s = NULL;
  if (wl_store_open(w->db, NULL, &s))
    fail_msg("store %s: %s", w->db, wl_errmsg());
  return s;
}

static void learn(const world *w, const char *traffic) {
  char src[WORLD_PATH + 8];
  snprintf(src, sizeof src, "sim:%s", traffic);
  assert_int_equal(world_run(w, "learn", "--source", src, NULL), 0);
}

static void proposal_of(const world *w, unsigned app, char out[24]);

/* A world that learned its first week; the proposal ids of apps 0 and 1. */
static void learned(world *w, const char *tag, uint32_t seed, char p0[24], char p1[24]) {
  world_init(w, tag, seed);
  learn(w, w->traffic);
  proposal_of(w, 0, p0);
  proposal_of(w, 1, p1);
}

/* The proposal id of app i, as text. */
static void proposal_of(const world *w, unsigned app, char out[24]) {
  wl_store *s = open_store(w);
  wl_proposal *p = NULL;
  size_t n = 0;
  out[0] = 0;
  assert_int_equal(wl_proposals_build(s, 0, &p, &n), WL_OK);
  for (size_t i = 0; i < n; i++)
    if (world_app_index(p[i].app) == (int)app)
      snprintf(out, 24, "%lld", (long long)p[i].id);
  wl_proposals_free(p);
  wl_store_close(s);
  assert_true(out[0] != 0);
}

/* Run in a child; its output (stdout and stderr) in buf. */
static const char *spawn_out(const world *w, char *buf, size_t cap, const char *a0,
                             const char *a1, const char *a2, const char *a3) {
  assert_int_equal(world_spawn_wait(w, 30000, a0, a1, a2, a3, NULL), 0);
  assert_true(world_read(w->scratch, buf, cap) >= 0);
  return buf;
}

typedef struct uses {
  int64_t id[8];
  wl_rule_row row[8];
  wl_rule_use u[8];
  int n;
} uses;

static int collect_use(void *ctx, const wl_rule_row *row, const wl_rule_use *u) {
  uses *x = ctx;
  assert_true(x->n < 8);
  x->id[x->n] = row->id;
  x->row[x->n] = *row;
  x->u[x->n++] = *u;
  return 0;
}

static uses *uses_now(const world *w) {
  uses *x = calloc(1, sizeof *x);
  assert_non_null(x);
  wl_store *s = open_store(w);
  assert_int_equal(wl_rules_each_use(s, collect_use, x), WL_OK);
  wl_store_close(s);
  return x;
}

/* Allow events of app i stored at or after since, and the distinct filter ids that decided them. */
typedef struct app_allows {
  int app;
  uint64_t n, ids[16];
  size_t nids;
} app_allows;

static int count_allow(void *ctx, const wl_event *ev) {
  app_allows *a = ctx;
  if (world_app_index(ev->app) != a->app || ev->type != WL_EVT_ALLOW)
    return 0;
  a->n++;
  size_t k = 0;
  while (k < a->nids && a->ids[k] != ev->filter_id)
    k++;
  if (k == a->nids && a->nids < 16)
    a->ids[a->nids++] = ev->filter_id;
  return 0;
}

static app_allows allows_of(const world *w, int app, uint64_t since) {
  app_allows a = {.app = app};
  wl_store *s = open_store(w);
  assert_int_equal(wl_store_events(s, since, 0, count_allow, &a), WL_OK);
  wl_store_close(s);
  return a;
}

/* ---------------------------------------------------------------- rule use */

static void test_hits_across_bfe_restart(void **state) {
  (void)state;
  world w;
  char p0[24], p1[24], out[8192];
  learned(&w, "ruse", 21, p0, p1);
  assert_int_equal(world_run(&w, "promote", p0, p1, NULL), 0);
  uses *before = uses_now(&w);
  assert_int_equal(before->n, 2);
  assert_int_equal(before->u[0].hits + before->u[1].hits, 0);

  learn(&w, w.replay); /* the next month: the rules' filters decide the two apps' connections */
  app_allows a0 = allows_of(&w, 0, w.t1), a1 = allows_of(&w, 1, w.t1);
  uses *first = uses_now(&w);
  assert_true(a0.n > 0 && a1.n > 0);
  assert_int_equal(first->u[0].hits, a0.n);
  assert_int_equal(first->u[1].hits, a1.n);
  assert_true(first->u[0].last_hit >= w.t1);
  assert_false(first->u[0].unused);

  /* BFE restarts: every filter id is renumbered, the rules' included */
  wl_engine *e = world_engine(&w);
  assert_int_equal(wl_sim_bfe_restart(e), WL_OK);
  wl_engine_close(e);
  e = world_engine(&w);
  wl_guid keys[2];
  size_t nk = 0;
  wl_filter *f = malloc(sizeof *f);
  assert_non_null(f);
  assert_int_equal(wl_filter_keys_parse(first->row[0].filters, keys, 2, &nk), WL_OK);
  for (size_t k = 0; k < nk; k++) { /* the ids that decided app 0 now name other filters */
    assert_int_equal(wl_engine_filter_get_by_key(e, &keys[k], f), WL_OK);
    for (size_t j = 0; j < a0.nids; j++)
      assert_true(f->id != a0.ids[j]);
  }
  free(f);
  wl_engine_close(e);

  learn(&w, w.replay); /* the same month again, under the new numbering */
  uses *second = uses_now(&w);
  assert_int_equal(second->u[0].hits, 2 * a0.n);
  assert_int_equal(second->u[1].hits, 2 * a1.n);
  spawn_out(&w, out, sizeof out, "rules", NULL, NULL, NULL);
  char want[64];
  snprintf(want, sizeof want, "hits %llu, last ", (unsigned long long)(2 * a0.n));
  if (!strstr(out, want))
    fail_msg("rules does not show \"%s\": %s", want, out);
  free(before);
  free(first);
  free(second);
  world_remove(&w);
}

/* Events decided by filter id (attributed to key) at ts, of app C:\x\a.exe. */
static void hit(wl_store *s, uint64_t id, const char *key, uint64_t ts) {
  wl_filter_info fi = {.filter_id = id, .ours = 1};
  wl_strlcpy(fi.filter_key, key, sizeof fi.filter_key);
  wl_strlcpy(fi.action, "permit", sizeof fi.action);
  assert_int_equal(wl_store_filter_info_put(s, &fi), WL_OK);
  wl_event ev;
  wl_event_clear(&ev);
  ev.ts = ts;
  ev.type = WL_EVT_ALLOW;
  ev.has = WL_HAS_APP | WL_HAS_DIR | WL_HAS_FILTER | WL_HAS_LAYER | WL_HAS_PROTO;
  ev.dir = WL_DIR_OUT;
  ev.proto = 6;
  ev.layer_id = WL_LAYER_ALE_AUTH_CONNECT_V4;
  ev.filter_id = id;
  wl_strlcpy(ev.app, "C:\\x\\a.exe", sizeof ev.app);
  assert_int_equal(wl_store_write(s, &ev, 1, NULL), WL_OK);
}

static int64_t add_rule(wl_store *s, const char *app, const char *key, uint64_t created) {
  wl_rule_row r = {.dir = WL_DIR_OUT, .proto = 6, .created = created};
  wl_strlcpy(r.app, app, sizeof r.app);
  wl_strlcpy(r.app_nt, app, sizeof r.app_nt);
  wl_strlcpy(r.scope, "app", sizeof r.scope);
  wl_strlcpy(r.filters, key, sizeof r.filters);
  wl_strlcpy(r.origin, "promote", sizeof r.origin);
  assert_int_equal(wl_store_rule_add(s, &r), WL_OK);
  return r.id;
}

/* Event time T .. T+40d. Rule A: hit at T+35d (used). B: last hit T+5d (unused). C: created at
 * T, never hit (unused). D: created T+20d, never hit (younger than 30 days: not unused). */
static void test_unused_proposed_for_revoke(void **state) {
  (void)state;
  world w;
  world_init(&w, "unused", 5);
  uint64_t T = w.t0 - 30 * DAY; /* T+40d stays before the wall clock (the future limit) */
  wl_store *s = open_store(&w);
  int64_t a = add_rule(s, "C:\\x\\a.exe", "{aaaaaaaa-0000-0000-0000-000000000001}", T);
  int64_t b = add_rule(s, "C:\\x\\b.exe", "{bbbbbbbb-0000-0000-0000-000000000002}", T);
  int64_t c = add_rule(s, "C:\\x\\c.exe", "{cccccccc-0000-0000-0000-000000000003}", T);
  int64_t d = add_rule(s, "C:\\x\\d.exe", "{dddddddd-0000-0000-0000-000000000004}", T + 20 * DAY);
  hit(s, 7001, "{bbbbbbbb-0000-0000-0000-000000000002}", T + 5 * DAY);
  hit(s, 7002, "{aaaaaaaa-0000-0000-0000-000000000001}", T + 35 * DAY);
  hit(s, 7003, "{ffffffff-0000-0000-0000-000000000009}", T + 40 * DAY); /* the newest event */
  wl_store_close(s);
  assert_int_equal(wl_rule_is_unused(T, 0, T + 30 * DAY), 1);
  assert_int_equal(wl_rule_is_unused(T, 0, T + 30 * DAY - 1), 0);
  assert_int_equal(wl_rule_is_unused(T, 0, 0), 0);

  char *buf = malloc(65536);
  assert_non_null(buf);
  wl_json_arena ar = {0};
  const wl_json *doc = NULL;
  wl_json_error err;
  spawn_out(&w, buf, 65536, "review", "--json", NULL, NULL);
  assert_int_equal(wl_json_parse(&ar, buf, strlen(buf), &doc, &err), WL_OK);
  int64_t seen[4];
  int n = 0;
  for (const wl_json *o = doc->child; o; o = o->next) {
    const char *kind = wl_json_string(wl_json_get(o, "kind"));
    if (!kind || strcmp(kind, "revoke"))
      continue;
    int64_t id = 0;
    const wl_json *rule = wl_json_get(o, "rule"); /* the object of rules --json */
    assert_non_null(rule);
    assert_int_equal(wl_json_int64(wl_json_get(rule, "id"), &id), WL_OK);
    assert_true(n < 4);
    seen[n++] = id;
    const wl_json *flags = wl_json_get(o, "flags");
    assert_int_equal(flags->len, 1);
    assert_string_equal(wl_json_string(flags->child), "unused");
    assert_int_equal(wl_json_get(rule, "unused")->type, WL_JSON_TRUE);
    if (id == b) {
      uint64_t hits = 0;
      assert_int_equal(wl_json_uint64(wl_json_get(rule, "hits"), &hits), WL_OK);
      assert_int_equal(hits, 1);
    }
  }
  assert_int_equal(n, 2);
  assert_true((seen[0] == b && seen[1] == c) || (seen[0] == c && seen[1] == b));
  (void)a;
  (void)d;
  wl_json_arena_free(&ar);
  spawn_out(&w, buf, 65536, "review", NULL, NULL, NULL);
  assert_non_null(strstr(buf, "Unused rules, proposed for revoke"));
  /* the closing count has them too, and the text time its Z */
  if (!strstr(buf, ", 2 unused rules proposed for revoke. Promote with"))
    fail_msg("review's closing count: %s", buf);
  const char *created = strstr(buf, "never used; created ");
  assert_non_null(created);
  created += strlen("never used; created ");
  if (strlen(created) < 20 || created[10] != 'T' || created[19] != 'Z')
    fail_msg("created: %.30s", created);
  char line[64];
  snprintf(line, sizeof line, "wfplearn revoke %lld", (long long)c);
  assert_non_null(strstr(buf, line));
  snprintf(line, sizeof line, "wfplearn revoke %lld", (long long)a);
  assert_null(strstr(buf, line));

  /* rules --json: hits, last_hit, unused on every rule; nothing was revoked */
  spawn_out(&w, buf, 65536, "rules", "--json", NULL, NULL);
  memset(&ar, 0, sizeof ar);
  assert_int_equal(wl_json_parse(&ar, buf, strlen(buf), &doc, &err), WL_OK);
  assert_int_equal(doc->len, 4);
  for (const wl_json *o = doc->child; o; o = o->next) {
    int64_t id = 0;
    uint64_t hits = 0;
    assert_int_equal(wl_json_int64(wl_json_get(o, "id"), &id), WL_OK);
    assert_int_equal(wl_json_uint64(wl_json_get(o, "hits"), &hits), WL_OK);
    const wl_json *unused = wl_json_get(o, "unused"), *last = wl_json_get(o, "last_hit");
    assert_non_null(unused);
    assert_int_equal(unused->type, id == b || id == c ? WL_JSON_TRUE : WL_JSON_FALSE);
    assert_int_equal(hits, id == a || id == b ? 1 : 0);
    assert_int_equal(last->type, hits ? WL_JSON_STRING : WL_JSON_NULL);
    assert_int_equal(wl_json_get(o, "expires")->type, WL_JSON_NULL);
  }
  wl_json_arena_free(&ar);
  free(buf);
  world_remove(&w);
}

/* ---------------------------------------------------------------- temporary rules */

static wl_rule_row *rule_of(const world *w, int64_t id) {
  wl_rule_row *r = malloc(sizeof *r);
  assert_non_null(r);
  wl_store *s = open_store(w);
  assert_int_equal(wl_store_rule_get(s, id, r), WL_OK);
  wl_store_close(s);
  return r;
}

static int rule_exists(const world *w, int64_t id) {
  wl_rule_row *r = malloc(sizeof *r);
  assert_non_null(r);
  wl_store *s = open_store(w);
  int rc = wl_store_rule_get(s, id, r);
  wl_store_close(s);
  free(r);
  wl_err_clear();
  return rc == WL_OK;
}

static void test_promote_for_and_sweep(void **state) {
  (void)state;
  world w;
  char p0[24], p1[24], out[8192];
  learned(&w, "temp", 8, p0, p1);
  static const char *bad[] = {"2x", "0", "400d", "soon"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    assert_int_equal(world_run(&w, "promote", p0, "--for", bad[i], NULL), 1);
    spawn_out(&w, out, sizeof out, "promote", p0, "--for", bad[i]);
    if (!strstr(out, "--for") || !strstr(out, "like 30m, 2h, 3d"))
      fail_msg("promote --for %s: %s", bad[i], out);
  }
  assert_int_equal(world_count_filters(&w, NULL), 0);

  uint64_t t_before = wl_time_now();
  assert_int_equal(world_run(&w, "promote", p0, "--for", "2h", NULL), 0);
  uint64_t t_after = wl_time_now();
  wl_rule_row *r = rule_of(&w, 1);
  assert_true(r->expires >= t_before + 2 * 3600 * SEC && r->expires <= t_after + 2 * 3600 * SEC);
  size_t filters = world_count_filters(&w, NULL);
  assert_true(filters > 0);

  /* rules: the time left, in text and JSON */
  spawn_out(&w, out, sizeof out, "rules", NULL, NULL, NULL);
  if (!strstr(out, "expires in 1h 59m") && !strstr(out, "expires in 2h 0m"))
    fail_msg("rules does not show the time left: %s", out);
  spawn_out(&w, out, sizeof out, "rules", "--json", NULL, NULL);
  wl_json_arena ar = {0};
  const wl_json *doc = NULL;
  wl_json_error err;
  uint64_t left = 0, exp = 0;
  assert_int_equal(wl_json_parse(&ar, out, strlen(out), &doc, &err), WL_OK);
  assert_int_equal(wl_json_uint64(wl_json_get(doc->child, "expires_in_s"), &left), WL_OK);
  assert_true(left > 7100 && left <= 7200);
  const char *es = wl_json_string(wl_json_get(doc->child, "expires"));
  assert_non_null(es);
  assert_int_equal(wl_time_parse(es, strlen(es), &exp), WL_OK);
  assert_int_equal(exp, r->expires);
  wl_json_arena_free(&ar);

  /* the clock, injected: a second before the deadline nothing goes; after it, the rule and
   * its filters do, in the store and in the engine */
  wl_store *s = open_store(&w);
  wl_expiry_report rep;
  assert_int_equal(wl_expiry_sweep(s, NULL, w.spec, r->expires - SEC, NULL, NULL, &rep), WL_OK);
  assert_int_equal(rep.expired, 0);
  assert_int_equal(rep.next, r->expires);
  assert_int_equal(wl_expiry_sweep(s, NULL, w.spec, r->expires + 3 * DAY, NULL, NULL, &rep),
                   WL_OK);
  assert_int_equal(rep.expired, 1);
  assert_int_equal(rep.next, 0);
  wl_store_close(s);
  assert_false(rule_exists(&w, 1));
  assert_int_equal(world_count_filters(&w, NULL), 0);
  wl_engine *e = world_engine(&w);
  wl_guid keys[2];
  size_t nk = 0;
  wl_filter *f = malloc(sizeof *f);
  assert_int_equal(wl_filter_keys_parse(r->filters, keys, 2, &nk), WL_OK);
  for (size_t k = 0; k < nk; k++)
    assert_int_equal(wl_engine_filter_get_by_key(e, &keys[k], f), WL_E_NOTFOUND);
  wl_err_clear();
  free(f);
  wl_engine_close(e);

  /* where no service runs, the next command removes a rule whose deadline passed (here: the
   * deadline moved back, as if the machine had been off past it) and says so */
  assert_int_equal(world_run(&w, "promote", p1, "--for", "3d", NULL), 0);
  assert_true(world_count_filters(&w, NULL) > 0);
  s = open_store(&w);
  wl_rule_row *r2 = malloc(sizeof *r2);
  assert_int_equal(wl_store_rule_get(s, 2, r2), WL_OK);
  r2->expires = wl_time_now() - 3600 * SEC;
  assert_int_equal(wl_store_rule_update(s, r2), WL_OK);
  wl_store_close(s);
  spawn_out(&w, out, sizeof out, "rules", NULL, NULL, NULL);
  if (!strstr(out, "rule 2 (out ") || !strstr(out, "expired at") ||
      !strstr(out, "were removed"))
    fail_msg("the next command did not say it removed rule 2: %s", out);
  assert_non_null(strstr(out, "no rules yet"));
  assert_false(rule_exists(&w, 2));
  assert_int_equal(world_count_filters(&w, NULL), 0);
  free(r2);
  free(r);
  world_remove(&w);
}

static void test_policy_keeps_expiry(void **state) {
  (void)state;
  world w;
  char p0[24], policy[WORLD_PATH + 16], out[16384];
  world_init(&w, "tpol", 9);
  learn(&w, w.traffic);
  proposal_of(&w, 0, p0);
  assert_int_equal(world_run(&w, "promote", p0, "--for", "3d", NULL), 0);
  wl_rule_row *r = rule_of(&w, 1);
  snprintf(policy, sizeof policy, "%s.policy.json", w.scratch);
  assert_int_equal(world_run(&w, "export", "-o", policy, NULL), 0);
  assert_true(world_read(policy, out, sizeof out) > 0);
  char want[64], t[WL_TIME_STR_MAX];
  wl_time_format(r->expires, t);
  snprintf(want, sizeof want, "\"expires\": \"%s\"", t);
  assert_non_null(strstr(out, want));

  /* revoke, import: the rule comes back with its deadline */
  assert_int_equal(world_run(&w, "revoke", "1", NULL), 0);
  assert_int_equal(world_run(&w, "import-policy", policy, NULL), 0);
  wl_store *s = open_store(&w);
  wl_rule_row *back = malloc(sizeof *back);
  assert_int_equal(wl_store_rule_get(s, 2, back), WL_OK);
  assert_int_equal(back->expires, r->expires);
  assert_string_equal(back->app, r->app);
  wl_store_close(s);

  /* the Windows Firewall formats cannot expire a rule: left out, said on stderr and in the
   * script */
  spawn_out(&w, out, sizeof out, "export", "--format", "powershell", NULL);
  assert_non_null(strstr(out, "Windows Firewall rules cannot expire"));
  assert_null(strstr(out, "New-NetFirewallRule @target"));

  /* a policy whose rule expired meanwhile: skipped, named, nothing added */
  assert_int_equal(world_run(&w, "revoke", "2", NULL), 0);
  char *text = malloc(sizeof out);
  assert_true(world_read(policy, text, sizeof out) > 0);
  char *at = strstr(text, want);
  assert_non_null(at);
  memcpy(at + strlen("\"expires\": \""), "2020", 4); /* the same deadline, years ago */
  FILE *f = fopen(policy, "wb");
  assert_non_null(f);
  fputs(text, f);
  fclose(f);
  spawn_out(&w, out, sizeof out, "import-policy", policy, NULL, NULL);
  if (!strstr(out, "rule 1: expired at 2020-") || !strstr(out, "1 rule skipped: expired"))
    fail_msg("import of an expired rule: %s", out);
  s = open_store(&w);
  assert_int_equal(wl_store_rule_get(s, 3, back), WL_E_NOTFOUND);
  wl_err_clear();
  wl_store_close(s);
  assert_int_equal(world_count_filters(&w, NULL), 0);
  free(text);
  free(back);
  free(r);
  world_remove(&w);
}

static int tests(void) {
  const struct CMUnitTest t[] = {
      cmocka_unit_test(test_hits_across_bfe_restart),
      cmocka_unit_test(test_unused_proposed_for_revoke),
      cmocka_unit_test(test_promote_for_and_sweep),
      cmocka_unit_test(test_policy_keeps_expiry),
  };
  return cmocka_run_group_tests(t, NULL, NULL);
}

int main(int argc, char **argv) { return world_main(argc, argv, tests); }
