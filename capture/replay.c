/* replay.c — the JSON-lines event stream (docs/formats.md "Event stream"): parse a line into a
 * wl_event, format a wl_event as a line (learn --record), and a bounded line reader that skips and
 * counts malformed lines with FILE:LINE messages. A field absent from a line is "unknown" (its has
 * bit stays clear) so recording and replaying keeps exactly what was known.
 */
#include <stdlib.h>
#include <string.h>

#include "capture/replay.h"
#include "common/wl_err.h"
#include "common/wl_hash.h"
#include "common/wl_os.h"
#include "common/wl_text.h"

/* ---- parsing one line ---- */

static int bad(const char *field, const char *why) {
  return wl_err(WL_E_PARSE, "\"%s\": %s", field, why);
}

/* The members a line may carry, looked up once per line: fields() walks the object's members
 * a single time and keeps the first of each name, as wl_json_get would find it. */
enum {
  F_TS, F_TYPE, F_DIR, F_APP, F_APP_DOS, F_APP_TRUNC, F_LOCAL, F_REMOTE, F_LOCAL_PORT,
  F_REMOTE_PORT, F_IP_VERSION, F_PROTO, F_FILTER_ID, F_LAYER_ID, F_REAUTH, F_LOOPBACK, F_USER,
  F_PACKAGE, F_COUNT
};
_Static_assert(F_APP_DOS == F_APP + 1 && F_COUNT <= 32, "parse_line's raw paths: a mask, in order");
static const char *const field_names[F_COUNT] = {
    "ts", "type", "dir", "app", "app_dos", "app_truncated", "local", "remote", "local_port",
    "remote_port", "ip_version", "proto", "filter_id", "layer_id", "reauth", "loopback", "user",
    "package"};

typedef struct fields {
  const wl_json *v[F_COUNT];
} fields;

/* One compare of a literal's length: the compiler makes it a load or two, not a call (a memcmp
 * call a member was 5 % of the reader thread's samples). */
#define KEY_IS(lit, f) (memcmp(k, lit, sizeof lit - 1) == 0 ? (f) : -1)

static int field_of(const char *k, size_t n) {
  switch (n) { /* candidates by length, then one exact compare */
  case 2: return KEY_IS("ts", F_TS);
  case 3: return k[0] == 'd' ? KEY_IS("dir", F_DIR) : KEY_IS("app", F_APP);
  case 4: return k[0] == 't' ? KEY_IS("type", F_TYPE) : KEY_IS("user", F_USER);
  case 5: return k[0] == 'l' ? KEY_IS("local", F_LOCAL) : KEY_IS("proto", F_PROTO);
  case 6: return k[2] == 'm' ? KEY_IS("remote", F_REMOTE) : KEY_IS("reauth", F_REAUTH);
  case 7: return k[0] == 'a' ? KEY_IS("app_dos", F_APP_DOS) : KEY_IS("package", F_PACKAGE);
  case 8: return k[1] == 'o' ? KEY_IS("loopback", F_LOOPBACK) : KEY_IS("layer_id", F_LAYER_ID);
  case 9: return KEY_IS("filter_id", F_FILTER_ID);
  case 10: return k[0] == 'l' ? KEY_IS("local_port", F_LOCAL_PORT)
                              : KEY_IS("ip_version", F_IP_VERSION);
  case 11: return KEY_IS("remote_port", F_REMOTE_PORT);
  case 13: return KEY_IS("app_truncated", F_APP_TRUNC);
  default: return -1;
  }
}

static void fields_of(const wl_json *o, fields *fs) {
  memset(fs, 0, sizeof *fs);
  for (const wl_json *c = o->child; c; c = c->next) {
    int f = field_of(c->key, c->key_len);
    if (f >= 0 && !fs->v[f])
      fs->v[f] = c;
  }
}

/* Up to 19 plain digits (no overflow possible): what wl_json_uint64 gives, read inline. */
static int short_uint(const wl_json *v, uint64_t *out) {
  uint64_t x = 0;
  if (v->len == 0 || v->len > 19)
    return 0;
  for (size_t i = 0; i < v->len; i++) {
    unsigned d = (unsigned)(unsigned char)v->str[i] - '0';
    if (d > 9)
      return 0;
    x = x * 10 + d;
  }
  *out = x;
  return 1;
}

