/* apply.h — the whitelist in the engine: wfplearn's provider and sublayer, the permit filters
 * each rule becomes, and the changes that keep the engine and the store in step (add, revoke,
 * verify and repair, uninstall).
 *
 * Rules live twice: as rows in the store (what the user approved, store/store.h) and as permit
 * filters in wfplearn's own provider and sublayer (what WFP enforces, through engine/engine.h
 * only, so all of it runs on the sim and against the fake fwpuclnt.dll). A rule's filter keys
 * derive from its identity (whitelist/rule.h), so the two sides meet without a side table.
 *
 * Invariant kept by every change (promote, revoke, import-policy, verify --repair): the engine
 * never holds a permit filter the store does not know about. Adding commits the store first
 * and the engine second; revoking commits the engine first and the store second. Whichever of
 * the two commits fails second is compensated; if the compensation fails too, what remains is a
 * rule row whose filters are missing (traffic stays blocked: fail-closed), which `verify`
 * reports and `verify --repair` fixes. See whitelist/apply.c.
 */
#ifndef WL_WHITELIST_APPLY_H
#define WL_WHITELIST_APPLY_H

#include <stddef.h>
#include <stdint.h>

#include "engine/engine.h"
#include "engine/keys.h"
#include "store/store.h"
#include "whitelist/rule.h"

/* ---- our objects ----
 * wfplearn's provider, sublayer and filter-key namespace: engine/keys.h. */

/* Sublayer weight (UINT16, higher is evaluated first). Must be above Windows Firewall's
 * (FWPM_SUBLAYER_MPSSVC_WF ...2301; 0x1000 on the sim, see engine/sim/sim.h) and the universal
 * sublayer's:
 * WFP arbitrates sublayers from the highest weight down, and only a hard permit in a higher
 * sublayer keeps a lower sublayer's block from winning. wl_objects_ensure checks it. */
#define WL_SUBLAYER_WEIGHT 0xF000u
/* Filter weights inside our sublayer (FWP_UINT64, exact): the default block lowest, so any
 * matching permit (rule or essential exception) decides first. */
#define WL_WEIGHT_BLOCK 0u
#define WL_WEIGHT_RULE 0x1000u
#define WL_WEIGHT_EXCEPTION 0x2000u
/* FWPM_CONDITION_ALE_PACKAGE_ID of a process outside an AppContainer: the NULL SID. Every hard
 * permit of ours that is not for a package (rules without one, enforce's exceptions) carries
 * ALE_PACKAGE_ID == S-1-0-0, as Windows Firewall's own classic rules do (J. Forshaw,
 * "Understanding Network Access in Windows AppContainers", Project Zero, 2021). Our sublayer may
 * outweigh Windows Service Hardening's (their weights are undocumented), and a hard permit in a
 * heavier sublayer overrides the blocks below it (MS "Filter Arbitration"); the condition keeps
 * our permits off AppContainer processes, so Windows' AppContainer isolation still decides for
 * them. A rule for a package matches that package only, and does open it. */
#define WL_PACKAGE_NONE "S-1-0-0"

/* Add the provider and sublayer when absent; call inside the caller's transaction.
 * WL_E_CONFLICT when Windows Firewall's sublayer (FWPM_SUBLAYER_MPSSVC_WF) weighs as much as
 * ours or more. The other MPSSVC sublayers are only reported (wl_sublayers_report). */
int wl_objects_ensure(wl_engine *e);

/* One sublayer's weight as the engine has it, for status and verify. */
typedef struct wl_sublayer_weight {
  const char *name; /* "wfplearn", or the fwpmu.h name without FWPM_SUBLAYER_ */
  int present;      /* 0: the engine has no sublayer under this key */
  uint16_t weight;
} wl_sublayer_weight;
#define WL_SUBLAYER_REPORT_MAX (1 + WL_WIN_SUBLAYERS)

/* Ours first, then the Windows Firewall service's sublayers in engine/keys.h's order (WF,
 * WSH, QUARANTINE, EDP, APP_ISOLATION, TENANT_RESTRICTIONS). Fills *n; an engine error other
 * than "not found" is returned. */
int wl_sublayers_report(wl_engine *e, wl_sublayer_weight out[WL_SUBLAYER_REPORT_MAX], size_t *n);

