/* test_wl_files.c — app ids need the file, and persistent filters bake in the volume number, on
 * the sim engine (which fails FwpmGetAppIdFromFileName0 for a path it was not told exists, and
 * renumbers a volume with wl_sim_set_drive):
 *   - promote, import-policy and verify --repair name each app no longer on disk and change
 *     nothing, unless --skip-missing (issue 12, item 8);
 *   - enforce refuses, with the list, when a rule's filters are gone and its app cannot be
 *     found to put them back (issue 18, item 3);
 *   - a renumbered volume: verify reports the rule's app id as moved, verify --repair
 *     re-derives it, and the rule's filters match the app again (issue 12, item 15). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/wl_err.h"
#include "engine/keys.h"
#include "store/store.h"
#include "tests/support/test_wl_world.h"
#include "whitelist/apply.h"
#include "whitelist/enforce.h"
#include "whitelist/proposal.h"

#define SPAWN_MS 60000u

static wl_store *open_store(const world *w) {
  wl_store *s = NULL;
  if (wl_store_open(w->db, NULL, &s))
    fail_msg("store %s: %s", w->db, wl_errmsg());
  return s;
}

static void learn(const world *w) {
  char src[WORLD_PATH + 8];
  snprintf(src, sizeof src, "sim:%s", w->traffic);
  assert_int_equal(world_run(w, "learn", "--source", src, NULL), 0);
}

/* Proposal ids of apps[0..n) after learn. */
static void proposal_ids(const world *w, const unsigned *apps, size_t n, char ids[][24]) {
  wl_store *s = open_store(w);
  wl_proposal *p = NULL;
  size_t np = 0;
  assert_int_equal(wl_proposals_build(s, 0, &p, &np), WL_OK);
  for (size_t k = 0; k < n; k++) {
    ids[k][0] = 0;
    for (size_t i = 0; i < np; i++)
      if (world_app_index(p[i].app) == (int)apps[k])
        snprintf(ids[k], 24, "%lld", (long long)p[i].id);
    assert_true(ids[k][0] != 0);
  }
  wl_proposals_free(p);
  wl_store_close(s);
}

static size_t rule_count(const world *w) {
  size_t n = 0;
  wl_store *s = open_store(w);
  wl_rule *r = NULL;
  wl_rule_row *row = malloc(sizeof *row);
  for (int64_t id = 1; id < 64; id++)
    n += wl_store_rule_get(s, id, row) == WL_OK;
  wl_err_clear();
  free(row);
  free(r);
  wl_store_close(s);
  return n;
}

/* The app is uninstalled (or moved): its file is gone from the simulated machine. */
static void delete_app(const world *w, unsigned app) {
  char path[WORLD_PATH];
  world_app(app, path, sizeof path);
  wl_engine *e = world_engine(w);
  assert_int_equal(wl_sim_set_file(e, path, 0), WL_OK);
  wl_engine_close(e);
}

/* The spawned command's output names the app. */
static void output_names(const world *w, unsigned app) {
  char path[WORLD_PATH], out[16384];
  world_app(app, path, sizeof path);
  assert_true(world_read(w->scratch, out, sizeof out) > 0);
  for (char *c = out; *c; c++) /* the store keeps DOS paths as Windows reported them */
    *c = (char)(*c >= 'A' && *c <= 'Z' ? *c + 32 : *c);
  for (char *c = path; *c; c++)
    *c = (char)(*c >= 'A' && *c <= 'Z' ? *c + 32 : *c);
  if (!strstr(out, path))
    fail_msg("output does not name %s:\n%s", path, out);
}

static void drop_our_filters(const world *w) {
  wl_engine *e = world_engine(w);
  wl_guid pk = wl_provider_key();
  wl_filter *all = NULL;
  size_t n = 0;
  assert_int_equal(wl_engine_filter_enum(e, &pk, &all, &n), WL_OK);
  assert_int_equal(wl_engine_begin(e), WL_OK);
  for (size_t i = 0; i < n; i++)
    assert_int_equal(wl_engine_filter_delete(e, &all[i].key), WL_OK);
  assert_int_equal(wl_engine_commit(e), WL_OK);
  wl_engine_free(all);
  wl_engine_close(e);
}

