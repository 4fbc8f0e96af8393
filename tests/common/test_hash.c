/* test_hash.c — common/wl_hash: FNV-1a 64 against the published test vectors (its values are
 * part of file formats, so they are pinned), incremental use, the u64 and fmix64 helpers, the
 * table hash pinned on a few inputs (values computed by a separate Python model, so a change is
 * deliberate), and the open-addressing table: bad sizes, the 3/4 bound, colliding tags told apart
 * by eq (byte keys, string keys), clears, and a long random run checked against a plain array.
 *
 * Keys are copied into exactly-sized heap blocks where the table reads them, so ASan catches a
 * read past ksize.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/wl_err.h"
#include "common/wl_hash.h"

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

/* ================================================================ hashes */

typedef struct {
  const char *text;
  uint64_t fnv; /* FNV-1a 64 (www.isthe.com/chongo/tech/comp/fnv test vectors) */
} fnv_case;

static const fnv_case fnv_cases[] = {
    {"", 0xcbf29ce484222325ULL},
    {"a", 0xaf63dc4c8601ec8cULL},
    {"foobar", 0x85944171f73967e8ULL},
    {"chongo was here!\n", 0x46810940eff5f915ULL},
};

static void test_fnv1a64(void **state) {
  (void)state;
  for (size_t i = 0; i < N_ELEMS(fnv_cases); i++) {
    const char *s = fnv_cases[i].text;
    size_t n = strlen(s);
    assert_true(wl_fnv1a64(WL_FNV1A64_INIT, s, n) == fnv_cases[i].fnv);
    for (size_t cut = 0; cut <= n; cut++) /* incremental: any split gives the same value */
      assert_true(wl_fnv1a64(wl_fnv1a64(WL_FNV1A64_INIT, s, cut), s + cut, n - cut) ==
                  fnv_cases[i].fnv);
  }
  /* the u64 helper feeds the value little-endian whatever the host */
  static const unsigned char le[8] = {8, 7, 6, 5, 4, 3, 2, 1};
  assert_true(wl_fnv1a64_u64(WL_FNV1A64_INIT, 0x0102030405060708ULL) ==
              wl_fnv1a64(WL_FNV1A64_INIT, le, 8));
  assert_true(wl_fnv1a64_u64(WL_FNV1A64_INIT, 0x0102030405060708ULL) == 0x0c6d4496e17859d5ULL);
}

static void test_mix64(void **state) {
  (void)state;
  assert_true(wl_hash_mix64(0) == 0);
  assert_true(wl_hash_mix64(1) == 0xb456bcfc34c2cb2cULL);
  assert_true(wl_hash_mix64(0x0123456789abcdefULL) == 0x87cbfbfe89022ceaULL);
}

static void test_hash_bytes(void **state) {
  (void)state;
  static const struct {
    const char *text;
    size_t len;
    uint64_t h;
  } cases[] = {
      {"", 0, 0xf24ebb1dd3ac1cb4ULL},
      {"a", 1, 0x047d4f936a06792aULL},
      {"abcdefgh", 8, 0xeb035ddd465b7960ULL},  /* one word, empty tail */
      {"abcdefghi", 9, 0xae0ab9b55290b19bULL}, /* one word and a byte */
      {"\\device\\harddiskvolume3\\windows\\system32\\svchost.exe", 52, 0x6f718d025edaba33ULL},
  };
  for (size_t i = 0; i < N_ELEMS(cases); i++) {
    char *p = malloc(cases[i].len + 1); /* exactly sized (plus 1 for malloc(0)) */
    assert_non_null(p);
    memcpy(p, cases[i].text, cases[i].len);
    assert_true(wl_hash_bytes(p, cases[i].len) == cases[i].h);
    free(p);
  }
  uint8_t b[40];
  for (int i = 0; i < 40; i++)
    b[i] = (uint8_t)i;
  assert_true(wl_hash_bytes(b, sizeof b) == 0x54b221c75f8a23f5ULL);
  /* the length is hashed: a trailing zero byte makes another key */
  assert_true(wl_hash_bytes("a\0", 2) != wl_hash_bytes("a", 1));
}

/* ================================================================ table: sizes, bounds */

