/* export_netsh.c — the whitelist as a .cmd script of `netsh advfirewall firewall` lines.
 *
 * One `delete rule` + `add rule` pair per rule, named by its stable name (fleet/model.c), so
 * the script is idempotent. netsh cannot express everything New-NetFirewallRule can: it has no
 * group (the rules are found by their "wfplearn-" names instead), no local-user condition and
 * no package (AppContainer) condition. A rule with a user or package condition is left out,
 * never widened to everyone or every app, unless the user asks for rules for every user
 * (WL_FLEET_ANY_USER, `export --any-user`): then each such rule says so in a WIDENED comment.
 *
 * Quoting, for cmd.exe first and netsh second:
 *  - every value is in double quotes, inside which & | < > ^ ( ) are literal; a value cannot
 *    hold a double quote (Windows file names cannot; our own texts have it replaced);
 *  - cmd expands %...% in a batch file even inside quotes, so every % is written %% (cmd turns
 *    it back into one %, and %ProgramFiles% reaches the firewall unexpanded, as it must);
 *  - delayed expansion (!) is switched off by setlocal;
 *  - cmd reads a batch file in the console code page: `chcp 65001` first, so the lines after it
 *    are read as UTF-8 (no BOM: cmd would take it as part of the first command);
 *  - backslashes at the end of a value are doubled (netsh's command line is split by the usual
 *    argument rules, where \" escapes the quote and \\" is one backslash and the end);
 *  - a line of cmd holds at most 8191 characters: a longer rule is left out.
 */
#include <string.h>

#include "common/wl_err.h"
#include "fleet/fleet_int.h"

#define NETSH_LINE_MAX 8191

/* "value" for cmd + netsh: % doubled; a double quote or a control character (only possible in
 * our own texts: a host name given with --host, say; program paths with them are left out) as '
 * and ?, so that nothing ends the value or the line. */
static size_t netsh_quote(char *out, size_t cap, size_t at, const char *s) {
  if (at < cap)
    out[at] = '"';
  at++;
  for (; *s; s++) {
    /* backslashes that end the value are doubled: before the closing quote, 2n of them read
     * as n (the argument rules netsh's command line is split by), one would escape it */
    int tail = *s == '\\' && s[strspn(s, "\\")] == 0;
    const char *rep = *s == '%'                                ? "%%"
                      : *s == '"'                              ? "'"
                      : (unsigned char)*s < 0x20 || *s == 0x7f ? "?"
                      : tail                                   ? "\\\\"
                                                               : NULL;
    for (const char *c = rep ? rep : s; rep ? *c : c == s; c++) {
      if (at < cap)
        out[at] = *c;
      at++;
    }
  }
  if (at < cap)
    out[at] = '"';
  return at + 1;
}

static size_t netsh_param(char *out, size_t cap, size_t at, const char *name, const char *v) {
  at += (size_t)snprintf(at < cap ? out + at : NULL, at < cap ? cap - at : 0, " %s=", name);
  return netsh_quote(out, cap, at, v);
}

static int netsh_check(const fleet_out *x, const wl_fleet_rule *fr, char *program, size_t cap,
                       const char **why) {
  if (fleet_program(fr, program, cap, why) || fleet_common_check(fr, why))
    return -1;
  if (fr->rule.user[0] && !(x->flags & WL_FLEET_ANY_USER))
    return *why = "a local-user condition (netsh has no option for it; use powershell or "
                  "intune)",
           -1;
  if (fr->rule.package[0])
    return *why = "a package (AppContainer) condition (netsh has no option for it; use "
                  "powershell)",
           -1;
  return 0;
}

/* The add line into buf; its length (>= cap: did not fit). */
static size_t netsh_add(const wl_fleet_rule *fr, const char *program, char *buf, size_t cap) {
  const wl_rule *r = &fr->rule;
  char text[1024], proto[8], list[2048];
  size_t at = (size_t)snprintf(buf, cap, "netsh advfirewall firewall add rule");
  at = netsh_param(buf, cap, at, "name", fr->name);
  char disp[512], desc[512];
  fleet_display_name(fr, disp, sizeof disp);
  fleet_description(fr, desc, sizeof desc);
  snprintf(text, sizeof text, "%s: %s", disp, desc);
  at = netsh_param(buf, cap, at, "description", text);
  at += (size_t)snprintf(at < cap ? buf + at : NULL, at < cap ? cap - at : 0,
                         " dir=%s action=allow enable=yes profile=any",
                         r->dir == WL_DIR_IN ? "in" : "out");
  if (program[0])
    at = netsh_param(buf, cap, at, "program", program);
  if (r->proto >= 0)
    at = netsh_param(buf, cap, at, "protocol", fleet_proto_name(r->proto, proto));
  if (r->n_ports) {
    wl_ports_format(r->ports, r->n_ports, list, sizeof list);
    at = netsh_param(buf, cap, at, r->dir == WL_DIR_IN ? "localport" : "remoteport", list);
  }
  if (r->n_remotes) {
    wl_remotes_format(r->remotes, r->n_remotes, list, sizeof list);
    at = netsh_param(buf, cap, at, "remoteip", list);
  }
  buf[at < cap ? at : cap - 1] = 0;
  return at;
}

static void netsh_head(fleet_out *x, size_t n) {
  FILE *f = x->out;
  fprintf(f, "@echo off\r\nrem wfplearn export: %zu rules as netsh advfirewall rules, from ", n);
  fleet_comment(f, x->source, 1);
  fputs(".\r\n"
        "rem Run elevated. Re-running replaces each rule (found by its wfplearn- name).\r\n"
        "rem netsh has no rule group, local-user or package condition: rules that need one\r\n"
        "rem are left out below (see the powershell format).\r\n"
        "setlocal DisableDelayedExpansion\r\n"
        "chcp 65001 >nul\r\n",
        f);
}

int fleet_write_netsh(fleet_out *x, const wl_fleet_rule *r, size_t n) {
  char program[WL_PATH_MAX + 32], line[NETSH_LINE_MAX + 1];
  netsh_head(x, n);
  for (size_t i = 0; i < n; i++) {
    const char *why = NULL;
    if (netsh_check(x, &r[i], program, sizeof program, &why)) {
      fleet_left_out(x, &r[i], why, "rem ");
      continue;
    }
    if (netsh_add(&r[i], program, line, sizeof line) >= sizeof line) {
      fleet_left_out(x, &r[i], "longer than cmd's line limit of 8191 characters", "rem ");
      continue;
    }
    if (r[i].rule.user[0]) { /* only with WL_FLEET_ANY_USER */
      char what[WL_SID_STR_MAX + 96];
      snprintf(what, sizeof what, "for every user, not only %s (--any-user)", r[i].rule.user);
      fleet_widened(x, &r[i], what, "rem ");
    }
    fprintf(x->out, "netsh advfirewall firewall delete rule name=\"%s\" >nul 2>&1\r\n",
            r[i].name);
    fprintf(x->out, "%s\r\n", line);
    x->st->written++;
  }
  fputs("endlocal\r\n", x->out);
  return WL_OK;
}
