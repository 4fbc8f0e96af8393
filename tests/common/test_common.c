/* test_common.c — tests of common/: JSON reader and writer, addresses, UTF-16, SIDs, time,
 * durations, GUIDs, string helpers and the OS layer.
 *
 * Mostly tables: one row per input with the expected outcome, computed independently of the
 * code under test (Python's ipaddress/uuid/datetime, RFC test vectors, hand-encoded bytes).
 * Inputs of the byte-level decoders are copied into exactly-sized heap blocks so ASan catches
 * any read past the stated length. Longer than the usual 800 lines because it is one
 * registered test per module and the tables are the point.
 *
 * The executable doubles as the child process of the spawn tests: `test_common --child MODE`.
 */
#include <locale.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/wl_err.h"
#include "common/wl_json.h"
#include "common/wl_os.h"
#include "common/wl_text.h"
#include "tests/support/test_files.h"

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

/* ================================================================ JSON: valid documents */

typedef struct {
  const char *text;
  wl_json_type type;
  size_t len; /* children or string/number length */
} json_ok_case;

static const json_ok_case json_ok[] = {
    {"null", WL_JSON_NULL, 0},
    {" true ", WL_JSON_TRUE, 0},
    {"\t\r\nfalse\n", WL_JSON_FALSE, 0},
    {"0", WL_JSON_NUMBER, 1},
    {"-0", WL_JSON_NUMBER, 2},
    {"-12.5e+3", WL_JSON_NUMBER, 8},
    {"1E-7", WL_JSON_NUMBER, 4},
    {"18446744073709551615", WL_JSON_NUMBER, 20},
    {"\"\"", WL_JSON_STRING, 0},
    {"\"abc\"", WL_JSON_STRING, 3},
    {"[]", WL_JSON_ARRAY, 0},
    {"[ 1 , [ ] , { } ]", WL_JSON_ARRAY, 3},
    {"{}", WL_JSON_OBJECT, 0},
    {"{\"a\":1,\"b\":[true,false,null],\"c\":{\"d\":\"e\"}}", WL_JSON_OBJECT, 3},
    {"{\"a\":1,\"a\":2}", WL_JSON_OBJECT, 2},
    {"\"caf\xc3\xa9 \xf0\x9f\x98\x80\"", WL_JSON_STRING, 10},
};

static void test_json_valid(void **state) {
  (void)state;
  wl_json_arena a = {0};
  for (size_t i = 0; i < N_ELEMS(json_ok); i++) {
    const wl_json *v = NULL;
    wl_json_error e;
    wl_json_arena_reset(&a);
    int rc = wl_json_parse(&a, json_ok[i].text, strlen(json_ok[i].text), &v, &e);
    if (rc != WL_OK)
      fail_msg("case %zu \"%s\": %s", i, json_ok[i].text, wl_errmsg());
    assert_int_equal(v->type, json_ok[i].type);
    assert_int_equal(v->len, json_ok[i].len);
  }
  wl_json_arena_free(&a);
  wl_json_arena_free(&a); /* twice is fine */
}

/* ================================================================ JSON: errors */

typedef struct {
  const char *text;
  size_t len; /* 0: strlen */
  int rc;
  size_t column;
  const char *reason; /* substring of the reason */
} json_bad_case;

static const json_bad_case json_bad[] = {
    {"", 0, WL_E_PARSE, 1, "end of input"},
    {"   ", 0, WL_E_PARSE, 4, "end of input"},
    {"[1,]", 0, WL_E_PARSE, 4, "expected a value"},
    {"{\"a\":1,}", 0, WL_E_PARSE, 8, "string key"},
    {"{\"a\" 1}", 0, WL_E_PARSE, 6, "':'"},
    {"{a:1}", 0, WL_E_PARSE, 2, "string key"},
    {"[1 2]", 0, WL_E_PARSE, 4, "',' or ']'"},
    {"{\"a\":1 \"b\":2}", 0, WL_E_PARSE, 8, "',' or '}'"},
    {"[1", 0, WL_E_PARSE, 3, "',' or ']'"},
    {"01", 0, WL_E_PARSE, 2, "leading zeros"},
    {"-", 0, WL_E_PARSE, 2, "digit"},
    {"1.", 0, WL_E_PARSE, 3, "after '.'"},
    {".5", 0, WL_E_PARSE, 1, "unexpected character"},
    {"+1", 0, WL_E_PARSE, 1, "unexpected character"},
    {"1e", 0, WL_E_PARSE, 3, "exponent"},
    {"1e+", 0, WL_E_PARSE, 4, "exponent"},
    {"NaN", 0, WL_E_PARSE, 1, "unexpected character"},
    {"Infinity", 0, WL_E_PARSE, 1, "unexpected character"},
    {"tru", 0, WL_E_PARSE, 1, "literal"},
    {"True", 0, WL_E_PARSE, 1, "unexpected character"},
    {"nul", 0, WL_E_PARSE, 1, "literal"},
    {"'a'", 0, WL_E_PARSE, 1, "unexpected character"},
    {"\"abc", 0, WL_E_PARSE, 1, "unterminated"},
    {"\"a\\", 0, WL_E_PARSE, 1, "unterminated"},
    {"\"a\tb\"", 0, WL_E_PARSE, 3, "control character"},
    {"\"\\x41\"", 0, WL_E_PARSE, 2, "invalid escape"},
    {"\"\\u12\"", 0, WL_E_PARSE, 2, "four hex"},
    {"\"\\u12G4\"", 0, WL_E_PARSE, 2, "four hex"},
    {"\"\xc0\x80\"", 0, WL_E_PARSE, 2, "UTF-8"},        /* overlong NUL */
    {"\"\xed\xa0\x80\"", 0, WL_E_PARSE, 2, "UTF-8"},    /* encoded surrogate */
    {"\"\xf4\x90\x80\x80\"", 0, WL_E_PARSE, 2, "UTF-8"}, /* > U+10FFFF */
    {"\"\xe2\x82\"", 0, WL_E_PARSE, 2, "UTF-8"},        /* cut short */
    {"\"\xff\"", 0, WL_E_PARSE, 2, "UTF-8"},
    {"1 2", 0, WL_E_PARSE, 3, "after the value"},
    {"{} x", 0, WL_E_PARSE, 4, "after the value"},
    {"[1] // c", 0, WL_E_PARSE, 5, "after the value"},
    {"[\"a\"]\0", 6, WL_E_PARSE, 6, "after the value"},
    {"\xef\xbb\xbf{}", 0, WL_E_PARSE, 1, "unexpected character"}, /* BOM is not JSON */
};

static void test_json_errors(void **state) {
  (void)state;
  wl_json_arena a = {0};
  for (size_t i = 0; i < N_ELEMS(json_bad); i++) {
    const json_bad_case *c = &json_bad[i];
    const wl_json *v = (const wl_json *)&a; /* must be reset to NULL */
    wl_json_error e;
    size_t len = c->len ? c->len : strlen(c->text);
    char *copy = malloc(len + 1); /* exact size: ASan sees over-reads */
    memcpy(copy, c->text, len);
    int rc = wl_json_parse(&a, copy, len, &v, &e);
    free(copy);
    if (rc != c->rc || e.column != c->column || !strstr(e.reason, c->reason))
      fail_msg("case %zu \"%s\": rc %d col %zu reason \"%s\"", i, c->text, rc, e.column,
               e.reason);
    assert_null(v);
    assert_non_null(strstr(wl_errmsg(), c->reason));
  }
  wl_json_arena_free(&a);
}

static char *nested(unsigned depth) {
  char *s = malloc(2 * depth + 2);
  for (unsigned i = 0; i < depth; i++) {
    s[i] = '[';
    s[depth + 1 + i] = ']';
  }
  s[depth] = '1';
  s[2 * depth + 1] = 0;
  return s;
}

