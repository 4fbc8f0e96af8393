/* ring.c — bounded lock-free MPSC ring (see ring.h for the contract).
 *
 * Each slot holds a sequence number followed by the record. Slot i starts with seq = i.
 * A producer reads tail t; if slot[t & mask].seq == t the slot is free for position t and the
 * producer claims it by CAS tail t → t+1, copies the record in, and publishes with a release
 * store seq = t + 1. If seq < t the slot still holds an unread record from one lap ago: full.
 * The single consumer at head h waits for seq == h + 1 (acquire), copies the record out and
 * frees the slot for the next lap with a release store seq = h + capacity.
 * wl_ring_push is claim + copy + publish; wl_ring_pop is peek + (front, copy, release) per
 * record, so the in-place calls are the only code that touches the sequence numbers.
 * Head, tail and the counters each sit on their own cache line so producers and the consumer
 * do not false-share.
 */
#include "event/ring.h"

#include <assert.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "common/wl_err.h"

#define WL_CACHE_LINE 64

_Static_assert((WL_RING_MAX_CAPACITY & (WL_RING_MAX_CAPACITY - 1)) == 0, "a power of two");

struct wl_ring {
  alignas(WL_CACHE_LINE) _Atomic uint64_t tail; /* next position producers claim */
  alignas(WL_CACHE_LINE) _Atomic uint64_t head; /* next position the consumer reads */
  size_t peeked; /* consumer only: records from head seen published by wl_ring_peek */
  alignas(WL_CACHE_LINE) _Atomic uint64_t dropped;
  _Atomic uint64_t pushed;
  alignas(WL_CACHE_LINE) size_t capacity, mask, record_size, slot_size;
  unsigned char *slots; /* capacity × slot_size, cache-line aligned */
  void *slots_block;    /* what malloc returned for slots */
  void *self_block;     /* what malloc returned for this struct */
};

/* malloc, aligned up to a cache line by hand (C11 aligned_alloc is missing from msvcrt). */
static void *alloc_aligned(size_t size, void **block) {
  *block = malloc(size + WL_CACHE_LINE - 1);
  if (!*block)
    return NULL;
  uintptr_t p = ((uintptr_t)*block + WL_CACHE_LINE - 1) & ~(uintptr_t)(WL_CACHE_LINE - 1);
  return (void *)p;
}

static _Atomic uint64_t *slot_seq(const wl_ring *r, uint64_t pos) {
  return (_Atomic uint64_t *)(void *)(r->slots + (size_t)(pos & r->mask) * r->slot_size);
}

static unsigned char *slot_data(const wl_ring *r, uint64_t pos) {
  return r->slots + (size_t)(pos & r->mask) * r->slot_size + sizeof(uint64_t);
}

int wl_ring_create(size_t capacity, size_t record_size, wl_ring **out) {
  *out = NULL;
  if (capacity < 2 || capacity > WL_RING_MAX_CAPACITY || (capacity & (capacity - 1)) != 0)
    return wl_err(WL_E_INVAL, "ring capacity %zu: must be a power of two in [2, %u]", capacity,
                  WL_RING_MAX_CAPACITY);
  if (record_size == 0 || record_size > WL_RING_MAX_RECORD)
    return wl_err(WL_E_INVAL, "ring record size %zu: must be in [1, %u]", record_size,
                  WL_RING_MAX_RECORD);
  void *self_block;
  wl_ring *r = alloc_aligned(sizeof *r, &self_block);
  if (!r)
    return wl_err(WL_E_NOMEM, "ring: out of memory");
  memset(r, 0, sizeof *r);
  r->self_block = self_block;
  r->capacity = capacity;
  r->mask = capacity - 1;
  r->record_size = record_size;
  r->slot_size = (sizeof(uint64_t) + record_size + 7) / 8 * 8;
  if (capacity > SIZE_MAX / r->slot_size) {
    free(r->self_block);
    return wl_err(WL_E_INVAL, "ring of %zu × %zu bytes does not fit in memory", capacity,
                  r->slot_size);
  }
  size_t bytes = capacity * r->slot_size;
  r->slots = alloc_aligned(bytes, &r->slots_block);
  if (!r->slots) {
    free(r->self_block);
    return wl_err(WL_E_NOMEM, "ring: out of memory for %zu bytes", bytes);
  }
  /* every slot's seq is 8-byte aligned (atomics), and position & mask indexes the ring */
  assert((uintptr_t)r->slots % WL_CACHE_LINE == 0 && r->slot_size % 8 == 0);
  assert(r->slot_size >= sizeof(uint64_t) + record_size && (capacity & r->mask) == 0);
  for (size_t i = 0; i < capacity; i++)
    atomic_init(slot_seq(r, i), (uint64_t)i);
  atomic_init(&r->tail, 0);
  atomic_init(&r->head, 0);
  atomic_init(&r->dropped, 0);
  atomic_init(&r->pushed, 0);
  *out = r;
  return WL_OK;
}

