/* import_pfirewall.c — Windows Firewall's own log, pfirewall.log (W3C extended log style):
 *
 *   #Version: 1.5
 *   #Software: Microsoft Windows Firewall
 *   #Time Format: Local
 *   #Fields: date time action protocol src-ip dst-ip src-port dst-port size tcpflags tcpsyn
 *            tcpack tcpwin icmptype icmpcode info path [pid]
 *   2021-06-22 12:19:41 DROP UDP 192.168.178.25 224.0.0.251 5353 5353 73 - - - - - - - RECEIVE
 *
 * Columns are mapped by the names in the latest #Fields: header (unknown names are ignored,
 * newer Windows adds "pid"). Without a header the documented default order above is used
 * (17 columns, or 18 with pid) and a note says so. A line whose column count differs from the
 * header is parsed in Windows 11's shape without "-" placeholders (map_anchored below), else it is
 * malformed. ALLOW → allow, DROP → drop; INFO-EVENTS-LOST lines are counted (lines,
 * and the lost-event count in their info column) and skipped with any other action. path SEND →
 * outbound (src is local), RECEIVE → inbound (dst is local), anything else → direction unknown
 * with src as local. "ICMP" with IPv6 addresses is ICMPv6 (58). No application is recorded in
 * this format. Times are local without a zone: UTC unless opts.utc_offset_set (import.h).
 */
#include <stdio.h>
#include <string.h>

#include "common/wl_err.h"
#include "common/wl_hash.h"
#include "import/import_int.h"

enum pfirewall_col {
  PC_OTHER = 0, PC_DATE, PC_TIME, PC_ACTION, PC_PROTO, PC_SRCIP, PC_DSTIP, PC_SRCPORT,
  PC_DSTPORT, PC_INFO, PC_PATH, PC_PID, PC_COUNT
};

#define PFIREWALL_MAX_COLS ((int)(sizeof ((imp_pfirewall *)0)->cols / sizeof(int)))

static const struct {
  const char *name;
  int col;
} column_names[] = {{"date", PC_DATE},       {"time", PC_TIME},         {"action", PC_ACTION},
                 {"protocol", PC_PROTO},  {"src-ip", PC_SRCIP},      {"dst-ip", PC_DSTIP},
                 {"src-port", PC_SRCPORT}, {"dst-port", PC_DSTPORT}, {"info", PC_INFO},
                 {"path", PC_PATH},       {"pid", PC_PID}};

/* The documented default order, used when a file has no #Fields: header. */
static const char *const default_fields =
    "date time action protocol src-ip dst-ip src-port dst-port size tcpflags tcpsyn tcpack "
    "tcpwin icmptype icmpcode info path pid";
#define PFW_DEFAULT_MIN 17 /* without pid */

typedef struct tok {
  const char *p;
  size_t n;
} tok;

/* Split on spaces/tabs; returns the count (at most max; one more means "too many"). */
static int split(const char *s, size_t len, tok *t, int max) {
  int n = 0;
  size_t i = 0;
  while (i < len) {
    while (i < len && (s[i] == ' ' || s[i] == '\t'))
      i++;
    if (i >= len)
      break;
    size_t start = i;
    while (i < len && s[i] != ' ' && s[i] != '\t')
      i++;
    if (n == max)
      return max + 1;
    t[n].p = s + start;
    t[n].n = i - start;
    n++;
  }
  return n;
}

static int col_of(const tok *t) {
  for (size_t i = 0; i < sizeof column_names / sizeof column_names[0]; i++)
    if (strlen(column_names[i].name) == t->n && wl_strncasecmp(t->p, column_names[i].name, t->n) == 0)
      return column_names[i].col;
  return PC_OTHER;
}

static void set_header(imp_ctx *c, const char *names, size_t len, uint64_t lineno) {
  tok t[PFIREWALL_MAX_COLS];
  int n = split(names, len, t, PFIREWALL_MAX_COLS);
  if (n > PFIREWALL_MAX_COLS) {
    imp_note(c, lineno, "#Fields: more than %d columns; the lines below will not fit",
             PFIREWALL_MAX_COLS);
    n = PFIREWALL_MAX_COLS;
  }
  imp_pfirewall *h = &c->pfirewall;
  h->ncols = n;
  h->have_header = 1;
  for (int i = 0; i < n; i++)
    h->cols[i] = col_of(&t[i]);
}

