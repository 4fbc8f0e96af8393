/* test_log.c — see test_log.h. */
#include "tests/support/test_log.h"

#include <string.h>

#include "common/wl_text.h"

void wl_test_log_keep(void *ctx, const char *line) {
  wl_test_log *l = ctx;
  if (l->n < WL_TEST_LOG_LINES)
    wl_strlcpy(l->line[l->n++], line, sizeof l->line[0]);
}

int wl_test_logged(const wl_test_log *l, const char *what) {
  for (int i = 0; i < l->n; i++)
    if (strstr(l->line[i], what))
      return 1;
  return 0;
}
