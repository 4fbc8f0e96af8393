/* test_capture_cli.c — `wfplearn learn` through the real command line (wl_cli_main): exit codes
 * of usage errors (1), --help (0), a replay with --record (events stored = lines recorded), a
 * sim run with --no-allow (only the blocked inbound attempts become events), --duration on the
 * wfp source (returns by itself, options restored), `status` showing the drops a lossy capture
 * counted, --retain pruning raw events but not flows, and (`test_capture_cli signal`) SIGTERM in
 * the middle of a run: exit 0, last batch flushed, options restored. Files live in
 * $WL_BUILD_DIR. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include "common/wl_thread.h"
#include <signal.h>

#include "cli/cli.h"
#include "cli/main.h"
#include "common/wl_err.h"
#include "common/wl_os.h"
#include "common/wl_text.h"
#include "store/store.h"
#include "capture/capture.h"
#include "tests/support/gen_traffic.h"
#include "engine/engine.h"
#include "tests/support/test_files.h"

static char db[1024], state[1024], engine[1100], traffic[1024], rec[1024];

/* wfplearn --db DB --engine sim:STATE learn EXTRA... (extra ends with NULL, at most 6) */
static int run_list(const char *const *extra) {
  char *argv[13] = {"wfplearn", "--db", db, "--engine", engine, "learn"};
  int argc = 6;
  for (int i = 0; i < 6 && extra[i]; i++)
    argv[argc++] = (char *)extra[i];
  argv[argc] = NULL;
  return wl_cli_main(argc, argv);
}

static int run(const char *a1, const char *a2, const char *a3, const char *a4, const char *a5) {
  const char *extra[] = {a1, a2, a3, a4, a5, NULL};
  return run_list(extra);
}

static uint64_t store_events(void) {
  wl_store *s;
  wl_store_stats st;
  assert_int_equal(wl_store_open(db, NULL, &s), 0);
  assert_int_equal(wl_store_stats_get(s, &st), 0);
  wl_store_close(s);
  return st.events;
}

static uint64_t count_lines(const char *path, const char *needle) {
  FILE *f = fopen(path, "rb");
  char line[4096];
  uint64_t n = 0;
  assert_non_null(f);
  while (fgets(line, sizeof line, f))
    n += !needle || strstr(line, needle) != NULL;
  fclose(f);
  return n;
}

static void fresh(void) {
  char p[1100];
  remove(db);
  snprintf(p, sizeof p, "%s-wal", db);
  remove(p);
  snprintf(p, sizeof p, "%s-shm", db);
  remove(p);
  remove(state);
}

static void test_usage(void **s) {
  (void)s;
  fresh();
  assert_int_equal(run("--help", NULL, NULL, NULL, NULL), 0);
  assert_int_equal(run("--bogus", NULL, NULL, NULL, NULL), 1);
  assert_int_equal(run("--duration", "soon", NULL, NULL, NULL), 1);
  assert_int_equal(run("--speed", "-1", NULL, NULL, NULL), 1);
  assert_int_equal(run("--source", NULL, NULL, NULL, NULL), 1);
  assert_int_equal(run("--source", "replay:/nonexistent/x.jsonl", NULL, NULL, NULL), 1);
  assert_int_equal(run("--source", "carrier-pigeon", NULL, NULL, NULL), 1);
  assert_int_equal(run("--ring", "1000", "--source", "sim:x", NULL), 1); /* not a power of 2 */
}

static long file_size(const char *path) {
  FILE *f = fopen(path, "rb");
  assert_non_null(f);
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fclose(f);
  return n;
}

/* issue 18 item 6: --record naming the source or the store (or a link to it) is refused by
 * file identity; both are left as they were. */
