/* test_wl_exceptions.c — review's idea of the essential exceptions (wl_exception_covers, which
 * sees only flows) against what enforce's exception filters really let through (the sim engine
 * with the persistent enforce set, inbound included).
 *
 * The invariant: a flow review hides as "an exception allows it anyway" must be permitted by
 * an exception filter under enforce; otherwise it would be blocked without ever having been
 * shown. Each case is one connection attempt, classified by the sim; the flow review sees is
 * built the way the store rolls it up (store/store.h: outbound keeps the remote port, inbound the
 * local port). Both answers are also compared with the expected ones in the table. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/wl_err.h"
#include "engine/engine.h"
#include "engine/sim/sim.h"
#include "whitelist/apply.h"
#include "whitelist/enforce.h"
#include "whitelist/rule.h"
#include "whitelist/whitelist_int.h"
#include "tests/support/test_files.h"

#define OUT WL_DIR_OUT
#define IN WL_DIR_IN

typedef struct xcase {
  const char *what;
  int dir, proto;
  const char *local, *remote; /* addresses */
  uint16_t lport, rport;      /* for ICMP: type in lport, code in rport (fwpmu.h) */
  int want_permit;            /* an exception filter permits the attempt under enforce */
  int want_hidden;            /* review hides the flow (wl_exception_covers) */
  const char *app, *package;  /* NULL: none */
} xcase;

#define SVCHOST WL_SIM_SVCHOST
#define CHROME "C:\\Program Files\\Google\\chrome.exe"
#define OTHER_PACKAGE "S-1-15-2-9-8-7-6-5-4-3"   /* an AppContainer Windows does not isolate */
#define REMOTE_PORT 3390                          /* the remote session's listener (moved) */