static void test_json_limits(void **state) {
  (void)state;
  wl_json_arena a = {0};
  const wl_json *v;
  wl_json_error e;
  char *ok = nested(WL_JSON_MAX_DEPTH), *deep = nested(WL_JSON_MAX_DEPTH + 1);
  assert_int_equal(wl_json_parse(&a, ok, strlen(ok), &v, &e), WL_OK);
  assert_int_equal(wl_json_parse(&a, deep, strlen(deep), &v, &e), WL_E_PARSE);
  assert_int_equal(e.column, WL_JSON_MAX_DEPTH + 1);
  assert_non_null(strstr(e.reason, "nesting"));
  free(ok);
  free(deep);
  /* Over the size limit: refused before a byte is read. */
  static const char tiny[] = "[]";
  assert_int_equal(wl_json_parse(&a, tiny, (size_t)WL_JSON_MAX_INPUT + 1, &v, &e), WL_E_TOOBIG);
  assert_int_equal(wl_json_parse(NULL, tiny, 2, &v, &e), WL_E_INVAL);
  assert_int_equal(wl_json_parse(&a, NULL, 0, &v, &e), WL_E_PARSE); /* empty input */
  wl_json_arena_free(&a);
}

/* ================================================================ JSON: strings */

typedef struct {
  const char *json;
  const char *want;
  size_t len;
} json_str_case;

static const json_str_case json_strs[] = {
    {"\"a\\\"b\\\\c\\/d\"", "a\"b\\c/d", 7},
    {"\"\\b\\f\\n\\r\\t\"", "\b\f\n\r\t", 5},
    {"\"\\u0041\\u00e9\\u20AC\"", "A\xc3\xa9\xe2\x82\xac", 6},
    {"\"\\ud83d\\ude00\"", "\xf0\x9f\x98\x80", 4},         /* surrogate pair */
    {"\"\\uD83D\\uDE00x\"", "\xf0\x9f\x98\x80x", 5},
    {"\"\\ud83d\"", "\xef\xbf\xbd", 3},                    /* lone high */
    {"\"\\ude00\"", "\xef\xbf\xbd", 3},                    /* lone low */
    {"\"\\ud83dx\"", "\xef\xbf\xbdx", 4},                  /* high then text */
    {"\"\\ud83d\\u0041\"", "\xef\xbf\xbd" "A", 4},         /* high then non-low */
    {"\"a\\u0000b\"", "a\0b", 3},                          /* embedded NUL kept */
    {"\"C:\\\\Windows\\\\System32\"", "C:\\Windows\\System32", 19},
};

static void test_json_strings(void **state) {
  (void)state;
  wl_json_arena a = {0};
  for (size_t i = 0; i < N_ELEMS(json_strs); i++) {
    const wl_json *v;
    wl_json_error e;
    if (wl_json_parse(&a, json_strs[i].json, strlen(json_strs[i].json), &v, &e))
      fail_msg("case %zu: %s", i, wl_errmsg());
    assert_int_equal(v->len, json_strs[i].len);
    assert_memory_equal(wl_json_string(v), json_strs[i].want, json_strs[i].len + 1);
  }
  wl_json_arena_free(&a);
}

/* ================================================================ JSON: numbers */

typedef struct {
  const char *json;
  int rc_i, rc_u; /* expected results of wl_json_int64 / wl_json_uint64 */
  int64_t i;
  uint64_t u;
} json_int_case;

static const json_int_case json_ints[] = {
    {"5156", 0, 0, 5156, 5156},
    {"\"5156\"", 0, 0, 5156, 5156},
    {"-1", 0, WL_E_PARSE, -1, 0},
    {"\"-42\"", 0, WL_E_PARSE, -42, 0},
    {"-0", 0, 0, 0, 0},
    {"\"0x10\"", 0, 0, 16, 16},
    {"\"0XfF\"", 0, 0, 255, 255},
    {"\"0x8010000000000000\"", WL_E_PARSE, 0, 0, 0x8010000000000000ull},
    {"\"0xffffffffffffffff\"", WL_E_PARSE, 0, 0, UINT64_MAX},
    {"\"0x10000000000000000\"", WL_E_PARSE, WL_E_PARSE, 0, 0},
    {"9223372036854775807", 0, 0, INT64_MAX, 9223372036854775807ull},
    {"-9223372036854775808", 0, WL_E_PARSE, INT64_MIN, 0},
    {"9223372036854775808", WL_E_PARSE, 0, 0, 9223372036854775808ull},
    {"-9223372036854775809", WL_E_PARSE, WL_E_PARSE, 0, 0},
    {"18446744073709551615", WL_E_PARSE, 0, 0, UINT64_MAX},
    {"18446744073709551616", WL_E_PARSE, WL_E_PARSE, 0, 0},
    {"1.5", WL_E_PARSE, WL_E_PARSE, 0, 0},
    {"1e3", WL_E_PARSE, WL_E_PARSE, 0, 0},
    {"0x10", WL_E_PARSE, WL_E_PARSE, 0, 0}, /* not JSON at all: parse fails, see below */
    {"\"\"", WL_E_PARSE, WL_E_PARSE, 0, 0},
    {"\"12a\"", WL_E_PARSE, WL_E_PARSE, 0, 0},
    {"\" 5\"", WL_E_PARSE, WL_E_PARSE, 0, 0},
    {"\"0x\"", WL_E_PARSE, WL_E_PARSE, 0, 0},
    {"\"-0x10\"", WL_E_PARSE, WL_E_PARSE, 0, 0},
    {"\"5\\u00006\"", WL_E_PARSE, WL_E_PARSE, 0, 0}, /* embedded NUL */
    {"true", WL_E_PARSE, WL_E_PARSE, 0, 0},
    {"null", WL_E_PARSE, WL_E_PARSE, 0, 0},
    {"[1]", WL_E_PARSE, WL_E_PARSE, 0, 0},
};

static void test_json_ints(void **state) {
  (void)state;
  wl_json_arena a = {0};
  for (size_t k = 0; k < N_ELEMS(json_ints); k++) {
    const json_int_case *c = &json_ints[k];
    const wl_json *v = NULL;
    int64_t i = 12345;
    uint64_t u = 12345;
    if (wl_json_parse(&a, c->json, strlen(c->json), &v, NULL))
      v = NULL; /* an unparsable document: the readers must refuse NULL */
    int ri = wl_json_int64(v, &i), ru = wl_json_uint64(v, &u);
    if (ri != c->rc_i || ru != c->rc_u || (!ri && i != c->i) || (!ru && u != c->u))
      fail_msg("case %zu %s: int64 rc %d val %lld, uint64 rc %d val %llu", k, c->json, ri,
               (long long)i, ru, (unsigned long long)u);
  }
  wl_json_arena_free(&a);
}

typedef struct {
  const char *json;
  int rc;
  double want;
} json_dbl_case;

static const json_dbl_case json_dbls[] = {
    {"1.5", 0, 1.5},       {"-2e3", 0, -2000.0}, {"\"0.25\"", 0, 0.25}, {"7", 0, 7.0},
    {"1e999", WL_E_PARSE, 0}, {"\"1.\"", WL_E_PARSE, 0}, {"\"abc\"", WL_E_PARSE, 0},
    {"\"\"", WL_E_PARSE, 0}, {"false", WL_E_PARSE, 0},
};

static void test_json_doubles(void **state) {
  (void)state;
  wl_json_arena a = {0};
  for (size_t k = 0; k < N_ELEMS(json_dbls); k++) {
    const wl_json *v;
    double d = -1;
    assert_int_equal(wl_json_parse(&a, json_dbls[k].json, strlen(json_dbls[k].json), &v, NULL),
                     WL_OK);
    int rc = wl_json_double(v, &d);
    if (rc != json_dbls[k].rc || (!rc && d != json_dbls[k].want))
      fail_msg("case %zu %s: rc %d val %g", k, json_dbls[k].json, rc, d);
  }
  assert_int_equal(wl_json_double(NULL, NULL), WL_E_PARSE);
  /* a decimal-comma locale must not change how JSON numbers read (when one is installed) */
  static const char *const comma[] = {"de_DE.UTF-8", "de_DE", "de-DE", "German"};
  for (size_t k = 0; k < N_ELEMS(comma); k++) {
    if (!setlocale(LC_NUMERIC, comma[k]))
      continue;
    const wl_json *v;
    double d = 0;
    assert_int_equal(wl_json_parse(&a, "[2.5]", 5, &v, NULL), WL_OK);
    assert_int_equal(wl_json_double(wl_json_at(v, 0), &d), WL_OK);
    setlocale(LC_NUMERIC, "C");
    assert_true(d == 2.5);
    break;
  }
  wl_json_arena_free(&a);
}

/* ================================================================ JSON: lookups, arena */

