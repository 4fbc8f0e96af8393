/* test_store_posix.c — the store's file-system edges, with POSIX tools (not built for Windows):
 *   - the database, -wal and -shm files are created owner-only (0600) and stay so;
 *   - a read-only store file (for root: opened by an unprivileged child, since root ignores
 *     file modes) gives WL_E_READONLY naming the file, and its data is untouched;
 *   - a full disk (RLIMIT_FSIZE in a child, SIGXFSZ ignored so writes fail with EFBIG) gives
 *     WL_E_NOSPACE naming the file; every batch committed before is still there, intact;
 *   - issue 18 item 11: symbolic links planted next to the store (a dangling -shm, the capture
 *     lock, a --record or export target, the sim state's temporary file) are not written
 *     through: the files they point at are neither created, nor truncated, nor chmod-ed.
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/wl_err.h"
#include "common/wl_os.h"
#include "store/store.h"
#include "tests/support/test_store_gen.h"

#define NOBODY 65534

static char dir[256], db_path[512];

static int setup(void **state) {
  (void)state;
  snprintf(dir, sizeof dir, "/tmp/wl_store_posix_XXXXXX");
  if (!mkdtemp(dir))
    return -1;
  chmod(dir, 0755); /* reachable by the unprivileged child */
  snprintf(db_path, sizeof db_path, "%s/store.db", dir);
  return 0;
}

static int teardown(void **state) {
  (void)state;
  char q[600];
  static const char *const suffix[] = {"", "-wal", "-shm", ".capture.lock", ".target",
                                       ".victim", ".state", ".state.tmp"};
  for (int i = 0; i < 8; i++) {
    snprintf(q, sizeof q, "%s%s", db_path, suffix[i]);
    remove(q);
  }
  rmdir(dir);
  return 0;
}

static unsigned mode_of(const char *suffix) {
  char q[600];
  struct stat st;
  snprintf(q, sizeof q, "%s%s", db_path, suffix);
  if (stat(q, &st))
    fail_msg("stat %s: %s", q, strerror(errno));
  return (unsigned)(st.st_mode & 07777);
}

static void chmod_all(unsigned mode) {
  char q[600];
  static const char *const suffix[] = {"", "-wal", "-shm"};
  for (int i = 0; i < 3; i++) {
    snprintf(q, sizeof q, "%s%s", db_path, suffix[i]);
    chmod(q, mode);
  }
}

/* A store with `batches` batches of 500 events; returns the events stored. */
static uint64_t fill(int batches) {
  wl_store *s = NULL;
  assert_int_equal(wl_store_open(db_path, NULL, &s), WL_OK);
  wl_event *ev = malloc(500 * sizeof *ev);
  uint64_t rng = 77;
  for (int b = 0; b < batches; b++) {
    for (int i = 0; i < 500; i++)
      tsg_flow_event((uint32_t)(tsg_next(&rng) % 1000), 30, TSG_T0 + (uint64_t)(b * 500 + i),
                     &rng, &ev[i]);
    assert_int_equal(wl_store_write(s, ev, 500, NULL), WL_OK);
  }
  wl_store_stats st;
  assert_int_equal(wl_store_stats_get(s, &st), WL_OK);
  wl_store_close(s);
  free(ev);
  return st.events;
}

static void expect_intact(uint64_t events) {
  wl_store_opts o = {.quick_check = 1};
  wl_store *s = NULL;
  if (wl_store_open(db_path, &o, &s) != WL_OK)
    fail_msg("reopen: %s", wl_errmsg());
  wl_store_stats st;
  assert_int_equal(wl_store_stats_get(s, &st), WL_OK);
  assert_int_equal(st.events, events);
  assert_int_equal(st.events_kept, events);
  wl_store_close(s);
}

static void test_files_owner_only(void **state) {
  (void)state;
  umask(022);
  fill(2);
  assert_int_equal(mode_of(""), 0600);
  assert_int_equal(mode_of("-wal"), 0600);
  assert_int_equal(mode_of("-shm"), 0600);
  fill(1); /* reopened: still there, still owner-only */
  assert_int_equal(mode_of("-wal"), 0600);
  assert_int_equal(mode_of("-shm"), 0600);
}

/* issue 18 (Low): a store created 0644 beforehand is made owner-only; a directory given as the
 * store is refused as such (WL_E_INVAL, exit 1), not with an SQLite message. */
