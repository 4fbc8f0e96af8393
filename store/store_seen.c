/* store_seen.c — which apps and flows a handle has written events for (wl_store_session_counts):
 * the capture's live "N apps, M flows" (issue 16).
 *
 * Why here: the capture counted them itself, hashing each event's app path and flow key into
 * sets of its own (a 4 MB one for flows, a cache and TLB miss an event: a tenth of the
 * consumer's time), while the store already turns every event into an app id and a flow id.
 * Ids are dense (1, 2, 3 ...), so a set is a bitmap: one bit an id, 128 KB for a million flows,
 * grown by doubling; nothing saturates. The bits a batch sets are logged and cleared again when
 * the batch rolls back (its ids may be given to other apps or flows on the retry), and the log is
 * emptied when it commits. Best effort: without memory an id is not counted, nothing fails.
 */
#include <stdlib.h>
#include <string.h>

#include "store/store_int.h"

void wl_idset_add(wl_idset *s, uint64_t id) {
  size_t w = (size_t)(id / 64);
  if (w >= s->nw) {
    size_t n = s->nw ? s->nw : 64;
    while (n <= w)
      n *= 2;
    uint64_t *v = realloc(s->w, n * sizeof *v);
    if (!v)
      return;
    memset(v + s->nw, 0, (n - s->nw) * sizeof *v);
    s->w = v;
    s->nw = n;
  }
  uint64_t bit = 1ull << (id % 64);
  if (s->w[w] & bit)
    return;
  if (s->nlog == s->caplog) {
    size_t n = s->caplog ? 2 * s->caplog : 1024;
    uint64_t *v = realloc(s->log, n * sizeof *v);
    if (!v)
      return; /* not counted rather than not undone */
    s->log = v;
    s->caplog = n;
  }
  s->w[w] |= bit;
  s->log[s->nlog++] = id;
  s->n++;
}

void wl_idset_commit(wl_idset *s) { s->nlog = 0; }

void wl_idset_undo(wl_idset *s) {
  for (size_t i = 0; i < s->nlog; i++)
    s->w[s->log[i] / 64] &= ~(1ull << (s->log[i] % 64));
  s->n -= s->nlog;
  s->nlog = 0;
}

void wl_idset_free(wl_idset *s) {
  free(s->w);
  free(s->log);
  memset(s, 0, sizeof *s);
}

void wl_store_session_counts(const wl_store *s, uint64_t *apps, uint64_t *flows) {
  *apps = s ? s->seen_apps.n : 0;
  *flows = s ? s->seen_flows.n : 0;
}
