/* held_seed.c — for the browser test (tests/ui/browser.sh): makes the store hold connections
 * seen only in the connection tables (issue 19, item 3), the way a blind learn would. In this
 * process (the sim's connection table is per process), with allow events suppressed (the
 * Windows 11 build that sent only drops), a live capture runs its self-check while
 * C:\Tools\keeper.exe holds an outbound connection and a listener that no event ever names;
 * the table reads note them (capture/held.c). Prints the held counts; exit 0 when the two
 * connections are there as table-only.
 *
 *   wl_held_seed DB SIMSTATE
 */
#include <stdio.h>
#include <string.h>

#include "capture/capture.h"
#include "common/wl_err.h"
#include "common/wl_os.h"
#include "engine/sim/sim.h"
#include "store/held.h"
#include "store/store.h"

#define SETTLE_MS 200u

static void quiet(void *ctx, const char *line) { /* blindness is the point here */
  (void)ctx;
  (void)line;
}

static int attempt(wl_engine *e, const char *json) {
  wl_attempt a;
  wl_decision d;
  int rc = wl_sim_parse_attempt(json, strlen(json), &a);
  return rc ? rc : wl_sim_classify(e, &a, &d);
}

int main(int argc, char **argv) {
  char spec[1100];
  wl_store *s = NULL;
  wl_engine *e = NULL;
  wl_capture *c = NULL;
  wl_held_counts k = {0, 0, 0};
  if (argc != 3) {
    fprintf(stderr, "usage: wl_held_seed DB SIMSTATE\n");
    return 2;
  }
  snprintf(spec, sizeof spec, "sim:%s", argv[2]);
  int rc = wl_store_open(argv[1], NULL, &s);
  if (!rc)
    rc = wl_engine_open(spec, 0, &e);
  if (!rc)
    rc = wl_sim_suppress_allow(e, 1);
  wl_capture_opts o;
  memset(&o, 0, sizeof o);
  o.source = "wfp";
  o.engine_spec = spec;
  o.selfcheck_settle_ms = SETTLE_MS;
  o.no_fallback = 1;
  o.log = quiet;
  if (!rc)
    rc = wl_capture_start(&o, s, &c);
  if (!rc)
    rc = attempt(e, "{\"ts\":\"2026-11-02T10:00:00Z\",\"app\":\"C:\\\\Tools\\\\keeper.exe\","
                    "\"dir\":\"out\",\"proto\":\"tcp\",\"local\":\"10.0.0.5:50123\","
                    "\"remote\":\"203.0.113.7:443\"}");
  if (!rc)
    rc = attempt(e, "{\"ts\":\"2026-11-02T10:00:01Z\",\"app\":\"C:\\\\Tools\\\\keeper.exe\","
                    "\"dir\":\"out\",\"proto\":\"udp\",\"local\":\"10.0.0.5:5353\","
                    "\"remote\":\"203.0.113.8:5353\"}");
  if (!rc)
    rc = wl_sim_drain(e, 10000);
  if (!rc)
    wl_sleep_ms(4 * SETTLE_MS + 200); /* tables read every SETTLE_MS: several reads */
  if (c) {
    int stop = wl_capture_stop(c);
    rc = rc ? rc : stop;
    wl_capture_destroy(c);
  }
  if (!rc)
    rc = wl_store_held_counts(s, &k);
  if (rc)
    fprintf(stderr, "wl_held_seed: %s\n", wl_errmsg());
  else
    printf("held %llu, table-only %llu, programs %llu\n", (unsigned long long)k.held,
           (unsigned long long)k.table_only, (unsigned long long)k.programs);
  wl_engine_close(e);
  wl_store_close(s);
  return rc || k.table_only != 2 ? 1 : 0;
}
