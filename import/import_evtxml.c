/* import_evtxml.c — Windows Event XML (wevtutil qe Security /f:xml, evtxexport -f xml): many
 * <Event> elements, with or without an <Events> wrapper, read by expat as a stream.
 *
 * Why it is shaped so:
 *  - wevtutil writes <Event> elements back to back with no root, which is not one XML
 *    document. We open every parse with our own <wl-root> (and strip a leading XML
 *    declaration), so any number of top-level events parse as children; the final
 *    </wl-root> closes it.
 *  - expat stops at the first error. A bad element must not lose the rest of the file, so on an
 *    error we count the event it was in as malformed, then scan the raw bytes for the next
 *    "<Event" start tag and start a fresh parse (a new segment) there. An <Event> that starts
 *    while another is still open means the first one was never closed: that one is malformed.
 *  - Only the fields we use are kept, in the shared bounded field set (import_sec.c), so an
 *    event of any size costs the same memory. expat itself holds at most one unfinished token:
 *    when more than line_max bytes pass without any callback (a giant tag or attribute), the
 *    segment is abandoned the same way.
 *  - Element names are compared without a namespace prefix; no DTD is possible (anything
 *    before our root is stripped, a DOCTYPE inside it is an error), so no entity expansion.
 * Line numbers are absolute: each segment remembers the file line where it starts.
 */
#include <expat.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/wl_err.h"
#include "common/wl_hash.h"
#include "import/import_int.h"

static const char root_open[] = "<wl-root>";
static const char root_close[] = "</wl-root>";
static const char event_tag[] = "<Event"; /* followed by space, '>' or '/' */
#define EVENT_TAG_LEN 6

enum { SECT_NONE, SECT_SYSTEM, SECT_DATA };

typedef struct imp_xml {
  XML_Parser p;
  imp_ctx *c;
  int active;        /* a segment is being parsed */
  int match;         /* bytes of "<Event" matched while resyncing */
  int decl_done;     /* the start of the file was checked for an XML declaration */
  int nonblank;      /* the file has a byte other than whitespace */
  int depth;         /* element depth; <wl-root> is 1 */
  int ev_depth;      /* depth of the open <Event>, 0 when none */
  int sect;          /* which child of <Event> we are in */
  int field;         /* enum imp_field receiving text, -1 none */
  uint64_t fed;      /* bytes given to the current segment's parser (its byte index space) */
  uint64_t cb_idx;   /* byte index of the last token a handler saw */
  uint64_t ev_line, ev_ord;
  /* The bytes fed since cb_idx (what expat has not finished: an error lies in there), so a
   * resync can start right at the error even when it was detected a few pieces later.
   * Bounded: more than line_max of them abandons the segment. */
  char *hist;
  size_t hist_len, hist_cap;
  uint64_t hist_start; /* byte index of hist[0] */
  uint64_t lpos, lline; /* line lline starts at or before byte index lpos (counted by us, '\n'
                         * only, like the line formats; expat's own count also takes '\r') */
} imp_xml;

static const char *local_name(const char *n) {
  const char *colon = strrchr(n, ':');
  return colon ? colon + 1 : n;
}

/* A handler ran: everything before this token is done with. */
static void seen(imp_xml *x) {
  XML_Index i = XML_GetCurrentByteIndex(x->p);
  if (i > 0 && (uint64_t)i > x->cb_idx)
    x->cb_idx = (uint64_t)i;
}

/* File line of byte index idx (>= the last one asked; within the history). */
static uint64_t line_at(imp_xml *x, uint64_t idx) {
  if (idx <= x->lpos)
    return x->lline;
  size_t a = (size_t)(x->lpos - x->hist_start), b = (size_t)(idx - x->hist_start);
  if (b > x->hist_len)
    b = x->hist_len;
  for (size_t i = a; i < b; i++)
    x->lline += x->hist[i] == '\n';
  x->lpos = x->hist_start + b;
  return x->lline;
}

static uint64_t cur_line(imp_xml *x) {
  XML_Index i = XML_GetCurrentByteIndex(x->p);
  return line_at(x, i < 0 ? x->fed : (uint64_t)i);
}

