/* test_wl_oom.c — the whitelist under allocation failure (fail_alloc.h): for n = 1, 2, ... the
 * nth allocation (the product's and SQLite's) fails, once or from then on, while one whole
 * path runs on the sim engine from a store that learn filled (a copy of one made at the start),
 * the way `wfplearn promote`, `verify` and `revoke` run it through whitelist.h: open the store
 * and the engine, build the proposals, promote three of them (an outbound remote-scoped, an
 * outbound port-scoped and an inbound one: proposal, rule, resolve, SIDs, rows, wl_rules_add),
 * verify, revoke the first rule, close.
 *
 * For every n: each step returns WL_OK or a clean WL_E_*; proposals and a verify that say WL_OK
 * are whole (the counts of an undisturbed run); nothing leaks (ASan flavour); and afterwards,
 * with failures off, the store and the engine agree: the rules are those promote said it added
 * and revoke did not remove, `verify` finds nothing but filters missing for a rule (the
 * fail-closed leftover apply.c documents: a revoke whose store half failed, a promote whose undo
 * failed — and then promote said so), never a filter no rule owns or an altered one, and after
 * `verify --repair` nothing at all.
 *
 * Then the same loop over `wfplearn promote` itself (cli/cmd_review.c: arguments, its own open
 * of the store and the engine, printing) with the same checks afterwards. verify, rules and
 * revoke are not looped as commands: each opens the store again, and the schema check of every
 * open costs more than the rest of the path (5 commands made the loop ~4 min in the ASan
 * flavour).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cli/cli.h"
#include "common/wl_err.h"
#include "tests/support/fail_alloc.h"
#include "tests/support/test_wl_world.h"
#include "engine/engine.h"
#include "store/store.h"
#include "whitelist/apply.h"
#include "whitelist/open.h"
#include "whitelist/proposal.h"
#include "whitelist/rule.h"

#define MAX_N    100000
#define NPROMOTE 3
static const unsigned promoted[NPROMOTE] = {0, 1, 16}; /* remote, port, inbound (see world) */
static const char *const file_suffix[] = {".db", ".db-wal", ".db-shm", ".state"};
#define NFILES (sizeof file_suffix / sizeof file_suffix[0])

typedef struct fixture {
  world tmpl, work;      /* the store learn made, and the copy each run changes */
  int64_t ids[NPROMOTE]; /* the proposals promoted */
  size_t ref_n;          /* proposals without failures */
  uint64_t ref_events;   /* and the events they count */
  wl_store *s;           /* open while a run or a check runs (teardown closes) */
  wl_engine *e;
  wl_proposal *p, *one;
  wl_rule rules[NPROMOTE];
  wl_rule_row rows[NPROMOTE];
  wl_verify_report *rep;
  int proposals_rc, promote_rc, verify_rc, revoke_rc;
  size_t proposals_n, verify_rules;
  uint64_t proposals_events;
  char promote_msg[512];
  size_t leftovers; /* runs that left filters missing for verify --repair */
  char id_text[NPROMOTE][24];
  wl_cli cli; /* for the command itself: out and err to /dev/null */
} fixture;

/* ---------------------------------------------------------------- files */

static void copy_file(const char *from, const char *to) {
  remove(to);
  FILE *in = fopen(from, "rb");
  if (!in)
    return;
  FILE *out = fopen(to, "wb");
  assert_non_null(out);
  char buf[1 << 16];
  size_t k;
  while ((k = fread(buf, 1, sizeof buf, in)) > 0)
    assert_int_equal(fwrite(buf, 1, k, out), k);
  fclose(in);
  assert_int_equal(fclose(out), 0);
}

/* The work world's store and sim state become the template's again. */
static void restore(fixture *f) {
  size_t lt = strlen(f->tmpl.db) - 3, lw = strlen(f->work.db) - 3; /* minus ".db" */
  for (size_t i = 0; i < NFILES; i++) {
    char from[WORLD_PATH + 16], to[WORLD_PATH + 16];
    snprintf(from, sizeof from, "%.*s%s", (int)lt, f->tmpl.db, file_suffix[i]);
    snprintf(to, sizeof to, "%.*s%s", (int)lw, f->work.db, file_suffix[i]);
    copy_file(from, to);
  }
}

