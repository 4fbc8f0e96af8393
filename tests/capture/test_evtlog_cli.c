/* test_evtlog_cli.c — issue 19, item 2 through the command line (wl_cli_main), on the sim:
 *  - `learn --source eventlog --duration 1s`: exit 0, Filtering Platform auditing switched on
 *    while it ran and put back after (meta WL_META_SAVED_AUDIT empty); usage errors;
 *  - a crash (POSIX: a child process killed with _exit in the middle of `learn --source eventlog
 *    --audit-drops`): the policy it set stays, the store keeps what it found; `uninstall`
 *    restores it; and, after a second crash, the next `learn` restores it at its stop.
 * Files in $WL_BUILD_DIR. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#ifndef _WIN32
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#endif

#include "capture/capture.h"
#include "cli/main.h"
#include "common/wl_err.h"
#include "common/wl_os.h"
#include "common/wl_text.h"
#include "common/wl_thread.h"
#include "engine/evtlog.h"
#include "store/store.h"
#include "tests/support/test_files.h"

static char db[1024], state[1024], engine[1100], audit_file[1100];

static int cli(const char *cmd, const char *a1, const char *a2, const char *a3, const char *a4,
               const char *a5) {
  char *argv[12] = {"wfplearn", "--db", db, "--engine", engine, (char *)cmd};
  const char *extra[] = {a1, a2, a3, a4, a5};
  int argc = 6;
  for (int i = 0; i < 5 && extra[i]; i++)
    argv[argc++] = (char *)extra[i];
  argv[argc] = NULL;
  return wl_cli_main(argc, argv);
}

static void fresh(void) {
  wl_test_remove_db(db);
  wl_test_remove_state(state);
  remove(audit_file);
}

static uint32_t audit(int sub) {
  wl_engine *e;
  uint32_t v = 99;
  assert_int_equal(wl_engine_open(engine, 0, &e), WL_OK);
  assert_int_equal(wl_engine_audit_get(e, sub, &v), WL_OK);
  wl_engine_close(e);
  return v;
}

static void set_audit(int sub, uint32_t v) {
  wl_engine *e;
  assert_int_equal(wl_engine_open(engine, 0, &e), WL_OK);
  assert_int_equal(wl_engine_audit_set(e, sub, v), WL_OK);
  wl_engine_close(e);
}

static void saved(char *buf, size_t cap) {
  wl_store *s;
  assert_int_equal(wl_store_open(db, NULL, &s), WL_OK);
  assert_int_equal(wl_store_meta_get(s, WL_META_SAVED_AUDIT, buf, cap), WL_OK);
  wl_store_close(s);
}

static void test_learn_eventlog(void **st) {
  (void)st;
  char buf[64];
  fresh();
  set_audit(WL_AUDIT_FP_CONNECTION, WL_AUDIT_FAILURE); /* someone audits failures already */
  assert_int_equal(cli("learn", "--source", "eventlog", "--duration", "1s", NULL), 0);
  assert_int_equal(audit(WL_AUDIT_FP_CONNECTION), WL_AUDIT_FAILURE); /* theirs, as it was */
  assert_int_equal(audit(WL_AUDIT_FP_PACKET_DROP), 0);
  saved(buf, sizeof buf);
  assert_string_equal(buf, "");
  assert_int_equal(cli("learn", "--no-fallback", "--bogus", NULL, NULL, NULL), 1);
  assert_int_equal(cli("learn", "--help", NULL, NULL, NULL, NULL), 0);
}


static void test_crash_then_uninstall_and_restart(void **st) {
  (void)st;
#ifdef _WIN32
  skip();
#else
  char buf[64];
  fresh();
  for (int round = 0; round < 2; round++) {
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) { /* learn, killed without any cleanup after 800 ms */
      pid_t me = getpid();
      pid_t killer = fork();
      if (killer == 0) {
        wl_sleep_ms(800);
        kill(me, SIGKILL);
        _exit(0);
      }
      cli("learn", "--source", "eventlog", "--audit-drops", NULL, NULL);
      _exit(0);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    assert_true(WIFSIGNALED(status));
    assert_int_equal(audit(WL_AUDIT_FP_CONNECTION), 3); /* left behind by the dead run */
    assert_int_equal(audit(WL_AUDIT_FP_PACKET_DROP), WL_AUDIT_FAILURE);
    saved(buf, sizeof buf);
    assert_string_equal(buf, "conn=0 drop=0"); /* what it found */
    if (round == 0) {
      assert_int_equal(cli("uninstall", NULL, NULL, NULL, NULL, NULL), 0);
    } else { /* the next start keeps the saved policy and restores it at its stop */
      assert_int_equal(cli("learn", "--source", "eventlog", "--duration", "1s", NULL), 0);
    }
    assert_int_equal(audit(WL_AUDIT_FP_CONNECTION), 0);
    assert_int_equal(audit(WL_AUDIT_FP_PACKET_DROP), 0);
    saved(buf, sizeof buf);
    assert_string_equal(buf, "");
  }
#endif
}

int main(void) {
  wl_test_path(db, sizeof db, "evtlog_cli.db");
  wl_test_path(state, sizeof state, "evtlog_cli.state");
  snprintf(engine, sizeof engine, "sim:%s", state);
  snprintf(audit_file, sizeof audit_file, "%s.audit", state);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_learn_eventlog),
      cmocka_unit_test(test_crash_then_uninstall_and_restart),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
