/* test_text_ref.c — the fast text conversions of wl_text.c against the straightforward ones
 * they replaced (kept here as references): SIDs to text without sprintf, SID text parsed with
 * leading zeros and long digit runs (both through the per-thread memo of recent SIDs: half the
 * inputs repeat), the word-at-a-time ASCII paths of UTF-16LE <-> UTF-8, and wl_strncasecmp.
 * Random inputs (fixed seed) with every output capacity, odd sizes, NULs, surrogates paired and
 * not, invalid UTF-8, unaligned buffers: return values and every output byte must match. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "common/wl_err.h"
#include "common/wl_text.h"

static uint64_t rng_state = 0x2545F4914F6CDD1DULL;
static uint32_t rnd(uint32_t n) {
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 7;
  rng_state ^= rng_state << 17;
  return (uint32_t)(rng_state >> 11) % n;
}

/* ---- the references: the code before it was made fast ---- */

static int ref_sid_to_string(const uint8_t *sid, size_t nbytes, char *out, size_t cap) {
  out[0] = 0;
  if (nbytes < 8)
    return WL_E_PARSE;
  unsigned count = sid[1];
  if (sid[0] != 1 || count > 15)
    return WL_E_PARSE;
  if (nbytes < 8 + 4 * (size_t)count)
    return WL_E_PARSE;
  uint64_t auth = 0;
  for (int k = 2; k < 8; k++)
    auth = auth << 8 | sid[k];
  char tmp[WL_SID_STR_MAX];
  size_t n;
  if (auth >> 32)
    n = (size_t)sprintf(tmp, "S-1-0x%04X%08X", (unsigned)(auth >> 32), (unsigned)auth);
  else
    n = (size_t)sprintf(tmp, "S-1-%u", (unsigned)auth);
  for (unsigned k = 0; k < count; k++) {
    const uint8_t *p = sid + 8 + 4 * k;
    uint32_t v = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
    n += (size_t)sprintf(tmp + n, "-%u", (unsigned)v);
  }
  if (n >= cap)
    return WL_E_FULL;
  memcpy(out, tmp, n + 1);
  return WL_OK;
}

static int hexval(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  c = (char)(c | 32);
  return (c >= 'a' && c <= 'f') ? c - 'a' + 10 : -1;
}

static int ref_field(const char **p, uint64_t max, int hex_ok, uint64_t *out) {
  const char *s = *p;
  unsigned base = 10;
  uint64_t v = 0;
  if (hex_ok && s[0] == '0' && (s[1] | 32) == 'x') {
    base = 16;
    s += 2;
  }
  const char *st = s;
  for (int d; (d = hexval(*s)) >= 0 && (unsigned)d < base; s++) {
    v = v * base + (unsigned)d;
    if (v > max)
      return -1;
  }
  if (s == st || (*s && *s != '-'))
    return -1;
  *out = v;
  *p = s;
  return 0;
}

static int ref_sid_from_string(const char *s, uint8_t out[WL_SID_MAX]) {
  const char *p = s + 2;
  uint64_t auth, v;
  unsigned count = 0;
  if ((s[0] != 'S' && s[0] != 's') || s[1] != '-' || p[0] != '1' || p[1] != '-')
    return WL_E_PARSE;
  p += 2;
  if (ref_field(&p, 0xFFFFFFFFFFFFull, 1, &auth))
    return WL_E_PARSE;
  for (int k = 0; k < 6; k++)
    out[2 + k] = (uint8_t)(auth >> (8 * (5 - k)));
  while (*p == '-') {
    p++;
    if (count == 15 || ref_field(&p, 0xFFFFFFFFu, 0, &v))
      return WL_E_PARSE;
    for (int k = 0; k < 4; k++)
      out[8 + 4 * count + (unsigned)k] = (uint8_t)(v >> (8 * k));
    count++;
  }
  if (*p)
    return WL_E_PARSE;
  out[0] = 1;
  out[1] = (uint8_t)count;
  return (int)(8 + 4 * count);
}

