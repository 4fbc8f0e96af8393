/* wl_text.c — IP addresses, endpoints and prefixes; UTF-16LE <-> UTF-8; SIDs; string helpers.
 *
 * Pure and allocation-free: every function takes explicit lengths and output capacities, so
 * they are safe on the callback thread and on untrusted blobs (WFP app ids and SIDs come
 * without terminators, imported logs are arbitrary text). Addresses are written the way
 * RFC 5952 asks (lower case, longest zero run compressed, v4-mapped as ::ffff:a.b.c.d) and read
 * in every standard textual form, with a clear error for zone ids, which WFP cannot match.
 * Timestamps live in wl_time.c and GUIDs in wl_guid.c.
 */
#include "common/wl_text.h"

#include <stdio.h>
#include <string.h>

#include "common/wl_err.h"

/* ---------------------------------------------------------------- IPv4 / IPv6 parsing */

/* Dotted quad, exactly four decimal parts 0..255 without leading zeros (they read as octal
 * in some tools, so they are ambiguous). */
static int parse_v4(const char *s, size_t len, uint8_t out[4]) {
  size_t i = 0;
  for (int part = 0; part < 4; part++) {
    unsigned v = 0, nd = 0;
    if (part && (i >= len || s[i++] != '.'))
      return -1;
    while (i < len && s[i] >= '0' && s[i] <= '9' && nd < 4) {
      if (nd == 1 && v == 0)
        return -1; /* leading zero */
      v = v * 10 + (unsigned)(s[i++] - '0');
      nd++;
    }
    if (!nd || v > 255)
      return -1;
    out[part] = (uint8_t)v;
  }
  return i == len ? 0 : -1;
}

static int hexval(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  c = (char)(c | 32);
  return (c >= 'a' && c <= 'f') ? c - 'a' + 10 : -1;
}

/* The groups of an IPv6 text in order, at most 8; *gap is where "::" stood (-1: none).
 * RFC 4291 section 2.2: x:x:x:x:x:x:x:x, one "::", optional trailing dotted quad. */
static int v6_groups(const char *s, size_t len, uint16_t g[8], int *n, int *gap) {
  size_t i = 0;
  uint8_t v4[4];
  *n = 0;
  *gap = -1;
  if (len >= 2 && s[0] == ':' && s[1] == ':')
    *gap = 0, i = 2;
  else if (len && s[0] == ':')
    return -1;
  while (i < len) {
    size_t st = i;
    unsigned v = 0;
    while (i < len && i - st < 5 && hexval(s[i]) >= 0)
      v = v * 16 + (unsigned)hexval(s[i++]);
    if (i < len && s[i] == '.') { /* embedded IPv4: the last two groups */
      if (*n > 6 || parse_v4(s + st, len - st, v4))
        return -1;
      g[(*n)++] = (uint16_t)(v4[0] << 8 | v4[1]);
      g[(*n)++] = (uint16_t)(v4[2] << 8 | v4[3]);
      return 0;
    }
    if (i == st || i - st > 4 || *n == 8)
      return -1;
    g[(*n)++] = (uint16_t)v;
    if (i == len)
      return 0;
    if (s[i++] != ':' || i == len) /* not a separator, or a trailing single ':' */
      return -1;
    if (s[i] == ':') {
      if (*gap >= 0)
        return -1; /* a second "::" */
      *gap = *n;
      i++;
    }
  }
  return 0;
}

static int parse_v6(const char *s, size_t len, uint8_t out[16]) {
  uint16_t g[8] = {0}, full[8] = {0};
  int n, gap;
  if (v6_groups(s, len, g, &n, &gap) || (gap < 0 ? n != 8 : n > 7))
    return -1;
  int tail = gap < 0 ? 0 : n - gap;
  for (int k = 0; k < n - tail; k++)
    full[k] = g[k];
  for (int k = 0; k < tail; k++)
    full[8 - tail + k] = g[gap + k];
  for (int k = 0; k < 8; k++) {
    out[2 * k] = (uint8_t)(full[k] >> 8);
    out[2 * k + 1] = (uint8_t)full[k];
  }
  return 0;
}

