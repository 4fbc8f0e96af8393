/* sim_internal.h — the simulated engine's inside, shared by engine/sim/sim_*.c (and by the fake
 * fwpuclnt.dll, tests/fake_fwpuclnt/, which links wl_sim).
 *
 * For the fake DLL: open a sim directly with wl_sim_backend_open (engine/backend.h), call the
 * returned ops table and the wl_sim_eng_* controls below with its impl;
 * FwpmGetAppIdFromFileName0 has no engine handle, so wl_sim_app_id_map converts with an
 * explicit drive map (wl_sim_default_drives gives the default one).
 *
 * The pieces:
 *   sim_state.c     the model (providers, sublayers, filters, options, drive map), baseline
 *   sim_store.c     its binary state file (header with nonce+generation, FNV-1a checked body)
 *   sim_engine.c    the backend: sessions, state cache, transactions, options, classify
 *   sim_objects.c   provider, sublayer and filter calls
 *   sim_check.c     filter validation and effective weights
 *   sim_classify.c  the view (which filters exist, their sublayer weights), the event; the
 *                   matching and arbitration are engine/arbitrate.c's (shared with enforce --dry-run)
 *   sim_events.c    the per-process event bus: bounded queue, delivery thread, event buffer
 *   sim_traffic.c   traffic-file lines → wl_attempt, and running a file at a speed
 *   sim_appid.c     DOS path → app id through a drive map
 */
#ifndef WL_SIM_INTERNAL_H
#define WL_SIM_INTERNAL_H

#include "common/wl_thread.h"
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "common/wl_os.h"
#include "engine/engine.h"
#include "engine/backend.h"
#include "engine/sim/sim.h"

/* The sim backend's table (sim_engine.c), and its controls on an impl from
 * wl_sim_backend_open: what sim.h's wl_sim_* do once sim_ctl.c has found the impl. */
extern const wl_engine_ops wl_sim_ops;
int wl_sim_eng_classify(void *impl, const wl_attempt *a, wl_decision *out);
int wl_sim_eng_run_traffic(void *impl, const char *path, double speed, wl_sim_stats *stats);
int wl_sim_eng_stop(void *impl);
int wl_sim_eng_drain(void *impl, unsigned timeout_ms);
int wl_sim_eng_set_kw_support(void *impl, uint32_t mask);
int wl_sim_eng_set_drive(void *impl, char letter, const char *device);
int wl_sim_eng_set_file(void *impl, const char *path, int exists);
int wl_sim_eng_set_remote_session(void *impl, int remote, uint16_t port);
int wl_sim_eng_bfe_restart(void *impl); /* sim_objects.c */
int wl_sim_eng_suppress_allow(void *impl, int on);
int wl_sim_eng_evtlog_inject(void *impl, const char *xml); /* sim_evtlog.c */

/* ---- the model ---- */

/* Who owns an object: session 0 = lives in the state until deleted (persistent, or added
 * outside a dynamic session); else the dynamic session's id and the owner process, and the
 * object is gone when that session closes or that process is dead. */
typedef struct wl_sim_owner {
  uint32_t pid;
  uint64_t session;
} wl_sim_owner;

typedef struct wl_sim_prov {
  wl_provider p;
  wl_sim_owner own;
} wl_sim_prov;
typedef struct wl_sim_subl {
  wl_sublayer s;
  wl_sim_owner own;
} wl_sim_subl;
typedef struct wl_sim_filt {
  wl_filter f; /* f.effective_weight is computed at add */
  wl_sim_owner own;
} wl_sim_filt;

#define WL_SIM_MAX_OBJECTS 100000u /* per kind; bounds the state file */

