/* gen_traffic.c — a plain, deterministic traffic file for the sim engine (JSON lines: ts, app,
 * dir, proto, local, remote[, user]) used by the capture's end-to-end test and benchmark: N
 * attempts spread over A apps, 1 ms apart, mostly outbound TCP/UDP to a few hundred remotes
 * (a quarter IPv6), a tenth inbound, a few without an app. Not realistic (scripts/gen-traffic
 * is): only big, varied and reproducible.
 *
 *   gen_traffic OUT.jsonl N APPS [SEED]
 *
 * Tests compile this file too and call wl_gen_traffic(); the program's main() is built only
 * with WL_GEN_TRAFFIC_MAIN.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/wl_text.h"
#include "tests/support/gen_traffic.h"

static uint64_t rng_state;
static uint32_t rnd(void) { /* xorshift64* */
  rng_state ^= rng_state >> 12;
  rng_state ^= rng_state << 25;
  rng_state ^= rng_state >> 27;
  return (uint32_t)((rng_state * 0x2545F4914F6CDD1DULL) >> 32);
}

static void endpoint(char *buf, size_t cap, int v6, uint32_t host, unsigned port) {
  if (v6)
    snprintf(buf, cap, "[2001:db8:%x::%x]:%u", host >> 8 & 0xff, host & 0xff, port);
  else
    snprintf(buf, cap, "%u.%u.%u.%u:%u", 10u + (host >> 16 & 0x3f), host >> 8 & 0xff, host & 0xff,
             1u + (host >> 3 & 0x7f), port);
}

static void attempt(FILE *f, uint64_t ts, unsigned apps) {
  char t[WL_TIME_STR_MAX], local[64], remote[64], app[128] = "";
  unsigned a = rnd() % apps, r = rnd() % 100, host = rnd() % 400;
  int v6 = r % 4 == 0, in = r >= 90, udp = r % 3 == 0;
  wl_time_format(ts, t);
  if (a != 0) /* app 0 stands for System: no app id */
    snprintf(app, sizeof app, "%c:\\\\Apps\\\\v%02u\\\\app%03u.exe", a % 7 ? 'C' : 'D', a % 50, a);
  unsigned lport = in ? 3000u + a % 20 : 49152u + rnd() % 16000;
  if (v6)
    snprintf(local, sizeof local, "[2001:db8:1::23]:%u", lport);
  else
    snprintf(local, sizeof local, "192.168.1.23:%u", lport);
  endpoint(remote, sizeof remote, v6, host, in ? 40000u + rnd() % 20000 : udp ? 53u : 443u);
  fprintf(f,
          "{\"ts\":\"%s\",\"app\":\"%s\",\"dir\":\"%s\",\"proto\":%d,\"local\":\"%s\","
          "\"remote\":\"%s\"%s}\n",
          t, app, in ? "in" : "out", udp ? 17 : 6, local, remote,
          a % 5 == 1 ? ",\"user\":\"S-1-5-21-1-2-3-1001\"" : "");
}

int wl_gen_traffic(const char *path, uint64_t n, unsigned apps, uint64_t seed) {
  FILE *f = fopen(path, "wb");
  if (!f || apps == 0) {
    if (f)
      fclose(f);
    return -1;
  }
  uint64_t ts;
  rng_state = seed * 2654435761u + 88172645463325252ULL;
  wl_time_parse("2026-11-02T08:00:00Z", 20, &ts);
  for (uint64_t i = 0; i < n; i++)
    attempt(f, ts + i * 10000ULL, apps);
  return fclose(f) == 0 ? 0 : -1;
}

#ifdef WL_GEN_TRAFFIC_MAIN
int main(int argc, char **argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: gen_traffic OUT.jsonl N APPS [SEED]\n");
    return 2;
  }
  uint64_t n = strtoull(argv[2], NULL, 10), seed = argc > 4 ? strtoull(argv[4], NULL, 10) : 1;
  if (wl_gen_traffic(argv[1], n, (unsigned)strtoul(argv[3], NULL, 10), seed) != 0) {
    fprintf(stderr, "gen_traffic: cannot write %s (or APPS is 0)\n", argv[1]);
    return 2;
  }
  return 0;
}
#endif
