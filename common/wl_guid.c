/* wl_guid.c — GUIDs: text form, comparison, and RFC 4122 version-5 (SHA-1) name-based GUIDs.
 *
 * Filter keys are derived from the rule they implement (namespace + canonical rule text), so
 * applying a rule twice or on another machine gives the same key and `verify` can match
 * filters to rules without a side table. SHA-1 (FIPS 180-4) is implemented here, small and
 * portable, because it is the hash RFC 4122 fixes for v5 and we need no crypto library for it;
 * it is not used for anything security-relevant.
 */
#include <string.h>

#include "common/wl_err.h"
#include "common/wl_text.h"

/* ---------------------------------------------------------------- SHA-1 */

typedef struct sha1 {
  uint32_t h[5];
  uint64_t bytes;
  uint8_t block[64];
  size_t fill;
} sha1;

static uint32_t rol(uint32_t x, int n) { return (x << n) | (x >> (32 - n)); }

static void sha1_block(sha1 *c, const uint8_t b[64]) {
  uint32_t w[80], a = c->h[0], bb = c->h[1], cc = c->h[2], d = c->h[3], e = c->h[4];
  for (int i = 0; i < 16; i++)
    w[i] = (uint32_t)b[4 * i] << 24 | (uint32_t)b[4 * i + 1] << 16 |
           (uint32_t)b[4 * i + 2] << 8 | b[4 * i + 3];
  for (int i = 16; i < 80; i++)
    w[i] = rol(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
  for (int i = 0; i < 80; i++) {
    uint32_t f, k;
    if (i < 20)
      f = (bb & cc) | (~bb & d), k = 0x5A827999;
    else if (i < 40)
      f = bb ^ cc ^ d, k = 0x6ED9EBA1;
    else if (i < 60)
      f = (bb & cc) | (bb & d) | (cc & d), k = 0x8F1BBCDC;
    else
      f = bb ^ cc ^ d, k = 0xCA62C1D6;
    uint32_t t = rol(a, 5) + f + e + k + w[i];
    e = d, d = cc, cc = rol(bb, 30), bb = a, a = t;
  }
  c->h[0] += a, c->h[1] += bb, c->h[2] += cc, c->h[3] += d, c->h[4] += e;
}

static void sha1_init(sha1 *c) {
  static const uint32_t iv[5] = {0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0};
  memcpy(c->h, iv, sizeof iv);
  c->bytes = 0;
  c->fill = 0;
}

static void sha1_update(sha1 *c, const void *data, size_t len) {
  const uint8_t *p = data;
  c->bytes += len;
  while (len) {
    size_t k = 64 - c->fill < len ? 64 - c->fill : len;
    memcpy(c->block + c->fill, p, k);
    c->fill += k, p += k, len -= k;
    if (c->fill == 64) {
      sha1_block(c, c->block);
      c->fill = 0;
    }
  }
}

static void sha1_final(sha1 *c, uint8_t out[20]) {
  uint64_t bits = c->bytes * 8;
  uint8_t pad = 0x80, zero = 0, len[8];
  sha1_update(c, &pad, 1);
  while (c->fill != 56)
    sha1_update(c, &zero, 1);
  for (int i = 0; i < 8; i++)
    len[i] = (uint8_t)(bits >> (56 - 8 * i));
  sha1_update(c, len, 8);
  for (int i = 0; i < 20; i++)
    out[i] = (uint8_t)(c->h[i / 4] >> (24 - 8 * (i % 4)));
}

/* ---------------------------------------------------------------- GUIDs */

/* RFC 4122 byte order (all fields big-endian) <-> our struct. */
static void guid_to_bytes(const wl_guid *g, uint8_t b[16]) {
  b[0] = (uint8_t)(g->d1 >> 24), b[1] = (uint8_t)(g->d1 >> 16);
  b[2] = (uint8_t)(g->d1 >> 8), b[3] = (uint8_t)g->d1;
  b[4] = (uint8_t)(g->d2 >> 8), b[5] = (uint8_t)g->d2;
  b[6] = (uint8_t)(g->d3 >> 8), b[7] = (uint8_t)g->d3;
  memcpy(b + 8, g->d4, 8);
}

static void guid_from_bytes(const uint8_t b[16], wl_guid *g) {
  g->d1 = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
  g->d2 = (uint16_t)(b[4] << 8 | b[5]);
  g->d3 = (uint16_t)(b[6] << 8 | b[7]);
  memcpy(g->d4, b + 8, 8);
}

/* Lower case, as RFC 4122 section 3 asks for output; parsing accepts either case. */
size_t wl_guid_format(const wl_guid *g, char buf[WL_GUID_STR_MAX]) {
  static const char hx[] = "0123456789abcdef";
  static const char layout[] = "{xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx}";
  uint8_t b[16];
  guid_to_bytes(g, b);
  size_t k = 0;
  for (size_t i = 0; i < sizeof layout - 1; i++) {
    if (layout[i] == 'x') {
      buf[i] = hx[(b[k / 2] >> (k % 2 ? 0 : 4)) & 15];
      k++;
    } else {
      buf[i] = layout[i];
    }
  }
  buf[sizeof layout - 1] = 0;
  return sizeof layout - 1;
}

static int hexdig(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  c = (char)(c | 32);
  return (c >= 'a' && c <= 'f') ? c - 'a' + 10 : -1;
}

int wl_guid_parse(const char *s, wl_guid *g) {
  static const char layout[] = "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx";
  if (!s || !g)
    return wl_err(WL_E_INVAL, "wl_guid_parse: NULL argument");
  const char *p = s[0] == '{' ? s + 1 : s;
  uint8_t b[16] = {0};
  size_t k = 0;
  for (size_t i = 0; i < sizeof layout - 1; i++) {
    int d = hexdig(p[i]);
    if (layout[i] == '-' ? p[i] != '-' : d < 0)
      goto bad;
    if (layout[i] == 'x')
      b[k / 2] |= (uint8_t)(k % 2 ? d : d << 4), k++;
  }
  p += sizeof layout - 1;
  if (s[0] == '{' && *p++ != '}')
    goto bad;
  if (*p)
    goto bad;
  guid_from_bytes(b, g);
  return WL_OK;
bad:
  return wl_err(WL_E_PARSE, "\"%.60s\" is not a GUID ({xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx})",
                s);
}

int wl_guid_eq(const wl_guid *a, const wl_guid *b) {
  if (!a || !b)
    return a == b;
  return a->d1 == b->d1 && a->d2 == b->d2 && a->d3 == b->d3 && !memcmp(a->d4, b->d4, 8);
}

/* RFC 4122 section 4.3: SHA-1 over namespace (network order) + name, version 5, variant 10. */
void wl_guid_from_name(const wl_guid *ns, const void *name, size_t len, wl_guid *out) {
  uint8_t nsb[16], h[20];
  sha1 c;
  guid_to_bytes(ns, nsb);
  sha1_init(&c);
  sha1_update(&c, nsb, 16);
  if (name && len)
    sha1_update(&c, name, len);
  sha1_final(&c, h);
  h[6] = (uint8_t)((h[6] & 0x0F) | 0x50);
  h[8] = (uint8_t)((h[8] & 0x3F) | 0x80);
  guid_from_bytes(h, out);
}