static void trim(imp_sec *s, int f) {
  char *v = f == F_APP ? s->app : s->v[f];
  size_t n = s->len[f], i = 0;
  while (n && (v[n - 1] == ' ' || v[n - 1] == '\t' || v[n - 1] == '\r' || v[n - 1] == '\n'))
    n--;
  while (i < n && (v[i] == ' ' || v[i] == '\t' || v[i] == '\r' || v[i] == '\n'))
    i++;
  memmove(v, v + i, n - i);
  v[n - i] = '\0';
  s->len[f] = n - i;
}

/* The normalized content of an event: the fields we keep, in field order. */
static uint64_t content_hash(const imp_sec *s) {
  uint64_t h = WL_FNV1A64_INIT;
  for (int f = 0; f < F_COUNT; f++) {
    const char *v = imp_sec_get(s, f);
    if (!v)
      continue;
    h = wl_fnv1a64_u64(h, (uint64_t)f);
    h = wl_fnv1a64(h, v, s->len[f] + 1);
  }
  return h;
}

static void finish_event(imp_xml *x) {
  imp_ctx *c = x->c;
  char why[160] = "";
  uint64_t h = content_hash(&c->sec);
  imp_file_identity(c, h);
  x->ev_depth = 0;
  switch (imp_sec_build(c, x->ev_ord, h, why, sizeof why)) {
  case IMP_UNSUPPORTED:
    imp_unsupported(c);
    return;
  case IMP_MALFORMED:
    imp_malformed(c, x->ev_line, "%s", why);
    return;
  default:
    c->rec.line = x->ev_line;
    c->rec.ordinal = x->ev_ord;
    if (imp_deliver(c) < 0)
      XML_StopParser(x->p, XML_FALSE);
  }
}

static void begin_event(imp_xml *x) {
  imp_ctx *c = x->c;
  if (x->ev_depth) /* the previous <Event> never closed */
    imp_malformed(c, x->ev_line, "<Event> not closed before the next <Event> at line %llu",
                  (unsigned long long)cur_line(x));
  x->ev_ord = imp_begin_record(c);
  x->ev_line = cur_line(x);
  x->ev_depth = x->depth;
  x->sect = SECT_NONE;
  x->field = -1;
  imp_sec_clear(&c->sec);
}

static const char *attr(const XML_Char **atts, const char *name) {
  for (int i = 0; atts[i]; i += 2)
    if (strcmp(local_name(atts[i]), name) == 0)
      return atts[i + 1];
  return NULL;
}

/* Start receiving text for field f unless an earlier element already gave it. */
static void want_field(imp_xml *x, int f) {
  if (f >= 0 && !imp_sec_get(&x->c->sec, f)) {
    imp_sec_append(&x->c->sec, f, "", 0);
    x->field = f;
  }
}

static void system_child(imp_xml *x, const char *n, const XML_Char **atts) {
  if (strcmp(n, "EventID") == 0)
    want_field(x, F_EVENTID);
  else if (strcmp(n, "EventRecordID") == 0)
    want_field(x, F_RECORD);
  else if (strcmp(n, "Computer") == 0)
    want_field(x, F_COMPUTER);
  else if (strcmp(n, "TimeCreated") == 0) {
    const char *t = attr(atts, "SystemTime");
    if (t && !imp_sec_get(&x->c->sec, F_TIME_CREATED))
      imp_sec_append(&x->c->sec, F_TIME_CREATED, t, strlen(t));
  }
}

static void XMLCALL on_start(void *ud, const XML_Char *name, const XML_Char **atts) {
  imp_xml *x = ud;
  const char *n = local_name(name);
  seen(x);
  x->depth++;
  if (strcmp(n, "Event") == 0) {
    begin_event(x);
    return;
  }
  if (!x->ev_depth)
    return;
  int rel = x->depth - x->ev_depth;
  if (rel == 1)
    x->sect = strcmp(n, "System") == 0 ? SECT_SYSTEM : strcmp(n, "EventData") == 0 ? SECT_DATA
                                                                                   : SECT_NONE;
  else if (rel == 2 && x->sect == SECT_SYSTEM)
    system_child(x, n, atts);
  else if (rel == 2 && x->sect == SECT_DATA && strcmp(n, "Data") == 0) {
    const char *dn = attr(atts, "Name");
    if (dn)
      want_field(x, imp_sec_field(dn, strlen(dn)));
  }
}