static void test_json_lookups(void **state) {
  (void)state;
  static const char doc[] =
      "{\"EventID\":5156,\"Keywords\":\"0x8010000000000000\",\"list\":[10,20,30],"
      "\"dup\":1,\"dup\":2,\"Application\":\"\\\\device\\\\harddiskvolume3\\\\a.exe\"}";
  wl_json_arena a = {0};
  const wl_json *v;
  int64_t i;
  assert_int_equal(wl_json_parse(&a, doc, strlen(doc), &v, NULL), WL_OK);
  assert_int_equal(wl_json_int64(wl_json_get(v, "EventID"), &i), WL_OK);
  assert_int_equal(i, 5156);
  assert_null(wl_json_get(v, "eventid"));
  assert_non_null(wl_json_get_ci(v, "eventid"));
  assert_null(wl_json_get_ci(v, "eventi"));
  assert_int_equal(wl_json_int64(wl_json_get(v, "dup"), &i), WL_OK);
  assert_int_equal(i, 1); /* first match */
  const wl_json *l = wl_json_get(v, "list");
  assert_int_equal(wl_json_int64(wl_json_at(l, 2), &i), WL_OK);
  assert_int_equal(i, 30);
  assert_null(wl_json_at(l, 3));
  assert_null(wl_json_at(v, 0)); /* not an array */
  assert_string_equal(wl_json_string(wl_json_get(v, "Application")),
                      "\\device\\harddiskvolume3\\a.exe");
  assert_string_equal(wl_json_get(v, "list")->key, "list");
  assert_null(wl_json_string(l));
  assert_null(wl_json_get(NULL, "x"));
  assert_null(wl_json_get_ci(l, "x"));
  assert_null(wl_json_string(NULL));
  wl_json_arena_free(&a);
}

/* Many documents through one arena: after the first reset the arena stops growing, and a
 * document bigger than a chunk still parses (several chunks) and is intact. */
static void test_json_arena(void **state) {
  (void)state;
  wl_json_arena a = {0};
  const wl_json *v;
  size_t n = 20000, len = 0;
  char *big = malloc(n * 8 + 4);
  big[len++] = '[';
  for (size_t k = 0; k < n; k++)
    len += (size_t)sprintf(big + len, k ? ",%zu" : "%zu", k);
  big[len++] = ']';
  assert_int_equal(wl_json_parse(&a, big, len, &v, NULL), WL_OK);
  assert_int_equal(v->len, n);
  size_t k = 0;
  for (const wl_json *c = v->child; c; c = c->next, k++) {
    int64_t x;
    assert_int_equal(wl_json_int64(c, &x), WL_OK);
    assert_int_equal(x, (int64_t)k);
  }
  assert_int_equal(k, n);
  wl_json_arena_reset(&a);
  void *chunk = a.chunks;
  size_t cap = a.cap;
  assert_int_equal(a.used, 0);
  for (int round = 0; round < 100; round++) {
    wl_json_arena_reset(&a);
    assert_int_equal(wl_json_parse(&a, big, len, &v, NULL), WL_OK);
    assert_ptr_equal(a.chunks, chunk); /* reused, no new chunk */
    assert_int_equal(a.cap, cap);
  }
  free(big);
  wl_json_arena_free(&a);
  assert_null(a.chunks);
  wl_json_arena_reset(&a); /* on a freed arena */
  wl_json_arena_free(NULL);
  wl_json_arena_reset(NULL);
}

/* ================================================================ JSON: writers */

typedef struct {
  const char *in;
  const char *out;
} escape_case;

static const escape_case escapes[] = {
    {NULL, "null"},
    {"", "\"\""},
    {"plain", "\"plain\""},
    {"a\"b\\c", "\"a\\\"b\\\\c\""},
    {"\n\r\t\b\f", "\"\\n\\r\\t\\b\\f\""},
    {"\x01\x1f\x0b", "\"\\u0001\\u001f\\u000b\""},
    {"caf\xc3\xa9/\xf0\x9f\x98\x80", "\"caf\xc3\xa9/\xf0\x9f\x98\x80\""},
    {"bad\xff\xc3", "\"bad\\ufffd\\ufffd\""},
    {"C:\\Program Files\\x.exe", "\"C:\\\\Program Files\\\\x.exe\""},
};

static void test_json_escape(void **state) {
  (void)state;
  wl_json_arena a = {0};
  for (size_t i = 0; i < N_ELEMS(escapes); i++) {
    char buf[128];
    size_t n = wl_json_escape(buf, sizeof buf, escapes[i].in);
    assert_string_equal(buf, escapes[i].out);
    assert_int_equal(n, strlen(escapes[i].out));
    /* truncation: returns the full length, writes a terminated prefix */
    char small[5];
    assert_int_equal(wl_json_escape(small, sizeof small, escapes[i].in), n);
    assert_int_equal(strlen(small), n < 4 ? n : 4);
    assert_memory_equal(small, escapes[i].out, strlen(small));
    assert_int_equal(wl_json_escape(NULL, 0, escapes[i].in), n);
    /* the output is JSON that reads back as the input (valid UTF-8 inputs) */
    const wl_json *v;
    assert_int_equal(wl_json_parse(&a, buf, n, &v, NULL), WL_OK);
    if (escapes[i].in && i != 7)
      assert_string_equal(wl_json_string(v), escapes[i].in);
  }
  /* wl_json_write_string, including a string longer than its staging buffer */
  FILE *f = tmpfile();
  assert_non_null(f);
  char longs[1001];
  memset(longs, 'x', 1000);
  longs[1000] = 0;
  longs[500] = '"';
  wl_json_write_string(f, longs);
  fputc('\n', f);
  wl_json_write_string(f, NULL);
  rewind(f);
  char line[1100], want[1100];
  assert_non_null(fgets(line, sizeof line, f));
  wl_json_escape(want, sizeof want, longs);
  strcat(want, "\n");
  assert_string_equal(line, want);
  assert_non_null(fgets(line, sizeof line, f));
  assert_string_equal(line, "null");
  fclose(f);
  wl_json_arena_free(&a);
}

/* ================================================================ addresses */

typedef struct {
  const char *in;
  int rc;
  uint8_t ver;
  const char *out; /* canonical text (RFC 5952), from Python's ipaddress */
} addr_case;

static const addr_case addrs[] = {
    {"1.2.3.4", 0, 4, "1.2.3.4"},
    {"0.0.0.0", 0, 4, "0.0.0.0"},
    {"255.255.255.255", 0, 4, "255.255.255.255"},
    {"256.1.1.1", WL_E_PARSE, 0, NULL},
    {"1.2.3", WL_E_PARSE, 0, NULL},
    {"1.2.3.4.5", WL_E_PARSE, 0, NULL},
    {"01.2.3.4", WL_E_PARSE, 0, NULL},
    {"1..3.4", WL_E_PARSE, 0, NULL},
    {"1.2.3.4 ", WL_E_PARSE, 0, NULL},
    {"", WL_E_PARSE, 0, NULL},
    {"::", 0, 6, "::"},
    {"::1", 0, 6, "::1"},
    {"1::", 0, 6, "1::"},
    {"2001:DB8:0:0:0:0:0:1", 0, 6, "2001:db8::1"},
    {"2001:0db8:0000:0000:0001:0000:0000:0001", 0, 6, "2001:db8::1:0:0:1"},
    {"2001:db8:0:0:1:0:0:0", 0, 6, "2001:db8:0:0:1::"},
    {"2001:db8:0:1:1:1:1:1", 0, 6, "2001:db8:0:1:1:1:1:1"}, /* one zero group stays */
    {"1:2:3:4:5:6:7::", 0, 6, "1:2:3:4:5:6:7:0"},
    {"fe80::1:2", 0, 6, "fe80::1:2"},
    {"::ffff:1.2.3.4", 0, 6, "::ffff:1.2.3.4"},
    {"::FFFF:0102:0304", 0, 6, "::ffff:1.2.3.4"},
    {"::1.2.3.4", 0, 6, "::102:304"},
    {"64:ff9b::192.0.2.33", 0, 6, "64:ff9b::c000:221"},
    {"1:2:3:4:5:6:1.2.3.4", 0, 6, "1:2:3:4:5:6:102:304"},
    {"fe80::1%eth0", WL_E_PARSE, 0, NULL},
    {"fe80::1%12", WL_E_PARSE, 0, NULL},
    {"1:2:3:4:5:6:7:8:9", WL_E_PARSE, 0, NULL},
    {"1:2:3:4:5:6:7", WL_E_PARSE, 0, NULL},
    {"1::2::3", WL_E_PARSE, 0, NULL},
    {":1::", WL_E_PARSE, 0, NULL},
    {"1:::2", WL_E_PARSE, 0, NULL},
    {"::1:", WL_E_PARSE, 0, NULL},
    {"12345::", WL_E_PARSE, 0, NULL},
    {"g::", WL_E_PARSE, 0, NULL},
    {"::1.2.3", WL_E_PARSE, 0, NULL},
    {"1.2.3.4::", WL_E_PARSE, 0, NULL},
    {"1:2:3:4:5:6:7:1.2.3.4", WL_E_PARSE, 0, NULL},
    {"[::1]", WL_E_PARSE, 0, NULL},
};

