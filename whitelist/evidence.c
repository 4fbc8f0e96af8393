/* evidence.c — what the flows of one (app, direction) showed, the scope proposed from it, and
 * the risk flags of an app path.
 *
 * Evidence is gathered flow by flow into bounded sets (addresses, ports, /24 and /48 prefixes,
 * protocols, blocking filters); a set that overflows says "many", which is all the scope choice
 * needs to know. The scope choice is a pure function of the evidence so it can be tested from a
 * table (tests/test_wl_scope.c).
 */
#include <string.h>

#include "common/wl_err.h"
#include "event/paths.h"
#include "whitelist/proposal.h"

void wl_evidence_init(wl_evidence *ev) { memset(ev, 0, sizeof *ev); }

static void add_proto(wl_evidence *ev, uint8_t proto) {
  for (uint32_t i = 0; i < ev->n_protos; i++)
    if (ev->protos[i] == proto)
      return;
  if (ev->n_protos < WL_EV_MAX_PROTOS)
    ev->protos[ev->n_protos++] = proto;
  else
    ev->protos_overflow = 1;
}

/* Sorted insert; ports 0 (protocols without ports) are not kept. */
static void add_port(wl_evidence *ev, uint16_t port) {
  uint32_t i = 0;
  if (port == 0)
    return;
  while (i < ev->n_ports && ev->ports[i] < port)
    i++;
  if (i < ev->n_ports && ev->ports[i] == port)
    return;
  if (ev->n_ports == WL_EV_MAX_PORTS) {
    ev->ports_overflow = 1;
    return;
  }
  memmove(&ev->ports[i + 1], &ev->ports[i], (ev->n_ports - i) * sizeof ev->ports[0]);
  ev->ports[i] = port;
  ev->n_ports++;
}

static void add_addr(wl_evidence *ev, const wl_flow *f, uint16_t port) {
  for (uint32_t i = 0; i < ev->n_addrs; i++)
    if (ev->addrs[i].ip_version == f->ip_version && !memcmp(ev->addrs[i].addr, f->remote_addr, 16))
      return;
  if (ev->n_addrs == WL_EV_MAX_ADDRS) {
    ev->addrs_overflow = 1;
    return;
  }
  wl_ev_addr *a = &ev->addrs[ev->n_addrs++];
  a->ip_version = f->ip_version;
  memcpy(a->addr, f->remote_addr, 16);
  a->port = port;
}

static void add_prefix(wl_evidence *ev, const wl_flow *f) {
  wl_prefix p = {0};
  p.ip_version = f->ip_version;
  p.len = f->ip_version == 4 ? WL_EV_V4_PREFIX : WL_EV_V6_PREFIX;
  memcpy(p.addr, f->remote_addr, p.len / 8); /* both lengths are whole bytes */
  for (uint32_t i = 0; i < ev->n_prefixes; i++)
    if (ev->prefixes[i].ip_version == p.ip_version && !memcmp(ev->prefixes[i].addr, p.addr, 16))
      return;
  if (ev->n_prefixes == WL_EV_MAX_PREFIXES)
    ev->prefixes_overflow = 1;
  else
    ev->prefixes[ev->n_prefixes++] = p;
}

/* Keep the WL_EV_MAX_FILTERS filters with the most drops; the rest are summed. A filter that
 * falls out is not counted again if it returns (the sum stays an upper bound of "others"). */
static void add_filter(wl_evidence *ev, uint64_t id, uint64_t count) {
  uint32_t i = 0;
  for (; i < ev->n_filters; i++)
    if (ev->filters[i].filter_id == id)
      break;
  if (i == ev->n_filters) {
    if (ev->n_filters < WL_EV_MAX_FILTERS) {
      ev->filters[ev->n_filters++] = (wl_ev_filter){id, 0};
    } else if (ev->filters[i - 1].count < count) {
      ev->other_filter_drops += ev->filters[i - 1].count;
      ev->filters[--i] = (wl_ev_filter){id, 0};
    } else {
      ev->other_filter_drops += count;
      return;
    }
  }
  ev->filters[i].count += count;
  for (; i > 0 && ev->filters[i].count > ev->filters[i - 1].count; i--) {
    wl_ev_filter t = ev->filters[i];
    ev->filters[i] = ev->filters[i - 1];
    ev->filters[i - 1] = t;
  }
}

