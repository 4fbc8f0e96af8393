/* test_wl_rebind.c — app updates and packaged apps (issue 15, items 4 and 5), as a user lives
 * them, on the sim (which answers signers from the traffic lines' "signer", wl_engine_signer,
 * and matches FWPM_CONDITION_ALE_PACKAGE_ID against the attempt's package SID):
 *   - a Squirrel app learned at app-1.2.3 is promoted and enforced; it updates to app-1.3.0,
 *     same signer: review says "update of rule 1" (review --json "update_of": 1, text review),
 *     one promote re-binds rule 1, the new path is allowed under enforce; the old path's
 *     filters stay while the old binary exists and go once it is deleted (the sweep at the
 *     next promote, and verify agrees); promoted when the old binary is already gone, they go
 *     at once;
 *   - the same update signed by someone else, or unsigned: a normal proposal flagged
 *     signer-changed / unsigned, promote adds a second rule and rule 1 is untouched;
 *   - a packaged app (events with a package SID) gets a package rule: its filters carry
 *     ALE_PACKAGE_ID and no app id, so its next version in a new WindowsApps folder is still
 *     allowed under enforce, and review does not propose it again; another package at that
 *     folder is blocked. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/wl_err.h"
#include "common/wl_text.h"
#include "engine/keys.h"
#include "store/store.h"
#include "tests/support/test_wl_world.h"
#include "whitelist/apply.h"
#include "whitelist/proposal.h"
#include "whitelist/rebind.h"

#define SPAWN_MS 60000u
#define DAY_TICKS (24ull * 3600 * 10000000)
#define CHAT "C:\\Users\\ann\\AppData\\Local\\chat\\app-"
#define OLD CHAT "1.2.3\\chat.exe"
#define NEW CHAT "1.3.0\\chat.exe"
#define SIGNER "Contoso Chat Ltd"
#define WA "C:\\Program Files\\WindowsApps\\"
#define PKG_OLD WA "Contoso.Notes_1.0.0.0_x64__8wekyb3d8bbwe\\notes.exe"
#define PKG_NEW WA "Contoso.Notes_1.1.0.0_x64__8wekyb3d8bbwe\\notes.exe"
#define PKG_SID "S-1-15-2-100-200-300-400-500-600-700"
#define PKG_OTHER "S-1-15-2-900-800-700-600-500-400-300"

/* Attempts of one app to 6 public hosts on 443 over an hour from days_ago, into `path`.
 * signer / package NULL: the line has none. */
static void write_traffic(const char *path, const char *app, const char *signer,
                          const char *package, int days_ago) {
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  uint64_t t = wl_time_now() - (uint64_t)days_ago * DAY_TICKS;
  for (int i = 0; i < 12; i++) {
    char ts[WL_TIME_STR_MAX], esc[WORLD_PATH * 2];
    size_t k = 0;
    for (const char *c = app; *c && k + 2 < sizeof esc; c++) {
      if (*c == '\\')
        esc[k++] = '\\';
      esc[k++] = *c;
    }
    esc[k] = 0;
    wl_time_format(t + (uint64_t)i * 300 * 10000000ull, ts);
    fprintf(f, "{\"ts\":\"%s\",\"app\":\"%s\",\"dir\":\"out\",\"proto\":\"tcp\","
               "\"local\":\"192.168.1.23:%d\",\"remote\":\"8.8.%d.%d:443\",\"user\":\"%s\"",
            ts, esc, 50000 + i, 10 + i % 6, 1 + i, WORLD_USER);
    if (signer)
      fprintf(f, ",\"signer\":\"%s\"", signer);
    if (package)
      fprintf(f, ",\"package\":\"%s\"", package);
    fputs("}\n", f);
  }
  fclose(f);
}

/* Recorded paths are the app id's (lower case). */
#define assert_same_path(got, want) \
  assert_true(strlen(got) == strlen(want) && !wl_strncasecmp(got, want, strlen(want)))

static wl_store *open_store(const world *w) {
  wl_store *s = NULL;
  if (wl_store_open(w->db, NULL, &s))
    fail_msg("store %s: %s", w->db, wl_errmsg());
  return s;
}

