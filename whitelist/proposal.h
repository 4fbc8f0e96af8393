/* proposal.h — review's proposals: what learn saw that no rule covers yet, one per app and
 * direction, with the evidence behind it, its risk flags and the scope it would be narrowed to.
 *
 * The store holds flows; a proposal groups the uncovered ones of an (app, direction), gathers
 * what they showed into bounded sets (wl_evidence), and proposes the narrowest scope the
 * evidence supports (wl_scope_choose, a pure function so a table can test it). Proposals are
 * not stored: their ids derive from the store's app ids, so `promote 7` means the same thing
 * whenever review ran. A proposal becomes a rule (whitelist/rule.h) with wl_proposal_rule;
 * adding that rule to the engine and the store is whitelist/apply.h's job.
 */
#ifndef WL_WHITELIST_PROPOSAL_H
#define WL_WHITELIST_PROPOSAL_H

#include <stddef.h>
#include <stdint.h>

#include "event/event.h"
#include "store/store.h"
#include "whitelist/rule.h"

/* ---- evidence ---- */
#define WL_EVIDENCE_MAX_ADDRS 64   /* distinct remote addresses kept; more sets addrs_overflow */
#define WL_EVIDENCE_MAX_PORTS 64   /* distinct ports kept; more sets ports_overflow */
#define WL_EVIDENCE_MAX_PREFIXES 8 /* distinct /24 (v4) and /48 (v6) kept */
#define WL_EVIDENCE_MAX_PROTOS 8
#define WL_EVIDENCE_MAX_FILTERS 4  /* blocking filters kept (most frequent first) */
#define WL_EVIDENCE_V4_PREFIX 24
#define WL_EVIDENCE_V6_PREFIX 48

typedef struct wl_evidence_addr {
  uint8_t ip_version;
  uint8_t addr[16];
  uint16_t port; /* a port seen with it (for showing endpoints) */
} wl_evidence_addr;

typedef struct wl_evidence_filter {
  uint64_t filter_id, count;
} wl_evidence_filter;

/* What the flows of one (app, direction) showed. Every set is bounded; overflow flags say
 * "more than fits", which the scope choice reads as "many". The addresses are kept in the
 * order first seen: in a proposal, that of its flows first seen before the stability cut, then
 * the others', each in the store's id order (proposals.c gathers the two apart and merges). */
typedef struct wl_evidence {
  uint64_t allowed, blocked, flows;
  uint64_t first_seen, last_seen;
  uint32_t n_protos;
  uint8_t protos[WL_EVIDENCE_MAX_PROTOS];
  int protos_overflow;
  uint32_t n_ports;                      /* outbound: remote ports; inbound: local ports */
  uint16_t ports[WL_EVIDENCE_MAX_PORTS]; /* sorted */
  int ports_overflow;
  uint32_t n_addrs;
  wl_evidence_addr addrs[WL_EVIDENCE_MAX_ADDRS];
  int addrs_overflow;
  /* evidence.c's indexes, so a flow's port and address are found in a probe or two: the ports
   * kept (0: empty slot), and 1 + the position in addrs of each address (0: empty) */
  uint16_t port_set[2 * WL_EVIDENCE_MAX_PORTS];
  uint8_t addr_at[2 * WL_EVIDENCE_MAX_ADDRS];
  uint64_t public_flows;                 /* flows to an internet address (wl_addr_is_local 0) */
  uint32_t n_prefixes;
  wl_prefix prefixes[WL_EVIDENCE_MAX_PREFIXES];
  int prefixes_overflow;
  uint32_t n_filters;
  wl_evidence_filter filters[WL_EVIDENCE_MAX_FILTERS]; /* who blocked it, by drop count */
  uint64_t other_filter_drops;
} wl_evidence;

void wl_evidence_init(wl_evidence *evd);
void wl_evidence_add(wl_evidence *evd, const wl_flow *f);
/* evd as if the flows of `more` had been added to it after its own: the same counts, times,
 * overflow flags and addresses (in that order, with their ports) as wl_evidence_add in that
 * order; the same ports, protocols and prefixes while they fit (an overflowed set's members mean
 * nothing but "many"); the top filters the same kind of approximation. */
void wl_evidence_merge(wl_evidence *evd, const wl_evidence *more);

/* ---- scope ---- */
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

