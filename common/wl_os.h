/* wl_os.h — the few operating-system services the portable core needs, behind one contract.
 * CMake picks common/os_posix.c or common/os_win.c; nothing else in the core asks the OS
 * directly (no #ifdef _WIN32 outside these files and wfp/).
 */
#ifndef WL_OS_H
#define WL_OS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

void wl_sleep_ms(unsigned ms);
uint32_t wl_os_pid(void);
int wl_os_pid_alive(uint32_t pid); /* 1 alive, 0 gone */

/* Start `argv[0]` (an executable path) with argv, detached from our console/session, stdout and
 * stderr to `log_path` (NULL: discarded). Fills *pid. */
int wl_os_spawn(char *const argv[], const char *log_path, uint32_t *pid);
int wl_os_kill(uint32_t pid); /* hard kill (SIGKILL / TerminateProcess) */
/* Full path of the running executable. */
int wl_os_exe_path(char *out, size_t cap);

/* Ctrl+C, SIGTERM, console close: calls fn(ctx) once from a signal-safe context (it should
 * only set a flag). Second call replaces the handler. */
int wl_os_on_interrupt(void (*fn)(void *ctx), void *ctx);

/* Make `path` readable and writable by its owner only (POSIX 0600; Windows: a DACL for
 * Administrators and SYSTEM only). Creates nothing. */
int wl_os_restrict_file(const char *path);

/* A stable identity of an open-able file (device + inode / volume serial + file index) and its
 * size, used to recognise a file imported before even if it was renamed. */
typedef struct wl_file_id {
  uint64_t dev, ino, size, mtime;
} wl_file_id;
int wl_os_file_id(const char *path, wl_file_id *out);

/* fopen for a UTF-8 path (like every path in the core): POSIX fopen; Windows _wfopen on the
 * UTF-16 form, because the CRT's fopen reads the ANSI code page and cannot open non-ASCII names
 * that way. `mode` is fopen's ("rb", "wb", ...; at most 7 chars). *out is NULL on error
 * (WL_E_NOTFOUND, WL_E_PERM, WL_E_INVAL for a path that is not UTF-8, WL_E_IO; message names
 * the path). */
int wl_os_fopen(const char *path, const char *mode, FILE **out);

/* The process's arguments as UTF-8, for main() to call first. POSIX: unchanged. Windows: rebuilt
 * from the wide command line (main's argv is in the ANSI code page, which cannot name every
 * file), and console output switched to UTF-8. The new argv lives until the process exits. */
int wl_os_utf8_args(int *argc, char ***argv);

/* Free bytes on the file system holding `path` (for clear disk-full messages). */
int wl_os_free_bytes(const char *path, uint64_t *out);

#endif