/* Header lines; returns 1 when the line was one. */
static int header_line(imp_ctx *c, const char *line, size_t len, uint64_t lineno) {
  if (line[0] != '#')
    return 0;
  static const char fields[] = "#Fields:";
  if (len >= sizeof fields - 1 && wl_strncasecmp(line, fields, sizeof fields - 1) == 0)
    set_header(c, line + sizeof fields - 1, len - (sizeof fields - 1), lineno);
  return 1; /* #Version, #Software, #Time Format: nothing to do */
}

static void use_default(imp_ctx *c, uint64_t lineno) {
  set_header(c, default_fields, strlen(default_fields), lineno);
  c->pfirewall.have_header = 0;
  c->st->default_fields = 1;
  imp_note(c, lineno, "no #Fields: header: assuming the default order \"%.*s\" (pid optional)",
           (int)(strlen(default_fields) - 4), default_fields);
}

/* The columns of one data line, by meaning (NULL when absent or "-"). */
typedef struct pfirewall_rec {
  const tok *v[PC_COUNT];
} pfirewall_rec;

static const tok *val(const pfirewall_rec *r, int col) {
  const tok *t = r->v[col];
  return (t && !(t->n == 1 && t->p[0] == '-')) ? t : NULL;
}

/* A port column: absent/"-" leaves it unset. Returns -1 when present and bad. */
static int port_of(const tok *t, uint16_t *port, int *has) {
  uint64_t v = 0;
  *has = t != NULL;
  if (t && imp_parse_uint(t->p, t->n, 65535, &v))
    return -1;
  *port = (uint16_t)v;
  return 0;
}

#define FAIL(...) (snprintf(why, cap, __VA_ARGS__), IMP_MALFORMED)

/* src/dst → local/remote by ev->dir: RECEIVE has dst local, SEND and unknown have src local. */
static void place(wl_event *ev, const uint8_t *saddr, uint16_t sport, int hs,
                  const uint8_t *daddr, uint16_t dport, int hd) {
  int in = ev->dir == WL_DIR_IN;
  memcpy(ev->local_addr, in ? daddr : saddr, 16);
  memcpy(ev->remote_addr, in ? saddr : daddr, 16);
  ev->local_port = in ? dport : sport;
  ev->remote_port = in ? sport : dport;
  ev->has |= WL_HAS_PROTO | WL_HAS_IP_VERSION | WL_HAS_LOCAL_ADDR | WL_HAS_REMOTE_ADDR |
             (ev->dir ? WL_HAS_DIR : 0) | ((in ? hd : hs) ? WL_HAS_LOCAL_PORT : 0) |
             ((in ? hs : hd) ? WL_HAS_REMOTE_PORT : 0);
}

