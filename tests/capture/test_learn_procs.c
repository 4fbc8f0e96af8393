/* test_learn_procs.c — issue 18 with real processes: the built wfplearn binary ($WL_WFPLEARN),
 * two at a time on one store and one sim state file.
 *
 *   - a second `learn` while one runs is refused with exit 1, naming the holder's pid, and does
 *     not touch the engine options of the running one;
 *   - `uninstall` while learn runs is refused with exit 1 and changes nothing;
 *   - a learn whose engine options are taken away (collection switched off under it) notices
 *     within a probe period, says so and exits non-zero instead of 0;
 *   - an `import` while learn writes batch after batch: both exit 0 and every event of both is
 *     kept, with as many flows as the two made (the import used to take flow ids learn had
 *     already taken, or the reverse: "UNIQUE constraint failed: flows.id"). The same, exactly
 *     interleaved, on two store handles: tests/store/test_store_writers.c.
 * No sleeps that race: each step polls for a condition (the store says "capture running", a
 * process has exited) with a timeout. POSIX only (posix_spawn, waitpid, SIGTERM).
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "common/wl_os.h"
#include "engine/engine.h"
#include "tests/support/gen_traffic.h"
#include "tests/support/test_files.h"

extern char **environ;

static char db[1024], state[1024], engine[1100], out_a[1024], out_b[1024], traffic[1024],
    logfile[1024];
static const char *exe;
static pid_t learner; /* the running learn, ended by teardown when a test fails midway */

static pid_t spawn_wfplearn(const char *out, const char *const *args) {
  char *argv[16] = {(char *)exe, "--db", db, "--engine", engine};
  int n = 5;
  for (int i = 0; args[i] && n < 15; i++)
    argv[n++] = (char *)args[i];
  argv[n] = NULL;
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_adddup2(&fa, 1, 2);
  pid_t pid;
  int rc = posix_spawn(&pid, exe, &fa, NULL, argv, environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0)
    fail_msg("posix_spawn %s: %s", exe, strerror(rc));
  return pid;
}

/* The exit status, or -1 when it did not exit within ms. */
static int wait_exit(pid_t pid, unsigned ms) {
  for (unsigned waited = 0;; waited += 10) {
    int st;
    pid_t r = waitpid(pid, &st, WNOHANG);
    if (r == pid)
      return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    if (r < 0 || waited >= ms)
      return -1;
    wl_sleep_ms(10);
  }
}

static void stop(pid_t pid) {
  kill(pid, SIGTERM);
  int rc = wait_exit(pid, 30000);
  if (rc < 0) {
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
  }
}

static int run_wfplearn(const char *out, const char *const *args) {
  pid_t pid = spawn_wfplearn(out, args);
  int rc = wait_exit(pid, 60000);
  if (rc < 0) {
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
  }
  return rc;
}

static char *slurp(const char *path) {
  static char buf[16384];
  FILE *f = fopen(path, "rb");
  size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
  if (f)
    fclose(f);
  buf[n] = '\0';
  return buf;
}

/* meta value of key ("" when absent or the store is not readable yet). */
static void meta(const char *key, char *out, size_t cap) {
  sqlite3 *h = NULL;
  sqlite3_stmt *st = NULL;
  out[0] = '\0';
  if (sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK) {
    sqlite3_busy_timeout(h, 2000);
    if (sqlite3_prepare_v2(h, "SELECT value FROM meta WHERE key=?1", -1, &st, NULL) == SQLITE_OK) {
      sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
      if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
        snprintf(out, cap, "%s", (const char *)sqlite3_column_text(st, 0));
    }
    sqlite3_finalize(st);
  }
  sqlite3_close(h);
}

/* A learn on the live (sim) engine, running until stopped; returns once the store says so. */
static pid_t start_learn(void) {
  static const char *const args[] = {"learn", "--duration", "120s", NULL};
  pid_t pid = spawn_wfplearn(out_a, args);
  char v[64];
  for (unsigned waited = 0;; waited += 10) {
    meta("capture_state", v, sizeof v);
    if (strcmp(v, "running") == 0)
      return learner = pid;
    if (waited >= 30000 || wait_exit(pid, 0) >= 0)
      fail_msg("learn did not start: %s", slurp(out_a));
    wl_sleep_ms(10);
  }
}

