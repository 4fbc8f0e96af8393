/* test_ring.c — the MPSC ring: single-thread semantics, wrap-around, full/empty, bad sizes,
 * drops counted exactly when the consumer stalls, and a two-producer one-consumer stress test
 * checking that every record arrives exactly once and in per-producer order (also run under
 * ThreadSanitizer). The in-place calls (claim/publish, peek/front/release) get the same cases:
 * FIFO over many laps mixed with push/pop (wl_ring_at on every peeked one), a full ring counting drops and freeing a slot only
 * on release, peek bounded by the capacity, and the threaded stress test done in place. */
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

/* Claim/publish and peek/front/release: many laps of a small ring, batches of uneven sizes,
 * each lap mixing the in-place calls with push and pop (both ends share the same slots). */
static void test_in_place_wrap_around(void **state) {
  (void)state;
  wl_ring *r;
  assert_int_equal(wl_ring_create(8, sizeof(rec), &r), WL_OK);
  uint64_t next_push = 0, next_pop = 0, ticket = 0;
  for (int round = 0; round < 1000; round++) {
    size_t want = (size_t)(round % 7) + 1;
    for (size_t k = 0; k < want; k++) {
      rec x = {.seq = next_push};
      snprintf(x.payload, sizeof x.payload, "r%llu", (unsigned long long)next_push);
      if (round % 3 == 0) { /* every third round through the copying push */
        if (wl_ring_push(r, &x) != WL_OK)
          break;
      } else {
        rec *slot = wl_ring_claim(r, &ticket);
        if (!slot)
          break;
        assert_int_equal((uintptr_t)slot % 8, 0);
        *slot = x;
        wl_ring_publish(r, ticket);
      }
      next_push++;
    }
    size_t max = (size_t)(round % 5) + 1;
    if (round % 4 == 0) { /* every fourth round through the copying pop */
      rec out[8];
      size_t n = wl_ring_pop(r, out, max);
      for (size_t k = 0; k < n; k++)
        assert_int_equal(out[k].seq, next_pop++);
      continue;
    }
    size_t n = wl_ring_peek(r, max);
    assert_true(n <= max && n == wl_ring_peek(r, max)); /* peeking again changes nothing */
    for (size_t k = 0; k < n; k++) /* every peeked one readable, across the wrap too */
      assert_int_equal(((const rec *)wl_ring_at(r, k))->seq, next_pop + k);
    for (size_t k = 0; k < n; k++) {
      const rec *x = wl_ring_front(r);
      char expect[40];
      snprintf(expect, sizeof expect, "r%llu", (unsigned long long)next_pop);
      assert_int_equal(x->seq, next_pop);
      assert_string_equal(x->payload, expect);
      next_pop++;
      wl_ring_release(r, 1);
    }
  }
  assert_true(next_push > 1000 && next_push - next_pop <= 8); /* many laps */
  size_t n;
  while ((n = wl_ring_peek(r, 3)) > 0) { /* the rest, released three at a time */
    for (size_t k = 0; k < n; k++) {
      wl_ring_release(r, 0); /* releasing none is allowed and does nothing */
      assert_int_equal(((const rec *)wl_ring_front(r))->seq, next_pop);
      wl_ring_release(r, 1);
      next_pop++;
    }
  }
  assert_int_equal(next_pop, next_push);
  assert_int_equal(wl_ring_size(r), 0);
  wl_ring_destroy(r);
}

/* A full ring in place: claim gives NULL (nothing claimed) and the caller counts a drop, as
 * push_or_drop does; a peeked record still holds its slot until released; peek never reports
 * more than the capacity, even asked for more. */
