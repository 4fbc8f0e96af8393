/* evidence.c — what the flows of one (app, direction) showed, the scope proposed from it, and
 * the risk flags of an app path.
 *
 * Evidence is gathered flow by flow into bounded sets (addresses, ports, /24 and /48 prefixes,
 * protocols, blocking filters); a set that overflows says "many", which is all the scope choice
 * needs to know. The scope choice is a pure function of the evidence so it can be tested from a
 * table (tests/whitelist/test_wl_scope.c).
 */
#include <stdio.h>
#include <string.h>

#include "common/wl_err.h"
#include "event/paths.h"
#include "whitelist/proposal.h"

_Static_assert((2 * WL_EVIDENCE_MAX_PORTS & (2 * WL_EVIDENCE_MAX_PORTS - 1)) == 0 &&
                   (2 * WL_EVIDENCE_MAX_ADDRS & (2 * WL_EVIDENCE_MAX_ADDRS - 1)) == 0 &&
                   WL_EVIDENCE_MAX_ADDRS < 256,
               "the indexes: powers of two, positions in a byte");

void wl_evidence_init(wl_evidence *evd) { memset(evd, 0, sizeof *evd); }

/* A set that overflowed is full and says "many": nothing added to it changes it, so it is not
 * searched again (review adds every flow of the week; the busy apps overflow early). */
static void add_proto(wl_evidence *evd, uint8_t proto) {
  if (evd->protos_overflow)
    return;
  for (uint32_t i = 0; i < evd->n_protos; i++)
    if (evd->protos[i] == proto)
      return;
  if (evd->n_protos < WL_EVIDENCE_MAX_PROTOS)
    evd->protos[evd->n_protos++] = proto;
  else
    evd->protos_overflow = 1;
}

/* Sorted insert; ports 0 (protocols without ports) are not kept. A port kept already is found
 * in port_set (open addressing over twice as many slots as ports holds) in a probe or two: the
 * bisection for every flow was a quarter of review's evidence work over a million flows. */
#define PORT_SLOTS (2 * WL_EVIDENCE_MAX_PORTS)
static void add_port(wl_evidence *evd, uint16_t port) {
  uint32_t i = 0, lo = 0, hi = evd->n_ports;
  if (port == 0 || evd->ports_overflow)
    return;
  unsigned h = (unsigned)(port * 0x9e37u) >> 9 & (PORT_SLOTS - 1);
  for (; evd->port_set[h]; h = (h + 1) & (PORT_SLOTS - 1))
    if (evd->port_set[h] == port)
      return;
  while (lo < hi) { /* the first port >= port */
    uint32_t mid = (lo + hi) / 2;
    if (evd->ports[mid] < port)
      lo = mid + 1;
    else
      hi = mid;
  }
  i = lo;
  if (i < evd->n_ports && evd->ports[i] == port)
    return;
  if (evd->n_ports == WL_EVIDENCE_MAX_PORTS) {
    evd->ports_overflow = 1;
    return;
  }
  memmove(&evd->ports[i + 1], &evd->ports[i], (evd->n_ports - i) * sizeof evd->ports[0]);
  evd->ports[i] = port;
  evd->n_ports++;
  evd->port_set[h] = port;
}

/* addrs is indexed by a hash of the address (addr_at: open addressing over twice as many slots
 * as addrs holds, 1 + the position, 0 empty), so an address is found in a probe or two, not by
 * comparing it with up to 64. */
#define ADDR_SLOTS (2 * WL_EVIDENCE_MAX_ADDRS)
static unsigned addr_slot(uint8_t ip_version, const uint8_t addr[16]) {
  uint64_t x, y;
  memcpy(&x, addr, 8);
  memcpy(&y, addr + 8, 8);
  uint64_t h = (x ^ (y * 0x9e3779b97f4a7c15ULL) ^ ip_version) * 0xbf58476d1ce4e5b9ULL;
  return (unsigned)(h >> 32) & (ADDR_SLOTS - 1);
}

static void add_addr(wl_evidence *evd, uint8_t ip_version, const uint8_t addr[16],
                     uint16_t port) {
  if (evd->addrs_overflow)
    return;
  unsigned i = addr_slot(ip_version, addr);
  for (uint8_t k; (k = evd->addr_at[i]) != 0; i = (i + 1) & (ADDR_SLOTS - 1))
    if (evd->addrs[k - 1].ip_version == ip_version && !memcmp(evd->addrs[k - 1].addr, addr, 16))
      return;
  if (evd->n_addrs == WL_EVIDENCE_MAX_ADDRS) {
    evd->addrs_overflow = 1;
    return;
  }
  wl_evidence_addr *a = &evd->addrs[evd->n_addrs++];
  a->ip_version = ip_version;
  memcpy(a->addr, addr, 16);
  a->port = port;
  evd->addr_at[i] = (uint8_t)evd->n_addrs;
}

