/* test_json_strings.c — JSON strings around the word-at-a-time scanner of wl_json.c: for every
 * string length up to 40 and every position, one special thing (an escape, a non-ASCII
 * character, a control character, invalid UTF-8, a bad escape, a missing closing quote) placed
 * there must give the same result and the same error column and reason as the byte-by-byte
 * reading it replaces: the column is the byte's own, whatever word it fell in.
 * Inputs are copied into exactly-sized heap blocks so ASan catches a read past the end.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/wl_err.h"
#include "common/wl_json.h"

static wl_json_arena arena;

/* Parse text[0..n) from an exact-size heap copy. */
static int parse_exact(const char *text, size_t n, const wl_json **v, wl_json_error *je) {
  char *copy = malloc(n ? n : 1);
  assert_non_null(copy);
  memcpy(copy, text, n);
  wl_json_arena_reset(&arena);
  int rc = wl_json_parse(&arena, copy, n, v, je);
  if (rc == WL_OK && (*v)->type == WL_JSON_STRING) { /* the value must not point into copy */
    assert_true((*v)->str < copy || (*v)->str >= copy + n);
  }
  free(copy);
  return rc;
}

/* A quoted string: `pre` plain letters, then `mid`, then `post` plain letters, then a quote
 * unless `unterminated`. Returns its length. */
static size_t build(char *out, size_t pre, const char *mid, size_t midlen, size_t post,
                    int unterminated) {
  size_t n = 0;
  out[n++] = '"';
  for (size_t i = 0; i < pre; i++)
    out[n++] = (char)('a' + i % 26);
  memcpy(out + n, mid, midlen);
  n += midlen;
  for (size_t i = 0; i < post; i++)
    out[n++] = (char)('A' + i % 26);
  if (!unterminated)
    out[n++] = '"';
  return n;
}

typedef struct {
  const char *raw;    /* what goes inside the quotes */
  const char *value;  /* what it unescapes to */
} good_mid;

static const good_mid goods[] = {
    {"", ""},
    {"\\n", "\n"},
    {"\\\\", "\\"},
    {"\\\"", "\""},
    {"\\/", "/"},
    {"\\u00e9", "\xc3\xa9"},
    {"\\ud83d\\ude00", "\xf0\x9f\x98\x80"},
    {"\\ud83d", "\xef\xbf\xbd"}, /* lone surrogate */
    {"\xc3\xa9", "\xc3\xa9"},
    {"\xe2\x82\xac", "\xe2\x82\xac"},
    {"\xf0\x9f\x98\x80", "\xf0\x9f\x98\x80"},
    {"\x7f", "\x7f"},
    {" ~", " ~"},
    {"\\\\\\\\a\\\\", "\\\\a\\"},
};

static void test_strings_good(void **state) {
  (void)state;
  char text[128], want[128];
  for (size_t g = 0; g < sizeof goods / sizeof goods[0]; g++)
    for (size_t pre = 0; pre <= 40; pre++)
      for (size_t post = 0; post <= 20; post++) {
        size_t n = build(text, pre, goods[g].raw, strlen(goods[g].raw), post, 0);
        size_t wn = build(want, pre, goods[g].value, strlen(goods[g].value), post, 0);
        const wl_json *v;
        wl_json_error je;
        assert_int_equal(parse_exact(text, n, &v, &je), WL_OK);
        assert_int_equal(v->type, WL_JSON_STRING);
        assert_int_equal(v->len, wn - 2);
        assert_memory_equal(v->str, want + 1, wn - 2);
        assert_int_equal(v->str[v->len], 0);
        assert_int_equal(v->has_nul, 0);
      }
}

static int slot_k(const char *key, size_t n) { return n == 1 && key[0] == 'k' ? 0 : -1; }

/* has_nul: set exactly when the value holds a NUL byte, which only \u0000 makes (the replay
 * reader refuses such a string instead of measuring it); the same from the flat reader. */
