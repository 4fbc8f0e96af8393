/* test_capture_callback.c — the subscriber callback against a stalled consumer: two producer
 * threads call wl_capture_callback into a small ring nobody empties; in lossy mode (live WFP)
 * every call returns WL_OK and exactly capacity events are kept and the rest counted as drops;
 * in waiting mode (sim, files) the callback says WL_E_FULL and counts nothing. Then the same
 * through the sim engine's own delivery thread: N classified attempts, a ring of C, no
 * consumer → exactly C kept (the first C, in order) and N - C dropped. Also run under TSan. */
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
#include "capture/capture.h"
#include "event/decode.h"
#include "engine/sim/sim.h"
#include "tests/support/test_files.h"

#define CAP          64
#define PER_PRODUCER 1000

typedef struct producer {
  wl_capture_sink *sink;
  uint32_t id;
  int not_ok; /* calls that did not return WL_OK */
} producer;

static void *produce(void *arg) {
  producer *p = arg;
  wl_raw_event ev;
  memset(&ev, 0, sizeof ev);
  ev.type = WL_RAW_TYPE_CLASSIFY_DROP;
  ev.filter_id = p->id;
  for (uint64_t i = 0; i < PER_PRODUCER; i++) {
    ev.timestamp = i + 1;
    if (wl_capture_callback(p->sink, &ev) != WL_OK)
      p->not_ok++;
  }
  return NULL;
}

static void test_stalled_lossy(void **state) {
  (void)state;
  wl_ring *r;
  assert_int_equal(wl_ring_create(CAP, sizeof(wl_raw_event), &r), WL_OK);
  wl_capture_sink sink = {r, 1};
  producer p[2] = {{&sink, 1, 0}, {&sink, 2, 0}};
  wl_thread t[2];
  for (int i = 0; i < 2; i++)
    assert_int_equal(wl_thread_start(&t[i], produce, &p[i]), 0);
  for (int i = 0; i < 2; i++)
    wl_thread_join(&t[i]);
  assert_int_equal(p[0].not_ok + p[1].not_ok, 0); /* BFE ignores the answer: always OK */
  assert_int_equal(wl_ring_pushed(r), CAP);
  assert_int_equal(wl_ring_dropped(r), 2 * PER_PRODUCER - CAP);

  wl_raw_event *out = malloc(2 * CAP * sizeof *out);
  assert_non_null(out);
  assert_int_equal(wl_ring_pop(r, out, 2 * CAP), CAP);
  uint64_t last[3] = {0, 0, 0};
  for (size_t i = 0; i < CAP; i++) { /* intact, and in order per producer */
    uint64_t id = out[i].filter_id;
    assert_true(id == 1 || id == 2);
    assert_true(out[i].timestamp > last[id]);
    last[id] = out[i].timestamp;
  }
  free(out);
  wl_ring_destroy(r);
}

static void test_stalled_waiting(void **state) {
  (void)state;
  wl_ring *r;
  assert_int_equal(wl_ring_create(CAP, sizeof(wl_raw_event), &r), WL_OK);
  wl_capture_sink sink = {r, 0};
  producer p[2] = {{&sink, 1, 0}, {&sink, 2, 0}};
  wl_thread t[2];
  for (int i = 0; i < 2; i++)
    assert_int_equal(wl_thread_start(&t[i], produce, &p[i]), 0);
  for (int i = 0; i < 2; i++)
    wl_thread_join(&t[i]);
  assert_int_equal(p[0].not_ok + p[1].not_ok, 2 * PER_PRODUCER - CAP); /* said WL_E_FULL */
  assert_int_equal(wl_ring_pushed(r), CAP);
  assert_int_equal(wl_ring_dropped(r), 0);
  wl_ring_destroy(r);
}

static void state_path(char *buf, size_t cap, const char *name) {
  wl_test_remove_state(wl_test_path(buf, cap, name));
}

/* The sim's delivery thread calls our callback; nobody pops. */
static void test_stalled_through_sim(void **state) {
  (void)state;
  enum { N = 500, C = 32 };
  char st[1024], spec[1100];
  state_path(st, sizeof st, "test_capture_callback.state");
  snprintf(spec, sizeof spec, "sim:%s", st);
  wl_engine *e;
  wl_ring *r;
  wl_subscription *sub;
  assert_int_equal(wl_engine_open(spec, WL_SESSION_DYNAMIC, &e), WL_OK);
  assert_int_equal(wl_engine_set_option(e, WL_OPT_COLLECT_NET_EVENTS, 1), WL_OK);
  assert_int_equal(
      wl_engine_set_option(e, WL_OPT_NET_EVENT_MATCH_ANY_KEYWORDS, WL_KW_CLASSIFY_ALLOW), WL_OK);
  assert_int_equal(wl_ring_create(C, sizeof(wl_raw_event), &r), WL_OK);
  wl_capture_sink sink = {r, 1};
  assert_int_equal(wl_engine_subscribe(e, wl_capture_callback, &sink, &sub), WL_OK);
  for (int i = 0; i < N; i++) {
    char line[256];
    wl_attempt a;
    wl_decision d;
    snprintf(line, sizeof line,
             "{\"ts\":\"2026-11-02T08:00:%02d.%07dZ\",\"app\":\"C:\\\\x\\\\a.exe\",\"dir\":\"out\","
             "\"proto\":6,\"local\":\"10.0.0.5:50000\",\"remote\":\"1.2.3.4:443\"}",
             i / 100, i % 100);
    assert_int_equal(wl_sim_parse_attempt(line, strlen(line), &a), WL_OK);
    assert_int_equal(wl_sim_classify(e, &a, &d), WL_OK);
    assert_int_equal(d.event_type, WL_RAW_TYPE_CLASSIFY_ALLOW);
  }
  assert_int_equal(wl_sim_drain(e, 10000), WL_OK);
  assert_int_equal(wl_engine_unsubscribe(e, sub), WL_OK);
  assert_int_equal(wl_ring_pushed(r), C);
  assert_int_equal(wl_ring_dropped(r), 2 * N - C); /* each allow and its FLOW_ESTABLISHED twin */
  wl_raw_event *out = malloc(C * sizeof *out);
  assert_non_null(out);
  assert_int_equal(wl_ring_pop(r, out, C), C);
  for (int i = 0; i < C; i++) { /* the first C, in order, decodable */
    wl_event ev;
    assert_int_equal(wl_decode(&out[i], &ev), 1);
    assert_int_equal(ev.type, WL_EVT_ALLOW);
    assert_true(i == 0 || out[i].timestamp > out[i - 1].timestamp ||
                (out[i].timestamp == out[i - 1].timestamp && (i & 1))); /* the twin */
    assert_int_equal(wl_event_is_connection(&ev), !(i & 1));
    assert_int_equal(ev.remote_port, 443);
  }
  free(out);
  wl_ring_destroy(r);
  wl_engine_close(e);
  remove(st);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_stalled_lossy),
      cmocka_unit_test(test_stalled_waiting),
      cmocka_unit_test(test_stalled_through_sim),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
