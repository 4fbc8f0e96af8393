/* test_event.c — see test_event.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "tests/support/test_event.h"

void wl_test_assert_event(const wl_event *a, const wl_event *b) {
  assert_int_equal(a->has, b->has);
  assert_true(a->ts == b->ts);
  assert_int_equal(a->type, b->type);
  assert_int_equal(a->dir, b->dir);
  assert_int_equal(a->ip_version, b->ip_version);
  assert_int_equal(a->proto, b->proto);
  assert_memory_equal(a->local_addr, b->local_addr, 16);
  assert_memory_equal(a->remote_addr, b->remote_addr, 16);
  assert_int_equal(a->local_port, b->local_port);
  assert_int_equal(a->remote_port, b->remote_port);
  assert_string_equal(a->app, b->app);
  assert_string_equal(a->user, b->user);
  assert_string_equal(a->package, b->package);
  assert_true(a->filter_id == b->filter_id);
  assert_int_equal(a->layer_id, b->layer_id);
  assert_int_equal(a->reauth, b->reauth);
  assert_int_equal(a->is_loopback, b->is_loopback);
}
