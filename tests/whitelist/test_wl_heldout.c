/* test_wl_heldout.c — issue 15's held-out check, end to end on the sim engine through
 * wfplearn's commands: learn a week of 7 apps, promote an updater (3 public CDN hosts on 443), a
 * browser (many public hosts, 80 and 443) and an inbound dev server (LAN peers, TCP 3000), ask
 * `enforce --dry-run --inbound --json` what enforcing would do to the learned week, enforce and
 * confirm, then learn a NEW day on which every public host (and every LAN peer) is another one.
 *
 * It fails when: the scope pinned a public address (the updater or the browser is blocked on
 * the new day); the dry-run's verdict per app and direction differs from what the sim then
 * decided on the new day (its arbitration is engine/arbitrate.c, the sim's: a second guess
 * would drift); the dry-run changes the engine or the store; a deleted app's file breaks the
 * backtest instead of being counted; a bad --since is not refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/wl_err.h"
#include "common/wl_json.h"
#include "common/wl_text.h"
#include "engine/sim/sim.h"
#include "store/store.h"
#include "tests/support/test_wl_world.h"
#include "whitelist/enforce.h"
#include "whitelist/proposal.h"

#define APPS      7
#define PER_DAY   20 /* attempts per app per day */
#define WEEK_DAYS 7
#define DAY       (86400ull * WL_TICKS_PER_SEC)

typedef struct app_def {
  const char *path, *json_path, *name;
  int in, promote;
} app_def;

static const app_def apps[APPS] = {
    {"C:\\Program Files\\Upd\\updater.exe", "C:\\\\Program Files\\\\Upd\\\\updater.exe",
     "updater.exe", 0, 1},
    {"C:\\Program Files\\Browser\\browser.exe", "C:\\\\Program Files\\\\Browser\\\\browser.exe",
     "browser.exe", 0, 1},
    {"C:\\Dev\\devserver.exe", "C:\\\\Dev\\\\devserver.exe", "devserver.exe", 1, 1},
    {"C:\\Apps\\chat.exe", "C:\\\\Apps\\\\chat.exe", "chat.exe", 0, 0},
    {"C:\\Games\\game.exe", "C:\\\\Games\\\\game.exe", "game.exe", 0, 0},
    {"C:\\Apps\\backup.exe", "C:\\\\Apps\\\\backup.exe", "backup.exe", 0, 0},
    {"C:\\Apps\\sync.exe", "C:\\\\Apps\\\\sync.exe", "sync.exe", 1, 0},
};

/* Which app a recorded or reported path is (paths come back lower-cased), or -1. */
static int app_of(const char *path) {
  char low[WL_PATH_MAX];
  size_t i = 0;
  for (; path[i] && i + 1 < sizeof low; i++)
    low[i] = (char)(path[i] >= 'A' && path[i] <= 'Z' ? path[i] + 32 : path[i]);
  low[i] = 0;
  for (int a = 0; a < APPS; a++) {
    size_t n = strlen(apps[a].name), m = strlen(low);
    if (m >= n && !strcmp(low + m - n, apps[a].name))
      return a;
  }
  return -1;
}

/* Attempt k of app a on day d; `fresh`: the held-out day, where every host is another one. */
static void line(FILE *f, int a, unsigned d, unsigned k, uint64_t t0, int fresh) {
  char ts[WL_TIME_STR_MAX], local[64], remote[64];
  uint64_t t =
      t0 + d * DAY + (uint64_t)k * 1800 * WL_TICKS_PER_SEC + (uint64_t)a * WL_TICKS_PER_SEC;
  unsigned eph = 49152 + (d * 131 + k * 17 + (unsigned)a * 7) % 16000;
  const char *proto = "tcp";
  wl_time_format(t, ts);
  snprintf(local, sizeof local, "10.0.0.2:%u", eph);
  switch (a) {
  case 0: /* the updater: its CDN answers from 3 hosts, others on the new day */
    snprintf(remote, sizeof remote, fresh ? "198.51.100.%u:443" : "203.0.113.%u:443", 10 + k % 3);
    break;
  case 1: /* a browser: 40 hosts, 443 and 80 */
    snprintf(remote, sizeof remote, fresh ? "151.101.%u.%u:%u" : "93.184.%u.%u:%u", k % 10,
             1 + d % 4, k % 4 ? 443 : 80);
    break;
  case 2: /* a dev server: LAN peers connect to TCP 3000 */
    snprintf(local, sizeof local, "192.168.1.23:3000");
    snprintf(remote, sizeof remote, "192.168.1.%u:%u", (fresh ? 60 : 10) + k % 5, eph);
    break;
  case 3:
    proto = "udp";
    snprintf(remote, sizeof remote, fresh ? "34.2.%u.9:3478" : "52.1.%u.9:3478", k % 3);
    break;
  case 4:
    snprintf(remote, sizeof remote, fresh ? "146.66.%u.2:27015" : "185.60.%u.2:27015", k % 4);
    break;
  case 5: /* a NAS on the LAN */
    snprintf(remote, sizeof remote, "192.168.1.5:445");
    break;
  default: /* a sync listener */
    snprintf(local, sizeof local, "192.168.1.23:22000");
    snprintf(remote, sizeof remote, "192.168.1.%u:%u", (fresh ? 70 : 30) + k % 3, eph);
  }
  fprintf(f,
          "{\"ts\":\"%s\",\"app\":\"%s\",\"dir\":\"%s\",\"proto\":\"%s\",\"local\":\"%s\","
          "\"remote\":\"%s\",\"user\":\"%s\"}\n",
          ts, apps[a].json_path, apps[a].in ? "in" : "out", proto, local, remote, WORLD_USER);
}

