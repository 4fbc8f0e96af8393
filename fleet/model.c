/* model.c — the rules as every export format sees them: loaded from the store or a policy's
 * rows, with a stable name, the evidence that justified them, and the questions all formats
 * ask (the program path as Windows Firewall takes it, a display name, a description).
 *
 * The name is "wfplearn-" and the 32 hex digits of an RFC 4122 v5 GUID of the rule's identity
 * (whitelist/rule.h) computed on the DOS path, not the NT path: the NT path names a volume of
 * one machine, and the same rule exported on two machines must get the same name so that a
 * script run twice, or on a GPO fed by many machines, replaces instead of duplicating.
 */
#include <stdlib.h>
#include <string.h>

#include "common/wl_err.h"
#include "common/wl_json.h"
#include "fleet/fleet_int.h"
#include "whitelist/whitelist_int.h"

/* The namespace of export names (a random v4 GUID, fixed forever: names must not change). */
static const wl_guid fleet_ns = {0x6b0c58d1, 0x3f0e, 0x4a57,
                                 {0x8e, 0x19, 0x52, 0x2c, 0x7d, 0x40, 0x9a, 0x3b}};

int wl_fleet_format_parse(const char *s, int *fmt) {
  static const struct {
    const char *name;
    int fmt;
  } names[] = {{"json", WL_FLEET_JSON},   {"powershell", WL_FLEET_POWERSHELL},
               {"ps1", WL_FLEET_POWERSHELL}, {"netsh", WL_FLEET_NETSH},
               {"cmd", WL_FLEET_NETSH},   {"intune", WL_FLEET_INTUNE}};
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
    if (!strcmp(s, names[i].name))
      return *fmt = names[i].fmt, WL_OK;
  return wl_err(WL_E_INVAL, "--format %s: one of json, powershell, netsh, intune", s);
}

const char *wl_fleet_format_name(int fmt) {
  switch (fmt) {
  case WL_FLEET_POWERSHELL: return "powershell";
  case WL_FLEET_NETSH: return "netsh";
  case WL_FLEET_INTUNE: return "intune";
  default: return "json";
  }
}

static void fleet_name(const wl_rule *r, char out[WL_FLEET_NAME_MAX]) {
  wl_rule dos = *r;
  char ident[WL_RULE_IDENTITY_MAX];
  wl_guid g;
  dos.app_nt[0] = 0; /* identity on the DOS path: the same on every machine */
  size_t len = wl_rule_identity(&dos, ident, sizeof ident);
  wl_guid_from_name(&fleet_ns, ident, len < sizeof ident ? len : sizeof ident - 1, &g);
  snprintf(out, WL_FLEET_NAME_MAX, "wfplearn-%08x%04x%04x%02x%02x%02x%02x%02x%02x%02x%02x",
           (unsigned)g.d1, (unsigned)g.d2, (unsigned)g.d3, g.d4[0], g.d4[1], g.d4[2], g.d4[3],
           g.d4[4], g.d4[5], g.d4[6], g.d4[7]);
}

/* The evidence summary proposals write (whitelist/proposal.h); absent parts stay 0/"". */
static void read_evidence(const char *text, wl_fleet_rule *fr) {
  wl_json_arena a = {0};
  const wl_json *o = NULL;
  wl_json_error err;
  if (text[0] && wl_json_parse(&a, text, strlen(text), &o, &err) == WL_OK &&
      o->type == WL_JSON_OBJECT) {
    wl_json_uint64(wl_json_get(o, "allowed"), &fr->allowed);
    wl_json_uint64(wl_json_get(o, "blocked"), &fr->blocked);
    wl_json_uint64(wl_json_get(o, "flows"), &fr->flows);
    const char *first = wl_json_string(wl_json_get(o, "first_seen"));
    const char *last = wl_json_string(wl_json_get(o, "last_seen"));
    wl_strlcpy(fr->first_seen, first ? first : "", sizeof fr->first_seen);
    wl_strlcpy(fr->last_seen, last ? last : "", sizeof fr->last_seen);
  }
  wl_json_arena_free(&a);
  wl_err_clear();
}

