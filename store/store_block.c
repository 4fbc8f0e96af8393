/* store_block.c — the raw events' on-disk form: one compressed column block per batch (or per
 * WL_STORE_BLOCK_MAX events of it), a row of the blocks table (issue 16).
 *
 * Why: a row per event cost ~30 bytes on disk and a B-tree insert each; a block of a few
 * thousand events is one insert of a BLOB. Each event is four numbers (wl_block_row: time,
 * flow id, the port the flow does not keep, context id; see schema.c), and laid out column by
 * column they are small and repetitive: times are sorted, so stored as varint deltas (about 2
 * bytes at 1,000 events/s); flow and context ids are small varints that repeat (a few flows make
 * most traffic); an ephemeral port is mapped to 0..16383 (2 varint bytes). zstd then finds the
 * repeats across columns. The block says its own format: a version byte, the event count, the
 * raw length, then one zstd frame of the columns in this order: ts, flow, port, ctx.
 *
 * Bounds: a block holds at most WL_STORE_BLOCK_MAX events, so its raw columns at most
 * WL_BLOCK_RAW_MAX bytes; the codec's buffers are that big, allocated once. A block that does not
 * decode to exactly what it says (count, lengths, a time going backwards) is WL_E_CORRUPT.
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>
#include <zstd_errors.h>

#include "common/wl_err.h"
#include "store/store_int.h"

#define BLOCK_FORMAT 1
#define BLOCK_LEVEL 3 /* zstd level: see docs/formats.md for what others gave */

int wl_block_codec_init(wl_block_codec *z) {
  memset(z, 0, sizeof *z);
  z->raw = malloc(WL_BLOCK_RAW_MAX);
  z->out_cap = ZSTD_compressBound(WL_BLOCK_RAW_MAX) + 32;
  z->out = malloc(z->out_cap);
  z->tmp = malloc(WL_STORE_BLOCK_MAX * sizeof *z->tmp);
  if (!z->raw || !z->out || !z->tmp) {
    wl_block_codec_free(z);
    return wl_err(WL_E_NOMEM, "store: no memory for the block codec");
  }
  return WL_OK;
}

void wl_block_codec_free(wl_block_codec *z) {
  if (!z)
    return;
  ZSTD_freeCCtx(z->cctx);
  ZSTD_freeDCtx(z->dctx);
  free(z->raw);
  free(z->out);
  free(z->tmp);
  memset(z, 0, sizeof *z);
}

/* ---------------------------------------------------------------- varints */

static uint8_t *put_varint(uint8_t *p, uint64_t v) {
  while (v >= 0x80) {
    *p++ = (uint8_t)(v | 0x80);
    v >>= 7;
  }
  *p++ = (uint8_t)v;
  return p;
}

/* 0 at the end of the buffer or on a varint longer than 10 bytes. */
static int get_varint(const uint8_t **p, const uint8_t *end, uint64_t *v) {
  uint64_t x = 0;
  for (unsigned shift = 0; shift < 70 && *p < end; shift += 7) {
    uint8_t b = *(*p)++;
    x |= (uint64_t)(b & 0x7f) << shift;
    if (!(b & 0x80)) {
      *v = x;
      return 1;
    }
  }
  return 0;
}

/* ---------------------------------------------------------------- encode */

/* Stable sort by time: a batch is in time order but for a few stragglers (two sources, an
 * import), so the common case is one pass that finds it sorted. */
static void sort_rows(wl_block_row *r, wl_block_row *tmp, size_t n) {
  size_t i = 1;
  while (i < n && r[i - 1].ts <= r[i].ts)
    i++;
  if (i >= n)
    return;
  for (size_t w = 1; w < n; w *= 2) { /* bottom-up merge sort, stable */
    for (size_t lo = 0; lo < n; lo += 2 * w) {
      size_t mid = lo + w < n ? lo + w : n, hi = lo + 2 * w < n ? lo + 2 * w : n;
      size_t a = lo, b = mid, k = lo;
      while (a < mid && b < hi)
        tmp[k++] = r[b].ts < r[a].ts ? r[b++] : r[a++];
      while (a < mid)
        tmp[k++] = r[a++];
      while (b < hi)
        tmp[k++] = r[b++];
    }
    memcpy(r, tmp, n * sizeof *r);
  }
}

