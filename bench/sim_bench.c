/* sim_bench.c — throughput of the simulated engine: classify a traffic file as fast as
 * possible (speed 0) with N extra app filters in a sublayer, a subscriber counting events,
 * and report attempts/s and events/s. Used by scripts/bench/sim.sh; not part of wl_sim.
 *
 *   sim_bench TRAFFIC STATE NFILTERS
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/wl_err.h"
#include "common/wl_text.h"
#include "engine/engine.h"
#include "engine/sim/sim.h"

static atomic_ulong g_events;

static int count_cb(void *ctx, const wl_raw_event *ev) {
  (void)ctx;
  (void)ev;
  atomic_fetch_add(&g_events, 1);
  return WL_OK;
}

/* N permit filters on made-up apps, so arbitration has a realistic table to walk. */
static int add_filters(wl_engine *e, unsigned n) {
  wl_sublayer s = {.key = {0xBE7C, 1, 1, {1}}, .name = "bench", .weight = 0x9000};
  wl_filter *f = calloc(1, sizeof *f);
  int rc = f ? wl_engine_sublayer_add(e, &s) : WL_E_NOMEM;
  if (rc == WL_OK)
    rc = wl_engine_begin(e);
  for (unsigned i = 0; rc == WL_OK && i < n; i++) {
    char path[128];
    size_t len = 0;
    memset(f, 0, sizeof *f);
    snprintf(path, sizeof path, "C:\\Program Files\\Bench\\app%u.exe", i);
    f->sublayer = s.key;
    f->layer_id = i % 2 ? WL_LAYER_ALE_AUTH_CONNECT_V4 : WL_LAYER_ALE_AUTH_RECV_ACCEPT_V4;
    f->action = WL_ACTION_PERMIT;
    rc = wl_engine_app_id(e, path, f->app_id, sizeof f->app_id, &len);
    f->app_id_len = (uint32_t)len;
    f->num_conds = 2;
    f->conds[0].field = WL_FIELD_APP_ID;
    f->conds[1].field = WL_FIELD_REMOTE_PORT;
    f->conds[1].port_lo = (uint16_t)(1 + i % 1000);
    if (rc == WL_OK)
      rc = wl_engine_filter_add(e, f);
  }
  rc = rc == WL_OK ? wl_engine_commit(e) : rc;
  free(f);
  return rc;
}

int main(int argc, char **argv) {
  wl_engine *e = NULL;
  wl_subscription *sub = NULL;
  wl_sim_stats st;
  char spec[1100];
  if (argc != 4) {
    fprintf(stderr, "usage: sim_bench TRAFFIC STATE NFILTERS\n");
    return 2;
  }
  unsigned n = (unsigned)strtoul(argv[3], NULL, 10);
  snprintf(spec, sizeof spec, "sim:%s", argv[2]);
  int rc = wl_engine_open(spec, 0, &e);
  if (rc == WL_OK)
    rc = add_filters(e, n);
  if (rc == WL_OK)
    rc = wl_engine_set_option(e, WL_OPT_NET_EVENT_MATCH_ANY_KEYWORDS, WL_KW_CLASSIFY_ALLOW);
  if (rc == WL_OK)
    rc = wl_engine_subscribe(e, count_cb, NULL, &sub);
  uint64_t t0 = wl_time_mono_ns();
  if (rc == WL_OK)
    rc = wl_sim_run_traffic(e, argv[1], 0, &st);
  double s = (double)(wl_time_mono_ns() - t0) / 1e9;
  if (rc != WL_OK) {
    fprintf(stderr, "sim_bench: %s\n", wl_errmsg());
    wl_engine_close(e);
    return 1;
  }
  printf("sim: %u extra filters: %llu attempts in %.2f s = %.0f attempts/s; %lu events "
         "delivered (%.0f/s), %llu allowed, %llu blocked\n", n,
         (unsigned long long)st.attempts, s, (double)st.attempts / s,
         (unsigned long)atomic_load(&g_events), (double)atomic_load(&g_events) / s,
         (unsigned long long)st.allowed, (unsigned long long)st.blocked);
  wl_engine_unsubscribe(e, sub);
  wl_engine_close(e);
  return 0;
}
