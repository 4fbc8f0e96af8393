/* test_json_shape.c — wl_json_parse_flat_shaped against wl_json_parse_flat_raw, line by line with
 * the layouts carried from line to line: the same return, the same members in the same slots
 * with the same names (the same pointers into the line), kinds, texts and flags, for lines laid
 * out like the one before and for every way a line can differ from it (whitespace, order, a
 * member more or less or twice, escapes, UTF-8, other kinds of value, raw slots, trailing bytes,
 * nesting, long names, many members); and that a layout is learned, reused, and that learning
 * pauses after a layout that does not hold for its own line.
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

#define SLOTS 8

/* a..h take slots 0..7 by their first byte; other names none */
static int slot_of(const char *k, size_t n) {
  return n && k[0] >= 'a' && k[0] < 'a' + SLOTS ? k[0] - 'a' : -1;
}

static void same_nodes(const wl_json **want, const wl_json **got) {
  for (int k = 0; k < SLOTS; k++) {
    assert_true(!want[k] == !got[k]);
    if (!want[k])
      continue;
    const wl_json *w = want[k], *g = got[k];
    assert_int_equal(w->type, g->type);
    assert_ptr_equal(w->key, g->key);
    assert_int_equal(w->key_len, g->key_len);
    assert_int_equal(w->raw, g->raw);
    assert_int_equal(w->has_nul, g->has_nul);
    if (w->type == WL_JSON_STRING || w->type == WL_JSON_NUMBER) {
      assert_int_equal(w->len, g->len);
      assert_memory_equal(w->str, g->str, w->len);
      if (w->raw)
        assert_ptr_equal(w->str, g->str); /* a raw value is the line's own text */
      else
        assert_int_equal(g->str[g->len], '\0');
    }
  }
}

/* One line both ways; returns the flat reader's result. */
static int both(wl_json_shapes *sh, const char *line, uint32_t raw) {
  static wl_json_arena a1, a2;
  wl_json n1[SLOTS], n2[SLOTS];
  const wl_json *f1[SLOTS], *f2[SLOTS];
  size_t len = strlen(line);
  wl_json_arena_reset(&a1);
  wl_json_arena_reset(&a2);
  int r1 = wl_json_parse_flat_raw(&a1, line, len, slot_of, n1, f1, SLOTS, raw);
  int r2 = wl_json_parse_flat_shaped(sh, &a2, line, len, slot_of, n2, f2, SLOTS, raw);
  assert_int_equal(r1, r2);
  if (r1 == 0)
    same_nodes(f1, f2);
  return r1;
}

static void test_shape_learned_and_reused(void **state) {
  (void)state;
  wl_json_shapes *sh = calloc(1, sizeof *sh);
  assert_non_null(sh);
  assert_int_equal(both(sh, "{\"a\":\"x\",\"b\":12,\"c\":true,\"d\":\"C:\\\\p\"}", 1u << 3), 0);
  assert_int_equal(sh->s[0].n, 4);
  assert_int_equal(sh->next, 1);
  assert_int_equal(both(sh, "{\"a\":\"yy\",\"b\":-1.5e3,\"c\":true,\"d\":\"\\u00e9\\\"\"}", 1u << 3), 0);
  assert_int_equal(sh->next, 1); /* read by the layout: nothing learned */
  assert_int_equal(both(sh, "{\"a\":\"z\",\"b\":0,\"c\":true,\"d\":\"q\"}  \r\n", 1u << 3), 0);
  assert_int_equal(sh->next, 1);
  /* another layout is learned beside it; both are then used */
  assert_int_equal(both(sh, "{\"b\":1,\"a\":\"x\"}", 1u << 3), 0);
  assert_int_equal(sh->next, 2);
  assert_int_equal(both(sh, "{\"a\":\"x\",\"b\":12,\"c\":true,\"d\":\"r\"}", 1u << 3), 0);
  assert_int_equal(both(sh, "{\"b\":7,\"a\":\"w\"}", 1u << 3), 0);
  assert_int_equal(sh->next, 2);
  /* the raw slots are part of the layout */
  assert_int_equal(both(sh, "{\"b\":7,\"a\":\"w\"}", 1u << 0), 0);
  assert_int_equal(sh->next, 3);
  free(sh);
}

/* Every line after the first differs from it in one way; each is compared, then the layout
 * of the first line is read again. */