void wl_ring_destroy(wl_ring *r) {
  if (!r)
    return;
  free(r->slots_block);
  free(r->self_block);
}

void *wl_ring_claim(wl_ring *r, uint64_t *ticket) {
  uint64_t pos = atomic_load_explicit(&r->tail, memory_order_relaxed);
  for (;;) {
    uint64_t seq = atomic_load_explicit(slot_seq(r, pos), memory_order_acquire);
    if (seq == pos) {
      if (atomic_compare_exchange_weak_explicit(&r->tail, &pos, pos + 1, memory_order_relaxed,
                                                memory_order_relaxed))
        break; /* slot claimed */
      /* pos was reloaded by the failed CAS: try again */
    } else if (seq < pos) {
      return NULL; /* the slot still holds last lap's record */
    } else {
      pos = atomic_load_explicit(&r->tail, memory_order_relaxed); /* another producer won */
    }
  }
  /* claimed: only this producer writes the slot until it publishes pos + 1 */
  assert(atomic_load_explicit(slot_seq(r, pos), memory_order_relaxed) == pos);
  *ticket = pos;
  return slot_data(r, pos);
}

void wl_ring_publish(wl_ring *r, uint64_t ticket) {
  assert(atomic_load_explicit(slot_seq(r, ticket), memory_order_relaxed) == ticket);
  atomic_store_explicit(slot_seq(r, ticket), ticket + 1, memory_order_release);
  atomic_fetch_add_explicit(&r->pushed, 1, memory_order_relaxed);
}

int wl_ring_push(wl_ring *r, const void *rec) {
  uint64_t ticket;
  void *slot = wl_ring_claim(r, &ticket);
  if (!slot)
    return WL_E_FULL;
  memcpy(slot, rec, r->record_size);
  wl_ring_publish(r, ticket);
  return WL_OK;
}

void wl_ring_count_drop(wl_ring *r) {
  atomic_fetch_add_explicit(&r->dropped, 1, memory_order_relaxed);
}

int wl_ring_push_or_drop(wl_ring *r, const void *rec) {
  int rc = wl_ring_push(r, rec);
  if (rc == WL_E_FULL)
    wl_ring_count_drop(r);
  return rc;
}

size_t wl_ring_peek(wl_ring *r, size_t max) {
  uint64_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
  size_t n = r->peeked;
  for (; n < max && n < r->capacity; n++) {
    uint64_t s = atomic_load_explicit(slot_seq(r, head + n), memory_order_acquire);
    /* free for this lap or published in it: a slot is never ahead of the consumer by a lap */
    assert(s == head + n || s == head + n + 1);
    if (s != head + n + 1)
      break; /* empty, or the producer of this slot has not published yet */
  }
  r->peeked = n > r->peeked ? n : r->peeked;
  return n < max ? n : max;
}

const void *wl_ring_at(const wl_ring *r, size_t i) {
  assert(i < r->peeked);
  return slot_data(r, atomic_load_explicit(&((wl_ring *)r)->head, memory_order_relaxed) + i);
}

const void *wl_ring_front(const wl_ring *r) { return wl_ring_at(r, 0); }

void wl_ring_release(wl_ring *r, size_t n) {
  assert(n <= r->peeked);
  uint64_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
  for (size_t i = 0; i < n; i++, head++) {
    assert(atomic_load_explicit(slot_seq(r, head), memory_order_relaxed) == head + 1);
    atomic_store_explicit(slot_seq(r, head), head + r->capacity, memory_order_release);
  }
  r->peeked -= n;
  atomic_store_explicit(&r->head, head, memory_order_relaxed);
}

size_t wl_ring_pop(wl_ring *r, void *out, size_t max) {
  unsigned char *dst = out;
  size_t n = wl_ring_peek(r, max);
  for (size_t i = 0; i < n; i++) {
    memcpy(dst + i * r->record_size, wl_ring_front(r), r->record_size);
    wl_ring_release(r, 1);
  }
  return n;
}

size_t wl_ring_capacity(const wl_ring *r) { return r->capacity; }
size_t wl_ring_record_size(const wl_ring *r) { return r->record_size; }

size_t wl_ring_size(const wl_ring *r) {
  uint64_t head = atomic_load_explicit(&((wl_ring *)r)->head, memory_order_relaxed);
  uint64_t tail = atomic_load_explicit(&((wl_ring *)r)->tail, memory_order_relaxed);
  return tail > head ? (size_t)(tail - head) : 0;
}

uint64_t wl_ring_dropped(const wl_ring *r) {
  return atomic_load_explicit(&((wl_ring *)r)->dropped, memory_order_relaxed);
}

uint64_t wl_ring_pushed(const wl_ring *r) {
  return atomic_load_explicit(&((wl_ring *)r)->pushed, memory_order_relaxed);
}
