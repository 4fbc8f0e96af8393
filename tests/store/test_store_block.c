/* test_store_block.c — the raw events' block decoder (store/store_block.c, wl_block_decode;
 * issue 16) rejects a damaged block with WL_E_CORRUPT and a message naming what was wrong, never
 * crashes. The regression cases of tests/fuzz/fuzz_store_block.c go here (scripts/checks/
 * fuzz-store.sh; none crashed so far): every truncation of a real block, a wrong format byte, a
 * header out of bounds, and well-formed zstd frames of damaged columns (a count the columns do
 * not hold, times that wrap, a port beyond wl_block_port_put's range, trailing bytes, a length
 * the frame does not have).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <zstd.h>

#include "common/wl_err.h"
#include "store/store_int.h"

static wl_block_codec codec;
static wl_block_row rows[WL_STORE_BLOCK_MAX];
static uint8_t blob[4096];

static int setup(void **state) {
  (void)state;
  return wl_block_codec_init(&codec) == WL_OK ? 0 : -1;
}

static int teardown(void **state) {
  (void)state;
  wl_block_codec_free(&codec);
  return 0;
}

/* WL_E_CORRUPT naming `why` ("an event block is damaged (why)"). */
static void rejects(const void *data, size_t len, const char *why) {
  size_t n = 0;
  assert_int_equal(wl_block_decode(&codec, data, len, rows, &n), WL_E_CORRUPT);
  assert_non_null(strstr(wl_errmsg(), "an event block is damaged"));
  if (why)
    assert_non_null(strstr(wl_errmsg(), why));
}

static uint8_t *put(uint8_t *p, uint64_t v) {
  for (; v >= 0x80; v >>= 7)
    *p++ = (uint8_t)(v | 0x80);
  *p++ = (uint8_t)v;
  return p;
}

/* A block of format 1 saying n events and raw_len bytes, of a zstd frame of raw[0..len). */
static size_t block(uint64_t n, uint64_t raw_len, const uint8_t *raw, size_t len) {
  uint8_t *p = put(put(blob + 1, n), raw_len);
  blob[0] = 1;
  size_t c = ZSTD_compress(p, sizeof blob - (size_t)(p - blob), raw, len, 1);
  assert_false(ZSTD_isError(c));
  return (size_t)(p - blob) + c;
}

static void test_round_trip_and_truncations(void **state) {
  (void)state;
  wl_block_row in[50];
  for (size_t i = 0; i < 50; i++)
    in[i] = (wl_block_row){.ts = 1000 + (i * 37) % 11, .flow = i % 4, .port = 65536 * (i == 7),
                           .ctx = UINT64_MAX - i};
  const void *out;
  size_t len, n = 0;
  assert_int_equal(wl_block_encode(&codec, in, 50, &out, &len), WL_OK);
  uint8_t *copy = malloc(len);
  assert_non_null(copy);
  memcpy(copy, out, len);
  assert_int_equal(wl_block_decode(&codec, copy, len, rows, &n), WL_OK);
  assert_int_equal(n, 50);
  assert_memory_equal(rows, in, sizeof in); /* the encoder sorted `in` */
  for (size_t cut = 0; cut < len; cut++) { /* a torn page: every prefix */
    uint8_t *t = malloc(cut ? cut : 1);    /* exactly cut bytes, for ASan */
    assert_non_null(t);
    memcpy(t, copy, cut);
    rejects(t, cut, NULL);
    free(t);
  }
  copy[0] = 2;
  rejects(copy, len, "unknown format");
  free(copy);
}

static void test_bad_headers(void **state) {
  (void)state;
  uint8_t raw[4] = {5, 1, 0, 1};
  rejects(blob, block(0, 4, raw, 4), "bad header");
  rejects(blob, block(WL_STORE_BLOCK_MAX + 1, 4, raw, 4), "bad header");
  rejects(blob, block(1, WL_BLOCK_RAW_MAX + 1, raw, 4), "bad header");
  uint8_t h[12] = {1, 1, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80};
  rejects(h, sizeof h, "bad header"); /* a raw length varint longer than 10 bytes */
  rejects(blob, block(1, 3, raw, 4), "length");
  size_t l = block(1, 4, raw, 4);
  blob[3] ^= 0x55; /* the frame's magic damaged: zstd's own error names it */
  rejects(blob, l, "Unknown frame descriptor");
}

static void test_damaged_columns(void **state) {
  (void)state;
  uint8_t ok[4] = {5, 1, 0, 1};
  size_t n = 0;
  assert_int_equal(wl_block_decode(&codec, blob, block(1, 4, ok, 4), rows, &n), WL_OK);
  uint8_t two[2] = {5, 1};
  rejects(blob, block(1, 2, two, 2), "ports");
  rejects(blob, block(2, 4, ok, 4), "ports"); /* 2 times, 2 flows, then nothing */
  rejects(blob, block(3, 4, ok, 4), "flows");
  rejects(blob, block(5, 4, ok, 4), "times");
  uint8_t wrap[] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 2, 0, 0, 0, 0, 0};
  rejects(blob, block(2, sizeof wrap, wrap, sizeof wrap), "times"); /* UINT64_MAX, then +2 */
  uint8_t port[] = {5, 1, 0x82, 0x80, 0x04, 1}; /* 65538 */
  rejects(blob, block(1, sizeof port, port, sizeof port), "ports");
  uint8_t noctx[] = {5, 1, 0, 0x80};
  rejects(blob, block(1, sizeof noctx, noctx, sizeof noctx), "contexts");
  uint8_t more[] = {5, 1, 0, 1, 9};
  rejects(blob, block(1, sizeof more, more, sizeof more), "trailing bytes");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_round_trip_and_truncations),
      cmocka_unit_test(test_bad_headers),
      cmocka_unit_test(test_damaged_columns),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