static void write_days(const char *path, uint64_t t0, unsigned days, int fresh) {
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  for (unsigned d = 0; d < days; d++)
    for (unsigned k = 0; k < PER_DAY; k++)
      for (int a = 0; a < APPS; a++)
        line(f, a, d, k, t0, fresh);
  assert_int_equal(fclose(f), 0);
}

static void learn(const world *w, const char *traffic) {
  char src[WORLD_PATH + 8];
  snprintf(src, sizeof src, "sim:%s", traffic);
  assert_int_equal(world_run(w, "learn", "--source", src, NULL), 0);
}

static wl_store *open_store(const world *w) {
  wl_store *s = NULL;
  if (wl_store_open(w->db, NULL, &s))
    fail_msg("store %s: %s", w->db, wl_errmsg());
  return s;
}

/* ---------------------------------------------------------------- verdicts */

typedef struct tally {
  uint64_t allowed[APPS], blocked[APPS];
  int missing[APPS];
  uint64_t events, would_block, by_block, apps_missing;
} tally;

/* `enforce --dry-run --inbound --json` in a child process, parsed. */
static void dry_run(const world *w, tally *t) {
  static char out[1 << 16];
  memset(t, 0, sizeof *t);
  assert_int_equal(world_spawn_wait(w, 30000, "enforce", "--dry-run", "--inbound", "--json", NULL),
                   0);
  assert_true(world_read(w->scratch, out, sizeof out) > 0);
  /* the child's stderr shares the file: on Windows it says first that the engine is the sim */
  const char *json = out[0] == '{' ? out : strstr(out, "\n{");
  assert_non_null(json);
  json += json[0] == '\n';
  wl_json_arena ar = {0};
  const wl_json *doc = NULL;
  wl_json_error err;
  if (wl_json_parse(&ar, json, strlen(json), &doc, &err))
    fail_msg("enforce --dry-run --json: %s in %s", wl_errmsg(), out);
  uint64_t v = 0;
  assert_int_equal(wl_json_uint64(wl_json_get(doc, "events"), &t->events), WL_OK);
  assert_int_equal(wl_json_uint64(wl_json_get(doc, "would_block"), &t->would_block), WL_OK);
  assert_int_equal(wl_json_uint64(wl_json_get(doc, "apps_missing"), &t->apps_missing), WL_OK);
  assert_int_equal(wl_json_uint64(wl_json_get(doc, "by_block"), &t->by_block), WL_OK);
  const wl_json *list = wl_json_get(doc, "apps");
  assert_non_null(list);
  for (const wl_json *o = list->child; o; o = o->next) {
    int a = app_of(wl_json_string(wl_json_get(o, "app")));
    assert_true(a >= 0);
    assert_string_equal(wl_json_string(wl_json_get(o, "dir")), apps[a].in ? "in" : "out");
    assert_int_equal(wl_json_uint64(wl_json_get(o, "allowed"), &v), WL_OK);
    t->allowed[a] += v;
    assert_int_equal(wl_json_uint64(wl_json_get(o, "blocked"), &v), WL_OK);
    t->blocked[a] += v;
    t->missing[a] = wl_json_get(o, "missing")->type == WL_JSON_TRUE;
  }
  wl_json_arena_free(&ar);
}

static int count_event(void *ctx, const wl_event *ev) {
  tally *t = ctx;
  if (!wl_event_is_connection(ev))
    return 0; /* the FLOW_ESTABLISHED twin of an allow */
  int a = app_of(ev->app_dos[0] ? ev->app_dos : ev->app);
  assert_true(a >= 0);
  t->events++;
  if (ev->type == WL_EVT_ALLOW)
    t->allowed[a]++;
  else
    t->blocked[a]++;
  return 0;
}

/* What the sim decided for the recorded events since `since`. */
static void recorded(const world *w, uint64_t since, tally *t) {
  memset(t, 0, sizeof *t);
  wl_store *s = open_store(w);
  assert_int_equal(wl_store_events(s, since, 0, count_event, t), WL_OK);
  wl_store_close(s);
}

