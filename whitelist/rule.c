/* rule.c — the rule model: ports and remotes as text and back, rows <-> parsed rules, a rule's
 * identity (from which its filter keys derive), and whether a rule or an essential exception
 * covers a flow.
 *
 * Text forms are canonical (sorted, merged, host bits cleared), so the identity of a rule does
 * not depend on how it was typed or in which order its evidence came, and promoting the same
 * thing twice yields the same filter keys.
 */
#include <stdlib.h>
#include <string.h>

#include "common/wl_err.h"
#include "whitelist/rule.h"
#include "whitelist/version_path.h"
#include "whitelist/whitelist_int.h"

const char *wl_scope_name(int scope) {
  switch (scope) {
  case WL_SCOPE_PORT: return "port";
  case WL_SCOPE_REMOTE: return "remote";
  default: return "app";
  }
}

int wl_scope_parse(const char *s, int *scope) {
  static const char *names[] = {"app", "port", "remote"};
  for (int i = 0; i < 3; i++)
    if (s && strcmp(s, names[i]) == 0) {
      *scope = i;
      return WL_OK;
    }
  return wl_err(WL_E_INVAL, "scope \"%s\": expected app, port or remote", s ? s : "");
}

/* ---------------------------------------------------------------- ports */

static int port_cmp(const void *a, const void *b) {
  const wl_port_range *x = a, *y = b;
  return x->lo != y->lo ? (x->lo < y->lo ? -1 : 1) : (x->hi < y->hi ? -1 : x->hi > y->hi);
}

/* Sort and merge overlapping or adjacent ranges in place. */
static uint32_t ports_normalize(wl_port_range *p, uint32_t n) {
  if (n < 2)
    return n;
  qsort(p, n, sizeof *p, port_cmp);
  uint32_t w = 0;
  for (uint32_t i = 1; i < n; i++) {
    if ((uint32_t)p[i].lo <= (uint32_t)p[w].hi + 1) {
      if (p[i].hi > p[w].hi)
        p[w].hi = p[i].hi;
    } else {
      p[++w] = p[i];
    }
  }
  return w + 1;
}

static int parse_port(const char *s, size_t len, uint16_t *out) {
  unsigned v = 0;
  if (len == 0 || len > 5)
    return -1;
  for (size_t i = 0; i < len; i++) {
    if (s[i] < '0' || s[i] > '9')
      return -1;
    v = v * 10 + (unsigned)(s[i] - '0');
  }
  if (v > 65535)
    return -1;
  *out = (uint16_t)v;
  return 0;
}

int wl_ports_parse(const char *s, wl_port_range *out, uint32_t cap, uint32_t *n) {
  uint32_t k = 0;
  *n = 0;
  for (const char *p = s; p && *p;) {
    const char *end = strchr(p, ',');
    size_t len = end ? (size_t)(end - p) : strlen(p);
    const char *dash = memchr(p, '-', len);
    wl_port_range r;
    int bad = dash ? (parse_port(p, (size_t)(dash - p), &r.lo) ||
                      parse_port(dash + 1, len - (size_t)(dash - p) - 1, &r.hi))
                   : parse_port(p, len, &r.lo);
    if (!dash)
      r.hi = r.lo;
    if (bad || r.lo > r.hi)
      return wl_err(WL_E_PARSE, "ports \"%.*s\": expected N or LO-HI within 0..65535",
                    (int)(len > 40 ? 40 : len), p);
    if (k == cap)
      return wl_err(WL_E_TOOBIG, "ports \"%.60s\": more than %u ranges", s, (unsigned)cap);
    out[k++] = r;
    p = end ? end + 1 : p + len;
  }
  *n = ports_normalize(out, k);
  return WL_OK;
}

/* Appends item i of a comma-separated list ("," before all but the first) to buf when it fits
 * whole; returns the length the list needs so far, whether it fitted or not. */
static size_t list_add(char *buf, size_t cap, size_t len, uint32_t i, const char *one) {
  size_t m = (i > 0) + strlen(one);
  if (len + m < cap)
    snprintf(buf + len, cap - len, "%s%s", i ? "," : "", one);
  return len + m;
}

size_t wl_ports_format(const wl_port_range *p, uint32_t n, char *buf, size_t cap) {
  size_t len = 0;
  if (cap)
    buf[0] = 0;
  for (uint32_t i = 0; i < n; i++) {
    char one[16];
    if (p[i].lo == p[i].hi)
      snprintf(one, sizeof one, "%u", (unsigned)p[i].lo);
    else
      snprintf(one, sizeof one, "%u-%u", (unsigned)p[i].lo, (unsigned)p[i].hi);
    len = list_add(buf, cap, len, i, one);
  }
  return len;
}

