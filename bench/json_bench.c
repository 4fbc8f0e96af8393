/* json_bench.c — the replay reader's JSON cost on real lines of a replay file, for callgrind
 * (issue 16: "if a well-kept JSON library beats the hand-written reader, use it"):
 *   json_bench wl FILE N       wl_json_parse of each line (the tree only)
 *   json_bench replay FILE N   wl_replay_parse_line_cached (tree + fields into a wl_event)
 *   json_bench cjson FILE N    cJSON_ParseWithLength + the replay fields looked up by name,
 *                              strings copied out (only when built with Debian's libcjson-dev)
 *   json_bench cjson-parse FILE N   cJSON_ParseWithLength + cJSON_Delete only
 * The first N lines are read into memory first; only parse_all() does the measured work, so
 *   valgrind --tool=callgrind --toggle-collect=parse_all json_bench MODE FILE N
 * gives its instructions; divide by N for a line.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture/replay.h"
#include "common/wl_json.h"
#ifdef WL_HAVE_CJSON
#include <cjson/cJSON.h>
#endif

#ifdef WL_HAVE_CJSON
static const char *const names[] = {
    "ts", "type", "dir", "app", "app_dos", "app_truncated", "local", "remote", "local_port",
    "remote_port", "ip_version", "proto", "filter_id", "layer_id", "reauth", "loopback", "user",
    "package"};

/* What the replay reader needs from a line: every field's value (strings copied out, as the
 * event keeps them, numbers read). */
static int cjson_line(const char *l, size_t n, char *sink, size_t cap, int fields) {
  cJSON *o = cJSON_ParseWithLength(l, n);
  if (!o)
    return 0;
  int ok = cJSON_IsObject(o);
  for (size_t i = 0; ok && fields && i < sizeof names / sizeof names[0]; i++) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, names[i]);
    if (cJSON_IsString(v)) {
      size_t m = strlen(v->valuestring);
      memcpy(sink, v->valuestring, m < cap ? m + 1 : cap);
    } else if (cJSON_IsNumber(v)) {
      sink[0] = (char)v->valueint;
    }
  }
  cJSON_Delete(o);
  return ok;
}
#endif

__attribute__((noinline)) static size_t parse_all(int mode, char **lines, size_t *lens,
                                                  size_t n) {
  wl_json_arena a = {0};
  wl_replay_cache *sids = calloc(1, sizeof *sids);
  wl_event *ev = malloc(sizeof *ev);
  char sink[1024];
  size_t ok = 0;
  for (size_t i = 0; sids && ev && i < n; i++) {
    const wl_json *v;
    wl_json_error je;
    if (mode == 0) {
      wl_json_arena_reset(&a);
      ok += wl_json_parse(&a, lines[i], lens[i], &v, &je) == 0;
    } else if (mode == 1) {
      ok += wl_replay_parse_line_cached(&a, sids, lines[i], lens[i], ev) == 1;
    } else {
#ifdef WL_HAVE_CJSON
      ok += (size_t)cjson_line(lines[i], lens[i], sink, sizeof sink, mode == 2);
#endif
    }
  }
  (void)sink;
  free(ev);
  free(sids);
  wl_json_arena_free(&a);
  return ok;
}

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: json_bench wl|replay|cjson|cjson-parse FILE N\n");
    return 2;
  }
  int mode = !strcmp(argv[1], "wl")       ? 0
             : !strcmp(argv[1], "replay") ? 1
             : !strcmp(argv[1], "cjson")  ? 2
                                          : 3;
#ifndef WL_HAVE_CJSON
  if (mode >= 2) {
    fprintf(stderr, "json_bench: built without libcjson-dev\n");
    return 77;
  }
#endif
  size_t n = strtoull(argv[3], NULL, 10), got = 0;
  FILE *f = fopen(argv[2], "rb");
  char **lines = calloc(n ? n : 1, sizeof *lines);
  size_t *lens = calloc(n ? n : 1, sizeof *lens);
  if (!f || !lines || !lens)
    return 1;
  char buf[70000];
  while (got < n && fgets(buf, sizeof buf, f)) {
    size_t len = strcspn(buf, "\r\n");
    lines[got] = malloc(len + 1);
    if (!lines[got])
      return 1;
    memcpy(lines[got], buf, len + 1);
    lens[got++] = len;
  }
  fclose(f);
  size_t ok = parse_all(mode, lines, lens, got);
  printf("%s: %zu of %zu lines parsed\n", argv[1], ok, got);
  for (size_t i = 0; i < got; i++)
    free(lines[i]);
  free(lines);
  free(lens);
  return ok == got ? 0 : 1;
}