static int64_t meta_int(const char *key) {
  char v[64];
  meta(key, v, sizeof v);
  return strtoll(v, NULL, 10);
}

static uint32_t option(int opt) {
  wl_engine *e = NULL;
  uint32_t v = 0;
  assert_int_equal(wl_engine_open(engine, 0, &e), 0);
  assert_int_equal(wl_engine_get_option(e, opt, &v), 0);
  wl_engine_close(e);
  return v;
}

static void fresh(void) {
  wl_test_remove_db(db);
  wl_test_remove_state(state);
}

static int teardown(void **s) {
  (void)s;
  if (learner > 0 && waitpid(learner, NULL, WNOHANG) == 0) {
    kill(learner, SIGKILL);
    waitpid(learner, NULL, 0);
  }
  learner = 0;
  return 0;
}

static void test_second_learn_refused(void **s) {
  (void)s;
  fresh();
  pid_t a = start_learn();
  uint32_t kw = option(WL_OPT_NET_EVENT_MATCH_ANY_KEYWORDS);
  assert_true(kw & WL_KW_CLASSIFY_ALLOW);
  static const char *const args[] = {"learn", "--duration", "2s", NULL};
  int rc = run_wfplearn(out_b, args);
  char want[64];
  snprintf(want, sizeof want, "pid %d", (int)a);
  const char *msg = slurp(out_b);
  if (rc != 1 || !strstr(msg, "already running") || !strstr(msg, want))
    fail_msg("second learn: exit %d, wanted 1 naming %s:\n%s", rc, want, msg);
  assert_int_equal(option(WL_OPT_NET_EVENT_MATCH_ANY_KEYWORDS), kw); /* still the first's */
  assert_int_equal(option(WL_OPT_COLLECT_NET_EVENTS), 1);
  kill(a, SIGTERM);
  assert_int_equal(wait_exit(a, 30000), 0);
}

static void test_uninstall_refused_during_learn(void **s) {
  (void)s;
  fresh();
  pid_t a = start_learn();
  uint32_t kw = option(WL_OPT_NET_EVENT_MATCH_ANY_KEYWORDS);
  static const char *const args[] = {"uninstall", NULL};
  int rc = run_wfplearn(out_b, args);
  const char *msg = slurp(out_b);
  if (rc != 1 || !strstr(msg, "capture is running"))
    fail_msg("uninstall during learn: exit %d, wanted 1:\n%s", rc, msg);
  assert_int_equal(option(WL_OPT_NET_EVENT_MATCH_ANY_KEYWORDS), kw);
  kill(a, SIGTERM);
  assert_int_equal(wait_exit(a, 30000), 0);
  /* once learn has stopped, uninstall goes ahead */
  assert_int_equal(run_wfplearn(out_b, args), 0);
}

/* Collection switched off under a running learn (what an uninstall of an older wfplearn, or
 * another tool, does): learn says so and exits non-zero. */
static void test_lost_options_noticed(void **s) {
  (void)s;
  fresh();
  pid_t a = start_learn();
  wl_engine *e = NULL;
  assert_int_equal(wl_engine_open(engine, 0, &e), 0);
  assert_int_equal(wl_engine_set_option(e, WL_OPT_COLLECT_NET_EVENTS, 0), 0);
  wl_engine_close(e);
  int rc = wait_exit(a, 20000); /* a probe every 2 s */
  if (rc < 0)
    stop(a);
  const char *msg = slurp(out_a);
  if (rc <= 0 || !strstr(msg, "options were changed"))
    fail_msg("learn after its options were taken: exit %d, wanted non-zero:\n%s", rc, msg);
}

/* n Security-log records (5156, allowed outbound), each its own flow: port and address vary. */
static void write_secjson(const char *path, unsigned n) {
  FILE *f = fopen(path, "wb");
  assert_non_null(f);
  for (unsigned i = 0; i < n; i++)
    fprintf(f,
            "{\"EventID\":5156,\"TimeCreated\":\"2026-11-02T07:%02u:%02u.%03uZ\","
            "\"Hostname\":\"H\",\"RecordNumber\":%u,\"Direction\":\"%%%%14593\","
            "\"SourceAddress\":\"10.0.0.1\",\"SourcePort\":\"50000\",\"DestAddress\":"
            "\"10.9.%u.%u\",\"DestPort\":\"%u\",\"Protocol\":\"6\",\"Application\":"
            "\"\\\\device\\\\harddiskvolume2\\\\imp\\\\app%u.exe\"}\n",
            i / 60 % 60, i % 60, i % 1000, i + 1, i / 250, i % 250, 1000 + i, i % 7);
  fclose(f);
}