static void test_record_is_not_source_or_store(void **s) {
  (void)s;
  char src[1100], link[1100];
  fresh();
  assert_int_equal(wl_gen_traffic(traffic, 500, 5, 3), 0);
  snprintf(src, sizeof src, "sim:%s", traffic);
  /* issue 18 (Low): out-of-range numbers are refused, not converted (undefined behaviour) */
  assert_int_equal(run("--ring", "0", "--source", src, NULL), 1);
  assert_int_equal(run("--ring", "1e30", "--source", src, NULL), 1);
  assert_int_equal(run("--retain-mb", "1e30", "--source", src, NULL), 1);
  assert_int_equal(run("--source", src, NULL, NULL, NULL), 0);
  uint64_t stored = store_events();
  long tsize = file_size(traffic), dsize = file_size(db);
  assert_int_equal(run("--source", src, "--record", traffic, NULL), 1);
  assert_int_equal(file_size(traffic), tsize);
  assert_int_equal(run("--source", src, "--record", db, NULL), 1);
  assert_int_equal(file_size(db), dsize);
  assert_int_equal(store_events(), stored);
  /* another name of the store */
  snprintf(link, sizeof link, "%s.hardlink", db);
  remove(link);
  if (wl_test_hardlink(db, link) == 0) {
    assert_int_equal(run("--source", src, "--record", link, NULL), 1);
    assert_int_equal(file_size(db), dsize);
    remove(link);
  }
  char rsrc[1100];
  snprintf(rsrc, sizeof rsrc, "replay:%s", rec);
  wl_test_write_file(rec, "");
  assert_int_equal(run("--source", rsrc, "--record", rec, NULL), 1);
}

static void test_sim_no_allow_then_replay(void **s) {
  (void)s;
  char src[1100];
  fresh();
  assert_int_equal(wl_gen_traffic(traffic, 5000, 20, 9), 0);
  snprintf(src, sizeof src, "sim:%s", traffic);
  assert_int_equal(run("--source", src, "--no-allow", "--record", rec), 0);
  uint64_t inbound = count_lines(traffic, "\"dir\":\"in\"");
  assert_true(inbound > 0 && inbound < 5000);
  assert_int_equal(store_events(), inbound); /* outbound allows were not asked for */
  assert_int_equal(count_lines(rec, NULL), inbound);

  fresh();
  snprintf(src, sizeof src, "replay:%s", rec);
  assert_int_equal(run("--source", src, NULL, NULL, NULL), 0);
  assert_int_equal(store_events(), inbound);
}

/* issue 18 item 4 end to end: a replayed record dated 9999 is not stored and moves neither
 * last_seen nor the retention window; the others are all kept. */
static void test_future_record_replayed(void **s) {
  (void)s;
  char src[1100];
  fresh();
  assert_int_equal(wl_gen_traffic(traffic, 200, 5, 4), 0);
  snprintf(src, sizeof src, "sim:%s", traffic);
  remove(rec);
  assert_int_equal(run("--source", src, "--record", rec, NULL), 0);
  static char text[1 << 20];
  FILE *f = fopen(rec, "rb");
  assert_non_null(f);
  size_t n = fread(text, 1, sizeof text - 1, f);
  fclose(f);
  text[n] = 0;
  char *second = strchr(text, '\n') + 1, *ts = strstr(second, "\"ts\":\"") + 6;
  memcpy(ts, "9999", 4); /* 2026-... -> 9999-... */
  wl_test_write_file(rec, text);
  fresh();
  snprintf(src, sizeof src, "replay:%s", rec);
  assert_int_equal(run("--source", src, NULL, NULL, NULL), 0);
  assert_int_equal(store_events(), count_lines(rec, NULL) - 1);
  wl_store *st;
  wl_store_stats x;
  assert_int_equal(wl_store_open(db, NULL, &st), 0);
  assert_int_equal(wl_store_stats_get(st, &x), 0);
  wl_store_close(st);
  assert_true(x.last_ts < wl_time_now());
  assert_int_equal(x.events_kept, x.events);
}

static void test_duration_wfp(void **s) {
  (void)s;
  fresh();
  uint64_t t0 = wl_time_mono_ns();
  assert_int_equal(run("--duration", "1s", NULL, NULL, NULL), 0);
  assert_true(wl_time_mono_ns() - t0 >= 900000000ULL);
  wl_store *st;
  char buf[64];
  assert_int_equal(wl_store_open(db, NULL, &st), 0);
  assert_int_equal(wl_store_meta_get(st, WL_META_CAPTURE_STATE, buf, sizeof buf), 0);
  assert_string_equal(buf, "stopped");
  assert_int_equal(wl_store_meta_get(st, WL_META_SAVED_OPTIONS, buf, sizeof buf), 0);
  assert_string_equal(buf, ""); /* restored */
  wl_store_close(st);
}

