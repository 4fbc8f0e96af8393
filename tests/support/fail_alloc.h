/* fail_alloc.h — allocation fault injection for the tests (never linked into the product), in
 * the manner of SQLite's src/test_malloc.c: arm a counter so that the Nth allocation from now
 * fails (and, in persistent mode, every one after it), run a whole path, and loop N from 1
 * until the path makes no more allocations than N - 1 (no failure was injected: the path
 * succeeded). Every allocation point of the path has then failed once.
 *
 * What is counted (one counter, shared by all threads):
 *   - the product's malloc, calloc, realloc and strdup: a test executable is linked with
 *     -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=strdup (GNU ld and lld; native
 *     builds only, see tests/CMakeLists.txt), so the calls in its own objects and the static
 *     product libraries go to __wrap_malloc etc. here. Calls inside shared libraries (libc's own
 *     fopen buffers, cmocka) are not wrapped and never fail.
 *   - SQLite's allocations: wl_fail_alloc_install() wraps SQLite's default allocator with
 *     sqlite3_config(SQLITE_CONFIG_MALLOC, ...), which must come before sqlite3_initialize (call
 *     it first thing in main). SQLite then reports SQLITE_NOMEM as usual. Within one call of the
 *     product into SQLite, the 1st, 2nd, 4th, 8th ... allocation is a point (the executable is
 *     linked with --wrap for the calls; fail_alloc_sqlite.c says why and how to make every
 *     SQLite allocation a point).
 *   - expat's allocations, when the executable is also linked with -Wl,--wrap=XML_ParserCreate:
 *     the product's XML_ParserCreate(enc) becomes XML_ParserCreate_MM(enc, counted suite, NULL)
 *     here (the parser's creation is an allocation point too), without changing the importer.
 */
#ifndef WL_TEST_FAIL_ALLOC_H
#define WL_TEST_FAIL_ALLOC_H

#include <stddef.h>

enum wl_fail_mode {
  WL_FAIL_ONCE = 0,   /* only the Nth allocation fails; later ones succeed again */
  WL_FAIL_PERSIST = 1 /* the Nth and every later allocation fail until disarmed */
};

/* Route SQLite's allocations through the counter. Before sqlite3_initialize (and before any
 * sqlite3_open); idempotent. Fails the test (cmocka) when SQLite is already initialised. */
void wl_fail_alloc_install(void);

/* Where an OOM test keeps its files: $WL_OOM_DIR, else /dev/shm when it is a writable folder,
 * else $WL_BUILD_DIR, else ".". A loop creates a store thousands of times, and on a disk each
 * one waits for its fsyncs (the store path: 3 min on this machine's disk, 18 s in tmpfs); the
 * code under test is the same either way. */
const char *wl_fail_alloc_dir(void);

/* For main(): argv[1] "persistent" selects the tests named *_persistent, "all" every test,
 * nothing the *_once ones (cmocka_set_test_filter). ctest runs each as its own entry. */
void wl_fail_alloc_select(int argc, char **argv);

/* The nth allocation point from now fails (n >= 1); resets the counts. */
void wl_fail_alloc_arm(size_t n, enum wl_fail_mode mode);
/* Stop failing and counting; the counts of the last arming stay readable. */
void wl_fail_alloc_disarm(void);
/* Failures injected since the last arm (0: the path made fewer than n allocations). */
size_t wl_fail_alloc_hit(void);
/* Allocation points counted since the last arm (failed ones included). */
size_t wl_fail_alloc_count(void);

/* For the allocator wrappers (fail_alloc*.c): count one allocation point, 1 when it is to fail;
 * and, for an allocation that is not a point, 1 when a persistent failure has begun. */
int wl_fail_alloc_point(void);
int wl_fail_alloc_failing(void);

/* The loop: for n = 1, 2, ... call path(ctx, n, mode) — which copies or creates its fixtures,
 * arms with wl_fail_alloc_arm(n, mode), runs the path, disarms, and checks what it must — until
 * an n at which no failure was injected, or max_n (a cmocka failure: the path did not end).
 * Prints "NAME (once|persistent): K allocation points" and the error codes the steps returned,
 * and returns K (= that n - 1). WL_FAIL_ALLOC_VERBOSE=1 in the environment: first the path
 * once without failures (its points and time), then progress every 500; =2 also every step's
 * error and message. WL_FAIL_ALLOC_N=k runs n = k only. */
typedef void (*wl_fail_path)(void *ctx, size_t n, enum wl_fail_mode mode);
size_t wl_fail_alloc_loop(const char *name, wl_fail_path path, void *ctx, enum wl_fail_mode mode,
                          size_t max_n);

/* What a step of a path may return while failures are injected: WL_OK, or a WL_E_* code with a
 * message (wl_errmsg() not empty) that does not blame the file, the input or the machine
 * (WL_E_CORRUPT, _VERSION, _PARSE, _PERM, _READONLY, _NOSPACE, _INTERNAL). Fails the test
 * otherwise, naming the step and n; counts the
 * codes (the loop prints them); clears the message so the next step must set its own. Returns
 * rc: `rc = wl_fail_alloc_step("open", n, wl_store_open(...));` (clear the message once before
 * the first step). */
int wl_fail_alloc_step(const char *step, size_t n, int rc);

#endif
