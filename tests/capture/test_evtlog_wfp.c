/* test_evtlog_wfp.c — issue 19, item 2 on the Windows build, under wine: the "wfp" backend's
 * Security-log side (engine/fwpuclnt/win_evtlog.c) and the capture's eventlog source over it.
 *
 *  - wine's own functions (the table as the product loads it: wevtapi.dll from System32,
 *    advapi32's Audit* by GetProcAddress, the token calls): what AuditQuerySystemPolicy,
 *    AdjustTokenPrivileges(SeSecurityPrivilege) and EvtSubscribe(Security) answer here is
 *    printed ("# wine: ...") and must be either a success or a clean WL_E_* naming the API;
 *  - a recording wevtapi/advapi32 through the replaceable table (wl_fwp_api_override): the
 *    pull subscription (EvtSubscribe with a signal event, channel Security, the 5152/5156/5157
 *    query, EvtSubscribeToFutureEvents, no callback), EvtNext batches and ERROR_NO_MORE_ITEMS,
 *    ResetEvent + wait on the real event, EvtRender(EvtRenderEventXml) UTF-16 → UTF-8 and
 *    ERROR_INSUFFICIENT_BUFFER, every handle EvtClose'd; the audit policy modelled as Windows
 *    might read the documentation (a set of SUCCESS adds, NONE clears): the backend's
 *    NONE-then-bits set is exact; SeSecurityPrivilege missing → WL_E_PERM;
 *  - the capture's eventlog source on the "wfp" engine: the records (the sim's own 5156/5157/
 *    5152 XML, rendered by the fake as UTF-16) are stored once each, the audit policy set while
 *    it runs and put back at stop; a crash's saved policy restored by uninstall's call.
 * Runs beside the fake fwpuclnt.dll (FwpmEngineOpen0 and the rest of the engine come from it).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "capture/capture.h"
#include "common/wl_err.h"
#include "common/wl_os.h"
#include "common/wl_text.h"
#include "engine/evtlog.h"
#include "engine/fwpuclnt/win_backend.h"
#include "engine/sim/sim.h"
#include "import/import.h"
#include "store/store.h"
#include "tests/support/fake_ctl.h"
#include "tests/support/test_files.h"

#include <winevt.h>

#define QCAP 64
#define SUB_HANDLE ((HANDLE)(uintptr_t)0x5150)
#define EV0 0x1000u

static struct {
  wchar_t *q[QCAP]; /* records not yet handed out */
  size_t head, n;
  wchar_t *given[QCAP]; /* handed out by EvtNext, by handle - EV0 */
  int open_events, subscribed, bad_args, nexts, renders, too_small;
  HANDLE signal;
  uint32_t audit[2]; /* the modelled policy */
  int priv_held, priv_enabled, sets;
  int missed; /* records logged while nobody subscribed (future events only) */
  wl_mutex mu;
} g;

static int sub_of(const GUID *x) {
  static const GUID conn = {0x0CCE9226, 0x69AE, 0x11D9,
                            {0xBE, 0xD3, 0x50, 0x50, 0x54, 0x50, 0x30, 0x30}};
  return memcmp(x, &conn, sizeof conn) == 0 ? 0 : 1;
}

static BOOLEAN WINAPI f_query(const GUID *subs, ULONG n, PAUDIT_POLICY_INFORMATION *out) {
  if (!g.priv_enabled) {
    SetLastError(ERROR_PRIVILEGE_NOT_HELD);
    return FALSE;
  }
  assert_int_equal(n, 1);
  AUDIT_POLICY_INFORMATION *p = calloc(1, sizeof *p);
  p->AuditSubCategoryGuid = subs[0];
  p->AuditingInformation = g.audit[sub_of(subs)];
  *out = p;
  return TRUE;
}

/* As pessimistic as the documentation allows: SUCCESS / FAILURE are added to what is there,
 * NONE clears, UNCHANGED (0) changes nothing. */
static BOOLEAN WINAPI f_set(PCAUDIT_POLICY_INFORMATION p, ULONG n) {
  if (!g.priv_enabled) {
    SetLastError(ERROR_PRIVILEGE_NOT_HELD);
    return FALSE;
  }
  for (ULONG i = 0; i < n; i++) {
    uint32_t *a = &g.audit[sub_of(&p[i].AuditSubCategoryGuid)];
    if (p[i].AuditingInformation & POLICY_AUDIT_EVENT_NONE)
      *a = 0;
    *a |= p[i].AuditingInformation & 3u;
  }
  g.sets++;
  return TRUE;
}

