/* wl_json.c — strict RFC 8259 reader into a chunked arena (the writers: wl_json_write.c).
 *
 * Every format wfplearn reads is JSON lines, so parsing is on the hot path of imports and
 * replays: one recursive-descent pass, no per-node malloc (nodes, keys, unescaped strings and
 * number texts are carved from arena chunks that double in size), and everything bounded:
 * input <= WL_JSON_MAX_INPUT, nesting <= WL_JSON_MAX_DEPTH, arena <= WL_JSON_ARENA_MAX. A reset
 * coalesces the chunks into one, so a loop over lines settles into zero allocations.
 * Strings must be valid UTF-8 (RFC 8259 section 8.1); \u escapes decode surrogate pairs and
 * turn lone surrogates into U+FFFD. Numbers keep their text so 64-bit integers stay exact;
 * the integer readers also accept strings ("5156", "0x10") because Security logs quote them.
 * Strings are scanned a block at a time (SSE2 or SWAR, see first_special) and one-level objects
 * of scalars have a tree-less reader, wl_json_parse_flat, for the replay reader's hot path.
 * The lookups and number conversions on a parsed tree: wl_json_get.c.
 */
#include "common/wl_json.h"
#include "common/wl_json_int.h"

#include <stdlib.h>
#include <string.h>

#include "common/wl_err.h"
#include "common/wl_text.h"

#define WL_JSON_CHUNK_MIN 4096u
#define WL_JSON_ARENA_MAX (1024u * 1024 * 1024) /* all chunks of one arena together */

typedef struct chunk {
  struct chunk *prev; /* older, smaller chunk */
  size_t size;        /* usable bytes after the header */
  size_t total;       /* sum of sizes of this chunk and all older ones */
} chunk;

#define CHUNK_HDR ((sizeof(chunk) + 15u) & ~(size_t)15u)

/* ---------------------------------------------------------------- arena */

static void free_chain(chunk *c) {
  while (c) {
    chunk *p = c->prev;
    free(c);
    c = p;
  }
}

/* Keeps one chunk as large as everything the last document used, so the next similar
 * document needs no allocation at all. */
void wl_json_arena_reset(wl_json_arena *a) {
  if (!a)
    return;
  chunk *c = a->chunks;
  if (c && c->prev) {
    size_t total = c->total;
    free_chain(c);
    c = malloc(CHUNK_HDR + total); /* may fail: the next alloc simply starts over */
    if (c) {
      c->prev = NULL;
      c->size = c->total = total;
    }
    a->chunks = c;
  }
  a->cap = c ? c->size : 0;
  a->used = 0;
}

void wl_json_arena_free(wl_json_arena *a) {
  if (!a)
    return;
  free_chain(a->chunks);
  a->chunks = NULL;
  a->used = a->cap = 0;
}

/* A new chunk at least twice as large as the current one, holding n (aligned) bytes. */
static void *arena_grow(wl_json_arena *a, size_t n) {
  chunk *c = a->chunks;
  size_t total = c ? c->total : 0;
  size_t size = c ? c->size * 2 : WL_JSON_CHUNK_MIN;
  while (size < n)
    size *= 2;
  if (total + size > WL_JSON_ARENA_MAX || size > WL_JSON_ARENA_MAX)
    return NULL;
  chunk *nc = malloc(CHUNK_HDR + size);
  if (!nc)
    return NULL;
  nc->prev = c;
  nc->size = size;
  nc->total = total + size;
  a->chunks = nc;
  a->used = n;
  a->cap = size;
  return (char *)nc + CHUNK_HDR;
}

/* n bytes aligned to 16 from the current chunk, or from a new one. */
static inline void *arena_alloc(wl_json_arena *a, size_t n) {
  n = (n + 15u) & ~(size_t)15u;
  if (!a->chunks || a->cap - a->used < n)
    return arena_grow(a, n);
  void *p = (char *)a->chunks + CHUNK_HDR + a->used;
  a->used += n;
  return p;
}

/* ---------------------------------------------------------------- parser state */

typedef struct parser {
  wl_json_arena *a;
  const unsigned char *s, *end, *p;
  wl_json_error *err;
  int rc; /* first error */
} parser;