int wl_addr_parse(const char *s, size_t len, uint8_t *ip_version, uint8_t addr[16]) {
  uint8_t tmp[16] = {0};
  if (!s || !ip_version || !addr)
    return wl_err(WL_E_INVAL, "wl_addr_parse: NULL argument");
  if (memchr(s, '%', len))
    return wl_err(WL_E_PARSE, "address \"%.*s\": zone ids (%%...) are not supported",
                  (int)(len > 60 ? 60 : len), s);
  if (memchr(s, ':', len)) {
    if (parse_v6(s, len, tmp))
      return wl_err(WL_E_PARSE, "\"%.*s\" is not an IPv6 address", (int)(len > 60 ? 60 : len),
                    s);
    *ip_version = 6;
  } else {
    if (parse_v4(s, len, tmp))
      return wl_err(WL_E_PARSE, "\"%.*s\" is not an IPv4 address", (int)(len > 60 ? 60 : len),
                    s);
    memset(tmp + 4, 0, 12);
    *ip_version = 4;
  }
  memcpy(addr, tmp, 16);
  return WL_OK;
}

/* ---------------------------------------------------------------- formatting */

static size_t fmt_v4(const uint8_t a[4], char *buf) {
  return (size_t)sprintf(buf, "%u.%u.%u.%u", a[0], a[1], a[2], a[3]);
}

/* RFC 5952: lower case, no leading zeros, the longest run (>= 2) of zero groups as "::"
 * (the first one on a tie), v4-mapped addresses as ::ffff:a.b.c.d. */
static size_t fmt_v6(const uint8_t a[16], char *buf) {
  static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (!memcmp(a, mapped, 12))
    return (size_t)sprintf(buf, "::ffff:") + fmt_v4(a + 12, buf + 7);
  unsigned g[8];
  int best = -1, best_len = 1, run = 0;
  for (int k = 0; k < 8; k++) {
    g[k] = (unsigned)a[2 * k] << 8 | a[2 * k + 1];
    run = g[k] ? 0 : run + 1;
    if (run > best_len) {
      best_len = run;
      best = k - run + 1;
    }
  }
  size_t n = 0;
  for (int k = 0; k < 8; k++) {
    if (k == best) {
      n += (size_t)sprintf(buf + n, "::");
      k += best_len - 1;
      continue;
    }
    n += (size_t)sprintf(buf + n, (n && buf[n - 1] != ':') ? ":%x" : "%x", g[k]);
  }
  return n;
}

size_t wl_addr_format(uint8_t ip_version, const uint8_t addr[16], char buf[WL_ADDR_STR_MAX]) {
  if (ip_version == 4 && addr)
    return fmt_v4(addr, buf);
  if (ip_version == 6 && addr)
    return fmt_v6(addr, buf);
  buf[0] = 0; /* unknown family: empty */
  return 0;
}

size_t wl_endpoint_format(uint8_t ip_version, const uint8_t addr[16], uint16_t port,
                          char buf[WL_EP_STR_MAX]) {
  char a[WL_ADDR_STR_MAX];
  if (!wl_addr_format(ip_version, addr, a)) {
    buf[0] = 0;
    return 0;
  }
  const char *f = ip_version == 6 ? "[%s]:%u" : "%s:%u";
  return (size_t)snprintf(buf, WL_EP_STR_MAX, f, a, (unsigned)port);
}

/* ---------------------------------------------------------------- endpoints, prefixes */

/* Decimal without sign or leading zeros (a lone "0" is fine), <= max. */
static int parse_uint(const char *s, size_t len, unsigned max, unsigned *out) {
  unsigned v = 0;
  if (!len || len > 10 || (len > 1 && s[0] == '0'))
    return -1;
  for (size_t i = 0; i < len; i++) {
    if (s[i] < '0' || s[i] > '9')
      return -1;
    v = v * 10 + (unsigned)(s[i] - '0');
    if (v > max)
      return -1;
  }
  *out = v;
  return 0;
}

