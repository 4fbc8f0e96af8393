/* fail_alloc.c — the allocation fault injector of the OOM tests (see fail_alloc.h): the
 * countdown, the product's libc allocators (--wrap), and the loop.
 *
 * Shaped after SQLite's src/test_malloc.c (faultsimMalloc & co.): one countdown shared by every
 * allocator we reach — here the product's malloc/calloc/realloc/strdup, in fail_alloc_sqlite.c
 * SQLite's allocator, in fail_alloc_expat.c expat's — so "the Nth allocation" means the same
 * thing wherever it happens. Atomics, because a path may allocate on more than one thread (the
 * counts then depend on scheduling; the paths tested here allocate on one).
 */
#include "tests/support/fail_alloc.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/wl_err.h"
#include "common/wl_text.h"

/* The real allocators (GNU ld --wrap=SYMBOL: __real_SYMBOL is the original). */
void *__real_malloc(size_t n);
void *__real_calloc(size_t k, size_t n);
void *__real_realloc(void *p, size_t n);
char *__real_strdup(const char *s);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t k, size_t n);
void *__wrap_realloc(void *p, size_t n);
char *__wrap_strdup(const char *s);

static atomic_size_t target;  /* 0: disarmed */
static atomic_size_t counted; /* allocation points since arm */
static atomic_size_t hits;    /* failures injected since arm */
static atomic_int persist;

int wl_fail_alloc_point(void) {
  size_t t = atomic_load(&target);
  if (t == 0)
    return 0;
  size_t c = atomic_fetch_add(&counted, 1) + 1;
  if (c == t || (c > t && atomic_load(&persist))) {
    atomic_fetch_add(&hits, 1);
    return 1;
  }
  return 0;
}

int wl_fail_alloc_failing(void) {
  size_t t = atomic_load(&target);
  if (t == 0 || !atomic_load(&persist) || atomic_load(&counted) < t)
    return 0;
  atomic_fetch_add(&hits, 1);
  return 1;
}

void wl_fail_alloc_arm(size_t n, enum wl_fail_mode mode) {
  atomic_store(&target, 0);
  atomic_store(&counted, 0);
  atomic_store(&hits, 0);
  atomic_store(&persist, mode == WL_FAIL_PERSIST);
  atomic_store(&target, n);
}

void wl_fail_alloc_disarm(void) { atomic_store(&target, 0); }
size_t wl_fail_alloc_hit(void) { return atomic_load(&hits); }
size_t wl_fail_alloc_count(void) { return atomic_load(&counted); }

/* ---------------------------------------------------------------- libc (--wrap) */

void *__wrap_malloc(size_t n) {
  if (wl_fail_alloc_point()) {
    errno = ENOMEM;
    return NULL;
  }
  return __real_malloc(n);
}

void *__wrap_calloc(size_t k, size_t n) {
  if (wl_fail_alloc_point()) {
    errno = ENOMEM;
    return NULL;
  }
  return __real_calloc(k, n);
}

/* A failed realloc leaves the block as it was, as the real one does. */
void *__wrap_realloc(void *p, size_t n) {
  if (wl_fail_alloc_point()) {
    errno = ENOMEM;
    return NULL;
  }
  return __real_realloc(p, n);
}

char *__wrap_strdup(const char *s) {
  if (wl_fail_alloc_point()) {
    errno = ENOMEM;
    return NULL;
  }
  return __real_strdup(s);
}

/* ---------------------------------------------------------------- the loop */

const char *wl_fail_alloc_dir(void) {
  const char *d = getenv("WL_OOM_DIR");
  if (d && *d)
    return d;
  struct stat sb;
  if (stat("/dev/shm", &sb) == 0 && S_ISDIR(sb.st_mode) && access("/dev/shm", W_OK) == 0)
    return "/dev/shm";
  d = getenv("WL_BUILD_DIR");
  return d && *d ? d : ".";
}