int wl_block_encode(wl_block_codec *z, wl_block_row *rows, size_t n, const void **out,
                    size_t *len) {
  assert(n > 0 && n <= WL_STORE_BLOCK_MAX);
  sort_rows(rows, z->tmp, n);
  uint8_t *p = z->raw;
  uint64_t prev = 0;
  for (size_t i = 0; i < n; i++) {
    p = put_varint(p, rows[i].ts - prev);
    prev = rows[i].ts;
  }
  for (size_t i = 0; i < n; i++)
    p = put_varint(p, rows[i].flow);
  for (size_t i = 0; i < n; i++)
    p = put_varint(p, rows[i].port);
  for (size_t i = 0; i < n; i++)
    p = put_varint(p, rows[i].ctx);
  size_t raw_len = (size_t)(p - z->raw);
  assert(raw_len <= WL_BLOCK_RAW_MAX);
  if (!z->cctx && !(z->cctx = ZSTD_createCCtx()))
    return wl_err(WL_E_NOMEM, "store: no memory for zstd");
  uint8_t *o = put_varint(put_varint(z->out + 1, n), raw_len);
  z->out[0] = BLOCK_FORMAT;
  size_t hdr = (size_t)(o - z->out);
  size_t c = ZSTD_compressCCtx(z->cctx, o, z->out_cap - hdr, z->raw, raw_len, BLOCK_LEVEL);
  if (ZSTD_isError(c)) {
    ZSTD_freeCCtx(z->cctx); /* its state is unknown after a failure (an allocation) */
    z->cctx = NULL;
    return wl_err(ZSTD_getErrorCode(c) == ZSTD_error_memory_allocation ? WL_E_NOMEM
                                                                        : WL_E_INTERNAL,
                  "store: compressing a block: %s", ZSTD_getErrorName(c));
  }
  *out = z->out;
  *len = hdr + c;
  return WL_OK;
}

/* ---------------------------------------------------------------- decode */

static int corrupt(const char *why) {
  return wl_err(WL_E_CORRUPT, "store: an event block is damaged (%s)", why);
}

int wl_block_decode(wl_block_codec *z, const void *data, size_t len, wl_block_row *rows,
                    size_t *n_out) {
  const uint8_t *p = data, *end = p + len;
  uint64_t n = 0, raw_len = 0;
  if (len < 1 || p[0] != BLOCK_FORMAT)
    return corrupt("unknown format");
  p++;
  if (!get_varint(&p, end, &n) || !get_varint(&p, end, &raw_len) || n == 0 ||
      n > WL_STORE_BLOCK_MAX || raw_len > WL_BLOCK_RAW_MAX)
    return corrupt("bad header");
  if (!z->dctx && !(z->dctx = ZSTD_createDCtx()))
    return wl_err(WL_E_NOMEM, "store: no memory for zstd");
  size_t got = ZSTD_decompressDCtx(z->dctx, z->raw, WL_BLOCK_RAW_MAX, p, (size_t)(end - p));
  if (ZSTD_isError(got)) {
    if (ZSTD_getErrorCode(got) == ZSTD_error_memory_allocation)
      return wl_err(WL_E_NOMEM, "store: no memory to decompress a block");
    return corrupt(ZSTD_getErrorName(got));
  }
  if (got != raw_len)
    return corrupt("length");
  const uint8_t *q = z->raw, *qend = z->raw + got;
  uint64_t v, ts = 0;
  for (size_t i = 0; i < n; i++) {
    if (!get_varint(&q, qend, &v) || ts + v < ts)
      return corrupt("times");
    rows[i].ts = ts += v;
  }
  for (size_t i = 0; i < n; i++) {
    if (!get_varint(&q, qend, &rows[i].flow))
      return corrupt("flows");
  }
  for (size_t i = 0; i < n; i++) {
    if (!get_varint(&q, qend, &v) || v > 65536)
      return corrupt("ports");
    rows[i].port = (uint32_t)v;
  }
  for (size_t i = 0; i < n; i++) {
    if (!get_varint(&q, qend, &rows[i].ctx))
      return corrupt("contexts");
  }
  if (q != qend)
    return corrupt("trailing bytes");
  *n_out = (size_t)n;
  return WL_OK;
}

/* The port the flow does not keep: 0 when unknown, else mapped so that ephemeral ports
 * (49152..65535) take 0..16383, 2 varint bytes, and plus 1. */
uint32_t wl_block_port_put(int has, uint16_t port) {
  return has ? (uint32_t)((port + 16384u) & 0xffffu) + 1 : 0;
}

int wl_block_port_get(uint32_t v, uint16_t *port) {
  if (!v)
    return 0;
  *port = (uint16_t)((v - 1 + 49152u) & 0xffffu);
  return 1;
}
