/* import_core.c — what every importer shares: reading a file or buffer in bounded chunks
 * (BOM skipped, UTF-16LE converted to UTF-8 on the fly), cutting it into lines without ever
 * holding more than line_max bytes of one line, counting and reporting bad records, record keys,
 * progress on a terminal, and the wl_import_file / wl_import_buffer entry points that hand the
 * bytes to the format parsers (import_secjson.c, import_evtxml.c, import_pfirewall.c).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/wl_err.h"
#include "common/wl_hash.h"
#include "common/wl_os.h"
#include "common/wl_text.h"
#include "import/import_int.h"

int wl_import_format_parse(const char *s, int *format) {
  static const char *names[] = {"secjson", "evtxml", "pfirewall"};
  for (int i = 0; s && i < 3; i++)
    if (strcmp(s, names[i]) == 0) {
      *format = i + 1;
      return WL_OK;
    }
  return wl_err(WL_E_INVAL, "--format '%s': expected secjson, evtxml or pfirewall",
                s ? s : "");
}

const char *wl_import_format_name(int format) {
  switch (format) {
  case WL_IMPORT_SECJSON: return "secjson";
  case WL_IMPORT_EVTXML: return "evtxml";
  case WL_IMPORT_PFIREWALL: return "pfirewall";
  default: return "?";
  }
}

int wl_import_id_index(uint32_t event_id) {
  static const uint32_t ids[] = {5152, 5154, 5156, 5157, 5158, 0};
  for (int i = 0; i < 6; i++)
    if (ids[i] == event_id)
      return i;
  return -1;
}

/* ---------------------------------------------------------------- keys (FNV-1a 64 + fmix64) */

uint64_t imp_key_record(const char *computer, uint64_t record, uint32_t event_id, uint64_t ts) {
  uint64_t h = wl_fnv1a64(WL_FNV1A64_INIT, "R", 1);
  for (const char *p = computer; *p; p++) {
    char ch = (*p >= 'A' && *p <= 'Z') ? (char)(*p - 'A' + 'a') : *p;
    h = wl_fnv1a64(h, &ch, 1);
  }
  h = wl_fnv1a64(h, "", 1); /* separator: "ab"+1 differs from "a"+"b1" */
  h = wl_fnv1a64_u64(h, record);
  h = wl_fnv1a64_u64(h, event_id);
  h = wl_fnv1a64_u64(h, ts / WL_TICKS_PER_SEC);
  return wl_hash_mix64(h);
}

uint64_t imp_key_content(const imp_ctx *c, uint64_t ordinal, uint64_t content_hash) {
  uint64_t h = wl_fnv1a64(WL_FNV1A64_INIT, "C", 1);
  h = wl_fnv1a64_u64(h, c->file_id);
  h = wl_fnv1a64_u64(h, ordinal);
  h = wl_fnv1a64_u64(h, content_hash);
  return wl_hash_mix64(h);
}

void imp_file_identity(imp_ctx *c, uint64_t content_hash) {
  if (!c->have_file_id) {
    c->file_id = wl_hash_mix64(content_hash);
    c->have_file_id = 1;
  }
}

/* ---------------------------------------------------------------- counting and problems */

static void keep_problem(imp_ctx *c, uint64_t line, const char *fmt, va_list ap) {
  wl_import_stats *st = c->st;
  if (st->nproblems >= WL_IMPORT_PROBLEMS_MAX)
    return;
  char *p = st->problems[st->nproblems++];
  size_t cap = sizeof st->problems[0];
  int n = snprintf(p, cap, "%s:%llu: ", c->name, (unsigned long long)line);
  if (n > 0 && (size_t)n < cap)
    vsnprintf(p + n, cap - (size_t)n, fmt, ap);
}

void imp_malformed(imp_ctx *c, uint64_t line, const char *fmt, ...) {
  c->st->malformed++;
  c->st->skipped++;
  va_list ap;
  va_start(ap, fmt);
  keep_problem(c, line, fmt, ap);
  va_end(ap);
}

