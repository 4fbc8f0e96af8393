/* test_lines.c — common/line_read.c, the line reader of the line formats: lines handed out
 * without "\n" / "\r\n" and terminated; the byte order mark skipped on line 1 only; a NUL byte and
 * a line over the bound told apart and consumed (also when the long line runs over several of the
 * reader's 256 KB chunks, or to the end of the file); the bound exact; and a long run of lines of
 * random lengths, crossing chunk boundaries anywhere, read back byte for byte.
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
#include "common/wl_os.h"
#include "tests/support/test_files.h"

/* data[0..n) written to a file and opened for reading. */
static FILE *file_of(const char *name, const char *data, size_t n) {
  char path[1024];
  wl_test_path(path, sizeof path, name);
  FILE *f = fopen(path, "wb");
  assert_non_null(f);
  assert_int_equal(fwrite(data, 1, n, f), n);
  assert_int_equal(fclose(f), 0);
  f = fopen(path, "rb");
  assert_non_null(f);
  return f;
}

static void expect_line(wl_lines *r, const char *want) {
  char *line;
  size_t len;
  assert_int_equal(wl_lines_next(r, &line, &len), WL_LINE_OK);
  assert_int_equal(len, strlen(want));
  assert_memory_equal(line, want, len + 1); /* its terminator too */
}

static void expect(wl_lines *r, int what) {
  char *line;
  size_t len;
  assert_int_equal(wl_lines_next(r, &line, &len), what);
}

static void test_lines_basic(void **state) {
  (void)state;
  static const char text[] = "\xEF\xBB\xBF" "a\nb\r\n\n\xEF\xBB\xBF" "c\r\nlast";
  FILE *f = file_of("lines_basic.txt", text, sizeof text - 1);
  wl_lines r;
  assert_int_equal(wl_lines_init(&r, f, 100), WL_OK);
  expect_line(&r, "a");
  expect_line(&r, "b");
  expect_line(&r, "");
  expect_line(&r, "\xEF\xBB\xBF" "c"); /* a mark only at the start of the file */
  expect_line(&r, "last");               /* no newline at the end */
  expect(&r, WL_LINE_EOF);
  expect(&r, WL_LINE_EOF);
  assert_int_equal(r.line, 5);
  assert_false(ferror(f));
  wl_lines_free(&r);
  fclose(f);

  f = file_of("lines_empty.txt", "", 0);
  assert_int_equal(wl_lines_init(&r, f, 100), WL_OK);
  expect(&r, WL_LINE_EOF);
  assert_int_equal(r.line, 0);
  wl_lines_free(&r);
  wl_lines_free(&r); /* twice: nothing held */
  assert_int_equal(wl_lines_init(&r, f, 0), WL_E_INVAL);
  wl_lines_free(&r);
  fclose(f);
}

static void test_lines_nul_and_bound(void **state) {
  (void)state;
  /* max 10: 10 bytes are a line, 11 are not, and "\r" counts before it is taken off */
  static const char text[] = "ab\0c\n0123456789\n01234567890\nx\n012345678\r\n0123456789\r\ny\0";
  FILE *f = file_of("lines_bound.txt", text, sizeof text - 1);
  wl_lines r;
  assert_int_equal(wl_lines_init(&r, f, 10), WL_OK);
  expect(&r, WL_LINE_NUL);
  expect_line(&r, "0123456789");
  expect(&r, WL_LINE_LONG);
  expect_line(&r, "x");
  expect_line(&r, "012345678");
  expect(&r, WL_LINE_LONG);
  expect(&r, WL_LINE_NUL); /* the last line, without a newline */
  expect(&r, WL_LINE_EOF);
  assert_int_equal(r.line, 7);
  wl_lines_free(&r);
  fclose(f);
}

/* Lines of 700 KB (nearly three chunks) against a bound of 64 KB: consumed, never held. */
static void test_lines_long(void **state) {
  (void)state;
  size_t big = 700u * 1024, n = 0;
  char *text = malloc(3 * big + 64);
  assert_non_null(text);
  memcpy(text + n, "first\n", 6), n += 6;
  memset(text + n, 'x', big), n += big;
  text[n++] = '\n';
  memcpy(text + n, "middle\n", 7), n += 7;
  memset(text + n, 'y', 65536), n += 65536; /* exactly the bound */
  text[n++] = '\n';
  memset(text + n, 'z', big), n += big; /* the file ends inside it */
  FILE *f = file_of("lines_long.txt", text, n);
  wl_lines r;
  assert_int_equal(wl_lines_init(&r, f, 65536), WL_OK);
  expect_line(&r, "first");
  expect(&r, WL_LINE_LONG);
  expect_line(&r, "middle");
  char *line;
  size_t len;
  assert_int_equal(wl_lines_next(&r, &line, &len), WL_LINE_OK);
  assert_int_equal(len, 65536);
  assert_memory_equal(line, text + 6 + big + 1 + 7, 65536);
  expect(&r, WL_LINE_LONG);
  expect(&r, WL_LINE_EOF);
  assert_int_equal(r.line, 5);
  assert_true(r.cap < 65536 + 300u * 1024); /* the buffer: the bound and one chunk */
  wl_lines_free(&r);
  fclose(f);
  free(text);
}

/* 20,000 lines of 0..2,000 random printable bytes, some ending "\r\n": ~20 MB, ~80 chunk
 * boundaries falling anywhere in a line. */
static void test_lines_random(void **state) {
  (void)state;
  enum { LINES = 20000, MAXLEN = 2000 };
  size_t cap = (size_t)LINES * (MAXLEN + 2), n = 0;
  char *text = malloc(cap);
  size_t *start = malloc(LINES * sizeof *start), *len = malloc(LINES * sizeof *len);
  assert_true(text && start && len);
  uint64_t x = 0x9E3779B97F4A7C15ull;
  for (int i = 0; i < LINES; i++) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    len[i] = (size_t)(x % (MAXLEN + 1));
    start[i] = n;
    for (size_t k = 0; k < len[i]; k++) {
      x ^= x << 13, x ^= x >> 7, x ^= x << 17;
      text[n++] = (char)(' ' + x % 90);
    }
    if (x & 1)
      text[n++] = '\r';
    text[n++] = '\n';
  }
  FILE *f = file_of("lines_random.txt", text, n);
  wl_lines r;
  assert_int_equal(wl_lines_init(&r, f, MAXLEN + 1), WL_OK);
  for (int i = 0; i < LINES; i++) {
    char *line;
    size_t got;
    assert_int_equal(wl_lines_next(&r, &line, &got), WL_LINE_OK);
    assert_int_equal(got, len[i]);
    assert_memory_equal(line, text + start[i], got);
    assert_int_equal(line[got], '\0');
  }
  expect(&r, WL_LINE_EOF);
  assert_int_equal(r.line, LINES);
  wl_lines_free(&r);
  fclose(f);
  free(text);
  free(start);
  free(len);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_lines_basic),
      cmocka_unit_test(test_lines_nul_and_bound),
      cmocka_unit_test(test_lines_long),
      cmocka_unit_test(test_lines_random),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
