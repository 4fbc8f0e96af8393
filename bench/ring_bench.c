/* ring_bench.c — throughput of the MPSC ring with 1..N producers and one consumer, using the
 * real record type (wl_raw_event, ~1.3 KB) and a small one (64 B). Prints records/s.
 * usage: ring_bench [PRODUCERS] [RECORDS_PER_PRODUCER] */
#include "common/wl_thread.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/wl_text.h"
#include "event/event.h"
#include "event/ring.h"

typedef struct arg {
  wl_ring *r;
  size_t size;
  unsigned long long n;
} arg;

static void *produce(void *p) {
  arg *a = p;
  unsigned char buf[sizeof(wl_raw_event)];
  memset(buf, 0xab, sizeof buf);
  for (unsigned long long i = 0; i < a->n; i++) {
    memcpy(buf, &i, sizeof i);
    while (wl_ring_push(a->r, buf) != 0)
      ; /* spin: measure capacity, not drops */
  }
  return NULL;
}

static double run(int producers, size_t size, unsigned long long per) {
  wl_ring *r;
  if (wl_ring_create(4096, size, &r) != 0)
    exit(2);
  wl_thread t[16];
  arg a = {r, size, per};
  uint64_t t0 = wl_time_mono_ns();
  for (int i = 0; i < producers; i++)
    wl_thread_start(&t[i], produce, &a);
  unsigned long long want = per * (unsigned long long)producers, got = 0;
  unsigned char *batch = malloc(256 * size);
  while (got < want)
    got += wl_ring_pop(r, batch, 256);
  for (int i = 0; i < producers; i++)
    wl_thread_join(&t[i]);
  double secs = (double)(wl_time_mono_ns() - t0) / 1e9;
  free(batch);
  wl_ring_destroy(r);
  return (double)want / secs;
}

int main(int argc, char **argv) {
  int maxp = argc > 1 ? atoi(argv[1]) : 2;
  unsigned long long per = argc > 2 ? strtoull(argv[2], NULL, 10) : 2000000ULL;
  if (maxp < 1 || maxp > 16)
    maxp = 2;
  for (int p = 1; p <= maxp; p++) {
    printf("ring: %d producer(s), 64 B records: %.2f M records/s\n", p, run(p, 64, per) / 1e6);
    printf("ring: %d producer(s), wl_raw_event (%zu B): %.2f M records/s\n", p,
           sizeof(wl_raw_event), run(p, sizeof(wl_raw_event), per / 4) / 1e6);
  }
  return 0;
}