/* ---------------------------------------------------------------- the check */

static void promote_three(const world *w) {
  wl_store *s = open_store(w);
  wl_proposal *p = NULL;
  size_t n = 0;
  char ids[3][24];
  int k = 0;
  assert_int_equal(wl_proposals_build(s, 0, &p, &n), WL_OK);
  assert_int_equal(n, APPS);
  for (size_t i = 0; i < n; i++) {
    int a = app_of(p[i].app);
    assert_true(a >= 0);
    if (a < 2) /* public hosts: never pinned (issue 15, item 1) */
      assert_int_equal(p[i].choice.scope, WL_SCOPE_PORT);
    if (apps[a].promote)
      snprintf(ids[k++], sizeof ids[0], "%lld", (long long)p[i].id);
  }
  wl_proposals_free(p);
  wl_store_close(s);
  assert_int_equal(k, 3);
  assert_int_equal(world_run(w, "promote", ids[0], ids[1], ids[2], NULL), 0);
}

static void test_heldout(void **state) {
  (void)state;
  world w;
  world_init(&w, "heldout", 3);
  uint64_t t0 = 0;
  assert_int_equal(wl_time_parse("2026-11-02T00:00:00Z", 20, &t0), WL_OK);
  uint64_t t_new = t0 + (WEEK_DAYS + 1) * DAY;
  write_days(w.traffic, t0, WEEK_DAYS, 0);
  write_days(w.replay, t_new, 1, 1);
  learn(&w, w.traffic);
  promote_three(&w);

  /* The backtest on the learned week, before enforcing: the three pass, the rest are blocked. */
  size_t before = world_count_filters(&w, NULL);
  tally dry;
  dry_run(&w, &dry);
  assert_int_equal(dry.events, APPS * WEEK_DAYS * PER_DAY);
  assert_int_equal(dry.apps_missing, 0);
  for (int a = 0; a < APPS; a++) {
    uint64_t all = WEEK_DAYS * PER_DAY;
    assert_int_equal(dry.allowed[a], apps[a].promote ? all : 0);
    assert_int_equal(dry.blocked[a], apps[a].promote ? 0 : all);
  }
  assert_int_equal(dry.would_block, 4 * WEEK_DAYS * PER_DAY);
  assert_int_equal(dry.by_block, dry.would_block); /* with --inbound, all by our default block */
  size_t enforce_filters = 1;
  assert_int_equal(world_count_filters(&w, &enforce_filters), before); /* nothing added */
  assert_int_equal(enforce_filters, 0);
  assert_int_equal(world_run(&w, "enforce", "--dry-run", "--since", "yesterday", NULL), 1);
  assert_int_equal(world_run(&w, "enforce", "--json", NULL), 1); /* --json: dry-run only */

  /* A file gone since: counted, reported, still replayed (and still blocked). */
  wl_engine *e = world_engine(&w);
  assert_int_equal(wl_sim_set_file(e, apps[4].path, 0), WL_OK);
  wl_engine_close(e);
  tally gone;
  dry_run(&w, &gone);
  assert_int_equal(gone.apps_missing, 1);
  assert_true(gone.missing[4]);
  assert_int_equal(gone.blocked[4], dry.blocked[4]);
  assert_int_equal(gone.would_block, dry.would_block);

  /* Enforce for real, inbound too, then the new day on which every host is another one. */
  assert_int_equal(world_run(&w, "enforce", "--confirm-within", "60", "--inbound", NULL), 0);
  assert_int_equal(world_run(&w, "confirm", NULL), 0);
  learn(&w, w.replay);
  tally day;
  recorded(&w, t_new, &day);
  assert_int_equal(day.events, APPS * PER_DAY);
  for (int a = 0; a < APPS; a++) {
    if (apps[a].promote && day.blocked[a])
      fail_msg("%s: %llu of %d attempts blocked on the new day (scope pinned to the week's "
               "hosts?)",
               apps[a].name, (unsigned long long)day.blocked[a], PER_DAY);
    assert_int_equal(day.allowed[a], apps[a].promote ? PER_DAY : 0);
    /* the dry-run's verdict on the week is the new day's verdict */
    int dry_pass = dry.allowed[a] > 0 && dry.blocked[a] == 0;
    int day_pass = day.allowed[a] > 0 && day.blocked[a] == 0;
    if (dry_pass != day_pass)
      fail_msg("%s: enforce --dry-run said %s, the new day %s", apps[a].name,
               dry_pass ? "allowed" : "blocked", day_pass ? "allowed" : "blocked");
  }

  /* The rest wait in review, blocked by our default block. */
  wl_store *s = open_store(&w);
  wl_proposal *p = NULL;
  size_t n = 0;
  assert_int_equal(wl_proposals_build(s, t_new, &p, &n), WL_OK);
  assert_int_equal(n, APPS - 3);
  for (size_t i = 0; i < n; i++) {
    int a = app_of(p[i].app);
    assert_true(a >= 0 && !apps[a].promote);
    assert_int_equal(p[i].evidence.blocked, PER_DAY);
    assert_int_equal(p[i].evidence.allowed, 0);
  }
  wl_proposals_free(p);
  wl_store_close(s);
  world_remove(&w);
}