static void XMLCALL on_end(void *ud, const XML_Char *name) {
  imp_xml *x = ud;
  (void)name;
  seen(x);
  if (x->field >= 0 && x->depth == x->ev_depth + 2) {
    trim(&x->c->sec, x->field);
    x->field = -1;
  }
  if (x->ev_depth && x->depth == x->ev_depth + 1)
    x->sect = SECT_NONE;
  if (x->ev_depth && x->depth == x->ev_depth)
    finish_event(x);
  x->depth--;
}

static void XMLCALL on_text(void *ud, const XML_Char *s, int len) {
  imp_xml *x = ud;
  seen(x);
  if (x->field >= 0 && len > 0)
    imp_sec_append(&x->c->sec, x->field, s, (size_t)len);
}

static void XMLCALL on_other(void *ud, const XML_Char *data) {
  seen(ud); /* comments: progress, nothing to keep */
  (void)data;
}

/* ---------------------------------------------------------------- EventData as a string */

/* Log Analytics' SecurityEvent table (Microsoft Learn, "Azure Monitor Logs reference -
 * SecurityEvent") documents TimeGenerated, Computer and EventID as columns but has no column for
 * Direction, SourceAddress, DestAddress, Protocol, FilterRTID or LayerRTID: those stay in the
 * EventData column, a string holding the event's <EventData><Data Name=...>...</Data> XML. One
 * small expat parse per record copies its Data elements into the field set (first spelling
 * wins, like every other source); a DOCTYPE stops it, so there is no entity expansion. */
typedef struct ed_parse {
  XML_Parser p;
  imp_sec *s;
  int depth, field;
} ed_parse;

static void XMLCALL ed_start(void *ud, const XML_Char *name, const XML_Char **atts) {
  ed_parse *e = ud;
  e->depth++;
  const char *dn = e->depth == 2 && strcmp(local_name(name), "Data") == 0 ? attr(atts, "Name")
                                                                         : NULL;
  int f = dn ? imp_sec_field(dn, strlen(dn)) : -1;
  if (f >= 0 && !imp_sec_get(e->s, f)) {
    imp_sec_append(e->s, f, "", 0);
    e->field = f;
  }
}

static void XMLCALL ed_end(void *ud, const XML_Char *name) {
  ed_parse *e = ud;
  (void)name;
  if (e->field >= 0)
    trim(e->s, e->field);
  e->field = -1;
  e->depth--;
}

static void XMLCALL ed_text(void *ud, const XML_Char *t, int len) {
  ed_parse *e = ud;
  if (e->field >= 0 && len > 0)
    imp_sec_append(e->s, e->field, t, (size_t)len);
}

static void XMLCALL ed_doctype(void *ud, const XML_Char *n, const XML_Char *sys,
                               const XML_Char *pub, int internal) {
  (void)n, (void)sys, (void)pub, (void)internal;
  XML_StopParser(((ed_parse *)ud)->p, XML_FALSE);
}

int imp_xml_eventdata(imp_ctx *c, const char *xml, size_t len, char *why, size_t cap) {
  ed_parse e = {.s = &c->sec, .field = -1};
  if (len > INT_MAX)
    return snprintf(why, cap, "EventData is longer than %d bytes", INT_MAX), 1;
  if (!(e.p = XML_ParserCreate("UTF-8")))
    return wl_err(WL_E_NOMEM, "%s: expat: out of memory", c->name);
  XML_SetUserData(e.p, &e);
  XML_SetElementHandler(e.p, ed_start, ed_end);
  XML_SetCharacterDataHandler(e.p, ed_text);
  XML_SetStartDoctypeDeclHandler(e.p, ed_doctype);
  int rc = 0;
  if (XML_Parse(e.p, xml, (int)len, XML_TRUE) != XML_STATUS_OK) {
    enum XML_Error err = XML_GetErrorCode(e.p);
    if (err == XML_ERROR_NO_MEMORY) { /* not the record's fault: stop, do not skip it */
      rc = wl_err(WL_E_NOMEM, "%s: expat: out of memory", c->name);
    } else {
      snprintf(why, cap, "EventData is not XML: %s",
               err == XML_ERROR_ABORTED ? "a DOCTYPE is not allowed" : XML_ErrorString(err));
      rc = 1;
    }
  }
  XML_ParserFree(e.p);
  return rc;
}