static int from_row(const wl_rule_row *row, const char *host, wl_fleet_rule *fr) {
  memset(fr, 0, sizeof *fr);
  int rc = wl_rule_from_row(row, &fr->rule);
  if (rc)
    return rc;
  fr->rule.app_nt[0] = 0;
  fleet_name(&fr->rule, fr->name);
  read_evidence(row->evidence, fr);
  wl_strlcpy(fr->host, host ? host : "", sizeof fr->host);
  fr->hosts = 1;
  fr->expires = row->expires;
  return WL_OK;
}

int wl_fleet_from_rows(const wl_rule_row *rows, size_t n, const char *host, wl_fleet_rule *out) {
  for (size_t i = 0; i < n; i++) {
    int rc = from_row(&rows[i], host, &out[i]);
    if (rc)
      return rc;
  }
  return WL_OK;
}

typedef struct load_ctx {
  wl_fleet_rule *r;
  size_t n, cap;
  const char *host;
} load_ctx;

static int load_cb(void *ctx, const wl_rule_row *row) {
  load_ctx *c = ctx;
  if (c->n == c->cap) {
    size_t cap = c->cap ? c->cap * 2 : 32;
    wl_fleet_rule *r = realloc(c->r, cap * sizeof *r);
    if (!r)
      return wl_err(WL_E_NOMEM, "export: out of memory");
    c->r = r;
    c->cap = cap;
  }
  int rc = from_row(row, c->host, &c->r[c->n]);
  if (rc)
    return rc;
  c->n++;
  return WL_OK;
}

