/* test_files.c — see test_files.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

#include "tests/support/test_files.h"

#ifdef _WIN32
#include <windows.h>
int wl_test_hardlink(const char *target, const char *link) {
  return CreateHardLinkA(link, target, NULL) ? 0 : -1;
}
#else
#include <unistd.h>
int wl_test_hardlink(const char *target, const char *name) { return link(target, name); }
#endif

const char *wl_test_dir(void) {
  const char *d = getenv("WL_BUILD_DIR");
  return d && *d ? d : ".";
}

char *wl_test_path(char *buf, size_t cap, const char *name) {
  snprintf(buf, cap, "%s/%s", wl_test_dir(), name);
  return buf;
}

static void remove_with(const char *base, const char *const *suffix, size_t n) {
  char p[4200];
  for (size_t i = 0; i < n; i++) {
    snprintf(p, sizeof p, "%s%s", base, suffix[i]);
    remove(p);
  }
}

void wl_test_remove_db(const char *db) {
  static const char *const sfx[] = {"", "-wal", "-shm", "-journal", ".capture.lock"};
  remove_with(db, sfx, sizeof sfx / sizeof sfx[0]);
}

void wl_test_remove_state(const char *state) {
  static const char *const sfx[] = {"", ".lock", ".tmp", ".native", ".native.lock"};
  remove_with(state, sfx, sizeof sfx / sizeof sfx[0]);
}

void wl_test_write_file(const char *path, const char *text) {
  FILE *f = fopen(path, "wb");
  if (!f)
    fail_msg("%s: cannot create", path);
  fputs(text, f);
  if (fclose(f))
    fail_msg("%s: write failed", path);
}