int wl_endpoint_parse(const char *s, size_t len, uint8_t *ip_version, uint8_t addr[16],
                      uint16_t *port) {
  if (!s || !port)
    return wl_err(WL_E_INVAL, "wl_endpoint_parse: NULL argument");
  const char *host = s, *ps = NULL;
  size_t hlen = len, plen = 0;
  int pl = (int)(len > 60 ? 60 : len), bracket = len && s[0] == '[';
  if (bracket) {
    const char *rb = memchr(s, ']', len);
    if (!rb)
      return wl_err(WL_E_PARSE, "endpoint \"%.*s\": missing ']'", pl, s);
    host = s + 1;
    hlen = (size_t)(rb - host);
    if (rb + 1 < s + len) {
      if (rb[1] != ':')
        return wl_err(WL_E_PARSE, "endpoint \"%.*s\": expected ':' after ']'", pl, s);
      ps = rb + 2;
      plen = (size_t)(s + len - ps);
    }
  } else {
    const char *c1 = memchr(s, ':', len);
    if (c1 && !memchr(c1 + 1, ':', (size_t)(s + len - c1 - 1))) { /* one colon: v4:port */
      hlen = (size_t)(c1 - s);
      ps = c1 + 1;
      plen = (size_t)(s + len - ps);
    } /* several colons: a bare IPv6 address */
  }
  unsigned p = 0;
  if (ps && parse_uint(ps, plen, 65535, &p))
    return wl_err(WL_E_PARSE, "endpoint \"%.*s\": port must be 0..65535", pl, s);
  int rc = wl_addr_parse(host, hlen, ip_version, addr);
  if (rc)
    return rc;
  if (bracket && *ip_version != 6)
    return wl_err(WL_E_PARSE, "endpoint \"%.*s\": brackets are for IPv6 only", pl, s);
  *port = (uint16_t)p;
  return WL_OK;
}

int wl_prefix_parse(const char *s, size_t len, uint8_t *ip_version, uint8_t addr[16],
                    uint8_t *prefix_len) {
  if (!s || !prefix_len)
    return wl_err(WL_E_INVAL, "wl_prefix_parse: NULL argument");
  const char *slash = memchr(s, '/', len);
  size_t alen = slash ? (size_t)(slash - s) : len;
  int rc = wl_addr_parse(s, alen, ip_version, addr);
  if (rc)
    return rc;
  unsigned max = *ip_version == 4 ? 32 : 128, pl = max;
  if (slash && parse_uint(slash + 1, (size_t)(s + len - slash - 1), max, &pl))
    return wl_err(WL_E_PARSE, "prefix \"%.*s\": length must be 0..%u",
                  (int)(len > 60 ? 60 : len), s, max);
  /* Host bits are cleared: "192.168.1.5/24" means the network 192.168.1.0/24. */
  for (unsigned bit = pl; bit < max; bit++)
    addr[bit / 8] &= (uint8_t) ~(0x80u >> (bit % 8));
  *prefix_len = (uint8_t)pl;
  return WL_OK;
}

void wl_addr_from_v4_host(uint32_t host, uint8_t addr[16]) {
  memset(addr, 0, 16);
  addr[0] = (uint8_t)(host >> 24);
  addr[1] = (uint8_t)(host >> 16);
  addr[2] = (uint8_t)(host >> 8);
  addr[3] = (uint8_t)host;
}

uint32_t wl_addr_to_v4_host(const uint8_t addr[16]) {
  return (uint32_t)addr[0] << 24 | (uint32_t)addr[1] << 16 | (uint32_t)addr[2] << 8 | addr[3];
}

/* ---------------------------------------------------------------- UTF-16LE <-> UTF-8 */

