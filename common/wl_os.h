/* wl_os.h — the few operating-system services the portable core needs, behind one contract.
 * CMake picks common/os_posix.c + file_posix.c or common/os_win.c + file_win.c; threads and
 * locks are common/wl_thread.h. Nothing else in the core asks the OS directly (no #ifdef
 * _WIN32 outside these files and engine/fwpuclnt/).
 */
#ifndef WL_OS_H
#define WL_OS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

void wl_sleep_ms(unsigned ms);
uint32_t wl_os_pid(void);
/* This machine's name, UTF-8 (POSIX gethostname; Windows GetComputerNameExW's DNS host name).
 * When it cannot be read: "?" in out and an error (WL_E_IO, naming the call). */
int wl_os_hostname(char *out, size_t cap);
int wl_os_pid_alive(uint32_t pid); /* 1 alive, 0 gone */
/* When the process `pid` started, as an opaque number that differs between two processes that
 * had the same pid (Linux: /proc/PID/stat field 22, clock ticks since boot; Windows: the
 * creation time from GetProcessTimes). With the pid it identifies a process: a pid reused by
 * another process has another start. WL_E_NOTFOUND when there is no such process;
 * WL_E_UNSUPPORTED where the platform cannot tell (POSIX without /proc). */
int wl_os_pid_start(uint32_t pid, uint64_t *start);

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

/* The store's default path, UTF-8, into out. POSIX: "wfplearn.db" (the current directory).
 * Windows: %ProgramData%\wfplearn\wfplearn.db (SHGetKnownFolderPath(FOLDERID_ProgramData); the
 * ProgramData variable only if that fails), because an elevated prompt starts in System32. With
 * create, the folder is made (or, when it exists, taken back): owner Administrators and a
 * protected DACL for Administrators and SYSTEM only, inherited by the files in it. */
int wl_os_default_db_path(char *out, size_t cap, int create);

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
 * the path; errno is left as the CRT set it). Every file the product opens by name goes through
 * here. */
int wl_os_fopen(const char *path, const char *mode, FILE **out);

/* The process's arguments as UTF-8, for main() to call first. POSIX: unchanged. Windows: rebuilt
 * from the wide command line (main's argv is in the ANSI code page, which cannot name every
 * file), and console output switched to UTF-8. The new argv lives until the process exits. */
int wl_os_utf8_args(int *argc, char ***argv);

/* May this process write the existing file `path`? WL_OK; WL_E_NOTFOUND when it does not
 * exist; WL_E_READONLY when it may not (errno says why). POSIX: access(2), never opening the
 * file, because closing any descriptor of a file drops every fcntl lock the process holds on
 * it: a check that opened the store while another handle of this process had it open would
 * release SQLite's locks, and another process could then reset the WAL index or delete the
 * WAL under the writer. Windows (locks per handle): an open for writing, closed at once. */
int wl_os_writable(const char *path);
/* 1 when path names a directory (POSIX stat, Windows GetFileAttributesW), else 0; opens nothing. */
int wl_os_is_dir(const char *path);

/* Free bytes on the file system holding `path` (for clear disk-full messages). */
int wl_os_free_bytes(const char *path, uint64_t *out);

/* ---- files shared between processes (common/file_posix.c, common/file_win.c): what the sim's
 *      state file needs, and any other file several processes read while one replaces it ---- */
typedef struct wl_os_lock wl_os_lock;
/* Exclusive lock on the file `path` (created owner-only if missing; a symbolic link there is
 * refused, not followed), excluding other processes and other handles of this process alike;
 * waits up to timeout_ms (0: one try), then WL_E_BUSY. The OS drops it when the process dies. */
int wl_os_lock_acquire(const char *path, unsigned timeout_ms, wl_os_lock **out);
void wl_os_lock_release(wl_os_lock *l); /* NULL-safe */
/* The one whole-file reader: everything until the end of the file (a pipe or a growing file
 * too) into a malloc'd buffer with a NUL after it (not counted in *len); release with free.
 * More than max bytes: WL_E_TOOBIG; WL_E_NOTFOUND. Opened so that a concurrent replace still
 * succeeds (FILE_SHARE_DELETE on Windows). */
int wl_os_read_file(const char *path, size_t max, uint8_t **data, size_t *len);
/* The one line reader (common/line_read.c): f read in chunks into the reader's buffer, each
 * line handed out in place (*line: writable, valid until the next call), NUL-terminated, without
 * its "\n" or "\r\n" (*len bytes); a UTF-8 byte order mark at the start of the file skipped.
 * wl_lines_next returns WL_LINE_OK, WL_LINE_EOF (nothing left, or a read error: ferror(f)),
 * WL_LINE_LONG (more than max bytes before its newline: consumed to its end, never held) or
 * WL_LINE_NUL (the line holds a NUL byte; consumed). r->line counts the lines read, bad ones
 * included. Memory: max plus a 256 KB chunk. f stays the caller's. */
enum { WL_LINE_EOF = 0, WL_LINE_OK = 1, WL_LINE_LONG = 2, WL_LINE_NUL = 3 };
typedef struct wl_lines {
  FILE *f;
  char *buf;
  size_t cap, max, pos, end; /* buf[pos, end): read, not yet handed out */
  uint64_t line;
  int eof, skipping;         /* skipping: inside a line already known to be too long */
} wl_lines;
int wl_lines_init(wl_lines *r, FILE *f, size_t max); /* WL_E_NOMEM, WL_E_INVAL */
int wl_lines_next(wl_lines *r, char **line, size_t *len);
void wl_lines_free(wl_lines *r); /* NULL-safe, and after a failed init */
/* The first n bytes (fewer when the file is shorter: *got). WL_E_NOTFOUND. */
int wl_os_file_peek(const char *path, uint8_t *buf, size_t n, size_t *got);
/* Write data to "path.tmp" and rename it over path atomically. */
int wl_os_file_replace(const char *path, const uint8_t *data, size_t len);
/* A cheap "has this file changed?" check for the classify path. wl_os_watch_open sets *out
 * to a watch on the file now at path, or to NULL when the file is missing or the platform has
 * no cheap check (Windows: a handle held open would make the writer's MoveFileExW over it
 * fail, so there the caller peeks at the header every time, as without a watch).
 * wl_os_watch_changed: 0 when path still names the watched file and it was not written
 * since (POSIX: one fstat, no path lookup: a replace leaves the watched inode unlinked; an
 * in-place write moves its size/mtime/ctime); 1 when it may have changed. */
typedef struct wl_os_watch wl_os_watch;
void wl_os_watch_open(const char *path, wl_os_watch **out);
int wl_os_watch_changed(const wl_os_watch *w);
void wl_os_watch_close(wl_os_watch *w); /* NULL-safe */

/* ---- a file written whole or not at all (common/newfile_posix.c, newfile_win.c): what
 *      `export -o` writes. wl_os_newfile_open makes a new private temporary file beside `path`
 *      (an unpredictable name, created exclusively so no link is followed; POSIX 0600 whatever
 *      the umask, Windows the DACL of wl_os_restrict_file) and gives a FILE* to write to;
 *      wl_os_newfile_commit flushes, syncs and renames it over path, or on any error removes it
 *      and leaves path as it was; wl_os_newfile_abort removes it. Both free nf. A directory at
 *      path is refused. Every message names path. ---- */
typedef struct wl_os_newfile wl_os_newfile;
int wl_os_newfile_open(const char *path, wl_os_newfile **nf, FILE **f);
int wl_os_newfile_commit(wl_os_newfile *nf);
void wl_os_newfile_abort(wl_os_newfile *nf); /* NULL-safe */

#endif
