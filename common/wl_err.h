/* wl_err.h — the one error model of wfplearn.
 *
 * Every function that can fail returns an int: 0 (WL_OK) or a negative WL_E_* code from the
 * table below. The human message lives in one place: the failing function calls wl_err() with
 * the code and a printf-style message naming the file/line/API involved; the message is kept
 * per thread until the next wl_err() and read with wl_errmsg(). Platform codes (Win32, FWP_E_*,
 * SQLite, errno) are translated to WL_E_* only at the edge, and the original code goes into the
 * message, e.g. "FwpmFilterAdd0: FWP_E_ALREADY_EXISTS (0x80320009)".
 */
#ifndef WL_ERR_H
#define WL_ERR_H

#include <stdarg.h>

/* X(name, code, text, user) — user=1: the user's input is at fault (CLI exit 1), else exit 2. */
#define WL_ERRNO_MAP(X)                                                \
  X(OK, 0, "ok", 0)                                                    \
  X(INVAL, -1, "invalid argument", 1)                                  \
  X(NOMEM, -2, "out of memory", 0)                                     \
  X(IO, -3, "I/O error", 0)                                            \
  X(PARSE, -4, "malformed input", 1)                                   \
  X(NOTFOUND, -5, "not found", 1)                                      \
  X(EXISTS, -6, "already exists", 1)                                   \
  X(FULL, -7, "buffer full", 0)                                        \
  X(UNSUPPORTED, -8, "not supported here", 1)                          \
  X(ENGINE, -9, "filtering engine error", 0)                           \
  X(DB, -10, "database error", 0)                                      \
  X(BUSY, -11, "busy or locked", 0)                                    \
  X(NOSPACE, -12, "disk full", 0)                                      \
  X(READONLY, -13, "read-only", 1)                                     \
  X(CORRUPT, -14, "file damaged", 0)                                   \
  X(VERSION, -15, "made by a newer wfplearn", 1)                       \
  X(PERM, -16, "permission denied", 1)                                 \
  X(STOPPED, -17, "stopped", 0)                                        \
  X(TIMEOUT, -18, "timed out", 0)                                      \
  X(CONFLICT, -19, "conflict", 1)                                      \
  X(TOOBIG, -20, "too big", 1)                                         \
  X(INTERNAL, -21, "internal error", 0)

enum {
#define WL_ERR_ENUM(name, code, text, user) WL_E_##name = (code),
  WL_ERRNO_MAP(WL_ERR_ENUM)
#undef WL_ERR_ENUM
};
#define WL_OK WL_E_OK

/* printf-style checking: GCC must be told the GNU dialect, or on mingw it assumes MSVCRT's and
 * rejects %zu even though we build with __USE_MINGW_ANSI_STDIO=1. */
#if defined(__clang__)
#define WL_PRINTF(f, a) __attribute__((format(printf, f, a)))
#elif defined(__GNUC__)
#define WL_PRINTF(f, a) __attribute__((format(gnu_printf, f, a)))
#else
#define WL_PRINTF(f, a)
#endif

/* Record `code` and a message for this thread; returns `code` so callers can
 * `return wl_err(WL_E_PARSE, "%s:%d: expected ':'", file, line);`. */
int wl_err(int code, const char *fmt, ...) WL_PRINTF(2, 3);
int wl_verr(int code, const char *fmt, va_list ap);

/* Prefix the current message with "context: " (e.g. the file name), keeping the code. */
int wl_err_prefix(int code, const char *fmt, ...) WL_PRINTF(2, 3);

const char *wl_errmsg(void);      /* this thread's last message, "" if none */
void wl_err_clear(void);
const char *wl_strerror(int code); /* fixed text of a code ("malformed input") */
const char *wl_errname(int code);  /* "WL_E_PARSE" */
int wl_err_is_user(int code);      /* 1 when the CLI should exit 1, else 2 */

#endif