/* ---------------------------------------------------------------- setup */

static uint64_t events_of(const wl_proposal *p, size_t n) {
  uint64_t t = 0;
  for (size_t i = 0; i < n; i++)
    t += p[i].evidence.allowed + p[i].evidence.blocked;
  return t;
}

/* Learn the world's traffic into the template and note the proposals. */
static void make_template(fixture *f) {
  char src[WORLD_PATH + 8];
  snprintf(src, sizeof src, "sim:%s", f->tmpl.traffic);
  assert_int_equal(world_run(&f->tmpl, "learn", "--source", src, NULL), 0);
  wl_store *s = NULL;
  assert_int_equal(wl_store_open(f->tmpl.db, NULL, &s), WL_OK);
  wl_proposal *p = NULL;
  assert_int_equal(wl_proposals_build(s, 0, &p, &f->ref_n), WL_OK);
  f->ref_events = events_of(p, f->ref_n);
  for (int k = 0; k < NPROMOTE; k++) {
    size_t i = 0;
    while (i < f->ref_n && world_app_index(p[i].app) != (int)promoted[k])
      i++;
    assert_true(i < f->ref_n);
    f->ids[k] = p[i].id;
    snprintf(f->id_text[k], sizeof f->id_text[k], "%lld", (long long)p[i].id);
  }
  wl_proposals_free(p);
  wl_store_close(s);
}

static int setup(void **state) {
  fixture *f = calloc(1, sizeof *f);
  assert_non_null(f);
  *state = f;
  world_init(&f->tmpl, "oomtmpl", 7);
  world_init(&f->work, "oomwork", 7);
  make_template(f);
  f->rep = malloc(sizeof *f->rep);
  f->one = malloc(sizeof *f->one);
  assert_non_null(f->rep);
  assert_non_null(f->one);
  FILE *null = fopen("/dev/null", "w");
  assert_non_null(null);
  f->cli = (wl_cli){.db_path = f->work.db, .engine_spec = f->work.spec, .out = null, .err = null};
  return 0;
}

static int teardown(void **state) {
  fixture *f = *state;
  wl_fail_alloc_disarm();
  wl_proposals_free(f->p);
  wl_engine_close(f->e);
  wl_store_close(f->s);
  if (f->cli.out)
    fclose(f->cli.out);
  world_remove(&f->tmpl);
  world_remove(&f->work);
  free(f->rep);
  free(f->one);
  free(f);
  return 0;
}

/* ---------------------------------------------------------------- the path */

static void proposals(fixture *f, size_t n) {
  f->proposals_rc =
      wl_fail_alloc_step("proposals", n, wl_proposals_build(f->s, 0, &f->p, &f->proposals_n));
  f->proposals_events = f->proposals_rc == WL_OK ? events_of(f->p, f->proposals_n) : 0;
  wl_proposals_free(f->p);
  f->p = NULL;
}

/* What `wfplearn promote` does with the ids (cli/cmd_review.c: promote_one, promote_finish). */
static int promote_rules(fixture *f) {
  int rc = WL_OK;
  for (int k = 0; !rc && k < NPROMOTE; k++) {
    rc = wl_proposal_get(f->s, f->ids[k], f->one);
    if (!rc)
      rc = wl_proposal_rule(f->one, -1, &f->rules[k]);
    if (!rc)
      rc = wl_rule_resolve(f->e, NULL, &f->rules[k]);
    memset(&f->rows[k], 0, sizeof f->rows[k]);
    if (!rc)
      wl_proposal_evidence_json(f->one, f->rows[k].evidence, sizeof f->rows[k].evidence);
    snprintf(f->rows[k].origin, sizeof f->rows[k].origin, "promote");
  }
  if (!rc)
    rc = wl_rules_sids(f->s, f->rules, NPROMOTE);
  for (int k = 0; !rc && k < NPROMOTE; k++)
    rc = wl_rule_to_row(&f->rules[k], &f->rows[k]);
  wl_apply_result res;
  return rc ? rc : wl_rules_add(f->e, f->s, f->rules, f->rows, NPROMOTE, &res);
}

