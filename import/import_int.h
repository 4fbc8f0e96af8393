/* import_int.h — private to import/import_*.c: the per-file context the format parsers share,
 * the Security-event field set that secjson and evtxml both fill, and the helpers of
 * import_core.c (problems, keys, hashing, delivery). Not part of any contract.
 */
#ifndef WL_IMPORT_INT_H
#define WL_IMPORT_INT_H

#include <stddef.h>
#include <stdint.h>

#include "common/wl_json.h"
#include "common/wl_err.h"
#include "import/import.h"

/* ---- Security-event fields, by meaning; both JSON names and <Data Name=...> map here ---- */
enum imp_field {
  F_EVENTID, F_TIME_EVENT, F_TIME_CREATED, F_TIME_GENERATED, F_TIME_UTC, F_RECEIVED,
  F_RECORD, F_COMPUTER, F_PID, F_APP, F_DIR, F_SRC, F_SPORT, F_DST, F_DPORT, F_PROTO,
  F_FILTER, F_LAYER, F_LAYERNAME, F_COUNT
};

typedef struct imp_sec {
  uint32_t set;                           /* bit per enum imp_field */
  uint32_t too_long;                      /* value was cut: malformed (app: truncated) */
  size_t len[F_COUNT];
  char v[F_COUNT][WL_IMPORT_VALUE_MAX];   /* F_APP lives in app[] instead */
  char app[WL_PATH_MAX];
} imp_sec;

/* Field for a JSON member / Data Name (case-insensitive), -1 when we do not use it. */
int imp_sec_field(const char *name, size_t len);
void imp_sec_clear(imp_sec *s);
/* Set or append (XML text arrives in pieces) a value, bounded. */
void imp_sec_append(imp_sec *s, int f, const char *val, size_t len);
const char *imp_sec_get(const imp_sec *s, int f); /* NULL when unset */

/* ---- per-file context ---- */
typedef struct imp_pfirewall {
  int cols[64];    /* column index → enum pfirewall_col (import_pfirewall.c) */
  int ncols;
  int have_header;
} imp_pfirewall;

typedef struct imp_ctx {
  const wl_import_opts *o;
  const char *name;
  wl_import_sink sink;
  void *sink_ctx;
  wl_import_stats *st;
  size_t line_max;
  uint64_t file_id;
  int have_file_id;
  int stop_rc;        /* the sink's error, ends the import */
  wl_import_rec rec;  /* scratch record */
  imp_sec sec;        /* scratch fields */
  wl_json_arena arena;
  imp_pfirewall pfirewall;
  void *xml;          /* import_evtxml.c's state */
} imp_ctx;

/* Outcome of building a record. */
enum { IMP_DELIVER = 0, IMP_MALFORMED = 1, IMP_UNSUPPORTED = 2 };

/* A record is malformed: count it, keep "NAME:LINE: reason" among the first few. */
void imp_malformed(imp_ctx *c, uint64_t line, const char *fmt, ...) WL_PRINTF(3, 4);
/* Something worth saying that is not a record (counted in notes, kept like a problem). */
void imp_note(imp_ctx *c, uint64_t line, const char *fmt, ...) WL_PRINTF(3, 4);
void imp_unsupported(imp_ctx *c);
/* A new record starts: counts it read and returns its ordinal. */
uint64_t imp_begin_record(imp_ctx *c);
/* The file identity comes from the first record: call with its raw bytes or content hash. */
void imp_file_identity(imp_ctx *c, uint64_t content_hash);
/* Hand c->rec (line and ordinal filled by the caller) to the sink; sets origin, counts. */
int imp_deliver(imp_ctx *c);

/* Keys (see import.h "Record identity"). */
uint64_t imp_key_record(const char *computer, uint64_t record, uint32_t event_id, uint64_t ts);
uint64_t imp_key_content(const imp_ctx *c, uint64_t ordinal, uint64_t content_hash);

/* Small parsers shared by the formats: decimal unsigned in [0, max]; protocol number or name
 * (ip_version picks ICMP vs ICMPv6 for "ICMP"); an address with an optional %zone. Return 0 or
 * -1 (no wl_err: the caller reports the field). */
int imp_parse_uint(const char *s, size_t len, uint64_t max, uint64_t *out);
int imp_parse_proto(const char *s, size_t len, uint8_t ip_version, uint8_t *out);
int imp_parse_addr(const char *s, size_t len, uint8_t *ip_version, uint8_t addr[16]);
/* Time: "…Z"/"…±HH:MM" exact; zone-less values are UTC minus *offset_min when offset_set.
 * Sets *had_zone. */
int imp_parse_time(const char *s, size_t len, int offset_set, int offset_min, uint64_t *ticks,
                   int *had_zone);
/* Fill c->rec.ev's app fields from a recorded application string ("-", "System", NT or DOS). */
void imp_set_app(imp_ctx *c, const char *app, size_t len, int truncated);

/* Security fields → c->rec (event, key, event_id). content_hash identifies the record when it
 * has no record number. Returns IMP_* and, for IMP_MALFORMED, a reason in why[cap]. */
int imp_sec_build(imp_ctx *c, uint64_t ordinal, uint64_t content_hash, char *why, size_t cap);

/* Format entry points. Line formats get one line (no '\n', '\r' stripped) at a time. */
int imp_secjson_line(imp_ctx *c, const char *line, size_t len, uint64_t lineno);
int imp_pfirewall_line(imp_ctx *c, const char *line, size_t len, uint64_t lineno);
int imp_xml_begin(imp_ctx *c);
/* Feed file bytes; at_line is the line number of data[0]. final: no more data follows. */
int imp_xml_feed(imp_ctx *c, const char *data, size_t n, uint64_t at_line, int final);
void imp_xml_end(imp_ctx *c);
/* A JSON record's EventData that is a string of Event XML (Log Analytics' SecurityEvent): its
 * <Data Name=...> values go into c->sec. Returns 0; 1 with why[cap] filled when it is not
 * well-formed XML; WL_E_NOMEM (wl_err set). */
int imp_xml_eventdata(imp_ctx *c, const char *xml, size_t len, char *why, size_t cap);

#endif