static void test_string_nul(void **state) {
  (void)state;
  static const struct {
    const char *raw;
    size_t len;
    int nul;
  } cases[] = {
      {"\"a\\u0000b\"", 3, 1}, {"\"\\u0000\"", 1, 1}, {"\"\\\\u0000\"", 6, 0},
      {"\"\\u0100\"", 2, 0},   {"\"a\\\\b\\\"\"", 4, 0}, {"\"\\n\\u0000\\t\"", 3, 1},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    const wl_json *v;
    wl_json_error je;
    assert_int_equal(parse_exact(cases[i].raw, strlen(cases[i].raw), &v, &je), WL_OK);
    assert_int_equal(v->type, WL_JSON_STRING);
    assert_int_equal(v->len, cases[i].len);
    assert_int_equal(v->has_nul, cases[i].nul);
    char obj[64];
    int n = snprintf(obj, sizeof obj, "{\"k\":%s}", cases[i].raw);
    wl_json node;
    const wl_json *found = NULL;
    wl_json_arena_reset(&arena);
    assert_int_equal(wl_json_parse_flat(&arena, obj, (size_t)n, slot_k, &node, &found, 1), WL_OK);
    assert_non_null(found);
    assert_int_equal(found->len, cases[i].len);
    assert_int_equal(found->has_nul, cases[i].nul);
  }
}

typedef struct {
  const char *raw;
  size_t at;          /* offset in raw of the byte the error names */
  const char *reason;
  int unterminated;   /* no closing quote: the error is at the opening quote */
} bad_mid;

static const bad_mid bads[] = {
    {"\x01", 0, "control character in string (must be escaped)", 0},
    {"\n", 0, "control character in string (must be escaped)", 0},
    {"\x1f", 0, "control character in string (must be escaped)", 0},
    {"\x80", 0, "invalid UTF-8 in string", 0},
    {"\xff", 0, "invalid UTF-8 in string", 0},
    {"\xc3", 0, "invalid UTF-8 in string", 0},      /* cut short by the quote */
    {"\xc0\xaf", 0, "invalid UTF-8 in string", 0},  /* overlong */
    {"\xed\xa0\x80", 0, "invalid UTF-8 in string", 0}, /* a surrogate */
    {"\xf4\x90\x80\x80", 0, "invalid UTF-8 in string", 0}, /* past U+10FFFF */
    {"\\x", 0, "invalid escape in string", 0},
    {"\\u12g4", 0, "\\u needs four hex digits", 0},
    {"\\q\x01", 0, "invalid escape in string", 0},   /* the first error wins */
    {"\x01\\q", 0, "control character in string (must be escaped)", 0},
    {"\x01", 0, "unterminated string", 1},        /* no quote: that is said first */
    {"\\", 0, "unterminated string", 1},
    {"\\\"", 0, "unterminated string", 1},
};

static void test_strings_bad(void **state) {
  (void)state;
  char text[128];
  for (size_t b = 0; b < sizeof bads / sizeof bads[0]; b++)
    for (size_t pre = 0; pre <= 40; pre++)
      for (size_t post = 0; post <= 20; post++) {
        if (bads[b].unterminated && post)
          continue; /* the string must end right after the special bytes */
        size_t n = build(text, pre, bads[b].raw, strlen(bads[b].raw), post,
                         bads[b].unterminated);
        const wl_json *v;
        wl_json_error je;
        assert_int_equal(parse_exact(text, n, &v, &je), WL_E_PARSE);
        assert_string_equal(je.reason, bads[b].reason);
        size_t col = bads[b].unterminated ? 1 : 2 + pre + bads[b].at;
        assert_int_equal(je.column, col);
      }
}

/* A string that is a member value and a key, inside a longer document: the scanner stops at its
 * own closing quote. */
static void test_strings_in_objects(void **state) {
  (void)state;
  const char *doc = "{\"abcdefghijklmnop\":\"\\\\device\\\\harddiskvolume3\\\\x.exe\","
                    "\"k\":\"12345678\",\"\":\"\",\"longer key of thirty-two bytes!\":[\"x\"]}";
  const wl_json *v;
  wl_json_error je;
  assert_int_equal(parse_exact(doc, strlen(doc), &v, &je), WL_OK);
  assert_string_equal(wl_json_string(wl_json_get(v, "abcdefghijklmnop")),
                      "\\device\\harddiskvolume3\\x.exe");
  assert_string_equal(wl_json_string(wl_json_get(v, "k")), "12345678");
  assert_string_equal(wl_json_string(wl_json_get(v, "")), "");
  assert_non_null(wl_json_get(v, "longer key of thirty-two bytes!"));
}

static int teardown(void **state) {
  (void)state;
  wl_json_arena_free(&arena);
  return 0;
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_strings_good),
      cmocka_unit_test(test_strings_bad),
      cmocka_unit_test(test_strings_in_objects),
      cmocka_unit_test(test_string_nul),
  };
  return cmocka_run_group_tests(tests, NULL, teardown);
}