/* ---------------------------------------------------------------- remotes */

static int prefix_cmp(const void *a, const void *b) {
  const wl_prefix *x = a, *y = b;
  if (x->ip_version != y->ip_version)
    return x->ip_version < y->ip_version ? -1 : 1;
  int c = memcmp(x->addr, y->addr, 16);
  return c ? c : (x->len < y->len ? -1 : x->len > y->len);
}

int wl_prefix_contains(const wl_prefix *p, uint8_t ip_version, const uint8_t addr[16]) {
  if (p->ip_version != ip_version)
    return 0;
  unsigned full = p->len / 8, rest = p->len % 8;
  if (memcmp(p->addr, addr, full))
    return 0;
  if (rest) {
    uint8_t mask = (uint8_t)(0xFFu << (8 - rest));
    if ((p->addr[full] & mask) != (addr[full] & mask))
      return 0;
  }
  return 1;
}

/* Sort, then drop entries contained in an earlier (shorter or equal) prefix. */
static uint32_t remotes_normalize(wl_prefix *p, uint32_t n) {
  qsort(p, n, sizeof *p, prefix_cmp);
  uint32_t w = 0;
  for (uint32_t i = 0; i < n; i++) {
    int dup = 0;
    for (uint32_t j = 0; j < w && !dup; j++)
      dup = p[j].len <= p[i].len && wl_prefix_contains(&p[j], p[i].ip_version, p[i].addr);
    if (!dup)
      p[w++] = p[i];
  }
  return w;
}

int wl_remotes_parse(const char *s, wl_prefix *out, uint32_t cap, uint32_t *n) {
  uint32_t k = 0;
  *n = 0;
  for (const char *p = s; p && *p;) {
    const char *end = strchr(p, ',');
    size_t len = end ? (size_t)(end - p) : strlen(p);
    wl_prefix x = {0};
    int rc = wl_prefix_parse(p, len, &x.ip_version, x.addr, &x.len);
    if (rc)
      return rc;
    if (k == cap)
      return wl_err(WL_E_TOOBIG, "remotes \"%.60s...\": more than %u entries", s, (unsigned)cap);
    out[k++] = x;
    p = end ? end + 1 : p + len;
  }
  *n = remotes_normalize(out, k);
  return WL_OK;
}

size_t wl_remotes_format(const wl_prefix *p, uint32_t n, char *buf, size_t cap) {
  size_t len = 0;
  if (cap)
    buf[0] = 0;
  for (uint32_t i = 0; i < n; i++) {
    char one[WL_ADDR_STR_MAX + 8];
    size_t a = wl_addr_format(p[i].ip_version, p[i].addr, one);
    if (p[i].len != (p[i].ip_version == 4 ? 32 : 128))
      snprintf(one + a, sizeof one - a, "/%u", (unsigned)p[i].len);
    len = list_add(buf, cap, len, i, one);
  }
  return len;
}

/* ---------------------------------------------------------------- rows */

int wl_rule_from_row(const wl_rule_row *row, wl_rule *out) {
  memset(out, 0, sizeof *out);
  out->id = row->id;
  wl_strlcpy(out->app, row->app, sizeof out->app);
  wl_strlcpy(out->app_nt, row->app_nt, sizeof out->app_nt);
  out->dir = row->dir;
  out->proto = row->proto;
  int scope = WL_SCOPE_APP;
  if (row->scope[0] && wl_scope_parse(row->scope, &scope))
    return wl_err_prefix(WL_E_PARSE, "rule %lld", (long long)row->id);
  out->scope = (uint8_t)scope;
  if (row->dir != WL_DIR_IN && row->dir != WL_DIR_OUT)
    return wl_err(WL_E_PARSE, "rule %lld: direction %u", (long long)row->id, row->dir);
  int rc = wl_ports_parse(row->ports, out->ports, WL_RULE_MAX_PORTS, &out->n_ports);
  if (!rc)
    rc = wl_remotes_parse(row->remotes, out->remotes, WL_RULE_MAX_REMOTES, &out->n_remotes);
  if (rc)
    return wl_err_prefix(rc, "rule %lld", (long long)row->id);
  wl_strlcpy(out->user, row->user, sizeof out->user);
  wl_strlcpy(out->package, row->package, sizeof out->package);
  wl_strlcpy(out->signer, row->signer, sizeof out->signer);
  wl_strlcpy(out->prev_app, row->prev_app, sizeof out->prev_app);
  wl_strlcpy(out->prev_app_nt, row->prev_app_nt, sizeof out->prev_app_nt);
  return WL_OK;
}

