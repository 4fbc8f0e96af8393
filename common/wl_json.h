/* wl_json.h — a small, bounded JSON reader and writer helpers.
 *
 * Every file format wfplearn reads (event streams, traffic files, Security-log JSON lines,
 * policies) is JSON, usually one object per line. wl_json_parse() builds a read-only tree in a
 * caller-owned arena; nothing is allocated per node with malloc, the arena grows in chunks and
 * is capped (WL_JSON_MAX_INPUT), nesting is limited to WL_JSON_MAX_DEPTH, strings are unescaped
 * to UTF-8 (\uXXXX with surrogate pairs; lone surrogates become U+FFFD). Numbers keep their text
 * so 64-bit integers are exact. On error the column (1-based byte offset) and a reason are given.
 */
#ifndef WL_JSON_H
#define WL_JSON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define WL_JSON_MAX_DEPTH 64
#define WL_JSON_MAX_INPUT (64u * 1024 * 1024) /* one document; longer is WL_E_TOOBIG */

typedef enum wl_json_type {
  WL_JSON_NULL,
  WL_JSON_FALSE,
  WL_JSON_TRUE,
  WL_JSON_NUMBER,
  WL_JSON_STRING,
  WL_JSON_ARRAY,
  WL_JSON_OBJECT
} wl_json_type;

typedef struct wl_json wl_json;
struct wl_json {
  wl_json_type type;
  const char *key;  /* member name when inside an object (NUL-terminated), else NULL */
  size_t key_len;
  const char *str;  /* STRING: unescaped UTF-8 (NUL-terminated, may contain NUL); NUMBER: text */
  size_t len;       /* STRING/NUMBER: byte length; ARRAY/OBJECT: number of children */
  int has_nul;      /* STRING: holds a NUL byte (only a \u0000 escape makes one), so str read
                     * as a C string stops short of len */
  int raw;          /* STRING of one of wl_json_parse_flat's raw slots: str, len are the text
                     * between the quotes as it is in the input (escapes and all, not checked,
                     * not NUL-terminated): wl_json_unescape reads it */
  wl_json *child;   /* first child of ARRAY/OBJECT */
  wl_json *next;    /* next sibling */
};

/* Arena owning every node and string of the documents parsed into it. Reset between lines to
 * reuse the memory; release with wl_json_arena_free (safe on a zeroed or freed arena). */
typedef struct wl_json_arena {
  void *chunks;
  size_t used, cap;
} wl_json_arena;

typedef struct wl_json_error {
  size_t column; /* 1-based byte offset in the input where parsing failed */
  char reason[96];
} wl_json_error;

void wl_json_arena_reset(wl_json_arena *a);
void wl_json_arena_free(wl_json_arena *a);

/* Parse exactly one JSON value from text[0..len) (surrounding whitespace allowed).
 * Returns WL_OK, WL_E_PARSE (err filled, wl_err message set), WL_E_TOOBIG or WL_E_NOMEM. */
int wl_json_parse(wl_json_arena *a, const char *text, size_t len, const wl_json **out,
                  wl_json_error *err);

/* The fast path of a hot one-object-a-line reader (capture/replay.c): text must be an object
 * whose member values are all scalars (string, number, true, false, null) and whose names have
 * no escapes. A member whose name slot_of maps to 0..nslots-1 is kept, the first of a name only,
 * in nodes[slot] with found[slot] pointing at it (NULL: absent); its key points into text and is
 * NOT NUL-terminated; strings and numbers are as wl_json_parse gives them, in the arena. Returns
 * WL_OK, or nonzero for any other text (a nested value, an escaped name, an error of any kind):
 * hand that to wl_json_parse, which accepts or rejects it with the exact message. Whatever this
 * accepts, wl_json_parse accepts with the same members. */
int wl_json_parse_flat(wl_json_arena *a, const char *text, size_t len,
                       int (*slot_of)(const char *key, size_t n), wl_json *nodes,
                       const wl_json **found, size_t nslots);
/* The same, except that a string value of a slot s with bit s of raw_slots set is left raw
 * (wl_json.raw): only its closing quote is found. Such a value may still be one wl_json_parse
 * refuses (a control character, a bad escape or UTF-8): what this accepts, wl_json_parse
 * accepts with the same members only when wl_json_unescape accepts every raw value. (The replay
 * reader keeps the raw text of the app paths it has unescaped: a path seen before is one
 * memcmp, not another unescape.) */
