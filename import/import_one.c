/* import_one.c — one Event XML record, as the Security-log live source receives it (issue 19,
 * item 2: EvtRender's EvtRenderEventXml on Windows, the sim's records elsewhere), parsed by the
 * very parser `import --format evtxml` uses for files (import_evtxml.c through wl_import_buffer),
 * so a live record and the same record exported by wevtutil become the same wl_event. The cost
 * of a parser per record (an expat parser, a few KB) is small next to the Event Log's own.
 */
#include <stdio.h>
#include <string.h>

#include "common/wl_err.h"
#include "common/wl_text.h"
#include "import/import.h"

typedef struct one_ctx {
  wl_event *out;
  uint32_t *event_id;
  int got;
} one_ctx;

static int take_first(void *ctx, const wl_import_rec *r) {
  one_ctx *o = ctx;
  if (o->got++ == 0) {
    *o->out = r->ev;
    if (o->event_id)
      *o->event_id = r->event_id;
  }
  return WL_OK;
}

int wl_import_event_xml(const char *xml, size_t len, const wl_path_map *paths, wl_event *out,
                        uint32_t *event_id, char *why, size_t cap) {
  wl_import_opts o = {.format = WL_IMPORT_EVTXML, .paths = paths};
  wl_import_stats st;
  one_ctx ctx = {out, event_id, 0};
  memset(&st, 0, sizeof st);
  if (why && cap)
    why[0] = '\0';
  int rc = wl_import_buffer(&o, "eventlog", xml, len, take_first, &ctx, &st);
  if (rc != WL_OK)
    return rc;
  if (ctx.got)
    return 1;
  if (why && cap)
    snprintf(why, cap, "%s", st.nproblems ? st.problems[0]
                             : st.unsupported ? "not a 5152/5154/5156/5157/5158 record"
                                              : "no <Event> element");
  return 0;
}
