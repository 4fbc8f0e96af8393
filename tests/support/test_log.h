/* test_log.h — a capture's log lines kept for a test to look at (wl_capture_opts.log). */
#ifndef WL_TEST_LOG_H
#define WL_TEST_LOG_H

#define WL_TEST_LOG_LINES 16

typedef struct wl_test_log {
  char line[WL_TEST_LOG_LINES][512];
  int n; /* lines kept; later ones are dropped */
} wl_test_log;

/* A wl_capture_log_fn: ctx is a wl_test_log. */
void wl_test_log_keep(void *ctx, const char *line);
/* 1 when a kept line contains what. */
int wl_test_logged(const wl_test_log *l, const char *what);

#endif