/* Time, addresses, ports, protocol, direction → c->rec.ev. */
static int build(imp_ctx *c, const pfirewall_rec *r, char *why, size_t cap) {
  wl_event *ev = &c->rec.ev;
  const tok *d = val(r, PC_DATE), *t = val(r, PC_TIME), *s = val(r, PC_SRCIP),
            *dst = val(r, PC_DSTIP), *pr = val(r, PC_PROTO), *path = val(r, PC_PATH);
  char when[48];
  int zone;
  if (!d || !t || d->n + t->n + 2 > sizeof when)
    return FAIL("no date and time");
  snprintf(when, sizeof when, "%.*s %.*s", (int)d->n, d->p, (int)t->n, t->p);
  if (imp_parse_time(when, strlen(when), c->o->utc_offset_set, c->o->utc_offset_min, &ev->ts,
                     &zone))
    return FAIL("\"%s\" is not a date and time", when);
  uint8_t sv, dv, saddr[16], daddr[16];
  if (!s || imp_parse_addr(s->p, s->n, &sv, saddr))
    return FAIL("src-ip \"%.*s\" is not an IP address", s ? (int)s->n : 1, s ? s->p : "-");
  if (!dst || imp_parse_addr(dst->p, dst->n, &dv, daddr))
    return FAIL("dst-ip \"%.*s\" is not an IP address", dst ? (int)dst->n : 1,
                dst ? dst->p : "-");
  if (sv != dv)
    return FAIL("src-ip and dst-ip are of different IP versions");
  if (!pr || imp_parse_proto(pr->p, pr->n, sv, &ev->proto))
    return FAIL("protocol \"%.*s\" is not a protocol", pr ? (int)pr->n : 1, pr ? pr->p : "-");
  uint16_t sport, dport;
  int hs, hd;
  if (port_of(val(r, PC_SRCPORT), &sport, &hs) || port_of(val(r, PC_DSTPORT), &dport, &hd))
    return FAIL("src-port or dst-port is not a port number");
  uint64_t pid;
  if (val(r, PC_PID) && imp_parse_uint(val(r, PC_PID)->p, val(r, PC_PID)->n, UINT32_MAX, &pid))
    return FAIL("pid \"%.*s\" is not a process id", (int)r->v[PC_PID]->n, r->v[PC_PID]->p);
  if (path && path->n == 4 && wl_strncasecmp(path->p, "SEND", 4) == 0)
    ev->dir = WL_DIR_OUT;
  else if (path && path->n == 7 && wl_strncasecmp(path->p, "RECEIVE", 7) == 0)
    ev->dir = WL_DIR_IN;
  ev->ip_version = sv;
  place(ev, saddr, sport, hs, daddr, dport, hd);
  return IMP_DELIVER;
}

static int tok_is(const tok *t, const char *word) {
  return t->n == strlen(word) && wl_strncasecmp(t->p, word, t->n) == 0;
}

static int tok_is_path(const tok *t) {
  return tok_is(t, "SEND") || tok_is(t, "RECEIVE") || tok_is(t, "FORWARD");
}

static int tok_is_number(const tok *t) {
  uint64_t v;
  return imp_parse_uint(t->p, t->n, UINT64_MAX, &v) == 0;
}

/* The shape of Windows 11's log (2025) when a line's columns do not match its header: the "-"
 * placeholders are left out, so a line is "date time action protocol src dst [sport dport
 * [size]] path [pid]" with path SEND/RECEIVE/FORWARD. Anchored on the path token: the six
 * columns before the ports are fixed, the one after path is pid. TCP and UDP must have both
 * ports (size may follow); for other protocols the columns between dst and path are not ports
 * and are ignored. An INFO-EVENTS-LOST line in this shape is "date time INFO-EVENTS-LOST N".
 * Returns IMP_DELIVER with r mapped, or IMP_MALFORMED (the caller says why). */
static int map_anchored(const tok *t, int n, pfirewall_rec *r) {
  memset(r, 0, sizeof *r);
  if (n >= 4 && n <= 5 && tok_is(&t[2], "INFO-EVENTS-LOST") && tok_is_number(&t[3])) {
    r->v[PC_DATE] = &t[0], r->v[PC_TIME] = &t[1], r->v[PC_ACTION] = &t[2];
    r->v[PC_INFO] = &t[3];
    return IMP_DELIVER;
  }
  int path = n - 1;
  if (path >= 6 && !tok_is_path(&t[path]))
    path--; /* a pid after the path */
  if (path < 6 || path > 9 || !tok_is_path(&t[path]) || (path < n - 1 && !tok_is_number(&t[n - 1])))
    return IMP_MALFORMED;
  const int order[6] = {PC_DATE, PC_TIME, PC_ACTION, PC_PROTO, PC_SRCIP, PC_DSTIP};
  for (int i = 0; i < 6; i++)
    r->v[order[i]] = &t[i];
  r->v[PC_PATH] = &t[path];
  if (path < n - 1)
    r->v[PC_PID] = &t[n - 1];
  int between = path - 6, ports = tok_is(&t[3], "TCP") || tok_is(&t[3], "UDP") ||
                                  tok_is(&t[3], "6") || tok_is(&t[3], "17");
  if (ports && between != 2 && between != 3)
    return IMP_MALFORMED; /* which column is which cannot be told */
  if (ports)
    r->v[PC_SRCPORT] = &t[6], r->v[PC_DSTPORT] = &t[7];
  return IMP_DELIVER;
}