/* Whether an address is one that does not rot: it names the same machine next week because no
 * CDN, DNS rotation or cloud move can hand it to another one. v4: 0/8 "this network", 10/8,
 * 172.16/12, 192.168/16 (RFC 1918), 100.64/10 (CGNAT / overlay VPNs), 127/8, 169.254/16,
 * 224/4 multicast, 255.255.255.255; v6: ::, ::1, fc00::/7 (ULA), fe80::/10, fec0::/10,
 * ff00::/8, and ::ffff:a.b.c.d by its v4 address. Everything else is "public". Pure. */
int wl_addr_is_local(int ip_version, const uint8_t addr[16]);

/* The proposed scope from the evidence (docs/cli.md, "How review picks a scope"). Public
 * addresses are never pinned by default: an updater's CDN answers from other addresses next
 * week, so a rule bound to this week's addresses would break it (issue 15). In this order:
 *   inbound:  the local ports it listened on when they form at most WL_SCOPE_IN_PORT_RUNS
 *             runs; else app;
 *   outbound, every remote local (wl_addr_is_local):
 *             at most WL_SCOPE_FEW_HOSTS addresses → remote (exact addresses);
 *             else at most WL_SCOPE_FEW_PREFIXES prefixes → remote (prefixes);
 *             else at most WL_SCOPE_FEW_PORT_RUNS port runs → port; else app;
 *   outbound, any public remote:
 *             at most WL_SCOPE_FEW_PORT_RUNS port runs → port; else app.
 *   (`promote --scope remote` still pins the addresses when the user asks.)
 *   no app (System, dropped packets without one): "app" would mean "anything", so the
 *   narrowest of port / remote addresses / prefixes that fits a rule is used instead, public or
 *   not, narrowable = 0 when none does (promote then refuses). Pure. */
wl_scope_choice wl_scope_choose(const wl_evidence *evd, int dir, int no_app);

/* ---- risk flags ----
 * Bits of wl_proposal.flags: what review warns about before a proposal is promoted. */
#define WL_PROPOSAL_FLAG_TEMP_PATH 0x1u /* binary under Temp, Downloads or AppData\Roaming */
#define WL_PROPOSAL_FLAG_SEEN_ONCE 0x2u /* one connection attempt in all */
#define WL_PROPOSAL_FLAG_NO_APP 0x4u    /* no path: System or a dropped packet without an app */
#define WL_PROPOSAL_FLAG_SVCHOST 0x8u   /* svchost.exe: a rule covers every service in it */
/* The app's identity is incomplete (issue 18, item 12): never promoted, neither as the app
 * (no app id can be derived) nor as "any app" (it is one app, not every one). */
#define WL_PROPOSAL_FLAG_TRUNCATED 0x10u /* the recorded path was cut short */
#define WL_PROPOSAL_FLAG_UNMAPPED 0x20u  /* an NT device with no drive letter here */
/* A rule learned from the earlier part of the window would have let through less than
 * WL_STABILITY_LOW of the later part's traffic (wl_proposal.stability, .unstable_why). */
#define WL_PROPOSAL_FLAG_UNSTABLE 0x40u
/* Its path differs from a rule's only in a version folder (update_candidate), but it is not
 * re-bound (issue 15, item 4, whitelist/rebind.h): the new binary has no signature, or not the
 * ruled binary's signer. A normal proposal: promoting it makes a new rule. */
#define WL_PROPOSAL_FLAG_UNSIGNED 0x80u
#define WL_PROPOSAL_FLAG_SIGNER_CHANGED 0x100u
#define WL_PROPOSAL_FLAG_LAST WL_PROPOSAL_FLAG_SIGNER_CHANGED /* the highest bit: loops stop there */
/* Flags of an app path as recorded, and their names ("temp-path", ...). */
uint32_t wl_path_flags(const char *path);
const char *wl_proposal_flag_name(uint32_t flag);
const char *wl_proposal_flag_note(uint32_t flag); /* one line explaining the risk */

/* ---- stability ----
 * Would the rule still hold next week? The window review looks at ([since or the first event,
 * the newest event]) is split in time: a rule is learned (scope chosen, rule built, as review
 * does) from the proposal's flows first seen before the cut, and the later part's flows are
 * checked against it. stability = the share of the later part's connection attempts that rule
 * allows; a flow that began before the cut counts only the share of its attempts that fell
 * after it (its count prorated by time). The cut is one day before the newest event, or the
 * last fifth of the window when the window is shorter than 5 days. "Too little data" (stability
 * unknown, JSON null): a window shorter than WL_STABILITY_MIN_WINDOW, fewer than
 * WL_STABILITY_MIN_LATER attempts after the cut, or no rule could be built from the earlier
 * part. An app never seen before the cut has stability 0, reason "new path". */
