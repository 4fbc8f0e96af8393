/* test_service_posix.c — (POSIX) the service keeps two handles of one store open in a process
 * (the capture's and the loop's), and `learn --for` a third to poll the window. On POSIX,
 * closing any descriptor of a file drops every fcntl lock the process holds on it, so opening
 * a store must not open-and-close its files: that released SQLite's SHARED lock on the
 * database and its DMS lock on the -shm of the handle already open, and another process
 * (`learn --window-only`, `status`) then took itself for the only connection and reset the
 * WAL under the writer ("database disk image is malformed", seen in the first smoke run).
 * A child process asks F_GETLK whether those locks are still held after each open. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "store/store.h"
#include "tests/support/test_files.h"

#define SQLITE_SHARED_FIRST 0x40000002L /* PENDING_BYTE + 2: the SHARED lock range */
#define SQLITE_SHARED_SIZE 510L
#define SQLITE_SHM_DMS 128L /* the -shm byte every open connection holds a read lock on */

static char db[1024], shm[1100];

/* 1 when another process holds a lock on [start, start+len) of path (asked from a child). */
static int locked_by_us(const char *path, long start, long len) {
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    int fd = open(path, O_RDWR);
    struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = start, .l_len = len};
    if (fd < 0 || fcntl(fd, F_GETLK, &fl) != 0)
      _exit(2);
    _exit(fl.l_type != F_UNLCK && fl.l_pid == getppid() ? 0 : 1);
  }
  int st = 0;
  assert_int_equal(waitpid(pid, &st, 0), pid);
  assert_true(WIFEXITED(st) && WEXITSTATUS(st) != 2);
  return WEXITSTATUS(st) == 0;
}

static void assert_locks_held(void) {
  assert_true(locked_by_us(db, SQLITE_SHARED_FIRST, SQLITE_SHARED_SIZE));
  assert_true(locked_by_us(shm, SQLITE_SHM_DMS, 1));
}

static void test_second_handle_keeps_locks(void **state) {
  (void)state;
  wl_store *a, *b, *ro;
  wl_store_opts ro_opts = {.read_only = 1};
  wl_test_remove_db(db);
  assert_int_equal(wl_store_open(db, NULL, &a), 0);
  assert_int_equal(wl_store_meta_set(a, "test", "1"), 0);
  assert_locks_held(); /* WAL mode: held while the connection is open */
  assert_int_equal(wl_store_open(db, NULL, &b), 0); /* the service's second handle */
  assert_locks_held();
  assert_int_equal(wl_store_open(db, &ro_opts, &ro), 0); /* learn --for's poll handle */
  assert_locks_held();
  wl_store_close(ro);
  wl_store_close(b);
  assert_locks_held();
  wl_store_close(a);
  assert_false(locked_by_us(db, SQLITE_SHARED_FIRST, SQLITE_SHARED_SIZE));
}

int main(void) {
  wl_test_path(db, sizeof db, "service_locks.db");
  snprintf(shm, sizeof shm, "%s-shm", db);
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_second_handle_keeps_locks)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
