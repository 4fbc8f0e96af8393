/* test_wl_scope.c — the pure parts of the whitelist: the scope chosen from evidence (a table of
 * evidence patterns with the expected scope), risk flags of app paths, proposal ids, the rule
 * text forms (ports, remotes) and whether a rule or an essential exception covers a flow.
 * Evidence is built flow by flow through wl_evidence_add, as review does. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/wl_err.h"
#include "whitelist/proposal.h"
#include "whitelist/rule.h"

/* ---------------------------------------------------------------- evidence builders */

/* Where the remote addresses of a pattern are (wl_addr_is_local decides what rots). */
enum { PUB4, LAN4, PUB6, LAN6, MIXED4 }; /* MIXED4: the first host public, the rest LAN */

/* Flows to `hosts` remote addresses spread over `nets` /24s (8.N.M.x public, 10.N.M.x LAN),
 * cycling through the given ports; v6 puts the hosts under 2001:db8:N::/48 (public) or
 * fd00:0:N::/48 (ULA). */
typedef struct pattern {
  const char *what;
  int dir, no_app, where, proto;
  unsigned hosts, nets;
  const uint16_t *ports;
  unsigned nports;
  int want_scope, want_prefixes, want_narrowable;
} pattern;

static void build(const pattern *p, wl_evidence *evd) {
  wl_evidence_init(evd);
  unsigned n = p->hosts > p->nports ? p->hosts : p->nports;
  for (unsigned i = 0; i < n; i++) {
    wl_flow f = {0};
    unsigned h = i % (p->hosts ? p->hosts : 1), net = h % (p->nets ? p->nets : 1);
    f.app_id = 1;
    f.dir = (uint8_t)p->dir;
    f.proto = (uint8_t)p->proto;
    f.action = WL_EVT_ALLOW;
    f.count = 1 + i % 3;
    f.first_seen = 1000 + i;
    f.last_seen = 2000 + i;
    if (p->where == PUB6 || p->where == LAN6) {
      static const uint8_t pub[4] = {0x20, 0x01, 0x0d, 0xb8}, lan[4] = {0xfd, 0, 0, 0};
      f.ip_version = 6;
      memcpy(f.remote_addr, p->where == PUB6 ? pub : lan, 4);
      f.remote_addr[5] = (uint8_t)net;
      f.remote_addr[14] = (uint8_t)(h >> 8), f.remote_addr[15] = (uint8_t)(h + 1);
    } else {
      int pub = p->where == PUB4 || (p->where == MIXED4 && h == 0);
      f.ip_version = 4;
      f.remote_addr[0] = pub ? 8 : 10, f.remote_addr[1] = (uint8_t)(net >> 8);
      f.remote_addr[2] = (uint8_t)net, f.remote_addr[3] = (uint8_t)(h / (p->nets ? p->nets : 1) + 1);
    }
    uint16_t port = p->nports ? p->ports[i % p->nports] : 0;
    if (p->dir == WL_DIR_IN)
      f.local_port = port;
    else
      f.remote_port = port;
    wl_evidence_add(evd, &f);
  }
}

static const uint16_t P443[] = {443};
static const uint16_t P80_443[] = {80, 443};
static const uint16_t P_TEAMS[] = {443, 3478, 3479, 3480, 3481};
static const uint16_t P_ZOOM[] = {8801, 8802, 8803, 8804, 8805, 8806, 8807, 8808, 8809, 8810};
static const uint16_t P_SCATTER6[] = {21, 25, 110, 143, 993, 995};
static uint16_t P_SCATTER30[30], P_SCATTER70[70], P_IN20[20];
static const uint16_t P_NETBIOS[] = {137, 138, 1900, 5353};
static const uint16_t P3000[] = {3000};
static const uint16_t P9100[] = {9100};
static const uint16_t P445[] = {445};

static void init_ports(void) {
  for (unsigned i = 0; i < 30; i++)
    P_SCATTER30[i] = (uint16_t)(1000 + 7 * i);
  for (unsigned i = 0; i < 70; i++)
    P_SCATTER70[i] = (uint16_t)(20000 + 3 * i);
  for (unsigned i = 0; i < 20; i++)
    P_IN20[i] = (uint16_t)(5000 + 10 * i);
}

#define OUT WL_DIR_OUT
#define IN WL_DIR_IN
#define N(a) (unsigned)(sizeof a / sizeof a[0])