/* ---- rules → filters ---- */
/* one per IP version on the rule's layer, twice while a re-bound rule keeps its previous
 * path's filters (whitelist/rebind.h) */
#define WL_RULE_MAX_FILTERS 4

/* Fill app_nt from the engine's app id for `app` (FwpmGetAppIdFromFileName0 via
 * wl_engine_app_id; an NT path is mapped to DOS with the engine's drive map first), and, when
 * `s` is not NULL, user/package from the raw events of the app when all of them carry the same
 * SID. WL_E_NOTFOUND when the app's volume is unknown. */
int wl_rule_resolve(wl_engine *e, wl_store *s, wl_rule *r);
/* The SID part of wl_rule_resolve for n resolved rules at once: one pass over the raw events. */
int wl_rules_sids(wl_store *s, wl_rule *rules, size_t n);
/* The permit filters implementing r: ALE_AUTH_CONNECT (out) or ALE_AUTH_RECV_ACCEPT (in), v4
 * and v6 (only the versions its remotes allow), keys from wl_rule_identity. */
int wl_rule_filters(wl_engine *e, const wl_rule *r, wl_filter *out, size_t cap, size_t *n);
/* 1 when two filters would behave the same (layer, sublayer, provider, action, flags, weight,
 * conditions, app id, SIDs); the key, id, name and description are not compared. */
int wl_filter_same(const wl_filter *a, const wl_filter *b);
/* Keys as the rule row stores them: "{GUID},{GUID}". */
size_t wl_filter_keys_format(const wl_filter *f, size_t n, char *buf, size_t cap);

/* ---- changing the whitelist (engine + store, all or nothing) ---- */
typedef struct wl_apply_result {
  size_t added_rules, same_rules;  /* same: an identical rule already existed */
  size_t added_filters, adopted_filters; /* adopted: the key was present and identical */
} wl_apply_result;

/* Add rules (parsed, resolved) with their rows' evidence/origin: one engine transaction and
 * one store transaction, ordered as the header comment says. Rules identical to an existing
 * one add nothing. rows[i] receives the stored row (id, filters). */
int wl_rules_add(wl_engine *e, wl_store *s, const wl_rule *rules, wl_rule_row *rows,
                 size_t n, wl_apply_result *res);
/* Put back the filters of existing rules ids[0..n) that the engine lost (uninstall, a
 * firewall reset, a deleted filter): their filters are rebuilt from the rows and written by key
 * in one engine transaction; those present and identical are adopted. *added counts the
 * filters put back. promote calls it for the rules that already cover a proposal, so "already
 * covered" is true in the engine too (issue 18, item 3). A rule whose app has no app id (not
 * on disk): with `missing` NULL the call fails (WL_E_NOTFOUND, nothing written); else the rule
 * is left as it is, its id reported through missing(ctx, id, message). */
typedef void (*wl_missing_cb)(void *ctx, int64_t rule_id, const char *msg);
int wl_rules_restore(wl_engine *e, wl_store *s, const int64_t *ids, size_t n, size_t *added,
                     wl_missing_cb missing, void *ctx);
/* Remove rules by id with their filters (all or nothing; WL_E_NOTFOUND for an unknown id). */
int wl_rules_revoke(wl_engine *e, wl_store *s, const int64_t *ids, size_t n);

/* ---- promote: proposals → permit rules (the CLI's promote and the review page's Allow) ----
 * Each proposal id is turned into a rule of `scope` (wl_proposal_rule; -1: its own choice) and
 * resolved. A proposal a rule already covers adds nothing (on_covered gets wl_proposal_get's
 * message), and that rule's filters are put back where the engine lost them
 * (wl_rules_restore, issue 18 item 3). A proposal whose app has no app id here (not on disk):
 * with on_missing NULL the call fails with that error; else each is named through on_missing
 * and the call fails after the loop, nothing changed, unless WL_PROMOTE_SKIP_MISSING (the
 * others are promoted; a covering rule whose app is gone is then named through
 * on_missing_rule and left alone). The new rules go in with wl_rules_add, all or nothing.
 * WL_PROMOTE_DRY_RUN: nothing is written (no restore either); rules/rows say what would be
 * added. The report's rules/rows (n_rules) stay valid until wl_promote_report_free. */
