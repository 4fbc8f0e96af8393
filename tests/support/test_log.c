/* test_log.c — see test_log.h. */
#include "tests/support/test_log.h"

#include <string.h>

#include "common/wl_text.h"

void wl_test_log_init(wl_test_log *l) {
  memset(l, 0, sizeof *l);
  wl_mutex_init(&l->mu);
}

void wl_test_log_done(wl_test_log *l) { wl_mutex_destroy(&l->mu); }

void wl_test_log_keep(void *ctx, const char *line) {
  wl_test_log *l = ctx;
  wl_mutex_lock(&l->mu);
  if (l->n < WL_TEST_LOG_LINES)
    wl_strlcpy(l->line[l->n++], line, sizeof l->line[0]);
  wl_mutex_unlock(&l->mu);
}

int wl_test_logged(wl_test_log *l, const char *what) {
  int found = 0;
  wl_mutex_lock(&l->mu);
  for (int i = 0; i < l->n && !found; i++)
    found = strstr(l->line[i], what) != NULL;
  wl_mutex_unlock(&l->mu);
  return found;
}