typedef struct wl_sim_state {
  uint64_t nonce;      /* random per created state file */
  uint64_t generation; /* +1 per saved change */
  uint64_t next_id;    /* next filter run-time id */
  uint32_t collect;    /* FWPM_ENGINE_COLLECT_NET_EVENTS */
  uint32_t keywords;   /* FWPM_ENGINE_NET_EVENT_MATCH_ANY_KEYWORDS */
  uint32_t kw_supported; /* keyword bits this "Windows" knows (wl_sim_set_keyword_support) */
  size_t ndrives;
  wl_drive drives[26];
  /* The files this "Windows" has (FwpmGetAppIdFromFileName0 needs the file, issue 12 item 8):
   * DOS or UNC paths in wl_sim_file_key form, NUL-separated in one blob (at most
   * WL_SIM_MAX_FILES). Keyed by the DOS path, so a renumbered volume keeps its files. */
  char *files;
  size_t nfiles, files_len, files_cap;
  /* Who signed them (sim_signer.c): "key\0signer\0" pairs, one blob. */
  char *signers;
  size_t nsigners, signers_len, signers_cap;
  uint32_t remote;      /* wl_sim_set_remote_session: 0 local; else 0x10000 | listener port */
  size_t nprov, nsubl, nfilt;
  size_t cprov, csubl, cfilt; /* capacities */
  wl_sim_prov *prov;
  wl_sim_subl *subl;
  wl_sim_filt *filt;
} wl_sim_state;

void wl_sim_state_init(wl_sim_state *s); /* empty, no baseline */
void wl_sim_state_free(wl_sim_state *s); /* NULL-safe, leaves an empty state */
int wl_sim_state_copy(wl_sim_state *dst, const wl_sim_state *src); /* dst must be empty */
void wl_sim_state_baseline(wl_sim_state *s, uint64_t nonce);
/* Append one object (capacity grows, bounded by WL_SIM_MAX_OBJECTS). */
int wl_sim_state_add_prov(wl_sim_state *s, const wl_sim_prov *p);
int wl_sim_state_add_subl(wl_sim_state *s, const wl_sim_subl *x);
int wl_sim_state_add_filt(wl_sim_state *s, const wl_sim_filt *f);
/* Index of the object with this key, or -1. Dead objects are not skipped here. */
long wl_sim_find_prov(const wl_sim_state *s, const wl_guid *key);
long wl_sim_find_subl(const wl_sim_state *s, const wl_guid *key);
long wl_sim_find_filt(const wl_sim_state *s, const wl_guid *key);
/* Remove every object whose dynamic owner is dead, or whose session is `session` (0: none).
 * Returns how many were removed. */
size_t wl_sim_state_purge(wl_sim_state *s, uint64_t session);
int wl_sim_owner_alive(const wl_sim_owner *o); /* session 0, or the pid is alive */

/* State file. The header (WL_SIM_HEADER_SIZE bytes) carries nonce and generation so a reader
 * can tell cheaply whether its cached copy is current. Writers hold the lock file; readers
 * need no lock because a write replaces the whole file atomically. */
#define WL_SIM_HEADER_SIZE 48
#define WL_SIM_STATE_MAX (1024u * 1024 * 1024) /* bytes of a state file we agree to read */
int wl_sim_state_peek(const char *path, uint64_t *nonce, uint64_t *generation); /* NOTFOUND */
int wl_sim_state_read(const char *path, wl_sim_state *out); /* WL_E_NOTFOUND, CORRUPT, VERSION */
int wl_sim_state_write(const char *path, wl_sim_state *s); /* generation+1; holds the lock */

/* The sim's file calls (lock file, whole-file reads, atomic replace, change watch) are the
 * OS layer's: common/wl_os.h. */

/* ---- classification ---- */
uint64_t wl_sim_effective_weight(const wl_filter *f);
/* Validate a filter against the state (layer, action, weight, conditions, sublayer/provider
 * existence and lifetime). dynamic_session: persistent filters are refused. */
int wl_sim_filter_check(const wl_sim_state *s, const wl_filter *f, int dynamic_session);