#define WL_STABILITY_MIN_WINDOW (6ull * 3600 * 10000000) /* 6 hours, in 100 ns ticks */
#define WL_STABILITY_MIN_LATER 5.0
#define WL_STABILITY_LOW 0.9 /* below: WL_PROPOSAL_FLAG_UNSTABLE */
#define WL_STABILITY_NEW_HOSTS 0x1u /* remote addresses the earlier part never showed */
#define WL_STABILITY_NEW_PORTS 0x2u /* ports the earlier part never showed */
#define WL_STABILITY_NEW_PATH 0x4u  /* the app itself was not seen before the cut */
#define WL_STABILITY_NEW_PROTO 0x8u /* a protocol the earlier part never showed */
#define WL_STABILITY_LAST WL_STABILITY_NEW_PROTO
/* The cut for a window [first, last], or 0 when the window is too short to split. Pure. */
uint64_t wl_stability_cut(uint64_t first, uint64_t last);
const char *wl_stability_reason_name(uint32_t bit); /* "new hosts", ... */
/* The reasons of `why` as "new hosts, new ports" (buf is "" when none). */
void wl_stability_why_text(uint32_t why, char *buf, size_t cap);

/* ---- proposals ---- */
typedef struct wl_proposal {
  int64_t id;                 /* wl_proposal_id(app_id, dir) */
  int64_t app_id;
  uint8_t dir;
  char app[WL_PATH_MAX];      /* as recorded (NT path usually; "" = none) */
  char app_dos[WL_PATH_MAX];  /* "" when unknown */
  uint32_t flags;             /* WL_PROPOSAL_FLAG_* */
  int16_t proto;              /* the one protocol seen, or -1 when several */
  wl_scope_choice choice;
  wl_evidence evidence;       /* what its flows showed */
  int64_t covered_by;         /* wl_proposal_get's WL_E_EXISTS: the rule that covers it */
  double stability;           /* 0..1; < 0 when unknown (too little data, or not computed) */
  uint32_t unstable_why;      /* WL_STABILITY_NEW_* of the later traffic the rule missed */
  /* App updates (whitelist/rebind.h, filled by wl_rebind_annotate; 0 / "" before it runs) */
  int64_t update_of;          /* promote re-binds this rule to the proposal's path; 0 none */
  int64_t update_candidate;   /* the rule whose path differs only in a version folder; 0 none */
  uint8_t update_kind;        /* enum wl_version_kind (whitelist/version_path.h) */
  uint8_t signer_checked;     /* 1: the engine told the new binary's signer */
  uint8_t signer_status;      /* enum wl_sign_status (engine/engine.h) when checked */
  char signer[256];           /* the new binary's signer's name */
  char rule_signer[256];      /* the candidate rule's recorded signer ("" unsigned/unknown) */
} wl_proposal;

/* Proposal ids are derived, not stored: id = 2 * app_id + (dir == in) + 1, app_id being the
 * store's interned app row, which never changes. So `promote 7` means "app 3, inbound" whatever
 * review printed before or after and however the list was sorted, with no table to keep in
 * step with the flows. */
int64_t wl_proposal_id(int64_t app_id, int dir);
int wl_proposal_split(int64_t id, int64_t *app_id, int *dir); /* WL_E_INVAL when not an id */

/* Proposals from the flows seen at or after `since` (0 = all) that no rule covers and no
 * essential exception covers, with their stability; sorted by blocked count, then total, then
 * id. *out is an array of *n; release with wl_proposals_free. */
int wl_proposals_build(wl_store *s, uint64_t since, wl_proposal **out, size_t *n);
void wl_proposals_free(wl_proposal *p);
/* One proposal by id (its uncovered flows over all time; stability not computed: -1).
 * WL_E_NOTFOUND when the id names no
 * app; WL_E_EXISTS (message names the covering rule, out->covered_by is its id) when every flow
 * is already covered. */
int wl_proposal_get(wl_store *s, int64_t id, wl_proposal *out);

/* The rule a proposal becomes, with the proposed scope or `scope_override` (-1: none). Fills
 * app, dir, proto, scope, ports/remotes; app_nt, user and package are filled by
 * wl_rule_resolve (whitelist/apply.h). WL_E_INVAL when the scope cannot be built from the
 * evidence (too many ports/addresses for a rule, or a no-app proposal nothing narrows). */
int wl_proposal_rule(const wl_proposal *p, int scope_override, wl_rule *out);
/* Evidence summary JSON for the rule row (bounded by the row's evidence column). */
size_t wl_proposal_evidence_json(const wl_proposal *p, char *buf, size_t cap);

#endif