static int fail_at(parser *ps, const unsigned char *at, int code, const char *reason) {
  if (ps->rc)
    return ps->rc;
  ps->rc = code;
  size_t col = (size_t)(at - ps->s) + 1;
  if (ps->err) {
    ps->err->column = col;
    snprintf(ps->err->reason, sizeof ps->err->reason, "%s", reason);
  }
  return wl_err(code, "JSON column %u: %s", (unsigned)col, reason);
}

static int fail(parser *ps, const char *reason) {
  return fail_at(ps, ps->p, WL_E_PARSE, reason);
}

static int nomem(parser *ps) {
  return fail_at(ps, ps->p, WL_E_NOMEM, "out of memory (arena limit reached)");
}

static inline void skip_ws(parser *ps) {
  if (ps->p < ps->end && *ps->p > ' ')
    return; /* the usual case: no whitespace at all */
  while (ps->p < ps->end &&
         (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r'))
    ps->p++;
}

static wl_json *new_node(parser *ps, wl_json_type t) {
  wl_json *v = arena_alloc(ps->a, sizeof *v);
  if (!v) {
    nomem(ps);
    return NULL;
  }
  memset(v, 0, sizeof *v);
  v->type = t;
  return v;
}

/* ---------------------------------------------------------------- strings */

static int hex4(const unsigned char *p, unsigned *out) {
  unsigned v = 0;
  for (int i = 0; i < 4; i++) {
    unsigned c = p[i], d;
    if (c >= '0' && c <= '9')
      d = c - '0';
    else if (c >= 'a' && c <= 'f')
      d = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F')
      d = c - 'A' + 10;
    else
      return -1;
    v = v * 16 + d;
  }
  *out = v;
  return 0;
}

/* Length of the valid UTF-8 sequence at p (RFC 3629: no overlongs, no surrogates,
 * <= U+10FFFF), or 0 if invalid or cut short by end. */
size_t wl_json_utf8_len(const unsigned char *p, const unsigned char *end) {
  unsigned c = p[0];
  size_t n;
  unsigned lo = 0x80, hi = 0xBF;
  if (c < 0x80)
    return 1;
  if (c >= 0xC2 && c <= 0xDF)
    n = 2;
  else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    if (c == 0xE0)
      lo = 0xA0;
    else if (c == 0xED)
      hi = 0x9F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    if (c == 0xF0)
      lo = 0x90;
    else if (c == 0xF4)
      hi = 0x8F;
  } else
    return 0;
  if ((size_t)(end - p) < n || p[1] < lo || p[1] > hi)
    return 0;
  for (size_t i = 2; i < n; i++)
    if ((p[i] & 0xC0) != 0x80)
      return 0;
  return n;
}

/* One escape after the backslash at ps->p; appends UTF-8 to *o. */
static int parse_escape(parser *ps, unsigned char **o) {
  const unsigned char *bs = ps->p;
  if (ps->end - ps->p < 2)
    return fail(ps, "unterminated string");
  unsigned char c = ps->p[1], to = 0;
  switch (c) {
  case '"': case '\\': case '/': to = c; break;
  case 'b': to = '\b'; break;
  case 'f': to = '\f'; break;
  case 'n': to = '\n'; break;
  case 'r': to = '\r'; break;
  case 't': to = '\t'; break;
  default: break;
  }
  if (to) {
    *(*o)++ = to;
    ps->p += 2;
    return 0;
  }
  if (c != 'u')
    return fail_at(ps, bs, WL_E_PARSE, "invalid escape in string");
  unsigned cp, lo;
  if (ps->end - ps->p < 6 || hex4(ps->p + 2, &cp))
    return fail_at(ps, bs, WL_E_PARSE, "\\u needs four hex digits");
  ps->p += 6;
  if (cp >= 0xD800 && cp <= 0xDBFF && ps->end - ps->p >= 6 && ps->p[0] == '\\' &&
      ps->p[1] == 'u' && !hex4(ps->p + 2, &lo) && lo >= 0xDC00 && lo <= 0xDFFF) {
    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
    ps->p += 6;
  } else if (cp >= 0xD800 && cp <= 0xDFFF) {
    cp = 0xFFFD; /* lone surrogate */
  }
  *o += wl_utf8_encode(cp, (char *)*o);
  return 0;
}

/* Block-at-a-time scanning: a byte of a string is "plain" when it is not '"', not '\\', not a
 * control character and ASCII, i.e. copied as it is. first_special() gives the index of the
 * first byte of a BLK-byte block that is not plain (BLK when all are): 16 bytes with SSE2
 * (every x86-64), else 8 bytes as one word (SWAR) on a little-endian machine: the mask sets
 * the high bit of every byte that is not plain, exactly for the lowest such byte (a borrow only
 * reaches the bytes above a real hit), so its lowest set bit names it. Other machines read
 * 1-byte blocks. WL_JSON_BLOCK=16|8|1 forces one (test_json_strings_8 and _1 run the others). */
#if !defined(WL_JSON_BLOCK)
#if defined(__SSE2__)
#define WL_JSON_BLOCK 16
#elif defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define WL_JSON_BLOCK 8
#else
#define WL_JSON_BLOCK 1
#endif
#endif
static inline int plain(unsigned char c) {
  return c >= 0x20 && c < 0x80 && c != '"' && c != '\\';
}

#if WL_JSON_BLOCK == 16
#include <emmintrin.h>
#define BLK 16
static inline size_t first_special(const unsigned char *p) {
  __m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
  __m128i sp = _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('"')),
                            _mm_cmpeq_epi8(v, _mm_set1_epi8('\\')));
  /* signed: bytes >= 0x80 are negative, so below 0x20 as the control characters are */
  sp = _mm_or_si128(sp, _mm_cmplt_epi8(v, _mm_set1_epi8(0x20)));
  unsigned m = (unsigned)_mm_movemask_epi8(sp);
  return m ? (size_t)__builtin_ctz(m) : BLK;
}
#elif WL_JSON_BLOCK == 8
#define BLK 8
#define ONES 0x0101010101010101ull
#define HIGHS 0x8080808080808080ull
static inline uint64_t haszero8(uint64_t w) { return (w - ONES) & ~w & HIGHS; }
static inline size_t first_special(const unsigned char *p) {
  uint64_t w;
  memcpy(&w, p, 8);
  uint64_t m = haszero8(w ^ (ONES * '"')) | haszero8(w ^ (ONES * '\\')) |
               ((w - ONES * 0x20) & ~w & HIGHS) | (w & HIGHS);
  return m ? (size_t)(__builtin_ctzll(m) >> 3) : BLK;
}
#else
#define BLK 1
static inline size_t first_special(const unsigned char *p) { return plain(*p) ? 1 : 0; }
#endif