/* The per-layer evaluation order built from a state: sublayers by weight (highest first), in
 * each the enabled, live filters by effective weight (highest first, then lower id). */
typedef struct wl_sim_view wl_sim_view;
int wl_sim_view_build(const wl_sim_state *s, wl_sim_view **out);
void wl_sim_view_free(wl_sim_view *v); /* NULL-safe */
/* 1 when the liveness of a dynamic owner the view depends on changed (rebuild it). */
int wl_sim_view_stale(const wl_sim_view *v);

/* Arbitrate `a` in view `v` (app id: the attempt's, already converted; len 0 = unknown).
 * Fills action, filter_id, layer_id, matched, hard; event_type is left 0. */
void wl_sim_arbitrate(const wl_sim_view *v, const wl_attempt *a, const uint8_t *app_id,
                      size_t app_id_len, wl_decision *out);
/* Whether the options let this decision produce an event, and the event itself. */
int wl_sim_event_wanted(uint32_t collect, uint32_t keywords, const wl_attempt *a,
                        uint32_t type);
void wl_sim_event_build(const wl_attempt *a, const uint8_t *app_id, size_t app_id_len,
                        const wl_decision *d, uint32_t type, wl_raw_event *ev);
int wl_sim_is_loopback(const wl_attempt *a);

/* ---- app ids ---- */
size_t wl_sim_default_drives(wl_drive out[26]); /* C: and D:; returns 2 */
/* A path → the app id: DOS through the map (lower-cased NT path), NT paths lower-cased, other
 * names ("System") as they are; UTF-16LE with the terminator. WL_E_NOTFOUND: unknown drive;
 * WL_E_TOOBIG: longer than cap. */
int wl_sim_app_id_map(const wl_drive *map, size_t n, const char *path, uint8_t *out,
                      size_t cap, size_t *len);
int wl_sim_drive_set(wl_drive map[26], size_t *n, char letter, const char *device);
/* Files (sim_appid.c). A path names a file the sim can know when it is a DOS ("C:\\...") or
 * UNC path; other names (NT paths, "System") are not files to it. The key: ASCII lower case,
 * '/' as '\\'. */
#define WL_SIM_MAX_FILES 100000u
int wl_sim_is_file_path(const char *path);
int wl_sim_file_exists(const wl_sim_state *s, const char *path);
int wl_sim_file_set(wl_sim_state *s, const char *path, int exists); /* idempotent */
/* The DOS path of an app as an attempt names it (DOS as is; NT through the drive map), for
 * wl_sim_file_*; WL_E_NOTFOUND when no drive maps it or it is not a file path. */
int wl_sim_app_dos(const wl_drive *map, size_t n, const char *app, char *out, size_t cap);
/* The app id a classified attempt's event carries: as wl_sim_app_id_map, but a drive missing
 * from the map and a path longer than cap keep an identity (sim_appid.c says how); *blob is
 * the blob's full size, larger than *len when the copy was cut. */
int wl_sim_event_app_id(const wl_drive *map, size_t n, const char *path, uint8_t *out,
                        size_t cap, size_t *len, size_t *blob);

/* Signers (sim_signer.c). get: "" when the file has none (unsigned); set: "" removes. */
const char *wl_sim_signer_get(const wl_sim_state *s, const char *path);
int wl_sim_signer_set(wl_sim_state *s, const char *path, const char *name);
int wl_sim_signers_check(const char *blob, size_t len, size_t n); /* WL_E_CORRUPT when not n pairs */
/* The signer op: WL_E_NOTFOUND when the file does not exist. */
int wl_sim_signer_of(const wl_sim_state *s, const char *dos_path, wl_signer *out);
int wl_sim_eng_set_file_signer(void *impl, const char *path, const char *signer);