/* Map the tokens of a data line to meanings; IMP_MALFORMED when the count is off and the line
 * is not in the shape without placeholders either (map_anchored). */
static int map_columns(imp_ctx *c, const tok *t, int n, pfirewall_rec *r, char *why, size_t cap) {
  const imp_pfirewall *h = &c->pfirewall;
  int want = h->ncols;
  if (!h->have_header && n == PFW_DEFAULT_MIN)
    want = PFW_DEFAULT_MIN; /* the default order without pid */
  if (n > PFIREWALL_MAX_COLS)
    return FAIL("more than %d columns", PFIREWALL_MAX_COLS);
  if (n != want && map_anchored(t, n, r) == IMP_DELIVER)
    return c->st->anchored++, IMP_DELIVER;
  if (n != want && h->have_header)
    return FAIL("%d columns, the #Fields: header names %d", n, want);
  if (n != want)
    return FAIL("%d columns, the default order has 17 (18 with pid)", n);
  memset(r, 0, sizeof *r);
  for (int i = 0; i < n; i++)
    if (h->cols[i] != PC_OTHER && !r->v[h->cols[i]])
      r->v[h->cols[i]] = &t[i];
  return IMP_DELIVER;
}

/* ALLOW / DROP → event type; INFO-EVENTS-LOST counted; others unsupported. */
static int action(imp_ctx *c, const pfirewall_rec *r, char *why, size_t cap) {
  const tok *a = val(r, PC_ACTION);
  if (!a)
    return FAIL("no action");
  if (a->n == 5 && wl_strncasecmp(a->p, "ALLOW", 5) == 0)
    return c->rec.ev.type = WL_EVT_ALLOW, IMP_DELIVER;
  if (a->n == 4 && wl_strncasecmp(a->p, "DROP", 4) == 0)
    return c->rec.ev.type = WL_EVT_DROP, IMP_DELIVER;
  if (a->n == 16 && wl_strncasecmp(a->p, "INFO-EVENTS-LOST", 16) == 0) {
    uint64_t lost = 0;
    const tok *info = val(r, PC_INFO);
    if (info && imp_parse_uint(info->p, info->n, UINT32_MAX, &lost) == 0)
      c->st->events_lost += lost;
    c->st->lost_lines++;
  }
  return IMP_UNSUPPORTED;
}

int imp_pfirewall_line(imp_ctx *c, const char *line, size_t len, uint64_t lineno) {
  if (header_line(c, line, len, lineno))
    return WL_OK;
  if (!c->pfirewall.ncols)
    use_default(c, lineno);
  uint64_t ord = imp_begin_record(c);
  uint64_t h = wl_fnv1a64(WL_FNV1A64_INIT, line, len);
  imp_file_identity(c, h);
  tok t[PFIREWALL_MAX_COLS];
  pfirewall_rec r;
  char why[160];
  wl_event_clear(&c->rec.ev);
  int n = split(line, len, t, PFIREWALL_MAX_COLS);
  int rc = map_columns(c, t, n, &r, why, sizeof why);
  if (rc == IMP_DELIVER)
    rc = action(c, &r, why, sizeof why);
  if (rc == IMP_DELIVER)
    rc = build(c, &r, why, sizeof why);
  if (rc == IMP_UNSUPPORTED) {
    imp_unsupported(c);
    return WL_OK;
  }
  if (rc == IMP_MALFORMED) {
    imp_malformed(c, lineno, "%s", why);
    return WL_OK;
  }
  c->rec.event_id = 0;
  c->rec.key = imp_key_content(c, ord, h);
  c->rec.line = lineno;
  c->rec.ordinal = ord;
  return imp_deliver(c);
}