/* ---------------------------------------------------------------- item 8 */

static void test_promote_missing(void **state) {
  (void)state;
  world w;
  static const unsigned apps[3] = {0, 1, 2};
  char ids[3][24];
  world_init(&w, "fi-promote", 41);
  learn(&w);
  proposal_ids(&w, apps, 3, ids);
  delete_app(&w, 1);
  delete_app(&w, 2);
  assert_int_equal(world_spawn_wait(&w, SPAWN_MS, "promote", ids[0], ids[1], ids[2], NULL), 0);
  output_names(&w, 1);
  output_names(&w, 2);
  assert_int_equal(world_run(&w, "promote", ids[0], ids[1], ids[2], NULL), 1);
  assert_int_equal(rule_count(&w), 0); /* all or nothing */
  assert_int_equal(world_count_filters(&w, NULL), 0);
  assert_int_equal(world_run(&w, "promote", ids[0], ids[1], ids[2], "--skip-missing", NULL), 0);
  assert_int_equal(rule_count(&w), 1);
  assert_int_equal(world_run(&w, "verify", NULL), 0);
  /* The rule's filters lost and its app gone: promote cannot put them back, and says so. */
  assert_int_equal(world_run(&w, "uninstall", NULL), 0);
  delete_app(&w, 0);
  assert_int_equal(world_spawn_wait(&w, SPAWN_MS, "promote", ids[0], NULL), 0);
  output_names(&w, 0);
  assert_int_equal(world_run(&w, "promote", ids[0], NULL), 1);
  assert_int_equal(world_run(&w, "promote", ids[0], "--skip-missing", NULL), 0);
  assert_int_equal(world_count_filters(&w, NULL), 0);
  world_remove(&w);
}

static void test_import_missing(void **state) {
  (void)state;
  world a, b;
  static const unsigned apps[3] = {0, 1, 2};
  char ids[3][24];
  world_init(&a, "fi-polA", 42);
  learn(&a);
  proposal_ids(&a, apps, 3, ids);
  assert_int_equal(world_run(&a, "promote", ids[0], ids[1], ids[2], NULL), 0);
  char policy[WORLD_PATH + 8];
  snprintf(policy, sizeof policy, "%.*s.json", (int)(strlen(a.db) - 3), a.db);
  assert_int_equal(world_run(&a, "export", "-o", policy, NULL), 0);
  world_init(&b, "fi-polB", 42); /* another machine, without app 2 */
  world_install_apps(&b);
  delete_app(&b, 2);
  assert_int_equal(world_spawn_wait(&b, SPAWN_MS, "import-policy", policy, NULL), 0);
  output_names(&b, 2);
  assert_int_equal(world_run(&b, "import-policy", policy, NULL), 1);
  assert_int_equal(world_run(&b, "import-policy", policy, "--dry-run", NULL), 1);
  assert_int_equal(rule_count(&b), 0);
  assert_int_equal(world_count_filters(&b, NULL), 0);
  assert_int_equal(world_run(&b, "import-policy", policy, "--skip-missing", NULL), 0);
  assert_int_equal(rule_count(&b), 2);
  assert_int_equal(world_run(&b, "verify", NULL), 0);
  remove(policy);
  world_remove(&a);
  world_remove(&b);
}