static const xcase cases[] = {
    {"dhcp4 client request", OUT, 17, "0.0.0.0", "255.255.255.255", 68, 67, 1, 1, NULL, NULL},
    {"udp to 67 from another port", OUT, 17, "10.0.0.5", "10.0.0.1", 5000, 67, 1, 1, NULL, NULL},
    {"tcp to 67", OUT, 6, "10.0.0.5", "10.0.0.1", 5000, 67, 0, 0, NULL, NULL},
    {"dhcp6 client request", OUT, 17, "fe80::1", "ff02::1:2", 546, 547, 1, 1, NULL, NULL},
    {"udp to 547 from another port", OUT, 17, "fe80::1", "ff02::1:2", 600, 547, 1, 1, NULL, NULL},
    {"dhcp4 server reply", IN, 17, "10.0.0.5", "10.0.0.1", 68, 67, 1, 1, NULL, NULL},
    {"udp to 68 from another port", IN, 17, "10.0.0.5", "10.0.0.9", 68, 999, 1, 1, NULL, NULL},
    {"udp to 69 from 67", IN, 17, "10.0.0.5", "10.0.0.1", 69, 67, 0, 0, NULL, NULL},
    {"dhcp6 server reply", IN, 17, "fe80::1", "fe80::2", 546, 547, 1, 1, NULL, NULL},
    {"dns udp", OUT, 17, "10.0.0.5", "8.8.8.8", 50000, 53, 1, 1, SVCHOST, NULL},
    {"dns tcp v6", OUT, 6, "2001:db8::5", "2001:4860::8888", 50000, 53, 1, 1, SVCHOST, NULL},
    /* DNS only for the DNS client (issue 12, item 9): an app's own port 53 needs a rule */
    {"dns from an app", OUT, 17, "10.0.0.5", "8.8.8.8", 50000, 53, 0, 0, CHROME, NULL},
    {"dns without an app", OUT, 17, "10.0.0.5", "8.8.8.8", 50000, 53, 0, 0, NULL, NULL},
    /* multicast membership: IGMP (v4), MLD (v6; an outbound flow's ICMP type is not kept) */
    {"igmp report", OUT, 2, "10.0.0.5", "224.0.0.22", 0, 0, 1, 1, NULL, NULL},
    {"igmp query in", IN, 2, "10.0.0.5", "10.0.0.1", 0, 0, 1, 1, NULL, NULL},
    {"mld report out", OUT, 58, "fe80::1", "ff02::16", 143, 0, 1, 0, NULL, NULL},
    {"mld query in", IN, 58, "fe80::1", "fe80::2", 130, 0, 1, 1, NULL, NULL},
    /* the baseline (kept): svchost's web and time, not the apps'; review still shows them */
    {"baseline: ncsi/update/crl", OUT, 6, "10.0.0.5", "13.107.4.52", 50000, 80, 1, 0, SVCHOST,
     NULL},
    {"baseline: https", OUT, 6, "10.0.0.5", "13.107.4.52", 50000, 443, 1, 0, SVCHOST, NULL},
    {"baseline: time", OUT, 17, "10.0.0.5", "168.61.215.74", 50000, 123, 1, 0, SVCHOST, NULL},
    {"time from an app", OUT, 17, "10.0.0.5", "168.61.215.74", 50000, 123, 0, 0, CHROME, NULL},
    /* AppContainer loopback: our hard loopback permit does not match a package; the soft
     * AppContainer-loopback permit keeps our block off it */
    {"appcontainer loopback", OUT, 6, "127.0.0.1", "127.0.0.1", 50000, 8080, 1, 1, CHROME,
     OTHER_PACKAGE},
    /* the remote desktop session enforce runs in: its listener stays reachable */
    {"remote session", IN, 6, "10.0.0.5", "10.0.0.77", REMOTE_PORT, 50000, 1, 0, SVCHOST, NULL},
    {"another listener", IN, 6, "10.0.0.5", "10.0.0.77", 3389, 50000, 0, 0, SVCHOST, NULL},
    {"inbound to 53", IN, 17, "10.0.0.5", "1.2.3.4", 53, 40000, 0, 0, NULL, NULL},
    {"loopback v4", OUT, 6, "127.0.0.1", "127.0.0.1", 50000, 8080, 1, 1, NULL, NULL},
    {"loopback v6", OUT, 6, "::1", "::1", 50000, 8080, 1, 1, NULL, NULL},
    {"neighbour solicitation in", IN, 58, "fe80::1", "fe80::2", 135, 0, 1, 1, NULL, NULL},
    /* the type of an outbound ICMP flow is not kept: shown although permitted (safe side) */
    {"neighbour solicitation out", OUT, 58, "fe80::1", "ff02::1:ff00:2", 135, 0, 1, 0, NULL, NULL},
    {"icmpv6 echo out", OUT, 58, "2001:db8::5", "2001:db8::9", 128, 0, 0, 0, NULL, NULL},
    {"web", OUT, 6, "10.0.0.5", "1.2.3.4", 50000, 443, 0, 0, NULL, NULL},
};

static void parse_addr(const char *s, uint8_t *ver, uint8_t addr[16]) {
  uint8_t len;
  if (wl_prefix_parse(s, strlen(s), ver, addr, &len) != WL_OK)
    fail_msg("address %s: %s", s, wl_errmsg());
}

static void attempt_of(const xcase *c, wl_attempt *a) {
  memset(a, 0, sizeof *a);
  a->ts = 133000000000000000ull;
  a->dir = (uint8_t)c->dir;
  a->proto = (uint8_t)c->proto;
  parse_addr(c->local, &a->ip_version, a->local_addr);
  parse_addr(c->remote, &a->ip_version, a->remote_addr);
  a->has_ports = 1;
  a->local_port = c->lport;
  a->remote_port = c->rport;
  wl_strlcpy(a->app, c->app ? c->app : "", sizeof a->app);
  wl_strlcpy(a->package, c->package ? c->package : "", sizeof a->package);
}

/* The flow as the store keeps it (store/store_write.c's flow key). */
static void flow_of(const wl_attempt *a, wl_flow *f) {
  memset(f, 0, sizeof *f);
  f->app_id = 1;
  f->dir = a->dir;
  f->proto = a->proto;
  f->ip_version = a->ip_version;
  memcpy(f->remote_addr, a->remote_addr, 16);
  f->remote_port = a->dir == WL_DIR_OUT ? a->remote_port : 0;
  f->local_port = a->dir == WL_DIR_IN ? a->local_port : 0;
  f->action = WL_EVT_ALLOW;
  f->count = 1;
}