static VOID WINAPI f_free(PVOID p) { free(p); }

static BOOL WINAPI f_open_token(HANDLE process, DWORD access, PHANDLE token) {
  (void)process;
  assert_true(access & TOKEN_ADJUST_PRIVILEGES);
  *token = CreateEventW(NULL, TRUE, FALSE, NULL); /* a real handle CloseHandle accepts */
  return TRUE;
}

static BOOL WINAPI f_adjust(HANDLE token, BOOL all, PTOKEN_PRIVILEGES tp, DWORD len,
                            PTOKEN_PRIVILEGES prev, PDWORD ret) {
  (void)token, (void)len, (void)prev, (void)ret;
  assert_false(all);
  assert_int_equal(tp->PrivilegeCount, 1);
  assert_int_equal(tp->Privileges[0].Attributes, SE_PRIVILEGE_ENABLED);
  g.priv_enabled = g.priv_held;
  SetLastError(g.priv_held ? ERROR_SUCCESS : ERROR_NOT_ALL_ASSIGNED); /* TRUE either way */
  return TRUE;
}

static HANDLE WINAPI f_subscribe(HANDLE session, HANDLE signal, LPCWSTR channel, LPCWSTR query,
                                 HANDLE bookmark, PVOID ctx, PVOID cb, DWORD flags) {
  char q[256];
  WideCharToMultiByte(CP_UTF8, 0, query, -1, q, sizeof q, NULL, NULL);
  if (session || !signal || wcscmp(channel, L"Security") != 0 || bookmark || ctx || cb ||
      flags != EvtSubscribeToFutureEvents || strcmp(q, WL_EVTLOG_QUERY) != 0)
    g.bad_args++;
  if (!g.priv_enabled) {
    SetLastError(ERROR_ACCESS_DENIED);
    return NULL;
  }
  g.signal = signal;
  g.subscribed++;
  return SUB_HANDLE;
}

static BOOL WINAPI f_next(HANDLE rs, DWORD n, HANDLE *events, DWORD timeout, DWORD flags,
                          PDWORD returned) {
  assert_ptr_equal(rs, SUB_HANDLE);
  assert_int_equal(flags, 0);
  (void)timeout;
  wl_mutex_lock(&g.mu);
  g.nexts++;
  DWORD k = 0;
  for (unsigned slot = 0; k < n && g.n > 0 && slot < QCAP; slot++) {
    if (g.given[slot])
      continue;
    g.given[slot] = g.q[g.head];
    g.head = (g.head + 1) % QCAP;
    g.n--;
    events[k++] = (HANDLE)(uintptr_t)(EV0 + slot);
    g.open_events++;
  }
  wl_mutex_unlock(&g.mu);
  *returned = k;
  if (k == 0)
    SetLastError(ERROR_NO_MORE_ITEMS);
  return k > 0;
}

static BOOL WINAPI f_render(HANDLE ctx, HANDLE h, DWORD flags, DWORD size, PVOID buf,
                            PDWORD used, PDWORD props) {
  assert_null(ctx);
  assert_int_equal(flags, EvtRenderEventXml);
  wchar_t *rec = g.given[(uintptr_t)h - EV0];
  assert_non_null(rec);
  DWORD need = (DWORD)((wcslen(rec) + 1) * sizeof(wchar_t));
  *used = need;
  *props = 0;
  g.renders++;
  if (size < need) {
    g.too_small++;
    SetLastError(ERROR_INSUFFICIENT_BUFFER);
    return FALSE;
  }
  memcpy(buf, rec, need);
  return TRUE;
}

static BOOL WINAPI f_close(HANDLE h) {
  if (h == SUB_HANDLE) {
    g.subscribed--;
    return TRUE;
  }
  uintptr_t slot = (uintptr_t)h - EV0;
  assert_true(slot < QCAP && g.given[slot]);
  wl_mutex_lock(&g.mu);
  free(g.given[slot]);
  g.given[slot] = NULL;
  g.open_events--;
  wl_mutex_unlock(&g.mu);
  return TRUE;
}