static void test_shape_every_difference(void **state) {
  (void)state;
  static const char *const base = "{\"a\":\"text\",\"b\":42,\"c\":false,\"d\":\"raw\\\\x\",\"e\":null}";
  static const char *const lines[] = {
      " {\"a\":\"text\",\"b\":42,\"c\":false,\"d\":\"raw\",\"e\":null}",  /* leading space */
      "{\"a\" :\"text\",\"b\":42,\"c\":false,\"d\":\"raw\",\"e\":null}",  /* space before : */
      "{\"a\": \"text\",\"b\":42,\"c\":false,\"d\":\"raw\",\"e\":null}",  /* space after : */
      "{\"a\":\"text\", \"b\":42,\"c\":false,\"d\":\"raw\",\"e\":null}",  /* space after , */
      "{\"b\":42,\"a\":\"text\",\"c\":false,\"d\":\"raw\",\"e\":null}",   /* order */
      "{\"a\":\"text\",\"b\":42,\"c\":false,\"d\":\"raw\"}",              /* one less */
      "{\"a\":\"text\",\"b\":42,\"c\":false,\"d\":\"raw\",\"e\":null,\"f\":1}", /* one more */
      "{\"a\":\"text\",\"b\":42,\"c\":false,\"d\":\"raw\",\"e\":null,\"zz\":1}", /* no slot */
      "{\"a\":\"text\",\"b\":42,\"c\":false,\"d\":\"raw\",\"e\":null,\"a\":2}", /* twice */
      "{\"a\":\"te\\nxt\",\"b\":42,\"c\":false,\"d\":\"raw\",\"e\":null}", /* an escape */
      "{\"a\":\"t\xc3\xa9xt\",\"b\":42,\"c\":false,\"d\":\"raw\",\"e\":null}", /* UTF-8 */
      "{\"a\":\"t\x01xt\",\"b\":42,\"c\":false,\"d\":\"raw\",\"e\":null}", /* a control byte */
      "{\"a\":\"text\",\"b\":042,\"c\":false,\"d\":\"raw\",\"e\":null}",  /* a bad number */
      "{\"a\":\"text\",\"b\":4e,\"c\":false,\"d\":\"raw\",\"e\":null}",   /* another */
      "{\"a\":\"text\",\"b\":\"42\",\"c\":false,\"d\":\"raw\",\"e\":null}", /* another kind */
      "{\"a\":\"text\",\"b\":42,\"c\":true,\"d\":\"raw\",\"e\":null}",    /* true for false */
      "{\"a\":\"text\",\"b\":42,\"c\":fals,\"d\":\"raw\",\"e\":null}",    /* cut literal */
      "{\"a\":\"text\",\"b\":42,\"c\":false,\"d\":7,\"e\":null}",         /* raw slot, number */
      "{\"a\":\"text\",\"b\":42,\"c\":false,\"d\":\"r\\\"a\\\\\",\"e\":null}", /* raw, escapes */
      "{\"a\":\"text\",\"b\":42,\"c\":false,\"d\":\"unterminated,\"e\":null}",
      "{\"a\":\"text\",\"b\":42,\"c\":false,\"d\":\"raw\",\"e\":null}x",  /* trailing bytes */
      "{\"a\":\"text\",\"b\":42,\"c\":false,\"d\":\"raw\",\"e\":null} \t",
      "{\"a\":\"text\",\"b\":42,\"c\":false,\"d\":\"raw\",\"e\":null",    /* no } */
      "{\"a\":\"text\",\"b\":42,\"c\":false,\"d\":\"raw\",\"e\":{}}",     /* nested */
      "{\"a\":\"text\",\"b\":[42],\"c\":false,\"d\":\"raw\",\"e\":null}",
      "{}",
      "",
      "[1]",
      "{\"a\":\"text\",\"b\":42,\"c\":false,\"d\":\"raw\",\"e\":nul",
  };
  wl_json_shapes *sh = calloc(1, sizeof *sh);
  assert_non_null(sh);
  for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
    assert_int_equal(both(sh, base, 1u << 3), 0);
    both(sh, lines[i], 1u << 3);
    both(sh, lines[i], 1u << 3); /* and once more, after whatever the line taught */
  }
  free(sh);
}

/* A layout that does not hold for its own line (a member no slot takes, a name twice): no
 * layout kept, and learning waits; the lines are read right all along. */
static void test_shape_pause(void **state) {
  (void)state;
  wl_json_shapes *sh = calloc(1, sizeof *sh);
  assert_non_null(sh);
  assert_int_equal(both(sh, "{\"a\":1,\"zz\":2}", 0), 0);
  assert_int_equal(sh->s[0].n, 0);
  assert_true(sh->pause > 0);
  unsigned p = sh->pause;
  assert_int_equal(both(sh, "{\"a\":1,\"b\":2}", 0), 0);
  assert_int_equal(sh->pause, p - 1);
  assert_int_equal(sh->s[0].n, 0); /* not learned while paused */
  while (sh->pause)
    both(sh, "{\"a\":1,\"a\":2}", 0);
  assert_int_equal(both(sh, "{\"a\":1,\"b\":2}", 0), 0);
  assert_int_equal(sh->s[0].n, 2);
  /* names longer than a layout holds, and more members than it holds: read, not learned */
  char line[4096];
  int n = snprintf(line, sizeof line, "{\"a%040d\":1}", 0);
  assert_true(n > 0);
  sh->pause = 0;
  unsigned next = sh->next;
  assert_int_equal(both(sh, line, 0), 0);
  assert_int_equal(sh->next, next);
  size_t o = 0;
  line[o++] = '{';
  for (int i = 0; i < WL_JSON_SHAPE_MEMBERS + 1; i++)
    o += (size_t)snprintf(line + o, sizeof line - o, "%s\"%c%d\":%d", i ? "," : "",
                          'a' + i % SLOTS, i, i);
  line[o++] = '}';
  line[o] = '\0';
  sh->pause = 0;
  assert_int_equal(both(sh, line, 0), 0);
  free(sh);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_shape_learned_and_reused),
      cmocka_unit_test(test_shape_every_difference),
      cmocka_unit_test(test_shape_pause),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