void imp_note(imp_ctx *c, uint64_t line, const char *fmt, ...) {
  c->st->notes++;
  va_list ap;
  va_start(ap, fmt);
  keep_problem(c, line, fmt, ap);
  va_end(ap);
}

void imp_unsupported(imp_ctx *c) {
  c->st->unsupported++;
  c->st->skipped++;
}

uint64_t imp_begin_record(imp_ctx *c) { return ++c->st->read; }

int imp_deliver(imp_ctx *c) {
  if (wl_event_ts_too_new(c->rec.ev.ts)) { /* event.h: WL_EVENT_FUTURE_TICKS */
    char t[WL_TIME_STR_MAX];
    wl_time_format(c->rec.ev.ts, t);
    imp_malformed(c, c->rec.line, "time %s is more than a day past this machine's clock: "
                  "skipped", t);
    return WL_OK;
  }
  c->rec.ev.origin = WL_ORIGIN_IMPORT;
  int idx = wl_import_id_index(c->rec.event_id);
  if (idx >= 0)
    c->st->by_id[idx]++;
  c->st->delivered++;
  int rc = c->sink ? c->sink(c->sink_ctx, &c->rec) : WL_OK;
  if (rc < 0)
    c->stop_rc = rc;
  return rc;
}

/* ---------------------------------------------------------------- reading */

typedef struct imp_src {
  FILE *f;
  const char *name; /* for messages */
  const unsigned char *mem;
  size_t mem_len, mem_pos;
  int started, utf16, have_odd;
  unsigned char odd;
  uint32_t hi; /* a high surrogate waiting for its partner */
  uint64_t bytes;
  unsigned char raw[WL_IMPORT_CHUNK];
} imp_src;

static int src_raw(imp_src *s, unsigned char *buf, size_t cap, size_t *n) {
  if (s->f) {
    *n = fread(buf, 1, cap, s->f);
    if (*n < cap && ferror(s->f))
      return wl_err(WL_E_IO, "%s: read error after %llu bytes", s->name,
                    (unsigned long long)s->bytes);
  } else {
    *n = s->mem_len - s->mem_pos < cap ? s->mem_len - s->mem_pos : cap;
    memcpy(buf, s->mem + s->mem_pos, *n);
    s->mem_pos += *n;
  }
  s->bytes += *n;
  return WL_OK;
}

/* UTF-16LE code units in b[0..n) (n even) → UTF-8; unpaired surrogates become U+FFFD. */
static size_t utf16_units(imp_src *s, const unsigned char *b, size_t n, char *out) {
  size_t o = 0;
  for (size_t i = 0; i + 1 < n; i += 2) {
    uint32_t u = (uint32_t)b[i] | (uint32_t)b[i + 1] << 8;
    if (s->hi) {
      if (u >= 0xDC00 && u <= 0xDFFF) {
        o += wl_utf8_encode(0x10000 + ((s->hi - 0xD800) << 10) + (u - 0xDC00), out + o);
        s->hi = 0;
        continue;
      }
      o += wl_utf8_encode(0xFFFD, out + o);
      s->hi = 0;
    }
    if (u >= 0xD800 && u <= 0xDBFF)
      s->hi = u;
    else
      o += wl_utf8_encode(u >= 0xDC00 && u <= 0xDFFF ? 0xFFFD : u, out + o);
  }
  return o;
}

/* UTF-16LE mode: read raw bytes and convert; *n == 0 at the end. */
static int src_utf16(imp_src *s, char *out, size_t cap, size_t *n) {
  size_t rawcap = ((cap - 8) * 2 / 3) & ~(size_t)1, got = 0;
  *n = 0;
  while (*n == 0) {
    size_t off = 0;
    if (s->have_odd)
      s->raw[off++] = s->odd;
    int rc = src_raw(s, s->raw + off, rawcap - off, &got);
    if (rc)
      return rc;
    got += off;
    s->have_odd = (got & 1) != 0;
    if (s->have_odd)
      s->odd = s->raw[got - 1];
    if (got < 2) { /* end: a lone byte or surrogate left over becomes U+FFFD */
      if (s->hi || s->have_odd)
        *n = wl_utf8_encode(0xFFFD, out);
      s->hi = 0;
      s->have_odd = 0;
      return WL_OK;
    }
    *n = utf16_units(s, s->raw, got & ~(size_t)1, out);
  }
  return WL_OK;
}

