/* whitelist.h — the whitelist engine: review proposals, rules → WFP filters, enforce.
 *
 * What the user came for. The store (db/store.h) holds what learn saw; this module turns it
 * into numbered proposals (one per app and direction, with evidence and a proposed scope),
 * turns approved proposals into rules (rows in the store) and each rule into permit filters in
 * wfplearn's own provider and sublayer (through wfp/engine.h only, so all of it runs on the sim
 * and against the fake fwpuclnt.dll), and puts a default block under them (enforce) that rolls
 * itself back unless confirmed.
 *
 * Invariant kept by every change (promote, revoke, import-policy, verify --repair): the engine
 * never holds a permit filter the store does not know about. Promote commits the store first
 * and the engine second; revoke commits the engine first and the store second. Whichever of the
 * two commits fails second is compensated; if the compensation fails too, what remains is a rule
 * row whose filters are missing (traffic stays blocked: fail-closed), which `verify` reports and
 * `verify --repair` fixes. See whitelist/apply.c.
 */
#ifndef WL_WHITELIST_H
#define WL_WHITELIST_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "store/store.h"
#include "event/event.h"
#include "engine/engine.h"
#include "engine/keys.h"

/* wfplearn's provider, sublayer and filter-key namespace: engine/keys.h. */

/* Sublayer weight (UINT16, higher is evaluated first). Must be above Windows Firewall's
 * (FWPM_SUBLAYER_MPSSVC_WF; 0x1000 on the sim, see engine/sim/sim.h) and the universal sublayer's:
 * WFP arbitrates sublayers from the highest weight down, and only a hard permit in a higher
 * sublayer keeps a lower sublayer's block from winning. wl_objects_ensure checks it. */
#define WL_SUBLAYER_WEIGHT 0xF000u
/* Filter weights inside our sublayer (FWP_UINT64, exact): the default block lowest, so any
 * matching permit (rule or essential exception) decides first. */
#define WL_WEIGHT_BLOCK 0u
#define WL_WEIGHT_RULE 0x1000u
#define WL_WEIGHT_EXCEPTION 0x2000u

/* Add the provider and sublayer when absent; call inside the caller's transaction.
 * WL_E_CONFLICT when Windows Firewall's sublayer outweighs ours. */
int wl_objects_ensure(wl_engine *e);

/* WL_OK when the store file exists, else WL_E_NOTFOUND "no store yet (run wfplearn learn)":
 * commands that read what learn recorded call it first instead of creating an empty store. */
int wl_whitelist_need_store(const char *db);
/* Open the store and the engine the way every whitelist command does. Either out may be NULL
 * to skip it. Release with wl_store_close / wl_engine_close. */
int wl_whitelist_open(const char *db, const char *engine_spec, unsigned session_flags,
                      wl_store **s, wl_engine **e);

/* ---- the rule model ---- */
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
  char package[WL_SID_STR_MAX];
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
 * ports, remotes, user, package. Two rules with the same identity are the same rule. */
size_t wl_rule_identity(const wl_rule *r, char *buf, size_t cap);
/* 1 when the rule names this app (or any app); paths compare ASCII case-insensitively. */
int wl_rule_app_matches(const wl_rule *r, const char *app_path, const char *app_dos);
/* 1 when the rule would permit the flow of the app recorded as `app_path` (NT or DOS form).
 * Limit: the rule's user and package SIDs are not compared, because flows do not record them
 * (db/store.h keeps them on raw events only). A rule narrowed to one user (wl_rule_resolve
 * does that when every event of the app carried the same SID) therefore hides from review the
 * same app's flows under another user, which its filters would not permit under enforce. */
int wl_rule_covers(const wl_rule *r, const char *app_path, const char *app_dos,
                   const wl_flow *f);
/* 1 when the flow is permitted by enforce's essential exceptions anyway (DNS, DHCP, ICMPv6
 * neighbour discovery, loopback), so it needs no rule. Decided on exactly the fields the
 * exception filters test (see rule.c); outbound neighbour discovery is the one flow it cannot
 * recognise (its ICMP type is not kept) and reports as not covered. */