static void test_scope_table(void **state) {
  (void)state;
  init_ports();
  /* The scope rule of docs/cli.md ("How review picks a scope"), row by row: public remotes
   * are never pinned (issue 15: the updater's CDN answers from other addresses next week),
   * LAN / link-local / ULA / CGNAT remotes are. */
  const pattern cases[] = {
      /* what                               dir no where pr hosts nets ports n  scope  pfx narrow */
      {"updater: 3 public hosts, 443", OUT, 0, PUB4, 6, 3, 3, P443, 1, WL_SCOPE_PORT, 0, 1},
      {"one public host, one port", OUT, 0, PUB4, 6, 1, 1, P443, 1, WL_SCOPE_PORT, 0, 1},
      {"one LAN host (printer 9100)", OUT, 0, LAN4, 6, 1, 1, P9100, 1, WL_SCOPE_REMOTE, 0, 1},
      {"two LAN hosts", OUT, 0, LAN4, 6, 2, 2, P443, 1, WL_SCOPE_REMOTE, 0, 1},
      {"four LAN hosts, six ports", OUT, 0, LAN4, 6, 4, 4, P_SCATTER6, N(P_SCATTER6),
       WL_SCOPE_REMOTE, 0, 1},
      {"four public hosts, six ports", OUT, 0, PUB4, 6, 4, 4, P_SCATTER6, N(P_SCATTER6),
       WL_SCOPE_APP, 0, 1},
      {"ULA v6 NAS, one host", OUT, 0, LAN6, 6, 1, 1, P445, 1, WL_SCOPE_REMOTE, 0, 1},
      {"3 LAN + 1 public host, 443: port", OUT, 0, MIXED4, 6, 4, 4, P443, 1, WL_SCOPE_PORT, 0,
       1},
      {"browser: 300 hosts, 80+443", OUT, 0, PUB4, 6, 300, 200, P80_443, 2, WL_SCOPE_PORT, 0, 1},
      {"cdn app: 300 v6 hosts, 443", OUT, 0, PUB6, 6, 300, 40, P443, 1, WL_SCOPE_PORT, 0, 1},
      {"teams: 12 hosts, 443 + 3478-3481", OUT, 0, PUB4, 17, 12, 12, P_TEAMS, N(P_TEAMS),
       WL_SCOPE_PORT, 0, 1},
      {"zoom: 20 hosts, 8801-8810 is one run", OUT, 0, PUB4, 17, 20, 20, P_ZOOM, N(P_ZOOM),
       WL_SCOPE_PORT, 0, 1},
      {"LAN mail: 100 hosts in 2 /24s, 30 ports", OUT, 0, LAN4, 6, 100, 2, P_SCATTER30, 30,
       WL_SCOPE_REMOTE, 1, 1},
      {"public: 100 hosts in 2 /24s, 30 ports", OUT, 0, PUB4, 6, 100, 2, P_SCATTER30, 30,
       WL_SCOPE_APP, 0, 1},
      {"ULA: 100 hosts in one /48, 30 ports", OUT, 0, LAN6, 6, 100, 1, P_SCATTER30, 30,
       WL_SCOPE_REMOTE, 1, 1},
      {"v6 public: 100 hosts in one /48, 30 ports", OUT, 0, PUB6, 6, 100, 1, P_SCATTER30, 30,
       WL_SCOPE_APP, 0, 1},
      {"LAN: 5 hosts in 1 /24, 6 scattered ports", OUT, 0, LAN4, 6, 5, 1, P_SCATTER6,
       N(P_SCATTER6), WL_SCOPE_REMOTE, 1, 1},
      {"LAN: 6 hosts in 6 /24s, 443: port", OUT, 0, LAN4, 6, 6, 6, P443, 1, WL_SCOPE_PORT, 0, 1},
      {"p2p: 300 hosts, 30 ports: nothing narrows", OUT, 0, PUB4, 17, 300, 200, P_SCATTER30, 30,
       WL_SCOPE_APP, 0, 1},
      {"icmp to 10 hosts in 10 nets: no ports", OUT, 0, PUB4, 1, 10, 10, NULL, 0, WL_SCOPE_APP, 0,
       1},
      {"icmp to 2 LAN hosts", OUT, 0, LAN4, 1, 2, 1, NULL, 0, WL_SCOPE_REMOTE, 0, 1},
      {"listener: local 3000, many peers", IN, 0, PUB4, 6, 50, 50, P3000, 1, WL_SCOPE_PORT, 0, 1},
      {"inbound on 20 scattered ports", IN, 0, LAN4, 6, 5, 5, P_IN20, 20, WL_SCOPE_APP, 0, 1},
      {"no app: netbios/ssdp/mdns in", IN, 1, LAN4, 17, 6, 1, P_NETBIOS, 4, WL_SCOPE_PORT, 0, 1},
      {"no app: 10 public hosts, 30 ports out", OUT, 1, PUB4, 17, 10, 10, P_SCATTER30, 30,
       WL_SCOPE_REMOTE, 0, 1},
      {"no app: 300 hosts, 70 ports: refuse", OUT, 1, PUB4, 17, 300, 200, P_SCATTER70, 70,
       WL_SCOPE_APP, 0, 0},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    wl_evidence evd;
    build(&cases[i], &evd);
    wl_scope_choice c = wl_scope_choose(&evd, cases[i].dir, cases[i].no_app);
    if (c.scope != cases[i].want_scope || c.use_prefixes != cases[i].want_prefixes ||
        c.narrowable != cases[i].want_narrowable)
      fail_msg("case %zu (%s): scope %s prefixes %d narrowable %d; want %s %d %d", i,
               cases[i].what, wl_scope_name(c.scope), c.use_prefixes, c.narrowable,
               wl_scope_name(cases[i].want_scope), cases[i].want_prefixes,
               cases[i].want_narrowable);
  }
}

