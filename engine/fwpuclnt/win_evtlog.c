/* win_evtlog.c — the "wfp" backend's Security-log side (engine/evtlog.h, issue 19 item 2), every
 * call through win_api.c's replaceable table.
 *
 * Subscription, pull model ("Subscribing to Events", "Pull Subscriptions" on Microsoft Learn):
 * EvtSubscribe(NULL session, a manual-reset event, L"Security", WL_EVTLOG_QUERY, no bookmark,
 * no context, no callback, EvtSubscribeToFutureEvents). Records are taken on the caller's
 * thread with EvtNext (timeout 0, up to PENDING handles at a time; FALSE with
 * ERROR_NO_MORE_ITEMS when none), rendered with EvtRender(NULL, handle, EvtRenderEventXml, ...)
 * into UTF-16 (ERROR_INSUFFICIENT_BUFFER: the record is larger than our bound), converted to
 * UTF-8 and closed with EvtClose. When nothing is there: ResetEvent, EvtNext once more (a
 * record arriving in between is not left waiting for the next signal), then
 * WaitForSingleObject on the event for the rest of the timeout.
 *
 * Audit policy: AuditQuerySystemPolicy / AuditSetSystemPolicy / AuditFree with the
 * subcategory GUIDs below; both need SeSecurityPrivilege ("AuditSetSystemPolicy function",
 * Remarks), enabled once per handle with OpenProcessToken + LookupPrivilegeValueW +
 * AdjustTokenPrivileges (which succeeds but sets ERROR_NOT_ALL_ASSIGNED when the token lacks
 * it: not elevated). AuditingInformation: POLICY_AUDIT_EVENT_SUCCESS 1, FAILURE 2, NONE 4,
 * UNCHANGED 0 ("AUDIT_POLICY_INFORMATION structure"). Setting is done as NONE first, then the
 * bits wanted, so the result is exact whether a set of SUCCESS alone keeps or clears FAILURE
 * (the documentation does not say). Reading the Security channel also needs the privilege (or
 * membership of Event Log Readers).
 */
#include <stdlib.h>
#include <string.h>

#include "common/wl_err.h"
#include "common/wl_text.h"
#include "engine/evtlog.h"
#include "engine/fwpuclnt/win_backend.h"

#include <winevt.h> /* after windows.h (win_backend.h) */

#define PENDING 16u

/* "Filtering Platform Connection", "Filtering Platform Packet Drop" (auditpol /list
 * /subcategory:* /v; "Audit Filtering Platform Connection" on Microsoft Learn) */
static const GUID g_subs[WL_AUDIT_SUBS] = {
    {0x0CCE9226, 0x69AE, 0x11D9, {0xBE, 0xD3, 0x50, 0x50, 0x54, 0x50, 0x30, 0x30}},
    {0x0CCE9225, 0x69AE, 0x11D9, {0xBE, 0xD3, 0x50, 0x50, 0x54, 0x50, 0x30, 0x30}},
};

typedef struct win_evsub {
  HANDLE signal, sub;
  HANDLE pending[PENDING];
  DWORD npending, next;
  wchar_t render[WL_EVTLOG_XML_MAX]; /* one record's UTF-16 XML */
} win_evsub;

static int security_privilege(wl_fwp *b) {
  const wl_fwp_api *a = &b->api;
  HANDLE tok = NULL;
  TOKEN_PRIVILEGES tp;
  memset(&tp, 0, sizeof tp);
  if (!a->OpenProcessToken(GetCurrentProcess(), TOKEN_ADJUST_PRIVILEGES | TOKEN_QUERY, &tok))
    return wl_fwp_err(a, "OpenProcessToken", GetLastError());
  int rc = WL_OK;
  tp.PrivilegeCount = 1;
  tp.Privileges[0].Attributes = SE_PRIVILEGE_ENABLED;
  if (!a->LookupPrivilegeValueW(NULL, L"SeSecurityPrivilege", &tp.Privileges[0].Luid))
    rc = wl_fwp_err(a, "LookupPrivilegeValueW(SeSecurityPrivilege)", GetLastError());
  else if (!a->AdjustTokenPrivileges(tok, FALSE, &tp, sizeof tp, NULL, NULL))
    rc = wl_fwp_err(a, "AdjustTokenPrivileges(SeSecurityPrivilege)", GetLastError());
  else if (GetLastError() == ERROR_NOT_ALL_ASSIGNED)
    rc = wl_err(WL_E_PERM, "SeSecurityPrivilege is not held: the audit policy and the Security "
                "log need an elevated administrator (AdjustTokenPrivileges: "
                "ERROR_NOT_ALL_ASSIGNED)");
  a->CloseHandle(tok);
  return rc;
}

static int need_audit_api(wl_fwp *b) {
  if (!b->api.AuditQuerySystemPolicy || !b->api.AuditSetSystemPolicy || !b->api.AuditFree)
    return wl_err(WL_E_UNSUPPORTED, "advapi32.dll has no AuditQuerySystemPolicy / "
                  "AuditSetSystemPolicy here (Windows Vista or later)");
  return security_privilege(b);
}

int wl_fwp_audit_get(void *impl, int sub, uint32_t *flags) {
  wl_fwp *b = impl;
  PAUDIT_POLICY_INFORMATION info = NULL;
  int rc = need_audit_api(b);
  if (rc != WL_OK)
    return rc;
  if (!b->api.AuditQuerySystemPolicy(&g_subs[sub], 1, &info) || !info)
    return wl_fwp_err(&b->api, "AuditQuerySystemPolicy", GetLastError());
  *flags = info->AuditingInformation & (WL_AUDIT_SUCCESS | WL_AUDIT_FAILURE);
  b->api.AuditFree(info);
  return WL_OK;
}