static void test_htab_bad_sizes(void **state) {
  (void)state;
  wl_htab t;
  static const uint32_t bad[] = {0, 1, 2, 3, 6, 100, WL_HTAB_MAX_SLOTS + 1, UINT32_MAX};
  for (size_t i = 0; i < N_ELEMS(bad); i++) {
    assert_int_equal(wl_htab_init(&t, bad[i], 8), WL_E_INVAL);
    assert_null(t.ent);
    wl_htab_free(&t); /* a failed init leaves a table free accepts */
  }
  static const size_t bad_esize[] = {0, 4, 12, 33};
  for (size_t i = 0; i < N_ELEMS(bad_esize); i++)
    assert_int_equal(wl_htab_init(&t, 8, bad_esize[i]), WL_E_INVAL);
  assert_non_null(strstr(wl_errmsg(), "33 bytes"));
  wl_htab_free(NULL);
  wl_htab zero = {0};
  wl_htab_free(&zero);
  wl_htab_clear(&zero);
  wl_htab_clear(NULL);
}

/* A set of 64-bit values (the tag is the key): fills to exactly 3/4, then saturates. */
static void test_htab_u64_set_bound(void **state) {
  (void)state;
  static const uint32_t sizes[] = {4, 8, 64, 1024};
  for (size_t s = 0; s < N_ELEMS(sizes); s++) {
    wl_htab t;
    assert_int_equal(wl_htab_init(&t, sizes[s], sizeof(uint64_t)), WL_OK);
    assert_int_equal(wl_htab_slots(&t), sizes[s]);
    assert_int_equal(t.max, sizes[s] / 4 * 3);
    uint32_t slot, seen = 0;
    for (uint64_t k = 1; k <= t.max; k++) { /* small sequential keys: the worst input to spread */
      assert_int_equal(wl_htab_add(&t, k, NULL, NULL, &slot), 1);
      assert_true(slot < sizes[s]);
      assert_true(wl_htab_used(&t, slot));
      assert_true(*(uint64_t *)wl_htab_entry(&t, slot) == k); /* the entry is its tag */
    }
    assert_true(wl_htab_full(&t));
    for (uint64_t k = 1; k <= t.max; k++) {
      assert_int_equal(wl_htab_add(&t, k, NULL, NULL, &slot), 0); /* present: found when full */
      assert_int_equal(wl_htab_find(&t, k, NULL, NULL), slot);
    }
    assert_int_equal(wl_htab_add(&t, t.max + 1, NULL, NULL, &slot), WL_E_FULL);
    assert_int_equal(slot, WL_HTAB_NONE);
    assert_int_equal(wl_htab_find(&t, t.max + 1, NULL, NULL), WL_HTAB_NONE);
    assert_int_equal(t.n, t.max);
    for (uint32_t i = 0; i < sizes[s]; i++)
      seen += (uint32_t)wl_htab_used(&t, i);
    assert_int_equal(seen, t.max);
    wl_htab_clear(&t);
    assert_int_equal(t.n, 0);
    assert_int_equal(wl_htab_find(&t, 1, NULL, NULL), WL_HTAB_NONE);
    assert_int_equal(wl_htab_add(&t, t.max + 1, NULL, NULL, &slot), 1);
    wl_htab_free(&t);
    wl_htab_free(&t); /* twice is fine */
  }
}

/* Tag 0 means "empty", so it is taken as 1: in a set keyed by the tag they are one member. */
static void test_htab_tag_zero(void **state) {
  (void)state;
  wl_htab t;
  uint32_t a, b;
  assert_int_equal(wl_htab_init(&t, 8, sizeof(uint64_t)), WL_OK);
  assert_int_equal(wl_htab_add(&t, 0, NULL, NULL, &a), 1);
  assert_int_equal(wl_htab_add(&t, 1, NULL, NULL, &b), 0);
  assert_int_equal(a, b);
  assert_int_equal(wl_htab_find(&t, 0, NULL, NULL), a);
  wl_htab_free(&t);
}

/* ================================================================ table: keys and entries */

typedef struct bent {
  uint64_t tag;
  uint8_t key[12];
  uint32_t count;
} bent;

static int bent_eq(const void *entry, const void *key) {
  return memcmp(((const bent *)entry)->key, key, sizeof ((const bent *)entry)->key) == 0;
}