static void sim_opts(int set, uint32_t *collect, uint32_t *kw) {
  wl_engine *e;
  assert_int_equal(wl_engine_open(engine, 0, &e), 0);
  if (set) {
    assert_int_equal(wl_engine_set_option(e, WL_OPT_COLLECT_NET_EVENTS, *collect), 0);
    assert_int_equal(wl_engine_set_option(e, WL_OPT_NET_EVENT_MATCH_ANY_KEYWORDS, *kw), 0);
  } else {
    assert_int_equal(wl_engine_get_option(e, WL_OPT_COLLECT_NET_EVENTS, collect), 0);
    assert_int_equal(wl_engine_get_option(e, WL_OPT_NET_EVENT_MATCH_ANY_KEYWORDS, kw), 0);
  }
  wl_engine_close(e);
}

static void *term_later(void *arg) {
  (void)arg;
  wl_sleep_ms(1500);
  raise(SIGTERM); /* what `kill PID` or a service stop sends; Ctrl+C takes the same path */
  return NULL;
}

/* SIGTERM in the middle of a sim run in recorded time (20 s of traffic): learn returns 0 long
 * before the file's end, every stored event was recorded (the last batch was flushed before the
 * record file closed), the store says stopped and the engine options are what they were. */
static void test_sigterm_mid_run(void **s) {
  (void)s;
  char src[1100];
  uint32_t collect = 0, kw = 0;
  wl_thread t;
  fresh();
  assert_int_equal(wl_gen_traffic(traffic, 20000, 20, 11), 0); /* 1 ms apart */
  sim_opts(1, &collect, &kw);
  snprintf(src, sizeof src, "sim:%s", traffic);
  uint64_t t0 = wl_time_mono_ns();
  assert_int_equal(wl_thread_start(&t, term_later, NULL), 0);
  const char *args[] = {"--source", src, "--speed", "1", "--record", rec, NULL};
  assert_int_equal(run_list(args), 0);
  wl_thread_join(&t);
  assert_true(wl_time_mono_ns() - t0 < 15000000000ULL); /* stopped by the signal */
  uint64_t stored = store_events();
  assert_true(stored > 0 && stored < 20000);
  assert_int_equal(count_lines(rec, NULL), stored);
  collect = kw = 99;
  sim_opts(0, &collect, &kw);
  assert_int_equal(collect, 0);
  assert_int_equal(kw, 0);
  wl_store *st;
  char buf[64];
  assert_int_equal(wl_store_open(db, NULL, &st), 0);
  assert_int_equal(wl_store_meta_get(st, WL_META_CAPTURE_STATE, buf, sizeof buf), 0);
  assert_string_equal(buf, "stopped");
  assert_int_equal(wl_store_meta_get(st, WL_META_SAVED_OPTIONS, buf, sizeof buf), 0);
  assert_string_equal(buf, "");
  wl_store_close(st);
}

/* `status` of a store a lossy capture wrote (the live engine's drop-on-full callback on a tiny
 * ring): the drops it shows, text and --json, are the ones the session counted. */
/* --retain: raw events older than newest-minus-D are pruned, their flows stay; bad values are
 * user errors. Three attempts two hours apart, kept for one hour: one raw event left. */
static void test_retain_option(void **s) {
  (void)s;
  fresh();
  FILE *f = fopen(traffic, "wb");
  assert_non_null(f);
  for (int h = 0; h <= 4; h += 2)
    fprintf(f,
            "{\"ts\":\"2026-11-16T%02d:00:00Z\",\"app\":\"C:\\\\x%d.exe\",\"dir\":\"out\","
            "\"proto\":6,\"local\":\"10.0.0.1:50000\",\"remote\":\"1.2.3.%d:443\"}\n",
            h, h, h + 1);
  fclose(f);
  char src[1100];
  snprintf(src, sizeof src, "sim:%s", traffic);
  assert_int_equal(run("--retain", "0s", "--source", src, NULL), 1);
  assert_int_equal(run("--retain-mb", "0", "--source", src, NULL), 1);
  assert_int_equal(run("--retain", "1h", "--source", src, NULL), 0);
  wl_store *st;
  wl_store_stats x;
  assert_int_equal(wl_store_open(db, NULL, &st), 0);
  assert_int_equal(wl_store_stats_get(st, &x), 0);
  wl_store_close(st);
  assert_int_equal(x.events, 3);
  assert_int_equal(x.events_kept, 1);
  assert_int_equal(x.flows, 3);
}