/* A record into the fake Security log, as UTF-16 (what EvtRender gives), and the signal. */
static void log_record(const char *xml) {
  if (!g.subscribed) { /* EvtSubscribeToFutureEvents: not delivered later */
    g.missed++;
    return;
  }
  int n = MultiByteToWideChar(CP_UTF8, 0, xml, -1, NULL, 0);
  wchar_t *w = malloc((size_t)n * sizeof *w);
  MultiByteToWideChar(CP_UTF8, 0, xml, -1, w, n);
  wl_mutex_lock(&g.mu);
  assert_true(g.n < QCAP);
  g.q[(g.head + g.n++) % QCAP] = w;
  wl_mutex_unlock(&g.mu);
  if (g.signal)
    SetEvent(g.signal);
}

static wl_fwp_api g_table;

static void fake_evtlog_entries(wl_fwp_api *t) {
  t->EvtSubscribe = f_subscribe;
  t->EvtNext = f_next;
  t->EvtRender = f_render;
  t->EvtClose = f_close;
  t->AuditQuerySystemPolicy = f_query;
  t->AuditSetSystemPolicy = f_set;
  t->AuditFree = f_free;
  t->OpenProcessToken = f_open_token;
  t->AdjustTokenPrivileges = f_adjust;
}

/* The fake fwpuclnt.dll beside the test for the engine; ours for the Security log when fake. */
static void install(int fake_evtlog) {
  HMODULE m = LoadLibraryW(L"fwpuclnt.dll");
  assert_non_null(m);
  memset(&g_table, 0, sizeof g_table);
  wl_fwp_api_resolve(m, &g_table);
  g_table.module = m;
  if (fake_evtlog)
    fake_evtlog_entries(&g_table);
  wl_fwp_api_override(&g_table);
}

static void uninstall(void) {
  wl_fwp_api_override(NULL);
  wl_fwp_api_unload(&g_table);
}

/* A fresh store DB (name) and `learn --source eventlog [--audit-drops]` on the "wfp" engine:
 * the start's result; *st open either way, *c set when it started. */
static int start_eventlog(const char *name, int drops, char *db, size_t cap, wl_store **st,
                          wl_capture **c) {
  wl_test_path(db, cap, name);
  wl_test_remove_db(db);
  assert_int_equal(wl_store_open(db, NULL, st), WL_OK);
  wl_capture_opts o;
  memset(&o, 0, sizeof o);
  o.source = "eventlog";
  o.engine_spec = "wfp";
  o.parse_evtxml = wl_import_event_xml;
  o.audit_drops = drops;
  *c = NULL;
  return wl_capture_start(&o, *st, c);
}

/* ---- wine's own ---- */

static void say(const char *what, int rc) {
  printf("# wine: %s -> %s%s%s\n", what, rc == WL_OK ? "WL_OK" : wl_errname(rc),
         rc == WL_OK ? "" : ": ", rc == WL_OK ? "" : wl_errmsg());
  assert_true(rc == WL_OK || (rc < 0 && wl_errmsg()[0]));
}