/* Byte keys whose tags all collide: eq tells them apart, the entries stay apart. */
static void test_htab_byte_keys_colliding(void **state) {
  (void)state;
  wl_htab t;
  assert_int_equal(wl_htab_init(&t, 16, sizeof(bent)), WL_OK);
  uint8_t *key = malloc(12); /* exactly sized */
  assert_non_null(key);
  uint32_t slot;
  for (int round = 0; round < 3; round++) {
    for (uint8_t i = 0; i < 12; i++) {
      memset(key, 0, 12);
      key[11] = i;
      int rc = wl_htab_add(&t, 42, key, bent_eq, &slot);
      assert_int_equal(rc, round == 0 ? 1 : 0);
      bent *e = wl_htab_entry(&t, slot);
      assert_true(e->tag == 42);
      if (rc == 1) { /* a new entry holds its tag; the caller sets the rest */
        memcpy(e->key, key, 12);
        e->count = 0;
      }
      e->count += i + 1u;
    }
  }
  assert_int_equal(t.n, 12);
  assert_true(wl_htab_full(&t));
  for (uint8_t i = 0; i < 12; i++) {
    memset(key, 0, 12);
    key[11] = i;
    slot = wl_htab_find(&t, 42, key, bent_eq);
    assert_int_not_equal(slot, WL_HTAB_NONE);
    assert_int_equal(((bent *)wl_htab_entry(&t, slot))->count, 3u * (i + 1u));
    assert_int_equal(wl_htab_find(&t, 43, key, bent_eq), WL_HTAB_NONE); /* right key, wrong tag */
  }
  key[11] = 99;
  assert_int_equal(wl_htab_find(&t, 42, key, bent_eq), WL_HTAB_NONE);
  assert_int_equal(wl_htab_add(&t, 42, key, bent_eq, &slot), WL_E_FULL);
  free(key);
  wl_htab_free(&t);
}

/* wl_htab_grow: twice the slots, every entry (colliding tags included) found again with its
 * value, room for more; grown again and again while a set is added. */
static void test_htab_grow(void **state) {
  (void)state;
  wl_htab t;
  assert_int_equal(wl_htab_init(&t, 16, sizeof(bent)), WL_OK);
  uint8_t key[12] = {0};
  uint32_t slot;
  for (uint8_t i = 0; i < 12; i++) { /* full, every tag 42 */
    key[11] = i;
    assert_int_equal(wl_htab_add(&t, 42, key, bent_eq, &slot), 1);
    bent *e = wl_htab_entry(&t, slot);
    memcpy(e->key, key, 12);
    e->count = 100u + i;
  }
  assert_true(wl_htab_full(&t));
  assert_int_equal(wl_htab_grow(&t), WL_OK);
  assert_int_equal(wl_htab_slots(&t), 32);
  assert_int_equal(t.n, 12);
  assert_false(wl_htab_full(&t));
  for (uint8_t i = 0; i < 12; i++) {
    key[11] = i;
    slot = wl_htab_find(&t, 42, key, bent_eq);
    assert_int_not_equal(slot, WL_HTAB_NONE);
    assert_int_equal(((bent *)wl_htab_entry(&t, slot))->count, 100u + i);
  }
  key[11] = 12;
  assert_int_equal(wl_htab_add(&t, 42, key, bent_eq, &slot), 1);
  wl_htab_free(&t);

  /* a set of 5,000 ids grown from 4 slots whenever full: every id there once */
  assert_int_equal(wl_htab_init(&t, 4, sizeof(uint64_t)), WL_OK);
  for (uint64_t id = 1; id <= 5000; id++) {
    if (wl_htab_full(&t))
      assert_int_equal(wl_htab_grow(&t), WL_OK);
    assert_int_equal(wl_htab_add(&t, id * 7919, NULL, NULL, &slot), 1);
  }
  assert_int_equal(t.n, 5000);
  assert_int_equal(wl_htab_slots(&t), 8192);
  for (uint64_t id = 1; id <= 5000; id++)
    assert_int_not_equal(wl_htab_find(&t, id * 7919, NULL, NULL), WL_HTAB_NONE);
  assert_int_equal(wl_htab_find(&t, 5001 * 7919, NULL, NULL), WL_HTAB_NONE);
  wl_htab_free(&t);
}

typedef struct sent {
  uint64_t tag;
  const char *key;
  int64_t id;
} sent;

static int sent_eq(const void *entry, const void *key) {
  return strcmp(((const sent *)entry)->key, key) == 0;
}

/* Keys an entry points to (strings); colliding tags again. */
static void test_htab_string_keys(void **state) {
  (void)state;
  static const char *names[] = {"svchost.exe", "firefox.exe", "", "a", "svchost.ex"};
  wl_htab t;
  assert_int_equal(wl_htab_init(&t, 8, sizeof(sent)), WL_OK);
  for (size_t i = 0; i < N_ELEMS(names); i++) {
    uint32_t slot;
    uint64_t tag = i < 3 ? 7 : wl_hash_bytes(names[i], strlen(names[i])); /* 3 share tag 7 */
    assert_int_equal(wl_htab_add(&t, tag, names[i], sent_eq, &slot), 1);
    sent *e = wl_htab_entry(&t, slot);
    assert_true(e->tag == (tag ? tag : 1));
    e->key = names[i];
    e->id = (int64_t)i + 1;
  }
  for (size_t i = 0; i < N_ELEMS(names); i++) {
    uint64_t tag = i < 3 ? 7 : wl_hash_bytes(names[i], strlen(names[i]));
    uint32_t slot = wl_htab_find(&t, tag, names[i], sent_eq);
    assert_int_not_equal(slot, WL_HTAB_NONE);
    assert_int_equal(((sent *)wl_htab_entry(&t, slot))->id, (int64_t)i + 1);
  }
  assert_int_equal(wl_htab_find(&t, 7, "other", sent_eq), WL_HTAB_NONE);
  wl_htab_free(&t);
}

