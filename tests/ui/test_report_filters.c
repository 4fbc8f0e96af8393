/* test_report_filters.c — wl_filter_names (ui/report_filters.c): the filters named under
 * review's proposals are looked up once per listing, found or not, and past the most it keeps
 * each is still looked up right. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "common/wl_err.h"
#include "tests/support/test_store_util.h"
#include "ui/report.h"

static void put(wl_store *s, uint64_t id, const char *name) {
  wl_filter_info fi;
  memset(&fi, 0, sizeof fi);
  fi.filter_id = id;
  snprintf(fi.name, sizeof fi.name, "%s", name);
  snprintf(fi.provider, sizeof fi.provider, "prov %llu", (unsigned long long)id);
  snprintf(fi.sublayer, sizeof fi.sublayer, "sub");
  snprintf(fi.action, sizeof fi.action, "block");
  assert_int_equal(wl_store_filter_info_put(s, &fi), WL_OK);
}

static void test_once_per_listing(void **state) {
  (void)state;
  wl_store *s = open_ok(NULL);
  put(s, 70000, "Block all");
  put(s, 70001, "");
  wl_filter_names m = {0};
  const wl_filter_info *fi = wl_filter_names_get(&m, s, 70000);
  assert_non_null(fi);
  assert_int_equal(fi->filter_id, 70000);
  assert_string_equal(fi->name, "Block all");
  assert_string_equal(fi->provider, "prov 70000");
  fi = wl_filter_names_get(&m, s, 70001); /* attributed without a name: found, name "" */
  assert_non_null(fi);
  assert_string_equal(fi->name, "");
  assert_null(wl_filter_names_get(&m, s, 123)); /* never attributed */
  assert_string_equal(wl_errmsg(), "");           /* not an error */
  /* renamed and 123 attributed now: this listing still says what it looked up first */
  put(s, 70000, "Renamed");
  put(s, 123, "Late");
  assert_string_equal(wl_filter_names_get(&m, s, 70000)->name, "Block all");
  assert_null(wl_filter_names_get(&m, s, 123));
  assert_int_equal(m.n, 3);
  wl_filter_names_free(&m);
  assert_int_equal(m.n, 0);
  /* a new listing looks again */
  assert_string_equal(wl_filter_names_get(&m, s, 70000)->name, "Renamed");
  assert_string_equal(wl_filter_names_get(&m, s, 123)->name, "Late");
  wl_filter_names_free(&m);
  wl_store_close(s);
}

/* More filters than it keeps (1,024): every one still named right, the first ones kept. */
static void test_many_filters(void **state) {
  (void)state;
  wl_store *s = open_ok(NULL);
  enum { N = 1500 };
  assert_int_equal(wl_store_begin(s), WL_OK);
  for (uint64_t id = 1; id <= N; id++) {
    char name[32];
    snprintf(name, sizeof name, "f%llu", (unsigned long long)id);
    if (id % 7) /* every 7th never attributed */
      put(s, id, name);
  }
  assert_int_equal(wl_store_commit(s), WL_OK);
  wl_filter_names m = {0};
  for (int pass = 0; pass < 2; pass++)
    for (uint64_t id = 1; id <= N; id++) {
      const wl_filter_info *fi = wl_filter_names_get(&m, s, id);
      if (id % 7 == 0) {
        assert_null(fi);
        continue;
      }
      char name[32];
      snprintf(name, sizeof name, "f%llu", (unsigned long long)id);
      assert_non_null(fi);
      assert_int_equal(fi->filter_id, id);
      assert_string_equal(fi->name, name);
    }
  assert_int_equal(m.n, 1024);
  wl_filter_names_free(&m);
  wl_store_close(s);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_once_per_listing, setup_path, teardown_path),
      cmocka_unit_test_setup_teardown(test_many_filters, setup_path, teardown_path),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
