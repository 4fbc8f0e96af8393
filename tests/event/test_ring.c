/* test_ring.c — the MPSC ring: single-thread semantics, wrap-around, full/empty, bad sizes,
 * drops counted exactly when the consumer stalls, and a two-producer one-consumer stress test
 * checking that every record arrives exactly once and in per-producer order (also run under
 * ThreadSanitizer). */
#include "common/wl_thread.h"
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/wl_err.h"
#include "event/ring.h"

typedef struct rec {
  uint32_t producer;
  uint32_t pad;
  uint64_t seq;
  char payload[40]; /* odd-ish size so slots are not just one word */
} rec;

static void test_bad_sizes(void **state) {
  (void)state;
  wl_ring *r = (wl_ring *)1;
  assert_int_equal(wl_ring_create(0, 8, &r), WL_E_INVAL);
  assert_null(r);
  assert_int_equal(wl_ring_create(3, 8, &r), WL_E_INVAL);
  assert_int_equal(wl_ring_create(1u << 25, 8, &r), WL_E_INVAL);
  assert_int_equal(wl_ring_create(8, 0, &r), WL_E_INVAL);
  assert_int_equal(wl_ring_create(8, WL_RING_MAX_RECORD + 1, &r), WL_E_INVAL);
  assert_non_null(strstr(wl_errmsg(), "record size"));
  wl_ring_destroy(NULL);
}

static void test_empty_full_fifo(void **state) {
  (void)state;
  wl_ring *r;
  assert_int_equal(wl_ring_create(4, sizeof(rec), &r), WL_OK);
  rec out[8];
  assert_int_equal(wl_ring_pop(r, out, 8), 0);
  for (uint64_t i = 0; i < 4; i++) {
    rec x = {.producer = 1, .seq = i};
    assert_int_equal(wl_ring_push(r, &x), WL_OK);
  }
  assert_int_equal(wl_ring_size(r), 4);
  rec extra = {.seq = 99};
  assert_int_equal(wl_ring_push(r, &extra), WL_E_FULL);
  assert_int_equal(wl_ring_push_or_drop(r, &extra), WL_E_FULL);
  assert_int_equal(wl_ring_dropped(r), 1);
  assert_int_equal(wl_ring_pop(r, out, 2), 2);
  assert_int_equal(out[0].seq, 0);
  assert_int_equal(out[1].seq, 1);
  assert_int_equal(wl_ring_pop(r, out, 8), 2);
  assert_int_equal(out[0].seq, 2);
  assert_int_equal(out[1].seq, 3);
  assert_int_equal(wl_ring_pop(r, out, 8), 0);
  assert_int_equal(wl_ring_pushed(r), 4);
  wl_ring_destroy(r);
}

/* Many laps around a small ring with uneven push/pop batch sizes. */
static void test_wrap_around(void **state) {
  (void)state;
  wl_ring *r;
  assert_int_equal(wl_ring_create(8, sizeof(rec), &r), WL_OK);
  uint64_t next_push = 0, next_pop = 0;
  rec out[8];
  for (int round = 0; round < 1000; round++) {
    size_t want = (size_t)(round % 7) + 1;
    for (size_t k = 0; k < want; k++) {
      rec x = {.seq = next_push};
      snprintf(x.payload, sizeof x.payload, "r%llu", (unsigned long long)next_push);
      if (wl_ring_push(r, &x) != WL_OK)
        break;
      next_push++;
    }
    size_t n = wl_ring_pop(r, out, (size_t)(round % 5) + 1);
    for (size_t k = 0; k < n; k++) {
      char expect[40];
      snprintf(expect, sizeof expect, "r%llu", (unsigned long long)next_pop);
      assert_int_equal(out[k].seq, next_pop);
      assert_string_equal(out[k].payload, expect);
      next_pop++;
    }
  }
  assert_true(next_push > 1000); /* went round many times */
  size_t n;
  while ((n = wl_ring_pop(r, out, 8)) > 0)
    for (size_t k = 0; k < n; k++)
      assert_int_equal(out[k].seq, next_pop++);
  assert_int_equal(next_pop, next_push);
  wl_ring_destroy(r);
}

