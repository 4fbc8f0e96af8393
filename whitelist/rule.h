/* rule.h — the rule model: what one whitelist rule permits, as values.
 *
 * A rule is an app (or any app), a direction, a protocol, and optionally the ports and remote
 * addresses it was narrowed to (its scope). The store keeps rules as text (wl_rule_row); this
 * header is the parsed form, the canonical text forms, and the questions review asks of a rule:
 * its identity (two rules with the same identity are the same rule, and their filter keys derive
 * from it, see whitelist/apply.h) and whether it, or one of enforce's essential exceptions,
 * covers a flow the store recorded. Everything here is pure: no engine, no store handle.
 */
#ifndef WL_WHITELIST_RULE_H
#define WL_WHITELIST_RULE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "event/event.h"
#include "store/store.h"

/* IP protocol numbers (IANA) the whitelist names; a rule's and a flow's proto hold these. */
#define WL_PROTO_IGMP 2
#define WL_PROTO_TCP 6
#define WL_PROTO_UDP 17
#define WL_PROTO_ICMPV6 58

enum wl_scope { WL_SCOPE_APP = 0, WL_SCOPE_PORT, WL_SCOPE_REMOTE };
const char *wl_scope_name(int scope);          /* "app" | "port" | "remote" */
int wl_scope_parse(const char *s, int *scope); /* WL_E_INVAL on anything else */

#define WL_RULE_MAX_PORTS 16   /* port ranges per rule (each one filter condition) */
#define WL_RULE_MAX_REMOTES 32 /* addresses/prefixes per rule (each one filter condition) */

typedef struct wl_port_range {
  uint16_t lo, hi; /* lo == hi: one port */
} wl_port_range;

typedef struct wl_prefix {
  uint8_t ip_version; /* 4 or 6 */
  uint8_t len;        /* 0..32 / 0..128 */
  uint8_t addr[16];   /* network order, host bits zero */
} wl_prefix;

/* A rule, parsed: what wl_rule_row holds as text. */
typedef struct wl_rule {
  int64_t id;                  /* store row id; 0 before it is added */
  char app[WL_PATH_MAX];       /* DOS path (NT path when unmapped); "" = any app */
  char app_nt[WL_PATH_MAX];    /* NT path as app ids and events carry it (lower-case) */
  uint8_t dir;                 /* WL_DIR_OUT (ALE_AUTH_CONNECT) or WL_DIR_IN (RECV_ACCEPT) */
  int16_t proto;               /* -1 = any */
  uint8_t scope;               /* enum wl_scope: what the rule was narrowed by */
  uint32_t n_ports;            /* outbound: remote ports; inbound: local ports; 0 = any */
  wl_port_range ports[WL_RULE_MAX_PORTS];
  uint32_t n_remotes;          /* 0 = any */
  wl_prefix remotes[WL_RULE_MAX_REMOTES];
  char user[WL_SID_STR_MAX];   /* "" = any */
  /* "" = not for a package (an AppContainer never matches it); a SID: a package rule, matched
   * by FWPM_CONDITION_ALE_PACKAGE_ID alone, not by the app's path, so the package's next
   * version (a new WindowsApps folder) still matches (issue 15, item 5) */
  char package[WL_SID_STR_MAX];
  /* issue 15, item 4 (whitelist/rebind.h): the ruled binary's Authenticode signer ("" unsigned
   * or unknown), and after a re-bind to an updated path, the path it was bound to before: its
   * filters stay while that binary exists (not part of the identity) */
  char signer[256];
  char prev_app[WL_PATH_MAX];
  char prev_app_nt[WL_PATH_MAX];
} wl_rule;

/* Text forms: ports "443,8000-8100", remotes "1.2.3.0/24,2001:db8::/32" (a full-length prefix
 * is written as the bare address). Parsing sorts, merges duplicates and zeroes host bits, so
 * equal rules have equal text. WL_E_PARSE / WL_E_TOOBIG with a message. */
int wl_ports_parse(const char *s, wl_port_range *out, uint32_t cap, uint32_t *n);
size_t wl_ports_format(const wl_port_range *p, uint32_t n, char *buf, size_t cap);
int wl_remotes_parse(const char *s, wl_prefix *out, uint32_t cap, uint32_t *n);
size_t wl_remotes_format(const wl_prefix *p, uint32_t n, char *buf, size_t cap);
int wl_prefix_contains(const wl_prefix *p, uint8_t ip_version, const uint8_t addr[16]);
/* As JSON arrays: ports as numbers ("LO-HI" strings for ranges), remotes as strings. */
void wl_ports_write_json(FILE *f, const wl_port_range *p, uint32_t n);
void wl_remotes_write_json(FILE *f, const wl_prefix *p, uint32_t n);

int wl_rule_from_row(const wl_rule_row *row, wl_rule *out);
/* Fills the row's rule columns (not filters, evidence, origin, created). */
int wl_rule_to_row(const wl_rule *r, wl_rule_row *row);
/* The rule's identity, from which its filter keys derive: dir, app_nt (lower-case), proto,
 * ports, remotes, user, package. Two rules with the same identity are the same rule. A buffer
 * of WL_RULE_IDENTITY_MAX bytes always holds it whole. */
#define WL_RULE_IDENTITY_MAX 4096
size_t wl_rule_identity(const wl_rule *r, char *buf, size_t cap);
/* 1 when the rule names this app (or any app); paths compare ASCII case-insensitively. A
 * re-bound rule also names its previous path; a package rule also names the same file in its
 * package's other versions (wl_version_path_match, WindowsApps folders). */
int wl_rule_app_matches(const wl_rule *r, const char *app_path, const char *app_dos);
/* 1 when the rule would permit the flow of the app recorded as `app_path` (NT or DOS form).
 * Limit: the rule's user and package SIDs are not compared, because flows do not record them
 * (store/store.h keeps them on raw events only). A rule narrowed to one user (wl_rule_resolve
 * does that when every event of the app carried the same SID) therefore hides from review the
 * same app's flows under another user, which its filters would not permit under enforce. */
int wl_rule_covers(const wl_rule *r, const char *app_path, const char *app_dos,
                   const wl_flow *f);
/* 1 when the flow of app `app` (as recorded, NT or DOS; "" none) is permitted by enforce's
 * essential exceptions anyway (DNS of the DNS client svchost.exe, DHCP, ICMPv6 neighbour
 * discovery, IGMP, inbound MLD, loopback), so it needs no rule. Decided on the fields the
 * exception filters test (whitelist/enforce_set.c); outbound ICMPv6 (neighbour discovery, MLD)
 * is what it cannot recognise (its ICMP type is not kept) and reports as not covered. The
 * baseline (enforce --baseline keep) is not mirrored: its svchost flows stay visible. */
int wl_exception_covers(const wl_flow *f, const char *app);

#endif
