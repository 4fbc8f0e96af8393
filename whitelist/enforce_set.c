/* enforce_set.c — the filters of the default block: the block itself and its exceptions, the
 * things a Windows machine needs that a week of learning may not show, or that must never be
 * cut (issue 12, item 9). All live in wfplearn's sublayer; the exceptions outweigh the block.
 *
 *   always      loopback (hard); AppContainer loopback (soft, below); the DHCP client; ICMPv6
 *               neighbour discovery; IGMP (v4) and MLD (v6) multicast membership;
 *               DNS — only for the DNS client: svchost.exe (the Dnscache service) to port 53,
 *               not any app to any server on 53 (an app's own DNS-over-53 is its rule's job).
 *   baseline    kept unless `enforce --baseline drop` (listed by `enforce --list-baseline`):
 *               svchost.exe outbound TCP 80/443 — network connectivity status (NCSI's probes of
 *               www.msftconnecttest.com), Windows Update, certificate revocation (CRL/OCSP) by
 *               CryptSvc — and UDP 123, time sync (W32Time). Services share svchost.exe, so the
 *               app id cannot tell them apart: the baseline allows every service those ports.
 *   remote      inbound, when enforce runs in a remote desktop session: that session's
 *               listener (TCP and UDP on its port, RDP-Tcp's PortNumber), so enforce --inbound
 *               cannot cut the session it was typed in.
 *
 * Hard permits (CLEAR_ACTION_RIGHT) carry ALE_PACKAGE_ID == S-1-0-0 (apply.h: they must not
 * override Windows' AppContainer isolation). AppContainer loopback
 * (FWP_CONDITION_FLAG_IS_APPCONTAINER_LOOPBACK: loopback traffic of an AppContainer that
 * Windows' own loopback exemption decides) is a SOFT permit without that condition: it keeps our
 * block off such traffic and leaves the decision to Windows' isolation in the lower sublayers.
 *
 * Ports and types: DNS 53 (RFC 1035; UDP and TCP), DHCPv4 client 68 / server 67 (RFC 2131),
 * DHCPv6 client 546 / server 547 (RFC 8415), ICMPv6 133-137 neighbour discovery (RFC 4861) and
 * 130-132, 143 MLD queries/reports/done (RFC 2710, RFC 3810), IGMP = IP protocol 2 (RFC 3376);
 * ICMP types are matched in the local-port slot because fwpmu.h defines FWPM_CONDITION_ICMP_TYPE
 * as FWPM_CONDITION_IP_LOCAL_PORT. NTP 123 (RFC 5905); HTTP 80, HTTPS 443. Two conditions on one
 * field are OR'ed by WFP (DNS: UDP or TCP).
 * DHCP is matched on one port only, the one the store's flow rollup keeps for that direction
 * (outbound to the server port, inbound to the client port), so review's wl_exception_covers
 * (rule.c), which sees only flows, hides exactly what these filters let through.
 */
#include <assert.h>
#include <stdio.h>
#include <string.h>

#include "common/wl_err.h"
#include "engine/keys.h"
#include "whitelist/apply.h"
#include "whitelist/enforce.h"
#include "whitelist/whitelist_int.h"

enum enf_kind { K_BLOCK, K_LOOPBACK, K_AC_LOOPBACK, K_DNS, K_DHCP, K_ND, K_MCAST,
                K_BASE_WEB, K_BASE_TIME, K_REMOTE, K_LAST = K_REMOTE };

static const char *kind_name[] = {"block", "loopback", "appcontainer-loopback", "dns", "dhcp",
                                  "nd", "multicast", "baseline-web", "baseline-time",
                                  "remote-session"};

typedef struct enf_def {
  uint8_t kind, inbound, v6;
} enf_def;

/* Which kinds exist in a direction and IP version (before the set's choices). */
static int kind_applies(int k, int in, int v6) {
  switch (k) {
  case K_DNS: case K_BASE_WEB: case K_BASE_TIME: return !in; /* a client's outbound query */
  case K_ND: return v6;                                      /* ICMPv6 */
  case K_REMOTE: return in;                                  /* a listener */
  default: return 1;
  }
}

/* The filters of a set, in a fixed order; `all` lists every kind the keys can have. */
static size_t enf_defs(const wl_enforce_set *set, int all, enf_def *out) {
  size_t n = 0;
  for (int in = 0; in <= (all || set->inbound ? 1 : 0); in++)
    for (int v6 = 0; v6 < 2; v6++)
      for (int k = K_BLOCK; k <= K_LAST; k++) {
        if (!kind_applies(k, in, v6))
          continue;
        if (!all && (k == K_BASE_WEB || k == K_BASE_TIME) && !set->baseline)
          continue;
        if (!all && k == K_REMOTE && !set->remote_port)
          continue;
        assert(n < WL_ENFORCE_MAX_FILTERS);
        out[n++] = (enf_def){(uint8_t)k, (uint8_t)in, (uint8_t)v6};
      }
  return n;
}