/* First read: look for a byte order mark in a piece small enough that either path fits out. */
static int src_first(imp_src *s, char *out, size_t cap, size_t *n) {
  size_t rawcap = ((cap - 8) * 2 / 3) & ~(size_t)1, got;
  s->started = 1;
  int rc = src_raw(s, s->raw, rawcap, &got);
  if (rc)
    return rc;
  const unsigned char *b = s->raw;
  if (got >= 2 && b[0] == 0xFE && b[1] == 0xFF)
    return wl_err(WL_E_UNSUPPORTED, "UTF-16BE text is not supported: save it as UTF-8");
  if (got >= 2 && b[0] == 0xFF && b[1] == 0xFE) {
    s->utf16 = 1;
    size_t rest = got - 2;
    s->have_odd = (rest & 1) != 0;
    if (s->have_odd)
      s->odd = b[got - 1];
    *n = utf16_units(s, b + 2, rest & ~(size_t)1, out); /* <= 1.5 × rawcap < cap */
    return *n ? WL_OK : src_utf16(s, out, cap, n);
  }
  size_t skip = (got >= 3 && b[0] == 0xEF && b[1] == 0xBB && b[2] == 0xBF) ? 3 : 0;
  memcpy(out, b + skip, got - skip);
  *n = got - skip;
  if (*n == 0 && got > 0) /* nothing but a BOM so far */
    return src_raw(s, (unsigned char *)out, cap, n);
  return WL_OK;
}

/* Next piece of UTF-8 text into out[0..cap) (cap >= 16); *n == 0 at the end. */
static int src_read(imp_src *s, char *out, size_t cap, size_t *n) {
  if (!s->started)
    return src_first(s, out, cap, n);
  if (s->utf16)
    return src_utf16(s, out, cap, n);
  return src_raw(s, (unsigned char *)out, cap, n);
}

/* ---------------------------------------------------------------- lines, progress, dispatch */

typedef struct imp_run {
  imp_ctx *c;
  imp_src *src;
  size_t chunk_cap;  /* bytes read at a time */
  uint64_t total;    /* file size for progress, 0 unknown */
  unsigned last_pct; /* last progress shown, 101 = none yet */
  char *chunk;       /* chunk_cap bytes */
  char *acc;         /* a line spanning chunks, up to line_max bytes */
  size_t acc_len, acc_cap;
  int too_long;      /* the current line passed line_max: skip to its end */
} imp_run;

static void show_progress(imp_run *r, int done) {
  FILE *f = r->c->o->progress;
  if (!f || r->total < WL_IMPORT_PROGRESS_MIN)
    return;
  uint64_t b = r->src->bytes > r->total ? r->total : r->src->bytes;
  unsigned pct = (unsigned)(b * 100 / r->total);
  if (pct == r->last_pct && !done)
    return;
  r->last_pct = pct;
  fprintf(f, "\r%s: %.1f / %.1f MB (%u%%)%s", r->c->name, (double)b / 1e6,
          (double)r->total / 1e6, pct, done ? "\n" : "");
  fflush(f);
}