static void test_wine_own_functions(void **state) {
  (void)state;
  install(0);
  wl_fwp_api t; /* what the product's load finds here */
  assert_int_equal(wl_fwp_api_load(&t), WL_OK);
  printf("# wine: wevtapi.dll EvtSubscribe %s, EvtNext %s, EvtRender %s, EvtClose %s; advapi32 "
         "AuditQuerySystemPolicy %s, AuditSetSystemPolicy %s, AuditFree %s\n",
         t.EvtSubscribe ? "found" : "missing", t.EvtNext ? "found" : "missing",
         t.EvtRender ? "found" : "missing", t.EvtClose ? "found" : "missing",
         t.AuditQuerySystemPolicy ? "found" : "missing",
         t.AuditSetSystemPolicy ? "found" : "missing", t.AuditFree ? "found" : "missing");
  wl_fwp_api_unload(&t);
  wl_engine *e = NULL;
  assert_int_equal(wl_engine_open("wfp", 0, &e), WL_OK);
  uint32_t v = 99;
  int rc = wl_engine_audit_get(e, WL_AUDIT_FP_CONNECTION, &v);
  say("AdjustTokenPrivileges(SeSecurityPrivilege) + AuditQuerySystemPolicy(Filtering Platform "
      "Connection)", rc);
  if (rc == WL_OK) {
    printf("# wine: Filtering Platform Connection AuditingInformation & 3 = %u\n", (unsigned)v);
    rc = wl_engine_audit_set(e, WL_AUDIT_FP_CONNECTION, v);
    say("AuditSetSystemPolicy (NONE, then the value read)", rc);
  }
  wl_err_clear();
  wl_evtlog *s = NULL;
  rc = wl_engine_evtlog_open(e, &s);
  say("EvtSubscribe(Security, signal event, EvtSubscribeToFutureEvents)", rc);
  if (rc == WL_OK) {
    char xml[256];
    size_t len = 0;
    rc = wl_engine_evtlog_next(e, s, xml, sizeof xml, &len, 100);
    say("EvtNext / WaitForSingleObject with nothing logged", rc);
    /* Windows: nothing within 100 ms; a wine whose EvtNext is a stub says so by name */
    assert_true(rc == WL_E_TIMEOUT || (rc == WL_E_UNSUPPORTED && strstr(wl_errmsg(), "EvtNext")));
    wl_engine_evtlog_close(e, s);
  }
  wl_err_clear();
  wl_engine_close(e);
  /* `learn --source eventlog` on wine's own functions: starts and reads, or fails cleanly */
  char db[1024];
  wl_store *st = NULL;
  wl_capture *c = NULL;
  rc = start_eventlog("evtlog_wine.db", 0, db, sizeof db, &st, &c);
  say("capture start, source eventlog", rc);
  if (rc == WL_OK) {
    wl_sleep_ms(300);
    rc = wl_capture_stop(c);
    say("capture stop, source eventlog", rc);
    wl_capture_destroy(c);
  }
  char buf[64] = "x";
  if (wl_store_meta_get(st, WL_META_SAVED_AUDIT, buf, sizeof buf) != WL_OK)
    buf[0] = 0;
  assert_string_equal(buf, ""); /* nothing left to restore whatever happened */
  wl_store_close(st);
  wl_test_remove_db(db);
  uninstall();
}

/* ---- the recording table ---- */

static void reset(void) {
  for (size_t i = 0; i < g.n; i++)
    free(g.q[(g.head + i) % QCAP]);
  wl_mutex mu = g.mu; /* initialised once, in main */
  memset(&g, 0, sizeof g);
  g.mu = mu;
}

static void test_audit_policy(void **state) {
  (void)state;
  reset();
  install(1);
  wl_engine *e = NULL;
  uint32_t v = 0;
  assert_int_equal(wl_engine_open("wfp", 0, &e), WL_OK);
  g.priv_held = 0;
  assert_int_equal(wl_engine_audit_get(e, WL_AUDIT_FP_CONNECTION, &v), WL_E_PERM);
  assert_non_null(strstr(wl_errmsg(), "SeSecurityPrivilege"));
  g.priv_held = 1;
  assert_int_equal(wl_engine_audit_set(e, WL_AUDIT_FP_CONNECTION, 3), WL_OK);
  assert_int_equal(wl_engine_audit_get(e, WL_AUDIT_FP_CONNECTION, &v), WL_OK);
  assert_int_equal(v, 3);
  assert_int_equal(wl_engine_audit_set(e, WL_AUDIT_FP_CONNECTION, WL_AUDIT_SUCCESS), WL_OK);
  assert_int_equal(wl_engine_audit_get(e, WL_AUDIT_FP_CONNECTION, &v), WL_OK);
  assert_int_equal(v, WL_AUDIT_SUCCESS); /* exact, though a set of SUCCESS only adds */
  assert_int_equal(wl_engine_audit_set(e, WL_AUDIT_FP_PACKET_DROP, WL_AUDIT_FAILURE), WL_OK);
  assert_int_equal(g.audit[1], WL_AUDIT_FAILURE);
  assert_int_equal(wl_engine_audit_set(e, WL_AUDIT_FP_CONNECTION, 0), WL_OK);
  assert_int_equal(g.audit[0], 0);
  wl_engine_close(e);
  uninstall();
}

