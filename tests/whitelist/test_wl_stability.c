/* test_wl_stability.c — review's stability figure (issue 15, item 2): a week of events written
 * to a store, one app per behaviour, and the figure review gives each proposal: the share of
 * the last day's traffic a rule learned from the days before would have let through, with the
 * reasons it missed the rest, or unknown when there is too little to say. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/wl_err.h"
#include "common/wl_os.h"
#include "tests/support/test_files.h"
#include "whitelist/proposal.h"

#define HOUR (3600ull * 10000000ull)
#define DAY (24 * HOUR)
#define T0 (134000000000000000ull) /* some day in 2025 */
#define SLOTS 28                   /* one event per app every 6 hours for 7 days */

/* Where app `app` connects in slot k (k >= 23 is after the cut: the last day). */
typedef struct behaviour {
  const char *name;
  const char *early, *late; /* "addr:port" before and after the cut; NULL = silent */
  int late_every;           /* after the cut, only every Nth slot (1 = all) */
  double want;              /* stability; < 0 = unknown */
  int want_unstable;
  uint32_t want_why;
} behaviour;

static const behaviour APPS[] = {
    /* the updater whose CDN moved: port-scoped, so the new hosts pass */
    {"updater", "8.8.1.%u:443", "8.8.2.%u:443", 1, 1.0, 0, 0},
    /* a LAN share that moved to another NAS: the pinned address misses it */
    {"nas", "192.168.1.10:445", "192.168.1.20:445", 1, 0.0, 1, WL_STABILITY_NEW_HOSTS},
    /* a public service that changed port */
    {"svc", "8.8.3.%u:443", "8.8.3.%u:8443", 1, 0.0, 1, WL_STABILITY_NEW_PORTS},
    /* first seen on the last day */
    {"newapp", NULL, "8.8.4.%u:443", 1, 0.0, 1, WL_STABILITY_NEW_PATH},
    /* two attempts after the cut: too little to say */
    {"rare", "192.168.1.30:9100", "192.168.1.31:9100", 3, -1, 0, 0},
};
#define N_APPS (sizeof APPS / sizeof APPS[0])

static void event_at(unsigned app, unsigned k, const char *pattern, wl_event *ev) {
  char ep[64];
  unsigned a = 0, b = 0, c = 0, d = 0, port = 0;
  snprintf(ep, sizeof ep, pattern, 1 + k % 3);
  assert_int_equal(sscanf(ep, "%u.%u.%u.%u:%u", &a, &b, &c, &d, &port), 5);
  wl_event_clear(ev);
  ev->ts = T0 + k * 6 * HOUR;
  ev->type = WL_EVT_ALLOW;
  ev->dir = WL_DIR_OUT;
  ev->ip_version = 4;
  ev->proto = 6;
  ev->remote_addr[0] = (uint8_t)a, ev->remote_addr[1] = (uint8_t)b;
  ev->remote_addr[2] = (uint8_t)c, ev->remote_addr[3] = (uint8_t)d;
  ev->remote_port = (uint16_t)port;
  ev->local_port = (uint16_t)(50000 + k);
  ev->filter_id = 65000;
  snprintf(ev->app, sizeof ev->app, "\\device\\harddiskvolume3\\apps\\%s.exe", APPS[app].name);
  snprintf(ev->app_dos, sizeof ev->app_dos, "C:\\apps\\%s.exe", APPS[app].name);
  ev->has = WL_HAS_PROTO | WL_HAS_REMOTE_ADDR | WL_HAS_LOCAL_PORT | WL_HAS_REMOTE_PORT |
            WL_HAS_APP | WL_HAS_IP_VERSION | WL_HAS_FILTER | WL_HAS_DIR;
}

