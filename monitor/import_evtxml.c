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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/wl_err.h"
#include "monitor/import_int.h"

static const char root_open[] = "<wl-root>";
static const char root_close[] = "</wl-root>";
static const char event_tag[] = "<Event"; /* followed by space, '>' or '/' */
#define EVENT_TAG_LEN 6

enum { SECT_NONE, SECT_SYSTEM, SECT_DATA };

typedef struct imp_xml {
  XML_Parser p;
  imp_ctx *c;
  int active;        /* a segment is being parsed */
  int resync;        /* looking for the next "<Event" */
  int match;         /* bytes of "<Event" matched while resyncing */
  int decl_done;     /* the start of the file was checked for an XML declaration */
  int depth;         /* element depth; <wl-root> is 1 */
  int ev_depth;      /* depth of the open <Event>, 0 when none */
  int sect;          /* which child of <Event> we are in */
  int field;         /* enum imp_field receiving text, -1 none */
  int cb;            /* a handler ran during the current XML_Parse call */
  uint64_t quiet;    /* bytes fed since a handler last ran */
  uint64_t fed;      /* bytes given to the current segment's parser */
  uint64_t seg_line; /* file line of the segment's first byte */
  uint64_t ev_line, ev_ord;
} imp_xml;

static const char *local_name(const char *n) {
  const char *colon = strrchr(n, ':');
  return colon ? colon + 1 : n;
}

static uint64_t cur_line(const imp_xml *x) {
  return x->seg_line + (uint64_t)XML_GetCurrentLineNumber(x->p) - 1;
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
  uint64_t h = IMP_HASH_INIT;
  for (int f = 0; f < F_COUNT; f++) {
    const char *v = imp_sec_get(s, f);
    if (!v)
      continue;
    h = imp_hash_u64(h, (uint64_t)f);
    h = imp_hash(h, v, s->len[f] + 1);
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
  x->cb = 1;
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
  x->cb = 1;
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
  x->cb = 1;
  if (x->field >= 0 && len > 0)
    imp_sec_append(&x->c->sec, x->field, s, (size_t)len);
}

static void XMLCALL on_other(void *ud, const XML_Char *data) {
  ((imp_xml *)ud)->cb = 1; /* comments: progress, nothing to keep */
  (void)data;
}

/* ---------------------------------------------------------------- segments */

/* A fresh parse starting at a file line; the caller feeds the bytes after <wl-root>. */
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
  x->resync = 0;
  x->depth = x->ev_depth = 0;
  x->field = -1;
  x->quiet = 0;
  x->seg_line = line;
  x->fed = sizeof root_open - 1;
  if (XML_Parse(x->p, root_open, (int)(sizeof root_open - 1), XML_FALSE) != XML_STATUS_OK)
    return wl_err(WL_E_INTERNAL, "%s: expat rejected the wrapper element", x->c->name);
  return WL_OK;
}

/* The segment failed at `line`: count the open event, then look for the next "<Event". */
static void abandon(imp_xml *x, uint64_t line, const char *why) {
  imp_ctx *c = x->c;
  if (x->ev_depth)
    imp_malformed(c, x->ev_line, "XML error at line %llu: %s", (unsigned long long)line, why);
  else
    imp_note(c, line, "XML error: %s; skipped to the next <Event>", why);
  x->active = 0;
  x->resync = 1;
  x->match = 0;
  x->ev_depth = 0;
}

/* Scan data[*pos..n) for "<Event" + terminator. On a find, starts a segment at the '<' and
 * feeds the part of the tag that lay in the previous piece; *pos is then where to continue. */
static int find_event(imp_xml *x, const char *data, size_t n, size_t *pos, uint64_t at_line) {
  for (size_t i = *pos; i < n; i++) {
    char ch = data[i];
    if (x->match == EVENT_TAG_LEN) {
      if (ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n' || ch == '>' || ch == '/') {
        size_t here = i >= EVENT_TAG_LEN ? i - EVENT_TAG_LEN : 0;
        size_t carried = EVENT_TAG_LEN - (i - here); /* bytes of the tag in an earlier piece */
        uint64_t line = at_line;
        for (size_t k = 0; k < here; k++)
          line += data[k] == '\n';
        int rc = start_segment(x, line);
        if (rc == WL_OK && carried &&
            XML_Parse(x->p, event_tag, (int)carried, XML_FALSE) != XML_STATUS_OK)
          rc = wl_err(WL_E_INTERNAL, "%s: expat rejected \"<Event\"", x->c->name);
        x->fed += carried;
        *pos = here;
        return rc;
      }
      x->match = 0;
    }
    x->match = ch == event_tag[x->match] ? x->match + 1 : (ch == '<' ? 1 : 0);
  }
  *pos = n;
  return WL_OK;
}

