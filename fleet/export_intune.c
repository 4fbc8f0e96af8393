/* export_intune.c — the whitelist as Intune endpoint-security firewall rules (JSON).
 *
 *   {"format": "wfplearn-intune", "version": 1, "source": "HOST", "rules": 2,
 *    "profiles": [{"name": "wfplearn 1 of 1", "rules": [
 *      {"Id": "wfplearn-...", "Name": "wfplearn: firefox.exe out TCP 443", "Description": "...",
 *       "FilePath": "%ProgramFiles%\\Mozilla Firefox\\firefox.exe", "Direction": "OUT",
 *       "Action": 1, "Protocol": 6, "RemotePortRanges": "443",
 *       "RemoteAddressRanges": "203.0.113.0/24", "Enabled": true}]}],
 *    "not_expressed": [{"Id": "...", "app": "...", "dir": "in", "why": "..."}]}
 *
 * Field names are the Firewall CSP's (./Vendor/MSFT/Firewall/MdmStore/FirewallRules/{Id}/...):
 * App/FilePath as FilePath, Action/Type as Action (1 = allow), Direction "IN"/"OUT", Protocol
 * 0-255, port and address ranges as the CSP's comma-separated strings, LocalUserAuthorizationList
 * an SDDL string. Rules are split into profiles of at most 150 (Microsoft's limit per
 * firewall-rules profile). The CSP names a packaged app by its PackageFamilyName, which the
 * engine does not record (it knows the package SID only), so package rules are not expressed.
 * Absent fields mean "any", as in the CSP.
 */
#include <stdlib.h>
#include <string.h>

#include "common/wl_err.h"
#include "common/wl_json.h"
#include "fleet/fleet_int.h"

static int intune_check(const wl_fleet_rule *fr, char *program, size_t cap, const char **why) {
  if (fleet_program(fr, program, cap, why) || fleet_common_check(fr, why))
    return -1;
  if (fr->rule.package[0])
    return *why = "a package condition: the CSP takes a PackageFamilyName, the engine records "
                  "only the package SID",
           -1;
  return 0;
}

static void intune_str(FILE *f, const char *key, const char *v) {
  fprintf(f, ", \"%s\": ", key);
  wl_json_write_string(f, v);
}

static void intune_rule(FILE *f, const wl_fleet_rule *fr, const char *program) {
  const wl_rule *r = &fr->rule;
  char text[1024], list[2048];
  fputs("{\"Id\": ", f);
  wl_json_write_string(f, fr->name);
  fleet_display_name(fr, text, sizeof text);
  intune_str(f, "Name", text);
  fleet_description(fr, text, sizeof text);
  intune_str(f, "Description", text);
  if (program[0])
    intune_str(f, "FilePath", program);
  fprintf(f, ", \"Direction\": \"%s\", \"Action\": 1", r->dir == WL_DIR_IN ? "IN" : "OUT");
  if (r->proto >= 0)
    fprintf(f, ", \"Protocol\": %d", (int)r->proto);
  if (r->n_ports) {
    wl_ports_format(r->ports, r->n_ports, list, sizeof list);
    intune_str(f, r->dir == WL_DIR_IN ? "LocalPortRanges" : "RemotePortRanges", list);
  }
  if (r->n_remotes) {
    wl_remotes_format(r->remotes, r->n_remotes, list, sizeof list);
    intune_str(f, "RemoteAddressRanges", list);
  }
  if (r->user[0]) {
    snprintf(text, sizeof text, FLEET_USER_SDDL, r->user);
    intune_str(f, "LocalUserAuthorizationList", text);
  }
  fputs(", \"Enabled\": true}", f);
}

/* The rules that can be expressed, as indexes into r; the others counted and warned. */
static size_t intune_select(fleet_out *x, const wl_fleet_rule *r, size_t n, size_t *ok) {
  char program[WL_PATH_MAX + 32];
  size_t k = 0;
  for (size_t i = 0; i < n; i++) {
    const char *why = NULL;
    if (intune_check(&r[i], program, sizeof program, &why))
      fleet_left_out(x, &r[i], why, NULL); /* in "not_expressed" below */
    else
      ok[k++] = i;
  }
  return k;
}

static void intune_not_expressed(FILE *f, const wl_fleet_rule *r, size_t n) {
  char program[WL_PATH_MAX + 32];
  size_t shown = 0;
  fputs("],\n \"not_expressed\": [", f);
  for (size_t i = 0; i < n; i++) {
    const char *why = NULL;
    if (!intune_check(&r[i], program, sizeof program, &why))
      continue;
    fprintf(f, "%s\n  {\"Id\": \"%s\", \"app\": ", shown++ ? "," : "", r[i].name);
    wl_json_write_string(f, r[i].rule.app[0] ? r[i].rule.app : NULL);
    fprintf(f, ", \"dir\": \"%s\"", r[i].rule.dir == WL_DIR_IN ? "in" : "out");
    intune_str(f, "why", why);
    fputc('}', f);
  }
  fputs(shown ? "\n ]}\n" : "]}\n", f);
}

int fleet_write_intune(fleet_out *x, const wl_fleet_rule *r, size_t n) {
  FILE *f = x->out;
  char program[WL_PATH_MAX + 32];
  size_t *ok = calloc(n + 1, sizeof *ok);
  if (!ok)
    return wl_err(WL_E_NOMEM, "export: out of memory");
  size_t k = intune_select(x, r, n, ok);
  size_t profiles = (k + WL_FLEET_INTUNE_PROFILE_MAX - 1) / WL_FLEET_INTUNE_PROFILE_MAX;
  fputs("{\"format\": \"wfplearn-intune\", \"version\": 1, \"source\": ", f);
  wl_json_write_string(f, x->source);
  fprintf(f, ", \"rules\": %zu,\n \"profiles\": [", k);
  for (size_t p = 0; p < profiles; p++) {
    fprintf(f, "%s\n  {\"name\": \"wfplearn %zu of %zu\", \"rules\": [", p ? "," : "", p + 1,
            profiles);
    size_t end = (p + 1) * WL_FLEET_INTUNE_PROFILE_MAX < k ? (p + 1) * WL_FLEET_INTUNE_PROFILE_MAX
                                                           : k;
    for (size_t j = p * WL_FLEET_INTUNE_PROFILE_MAX; j < end; j++) {
      const char *why = NULL;
      fleet_program(&r[ok[j]], program, sizeof program, &why);
      fputs(j % WL_FLEET_INTUNE_PROFILE_MAX ? ",\n    " : "\n    ", f);
      intune_rule(f, &r[ok[j]], program);
    }
    fputs("]}", f);
  }
  if (profiles)
    fputs("\n ", f);
  intune_not_expressed(f, r, n);
  x->st->written = k;
  x->st->profiles = profiles;
  free(ok);
  return WL_OK;
}