static void test_precreated_and_directory(void **state) {
  (void)state;
  umask(022);
  FILE *f = fopen(db_path, "wb");
  assert_non_null(f);
  fclose(f);
  chmod(db_path, 0644);
  fill(1);
  assert_int_equal(mode_of(""), 0600);
  wl_store *s = NULL;
  assert_int_equal(wl_store_open(dir, NULL, &s), WL_E_INVAL);
  if (!strstr(wl_errmsg(), "is a directory"))
    fail_msg("%s", wl_errmsg());
  wl_store_opts ro = {.read_only = 1};
  assert_int_equal(wl_store_open(dir, &ro, &s), WL_E_INVAL);
  if (!strstr(wl_errmsg(), "is a directory"))
    fail_msg("%s", wl_errmsg());
}

/* Runs fn in a child (optionally as nobody); the child's exit status is fn's result. */
static int in_child(int as_nobody, int (*fn)(char *msg, size_t cap), char *msg, size_t cap) {
  int p[2];
  assert_int_equal(pipe(p), 0);
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    close(p[0]);
    if (as_nobody && (setgid(NOBODY) || setuid(NOBODY)))
      _exit(100);
    char m[1024] = "";
    int r = fn(m, sizeof m);
    ssize_t w = write(p[1], m, strlen(m) + 1);
    (void)w;
    _exit(r & 0xff);
  }
  close(p[1]);
  ssize_t n = read(p[0], msg, cap - 1);
  msg[n > 0 ? n : 0] = 0;
  close(p[0]);
  int st = 0;
  waitpid(pid, &st, 0);
  assert_true(WIFEXITED(st));
  return WEXITSTATUS(st);
}

static int try_write(char *msg, size_t cap) {
  wl_store *s = NULL;
  int rc = wl_store_open(db_path, NULL, &s);
  if (rc == WL_OK) {
    wl_event ev;
    uint64_t rng = 1;
    tsg_flow_event(1, 1, TSG_T0, &rng, &ev);
    rc = wl_store_write(s, &ev, 1, NULL);
    wl_store_close(s);
  }
  snprintf(msg, cap, "%s", wl_errmsg());
  return -rc;
}

static void test_read_only_file(void **state) {
  (void)state;
  uint64_t events = fill(3);
  char msg[1024];
  int rc;
  if (geteuid() == 0) {
    chmod_all(0644); /* readable, not writable, by nobody */
    rc = -in_child(1, try_write, msg, sizeof msg);
    chmod_all(0600);
  } else {
    chmod_all(0444);
    rc = -in_child(0, try_write, msg, sizeof msg);
    chmod_all(0600);
  }
  assert_int_equal(rc, WL_E_READONLY);
  assert_non_null(strstr(msg, db_path));
  assert_non_null(strstr(msg, "read-only"));
  expect_intact(events);
}

static int write_until_full(char *msg, size_t cap) {
  struct stat st;
  if (stat(db_path, &st))
    return 101;
  signal(SIGXFSZ, SIG_IGN);
  struct rlimit lim = {(rlim_t)st.st_size + 512 * 1024, (rlim_t)st.st_size + 512 * 1024};
  if (setrlimit(RLIMIT_FSIZE, &lim))
    return 102;
  wl_store *s = NULL;
  int rc = wl_store_open(db_path, NULL, &s);
  wl_event *ev = malloc(500 * sizeof *ev);
  uint64_t rng = 99, committed = 0;
  for (int b = 0; rc == WL_OK && b < 10000; b++) {
    for (int i = 0; i < 500; i++)
      tsg_flow_event((uint32_t)(tsg_next(&rng) % 100000), 300, TSG_T0 + 100000000 + (uint64_t)b,
                     &rng, &ev[i]);
    if ((rc = wl_store_write(s, ev, 500, NULL)) == WL_OK)
      committed++;
  }
  /* still full: the same error again, the handle stays usable */
  int again = s ? wl_store_write(s, ev, 500, NULL) : WL_OK;
  snprintf(msg, cap, "%llu|%d|%s", (unsigned long long)committed, again, wl_errmsg());
  wl_store_close(s);
  free(ev);
  return -rc;
}