static size_t ref_utf16_to_utf8(const uint8_t *u16, size_t nbytes, char *out, size_t cap) {
  size_t units = u16 ? nbytes / 2 : 0, n = 0, w = 0;
  if (!out)
    cap = 0;
  int full = 0;
  for (size_t i = 0; i < units; i++) {
    uint32_t c = (uint32_t)u16[2 * i] | (uint32_t)u16[2 * i + 1] << 8;
    if (c == 0)
      break;
    if (c >= 0xD800 && c <= 0xDBFF && i + 1 < units) {
      uint32_t lo = (uint32_t)u16[2 * i + 2] | (uint32_t)u16[2 * i + 3] << 8;
      if (lo >= 0xDC00 && lo <= 0xDFFF) {
        c = 0x10000 + ((c - 0xD800) << 10) + (lo - 0xDC00);
        i++;
      }
    }
    if (c >= 0xD800 && c <= 0xDFFF)
      c = 0xFFFD;
    char e[4];
    size_t k = wl_utf8_encode(c, e);
    if (!full && cap && w + k <= cap - 1) {
      memcpy(out + w, e, k);
      w += k;
    } else {
      full = 1;
    }
    n += k;
  }
  if (cap)
    out[w] = 0;
  return n;
}

static uint32_t ref_dec_utf8(const unsigned char *s, size_t len, size_t *i) {
  unsigned c = s[*i];
  uint32_t cp;
  size_t n;
  if (c < 0x80) {
    (*i)++;
    return c;
  }
  if (c >= 0xC2 && c <= 0xDF)
    n = 2, cp = c & 0x1F;
  else if (c >= 0xE0 && c <= 0xEF)
    n = 3, cp = c & 0x0F;
  else if (c >= 0xF0 && c <= 0xF4)
    n = 4, cp = c & 0x07;
  else
    goto bad;
  if (len - *i < n)
    goto bad;
  for (size_t k = 1; k < n; k++) {
    if ((s[*i + k] & 0xC0) != 0x80)
      goto bad;
    cp = cp << 6 | (s[*i + k] & 0x3F);
  }
  if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
      (cp >= 0xD800 && cp <= 0xDFFF))
    goto bad;
  *i += n;
  return cp;
bad:
  (*i)++;
  return 0xFFFD;
}

static size_t ref_utf8_to_utf16(const char *s, size_t len, uint8_t *out, size_t cap) {
  const unsigned char *u = (const unsigned char *)s;
  size_t n = 0, i = 0;
  while (i < len) {
    uint32_t cp = ref_dec_utf8(u, len, &i);
    uint16_t w[2];
    size_t k = 1;
    if (cp >= 0x10000) {
      w[0] = (uint16_t)(0xD800 + ((cp - 0x10000) >> 10));
      w[1] = (uint16_t)(0xDC00 + ((cp - 0x10000) & 0x3FF));
      k = 2;
    } else {
      w[0] = (uint16_t)cp;
    }
    if (out && n + 2 * k <= cap)
      for (size_t j = 0; j < k; j++) {
        out[n + 2 * j] = (uint8_t)w[j];
        out[n + 2 * j + 1] = (uint8_t)(w[j] >> 8);
      }
    else
      out = NULL;
    n += 2 * k;
  }
  return n;
}

/* ---- the tests ---- */

static uint32_t rand_u32(void) {
  switch (rnd(5)) {
  case 0:
    return rnd(10);
  case 1:
    return 4294967295u - rnd(3);
  case 2:
    return rnd(100000);
  default:
    return (uint32_t)rnd(65536) << 16 | rnd(65536);
  }
}

/* Half the inputs come again from a pool of recent ones, so that wl_text.c's per-thread memo
 * of recent SIDs answers them (and the other half replaces its entries). */
#define POOL 6