/* learn replays traffic at recorded speed (5000 attempts 1 ms apart: ~5 s, a batch every
 * 100 ms); once it has stored a first batch, an import of 2000 other flows runs to the end. */
static void test_import_during_learn(void **s) {
  (void)s;
  fresh();
  char src[1100];
  assert_int_equal(wl_gen_traffic(traffic, 5000, 40, 5), 0);
  write_secjson(logfile, 2000);
  snprintf(src, sizeof src, "sim:%s", traffic);
  const char *const slow[] = {"learn", "--source", src, "--speed", "1", NULL};
  pid_t a = learner = spawn_wfplearn(out_a, slow);
  for (unsigned waited = 0; meta_int("events") == 0; waited += 10) {
    if (waited >= 30000 || wait_exit(a, 0) >= 0)
      fail_msg("learn stored nothing: %s", slurp(out_a));
    wl_sleep_ms(10);
  }
  const char *const imp[] = {"import", "--format", "secjson", logfile, NULL};
  int rc_b = run_wfplearn(out_b, imp);
  if (rc_b != 0)
    fail_msg("import during learn: exit %d:\n%s", rc_b, slurp(out_b));
  assert_int_equal(wait_exit(a, 0), -1); /* learn was still running: the writes interleaved */
  int rc_a = wait_exit(a, 60000);
  if (rc_a != 0)
    fail_msg("learn: exit %d:\n%s", rc_a, slurp(out_a));
  /* every event of both, and the flows of both */
  unsigned long long stored = 0, imported = 0;
  const char *la = strstr(slurp(out_a), "learn: ");
  assert_non_null(la);
  assert_int_equal(sscanf(la, "learn: %llu events stored", &stored), 1);
  assert_true(stored > 1000);
  imported = 2000;
  assert_int_equal(meta_int("events"), (int64_t)(stored + imported));
  sqlite3 *h = NULL;
  sqlite3_stmt *st = NULL;
  assert_int_equal(sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
  /* the flows are in flow_pack alone (schema 13), their ids dense from 1: the last one is the
   * count meta keeps; every event counted, through the apps' totals */
  assert_int_equal(sqlite3_prepare_v2(h, "SELECT (SELECT max(last_id) FROM flow_pack), "
                                      "(SELECT sum(allowed + blocked) FROM apps)", -1, &st, NULL),
                   SQLITE_OK);
  assert_int_equal(sqlite3_step(st), SQLITE_ROW);
  assert_int_equal(sqlite3_column_int64(st, 0), meta_int("flows"));
  assert_int_equal(sqlite3_column_int64(st, 1), (int64_t)(stored + imported));
  sqlite3_finalize(st);
  sqlite3_close(h);
}

int main(void) {
  exe = getenv("WL_WFPLEARN");
  if (!exe || !*exe) {
    fprintf(stderr, "WL_WFPLEARN is not set\n");
    return 1;
  }
  const char *d = wl_test_dir();
  snprintf(db, sizeof db, "%s/learn_procs.db", d);
  snprintf(state, sizeof state, "%s/learn_procs.state", d);
  snprintf(engine, sizeof engine, "sim:%s", state);
  snprintf(out_a, sizeof out_a, "%s/learn_procs.a.out", d);
  snprintf(out_b, sizeof out_b, "%s/learn_procs.b.out", d);
  snprintf(traffic, sizeof traffic, "%s/learn_procs.traffic", d);
  snprintf(logfile, sizeof logfile, "%s/learn_procs.secjson", d);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_teardown(test_second_learn_refused, teardown),
      cmocka_unit_test_teardown(test_uninstall_refused_during_learn, teardown),
      cmocka_unit_test_teardown(test_lost_options_noticed, teardown),
      cmocka_unit_test_teardown(test_import_during_learn, teardown),
  };
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  fresh();
  remove(out_a);
  remove(out_b);
  remove(traffic);
  remove(logfile);
  return rc;
}
