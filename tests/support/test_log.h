/* test_log.h — a capture's log lines kept for a test to look at (wl_capture_opts.log). The
 * capture logs from its threads while the test reads: a mutex orders them. */
#ifndef WL_TEST_LOG_H
#define WL_TEST_LOG_H

#include "common/wl_thread.h"

#define WL_TEST_LOG_LINES 16

typedef struct wl_test_log {
  wl_mutex mu;
  char line[WL_TEST_LOG_LINES][512];
  int n; /* lines kept; later ones are dropped */
} wl_test_log;

void wl_test_log_init(wl_test_log *l);
void wl_test_log_done(wl_test_log *l);
/* A wl_capture_log_fn: ctx is a wl_test_log. */
void wl_test_log_keep(void *ctx, const char *line);
/* 1 when a kept line contains what. */
int wl_test_logged(wl_test_log *l, const char *what);

#endif