/* What does not rot (pinned by default) and what does (public: never pinned by default). */
static void test_addr_local(void **state) {
  (void)state;
  static const struct {
    const char *addr;
    int local;
  } cases[] = {
      {"10.1.2.3", 1},      {"172.16.0.1", 1},        {"172.31.255.255", 1}, {"172.32.0.1", 0},
      {"172.15.0.1", 0},    {"192.168.1.10", 1},      {"192.169.1.1", 0},    {"100.64.0.1", 1},
      {"100.127.255.1", 1}, {"100.128.0.1", 0},       {"100.63.0.1", 0},     {"169.254.3.4", 1},
      {"169.253.3.4", 0},   {"127.0.0.1", 1},         {"0.0.0.0", 1},        {"224.0.0.251", 1},
      {"239.255.255.250", 1}, {"255.255.255.255", 1}, {"8.8.8.8", 0},        {"1.1.1.1", 0},
      {"203.0.113.9", 0},   {"::1", 1},               {"::", 1},             {"fd12:3456::1", 1},
      {"fc00::1", 1},       {"fe80::1", 1},           {"febf::1", 1},        {"fec0::1", 1},
      {"ff02::fb", 1},      {"2001:db8::1", 0},       {"2a00:1450:4001::5", 0}, {"::2", 0},
      {"::ffff:192.168.1.1", 1}, {"::ffff:8.8.8.8", 0},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    uint8_t ver = 0, a[16] = {0};
    assert_int_equal(wl_addr_parse(cases[i].addr, strlen(cases[i].addr), &ver, a), WL_OK);
    if (wl_addr_is_local(ver, a) != cases[i].local)
      fail_msg("case %zu (%s): local %d, want %d", i, cases[i].addr, !cases[i].local,
               cases[i].local);
  }
}

/* The rule built from the evidence has the ports/remotes the scope says. */
static void test_proposal_rule(void **state) {
  (void)state;
  init_ports();
  wl_proposal p;
  memset(&p, 0, sizeof p);
  p.id = wl_proposal_id(4, WL_DIR_OUT);
  p.app_id = 4;
  p.dir = WL_DIR_OUT;
  strcpy(p.app, "\\device\\harddiskvolume3\\apps\\teams.exe");
  strcpy(p.app_dos, "C:\\apps\\teams.exe");
  pattern teams = {"", OUT, 0, PUB4, 17, 12, 12, P_TEAMS, N(P_TEAMS), 0, 0, 0};
  build(&teams, &p.evidence);
  p.proto = 17;
  p.choice = wl_scope_choose(&p.evidence, p.dir, 0);
  wl_rule r;
  char buf[2048];
  assert_int_equal(wl_proposal_rule(&p, -1, &r), WL_OK);
  assert_int_equal(r.scope, WL_SCOPE_PORT);
  wl_ports_format(r.ports, r.n_ports, buf, sizeof buf);
  assert_string_equal(buf, "443,3478-3481");
  assert_int_equal(r.n_remotes, 0);
  assert_string_equal(r.app, "C:\\apps\\teams.exe");
  assert_int_equal(r.proto, 17);
  /* override: remote → the 12 exact hosts, sorted */
  assert_int_equal(wl_proposal_rule(&p, WL_SCOPE_REMOTE, &r), WL_OK);
  assert_int_equal(r.n_remotes, 12);
  assert_int_equal(r.n_ports, 0);
  wl_remotes_format(r.remotes, 1, buf, sizeof buf);
  assert_string_equal(buf, "8.0.0.1");
  /* override: app → neither */
  assert_int_equal(wl_proposal_rule(&p, WL_SCOPE_APP, &r), WL_OK);
  assert_int_equal(r.n_ports + r.n_remotes, 0);
  /* a no-app proposal never becomes "any app, anything" */
  p.flags = WL_PROPOSAL_FLAG_NO_APP;
  assert_int_equal(wl_proposal_rule(&p, WL_SCOPE_APP, &r), WL_E_INVAL);
  assert_string_equal(r.app, "");
  /* too many hosts for an exact remote scope, and prefixes overflow */
  pattern p2p = {"", OUT, 0, PUB4, 17, 300, 200, P_SCATTER30, 30, 0, 0, 0};
  build(&p2p, &p.evidence);
  p.flags = 0;
  assert_int_equal(wl_proposal_rule(&p, WL_SCOPE_REMOTE, &r), WL_E_INVAL);
}