/* The sim's own records for a few attempts (5156 x2, 5157 + 5152 of one blocked connection). */
static int sim_records(char recs[][WL_EVTLOG_XML_MAX], int max) {
  char state[1024];
  wl_test_path(state, sizeof state, "evtlog_wfp_gen.state");
  wl_test_remove_state(state);
  char spec[1100], audit[1100];
  snprintf(spec, sizeof spec, "sim:%s", state);
  snprintf(audit, sizeof audit, "%s.audit", state);
  remove(audit);
  wl_engine *e = NULL;
  wl_evtlog *s = NULL;
  assert_int_equal(wl_engine_open(spec, 0, &e), WL_OK);
  assert_int_equal(wl_engine_audit_set(e, WL_AUDIT_FP_CONNECTION, 3), WL_OK);
  assert_int_equal(wl_engine_audit_set(e, WL_AUDIT_FP_PACKET_DROP, 2), WL_OK);
  assert_int_equal(wl_engine_evtlog_open(e, &s), WL_OK);
  static const char *lines[] = {
      "{\"ts\":\"2026-11-02T10:00:00Z\",\"app\":\"C:\\\\x\\\\b.exe\",\"dir\":\"out\","
      "\"proto\":\"tcp\",\"local\":\"10.0.0.5:50001\",\"remote\":\"1.2.3.4:443\"}",
      "{\"ts\":\"2026-11-02T10:00:01Z\",\"app\":\"C:\\\\x\\\\b.exe\",\"dir\":\"out\","
      "\"proto\":\"udp\",\"local\":\"10.0.0.5:50002\",\"remote\":\"8.8.8.8:53\"}",
      "{\"ts\":\"2026-11-02T10:00:02Z\",\"app\":\"C:\\\\x\\\\s.exe\",\"dir\":\"in\","
      "\"proto\":\"tcp\",\"local\":\"10.0.0.5:4444\",\"remote\":\"1.2.3.9:5555\"}"};
  for (size_t i = 0; i < 3; i++) {
    wl_attempt a;
    wl_decision d;
    assert_int_equal(wl_sim_parse_attempt(lines[i], strlen(lines[i]), &a), WL_OK);
    assert_int_equal(wl_sim_classify(e, &a, &d), WL_OK);
  }
  int n = 0;
  size_t len;
  while (n < max && wl_engine_evtlog_next(e, s, recs[n], WL_EVTLOG_XML_MAX, &len, 50) == WL_OK)
    n++;
  wl_err_clear();
  wl_engine_evtlog_close(e, s);
  wl_engine_close(e);
  wl_test_remove_state(state);
  remove(audit);
  return n;
}

static void test_eventlog_source_over_wfp(void **state) {
  (void)state;
  static char recs[8][WL_EVTLOG_XML_MAX];
  int nrec = sim_records(recs, 8);
  assert_int_equal(nrec, 4); /* 5156, 5156, 5157, 5152 */
  reset();
  g.priv_held = 1;
  g.audit[0] = WL_AUDIT_FAILURE; /* someone audits failures already */
  install(1);
  char db[1024];
  wl_store *st = NULL;
  wl_capture *c = NULL;
  assert_int_equal(start_eventlog("evtlog_wfp.db", 1, db, sizeof db, &st, &c), WL_OK);
  assert_int_equal(g.subscribed, 1);
  assert_int_equal(g.bad_args, 0);
  assert_int_equal(g.audit[0], 3); /* ours OR-ed in */
  assert_int_equal(g.audit[1], WL_AUDIT_FAILURE);
  for (int i = 0; i < nrec; i++)
    log_record(recs[i]);
  static char big[WL_EVTLOG_XML_MAX + 64]; /* longer than the backend's render buffer */
  memset(big, 'x', sizeof big - 1);
  memcpy(big, "<Event>", 7);
  log_record(big);
  wl_capture_stats s;
  for (int i = 0; i < 500; i++) {
    wl_capture_stats_get(c, &s);
    if (s.events >= 3 && s.malformed >= 1)
      break;
    wl_sleep_ms(10);
  }
  assert_int_equal(s.events, 3); /* the blocked connection once (5157 and 5152) */
  assert_int_equal(s.duplicates, 1);
  assert_int_equal(s.malformed, 1);
  assert_int_equal(g.too_small, 1);
  assert_int_equal(wl_capture_stop(c), WL_OK);
  wl_capture_destroy(c);
  assert_int_equal(g.audit[0], WL_AUDIT_FAILURE); /* exactly what was there */
  assert_int_equal(g.audit[1], 0);
  assert_int_equal(g.open_events, 0); /* every record handle closed */
  assert_int_equal(g.subscribed, 0);
  printf("# EvtNext calls %d, EvtRender calls %d\n", g.nexts, g.renders);
  /* a crash left the policy changed and saved: uninstall's restore puts it back */
  g.audit[0] = 3;
  assert_int_equal(wl_store_meta_set(st, WL_META_SAVED_AUDIT, "conn=1 drop=-"), WL_OK);
  wl_engine *e = NULL;
  assert_int_equal(wl_engine_open("wfp", 0, &e), WL_OK);
  assert_int_equal(wl_capture_restore_saved_options(st, e), WL_OK);
  assert_int_equal(g.audit[0], WL_AUDIT_SUCCESS);
  wl_engine_close(e);
  wl_store_close(st);
  wl_test_remove_db(db);
  uninstall();
}

