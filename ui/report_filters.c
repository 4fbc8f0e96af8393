/* report_filters.c — the blocking filters named under review's proposals, each looked up in the
 * store once per listing (wl_filter_names, report.h).
 *
 * A proposal names up to four filters that dropped its flows, and a week's thousands of
 * proposals name the same few: looked up one by one, every name was a read transaction of its
 * own (4,000 of them over a million-flow week, 3% of `review`). A listing keeps what it looked
 * up, found or not; up to WL_FILTER_NAMES_MAX filters, past that each is looked up again.
 */
#include <stdlib.h>
#include <string.h>

#include "common/wl_err.h"
#include "ui/report.h"

#define WL_FILTER_NAMES_MAX 1024

const wl_filter_info *wl_filter_names_get(wl_filter_names *m, wl_store *s, uint64_t filter_id) {
  for (size_t i = 0; i < m->n; i++)
    if (m->v[i].fi.filter_id == filter_id)
      return m->v[i].known ? &m->v[i].fi : NULL;
  if (m->n == m->cap && m->cap < WL_FILTER_NAMES_MAX) {
    size_t cap = m->cap ? 2 * m->cap : 16;
    struct wl_filter_name *v = realloc(m->v, cap * sizeof *v);
    if (v) {
      m->v = v;
      m->cap = cap;
    }
  }
  struct wl_filter_name *e = m->n < m->cap ? &m->v[m->n++] : &m->spare;
  e->known = wl_store_filter_info_get(s, filter_id, &e->fi) == WL_OK;
  e->fi.filter_id = filter_id;
  wl_err_clear(); /* never attributed: shown by its id alone, not an error */
  return e->known ? &e->fi : NULL;
}

void wl_filter_names_free(wl_filter_names *m) {
  free(m->v);
  memset(m, 0, sizeof *m);
}