/* ---------------------------------------------------------------- segments */

static int reserve(imp_ctx *c, char **buf, size_t *cap, size_t need) {
  if (need <= *cap)
    return WL_OK;
  size_t n = *cap ? *cap : 4096;
  while (n < need)
    n *= 2;
  char *b = realloc(*buf, n);
  if (!b)
    return wl_err(WL_E_NOMEM, "%s: out of memory (XML history of %zu bytes)", c->name, n);
  *buf = b;
  *cap = n;
  return WL_OK;
}

/* Feed bytes to the segment's parser, keeping what expat has not finished in the history.
 * expat running out of memory is WL_E_NOMEM, never an error in the file (*st is for those). */
static int parse(imp_xml *x, const char *data, size_t n, int final, enum XML_Status *st) {
  if (x->cb_idx > x->hist_start) {
    size_t drop = x->cb_idx - x->hist_start > x->hist_len ? x->hist_len
                                                          : (size_t)(x->cb_idx - x->hist_start);
    line_at(x, x->hist_start + drop); /* count the lines of what is dropped */
    memmove(x->hist, x->hist + drop, x->hist_len - drop);
    x->hist_len -= drop;
    x->hist_start += drop;
  }
  int rc = reserve(x->c, &x->hist, &x->hist_cap, x->hist_len + n);
  if (rc)
    return rc;
  memcpy(x->hist + x->hist_len, data, n);
  x->hist_len += n;
  *st = XML_Parse(x->p, data, (int)n, final ? XML_TRUE : XML_FALSE);
  x->fed += n;
  if (*st == XML_STATUS_ERROR && XML_GetErrorCode(x->p) == XML_ERROR_NO_MEMORY)
    return wl_err(WL_E_NOMEM, "%s: expat: out of memory", x->c->name);
  return x->c->stop_rc;
}

/* A fresh parse starting at a file line, already inside our root element. */
static int start_segment(imp_xml *x, uint64_t line) {
  if (!x->p) {
    x->p = XML_ParserCreate("UTF-8");
    if (!x->p)
      return wl_err(WL_E_NOMEM, "%s: expat: out of memory", x->c->name);
  } else if (!XML_ParserReset(x->p, "UTF-8")) {
    return wl_err(WL_E_NOMEM, "%s: expat: cannot reset the parser", x->c->name);
  }
  XML_SetUserData(x->p, x);
  XML_SetElementHandler(x->p, on_start, on_end);
  XML_SetCharacterDataHandler(x->p, on_text);
  XML_SetCommentHandler(x->p, on_other);
  x->active = 1;
  x->depth = x->ev_depth = 0;
  x->field = -1;
  x->lline = line;
  x->fed = x->cb_idx = x->hist_start = x->lpos = 0;
  x->hist_len = 0;
  enum XML_Status st;
  int rc = parse(x, root_open, sizeof root_open - 1, 0, &st);
  if (rc == WL_OK && st != XML_STATUS_OK)
    rc = wl_err(WL_E_INTERNAL, "%s: expat rejected the wrapper element", x->c->name);
  x->cb_idx = x->fed;
  return rc;
}

/* The segment is given up: count the open event as malformed, or note the error. */
static void abandon(imp_xml *x, uint64_t line, const char *why) {
  imp_ctx *c = x->c;
  if (x->ev_depth)
    imp_malformed(c, x->ev_line, "XML error at line %llu: %s", (unsigned long long)line, why);
  else
    imp_note(c, line, "XML error: %s; skipped to the next <Event>", why);
  x->active = 0;
  x->match = 0;
  x->ev_depth = 0;
}

/* "<Event" ended just before data[i]: start a segment at its '<' (feeding the part of the tag
 * that lay in an earlier piece) and set *pos there. */
