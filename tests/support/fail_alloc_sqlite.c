/* fail_alloc_sqlite.c — SQLite's allocations through the fault injector (see fail_alloc.h).
 *
 * SQLite allocates through the methods of SQLITE_CONFIG_MALLOC; wl_fail_alloc_install wraps its
 * default allocator, as SQLite's own test_malloc.c does, so an injected failure is a real
 * SQLITE_NOMEM from inside SQLite, with its error state and rollbacks.
 *
 * Granularity. Debian's SQLite is built with SQLITE_OMIT_LOOKASIDE, so every parse node is a
 * malloc: one store path makes about 12,000 SQLite allocations, most of them inside statement
 * preparation, and every one of a call's allocations reaches the product the same way — that
 * call returns an error. So a point is not every SQLite allocation but the 1st, 2nd, 4th, 8th,
 * ... allocation within one call of the product into SQLite (the calls below, wrapped with
 * --wrap=sqlite3_step etc.): every call fails early and late (an open that has already made its
 * handle, a step that has already delivered rows) at a logarithmic cost. The other allocations
 * of the call go through, or fail too once a persistent failure has started.
 * WL_FAIL_ALLOC_SQLITE=all makes every SQLite allocation a point (exhaustive; about 10x the
 * iterations), =first only the first of each call. Allocations outside the wrapped calls
 * (SQLite called from somewhere not listed) are always points.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "tests/support/fail_alloc.h"

enum { GRAIN_LOG = 0, GRAIN_FIRST, GRAIN_ALL };
static int grain;
static sqlite3_mem_methods orig;         /* SQLite's default allocator */
static _Thread_local unsigned depth;     /* wrapped calls in progress on this thread */
static _Thread_local size_t call_allocs; /* allocations in the outermost one so far */

/* Is this SQLite allocation a point of the countdown? */
static int is_point(void) {
  if (depth == 0 || grain == GRAIN_ALL)
    return 1;
  size_t i = ++call_allocs;
  return grain == GRAIN_FIRST ? i == 1 : (i & (i - 1)) == 0;
}

static int fail_now(void) { return is_point() ? wl_fail_alloc_point() : wl_fail_alloc_failing(); }

static void *sq_malloc(int n) { return fail_now() ? NULL : orig.xMalloc(n); }
static void sq_free(void *p) { orig.xFree(p); }
static void *sq_realloc(void *p, int n) { return fail_now() ? NULL : orig.xRealloc(p, n); }
static int sq_size(void *p) { return orig.xSize(p); }
static int sq_roundup(int n) { return orig.xRoundup(n); }
static int sq_init(void *app) { return orig.xInit(app); }
static void sq_shutdown(void *app) { orig.xShutdown(app); }

void wl_fail_alloc_install(void) {
  static int done;
  if (done)
    return;
  const char *g = getenv("WL_FAIL_ALLOC_SQLITE");
  grain = g && strcmp(g, "all") == 0     ? GRAIN_ALL
          : g && strcmp(g, "first") == 0 ? GRAIN_FIRST
                                         : GRAIN_LOG;
  if (sqlite3_config(SQLITE_CONFIG_GETMALLOC, &orig) != SQLITE_OK)
    fail_msg("fail_alloc: SQLITE_CONFIG_GETMALLOC refused (SQLite already initialised?)");
  sqlite3_mem_methods m = {sq_malloc,  sq_free, sq_realloc,  sq_size,
                           sq_roundup, sq_init, sq_shutdown, orig.pAppData};
  if (sqlite3_config(SQLITE_CONFIG_MALLOC, &m) != SQLITE_OK)
    fail_msg("fail_alloc: SQLITE_CONFIG_MALLOC refused (SQLite already initialised?)");
  if (sqlite3_initialize() != SQLITE_OK)
    fail_msg("fail_alloc: sqlite3_initialize failed");
  done = 1;
}

/* ---------------------------------------------------------------- the wrapped calls */

static void enter(void) {
  if (depth++ == 0)
    call_allocs = 0;
}
static void leave(void) { depth--; }

/* R __wrap_NAME(PARAMS) { enter; R r = __real_NAME(ARGS); leave; return r; } */
#define WRAP(R, name, params, args)                                                                \
  R __real_##name params;                                                                          \
  R __wrap_##name params;                                                                          \
  R __wrap_##name params {                                                                         \
    enter();                                                                                       \
    R r = __real_##name args;                                                                      \
    leave();                                                                                       \
    return r;                                                                                      \
  }

typedef void (*destructor)(void *);
typedef int (*exec_cb)(void *, int, char **, char **);
typedef const unsigned char *ustr;
typedef const void *cvoid;
typedef const char *cstr;

/* clang-format off */
WRAP(int, sqlite3_open_v2, (const char *f, sqlite3 **db, int flags, const char *vfs),
     (f, db, flags, vfs))
WRAP(int, sqlite3_close, (sqlite3 *db), (db))
WRAP(int, sqlite3_close_v2, (sqlite3 *db), (db))
WRAP(int, sqlite3_prepare_v2,
     (sqlite3 *db, const char *sql, int n, sqlite3_stmt **st, const char **tail),
     (db, sql, n, st, tail))
WRAP(int, sqlite3_prepare_v3,
     (sqlite3 *db, const char *sql, int n, unsigned flags, sqlite3_stmt **st, const char **tail),
     (db, sql, n, flags, st, tail))
WRAP(int, sqlite3_step, (sqlite3_stmt *st), (st))
WRAP(int, sqlite3_reset, (sqlite3_stmt *st), (st))
WRAP(int, sqlite3_finalize, (sqlite3_stmt *st), (st))
WRAP(int, sqlite3_exec, (sqlite3 *db, const char *sql, exec_cb cb, void *ctx, char **err),
     (db, sql, cb, ctx, err))
WRAP(ustr, sqlite3_column_text, (sqlite3_stmt *st, int i), (st, i))
WRAP(cvoid, sqlite3_column_blob, (sqlite3_stmt *st, int i), (st, i))
WRAP(int, sqlite3_column_bytes, (sqlite3_stmt *st, int i), (st, i))
WRAP(int, sqlite3_bind_text, (sqlite3_stmt *st, int i, const char *v, int n, destructor d),
     (st, i, v, n, d))
WRAP(int, sqlite3_bind_blob, (sqlite3_stmt *st, int i, const void *v, int n, destructor d),
     (st, i, v, n, d))
WRAP(int, sqlite3_file_control, (sqlite3 *db, const char *name, int op, void *arg),
     (db, name, op, arg))
WRAP(cstr, sqlite3_errmsg, (sqlite3 *db), (db))
/* clang-format on */
