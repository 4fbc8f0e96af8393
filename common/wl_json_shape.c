/* wl_json_shape.c — flat JSON lines read by their layout (wl_json_parse_flat_shaped).
 *
 * Why: the lines of a stream (a replay of `learn --record`, the stress stream of issue 16) are
 * written by one program, so they nearly all have the same members in the same order, without
 * whitespace. The flat reader (wl_json_parse_flat_raw) still finds each name's end, looks the
 * name up, skips whitespace and dispatches on each value's first byte: half of its time per line
 * goes to that. Here a line is first tried against the layouts of recent lines: per member a
 * compare of `,"name":` (8 bytes at a time) and the value read by the kind the layout says.
 *
 * Exactly the flat reader's result: a layout accepts a line only when the flat reader would
 * read the same members into the same slots (the names are compared byte for byte, and each slot
 * appears once), and each value is read only in a form whose reading is the flat reader's too:
 * strings of plain printable ASCII (escapes, control bytes and UTF-8 send the line to the flat
 * reader), numbers by the same grammar (wl_json_scan_number) copied the same way, literals,
 * and a raw slot's string by the same closing-quote rule. Anything else — whitespace, another
 * order, a member more or less, a value of another kind — fails the match, and the flat reader
 * reads the line. A layout is learned from a line the flat reader accepted, then checked by
 * matching that same line (a line with a member no slot takes, or a name twice, fails it); a
 * layout that fails its own line pauses learning for PAUSE_LINES lines, so a stream that never
 * fits costs one extra match a line, not a learning a line.
 */
#include <stdint.h>
#include <string.h>

#include "common/wl_json.h"
#include "common/wl_json_int.h"

#define PAUSE_LINES 256

enum { K_STR, K_RAW, K_NUM, K_TRUE, K_FALSE, K_NULL };

/* A copy of p[0..n) NUL-terminated, as the flat reader stores strings and numbers, at *o: one
 * arena block a line holds every copy (they are never longer than the line). */
static const char *copy_text(char **o, const unsigned char *p, size_t n) {
  char *t = *o;
  memcpy(t, p, n);
  t[n] = '\0';
  *o = t + n + 1;
  return t;
}

/* Member i's separator `,"name":` at p: compared 8 bytes at a time, the last word masked to
 * its own bytes (a memcmp call each was a quarter of the match), when the line has the whole
 * words; else by memcmp. */
static int same_sep(const wl_json_shape *s, uint32_t i, const unsigned char *p,
                    const unsigned char *end) {
  size_t n = s->m[i].sep_len, words = (n + 7) / 8;
  const char *sep = s->m[i].sep;
  if ((size_t)(end - p) < words * 8)
    return (size_t)(end - p) >= n && memcmp(p, sep, n) == 0;
  uint64_t a, b;
  for (size_t w = 0; w + 1 < words; w++) {
    memcpy(&a, p + 8 * w, 8);
    memcpy(&b, sep + 8 * w, 8);
    if (a != b)
      return 0;
  }
  memcpy(&a, p + 8 * (words - 1), 8);
  memcpy(&b, sep + 8 * (words - 1), 8);
  return ((a ^ b) & s->m[i].tail) == 0;
}

/* The value of kind k at *pp into v; 0, or 1 when it is not one in the form read here. */
static int value(char **o, int k, const unsigned char **pp, const unsigned char *end,
                 wl_json *v) {
  static const char *const lit[] = {"true", "false", "null"};
  static const int lit_type[] = {WL_JSON_TRUE, WL_JSON_FALSE, WL_JSON_NULL};
  const unsigned char *p = *pp, *q;
  switch (k) {
  case K_STR:
  case K_RAW:
    if (p >= end || *p != '"')
      return 1;
    q = k == K_RAW ? wl_json_raw_close(p, end) : wl_json_plain_run(p + 1, end);
    if (!q || q >= end || *q != '"')
      return 1;
    v->type = WL_JSON_STRING;
    v->len = (size_t)(q - (p + 1));
    v->raw = k == K_RAW;
    v->str = k == K_RAW ? (const char *)p + 1 : copy_text(o, p + 1, v->len);
    *pp = q + 1;
    return 0;
  case K_NUM: {
    const char *why;
    size_t n = p < end ? wl_json_scan_number(p, end, &why, &q) : 0;
    if (!n)
      return 1;
    v->str = copy_text(o, p, n);
    v->type = WL_JSON_NUMBER;
    v->len = n;
    *pp = p + n;
    return 0;
  }
  default: {
    size_t n = strlen(lit[k - K_TRUE]);
    if ((size_t)(end - p) < n || memcmp(p, lit[k - K_TRUE], n) != 0)
      return 1;
    v->type = lit_type[k - K_TRUE];
    *pp = p + n;
    return 0;
  }
  }
}

