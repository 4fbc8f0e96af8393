/* win_backend.h — internal to engine/fwpuclnt/ (Windows): the fwpuclnt backend's pieces, shared by
 * win_backend.c (session, options, transactions, providers, sublayers, app ids, sim controls),
 * win_filter.c (wl_filter <-> FWPM_FILTER0), win_events.c (subscriptions, backfill) and
 * win_evcopy.c (FWPM_NET_EVENTn -> wl_raw_event), and by their tests.
 */
#ifndef WL_WIN_BACKEND_H
#define WL_WIN_BACKEND_H

#include "common/wl_thread.h"
#include <stdatomic.h>

#include "event/event.h"
#include "engine/engine.h"
#include "engine/backend.h"
#include "engine/fwpuclnt/win_api.h"

#define WL_FWP_MAX_SUBS 16 /* subscriptions per engine handle */

typedef struct wl_fwp {
  wl_fwp_api api;      /* this engine's copy of the table */
  HANDLE engine;       /* FwpmEngineOpen0 */
  GUID session_key;
  atomic_int sub_version; /* newest FwpmNetEventSubscribeN that worked (or found), -1: none */
  int enum_version;    /* newest FwpmNetEventEnumN found, -1: none */
  atomic_int in_txn;   /* a transaction is open on this handle */
  wl_mutex lock; /* guards subs[] */
  void *subs[WL_FWP_MAX_SUBS]; /* live subscriptions, ended by close if the caller did not */
} wl_fwp;

/* ---- win_evtlog.c: the Security log and the audit policy (engine/evtlog.h) ---- */
int wl_fwp_evtlog_open(void *impl, void **sub);
int wl_fwp_evtlog_next(void *impl, void *sub, char *xml, size_t cap, size_t *len,
                       unsigned timeout_ms);
void wl_fwp_evtlog_close(void *impl, void *sub);
int wl_fwp_audit_get(void *impl, int sub, uint32_t *flags);
int wl_fwp_audit_set(void *impl, int sub, uint32_t flags);

/* ---- win_filter.c ---- */
/* Layer run-time id (WL_LAYER_*) <-> layer key; NULL / 0 when not one of our four layers. */
const GUID *wl_fwp_layer_key(uint16_t layer_id);
uint16_t wl_fwp_layer_id(const GUID *key);

/* Everything an FWPM_FILTER0 built from a wl_filter points to; lives until the add returns.
 * Release with wl_fwp_filter_build_free (frees the security descriptors). */
typedef struct wl_fwp_fbuild {
  FWPM_FILTER0 f;
  FWPM_FILTER_CONDITION0 conds[WL_FILTER_MAX_CONDS];
  FWP_RANGE0 ranges[WL_FILTER_MAX_CONDS];
  FWP_V4_ADDR_AND_MASK v4[WL_FILTER_MAX_CONDS];
  FWP_V6_ADDR_AND_MASK v6[WL_FILTER_MAX_CONDS];
  FWP_BYTE_BLOB app_blob;
  FWP_BYTE_BLOB sd_blob;
  PSECURITY_DESCRIPTOR sd;  /* LocalFree */
  uint8_t package_sid[WL_SID_MAX];
  GUID provider;
  UINT64 weight64;
  wchar_t name[128];
  wchar_t description[256];
} wl_fwp_fbuild;

/* wl_filter -> FWPM_FILTER0 (into b->f), as the WFP pages document each condition type.
 * WL_E_INVAL for what WFP cannot express (unknown layer/field, bad prefix, ...). */
int wl_fwp_filter_build(const wl_filter *in, wl_fwp_fbuild *b);
void wl_fwp_filter_build_free(wl_fwp_fbuild *b); /* NULL-safe */
/* FWPM_FILTER0 -> wl_filter. Conditions on fields wfplearn does not model are skipped and
 * counted in *skipped (may be NULL); a layer outside our four gives layer_id 0. */
int wl_fwp_filter_parse(const FWPM_FILTER0 *in, wl_filter *out, unsigned *skipped);

int wl_fwp_filter_add(void *impl, wl_filter *f);
int wl_fwp_filter_delete(void *impl, const wl_guid *key);
int wl_fwp_filter_get_by_id(void *impl, uint64_t id, wl_filter *out);
int wl_fwp_filter_get_by_key(void *impl, const wl_guid *key, wl_filter *out);
int wl_fwp_filter_enum(void *impl, const wl_guid *provider, wl_filter **out, size_t *n);

/* ---- win_evcopy.c: the callback's whole job, FWPM_NET_EVENTn -> wl_raw_event ----
 * Verbatim: header flags as given, v4 as the host-order UINT32 memcpy'd, v6 16 bytes, the
 * app id blob's bytes bounded by WL_RAW_APP_MAX (app_id_size keeps the real size), SIDs as
 * binary bounded by WL_SID_MAX, type, and the classify/capability payload when its pointer is
 * not NULL. origin is left WL_ORIGIN_LIVE (0). Pure: no allocation, no calls out. */
void wl_fwp_copy_event0(const FWPM_NET_EVENT0 *in, wl_raw_event *out);
void wl_fwp_copy_event1(const FWPM_NET_EVENT1 *in, wl_raw_event *out);
void wl_fwp_copy_event2(const FWPM_NET_EVENT2 *in, wl_raw_event *out);
void wl_fwp_copy_event3(const FWPM_NET_EVENT3 *in, wl_raw_event *out);
void wl_fwp_copy_event4(const FWPM_NET_EVENT4 *in, wl_raw_event *out);
void wl_fwp_copy_event5(const FWPM_NET_EVENT5 *in, wl_raw_event *out);
/* Binary length of a SID from its header (8 + 4 x SubAuthorityCount), capped at WL_SID_MAX. */
size_t wl_fwp_sid_len(const SID *sid);

/* ---- win_events.c ---- */
int wl_fwp_subscribe(void *impl, wl_net_event_cb cb, void *ctx, void **sub);
int wl_fwp_unsubscribe(void *impl, void *sub);
int wl_fwp_enum_events(void *impl, uint64_t since, wl_net_event_cb cb, void *ctx);
void wl_fwp_unsubscribe_all(wl_fwp *b); /* close: end what the caller left subscribed */

/* ---- win_backend.c helpers shared with the others ---- */
void wl_fwp_guid_to_win(const wl_guid *in, GUID *out);
void wl_fwp_guid_from_win(const GUID *in, wl_guid *out);
int wl_fwp_guid_is_zero(const wl_guid *g);
/* UTF-8 -> UTF-16 into a fixed buffer (truncated, always terminated) and back. */
void wl_fwp_to_wide(const char *s, wchar_t *out, size_t cap);
void wl_fwp_from_wide(const wchar_t *s, char *out, size_t cap);
/* win_conns.c: the connection tables (wl_engine_connections). */
int wl_fwp_connections(void *impl, wl_conn *out, size_t cap, size_t *n, size_t *total);
/* win_signer.c: who signed a binary (wl_engine_signer). */
int wl_fwp_signer(void *impl, const char *dos_path, wl_signer *out);
/* A random GUID (new filter keys, session keys). */
int wl_fwp_new_guid(GUID *out);

#endif
