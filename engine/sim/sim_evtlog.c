/* sim_evtlog.c — the sim's Security log and audit policy (engine/evtlog.h; issue 19, item 2).
 *
 * What Windows does, modelled so a test fails if capture forgets it:
 *  - Events 5156/5157 are written only while the audit subcategory "Filtering Platform
 *    Connection" asks for them (success: 5156 for a permitted connection, failure: 5157 for a
 *    blocked one), and 5152 only while "Filtering Platform Packet Drop" asks for failures; a
 *    blocked attempt then gets both 5157 and 5152, as on Windows. They are written whatever the
 *    WFP net event options say (the Security log is another path; the "suppress allow" switch
 *    does not touch it), at the auth layer the attempt was decided at.
 *  - The audit policy is machine state: it outlives the process that changed it. Here it is a
 *    file beside the state file, STATE.audit, "conn=N drop=M" (AuditingInformation bits); no
 *    file means "No Auditing" for both, Windows' default for these subcategories.
 *  - A subscription sees records written after it opened (EvtSubscribeToFutureEvents), in
 *    order. Each holds a bounded queue (WL_SIM_EVTLOG_CAP records); when it is full the oldest
 *    record is overwritten and counted lost (a reader too slow for the log loses records).
 * The XML is the shape of Microsoft's documented 5156 sample ("5156(S): The Windows Filtering
 * Platform has permitted a connection", Microsoft Learn): System with EventID, TimeCreated
 * SystemTime, EventRecordID, Channel Security, Computer; EventData with ProcessID, Application
 * (NT device path), Direction %%14592/%%14593, Source/Dest Address and Port, Protocol,
 * FilterRTID, LayerName, LayerRTID. Tests may also inject any record (wl_sim_evtlog_inject).
 * Subscriptions are kept per process in one list keyed by state path (like the event bus).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/wl_err.h"
#include "common/wl_text.h"
#include "engine/evtlog.h"
#include "engine/sim/sim_internal.h"

#define WL_SIM_EVTLOG_CAP 1024u

typedef struct sim_evsub {
  struct sim_evsub *next;
  char path[4096];
  uint32_t audit[WL_AUDIT_SUBS]; /* the policy as last read or set in this process */
  char *q[WL_SIM_EVTLOG_CAP];
  size_t head, n;
  uint64_t lost;
  wl_cond more;
} sim_evsub;

static wl_mutex reg_mu; /* guards the list and every queue */
static sim_evsub *subs;
static atomic_int reg_ready;
static uint64_t record_id;

static void reg_init(void) {
  static atomic_int once;
  if (atomic_load(&reg_ready))
    return;
  if (atomic_exchange(&once, 1) == 0) {
    wl_mutex_init(&reg_mu);
    atomic_store(&reg_ready, 1);
  }
  while (!atomic_load(&reg_ready))
    wl_sleep_ms(1);
}

static void audit_path(const wl_sim_engine *e, char *out, size_t cap) {
  snprintf(out, cap, "%s.audit", e->path);
}

static int audit_read(const wl_sim_engine *e, uint32_t out[WL_AUDIT_SUBS]) {
  char path[4200];
  uint8_t *data = NULL;
  size_t len = 0;
  unsigned c = 0, d = 0;
  audit_path(e, path, sizeof path);
  out[0] = out[1] = 0;
  int rc = wl_os_read_file(path, 256, &data, &len);
  if (rc == WL_E_NOTFOUND) {
    wl_err_clear();
    return WL_OK;
  }
  if (rc != WL_OK)
    return rc;
  rc = sscanf((char *)data, "conn=%u drop=%u", &c, &d) == 2 ? WL_OK
       : wl_err(WL_E_CORRUPT, "sim: %s: unreadable audit policy", path);
  free(data);
  out[0] = c & 3u;
  out[1] = d & 3u;
  return rc;
}

int wl_sim_audit_get(void *impl, int sub, uint32_t *flags) {
  uint32_t a[WL_AUDIT_SUBS];
  int rc = audit_read(impl, a);
  *flags = rc == WL_OK ? a[sub] : 0;
  return rc;
}