/* One complete line: strip '\r', skip blank ones, hand the rest to the format. */
static int one_line(imp_run *r, const char *line, size_t len, uint64_t lineno) {
  imp_ctx *c = r->c;
  if (r->too_long) {
    r->too_long = 0;
    imp_begin_record(c);
    imp_malformed(c, lineno, "line too long (more than %zu bytes): skipped", c->line_max);
    return WL_OK;
  }
  if (len && line[len - 1] == '\r')
    len--;
  size_t i = 0;
  while (i < len && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r'))
    i++;
  if (i == len)
    return WL_OK;
  if (c->o->format == WL_IMPORT_PFIREWALL)
    return imp_pfirewall_line(c, line, len, lineno);
  return imp_secjson_line(c, line, len, lineno);
}

/* Keep a piece of a line that continues in the next chunk (or note that it is too long). */
static int keep_piece(imp_run *r, const char *p, size_t n) {
  if (r->too_long)
    return WL_OK;
  if (r->acc_len + n > r->c->line_max) {
    r->too_long = 1;
    r->acc_len = 0;
    return WL_OK;
  }
  if (r->acc_len + n > r->acc_cap) {
    size_t cap = r->acc_cap ? r->acc_cap : WL_IMPORT_CHUNK;
    while (cap < r->acc_len + n)
      cap *= 2;
    if (cap > r->c->line_max)
      cap = r->c->line_max;
    char *a = realloc(r->acc, cap);
    if (!a)
      return wl_err(WL_E_NOMEM, "%s: out of memory for a %zu-byte line", r->c->name, cap);
    r->acc = a;
    r->acc_cap = cap;
  }
  memcpy(r->acc + r->acc_len, p, n);
  r->acc_len += n;
  return WL_OK;
}

static int run_lines(imp_run *r) {
  uint64_t lineno = 1;
  size_t n;
  int rc;
  while ((rc = src_read(r->src, r->chunk, r->chunk_cap, &n)) == WL_OK && n > 0) {
    const char *p = r->chunk, *end = r->chunk + n;
    while (p < end && rc == WL_OK) {
      const char *nl = memchr(p, '\n', (size_t)(end - p));
      if (!nl) {
        rc = keep_piece(r, p, (size_t)(end - p));
        break;
      }
      if (r->acc_len == 0 && !r->too_long) {
        size_t len = (size_t)(nl - p);
        r->too_long = len > r->c->line_max;
        rc = one_line(r, p, len, lineno);
      } else if ((rc = keep_piece(r, p, (size_t)(nl - p))) == WL_OK) {
        rc = one_line(r, r->acc, r->acc_len, lineno);
        r->acc_len = 0;
      }
      lineno++;
      p = nl + 1;
      if (r->c->stop_rc)
        rc = r->c->stop_rc;
    }
    if (rc)
      return rc;
    show_progress(r, 0);
  }
  if (rc == WL_OK && (r->acc_len || r->too_long)) /* last line without '\n' */
    rc = one_line(r, r->acc, r->acc_len, lineno);
  if (rc == WL_OK && r->c->stop_rc)
    rc = r->c->stop_rc;
  return rc;
}

/* The XML declaration is looked for in the first 1024 bytes (import_evtxml.c, XML_DECL_MAX):
 * gather at least that much before the first feed, whatever the chunk size. */
#define XML_HEAD 1024

static int run_xml(imp_run *r) {
  uint64_t line = 1;
  size_t n = 0, got = 0;
  int rc = imp_xml_begin(r->c);
  while (rc == WL_OK && n < XML_HEAD &&
         (rc = src_read(r->src, r->chunk + n, r->chunk_cap, &got)) == WL_OK && got > 0)
    n += got; /* the buffer holds chunk_cap + XML_HEAD bytes */
  while (rc == WL_OK && n > 0) {
    rc = imp_xml_feed(r->c, r->chunk, n, line, 0);
    for (const char *p = r->chunk, *end = r->chunk + n;
         (p = memchr(p, '\n', (size_t)(end - p))) != NULL; p++)
      line++;
    show_progress(r, 0);
    if (rc == WL_OK)
      rc = src_read(r->src, r->chunk, r->chunk_cap, &n);
  }
  if (rc == WL_OK)
    rc = imp_xml_feed(r->c, "", 0, line, 1);
  imp_xml_end(r->c);
  return rc;
}

static int run(const wl_import_opts *o, const char *name, imp_src *src, uint64_t total,
               wl_import_sink sink, void *ctx, wl_import_stats *st) {
  int rc = WL_OK;
  imp_ctx *c = calloc(1, sizeof *c);
  imp_run r = {.c = c, .src = src, .total = total, .last_pct = 101};
  r.chunk_cap = o->chunk ? o->chunk : WL_IMPORT_CHUNK;
  if (!c || !(r.chunk = malloc(r.chunk_cap + XML_HEAD))) {
    rc = wl_err(WL_E_NOMEM, "%s: out of memory", name);
    goto out;
  }
  c->o = o;
  c->name = name;
  c->sink = sink;
  c->sink_ctx = ctx;
  c->st = st;
  c->line_max = o->line_max ? o->line_max : WL_IMPORT_LINE_MAX;
  if (o->format == WL_IMPORT_EVTXML)
    rc = run_xml(&r);
  else
    rc = run_lines(&r);
  show_progress(&r, 1);
  st->bytes += src->bytes;
out:
  if (rc && !wl_errmsg()[0])
    wl_err(rc, "%s: import stopped", name);
  if (c)
    wl_json_arena_free(&c->arena);
  free(r.acc);
  free(r.chunk);
  free(c);
  return rc;
}

static int check_opts(const wl_import_opts *o, wl_import_stats *st) {
  if (!o || !st)
    return wl_err(WL_E_INVAL, "import: no options or stats");
  if (o->format < WL_IMPORT_SECJSON || o->format > WL_IMPORT_PFIREWALL)
    return wl_err(WL_E_INVAL, "import: unknown format %d", o->format);
  if (o->chunk && (o->chunk < 16 || o->chunk > WL_IMPORT_CHUNK))
    return wl_err(WL_E_INVAL, "import: chunk %zu is outside 16..%u", o->chunk,
                  (unsigned)WL_IMPORT_CHUNK);
  if (o->line_max > WL_JSON_MAX_INPUT)
    return wl_err(WL_E_INVAL, "import: line_max %zu is above %u", o->line_max,
                  (unsigned)WL_JSON_MAX_INPUT);
  if (o->utc_offset_set && (o->utc_offset_min < -14 * 60 || o->utc_offset_min > 14 * 60))
    return wl_err(WL_E_INVAL, "import: UTC offset %d minutes is outside -14:00..+14:00",
                  o->utc_offset_min);
  return WL_OK;
}

int wl_import_buffer(const wl_import_opts *o, const char *name, const void *data, size_t len,
                     wl_import_sink sink, void *ctx, wl_import_stats *st) {
  int rc = check_opts(o, st);
  if (rc)
    return rc;
  imp_src *src = calloc(1, sizeof *src);
  if (!src)
    return wl_err(WL_E_NOMEM, "import: out of memory");
  src->mem = data;
  src->name = name ? name : "(buffer)";
  src->mem_len = data ? len : 0;
  rc = run(o, name ? name : "(buffer)", src, len, sink, ctx, st);
  free(src);
  return rc;
}

int wl_import_file(const wl_import_opts *o, const char *path, wl_import_sink sink, void *ctx,
                   wl_import_stats *st) {
  int rc = check_opts(o, st);
  if (rc)
    return rc;
  wl_file_id id = {0};
  if ((rc = wl_os_file_id(path, &id)) != WL_OK)
    return wl_err_prefix(rc, "cannot import");
  imp_src *src = calloc(1, sizeof *src);
  if (!src)
    return wl_err(WL_E_NOMEM, "import: out of memory");
  src->name = path;
  if ((rc = wl_os_fopen(path, "rb", &src->f)) != WL_OK) { /* UTF-8 name, also on Windows */
    wl_err_prefix(rc, "cannot import");
  } else {
    rc = run(o, path, src, id.size, sink, ctx, st);
    if (rc == WL_OK && ferror(src->f))
      rc = wl_err(WL_E_IO, "%s: read error", path);
    fclose(src->f);
  }
  free(src);
  return rc;
}