static int event_found(imp_xml *x, const char *data, size_t i, size_t *pos, uint64_t at_line) {
  size_t here = i >= EVENT_TAG_LEN ? i - EVENT_TAG_LEN : 0;
  size_t carried = EVENT_TAG_LEN - (i - here); /* bytes of the tag in an earlier piece */
  uint64_t line = at_line;
  for (size_t k = 0; k < here; k++)
    line += data[k] == '\n';
  enum XML_Status st = XML_STATUS_OK;
  int rc = start_segment(x, line);
  if (rc == WL_OK && carried)
    rc = parse(x, event_tag, carried, 0, &st);
  if (rc == WL_OK && st != XML_STATUS_OK)
    rc = wl_err(WL_E_INTERNAL, "%s: expat rejected \"<Event\"", x->c->name);
  *pos = here;
  return rc;
}

/* Scan data[*pos..n) for "<Event" + terminator; on a find, see event_found. */
static int find_event(imp_xml *x, const char *data, size_t n, size_t *pos, uint64_t at_line) {
  for (size_t i = *pos; i < n; i++) {
    char ch = data[i];
    if (x->match == EVENT_TAG_LEN) {
      if (ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n' || ch == '>' || ch == '/')
        return event_found(x, data, i, pos, at_line);
      x->match = 0;
    }
    x->match = ch == event_tag[x->match] ? x->match + 1 : (ch == '<' ? 1 : 0);
  }
  *pos = n;
  return WL_OK;
}

typedef struct salvage {
  char *buf; /* malloc'd: the bytes after an error, to scan for the next <Event> */
  size_t len;
  uint64_t line; /* file line of buf[0] */
} salvage;

/* After an error at the parser's current position: report it, then keep the unparsed bytes
 * from there on (minus `drop_tail` bytes of our own closing tag) for a rescan. */
static int fail_segment(imp_xml *x, size_t drop_tail, salvage *sv) {
  enum XML_Error e = XML_GetErrorCode(x->p);
  XML_Index at = XML_GetCurrentByteIndex(x->p);
  uint64_t idx = at < 0 || (uint64_t)at < x->hist_start ? x->hist_start : (uint64_t)at;
  uint64_t line = line_at(x, idx);
  /* after a resync into a wrapper: its closing tag; nothing is lost */
  int quiet = e == XML_ERROR_TAG_MISMATCH && x->depth == 1 && !x->ev_depth;
  int at_end = drop_tail && idx + drop_tail >= x->fed;
  if (at_end && x->ev_depth) {
    imp_malformed(x->c, x->ev_line, "the file ends inside this <Event> (%s: unclosed element)",
                  XML_ErrorString(e));
    quiet = 1;
  } else if (at_end) {
    imp_note(x->c, line, "the file ends with an unclosed element (%s)", XML_ErrorString(e));
    quiet = 1;
  }
  if (!quiet)
    abandon(x, line, XML_ErrorString(e));
  x->active = 0;
  x->match = 0;
  x->ev_depth = 0;
  /* never restart at the '<' this segment began with */
  uint64_t from = idx < sizeof root_open ? sizeof root_open : idx;
  size_t off = from - x->hist_start > x->hist_len ? x->hist_len : (size_t)(from - x->hist_start);
  size_t end = x->hist_len > drop_tail ? x->hist_len - drop_tail : 0;
  sv->len = end > off ? end - off : 0;
  sv->line = line_at(x, x->hist_start + off);
  sv->buf = malloc(sv->len ? sv->len : 1);
  if (!sv->buf)
    return wl_err(WL_E_NOMEM, "%s: out of memory", x->c->name);
  memcpy(sv->buf, x->hist + off, sv->len);
  return WL_OK;
}

/* Parse (or, between segments, scan) one buffer of file bytes starting at file line `line`.
 * An error turns the rest of what expat had into a salvaged buffer that is scanned next. */
static int feed_buffer(imp_xml *x, const char *data, size_t n, uint64_t line) {
  salvage sv = {0};
  char *owned = NULL;
  size_t pos = 0;
  int rc = WL_OK;
  while (rc == WL_OK && pos < n) {
    if (!x->active) {
      rc = find_event(x, data, n, &pos, line);
      continue;
    }
    enum XML_Status st;
    if ((rc = parse(x, data + pos, n - pos, 0, &st)) != WL_OK)
      break;
    pos = n;
    if (st != XML_STATUS_OK) {
      if ((rc = fail_segment(x, 0, &sv)) != WL_OK)
        break;
      free(owned);
      owned = sv.buf;
      data = sv.buf, n = sv.len, line = sv.line, pos = 0;
    } else if (x->fed - x->cb_idx > x->c->line_max) {
      char why[96];
      snprintf(why, sizeof why, "markup longer than %zu bytes", x->c->line_max);
      abandon(x, cur_line(x), why); /* the giant token is skipped, not rescanned */
    }
  }
  free(owned);
  return rc;
}

/* End of file: close our root; an error then is either the file ending inside an element or a
 * real error in the last bytes expat held, after which there may still be an <Event>. */
static int finish_file(imp_xml *x) {
  int rc = WL_OK;
  while (rc == WL_OK && x->active) {
    enum XML_Status st;
    salvage sv = {0};
    if ((rc = parse(x, root_close, sizeof root_close - 1, 1, &st)) != WL_OK ||
        st == XML_STATUS_OK)
      break;
    if ((rc = fail_segment(x, sizeof root_close - 1, &sv)) == WL_OK)
      rc = feed_buffer(x, sv.buf, sv.len, sv.line);
    free(sv.buf);
  }
  x->active = 0;
  return rc;
}

/* Leading whitespace and an XML declaration, which may only come first and we put our root
 * before everything; looked for in the first XML_DECL_MAX bytes (import_core.c gathers at least
 * that much before the first feed, so the result does not depend on the read size). Returns
 * how many bytes to skip. */
#define XML_DECL_MAX 1024
static size_t skip_declaration(const char *data, size_t n) {
  size_t i = 0;
  if (n > XML_DECL_MAX)
    n = XML_DECL_MAX;
  while (i < n && (data[i] == ' ' || data[i] == '\t' || data[i] == '\r' || data[i] == '\n'))
    i++;
  if (n - i < 6 || memcmp(data + i, "<?xml", 5) != 0 ||
      !(data[i + 5] == ' ' || data[i + 5] == '\t' || data[i + 5] == '\r' || data[i + 5] == '\n'))
    return i;
  for (size_t k = i + 5; k + 1 < n; k++)
    if (data[k] == '?' && data[k + 1] == '>')
      return k + 2;
  return i; /* unterminated: let expat complain */
}

int imp_xml_feed(imp_ctx *c, const char *data, size_t n, uint64_t at_line, int final) {
  imp_xml *x = c->xml;
  int rc = WL_OK;
  for (size_t k = 0; k < n && !x->nonblank; k++)
    x->nonblank = !(data[k] == ' ' || data[k] == '\t' || data[k] == '\r' || data[k] == '\n');
  if (!x->decl_done) {
    x->decl_done = 1;
    size_t skip = skip_declaration(data, n);
    for (size_t k = 0; k < skip; k++)
      at_line += data[k] == '\n';
    data += skip, n -= skip;
    rc = start_segment(x, at_line);
  }
  if (rc == WL_OK)
    rc = feed_buffer(x, data, n, at_line);
  if (rc == WL_OK && final)
    rc = finish_file(x);
  if (rc == WL_OK && final && x->nonblank && c->st->read == 0) /* issue 18 (Low): said, not 0s */
    imp_note(c, 1, "no <Event> element in the whole file: not an Event XML export (wevtutil qe "
             "Security /f:xml, or Event Viewer's \"Save as XML\")");
  return rc;
}

int imp_xml_begin(imp_ctx *c) {
  imp_xml *x = calloc(1, sizeof *x);
  if (!x)
    return wl_err(WL_E_NOMEM, "%s: out of memory", c->name);
  x->c = c;
  x->field = -1;
  c->xml = x;
  return WL_OK;
}

void imp_xml_end(imp_ctx *c) {
  imp_xml *x = c ? c->xml : NULL;
  if (!x)
    return;
  if (x->p)
    XML_ParserFree(x->p);
  free(x->hist);
  free(x);
  c->xml = NULL;
}