int wl_sim_audit_set(void *impl, int sub, uint32_t flags) {
  wl_sim_engine *e = impl;
  uint32_t a[WL_AUDIT_SUBS];
  char path[4200], text[64];
  int rc = audit_read(e, a);
  if (rc != WL_OK)
    return rc;
  a[sub] = flags;
  audit_path(e, path, sizeof path);
  int n = snprintf(text, sizeof text, "conn=%u drop=%u\n", (unsigned)a[0], (unsigned)a[1]);
  if ((rc = wl_os_file_replace(path, (const uint8_t *)text, (size_t)n)) != WL_OK)
    return wl_err_prefix(rc, "sim: writing the audit policy");
  reg_init();
  wl_mutex_lock(&reg_mu);
  for (sim_evsub *s = subs; s; s = s->next)
    if (strcmp(s->path, e->path) == 0)
      memcpy(s->audit, a, sizeof a);
  wl_mutex_unlock(&reg_mu);
  return WL_OK;
}

int wl_sim_evtlog_open(void *impl, void **out) {
  wl_sim_engine *e = impl;
  sim_evsub *s = calloc(1, sizeof *s);
  if (!s)
    return wl_err(WL_E_NOMEM, "sim: no memory for a Security log subscription");
  wl_strlcpy(s->path, e->path, sizeof s->path);
  int rc = audit_read(e, s->audit);
  if (rc != WL_OK) {
    free(s);
    return rc;
  }
  wl_cond_init(&s->more);
  reg_init();
  wl_mutex_lock(&reg_mu);
  s->next = subs;
  subs = s;
  wl_mutex_unlock(&reg_mu);
  *out = s;
  return WL_OK;
}

void wl_sim_evtlog_close(void *impl, void *sub) {
  (void)impl;
  sim_evsub *s = sub;
  wl_mutex_lock(&reg_mu);
  for (sim_evsub **p = &subs; *p; p = &(*p)->next)
    if (*p == s) {
      *p = s->next;
      break;
    }
  wl_mutex_unlock(&reg_mu);
  for (size_t i = 0; i < s->n; i++)
    free(s->q[(s->head + i) % WL_SIM_EVTLOG_CAP]);
  wl_cond_destroy(&s->more);
  free(s);
}

int wl_sim_evtlog_next(void *impl, void *sub, char *xml, size_t cap, size_t *len,
                       unsigned timeout_ms) {
  (void)impl;
  sim_evsub *s = sub;
  wl_mutex_lock(&reg_mu);
  if (s->n == 0)
    wl_cond_timedwait(&s->more, &reg_mu, timeout_ms);
  char *rec = NULL;
  if (s->n > 0) {
    rec = s->q[s->head];
    s->head = (s->head + 1) % WL_SIM_EVTLOG_CAP;
    s->n--;
  }
  wl_mutex_unlock(&reg_mu);
  if (!rec)
    return WL_E_TIMEOUT;
  size_t n = wl_strlcpy(xml, rec, cap);
  free(rec);
  *len = n < cap ? n : cap - 1;
  return n < cap ? WL_OK : wl_err(WL_E_TOOBIG, "sim: a Security log record of %zu bytes", n);
}

/* With reg_mu held: append a copy of xml to every subscription on path that wants it. */
static void publish(const char *path, int sub, uint32_t bit, const char *xml) {
  for (sim_evsub *s = subs; s; s = s->next) {
    if (strcmp(s->path, path) != 0 || (sub >= 0 && !(s->audit[sub] & bit)))
      continue;
    char *copy = malloc(strlen(xml) + 1);
    if (!copy)
      continue; /* counted as lost, like a full queue */
    strcpy(copy, xml);
    if (s->n == WL_SIM_EVTLOG_CAP) { /* full: the oldest goes */
      free(s->q[s->head]);
      s->head = (s->head + 1) % WL_SIM_EVTLOG_CAP;
      s->n--;
      s->lost++;
    }
    s->q[(s->head + s->n++) % WL_SIM_EVTLOG_CAP] = copy;
    wl_cond_signal(&s->more);
  }
}

int wl_sim_eng_evtlog_inject(void *impl, const char *xml) {
  wl_sim_engine *e = impl;
  reg_init();
  wl_mutex_lock(&reg_mu);
  publish(e->path, -1, 0, xml);
  wl_mutex_unlock(&reg_mu);
  return WL_OK;
}