static wl_engine *enforcing_engine(const char *state) {
  wl_engine *e = NULL;
  wl_filter *f = calloc(WL_ENFORCE_MAX_FILTERS, sizeof *f);
  size_t n = 0, added = 0, adopted = 0;
  char spec[600];
  snprintf(spec, sizeof spec, "sim:%s", state);
  assert_non_null(f);
  assert_int_equal(wl_engine_open(spec, 0, &e), WL_OK);
  assert_int_equal(wl_sim_set_file(e, CHROME, 1), WL_OK);
  wl_enforce_set *set = malloc(sizeof *set);
  assert_int_equal(wl_enforce_set_make(e, 1, 1, REMOTE_PORT, set), WL_OK);
  assert_int_equal(wl_enforce_filters(set, 1, f, WL_ENFORCE_MAX_FILTERS, &n), WL_OK);
  free(set);
  assert_int_equal(wl_engine_begin(e), WL_OK);
  assert_int_equal(wl_objects_ensure(e), WL_OK);
  assert_int_equal(wl_filters_put(e, f, n, &added, &adopted), WL_OK);
  assert_int_equal(wl_engine_commit(e), WL_OK);
  assert_int_equal(added, n);
  free(f);
  return e;
}

/* 1 when the deciding filter is one of enforce's permits. */
static int exception_permits(wl_engine *e, const wl_decision *d) {
  if (d->action != WL_ACTION_PERMIT || !d->filter_id)
    return 0;
  wl_filter *f = malloc(sizeof *f);
  assert_non_null(f);
  assert_int_equal(wl_engine_filter_get_by_id(e, d->filter_id, f), WL_OK);
  /* a permit of ours, or a lower sublayer's after our soft AppContainer-loopback permit (our
   * block, in the top sublayer, is final when it decides: no rules here) */
  wl_guid pk = wl_provider_key();
  int ours = (wl_enforce_owns(&f->key) && f->action == WL_ACTION_PERMIT) ||
             !wl_guid_eq(&f->provider, &pk);
  free(f);
  return ours;
}

static void test_review_agrees_with_enforce(void **state) {
  (void)state;
  char st[512];
  wl_test_remove_state(wl_test_path(st, sizeof st, "test_wl_exceptions.state"));
  wl_engine *e = enforcing_engine(st);
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    const xcase *c = &cases[i];
    wl_attempt a;
    wl_decision d;
    wl_flow f;
    attempt_of(c, &a);
    flow_of(&a, &f);
    assert_int_equal(wl_sim_classify(e, &a, &d), WL_OK);
    int permit = exception_permits(e, &d), hidden = wl_exception_covers(&f, a.app);
    if (hidden && !permit)
      fail_msg("%s: review hides it but enforce blocks it (filter %llu)", c->what,
               (unsigned long long)d.filter_id);
    if (permit != c->want_permit || hidden != c->want_hidden)
      fail_msg("%s: permitted %d hidden %d, want %d %d", c->what, permit, hidden,
               c->want_permit, c->want_hidden);
  }
  /* An AppContainer Windows isolates stays isolated on loopback: our soft permit leaves the
   * decision to Windows Service Hardening's block (issue 12, item 2). */
  static const xcase iso = {"isolated appcontainer loopback", OUT, 6, "127.0.0.1", "127.0.0.1",
                            50000, 8080, 0, 1, CHROME, WL_SIM_ISOLATED_PACKAGE};
  wl_attempt a;
  wl_decision d;
  attempt_of(&iso, &a);
  assert_int_equal(wl_sim_classify(e, &a, &d), WL_OK);
  assert_int_equal(d.action, WL_ACTION_BLOCK);
  assert_int_equal(d.filter_id, WL_SIM_ID_WSH_APPCONTAINER_V4);
  wl_engine_close(e);
  char more[600];
  remove(st);
  snprintf(more, sizeof more, "%s.lock", st);
  remove(more);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_review_agrees_with_enforce),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