/* ---------------------------------------------------------------- same traffic, exact counts */

typedef struct world_tally {
  uint64_t allowed[WORLD_APPS], blocked[WORLD_APPS];
} world_tally;

static int world_event(void *ctx, const wl_event *ev) {
  world_tally *t = ctx;
  int a = world_app_index(ev->app);
  if (!wl_event_is_connection(ev) || a < 0)
    return 0;
  if (ev->type == WL_EVT_ALLOW)
    t->allowed[a]++;
  else
    t->blocked[a]++;
  return 0;
}

/* The story tests' world (20 apps, every endpoint pattern, 4 listeners): promote 3 with the
 * proposed scope and 2 pinned to their remotes, dry-run, enforce, replay the same traffic 30
 * days later. The dry-run's counts per app must be the sim's counts, attempt for attempt. */
static void test_same_traffic_same_counts(void **state) {
  (void)state;
  static const unsigned pick[5] = {0, 2, 16, 5, 7};
  world w;
  world_init(&w, "samecounts", 17);
  learn(&w, w.traffic);
  wl_store *s = open_store(&w);
  wl_proposal *p = NULL;
  size_t n = 0;
  char ids[5][24];
  assert_int_equal(wl_proposals_build(s, 0, &p, &n), WL_OK);
  for (int k = 0; k < 5; k++)
    for (size_t i = 0; i < n; i++)
      if (world_app_index(p[i].app) == (int)pick[k])
        snprintf(ids[k], sizeof ids[k], "%lld", (long long)p[i].id);
  wl_proposals_free(p);
  wl_store_close(s);
  assert_int_equal(world_run(&w, "promote", ids[0], ids[1], ids[2], NULL), 0);
  assert_int_equal(world_run(&w, "promote", ids[3], ids[4], "--scope", "remote", NULL), 0);
  static char out[1 << 16];
  assert_int_equal(world_spawn_wait(&w, 30000, "enforce", "--dry-run", "--inbound", "--json", NULL),
                   0);
  assert_true(world_read(w.scratch, out, sizeof out) > 0);
  const char *json = out[0] == '{' ? out : strstr(out, "\n{");
  assert_non_null(json);
  json += json[0] == '\n';
  wl_json_arena ar = {0};
  const wl_json *doc = NULL;
  wl_json_error err;
  assert_int_equal(wl_json_parse(&ar, json, strlen(json), &doc, &err), WL_OK);
  world_tally dry = {0}, day = {0};
  for (const wl_json *o = wl_json_get(doc, "apps")->child; o; o = o->next) {
    int a = world_app_index(wl_json_string(wl_json_get(o, "app")));
    assert_true(a >= 0);
    assert_int_equal(wl_json_uint64(wl_json_get(o, "allowed"), &dry.allowed[a]), WL_OK);
    assert_int_equal(wl_json_uint64(wl_json_get(o, "blocked"), &dry.blocked[a]), WL_OK);
  }
  wl_json_arena_free(&ar);
  assert_int_equal(world_run(&w, "enforce", "--confirm-within", "60", "--inbound", NULL), 0);
  assert_int_equal(world_run(&w, "confirm", NULL), 0);
  learn(&w, w.replay);
  s = open_store(&w);
  assert_int_equal(wl_store_events(s, w.t1, 0, world_event, &day), WL_OK);
  wl_store_close(s);
  uint64_t passed = 0;
  for (unsigned a = 0; a < WORLD_APPS; a++) {
    if (dry.allowed[a] != day.allowed[a] || dry.blocked[a] != day.blocked[a])
      fail_msg("app %u: dry-run allowed %llu blocked %llu, the sim %llu and %llu", a,
               (unsigned long long)dry.allowed[a], (unsigned long long)dry.blocked[a],
               (unsigned long long)day.allowed[a], (unsigned long long)day.blocked[a]);
    assert_int_equal(day.allowed[a] + day.blocked[a], w.attempts[a]);
    passed += day.blocked[a] == 0;
  }
  assert_int_equal(passed, 5); /* the five promoted, whatever their scope */
  world_remove(&w);
}

static int heldout_tests(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_heldout),
                                     cmocka_unit_test(test_same_traffic_same_counts)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}

int main(int argc, char **argv) { return world_main(argc, argv, heldout_tests); }