static void test_addr_parse_format(void **state) {
  (void)state;
  for (size_t i = 0; i < N_ELEMS(addrs); i++) {
    const addr_case *c = &addrs[i];
    uint8_t ver = 0, a[16];
    memset(a, 0xAA, sizeof a);
    size_t len = strlen(c->in);
    char *copy = malloc(len + 1);
    memcpy(copy, c->in, len); /* not terminated within len+1 bytes' meaning: ASan-checked */
    copy[len] = 'X';
    int rc = wl_addr_parse(copy, len, &ver, a);
    free(copy);
    if (rc != c->rc)
      fail_msg("case %zu \"%s\": rc %d (%s)", i, c->in, rc, wl_errmsg());
    if (rc)
      continue;
    char buf[WL_ADDR_STR_MAX];
    assert_int_equal(ver, c->ver);
    size_t n = wl_addr_format(ver, a, buf);
    assert_string_equal(buf, c->out);
    assert_int_equal(n, strlen(c->out));
    if (ver == 4) /* v4 is zero-padded */
      for (int k = 4; k < 16; k++)
        assert_int_equal(a[k], 0);
  }
  uint8_t ver, a[16];
  assert_int_equal(wl_addr_parse("fe80::1%eth0", 12, &ver, a), WL_E_PARSE);
  assert_non_null(strstr(wl_errmsg(), "zone"));
  char buf[WL_ADDR_STR_MAX];
  assert_int_equal(wl_addr_format(5, a, buf), 0);
  assert_string_equal(buf, "");
  /* the longest possible text fits */
  static const uint8_t mapped[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 255, 255, 255, 255};
  assert_int_equal(wl_addr_format(6, mapped, buf), strlen("::ffff:255.255.255.255"));
  memset(a, 0xff, 16);
  a[0] = 0x12; /* 1234:ffff:... is 39 chars */
  a[1] = 0x34;
  assert_int_equal(wl_addr_format(6, a, buf), 39);
}

typedef struct {
  const char *in;
  int rc;
  uint8_t ver;
  uint16_t port;
  const char *out;
} ep_case;

static const ep_case eps[] = {
    {"1.2.3.4:80", 0, 4, 80, "1.2.3.4:80"},
    {"10.0.0.1:65535", 0, 4, 65535, "10.0.0.1:65535"},
    {"10.0.0.1", 0, 4, 0, "10.0.0.1:0"},
    {"[2001:db8::1]:443", 0, 6, 443, "[2001:db8::1]:443"},
    {"[::1]", 0, 6, 0, "[::1]:0"},
    {"2001:db8::1", 0, 6, 0, "[2001:db8::1]:0"},
    {"[::ffff:1.2.3.4]:8080", 0, 6, 8080, "[::ffff:1.2.3.4]:8080"},
    {"1.2.3.4:65536", WL_E_PARSE, 0, 0, NULL},
    {"1.2.3.4:", WL_E_PARSE, 0, 0, NULL},
    {"1.2.3.4:08", WL_E_PARSE, 0, 0, NULL},
    {"1.2.3.4:-1", WL_E_PARSE, 0, 0, NULL},
    {"[::1]:", WL_E_PARSE, 0, 0, NULL},
    {"[::1]80", WL_E_PARSE, 0, 0, NULL},
    {"[::1", WL_E_PARSE, 0, 0, NULL},
    {"[1.2.3.4]:80", WL_E_PARSE, 0, 0, NULL},
    {"[fe80::1%4]:80", WL_E_PARSE, 0, 0, NULL},
    {"host:80", WL_E_PARSE, 0, 0, NULL},
};

static void test_endpoints(void **state) {
  (void)state;
  for (size_t i = 0; i < N_ELEMS(eps); i++) {
    const ep_case *c = &eps[i];
    uint8_t ver = 0, a[16];
    uint16_t port = 7;
    int rc = wl_endpoint_parse(c->in, strlen(c->in), &ver, a, &port);
    if (rc != c->rc)
      fail_msg("case %zu \"%s\": rc %d (%s)", i, c->in, rc, wl_errmsg());
    if (rc)
      continue;
    char buf[WL_EP_STR_MAX];
    assert_int_equal(ver, c->ver);
    assert_int_equal(port, c->port);
    assert_int_equal(wl_endpoint_format(ver, a, port, buf), strlen(c->out));
    assert_string_equal(buf, c->out);
  }
}

typedef struct {
  const char *in;
  int rc;
  uint8_t plen;
  const char *addr; /* network address after masking */
} prefix_case;

static const prefix_case prefixes[] = {
    {"10.0.0.0/8", 0, 8, "10.0.0.0"},
    {"192.168.1.5/24", 0, 24, "192.168.1.0"},
    {"1.2.3.4", 0, 32, "1.2.3.4"},
    {"0.0.0.0/0", 0, 0, "0.0.0.0"},
    {"1.2.3.255/31", 0, 31, "1.2.3.254"},
    {"2001:db8::/32", 0, 32, "2001:db8::"},
    {"2001:db8:ffff::1/33", 0, 33, "2001:db8:8000::"},
    {"::1", 0, 128, "::1"},
    {"10.0.0.0/33", WL_E_PARSE, 0, NULL},
    {"::/129", WL_E_PARSE, 0, NULL},
    {"10.0.0.0/", WL_E_PARSE, 0, NULL},
    {"10.0.0.0/08", WL_E_PARSE, 0, NULL},
    {"10.0.0.0/8/8", WL_E_PARSE, 0, NULL},
    {"/8", WL_E_PARSE, 0, NULL},
};

static void test_prefixes(void **state) {
  (void)state;
  for (size_t i = 0; i < N_ELEMS(prefixes); i++) {
    const prefix_case *c = &prefixes[i];
    uint8_t ver = 0, a[16], plen = 99;
    int rc = wl_prefix_parse(c->in, strlen(c->in), &ver, a, &plen);
    if (rc != c->rc)
      fail_msg("case %zu \"%s\": rc %d (%s)", i, c->in, rc, wl_errmsg());
    if (rc)
      continue;
    char buf[WL_ADDR_STR_MAX];
    wl_addr_format(ver, a, buf);
    assert_string_equal(buf, c->addr);
    assert_int_equal(plen, c->plen);
  }
}

static void test_v4_host(void **state) {
  (void)state;
  uint8_t a[16];
  memset(a, 0xEE, sizeof a);
  wl_addr_from_v4_host(0xC0A80001u, a); /* WFP's host-order 192.168.0.1 */
  static const uint8_t want[16] = {192, 168, 0, 1};
  assert_memory_equal(a, want, 16);
  assert_int_equal(wl_addr_to_v4_host(a), 0xC0A80001u);
  char buf[WL_ADDR_STR_MAX];
  wl_addr_format(4, a, buf);
  assert_string_equal(buf, "192.168.0.1");
}

/* ================================================================ UTF-16LE <-> UTF-8 */

typedef struct {
  const char *u16; /* raw bytes */
  size_t nbytes;
  const char *want;
} u16_case;