static void enf_key(const enf_def *d, int persistent, wl_guid *key) {
  static const wl_guid ns = WL_FILTER_NS_INIT;
  char name[96];
  int n = snprintf(name, sizeof name, "wfplearn-enforce-v1|%s|%s-%s-v%d",
                   persistent ? "persistent" : "dynamic", kind_name[d->kind],
                   d->inbound ? "in" : "out", d->v6 ? 6 : 4);
  wl_guid_from_name(&ns, name, (size_t)n, key);
}

static void cond_proto(wl_filter *f, uint8_t proto) {
  wl_cond_add(f, WL_FIELD_PROTOCOL, WL_MATCH_EQUAL)->proto = proto;
}

static void cond_svchost(wl_filter *f, const wl_enforce_set *set) {
  wl_cond_add(f, WL_FIELD_APP_ID, WL_MATCH_EQUAL);
  memcpy(f->app_id, set->svchost, set->svchost_len);
  f->app_id_len = (uint32_t)set->svchost_len;
}

static void enf_conds(const enf_def *d, const wl_enforce_set *set, wl_filter *f) {
  switch (d->kind) {
  case K_LOOPBACK:
    wl_cond_add(f, WL_FIELD_FLAGS, WL_MATCH_FLAGS_ANY_SET)->flags = WL_COND_FLAG_IS_LOOPBACK;
    break;
  case K_AC_LOOPBACK:
    wl_cond_add(f, WL_FIELD_FLAGS, WL_MATCH_FLAGS_ANY_SET)->flags =
        WL_COND_FLAG_IS_APPCONTAINER_LOOPBACK;
    break;
  case K_DNS:
    cond_proto(f, WL_PROTO_UDP);
    cond_proto(f, WL_PROTO_TCP);
    wl_cond_port(f, WL_FIELD_REMOTE_PORT, WL_PORT_DNS, WL_PORT_DNS);
    cond_svchost(f, set);
    break;
  case K_DHCP: {
    uint16_t client = d->v6 ? WL_PORT_DHCP6_CLIENT : WL_PORT_DHCP4_CLIENT;
    uint16_t server = d->v6 ? WL_PORT_DHCP6_SERVER : WL_PORT_DHCP4_SERVER;
    cond_proto(f, WL_PROTO_UDP);
    if (d->inbound) /* a server's reply to the client port */
      wl_cond_port(f, WL_FIELD_LOCAL_PORT, client, client);
    else /* the client's request to the server port */
      wl_cond_port(f, WL_FIELD_REMOTE_PORT, server, server);
    break;
  }
  case K_ND:
    cond_proto(f, WL_PROTO_ICMPV6);
    wl_cond_port(f, WL_FIELD_LOCAL_PORT, WL_ICMP6_ND_FIRST, WL_ICMP6_ND_LAST);
    break;
  case K_MCAST:
    if (!d->v6) {
      cond_proto(f, WL_PROTO_IGMP);
      break;
    }
    cond_proto(f, WL_PROTO_ICMPV6);
    wl_cond_port(f, WL_FIELD_LOCAL_PORT, WL_ICMP6_MLD_FIRST, WL_ICMP6_MLD_LAST);
    wl_cond_port(f, WL_FIELD_LOCAL_PORT, WL_ICMP6_MLD2_REPORT, WL_ICMP6_MLD2_REPORT);
    break;
  case K_BASE_WEB:
    cond_proto(f, WL_PROTO_TCP);
    wl_cond_port(f, WL_FIELD_REMOTE_PORT, WL_PORT_HTTP, WL_PORT_HTTP);
    wl_cond_port(f, WL_FIELD_REMOTE_PORT, WL_PORT_HTTPS, WL_PORT_HTTPS);
    cond_svchost(f, set);
    break;
  case K_BASE_TIME:
    cond_proto(f, WL_PROTO_UDP);
    wl_cond_port(f, WL_FIELD_REMOTE_PORT, WL_PORT_NTP, WL_PORT_NTP);
    cond_svchost(f, set);
    break;
  case K_REMOTE:
    cond_proto(f, WL_PROTO_TCP);
    cond_proto(f, WL_PROTO_UDP);
    wl_cond_port(f, WL_FIELD_LOCAL_PORT, set->remote_port, set->remote_port);
    break;
  default: break;
  }
}