static int get_uint(const fields *o, int key, uint64_t max, uint64_t *out, int *found) {
  const wl_json *v = o->v[key];
  *found = 0;
  if (!v || v->type == WL_JSON_NULL)
    return WL_OK;
  if (v->type != WL_JSON_NUMBER || (!short_uint(v, out) && wl_json_uint64(v, out) != WL_OK) ||
      *out > max)
    return bad(field_names[key], "expected a non-negative integer in range");
  *found = 1;
  return WL_OK;
}

/* A string member; NULL when absent or null. *rc set on a non-string. */
static const char *get_str(const fields *o, int key, int *rc) {
  const wl_json *v = o->v[key];
  if (!v || v->type == WL_JSON_NULL)
    return NULL;
  if (v->type != WL_JSON_STRING || v->has_nul) {
    *rc = bad(field_names[key], "expected a string without NUL");
    return NULL;
  }
  return v->str;
}

static int get_bool(const fields *o, int key, int *val, int *found) {
  const wl_json *v = o->v[key];
  *found = 0;
  if (!v || v->type == WL_JSON_NULL)
    return WL_OK;
  if (v->type != WL_JSON_TRUE && v->type != WL_JSON_FALSE)
    return bad(field_names[key], "expected true or false");
  *val = v->type == WL_JSON_TRUE;
  *found = 1;
  return WL_OK;
}

/* "addr:port", "[v6]:port" or a bare address (port unknown). */
/* Decimal digits at *p, at most maxd of them, no leading zero, <= max; advances *p. */
static int dec(const char **p, unsigned maxd, unsigned max, unsigned *out) {
  const char *s = *p;
  unsigned v = 0, n = 0;
  while (n < maxd && s[n] >= '0' && s[n] <= '9')
    v = v * 10 + (unsigned)(s[n++] - '0');
  if (!n || (n > 1 && s[0] == '0') || v > max || (s[n] >= '0' && s[n] <= '9'))
    return -1;
  *p = s + n;
  *out = v;
  return 0;
}

/* The common "a.b.c.d" or "a.b.c.d:port" read directly: 1 when s is exactly that (what
 * wl_addr_parse / wl_endpoint_parse would read the same way), 0 for anything else. */
static int fast_v4(const char *s, uint8_t *ipv, uint8_t addr[16], uint16_t *port,
                   int *has_port) {
  unsigned v[4], pv = 0;
  for (int k = 0; k < 4; k++)
    if ((k && *s++ != '.') || dec(&s, 3, 255, &v[k]))
      return 0;
  int hp = *s == ':';
  if ((hp && (++s, dec(&s, 5, 65535, &pv))) || *s)
    return 0;
  memset(addr, 0, 16);
  for (int k = 0; k < 4; k++)
    addr[k] = (uint8_t)v[k];
  *ipv = 4;
  *port = (uint16_t)pv;
  *has_port = hp;
  return 1;
}

static int parse_ep(const char *key, const char *s, int fast, uint8_t *ipv, uint8_t addr[16],
                    uint16_t *port, int *has_port) {
  if (fast && fast_v4(s, ipv, addr, port, has_port))
    return WL_OK;
  const char *colon = strchr(s, ':');
  *has_port = s[0] == '[' || (colon && colon == strrchr(s, ':'));
  int rc = *has_port ? wl_endpoint_parse(s, strlen(s), ipv, addr, port)
                     : wl_addr_parse(s, strlen(s), ipv, addr);
  if (rc != WL_OK)
    return bad(key, "expected addr:port, [v6]:port or an address");
  return WL_OK;
}

