/* rule_use.h — which rules are used (issue 15, item 6) and which are temporary (item 7).
 *
 * Use: the store counts the allow events each filter decided, per filter key and hour
 * (store.h wl_store_filter_hits); a rule's filters are keys (its row's `filters`), so a rule's
 * hits are the sum over its keys and its last hit the newest of theirs. A rule nothing used for
 * WL_RULE_UNUSED_TICKS of event time is "unused": review proposes revoking it (never revoked
 * silently). Event time, counted back from the newest event the store holds, not the wall
 * clock: a store reviewed a month after learning does not call every rule unused. A rule
 * younger than that (created less than WL_RULE_UNUSED_TICKS before the newest event) is not
 * unused: it has not had the chance.
 *
 * Expiry: a temporary rule (promote --for D) has a wall-clock deadline in its row (expires);
 * whitelist/expiry.h removes it when due.
 */
#ifndef WL_WHITELIST_RULE_USE_H
#define WL_WHITELIST_RULE_USE_H

#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

#define WL_RULE_UNUSED_DAYS 30
#define WL_RULE_UNUSED_TICKS ((uint64_t)WL_RULE_UNUSED_DAYS * 86400ull * 10000000ull)

typedef struct wl_rule_use {
  uint64_t hits;     /* allow events its filters decided (new connections) */
  uint64_t last_hit; /* the newest of them; 0 never */
  int unused;        /* wl_rule_is_unused */
} wl_rule_use;

/* 1 when a rule created at `created` with its last hit at `last_hit` (0: none) is unused at
 * `newest` (the newest event's time; 0: no events, nothing is unused). Pure. */
int wl_rule_is_unused(uint64_t created, uint64_t last_hit, uint64_t newest);

/* Every rule row (wl_store_rules' order) with its use. cb returns nonzero to stop (returned). */
typedef int (*wl_rule_use_cb)(void *ctx, const wl_rule_row *row, const wl_rule_use *u);
int wl_rules_each_use(wl_store *s, wl_rule_use_cb cb, void *ctx);

/* ---- time left of a temporary rule (rules, the page) ---- */
/* "1d 3h", "1h 59m", "4m 10s", or "expired" when now >= expires. expires 0: "" (permanent). */
void wl_expiry_left_text(uint64_t expires, uint64_t now, char *buf, size_t cap);

#endif