static void add_prefix(wl_evidence *evd, const wl_prefix *p) {
  if (evd->prefixes_overflow)
    return;
  for (uint32_t i = 0; i < evd->n_prefixes; i++)
    if (evd->prefixes[i].ip_version == p->ip_version && !memcmp(evd->prefixes[i].addr, p->addr, 16))
      return;
  if (evd->n_prefixes == WL_EVIDENCE_MAX_PREFIXES)
    evd->prefixes_overflow = 1;
  else
    evd->prefixes[evd->n_prefixes++] = *p;
}

static void add_prefix_of(wl_evidence *evd, const wl_flow *f) {
  if (evd->prefixes_overflow)
    return;
  wl_prefix p = {0};
  p.ip_version = f->ip_version;
  p.len = f->ip_version == 4 ? WL_EVIDENCE_V4_PREFIX : WL_EVIDENCE_V6_PREFIX;
  memcpy(p.addr, f->remote_addr, p.len / 8); /* both lengths are whole bytes */
  add_prefix(evd, &p);
}

/* Keep the WL_EVIDENCE_MAX_FILTERS filters with the most drops (ties: the lower id first, so
 * the order does not depend on the flows'); the rest are summed. A filter that falls out is not
 * counted again if it returns (the sum stays an upper bound of "others"). */
static void add_filter(wl_evidence *evd, uint64_t id, uint64_t count) {
  uint32_t i = 0;
  for (; i < evd->n_filters; i++)
    if (evd->filters[i].filter_id == id)
      break;
  if (i == evd->n_filters) {
    if (evd->n_filters < WL_EVIDENCE_MAX_FILTERS) {
      evd->filters[evd->n_filters++] = (wl_evidence_filter){id, 0};
    } else if (evd->filters[i - 1].count < count) {
      evd->other_filter_drops += evd->filters[i - 1].count;
      evd->filters[--i] = (wl_evidence_filter){id, 0};
    } else {
      evd->other_filter_drops += count;
      return;
    }
  }
  evd->filters[i].count += count;
  for (; i > 0 && (evd->filters[i].count > evd->filters[i - 1].count ||
                   (evd->filters[i].count == evd->filters[i - 1].count &&
                    evd->filters[i].filter_id < evd->filters[i - 1].filter_id));
       i--) {
    wl_evidence_filter t = evd->filters[i];
    evd->filters[i] = evd->filters[i - 1];
    evd->filters[i - 1] = t;
  }
}

void wl_evidence_add(wl_evidence *evd, const wl_flow *f) {
  uint16_t port = f->dir == WL_DIR_IN ? f->local_port : f->remote_port;
  if (f->action == WL_EVT_DROP) {
    evd->blocked += f->count;
    add_filter(evd, f->last_filter_id, f->count);
  } else {
    evd->allowed += f->count;
  }
  if (!evd->flows || f->first_seen < evd->first_seen)
    evd->first_seen = f->first_seen;
  if (f->last_seen > evd->last_seen)
    evd->last_seen = f->last_seen;
  evd->flows++;
  add_proto(evd, f->proto);
  add_port(evd, port);
  if (f->ip_version == 4 || f->ip_version == 6) {
    if (!wl_addr_is_local(f->ip_version, f->remote_addr))
      evd->public_flows++;
    add_addr(evd, f->ip_version, f->remote_addr, port);
    add_prefix_of(evd, f);
  }
}

/* Each set takes more's members after its own, as if more's flows had been added after evd's.
 * The addresses in more's order: a member more kept is one of the first it saw, so those that
 * fit here are the ones the flows would have added. Ports are kept sorted, so once the union
 * overflows the members kept may differ; nothing reads an overflowed set's members. A set more
 * overflowed overflows the union too. Filters: more's kept ones by their drops, the rest summed
 * (add_filter's approximation either way). */