void wl_fail_alloc_select(int argc, char **argv) {
  const char *m = argc > 1 ? argv[1] : "once";
  if (strcmp(m, "all") != 0)
    cmocka_set_test_filter(strcmp(m, "persistent") == 0 ? "*_persistent" : "*_once");
}

#define CODES 32
static size_t codes[CODES]; /* error codes the steps returned in this loop, by -code */

static void print_codes(void) {
  int any = 0;
  for (int i = 1; i < CODES; i++)
    if (codes[i])
      printf("%s %s x %zu", any++ ? "," : "  step errors:", wl_errname(-i), codes[i]);
  if (any)
    printf("\n");
}

/* WL_FAIL_ALLOC_VERBOSE: the path once without failures (points, time), then progress. */
static int verbose_start(const char *name, wl_fail_path path, void *ctx, enum wl_fail_mode mode) {
  if (!getenv("WL_FAIL_ALLOC_VERBOSE"))
    return 0;
  uint64_t t0 = wl_time_now();
  path(ctx, SIZE_MAX, mode);
  printf("%s: %zu allocation points without failures, %.1f ms a path\n", name,
         wl_fail_alloc_count(), (double)(wl_time_now() - t0) / 10000);
  fflush(stdout);
  return 1;
}

size_t wl_fail_alloc_loop(const char *name, wl_fail_path path, void *ctx, enum wl_fail_mode mode,
                          size_t max_n) {
  const char *mode_name = mode == WL_FAIL_PERSIST ? "persistent" : "once";
  int verbose = verbose_start(name, path, ctx, mode);
  size_t n = 1;
  memset(codes, 0, sizeof codes);
  const char *only = getenv("WL_FAIL_ALLOC_N");
  if (only && *only) { /* one n, to debug it */
    n = (size_t)strtoull(only, NULL, 10);
    path(ctx, n, mode);
    wl_fail_alloc_disarm();
    printf("%s (%s): n = %zu only: %zu failures injected\n", name, mode_name, n,
           wl_fail_alloc_hit());
    return wl_fail_alloc_hit() ? n : n - 1;
  }
  for (;; n++) {
    if (n > max_n)
      fail_msg("%s: still injecting failures at n = %zu (a path without end?)", name, n);
    path(ctx, n, mode);
    wl_fail_alloc_disarm();
    if (wl_fail_alloc_hit() == 0)
      break;
    if (verbose && n % 500 == 0) {
      printf("  %s (%s): n = %zu\n", name, mode_name, n);
      fflush(stdout);
    }
  }
  printf("%s (%s): %zu allocation points\n", name, mode_name, n - 1);
  print_codes();
  fflush(stdout);
  return n - 1;
}

/* Codes that blame the file, the input or the machine for what was only a failed allocation:
 * the user would be told to move a good store away, fix a good file or free disk space. */
static int misleading(int rc) {
  return rc == WL_E_CORRUPT || rc == WL_E_VERSION || rc == WL_E_PARSE || rc == WL_E_PERM ||
         rc == WL_E_READONLY || rc == WL_E_NOSPACE || rc == WL_E_INTERNAL;
}

int wl_fail_alloc_step(const char *step, size_t n, int rc) {
  if (rc == WL_OK) {
    wl_err_clear();
    return rc;
  }
  if (rc > 0 || strcmp(wl_errname(rc), "WL_E_?") == 0)
    fail_msg("%s at n = %zu: returned %d, not a WL_E_* code", step, n, rc);
  if (!wl_errmsg()[0])
    fail_msg("%s at n = %zu: %s without a message", step, n, wl_errname(rc));
  if (misleading(rc))
    fail_msg("%s at n = %zu: %s under an injected allocation failure: %s", step, n, wl_errname(rc),
             wl_errmsg());
  if (-rc < CODES)
    codes[-rc]++;
  const char *v = getenv("WL_FAIL_ALLOC_VERBOSE");
  if (v && strcmp(v, "2") == 0)
    printf("  n = %zu: %s: %s: %s\n", n, step, wl_errname(rc), wl_errmsg());
  wl_err_clear();
  return rc;
}
