/* test_data.h — where the tests find the real Windows log samples (tests/data/real/README.md).
 *
 * Samples whose licence lets us keep them are in the repository, under tests/data/real/; ctest
 * gives their folder as WL_TEST_DATA_DIR (cmake/testing.cmake). The two others (GPL-3.0, and no
 * licence stated) stay in the project's shared folder, ../shared/data/real/ (WL_SHARED_DIR): the
 * cases that read them are a ctest entry of their own (`TEST shared`, e.g. test_import_shared),
 * which exits with WL_TEST_SKIP (ctest's SKIP_RETURN_CODE for those entries) when they are not
 * there, so that a clone with nothing beside it reports them skipped rather than passed.
 *
 * Header only (static inline functions), to be included after <cmocka.h>. Paths come back in
 * a static buffer, valid until the next call.
 */
#ifndef TEST_DATA_H
#define TEST_DATA_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WL_TEST_SKIP 77 /* the exit code ctest reads as "skipped" (SKIP_RETURN_CODE) */

/* The samples that are not in the repository, by file name. */
static const char *const wl_test_restricted[] = {
    "d4rk_WinEvents_wfp.jsonl",                     /* no licence stated */
    "evtxattack_DE_RDP_Tunnel_5156.evtxexport.xml", /* GPL-3.0 */
};
#define WL_TEST_NRESTRICTED (sizeof wl_test_restricted / sizeof wl_test_restricted[0])

/* 1 when FILE is one of the samples kept outside the repository. */
static inline int wl_test_data_restricted(const char *file) {
  for (size_t i = 0; i < WL_TEST_NRESTRICTED; i++)
    if (strcmp(file, wl_test_restricted[i]) == 0)
      return 1;
  return 0;
}

/* The path of the real sample FILE: tests/data/real/FILE, or ../shared/data/real/FILE for a
 * restricted one. Fails the test when ctest's variable is not set. */
static inline const char *wl_test_data_path(const char *file) {
  static char buf[4096];
  int shared = wl_test_data_restricted(file);
  const char *var = shared ? "WL_SHARED_DIR" : "WL_TEST_DATA_DIR";
  const char *dir = getenv(var);
  if (!dir)
    fail_msg("%s is not set (ctest sets it; run from ctest or export it)", var);
  snprintf(buf, sizeof buf, "%s/%s/%s", dir, shared ? "data/real" : "real", file);
  return buf;
}

/* 1 when every restricted sample can be read; otherwise 0, after saying which one is missing
 * (the `shared` entry then exits with WL_TEST_SKIP). */
static inline int wl_test_data_have_restricted(void) {
  if (!getenv("WL_SHARED_DIR")) {
    printf("SKIPPED: WL_SHARED_DIR is not set\n");
    return 0;
  }
  for (size_t i = 0; i < WL_TEST_NRESTRICTED; i++) {
    const char *p = wl_test_data_path(wl_test_restricted[i]);
    FILE *f = fopen(p, "rb");
    if (!f) {
      printf("SKIPPED: %s is not there (not in the repository: see tests/data/real/README.md)\n",
             p);
      return 0;
    }
    fclose(f);
  }
  return 1;
}

#endif