int wl_exception_covers(const wl_flow *f);

/* ---- evidence and scope ---- */
#define WL_EV_MAX_ADDRS 64    /* distinct remote addresses kept; more sets addrs_overflow */
#define WL_EV_MAX_PORTS 64    /* distinct ports kept; more sets ports_overflow */
#define WL_EV_MAX_PREFIXES 8  /* distinct /24 (v4) and /48 (v6) kept */
#define WL_EV_MAX_PROTOS 8
#define WL_EV_MAX_FILTERS 4   /* blocking filters kept (most frequent first) */
#define WL_EV_V4_PREFIX 24
#define WL_EV_V6_PREFIX 48

typedef struct wl_ev_addr {
  uint8_t ip_version;
  uint8_t addr[16];
  uint16_t port; /* a port seen with it (for showing endpoints) */
} wl_ev_addr;

typedef struct wl_ev_filter {
  uint64_t filter_id, count;
} wl_ev_filter;

/* What the flows of one (app, direction) showed. Every set is bounded; overflow flags say
 * "more than fits", which the scope choice reads as "many". */
typedef struct wl_evidence {
  uint64_t allowed, blocked, flows;
  uint64_t first_seen, last_seen;
  uint32_t n_protos;
  uint8_t protos[WL_EV_MAX_PROTOS];
  int protos_overflow;
  uint32_t n_ports;                     /* outbound: remote ports; inbound: local ports */
  uint16_t ports[WL_EV_MAX_PORTS];      /* sorted */
  int ports_overflow;
  uint32_t n_addrs;
  wl_ev_addr addrs[WL_EV_MAX_ADDRS];
  int addrs_overflow;
  uint32_t n_prefixes;
  wl_prefix prefixes[WL_EV_MAX_PREFIXES];
  int prefixes_overflow;
  uint32_t n_filters;
  wl_ev_filter filters[WL_EV_MAX_FILTERS]; /* who blocked it, by drop count */
  uint64_t other_filter_drops;
} wl_evidence;

void wl_evidence_init(wl_evidence *ev);
void wl_evidence_add(wl_evidence *ev, const wl_flow *f);

/* Scope choice thresholds (see wl_scope_choose). */
#define WL_SCOPE_FEW_HOSTS 4
#define WL_SCOPE_FEW_PORT_RUNS 4 /* runs of consecutive ports: 8801-8810 is one */
#define WL_SCOPE_FEW_PREFIXES 4
#define WL_SCOPE_IN_PORT_RUNS 8

typedef struct wl_scope_choice {
  int scope;         /* enum wl_scope */
  int use_prefixes;  /* REMOTE: 1 = the /24 and /48 prefixes, 0 = the exact addresses */
  int narrowable;    /* 0 when nothing narrows the evidence (scope is then APP) */
} wl_scope_choice;

/* The proposed scope from the evidence, in this order:
 *   inbound:  the local ports it listened on when they form at most WL_SCOPE_IN_PORT_RUNS
 *             runs; else app;
 *   outbound: at most WL_SCOPE_FEW_HOSTS remote addresses → remote (exact addresses);
 *             else at most WL_SCOPE_FEW_PORT_RUNS port runs → port;
 *             else at most WL_SCOPE_FEW_PREFIXES prefixes → remote (prefixes);
 *             else app.
 *   no app (System, dropped packets without one): "app" would mean "anything", so the
 *   narrowest of port / remote prefixes that fits a rule is used instead, narrowable = 0 when
 *   none does (promote then refuses). Pure. */
wl_scope_choice wl_scope_choose(const wl_evidence *ev, int dir, int no_app);