int wl_fleet_load_store(wl_store *s, const char *host, wl_fleet_rule **out, size_t *n) {
  load_ctx c = {NULL, 0, 0, host};
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

/* ---------------------------------------------------------------- what formats share */

/* Where a DOS path starts with a folder Windows names by a system environment variable, the
 * variable form, so one rule fits machines whose folders differ. Only system variables: the
 * firewall service expands the path in its own context, where %LOCALAPPDATA% or %USERPROFILE%
 * name no user's folder, so per-user paths stay literal (and match that user's copy only). */
static const struct {
  const char *prefix, *var;
} env_prefixes[] = {{"C:\\Program Files (x86)\\", "%ProgramFiles(x86)%\\"},
                    {"C:\\Program Files\\", "%ProgramFiles%\\"},
                    {"C:\\ProgramData\\", "%ProgramData%\\"},
                    {"C:\\Windows\\", "%SystemRoot%\\"}};

int fleet_program(const wl_fleet_rule *fr, char *out, size_t cap, const char **why) {
  const char *app = fr->rule.app;
  out[0] = 0;
  if (!app[0])
    return 0; /* any app */
  if (app[0] == '\\')
    return *why = "the app is known only by its NT device path (no drive letter mapped)", -1;
  if (!((app[0] | 0x20) >= 'a' && (app[0] | 0x20) <= 'z' && app[1] == ':' && app[2] == '\\'))
    return *why = "the app path is not an absolute path with a drive letter", -1;
  for (const char *p = app; *p; p++)
    if ((unsigned char)*p < 0x20 || *p == 0x7f || *p == '"')
      return *why = "the app path holds a control character or a double quote", -1;
  const char *pct = strchr(app, '%');
  if (pct && strchr(pct + 1, '%'))
    return *why = "the app path holds %...%, which Windows Firewall would expand as a variable",
           -1;
  for (size_t i = 0; i < sizeof env_prefixes / sizeof env_prefixes[0]; i++) {
    size_t pl = strlen(env_prefixes[i].prefix);
    if (strlen(app) > pl && !wl_strncasecmp(app, env_prefixes[i].prefix, pl)) {
      snprintf(out, cap, "%s%s", env_prefixes[i].var, app + pl);
      return 0;
    }
  }
  wl_strlcpy(out, app, cap);
  return 0;
}

const char *fleet_proto_name(int proto, char buf[8]) {
  switch (proto) {
  case 1: return "ICMPv4";
  case WL_PROTO_TCP: return "TCP";
  case WL_PROTO_UDP: return "UDP";
  case WL_PROTO_ICMPV6: return "ICMPv6";
  default: snprintf(buf, 8, "%d", proto); return buf;
  }
}

/* 1 when s is a SID in its string form (S-1-...), nothing around it. */
static int is_sid(const char *s) {
  uint8_t bin[WL_SID_MAX];
  int rc = wl_sid_from_string(s, bin);
  wl_err_clear();
  return rc > 0;
}

/* The checks every format makes: user and package are SIDs (they go into an SDDL string and
 * a parameter as they are: "S-1-5-18)(A;;CC;;;WD" would grant everyone), and ports exist only
 * on TCP and UDP in Windows Firewall. */
int fleet_common_check(const wl_fleet_rule *fr, const char **why) {
  const wl_rule *r = &fr->rule;
  if (fr->expires) /* exported it would never expire: left out rather than made permanent */
    return *why = "a temporary rule (promote --for): Windows Firewall rules cannot expire",
           -1;
  if ((r->user[0] && !is_sid(r->user)) || (r->package[0] && !is_sid(r->package)))
    return *why = "the user or package is not a SID", -1;
  if (r->n_ports && r->proto != WL_PROTO_TCP && r->proto != WL_PROTO_UDP)
    return *why = "ports on a protocol other than TCP or UDP (Windows Firewall takes ports only "
                  "with TCP or UDP)",
           -1;
  return 0;
}

/* Our own texts (names, descriptions) are one line in every format: a control character (a host
 * name given with --host, say) becomes '?'. */
static void one_line(char *s) {
  for (; *s; s++)
    if ((unsigned char)*s < 0x20 || *s == 0x7f)
      *s = '?';
}

void fleet_display_name(const wl_fleet_rule *fr, char *out, size_t cap) {
  const wl_rule *r = &fr->rule;
  const char *base = strrchr(r->app, '\\');
  char proto[8], ports[256] = "";
  base = base ? base + 1 : r->app[0] ? r->app : "any app";
  wl_ports_format(r->ports, r->n_ports, ports, sizeof ports);
  snprintf(out, cap, "wfplearn: %s %s %s%s%s", base, r->dir == WL_DIR_IN ? "in" : "out",
           r->proto < 0 ? "any" : fleet_proto_name(r->proto, proto), ports[0] ? " " : "",
           ports);
  one_line(out);
}

void fleet_description(const wl_fleet_rule *fr, char *out, size_t cap) {
  int n = snprintf(out, cap, "allowed %llu, blocked %llu, flows %llu",
                   (unsigned long long)fr->allowed, (unsigned long long)fr->blocked,
                   (unsigned long long)fr->flows);
  if (fr->first_seen[0] && n > 0 && (size_t)n < cap)
    n += snprintf(out + n, cap - (size_t)n, ", first seen %s, last seen %s", fr->first_seen,
                  fr->last_seen);
  if (fr->host[0] && n > 0 && (size_t)n < cap)
    n += snprintf(out + n, cap - (size_t)n, ", learned on %s", fr->host);
  if (fr->hosts > 1 && n > 0 && (size_t)n < cap)
    snprintf(out + n, cap - (size_t)n, " and %u hosts in all", fr->hosts);
  one_line(out);
}

void fleet_comment(FILE *f, const char *s, int cmd) {
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (c < 0x20 || c == 0x7f || (cmd && c == '^'))
      fputc('?', f); /* a newline would end the comment; cmd: ^ at a line's end continues it */
    else if (cmd && c == '%')
      fputs("%%", f); /* cmd expands % even in rem lines */
    else
      fputc(c, f);
  }
}

void fleet_left_out(fleet_out *x, const wl_fleet_rule *fr, const char *why,
                    const char *comment) {
  const char *app = fr->rule.app[0] ? fr->rule.app : "any app";
  const char *dir = fr->rule.dir == WL_DIR_IN ? "in" : "out";
  x->st->left_out++;
  if (x->warn) {
    fprintf(x->warn, "wfplearn export: %s: rule %s (", wl_fleet_format_name(x->fmt), fr->name);
    fleet_comment(x->warn, app, 0);
    fprintf(x->warn, " %s): %s; left out\n", dir, why);
  }
  if (comment) {
    fprintf(x->out, "%sleft out: %s (", comment, fr->name);
    fleet_comment(x->out, app, x->fmt == WL_FLEET_NETSH);
    fprintf(x->out, " %s): ", dir);
    fleet_comment(x->out, why, x->fmt == WL_FLEET_NETSH);
    fputc('\n', x->out);
  }
}