void wl_evidence_merge(wl_evidence *evd, const wl_evidence *more) {
  if (!more->flows)
    return;
  if (!evd->flows || more->first_seen < evd->first_seen)
    evd->first_seen = more->first_seen;
  if (more->last_seen > evd->last_seen)
    evd->last_seen = more->last_seen;
  evd->allowed += more->allowed;
  evd->blocked += more->blocked;
  evd->flows += more->flows;
  evd->public_flows += more->public_flows;
  for (uint32_t i = 0; i < more->n_filters; i++)
    add_filter(evd, more->filters[i].filter_id, more->filters[i].count);
  evd->other_filter_drops += more->other_filter_drops;
  for (uint32_t i = 0; i < more->n_protos; i++)
    add_proto(evd, more->protos[i]);
  for (uint32_t i = 0; i < more->n_ports; i++)
    add_port(evd, more->ports[i]);
  for (uint32_t i = 0; i < more->n_addrs; i++)
    add_addr(evd, more->addrs[i].ip_version, more->addrs[i].addr, more->addrs[i].port);
  for (uint32_t i = 0; i < more->n_prefixes; i++)
    add_prefix(evd, &more->prefixes[i]);
  evd->protos_overflow |= more->protos_overflow;
  evd->ports_overflow |= more->ports_overflow;
  evd->addrs_overflow |= more->addrs_overflow;
  evd->prefixes_overflow |= more->prefixes_overflow;
}

/* ---------------------------------------------------------------- scope */

/* Runs of consecutive ports in the sorted set: 443 + 8801..8810 is two. */
static uint32_t port_runs(const wl_evidence *evd) {
  uint32_t runs = 0;
  for (uint32_t i = 0; i < evd->n_ports; i++)
    if (i == 0 || evd->ports[i] != evd->ports[i - 1] + 1)
      runs++;
  return runs;
}

static int v4_local(const uint8_t *a) {
  return a[0] == 0 || a[0] == 10 || a[0] == 127 || a[0] >= 224 || /* 224/4 and 240/4 */
         (a[0] == 172 && (a[1] & 0xf0) == 16) || (a[0] == 192 && a[1] == 168) ||
         (a[0] == 100 && (a[1] & 0xc0) == 64) || (a[0] == 169 && a[1] == 254);
}

int wl_addr_is_local(int ip_version, const uint8_t addr[16]) {
  static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  static const uint8_t zero[15] = {0};
  if (ip_version == 4)
    return v4_local(addr);
  if (ip_version != 6)
    return 0;
  if (!memcmp(addr, mapped, 12))
    return v4_local(addr + 12);
  if (!memcmp(addr, zero, 15) && addr[15] <= 1) /* :: and ::1 */
    return 1;
  return (addr[0] & 0xfe) == 0xfc ||                          /* fc00::/7 ULA */
         (addr[0] == 0xfe && (addr[1] & 0x80) == 0x80) ||     /* fe80::/10, fec0::/10 */
         addr[0] == 0xff;                                     /* multicast */
}

wl_scope_choice wl_scope_choose(const wl_evidence *evd, int dir, int no_app) {
  wl_scope_choice c = {WL_SCOPE_APP, 0, 1};
  uint32_t runs = evd->ports_overflow ? UINT32_MAX : port_runs(evd);
  int have_ports = evd->n_ports > 0;
  int few_hosts = !evd->addrs_overflow && evd->n_addrs > 0 && evd->n_addrs <= WL_SCOPE_FEW_HOSTS;
  int few_prefixes = !evd->prefixes_overflow && evd->n_prefixes > 0 &&
                     evd->n_prefixes <= WL_SCOPE_FEW_PREFIXES;
  int all_local = evd->public_flows == 0;
  if (dir == WL_DIR_IN) {
    if (have_ports && runs <= WL_SCOPE_IN_PORT_RUNS)
      c.scope = WL_SCOPE_PORT;
  } else if (all_local && few_hosts) {
    c.scope = WL_SCOPE_REMOTE;
  } else if (all_local && few_prefixes) {
    c.scope = WL_SCOPE_REMOTE;
    c.use_prefixes = 1;
  } else if (have_ports && runs <= WL_SCOPE_FEW_PORT_RUNS) {
    c.scope = WL_SCOPE_PORT;
  }
  if (c.scope != WL_SCOPE_APP || !no_app)
    return c;
  /* No app: anything narrower than "everything" that still fits in one rule. */
  if (have_ports && runs <= WL_RULE_MAX_PORTS) {
    c.scope = WL_SCOPE_PORT;
  } else if (!evd->addrs_overflow && evd->n_addrs > 0 && evd->n_addrs <= WL_RULE_MAX_REMOTES) {
    c.scope = WL_SCOPE_REMOTE;
  } else if (!evd->prefixes_overflow && evd->n_prefixes > 0) {
    c.scope = WL_SCOPE_REMOTE;
    c.use_prefixes = 1;
  } else {
    c.narrowable = 0;
  }
  return c;
}

/* ---------------------------------------------------------------- stability */

uint64_t wl_stability_cut(uint64_t first, uint64_t last) {
  const uint64_t day = 86400ull * 10000000ull; /* event times are 100 ns ticks */
  if (last <= first || last - first < WL_STABILITY_MIN_WINDOW)
    return 0;
  return last - first >= 5 * day ? last - day : last - (last - first) / 5;
}