/* Our audit policy, wine's own wevtapi (EvtSubscribe answers, EvtNext is a stub): the eventlog
 * source fails naming EvtNext instead of retrying for ever, and the policy is put back. */
static void test_eventlog_source_on_wine_wevtapi(void **state) {
  (void)state;
  reset();
  g.priv_held = 1;
  install(1);
  g_table.EvtSubscribe = NULL; /* wl_fwp_api_load takes System32's wevtapi.dll */
  g_table.EvtNext = NULL;
  g_table.EvtRender = NULL;
  g_table.EvtClose = NULL;
  char db[1024];
  wl_store *st = NULL;
  wl_capture *c = NULL;
  int rc = start_eventlog("evtlog_wine2.db", 0, db, sizeof db, &st, &c);
  say("capture start, source eventlog, our audit table", rc);
  if (rc == WL_OK) {
    assert_int_equal(g.audit[0], 3);
    wl_capture_stats s;
    for (int i = 0; i < 200; i++) {
      wl_capture_stats_get(c, &s);
      if (s.error)
        break;
      wl_sleep_ms(10);
    }
    rc = wl_capture_stop(c);
    say("capture stop", rc);
    assert_true(rc == WL_OK || (rc == WL_E_UNSUPPORTED && strstr(wl_errmsg(), "EvtNext")));
    wl_capture_destroy(c);
  }
  assert_int_equal(g.audit[0], 0); /* put back */
  wl_store_close(st);
  wl_test_remove_db(db);
  uninstall();
}

/* ---- the fallback end to end: the fake DLL's sim with allow events suppressed, its connection
 * tables (fake_ctl.c), and this Security log fed with the records a second sim writes for the
 * same attempts ---- */

typedef struct side {
  wl_engine *wfp;  /* the fake's sim, through the "wfp" backend */
  wl_engine *gen;  /* a sim in this process writing the Security log's records */
  wl_evtlog *log;
  char state[1024];
} side;

static void side_attempts(side *s, int first, int n) {
  static char xml[WL_EVTLOG_XML_MAX];
  for (int i = first; i < first + n; i++) {
    for (int in = 0; in < 2; in++) {
      char line[320];
      wl_attempt a;
      wl_decision d;
      snprintf(line, sizeof line,
               "{\"ts\":\"2026-11-02T10:00:00Z\",\"app\":\"C:\\\\x\\\\b.exe\","
               "\"dir\":\"%s\",\"proto\":\"tcp\",\"local\":\"10.0.0.5:%d\","
               "\"remote\":\"1.2.%d.%d:443\"}", in ? "in" : "out", (in ? 6000 : 50000) + i,
               in ? 4 : 3, i);
      assert_int_equal(wl_sim_parse_attempt(line, strlen(line), &a), WL_OK);
      assert_int_equal(wl_fakectl_classify(s->wfp, &a, &d), WL_OK);
      assert_int_equal(d.action, in ? WL_ACTION_BLOCK : WL_ACTION_PERMIT);
      assert_int_equal(wl_sim_classify(s->gen, &a, &d), WL_OK);
      size_t len;
      while (wl_engine_evtlog_next(s->gen, s->log, xml, sizeof xml, &len, 20) == WL_OK)
        log_record(xml);
      wl_err_clear();
    }
  }
  assert_int_equal(wl_fakectl_drain(s->wfp, 10000), WL_OK);
}