static void test_sid_to_string_ref(void **state) {
  (void)state;
  static uint8_t pool[POOL][WL_SID_MAX + 8];
  static size_t pool_n[POOL];
  for (int it = 0; it < 100000; it++) {
    uint8_t sid[WL_SID_MAX + 8];
    size_t nbytes;
    if (it >= POOL && rnd(2)) {
      unsigned k = rnd(POOL);
      memcpy(sid, pool[k], sizeof sid);
      nbytes = pool_n[k];
      goto convert;
    }
    unsigned count = rnd(17); /* 16: too many */
    sid[0] = (uint8_t)(rnd(20) ? 1 : rnd(3));
    sid[1] = (uint8_t)count;
    uint64_t auth = rnd(4) ? rnd(20) : ((uint64_t)rnd(65536) << 32 | rand_u32());
    for (int k = 0; k < 6; k++)
      sid[2 + k] = (uint8_t)(auth >> (8 * (5 - k)));
    for (unsigned k = 0; k < 15; k++) {
      uint32_t v = rand_u32();
      memcpy(sid + 8 + 4 * k, &v, 4);
    }
    nbytes = 8 + 4 * (size_t)(count > 15 ? 15 : count);
    if (!rnd(8))
      nbytes -= rnd((unsigned)nbytes + 1); /* short */
    else if (!rnd(8))
      nbytes += rnd(8); /* bytes after the SID: not part of it */
    memcpy(pool[it % POOL], sid, sizeof sid);
    pool_n[it % POOL] = nbytes;
  convert:;
    size_t cap = rnd(3) ? WL_SID_STR_MAX : 1 + rnd(WL_SID_STR_MAX);
    char a[WL_SID_STR_MAX], b[WL_SID_STR_MAX];
    memset(a, 'x', sizeof a);
    memset(b, 'x', sizeof b);
    int ra = ref_sid_to_string(sid, nbytes, a, cap), rb = wl_sid_to_string(sid, nbytes, b, cap);
    if (ra != rb)
      fail_msg("iteration %d: rc %d, reference %d", it, rb, ra);
    assert_string_equal(a, b);
    wl_err_clear();
  }
}

static void test_sid_from_string_ref(void **state) {
  (void)state;
  static const char *const parts[] = {
      "0", "00", "007", "18", "21", "4294967295", "4294967296", "0000000000000000000000000000018",
      "18446744073709551616", "99999999999999999999", "1234567890123456789", "0x", "0xFF",
      "0x0000000000FF", "0x1000000000000", "x", "", "281474976710655", "281474976710656", "5 ",
      /* a non-digit inside an 8-digit word: ':' and '/' are
       * the neighbours of '0'..'9' */
      "1234567:", "12345:789", "123456/8", "1234567890:", "12345678a", "99999999",
      "00000000123456789"};
  static char pool[POOL][600];
  for (int it = 0; it < 100000; it++) {
    char s[600];
    if (it >= POOL && rnd(2)) {
      memcpy(s, pool[rnd(POOL)], sizeof s);
    } else {
      size_t n = (size_t)snprintf(s, sizeof s, "%s", rnd(10) ? "S-1-" : (rnd(2) ? "s-1-" : "S-2-"));
      unsigned fields = rnd(18);
      for (unsigned f = 0; f <= fields && n + 40 < sizeof s; f++)
        n += (size_t)snprintf(s + n, sizeof s - n, "%s%s", f ? "-" : "",
                              parts[rnd(sizeof parts / sizeof parts[0])]);
      memcpy(pool[it % POOL], s, sizeof s);
    }
    uint8_t a[WL_SID_MAX], b[WL_SID_MAX];
    int ra = ref_sid_from_string(s, a), rb = wl_sid_from_string(s, b);
    if (ra != rb)
      fail_msg("\"%s\": %d, reference %d", s, rb, ra);
    if (ra > 0)
      assert_memory_equal(a, b, (size_t)ra);
    wl_err_clear();
  }
}

static uint16_t rand_unit(void) {
  switch (rnd(12)) {
  case 0:
    return 0;
  case 1:
    return (uint16_t)(0x80 + rnd(0x780));
  case 2:
    return (uint16_t)(0x800 + rnd(0xD000));
  case 3:
    return (uint16_t)(0xD800 + rnd(0x400)); /* high surrogate */
  case 4:
    return (uint16_t)(0xDC00 + rnd(0x400)); /* low surrogate */
  case 5:
    return (uint16_t)(0xE000 + rnd(0x2000));
  default:
    return (uint16_t)(1 + rnd(0x7F)); /* mostly ASCII: the fast path */
  }
}

