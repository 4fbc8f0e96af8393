/* wl_json_get.c — lookups in a tree wl_json.c parsed (members by name, exact or ASCII
 * case-insensitive, array items) and the conversions of its scalars: 64-bit integers exact from
 * numbers and from strings (Security logs quote them: "5156", "0x10"), doubles whatever the
 * C locale's decimal point.
 */
#include "common/wl_json.h"
#include "common/wl_json_int.h"

#include <locale.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/wl_err.h"


const wl_json *wl_json_get(const wl_json *obj, const char *key) {
  if (!obj || obj->type != WL_JSON_OBJECT || !key)
    return NULL;
  size_t n = strlen(key);
  for (const wl_json *c = obj->child; c; c = c->next)
    if (c->key_len == n && !memcmp(c->key, key, n))
      return c;
  return NULL;
}

static int lower(int c) { return (c >= 'A' && c <= 'Z') ? c + 32 : c; }

const wl_json *wl_json_get_ci(const wl_json *obj, const char *key) {
  if (!obj || obj->type != WL_JSON_OBJECT || !key)
    return NULL;
  size_t n = strlen(key);
  for (const wl_json *c = obj->child; c; c = c->next) {
    if (c->key_len != n)
      continue;
    size_t i = 0;
    while (i < n && lower((unsigned char)c->key[i]) == lower((unsigned char)key[i]))
      i++;
    if (i == n)
      return c;
  }
  return NULL;
}

const wl_json *wl_json_at(const wl_json *arr, size_t i) {
  if (!arr || arr->type != WL_JSON_ARRAY || i >= arr->len)
    return NULL;
  const wl_json *c = arr->child;
  while (c && i--)
    c = c->next;
  return c;
}

const char *wl_json_string(const wl_json *v) {
  return (v && v->type == WL_JSON_STRING) ? v->str : NULL;
}

/* ---------------------------------------------------------------- numbers out */

/* Magnitude of an integer text: decimal (or 0x-hex when allow_hex), optional '-'. */
static int int_text(const wl_json *v, int *neg, uint64_t *mag) {
  if (!v || (v->type != WL_JSON_NUMBER && v->type != WL_JSON_STRING))
    return wl_err(WL_E_PARSE, "JSON: expected an integer, found %s", v ? "another type" : "nothing");
  const char *s = v->str, *e = v->str + v->len;
  int hex = 0;
  *neg = 0;
  *mag = 0;
  if (s < e && *s == '-') {
    *neg = 1;
    s++;
  } else if (v->type == WL_JSON_STRING && e - s > 2 && s[0] == '0' && (s[1] | 32) == 'x') {
    hex = 1;
    s += 2;
  }
  if (s == e)
    return wl_err(WL_E_PARSE, "JSON: \"%.40s\" is not an integer", v->str);
  for (; s < e; s++) {
    int c = (unsigned char)*s, d;
    if (c >= '0' && c <= '9')
      d = c - '0';
    else if (hex && (c | 32) >= 'a' && (c | 32) <= 'f')
      d = (c | 32) - 'a' + 10;
    else
      return wl_err(WL_E_PARSE, "JSON: \"%.40s\" is not an integer", v->str);
    unsigned base = hex ? 16 : 10;
    if (*mag > (UINT64_MAX - (uint64_t)d) / base)
      return wl_err(WL_E_PARSE, "JSON: integer \"%.40s\" out of 64-bit range", v->str);
    *mag = *mag * base + (uint64_t)d;
  }
  return 0;
}

int wl_json_int64(const wl_json *v, int64_t *out) {
  int neg;
  uint64_t m;
  int rc = int_text(v, &neg, &m);
  if (rc)
    return rc;
  if (neg ? m > (uint64_t)INT64_MAX + 1 : m > (uint64_t)INT64_MAX)
    return wl_err(WL_E_PARSE, "JSON: integer \"%.40s\" out of int64 range", v->str);
  *out = neg ? (m == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)m) : (int64_t)m;
  return WL_OK;
}

int wl_json_uint64(const wl_json *v, uint64_t *out) {
  int neg;
  uint64_t m;
  int rc = int_text(v, &neg, &m);
  if (rc)
    return rc;
  if (neg && m)
    return wl_err(WL_E_PARSE, "JSON: negative integer \"%.40s\" for an unsigned value", v->str);
  *out = m;
  return WL_OK;
}

int wl_json_double(const wl_json *v, double *out) {
  if (!v || (v->type != WL_JSON_NUMBER && v->type != WL_JSON_STRING))
    return wl_err(WL_E_PARSE, "JSON: expected a number");
  if (v->type == WL_JSON_STRING) { /* must itself be a JSON number */
    const unsigned char *p = (const unsigned char *)v->str, *at;
    const char *why;
    if (!v->len || wl_json_scan_number(p, p + v->len, &why, &at) != v->len)
      return wl_err(WL_E_PARSE, "JSON: \"%.40s\" is not a number", v->str);
  }
  /* strtod follows LC_NUMERIC: if someone set a locale with a decimal comma, hand it the
   * text with that comma (bounded copy; JSON numbers that long are not real data). */
  char tmp[128];
  const char *txt = v->str, *dp = localeconv()->decimal_point;
  if (dp && dp[0] && dp[0] != '.' && !dp[1]) {
    if (v->len >= sizeof tmp)
      return wl_err(WL_E_PARSE, "JSON: number \"%.40s...\" too long", v->str);
    memcpy(tmp, v->str, v->len + 1);
    char *dot = strchr(tmp, '.');
    if (dot)
      *dot = dp[0];
    txt = tmp;
  }
  char *end;
  double d = strtod(txt, &end);
  if (end != txt + v->len || !isfinite(d))
    return wl_err(WL_E_PARSE, "JSON: number \"%.40s\" out of range", v->str);
  *out = d;
  return WL_OK;
}