static int parse_endpoints(const fields *o, int fast, wl_event *ev) {
  int rc = WL_OK, hp;
  const char *keys[2] = {"local", "remote"};
  for (int i = 0; i < 2 && rc == WL_OK; i++) {
    const char *s = get_str(o, i ? F_REMOTE : F_LOCAL, &rc);
    if (!s)
      continue;
    uint8_t ipv = 0, addr[16] = {0};
    uint16_t port = 0;
    if ((rc = parse_ep(keys[i], s, fast, &ipv, addr, &port, &hp)) != WL_OK)
      break;
    if ((ev->has & WL_HAS_IP_VERSION) && ev->ip_version != ipv)
      return bad(keys[i], "IP version differs from the other endpoint");
    ev->ip_version = ipv;
    ev->has |= WL_HAS_IP_VERSION | (i ? WL_HAS_REMOTE_ADDR : WL_HAS_LOCAL_ADDR);
    memcpy(i ? ev->remote_addr : ev->local_addr, addr, 16);
    if (hp) {
      *(i ? &ev->remote_port : &ev->local_port) = port;
      ev->has |= i ? WL_HAS_REMOTE_PORT : WL_HAS_LOCAL_PORT;
    }
  }
  return rc;
}

/* Ports known without an address, and the IP version when no address says it. */
static int parse_port_fields(const fields *o, wl_event *ev) {
  uint64_t v;
  int found, rc;
  if ((rc = get_uint(o, F_LOCAL_PORT, 65535, &v, &found)) != WL_OK)
    return rc;
  if (found) {
    ev->local_port = (uint16_t)v;
    ev->has |= WL_HAS_LOCAL_PORT;
  }
  if ((rc = get_uint(o, F_REMOTE_PORT, 65535, &v, &found)) != WL_OK)
    return rc;
  if (found) {
    ev->remote_port = (uint16_t)v;
    ev->has |= WL_HAS_REMOTE_PORT;
  }
  if ((rc = get_uint(o, F_IP_VERSION, 6, &v, &found)) != WL_OK)
    return rc;
  if (found) {
    if ((v != 4 && v != 6) || ((ev->has & WL_HAS_IP_VERSION) && ev->ip_version != v))
      return bad("ip_version", "expected 4 or 6, agreeing with the addresses");
    ev->ip_version = (uint8_t)v;
    ev->has |= WL_HAS_IP_VERSION;
  }
  return WL_OK;
}

/* "YYYY-MM-DDTHH:MM:SS.fffffffZ" (what learn --record writes): the time is that of its first
 * 20 characters plus the fraction, so a line sharing them with the last one so read needs only
 * the fraction. 1 with *ts, or 0 (not that shape, or another prefix). */
static int ts_fraction(const char *s, size_t n, uint64_t *frac) {
  uint64_t f = 0;
  if (n != 28 || s[19] != '.' || s[27] != 'Z')
    return 0;
  for (int k = 20; k < 27; k++) {
    if (s[k] < '0' || s[k] > '9')
      return 0;
    f = f * 10 + (uint64_t)(s[k] - '0');
  }
  *frac = f;
  return 1;
}

static int parse_ts(wl_replay_cache *c, const char *s, size_t n, uint64_t *ts) {
  uint64_t frac;
  int shaped = c && ts_fraction(s, n, &frac);
  if (shaped && c->ts_known && memcmp(c->ts_prefix, s, 20) == 0) {
    *ts = c->ts_base + frac;
    return WL_OK;
  }
  int rc = wl_time_parse(s, n, ts);
  if (rc == WL_OK && shaped) {
    memcpy(c->ts_prefix, s, 20);
    c->ts_base = *ts - frac;
    c->ts_known = 1;
  }
  return rc;
}

/* wl_event_ts_too_new without a clock read per line (replay.h, wl_replay_cache): the bound
 * read at most WL_REPLAY_CLOCK_LINES lines ago is not past the current one, so a ts under it
 * is under the current one; a ts over it gets a fresh read. */
static int ts_too_new(wl_replay_cache *c, uint64_t ts) {
  if (!c)
    return wl_event_ts_too_new(ts);
  if (c->clock_left == 0) {
    c->ts_bound = wl_time_now() + WL_EVENT_FUTURE_TICKS;
    c->clock_left = WL_REPLAY_CLOCK_LINES;
  }
  c->clock_left--;
  return ts > c->ts_bound && wl_event_ts_too_new(ts);
}

