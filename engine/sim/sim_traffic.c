/* sim_traffic.c — traffic files for the sim: one JSON object per line, a connection attempt
 * each (docs/formats.md "Traffic file (the sim)"), classified one by one at a chosen speed.
 *
 *   {"ts":"2026-11-16T08:00:01.1234567Z","app":"C:\\Program Files\\x.exe","dir":"out",
 *    "proto":6,"local":"192.168.1.23:50000","remote":"142.250.74.46:443","user":"S-1-5-18"}
 *
 * "app" may be missing or "" (no app, e.g. kernel broadcast traffic); "user", "package" and
 * "signer" (the binary's Authenticode signer's name, issue 15) are optional; unknown members
 * are ignored so files can carry notes. Blank lines and lines that
 * start with '#' are skipped. A malformed line is counted and skipped, and the first
 * WL_SIM_ERRORS_KEPT are kept as "FILE:LINE: what" (the column for JSON syntax, else the field).
 * Lines are bounded (TRAFFIC_LINE_MAX); pacing sleeps in slices so wl_sim_stop is prompt.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/wl_err.h"
#include "common/wl_json.h"
#include "common/wl_os.h"
#include "engine/sim/sim_internal.h"

#define TRAFFIC_LINE_MAX (64u * 1024)
#define PACE_SLICE_MS 50u

static int field_err(const char *field, const char *what, const char *value) {
  return wl_err(WL_E_PARSE, "field '%s': %s%s%.80s%s", field, what, value ? " '" : "",
                value ? value : "", value ? "'" : "");
}

/* A string member: required → missing is an error; optional → *out = "" */
static int get_str(const wl_json *o, const char *key, int required, const char **out) {
  const wl_json *v = wl_json_get(o, key);
  *out = "";
  if (!v)
    return required ? field_err(key, "missing", NULL) : WL_OK;
  if (v->type == WL_JSON_NULL && !required)
    return WL_OK;
  if (v->type != WL_JSON_STRING)
    return field_err(key, "not a string", NULL);
  *out = v->str;
  return WL_OK;
}

static int parse_proto(const wl_json *o, uint8_t *proto) {
  static const struct { const char *name; uint8_t num; } names[] = {
      {"tcp", 6}, {"udp", 17}, {"icmp", 1}, {"icmpv6", 58}};
  const wl_json *v = wl_json_get(o, "proto");
  int64_t n;
  if (!v)
    return field_err("proto", "missing", NULL);
  if (v->type == WL_JSON_STRING)
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
      if (!wl_strncasecmp(v->str, names[i].name, 8)) {
        *proto = names[i].num;
        return WL_OK;
      }
  if ((v->type != WL_JSON_NUMBER && v->type != WL_JSON_STRING) || wl_json_int64(v, &n) ||
      n < 0 || n > 255)
    return field_err("proto", "not a protocol number 0..255 or tcp|udp|icmp|icmpv6",
                     v->type == WL_JSON_STRING || v->type == WL_JSON_NUMBER ? v->str : NULL);
  *proto = (uint8_t)n;
  return WL_OK;
}

static int parse_endpoints(const wl_json *o, wl_attempt *a) {
  const char *l, *r;
  uint8_t lv = 0, rv = 0;
  int rc = get_str(o, "local", 1, &l);
  if (rc == WL_OK)
    rc = get_str(o, "remote", 1, &r);
  if (rc != WL_OK)
    return rc;
  if (wl_endpoint_parse(l, strlen(l), &lv, a->local_addr, &a->local_port))
    return field_err("local", "not an address[:port]", l);
  if (wl_endpoint_parse(r, strlen(r), &rv, a->remote_addr, &a->remote_port))
    return field_err("remote", "not an address[:port]", r);
  if (lv != rv)
    return field_err("remote", "IP version differs from 'local'", r);
  a->ip_version = lv;
  return WL_OK;
}

static int parse_sid(const wl_json *o, const char *key, char *out, size_t cap) {
  const char *s;
  uint8_t bin[WL_SID_MAX];
  int rc = get_str(o, key, 0, &s);
  if (rc != WL_OK || !*s)
    return rc;
  if (strlen(s) >= cap || wl_sid_from_string(s, bin) <= 0)
    return field_err(key, "not a SID", s);
  wl_strlcpy(out, s, cap);
  return WL_OK;
}

static int parse_fields(const wl_json *o, wl_attempt *a) {
  const char *ts, *app, *dir;
  int rc = get_str(o, "ts", 1, &ts);
  if (rc == WL_OK && wl_time_parse(ts, strlen(ts), &a->ts))
    rc = field_err("ts", "not an RFC 3339 time", ts);
  if (rc == WL_OK && wl_event_ts_too_new(a->ts)) /* event.h: WL_EVENT_FUTURE_TICKS */
    rc = field_err("ts", "more than a day past this machine's clock", ts);
  if (rc == WL_OK && (rc = get_str(o, "app", 0, &app)) == WL_OK &&
      wl_strlcpy(a->app, app, sizeof a->app) >= sizeof a->app)
    rc = field_err("app", "longer than the path limit", NULL);
  if (rc == WL_OK && (rc = get_str(o, "dir", 1, &dir)) == WL_OK) {
    if (!strcmp(dir, "in") || !strcmp(dir, "out"))
      a->dir = dir[0] == 'i' ? WL_DIR_IN : WL_DIR_OUT;
    else
      rc = field_err("dir", "expected \"in\" or \"out\", got", dir);
  }
  if (rc == WL_OK)
    rc = parse_proto(o, &a->proto);
  if (rc == WL_OK)
    rc = parse_endpoints(o, a);
  if (rc == WL_OK)
    rc = parse_sid(o, "user", a->user, sizeof a->user);
  if (rc == WL_OK)
    rc = parse_sid(o, "package", a->package, sizeof a->package);
  if (rc == WL_OK && (rc = get_str(o, "signer", 0, &app)) == WL_OK &&
      wl_strlcpy(a->signer, app, sizeof a->signer) >= sizeof a->signer)
    rc = field_err("signer", "longer than a signer name may be", NULL);
  a->has_ports = a->proto == 6 || a->proto == 17 || a->local_port || a->remote_port;
  return rc;
}