static void run_path(fixture *f, size_t n, enum wl_fail_mode mode) {
  restore(f);
  f->proposals_rc = f->promote_rc = f->verify_rc = f->revoke_rc = -1;
  wl_err_clear();
  wl_fail_alloc_arm(n, mode);
  if (wl_fail_alloc_step("open", n, wl_whitelist_open(f->work.db, f->work.spec, 0, &f->s, &f->e)) ==
      WL_OK) {
    proposals(f, n);
    int rc = promote_rules(f);
    snprintf(f->promote_msg, sizeof f->promote_msg, "%s", rc ? wl_errmsg() : "");
    f->promote_rc = wl_fail_alloc_step("promote", n, rc);
    f->verify_rc = wl_fail_alloc_step("verify", n, wl_rules_verify(f->e, f->s, 0, f->rep));
    f->verify_rules = f->rep->rules;
    int64_t first = f->promote_rc == WL_OK ? f->rows[0].id : 1;
    f->revoke_rc = wl_fail_alloc_step("revoke", n, wl_rules_revoke(f->e, f->s, &first, 1));
  }
  wl_engine_close(f->e);
  wl_store_close(f->s);
  f->e = NULL;
  f->s = NULL;
  wl_fail_alloc_disarm();
}

/* `wfplearn promote ID ID ID` itself (cli/cmd_review.c), which opens the store and the engine
 * on its own: the command's glue under the same failures. */
static void run_promote_cmd(fixture *f, size_t n, enum wl_fail_mode mode) {
  char *argv[] = {"promote", f->id_text[0], f->id_text[1], f->id_text[2], NULL};
  restore(f);
  f->proposals_rc = f->verify_rc = f->revoke_rc = -1;
  wl_err_clear();
  wl_fail_alloc_arm(n, mode);
  int rc = wl_cmd_promote(&f->cli, 1 + NPROMOTE, argv);
  wl_fail_alloc_disarm();
  snprintf(f->promote_msg, sizeof f->promote_msg, "%s", rc ? wl_errmsg() : "");
  f->promote_rc = wl_fail_alloc_step("wfplearn promote", n, rc);
}

/* ---------------------------------------------------------------- the checks */

static int count_rule(void *ctx, const wl_rule_row *r) {
  (void)r;
  ++*(size_t *)ctx;
  return 0;
}

/* Only missing filters (fail-closed) may be left, and verify --repair clears them. Returns how
 * many rules miss filters. */
static size_t check_agree(fixture *f, size_t n) {
  wl_verify_report *rep = f->rep;
  int64_t last = 0;
  size_t missing = 0;
  assert_int_equal(wl_rules_verify(f->e, f->s, 0, rep), WL_OK);
  assert_int_equal(rep->n_issues, rep->issues_total);
  for (size_t i = 0; i < rep->n_issues; i++) {
    const wl_issue *is = &rep->issues[i];
    if (is->kind != WL_ISSUE_MISSING)
      fail_msg("n = %zu: verify after the run: rule %lld: kind %d: %s", n, (long long)is->rule_id,
               is->kind, is->what);
    missing += is->rule_id != last;
    last = is->rule_id;
  }
  if (rep->issues_total) {
    f->leftovers++;
    assert_int_equal(wl_rules_verify(f->e, f->s, 1, rep), WL_OK);
    assert_int_equal(wl_rules_verify(f->e, f->s, 0, rep), WL_OK);
    if (rep->issues_total)
      fail_msg("n = %zu: verify --repair left %zu issues: %s", n, rep->issues_total,
               rep->issues[0].what);
  }
  assert_int_equal(rep->filters_found, rep->filters_expected);
  return missing;
}