static void learn(const world *w, const char *app, const char *signer, const char *package,
                  int days_ago) {
  char src[WORLD_PATH + 8];
  write_traffic(w->traffic, app, signer, package, days_ago);
  snprintf(src, sizeof src, "sim:%s", w->traffic);
  assert_int_equal(world_run(w, "learn", "--source", src, NULL), 0);
}

/* The proposal of `app` (DOS path), annotated with the engine as review does; 0 when none. */
static int64_t proposal_of(const world *w, const char *app, wl_proposal *out) {
  wl_store *s = open_store(w);
  wl_engine *e = world_engine(w);
  wl_proposal *p = NULL;
  size_t n = 0;
  int64_t id = 0;
  assert_int_equal(wl_proposals_build(s, 0, &p, &n), WL_OK);
  assert_int_equal(wl_rebind_annotate(e, s, p, n), WL_OK);
  for (size_t i = 0; i < n; i++)
    if (!wl_strncasecmp(p[i].app_dos, app, strlen(app) + 1)) {
      *out = p[i];
      id = p[i].id;
    }
  wl_proposals_free(p);
  wl_engine_close(e);
  wl_store_close(s);
  return id;
}

static void promote(const world *w, int64_t id) {
  char arg[24];
  snprintf(arg, sizeof arg, "%lld", (long long)id);
  assert_int_equal(world_run(w, "promote", arg, NULL), 0);
}

static void rule_row(const world *w, int64_t id, wl_rule_row *row) {
  wl_store *s = open_store(w);
  assert_int_equal(wl_store_rule_get(s, id, row), WL_OK);
  wl_store_close(s);
}

/* The attempt of `app` now: 1 when one of our permits allowed it, 0 when it was blocked. */
static int allowed_by_rule(const world *w, const char *app, const char *package) {
  wl_attempt a;
  wl_decision d;
  world_attempt(w, 0, &a);
  wl_strlcpy(a.app, app, sizeof a.app);
  wl_strlcpy(a.package, package ? package : "", sizeof a.package);
  a.signer[0] = 0;
  a.remote_port = 443;
  a.proto = 6;
  a.ip_version = 4;
  static const uint8_t remote[4] = {8, 8, 10, 1}, local[4] = {192, 168, 1, 23};
  memcpy(a.remote_addr, remote, 4);
  memcpy(a.local_addr, local, 4);
  wl_engine *e = world_engine(w);
  assert_int_equal(wl_sim_classify(e, &a, &d), WL_OK);
  wl_filter *f = malloc(sizeof *f);
  wl_guid pk = wl_provider_key();
  int ours = d.action == WL_ACTION_PERMIT &&
             wl_engine_filter_get_by_id(e, d.filter_id, f) == WL_OK && wl_guid_eq(&f->provider, &pk);
  if (d.action == WL_ACTION_PERMIT && !ours)
    fail_msg("%s: permitted by filter %llu, not by a rule", app, (unsigned long long)d.filter_id);
  wl_err_clear();
  free(f);
  wl_engine_close(e);
  return ours;
}

static void enforce(const world *w) {
  assert_int_equal(world_run(w, "enforce", "--confirm-within", "60", NULL), 0);
  assert_int_equal(world_run(w, "confirm", NULL), 0);
}

static void set_file(const world *w, const char *path, int exists) {
  wl_engine *e = world_engine(w);
  assert_int_equal(wl_sim_set_file(e, path, exists), WL_OK);
  wl_engine_close(e);
}

/* Learn app-1.2.3, promote it (rule 1, signer recorded), enforce. */
static void learn_chat(world *w, const char *tag) {
  static wl_proposal p;
  static wl_rule_row row;
  world_init(w, tag, 5);
  learn(w, OLD, SIGNER, NULL, 3);
  int64_t id = proposal_of(w, OLD, &p);
  assert_true(id > 0);
  assert_int_equal(p.update_candidate, 0);
  promote(w, id);
  rule_row(w, 1, &row);
  assert_same_path(row.app, OLD);
  assert_string_equal(row.signer, SIGNER);
  assert_string_equal(row.scope, "port");
  enforce(w);
  assert_true(allowed_by_rule(w, OLD, NULL));
  assert_false(allowed_by_rule(w, NEW, NULL));
}