static void test_fallback_over_fake(void **state) {
  (void)state;
  reset();
  g.priv_held = 1;
  assert_int_equal(wl_fakectl_drive_map_on(), WL_OK);
  fake_evtlog_entries(wl_fakectl_table());
  side s;
  memset(&s, 0, sizeof s);
  wl_test_path(s.state, sizeof s.state, "evtlog_wfp_side.state");
  wl_test_remove_state(s.state);
  char spec[1100], audit[1100];
  snprintf(spec, sizeof spec, "sim:%s", s.state);
  snprintf(audit, sizeof audit, "%s.audit", s.state);
  remove(audit);
  assert_int_equal(wl_engine_open("wfp", 0, &s.wfp), WL_OK);
  assert_int_equal(wl_engine_open(spec, 0, &s.gen), WL_OK);
  assert_int_equal(wl_engine_audit_set(s.gen, WL_AUDIT_FP_CONNECTION, 3), WL_OK);
  assert_int_equal(wl_engine_evtlog_open(s.gen, &s.log), WL_OK);
  assert_int_equal(wl_fakectl_suppress_allow(s.wfp, 1), WL_OK);
  char db[1024];
  wl_test_path(db, sizeof db, "evtlog_wfp_fallback.db");
  wl_test_remove_db(db);
  wl_store *st = NULL;
  assert_int_equal(wl_store_open(db, NULL, &st), WL_OK);
  wl_capture_opts o;
  memset(&o, 0, sizeof o);
  o.source = "wfp";
  o.engine_spec = "wfp";
  o.parse_evtxml = wl_import_event_xml;
  o.selfcheck_settle_ms = 300;
  wl_capture *c = NULL;
  assert_int_equal(wl_capture_start(&o, st, &c), WL_OK);
  side_attempts(&s, 1, 3); /* before the fallback: WFP's 3 drops, no allow event */
  wl_capture_stats cs;
  for (int i = 0; i < 500; i++) {
    wl_capture_stats_get(c, &cs);
    if (cs.blind && cs.evtlog)
      break;
    wl_sleep_ms(10);
  }
  assert_int_equal(cs.blind, 1);
  assert_int_equal(cs.evtlog, 1);
  assert_int_equal(g.audit[0], 3);
  side_attempts(&s, 10, 4); /* 4 allowed (Security log only), 4 blocked (both: once) */
  for (int i = 0; i < 500; i++) {
    wl_capture_stats_get(c, &cs);
    if (cs.events >= 11 && cs.duplicates >= 4)
      break;
    wl_sleep_ms(10);
  }
  wl_sleep_ms(200);
  wl_capture_stats_get(c, &cs);
  printf("# fallback over the fake: events %llu, duplicates %llu, records missed before the "
         "subscription %d\n", (unsigned long long)cs.events,
         (unsigned long long)cs.duplicates, g.missed);
  assert_int_equal(cs.events, 3 + 8);
  assert_int_equal(cs.duplicates, 4);
  assert_int_equal(wl_capture_stop(c), WL_OK);
  wl_capture_destroy(c);
  assert_int_equal(g.audit[0], 0);
  assert_int_equal(g.open_events, 0);
  assert_int_equal(wl_fakectl_suppress_allow(s.wfp, 0), WL_OK);
  wl_engine_evtlog_close(s.gen, s.log);
  wl_engine_close(s.gen);
  wl_engine_close(s.wfp);
  wl_store_close(st);
  wl_test_remove_db(db);
  wl_test_remove_state(s.state);
  remove(audit);
  wl_fakectl_drive_map_off();
}

int main(void) {
  wl_mutex_init(&g.mu);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_wine_own_functions),
      cmocka_unit_test(test_audit_policy),
      cmocka_unit_test(test_eventlog_source_over_wfp),
      cmocka_unit_test(test_eventlog_source_on_wine_wevtapi),
      cmocka_unit_test(test_fallback_over_fake),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
