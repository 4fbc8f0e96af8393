/* held.c — issue 19, item 3: every connection-table read of the self-check (selfcheck.c) is
 * evidence. Established connections and listeners whose owner's image is known go to the
 * store's `held` table (store/held.h) in one transaction; `status` counts the long-lived ones
 * and `review` lists the programs seen only there. Runs on the consumer thread, between batches
 * (the store is the consumer's); a failure is logged once per streak and never stops capture.
 */
#include <stdlib.h>
#include <string.h>

#include "capture/capture_impl.h"
#include "common/wl_text.h"
#include "store/held.h"

void wl_capture_held_note(wl_capture *c, const wl_conn *conns, size_t n) {
  wl_held *h = n ? malloc(n * sizeof *h) : NULL;
  size_t k = 0;
  if (!h)
    return;
  for (size_t i = 0; i < n; i++) {
    const wl_conn *x = &conns[i];
    if (!x->app[0] || (x->state != WL_CONN_LISTEN && x->state != WL_CONN_ESTABLISHED))
      continue;
    memset(&h[k], 0, sizeof h[k]);
    wl_strlcpy(h[k].app, x->app, sizeof h[k].app);
    h[k].state = x->state == WL_CONN_LISTEN ? WL_HELD_LISTEN : WL_HELD_ESTABLISHED;
    h[k].proto = x->proto;
    h[k].ip_version = x->ip_version;
    h[k].local_port = x->local_port;
    h[k].remote_port = x->remote_port;
    memcpy(h[k].remote_addr, x->remote_addr, 16);
    k++;
  }
  int rc = wl_store_held_note(c->store, h, k, wl_time_now());
  free(h);
  if (rc != WL_OK && !c->held_failing++)
    wl_capture_log(c, "store: noting the connection tables: %s", wl_errmsg());
  if (rc == WL_OK)
    c->held_failing = 0;
  wl_err_clear();
}
