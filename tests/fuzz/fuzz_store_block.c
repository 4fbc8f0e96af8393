/* fuzz_store_block.c — libFuzzer target for the raw events' block decoder (store/store_block.c,
 * wl_block_decode: a blocks.data BLOB back into rows; issue 16). Built only with -DWL_FUZZ=ON and
 * clang (tests/CMakeLists.txt); scripts/checks/fuzz-store.sh runs it for a fixed number of runs.
 *
 * A block read from a store file may be damaged (a torn page, a bit flip, a hostile file): the
 * decoder must reject it with WL_E_CORRUPT, never crash or read out of bounds. Besides "no crash,
 * no sanitizer report", it checks: the result is WL_OK or WL_E_CORRUPT (nothing else: there is
 * no allocation to fail here); a block that decodes holds 1..WL_STORE_BLOCK_MAX rows in time
 * order with ports <= 65536 (what wl_block_port_put can give), and encodes again to a block
 * that decodes to the same rows (the real encoder, so encode and decode agree on the format).
 *
 * Mutation: byte mutations of the BLOB mostly damage the zstd frame, so they test the header and
 * zstd's own checks but seldom reach the columns. Half the time the custom mutator below instead
 * decompresses the frame, mutates the raw columns (libFuzzer's LLVMFuzzerMutate) and compresses
 * them again under a header that says the new length (or, now and then, the old one, or a count
 * off by one): well-formed frames of damaged columns, which is what the column parser must reject.
 *
 * Seeds: when WL_FUZZ_SEED_DIR is set, LLVMFuzzerInitialize writes there a few blocks made by
 * the real encoder (one event, a capture-like batch, stragglers, the largest values, a full
 * block); the check passes that directory as the corpus, so no binary seed is kept in the tree.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zstd.h>

#include "common/wl_err.h"
#include "store/store_int.h"

#define CHECK(c)                                                                                   \
  do {                                                                                             \
    if (!(c))                                                                                      \
      abort();                                                                                     \
  } while (0)

static wl_block_codec codec, codec2; /* reused across inputs, as a reader does */
static wl_block_row *rows, *rows2;

static void seed(const char *dir, const char *name, size_t n) {
  const void *out;
  size_t len;
  size_t n2 = 0;
  CHECK(wl_block_encode(&codec, rows, n, &out, &len) == WL_OK);
  CHECK(wl_block_decode(&codec2, out, len, rows2, &n2) == WL_OK && n2 == n);
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE *f = fopen(path, "wb");
  CHECK(f && fwrite(out, 1, len, f) == len && fclose(f) == 0);
}

