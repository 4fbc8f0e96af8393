/* test_files.h — where tests put their files and how they clean them up (one copy of what every
 * test file used to write for itself).
 *
 * Files live in $WL_BUILD_DIR (ctest sets it for every test, in the form the executable's file
 * APIs take: Z:/... under wine), else the current directory. Paths are built into the caller's
 * buffer and truncated silently only when the buffer is too small for any sane test path.
 */
#ifndef WL_TEST_FILES_H
#define WL_TEST_FILES_H

#include <stddef.h>

/* $WL_BUILD_DIR, or "." when unset. */
const char *wl_test_dir(void);
/* "DIR/name" into buf; returns buf. */
char *wl_test_path(char *buf, size_t cap, const char *name);
/* Remove a store and its WAL and shared-memory files (missing ones are fine). */
void wl_test_remove_db(const char *db);
/* Remove a sim state file with its lock and temp files (and a fake DLL's ".native" twin). */
void wl_test_remove_state(const char *state);
/* A second name (hard link) for target; 0, or -1 when the file system cannot. */
int wl_test_hardlink(const char *target, const char *link);
/* Write text to path (created or truncated), failing the test when that does not work. */
void wl_test_write_file(const char *path, const char *text);

#endif