/* ---- proposals ---- */
#define WL_PF_TEMP_PATH 0x1u /* binary under Temp, Downloads or AppData\Roaming */
#define WL_PF_SEEN_ONCE 0x2u /* one connection attempt in all */
#define WL_PF_NO_APP 0x4u    /* no path: System or a dropped packet without an app */
#define WL_PF_SVCHOST 0x8u   /* svchost.exe: a rule covers every service in that host */
/* Flags of an app path as recorded, and their names ("temp-path", ...). */
uint32_t wl_path_flags(const char *path);
const char *wl_flag_name(uint32_t flag);
const char *wl_flag_note(uint32_t flag); /* one line explaining the risk */

typedef struct wl_proposal {
  int64_t id;                 /* wl_proposal_id(app_id, dir) */
  int64_t app_id;
  uint8_t dir;
  char app[WL_PATH_MAX];      /* as recorded (NT path usually; "" = none) */
  char app_dos[WL_PATH_MAX];  /* "" when unknown */
  uint32_t flags;             /* WL_PF_* */
  int16_t proto;              /* the one protocol seen, or -1 when several */
  wl_scope_choice choice;
  wl_evidence ev;
} wl_proposal;

/* Proposal ids are derived, not stored: id = 2 * app_id + (dir == in) + 1, app_id being the
 * store's interned app row, which never changes. So `promote 7` means "app 3, inbound" whatever
 * review printed before or after and however the list was sorted, with no table to keep in
 * step with the flows. */
int64_t wl_proposal_id(int64_t app_id, int dir);
int wl_proposal_split(int64_t id, int64_t *app_id, int *dir); /* WL_E_INVAL when not an id */

/* Proposals from the flows seen at or after `since` (0 = all) that no rule covers and no
 * essential exception covers; sorted by blocked count, then total, then id. *out is an array
 * of *n; release with wl_proposals_free. */
int wl_proposals_build(wl_store *s, uint64_t since, wl_proposal **out, size_t *n);
void wl_proposals_free(wl_proposal *p);
/* One proposal by id (its uncovered flows over all time). WL_E_NOTFOUND when the id names no
 * app; WL_E_EXISTS (message names the covering rule) when every flow is already covered. */
int wl_proposal_get(wl_store *s, int64_t id, wl_proposal *out);

/* The rule a proposal becomes, with the proposed scope or `scope_override` (-1: none). Fills
 * app, dir, proto, scope, ports/remotes; app_nt, user and package are filled by
 * wl_rule_resolve. WL_E_INVAL when the scope cannot be built from the evidence (too many
 * ports/addresses for a rule, or a no-app proposal nothing narrows). */
int wl_proposal_rule(const wl_proposal *p, int scope_override, wl_rule *out);
/* Evidence summary JSON for the rule row (bounded by the row's evidence column). */
size_t wl_proposal_evidence_json(const wl_proposal *p, char *buf, size_t cap);

/* ---- rules → filters ---- */
#define WL_RULE_MAX_FILTERS 2 /* one per IP version on the rule's layer */

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
/* Remove rules by id with their filters (all or nothing; WL_E_NOTFOUND for an unknown id). */
int wl_rules_revoke(wl_engine *e, wl_store *s, const int64_t *ids, size_t n);