static void test_update_same_signer(void **state) {
  (void)state;
  world w;
  static wl_proposal p;
  static wl_rule_row row;
  char out[65536];
  learn_chat(&w, "rb-same");
  size_t before = world_count_filters(&w, NULL);
  learn(&w, NEW, SIGNER, NULL, 1); /* the update, blocked under enforce */
  int64_t id = proposal_of(&w, NEW, &p);
  assert_true(id > 0);
  assert_int_equal(p.update_of, 1);
  assert_int_equal(p.update_candidate, 1);
  assert_true(p.signer_checked);
  assert_string_equal(p.signer, SIGNER);
  assert_int_equal(p.flags & (WL_PROPOSAL_FLAG_UNSIGNED | WL_PROPOSAL_FLAG_SIGNER_CHANGED), 0);
  /* its path is new since the cut, yet its predecessor was ruled: not "unstable" (new path) */
  assert_int_equal(p.flags & WL_PROPOSAL_FLAG_UNSTABLE, 0);
  assert_int_equal(p.unstable_why, 0);
  assert_true(p.stability < 0);
  /* review --json and text review say it */
  assert_int_equal(world_spawn_wait(&w, SPAWN_MS, "review", "--json", NULL), 0);
  assert_true(world_read(w.scratch, out, sizeof out) > 0);
  assert_non_null(strstr(out, "\"update_of\":1,\"update\":{\"rule\":1,\"kind\":\"squirrel\""));
  assert_non_null(strstr(out, "\"name\":\"" SIGNER "\",\"rule_signer\":\"" SIGNER "\""));
  assert_int_equal(world_spawn_wait(&w, SPAWN_MS, "review", NULL), 0);
  assert_true(world_read(w.scratch, out, sizeof out) > 0);
  assert_non_null(strstr(out, "update of rule 1 (squirrel version folder"));
  assert_null(strstr(out, "new path"));
  /* one promote re-binds rule 1: the new path allowed, the old one too while it exists */
  promote(&w, id);
  rule_row(&w, 1, &row);
  assert_same_path(row.app, NEW);
  assert_same_path(row.prev_app, OLD);
  assert_string_equal(row.signer, SIGNER);
  assert_int_equal(world_count_filters(&w, NULL), before + 2); /* v4, v6 of the new path */
  assert_true(allowed_by_rule(&w, NEW, NULL));
  assert_true(allowed_by_rule(&w, OLD, NULL));
  assert_int_equal(proposal_of(&w, NEW, &p), 0); /* covered now */
  assert_int_equal(world_spawn_wait(&w, SPAWN_MS, "rules", NULL), 0);
  assert_true(world_read(w.scratch, out, sizeof out) > 0);
  assert_non_null(strstr(out, "signed by \"" SIGNER "\""));
  assert_non_null(strstr(out, "re-bound from C:\\users\\ann\\appdata\\local\\chat\\app-1.2.3"));
  assert_int_equal(world_spawn_wait(&w, SPAWN_MS, "rules", "--json", NULL), 0);
  assert_true(world_read(w.scratch, out, sizeof out) > 0);
  assert_non_null(strstr(out, "\"signer\":\"" SIGNER "\",\"prev_app\":\"C:"));
  assert_int_equal(world_run(&w, "verify", NULL), 0);
  /* the old version is removed: its filters are unused; the next promote's sweep drops them */
  set_file(&w, OLD, 0);
  assert_int_equal(world_run(&w, "verify", NULL), 1); /* verify sees them as not wanted */
  wl_store *s = open_store(&w);
  wl_engine *e = world_engine(&w);
  size_t dropped = 0;
  assert_int_equal(wl_rebind_sweep(e, s, &dropped), WL_OK);
  assert_int_equal(dropped, 1);
  wl_engine_close(e);
  wl_store_close(s);
  rule_row(&w, 1, &row);
  assert_string_equal(row.prev_app, "");
  assert_int_equal(world_count_filters(&w, NULL), before);
  assert_true(allowed_by_rule(&w, NEW, NULL));
  assert_int_equal(world_run(&w, "verify", NULL), 0);
  world_remove(&w);
}

