/* test_fleet_cli.c — `export -o` (issue 18 item 7: written whole through a private temporary
 * file, never over the store, errors name the file, mode 0600) and `merge-policy` (issue 17:
 * three machines' policies with overlaps and a conflict; all or nothing on a bad file).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "cli/main.h"
#include "common/wl_err.h"
#include "common/wl_json.h"
#include "common/wl_os.h"
#include "engine/engine.h"
#include "engine/sim/sim.h"
#include "store/store.h"
#include "tests/support/test_files.h"
#include "whitelist/policy.h"

static int run(const char *a0, const char *a1, const char *a2, const char *a3, const char *a4,
               const char *a5, const char *a6, const char *a7, const char *a8) {
  const char *v[] = {"wfplearn", a0, a1, a2, a3, a4, a5, a6, a7, a8, NULL};
  int argc = 1;
  while (v[argc])
    argc++;
  return wl_cli_main(argc, (char **)v);
}

static void one_rule_store(const char *db) {
  wl_store *s = NULL;
  wl_rule_row r;
  wl_test_remove_db(db);
  assert_int_equal(wl_store_open(db, NULL, &s), WL_OK);
  memset(&r, 0, sizeof r);
  snprintf(r.app, sizeof r.app, "C:\\Program Files\\X\\x.exe");
  r.dir = WL_DIR_OUT;
  r.proto = 6;
  snprintf(r.scope, sizeof r.scope, "app");
  assert_int_equal(wl_store_rule_add(s, &r), WL_OK);
  wl_store_close(s);
}

static int count_rule(void *ctx, const wl_rule_row *r) {
  (void)r;
  (*(size_t *)ctx)++;
  return WL_OK;
}

static long file_size(const char *path) {
  wl_file_id id;
  return wl_os_file_id(path, &id) == WL_OK ? (long)id.size : -1;
}

static void test_export_o(void **state) {
  (void)state;
  char db[512], out[512], bad[512];
  wl_test_path(db, sizeof db, "fleet-cli.db");
  wl_test_path(out, sizeof out, "fleet-cli-out.ps1");
  wl_test_path(bad, sizeof bad, "fleet-no-such-dir/x.ps1");
  one_rule_store(db);
  remove(out);
  long db_size = file_size(db);
  /* -o naming the store: refused, the store untouched */
  assert_int_equal(run("--db", db, "export", "-o", db, NULL, NULL, NULL, NULL), 1);
  assert_int_equal(file_size(db), db_size);
  assert_int_equal(run("--db", db, "export", "--format", "netsh", "-o", db, NULL, NULL), 1);
  assert_int_equal(file_size(db), db_size);
  /* a file that cannot be made: the error names it */
  assert_int_not_equal(run("--db", db, "export", "-o", bad, NULL, NULL, NULL, NULL), 0);
  assert_non_null(strstr(wl_errmsg(), "fleet-no-such-dir/x.ps1"));
  /* written whole, 0600 whatever the umask; an old file replaced, not appended to */
  wl_test_write_file(out, "old content that is longer than nothing at all\n");
  assert_int_equal(run("--db", db, "export", "--format", "powershell", "--host", "pc1", "-o", out),
                   0);
  uint8_t *text = NULL;
  size_t len = 0;
  assert_int_equal(wl_os_read_file(out, 1 << 20, &text, &len), WL_OK);
  assert_null(strstr((char *)text, "old content"));
  assert_non_null(strstr((char *)text, "-Program '%ProgramFiles%\\X\\x.exe'"));
  free(text);
#ifndef _WIN32
  struct stat st;
  assert_int_equal(stat(out, &st), 0);
  assert_int_equal(st.st_mode & 0777, 0600);
#endif
  /* a bad format changes nothing */
  assert_int_equal(run("--db", db, "export", "--format", "xml", "-o", out, NULL, NULL), 1);
  assert_true(file_size(out) > 0);
  remove(out);
  wl_test_remove_db(db);
}

/* Three policies: A on all three, B on pc1 and pc2, C only on pc3, and pc3's firefox rule
 * differs from the baseline's (a conflict). The third file has no "host": its name is used. */
#define RULE(app, proto, ports)                                                              \
  "{\"app\": \"" app "\", \"dir\": \"out\", \"proto\": " #proto ", \"ports\": [" ports    \
  "], \"remotes\": [], \"user\": null, \"package\": null, "                              \
  "\"created\": \"2026-11-20T08:00:00.0000000Z\"}"
#define A RULE("C:\\\\Program Files\\\\Mozilla Firefox\\\\firefox.exe", 6, "443")
#define B RULE("C:\\\\Windows\\\\System32\\\\svchost.exe", 17, "123")
#define C RULE("C:\\\\Tools\\\\only-pc3.exe", 6, "22")
#define A2 RULE("C:\\\\PROGRAM FILES\\\\Mozilla Firefox\\\\FIREFOX.EXE", 6, "443")
#define D RULE("C:\\\\Program Files\\\\Git\\\\git.exe", 6, "443")
#define D3 RULE("C:\\\\Program Files\\\\Git\\\\git.exe", 6, "443,9418")
#define DOC(host, rules) \
  "{\"format\": \"wfplearn-policy\", \"version\": 1, " host "\"rules\": [" rules "]}"