void wl_evidence_add(wl_evidence *ev, const wl_flow *f) {
  uint16_t port = f->dir == WL_DIR_IN ? f->local_port : f->remote_port;
  if (f->action == WL_EVT_DROP) {
    ev->blocked += f->count;
    add_filter(ev, f->last_filter_id, f->count);
  } else {
    ev->allowed += f->count;
  }
  if (!ev->flows || f->first_seen < ev->first_seen)
    ev->first_seen = f->first_seen;
  if (f->last_seen > ev->last_seen)
    ev->last_seen = f->last_seen;
  ev->flows++;
  add_proto(ev, f->proto);
  add_port(ev, port);
  if (f->ip_version == 4 || f->ip_version == 6) {
    add_addr(ev, f, port);
    add_prefix(ev, f);
  }
}

/* ---------------------------------------------------------------- scope */

/* Runs of consecutive ports in the sorted set: 443 + 8801..8810 is two. */
static uint32_t port_runs(const wl_evidence *ev) {
  uint32_t runs = 0;
  for (uint32_t i = 0; i < ev->n_ports; i++)
    if (i == 0 || ev->ports[i] != ev->ports[i - 1] + 1)
      runs++;
  return runs;
}

wl_scope_choice wl_scope_choose(const wl_evidence *ev, int dir, int no_app) {
  wl_scope_choice c = {WL_SCOPE_APP, 0, 1};
  uint32_t runs = ev->ports_overflow ? UINT32_MAX : port_runs(ev);
  int have_ports = ev->n_ports > 0;
  int few_hosts = !ev->addrs_overflow && ev->n_addrs > 0 && ev->n_addrs <= WL_SCOPE_FEW_HOSTS;
  int few_prefixes = !ev->prefixes_overflow && ev->n_prefixes > 0 &&
                     ev->n_prefixes <= WL_SCOPE_FEW_PREFIXES;
  if (dir == WL_DIR_IN) {
    if (have_ports && runs <= WL_SCOPE_IN_PORT_RUNS)
      c.scope = WL_SCOPE_PORT;
  } else if (few_hosts) {
    c.scope = WL_SCOPE_REMOTE;
  } else if (have_ports && runs <= WL_SCOPE_FEW_PORT_RUNS) {
    c.scope = WL_SCOPE_PORT;
  } else if (few_prefixes) {
    c.scope = WL_SCOPE_REMOTE;
    c.use_prefixes = 1;
  }
  if (c.scope != WL_SCOPE_APP || !no_app)
    return c;
  /* No app: anything narrower than "everything" that still fits in one rule. */
  if (have_ports && runs <= WL_RULE_MAX_PORTS) {
    c.scope = WL_SCOPE_PORT;
  } else if (!ev->addrs_overflow && ev->n_addrs > 0 && ev->n_addrs <= WL_RULE_MAX_REMOTES) {
    c.scope = WL_SCOPE_REMOTE;
  } else if (!ev->prefixes_overflow && ev->n_prefixes > 0) {
    c.scope = WL_SCOPE_REMOTE;
    c.use_prefixes = 1;
  } else {
    c.narrowable = 0;
  }
  return c;
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
    return WL_PF_NO_APP;
  if (path_has(path, "\\temp\\") || path_has(path, "\\tmp\\") ||
      path_has(path, "\\downloads\\") || path_has(path, "\\appdata\\roaming\\"))
    fl |= WL_PF_TEMP_PATH;
  const char *base = wl_path_basename(path);
  if (strlen(base) == 11 && wl_strncasecmp(base, "svchost.exe", 11) == 0)
    fl |= WL_PF_SVCHOST;
  return fl;
}

const char *wl_flag_name(uint32_t flag) {
  switch (flag) {
  case WL_PF_TEMP_PATH: return "temp-path";
  case WL_PF_SEEN_ONCE: return "seen-once";
  case WL_PF_NO_APP: return "no-app";
  case WL_PF_SVCHOST: return "svchost";
  default: return "?";
  }
}

const char *wl_flag_note(uint32_t flag) {
  switch (flag) {
  case WL_PF_TEMP_PATH:
    return "the binary lives in a user-writable folder (Temp, Downloads, AppData\\Roaming)";
  case WL_PF_SEEN_ONCE: return "seen only once: is it something you use?";
  case WL_PF_NO_APP:
    return "no application (System or a packet without one): the rule matches any app";
  case WL_PF_SVCHOST:
    return "svchost.exe hosts many services: a rule for it covers every service in that host";
  default: return "";
  }
}