/* ---- the connection table (sim_conns.c), one per bus ---- */
#define WL_SIM_CONN_CAP 512u
#define WL_SIM_CONN_PROBE 16u
typedef struct wl_sim_conns {
  wl_mutex mu;
  struct {
    int used;
    wl_conn c;
    uint64_t seen_ns; /* wl_time_mono_ns of the last classify */
  } e[WL_SIM_CONN_CAP];
  atomic_int suppress_allow; /* wl_sim_suppress_allow */
} wl_sim_conns;
void wl_sim_conns_init(wl_sim_conns *t);
void wl_sim_conns_destroy(wl_sim_conns *t);
/* An allowed attempt opens (or refreshes) its connection; app_dos: its DOS path or "". */
void wl_sim_conns_add(wl_sim_conns *t, const wl_attempt *a, const char *app_dos);
/* The open ones (engine.h's wl_engine_connections). */
int wl_sim_conns_read(wl_sim_conns *t, wl_conn *out, size_t cap, size_t *n, size_t *total);

/* ---- the event bus: one per state file per process, shared by its engine handles ---- */
#define WL_SIM_QUEUE_CAP 1024u     /* events waiting for the delivery thread */
#define WL_SIM_BUFFER_CAP 10000u   /* events kept for wl_engine_enum_events */
#define WL_SIM_MAX_SUBS 16u        /* subscriptions per bus */
typedef struct wl_sim_bus wl_sim_bus;
int wl_sim_bus_get(const char *state_path, wl_sim_bus **out); /* refcounted */
void wl_sim_bus_put(wl_sim_bus *b); /* NULL-safe; the last one stops the thread */
int wl_sim_bus_subscribe(wl_sim_bus *b, const void *owner, wl_net_event_cb cb, void *ctx,
                         void **sub);
int wl_sim_bus_unsubscribe(wl_sim_bus *b, void *sub);
void wl_sim_bus_unsubscribe_owner(wl_sim_bus *b, const void *owner);
/* Buffer the event, and queue it when someone subscribed (waits while the queue is full;
 * *waited counts the waits). lazy: wake the delivery thread only once a batch is queued (a
 * traffic file run as fast as possible); the events still queued are sent on by the next
 * eager emit, wl_sim_bus_flush or wl_sim_bus_drain. */
int wl_sim_bus_emit(wl_sim_bus *b, const wl_raw_event *ev, int lazy, uint64_t *waited);
/* After the auth-layer allow event `auth` of an attempt in direction dir (enum wl_dir): the
 * ALE_FLOW_ESTABLISHED allow event BFE sends for the same connection (sim_events.c says why). */
int wl_sim_bus_emit_flow_established(wl_sim_bus *b, const wl_raw_event *auth, uint8_t dir,
                                     int lazy);
void wl_sim_bus_flush(wl_sim_bus *b); /* wake the delivery thread for what is queued */
int wl_sim_bus_enum(wl_sim_bus *b, uint64_t since, wl_net_event_cb cb, void *ctx);
int wl_sim_bus_drain(wl_sim_bus *b, unsigned timeout_ms); /* flushes, then waits */
uint64_t wl_sim_bus_full_waits(wl_sim_bus *b); /* subscriber WL_E_FULL retries so far */
wl_sim_conns *wl_sim_bus_conns(wl_sim_bus *b); /* the bus's connection table */
/* A simulated BFE restart: every subscription ends, and the run number handles compare with
 * the one they were opened in (wl_sim_bus_run) moves on. */
void wl_sim_bus_restart(wl_sim_bus *b);
unsigned wl_sim_bus_run(wl_sim_bus *b);