static void test_update_old_gone(void **state) {
  (void)state;
  world w;
  static wl_proposal p;
  static wl_rule_row row;
  learn_chat(&w, "rb-gone");
  size_t before = world_count_filters(&w, NULL);
  learn(&w, NEW, SIGNER, NULL, 1);
  set_file(&w, OLD, 0); /* Squirrel removed app-1.2.3 after the update started */
  int64_t id = proposal_of(&w, NEW, &p);
  assert_int_equal(p.update_of, 1);
  char arg[24];
  snprintf(arg, sizeof arg, "%lld", (long long)id);
  /* twice: one re-bind; --for does not make the re-bound rule temporary, and says so */
  char out[4096];
  assert_int_equal(world_spawn_wait(&w, SPAWN_MS, "promote", arg, arg, "--for", "1h", NULL), 0);
  assert_true(world_read(w.scratch, out, sizeof out) > 0);
  if (!strstr(out, "--for: 1 app update re-bound to its rule, which keeps its expiry"))
    fail_msg("promote --for of an app update: %s", out);
  rule_row(&w, 1, &row);
  assert_int_equal(row.expires, 0);
  assert_same_path(row.app, NEW);
  assert_string_equal(row.prev_app, ""); /* its filters went with the re-bind */
  assert_int_equal(world_count_filters(&w, NULL), before);
  assert_true(allowed_by_rule(&w, NEW, NULL));
  assert_int_equal(world_run(&w, "verify", NULL), 0);
  world_remove(&w);
}

/* Signed by someone else, or not signed: a normal proposal with a flag, a new rule. */
static void other_signer(const char *tag, const char *signer, uint32_t flag) {
  world w;
  static wl_proposal p;
  static wl_rule_row row;
  char out[65536];
  learn_chat(&w, tag);
  learn(&w, NEW, signer, NULL, 1);
  int64_t id = proposal_of(&w, NEW, &p);
  assert_int_equal(p.update_of, 0);
  assert_int_equal(p.update_candidate, 1);
  assert_true(p.flags & flag);
  assert_int_equal(world_spawn_wait(&w, SPAWN_MS, "review", "--json", NULL), 0);
  assert_true(world_read(w.scratch, out, sizeof out) > 0);
  assert_non_null(strstr(out, "\"update_of\":null,\"update\":{\"rule\":1"));
  assert_non_null(strstr(out, flag == WL_PROPOSAL_FLAG_UNSIGNED ? "\"unsigned\""
                                                                 : "\"signer-changed\""));
  promote(&w, id);
  rule_row(&w, 1, &row);
  assert_same_path(row.app, OLD); /* untouched */
  rule_row(&w, 2, &row);
  assert_same_path(row.app, NEW);
  assert_string_equal(row.signer, signer ? signer : "");
  assert_true(allowed_by_rule(&w, NEW, NULL));
  world_remove(&w);
}

static void test_update_other_signer(void **state) {
  (void)state;
  other_signer("rb-other", "Mallory Software", WL_PROPOSAL_FLAG_SIGNER_CHANGED);
}

static void test_update_unsigned(void **state) {
  (void)state;
  other_signer("rb-unsig", NULL, WL_PROPOSAL_FLAG_UNSIGNED);
}

static void test_package_update(void **state) {
  (void)state;
  world w;
  static wl_proposal p;
  static wl_rule_row row;
  world_init(&w, "rb-pkg", 6);
  learn(&w, PKG_OLD, SIGNER, PKG_SID, 3);
  int64_t id = proposal_of(&w, PKG_OLD, &p);
  assert_true(id > 0);
  promote(&w, id);
  rule_row(&w, 1, &row);
  assert_string_equal(row.package, PKG_SID);
  /* its filters match the package, not the path */
  wl_engine *e = world_engine(&w);
  wl_filter *f = NULL;
  size_t n = 0;
  wl_guid pk = wl_provider_key();
  assert_int_equal(wl_engine_filter_enum(e, &pk, &f, &n), WL_OK);
  assert_true(n >= 1);
  for (size_t i = 0; i < n; i++)
    for (uint32_t c = 0; c < f[i].num_conds; c++) {
      assert_int_not_equal(f[i].conds[c].field, WL_FIELD_APP_ID);
      if (f[i].conds[c].field == WL_FIELD_PACKAGE)
        assert_string_equal(f[i].package_sid, PKG_SID);
    }
  wl_engine_free(f);
  wl_engine_close(e);
  enforce(&w);
  assert_true(allowed_by_rule(&w, PKG_OLD, PKG_SID));
  /* the package updates: a new WindowsApps folder, same package: still allowed */
  set_file(&w, PKG_OLD, 0);
  set_file(&w, PKG_NEW, 1);
  assert_true(allowed_by_rule(&w, PKG_NEW, PKG_SID));
  assert_false(allowed_by_rule(&w, PKG_NEW, PKG_OTHER)); /* the package decides, not the path */
  assert_false(allowed_by_rule(&w, PKG_NEW, NULL));
  learn(&w, PKG_NEW, SIGNER, PKG_SID, 1);
  assert_int_equal(proposal_of(&w, PKG_NEW, &p), 0); /* covered: review has nothing new */
  assert_int_equal(world_run(&w, "verify", NULL), 0); /* the old folder is gone: still fine */
  world_remove(&w);
}

