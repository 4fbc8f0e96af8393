/* report_held.c — review's table-only evidence in JSON (issue 19, item 3), for `review --json`
 * and GET /api/proposals alike: one element per long-lived connection the capture saw in the
 * machine's connection tables that no recorded flow covers (store/held.h), after the allow
 * proposals and the revoke proposals. A program that held a connection all week while no allow
 * event came is listed even though no proposal could be built from events. It is evidence, not
 * a proposal: it has no id, and promote cannot take it (the page shows it without an Allow).
 * Kept apart from report.c so that file only gains the call.
 *
 * {"kind":"held","app":"C:\\x\\b.exe","state":"established","proto":6,"ip_version":4,
 *  "local_port":50001,"remote":"1.2.3.1","remote_port":443,"first_seen":T,"last_seen":T,
 *  "reads":5,"flags":["table-only"]}   (a listener: "state":"listen", remote and port null)
 */
#include "common/wl_err.h"
#include "common/wl_json.h"
#include "common/wl_text.h"
#include "store/held.h"
#include "ui/report.h"

typedef struct held_ctx {
  FILE *f;
  size_t *items;
} held_ctx;

static int held_cb(void *ctx, const wl_held *h) {
  held_ctx *c = ctx;
  char first[WL_TIME_STR_MAX], last[WL_TIME_STR_MAX], addr[WL_ADDR_STR_MAX];
  int listen = h->state == WL_HELD_LISTEN;
  wl_time_format(h->first_seen, first);
  wl_time_format(h->last_seen, last);
  if (!listen)
    wl_addr_format(h->ip_version, h->remote_addr, addr);
  fputs((*c->items)++ ? ",\n " : "[", c->f);
  fputs("{\"kind\":\"held\",\"app\":", c->f);
  wl_json_write_string(c->f, h->app);
  fprintf(c->f, ",\"state\":\"%s\",\"proto\":%u,\"ip_version\":%u,\"local_port\":%u,\"remote\":",
          listen ? "listen" : "established", (unsigned)h->proto, (unsigned)h->ip_version,
          (unsigned)h->local_port);
  wl_json_write_string(c->f, listen ? NULL : addr);
  if (listen)
    fputs(",\"remote_port\":null", c->f);
  else
    fprintf(c->f, ",\"remote_port\":%u", (unsigned)h->remote_port);
  fputs(",\"first_seen\":", c->f);
  wl_json_write_string(c->f, first);
  fputs(",\"last_seen\":", c->f);
  wl_json_write_string(c->f, last);
  fprintf(c->f, ",\"reads\":%llu,\"flags\":[\"table-only\"]}", (unsigned long long)h->reads);
  return 0;
}

int wl_report_held(FILE *f, wl_store *s, size_t *items) {
  held_ctx c = {f, items};
  return wl_store_held_list(s, 1, held_cb, &c);
}