/* End of the plain run starting at p (p itself when *p is special, end when none). */
static inline const unsigned char *plain_run(const unsigned char *p, const unsigned char *end) {
  while ((size_t)(end - p) >= BLK) {
    size_t k = first_special(p);
    if (k < BLK)
      return p + k;
    p += BLK;
  }
  while (p < end && plain(*p))
    p++;
  return p;
}

const unsigned char *wl_json_plain_run(const unsigned char *p, const unsigned char *end) {
  return plain_run(p, end);
}

void *wl_json_arena_alloc(wl_json_arena *a, size_t n) { return arena_alloc(a, n); }

/* Parses the string at ps->p (opening quote) into the arena; NUL-terminated. */
static int parse_string(parser *ps, const char **out, size_t *out_len, int *has_nul) {
  const unsigned char *q = plain_run(ps->p + 1, ps->end);
  int simple = q < ps->end && *q == '"'; /* only plain bytes: one copy */
  /* The unescaped form is never longer than the raw text (\uXXXX=6 bytes -> <=3,
   * a pair of 12 -> 4; U+FFFD from 6 -> 3). Scan to the closing quote to size it. */
  while (q < ps->end && *q != '"') {
    q += (*q == '\\' && q + 1 < ps->end) ? 2 : 1;
    q = plain_run(q, ps->end);
  }
  if (q >= ps->end)
    return fail(ps, "unterminated string");
  /* BLK bytes of slack: the copy below stores whole blocks, the last one possibly reaching up
   * to BLK - 1 bytes past the closing quote's place. */
  unsigned char *buf = arena_alloc(ps->a, (size_t)(q - ps->p) + BLK);
  if (!buf)
    return nomem(ps);
  unsigned char *o = buf;
  const unsigned char *p = ps->p + 1;
  int nul = 0; /* a \u0000 was unescaped */
  if (simple) { /* short ones as one fixed-size block copy (buf has BLK bytes of slack) */
    size_t n = (size_t)(q - p);
    if (n <= BLK && (size_t)(ps->end - p) >= BLK)
      memcpy(o, p, BLK);
    else
      memcpy(o, p, n);
    o += n;
    p = q;
  }
  while (p != q) {
    /* Copy a block, then keep only its plain bytes; p stays at or before the closing quote,
     * and o never runs ahead of p - (opening quote + 1), so o + BLK stays inside buf. */
    while ((size_t)(ps->end - p) >= BLK) {
      memcpy(o, p, BLK);
      size_t k = first_special(p);
      o += k;
      p += k;
      if (k < BLK)
        break;
    }
    while (plain(*p)) /* the closing quote stops it */
      *o++ = *p++;
    unsigned char c = *p;
    if (c == '"')
      break;
    /* p < q here, so p[1] is still inside the text */
    if (c == '\\' && (p[1] == '\\' || p[1] == '"' || p[1] == '/')) { /* paths: "\\" */
      *o++ = p[1];
      p += 2;
      continue;
    }
    ps->p = p;
    if (c == '\\') {
      if (parse_escape(ps, &o))
        return ps->rc;
      nul |= o[-1] == 0; /* a code point's last byte is 0 only for U+0000 itself */
    } else if (c < 0x20) {
      return fail(ps, "control character in string (must be escaped)");
    } else {
      size_t n = wl_json_utf8_len(p, ps->end);
      if (!n)
        return fail(ps, "invalid UTF-8 in string");
      memcpy(o, p, n);
      o += n;
      ps->p += n;
    }
    p = ps->p;
  }
  ps->p = p + 1;
  *o = 0;
  *out = (const char *)buf;
  *out_len = (size_t)(o - buf);
  if (has_nul) /* only an escape makes one: a raw control byte is refused above */
    *has_nul = nul;
  return 0;
}