static void test_in_place_full_counts_drops(void **state) {
  (void)state;
  wl_ring *r;
  assert_int_equal(wl_ring_create(4, sizeof(rec), &r), WL_OK);
  uint64_t ticket;
  assert_int_equal(wl_ring_peek(r, 4), 0);
  for (uint64_t i = 0; i < 10; i++) {
    rec *slot = wl_ring_claim(r, &ticket);
    if (!slot) {
      wl_ring_count_drop(r);
      continue;
    }
    slot->seq = i;
    wl_ring_publish(r, ticket);
  }
  assert_int_equal(wl_ring_pushed(r), 4);
  assert_int_equal(wl_ring_dropped(r), 6);
  assert_int_equal(wl_ring_size(r), 4);
  assert_int_equal(wl_ring_peek(r, 100), 4); /* bounded by the capacity */
  assert_null(wl_ring_claim(r, &ticket));     /* peeked is not freed */
  assert_int_equal(((const rec *)wl_ring_front(r))->seq, 0);
  wl_ring_release(r, 1);
  rec *slot = wl_ring_claim(r, &ticket); /* one slot free again, the next lap's */
  assert_non_null(slot);
  assert_null(wl_ring_claim(r, &ticket)); /* and only one */
  slot->seq = 10;
  /* claimed but not yet published: the consumer sees the three before it, and stops there */
  assert_int_equal(wl_ring_peek(r, 8), 3);
  wl_ring_publish(r, ticket);
  assert_int_equal(wl_ring_peek(r, 8), 4);
  wl_ring_release(r, 2); /* two at once */
  assert_int_equal(((const rec *)wl_ring_front(r))->seq, 3);
  wl_ring_release(r, 1);
  assert_int_equal(((const rec *)wl_ring_front(r))->seq, 10);
  wl_ring_release(r, 1);
  assert_int_equal(wl_ring_peek(r, 8), 0);
  assert_int_equal(wl_ring_pushed(r), 5);
  assert_int_equal(wl_ring_dropped(r), 6);
  wl_ring_destroy(r);
}

#define STRESS_PER_PRODUCER 400000u
#define STRESS_PRODUCERS 2

typedef struct producer_arg {
  wl_ring *r;
  uint32_t id;
  int in_place; /* claim/publish instead of push */
  uint64_t full_retries;
} producer_arg;

static void *producer(void *p) {
  producer_arg *a = p;
  for (uint64_t i = 0; i < STRESS_PER_PRODUCER; i++) {
    rec x = {.producer = a->id, .seq = i};
    memcpy(x.payload, &i, sizeof i);
    if (!a->in_place) {
      while (wl_ring_push(a->r, &x) == WL_E_FULL)
        a->full_retries++; /* the test wants every record; a live callback would drop */
      continue;
    }
    uint64_t ticket;
    rec *slot;
    while (!(slot = wl_ring_claim(a->r, &ticket)))
      a->full_retries++;
    slot->producer = x.producer; /* written field by field in the slot, as the replay does */
    slot->seq = i;
    memcpy(slot->payload, &i, sizeof i);
    wl_ring_publish(a->r, ticket);
  }
  return NULL;
}

/* Consumer side of the stress tests: the next n records, popped or read in place. */
static size_t stress_take(wl_ring *r, int in_place, rec *batch, size_t max) {
  if (!in_place)
    return wl_ring_pop(r, batch, max);
  size_t n = wl_ring_peek(r, max);
  for (size_t k = 0; k < n; k++) {
    batch[k] = *(const rec *)wl_ring_front(r);
    wl_ring_release(r, 1);
  }
  return n;
}

static void two_producers_one_consumer(int in_place) {
  wl_ring *r;
  assert_int_equal(wl_ring_create(1024, sizeof(rec), &r), WL_OK);
  wl_thread t[STRESS_PRODUCERS];
  producer_arg args[STRESS_PRODUCERS];
  for (uint32_t i = 0; i < STRESS_PRODUCERS; i++) {
    args[i] = (producer_arg){.r = r, .id = i, .in_place = in_place && i == 0};
    assert_int_equal(wl_thread_start(&t[i], producer, &args[i]), 0);
  }
  uint64_t next[STRESS_PRODUCERS] = {0};
  uint64_t total = 0;
  rec batch[256];
  while (total < (uint64_t)STRESS_PER_PRODUCER * STRESS_PRODUCERS) {
    size_t n = stress_take(r, in_place, batch, 256);
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

static void test_two_producers_one_consumer(void **state) {
  (void)state;
  two_producers_one_consumer(0);
}

/* One producer claims/publishes in place while the other pushes; the consumer reads in place. */
static void test_two_producers_one_consumer_in_place(void **state) {
  (void)state;
  two_producers_one_consumer(1);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_bad_sizes),
      cmocka_unit_test(test_empty_full_fifo),
      cmocka_unit_test(test_wrap_around),
      cmocka_unit_test(test_stalled_consumer_counts_drops),
      cmocka_unit_test(test_in_place_wrap_around),
      cmocka_unit_test(test_in_place_full_counts_drops),
      cmocka_unit_test(test_two_producers_one_consumer),
      cmocka_unit_test(test_two_producers_one_consumer_in_place),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
