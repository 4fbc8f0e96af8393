/* wl_time.c — timestamps as 100 ns ticks since 1601-01-01Z (Windows FILETIME) <-> RFC 3339,
 * and durations ("15m", "7d").
 *
 * Every store row and event carries ticks, because that is what WFP and the Security log give
 * us; text appears only at the edges (JSON files, CLI output). Calendar arithmetic uses the
 * proleptic Gregorian day count of H. Hinnant's days_from_civil/civil_from_days, so there is
 * no timegm()/gmtime_r() (neither is portable to mingw, and both go through time_t) and the
 * result is exact to the tick. The clocks (wl_time_now, wl_time_mono_ns) are OS services and
 * live in os_posix.c / os_win.c.
 */
#include <stdio.h>
#include <string.h>

#include "common/wl_err.h"
#include "common/wl_text.h"

#define DAYS_1601_TO_1970 134774 /* days between 1601-01-01 and 1970-01-01 */
#define TICKS_PER_DAY (86400ULL * WL_TICKS_PER_SEC)
#define YEAR_MIN 1601
#define YEAR_MAX 9999

/* Days since 1970-01-01 of a proleptic Gregorian date (m 1..12, d 1..31). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  unsigned yoe = (unsigned)(y - era * 400);
  unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d) {
  z += 719468;
  int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  unsigned doe = (unsigned)(z - era * 146097);
  unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  unsigned mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static int is_leap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

static unsigned days_in_month(int64_t y, unsigned m) {
  static const unsigned char dim[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && is_leap(y) ? 29 : dim[m - 1];
}

/* Exactly n decimal digits at s[*i]; advances *i. */
static int fixed(const char *s, size_t len, size_t *i, int n, unsigned *out) {
  unsigned v = 0;
  if (len - *i < (size_t)n)
    return -1;
  for (int k = 0; k < n; k++) {
    char c = s[*i + (size_t)k];
    if (c < '0' || c > '9')
      return -1;
    v = v * 10 + (unsigned)(c - '0');
  }
  *i += (size_t)n;
  *out = v;
  return 0;
}

static int expect(const char *s, size_t len, size_t *i, const char *any) {
  if (*i >= len || !s[*i] || !strchr(any, s[*i]))
    return -1;
  (*i)++;
  return 0;
}

/* Fraction after '.', 1..9 digits, as ticks (digits past the 7th are truncated). */
static int fraction(const char *s, size_t len, size_t *i, uint64_t *ticks) {
  uint64_t f = 0;
  int nd = 0;
  while (*i < len && s[*i] >= '0' && s[*i] <= '9' && nd < 9) {
    if (nd < 7)
      f = f * 10 + (uint64_t)(s[*i] - '0');
    nd++;
    (*i)++;
  }
  if (!nd || (*i < len && s[*i] >= '0' && s[*i] <= '9'))
    return -1;
  for (int k = nd; k < 7; k++)
    f *= 10;
  *ticks = f;
  return 0;
}

/* "Z", "±HH:MM", or nothing (UTC); the offset in seconds east of UTC. */
static int zone(const char *s, size_t len, size_t *i, int64_t *offset) {
  unsigned hh, mm;
  *offset = 0;
  if (*i == len)
    return 0;
  if (s[*i] == 'Z' || s[*i] == 'z') {
    (*i)++;
    return 0;
  }
  int sign = s[*i] == '-' ? -1 : 1;
  if (expect(s, len, i, "+-") || fixed(s, len, i, 2, &hh) || expect(s, len, i, ":") ||
      fixed(s, len, i, 2, &mm) || hh > 23 || mm > 59)
    return -1;
  *offset = sign * (int64_t)(hh * 3600 + mm * 60);
  return 0;
}