/* ---------------------------------------------------------------- numbers, literals */

/* Scans a JSON number at p; returns its length, or 0 with *why set. */
size_t wl_json_scan_number(const unsigned char *p, const unsigned char *end, const char **why,
                           const unsigned char **at) {
  const unsigned char *st = p;
#define DIGITS(q) \
  do {            \
    while ((q) < end && *(q) >= '0' && *(q) <= '9') \
      (q)++;      \
  } while (0)
  const unsigned char *q;
  if (p < end && *p == '-')
    p++;
  if (p < end && *p == '0') {
    p++;
    if (p < end && *p >= '0' && *p <= '9')
      return *at = p, *why = "leading zeros are not allowed in numbers", 0;
  } else {
    q = p;
    DIGITS(p);
    if (p == q)
      return *at = p, *why = "expected a digit", 0;
  }
  if (p < end && *p == '.') {
    q = ++p;
    DIGITS(p);
    if (p == q)
      return *at = p, *why = "expected a digit after '.'", 0;
  }
  if (p < end && (*p == 'e' || *p == 'E')) {
    p++;
    if (p < end && (*p == '+' || *p == '-'))
      p++;
    q = p;
    DIGITS(p);
    if (p == q)
      return *at = p, *why = "expected a digit in the exponent", 0;
  }
#undef DIGITS
  return (size_t)(p - st);
}

static int parse_number(parser *ps, wl_json *v) {
  const char *why = NULL;
  const unsigned char *at = ps->p;
  size_t n = wl_json_scan_number(ps->p, ps->end, &why, &at);
  if (!n)
    return fail_at(ps, at, WL_E_PARSE, why);
  char *t = arena_alloc(ps->a, n + 1);
  if (!t)
    return nomem(ps);
  memcpy(t, ps->p, n);
  t[n] = 0;
  ps->p += n;
  v->str = t;
  v->len = n;
  return 0;
}

static int parse_literal(parser *ps, const char *word, size_t n) {
  if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, word, n))
    return fail(ps, "invalid literal (expected true, false or null)");
  ps->p += n;
  return 0;
}

/* ---------------------------------------------------------------- values */

static int parse_value(parser *ps, wl_json **out, unsigned depth);

/* "key" and ':' of an object member. */
static int parse_key(parser *ps, const char **key, size_t *key_len) {
  if (ps->p >= ps->end || *ps->p != '"')
    return fail(ps, "expected a string key");
  if (parse_string(ps, key, key_len, NULL))
    return ps->rc;
  skip_ws(ps);
  if (ps->p >= ps->end || *ps->p != ':')
    return fail(ps, "expected ':' after key");
  ps->p++;
  return 0;
}