static void check(fixture *f, size_t n) {
  if (f->proposals_rc == WL_OK) {
    assert_int_equal(f->proposals_n, f->ref_n);
    assert_int_equal(f->proposals_events, f->ref_events);
  }
  if (f->revoke_rc == WL_OK && f->promote_rc != WL_OK)
    fail_msg("n = %zu: revoke of rule 1 said WL_OK, but promote failed", n);
  if (wl_whitelist_open(f->work.db, f->work.spec, 0, &f->s, &f->e) != WL_OK)
    fail_msg("n = %zu: store and engine do not open afterwards: %s", n, wl_errmsg());
  size_t rules = 0;
  assert_int_equal(wl_store_rules(f->s, count_rule, &rules), WL_OK);
  if (f->verify_rc == WL_OK && f->verify_rules != rules + (f->revoke_rc == WL_OK))
    fail_msg("n = %zu: verify said WL_OK over %zu rules, %zu are left and revoke said %s", n,
             f->verify_rules, rules, wl_errname(f->revoke_rc));
  size_t missing = check_agree(f, n);
  /* A promote that failed after its store commit leaves its rows when undoing them fails too:
   * all of them, none with a filter (apply.c), and it says so. */
  size_t want = f->promote_rc == WL_OK || missing ? NPROMOTE - (f->revoke_rc == WL_OK) : 0;
  if (rules != want || (f->promote_rc != WL_OK && missing != rules))
    fail_msg("n = %zu: %zu rules, %zu of them without filters; promote said %s, revoke %s", n,
             rules, missing, wl_errname(f->promote_rc), wl_errname(f->revoke_rc));
  if (f->promote_rc != WL_OK && rules && !strstr(f->promote_msg, "without their filters"))
    fail_msg("n = %zu: promote left %zu rules without filters and said: %s", n, rules,
             f->promote_msg);
  wl_engine_close(f->e);
  wl_store_close(f->s);
  f->e = NULL;
  f->s = NULL;
}

static void wl_path(void *ctx, size_t n, enum wl_fail_mode mode) {
  fixture *f = ctx;
  run_path(f, n, mode);
  check(f, n);
}

static void promote_cmd_path(void *ctx, size_t n, enum wl_fail_mode mode) {
  fixture *f = ctx;
  run_promote_cmd(f, n, mode);
  check(f, n);
}

static void loop(fixture *f, const char *name, wl_fail_path path, enum wl_fail_mode mode) {
  f->leftovers = 0;
  assert_true(wl_fail_alloc_loop(name, path, f, mode, MAX_N) > 0);
  printf("  runs that left filters missing for verify --repair: %zu\n", f->leftovers);
}

static void test_wl_oom_once(void **state) {
  loop(*state, "whitelist", wl_path, WL_FAIL_ONCE);
  loop(*state, "wfplearn promote", promote_cmd_path, WL_FAIL_ONCE);
}

static void test_wl_oom_persistent(void **state) {
  loop(*state, "whitelist", wl_path, WL_FAIL_PERSIST);
  loop(*state, "wfplearn promote", promote_cmd_path, WL_FAIL_PERSIST);
}

static int tests(void) {
  const struct CMUnitTest t[] = {
      cmocka_unit_test_setup_teardown(test_wl_oom_once, setup, teardown),
      cmocka_unit_test_setup_teardown(test_wl_oom_persistent, setup, teardown),
  };
  return cmocka_run_group_tests(t, NULL, NULL);
}

int main(int argc, char **argv) {
  wl_fail_alloc_install();
  wl_fail_alloc_select(argc, argv);
  /* the world's files in the OOM tests' folder (tmpfs when there is one) */
  setenv("WL_BUILD_DIR", wl_fail_alloc_dir(), 1);
  return world_main(argc, argv, tests);
}