static const u16_case u16s[] = {
    {"", 0, ""},
    {"A", 1, ""},                                   /* odd: the lone byte is ignored */
    {"A\0B", 3, "A"},                               /* odd trailing byte */
    {"A\0B\0", 4, "AB"},                            /* no terminator */
    {"A\0\0\0B\0", 6, "A"},                         /* NUL ends it */
    {"\0\0A\0", 4, ""},
    {"\xe9\0", 2, "\xc3\xa9"},                      /* U+00E9 */
    {"\xac\x20", 2, "\xe2\x82\xac"},                /* U+20AC */
    {"\x3d\xd8\x00\xde", 4, "\xf0\x9f\x98\x80"},    /* U+1F600 pair */
    {"\x3d\xd8", 2, "\xef\xbf\xbd"},                /* lone high at end */
    {"\x3d\xd8\x41\x00", 4, "\xef\xbf\xbd" "A"},    /* high + non-low */
    {"\x00\xde\x41\x00", 4, "\xef\xbf\xbd" "A"},    /* lone low */
    {"\x3d\xd8\x3d\xd8\x00\xde", 6, "\xef\xbf\xbd\xf0\x9f\x98\x80"},
    {"\x3d\xd8\x00", 3, "\xef\xbf\xbd"},            /* high + odd byte */
    {"\\\0d\0e\0v\0", 8, "\\dev"},
};

static void test_utf16_to_utf8(void **state) {
  (void)state;
  for (size_t i = 0; i < N_ELEMS(u16s); i++) {
    const u16_case *c = &u16s[i];
    uint8_t *blob = malloc(c->nbytes ? c->nbytes : 1); /* exact size for ASan */
    memcpy(blob, c->u16, c->nbytes);
    char out[32];
    memset(out, 'Z', sizeof out);
    size_t n = wl_utf16le_to_utf8(blob, c->nbytes, out, sizeof out);
    if (n != strlen(c->want) || strcmp(out, c->want))
      fail_msg("case %zu: got %zu bytes \"%s\"", i, n, out);
    /* too small: whole characters only, always terminated, same return value */
    for (size_t cap = 1; cap <= n; cap++) {
      memset(out, 'Z', sizeof out);
      assert_int_equal(wl_utf16le_to_utf8(blob, c->nbytes, out, cap), n);
      size_t w = strlen(out);
      assert_true(w < cap);
      assert_memory_equal(out, c->want, w);
      assert_true(c->want[w] == 0 || (c->want[w] & 0xC0) != 0x80); /* not mid-character */
    }
    assert_int_equal(wl_utf16le_to_utf8(blob, c->nbytes, NULL, 0), n);
    free(blob);
  }
  assert_int_equal(wl_utf16le_to_utf8(NULL, 10, NULL, 0), 0);
}

typedef struct {
  const char *utf8;
  const char *want; /* UTF-16LE bytes */
  size_t nbytes;
} u8_case;

static const u8_case u8s[] = {
    {"", "", 0},
    {"AB", "A\0B\0", 4},
    {"\xc3\xa9", "\xe9\0", 2},
    {"\xf0\x9f\x98\x80", "\x3d\xd8\x00\xde", 4},
    {"\xff" "A", "\xfd\xff" "A\0", 4},        /* invalid byte -> U+FFFD */
    {"\xc0\x80", "\xfd\xff\xfd\xff", 4},       /* overlong, byte by byte */
    {"\xed\xa0\x80", "\xfd\xff\xfd\xff\xfd\xff", 6},
    {"\xe2\x82", "\xfd\xff\xfd\xff", 4},       /* cut short */
};

static void test_utf8_to_utf16(void **state) {
  (void)state;
  for (size_t i = 0; i < N_ELEMS(u8s); i++) {
    const u8_case *c = &u8s[i];
    size_t len = strlen(c->utf8);
    char *s = malloc(len ? len : 1);
    memcpy(s, c->utf8, len);
    uint8_t out[16];
    size_t n = wl_utf8_to_utf16le(s, len, out, sizeof out);
    assert_int_equal(n, c->nbytes);
    assert_memory_equal(out, c->want, n);
    /* round trip of valid text */
    if (c->utf8[0] != '\xff' && (i < 4)) {
      char back[16];
      wl_utf16le_to_utf8(out, n, back, sizeof back);
      assert_string_equal(back, c->utf8);
    }
    assert_int_equal(wl_utf8_to_utf16le(s, len, NULL, 0), n);
    free(s);
  }
  /* a pair never split: 3 bytes of room hold "A" only */
  uint8_t out[3] = {9, 9, 9};
  assert_int_equal(wl_utf8_to_utf16le("A\xf0\x9f\x98\x80", 5, out, 3), 6);
  assert_int_equal(out[0], 'A');
  assert_int_equal(out[2], 9);
}

