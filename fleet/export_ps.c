/* export_ps.c — the whitelist as a PowerShell script of New-NetFirewallRule calls.
 *
 * One call per rule (a rule has one direction), all in group "wfplearn", each with a stable
 * -Name (fleet/model.c), so the script is idempotent: it first removes the group's rules from
 * the target store, then adds them again. -PolicyStore targets the local persistent store
 * (default) or, given a GPO name ("domain\gpo"), a GPO session opened with Open-NetGPO and
 * saved at the end. The profiles' default outbound block is a separate, commented section that
 * runs only with -BlockOutboundByDefault.
 *
 * Quoting: every value is a single-quoted string, in which PowerShell expands nothing ($,
 * backtick, double quotes and % are literal) and the only escape is a doubled quote. PowerShell
 * also takes the typographic quotes U+2018..U+201B as single quotes, so they are doubled too. The
 * file starts with a UTF-8 BOM because Windows PowerShell 5.1 reads a script without one in
 * the ANSI code page, which would garble every non-ASCII path.
 */
#include <string.h>

#include "common/wl_err.h"
#include "fleet/fleet_int.h"

/* 1 when the UTF-8 sequence at s is a character PowerShell reads as a single quote. */
static int ps_quote_char(const unsigned char *s) {
  if (s[0] == '\'')
    return 1;
  return s[0] == 0xE2 && s[1] == 0x80 && s[2] >= 0x98 && s[2] <= 0x9B; /* U+2018..U+201B */
}

void fleet_ps_quote(FILE *f, const char *s) {
  fputc('\'', f);
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    if (ps_quote_char(p)) {
      size_t len = p[0] == '\'' ? 1 : 3;
      fwrite(p, 1, len, f); /* doubled: the escape for every single-quote character */
      fwrite(p, 1, len, f);
      p += len - 1;
    } else {
      fputc(*p, f);
    }
  }
  fputc('\'', f);
}

static void ps_param(FILE *f, const char *name, const char *value) {
  fprintf(f, " -%s ", name);
  fleet_ps_quote(f, value);
}

/* A comma-separated list ("443,8000-8100") as a PowerShell array of quoted strings. */
static void ps_list(FILE *f, const char *name, const char *csv) {
  fprintf(f, " -%s ", name);
  for (const char *p = csv; *p;) {
    const char *end = strchr(p, ',');
    size_t len = end ? (size_t)(end - p) : strlen(p);
    fprintf(f, "%s'%.*s'", p == csv ? "" : ",", (int)len, p); /* digits, '-', ':', '.', '/' */
    p += len + (end != NULL);
  }
}

static int ps_check(const wl_fleet_rule *fr, char *program, size_t cap, const char **why) {
  if (fleet_program(fr, program, cap, why))
    return -1;
  return fleet_common_check(fr, why);
}

static void ps_rule(FILE *f, const wl_fleet_rule *fr, const char *program) {
  const wl_rule *r = &fr->rule;
  char text[1024], proto[8], list[2048], sddl[WL_SID_STR_MAX + 32];
  fputs("New-NetFirewallRule @target", f);
  ps_param(f, "Name", fr->name);
  fleet_display_name(fr, text, sizeof text);
  ps_param(f, "DisplayName", text);
  ps_param(f, "Group", "wfplearn");
  fleet_description(fr, text, sizeof text);
  ps_param(f, "Description", text);
  fprintf(f, " -Direction %s -Action Allow", r->dir == WL_DIR_IN ? "Inbound" : "Outbound");
  if (program[0])
    ps_param(f, "Program", program);
  if (r->proto >= 0)
    ps_param(f, "Protocol", fleet_proto_name(r->proto, proto));
  if (r->n_ports) {
    wl_ports_format(r->ports, r->n_ports, list, sizeof list);
    ps_list(f, r->dir == WL_DIR_IN ? "LocalPort" : "RemotePort", list);
  }
  if (r->n_remotes) {
    wl_remotes_format(r->remotes, r->n_remotes, list, sizeof list);
    ps_list(f, "RemoteAddress", list);
  }
  if (r->user[0]) {
    snprintf(sddl, sizeof sddl, FLEET_USER_SDDL, r->user);
    ps_param(f, "LocalUser", sddl);
  }
  if (r->package[0])
    ps_param(f, "Package", r->package);
  fputs(" | Out-Null\n", f);
}

static void ps_head(fleet_out *x, size_t n) {
  FILE *f = x->out;
  fputs("\xEF\xBB\xBF", f); /* UTF-8 BOM: Windows PowerShell 5.1 reads the file as UTF-8 */
  fprintf(f, "# wfplearn export: %zu rules as Windows Firewall rules, group 'wfplearn', from ",
          n);
  fleet_comment(f, x->source, 0);
  fputs(".\n"
        "# Run elevated:  .\\wfplearn.ps1                              (this machine)\n"
        "#                .\\wfplearn.ps1 -PolicyStore 'contoso.com\\Workstations'  (a GPO)\n"
        "# Re-running it replaces the group's rules in that store.\n"
        "[CmdletBinding()]\n"
        "param([string]$PolicyStore = 'PersistentStore', [switch]$BlockOutboundByDefault)\n"
        "$ErrorActionPreference = 'Stop'\n"
        "$gpo = $null\n"
        "if ($PolicyStore -notin @('PersistentStore', 'ActiveStore', 'localhost')) {\n"
        "  $gpo = Open-NetGPO -PolicyStore $PolicyStore\n"
        "  $target = @{ GPOSession = $gpo }\n"
        "} else {\n"
        "  $target = @{ PolicyStore = $PolicyStore }\n"
        "}\n"
        "Get-NetFirewallRule @target -Group 'wfplearn' -ErrorAction SilentlyContinue |\n"
        "  Remove-NetFirewallRule\n\n",
        f);
}

static void ps_tail(FILE *f) {
  fputs("\n# ---- Opt-in: block outbound by default (the whitelist above becomes the only way\n"
        "# out). Test on one machine first: anything not listed loses the network.\n"
        "if ($BlockOutboundByDefault) {\n"
        "  Set-NetFirewallProfile @target -Profile Domain,Private,Public "
        "-DefaultOutboundAction Block\n"
        "}\n"
        "if ($gpo) { Save-NetGPO -GPOSession $gpo }\n",
        f);
}

int fleet_write_ps(fleet_out *x, const wl_fleet_rule *r, size_t n) {
  char program[WL_PATH_MAX + 32];
  ps_head(x, n);
  for (size_t i = 0; i < n; i++) {
    const char *why = NULL;
    if (ps_check(&r[i], program, sizeof program, &why)) {
      fleet_left_out(x, &r[i], why, "# ");
      continue;
    }
    ps_rule(x->out, &r[i], program);
    x->st->written++;
  }
  ps_tail(x->out);
  return WL_OK;
}