typedef struct ment {
  uint64_t tag;
  uint32_t key, value;
} ment;

static int ment_eq(const void *entry, const void *key) {
  return ((const ment *)entry)->key == *(const uint32_t *)key;
}

/* clear_slots with the list of used slots leaves the same empty table as clear. */
static void test_htab_clear_slots(void **state) {
  (void)state;
  wl_htab t;
  uint32_t list[48], n = 0, slot;
  assert_int_equal(wl_htab_init(&t, 64, sizeof(ment)), WL_OK);
  for (uint32_t round = 0; round < 4; round++) {
    n = 0;
    for (uint32_t k = 0; k < 48; k++) {
      uint32_t key = k * 1000 + round;
      assert_int_equal(wl_htab_add(&t, wl_hash_bytes(&key, 4), &key, ment_eq, &slot), 1);
      ((ment *)wl_htab_entry(&t, slot))->key = key;
      list[n++] = slot;
    }
    assert_true(wl_htab_full(&t));
    wl_htab_clear_slots(&t, list, n);
    assert_int_equal(t.n, 0);
    for (uint32_t i = 0; i < wl_htab_slots(&t); i++)
      assert_false(wl_htab_used(&t, i));
  }
  wl_htab_free(&t);
}

/* ================================================================ table: against a model */

static uint64_t rng_next(uint64_t *s) {
  *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
  return *s >> 33;
}

/* 200,000 random finds/adds over a small key space (so tags collide: the tag is the key mod
 * 61) with clears, checked against a plain array. */
static void test_htab_model(void **state) {
  (void)state;
  enum { SLOTS = 128, KEYS = 300, OPS = 200000 };
  uint32_t model[KEYS]; /* value + 1, 0 = absent */
  uint32_t present = 0;
  uint64_t rng = 12345;
  wl_htab t;
  memset(model, 0, sizeof model);
  assert_int_equal(wl_htab_init(&t, SLOTS, sizeof(ment)), WL_OK);
  for (uint32_t op = 0; op < OPS; op++) {
    uint32_t k = (uint32_t)(rng_next(&rng) % KEYS), r = (uint32_t)(rng_next(&rng) % 1000), slot;
    uint64_t tag = k % 61;
    if (r == 0) {
      wl_htab_clear(&t);
      memset(model, 0, sizeof model);
      present = 0;
    } else if (r < 500) {
      slot = wl_htab_find(&t, tag, &k, ment_eq);
      if (!model[k]) {
        assert_int_equal(slot, WL_HTAB_NONE);
      } else {
        assert_int_not_equal(slot, WL_HTAB_NONE);
        assert_int_equal(((ment *)wl_htab_entry(&t, slot))->value + 1, model[k]);
      }
    } else {
      int rc = wl_htab_add(&t, tag, &k, ment_eq, &slot);
      if (model[k]) {
        assert_int_equal(rc, 0);
      } else if (present == SLOTS / 4 * 3) {
        assert_int_equal(rc, WL_E_FULL);
        continue;
      } else {
        assert_int_equal(rc, 1);
        present++;
      }
      ment *e = wl_htab_entry(&t, slot);
      e->key = k;
      e->value = op;
      model[k] = op + 1;
    }
    assert_int_equal(t.n, present);
  }
  wl_htab_free(&t);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_fnv1a64),
      cmocka_unit_test(test_mix64),
      cmocka_unit_test(test_hash_bytes),
      cmocka_unit_test(test_htab_bad_sizes),
      cmocka_unit_test(test_htab_u64_set_bound),
      cmocka_unit_test(test_htab_tag_zero),
      cmocka_unit_test(test_htab_byte_keys_colliding),
      cmocka_unit_test(test_htab_grow),
      cmocka_unit_test(test_htab_string_keys),
      cmocka_unit_test(test_htab_clear_slots),
      cmocka_unit_test(test_htab_model),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