static int parse_required(const fields *o, wl_replay_cache *c, wl_event *ev) {
  int rc = WL_OK, type;
  const char *ts = get_str(o, F_TS, &rc);
  if (rc != WL_OK)
    return rc;
  if (!ts || parse_ts(c, ts, o->v[F_TS]->len, &ev->ts) != WL_OK)
    return bad("ts", "missing, or not an RFC 3339 time");
  if (ts_too_new(c, ev->ts))
    return bad("ts", "more than a day past this machine's clock");
  const char *t = get_str(o, F_TYPE, &rc);
  if (rc != WL_OK)
    return rc;
  if (!t || wl_event_type_parse(t, &type) != WL_OK)
    return bad("type", "missing, or not allow|drop|cap-allow|cap-drop");
  ev->type = (uint8_t)type;
  const char *d = get_str(o, F_DIR, &rc);
  if (rc != WL_OK)
    return rc;
  if (d && strcmp(d, "?") != 0) {
    int dir;
    if (wl_dir_parse(d, &dir) != WL_OK)
      return bad("dir", "expected in or out");
    ev->dir = (uint8_t)dir;
    ev->has |= WL_HAS_DIR;
  }
  return WL_OK;
}

/* Copy of src (len bytes, no NUL among them, NUL-terminated: get_str) with truncation at a
 * character boundary (the JSON reader gave valid UTF-8). 1 if cut. Through wl_strlcpy, whose
 * memcpy is libc's: written here with cap a constant, GCC made it a `rep movsq` (its bound
 * known), whose start-up took a quarter of parse_line's time for a path of 60 bytes. */
static int copy_utf8(char *dst, const char *src, size_t len, size_t cap) {
  wl_strlcpy(dst, src, cap);
  if (len < cap)
    return 0;
  size_t n = strlen(dst);
  while (n > 0 && ((unsigned char)src[n] & 0xC0) == 0x80)
    n--; /* src[n] continues the character dst would end inside of */
  dst[n] = '\0';
  return 1;
}

/* app, app_dos and app_truncated: paths longer than WL_PATH_MAX are cut and flagged. */
static int parse_app(const fields *o, wl_event *ev) {
  int rc = WL_OK, trunc = 0, found;
  const char *app = get_str(o, F_APP, &rc);
  const char *dos = rc == WL_OK ? get_str(o, F_APP_DOS, &rc) : NULL;
  if (rc == WL_OK)
    rc = get_bool(o, F_APP_TRUNC, &trunc, &found);
  if (rc != WL_OK)
    return rc;
  if (app && app[0]) {
    ev->has |= WL_HAS_APP;
    if (copy_utf8(ev->app, app, o->v[F_APP]->len, sizeof ev->app) || trunc)
      ev->has |= WL_HAS_APP_TRUNC;
  }
  if (dos)
    copy_utf8(ev->app_dos, dos, o->v[F_APP_DOS]->len, sizeof ev->app_dos);
  return WL_OK;
}

/* The canonical form of the last SIDs read: a line's SID text, when it is one of these exactly,
 * gives the same canonical text without the string -> binary -> string round trip. */
static int sid_cached(wl_replay_cache *c, const char *s, size_t n, char *out, size_t cap) {
  if (!c || n >= sizeof c->in[0])
    return 0;
  for (unsigned i = 0; i < WL_REPLAY_SIDS_KEPT; i++)
    if (c->in_len[i] == n && memcmp(c->in[i], s, n) == 0 && c->out_len[i] < cap) {
      memcpy(out, c->out[i], c->out_len[i] + 1u);
      return 1;
    }
  return 0;
}

static void sid_keep(wl_replay_cache *c, const char *s, size_t n, const char *canon) {
  size_t m = strlen(canon);
  if (!c || n >= sizeof c->in[0] || m >= sizeof c->out[0])
    return;
  unsigned i = c->next++ % WL_REPLAY_SIDS_KEPT;
  memcpy(c->in[i], s, n + 1);
  memcpy(c->out[i], canon, m + 1);
  c->in_len[i] = (uint8_t)n;
  c->out_len[i] = (uint8_t)m;
}