typedef struct flag_case {
  const char *path;
  uint32_t want;
} flag_case;

static void test_flags(void **state) {
  (void)state;
  static const flag_case cases[] = {
      {"C:\\Program Files\\Mozilla Firefox\\firefox.exe", 0},
      {"C:\\Users\\alice\\AppData\\Local\\Temp\\setup.exe", WL_PROPOSAL_FLAG_TEMP_PATH},
      {"C:\\Windows\\Temp\\x.exe", WL_PROPOSAL_FLAG_TEMP_PATH},
      {"C:\\Users\\alice\\Downloads\\invoice_viewer.exe", WL_PROPOSAL_FLAG_TEMP_PATH},
      {"\\device\\harddiskvolume3\\users\\bob\\appdata\\roaming\\zoom\\bin\\zoom.exe",
       WL_PROPOSAL_FLAG_TEMP_PATH},
      {"C:\\Users\\alice\\AppData\\Local\\Microsoft\\Teams\\Teams.exe", 0},
      {"C:\\Windows\\System32\\svchost.exe", WL_PROPOSAL_FLAG_SVCHOST},
      {"\\device\\harddiskvolume3\\windows\\system32\\SVCHOST.EXE", WL_PROPOSAL_FLAG_SVCHOST},
      {"C:\\tools\\notsvchost.exe", 0},
      {"", WL_PROPOSAL_FLAG_NO_APP},
      {NULL, WL_PROPOSAL_FLAG_NO_APP},
      {"System", WL_PROPOSAL_FLAG_NO_APP},
      {"system", WL_PROPOSAL_FLAG_NO_APP},
      {"C:\\System\\x.exe", 0},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    uint32_t got = wl_path_flags(cases[i].path);
    if (got != cases[i].want)
      fail_msg("case %zu (%s): flags 0x%x, want 0x%x", i, cases[i].path ? cases[i].path : "NULL",
               got, cases[i].want);
  }
  assert_string_equal(wl_proposal_flag_name(WL_PROPOSAL_FLAG_SEEN_ONCE), "seen-once");
  /* one spelling for the JSON flag strings (docs/cli.md): words joined by '-', never '_' */
  for (uint32_t bit = 1; bit <= WL_PROPOSAL_FLAG_LAST; bit <<= 1)
    if (strchr(wl_proposal_flag_name(bit), '_'))
      fail_msg("flag 0x%x is named %s", bit, wl_proposal_flag_name(bit));
  assert_string_equal(wl_proposal_flag_name(WL_PROPOSAL_FLAG_SIGNER_CHANGED), "signer-changed");
  assert_non_null(strstr(wl_proposal_flag_note(WL_PROPOSAL_FLAG_SVCHOST), "every service"));
}

static void test_proposal_ids(void **state) {
  (void)state;
  for (int64_t app = 0; app < 1000; app++)
    for (int d = WL_DIR_IN; d <= WL_DIR_OUT; d++) {
      int64_t id = wl_proposal_id(app, d), a2;
      int d2;
      assert_true(id >= 1);
      assert_int_equal(wl_proposal_split(id, &a2, &d2), WL_OK);
      assert_int_equal(a2, app);
      assert_int_equal(d2, d);
    }
  int64_t a;
  int d;
  assert_int_equal(wl_proposal_split(0, &a, &d), WL_E_INVAL);
  assert_int_equal(wl_proposal_split(-3, &a, &d), WL_E_INVAL);
}

typedef struct text_case {
  const char *in;
  int rc;
  const char *out;
} text_case;