static void test_repair_missing(void **state) {
  (void)state;
  world w;
  static const unsigned apps[2] = {0, 1};
  char ids[2][24];
  world_init(&w, "fi-repair", 43);
  learn(&w);
  proposal_ids(&w, apps, 2, ids);
  assert_int_equal(world_run(&w, "promote", ids[0], ids[1], NULL), 0);
  size_t all = world_count_filters(&w, NULL);
  drop_our_filters(&w);
  delete_app(&w, 1);
  assert_int_equal(world_spawn_wait(&w, SPAWN_MS, "verify", "--repair", NULL), 0);
  output_names(&w, 1);
  assert_int_equal(world_run(&w, "verify", "--repair", NULL), 1);
  assert_int_equal(world_count_filters(&w, NULL), 0); /* nothing repaired */
  /* enforce would block what rule 2 allows and cannot put its filters back: refused */
  assert_int_equal(world_spawn_wait(&w, SPAWN_MS, "enforce", "--confirm-within", "60", NULL), 0);
  output_names(&w, 1);
  wl_store *s = open_store(&w);
  char mode[16];
  assert_int_equal(wl_enforce_mode(s, mode, sizeof mode), WL_OK);
  assert_string_equal(mode, "learn");
  wl_store_close(s);
  size_t enf = 0;
  world_count_filters(&w, &enf);
  assert_int_equal(enf, 0); /* no block went in */
  assert_int_equal(world_run(&w, "verify", "--repair", "--skip-missing", NULL), 1); /* 1 left */
  size_t now = world_count_filters(&w, NULL);
  assert_true(now > 0 && now < all); /* app 0's filters are back, app 1's are not */
  world_remove(&w);
}

/* ---------------------------------------------------------------- item 15 */

static int decided_by_rule(const world *w, unsigned app) {
  wl_attempt a;
  wl_decision d;
  world_attempt(w, app, &a); /* DOS path: the sim maps it with the drive map of now */
  wl_engine *e = world_engine(w);
  assert_int_equal(wl_sim_classify(e, &a, &d), WL_OK);
  wl_filter *f = malloc(sizeof *f);
  wl_guid pk = wl_provider_key();
  int ours = d.action == WL_ACTION_PERMIT &&
             wl_engine_filter_get_by_id(e, d.filter_id, f) == WL_OK &&
             wl_guid_eq(&f->provider, &pk);
  wl_err_clear();
  free(f);
  wl_engine_close(e);
  return ours;
}

static void test_renumbered_volume(void **state) {
  (void)state;
  world w;
  static const unsigned apps[1] = {1};
  char ids[1][24];
  world_init(&w, "fi-renum", 44);
  learn(&w);
  proposal_ids(&w, apps, 1, ids);
  assert_int_equal(world_run(&w, "promote", ids[0], NULL), 0);
  size_t nf = world_count_filters(&w, NULL);
  assert_true(decided_by_rule(&w, 1));
  wl_engine *e = world_engine(&w); /* a disk added: C: is now volume 9 */
  assert_int_equal(wl_sim_set_drive(e, 'C', "\\Device\\HarddiskVolume9"), WL_OK);
  wl_engine_close(e);
  assert_false(decided_by_rule(&w, 1)); /* the filters name volume 3 */
  assert_int_equal(world_spawn_wait(&w, SPAWN_MS, "verify", NULL), 0);
  char out[16384];
  assert_true(world_read(w.scratch, out, sizeof out) > 0);
  assert_non_null(strstr(out, "app-id-moved"));
  assert_non_null(strstr(out, "harddiskvolume9"));
  assert_int_equal(world_run(&w, "verify", NULL), 1);
  assert_int_equal(world_run(&w, "verify", "--repair", NULL), 0);
  assert_true(decided_by_rule(&w, 1));
  assert_int_equal(world_count_filters(&w, NULL), nf); /* replaced, no orphans left */
  assert_int_equal(world_run(&w, "verify", NULL), 0);
  wl_store *s = open_store(&w);
  wl_rule_row *row = malloc(sizeof *row);
  assert_int_equal(wl_store_rule_get(s, 1, row), WL_OK);
  assert_non_null(strstr(row->app_nt, "harddiskvolume9"));
  free(row);
  wl_store_close(s);
  /* Promoting the same proposal again finds the rule: nothing new. */
  assert_int_equal(world_run(&w, "promote", ids[0], NULL), 0);
  assert_int_equal(rule_count(&w), 1);
  world_remove(&w);
}

static int files_tests(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_promote_missing),
      cmocka_unit_test(test_import_missing),
      cmocka_unit_test(test_repair_missing),
      cmocka_unit_test(test_renumbered_volume),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

int main(int argc, char **argv) { return world_main(argc, argv, files_tests); }
