/* evtlog.h — the engine seam's Security-log side (issue 19, item 2): what the "eventlog" capture
 * source needs from the machine besides WFP itself. Part of the engine contract (engine.h); a
 * separate header because only capture and uninstall use it.
 *
 *  - A live subscription to the Security log's Filtering Platform events 5156 (connection
 *    permitted), 5157 (connection blocked) and 5152 (packet dropped), read one record at a time
 *    as Event XML (UTF-8). Windows: EvtSubscribe (wevtapi.dll) in pull mode with a signal event
 *    (EvtSubscribeToFutureEvents, query WL_EVTLOG_QUERY on channel "Security"), then
 *    WaitForSingleObject + EvtNext + EvtRender(EvtRenderEventXml) + EvtClose on the caller's
 *    thread: nothing is parsed on a wevtapi thread. The sim: the XML it writes for each attempt
 *    it classifies while the audit policy asks for it (engine/sim/sim_evtlog.c).
 *  - The audit policy of the two subcategories those events depend on: "Filtering Platform
 *    Connection" {0CCE9226-69AE-11D9-BED3-505054503030} (5156 success, 5157 failure) and
 *    "Filtering Platform Packet Drop" {0CCE9225-69AE-11D9-BED3-505054503030} (5152 failure).
 *    Windows: AuditQuerySystemPolicy / AuditSetSystemPolicy / AuditFree (advapi32), with
 *    SeSecurityPrivilege enabled on the process token first. The sim: a file next to its state
 *    file (STATE.audit), machine state that outlives processes, like the real policy.
 *
 * Records are bounded (WL_EVTLOG_XML_MAX bytes); a longer one is cut and reported as such.
 */
#ifndef WL_ENGINE_EVTLOG_H
#define WL_ENGINE_EVTLOG_H

#include <stddef.h>
#include <stdint.h>

#include "engine/engine.h"

#define WL_EVTLOG_XML_MAX 8192u /* bytes of one record's UTF-8 XML, terminator included */
#define WL_EVTLOG_QUERY \
  "*[System[(EventID=5156 or EventID=5157 or EventID=5152)]]" /* XPath on channel Security */

typedef struct wl_evtlog wl_evtlog;

/* Subscribe to future records. Release with wl_engine_evtlog_close (before closing e). */
int wl_engine_evtlog_open(wl_engine *e, wl_evtlog **out);
/* The next record as NUL-terminated UTF-8 XML into xml[cap] (cap >= 2), *len its length.
 * WL_OK; WL_E_TIMEOUT when none came within timeout_ms; WL_E_TOOBIG when the record was longer
 * than cap (the record is consumed, its first cap-1 bytes kept); other errors from the source. */
int wl_engine_evtlog_next(wl_engine *e, wl_evtlog *s, char *xml, size_t cap, size_t *len,
                          unsigned timeout_ms);
void wl_engine_evtlog_close(wl_engine *e, wl_evtlog *s); /* NULL-safe */

/* Audit subcategories and the AuditingInformation bits (POLICY_AUDIT_EVENT_SUCCESS/FAILURE). */
enum wl_audit_sub { WL_AUDIT_FP_CONNECTION = 0, WL_AUDIT_FP_PACKET_DROP = 1, WL_AUDIT_SUBS };
#define WL_AUDIT_SUCCESS 0x1u
#define WL_AUDIT_FAILURE 0x2u
/* Current setting: *flags is WL_AUDIT_SUCCESS | WL_AUDIT_FAILURE bits, 0 = not audited. */
int wl_engine_audit_get(wl_engine *e, int sub, uint32_t *flags);
/* Set exactly flags (0: not audited). WL_E_PERM without the privilege. */
int wl_engine_audit_set(wl_engine *e, int sub, uint32_t flags);

#endif