int wl_rule_to_row(const wl_rule *r, wl_rule_row *row) {
  row->id = r->id;
  wl_strlcpy(row->app, r->app, sizeof row->app);
  wl_strlcpy(row->app_nt, r->app_nt, sizeof row->app_nt);
  row->dir = r->dir;
  row->proto = r->proto;
  wl_strlcpy(row->scope, wl_scope_name(r->scope), sizeof row->scope);
  if (wl_ports_format(r->ports, r->n_ports, row->ports, sizeof row->ports) >= sizeof row->ports ||
      wl_remotes_format(r->remotes, r->n_remotes, row->remotes, sizeof row->remotes) >=
          sizeof row->remotes)
    return wl_err(WL_E_TOOBIG, "rule for %s: ports or remotes too long for a rule row", r->app);
  wl_strlcpy(row->user, r->user, sizeof row->user);
  wl_strlcpy(row->package, r->package, sizeof row->package);
  wl_strlcpy(row->signer, r->signer, sizeof row->signer);
  wl_strlcpy(row->prev_app, r->prev_app, sizeof row->prev_app);
  wl_strlcpy(row->prev_app_nt, r->prev_app_nt, sizeof row->prev_app_nt);
  return WL_OK;
}

/* The identity's parts are bounded by the row's columns; with the SIDs, the proto and the
 * separators, it fits in WL_RULE_IDENTITY_MAX. */
#define ROW_COL(c) sizeof(((wl_rule_row *)0)->c)
_Static_assert(WL_PATH_MAX + ROW_COL(ports) + ROW_COL(remotes) + 2 * WL_SID_STR_MAX + 64 <=
                   WL_RULE_IDENTITY_MAX,
               "WL_RULE_IDENTITY_MAX is too small for a rule's identity");

size_t wl_rule_identity(const wl_rule *r, char *buf, size_t cap) {
  char app[WL_PATH_MAX], ports[ROW_COL(ports)], remotes[ROW_COL(remotes)];
  const char *src = r->app_nt[0] ? r->app_nt : r->app; /* unresolved: the path as given */
  size_t i = 0;
  for (; src[i] && i + 1 < sizeof app; i++) {
    char c = src[i];
    app[i] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
  }
  app[i] = 0;
  wl_ports_format(r->ports, r->n_ports, ports, sizeof ports);
  wl_remotes_format(r->remotes, r->n_remotes, remotes, sizeof remotes);
  int n = snprintf(buf, cap, "wfplearn-rule-v1|%s|%s|%d|%s|%s|%s|%s",
                   r->dir == WL_DIR_IN ? "in" : "out", app, (int)r->proto, ports, remotes,
                   r->user, r->package);
  return n < 0 ? 0 : (size_t)n;
}

typedef struct load_ctx {
  wl_rule *r;
  size_t n, cap;
} load_ctx;

static int load_cb(void *ctx, const wl_rule_row *row) {
  load_ctx *c = ctx;
  if (c->n == c->cap) {
    size_t cap = c->cap ? 2 * c->cap : 16;
    wl_rule *r = realloc(c->r, cap * sizeof *r);
    if (!r)
      return wl_err(WL_E_NOMEM, "rules: no memory for %u rules", (unsigned)cap);
    c->r = r;
    c->cap = cap;
  }
  if (wl_rule_from_row(row, &c->r[c->n]) == WL_OK)
    c->n++;
  else
    wl_err_clear();
  return 0;
}

int wl_rules_load(wl_store *s, wl_rule **out, size_t *n) {
  load_ctx c = {NULL, 0, 0};
  int rc = wl_store_rules(s, load_cb, &c);
  if (rc) {
    free(c.r);
    c.r = NULL;
    c.n = 0;
  }
  *out = c.r;
  *n = c.n;
  return rc;
}

/* ---------------------------------------------------------------- coverage */

int wl_rule_app_matches(const wl_rule *r, const char *path, const char *dos) {
  if (!r->app[0] && !r->app_nt[0])
    return 1;
  const char *mine[4] = {r->app_nt, r->app, r->prev_app_nt, r->prev_app}, *theirs[2] = {path, dos};
  for (int i = 0; i < 4; i++)
    for (int j = 0; j < 2; j++) {
      if (mine[i][0] && theirs[j] && theirs[j][0] &&
          strlen(mine[i]) == strlen(theirs[j]) &&
          wl_strncasecmp(mine[i], theirs[j], strlen(mine[i])) == 0)
        return 1;
      if (r->package[0] && i < 2 && mine[i][0] && theirs[j] &&
          wl_version_path_match(mine[i], theirs[j]) == WL_VERSION_WINDOWSAPPS)
        return 1; /* the package's next version: its filters match by package */
    }
  return 0;
}

