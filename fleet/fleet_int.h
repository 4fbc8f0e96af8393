/* fleet_int.h — internal to fleet/: what the format compilers share (model.c) and the one
 * writer each format has (export_ps.c, export_netsh.c, export_intune.c). */
#ifndef WL_FLEET_INT_H
#define WL_FLEET_INT_H

#include "fleet/fleet.h"

typedef struct fleet_out {
  int fmt;
  unsigned flags; /* WL_FLEET_ANY_USER */
  FILE *out, *warn; /* warn may be NULL */
  wl_fleet_stats *st;
  const char *source; /* host or file the rules came from */
} fleet_out;

/* The app path as Windows Firewall takes it (system folders as %ProgramFiles%, %SystemRoot%,
 * ...); "" for any app. -1 with *why when no program path can say it exactly. */
int fleet_program(const wl_fleet_rule *fr, char *out, size_t cap, const char **why);
/* -1 with *why when no Windows Firewall rule can say it (ports without TCP/UDP). */
int fleet_common_check(const wl_fleet_rule *fr, const char **why);
const char *fleet_proto_name(int proto, char buf[8]); /* "TCP", "UDP", "ICMPv6", "47" */
void fleet_display_name(const wl_fleet_rule *fr, char *out, size_t cap);
void fleet_description(const wl_fleet_rule *fr, char *out, size_t cap);
/* Text for a one-line comment: control characters as '?' (a newline would end the comment and
 * let the rest run as code); cmd: '%' doubled and '^' as '?' (cmd expands % in rem lines, and a
 * ^ at the end of a rem line continues the comment onto the next command). */
void fleet_comment(FILE *f, const char *s, int cmd);
/* Count a rule the format cannot express, say so on x->warn and, with comment (the format's
 * comment leader, "# " or "rem "), as a comment line in the output. */
void fleet_left_out(fleet_out *x, const wl_fleet_rule *fr, const char *why,
                    const char *comment);
/* The same for a rule written wider than it is (only when asked: WL_FLEET_ANY_USER). */
void fleet_widened(fleet_out *x, const wl_fleet_rule *fr, const char *what, const char *comment);

/* The SDDL Windows Firewall takes for "only this local user" (LocalUser / LocalUserAuthorizedList). */
#define FLEET_USER_SDDL "O:LSD:(A;;CC;;;%s)"

void fleet_ps_quote(FILE *f, const char *s); /* '...', quotes doubled */
int fleet_write_ps(fleet_out *x, const wl_fleet_rule *r, size_t n);
int fleet_write_netsh(fleet_out *x, const wl_fleet_rule *r, size_t n);
int fleet_write_intune(fleet_out *x, const wl_fleet_rule *r, size_t n);

#endif