/* One code point at each length boundary (RFC 3629 table). */
static void test_utf8_encode(void **state) {
  (void)state;
  static const struct {
    uint32_t cp;
    const char *utf8;
  } cases[] = {
      {0x41, "A"},           {0x7F, "\x7f"},         {0x80, "\xc2\x80"},
      {0x7FF, "\xdf\xbf"},   {0x800, "\xe0\xa0\x80"}, {0xFFFD, "\xef\xbf\xbd"},
      {0xFFFF, "\xef\xbf\xbf"}, {0x10000, "\xf0\x90\x80\x80"}, {0x1F600, "\xf0\x9f\x98\x80"},
      {0x10FFFF, "\xf4\x8f\xbf\xbf"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char out[5] = {0};
    size_t n = wl_utf8_encode(cases[i].cp, out);
    assert_int_equal(n, strlen(cases[i].utf8));
    assert_memory_equal(out, cases[i].utf8, n);
  }
}

/* ================================================================ SIDs */

typedef struct {
  const char *bin;
  size_t nbytes;
  int rc;
  const char *str;
} sid_case;

static const sid_case sids[] = {
    {"\x01\x01\0\0\0\0\0\0" "\0\0\0\0", 12, 0, "S-1-0-0"},
    {"\x01\x01\0\0\0\0\0\x05" "\x12\0\0\0", 12, 0, "S-1-5-18"},
    {"\x01\x02\0\0\0\0\0\x05" "\x20\0\0\0" "\x20\x02\0\0", 16, 0, "S-1-5-32-544"},
    {"\x01\x00\0\0\0\0\0\x05", 8, 0, "S-1-5"},
    {"\x01\x01\0\0\0\0\0\x05" "\xff\xff\xff\xff", 12, 0, "S-1-5-4294967295"},
    {"\x01\x01\x01\0\0\0\0\x00" "\x01\0\0\0", 12, 0, "S-1-0x010000000000-1"},
    {"\x01\x01\0\0\0\0\0\x05" "\x12\0\0\0" "junk", 16, 0, "S-1-5-18"}, /* extra bytes */
    {"\x01\x01\0\0\0\0\0\x05" "\x12\0\0", 11, WL_E_PARSE, NULL},        /* too short */
    {"\x01\x02\0\0\0\0\0\x05" "\x12\0\0\0", 12, WL_E_PARSE, NULL},
    {"\x01\x01\0\0\0\0\0", 7, WL_E_PARSE, NULL},
    {"", 0, WL_E_PARSE, NULL},
    {"\x02\x01\0\0\0\0\0\x05" "\x12\0\0\0", 12, WL_E_PARSE, NULL}, /* revision 2 */
    {"\x01\x10\0\0\0\0\0\x05", 8, WL_E_PARSE, NULL},              /* 16 subauthorities */
};

static void test_sid_to_string(void **state) {
  (void)state;
  for (size_t i = 0; i < N_ELEMS(sids); i++) {
    const sid_case *c = &sids[i];
    uint8_t *blob = malloc(c->nbytes ? c->nbytes : 1);
    memcpy(blob, c->bin, c->nbytes);
    char out[WL_SID_STR_MAX];
    int rc = wl_sid_to_string(blob, c->nbytes, out, sizeof out);
    if (rc != c->rc)
      fail_msg("case %zu: rc %d (%s)", i, rc, wl_errmsg());
    if (!rc) {
      assert_string_equal(out, c->str);
      /* and back */
      uint8_t back[WL_SID_MAX];
      int n = wl_sid_from_string(out, back);
      assert_true(n >= 8);
      assert_memory_equal(back, c->bin, (size_t)n);
      char small[5]; /* "S-1-5" needs 6 */
      assert_int_equal(wl_sid_to_string(blob, c->nbytes, small, sizeof small), WL_E_FULL);
    }
    free(blob);
  }
  /* 15 subauthorities of 4294967295: the longest text fits WL_SID_STR_MAX */
  uint8_t big[WL_SID_MAX];
  big[0] = 1, big[1] = 15;
  memset(big + 2, 0xff, sizeof big - 2);
  char out[WL_SID_STR_MAX];
  assert_int_equal(wl_sid_to_string(big, sizeof big, out, sizeof out), WL_OK);
  assert_true(strlen(out) < WL_SID_STR_MAX);
}

typedef struct {
  const char *in;
  int rc; /* size or error */
} sid_str_case;

static const sid_str_case sid_strs[] = {
    {"S-1-5-21-3623811015-3361044348-30300820-1013", 28},
    {"s-1-5-18", 12},
    {"S-1-15-3-1024-1065365936-1281604716-3511738428-1654721687-432734479-3232135806-"
     "4053264122-3456934681", 48},
    {"S-1-0x0000000000FF-1", 12},
    {"S-1-5-1-2-3-4-5-6-7-8-9-10-11-12-13-14-15", 68},
    {"S-1-5-1-2-3-4-5-6-7-8-9-10-11-12-13-14-15-16", WL_E_PARSE},
    {"S-1-5-4294967296", WL_E_PARSE},
    {"S-1-281474976710656", WL_E_PARSE},
    {"S-2-5-18", WL_E_PARSE},
    {"S-1-5-", WL_E_PARSE},
    {"S-1--5", WL_E_PARSE},
    {"S-1-5-18 ", WL_E_PARSE},
    {"S-1-5-x", WL_E_PARSE},
    {"SY", WL_E_PARSE},
    {"", WL_E_PARSE},
};

static void test_sid_from_string(void **state) {
  (void)state;
  for (size_t i = 0; i < N_ELEMS(sid_strs); i++) {
    uint8_t out[WL_SID_MAX];
    int rc = wl_sid_from_string(sid_strs[i].in, out);
    if (rc != sid_strs[i].rc)
      fail_msg("case %zu \"%s\": %d (%s)", i, sid_strs[i].in, rc, wl_errmsg());
    if (rc > 0) {
      char back[WL_SID_STR_MAX];
      assert_int_equal(wl_sid_to_string(out, (size_t)rc, back, sizeof back), WL_OK);
      if (sid_strs[i].in[0] == 'S' && !strstr(sid_strs[i].in, "0x"))
        assert_string_equal(back, sid_strs[i].in);
    }
  }
}

/* ================================================================ time */

typedef struct {
  const char *in;
  int rc;
  uint64_t ticks; /* from Python's datetime */
} time_case;

static const time_case times[] = {
    {"1601-01-01T00:00:00Z", 0, 0},
    {"1970-01-01T00:00:00Z", 0, 116444736000000000ull},
    {"2023-07-19T09:02:18.301Z", 0, 133342309383010000ull},
    {"2023-07-19 09:02:18.301Z", 0, 133342309383010000ull},
    {"2023-07-19t09:02:18.301z", 0, 133342309383010000ull},
    {"2023-07-19T09:02:18.301", 0, 133342309383010000ull}, /* no zone: UTC */
    {"2023-07-19T09:02:18.3010000Z", 0, 133342309383010000ull},
    {"2023-07-19T09:02:18.301000099Z", 0, 133342309383010000ull}, /* truncated */
    {"2023-07-19T09:02:18.301000099+00:00", 0, 133342309383010000ull},
    {"2023-07-19T11:32:18.301+02:30", 0, 133342309383010000ull},
    {"2023-07-19T00:02:18.301-09:00", 0, 133342309383010000ull},
    {"2024-02-29T23:59:59Z", 0, 133537247990000000ull},
    {"2000-02-29T00:00:00Z", 0, 125962560000000000ull},
    {"2100-03-01T00:00:00Z", 0, 157520160000000000ull},
    {"1900-03-01T00:00:00Z", 0, 94405824000000000ull},
    {"1700-02-28T12:00:00Z", 0, 31291920000000000ull},
    {"9999-12-31T23:59:59.9999999Z", 0, 2650467743999999999ull},
    {"2020-01-01T05:30:00+05:30", 0, 132223104000000000ull},
    {"2023-02-29T00:00:00Z", WL_E_PARSE, 0},
    {"2100-02-29T00:00:00Z", WL_E_PARSE, 0},
    {"2024-02-30T00:00:00Z", WL_E_PARSE, 0},
    {"2024-04-31T00:00:00Z", WL_E_PARSE, 0},
    {"2024-13-01T00:00:00Z", WL_E_PARSE, 0},
    {"2024-00-01T00:00:00Z", WL_E_PARSE, 0},
    {"2024-01-00T00:00:00Z", WL_E_PARSE, 0},
    {"2024-01-01T24:00:00Z", WL_E_PARSE, 0},
    {"2024-01-01T00:60:00Z", WL_E_PARSE, 0},
    {"2024-01-01T00:00:60Z", WL_E_PARSE, 0},
    {"2024-01-01T00:00:00.Z", WL_E_PARSE, 0},
    {"2024-01-01T00:00:00.1234567890Z", WL_E_PARSE, 0},
    {"2024-01-01T00:00:00+0100", WL_E_PARSE, 0},
    {"2024-01-01T00:00:00+24:00", WL_E_PARSE, 0},
    {"2024-01-01T00:00:00Zjunk", WL_E_PARSE, 0},
    {"2024-1-01T00:00:00Z", WL_E_PARSE, 0},
    {"2024-01-01", WL_E_PARSE, 0},
    {"1600-12-31T23:59:59Z", WL_E_PARSE, 0},
    {"1601-01-01T00:30:00+01:00", WL_E_PARSE, 0}, /* before the epoch in UTC */
    {"", WL_E_PARSE, 0},
};

static void test_time_parse(void **state) {
  (void)state;
  for (size_t i = 0; i < N_ELEMS(times); i++) {
    const time_case *c = &times[i];
    uint64_t t = 42;
    size_t len = strlen(c->in);
    char *copy = malloc(len ? len : 1); /* unterminated, exact */
    memcpy(copy, c->in, len);
    int rc = wl_time_parse(copy, len, &t);
    free(copy);
    if (rc != c->rc || (!rc && t != c->ticks))
      fail_msg("case %zu \"%s\": rc %d ticks %llu", i, c->in, rc, (unsigned long long)t);
  }
}

typedef struct {
  uint64_t ticks;
  const char *out;
} time_fmt_case;

static const time_fmt_case time_fmts[] = {
    {0, "1601-01-01T00:00:00.0000000Z"},
    {1, "1601-01-01T00:00:00.0000001Z"},
    {116444736000000000ull, "1970-01-01T00:00:00.0000000Z"},
    {133342309383010000ull, "2023-07-19T09:02:18.3010000Z"},
    {133537247990000000ull, "2024-02-29T23:59:59.0000000Z"},
    {2650467743999999999ull, "9999-12-31T23:59:59.9999999Z"},
};

static void test_time_format(void **state) {
  (void)state;
  for (size_t i = 0; i < N_ELEMS(time_fmts); i++) {
    char buf[WL_TIME_STR_MAX];
    assert_int_equal(wl_time_format(time_fmts[i].ticks, buf), strlen(time_fmts[i].out));
    assert_string_equal(buf, time_fmts[i].out);
  }
  char buf[WL_TIME_STR_MAX];
  assert_true(wl_time_format(UINT64_MAX, buf) < WL_TIME_STR_MAX); /* year 60056: still fits */
  /* round trip over 400 years of pseudo-random instants, every tick digit exercised */
  uint64_t x = 88172645463325252ull;
  for (int i = 0; i < 20000; i++) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    uint64_t t = x % 2650467743999999999ull, back;
    size_t n = wl_time_format(t, buf);
    assert_int_equal(wl_time_parse(buf, n, &back), WL_OK);
    assert_int_equal(back, t);
  }
  /* the clocks: sane, and the monotonic one does not go back */
  assert_true(wl_time_now() > 133342309383010000ull);
  uint64_t m1 = wl_time_mono_ns(), m2 = wl_time_mono_ns();
  assert_true(m2 >= m1);
}

typedef struct {
  const char *in;
  int rc;
  uint64_t secs;
} dur_case;

static const dur_case durs[] = {
    {"30s", 0, 30},   {"15m", 0, 900},       {"2h", 0, 7200},     {"7d", 0, 604800},
    {"1w", 0, 604800}, {"45", 0, 45},        {"0", 0, 0},          {"0s", 0, 0},
    {"", WL_E_PARSE, 0}, {"s", WL_E_PARSE, 0}, {"5x", WL_E_PARSE, 0}, {"5 m", WL_E_PARSE, 0},
    {"-5s", WL_E_PARSE, 0}, {"1.5h", WL_E_PARSE, 0}, {"5mm", WL_E_PARSE, 0},
    {"99999999999999999999", WL_E_PARSE, 0}, {"30500000000w", WL_E_PARSE, 0},
};

