/* import_sec.c — the meaning of a Security-log WFP record, shared by the JSON-lines and the
 * Event XML importers: field names (in any collector's spelling) → enum imp_field, and a filled
 * field set → wl_event with the mapping, required fields and time rules documented in
 * import/import.h. Values are kept as bounded text until here, because both formats deliver
 * text ("5156", "%%14593") and the checks should be the same for both.
 */
#include <string.h>

#include "common/wl_err.h"
#include "common/wl_text.h"
#include "import/import_int.h"

#define FN(name, field) {name, sizeof name - 1, field}
static const struct {
  const char *name;
  size_t len;
  int field;
} field_names[] = {
    FN("EventID", F_EVENTID),           FN("event_id", F_EVENTID),
    FN("EventTime", F_TIME_EVENT),      FN("TimeCreated", F_TIME_CREATED),
    FN("TimeGenerated", F_TIME_GENERATED), FN("@timestamp", F_TIME_UTC),
    FN("EventReceivedTime", F_RECEIVED), FN("RecordNumber", F_RECORD),
    FN("EventRecordID", F_RECORD),      FN("record_id", F_RECORD),
    FN("Hostname", F_COMPUTER),         FN("Computer", F_COMPUTER),
    FN("computer_name", F_COMPUTER),    FN("ProcessId", F_PID),
    FN("Application", F_APP),           FN("Direction", F_DIR),
    FN("SourceAddress", F_SRC),         FN("SourcePort", F_SPORT),
    FN("DestAddress", F_DST),           FN("DestinationAddress", F_DST),
    FN("DestPort", F_DPORT),            FN("DestinationPort", F_DPORT),
    FN("Protocol", F_PROTO),            FN("Protocol_string", F_PROTO),
    FN("FilterRTID", F_FILTER),         FN("LayerRTID", F_LAYER),
    FN("LayerName", F_LAYERNAME),
};
#undef FN

/* How each field is named in messages. */
static const char *const field_label[F_COUNT] = {
    "EventID", "EventTime", "TimeCreated", "TimeGenerated", "@timestamp", "EventReceivedTime",
    "RecordNumber", "Computer", "ProcessId", "Application", "Direction", "SourceAddress",
    "SourcePort", "DestAddress", "DestPort", "Protocol", "FilterRTID", "LayerRTID", "LayerName"};

int imp_sec_field(const char *name, size_t len) {
  for (size_t i = 0; i < sizeof field_names / sizeof field_names[0]; i++)
    if (field_names[i].len == len && wl_strncasecmp(name, field_names[i].name, len) == 0)
      return field_names[i].field;
  return -1;
}

void imp_sec_clear(imp_sec *s) {
  s->set = 0;
  s->too_long = 0;
}

void imp_sec_append(imp_sec *s, int f, const char *val, size_t len) {
  char *buf = f == F_APP ? s->app : s->v[f];
  size_t cap = f == F_APP ? sizeof s->app : sizeof s->v[0];
  if (!(s->set & (1u << f))) {
    s->set |= 1u << f;
    s->len[f] = 0;
  }
  size_t room = cap - 1 - s->len[f];
  if (len > room) {
    s->too_long |= 1u << f;
    len = room;
  }
  memcpy(buf + s->len[f], val, len);
  s->len[f] += len;
  buf[s->len[f]] = '\0';
}

const char *imp_sec_get(const imp_sec *s, int f) {
  if (!(s->set & (1u << f)))
    return NULL;
  return f == F_APP ? s->app : s->v[f];
}

/* ---------------------------------------------------------------- small parsers */

int imp_parse_uint(const char *s, size_t len, uint64_t max, uint64_t *out) {
  uint64_t v = 0;
  if (!len || len > 20)
    return -1;
  for (size_t i = 0; i < len; i++) {
    if (s[i] < '0' || s[i] > '9')
      return -1;
    unsigned d = (unsigned)(s[i] - '0');
    if (v > (UINT64_MAX - d) / 10)
      return -1;
    v = v * 10 + d;
  }
  if (v > max)
    return -1;
  *out = v;
  return 0;
}

int imp_parse_proto(const char *s, size_t len, uint8_t ip_version, uint8_t *out) {
  static const struct {
    const char *name;
    uint8_t v4, v6;
  } names[] = {{"TCP", 6, 6},     {"UDP", 17, 17},  {"ICMP", 1, 58}, {"ICMPv6", 58, 58},
               {"IGMP", 2, 2},    {"GRE", 47, 47},  {"ESP", 50, 50}, {"AH", 51, 51},
               {"IPv6", 41, 41},  {"SCTP", 132, 132}};
  uint64_t v;
  if (imp_parse_uint(s, len, 255, &v) == 0) {
    *out = (uint8_t)v;
    return 0;
  }
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
    if (strlen(names[i].name) == len && wl_strncasecmp(s, names[i].name, len) == 0) {
      *out = ip_version == 6 ? names[i].v6 : names[i].v4; /* ICMP over IPv6 is ICMPv6 */
      return 0;
    }
  return -1;
}

