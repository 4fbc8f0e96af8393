/* test_store_gen.h — seeded event streams for the store's tests and benchmark, and the
 * brute-force model of the flow rollup the tests compare the store against.
 *
 * Flows are numbered: flow f has a fixed app, direction, protocol, remote endpoint and action,
 * so a stream is a sequence of flow numbers (uniform or Zipf-skewed) turned into events with
 * random ephemeral ports. tsg_random_event also leaves fields unset and uses every event type,
 * for the correctness tests.
 */
#ifndef TEST_STORE_GEN_H
#define TEST_STORE_GEN_H

#include <stddef.h>
#include <stdint.h>

#include "store/store.h"
#include "event/event.h"

#define TSG_T0 133000000000000000ull /* 2022-06-13, ticks */

uint64_t tsg_next(uint64_t *rng); /* splitmix64 */

/* Event of numbered flow f among napps apps at time ts; rng gives the ephemeral port. */
void tsg_flow_event(uint32_t f, uint32_t napps, uint64_t ts, uint64_t *rng, wl_event *ev);
/* Like tsg_flow_event over nflows flows, with random omissions of fields, all event types
 * (including WL_EVT_OTHER now and then), inbound/outbound/unknown direction, v4/v6. */
void tsg_random_event(uint32_t nflows, uint32_t napps, uint64_t ts, uint64_t *rng,
                      wl_event *ev);

/* Zipf(s) over n items: a cumulative table (n doubles). */
typedef struct tsg_zipf {
  double *cdf;
  uint32_t n;
} tsg_zipf;
int tsg_zipf_init(tsg_zipf *z, uint32_t n, double s);
uint32_t tsg_zipf_draw(const tsg_zipf *z, uint64_t *rng);
void tsg_zipf_free(tsg_zipf *z);

/* ---- the brute-force model ---- */
typedef struct tsg_model_flow {
  char app[WL_PATH_MAX];
  wl_flow f; /* app_id unused */
} tsg_model_flow;
typedef struct tsg_model {
  tsg_model_flow *flows;
  size_t n, cap;
  uint64_t stored, skipped;
} tsg_model;
/* Adds one event by linear search over the known flows (slow on purpose: independent of the
 * store's hashing). Returns 1 when the event is stored, 0 when skipped. */
int tsg_model_add(tsg_model *m, const wl_event *ev);
void tsg_model_free(tsg_model *m);
/* The flow key rules, written again from store.h for the model. */
void tsg_flow_of(const wl_event *ev, wl_flow *f);

#endif
