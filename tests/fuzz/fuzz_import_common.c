/* fuzz_import_common.c — the body of the libFuzzer targets fuzz_import_secjson, _evtxml and
 * _pfirewall (each of those files only names its format in wl_fuzz_import_format). Built only
 * with -DWL_FUZZ=ON and clang (tests/CMakeLists.txt); scripts/checks/fuzz-import.sh runs them
 * for a fixed number of iterations.
 *
 * Each input is imported from memory with the default 64 KiB reads and with small reads
 * (16..79 bytes, chosen from the input's size), and with a 512-byte line limit, so chunk
 * boundaries, "line too long" and XML resynchronisation are reached by small inputs. Besides "no crash, no
 * sanitizer report" it checks: every record is well formed (origin, type, direction, bounded
 * strings, addresses only with an IP version), the counters add up (read = delivered +
 * skipped, skipped = malformed + unsupported, problems <= WL_IMPORT_PROBLEMS_MAX), and the
 * runs agree on counts, problems and keys (the read size must not change the outcome).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/wl_err.h"
#include "import/import.h"

#define CHECK(c)                                                                               \
  do {                                                                                         \
    if (!(c))                                                                                  \
      abort();                                                                                 \
  } while (0)

extern const int wl_fuzz_import_format; /* WL_IMPORT_*, from the target's own file */

#define KEEP 4096 /* keys compared between the two runs */

typedef struct seen {
  size_t n;
  uint64_t keys[KEEP];
} seen;

static void check_event(const wl_import_rec *r) {
  const wl_event *ev = &r->ev;
  CHECK(ev->origin == WL_ORIGIN_IMPORT);
  CHECK(ev->type == WL_EVT_ALLOW || ev->type == WL_EVT_DROP);
  CHECK(ev->dir <= WL_DIR_OUT);
  CHECK(!!(ev->has & WL_HAS_DIR) == (ev->dir != WL_DIR_UNKNOWN));
  CHECK(memchr(ev->app, '\0', sizeof ev->app) && memchr(ev->app_dos, '\0', sizeof ev->app_dos));
  if (ev->has & WL_HAS_APP)
    CHECK(ev->app[0] != '\0');
  else
    CHECK(ev->app[0] == '\0' && ev->app_dos[0] == '\0');
  if (ev->has & (WL_HAS_LOCAL_ADDR | WL_HAS_REMOTE_ADDR))
    CHECK((ev->has & WL_HAS_IP_VERSION) && (ev->ip_version == 4 || ev->ip_version == 6));
  CHECK(r->line >= 1 && r->ordinal >= 1);
  CHECK(r->event_id == 0 || wl_import_id_index(r->event_id) >= 0);
}

static int sink(void *ctx, const wl_import_rec *r) {
  seen *s = ctx;
  check_event(r);
  if (s->n < KEEP)
    s->keys[s->n] = r->key;
  s->n++;
  return WL_OK;
}

static void run(const uint8_t *data, size_t size, size_t chunk, size_t line_max, seen *s,
                wl_import_stats *st) {
  static wl_path_map map;
  static int have_map;
  if (!have_map) {
    wl_path_map_init(&map);
    CHECK(wl_path_map_add_spec(&map, "C=\\device\\harddiskvolume2") == WL_OK);
    have_map = 1;
  }
  wl_import_opts o = {.format = wl_fuzz_import_format, .paths = &map, .chunk = chunk, .line_max = line_max};
  memset(st, 0, sizeof *st);
  s->n = 0;
  int rc = wl_import_buffer(&o, "fuzz", data, size, sink, s, st);
  CHECK(rc == WL_OK || rc == WL_E_UNSUPPORTED); /* UTF-16BE is refused */
  if (rc != WL_OK)
    return;
  CHECK(st->read == st->delivered + st->skipped);
  CHECK(st->skipped == st->malformed + st->unsupported);
  CHECK(st->delivered == s->n);
  CHECK(st->nproblems <= WL_IMPORT_PROBLEMS_MAX);
  CHECK(st->nproblems == (st->malformed + st->notes < WL_IMPORT_PROBLEMS_MAX
                              ? st->malformed + st->notes
                              : WL_IMPORT_PROBLEMS_MAX));
}

static void compare(const seen *a, const wl_import_stats *sa, const seen *b,
                    const wl_import_stats *sb) {
  CHECK(sa->read == sb->read && sa->delivered == sb->delivered && sa->malformed == sb->malformed);
  CHECK(sa->unsupported == sb->unsupported && sa->notes == sb->notes);
  CHECK(sa->nproblems == sb->nproblems);
  for (size_t i = 0; i < sa->nproblems; i++)
    CHECK(strcmp(sa->problems[i], sb->problems[i]) == 0);
  for (size_t i = 0; i < a->n && i < KEEP; i++)
    CHECK(a->keys[i] == b->keys[i]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static seen a, b;
  wl_import_stats sa, sb;
  size_t small = 16 + size % 64;
  /* XML's giant-markup guard is checked after each read, so where it fires depends on the read
   * size: compare XML runs with the default line_max (never reached here), and run the small
   * limit for the invariants only. Line formats are exact at any limit. */
  size_t cmp_max = wl_fuzz_import_format == WL_IMPORT_EVTXML ? 0 : 512;
  run(data, size, 0, cmp_max, &a, &sa);
  run(data, size, small, cmp_max, &b, &sb);
  compare(&a, &sa, &b, &sb);
  if (cmp_max == 0)
    run(data, size, small, 512, &b, &sb);
  return 0;
}