/* Byte position in data where the parser stopped (clamped to [from, n]). */
static size_t error_pos(imp_xml *x, uint64_t fed_before, size_t from, size_t n) {
  XML_Index idx = XML_GetCurrentByteIndex(x->p);
  if (idx < 0 || (uint64_t)idx < fed_before)
    return from;
  uint64_t off = (uint64_t)idx - fed_before;
  return off > n - from ? n : from + (size_t)off;
}

/* Leading whitespace and an XML declaration, which may only come first and we put our root
 * before everything. Returns how many bytes to skip. */
static size_t skip_declaration(const char *data, size_t n) {
  size_t i = 0;
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

/* Parse data[*pos..n) in the active segment. */
static int feed_piece(imp_xml *x, const char *data, size_t n, size_t *pos) {
  uint64_t before = x->fed;
  size_t len = n - *pos;
  x->cb = 0;
  enum XML_Status st = XML_Parse(x->p, data + *pos, (int)len, XML_FALSE);
  x->fed += len;
  if (x->c->stop_rc)
    return x->c->stop_rc;
  if (st != XML_STATUS_OK) {
    enum XML_Error e = XML_GetErrorCode(x->p);
    uint64_t line = cur_line(x);
    *pos = error_pos(x, before, *pos, n);
    if (e == XML_ERROR_TAG_MISMATCH && x->depth == 1 && !x->ev_depth) {
      /* after a resync: the </Events> of a wrapper we skipped into; nothing is lost */
      x->active = 0;
      x->resync = 1;
      x->match = 0;
      return WL_OK;
    }
    abandon(x, line, XML_ErrorString(e));
    return WL_OK;
  }
  x->quiet = x->cb ? 0 : x->quiet + len;
  if (x->quiet > x->c->line_max) {
    char why[96];
    snprintf(why, sizeof why, "markup longer than %zu bytes", x->c->line_max);
    abandon(x, cur_line(x), why);
  }
  *pos = n;
  return WL_OK;
}

/* End of file: close our root; whatever is still open was cut off. */
static int finish_file(imp_xml *x) {
  imp_ctx *c = x->c;
  if (!x->active)
    return WL_OK;
  x->active = 0;
  if (XML_Parse(x->p, root_close, (int)(sizeof root_close - 1), XML_TRUE) == XML_STATUS_OK ||
      c->stop_rc)
    return c->stop_rc;
  const char *why = XML_ErrorString(XML_GetErrorCode(x->p));
  if (x->ev_depth)
    imp_malformed(c, x->ev_line, "the file ends inside this <Event> (%s: unclosed element)",
                  why);
  else
    imp_note(c, cur_line(x), "the file ends with an unclosed element (%s)", why);
  x->ev_depth = 0;
  return WL_OK;
}

int imp_xml_feed(imp_ctx *c, const char *data, size_t n, uint64_t at_line, int final) {
  imp_xml *x = c->xml;
  size_t pos = 0, min_resume = 0;
  int rc = WL_OK;
  if (!x->decl_done) {
    x->decl_done = 1;
    pos = skip_declaration(data, n);
    uint64_t line = at_line;
    for (size_t k = 0; k < pos; k++)
      line += data[k] == '\n';
    rc = start_segment(x, line);
  }
  while (rc == WL_OK && pos < n) {
    if (!x->active) {
      rc = find_event(x, data, n, &pos, at_line);
      min_resume = pos + 1; /* never restart at the same "<Event" */
      continue;
    }
    rc = feed_piece(x, data, n, &pos);
    if (!x->active && pos < min_resume)
      pos = min_resume;
  }
  if (rc == WL_OK && final)
    rc = finish_file(x);
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
  free(x);
  c->xml = NULL;
}