int imp_parse_addr(const char *s, size_t len, uint8_t *ip_version, uint8_t addr[16]) {
  const char *pct = memchr(s, '%', len); /* fe80::1%12: the zone is not part of the address */
  if (pct && memchr(s, ':', len))
    len = (size_t)(pct - s);
  return wl_addr_parse(s, len, ip_version, addr) == WL_OK ? 0 : -1;
}

int imp_parse_time(const char *s, size_t len, int offset_set, int offset_min, uint64_t *ticks,
                   int *had_zone) {
  uint64_t t;
  if (wl_time_parse(s, len, &t) != WL_OK)
    return -1;
  /* "YYYY-MM-DDTHH:MM:SS" is 19 bytes; a zone can only follow it. */
  int zone = len > 19 && (s[len - 1] == 'Z' || s[len - 1] == 'z');
  for (size_t i = 19; i < len && !zone; i++)
    zone = s[i] == '+' || s[i] == '-';
  *had_zone = zone;
  if (!zone && offset_set) {
    int64_t shift = (int64_t)offset_min * 60 * (int64_t)WL_TICKS_PER_SEC;
    if (shift > 0 && t < (uint64_t)shift)
      return -1;
    t = (uint64_t)((int64_t)t - shift);
  }
  *ticks = t;
  return 0;
}

/* ---------------------------------------------------------------- application */

static int is_dos_path(const char *p) {
  int letter = (p[0] >= 'A' && p[0] <= 'Z') || (p[0] >= 'a' && p[0] <= 'z');
  return (letter && p[1] == ':' && (p[2] == '\\' || p[2] == '/')) ||
         (p[0] == '\\' && p[1] == '\\');
}

void imp_set_app(imp_ctx *c, const char *app, size_t len, int truncated) {
  wl_event *ev = &c->rec.ev;
  const char *nul = memchr(app, '\0', len); /* JSON may carry \u0000: the path ends there */
  if (nul)
    len = (size_t)(nul - app);
  if (len == 0 || (len == 1 && app[0] == '-'))
    return; /* no application (5152 packet drops, pfirewall) */
  if (len >= sizeof ev->app) {
    len = sizeof ev->app - 1;
    truncated = 1;
  }
  memcpy(ev->app, app, len);
  ev->app[len] = '\0';
  ev->has |= WL_HAS_APP | (truncated ? WL_HAS_APP_TRUNC : 0);
  if (is_dos_path(ev->app)) {
    wl_strlcpy(ev->app_dos, ev->app, sizeof ev->app_dos);
    char nt[WL_PATH_MAX];
    if (wl_path_to_nt(c->o->paths, ev->app_dos, nt, sizeof nt) == 1)
      wl_strlcpy(ev->app, nt, sizeof ev->app);
  } else if (ev->app[0] == '\\') {
    if (wl_path_to_dos(c->o->paths, ev->app, ev->app_dos, sizeof ev->app_dos) != 1)
      ev->app_dos[0] = '\0';
  }
}

/* ---------------------------------------------------------------- record → event */

#define FAIL(...) (snprintf(why, cap, __VA_ARGS__), IMP_MALFORMED)
#define V(f) imp_sec_get(s, (f))
#define L(f) (s->len[(f)])

/* The record's time in UTC (see import.h "Time"). */
static int sec_time(imp_ctx *c, uint64_t *ts, char *why, size_t cap) {
  const imp_sec *s = &c->sec;
  static const int order[] = {F_TIME_EVENT, F_TIME_CREATED, F_TIME_GENERATED, F_TIME_UTC};
  int f = -1, zone;
  for (size_t i = 0; i < 4 && f < 0; i++)
    if (V(order[i]))
      f = order[i];
  if (f < 0)
    return FAIL("no timestamp (EventTime, TimeCreated or TimeGenerated)");
  if (imp_parse_time(V(f), L(f), c->o->utc_offset_set, c->o->utc_offset_min, ts, &zone))
    return FAIL("%s \"%.40s\" is not a time", field_label[f], V(f));
  if (zone || c->o->utc_offset_set || !V(F_RECEIVED) || !V(F_TIME_UTC))
    return IMP_DELIVER;
  /* NXLog: EventReceivedTime is on the same local clock, @timestamp is UTC a moment later. */
  uint64_t recv, utc;
  int rz, uz;
  if (imp_parse_time(V(F_RECEIVED), L(F_RECEIVED), 0, 0, &recv, &rz) || rz ||
      imp_parse_time(V(F_TIME_UTC), L(F_TIME_UTC), 0, 0, &utc, &uz) || !uz)
    return IMP_DELIVER;
  const int64_t quarter = 15 * 60 * (int64_t)WL_TICKS_PER_SEC;
  int64_t diff = (int64_t)recv - (int64_t)utc;
  int64_t off = (diff >= 0 ? (diff + quarter / 2) : (diff - quarter / 2)) / quarter * quarter;
  if (off <= 56 * quarter && off >= -56 * quarter && (int64_t)*ts > off)
    *ts = (uint64_t)((int64_t)*ts - off);
  return IMP_DELIVER;
}