static wl_store *week_store(char *path, size_t cap) {
  wl_store *s = NULL;
  char name[64];
  snprintf(name, sizeof name, "test_wl_stability_%u.db", (unsigned)wl_os_pid());
  wl_test_path(path, cap, name);
  wl_test_remove_db(path);
  assert_int_equal(wl_store_open(path, NULL, &s), WL_OK);
  wl_event *ev = calloc(SLOTS * N_APPS, sizeof *ev);
  size_t n = 0;
  assert_non_null(ev);
  for (unsigned k = 0; k < SLOTS; k++)
    for (unsigned i = 0; i < N_APPS; i++) {
      int late = k >= SLOTS - 5; /* the cut is one day before the last event: slot 23 */
      const char *pat = late ? APPS[i].late : APPS[i].early;
      if (pat && (!late || (k - (SLOTS - 5)) % APPS[i].late_every == 0))
        event_at(i, k, pat, &ev[n++]);
    }
  wl_batch_counters c = {0};
  assert_int_equal(wl_store_write(s, ev, n, &c), WL_OK);
  free(ev);
  return s;
}

static void test_week(void **state) {
  (void)state;
  char path[1024];
  wl_store *s = week_store(path, sizeof path);
  wl_proposal *p = NULL;
  size_t n = 0;
  assert_int_equal(wl_proposals_build(s, 0, &p, &n), WL_OK);
  assert_int_equal(n, N_APPS);
  for (size_t i = 0; i < n; i++) {
    const behaviour *b = NULL;
    for (size_t j = 0; j < N_APPS; j++)
      if (strstr(p[i].app, APPS[j].name))
        b = &APPS[j];
    assert_non_null(b);
    int unstable = (p[i].flags & WL_PROPOSAL_FLAG_UNSTABLE) != 0;
    if ((b->want < 0) != (p[i].stability < 0) ||
        (b->want >= 0 && (p[i].stability < b->want - 1e-9 || p[i].stability > b->want + 1e-9)) ||
        unstable != b->want_unstable || p[i].unstable_why != b->want_why)
      fail_msg("%s: stability %.3f unstable %d why 0x%x; want %.3f %d 0x%x", b->name,
               p[i].stability, unstable, p[i].unstable_why, b->want, b->want_unstable,
               b->want_why);
  }
  wl_proposals_free(p);
  /* --since after the cut: the window left is too short to split (< 6 hours) */
  assert_int_equal(wl_proposals_build(s, T0 + (SLOTS - 1) * 6 * HOUR - HOUR, &p, &n), WL_OK);
  for (size_t i = 0; i < n; i++)
    assert_true(p[i].stability < 0 && !(p[i].flags & WL_PROPOSAL_FLAG_UNSTABLE));
  wl_proposals_free(p);
  /* one proposal fetched alone (promote's path) computes none */
  wl_proposal one;
  assert_int_equal(wl_proposal_get(s, wl_proposal_id(1, WL_DIR_OUT), &one), WL_OK);
  assert_true(one.stability < 0);
  wl_store_close(s);
  wl_test_remove_db(path);
}

static void test_cut(void **state) {
  (void)state;
  assert_int_equal(wl_stability_cut(T0, T0 + 5 * HOUR), 0);     /* under 6 hours */
  assert_int_equal(wl_stability_cut(T0, T0), 0);
  assert_int_equal(wl_stability_cut(T0 + DAY, T0), 0);
  assert_int_equal(wl_stability_cut(T0, T0 + 7 * DAY), T0 + 6 * DAY); /* the last day */
  assert_int_equal(wl_stability_cut(T0, T0 + 5 * DAY), T0 + 4 * DAY);
  assert_int_equal(wl_stability_cut(T0, T0 + 2 * DAY), T0 + 2 * DAY - 2 * DAY / 5); /* fifth */
  assert_int_equal(wl_stability_cut(T0, T0 + 10 * HOUR), T0 + 8 * HOUR);
  char buf[96];
  wl_stability_why_text(WL_STABILITY_NEW_HOSTS | WL_STABILITY_NEW_PATH, buf, sizeof buf);
  assert_string_equal(buf, "new hosts, new path");
  wl_stability_why_text(0, buf, sizeof buf);
  assert_string_equal(buf, "");
  assert_string_equal(wl_proposal_flag_name(WL_PROPOSAL_FLAG_UNSTABLE), "unstable");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_cut),
      cmocka_unit_test(test_week),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