static void test_ports_text(void **state) {
  (void)state;
  static const text_case cases[] = {
      {"443", WL_OK, "443"},
      {"443,80", WL_OK, "80,443"},
      {"8001-8010,8000,8011", WL_OK, "8000-8011"}, /* adjacent ranges merge */
      {"53,53,53", WL_OK, "53"},
      {"", WL_OK, ""},
      {"0-65535", WL_OK, "0-65535"},
      {"65536", WL_E_PARSE, NULL},
      {"10-5", WL_E_PARSE, NULL},
      {"4a3", WL_E_PARSE, NULL},
      {"1,3,5,7,9,11,13,15,17,19,21,23,25,27,29,31,33", WL_E_TOOBIG, NULL},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    wl_port_range p[WL_RULE_MAX_PORTS];
    uint32_t n = 0;
    char buf[256];
    int rc = wl_ports_parse(cases[i].in, p, WL_RULE_MAX_PORTS, &n);
    if (rc != cases[i].rc)
      fail_msg("case %zu (%s): rc %d, want %d", i, cases[i].in, rc, cases[i].rc);
    if (rc == WL_OK) {
      wl_ports_format(p, n, buf, sizeof buf);
      assert_string_equal(buf, cases[i].out);
    }
  }
}

static void test_remotes_text(void **state) {
  (void)state;
  static const text_case cases[] = {
      {"1.2.3.4", WL_OK, "1.2.3.4"},
      {"1.2.3.4/32,1.2.3.0/24", WL_OK, "1.2.3.0/24"}, /* contained entries go */
      {"10.9.8.7/8", WL_OK, "10.0.0.0/8"},            /* host bits cleared */
      {"2001:db8::1,1.2.3.4", WL_OK, "1.2.3.4,2001:db8::1"},
      {"2001:db8:1::/48,2001:db8:1:2::5", WL_OK, "2001:db8:1::/48"},
      {"1.2.3", WL_E_PARSE, NULL},
      {"1.2.3.4/33", WL_E_PARSE, NULL},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    wl_prefix p[WL_RULE_MAX_REMOTES];
    uint32_t n = 0;
    char buf[512];
    int rc = wl_remotes_parse(cases[i].in, p, WL_RULE_MAX_REMOTES, &n);
    if (rc != cases[i].rc)
      fail_msg("case %zu (%s): rc %d, want %d", i, cases[i].in, rc, cases[i].rc);
    if (rc == WL_OK) {
      wl_remotes_format(p, n, buf, sizeof buf);
      assert_string_equal(buf, cases[i].out);
    }
  }
}

static wl_flow flow(int dir, uint8_t proto, const char *remote, uint16_t rport, uint16_t lport) {
  wl_flow f = {0};
  f.dir = (uint8_t)dir;
  f.proto = proto;
  wl_addr_parse(remote, strlen(remote), &f.ip_version, f.remote_addr);
  f.remote_port = rport;
  f.local_port = lport;
  return f;
}

typedef struct cover_case {
  const char *app, *ports, *remotes;
  int dir, proto;
  wl_flow f;
  const char *flow_app;
  int want;
} cover_case;

static void test_covers(void **state) {
  (void)state;
  const char *chrome = "\\device\\harddiskvolume3\\apps\\chrome.exe";
  const cover_case cases[] = {
      {chrome, "443", "", OUT, 6, flow(OUT, 6, "1.2.3.4", 443, 0), chrome, 1},
      {chrome, "443", "", OUT, 6, flow(OUT, 6, "1.2.3.4", 80, 0), chrome, 0},
      {chrome, "443", "", OUT, 6, flow(OUT, 17, "1.2.3.4", 443, 0), chrome, 0},
      {chrome, "443", "", OUT, -1, flow(OUT, 17, "1.2.3.4", 443, 0), chrome, 1},
      {chrome, "443", "", OUT, 6, flow(IN, 6, "1.2.3.4", 0, 443), chrome, 0},
      {chrome, "", "1.2.3.0/24", OUT, 6, flow(OUT, 6, "1.2.3.99", 8443, 0), chrome, 1},
      {chrome, "", "1.2.3.0/24", OUT, 6, flow(OUT, 6, "1.2.4.1", 8443, 0), chrome, 0},
      {chrome, "", "1.2.3.0/24", OUT, 6, flow(OUT, 6, "2001:db8::1", 8443, 0), chrome, 0},
      {chrome, "", "", OUT, 6, flow(OUT, 6, "1.2.3.4", 1, 0),
       "\\DEVICE\\HARDDISKVOLUME3\\APPS\\CHROME.EXE", 1},
      {chrome, "", "", OUT, 6, flow(OUT, 6, "1.2.3.4", 1, 0),
       "\\device\\harddiskvolume3\\apps\\chrome.exe2", 0},
      {"", "3000", "", IN, 6, flow(IN, 6, "192.168.1.5", 0, 3000), "C:\\x.exe", 1},
      {"", "3000", "", IN, 6, flow(IN, 6, "192.168.1.5", 3000, 80), "C:\\x.exe", 0},
      {chrome, "8000-8100", "", OUT, 6, flow(OUT, 6, "1.2.3.4", 8100, 0), chrome, 1},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    wl_rule_row row;
    wl_rule r;
    memset(&row, 0, sizeof row);
    strcpy(row.app_nt, cases[i].app);
    strcpy(row.ports, cases[i].ports);
    strcpy(row.remotes, cases[i].remotes);
    row.dir = (uint8_t)cases[i].dir;
    row.proto = (int16_t)cases[i].proto;
    assert_int_equal(wl_rule_from_row(&row, &r), WL_OK);
    int got = wl_rule_covers(&r, cases[i].flow_app, "", &cases[i].f);
    if (got != cases[i].want)
      fail_msg("case %zu: covers %d, want %d", i, got, cases[i].want);
  }
}

