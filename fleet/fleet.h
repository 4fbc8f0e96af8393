/* fleet.h — the whitelist for the firewalls Windows fleets already run: the reviewed rules
 * compiled to Windows Firewall policy (a PowerShell script, a netsh .cmd script, Intune
 * endpoint-security JSON), and the policies of many machines merged into one baseline.
 *
 * Why a layer of its own (between whitelist/ and cli/): wfplearn's rules are raw WFP filters,
 * which Group Policy and Intune cannot carry, so exporting them is a translation into another
 * firewall's language, with its own quoting and its own limits; it reads the rule model
 * (whitelist/rule.h) and the policy files (whitelist/policy.h) and changes neither the store nor
 * the engine. One small file per job: model.c (rules + evidence as exported, names, program
 * paths), export_ps.c, export_netsh.c, export_intune.c, merge.c.
 *
 * What a format cannot express exactly (an NT device path, a user or package condition netsh
 * has no option for, ports on a protocol without ports, ...) is never dropped in silence and
 * never widened: the rule is left out, one line on `warn` says which and why, the output carries
 * the same line as a comment (or in "not_expressed" for Intune), and stats count it.
 */
#ifndef WL_FLEET_FLEET_H
#define WL_FLEET_FLEET_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "common/wl_text.h"
#include "store/store.h"
#include "whitelist/rule.h"

enum wl_fleet_format { WL_FLEET_JSON = 0, WL_FLEET_POWERSHELL, WL_FLEET_NETSH, WL_FLEET_INTUNE };
/* "json" | "powershell" (or "ps1") | "netsh" (or "cmd") | "intune"; WL_E_INVAL otherwise. */
int wl_fleet_format_parse(const char *s, int *fmt);
const char *wl_fleet_format_name(int fmt);

#define WL_FLEET_HOST_MAX 128
#define WL_FLEET_NAME_MAX 48 /* "wfplearn-" + 32 hex digits [+ "-tcp"/"-udp"] */
#define WL_FLEET_INTUNE_PROFILE_MAX 150 /* Microsoft's limit of firewall rules per profile */

/* One rule as exported: what it permits and the evidence that justified it. */
typedef struct wl_fleet_rule {
  wl_rule rule;                    /* app is the DOS path ("" any app); app_nt is not used */
  char name[WL_FLEET_NAME_MAX];    /* stable id from the rule's machine-independent identity */
  uint64_t allowed, blocked, flows;
  char first_seen[WL_TIME_STR_MAX], last_seen[WL_TIME_STR_MAX]; /* "" when unknown */
  char host[WL_FLEET_HOST_MAX];    /* learned on this machine ("" unknown) */
  unsigned hosts;                  /* merged policies: on how many machines; else 1 */
  uint64_t expires;                /* a temporary rule's deadline (0 permanent): Windows
                                    * Firewall rules have no expiry, so every format leaves it
                                    * out with a warning (fleet_common_check) */
} wl_fleet_rule;

/* The store's rules as exported (host: this machine's name, for the evidence). *out: release
 * with free. */
int wl_fleet_load_store(wl_store *s, const char *host, wl_fleet_rule **out, size_t *n);
/* A policy's rule rows (whitelist/policy.h wl_policy_read) as exported. */
int wl_fleet_from_rows(const wl_rule_row *rows, size_t n, const char *host, wl_fleet_rule *out);

typedef struct wl_fleet_stats {
  size_t rules;    /* given */
  size_t written;  /* Windows Firewall rules written (an any-protocol rule with ports: two) */
  size_t left_out; /* not expressible in the format: warned, commented, counted */
  size_t widened;  /* WL_FLEET_ANY_USER: written without their user condition */
  size_t duplicates; /* the same rule again (same identity): written once */
  size_t profiles; /* intune: profiles written */
} wl_fleet_stats;

/* WL_FLEET_ANY_USER: where a format has no local-user condition (netsh), write a rule narrowed
 * to one user for every user instead of leaving it out: asked for explicitly, and still said
 * on warn and in a comment for each rule, and counted as widened. */
#define WL_FLEET_ANY_USER 0x1u
/* Compile rules to fmt (not WL_FLEET_JSON: the policy format is whitelist/policy.h's) on out;
 * the rules a format cannot express go to warn (may be NULL) as "FORMAT: rule NAME (...): WHY;
 * left out". source: the machine or file the rules came from, for the header. */
int wl_fleet_export(int fmt, const wl_fleet_rule *rules, size_t n, const char *source,
                    unsigned flags, FILE *out, FILE *warn, wl_fleet_stats *st);

/* ---- merge: many machines' policies into one baseline plus per-host exceptions ---- */
typedef struct wl_fleet_merge_report {
  size_t files, rules_read, distinct, baseline, exceptions, conflicts;
} wl_fleet_merge_report;
/* Read every policy (all or nothing: the first bad file is named in the error), count on how
 * many hosts (a policy's "host", else its file name) each distinct rule was seen, and write one
 * policy document to out: "rules" = the rules seen on at least min_hosts hosts (each with
 * "hosts" and "host_names"), "exceptions" = {host: [its other rules]}. An exception for an app
 * and direction the baseline also has a different rule for is a conflict: listed on warn and in
 * the document's "conflicts", counted. */
int wl_fleet_merge(const char *const *paths, size_t n_paths, unsigned min_hosts, FILE *out,
                   FILE *warn, wl_fleet_merge_report *rep);

#endif
