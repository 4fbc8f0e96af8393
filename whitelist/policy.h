/* policy.h — the whitelist as a file: export the rules as a JSON policy, import one as a merge.
 *
 * A policy is what a user reviews in a diff and carries to another machine, so it holds what
 * the rules mean (DOS paths, ports, remotes, evidence) and nothing tied to this machine (NT
 * paths and filter keys are derived again on import). Import is all or nothing: a conflict or
 * an error changes nothing; otherwise the new rules go in through wl_rules_add
 * (whitelist/apply.h) in one transaction. The format is described in whitelist/policy.c.
 */
#ifndef WL_WHITELIST_POLICY_H
#define WL_WHITELIST_POLICY_H

#include <stddef.h>
#include <stdio.h>

#include "common/wl_json.h"
#include "engine/engine.h"
#include "store/store.h"

#define WL_POLICY_FORMAT "wfplearn-policy"
#define WL_POLICY_VERSION 1
#define WL_POLICY_MAX_RULES 4096

/* Write every rule of the store to f as one policy document; host (this machine's name, may be
 * NULL) goes into its "host" member, which merge-policy (fleet/fleet.h) groups by. */
int wl_policy_export(wl_store *s, const char *host, FILE *f);
/* One rule row as a policy rule object (no newline); extra (may be NULL): more members, as JSON
 * text, before the closing brace; arena: scratch for its evidence. */
void wl_policy_write_rule(FILE *f, const wl_rule_row *r, const char *extra,
                          wl_json_arena *arena);
/* Read a policy's rules as rows, with the checks of import but without an engine (no NT paths,
 * nothing resolved): for merge-policy. *rows: release with free. host: the document's "host"
 * ("" when absent). Errors name the file and the rule. */
int wl_policy_read(const char *path, wl_rule_row **rows, size_t *n, char *host,
                   size_t host_cap);

typedef struct wl_policy_report {
  size_t read, added, same, conflicts;
  size_t missing; /* rules whose app is not on this machine (no app id: issue 12 item 8) */
  size_t expired; /* temporary rules whose "expires" has passed: skipped, named on report_to */
  char first_conflict[256];
} wl_policy_report;
#define WL_POLICY_DRY_RUN 1u /* check and report only */
#define WL_POLICY_ANY_APP 2u /* accept rules for any app ("app": null) */
#define WL_POLICY_SKIP_MISSING 4u /* leave out rules whose app is not on this machine */
/* Merge a policy: rules identical to an existing one are "same"; a rule for an app and
 * direction that already has a different rule is a conflict, and so are two rules of the file
 * for the same app and direction. Any conflict or error: nothing changes (WL_E_CONFLICT,
 * conflicts listed on `report_to` when not NULL). Each "app" must be an absolute local path
 * (WL_E_PARSE naming the rule's index otherwise: "", NUL, relative, "..", UNC); null (any
 * app) only with WL_POLICY_ANY_APP. A rule whose app is not on this machine has no app id
 * (FwpmGetAppIdFromFileName0 needs the file): each is named on report_to and nothing changes
 * (WL_E_NOTFOUND) unless flags has WL_POLICY_SKIP_MISSING, which leaves them out.
 * flags: WL_POLICY_*. */
int wl_policy_import(wl_engine *e, wl_store *s, const char *path, unsigned flags,
                     FILE *report_to, wl_policy_report *rep);

#endif