static void test_exceptions(void **state) {
  (void)state;
  static const char *svchost = "\\device\\harddiskvolume3\\Windows\\System32\\svchost.exe";
  static const char *chrome = "C:\\Program Files\\Google\\chrome.exe";
  assert_true(wl_exception_covers(&(wl_flow){0}, "") == 0);
  wl_flow dns = flow(OUT, 17, "192.168.1.1", 53, 0), dns_tcp = flow(OUT, 6, "8.8.8.8", 53, 0);
  wl_flow dhcp = flow(OUT, 17, "255.255.255.255", 67, 0), dhcp6 = flow(OUT, 17, "ff02::1:2", 547, 0);
  wl_flow nd = flow(OUT, 58, "ff02::1", 0, 135), loop = flow(OUT, 6, "127.0.0.1", 8080, 0);
  wl_flow web = flow(OUT, 6, "1.2.3.4", 443, 0), in53 = flow(IN, 17, "1.2.3.4", 0, 53);
  wl_flow icmp4 = flow(OUT, 1, "1.2.3.4", 0, 8), igmp = flow(OUT, 2, "224.0.0.22", 0, 0);
  wl_flow mld = flow(IN, 58, "fe80::9", 0, 143);
  assert_true(wl_exception_covers(&dns, svchost) && wl_exception_covers(&dns_tcp, svchost));
  /* DNS is the DNS client's (svchost.exe), not any app's (issue 12, item 9) */
  assert_false(wl_exception_covers(&dns, chrome) || wl_exception_covers(&dns_tcp, ""));
  assert_true(wl_exception_covers(&dhcp, chrome) && wl_exception_covers(&dhcp6, ""));
  assert_true(wl_exception_covers(&nd, "") && wl_exception_covers(&loop, chrome));
  assert_true(wl_exception_covers(&igmp, "") && wl_exception_covers(&mld, ""));
  assert_false(wl_exception_covers(&web, chrome) || wl_exception_covers(&in53, svchost) ||
               wl_exception_covers(&icmp4, "") || wl_exception_covers(&web, svchost));
}

/* The identity (and so the filter keys) does not depend on how a rule was written. */
static void test_identity(void **state) {
  (void)state;
  wl_rule_row a, b;
  wl_rule ra, rb;
  char ia[4096], ib[4096];
  memset(&a, 0, sizeof a);
  strcpy(a.app_nt, "\\device\\harddiskvolume3\\x.exe");
  a.dir = WL_DIR_OUT;
  a.proto = 6;
  strcpy(a.ports, "443,80");
  strcpy(a.remotes, "1.2.3.4,10.0.0.0/8");
  b = a;
  strcpy(b.app_nt, "\\Device\\HarddiskVolume3\\X.EXE");
  strcpy(b.ports, "80,443,443");
  strcpy(b.remotes, "10.1.2.3/8,1.2.3.4/32");
  assert_int_equal(wl_rule_from_row(&a, &ra), WL_OK);
  assert_int_equal(wl_rule_from_row(&b, &rb), WL_OK);
  wl_rule_identity(&ra, ia, sizeof ia);
  wl_rule_identity(&rb, ib, sizeof ib);
  assert_string_equal(ia, ib);
  rb.proto = 17;
  wl_rule_identity(&rb, ib, sizeof ib);
  assert_string_not_equal(ia, ib);
}

/* The port and address sets against a plain model, for runs of random flows that repeat
 * (found again through the evidence's indexes) and that overflow: the ports kept are the first
 * 64 distinct ones, sorted, and the 65th sets the overflow; the addresses the first 64 distinct
 * (version and bytes), in order, each with the port of its first flow. */