int wl_time_parse(const char *s, size_t len, uint64_t *ticks) {
  unsigned y, mo, d, h, mi, sec;
  uint64_t frac = 0;
  int64_t off;
  size_t i = 0;
  if (!s || !ticks)
    return wl_err(WL_E_INVAL, "wl_time_parse: NULL argument");
  int pl = (int)(len > 40 ? 40 : len);
  if (fixed(s, len, &i, 4, &y) || expect(s, len, &i, "-") || fixed(s, len, &i, 2, &mo) ||
      expect(s, len, &i, "-") || fixed(s, len, &i, 2, &d) || expect(s, len, &i, "Tt ") ||
      fixed(s, len, &i, 2, &h) || expect(s, len, &i, ":") || fixed(s, len, &i, 2, &mi) ||
      expect(s, len, &i, ":") || fixed(s, len, &i, 2, &sec) ||
      (i < len && s[i] == '.' && (++i, fraction(s, len, &i, &frac))) ||
      zone(s, len, &i, &off) || i != len)
    return wl_err(WL_E_PARSE, "\"%.*s\" is not an RFC 3339 time (YYYY-MM-DDTHH:MM:SS[.f]Z)",
                  pl, s);
  if (y < YEAR_MIN || y > YEAR_MAX || mo < 1 || mo > 12 || d < 1 ||
      d > days_in_month(y, mo) || h > 23 || mi > 59 || sec > 59)
    return wl_err(WL_E_PARSE, "\"%.*s\": no such date or time (years %d..%d)", pl, s,
                  YEAR_MIN, YEAR_MAX);
  int64_t days = days_from_civil(y, mo, d) + DAYS_1601_TO_1970;
  int64_t secs = days * 86400 + (int64_t)(h * 3600 + mi * 60 + sec) - off;
  if (secs < 0)
    return wl_err(WL_E_PARSE, "\"%.*s\" is before 1601-01-01T00:00:00Z", pl, s);
  *ticks = (uint64_t)secs * WL_TICKS_PER_SEC + frac;
  return WL_OK;
}

size_t wl_time_format(uint64_t ticks, char buf[WL_TIME_STR_MAX]) {
  uint64_t days = ticks / TICKS_PER_DAY, rest = ticks % TICKS_PER_DAY;
  int64_t y;
  unsigned m, d;
  civil_from_days((int64_t)days - DAYS_1601_TO_1970, &y, &m, &d);
  unsigned secs = (unsigned)(rest / WL_TICKS_PER_SEC);
  unsigned frac = (unsigned)(rest % WL_TICKS_PER_SEC);
  int n = snprintf(buf, WL_TIME_STR_MAX, "%04u-%02u-%02uT%02u:%02u:%02u.%07uZ", (unsigned)y, m,
                   d, secs / 3600, secs / 60 % 60, secs % 60, frac);
  return n < 0 ? 0 : (size_t)n;
}

size_t wl_time_text(uint64_t ticks, char buf[WL_TIME_STR_MAX]) {
  size_t n = wl_time_format(ticks, buf);
  if (n < 20) /* "YYYY-MM-DDTHH:MM:SS" is 19 */
    return n;
  buf[19] = 'Z';
  buf[20] = 0;
  return 20;
}

int wl_duration_parse(const char *s, uint64_t *ticks) {
  if (!s || !ticks)
    return wl_err(WL_E_INVAL, "wl_duration_parse: NULL argument");
  uint64_t v = 0, unit = 1;
  const char *p = s;
  for (; *p >= '0' && *p <= '9'; p++) {
    if (v > (UINT64_MAX / 10 - 9))
      goto bad;
    v = v * 10 + (uint64_t)(*p - '0');
  }
  if (p == s)
    goto bad;
  switch (*p) {
  case 0: break;
  case 's': unit = 1; p++; break;
  case 'm': unit = 60; p++; break;
  case 'h': unit = 3600; p++; break;
  case 'd': unit = 86400; p++; break;
  case 'w': unit = 7 * 86400; p++; break;
  default: goto bad;
  }
  if (*p || v > UINT64_MAX / (unit * WL_TICKS_PER_SEC))
    goto bad;
  *ticks = v * unit * WL_TICKS_PER_SEC;
  return WL_OK;
bad:
  return wl_err(WL_E_PARSE, "\"%.40s\" is not a duration (like 30s, 15m, 2h, 7d, 1w, or seconds)",
                s);
}