static int parse_in(wl_json_arena *arena, const char *line, size_t len, wl_attempt *out) {
  const wl_json *root = NULL;
  wl_json_error jerr;
  memset(out, 0, sizeof *out);
  wl_json_arena_reset(arena);
  int rc = wl_json_parse(arena, line, len, &root, &jerr);
  if (rc == WL_E_PARSE)
    return wl_err(WL_E_PARSE, "column %u: %s", (unsigned)jerr.column, jerr.reason);
  if (rc != WL_OK)
    return rc;
  if (root->type != WL_JSON_OBJECT)
    return wl_err(WL_E_PARSE, "column 1: not a JSON object");
  return parse_fields(root, out);
}

int wl_sim_parse_attempt(const char *line, size_t len, wl_attempt *out) {
  wl_json_arena arena = {0};
  if (!line || !out)
    return wl_err(WL_E_INVAL, "parse attempt: NULL");
  int rc = parse_in(&arena, line, len, out);
  wl_json_arena_free(&arena);
  return rc;
}

/* ---------------------------------------------------------------- running a file */

typedef struct pace {
  double speed;
  int started;
  uint64_t ts0, mono0;
} pace;

/* Sleep until the attempt's scaled time has come (or stop). */
static void pace_wait(pace *p, uint64_t ts, atomic_int *stop) {
  if (p->speed <= 0)
    return;
  if (!p->started) {
    p->started = 1;
    p->ts0 = ts;
    p->mono0 = wl_time_mono_ns();
    return;
  }
  if (ts <= p->ts0)
    return;
  uint64_t due = p->mono0 + (uint64_t)((double)(ts - p->ts0) * 100.0 / p->speed);
  for (uint64_t now = wl_time_mono_ns(); now < due && !atomic_load(stop);
       now = wl_time_mono_ns()) {
    uint64_t ms = (due - now) / 1000000u;
    wl_sleep_ms(ms > PACE_SLICE_MS ? PACE_SLICE_MS : ms ? (unsigned)ms : 1);
  }
}

static void keep_error(wl_sim_stats *st, const char *path, uint64_t line, const char *msg) {
  st->malformed++;
  if (st->errors_kept < WL_SIM_ERRORS_KEPT)
    snprintf(st->errors[st->errors_kept++], WL_SIM_ERROR_MAX, "%s:%llu: %s", path,
             (unsigned long long)line, msg);
}

static int run_line(void *impl, wl_sim_classify_fn classify, wl_json_arena *arena,
                    const char *buf, size_t len, pace *p, atomic_int *stop, wl_sim_stats *st,
                    const char *path) {
  wl_attempt a;
  wl_decision d;
  if (parse_in(arena, buf, len, &a) != WL_OK) {
    keep_error(st, path, st->lines, wl_errmsg());
    return WL_OK;
  }
  pace_wait(p, a.ts, stop);
  if (atomic_load(stop))
    return WL_OK; /* stopped while waiting: this attempt has not happened yet */
  int rc = classify(impl, &a, &d);
  if (rc != WL_OK)
    return wl_err_prefix(rc, "%s:%llu", path, (unsigned long long)st->lines);
  st->attempts++;
  if (d.action == WL_ACTION_BLOCK)
    st->blocked++;
  else
    st->allowed++;
  if (d.event_type)
    st->events++;
  else
    st->suppressed++;
  if (d.event_type == WL_RAW_TYPE_CLASSIFY_ALLOW)
    st->flow_events++; /* its ALE_FLOW_ESTABLISHED twin (sim_events.c) */
  return WL_OK;
}

int wl_sim_traffic_run(void *impl, wl_sim_classify_fn classify, const char *path,
                       double speed, atomic_int *stop, wl_sim_stats *stats) {
  wl_sim_stats local;
  wl_sim_stats *st = stats ? stats : &local;
  wl_json_arena arena = {0};
  pace p = {speed, 0, 0, 0};
  char *buf = NULL;
  memset(st, 0, sizeof *st);
  if (!path || speed < 0 || speed != speed)
    return wl_err(WL_E_INVAL, "run traffic: need a file and a speed >= 0");
  FILE *f = NULL;
  if (wl_os_fopen(path, "rb", &f) != WL_OK)
    return wl_err(WL_E_NOTFOUND, "%s: cannot open the traffic file", path);
  wl_lines lines;
  int rc = wl_lines_init(&lines, f, TRAFFIC_LINE_MAX);
  size_t len = 0;
  for (int r; rc == WL_OK && !atomic_load(stop) &&
              (r = wl_lines_next(&lines, &buf, &len)) != WL_LINE_EOF;) {
    st->lines++;
    if (r != WL_LINE_OK)
      keep_error(st, path, st->lines,
                 r == WL_LINE_LONG ? "line longer than 64 KiB" : "a NUL byte in the line");
    else if (len && buf[0] != '#' && strspn(buf, " \t") != len)
      rc = run_line(impl, classify, &arena, buf, len, &p, stop, st, path);
  }
  if (rc == WL_OK && ferror(f))
    rc = wl_err(WL_E_IO, "%s: read error after line %llu", path, (unsigned long long)st->lines);
  fclose(f);
  wl_lines_free(&lines);
  wl_json_arena_free(&arena);
  return rc;
}
