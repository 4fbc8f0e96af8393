/* replay.h — the JSON-lines event stream: what `learn --record` writes and `learn --source
 * replay:FILE` reads (docs/formats.md "Event stream"). One wl_event a line, lossless for every
 * field the decoder fills, so a recorded week replays into the same store.
 */
#ifndef WL_REPLAY_H
#define WL_REPLAY_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "common/wl_json.h"
#include "event/event.h"

/* One object a line: "ts" (RFC 3339, 100 ns) and "type" (allow|drop|cap-allow|cap-drop)
 * required; optional "dir" (in|out), "app" (NT or DOS path), "app_dos", "app_truncated"
 * (bool), "proto" (number), "local"/"remote" ("addr:port", "[v6]:port", or a bare address when
 * the port is unknown), "local_port"/"remote_port" (when only the port is known),
 * "ip_version" (4|6, when no address is known), "filter_id", "layer_id", "user", "package"
 * (SIDs), "loopback" (bool), "reauth" (number). A field absent means unknown. Unknown keys are
 * ignored; blank lines and lines starting with '#' are not events. */
#define WL_REPLAY_LINE_MAX    (64u * 1024) /* longer lines are malformed */
#define WL_REPLAY_ERRORS_KEPT 5
#define WL_REPLAY_ERROR_MAX   256

/* Parse one line (no newline needed). Returns 1 with *ev filled, 0 for a blank or comment
 * line, WL_E_PARSE with a message naming the field or column. a is reset and reused. */
int wl_replay_parse_line(wl_json_arena *a, const char *line, size_t len, wl_event *ev);
/* The same, faster, as the reader uses it: a line that is a flat object (scalar values, names
 * without escapes) is read by wl_json_parse_flat, anything else by wl_json_parse as above; the
 * cache c (zero it before the first line; NULL = none) remembers the canonical form of the last
 * WL_REPLAY_SIDS_KEPT SID texts (a stream names the same few users again and again) and the
 * value of the last "YYYY-MM-DDTHH:MM:SS." time prefix, and the clock: the future-ts bound
 * (wl_event_ts_too_new) is read once every WL_REPLAY_CLOCK_LINES lines, and a ts past it is
 * checked against a fresh read before it is refused, so only a wall clock set back within those
 * lines could let through what a fresh read refuses; plain "a.b.c.d[:port]" endpoints are
 * read directly. The result and the message are exactly wl_replay_parse_line's (fuzz_replay and
 * test_replay_fast compare them). */
#define WL_REPLAY_SIDS_KEPT 4
#define WL_REPLAY_CLOCK_LINES 1024
/* It also keeps the app and app_dos texts it unescaped, by their raw text (as the line has it,
 * between the quotes): WL_REPLAY_PATHS slots, direct-mapped by a hash of the raw text, of raw
 * texts up to WL_REPLAY_PATH_RAW bytes. A path seen before is then one memcmp, not an unescape
 * (wl_json_parse_flat_raw). 4,096 slots (1.3 MB, the hot ones a few KB): issue 16's stress
 * stream names 600 paths (300 apps, each with app and app_dos); direct-mapped, 256 slots made
 * 104k unescapes in 200k lines, 1,024 made 48k, 4,096 next to none (-245 instructions a line). */
#define WL_REPLAY_PATHS 4096
#define WL_REPLAY_PATH_RAW 160
typedef struct wl_replay_path {
  uint16_t raw_len, len; /* raw_len 0: empty */
  char raw[WL_REPLAY_PATH_RAW];
  char text[WL_REPLAY_PATH_RAW + 1]; /* never longer than its raw form; NUL-terminated */
} wl_replay_path;
typedef struct wl_replay_cache {
  char in[WL_REPLAY_SIDS_KEPT][WL_SID_STR_MAX], out[WL_REPLAY_SIDS_KEPT][WL_SID_STR_MAX];
  uint8_t in_len[WL_REPLAY_SIDS_KEPT], out_len[WL_REPLAY_SIDS_KEPT];
  unsigned next;
  char ts_prefix[20]; /* "YYYY-MM-DDTHH:MM:SS." of ts_base; ts_known 0 = none yet */
  int ts_known;
  uint64_t ts_base;   /* its time with a fraction of 0 */
  uint64_t ts_bound;  /* wl_time_now() + WL_EVENT_FUTURE_TICKS, read when clock_left was 0 */
  unsigned clock_left;
  wl_json_shapes shapes; /* the layouts of recent lines (wl_json_parse_flat_shaped) */
  wl_replay_path paths[WL_REPLAY_PATHS];
} wl_replay_cache;
int wl_replay_parse_line_cached(wl_json_arena *a, wl_replay_cache *c, const char *line,
                                size_t len, wl_event *ev);
/* Format ev as one line ending in '\n'. Returns the length it needed (like snprintf); a line
 * always fits in WL_REPLAY_LINE_MAX. */
size_t wl_replay_format(const wl_event *ev, char *buf, size_t cap);
int wl_replay_write(FILE *f, const wl_event *ev); /* WL_E_IO */

typedef struct wl_replay_reader wl_replay_reader;
/* path "-" reads stdin. Release with wl_replay_close. */
int wl_replay_open(const char *path, wl_replay_reader **out);
void wl_replay_close(wl_replay_reader *r); /* NULL-safe */
/* Next event: 1 with *ev, 0 at the end, WL_E_IO. Malformed lines are skipped and counted; the
 * first WL_REPLAY_ERRORS_KEPT are kept as "FILE:LINE: reason". *ev is read as
 * wl_replay_parse_line_cached reads it, but reset (wl_event_reset), not cleared: every field and
 * string is the same, the bytes after a string's terminator are what *ev held before. */
int wl_replay_next(wl_replay_reader *r, wl_event *ev);
uint64_t wl_replay_lines(const wl_replay_reader *r);
uint64_t wl_replay_malformed(const wl_replay_reader *r);
size_t wl_replay_errors(const wl_replay_reader *r, const char **msgs, size_t max);

#endif