/* The word-at-a-time ASCII paths below read little-endian words with memcpy. */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define WL_TEXT_LE 1
#else
#define WL_TEXT_LE 0
#endif

size_t wl_utf8_encode(uint32_t cp, char o[4]) {
  if (cp < 0x80) {
    o[0] = (char)cp;
    return 1;
  }
  if (cp < 0x800) {
    o[0] = (char)(0xC0 | cp >> 6);
    o[1] = (char)(0x80 | (cp & 0x3F));
    return 2;
  }
  if (cp < 0x10000) {
    o[0] = (char)(0xE0 | cp >> 12);
    o[1] = (char)(0x80 | (cp >> 6 & 0x3F));
    o[2] = (char)(0x80 | (cp & 0x3F));
    return 3;
  }
  o[0] = (char)(0xF0 | cp >> 18);
  o[1] = (char)(0x80 | (cp >> 12 & 0x3F));
  o[2] = (char)(0x80 | (cp >> 6 & 0x3F));
  o[3] = (char)(0x80 | (cp & 0x3F));
  return 4;
}

/* Characters are written whole or not at all, so a truncated result is still valid UTF-8. */
size_t wl_utf16le_to_utf8(const uint8_t *u16, size_t nbytes, char *out, size_t cap) {
  size_t units = u16 ? nbytes / 2 : 0, n = 0, w = 0;
  if (!out)
    cap = 0;
  int full = 0;
  for (size_t i = 0; i < units; i++) {
#if WL_TEXT_LE
    /* four ASCII units (1..0x7F) at once: paths are mostly ASCII */
    while (i + 4 <= units && !full && w + 4 < cap) {
      uint64_t q;
      memcpy(&q, u16 + 2 * i, 8);
      if ((q & 0xFF80FF80FF80FF80ULL) || ((q - 0x0001000100010001ULL) & 0x8000800080008000ULL))
        break; /* a unit >= 0x80, or a NUL */
      uint32_t b = (uint32_t)(q & 0xFF) | (uint32_t)(q >> 8 & 0xFF00) |
                   (uint32_t)(q >> 16 & 0xFF0000) | (uint32_t)(q >> 24 & 0xFF000000);
      memcpy(out + w, &b, 4);
      w += 4;
      n += 4;
      i += 4;
    }
    if (i >= units)
      break;
#endif
    uint32_t c = (uint32_t)u16[2 * i] | (uint32_t)u16[2 * i + 1] << 8;
    if (c == 0)
      break;
    if (c < 0x80) {
      if (!full && w + 1 < cap)
        out[w++] = (char)c;
      else
        full = 1;
      n++;
      continue;
    }
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

/* Next code point of UTF-8 at s[*i..len); invalid bytes give U+FFFD one byte at a time. */
static uint32_t dec_utf8(const unsigned char *s, size_t len, size_t *i) {
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

/* Every byte of s[0..len) is converted (a NUL becomes a NUL unit); units are written whole. */
size_t wl_utf8_to_utf16le(const char *s, size_t len, uint8_t *out, size_t cap) {
  const unsigned char *u = (const unsigned char *)s;
  size_t n = 0, i = 0;
  if (!s)
    return 0;
  while (i < len) {
#if WL_TEXT_LE
    /* eight ASCII bytes at once, widened to eight units */
    while (out && i + 8 <= len && n + 16 <= cap) {
      uint64_t q;
      memcpy(&q, u + i, 8);
      if (q & 0x8080808080808080ULL)
        break;
      for (int h = 0; h < 2; h++, q >>= 32) {
        uint64_t x = q & 0xFFFFFFFFULL;
        x = (x | x << 16) & 0x0000FFFF0000FFFFULL;
        x = (x | x << 8) & 0x00FF00FF00FF00FFULL;
        memcpy(out + n + 8 * h, &x, 8);
      }
      n += 16;
      i += 8;
    }
    if (i >= len)
      break;
#endif
    if (u[i] < 0x80) {
      if (out && n + 2 <= cap) {
        out[n] = u[i];
        out[n + 1] = 0;
      } else {
        out = NULL;
      }
      n += 2;
      i++;
      continue;
    }
    uint32_t cp = dec_utf8(u, len, &i);
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
      out = NULL; /* once something did not fit, write nothing after it */
    n += 2 * k;
  }
  return n;
}

/* ---------------------------------------------------------------- SIDs */

#define WL_SID_MAX_SUBAUTH 15 /* SID_MAX_SUB_AUTHORITIES, winnt.h */

/* Decimal digits of v at out (no terminator), two at a time; returns the count. */
static size_t fmt_u32(uint32_t v, char *out) {
  static const char two[] = "00010203040506070809101112131415161718192021222324252627282930313233"
                            "34353637383940414243444546474849505152535455565758596061626364656667"
                            "6869707172737475767778798081828384858687888990919293949596979899";
  _Static_assert(sizeof two == 201, "the hundred pairs 00..99");
  size_t len;
  if (v < 100000)
    len = v < 100 ? (v < 10 ? 1 : 2) : v < 10000 ? (v < 1000 ? 3 : 4) : 5;
  else
    len = v < 10000000 ? (v < 1000000 ? 6 : 7) : v < 1000000000 ? (v < 100000000 ? 8 : 9) : 10;
  char *p = out + len;
  while (v >= 100) {
    uint32_t r = v % 100;
    v /= 100;
    p -= 2;
    p[0] = two[2 * r];
    p[1] = two[2 * r + 1];
  }
  if (v >= 10) {
    p[-2] = two[2 * v];
    p[-1] = two[2 * v + 1];
  } else {
    p[-1] = (char)('0' + v);
  }
  return len;
}

/* Upper-case hex of v in exactly `digits` digits. */
static void fmt_hex(uint64_t v, unsigned digits, char *out) {
  static const char hex[] = "0123456789ABCDEF";
  for (unsigned i = digits; i-- > 0; v >>= 4)
    out[i] = hex[v & 15];
}

/* The last few SIDs converted on this thread, each way: an event stream names the same one or
 * two users again and again (the replay reader parses each SID's text and formats it back, the
 * decoder formats it, wl_encode parses it). A hit needs the whole key equal; errors are never
 * remembered. Per thread, so no locks: 2 × SID_MEMO × 264 bytes of thread-local storage. */
#define SID_MEMO 4
typedef struct sid_memo {
  uint8_t nbin, nstr; /* 0: empty */
  uint8_t bin[WL_SID_MAX];
  char str[WL_SID_STR_MAX];
} sid_memo;
static _Thread_local sid_memo to_memo[SID_MEMO], from_memo[SID_MEMO];
static _Thread_local unsigned to_next, from_next;

static void memo_put(sid_memo *m, unsigned *next, const uint8_t *bin, size_t nbin,
                     const char *str, size_t nstr) {
  if (nstr >= WL_SID_STR_MAX)
    return;
  sid_memo *e = &m[*next];
  *next = (*next + 1) % SID_MEMO;
  e->nbin = (uint8_t)nbin;
  e->nstr = (uint8_t)nstr;
  memcpy(e->bin, bin, nbin);
  memcpy(e->str, str, nstr + 1);
}

/* Written by hand, not with sprintf: it runs for every event's user and package SID (the
 * decoder, the replay reader), and sprintf's format machinery cost ~2k instructions a SID. */
static int sid_format(const uint8_t *sid, size_t nbytes, char *out, size_t cap);

int wl_sid_to_string(const uint8_t *sid, size_t nbytes, char *out, size_t cap) {
  if (sid && out && cap && nbytes >= 8 && sid[0] == 1 && sid[1] <= WL_SID_MAX_SUBAUTH &&
      nbytes >= 8 + 4 * (size_t)sid[1]) {
    size_t need = 8 + 4 * (size_t)sid[1];
    for (int i = 0; i < SID_MEMO; i++) {
      const sid_memo *e = &to_memo[i];
      if (e->nbin == need && e->nstr < cap && memcmp(e->bin, sid, need) == 0) {
        memcpy(out, e->str, (size_t)e->nstr + 1);
        return WL_OK;
      }
    }
    int rc = sid_format(sid, nbytes, out, cap);
    if (rc == WL_OK)
      memo_put(to_memo, &to_next, sid, need, out, strlen(out));
    return rc;
  }
  return sid_format(sid, nbytes, out, cap);
}

static int sid_format(const uint8_t *sid, size_t nbytes, char *out, size_t cap) {
  if (!sid || !out || !cap)
    return wl_err(WL_E_INVAL, "wl_sid_to_string: NULL argument");
  out[0] = 0;
  if (nbytes < 8)
    return wl_err(WL_E_PARSE, "SID: %u bytes is shorter than the 8-byte header",
                  (unsigned)nbytes);
  unsigned count = sid[1];
  if (sid[0] != 1 || count > WL_SID_MAX_SUBAUTH)
    return wl_err(WL_E_PARSE, "SID: revision %u with %u subauthorities is not a SID", sid[0],
                  count);
  if (nbytes < 8 + 4 * (size_t)count)
    return wl_err(WL_E_PARSE, "SID: %u bytes, its %u subauthorities need %u",
                  (unsigned)nbytes, count, 8 + 4 * count);
  uint64_t auth = 0;
  for (int k = 2; k < 8; k++)
    auth = auth << 8 | sid[k];
  /* the longest text, "S-1-0x" + 12 hex digits + 15 × "-4294967295", is 183 bytes */
  char tmp[WL_SID_STR_MAX];
  char *t = cap >= WL_SID_STR_MAX ? out : tmp;
  size_t n = 4;
  memcpy(t, "S-1-", 4);
  if (auth >> 32) { /* as ConvertSidToStringSid: large authorities in hex */
    memcpy(t + n, "0x", 2);
    fmt_hex(auth, 12, t + n + 2);
    n += 14;
  } else {
    n += fmt_u32((uint32_t)auth, t + n);
  }
  for (unsigned k = 0; k < count; k++) {
    const uint8_t *p = sid + 8 + 4 * k;
    uint32_t v = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
                 (uint32_t)p[3] << 24;
    t[n++] = '-';
    n += fmt_u32(v, t + n);
  }
  t[n] = 0;
  if (n >= cap) {
    out[0] = 0;
    return wl_err(WL_E_FULL, "SID: %u characters do not fit in %u", (unsigned)n,
                  (unsigned)cap);
  }
  if (t != out)
    memcpy(out, t, n + 1);
  return WL_OK;
}

#if WL_TEXT_LE
/* Eight ASCII digits at once (the little-endian word of s[0..8)), as in simdjson and
 * fast_float: whether all eight are '0'..'9', and their value. */
static int digits8_ok(uint64_t q) {
  return ((q & 0xF0F0F0F0F0F0F0F0ULL) |
          (((q + 0x0606060606060606ULL) & 0xF0F0F0F0F0F0F0F0ULL) >> 4)) == 0x3333333333333333ULL;
}
static uint64_t digits8(uint64_t q) {
  q = ((q & 0x0F0F0F0F0F0F0F0FULL) * 2561) >> 8;
  q = ((q & 0x00FF00FF00FF00FFULL) * 6553601) >> 16;
  return ((q & 0x0000FFFF0000FFFFULL) * 42949672960001ULL) >> 32;
}
#endif

/* One '-'-separated decimal field (or 0x-hex when hex_ok) of s at *p (the string ends at
 * end), <= max. */
static inline int sid_field(const char **p, const char *end, uint64_t max, int hex_ok,
                            uint64_t *out) {
  const char *s = *p;
  unsigned base = 10;
  uint64_t v = 0;
  if (hex_ok && s[0] == '0' && (s[1] | 32) == 'x') {
    base = 16;
    s += 2;
  }
  const char *st = s;
  if (base == 10) { /* the usual case, without hexval per digit */
    while (*s == '0')
      s++; /* leading zeros change nothing */
    const char *sig = s;
#if WL_TEXT_LE
    for (uint64_t q; end - s >= 8 && (memcpy(&q, s, 8), digits8_ok(q)); s += 8)
      v = v * 100000000u + digits8(q); /* wraps past 19 digits: refused below */
#else
    (void)end;
#endif
    for (unsigned d; (d = (unsigned)((unsigned char)*s - '0')) <= 9; s++)
      v = v * 10 + d;
    if (s - sig > 19 || v > max)
      return -1; /* max < 10^19, so more digits than that exceed it */
  } else {
    for (int d; (d = hexval(*s)) >= 0; s++) {
      v = v * 16 + (unsigned)d;
      if (v > max)
        return -1;
    }
  }
  if (s == st || (*s && *s != '-'))
    return -1;
  *out = v;
  *p = s;
  return 0;
}

static int sid_parse(const char *s, const char *end, uint8_t out[WL_SID_MAX]);

int wl_sid_from_string(const char *s, uint8_t out[WL_SID_MAX]) {
  if (!s || !out)
    return wl_err(WL_E_INVAL, "wl_sid_from_string: NULL argument");
  size_t len = strlen(s);
  for (int i = 0; i < SID_MEMO; i++) {
    const sid_memo *e = &from_memo[i];
    if (e->nbin && e->nstr == len && memcmp(e->str, s, len) == 0) {
      memcpy(out, e->bin, e->nbin);
      return e->nbin;
    }
  }
  int n = sid_parse(s, s + len, out);
  if (n > 0)
    memo_put(from_memo, &from_next, out, (size_t)n, s, len);
  return n;
}

static int sid_parse(const char *s, const char *end, uint8_t out[WL_SID_MAX]) {
  const char *p = s + 2;
  uint64_t auth, v;
  unsigned count = 0;
  if ((s[0] != 'S' && s[0] != 's') || s[1] != '-' || p[0] != '1' || p[1] != '-')
    goto bad;
  p += 2;
  if (sid_field(&p, end, 0xFFFFFFFFFFFFull, 1, &auth))
    goto bad;
  for (int k = 0; k < 6; k++)
    out[2 + k] = (uint8_t)(auth >> (8 * (5 - k)));
  while (*p == '-') {
    p++;
    if (count == WL_SID_MAX_SUBAUTH || sid_field(&p, end, 0xFFFFFFFFu, 0, &v))
      goto bad;
    uint8_t *o = out + 8 + 4 * count++; /* little-endian */
    o[0] = (uint8_t)v;
    o[1] = (uint8_t)(v >> 8);
    o[2] = (uint8_t)(v >> 16);
    o[3] = (uint8_t)(v >> 24);
  }
  if (*p)
    goto bad;
  out[0] = 1;
  out[1] = (uint8_t)count;
  return (int)(8 + 4 * count);
bad:
  return wl_err(WL_E_PARSE, "\"%.80s\" is not a SID (S-1-authority-subauthority...)", s);
}

/* ---------------------------------------------------------------- strings */

int wl_strncasecmp(const char *a, const char *b, size_t n) {
  for (size_t i = 0; i < n; i++) {
    int ca = (unsigned char)a[i], cb = (unsigned char)b[i];
    if (ca == cb) { /* the usual case: no case folding needed */
      if (!ca)
        break;
      continue;
    }
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

size_t wl_strlcpy(char *dst, const char *src, size_t cap) {
  size_t n = strlen(src);
  if (cap) {
    size_t k = n < cap - 1 ? n : cap - 1;
    memcpy(dst, src, k);
    dst[k] = 0;
  }
  return n;
}
