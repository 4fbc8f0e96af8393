/* common_bench.c — throughput of the common/ hot paths: JSON lines (real Security-log records),
 * RFC 3339 parse+format, IPv6 formatting, UTF-16LE -> UTF-8. Run by scripts/bench/common.sh.
 * usage: common_bench JSONL_FILE [ROUNDS]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/wl_json.h"
#include "common/wl_text.h"

#define MAX_FILE (64u * 1024 * 1024) /* bound on the input we load */

static double secs_since(uint64_t t0) { return (double)(wl_time_mono_ns() - t0) / 1e9; }

static char *load(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f)
    return NULL;
  char *buf = malloc(MAX_FILE);
  *len = buf ? fread(buf, 1, MAX_FILE, f) : 0;
  fclose(f);
  return buf;
}

static void bench_json(const char *buf, size_t len, int rounds) {
  wl_json_arena a = {0};
  size_t lines = 0, bad = 0;
  uint64_t t0 = wl_time_mono_ns();
  for (int r = 0; r < rounds; r++) {
    for (const char *p = buf, *end = buf + len; p < end;) {
      const char *nl = memchr(p, '\n', (size_t)(end - p));
      size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
      const wl_json *v;
      wl_json_arena_reset(&a);
      if (n && wl_json_parse(&a, p, n, &v, NULL))
        bad++;
      lines++;
      p += n + 1;
    }
  }
  double s = secs_since(t0);
  printf("json: %zu lines (%zu bad), %.1f MB/s, %.0f lines/s\n", lines, bad,
         (double)len * rounds / s / 1e6, (double)lines / s);
  wl_json_arena_free(&a);
}

static void bench_text(void) {
  enum { N = 1000000 };
  char buf[WL_TIME_STR_MAX], ab[WL_ADDR_STR_MAX], out[128];
  uint64_t sum = 0, t0 = wl_time_mono_ns();
  for (uint64_t i = 0; i < N; i++) {
    uint64_t t;
    size_t n = wl_time_format(133342309383010000ull + i * 7919, buf);
    wl_time_parse(buf, n, &t);
    sum += t;
  }
  printf("time: %.0f format+parse/s\n", N / secs_since(t0));
  uint8_t a[16] = {0x20, 0x01, 0x0d, 0xb8};
  t0 = wl_time_mono_ns();
  for (uint32_t i = 0; i < N; i++) {
    memcpy(a + 12, &i, 4);
    sum += wl_addr_format(6, a, ab);
  }
  printf("ipv6: %.0f formats/s\n", N / secs_since(t0));
  uint8_t u16[96];
  size_t nb = wl_utf8_to_utf16le("\\device\\harddiskvolume3\\windows\\system32\\svchost.exe", 52,
                                 u16, sizeof u16);
  t0 = wl_time_mono_ns();
  for (int i = 0; i < N; i++)
    sum += wl_utf16le_to_utf8(u16, nb, out, sizeof out);
  printf("utf16: %.0f app ids/s (52 chars)\n", N / secs_since(t0));
  if (sum == 42)
    puts("");
}

int main(int argc, char **argv) {
  size_t len = 0;
  char *buf = argc > 1 ? load(argv[1], &len) : NULL;
  if (!buf) {
    fprintf(stderr, "usage: common_bench JSONL_FILE [ROUNDS]\n");
    return 2;
  }
  bench_json(buf, len, argc > 2 ? atoi(argv[2]) : 20);
  bench_text();
  free(buf);
  return 0;
}