#define WL_PROMOTE_DRY_RUN 1
#define WL_PROMOTE_SKIP_MISSING 2
typedef struct wl_promote_report {
  wl_missing_cb on_covered, on_missing, on_missing_rule; /* in: each may be NULL */
  /* in, may be NULL: a proposal that is an update of rule N (rebind.h) re-binds rule N instead
   * of adding a rule (unless --scope asks for another scope than proposed); called with N and what was done. rebound counts them;
   * swept counts re-bound rules whose old path's filters went because its binary is gone. */
  wl_missing_cb on_rebound;
  size_t rebound, swept;
  void *ctx;
  uint64_t expires;        /* in: 0, or the new rules' wall-clock deadline (promote --for,
                            * whitelist/expiry.h) */
  wl_rule *rules;          /* out: the rules added (or that would be) */
  wl_rule_row *rows;       /* out: their rows (ids when added) */
  size_t n_rules, covered, missing, put_back;
  wl_apply_result res;
} wl_promote_report;
int wl_promote(wl_engine *e, wl_store *s, const int64_t *ids, size_t n, int scope, int flags,
               wl_promote_report *rep);
void wl_promote_report_free(wl_promote_report *rep); /* the out arrays; NULL-safe */

/* ---- verify ---- */
#define WL_VERIFY_MAX_ISSUES 256
enum wl_issue_kind {
  WL_ISSUE_MISSING = 1, /* a rule's filter is not in the engine */
  WL_ISSUE_ALTERED,     /* present under its key but different */
  WL_ISSUE_ORPHAN,      /* a filter of our provider no rule (nor enforce) owns */
  WL_ISSUE_UNRESOLVED,  /* a rule whose app no longer maps to an app id (not on disk) */
  WL_ISSUE_BLOCK,       /* mode is enforce but the default block is not complete */
  WL_ISSUE_APPID        /* the app's DOS path now has another app id (volume renumbered) */
};
typedef struct wl_issue {
  int kind;
  int lost;             /* UNRESOLVED: the rule's filters are gone from the engine too */
  int64_t rule_id;      /* 0 for orphans and the block */
  wl_guid key;
  uint64_t filter_id;
  char what[160];
} wl_issue;
typedef struct wl_verify_report {
  size_t rules, filters_expected, filters_found, n_issues, issues_total;
  wl_issue issues[WL_VERIFY_MAX_ISSUES];
  size_t repaired;
} wl_verify_report;
/* Compare rules (and, in enforce mode, the default block) with the engine. A rule's app id is
 * derived again from its DOS path (FwpmGetAppIdFromFileName0): persistent filters bake in
 * \device\harddiskvolumeN, which changes when volumes are renumbered (WL_ISSUE_APPID); an app
 * no longer on disk cannot be derived (WL_ISSUE_UNRESOLVED, issue 12 item 8).
 * flags WL_VERIFY_REPAIR: re-add missing filters, replace altered ones, re-derive app ids (the
 * rule row and its filter keys follow), delete orphans, in one transaction. All or nothing: with
 * an unresolved rule nothing is repaired (WL_E_NOTFOUND, the report filled) unless
 * WL_VERIFY_SKIP_MISSING, which repairs the rest and leaves those rules as they are.
 * The report is large: allocate it. */
#define WL_VERIFY_REPAIR 1
#define WL_VERIFY_SKIP_MISSING 2
int wl_rules_verify(wl_engine *e, wl_store *s, int flags, wl_verify_report *rep);

/* ---- uninstall ----
 * Remove every WFP object of ours (filters of our provider, the sublayer, the provider),
 * release a pending watchdog (asked to leave, killed if it does not; whitelist/enforce.h) and
 * set mode=learn. Idempotent. s may be NULL. The engine options the capture changed are put
 * back by the capture's own wl_capture_restore_saved_options (cli/cmd_uninstall.c calls both). */
typedef struct wl_uninstall_report {
  size_t filters, sublayers, providers;
  int watchdog_released;
} wl_uninstall_report;
int wl_uninstall(wl_engine *e, wl_store *s, wl_uninstall_report *rep);

#endif