#define WL_VERIFY_MAX_ISSUES 256
enum wl_issue_kind {
  WL_ISSUE_MISSING = 1, /* a rule's filter is not in the engine */
  WL_ISSUE_ALTERED,     /* present under its key but different */
  WL_ISSUE_ORPHAN,      /* a filter of our provider no rule (nor enforce) owns */
  WL_ISSUE_UNRESOLVED,  /* a rule whose app no longer maps to an app id */
  WL_ISSUE_BLOCK        /* mode is enforce but the default block is not complete */
};
typedef struct wl_issue {
  int kind;
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
/* Compare rules (and, in enforce mode, the default block) with the engine. With repair:
 * re-add missing filters, replace altered ones, delete orphans, in one transaction.
 * The report is large: allocate it. */
int wl_rules_verify(wl_engine *e, wl_store *s, int repair, wl_verify_report *rep);

/* ---- enforce ----
 * Store meta keys: "mode" = learn | pending | enforce; "enforce_inbound" = 0 | 1;
 * "watchdog_pid", "watchdog_token", "watchdog_deadline" (ticks), "watchdog_cmd"
 * ("exit:TOKEN" asks the watchdog to leave). */
#define WL_META_MODE "mode"
#define WL_META_INBOUND "enforce_inbound"
#define WL_META_WD_PID "watchdog_pid"
#define WL_META_WD_TOKEN "watchdog_token"
#define WL_META_WD_DEADLINE "watchdog_deadline"
#define WL_META_WD_CMD "watchdog_cmd"
#define WL_ENFORCE_MAX_FILTERS 16

/* The default block and its essential exceptions (loopback, DHCP client, DNS client, ICMPv6
 * neighbour discovery) on the outbound layers, and the inbound ones too when `inbound`.
 * persistent selects the variant: dynamic (held by the watchdog) and persistent filters have
 * different keys, so confirm can add the persistent set before the watchdog lets go. */
int wl_enforce_filters(int inbound, int persistent, wl_filter *out, size_t cap, size_t *n);
/* 1 when `key` is one of the enforce filters (either variant, either direction). */
int wl_enforce_owns(const wl_guid *key);

typedef struct wl_enforce_opts {
  const char *db_path, *engine_spec;
  unsigned within_s;      /* the watchdog's deadline */
  int inbound;
  const char *exe;        /* the wfplearn executable to run as watchdog (NULL: ourselves) */
  const char *log_path;   /* watchdog stdout/stderr (NULL: DB.watchdog.log) */
} wl_enforce_opts;

/* enforce: start the watchdog and wait (bounded) until it holds the dynamic block and the
 * store says pending. *pid receives the watchdog's pid. */
int wl_enforce_start(wl_store *s, const wl_enforce_opts *o, uint32_t *pid);
/* The watchdog's body: opens a dynamic session, adds the block, writes pending, waits for
 * confirm, relax, its deadline or an interrupt, and returns (its session closes, and WFP — or
 * the sim — removes the dynamic filters). *outcome: "confirmed", "released" or "expired". */
int wl_enforce_watchdog(const char *db_path, const char *engine_spec, unsigned within_s,
                        int inbound, const char *token, const char **outcome);
/* confirm: the persistent block, mode=enforce, and the watchdog told to leave. */
int wl_enforce_confirm(wl_engine *e, wl_store *s);
/* relax: release a pending watchdog, remove the persistent block, mode=learn. */
int wl_enforce_relax(wl_engine *e, wl_store *s);
/* "learn", "pending" or "enforce" (learn when unset). */
int wl_enforce_mode(wl_store *s, char *out, size_t cap);

/* ---- policy files ---- */
#define WL_POLICY_FORMAT "wfplearn-policy"
#define WL_POLICY_VERSION 1
#define WL_POLICY_MAX_RULES 4096
int wl_policy_export(wl_store *s, FILE *f);
typedef struct wl_policy_report {
  size_t read, added, same, conflicts;
  char first_conflict[256];
} wl_policy_report;
/* Merge a policy: rules identical to an existing one are "same"; a rule for an app and
 * direction that already has a different rule is a conflict. Any conflict or error: nothing
 * changes (WL_E_CONFLICT, conflicts listed on `report_to` when not NULL). dry_run: check only. */
int wl_policy_import(wl_engine *e, wl_store *s, const char *path, int dry_run,
                     FILE *report_to, wl_policy_report *rep);

/* ---- uninstall ----
 * Remove every WFP object of ours (filters of our provider, the sublayer, the provider),
 * release a pending watchdog (asked to leave, killed if it does not) and set mode=learn.
 * Idempotent. s may be NULL. The engine options the capture changed are put back by the
 * capture's own wl_capture_restore_saved_options (cli/cmd_uninstall.c calls both). */
typedef struct wl_uninstall_report {
  size_t filters, sublayers, providers;
  int watchdog_released;
} wl_uninstall_report;
int wl_uninstall(wl_engine *e, wl_store *s, wl_uninstall_report *rep);

#endif