static void test_merge(void **state) {
  (void)state;
  char p1[512], p2[512], p3[512], out[512], bad[512];
  wl_test_path(p1, sizeof p1, "fleet-pc1.json");
  wl_test_path(p2, sizeof p2, "fleet-pc2.json");
  wl_test_path(p3, sizeof p3, "pc3.json");
  wl_test_path(bad, sizeof bad, "fleet-bad.json");
  wl_test_path(out, sizeof out, "fleet-merged.json");
  wl_test_write_file(p1, DOC("\"host\": \"pc1\", ", A "," B "," D));
  wl_test_write_file(p2, DOC("\"host\": \"pc2\", ", A "," B "," D));
  wl_test_write_file(p3, DOC("", A2 "," C "," D3));
  wl_test_write_file(bad, DOC("\"host\": \"pc4\", ", A ", {\"dir\": \"sideways\"}"));
  remove(out);
  assert_int_equal(run("merge-policy", p1, p2, p3, "--min-hosts", "2", "-o", out, NULL), 0);
  uint8_t *text = NULL;
  size_t len = 0;
  assert_int_equal(wl_os_read_file(out, 1 << 20, &text, &len), WL_OK);
  wl_json_arena a = {0};
  const wl_json *doc = NULL;
  wl_json_error err;
  assert_int_equal(wl_json_parse(&a, (char *)text, len, &doc, &err), WL_OK);
  const wl_json *rules = wl_json_get(doc, "rules");
  assert_int_equal(rules->len, 3); /* A (3 hosts, case differs), B (2), D (2) */
  int64_t hosts = 0;
  for (const wl_json *r = rules->child; r; r = r->next) {
    assert_int_equal(wl_json_int64(wl_json_get(r, "hosts"), &hosts), WL_OK);
    const char *app = wl_json_string(wl_json_get(r, "app"));
    assert_int_equal(hosts, strstr(app, "firefox") ? 3 : 2);
  }
  const wl_json *ex = wl_json_get(doc, "exceptions");
  assert_int_equal(ex->len, 1);
  assert_int_equal(wl_json_get(ex, "pc3")->len, 2); /* C and its own git rule */
  const wl_json *conf = wl_json_get(doc, "conflicts");
  assert_int_equal(conf->len, 1);
  assert_string_equal(wl_json_string(wl_json_get(conf->child, "host")), "pc3");
  assert_non_null(strstr(wl_json_string(wl_json_get(conf->child, "app")), "git.exe"));
  assert_non_null(strstr((char *)text, "\"created\": \"2026-11-20T08:00:00.0000000Z\""));
  wl_json_arena_free(&a);
  free(text);
  /* the result is a policy: import-policy reads its baseline */
  char db[512], sim[512];
  wl_test_path(db, sizeof db, "fleet-merged.db");
  wl_test_path(sim, sizeof sim, "fleet-merged.state");
  char spec[600];
  snprintf(spec, sizeof spec, "sim:%s", sim);
  wl_test_remove_db(db);
  wl_test_remove_state(sim);
  wl_rule_row *rows = NULL;
  size_t n = 0;
  char host[64];
  assert_int_equal(wl_policy_read(out, &rows, &n, host, sizeof host), WL_OK);
  assert_int_equal(n, 3);
  /* the apps are on this machine (an app id needs the file: issue 12 item 8) */
  wl_engine *e = NULL;
  assert_int_equal(wl_engine_open(spec, 0, &e), WL_OK);
  for (size_t i = 0; i < n; i++)
    assert_int_equal(wl_sim_set_file(e, rows[i].app, 1), WL_OK);
  wl_engine_close(e);
  free(rows);
  assert_int_equal(run("--db", db, "--engine", spec, "import-policy", out, "--json", NULL, NULL), 0);
  wl_store *s = NULL;
  size_t in_store = 0;
  assert_int_equal(wl_store_open(db, NULL, &s), WL_OK);
  assert_int_equal(wl_store_rules(s, count_rule, &in_store), WL_OK);
  assert_int_equal(in_store, 3); /* the baseline, not the exceptions */
  wl_store_close(s);
  wl_test_remove_db(db);
  wl_test_remove_state(sim);
  /* min-hosts 3: only A in the baseline */
  assert_int_equal(run("merge-policy", p1, p2, p3, "--min-hosts", "3", "-o", out, NULL), 0);
  assert_int_equal(wl_os_read_file(out, 1 << 20, &text, &len), WL_OK);
  assert_int_equal(wl_json_parse(&a, (char *)text, len, &doc, &err), WL_OK);
  assert_int_equal(wl_json_get(doc, "rules")->len, 1);
  wl_json_arena_free(&a);
  free(text);
  /* a bad file: named, nothing written (the old output stays as it was) */
  long before = file_size(out);
  assert_int_equal(run("merge-policy", p1, bad, p3, "-o", out, NULL, NULL, NULL), 1);
  assert_non_null(strstr(wl_errmsg(), "fleet-bad.json"));
  assert_int_equal(file_size(out), before);
  /* the output may not be one of the inputs */
  assert_int_equal(run("merge-policy", p1, p2, "-o", p1, NULL, NULL, NULL, NULL), 1);
  remove(p1);
  remove(p2);
  remove(p3);
  remove(bad);
  remove(out);
}

int main(int argc, char **argv) {
  (void)argc;
  (void)argv;
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_export_o),
      cmocka_unit_test(test_merge),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