static void test_utf16_to_utf8_ref(void **state) {
  (void)state;
  for (int it = 0; it < 100000; it++) {
    uint8_t buf[2 * 80 + 1];
    size_t units = rnd(80), off = rnd(2); /* unaligned too */
    int ascii_run = rnd(2);
    for (size_t i = 0; i < units; i++) {
      uint16_t u = ascii_run && rnd(40) ? (uint16_t)(1 + rnd(0x7F)) : rand_unit();
      buf[off + 2 * i] = (uint8_t)u;
      buf[off + 2 * i + 1] = (uint8_t)(u >> 8);
    }
    size_t nbytes = 2 * units - (units && !rnd(5) ? 1 : 0); /* an odd size now and then */
    size_t cap = rnd(4) ? 3 * units + 2 : rnd((uint32_t)(3 * units + 3));
    char a[3 * 80 + 4], b[3 * 80 + 4];
    memset(a, 'x', sizeof a);
    memset(b, 'x', sizeof b);
    int null_out = cap == 0 && rnd(2);
    size_t na = ref_utf16_to_utf8(buf + off, nbytes, null_out ? NULL : a, cap);
    size_t nb = wl_utf16le_to_utf8(buf + off, nbytes, null_out ? NULL : b, cap);
    if (na != nb)
      fail_msg("iteration %d: %zu, reference %zu", it, nb, na);
    assert_memory_equal(a, b, sizeof a);
  }
}

static void test_utf8_to_utf16_ref(void **state) {
  (void)state;
  static const char *const pieces[] = {
      "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80", "\xff", "\xc3",
      "\xe2\x82", "\xed\xa0\x80", "\xc0\xaf",         "",     "\xf4\x90\x80\x80"};
  for (int it = 0; it < 100000; it++) {
    char s[200];
    size_t len = 0, want = rnd(120), off = rnd(3);
    while (len < want) {
      if (rnd(8)) {
        s[off + len++] = (char)(rnd(30) ? 1 + rnd(0x7F) : 0); /* ASCII, a NUL now and then */
      } else {
        const char *p = pieces[rnd(sizeof pieces / sizeof pieces[0])];
        size_t k = strlen(p);
        memcpy(s + off + len, p, k);
        len += k;
      }
    }
    size_t cap = rnd(3) ? 4 * len + 4 : rnd((uint32_t)(4 * len + 5));
    uint8_t a[4 * 200 + 8], b[4 * 200 + 8];
    memset(a, 0xAB, sizeof a);
    memset(b, 0xAB, sizeof b);
    int null_out = !rnd(10);
    size_t na = ref_utf8_to_utf16(s + off, len, null_out ? NULL : a, cap);
    size_t nb = wl_utf8_to_utf16le(s + off, len, null_out ? NULL : b, cap);
    if (na != nb)
      fail_msg("iteration %d: %zu, reference %zu", it, nb, na);
    assert_memory_equal(a, b, sizeof a);
  }
}

static int ref_strncasecmp(const char *a, const char *b, size_t n) {
  for (size_t i = 0; i < n; i++) {
    int ca = (unsigned char)a[i], cb = (unsigned char)b[i];
    if (ca >= 'A' && ca <= 'Z')
      ca += 32;
    if (cb >= 'A' && cb <= 'Z')
      cb += 32;
    if (ca != cb)
      return ca - cb;
    if (!ca)
      break;
  }
  return 0;
}

static void test_strncasecmp_ref(void **state) {
  (void)state;
  static const char alpha[] = "aAbBzZ@[`{\\/0\xc3\xa9";
  for (int it = 0; it < 100000; it++) {
    char a[24], b[24];
    size_t la = rnd(20), lb = rnd(3) ? la : rnd(20);
    for (size_t i = 0; i < la; i++)
      a[i] = alpha[rnd(sizeof alpha - 1)];
    a[la] = 0;
    for (size_t i = 0; i < lb; i++) { /* mostly a's letters, in either case */
      char c = i < la && rnd(6) ? a[i] : alpha[rnd(sizeof alpha - 1)];
      b[i] = (char)(c >= 'a' && c <= 'z' && rnd(2)   ? c - 32
                    : c >= 'A' && c <= 'Z' && rnd(2) ? c + 32
                                                     : c);
    }
    b[lb] = 0;
    size_t n = rnd(22);
    int ra = ref_strncasecmp(a, b, n), rb = wl_strncasecmp(a, b, n);
    if (ra != rb)
      fail_msg("\"%s\" \"%s\" %zu: %d, reference %d", a, b, n, rb, ra);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_sid_to_string_ref), cmocka_unit_test(test_sid_from_string_ref),
      cmocka_unit_test(test_utf16_to_utf8_ref), cmocka_unit_test(test_utf8_to_utf16_ref),
      cmocka_unit_test(test_strncasecmp_ref),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
