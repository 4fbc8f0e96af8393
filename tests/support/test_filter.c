/* test_filter.c — see test_filter.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "common/wl_text.h"
#include "tests/support/test_filter.h"

static void exact_cond(const wl_condition *a, const wl_condition *b) {
  assert_int_equal(a->proto, b->proto);
  assert_int_equal(a->ip_version, b->ip_version);
  assert_int_equal(a->prefix_len, b->prefix_len);
  assert_int_equal(a->port_lo, b->port_lo);
  assert_int_equal(a->port_hi, b->port_hi);
  assert_int_equal(a->flags, b->flags);
  assert_memory_equal(a->addr, b->addr, 16);
}

static void meaning_cond(const wl_condition *a, const wl_condition *b) {
  if (a->field == WL_FIELD_PROTOCOL)
    assert_int_equal(a->proto, b->proto);
  if (a->field == WL_FIELD_LOCAL_PORT || a->field == WL_FIELD_REMOTE_PORT) {
    assert_int_equal(a->port_lo, b->port_lo);
    if (a->match == WL_MATCH_RANGE)
      assert_int_equal(a->port_hi, b->port_hi);
  }
  if (a->field == WL_FIELD_REMOTE_ADDR) {
    assert_int_equal(a->ip_version, b->ip_version);
    assert_int_equal(a->prefix_len, b->prefix_len);
    assert_memory_equal(a->addr, b->addr, a->ip_version == 4 ? 4 : 16);
  }
  if (a->field == WL_FIELD_FLAGS)
    assert_int_equal(a->flags, b->flags);
}

void wl_test_assert_filter(const wl_filter *want, const wl_filter *got, int exact) {
  assert_true(wl_guid_eq(&want->key, &got->key));
  if (exact) {
    assert_int_equal(want->id, got->id);
    assert_string_equal(want->description, got->description);
  }
  assert_string_equal(want->name, got->name);
  assert_true(wl_guid_eq(&want->provider, &got->provider));
  assert_true(wl_guid_eq(&want->sublayer, &got->sublayer));
  assert_int_equal(want->layer_id, got->layer_id);
  assert_int_equal(want->action, got->action);
  assert_int_equal(want->flags, got->flags);
  assert_int_equal(want->weight_type, got->weight_type);
  assert_int_equal(want->weight, got->weight);
  assert_int_equal(want->num_conds, got->num_conds);
  for (uint32_t i = 0; i < want->num_conds; i++) {
    const wl_condition *a = &want->conds[i], *b = &got->conds[i];
    assert_int_equal(a->field, b->field);
    assert_int_equal(a->match, b->match);
    if (exact)
      exact_cond(a, b);
    else
      meaning_cond(a, b);
  }
  assert_int_equal(want->app_id_len, got->app_id_len);
  assert_memory_equal(want->app_id, got->app_id, want->app_id_len);
  assert_string_equal(want->user_sid, got->user_sid);
  assert_string_equal(want->package_sid, got->package_sid);
}