static int parse_container(parser *ps, wl_json *v, unsigned depth) {
  int is_obj = v->type == WL_JSON_OBJECT;
  char close = is_obj ? '}' : ']';
  wl_json **tail = &v->child;
  ps->p++;
  skip_ws(ps);
  if (ps->p < ps->end && *ps->p == close) {
    ps->p++;
    return 0;
  }
  for (;;) {
    const char *key = NULL;
    size_t key_len = 0;
    wl_json *item;
    if (is_obj && parse_key(ps, &key, &key_len))
      return ps->rc;
    if (parse_value(ps, &item, depth + 1))
      return ps->rc;
    item->key = key;
    item->key_len = key_len;
    *tail = item;
    tail = &item->next;
    v->len++;
    skip_ws(ps);
    if (ps->p < ps->end && *ps->p == ',') {
      ps->p++;
      skip_ws(ps);
      continue;
    }
    if (ps->p < ps->end && *ps->p == close) {
      ps->p++;
      return 0;
    }
    return fail(ps, is_obj ? "expected ',' or '}' in object" : "expected ',' or ']' in array");
  }
}

static int parse_value(parser *ps, wl_json **out, unsigned depth) {
  skip_ws(ps);
  if (ps->p >= ps->end)
    return fail(ps, "unexpected end of input (expected a value)");
  unsigned char c = *ps->p;
  wl_json_type t;
  switch (c) {
  case '{': t = WL_JSON_OBJECT; break;
  case '[': t = WL_JSON_ARRAY; break;
  case '"': t = WL_JSON_STRING; break;
  case 't': t = WL_JSON_TRUE; break;
  case 'f': t = WL_JSON_FALSE; break;
  case 'n': t = WL_JSON_NULL; break;
  default:
    if (c == '-' || (c >= '0' && c <= '9')) {
      t = WL_JSON_NUMBER;
      break;
    }
    return fail(ps, "unexpected character (expected a value)");
  }
  wl_json *v = new_node(ps, t);
  if (!v)
    return ps->rc;
  *out = v;
  switch (t) {
  case WL_JSON_OBJECT:
  case WL_JSON_ARRAY:
    if (depth > WL_JSON_MAX_DEPTH)
      return fail(ps, "nesting deeper than WL_JSON_MAX_DEPTH");
    return parse_container(ps, v, depth);
  case WL_JSON_STRING: return parse_string(ps, &v->str, &v->len, &v->has_nul);
  case WL_JSON_NUMBER: return parse_number(ps, v);
  case WL_JSON_TRUE: return parse_literal(ps, "true", 4);
  case WL_JSON_FALSE: return parse_literal(ps, "false", 5);
  default: return parse_literal(ps, "null", 4);
  }
}

int wl_json_parse(wl_json_arena *a, const char *text, size_t len, const wl_json **out,
                  wl_json_error *err) {
  if (err) {
    err->column = 0;
    err->reason[0] = 0;
  }
  if (!a || !out || (!text && len))
    return wl_err(WL_E_INVAL, "wl_json_parse: NULL argument");
  *out = NULL;
  const unsigned char *s = (const unsigned char *)(text ? text : "");
  parser ps = {a, s, s + len, s, err, 0};
  if (len > WL_JSON_MAX_INPUT)
    return fail_at(&ps, s + WL_JSON_MAX_INPUT, WL_E_TOOBIG,
                   "document longer than WL_JSON_MAX_INPUT");
  wl_json *root;
  if (parse_value(&ps, &root, 1))
    return ps.rc;
  skip_ws(&ps);
  if (ps.p != ps.end)
    return fail(&ps, "unexpected data after the value");
  *out = root;
  return WL_OK;
}

/* ---------------------------------------------------------------- flat objects */

/* One scalar value at ps->p (after whitespace) into v. 0, or nonzero for anything else. */
static int flat_value(parser *ps, wl_json *v) {
  skip_ws(ps);
  if (ps->p >= ps->end)
    return 1;
  memset(v, 0, sizeof *v);
  switch (*ps->p) {
  case '"': v->type = WL_JSON_STRING; return parse_string(ps, &v->str, &v->len, &v->has_nul);
  case 't': v->type = WL_JSON_TRUE; return parse_literal(ps, "true", 4);
  case 'f': v->type = WL_JSON_FALSE; return parse_literal(ps, "false", 5);
  case 'n': v->type = WL_JSON_NULL; return parse_literal(ps, "null", 4);
  default:
    if (*ps->p == '-' || (*ps->p >= '0' && *ps->p <= '9')) {
      v->type = WL_JSON_NUMBER;
      return parse_number(ps, v);
    }
    return 1; /* a nested value, or an error */
  }
}