/* A stalled consumer: exactly capacity records fit, every further push is one counted drop. */
static void test_stalled_consumer_counts_drops(void **state) {
  (void)state;
  wl_ring *r;
  assert_int_equal(wl_ring_create(64, sizeof(rec), &r), WL_OK);
  int full = 0;
  for (uint64_t i = 0; i < 1000; i++) {
    rec x = {.seq = i};
    if (wl_ring_push_or_drop(r, &x) == WL_E_FULL)
      full++;
  }
  assert_int_equal(full, 1000 - 64);
  assert_int_equal(wl_ring_dropped(r), 1000 - 64);
  assert_int_equal(wl_ring_pushed(r), 64);
  rec out[64];
  assert_int_equal(wl_ring_pop(r, out, 64), 64);
  for (uint64_t i = 0; i < 64; i++)
    assert_int_equal(out[i].seq, i); /* the first 64 survived, in order */
  wl_ring_destroy(r);
}

#define STRESS_PER_PRODUCER 400000u
#define STRESS_PRODUCERS 2

typedef struct producer_arg {
  wl_ring *r;
  uint32_t id;
  uint64_t full_retries;
} producer_arg;

static void *producer(void *p) {
  producer_arg *a = p;
  for (uint64_t i = 0; i < STRESS_PER_PRODUCER; i++) {
    rec x = {.producer = a->id, .seq = i};
    memcpy(x.payload, &i, sizeof i);
    while (wl_ring_push(a->r, &x) == WL_E_FULL)
      a->full_retries++; /* the test wants every record; a live callback would drop */
  }
  return NULL;
}

static void test_two_producers_one_consumer(void **state) {
  (void)state;
  wl_ring *r;
  assert_int_equal(wl_ring_create(1024, sizeof(rec), &r), WL_OK);
  wl_thread t[STRESS_PRODUCERS];
  producer_arg args[STRESS_PRODUCERS];
  for (uint32_t i = 0; i < STRESS_PRODUCERS; i++) {
    args[i] = (producer_arg){.r = r, .id = i};
    assert_int_equal(wl_thread_start(&t[i], producer, &args[i]), 0);
  }
  uint64_t next[STRESS_PRODUCERS] = {0};
  uint64_t total = 0;
  rec batch[256];
  while (total < (uint64_t)STRESS_PER_PRODUCER * STRESS_PRODUCERS) {
    size_t n = wl_ring_pop(r, batch, 256);
    for (size_t k = 0; k < n; k++) {
      uint32_t p = batch[k].producer;
      assert_true(p < STRESS_PRODUCERS);
      assert_int_equal(batch[k].seq, next[p]); /* per-producer order, no loss, no duplicate */
      uint64_t copy;
      memcpy(&copy, batch[k].payload, sizeof copy);
      assert_int_equal(copy, batch[k].seq); /* the record was published whole */
      next[p]++;
    }
    total += n;
  }
  for (uint32_t i = 0; i < STRESS_PRODUCERS; i++) {
    wl_thread_join(&t[i]);
    assert_int_equal(next[i], STRESS_PER_PRODUCER);
  }
  assert_int_equal(wl_ring_pop(r, batch, 256), 0);
  assert_int_equal(wl_ring_pushed(r), (uint64_t)STRESS_PER_PRODUCER * STRESS_PRODUCERS);
  assert_int_equal(wl_ring_dropped(r), 0);
  wl_ring_destroy(r);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_bad_sizes),
      cmocka_unit_test(test_empty_full_fifo),
      cmocka_unit_test(test_wrap_around),
      cmocka_unit_test(test_stalled_consumer_counts_drops),
      cmocka_unit_test(test_two_producers_one_consumer),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