static void test_durations(void **state) {
  (void)state;
  for (size_t i = 0; i < N_ELEMS(durs); i++) {
    uint64_t t = 1;
    int rc = wl_duration_parse(durs[i].in, &t);
    if (rc != durs[i].rc || (!rc && t != durs[i].secs * WL_TICKS_PER_SEC))
      fail_msg("case %zu \"%s\": rc %d ticks %llu", i, durs[i].in, rc, (unsigned long long)t);
  }
}

/* ================================================================ GUIDs */

typedef struct {
  const char *in;
  int rc;
  const char *out;
} guid_case;

static const guid_case guids[] = {
    {"{6ba7b810-9dad-11d1-80b4-00c04fd430c8}", 0, "{6ba7b810-9dad-11d1-80b4-00c04fd430c8}"},
    {"6BA7B810-9DAD-11D1-80B4-00C04FD430C8", 0, "{6ba7b810-9dad-11d1-80b4-00c04fd430c8}"},
    {"{00000000-0000-0000-0000-000000000000}", 0, "{00000000-0000-0000-0000-000000000000}"},
    {"{6ba7b810-9dad-11d1-80b4-00c04fd430c8", WL_E_PARSE, NULL},
    {"6ba7b810-9dad-11d1-80b4-00c04fd430c8}", WL_E_PARSE, NULL},
    {"6ba7b8109dad11d180b400c04fd430c8", WL_E_PARSE, NULL},
    {"6ba7b810-9dad-11d1-80b4-00c04fd430c", WL_E_PARSE, NULL},
    {"6ba7b810-9dad-11d1-80b4-00c04fd430c8a", WL_E_PARSE, NULL},
    {"6ba7b810-9dad-11d1-80b4_00c04fd430c8", WL_E_PARSE, NULL},
    {"6ba7b810-9dad-11d1-80b4-00c04fd430cg", WL_E_PARSE, NULL},
    {"", WL_E_PARSE, NULL},
};

static void test_guid_parse_format(void **state) {
  (void)state;
  for (size_t i = 0; i < N_ELEMS(guids); i++) {
    wl_guid g;
    int rc = wl_guid_parse(guids[i].in, &g);
    if (rc != guids[i].rc)
      fail_msg("case %zu \"%s\": rc %d", i, guids[i].in, rc);
    if (rc)
      continue;
    char buf[WL_GUID_STR_MAX];
    assert_int_equal(wl_guid_format(&g, buf), 38);
    assert_string_equal(buf, guids[i].out);
  }
  wl_guid g, h;
  assert_int_equal(wl_guid_parse("{6ba7b810-9dad-11d1-80b4-00c04fd430c8}", &g), WL_OK);
  assert_int_equal(g.d1, 0x6ba7b810u); /* Windows layout: Data1..3 as numbers */
  assert_int_equal(g.d2, 0x9dad);
  assert_int_equal(g.d3, 0x11d1);
  assert_int_equal(g.d4[0], 0x80);
  assert_int_equal(g.d4[7], 0xc8);
  h = g;
  assert_true(wl_guid_eq(&g, &h));
  h.d4[7] ^= 1;
  assert_false(wl_guid_eq(&g, &h));
  assert_true(wl_guid_eq(NULL, NULL));
  assert_false(wl_guid_eq(&g, NULL));
}

typedef struct {
  const char *ns, *name, *want; /* want: Python's uuid.uuid5(ns, name) */
} guid5_case;

static const guid5_case guid5s[] = {
    {"6ba7b810-9dad-11d1-80b4-00c04fd430c8", "python.org",
     "{886313e1-3b8a-5372-9b90-0c9aee199e5d}"},
    {"6ba7b811-9dad-11d1-80b4-00c04fd430c8", "https://example.com/",
     "{dd2c1780-811a-5296-81c5-178a0ef488bc}"},
    {"6ba7b810-9dad-11d1-80b4-00c04fd430c8", "", "{4ebd0208-8328-5d69-8c44-ec50939c0967}"},
    {"6ba7b812-9dad-11d1-80b4-00c04fd430c8", NULL, /* 200 x 'a': several SHA-1 blocks */
     "{42120d79-f4ed-549a-8bc2-2963aa30cd8c}"},
};

static void test_guid_v5(void **state) {
  (void)state;
  char a200[201];
  memset(a200, 'a', 200);
  a200[200] = 0;
  for (size_t i = 0; i < N_ELEMS(guid5s); i++) {
    wl_guid ns, g, g2;
    const char *name = guid5s[i].name ? guid5s[i].name : a200;
    assert_int_equal(wl_guid_parse(guid5s[i].ns, &ns), WL_OK);
    wl_guid_from_name(&ns, name, strlen(name), &g);
    char buf[WL_GUID_STR_MAX];
    wl_guid_format(&g, buf);
    assert_string_equal(buf, guid5s[i].want);
    wl_guid_from_name(&ns, name, strlen(name), &g2);
    assert_true(wl_guid_eq(&g, &g2)); /* deterministic */
  }
}

/* ================================================================ string helpers */

static void test_strings(void **state) {
  (void)state;
  assert_int_equal(wl_strncasecmp("C:\\Windows", "c:\\WINDOWS", 10), 0);
  assert_int_equal(wl_strncasecmp("abc", "abd", 2), 0);
  assert_true(wl_strncasecmp("abc", "abd", 3) < 0);
  assert_true(wl_strncasecmp("abd", "ABC", 3) > 0);
  assert_true(wl_strncasecmp("ab", "abc", 5) < 0);
  assert_int_equal(wl_strncasecmp("ab", "AB", 99), 0); /* stops at the terminator */
  assert_int_equal(wl_strncasecmp("x", "y", 0), 0);
  char buf[4];
  assert_int_equal(wl_strlcpy(buf, "hello", sizeof buf), 5);
  assert_string_equal(buf, "hel");
  assert_int_equal(wl_strlcpy(buf, "hi", sizeof buf), 2);
  assert_string_equal(buf, "hi");
  buf[0] = 'q';
  assert_int_equal(wl_strlcpy(buf, "hi", 0), 2);
  assert_int_equal(buf[0], 'q');
}

/* ================================================================ OS layer */

static const char *tmp_dir(void) { return wl_test_dir(); }

static int wait_gone(uint32_t pid) {
  for (int i = 0; i < 1000 && wl_os_pid_alive(pid); i++) /* bound: ~10 s */
    wl_sleep_ms(10);
  return !wl_os_pid_alive(pid);
}

static void test_os_process(void **state) {
  (void)state;
  char exe[4096];
  assert_int_equal(wl_os_exe_path(exe, sizeof exe), WL_OK);
  assert_non_null(strstr(exe, "test_common"));
  char tiny[4];
  assert_int_equal(wl_os_exe_path(tiny, sizeof tiny), WL_E_FULL);
  assert_true(wl_os_pid_alive(wl_os_pid()));
  assert_false(wl_os_pid_alive(0));

  /* a child that sleeps: alive, then killed, then gone */
  char *sleeper[] = {exe, "--child", "sleep", NULL};
  uint32_t pid = 0;
  assert_int_equal(wl_os_spawn(sleeper, NULL, &pid), WL_OK);
  assert_true(pid != 0 && pid != wl_os_pid());
  assert_true(wl_os_pid_alive(pid));
  assert_int_equal(wl_os_kill(pid), WL_OK);
  assert_true(wait_gone(pid));

  /* a child that prints its arguments into the log: quoting survives */
  char log[4200];
  snprintf(log, sizeof log, "%s/test_common_spawn.log", tmp_dir());
  remove(log);
  char *echo[] = {exe, "--child", "echo", "two words", "q\"uote", "back\\slash\\", "", NULL};
  assert_int_equal(wl_os_spawn(echo, log, &pid), WL_OK);
  assert_true(wait_gone(pid));
  FILE *f = fopen(log, "r");
  assert_non_null(f);
  char text[256] = "";
  size_t n = fread(text, 1, sizeof text - 1, f);
  text[n] = 0;
  fclose(f);
  assert_string_equal(text, "<two words><q\"uote><back\\slash\\><>\n");
  remove(log);

  char badlog[4200];
  snprintf(badlog, sizeof badlog, "%s/no-such-dir-wl/x.log", tmp_dir());
  assert_int_equal(wl_os_spawn(echo, badlog, &pid), WL_E_NOTFOUND);
  assert_non_null(strstr(wl_errmsg(), "no-such-dir-wl"));
  char *missing[] = {"/nonexistent/wl-no-such-program", NULL};
  assert_int_not_equal(wl_os_spawn(missing, NULL, &pid), WL_OK);
  assert_int_equal(wl_os_spawn(NULL, NULL, &pid), WL_E_INVAL);
}