const unsigned char *wl_json_raw_close(const unsigned char *open, const unsigned char *end) {
  const unsigned char *q = open + 1;
  for (;;) {
    q = memchr(q, '"', (size_t)(end - q));
    if (!q)
      return NULL;
    const unsigned char *b = q;
    while (b > open + 1 && b[-1] == '\\')
      b--;
    if (((q - b) & 1) == 0)
      return q;
    q++; /* an escaped quote */
  }
}

/* A string at ps->p left raw (wl_json.raw): the closing quote found, nothing checked. */
static int flat_raw(parser *ps, wl_json *v) {
  const unsigned char *q = wl_json_raw_close(ps->p, ps->end);
  if (!q)
    return 1;
  memset(v, 0, sizeof *v);
  v->type = WL_JSON_STRING;
  v->str = (const char *)ps->p + 1;
  v->len = (size_t)(q - (ps->p + 1));
  v->raw = 1;
  ps->p = q + 1;
  return 0;
}

int wl_json_unescape(wl_json_arena *a, const wl_json *v, const char **out, size_t *out_len,
                     int *has_nul) {
  if (!a || !v || !v->raw || !v->str)
    return wl_err(WL_E_INVAL, "wl_json_unescape: not a raw string");
  const unsigned char *open = (const unsigned char *)v->str - 1;
  parser ps = {a, open, open + v->len + 2, open, NULL, 0};
  if (parse_string(&ps, out, out_len, has_nul))
    return ps.rc ? ps.rc : WL_E_PARSE;
  return ps.p == ps.end ? WL_OK : WL_E_PARSE; /* the quote flat_raw found closes it */
}

int wl_json_parse_flat(wl_json_arena *a, const char *text, size_t len,
                       int (*slot_of)(const char *key, size_t n), wl_json *nodes,
                       const wl_json **found, size_t nslots) {
  return wl_json_parse_flat_raw(a, text, len, slot_of, nodes, found, nslots, 0);
}

int wl_json_parse_flat_raw(wl_json_arena *a, const char *text, size_t len,
                           int (*slot_of)(const char *key, size_t n), wl_json *nodes,
                           const wl_json **found, size_t nslots, uint32_t raw_slots) {
  if (!a || !text || !slot_of || len > WL_JSON_MAX_INPUT)
    return 1;
  const unsigned char *s = (const unsigned char *)text;
  parser ps = {a, s, s + len, s, NULL, 0};
  memset(found, 0, nslots * sizeof *found);
  skip_ws(&ps);
  if (ps.p >= ps.end || *ps.p != '{')
    return 1;
  ps.p++;
  skip_ws(&ps);
  if (ps.p < ps.end && *ps.p == '}') {
    ps.p++;
  } else {
    for (;;) {
      if (ps.p >= ps.end || *ps.p != '"')
        return 1;
      const unsigned char *k = ps.p + 1, *q = plain_run(k, ps.end);
      if (q >= ps.end || *q != '"')
        return 1; /* an escaped or unusual key (or an error): the full reader decides */
      ps.p = q + 1;
      skip_ws(&ps);
      if (ps.p >= ps.end || *ps.p != ':')
        return 1;
      ps.p++;
      int slot = slot_of((const char *)k, (size_t)(q - k));
      wl_json tmp, *v = slot >= 0 && (size_t)slot < nslots && !found[slot] ? &nodes[slot] : &tmp;
      int raw = v != &tmp && slot < 32 && (raw_slots >> slot & 1u);
      if (raw)
        skip_ws(&ps);
      if (raw && ps.p < ps.end && *ps.p == '"' ? flat_raw(&ps, v) : flat_value(&ps, v))
        return 1;
      v->key = (const char *)k;
      v->key_len = (size_t)(q - k);
      if (v != &tmp)
        found[slot] = v;
      skip_ws(&ps);
      if (ps.p < ps.end && *ps.p == ',') {
        ps.p++;
        skip_ws(&ps);
        continue;
      }
      if (ps.p < ps.end && *ps.p == '}') {
        ps.p++;
        break;
      }
      return 1;
    }
  }
  skip_ws(&ps);
  return ps.p == ps.end ? WL_OK : 1;
}
