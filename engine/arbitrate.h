/* arbitrate.h — WFP's filter arbitration over a set of filters: the one piece of code that says
 * what a set of filters decides for a connection attempt. The sim engine classifies with it
 * (engine/sim/sim_classify.c), and `enforce --dry-run` (whitelist/dryrun.c) replays recorded
 * events with it against the filters the machine would have after enforce, so the backtest and
 * the engine cannot disagree about the rules.
 *
 * The rules (after "Filter Arbitration", Microsoft Learn, WFP):
 *   - a layer's sublayers are evaluated in weight order, highest first, every one of them;
 *   - within a sublayer the matching filter with the highest weight decides that sublayer
 *     (disabled filters do not exist);
 *   - across sublayers Block overrides Permit, and a Block is final;
 *   - a Permit that cleared the action right (FWPM_FILTER_FLAG_CLEAR_ACTION_RIGHT, a "hard
 *     permit") cannot be overridden by a Block in a lower-weight sublayer (only a callout veto
 *     could, and there are no callouts here); a soft permit can;
 *   - nothing matched anywhere: the layer's default action, permit, with filter id 0.
 * Reported filter: the Block that won, else the Permit of the highest-weight sublayer that
 * permitted (the first writer of the action; a sim choice, WFP does not document it).
 * Conditions: same field ORed, different fields ANDed (engine.h's wl_condition).
 *
 * Pure: no engine, no allocation while deciding. A set borrows the filters added to it: they
 * must outlive it. Layers: the four ALE auth layers only (filters elsewhere are not kept).
 */
#ifndef WL_ENGINE_ARBITRATE_H
#define WL_ENGINE_ARBITRATE_H

#include <stddef.h>
#include <stdint.h>

#include "engine/engine.h"

/* FWPM_CONDITION_ALE_PACKAGE_ID of a process outside an AppContainer: the NULL SID. Windows
 * Firewall's classic rules carry PACKAGE_ID == S-1-0-0 so that they never match an
 * AppContainer; an attempt with no package matches such a condition. */
#define WL_ARB_NULL_PACKAGE "S-1-0-0"

/* What a classify sees of one attempt at an ALE auth layer. */
typedef struct wl_arb_input {
  uint8_t dir;                      /* enum wl_dir (event/event.h): WL_DIR_IN or WL_DIR_OUT */
  uint8_t proto;                    /* IPPROTO number */
  uint8_t ip_version;               /* 4 or 6 */
  uint16_t local_port, remote_port; /* host order; ICMP: type in local_port */
  uint8_t local_addr[16], remote_addr[16]; /* network byte order, v4 in [0..3] */
  const uint8_t *app_id; /* the app id blob (wl_engine_app_id's form); NULL/0: none */
  size_t app_id_len;
  const char *user;    /* SID string, "" or NULL: none */
  const char *package; /* AppContainer SID, "" or NULL: none (S-1-0-0 for PACKAGE conditions) */
} wl_arb_input;

/* What the set decided. */
typedef struct wl_arb_result {
  uint32_t action;         /* WL_ACTION_PERMIT or WL_ACTION_BLOCK */
  const wl_filter *filter; /* the deciding filter; NULL: the layer's default (permit) */
  uint64_t filter_id;      /* its id; 0 with no filter */
  uint16_t layer_id;       /* WL_LAYER_ALE_AUTH_CONNECT_V4/V6 or _RECV_ACCEPT_V4/V6 */
  uint8_t matched;         /* 0: no filter matched at all */
  uint8_t hard;            /* 1: the permit cleared the action right */
} wl_arb_result;

typedef struct wl_arb_set wl_arb_set;

/* An empty set with room for cap filters (per layer). Release with wl_arb_set_free. */
int wl_arb_set_new(size_t cap, wl_arb_set **out);
void wl_arb_set_free(wl_arb_set *s); /* NULL-safe */
/* Add f, in the sublayer of weight subl_weight; subl_index tells apart sublayers of equal
 * weight (any number unique per sublayer: equal weights are evaluated in index order). A
 * disabled filter or one outside the ALE auth layers is not added (returns 0; 1 when added).
 * Ordering the filters by weight needs f->effective_weight (the engine fills it on enum; for a
 * filter of WL_WEIGHT_EXACT, its weight). Call wl_arb_set_sort once every filter is in. */
int wl_arb_set_add(wl_arb_set *s, const wl_filter *f, uint16_t subl_weight, uint32_t subl_index);
void wl_arb_set_sort(wl_arb_set *s);

/* Arbitrate one attempt at its layer (from dir and ip_version). */
void wl_arb_decide(const wl_arb_set *s, const wl_arb_input *in, wl_arb_result *out);

/* The attempt's ALE auth layer; 1 when it is loopback (either address 127/8 or ::1). */
uint16_t wl_arb_layer(uint8_t dir, uint8_t ip_version);
int wl_arb_is_loopback(uint8_t ip_version, const uint8_t local[16], const uint8_t remote[16]);

#endif