static void test_status_shows_drops(void **s) {
  (void)s;
  char src[1100], out[4096], want[64];
  wl_store *st;
  wl_capture *c;
  wl_capture_stats cs;
  fresh();
  assert_int_equal(wl_gen_traffic(traffic, 20000, 20, 5), 0);
  snprintf(src, sizeof src, "sim:%s", traffic);
  wl_capture_opts o;
  memset(&o, 0, sizeof o);
  o.source = src;
  o.engine_spec = engine;
  o.ring_capacity = 4;
  o.force_lossy = 1;
  assert_int_equal(wl_store_open(db, NULL, &st), 0);
  assert_int_equal(wl_capture_start(&o, st, &c), 0);
  do {
    wl_sleep_ms(10);
    wl_capture_stats_get(c, &cs);
  } while (!cs.done && !cs.error);
  assert_int_equal(wl_capture_stop(c), 0);
  wl_capture_stats_get(c, &cs);
  wl_capture_destroy(c);
  wl_store_close(st);
  assert_true(cs.drops > 0);
  assert_int_equal(cs.events + cs.drops + cs.not_connections, cs.emitted);
  assert_true(cs.emitted > 20000); /* allowed attempts also sent their FLOW_ESTABLISHED event */

  const char *modes[] = {NULL, "--json"};
  for (int m = 0; m < 2; m++) {
    char *argv[] = {"status", (char *)modes[m], NULL};
    wl_cli cli = {db, engine, tmpfile(), stderr, 0, 0};
    assert_non_null(cli.out);
    assert_int_equal(wl_cmd_status(&cli, modes[m] ? 2 : 1, argv), 0);
    rewind(cli.out);
    size_t n = fread(out, 1, sizeof out - 1, cli.out);
    out[n] = '\0';
    fclose(cli.out);
    snprintf(want, sizeof want, m ? "\"drops\":%llu," : "drops     %llu ",
             (unsigned long long)cs.drops);
    if (!strstr(out, want))
      fail_msg("status%s does not show %s:\n%s", m ? " --json" : "", want, out);
    snprintf(want, sizeof want, m ? "\"not_connections\":%llu," : "not conn. %llu allow",
             (unsigned long long)cs.not_connections);
    if (cs.not_connections && !strstr(out, want)) /* issue 12, item 4 */
      fail_msg("status%s does not show %s:\n%s", m ? " --json" : "", want, out);
  }
}

/* ---- an app that lost part of its identity (issue 18, item 12) ---- */

/* Run a command with stdout and stderr in `out` (one buffer); returns its exit code. */
static int cmd(wl_cmd_fn fn, int argc, char **argv, char *out, size_t cap) {
  wl_cli cli = {db, engine, tmpfile(), NULL, 0, 0};
  assert_non_null(cli.out);
  cli.err = cli.out;
  int rc = fn(&cli, argc, argv);
  rewind(cli.out);
  size_t n = fread(out, 1, cap - 1, cli.out);
  out[n] = '\0';
  fclose(cli.out);
  if (rc != 0) /* main prints the error: wl_errmsg() */
    snprintf(out + n, cap - n, "%s", wl_errmsg());
  return rc;
}

typedef struct ids {
  int64_t longp, unmapped;
} ids;

static int app_ids(void *ctx, const wl_app_summary *a) {
  ids *x = ctx;
  if (strstr(a->path, "\\long.exe") || a->truncated) {
    assert_true(a->truncated);
    x->longp = a->app_id;
  }
  if (strstr(a->path, "\\q.exe"))
    x->unmapped = a->app_id;
  return 0;
}

/* A path longer than wfplearn keeps (WFP records it whole; our copy of the app id stops at
 * 512 characters) and a path on a drive the elevated session has no letter for: both keep an
 * identity (the truncated path, flagged; the NT path), review warns, and promote refuses them
 * in every scope — before, both were "(no app)" and promote --scope port made an any-app rule. */
