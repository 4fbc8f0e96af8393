/* cli_held.c — review's table-only section (issue 19, item 3): the long-lived connections the
 * capture saw in the machine's connection tables that no recorded event covers (store/held.h).
 * A program that held a connection all week while allow events never came (a blind capture,
 * or a connection opened before learn started) is listed here even though no proposal could be
 * built from events: it is evidence to weigh, not a rule yet (promote works on proposals).
 * Listeners first by program, then connections; at most LIST_MAX lines, the rest counted.
 */
#include <stdio.h>

#include "cli/cli.h"
#include "common/wl_err.h"
#include "common/wl_text.h"
#include "store/held.h"

#define LIST_MAX 50u

typedef struct held_out {
  FILE *f;
  unsigned n;
} held_out;

static const char *proto_name(int p) {
  return p == 6 ? "tcp" : p == 17 ? "udp" : "ip";
}

static int print_one(void *ctx, const wl_held *h) {
  held_out *o = ctx;
  char first[WL_TIME_STR_MAX], last[WL_TIME_STR_MAX], ep[WL_EP_STR_MAX + 16];
  if (o->n++ == 0)
    fprintf(o->f, "\nSeen only in the connection tables (no event recorded; table-only "
                  "evidence, not a proposal):\n");
  if (o->n > LIST_MAX)
    return 0; /* counted below */
  wl_time_text(h->first_seen, first);
  wl_time_text(h->last_seen, last);
  if (h->state == WL_HELD_LISTEN)
    snprintf(ep, sizeof ep, "listening on %u", (unsigned)h->local_port);
  else
    wl_endpoint_format(h->ip_version, h->remote_addr, h->remote_port, ep);
  fprintf(o->f, "  %-40s %s %-24s %s .. %s (%llu reads)\n", h->app, proto_name(h->proto), ep,
          first, last, (unsigned long long)h->reads);
  return 0;
}

void wl_cli_print_held(FILE *f, wl_store *s) {
  held_out o = {f, 0};
  if (wl_store_held_list(s, 1, print_one, &o) != WL_OK) {
    wl_err_clear(); /* informative only */
    return;
  }
  if (o.n > LIST_MAX)
    fprintf(f, "  ... and %u more\n", o.n - LIST_MAX);
}
