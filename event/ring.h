/* ring.h — bounded, lock-free, multi-producer single-consumer ring of fixed-size records.
 *
 * Producers are WFP callbacks on BFE worker threads (possibly several at once) and file readers;
 * the consumer is one thread that pops in batches. Capacity is a power of two (index & mask);
 * each slot carries a sequence number (Vyukov's bounded MPMC scheme, used here with one
 * consumer): a producer claims a slot with one CAS on the tail, copies the record, then
 * publishes it with a release store of the slot's sequence; the consumer reads with acquire.
 * Head and tail live on separate cache lines. wl_ring_push never blocks and never allocates:
 * when the ring is full it returns WL_E_FULL and the caller counts a drop (wl_ring_dropped
 * keeps a counter callers may bump with wl_ring_count_drop). Both ends can also work in place
 * (claim/publish, peek/front/release), so a record is built and read in its slot, not copied
 * through a buffer on each side. Memory: capacity × (record size
 * rounded up to 8 + 8) bytes, allocated once by wl_ring_create.
 */
#ifndef WL_RING_H
#define WL_RING_H

#include <stddef.h>
#include <stdint.h>

#define WL_RING_MAX_CAPACITY (1u << 24)
#define WL_RING_MAX_RECORD (64u * 1024)

typedef struct wl_ring wl_ring;

/* capacity: a power of two in [2, WL_RING_MAX_CAPACITY]; record_size in [1, WL_RING_MAX_RECORD].
 * Release with wl_ring_destroy. WL_E_INVAL on bad sizes, WL_E_NOMEM. */
int wl_ring_create(size_t capacity, size_t record_size, wl_ring **out);
void wl_ring_destroy(wl_ring *r); /* NULL is fine */

/* Any thread. Copies record_size bytes from rec. WL_OK, or WL_E_FULL (nothing written). */
int wl_ring_push(wl_ring *r, const void *rec);
/* Any thread: push in place. wl_ring_claim takes the next slot and returns its record (8-byte
 * aligned, record_size bytes holding whatever an earlier lap left) for the caller to fill, with
 * *ticket set; NULL when the ring is full (nothing claimed: the caller waits or counts a drop
 * exactly as after WL_E_FULL). wl_ring_publish(ticket) then hands it to the consumer. Every
 * claim must be published, soon: the consumer reads in order and waits at a claimed slot. */
void *wl_ring_claim(wl_ring *r, uint64_t *ticket);
void wl_ring_publish(wl_ring *r, uint64_t ticket);
/* Any thread: push, and on WL_E_FULL add one to the drop counter. */
int wl_ring_push_or_drop(wl_ring *r, const void *rec);
void wl_ring_count_drop(wl_ring *r);

/* Consumer thread only. Copies up to max records into out (max × record_size bytes) in FIFO
 * order of publication; returns how many (0 when empty). */
size_t wl_ring_pop(wl_ring *r, void *out, size_t max);
/* Consumer thread only: pop in place, without the copy. wl_ring_peek returns how many records
 * (up to max) are published in a row from the oldest; that many may then be read in FIFO order,
 * each at wl_ring_front (the oldest not yet released, valid until released) and freed for the
 * producers with wl_ring_release(r, n) once read (n at most what is peeked and unreleased). A
 * slot is free again only when released, so release each record as soon as it is read. */
size_t wl_ring_peek(wl_ring *r, size_t max);
const void *wl_ring_front(const wl_ring *r);
/* The i-th peeked record after the front (i = 0 is the front; i < peeked and unreleased), e.g.
 * to prefetch the next record while decoding this one. */
const void *wl_ring_at(const wl_ring *r, size_t i);
void wl_ring_release(wl_ring *r, size_t n);

size_t wl_ring_capacity(const wl_ring *r);
size_t wl_ring_record_size(const wl_ring *r);
/* Approximate count of published-but-not-popped records (exact when quiescent). */
size_t wl_ring_size(const wl_ring *r);
uint64_t wl_ring_dropped(const wl_ring *r);
uint64_t wl_ring_pushed(const wl_ring *r); /* successful pushes, for rates */

#endif