static void test_lost_identity_not_any_app(void **s) {
  (void)s;
  char longapp[900], line[1200], out[16384];
  fresh();
  size_t n = (size_t)snprintf(longapp, sizeof longapp, "C:\\\\");
  while (n < 700)
    n += (size_t)snprintf(longapp + n, sizeof longapp - n, "very-long-folder-name\\\\");
  snprintf(longapp + n, sizeof longapp - n, "long.exe");
  FILE *f = fopen(traffic, "wb");
  assert_non_null(f);
  snprintf(line, sizeof line,
           "{\"ts\":\"2026-11-02T10:00:01Z\",\"app\":\"%s\",\"dir\":\"out\",\"proto\":6,"
           "\"local\":\"10.0.0.5:50000\",\"remote\":\"1.2.3.4:443\"}\n", longapp);
  fputs(line, f);
  fputs("{\"ts\":\"2026-11-02T10:00:02Z\",\"app\":\"Q:\\\\tools\\\\q.exe\",\"dir\":\"out\","
        "\"proto\":6,\"local\":\"10.0.0.5:50001\",\"remote\":\"1.2.3.5:443\"}\n", f);
  fclose(f);
  char src[1100];
  snprintf(src, sizeof src, "sim:%s", traffic);
  assert_int_equal(run("--source", src, NULL, NULL, NULL), 0);
  assert_int_equal(store_events(), 2);

  wl_store *st;
  ids x = {0, 0};
  assert_int_equal(wl_store_open(db, NULL, &st), 0);
  assert_int_equal(wl_store_apps(st, 0, app_ids, &x), 0);
  wl_store_close(st);
  assert_true(x.longp > 0 && x.unmapped > 0);

  char *rv[] = {"review", NULL};
  assert_int_equal(cmd(wl_cmd_review, 1, rv, out, sizeof out), 0);
  if (!strstr(out, "truncated-path") || !strstr(out, "unmapped") || strstr(out, "(no app)"))
    fail_msg("review does not flag the lost identities:\n%s", out);
  assert_non_null(strstr(out, "\\device\\harddiskvolume116\\tools\\q.exe")); /* Q: */

  const char *scopes[] = {NULL, "app", "port", "remote"};
  int64_t pid[2] = {2 * x.longp + 1, 2 * x.unmapped + 1}; /* wl_proposal_id(app, out) */
  for (int k = 0; k < 2; k++)
    for (size_t i = 0; i < sizeof scopes / sizeof scopes[0]; i++) {
      char id[32];
      snprintf(id, sizeof id, "%lld", (long long)pid[k]);
      char *pv[] = {"promote", id, scopes[i] ? "--scope" : NULL, (char *)scopes[i], NULL};
      int rc = cmd(wl_cmd_promote, scopes[i] ? 4 : 2, pv, out, sizeof out);
      if (rc == 0 || !strstr(out, "not promoted"))
        fail_msg("promote %s --scope %s: rc %d:\n%s", id, scopes[i] ? scopes[i] : "-", rc, out);
    }
  assert_int_equal(wl_store_open(db, NULL, &st), 0);
  wl_store_stats ss;
  assert_int_equal(wl_store_stats_get(st, &ss), 0);
  assert_int_equal(ss.rules, 0); /* no rule, above all no any-app one */
  wl_store_close(st);
}

/* `test_capture_cli signal` runs only the SIGTERM test (its own ctest entry, POSIX builds:
 * on Windows the console control handler, not a C signal, carries Ctrl+C). */
int main(int argc, char **argv) {
  const char *d = wl_test_dir();
  int signal_only = argc > 1 && strcmp(argv[1], "signal") == 0;
  const char *n = signal_only ? "capture_cli_signal" : "capture_cli"; /* entries run in parallel */
  snprintf(db, sizeof db, "%s/%s.db", d, n);
  snprintf(state, sizeof state, "%s/%s.state", d, n);
  snprintf(engine, sizeof engine, "sim:%s", state);
  snprintf(traffic, sizeof traffic, "%s/%s.traffic", d, n);
  snprintf(rec, sizeof rec, "%s/%s.record", d, n);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_usage),
      cmocka_unit_test(test_sim_no_allow_then_replay),
      cmocka_unit_test(test_duration_wfp),
      cmocka_unit_test(test_status_shows_drops),
      cmocka_unit_test(test_retain_option),
      cmocka_unit_test(test_record_is_not_source_or_store),
      cmocka_unit_test(test_future_record_replayed),
      cmocka_unit_test(test_lost_identity_not_any_app),
  };
  const struct CMUnitTest sig[] = {cmocka_unit_test(test_sigterm_mid_run)};
  int rc = signal_only ? cmocka_run_group_tests(sig, NULL, NULL)
                       : cmocka_run_group_tests(tests, NULL, NULL);
  fresh();
  remove(traffic);
  remove(rec);
  return rc;
}