int wl_rule_covers(const wl_rule *r, const char *app_path, const char *app_dos,
                   const wl_flow *f) {
  if (r->dir != f->dir || (r->proto >= 0 && r->proto != f->proto))
    return 0;
  if (!wl_rule_app_matches(r, app_path, app_dos))
    return 0;
  if (r->n_ports) {
    uint16_t port = f->dir == WL_DIR_IN ? f->local_port : f->remote_port;
    int hit = 0;
    for (uint32_t i = 0; i < r->n_ports && !hit; i++)
      hit = port >= r->ports[i].lo && port <= r->ports[i].hi;
    if (!hit)
      return 0;
  }
  if (r->n_remotes) {
    int hit = 0;
    for (uint32_t i = 0; i < r->n_remotes && !hit; i++)
      hit = wl_prefix_contains(&r->remotes[i], f->ip_version, f->remote_addr);
    if (!hit)
      return 0;
  }
  return 1;
}

/* Mirrors the exception filters of enforce.c, condition for condition, on what a flow keeps
 * (store/store.h: outbound flows the remote port, inbound flows the local port): DNS client
 * (outbound UDP/TCP to 53), DHCP client (outbound UDP to 67 / 547, inbound UDP to 68 / 546),
 * ICMPv6 neighbour discovery (types 133-137 in the local-port slot, as FWPM_CONDITION_ICMP_TYPE
 * is), loopback (flows carry no loopback bit: 127/8 and ::1). The one case review cannot see
 * is outbound neighbour discovery, whose type sits in the local port an outbound flow does not
 * keep: such flows are shown (the safe side: shown but permitted, never hidden but blocked).
 * tests/whitelist/test_wl_exceptions.c checks the two agree through the sim. */
int wl_is_dns_client(const char *app) {
  static const char tail[] = "\\windows\\system32\\svchost.exe";
  size_t n = strlen(app), t = sizeof tail - 1;
  return n >= t && !wl_strncasecmp(app + n - t, tail, t);
}

int wl_exception_covers(const wl_flow *f, const char *app) {
  static const uint8_t v6_loop[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  if ((f->ip_version == 4 && f->remote_addr[0] == 127) ||
      (f->ip_version == 6 && memcmp(f->remote_addr, v6_loop, 16) == 0))
    return 1;
  if (f->ip_version == 6 && f->proto == WL_PROTO_ICMPV6 &&
      ((f->local_port >= WL_ICMP6_ND_FIRST && f->local_port <= WL_ICMP6_ND_LAST) ||
       (f->local_port >= WL_ICMP6_MLD_FIRST && f->local_port <= WL_ICMP6_MLD_LAST) ||
       f->local_port == WL_ICMP6_MLD2_REPORT))
    return 1;
  if (f->ip_version == 4 && f->proto == WL_PROTO_IGMP)
    return 1;
  if (f->dir == WL_DIR_OUT) {
    if ((f->proto == WL_PROTO_UDP || f->proto == WL_PROTO_TCP) && f->remote_port == WL_PORT_DNS &&
        wl_is_dns_client(app))
      return 1;
    if (f->proto == WL_PROTO_UDP &&
        ((f->ip_version == 4 && f->remote_port == WL_PORT_DHCP4_SERVER) ||
         (f->ip_version == 6 && f->remote_port == WL_PORT_DHCP6_SERVER)))
      return 1;
  } else if (f->proto == WL_PROTO_UDP &&
             ((f->ip_version == 4 && f->local_port == WL_PORT_DHCP4_CLIENT) ||
              (f->ip_version == 6 && f->local_port == WL_PORT_DHCP6_CLIENT))) {
    return 1;
  }
  return 0;
}

/* ---------------------------------------------------------------- JSON arrays */

void wl_ports_write_json(FILE *f, const wl_port_range *p, uint32_t n) {
  fputc('[', f);
  for (uint32_t i = 0; i < n; i++) {
    if (p[i].lo == p[i].hi)
      fprintf(f, "%s%u", i ? "," : "", (unsigned)p[i].lo);
    else
      fprintf(f, "%s\"%u-%u\"", i ? "," : "", (unsigned)p[i].lo, (unsigned)p[i].hi);
  }
  fputc(']', f);
}

void wl_remotes_write_json(FILE *f, const wl_prefix *p, uint32_t n) {
  fputc('[', f);
  for (uint32_t i = 0; i < n; i++) {
    char one[WL_ADDR_STR_MAX + 8];
    wl_remotes_format(&p[i], 1, one, sizeof one);
    fprintf(f, "%s\"%s\"", i ? "," : "", one);
  }
  fputc(']', f);
}