/* The default store: ./wfplearn.db on POSIX; on Windows %ProgramData%\wfplearn\wfplearn.db (an
 * elevated prompt starts in System32), the folder made by wl_os_default_db_path(create). */
static void test_os_default_db_path(void **state) {
  (void)state;
  char p[1024];
  assert_int_equal(wl_os_default_db_path(p, sizeof p, 0), WL_OK);
#ifdef _WIN32
  const char *pd = getenv("ProgramData"); /* wine and Windows set it; the API is what we use */
  assert_non_null(pd);
  assert_int_equal(strncmp(p, pd, strlen(pd)), 0);
  assert_string_equal(p + strlen(pd), "\\wfplearn\\wfplearn.db");
  assert_int_equal(wl_os_default_db_path(p, sizeof p, 1), WL_OK);
  assert_int_equal(wl_os_default_db_path(p, sizeof p, 1), WL_OK); /* exists: secured again */
  char dir[1024];
  snprintf(dir, sizeof dir, "%s\\wfplearn", pd);
  wl_file_id id;
  assert_int_equal(wl_os_file_id(dir, &id), WL_OK); /* the folder is there */
#else
  assert_string_equal(p, "wfplearn.db");
#endif
  assert_int_not_equal(wl_os_default_db_path(p, 4, 0), WL_OK); /* too small a buffer */
}

static void test_os_files(void **state) {
  (void)state;
  char p1[4200], p2[4200];
  snprintf(p1, sizeof p1, "%s/test_common_id_a.tmp", tmp_dir());
  snprintf(p2, sizeof p2, "%s/test_common_id_b.tmp", tmp_dir());
  remove(p1);
  remove(p2);
  wl_file_id a, b;
  assert_int_equal(wl_os_file_id(p1, &a), WL_E_NOTFOUND);
  assert_int_equal(wl_os_restrict_file(p1), WL_E_NOTFOUND); /* creates nothing */
  assert_int_equal(wl_os_file_id(p1, &a), WL_E_NOTFOUND);
  FILE *f = fopen(p1, "wb");
  assert_non_null(f);
  fputs("0123456789", f);
  fclose(f);
  assert_int_equal(wl_os_file_id(p1, &a), WL_OK);
  assert_int_equal(a.size, 10);
  assert_true(a.mtime > 133342309383010000ull);
  assert_int_equal(rename(p1, p2), 0);
  assert_int_equal(wl_os_file_id(p2, &b), WL_OK);
  assert_true(a.dev == b.dev && a.ino == b.ino && a.size == b.size); /* same file, renamed */
  f = fopen(p1, "wb"); /* a new file at the old name is another file */
  assert_non_null(f);
  fclose(f);
  assert_int_equal(wl_os_file_id(p1, &a), WL_OK);
  assert_false(a.dev == b.dev && a.ino == b.ino);
  uint64_t free_b = 0;
  assert_int_equal(wl_os_free_bytes(p2, &free_b), WL_OK);
  assert_true(free_b > 0);
  assert_int_equal(wl_os_free_bytes(tmp_dir(), &free_b), WL_OK);
  /* last, as it may take our own access away (Windows: Administrators and SYSTEM only) */
  assert_int_equal(wl_os_restrict_file(p2), WL_OK);
  remove(p1);
  remove(p2);
}

static volatile sig_atomic_t interrupted;
static void on_intr(void *ctx) { interrupted = (sig_atomic_t)(intptr_t)ctx; }

/* raise() reaches our handler through POSIX signals only; Windows' console handler is not a
 * C signal, so there (exe name ends in .exe) this part is left to the manual check. */
/* The one whole-file reader: exact bytes and a NUL after them, the bound, a missing file. */
static void test_os_read_file(void **state) {
  (void)state;
  char path[1100];
  snprintf(path, sizeof path, "%s/os_read_file.bin", tmp_dir());
  size_t big = 3 * 4096 + 17; /* past the first buffer: it has to grow */
  char *want = malloc(big);
  assert_non_null(want);
  for (size_t i = 0; i < big; i++)
    want[i] = (char)('a' + i % 26);
  FILE *f = fopen(path, "wb");
  assert_non_null(f);
  assert_int_equal(fwrite(want, 1, big, f), big);
  fclose(f);
  uint8_t *data = NULL;
  size_t len = 0;
  assert_int_equal(wl_os_read_file(path, big, &data, &len), WL_OK);
  assert_int_equal(len, big);
  assert_memory_equal(data, want, big);
  assert_int_equal(data[len], 0);
  free(data);
  data = NULL;
  assert_int_equal(wl_os_read_file(path, big - 1, &data, &len), WL_E_TOOBIG);
  assert_null(data);
  assert_non_null(strstr(wl_errmsg(), "os_read_file.bin"));
  f = fopen(path, "wb"); /* empty: a valid, empty buffer */
  fclose(f);
  assert_int_equal(wl_os_read_file(path, 10, &data, &len), WL_OK);
  assert_int_equal(len, 0);
  assert_int_equal(data[0], 0);
  free(data);
  remove(path);
  assert_int_equal(wl_os_read_file(path, 10, &data, &len), WL_E_NOTFOUND);
  free(want);
}

static void test_os_interrupt(void **state) {
  (void)state;
  char exe[4096];
  assert_int_equal(wl_os_exe_path(exe, sizeof exe), WL_OK);
  size_t n = strlen(exe);
  assert_int_equal(wl_os_on_interrupt(on_intr, (void *)(intptr_t)1), WL_OK);
  assert_int_equal(wl_os_on_interrupt(on_intr, (void *)(intptr_t)2), WL_OK); /* replaces */
  if (n > 4 && !wl_strncasecmp(exe + n - 4, ".exe", 4))
    skip();
  interrupted = 0;
  assert_int_equal(raise(SIGINT), 0);
  assert_int_equal(interrupted, 2);
  interrupted = 0;
  assert_int_equal(raise(SIGTERM), 0);
  assert_int_equal(interrupted, 2);
}

/* ================================================================ child mode, main */

static int child_main(int argc, char **argv) {
  if (!strcmp(argv[2], "sleep")) {
    for (int i = 0; i < 3000; i++) /* bound: 30 s, the parent kills us long before */
      wl_sleep_ms(10);
    return 0;
  }
  if (!strcmp(argv[2], "echo")) {
    for (int i = 3; i < argc; i++)
      printf("<%s>", argv[i]);
    printf("\n");
    return 0;
  }
  return 3;
}

int main(int argc, char **argv) {
  if (argc >= 3 && !strcmp(argv[1], "--child"))
    return child_main(argc, argv);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_json_valid),      cmocka_unit_test(test_json_errors),
      cmocka_unit_test(test_json_limits),     cmocka_unit_test(test_json_strings),
      cmocka_unit_test(test_json_ints),       cmocka_unit_test(test_json_doubles),
      cmocka_unit_test(test_json_lookups),    cmocka_unit_test(test_json_arena),
      cmocka_unit_test(test_json_escape),     cmocka_unit_test(test_addr_parse_format),
      cmocka_unit_test(test_endpoints),       cmocka_unit_test(test_prefixes),
      cmocka_unit_test(test_v4_host),         cmocka_unit_test(test_utf16_to_utf8),
      cmocka_unit_test(test_utf8_to_utf16),   cmocka_unit_test(test_utf8_encode),   cmocka_unit_test(test_sid_to_string),
      cmocka_unit_test(test_sid_from_string), cmocka_unit_test(test_time_parse),
      cmocka_unit_test(test_time_format),     cmocka_unit_test(test_durations),
      cmocka_unit_test(test_guid_parse_format), cmocka_unit_test(test_guid_v5),
      cmocka_unit_test(test_strings),         cmocka_unit_test(test_os_process),
      cmocka_unit_test(test_os_files),        cmocka_unit_test(test_os_interrupt),
      cmocka_unit_test(test_os_read_file),
      cmocka_unit_test(test_os_default_db_path),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