/* One record in the documented 5156/5157/5152 shape. */
static void format_record(char *out, size_t cap, unsigned id, const wl_attempt *a,
                          const char *app, uint64_t filter_id, uint16_t layer, uint64_t rec) {
  char when[WL_TIME_STR_MAX], la[WL_ADDR_STR_MAX], ra[WL_ADDR_STR_MAX];
  wl_time_format(a->ts, when);
  wl_addr_format(a->ip_version, a->local_addr, la);
  wl_addr_format(a->ip_version, a->remote_addr, ra);
  int in = a->dir == WL_DIR_IN;
  snprintf(out, cap,
           "<Event xmlns=\"http://schemas.microsoft.com/win/2004/08/events/event\"><System>"
           "<Provider Name=\"Microsoft-Windows-Security-Auditing\" "
           "Guid=\"{54849625-5478-4994-A5BA-3E3B0328C30D}\"/><EventID>%u</EventID>"
           "<Version>1</Version><Level>0</Level><Task>%u</Task><Keywords>%s</Keywords>"
           "<TimeCreated SystemTime=\"%s\"/><EventRecordID>%" PRIu64 "</EventRecordID>"
           "<Execution ProcessID=\"4\" ThreadID=\"88\"/><Channel>Security</Channel>"
           "<Computer>sim.wfplearn.test</Computer><Security/></System><EventData>"
           "<Data Name=\"ProcessID\">0</Data><Data Name=\"Application\">%s</Data>"
           "<Data Name=\"Direction\">%%%%%s</Data><Data Name=\"SourceAddress\">%s</Data>"
           "<Data Name=\"SourcePort\">%u</Data><Data Name=\"DestAddress\">%s</Data>"
           "<Data Name=\"DestPort\">%u</Data><Data Name=\"Protocol\">%u</Data>"
           "<Data Name=\"FilterRTID\">%" PRIu64 "</Data><Data Name=\"LayerName\">%%%%%s</Data>"
           "<Data Name=\"LayerRTID\">%u</Data></EventData></Event>",
           id, id == 5152 ? 12809u : 12810u,
           id == 5156 ? "0x8020000000000000" : "0x8010000000000000", when, rec,
           app[0] ? app : "-", in ? "14592" : "14593", in ? ra : la,
           (unsigned)(in ? a->remote_port : a->local_port), in ? la : ra,
           (unsigned)(in ? a->local_port : a->remote_port), (unsigned)a->proto, filter_id,
           in ? "14610" : "14611", (unsigned)layer);
}

void wl_sim_evtlog_note(wl_sim_engine *e, const wl_attempt *a, const uint8_t *app_id,
                        size_t app_len, const wl_decision *d) {
  if (!atomic_load(&reg_ready))
    return; /* no subscription was ever opened in this process */
  char app[WL_PATH_MAX], *xml = NULL;
  while (app_len >= 2 && app_id[app_len - 1] == 0 && app_id[app_len - 2] == 0)
    app_len -= 2; /* the app id's terminator */
  wl_utf16le_to_utf8(app_id, app_len, app, sizeof app);
  int block = d->action == WL_ACTION_BLOCK;
  wl_mutex_lock(&reg_mu);
  for (sim_evsub *s = subs; s && !xml; s = s->next)
    if (strcmp(s->path, e->path) == 0 && (s->audit[0] || s->audit[1]))
      xml = malloc(WL_EVTLOG_XML_MAX);
  if (xml) {
    format_record(xml, WL_EVTLOG_XML_MAX, block ? 5157 : 5156, a, app, d->filter_id,
                  d->layer_id, ++record_id);
    publish(e->path, WL_AUDIT_FP_CONNECTION, block ? WL_AUDIT_FAILURE : WL_AUDIT_SUCCESS, xml);
    if (block) {
      format_record(xml, WL_EVTLOG_XML_MAX, 5152, a, app, d->filter_id, d->layer_id,
                    ++record_id);
      publish(e->path, WL_AUDIT_FP_PACKET_DROP, WL_AUDIT_FAILURE, xml);
    }
  }
  wl_mutex_unlock(&reg_mu);
  free(xml);
}