static void test_evidence_sets(void **state) {
  (void)state;
  uint64_t x = 88172645463325252ull;
  for (int run = 0; run < 40; run++) {
    wl_evidence *evd = calloc(1, sizeof *evd);
    assert_non_null(evd);
    wl_evidence_init(evd);
    uint16_t mports[200];
    size_t nports = 0;
    int povf = 0;
    wl_evidence_addr maddrs[200];
    size_t naddrs = 0;
    int aovf = 0;
    unsigned port_pool = 10 + (unsigned)run * 3, addr_pool = 8 + (unsigned)run * 3;
    for (int i = 0; i < 3000; i++) {
      x ^= x << 13, x ^= x >> 7, x ^= x << 17;
      wl_flow f;
      memset(&f, 0, sizeof f);
      f.app_id = 1;
      f.dir = WL_DIR_OUT;
      f.proto = 6;
      f.action = WL_EVT_ALLOW;
      f.count = 1;
      f.ip_version = (x >> 20) & 1 ? 6 : 4;
      unsigned a = (unsigned)(x % addr_pool);
      f.remote_addr[0] = (uint8_t)(a * 37 + 1), f.remote_addr[1] = (uint8_t)(a >> 3);
      if (f.ip_version == 6)
        f.remote_addr[15] = (uint8_t)a;
      f.remote_port = (uint16_t)(1 + (x >> 32) % port_pool * 251);
      wl_evidence_add(evd, &f);
      /* the model */
      int seen = 0;
      for (size_t k = 0; k < nports; k++)
        seen |= mports[k] == f.remote_port;
      if (!seen && !povf) {
        if (nports == WL_EVIDENCE_MAX_PORTS)
          povf = 1;
        else
          mports[nports++] = f.remote_port;
      }
      seen = 0;
      for (size_t k = 0; k < naddrs; k++)
        seen |= maddrs[k].ip_version == f.ip_version && !memcmp(maddrs[k].addr, f.remote_addr, 16);
      if (!seen && !aovf) {
        if (naddrs == WL_EVIDENCE_MAX_ADDRS) {
          aovf = 1;
        } else {
          maddrs[naddrs].ip_version = f.ip_version;
          memcpy(maddrs[naddrs].addr, f.remote_addr, 16);
          maddrs[naddrs++].port = f.remote_port;
        }
      }
    }
    for (size_t i = 1; i < nports; i++) /* sort the model's ports */
      for (size_t k = i; k > 0 && mports[k - 1] > mports[k]; k--) {
        uint16_t t = mports[k];
        mports[k] = mports[k - 1];
        mports[k - 1] = t;
      }
    assert_int_equal(evd->n_ports, nports);
    assert_int_equal(evd->ports_overflow, povf);
    assert_memory_equal(evd->ports, mports, nports * sizeof mports[0]);
    assert_int_equal(evd->n_addrs, naddrs);
    assert_int_equal(evd->addrs_overflow, aovf);
    for (size_t i = 0; i < naddrs; i++) {
      assert_int_equal(evd->addrs[i].ip_version, maddrs[i].ip_version);
      assert_memory_equal(evd->addrs[i].addr, maddrs[i].addr, 16);
      assert_int_equal(evd->addrs[i].port, maddrs[i].port);
    }
    free(evd);
  }
}

/* wl_evidence_merge(a, b) against adding a's flows and then b's to one evidence: 60 runs of up
 * to 600 random flows split between the two at random (pools small and large, so sets fit in
 * some runs and overflow in others; drops over 2 to 6 filters, in some runs a few of one
 * attempt each so that filters tie). */
static void merge_flow(uint64_t *x, unsigned pool, wl_flow *f) {
  *x ^= *x << 13, *x ^= *x >> 7, *x ^= *x << 17;
  memset(f, 0, sizeof *f);
  f->app_id = 1;
  f->dir = WL_DIR_OUT;
  unsigned a = (unsigned)(*x % pool);
  f->proto = (uint8_t)(1 + (*x >> 8) % (pool / 8 + 1));
  f->action = (*x >> 12) & 1 ? WL_EVT_DROP : WL_EVT_ALLOW;
  f->last_filter_id = 70000 + (*x >> 16) % (2 + pool % 5);
  f->count = 1 + (*x >> 24) % 5;
  f->first_seen = 1000 + (*x >> 28) % 100000;
  f->last_seen = f->first_seen + (*x >> 40) % 1000;
  f->ip_version = (*x >> 20) & 1 ? 6 : 4;
  f->remote_addr[0] = (uint8_t)(a * 37 + 1), f->remote_addr[1] = (uint8_t)(a >> 3);
  f->remote_addr[2] = (uint8_t)(a % 11);
  if (f->ip_version == 6)
    f->remote_addr[15] = (uint8_t)a;
  f->remote_port = (uint16_t)(1 + (*x >> 32) % pool * 251);
}