/* The line read by layout s: 0, or 1 when it is not laid out so. */
static int match(const wl_json_shape *s, wl_json_arena *a, const unsigned char *p,
                 const unsigned char *end, wl_json *nodes, const wl_json **found,
                 size_t nslots) {
  char *o = wl_json_arena_alloc(a, (size_t)(end - p) + s->n); /* every copy, terminated */
  if (!o)
    return 1;
  memset(found, 0, nslots * sizeof *found);
  for (uint32_t i = 0; i < s->n; i++) {
    size_t sl = s->m[i].sep_len;
    if (!same_sep(s, i, p, end))
      return 1;
    wl_json *v = &nodes[s->m[i].slot];
    memset(v, 0, sizeof *v);
    v->key = (const char *)p + 2; /* after `{"` or `,"` */
    v->key_len = sl - 4;
    p += sl;
    if (value(&o, s->m[i].kind, &p, end, v))
      return 1;
    found[s->m[i].slot] = v;
  }
  if (p >= end || *p != '}')
    return 1;
  for (p++; p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'); p++)
    ;
  return p == end ? 0 : 1;
}

static int kind_of(const wl_json *v) {
  switch (v->type) {
  case WL_JSON_STRING: return v->raw ? K_RAW : K_STR;
  case WL_JSON_NUMBER: return K_NUM;
  case WL_JSON_TRUE: return K_TRUE;
  case WL_JSON_FALSE: return K_FALSE;
  default: return K_NULL;
  }
}

/* The layout of a line the flat reader read into found: its members in the order of their
 * names in the line. 0, or 1 when it cannot be written down (too many members, a long name). */
static int layout(wl_json_shape *s, const wl_json **found, size_t nslots, uint32_t raw_slots) {
  s->n = 0;
  s->raw_slots = raw_slots;
  for (size_t slot = 0; slot < nslots; slot++) {
    const wl_json *v = found[slot];
    if (!v)
      continue;
    if (s->n == WL_JSON_SHAPE_MEMBERS || v->key_len > WL_JSON_SHAPE_NAME || slot > 127)
      return 1;
    uint32_t i = s->n++; /* insertion by the name's place in the line */
    while (i > 0 && found[s->m[i - 1].slot]->key > v->key) {
      s->m[i] = s->m[i - 1];
      i--;
    }
    s->m[i].slot = (int8_t)slot;
    s->m[i].kind = (uint8_t)kind_of(v);
  }
  for (uint32_t i = 0; i < s->n; i++) {
    const wl_json *v = found[s->m[i].slot];
    char *o = s->m[i].sep;
    o[0] = i ? ',' : '{';
    o[1] = '"';
    memcpy(o + 2, v->key, v->key_len);
    o[2 + v->key_len] = '"';
    o[3 + v->key_len] = ':';
    size_t n = v->key_len + 4, words = (n + 7) / 8;
    memset(o + n, 0, sizeof s->m[i].sep - n);
    s->m[i].sep_len = (uint8_t)n;
    unsigned char mask[8] = {0}; /* the last word's bytes that belong to sep, in memory order */
    memset(mask, 0xff, n - 8 * (words - 1));
    memcpy(&s->m[i].tail, mask, 8);
  }
  return s->n ? 0 : 1;
}

int wl_json_parse_flat_shaped(wl_json_shapes *sh, wl_json_arena *a, const char *text,
                              size_t len, int (*slot_of)(const char *key, size_t n),
                              wl_json *nodes, const wl_json **found, size_t nslots,
                              uint32_t raw_slots) {
  const unsigned char *p = (const unsigned char *)text, *end = p + len;
  if (a && text && len <= WL_JSON_MAX_INPUT)
    for (unsigned t = 0; t < WL_JSON_SHAPES; t++) {
      unsigned i = (sh->last + t) % WL_JSON_SHAPES;
      const wl_json_shape *s = &sh->s[i];
      if (s->n && s->raw_slots == raw_slots && match(s, a, p, end, nodes, found, nslots) == 0) {
        sh->last = i;
        return 0;
      }
    }
  int rc = wl_json_parse_flat_raw(a, text, len, slot_of, nodes, found, nslots, raw_slots);
  if (rc != 0)
    return rc;
  if (sh->pause) {
    sh->pause--;
    return 0;
  }
  /* learn it; the nodes are read again by the new layout, which must give them back as they are */
  wl_json_shape *s = &sh->s[sh->next];
  if (layout(s, found, nslots, raw_slots) == 0 && match(s, a, p, end, nodes, found, nslots) == 0) {
    sh->last = sh->next;
    sh->next = (sh->next + 1) % WL_JSON_SHAPES;
    return 0;
  }
  s->n = 0;
  sh->pause = PAUSE_LINES;
  return wl_json_parse_flat_raw(a, text, len, slot_of, nodes, found, nslots, raw_slots);
}