static void test_disk_full(void **state) {
  (void)state;
  uint64_t events = fill(2);
  char msg[1024];
  int rc = -in_child(0, write_until_full, msg, sizeof msg);
  unsigned long long committed = 0;
  int again = 0;
  assert_int_equal(sscanf(msg, "%llu|%d|", &committed, &again), 2);
  print_message("disk full after %llu more batches: %s\n", committed, strchr(strchr(msg, '|') + 1, '|') + 1);
  assert_int_equal(rc, WL_E_NOSPACE);
  assert_int_equal(again, WL_E_NOSPACE);
  assert_non_null(strstr(msg, db_path));
  assert_non_null(strstr(msg, "disk full"));
  expect_intact(events + committed * 500);
}

static void path_of(char *q, size_t cap, const char *suffix) {
  snprintf(q, cap, "%s%s", db_path, suffix);
}

static void write_text(const char *p, const char *text) {
  FILE *f = fopen(p, "wb");
  assert_non_null(f);
  fputs(text, f);
  fclose(f);
  chmod(p, 0644);
}

static void expect_text(const char *p, const char *text) {
  char buf[256] = "";
  FILE *f = fopen(p, "rb");
  assert_non_null(f);
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = 0;
  assert_string_equal(buf, text);
  struct stat st;
  assert_int_equal(stat(p, &st), 0);
  assert_int_equal(st.st_mode & 0777, 0644);
}

/* A dangling -shm link: the store is refused and the link's target is not created. */
static void test_dangling_shm_link(void **state) {
  (void)state;
  char shm[600], target[600];
  path_of(shm, sizeof shm, "-shm");
  path_of(target, sizeof target, ".target");
  assert_int_equal(symlink(target, shm), 0);
  wl_store *s = NULL;
  assert_int_not_equal(wl_store_open(db_path, NULL, &s), WL_OK);
  assert_null(s);
  assert_int_equal(access(target, F_OK), -1);
}

/* A link where a file is written (--record, export -o go through wl_os_fopen) or where the
 * capture lock goes: the file it points at keeps its content and mode. */
static void test_links_not_written_through(void **state) {
  (void)state;
  char link[600], victim[600];
  path_of(victim, sizeof victim, ".victim");
  write_text(victim, "precious");
  path_of(link, sizeof link, ".target");
  assert_int_equal(symlink(victim, link), 0);
  FILE *f = NULL;
  assert_int_equal(wl_os_fopen(link, "wb", &f), WL_E_PERM);
  assert_null(f);
  assert_int_equal(wl_os_fopen(link, "ab", &f), WL_E_PERM);
  expect_text(victim, "precious");
  assert_int_equal(wl_os_fopen(link, "rb", &f), WL_OK); /* reading through a link is fine */
  fclose(f);
  /* the capture lock */
  wl_store *s = NULL;
  assert_int_equal(wl_store_open(db_path, NULL, &s), WL_OK);
  char lock[600];
  path_of(lock, sizeof lock, ".capture.lock");
  assert_int_equal(symlink(victim, lock), 0);
  wl_store_lock *l = NULL;
  assert_int_not_equal(wl_store_capture_lock(s, &l), WL_OK);
  assert_null(l);
  wl_store_close(s);
  expect_text(victim, "precious");
  /* the old predictable "STATE.tmp" of wl_os_file_replace */
  char st[600], tmp[600];
  path_of(st, sizeof st, ".state");
  path_of(tmp, sizeof tmp, ".state.tmp");
  assert_int_equal(symlink(victim, tmp), 0);
  assert_int_equal(wl_os_file_replace(st, (const uint8_t *)"new state", 9), WL_OK);
  expect_text(victim, "precious");
  expect_text(tmp, "precious"); /* the link is still there, untouched */
  FILE *g = fopen(st, "rb");
  char buf[32] = "";
  assert_non_null(g);
  assert_int_equal(fread(buf, 1, sizeof buf - 1, g), 9);
  fclose(g);
  assert_string_equal(buf, "new state");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_files_owner_only, setup, teardown),
      cmocka_unit_test_setup_teardown(test_read_only_file, setup, teardown),
      cmocka_unit_test_setup_teardown(test_precreated_and_directory, setup, teardown),
      cmocka_unit_test_setup_teardown(test_disk_full, setup, teardown),
      cmocka_unit_test_setup_teardown(test_dangling_shm_link, setup, teardown),
      cmocka_unit_test_setup_teardown(test_links_not_written_through, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
