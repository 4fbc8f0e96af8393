/* fuzz_replay.c — libFuzzer target for the JSON-lines event stream parser (capture/replay.c)
 * and the decoder behind it. Built only with -DWL_FUZZ=ON and clang (tests/CMakeLists.txt);
 * scripts/checks/fuzz-replay.sh runs it for a fixed number of iterations.
 *
 * The input is split into lines; each goes through wl_replay_parse_line (the full JSON reader)
 * and wl_replay_parse_line_cached (the reader's fast path: flat objects, remembered SIDs), which
 * must agree exactly: the same result, the same event bytes, the same message. Besides "no
 * crash, no sanitizer report", for every line that parses it checks: the event formats to a line that
 * fits WL_REPLAY_LINE_MAX and parses back to the same event (a fixed point), and the
 * encode → decode round trip of the raw record gives the same fields (those the raw shape of
 * the event's type can carry).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/wl_err.h"
#include "capture/replay.h"
#include "event/decode.h"

#define CHECK(c)                                                                                   \
  do {                                                                                             \
    if (!(c))                                                                                      \
      abort();                                                                                     \
  } while (0)

static wl_json_arena arena, arena2; /* reused across inputs: exercises reset */
static wl_replay_cache sids;         /* kept across inputs, as the reader keeps it */

static int same(const wl_event *a, const wl_event *b) {
  return a->has == b->has && a->ts == b->ts && a->type == b->type && a->dir == b->dir &&
         a->ip_version == b->ip_version && a->proto == b->proto &&
         memcmp(a->local_addr, b->local_addr, 16) == 0 &&
         memcmp(a->remote_addr, b->remote_addr, 16) == 0 && a->local_port == b->local_port &&
         a->remote_port == b->remote_port && strcmp(a->app, b->app) == 0 &&
         strcmp(a->user, b->user) == 0 && strcmp(a->package, b->package) == 0 &&
         a->filter_id == b->filter_id && a->layer_id == b->layer_id && a->reauth == b->reauth &&
         a->is_loopback == b->is_loopback;
}

static void check_line(const char *line, size_t len) {
  static char out[WL_REPLAY_LINE_MAX];
  wl_event a, b;
  static char msg[4096];
  int rc = wl_replay_parse_line(&arena, line, len, &a);
  CHECK(rc == 1 || rc == 0 || rc < 0);
  snprintf(msg, sizeof msg, "%s", wl_errmsg());
  CHECK(wl_replay_parse_line_cached(&arena2, &sids, line, len, &b) == rc);
  if (rc == 1)
    CHECK(memcmp(&a, &b, sizeof a) == 0);
  else if (rc < 0)
    CHECK(strcmp(msg, wl_errmsg()) == 0);
  if (rc != 1)
    return;
  size_t n = wl_replay_format(&a, out, sizeof out);
  CHECK(n < sizeof out && out[n - 1] == '\n');
  CHECK(wl_replay_parse_line(&arena, out, n - 1, &b) == 1);
  CHECK(same(&a, &b) && strcmp(a.app_dos, b.app_dos) == 0);
  wl_raw_event raw;
  wl_encode(&a, &raw);
  if (a.type == WL_EVT_OTHER) {
    CHECK(wl_decode(&raw, &b) == 0);
    return;
  }
  CHECK(wl_decode(&raw, &b) == 1);
  b.origin = a.origin;
  if (a.type == WL_EVT_CAP_DROP || a.type == WL_EVT_CAP_ALLOW) {
    /* capability payloads carry no direction, layer or reauth reason */
    a.has &= ~(WL_HAS_DIR | WL_HAS_LAYER | WL_HAS_REAUTH);
    a.dir = 0;
    a.layer_id = 0;
    a.reauth = 0;
  }
  /* on an ALE auth layer the layer decides a classify event's direction when decoded, whatever
   * the record said (msFwpDirection is not reliable there: issue 12 item 3) */
  int inbound = (a.has & WL_HAS_LAYER) && (a.layer_id == WL_LAYER_ALE_AUTH_RECV_ACCEPT_V4 ||
                                           a.layer_id == WL_LAYER_ALE_AUTH_RECV_ACCEPT_V6);
  int outbound = (a.has & WL_HAS_LAYER) && (a.layer_id == WL_LAYER_ALE_AUTH_CONNECT_V4 ||
                                            a.layer_id == WL_LAYER_ALE_AUTH_CONNECT_V6);
  if (inbound || outbound) {
    CHECK(b.has & WL_HAS_DIR);
    CHECK(b.dir == (inbound ? WL_DIR_IN : WL_DIR_OUT));
    a.has |= WL_HAS_DIR;
    a.dir = b.dir;
  } else if (!(a.has & WL_HAS_DIR)) {
    CHECK(!(b.has & WL_HAS_DIR)); /* no layer to take a direction from */
  }
  /* the raw record keeps WL_RAW_APP_MAX bytes of UTF-16: a longer app comes back cut */
  if (!(b.has & WL_HAS_APP_TRUNC) || (a.has & WL_HAS_APP_TRUNC))
    CHECK(same(&a, &b));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *p = (const char *)data, *end = p + size;
  while (p < end) {
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
    char *line = malloc(len + 1); /* exact size: ASan sees any overread */
    if (!line)
      return 0;
    memcpy(line, p, len);
    line[len] = '\0';
    check_line(line, len);
    free(line);
    p += len + 1;
  }
  wl_err_clear();
  return 0;
}