static void enf_filter(const enf_def *d, const wl_enforce_set *set, int persistent,
                       wl_filter *f) {
  memset(f, 0, sizeof *f);
  enf_key(d, persistent, &f->key);
  snprintf(f->name, sizeof f->name, "wfplearn enforce: %s %s IPv%d%s", kind_name[d->kind],
           d->inbound ? "inbound" : "outbound", d->v6 ? 6 : 4,
           persistent ? "" : " (pending confirm)");
  int block = d->kind == K_BLOCK, soft = d->kind == K_AC_LOOPBACK;
  snprintf(f->description, sizeof f->description, "%s",
           block ? "default block under the whitelist"
           : d->kind == K_BASE_WEB || d->kind == K_BASE_TIME
               ? "Windows essentials baseline (enforce --baseline drop removes it)"
               : "essential exception to the default block");
  f->provider = wl_provider_key();
  f->sublayer = wl_sublayer_key();
  f->layer_id = d->inbound ? (d->v6 ? WL_LAYER_ALE_AUTH_RECV_ACCEPT_V6
                                    : WL_LAYER_ALE_AUTH_RECV_ACCEPT_V4)
                           : (d->v6 ? WL_LAYER_ALE_AUTH_CONNECT_V6 : WL_LAYER_ALE_AUTH_CONNECT_V4);
  f->action = block ? WL_ACTION_BLOCK : WL_ACTION_PERMIT;
  f->flags = (persistent ? WL_FILTER_PERSISTENT : 0) |
             (block || soft ? 0 : WL_FILTER_CLEAR_ACTION_RIGHT);
  f->weight_type = WL_WEIGHT_EXACT;
  f->weight = block ? WL_WEIGHT_BLOCK : WL_WEIGHT_EXCEPTION;
  enf_conds(d, set, f);
  if (!block && !soft) { /* a hard permit: keep it off AppContainers (WL_PACKAGE_NONE, apply.h) */
    wl_cond_add(f, WL_FIELD_PACKAGE, WL_MATCH_EQUAL);
    wl_strlcpy(f->package_sid, WL_PACKAGE_NONE, sizeof f->package_sid);
  }
}

int wl_enforce_filters(const wl_enforce_set *set, int persistent, wl_filter *out, size_t cap,
                       size_t *n) {
  enf_def defs[WL_ENFORCE_MAX_FILTERS];
  size_t nd = enf_defs(set, 0, defs);
  if (nd > cap)
    return wl_err(WL_E_TOOBIG, "enforce: %u filters do not fit in %u", (unsigned)nd,
                  (unsigned)cap);
  for (size_t i = 0; i < nd; i++)
    enf_filter(&defs[i], set, persistent, &out[i]);
  *n = nd;
  return WL_OK;
}

int wl_enforce_owns(const wl_guid *key) {
  enf_def defs[WL_ENFORCE_MAX_FILTERS];
  wl_enforce_set all = {0};
  size_t nd = enf_defs(&all, 1, defs);
  for (size_t i = 0; i < nd; i++)
    for (int p = 0; p < 2; p++) {
      wl_guid k;
      enf_key(&defs[i], p, &k);
      if (wl_guid_eq(&k, key))
        return 1;
    }
  return 0;
}

int wl_enforce_set_make(wl_engine *e, int inbound, int baseline, uint16_t remote_port,
                        wl_enforce_set *out) {
  wl_machine m;
  char svchost[WL_PATH_MAX + 16];
  memset(out, 0, sizeof *out);
  out->inbound = inbound;
  out->baseline = baseline;
  out->remote_port = inbound ? remote_port : 0;
  int rc = wl_engine_machine(e, &m);
  if (rc)
    return wl_err_prefix(rc, "enforce: where is Windows");
  snprintf(svchost, sizeof svchost, "%s\\svchost.exe", m.system_dir);
  rc = wl_engine_app_id(e, svchost, out->svchost, sizeof out->svchost, &out->svchost_len);
  return rc ? wl_err_prefix(rc, "enforce: the DNS client's app id") : WL_OK;
}

void wl_enforce_baseline_list(FILE *f) {
  fputs("The Windows essentials baseline (enforce keeps it unless --baseline drop):\n"
        "  svchost.exe  out  tcp 80, 443  network status (NCSI probes), Windows Update,\n"
        "                                 certificate revocation (CRL/OCSP by CryptSvc)\n"
        "  svchost.exe  out  udp 123      time sync (W32Time)\n"
        "Always allowed, baseline or not:\n"
        "  any app      loopback; AppContainer loopback (Windows' own isolation decides)\n"
        "  svchost.exe  out  udp/tcp 53   DNS (the DNS client service; other apps need a rule)\n"
        "  any app      udp 67/68, 546/547 DHCP; ICMPv6 133-137 neighbour discovery;\n"
        "               IGMP and ICMPv6 130-132, 143 (multicast membership, MLD)\n"
        "  any app      in   tcp/udp PORT  the remote desktop session enforce runs in\n"
        "                                  (with --inbound; RDP-Tcp's PortNumber)\n",
        f);
}