const char *wl_stability_reason_name(uint32_t bit) {
  switch (bit) {
  case WL_STABILITY_NEW_HOSTS: return "new hosts";
  case WL_STABILITY_NEW_PORTS: return "new ports";
  case WL_STABILITY_NEW_PATH: return "new path";
  case WL_STABILITY_NEW_PROTO: return "new protocol";
  default: return "?";
  }
}

void wl_stability_why_text(uint32_t why, char *buf, size_t cap) {
  size_t n = 0;
  buf[0] = '\0';
  for (uint32_t bit = 1; bit <= WL_STABILITY_LAST && n < cap; bit <<= 1)
    if (why & bit)
      n += (size_t)snprintf(buf + n, cap - n, "%s%s", n ? ", " : "", wl_stability_reason_name(bit));
}

/* ---------------------------------------------------------------- flags */

static int path_has(const char *path, const char *needle) {
  size_t n = strlen(needle);
  for (const char *p = path; *p; p++)
    if (wl_strncasecmp(p, needle, n) == 0)
      return 1;
  return 0;
}

uint32_t wl_path_flags(const char *path) {
  uint32_t fl = 0;
  if (!path || !path[0] || (strlen(path) == 6 && wl_strncasecmp(path, "System", 6) == 0))
    return WL_PROPOSAL_FLAG_NO_APP;
  if (path_has(path, "\\temp\\") || path_has(path, "\\tmp\\") ||
      path_has(path, "\\downloads\\") || path_has(path, "\\appdata\\roaming\\"))
    fl |= WL_PROPOSAL_FLAG_TEMP_PATH;
  const char *base = wl_path_basename(path);
  if (strlen(base) == 11 && wl_strncasecmp(base, "svchost.exe", 11) == 0)
    fl |= WL_PROPOSAL_FLAG_SVCHOST;
  return fl;
}

const char *wl_proposal_flag_name(uint32_t flag) {
  switch (flag) {
  case WL_PROPOSAL_FLAG_TEMP_PATH: return "temp-path";
  case WL_PROPOSAL_FLAG_SEEN_ONCE: return "seen-once";
  case WL_PROPOSAL_FLAG_NO_APP: return "no-app";
  case WL_PROPOSAL_FLAG_SVCHOST: return "svchost";
  case WL_PROPOSAL_FLAG_TRUNCATED: return "truncated-path";
  case WL_PROPOSAL_FLAG_UNMAPPED: return "unmapped";
  case WL_PROPOSAL_FLAG_UNSTABLE: return "unstable";
  case WL_PROPOSAL_FLAG_UNSIGNED: return "unsigned";
  case WL_PROPOSAL_FLAG_SIGNER_CHANGED: return "signer-changed";
  default: return "?";
  }
}

const char *wl_proposal_flag_note(uint32_t flag) {
  switch (flag) {
  case WL_PROPOSAL_FLAG_TEMP_PATH:
    return "the binary lives in a user-writable folder (Temp, Downloads, AppData\\Roaming)";
  case WL_PROPOSAL_FLAG_SEEN_ONCE: return "seen only once: is it something you use?";
  case WL_PROPOSAL_FLAG_NO_APP:
    return "no application (System or a packet without one): the rule matches any app";
  case WL_PROPOSAL_FLAG_SVCHOST:
    return "svchost.exe hosts many services: a rule for it covers every service in that host";
  case WL_PROPOSAL_FLAG_TRUNCATED:
    return "the path was recorded cut short (longer than wfplearn keeps): its identity is "
           "incomplete, so it cannot be promoted (neither as this app nor as any app)";
  case WL_PROPOSAL_FLAG_UNMAPPED:
    return "its NT device has no drive letter in this session (a user's mapped or SUBST drive, "
           "a volume without a letter): no app id can be derived, so it cannot be promoted";
  case WL_PROPOSAL_FLAG_UNSTABLE:
    return "a rule learned from the earlier part of the window would have blocked more than a "
           "tenth of the latest traffic: it may not hold next week";
  case WL_PROPOSAL_FLAG_UNSIGNED:
    return "looks like an update of a ruled app (a version folder), but the new binary is not "
           "signed: it is not re-bound to that rule; promoting it makes a new rule";
  case WL_PROPOSAL_FLAG_SIGNER_CHANGED:
    return "looks like an update of a ruled app (a version folder), but it is not signed by the "
           "ruled binary's signer: it is not re-bound; promoting it makes a new rule";
  default: return "";
  }
}
