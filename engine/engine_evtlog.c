/* engine_evtlog.c — the dispatcher for engine/evtlog.h (the Security-log side of the seam):
 * argument checks, then the backend's ops entry; an entry a backend leaves NULL answers
 * WL_E_UNSUPPORTED naming the call and the backend, as engine.c does for the rest.
 */
#include <string.h>

#include "common/wl_err.h"
#include "engine/backend.h"
#include "engine/evtlog.h"

static int missing(wl_engine *e, const char *op) {
  return !e ? wl_err(WL_E_INVAL, "%s: NULL engine", op)
            : wl_err(WL_E_UNSUPPORTED, "%s: not supported by the %s engine", op, e->ops->kind);
}

int wl_engine_evtlog_open(wl_engine *e, wl_evtlog **out) {
  void *s = NULL;
  if (!out)
    return wl_err(WL_E_INVAL, "wl_engine_evtlog_open: NULL argument");
  *out = NULL;
  if (!e || !e->ops->evtlog_open)
    return missing(e, "evtlog_open");
  int rc = e->ops->evtlog_open(e->impl, &s);
  if (rc == WL_OK)
    *out = s;
  return rc;
}

int wl_engine_evtlog_next(wl_engine *e, wl_evtlog *s, char *xml, size_t cap, size_t *len,
                          unsigned timeout_ms) {
  if (!s || !xml || cap < 2 || !len)
    return wl_err(WL_E_INVAL, "wl_engine_evtlog_next: bad argument");
  *len = 0;
  xml[0] = '\0';
  if (!e || !e->ops->evtlog_next)
    return missing(e, "evtlog_next");
  return e->ops->evtlog_next(e->impl, s, xml, cap, len, timeout_ms);
}

void wl_engine_evtlog_close(wl_engine *e, wl_evtlog *s) {
  if (e && s && e->ops->evtlog_close)
    e->ops->evtlog_close(e->impl, s);
}

int wl_engine_audit_get(wl_engine *e, int sub, uint32_t *flags) {
  if (!flags || sub < 0 || sub >= WL_AUDIT_SUBS)
    return wl_err(WL_E_INVAL, "wl_engine_audit_get: bad argument");
  *flags = 0;
  if (!e || !e->ops->audit_get)
    return missing(e, "audit_get");
  return e->ops->audit_get(e->impl, sub, flags);
}

int wl_engine_audit_set(wl_engine *e, int sub, uint32_t flags) {
  if (sub < 0 || sub >= WL_AUDIT_SUBS || (flags & ~(WL_AUDIT_SUCCESS | WL_AUDIT_FAILURE)))
    return wl_err(WL_E_INVAL, "wl_engine_audit_set: bad argument");
  if (!e || !e->ops->audit_set)
    return missing(e, "audit_set");
  return e->ops->audit_set(e->impl, sub, flags);
}