static void set_signer(const world *w, const char *path, const char *signer) {
  wl_engine *e = world_engine(w);
  assert_int_equal(wl_sim_set_file_signer(e, path, signer), WL_OK);
  wl_engine_close(e);
}

/* Revoke rule `id`, import `policy`: the rule comes back as rule `id` + 1; its signer. */
static void reimport(const world *w, int64_t id, const char *policy, wl_rule_row *row) {
  char arg[24];
  snprintf(arg, sizeof arg, "%lld", (long long)id);
  assert_int_equal(world_run(w, "revoke", arg, NULL), 0);
  assert_int_equal(world_run(w, "import-policy", policy, NULL), 0);
  rule_row(w, id + 1, row);
  assert_same_path(row->app, OLD);
}

/* A policy carries the rule's signer, so an imported rule's app update re-binds (issue 15
 * polish); a policy without "signer" (older wfplearn) takes the signer of the binary here. */
static void test_policy_carries_signer(void **state) {
  (void)state;
  world w;
  static wl_proposal p;
  static wl_rule_row row;
  char policy[WORLD_PATH + 16], old_policy[WORLD_PATH + 16], out[16384];
  learn_chat(&w, "rb-pol");
  snprintf(policy, sizeof policy, "%s.policy.json", w.scratch);
  snprintf(old_policy, sizeof old_policy, "%s.old.json", w.scratch);
  assert_int_equal(world_run(&w, "export", "-o", policy, NULL), 0);
  assert_true(world_read(policy, out, sizeof out) > 0);
  assert_non_null(strstr(out, "\"signer\": \"" SIGNER "\""));
  assert_null(strstr(out, "prev_app")); /* machine-local: not exported */
  /* the older format: the same file without "signer" */
  char *at = strstr(out, ", \"signer\": \"" SIGNER "\"");
  memmove(at, at + strlen(", \"signer\": \"" SIGNER "\""),
          strlen(at + strlen(", \"signer\": \"" SIGNER "\"")) + 1);
  FILE *f = fopen(old_policy, "w");
  assert_non_null(f);
  fputs(out, f);
  fclose(f);
  /* the file's signer wins: this machine's binary reads as unsigned now */
  set_signer(&w, OLD, NULL);
  reimport(&w, 1, policy, &row);
  assert_string_equal(row.signer, SIGNER);
  reimport(&w, 2, old_policy, &row); /* no signer in the file: this machine's (none) */
  assert_string_equal(row.signer, "");
  set_signer(&w, OLD, SIGNER);
  reimport(&w, 3, old_policy, &row); /* ... now signed here */
  assert_string_equal(row.signer, SIGNER);
  /* the imported rule's update is re-bound, not flagged signer-changed */
  learn(&w, NEW, SIGNER, NULL, 1);
  int64_t id = proposal_of(&w, NEW, &p);
  assert_int_equal(p.update_of, 4);
  assert_int_equal(p.flags & WL_PROPOSAL_FLAG_SIGNER_CHANGED, 0);
  promote(&w, id);
  rule_row(&w, 4, &row);
  assert_same_path(row.app, NEW);
  remove(policy);
  remove(old_policy);
  world_remove(&w);
}

static int rebind_tests(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_update_same_signer), cmocka_unit_test(test_update_old_gone),
      cmocka_unit_test(test_update_other_signer), cmocka_unit_test(test_update_unsigned),
      cmocka_unit_test(test_package_update), cmocka_unit_test(test_policy_carries_signer),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

int main(int argc, char **argv) { return world_main(argc, argv, rebind_tests); }
