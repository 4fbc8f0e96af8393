/* test_store_v3.c — schema version 3 (issue 15 item 4, store/schema_v3_rebind.c): a version-2
 * store, rules and all, opens and migrates; its rules read with no signer and no previous path;
 * the new columns round-trip through wl_store_rule_add / _update / _get / wl_store_rules. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "common/wl_err.h"
#include "store/store.h"
#include "tests/support/test_store_util.h"

static int first_rule(void *ctx, const wl_rule_row *r) {
  *(wl_rule_row *)ctx = *r; /* the store has one rule */
  return 0;
}

static void test_v2_migrates(void **state) {
  (void)state;
  static wl_rule_row r, out;
  wl_store *s = open_ok(NULL);
  snprintf(r.app, sizeof r.app, "C:\\Users\\a\\AppData\\Local\\x\\app-1.2.3\\x.exe");
  snprintf(r.scope, sizeof r.scope, "port");
  snprintf(r.ports, sizeof r.ports, "443");
  snprintf(r.origin, sizeof r.origin, "promote");
  assert_int_equal(wl_store_rule_add(s, &r), WL_OK);
  wl_store_close(s);
  /* back to version 2 as that version wrote it */
  raw_exec(TSU_UNDO_TO_V2 "UPDATE meta SET value=2 WHERE key='schema_version'");
  wl_store_opts ro = {.read_only = 1};
  assert_int_equal(wl_store_open(db_path, &ro, &s), WL_E_READONLY);
  assert_int_equal(raw_int("SELECT value FROM meta WHERE key='schema_version'"), 2);
  s = open_ok(NULL);
  assert_int_equal(wl_store_schema_version(s), WL_STORE_SCHEMA_VERSION);
  assert_int_equal(wl_store_rule_get(s, r.id, &out), WL_OK);
  assert_string_equal(out.app, r.app);
  assert_string_equal(out.signer, "");
  assert_string_equal(out.prev_app, "");
  /* the new columns round-trip */
  snprintf(out.signer, sizeof out.signer, "Contoso Ltd");
  snprintf(out.prev_app, sizeof out.prev_app, "%s", r.app);
  snprintf(out.prev_app_nt, sizeof out.prev_app_nt, "\\device\\harddiskvolume3\\x.exe");
  snprintf(out.app, sizeof out.app, "C:\\Users\\a\\AppData\\Local\\x\\app-1.3.0\\x.exe");
  assert_int_equal(wl_store_rule_update(s, &out), WL_OK);
  memset(&r, 0, sizeof r);
  assert_int_equal(wl_store_rules(s, first_rule, &r), WL_OK);
  assert_string_equal(r.signer, "Contoso Ltd");
  assert_string_equal(r.prev_app, out.prev_app);
  assert_string_equal(r.prev_app_nt, out.prev_app_nt);
  assert_string_equal(r.app, out.app);
  wl_store_close(s);
  assert_int_equal(raw_int("SELECT value FROM meta WHERE key='schema_version'"),
                   WL_STORE_SCHEMA_VERSION);
  s = open_ok(&ro); /* current: read-only opens work */
  wl_store_close(s);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_v2_migrates, setup_path, teardown_path),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