static int parse_sid(const fields *o, int key, wl_replay_cache *c, char *out, size_t cap,
                     int *known) {
  int rc = WL_OK;
  uint8_t bin[WL_SID_MAX];
  const char *s = get_str(o, key, &rc);
  *known = 0;
  if (rc != WL_OK || !s || !s[0])
    return rc;
  size_t len = o->v[key]->len;
  if (!sid_cached(c, s, len, out, cap)) {
    int n = wl_sid_from_string(s, bin);
    if (n <= 0 || wl_sid_to_string(bin, (size_t)n, out, cap) != WL_OK)
      return bad(field_names[key], "not a SID (S-1-...)");
    sid_keep(c, s, len, out);
  }
  *known = 1;
  return WL_OK;
}

static int parse_ids(const fields *o, wl_event *ev) {
  uint64_t v;
  int found, rc;
  if ((rc = get_uint(o, F_PROTO, 255, &v, &found)) != WL_OK)
    return rc;
  if (found) {
    ev->proto = (uint8_t)v;
    ev->has |= WL_HAS_PROTO;
  }
  if ((rc = get_uint(o, F_FILTER_ID, UINT64_MAX, &v, &found)) != WL_OK)
    return rc;
  if (found && v != 0) {
    ev->filter_id = v;
    ev->has |= WL_HAS_FILTER;
  }
  if ((rc = get_uint(o, F_LAYER_ID, 0xFFFE, &v, &found)) != WL_OK)
    return rc;
  if (found) {
    ev->layer_id = (uint16_t)v;
    ev->has |= WL_HAS_LAYER;
  }
  if ((rc = get_uint(o, F_REAUTH, UINT32_MAX, &v, &found)) != WL_OK)
    return rc;
  if (found) {
    ev->reauth = (uint32_t)v;
    ev->has |= WL_HAS_REAUTH;
  }
  int lb;
  if ((rc = get_bool(o, F_LOOPBACK, &lb, &found)) != WL_OK)
    return rc;
  if (found) {
    ev->is_loopback = (uint8_t)lb;
    ev->has |= WL_HAS_LOOPBACK;
  }
  return WL_OK;
}

static int parse_sids(const fields *o, wl_replay_cache *c, wl_event *ev) {
  int rc, known;
  if ((rc = parse_sid(o, F_USER, c, ev->user, sizeof ev->user, &known)) != WL_OK)
    return rc;
  ev->has |= known ? WL_HAS_USER : 0;
  if ((rc = parse_sid(o, F_PACKAGE, c, ev->package, sizeof ev->package, &known)) != WL_OK)
    return rc;
  if (known && strcmp(ev->package, "S-1-0-0") == 0) { /* the nobody SID: no package */
    ev->package[0] = '\0';
    known = 0;
  }
  ev->has |= known ? WL_HAS_PACKAGE : 0;
  return WL_OK;
}

/* A raw app or app_dos (wl_json.raw) made a plain string: from the cache when its raw text is
 * there, else unescaped and kept in its slot, unless that slot is `busy` (app's, which app
 * points into: app_dos must not evict it). *slot: the slot. WL_E_PARSE: not a valid string (the
 * full reader says why). */
static int resolve_path(wl_json_arena *a, wl_replay_cache *c, wl_json *v, unsigned busy,
                        unsigned *slot) {
  unsigned i = (unsigned)(wl_hash_bytes(v->str, v->len) % WL_REPLAY_PATHS);
  wl_replay_path *p = &c->paths[i];
  *slot = i;
  if (v->len && p->raw_len == v->len && memcmp(p->raw, v->str, v->len) == 0) {
    v->str = p->text;
    v->len = p->len;
    v->raw = 0;
    return WL_OK;
  }
  const char *s;
  size_t n;
  int nul, rc = wl_json_unescape(a, v, &s, &n, &nul);
  if (rc != WL_OK)
    return rc;
  if (v->len && v->len <= WL_REPLAY_PATH_RAW && !nul && i != busy) {
    memcpy(p->raw, v->str, v->len);
    memcpy(p->text, s, n + 1);
    p->raw_len = (uint16_t)v->len;
    p->len = (uint16_t)n;
  }
  v->str = s;
  v->len = n;
  v->has_nul = nul;
  v->raw = 0;
  return WL_OK;
}

