/* fleet_parse.c — see fleet_parse.h. */
#include "tests/support/fleet_parse.h"

#include <stdio.h>
#include <string.h>

/* Length of a character PowerShell takes as a single quote at s (' or U+2018..U+201B), or 0. */
static size_t ps_quote_len(const unsigned char *s) {
  if (s[0] == '\'')
    return 1;
  return (s[0] == 0xE2 && s[1] == 0x80 && s[2] >= 0x98 && s[2] <= 0x9B) ? 3 : 0;
}

/* One single-quoted string at *p into out (appended at *n). 1 read, 0 none here, -1 bad. */
static int ps_string(const char **p, char *out, size_t cap, size_t *n) {
  const unsigned char *s = (const unsigned char *)*p;
  if (!ps_quote_len(s))
    return 0;
  s += ps_quote_len(s);
  for (;;) {
    size_t ql = ps_quote_len(s), ql2 = ql ? ps_quote_len(s + ql) : 0;
    if (!*s || *s == '\n' || *n + 4 >= cap)
      return -1; /* unterminated (or too long for the caller) */
    if (ql && ql2) { /* doubled: the second one is literal */
      memcpy(out + *n, s + ql, ql2);
      *n += ql2;
      s += ql + ql2;
    } else if (ql) { /* the closing quote */
      s += ql;
      break;
    } else {
      out[(*n)++] = (char)*s++;
    }
  }
  out[*n] = 0;
  *p = (const char *)s;
  return 1;
}

int fleet_parse_ps(const char *line, const char *param, char *out, size_t cap) {
  static const char head[] = "New-NetFirewallRule @target";
  if (strncmp(line, head, sizeof head - 1))
    return -1;
  const char *p = line + sizeof head - 1;
  out[0] = 0;
  while (*p == ' ') {
    p++;
    if (!strcmp(p, "| Out-Null"))
      return 0;
    if (*p != '-')
      return -1;
    const char *name = p + 1;
    size_t nl = strcspn(name, " "), n = 0;
    char v[8192] = "";
    p = name + nl + (name[nl] == ' ');
    if (ps_quote_len((const unsigned char *)p)) {
      int rc;
      while ((rc = ps_string(&p, v, sizeof v, &n)) == 1 && *p == ',' && n + 1 < sizeof v) {
        v[n++] = ',';
        v[n] = 0;
        p++;
      }
      if (rc < 0)
        return -1;
    } else { /* a bare word: Outbound, Allow */
      size_t wl = strcspn(p, " ");
      snprintf(v, sizeof v, "%.*s", (int)wl, p);
      p += wl;
    }
    if (strlen(param) == nl && !strncmp(name, param, nl))
      snprintf(out, cap, "%s", v);
  }
  return -1; /* no "| Out-Null" at the end */
}

/* One value at *p (quoted or a bare word) into out, as netsh receives it after cmd. */
static int netsh_value(const char **p, char *out, size_t cap) {
  const char *s = *p;
  size_t n = 0;
  int quoted = *s == '"';
  s += quoted;
  for (; *s && (quoted ? *s != '"' : *s != ' ' && *s != '\r' && *s != '\n'); s++) {
    if (*s == '%' && s[1] != '%')
      return -1; /* cmd would expand it */
    s += *s == '%';
    if (n + 1 >= cap)
      return -1;
    out[n++] = *s;
  }
  if (quoted && *s != '"')
    return -1;
  out[n] = 0;
  size_t k = 0;
  while (quoted && k < n && out[n - 1 - k] == '\\')
    k++;
  if (k % 2)
    return -1; /* \" would escape the closing quote */
  out[n - k / 2] = 0;
  *p = s + quoted;
  return 0;
}

int fleet_parse_netsh(const char *line, const char *key, char *out, size_t cap) {
  static const char head[] = "netsh advfirewall firewall ";
  char v[8192];
  out[0] = 0;
  if (strncmp(line, head, sizeof head - 1))
    return -1;
  const char *p = line + sizeof head - 1;
  p += strcspn(p, "="); /* the command words before the first key */
  while (p > line && p[-1] != ' ')
    p--;
  while (*p && *p != '\r' && *p != '\n' && strncmp(p, ">nul", 4)) {
    const char *k = p;
    size_t kl = strcspn(k, "= ");
    if (k[kl] != '=')
      return -1;
    p = k + kl + 1;
    if (netsh_value(&p, v, sizeof v))
      return -1;
    if (strlen(key) == kl && !strncmp(k, key, kl))
      snprintf(out, cap, "%s", v);
    if (*p && *p != ' ' && *p != '\r' && *p != '\n')
      return -1; /* a value ends at a space or the line's end */
    p += *p == ' ';
  }
  return 0;
}