static int sec_direction(const char *v, size_t n, uint8_t *dir) {
  static const char *const in[] = {"%%14592", "14592", "Inbound", "In"};
  static const char *const out[] = {"%%14593", "14593", "Outbound", "Out"};
  for (int i = 0; i < 4; i++) {
    if (strlen(in[i]) == n && wl_strncasecmp(v, in[i], n) == 0)
      return *dir = WL_DIR_IN, 0;
    if (strlen(out[i]) == n && wl_strncasecmp(v, out[i], n) == 0)
      return *dir = WL_DIR_OUT, 0;
  }
  return -1;
}

/* ALE layer ids (FWPS_BUILTIN_LAYERS, fwpsk.h) from the LayerName message codes. */
static int layer_from_name(const char *v, uint8_t ipv, uint16_t *layer) {
  static const struct {
    const char *code;
    uint16_t v4;
  } ale[] = {{"%%14608", 36}, {"%%14609", 40}, {"%%14610", 44}, {"%%14611", 48}};
  for (int i = 0; i < 4; i++)
    if (strcmp(v, ale[i].code) == 0 && (ipv == 4 || ipv == 6)) {
      *layer = (uint16_t)(ale[i].v4 + (ipv == 6 ? 2 : 0)); /* v6 is the v4 id + 2 */
      return 0;
    }
  return -1;
}

/* One address and its port. */
static int sec_endpoint(const imp_sec *s, int fa, int fp, uint8_t *ipv, uint8_t addr[16],
                        uint16_t *port, int *has_port, char *why, size_t cap) {
  uint8_t v;
  if (imp_parse_addr(V(fa), L(fa), &v, addr))
    return FAIL("%s \"%.60s\" is not an IP address", field_label[fa], V(fa));
  if (*ipv && v != *ipv)
    return FAIL("SourceAddress and DestAddress are of different IP versions");
  *ipv = v;
  uint64_t p;
  *has_port = V(fp) != NULL;
  if (*has_port && imp_parse_uint(V(fp), L(fp), 65535, &p))
    return FAIL("%s \"%.40s\" is not a port number", field_label[fp], V(fp));
  *port = *has_port ? (uint16_t)p : 0;
  return IMP_DELIVER;
}

/* Addresses and ports, placed by direction. */
static int sec_addresses(imp_ctx *c, int connection, char *why, size_t cap) {
  const imp_sec *s = &c->sec;
  wl_event *ev = &c->rec.ev;
  uint8_t ipv = 0, src[16], dst[16] = {0};
  uint16_t sport = 0, dport = 0;
  int hs = 0, hd = 0, rc;
  if (!V(F_SRC))
    return FAIL("no SourceAddress");
  if (connection && !V(F_DST))
    return FAIL("no DestAddress");
  if ((rc = sec_endpoint(s, F_SRC, F_SPORT, &ipv, src, &sport, &hs, why, cap)) != IMP_DELIVER)
    return rc;
  /* listen / bind carry no direction: only the local side (Source*) exists */
  int two_sided = V(F_DST) && ev->dir != WL_DIR_UNKNOWN;
  if (two_sided &&
      (rc = sec_endpoint(s, F_DST, F_DPORT, &ipv, dst, &dport, &hd, why, cap)) != IMP_DELIVER)
    return rc;
  int in = two_sided && ev->dir == WL_DIR_IN;
  ev->ip_version = ipv;
  ev->has |= WL_HAS_IP_VERSION | WL_HAS_LOCAL_ADDR;
  memcpy(ev->local_addr, in ? dst : src, 16);
  if (in ? hd : hs)
    ev->has |= WL_HAS_LOCAL_PORT, ev->local_port = in ? dport : sport;
  if (!two_sided)
    return IMP_DELIVER;
  ev->has |= WL_HAS_REMOTE_ADDR;
  memcpy(ev->remote_addr, in ? src : dst, 16);
  if (in ? hs : hd)
    ev->has |= WL_HAS_REMOTE_PORT, ev->remote_port = in ? sport : dport;
  return IMP_DELIVER;
}