static void test_evidence_merge(void **state) {
  (void)state;
  uint64_t x = 0x9e3779b97f4a7c15ull;
  wl_evidence *a = calloc(1, sizeof *a), *b = calloc(1, sizeof *b), *all = calloc(1, sizeof *all);
  assert_true(a && b && all);
  for (int run = 0; run < 60; run++) {
    wl_flow flows[600];
    unsigned pool = 4 + (unsigned)run * 3, n = 1 + (unsigned)(x % 600);
    int in_a[600], few = run % 4 == 1; /* a few drops of one each: filters tie */
    if (few)
      n = 2 + (unsigned)(x % 12);
    for (unsigned i = 0; i < n; i++) {
      merge_flow(&x, pool, &flows[i]);
      if (few)
        flows[i].count = 1;
      in_a[i] = run % 10 == 0 ? run % 20 == 0 : (x >> 50) % 3 != 0; /* some runs all one side */
    }
    wl_evidence_init(a);
    wl_evidence_init(b);
    wl_evidence_init(all);
    for (unsigned i = 0; i < n; i++)
      wl_evidence_add(in_a[i] ? a : b, &flows[i]);
    for (int pass = 1; pass >= 0; pass--) /* a's flows, then b's */
      for (unsigned i = 0; i < n; i++)
        if (in_a[i] == pass)
          wl_evidence_add(all, &flows[i]);
    wl_evidence_merge(a, b);
    assert_int_equal(a->allowed, all->allowed);
    assert_int_equal(a->blocked, all->blocked);
    assert_int_equal(a->flows, all->flows);
    assert_int_equal(a->public_flows, all->public_flows);
    assert_int_equal(a->first_seen, all->first_seen);
    assert_int_equal(a->last_seen, all->last_seen);
    assert_int_equal(a->protos_overflow, all->protos_overflow);
    assert_int_equal(a->ports_overflow, all->ports_overflow);
    assert_int_equal(a->addrs_overflow, all->addrs_overflow);
    assert_int_equal(a->prefixes_overflow, all->prefixes_overflow);
    assert_int_equal(a->n_protos, all->n_protos);
    assert_memory_equal(a->protos, all->protos, a->n_protos);
    assert_int_equal(a->n_addrs, all->n_addrs); /* the addresses in order, with their ports */
    for (uint32_t i = 0; i < a->n_addrs; i++) {
      assert_int_equal(a->addrs[i].ip_version, all->addrs[i].ip_version);
      assert_memory_equal(a->addrs[i].addr, all->addrs[i].addr, 16);
      assert_int_equal(a->addrs[i].port, all->addrs[i].port);
    }
    assert_int_equal(a->n_prefixes, all->n_prefixes);
    assert_memory_equal(a->prefixes, all->prefixes, a->n_prefixes * sizeof a->prefixes[0]);
    if (!all->ports_overflow) { /* an overflowed set's members say nothing but "many" */
      assert_int_equal(a->n_ports, all->n_ports);
      assert_memory_equal(a->ports, all->ports, a->n_ports * sizeof a->ports[0]);
    }
    uint64_t sum = a->other_filter_drops; /* every drop kept or summed */
    for (uint32_t i = 0; i < a->n_filters; i++)
      sum += a->filters[i].count;
    assert_int_equal(sum, a->blocked);
    if (!all->other_filter_drops) { /* every filter fit: the same, by drops then id */
      assert_int_equal(a->n_filters, all->n_filters);
      assert_int_equal(a->other_filter_drops, 0);
      assert_memory_equal(a->filters, all->filters, a->n_filters * sizeof a->filters[0]);
      for (uint32_t i = 1; i < a->n_filters; i++) /* whatever order the flows came in */
        assert_true(a->filters[i - 1].count > a->filters[i].count ||
                    (a->filters[i - 1].count == a->filters[i].count &&
                     a->filters[i - 1].filter_id < a->filters[i].filter_id));
    }
    wl_scope_choice ca = wl_scope_choose(a, WL_DIR_OUT, 0);
    wl_scope_choice cb = wl_scope_choose(all, WL_DIR_OUT, 0);
    assert_memory_equal(&ca, &cb, sizeof ca);
  }
  free(a);
  free(b);
  free(all);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_scope_table),   cmocka_unit_test(test_addr_local),
      cmocka_unit_test(test_proposal_rule),
      cmocka_unit_test(test_flags),         cmocka_unit_test(test_proposal_ids),
      cmocka_unit_test(test_ports_text),    cmocka_unit_test(test_remotes_text),
      cmocka_unit_test(test_covers),        cmocka_unit_test(test_exceptions),
      cmocka_unit_test(test_identity),      cmocka_unit_test(test_evidence_sets),
      cmocka_unit_test(test_evidence_merge),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