int wl_json_parse_flat_raw(wl_json_arena *a, const char *text, size_t len,
                           int (*slot_of)(const char *key, size_t n), wl_json *nodes,
                           const wl_json **found, size_t nslots, uint32_t raw_slots);
/* wl_json_parse_flat_raw for a stream of lines, with a memory of their layouts (the replay
 * reader's): the members in order, each one's name and kind of value, written without
 * whitespace, of the last WL_JSON_SHAPES lines that were laid out differently. A line laid out
 * like one of them is read by comparing each member's `,"name":` (8 bytes at a time) and reading
 * its value (a string of plain printable ASCII, a number, a literal, or a raw slot's string), with
 * no name lookups and no whitespace skipping; any other line is read by wl_json_parse_flat_raw,
 * and its layout learned when the lookups can be skipped for it. The result (return, nodes,
 * found: types, names, texts, flags) is exactly wl_json_parse_flat_raw's for every line, the
 * copies in a held in one arena block a line: fuzz_json reads random lines both ways. Zero *sh
 * before the first line; keep it across lines. */
#define WL_JSON_SHAPES 4
#define WL_JSON_SHAPE_MEMBERS 24 /* lines with more members are read without a layout */
#define WL_JSON_SHAPE_NAME 32    /* nor are lines with longer member names */
typedef struct wl_json_shape {
  uint32_t n;         /* members; 0: none learned here */
  uint32_t raw_slots; /* the raw_slots it was learned with */
  struct {
    int8_t slot;
    uint8_t kind, sep_len; /* sep: `{"name":` for the first member, `,"name":` after */
    uint64_t tail;         /* the bytes of sep's last 8-byte word that are sep's */
    char sep[WL_JSON_SHAPE_NAME + 8]; /* zero after sep_len bytes */
  } m[WL_JSON_SHAPE_MEMBERS];
} wl_json_shape;
typedef struct wl_json_shapes {
  wl_json_shape s[WL_JSON_SHAPES];
  unsigned last;  /* the layout that matched last: tried first */
  unsigned next;  /* the one a new layout replaces */
  unsigned pause; /* lines left before learning again, after a layout that did not hold */
} wl_json_shapes;
int wl_json_parse_flat_shaped(wl_json_shapes *sh, wl_json_arena *a, const char *text,
                              size_t len, int (*slot_of)(const char *key, size_t n),
                              wl_json *nodes, const wl_json **found, size_t nslots,
                              uint32_t raw_slots);
/* The value of a raw string (v->raw), unescaped into a, NUL-terminated, as wl_json_parse would
 * give it (*has_nul as wl_json.has_nul). WL_OK, WL_E_PARSE (not a valid JSON string: the reason
 * is wl_json_parse's) or WL_E_NOMEM. v must come from wl_json_parse_flat_raw on text that is
 * still there. */
int wl_json_unescape(wl_json_arena *a, const wl_json *v, const char **out, size_t *out_len,
                     int *has_nul);

/* Lookups; all accept NULL and return NULL / nonzero error on a missing or mistyped value. */
const wl_json *wl_json_get(const wl_json *obj, const char *key);        /* exact, first match */
const wl_json *wl_json_get_ci(const wl_json *obj, const char *key);     /* ASCII case-insensitive */
const wl_json *wl_json_at(const wl_json *arr, size_t i);
const char *wl_json_string(const wl_json *v);                           /* STRING only */
/* Integer from a NUMBER, or from a STRING holding an integer (Security logs send "5156").
 * Decimal, optional leading '-', or 0x-hex in strings. WL_E_PARSE when not an exact integer. */
int wl_json_int64(const wl_json *v, int64_t *out);
int wl_json_uint64(const wl_json *v, uint64_t *out);
int wl_json_double(const wl_json *v, double *out);

/* Writers: a JSON string literal with escapes (control chars, quote, backslash; UTF-8 passed
 * through). `s` may be NULL → null. */
void wl_json_write_string(FILE *f, const char *s);
/* Same into a buffer; returns the length it needed (like snprintf). */
size_t wl_json_escape(char *buf, size_t cap, const char *s);

#endif