int wl_fwp_audit_set(void *impl, int sub, uint32_t flags) {
  wl_fwp *b = impl;
  AUDIT_POLICY_INFORMATION p;
  int rc = need_audit_api(b);
  if (rc != WL_OK)
    return rc;
  memset(&p, 0, sizeof p);
  p.AuditSubCategoryGuid = g_subs[sub];
  p.AuditingInformation = POLICY_AUDIT_EVENT_NONE;
  if (!b->api.AuditSetSystemPolicy(&p, 1))
    return wl_fwp_err(&b->api, "AuditSetSystemPolicy", GetLastError());
  p.AuditingInformation = flags;
  if (flags && !b->api.AuditSetSystemPolicy(&p, 1))
    return wl_fwp_err(&b->api, "AuditSetSystemPolicy", GetLastError());
  return WL_OK;
}

int wl_fwp_evtlog_open(void *impl, void **out) {
  wl_fwp *b = impl;
  const wl_fwp_api *a = &b->api;
  if (!a->EvtSubscribe || !a->EvtNext || !a->EvtRender || !a->EvtClose)
    return wl_err(WL_E_UNSUPPORTED, "wevtapi.dll: EvtSubscribe / EvtNext / EvtRender / EvtClose "
                  "not available here");
  int rc = security_privilege(b);
  if (rc != WL_OK)
    return rc;
  win_evsub *s = calloc(1, sizeof *s);
  if (!s)
    return wl_err(WL_E_NOMEM, "out of memory for a Security log subscription");
  wchar_t query[128];
  MultiByteToWideChar(CP_UTF8, 0, WL_EVTLOG_QUERY, -1, query, 128);
  if (!(s->signal = a->CreateEventW(NULL, TRUE, TRUE, NULL))) {
    rc = wl_fwp_err(a, "CreateEventW", GetLastError());
  } else if (!(s->sub = a->EvtSubscribe(NULL, s->signal, L"Security", query, NULL, NULL, NULL,
                                        EvtSubscribeToFutureEvents))) {
    rc = wl_fwp_err(a, "EvtSubscribe(Security)", GetLastError());
  }
  if (rc != WL_OK) {
    if (s->signal)
      a->CloseHandle(s->signal);
    free(s);
    return rc;
  }
  *out = s;
  return WL_OK;
}

/* Take up to PENDING handles without waiting: 1 some, 0 none, < 0 an error. */
static int refill(wl_fwp *b, win_evsub *s) {
  DWORD got = 0;
  s->npending = s->next = 0;
  if (b->api.EvtNext(s->sub, PENDING, s->pending, 0, 0, &got)) {
    s->npending = got <= PENDING ? got : PENDING;
    return s->npending > 0;
  }
  DWORD e = GetLastError();
  return e == ERROR_NO_MORE_ITEMS || e == ERROR_TIMEOUT ? 0 : wl_fwp_err(&b->api, "EvtNext", e);
}

static int render(wl_fwp *b, win_evsub *s, HANDLE h, char *xml, size_t cap, size_t *len) {
  DWORD used = 0, props = 0;
  int rc = WL_OK;
  if (!b->api.EvtRender(NULL, h, EvtRenderEventXml, sizeof s->render, s->render, &used,
                        &props)) {
    DWORD e = GetLastError();
    rc = e == ERROR_INSUFFICIENT_BUFFER
             ? wl_err(WL_E_TOOBIG, "EvtRender: a record of %lu bytes (more than %u)",
                      (unsigned long)used, (unsigned)sizeof s->render)
             : wl_fwp_err(&b->api, "EvtRender", e);
  } else {
    size_t units = used / 2; /* bytes, the terminator included */
    while (units > 0 && s->render[units - 1] == 0)
      units--;
    size_t need = wl_utf16le_to_utf8((const uint8_t *)s->render, units * 2, xml, cap);
    *len = need < cap ? need : cap - 1;
    if (need >= cap)
      rc = wl_err(WL_E_TOOBIG, "a Security log record of %zu bytes of UTF-8", need);
  }
  b->api.EvtClose(h);
  return rc;
}

int wl_fwp_evtlog_next(void *impl, void *sub, char *xml, size_t cap, size_t *len,
                       unsigned timeout_ms) {
  wl_fwp *b = impl;
  win_evsub *s = sub;
  int got = s->next < s->npending ? 1 : refill(b, s);
  if (got == 0) {
    b->api.ResetEvent(s->signal);
    got = refill(b, s);
    if (got == 0 && b->api.WaitForSingleObject(s->signal, timeout_ms) == WAIT_OBJECT_0)
      got = refill(b, s);
  }
  if (got < 0)
    return got;
  if (got == 0)
    return WL_E_TIMEOUT; /* no message: the caller's loop polls */
  return render(b, s, s->pending[s->next++], xml, cap, len);
}

void wl_fwp_evtlog_close(void *impl, void *sub) {
  wl_fwp *b = impl;
  win_evsub *s = sub;
  while (s->next < s->npending)
    b->api.EvtClose(s->pending[s->next++]);
  if (s->sub)
    b->api.EvtClose(s->sub);
  if (s->signal)
    b->api.CloseHandle(s->signal);
  free(s);
}