static void make_seeds(const char *dir) {
  rows[0] = (wl_block_row){.ts = 1764645000000000ull, .flow = 1, .port = 0, .ctx = 1};
  seed(dir, "one", 1);
  uint64_t ts = 1764645000000000ull; /* a capture: 1,000 events/s, a few flows, ephemeral ports */
  for (size_t i = 0; i < 300; i++) {
    ts += 700 + (i * 7919) % 600;
    rows[i] = (wl_block_row){.ts = ts, .flow = 1 + i % 5, .port = wl_block_port_put(i % 3 != 0,
                             (uint16_t)(49152 + (i * 31) % 16384)), .ctx = 1 + i % 3};
  }
  seed(dir, "capture", 300);
  for (size_t i = 0; i < 40; i++) /* an import next to a capture: out of order, equal times */
    rows[i] = (wl_block_row){.ts = 1000000 + (i % 7) * 1000, .flow = 100 + i, .port = (uint32_t)i,
                             .ctx = i};
  seed(dir, "stragglers", 40);
  rows[0] = (wl_block_row){.ts = 0, .flow = 0, .port = 0, .ctx = 0};
  rows[1] = (wl_block_row){.ts = UINT64_MAX, .flow = UINT64_MAX, .port = 65536, .ctx = UINT64_MAX};
  seed(dir, "extremes", 2);
  for (size_t i = 0; i < WL_STORE_BLOCK_MAX; i++)
    rows[i] = (wl_block_row){.ts = 5000000 + i * 1000, .flow = i % 64, .port = wl_block_port_put(1,
                             (uint16_t)(443 + i)), .ctx = i % 9};
  seed(dir, "full", WL_STORE_BLOCK_MAX);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  CHECK(wl_block_codec_init(&codec) == WL_OK && wl_block_codec_init(&codec2) == WL_OK);
  rows = malloc(WL_STORE_BLOCK_MAX * sizeof *rows);
  rows2 = malloc(WL_STORE_BLOCK_MAX * sizeof *rows2);
  CHECK(rows && rows2);
  const char *dir = getenv("WL_FUZZ_SEED_DIR");
  if (dir && *dir)
    make_seeds(dir);
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len) {
  /* a copy of exactly len bytes, so ASan sees any read past the BLOB's end */
  uint8_t *blob = malloc(len ? len : 1);
  CHECK(blob);
  memcpy(blob, data, len);
  size_t n = 0;
  int rc = wl_block_decode(&codec, blob, len, rows, &n);
  free(blob);
  CHECK(rc == WL_OK || rc == WL_E_CORRUPT);
  if (rc != WL_OK) {
    CHECK(strstr(wl_errmsg(), "block") != NULL); /* the message says what was damaged */
    return 0;
  }
  CHECK(n >= 1 && n <= WL_STORE_BLOCK_MAX);
  for (size_t i = 0; i < n; i++) {
    CHECK(i == 0 || rows[i - 1].ts <= rows[i].ts);
    CHECK(rows[i].port <= 65536);
  }
  memcpy(rows2, rows, n * sizeof *rows);
  const void *out;
  size_t olen, n2 = 0;
  CHECK(wl_block_encode(&codec2, rows2, n, &out, &olen) == WL_OK);
  CHECK(wl_block_decode(&codec2, out, olen, rows2, &n2) == WL_OK && n2 == n);
  CHECK(memcmp(rows, rows2, n * sizeof *rows) == 0);
  return 0;
}

/* ---------------------------------------------------------------- structure-aware mutation */

size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max);
size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max, unsigned int seed);

static int varint(const uint8_t **p, const uint8_t *end, uint64_t *v) {
  *v = 0;
  for (unsigned shift = 0; shift < 64 && *p < end; shift += 7) {
    uint8_t b = *(*p)++;
    *v |= (uint64_t)(b & 0x7f) << shift;
    if (!(b & 0x80))
      return 1;
  }
  return 0;
}

static uint8_t *put(uint8_t *p, uint64_t v) {
  for (; v >= 0x80; v >>= 7)
    *p++ = (uint8_t)(v | 0x80);
  *p++ = (uint8_t)v;
  return p;
}

size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max, unsigned int seed) {
  static uint8_t raw[WL_BLOCK_RAW_MAX], frame[WL_BLOCK_RAW_MAX + 1024];
  const uint8_t *p = data + 1, *end = data + size;
  uint64_t n, raw_len;
  if (seed % 2 || size < 3 || !varint(&p, end, &n) || !varint(&p, end, &raw_len))
    return LLVMFuzzerMutate(data, size, max);
  size_t got = ZSTD_decompress(raw, sizeof raw, p, (size_t)(end - p));
  if (ZSTD_isError(got))
    return LLVMFuzzerMutate(data, size, max);
  size_t len = LLVMFuzzerMutate(raw, got, sizeof raw);
  size_t c = ZSTD_compress(frame, sizeof frame, raw, len, 1);
  if (ZSTD_isError(c))
    return LLVMFuzzerMutate(data, size, max);
  switch ((seed >> 1) % 8) {
  case 0: raw_len = got; break;      /* the old length */
  case 1: n = n + 1; break;          /* a count that does not match the columns */
  case 2: n = n ? n - 1 : 0; break;
  default: raw_len = len; break;     /* the common case: a consistent header */
  }
  uint8_t hdr[32], *h = put(put(hdr + 1, n), raw_len);
  hdr[0] = data[0];
  size_t hl = (size_t)(h - hdr);
  if (hl + c > max)
    return LLVMFuzzerMutate(data, size, max);
  memcpy(data, hdr, hl);
  memcpy(data + hl, frame, c);
  return hl + c;
}