static int blank_or_comment(const char *line, size_t len) {
  size_t i = 0;
  while (i < len && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r'))
    i++;
  return i == len || line[i] == '#';
}

/* How parse_line reads: the full reader only (the reference), or wl_json_parse_flat first;
 * and whether ev is cleared whole or only reset (wl_event_reset: the bytes after each string's
 * terminator are left as they were — the reader's own loop, whose events are read as strings). */
enum { READ_FULL, READ_FLAT, READ_FLAT_RESET };

static int parse_line(wl_json_arena *a, wl_replay_cache *c, int how, const char *line,
                      size_t len, wl_event *ev) {
  int flat = how != READ_FULL;
  if (how == READ_FLAT_RESET)
    wl_event_reset(ev); /* not 2.5 KB of memset per line */
  else
    wl_event_clear(ev);
  ev->origin = WL_ORIGIN_REPLAY;
  if (blank_or_comment(line, len))
    return 0;
  if (len > WL_REPLAY_LINE_MAX)
    return wl_err(WL_E_PARSE, "line longer than %u bytes", WL_REPLAY_LINE_MAX);
  fields f;
  const fields *o = &f;
  wl_json nodes[F_COUNT];
  wl_json_arena_reset(a);
  int rc = WL_OK;
  uint32_t raw = c ? (1u << F_APP | 1u << F_APP_DOS) : 0;
  unsigned busy = WL_REPLAY_PATHS; /* none yet */
  int tree = !flat || (c ? wl_json_parse_flat_shaped(&c->shapes, a, line, len, field_of, nodes,
                                                     f.v, F_COUNT, raw)
                          : wl_json_parse_flat_raw(a, line, len, field_of, nodes, f.v, F_COUNT,
                                                   raw));
  for (int k = F_APP; !tree && k <= F_APP_DOS && rc == WL_OK; k++) /* F_APP_DOS follows */
    if (f.v[k] && f.v[k]->raw)
      rc = resolve_path(a, c, &nodes[k], busy, &busy);
  if (rc == WL_E_NOMEM)
    return rc;
  if (rc != WL_OK) { /* not a valid string: the full reader says why */
    tree = 1;
    rc = WL_OK;
  }
  if (tree) {
    const wl_json *root; /* anything but a flat object, errors included: the full reader */
    wl_json_error je;
    wl_json_arena_reset(a);
    rc = wl_json_parse(a, line, len, &root, &je);
    if (rc == WL_E_PARSE)
      return wl_err(WL_E_PARSE, "column %zu: %s", je.column, je.reason);
    if (rc != WL_OK)
      return rc;
    if (root->type != WL_JSON_OBJECT)
      return wl_err(WL_E_PARSE, "expected a JSON object");
    fields_of(root, &f);
  }
  if ((rc = parse_required(o, c, ev)) != WL_OK || (rc = parse_app(o, ev)) != WL_OK ||
      (rc = parse_endpoints(o, flat, ev)) != WL_OK || (rc = parse_port_fields(o, ev)) != WL_OK ||
      (rc = parse_ids(o, ev)) != WL_OK || (rc = parse_sids(o, c, ev)) != WL_OK)
    return rc;
  return 1;
}

int wl_replay_parse_line(wl_json_arena *a, const char *line, size_t len, wl_event *ev) {
  return parse_line(a, NULL, READ_FULL, line, len, ev);
}

int wl_replay_parse_line_cached(wl_json_arena *a, wl_replay_cache *c, const char *line,
                                size_t len, wl_event *ev) {
  return parse_line(a, c, READ_FLAT, line, len, ev);
}

/* ---- formatting one line ---- */

typedef struct outbuf {
  char *p;
  size_t cap, len; /* len counts what was needed, even past cap */
} outbuf;

static void put(outbuf *b, const char *s, size_t n) {
  if (b->len < b->cap) {
    size_t room = b->cap - b->len;
    memcpy(b->p + b->len, s, n < room ? n : room);
  }
  b->len += n;
}

static void put_s(outbuf *b, const char *s) { put(b, s, strlen(s)); }

static void put_u(outbuf *b, const char *key, uint64_t v) {
  char tmp[64];
  int n = snprintf(tmp, sizeof tmp, ",\"%s\":%llu", key, (unsigned long long)v);
  put(b, tmp, (size_t)n);
}

/* ,"key":"escaped value" */
static void put_str(outbuf *b, const char *key, const char *v) {
  char esc[WL_PATH_MAX * 6 + 8];
  put_s(b, ",\"");
  put_s(b, key);
  put_s(b, "\":");
  size_t n = wl_json_escape(esc, sizeof esc, v);
  put(b, esc, n < sizeof esc ? n : sizeof esc - 1);
}

static void put_endpoint(outbuf *b, const wl_event *ev, int remote) {
  uint32_t ha = remote ? WL_HAS_REMOTE_ADDR : WL_HAS_LOCAL_ADDR;
  uint32_t hp = remote ? WL_HAS_REMOTE_PORT : WL_HAS_LOCAL_PORT;
  const uint8_t *addr = remote ? ev->remote_addr : ev->local_addr;
  uint16_t port = remote ? ev->remote_port : ev->local_port;
  char tmp[WL_EP_STR_MAX];
  if ((ev->has & ha) && (ev->has & hp))
    wl_endpoint_format(ev->ip_version, addr, port, tmp);
  else if (ev->has & ha)
    wl_addr_format(ev->ip_version, addr, tmp);
  else if (ev->has & hp)
    put_u(b, remote ? "remote_port" : "local_port", port);
  if (ev->has & ha)
    put_str(b, remote ? "remote" : "local", tmp);
}

static void put_fields(outbuf *b, const wl_event *ev) {
  if (ev->has & WL_HAS_DIR)
    put_str(b, "dir", wl_dir_name(ev->dir));
  if (ev->has & WL_HAS_APP) {
    put_str(b, "app", ev->app);
    if (ev->has & WL_HAS_APP_TRUNC)
      put_s(b, ",\"app_truncated\":true");
  }
  if (ev->app_dos[0])
    put_str(b, "app_dos", ev->app_dos);
  if (ev->has & WL_HAS_PROTO)
    put_u(b, "proto", ev->proto);
  put_endpoint(b, ev, 0);
  put_endpoint(b, ev, 1);
  if ((ev->has & WL_HAS_IP_VERSION) && !(ev->has & (WL_HAS_LOCAL_ADDR | WL_HAS_REMOTE_ADDR)))
    put_u(b, "ip_version", ev->ip_version);
  if (ev->has & WL_HAS_FILTER)
    put_u(b, "filter_id", ev->filter_id);
  if (ev->has & WL_HAS_LAYER)
    put_u(b, "layer_id", ev->layer_id);
  if (ev->has & WL_HAS_USER)
    put_str(b, "user", ev->user);
  if (ev->has & WL_HAS_PACKAGE)
    put_str(b, "package", ev->package);
  if (ev->has & WL_HAS_LOOPBACK)
    put_s(b, ev->is_loopback ? ",\"loopback\":true" : ",\"loopback\":false");
  if (ev->has & WL_HAS_REAUTH)
    put_u(b, "reauth", ev->reauth);
}

size_t wl_replay_format(const wl_event *ev, char *buf, size_t cap) {
  outbuf b = {buf, cap, 0};
  char ts[WL_TIME_STR_MAX];
  wl_time_format(ev->ts, ts);
  put_s(&b, "{\"ts\":\"");
  put_s(&b, ts);
  put_s(&b, "\",\"type\":\"");
  put_s(&b, wl_event_type_name(ev->type));
  put_s(&b, "\"");
  put_fields(&b, ev);
  put_s(&b, "}\n");
  if (cap > 0)
    buf[b.len < cap ? b.len : cap - 1] = '\0';
  return b.len;
}

int wl_replay_write(FILE *f, const wl_event *ev) {
  char line[WL_REPLAY_LINE_MAX];
  size_t n = wl_replay_format(ev, line, sizeof line);
  if (n >= sizeof line)
    return wl_err(WL_E_INTERNAL, "replay line of %zu bytes exceeds %u", n, WL_REPLAY_LINE_MAX);
  if (fwrite(line, 1, n, f) != n)
    return wl_err(WL_E_IO, "writing the event stream failed");
  return WL_OK;
}

/* ---- the reader ---- */

struct wl_replay_reader {
  FILE *f;
  int own;        /* we opened f */
  char name[256]; /* for messages */
  uint64_t line, malformed;
  size_t nerr;
  char errors[WL_REPLAY_ERRORS_KEPT][WL_REPLAY_ERROR_MAX];
  wl_json_arena arena;
  wl_replay_cache cache;
  wl_lines lines; /* its lines.line: the line number */
};

int wl_replay_open(const char *path, wl_replay_reader **out) {
  *out = NULL;
  wl_replay_reader *r = calloc(1, sizeof *r);
  if (!r)
    return wl_err(WL_E_NOMEM, "replay reader: out of memory");
  if (strcmp(path, "-") == 0) {
    r->f = stdin;
  } else if (wl_os_fopen(path, "rb", &r->f) != WL_OK) {
    free(r);
    return wl_err(WL_E_NOTFOUND, "%s: cannot open the event stream", path);
  } else {
    r->own = 1;
    (void)setvbuf(r->f, NULL, _IONBF, 0); /* the line reader's chunks are the buffer */
  }
  wl_strlcpy(r->name, strcmp(path, "-") == 0 ? "<stdin>" : path, sizeof r->name);
  int rc = wl_lines_init(&r->lines, r->f, WL_REPLAY_LINE_MAX);
  if (rc != WL_OK) {
    wl_replay_close(r);
    return rc;
  }
  *out = r;
  return WL_OK;
}

void wl_replay_close(wl_replay_reader *r) {
  if (!r)
    return;
  if (r->own)
    fclose(r->f);
  wl_lines_free(&r->lines);
  wl_json_arena_free(&r->arena);
  free(r);
}

static void note_malformed(wl_replay_reader *r, const char *why) {
  r->malformed++;
  if (r->nerr < WL_REPLAY_ERRORS_KEPT)
    snprintf(r->errors[r->nerr++], WL_REPLAY_ERROR_MAX, "%s:%llu: %s", r->name,
             (unsigned long long)r->line, why);
}

int wl_replay_next(wl_replay_reader *r, wl_event *ev) {
  for (;;) {
    size_t n = 0;
    char *line;
    int got = wl_lines_next(&r->lines, &line, &n);
    if (got == WL_LINE_EOF)
      return ferror(r->f) ? wl_err(WL_E_IO, "%s: read error", r->name) : 0;
    r->line = r->lines.line;
    if (got != WL_LINE_OK) {
      note_malformed(r, got == WL_LINE_LONG ? "line too long" : "a NUL byte in the line");
      continue;
    }
    int rc = parse_line(&r->arena, &r->cache, READ_FLAT_RESET, line, n, ev);
    if (rc == 1)
      return 1;
    if (rc == WL_E_PARSE)
      note_malformed(r, wl_errmsg());
    else if (rc != 0)
      return wl_err_prefix(rc, "%s:%llu", r->name, (unsigned long long)r->line);
  }
}

uint64_t wl_replay_lines(const wl_replay_reader *r) { return r->line; }
uint64_t wl_replay_malformed(const wl_replay_reader *r) { return r->malformed; }

size_t wl_replay_errors(const wl_replay_reader *r, const char **msgs, size_t max) {
  size_t n = r->nerr < max ? r->nerr : max;
  for (size_t i = 0; i < n; i++)
    msgs[i] = r->errors[i];
  return n;
}