void fleet_widened(fleet_out *x, const wl_fleet_rule *fr, const char *what, const char *comment) {
  const char *app = fr->rule.app[0] ? fr->rule.app : "any app";
  x->st->widened++;
  if (x->warn) {
    fprintf(x->warn, "wfplearn export: %s: rule %s (", wl_fleet_format_name(x->fmt), fr->name);
    fleet_comment(x->warn, app, 0);
    fprintf(x->warn, "): WIDENED: %s\n", what);
  }
  fprintf(x->out, "%sWIDENED: %s: ", comment, fr->name);
  fleet_comment(x->out, what, x->fmt == WL_FLEET_NETSH);
  fputs(x->fmt == WL_FLEET_NETSH ? "\r\n" : "\n", x->out);
}

/* Windows Firewall takes ports only with TCP or UDP; a rule for any protocol narrowed to ports
 * (a browser's 443 over TCP and QUIC) becomes one rule for each, named NAME-tcp and NAME-udp:
 * together they permit what the WFP rule permits (only TCP and UDP have ports there too). */
/* 1 when an earlier rule has the same name, i.e. the same identity (a policy may hold one rule
 * twice, or two whose paths differ only in case): Windows gets it once, since a second
 * New-NetFirewallRule with the same -Name would stop the script. Said on warn, counted. */
static int duplicate(fleet_out *x, const wl_fleet_rule *in, size_t i) {
  for (size_t j = 0; j < i; j++)
    if (!strcmp(in[j].name, in[i].name)) {
      x->st->duplicates++;
      if (x->warn) {
        fprintf(x->warn, "wfplearn export: %s: rule %s (", wl_fleet_format_name(x->fmt),
                in[i].name);
        fleet_comment(x->warn, in[i].rule.app[0] ? in[i].rule.app : "any app", 0);
        fputs("): the same rule as an earlier one; written once\n", x->warn);
      }
      return 1;
    }
  return 0;
}

static int expand(fleet_out *x, const wl_fleet_rule *in, size_t n, wl_fleet_rule **out,
                  size_t *m) {
  size_t k = 0;
  for (size_t i = 0; i < n; i++)
    k += (in[i].rule.proto < 0 && in[i].rule.n_ports) ? 2 : 1;
  *out = calloc(k + 1, sizeof **out);
  if (!*out)
    return wl_err(WL_E_NOMEM, "export: out of memory");
  k = 0;
  for (size_t i = 0; i < n; i++) {
    if (duplicate(x, in, i))
      continue;
    (*out)[k++] = in[i];
    if (in[i].rule.proto >= 0 || !in[i].rule.n_ports)
      continue;
    (*out)[k] = in[i];
    (*out)[k - 1].rule.proto = WL_PROTO_TCP;
    (*out)[k].rule.proto = WL_PROTO_UDP;
    strncat((*out)[k - 1].name, "-tcp", WL_FLEET_NAME_MAX - strlen(in[i].name) - 1);
    strncat((*out)[k++].name, "-udp", WL_FLEET_NAME_MAX - strlen(in[i].name) - 1);
  }
  *m = k;
  return WL_OK;
}

int wl_fleet_export(int fmt, const wl_fleet_rule *rules, size_t n, const char *source,
                    unsigned flags, FILE *out, FILE *warn, wl_fleet_stats *st) {
  fleet_out x = {fmt, flags, out, warn, st, source ? source : ""};
  wl_fleet_rule *all = NULL;
  size_t m = 0;
  memset(st, 0, sizeof *st);
  st->rules = n;
  int rc = expand(&x, rules, n, &all, &m);
  if (rc)
    return rc;
  switch (fmt) {
  case WL_FLEET_POWERSHELL: rc = fleet_write_ps(&x, all, m); break;
  case WL_FLEET_NETSH: rc = fleet_write_netsh(&x, all, m); break;
  case WL_FLEET_INTUNE: rc = fleet_write_intune(&x, all, m); break;
  default: rc = wl_err(WL_E_INVAL, "export: format %d is not a fleet format", fmt); break;
  }
  if (!rc && ferror(out))
    rc = wl_err(WL_E_IO, "export: write failed");
  free(all);
  return rc;
}
