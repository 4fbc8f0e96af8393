/* whitelist_int.h — helpers shared by the files of whitelist/; not part of any contract.
 *
 * The public contracts are rule.h, proposal.h, apply.h, enforce.h, policy.h and open.h; what
 * several of their implementations need from each other, and no caller outside whitelist/
 * should use, is here (tests may, to reach a step on its own).
 */
#ifndef WL_WHITELIST_INT_H
#define WL_WHITELIST_INT_H

#include <stddef.h>
#include <stdint.h>

#include "engine/engine.h"
#include "store/store.h"
#include "whitelist/rule.h"

/* ---- the essential exceptions' ports ----
 * enforce.c builds the exception filters and rule.c's wl_exception_covers mirrors them on
 * flows, so both read them from here. DNS (RFC 1035), DHCPv4 (RFC 2131), DHCPv6 (RFC 8415),
 * and the ICMPv6 neighbour discovery types (RFC 4861: router solicitation .. redirect), which
 * WFP matches in the local-port slot. */
#define WL_PORT_DNS 53
#define WL_PORT_DHCP4_SERVER 67
#define WL_PORT_DHCP4_CLIENT 68
#define WL_PORT_DHCP6_CLIENT 546
#define WL_PORT_DHCP6_SERVER 547
#define WL_ICMP6_ND_FIRST 133
#define WL_ICMP6_ND_LAST 137
#define WL_ICMP6_MLD_FIRST 130   /* MLD query, v1 report, done (RFC 2710) */
#define WL_ICMP6_MLD_LAST 132
#define WL_ICMP6_MLD2_REPORT 143 /* MLDv2 report (RFC 3810) */
#define WL_PORT_HTTP 80
#define WL_PORT_HTTPS 443
#define WL_PORT_NTP 123

/* ---- rule.c ---- */
/* Every rule row that parses, as rules (*out malloc'ed, release with free). Rows that do not
 * parse are skipped (verify reports them). */
int wl_rules_load(wl_store *s, wl_rule **out, size_t *n);
/* An NT device path ("\\device\\..."), as opposed to a DOS or UNC path. */
static inline int wl_is_nt_path(const char *p) { return p[0] == '\\' && p[1] != '\\'; }

/* ---- filters.c ---- */
/* Append a condition (zeroed but for field and match); the caller keeps num_conds in bounds. */
wl_condition *wl_cond_add(wl_filter *f, uint8_t field, uint8_t match);
/* A port condition: EQUAL for one port, RANGE for lo < hi. */
void wl_cond_port(wl_filter *f, uint8_t field, uint16_t lo, uint16_t hi);
/* Add filters inside the caller's transaction. A key already present with an identical filter
 * is adopted (counted in *adopted, not added again); one present but different is replaced. */
int wl_filters_put(wl_engine *e, wl_filter *f, size_t n, size_t *added, size_t *adopted);
/* Delete by key inside the caller's transaction; a key already gone is fine. */
int wl_filters_delete(wl_engine *e, const wl_guid *keys, size_t n, size_t *deleted);
/* Parse a rule row's "{GUID},{GUID}" list (at most cap keys). */
#define WL_ROW_MAX_KEYS 8 /* keys read back from one row; a rule writes WL_RULE_MAX_FILTERS */
int wl_filter_keys_parse(const char *s, wl_guid *out, size_t cap, size_t *n);

/* 1 when `app` (NT or DOS path) is the DNS client's host, ...\windows\system32\svchost.exe
 * (review's view of the DNS exception, which enforce matches by app id). */
int wl_is_dns_client(const char *app);

/* ---- enforce.c ---- */
/* A meta value as an unsigned integer (0 when absent or not a number). */
uint64_t wl_meta_u64(wl_store *s, const char *key);
/* If a watchdog holds a pending enforce: ask it to leave, wait up to wait_ms for it to exit,
 * kill it if it did not, and set mode=learn. *released = 1 when there was one. */
int wl_watchdog_release(wl_store *s, unsigned wait_ms, int *released);

#endif