/* ---- the backend's handle (sim_engine.c; object calls in sim_objects.c) ---- */
#define WL_SIM_LOCK_TIMEOUT_MS 10000u /* waiting for another session's transaction */
typedef struct wl_sim_engine {
  wl_mutex mu;     /* one lock for the handle: every call takes it */
  char path[4096];        /* the state file */
  char lock_path[4104];   /* path + ".lock" */
  unsigned session_flags; /* WL_SESSION_DYNAMIC */
  uint64_t session;       /* random id of this session (owner tag of dynamic objects) */
  uint32_t pid;
  wl_sim_state st;        /* cache of the committed state (valid when st_valid) */
  int st_valid;
  wl_os_watch *watch;    /* the state file st was loaded from (NULL: peek every time) */
  wl_sim_view *view;      /* built from st on demand */
  int in_txn;
  wl_sim_state txn;       /* the transaction's working copy */
  wl_os_lock *txn_lock;  /* held from begin to commit/abort */
  wl_sim_bus *bus;
  unsigned bus_run;       /* wl_sim_bus_run when opened: another one means BFE restarted */
  atomic_int stop;        /* wl_sim_stop */
  /* Apps whose file this handle has declared (classify: a process that connects has its image
   * on disk), as FNV-1a hashes, direct-mapped: a hit skips the state write. */
  uint64_t seen_apps[256];
} wl_sim_engine;

/* With e->mu held. The state a read should see: the transaction's, else the committed one
 * (reloaded when the file changed). */
int wl_sim_eng_read(wl_sim_engine *e, wl_sim_state **st);
/* With e->mu held. Start a change: inside a transaction its copy, else lock the file, reload
 * and purge dead owners. Then wl_sim_eng_write_end(e, lk, rc): saves when rc is WL_OK (outside
 * a transaction), unlocks, and returns the first error. */
int wl_sim_eng_write_begin(wl_sim_engine *e, wl_sim_state **w, wl_os_lock **lk);
int wl_sim_eng_write_end(wl_sim_engine *e, wl_os_lock *lk, int rc);
wl_sim_owner wl_sim_eng_owner(const wl_sim_engine *e); /* tag for a new object */
void wl_sim_new_guid(wl_guid *out); /* a fresh random-looking key */

int wl_sim_provider_add(void *impl, const wl_provider *p);
int wl_sim_provider_get(void *impl, const wl_guid *key, wl_provider *out);
int wl_sim_provider_delete(void *impl, const wl_guid *key);
int wl_sim_sublayer_add(void *impl, const wl_sublayer *s);
int wl_sim_sublayer_get(void *impl, const wl_guid *key, wl_sublayer *out);
int wl_sim_sublayer_delete(void *impl, const wl_guid *key);
int wl_sim_filter_add(void *impl, wl_filter *f);
int wl_sim_filter_delete(void *impl, const wl_guid *key);
int wl_sim_filter_get_by_id(void *impl, uint64_t id, wl_filter *out);
int wl_sim_filter_get_by_key(void *impl, const wl_guid *key, wl_filter *out);
int wl_sim_filter_enum(void *impl, const wl_guid *provider, wl_filter **out, size_t *n);

/* ---- traffic (sim_traffic.c), for the backend ---- */
typedef int (*wl_sim_classify_fn)(void *impl, const wl_attempt *a, wl_decision *out);
/* ---- the Security log and audit policy (sim_evtlog.c; engine/evtlog.h's ops) ---- */
int wl_sim_evtlog_open(void *impl, void **sub);
int wl_sim_evtlog_next(void *impl, void *sub, char *xml, size_t cap, size_t *len,
                       unsigned timeout_ms);
void wl_sim_evtlog_close(void *impl, void *sub);
int wl_sim_audit_get(void *impl, int sub, uint32_t *flags);
int wl_sim_audit_set(void *impl, int sub, uint32_t flags);
/* A classified attempt: its 5156, or 5157 (+ 5152), for the subscriptions whose audit policy
 * asks for it. app_id: the event's app id (UTF-16LE NT path). */
void wl_sim_evtlog_note(wl_sim_engine *e, const wl_attempt *a, const uint8_t *app_id,
                        size_t app_len, const wl_decision *d);

int wl_sim_traffic_run(void *impl, wl_sim_classify_fn classify, const char *path,
                       double speed, atomic_int *stop, wl_sim_stats *stats);

#endif