/* Protocol, filter, layer, process id. */
static int sec_numbers(imp_ctx *c, char *why, size_t cap) {
  const imp_sec *s = &c->sec;
  wl_event *ev = &c->rec.ev;
  uint64_t v;
  if (!V(F_PROTO))
    return FAIL("no Protocol");
  if (imp_parse_proto(V(F_PROTO), L(F_PROTO), ev->ip_version, &ev->proto))
    return FAIL("Protocol \"%.40s\" is not a protocol number or name", V(F_PROTO));
  ev->has |= WL_HAS_PROTO;
  if (V(F_FILTER) && imp_parse_uint(V(F_FILTER), L(F_FILTER), UINT64_MAX, &v))
    return FAIL("FilterRTID \"%.40s\" is not a number", V(F_FILTER));
  if (V(F_FILTER) && v)
    ev->has |= WL_HAS_FILTER, ev->filter_id = v;
  if (V(F_LAYER)) {
    if (imp_parse_uint(V(F_LAYER), L(F_LAYER), 65535, &v))
      return FAIL("LayerRTID \"%.40s\" is not a layer id", V(F_LAYER));
    ev->has |= WL_HAS_LAYER, ev->layer_id = (uint16_t)v;
  } else if (V(F_LAYERNAME) && layer_from_name(V(F_LAYERNAME), ev->ip_version, &ev->layer_id) == 0) {
    ev->has |= WL_HAS_LAYER;
  }
  if (V(F_PID) && imp_parse_uint(V(F_PID), L(F_PID), UINT32_MAX, &v))
    return FAIL("ProcessId \"%.40s\" is not a process id", V(F_PID));
  return IMP_DELIVER;
}

static int sec_key(imp_ctx *c, uint64_t ordinal, uint64_t content_hash, char *why, size_t cap) {
  const imp_sec *s = &c->sec;
  uint64_t recno;
  if (V(F_RECORD) && imp_parse_uint(V(F_RECORD), L(F_RECORD), UINT64_MAX, &recno))
    return FAIL("RecordNumber \"%.40s\" is not a number", V(F_RECORD));
  if (V(F_RECORD) && V(F_COMPUTER) && L(F_COMPUTER))
    c->rec.key = imp_key_record(V(F_COMPUTER), recno, c->rec.event_id, c->rec.ev.ts);
  else
    c->rec.key = imp_key_content(c, ordinal, content_hash);
  return IMP_DELIVER;
}

int imp_sec_build(imp_ctx *c, uint64_t ordinal, uint64_t content_hash, char *why, size_t cap) {
  const imp_sec *s = &c->sec;
  wl_event *ev = &c->rec.ev;
  wl_event_clear(ev);
  c->rec.key = 0;
  c->rec.event_id = 0;
  uint64_t id;
  if (!V(F_EVENTID))
    return FAIL("no EventID");
  if (imp_parse_uint(V(F_EVENTID), L(F_EVENTID), UINT32_MAX, &id))
    return FAIL("EventID \"%.40s\" is not a number", V(F_EVENTID));
  c->rec.event_id = (uint32_t)id;
  int connection = id == 5152 || id == 5156 || id == 5157;
  if (!connection && id != 5154 && id != 5158)
    return IMP_UNSUPPORTED;
  uint32_t cut = s->too_long & ~(1u << F_APP);
  for (int f = 0; f < F_COUNT; f++)
    if (cut & (1u << f))
      return FAIL("%s is longer than %d bytes", field_label[f], WL_IMPORT_VALUE_MAX - 1);
  ev->type = (id == 5157 || id == 5152) ? WL_EVT_DROP : WL_EVT_ALLOW;
  int rc = sec_time(c, &ev->ts, why, cap);
  if (rc != IMP_DELIVER)
    return rc;
  if (V(F_DIR)) {
    if (sec_direction(V(F_DIR), L(F_DIR), &ev->dir))
      return FAIL("Direction \"%.40s\" is neither %%%%14592 (inbound) nor %%%%14593 (outbound)",
                  V(F_DIR));
    ev->has |= WL_HAS_DIR;
  } else if (connection) {
    return FAIL("no Direction");
  }
  if ((rc = sec_addresses(c, connection, why, cap)) != IMP_DELIVER ||
      (rc = sec_numbers(c, why, cap)) != IMP_DELIVER)
    return rc;
  if (V(F_APP))
    imp_set_app(c, V(F_APP), L(F_APP), (s->too_long >> F_APP) & 1);
  return sec_key(c, ordinal, content_hash, why, cap);
}
