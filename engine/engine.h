/* engine.h — the one seam between wfplearn and the Windows Filtering Platform.
 *
 * Everything the rest of the project may ask of WFP, with no Windows types. Two backends:
 *   "wfp"        fwpuclnt.dll, every Fwpm* entry point resolved at run time (Windows only;
 *                under wine in tests, our fake fwpuclnt.dll answers);
 *   "sim[:FILE]" the simulated engine with WFP's documented semantics (any platform); FILE keeps
 *                its persistent objects between processes (default: $WL_SIM_STATE, else
 *                "wfplearn-sim.state" in the current directory).
 *
 * Net events reach the subscriber as wl_raw_event (event/event.h): the backend's callback
 * copies the versioned FWPM_NET_EVENTn verbatim into that fixed-size, pointer-free record and
 * nothing else. Why not the raw Windows struct: it holds pointers that die when the callback
 * returns, so it must be copied anyway, and a portable copy keeps Windows types out of the core
 * and lets one decoder serve WFP, the sim and replay files. Why not the decoded wl_event:
 * decoding (UTF-16, SIDs, flag rules) does not belong on a BFE worker thread.
 *
 * A wl_engine handle may be used from several threads (the consumer looks up filters while the
 * CLI thread waits); transactions belong to the handle, as in WFP.
 */
#ifndef WL_ENGINE_H
#define WL_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include "common/wl_text.h"
#include "event/event.h"
#include "event/paths.h"

typedef struct wl_engine wl_engine;
typedef struct wl_subscription wl_subscription;

/* ---- session ---- */
#define WL_SESSION_DYNAMIC 0x1u /* FWPM_SESSION_FLAG_DYNAMIC: our objects vanish at close/exit */

/* spec: "wfp", "sim" or "sim:STATEFILE". Release with wl_engine_close. WL_E_UNSUPPORTED for "wfp"
 * where fwpuclnt is not available; WL_E_PERM when not elevated. */
int wl_engine_open(const char *spec, unsigned session_flags, wl_engine **out);
void wl_engine_close(wl_engine *e); /* NULL-safe; aborts an open transaction */
const char *wl_engine_kind(const wl_engine *e); /* "wfp" or "sim" */

/* ---- options (FWPM_ENGINE_OPTION values) ---- */
#define WL_OPT_COLLECT_NET_EVENTS 0
#define WL_OPT_NET_EVENT_MATCH_ANY_KEYWORDS 1
/* FWPM_NET_EVENT_KEYWORD_* */
#define WL_KW_INBOUND_MCAST 0x1u
#define WL_KW_INBOUND_BCAST 0x2u
#define WL_KW_CAPABILITY_DROP 0x4u
#define WL_KW_CAPABILITY_ALLOW 0x8u
#define WL_KW_CLASSIFY_ALLOW 0x10u
#define WL_KW_PORT_SCANNING_DROP 0x20u

int wl_engine_get_option(wl_engine *e, int option, uint32_t *value);
int wl_engine_set_option(wl_engine *e, int option, uint32_t value);

/* ---- net events ----
 * The callback runs on an engine thread (a BFE worker, or the sim's delivery thread). It must
 * copy and return. It returns WL_OK, or WL_E_FULL when it could not take the event: the real
 * BFE ignores that (the subscriber counts the drop itself); the sim, which reads a file, waits
 * and delivers the same event again. */
typedef int (*wl_net_event_cb)(void *ctx, const wl_raw_event *ev);

int wl_engine_subscribe(wl_engine *e, wl_net_event_cb cb, void *ctx, wl_subscription **out);
/* Waits for callbacks in flight. On failure (FwpmNetEventUnsubscribe0 refuses inside a
 * transaction, or BFE is gone) the subscription stays in place and s stays valid, since its
 * callback may still run: call again, or close the engine, which ends it and frees s. */
int wl_engine_unsubscribe(wl_engine *e, wl_subscription *s);
/* Which FwpmNetEventSubscribeN / FWPM_NET_EVENTn is in use (0..5; the sim says 5). */
int wl_engine_event_version(const wl_engine *e);
/* Read what the engine still holds in its net event buffer, oldest first, from `since`
 * (ticks, exclusive). Events are delivered synchronously to cb with origin = BACKFILL. */
int wl_engine_enum_events(wl_engine *e, uint64_t since, wl_net_event_cb cb, void *ctx);

/* ---- transactions (all or nothing) ---- */
int wl_engine_begin(wl_engine *e);
int wl_engine_commit(wl_engine *e);
int wl_engine_abort(wl_engine *e);

/* ---- objects ---- */
/* FWPM_PROVIDER_FLAG_PERSISTENT / FWPM_SUBLAYER_FLAG_PERSISTENT */
#define WL_OBJ_PERSISTENT 0x1u

typedef struct wl_provider {
  wl_guid key;
  char name[128];
  char description[256];
  uint32_t flags; /* WL_OBJ_PERSISTENT */
} wl_provider;

typedef struct wl_sublayer {
  wl_guid key;
  char name[128];
  char description[256];
  wl_guid provider; /* all-zero: none */
  uint32_t flags;   /* WL_OBJ_PERSISTENT */
  uint16_t weight;  /* higher is evaluated first */
} wl_sublayer;

/* FWP_ACTION_* */
#define WL_ACTION_BLOCK 0x1001u
#define WL_ACTION_PERMIT 0x1002u

/* FWPM_FILTER_FLAG_* */
#define WL_FILTER_PERSISTENT 0x1u
#define WL_FILTER_BOOTTIME 0x2u
#define WL_FILTER_CLEAR_ACTION_RIGHT 0x8u
#define WL_FILTER_DISABLED 0x20u

/* Filter weight as FWPM_FILTER0.weight takes it. */
enum wl_weight_type {
  WL_WEIGHT_AUTO = 0, /* FWP_EMPTY: the engine picks */
  WL_WEIGHT_INDEX,    /* FWP_UINT8 0..15: a range index */
  WL_WEIGHT_EXACT     /* FWP_UINT64 */
};

/* Condition fields (FWPM_CONDITION_*). At most one APP_ID, USER and PACKAGE condition per
 * filter; their values live in the filter (app_id, user_sid, package_sid). Conditions on the
 * same field are ORed, different fields ANDed, as WFP does. */
enum wl_field {
  WL_FIELD_APP_ID = 1,     /* FWPM_CONDITION_ALE_APP_ID: FWP_BYTE_BLOB, EQUAL */
  WL_FIELD_PROTOCOL,       /* FWPM_CONDITION_IP_PROTOCOL: UINT8, EQUAL */
  WL_FIELD_LOCAL_PORT,     /* FWPM_CONDITION_IP_LOCAL_PORT: UINT16, EQUAL or RANGE */
  WL_FIELD_REMOTE_PORT,    /* FWPM_CONDITION_IP_REMOTE_PORT: UINT16, EQUAL or RANGE */
  WL_FIELD_REMOTE_ADDR,    /* FWPM_CONDITION_IP_REMOTE_ADDRESS: v4 addr+mask / v6 prefix */
  WL_FIELD_LOCAL_ADDR,     /* FWPM_CONDITION_IP_LOCAL_ADDRESS */
  WL_FIELD_USER,           /* FWPM_CONDITION_ALE_USER_ID: security descriptor granting the SID */
  WL_FIELD_PACKAGE,        /* FWPM_CONDITION_ALE_PACKAGE_ID: FWP_SID, EQUAL */
  WL_FIELD_FLAGS           /* FWPM_CONDITION_FLAGS: FLAGS_ANY_SET (loopback = 0x1) */
};
/* FWP_MATCH_* used here */
enum wl_match { WL_MATCH_EQUAL = 0, WL_MATCH_RANGE = 5, WL_MATCH_FLAGS_ANY_SET = 7 };
#define WL_COND_FLAG_IS_LOOPBACK 0x1u /* FWP_CONDITION_FLAG_IS_LOOPBACK */
/* FWP_CONDITION_FLAG_IS_APPCONTAINER_LOOPBACK (fwpmtypes.h, Windows 8+; "Filtering condition
 * flags", Microsoft Learn): traffic to or from an AppContainer over loopback */
#define WL_COND_FLAG_IS_APPCONTAINER_LOOPBACK 0x00400000u

typedef struct wl_condition {
  uint8_t field;      /* enum wl_field */
  uint8_t match;      /* enum wl_match; addresses use EQUAL with a prefix length */
  uint8_t proto;      /* PROTOCOL */
  uint8_t ip_version; /* addresses: 4 or 6 */
  uint8_t prefix_len; /* addresses: 0..32 / 0..128 (32/128 = exact) */
  uint16_t port_lo, port_hi; /* ports: EQUAL uses port_lo */
  uint32_t flags;     /* FLAGS */
  uint8_t addr[16];   /* network byte order */
} wl_condition;

#define WL_FILTER_MAX_CONDS 64
#define WL_APP_ID_MAX 1024 /* bytes of UTF-16LE, terminator included */

typedef struct wl_filter {
  wl_guid key;         /* all-zero on add: the engine generates one */
  uint64_t id;         /* run-time id, assigned by the engine */
  char name[128];
  char description[256];
  wl_guid provider;    /* all-zero: none */
  wl_guid sublayer;    /* all-zero: the default sublayer */
  uint16_t layer_id;   /* WL_LAYER_* (event/event.h) */
  uint32_t action;     /* WL_ACTION_* */
  uint32_t flags;      /* WL_FILTER_* */
  uint8_t weight_type; /* enum wl_weight_type */
  uint64_t weight;     /* INDEX: 0..15, EXACT: the value */
  uint64_t effective_weight; /* filled by the engine on get/enum */
  uint32_t num_conds;
  wl_condition conds[WL_FILTER_MAX_CONDS];
  uint32_t app_id_len;             /* APP_ID value: what wl_engine_app_id returned */
  uint8_t app_id[WL_APP_ID_MAX];
  char user_sid[WL_SID_STR_MAX];   /* USER value */
  char package_sid[WL_SID_STR_MAX];/* PACKAGE value */
} wl_filter;

int wl_engine_provider_add(wl_engine *e, const wl_provider *p);  /* WL_E_EXISTS if present */
int wl_engine_provider_get(wl_engine *e, const wl_guid *key, wl_provider *out);
int wl_engine_provider_delete(wl_engine *e, const wl_guid *key);
int wl_engine_sublayer_add(wl_engine *e, const wl_sublayer *s);  /* WL_E_EXISTS if present */
int wl_engine_sublayer_get(wl_engine *e, const wl_guid *key, wl_sublayer *out);
int wl_engine_sublayer_delete(wl_engine *e, const wl_guid *key);

/* Adds f; fills f->id, and f->key when it was all-zero. WL_E_EXISTS when the key is taken. */
int wl_engine_filter_add(wl_engine *e, wl_filter *f);
int wl_engine_filter_delete(wl_engine *e, const wl_guid *key); /* WL_E_NOTFOUND */
int wl_engine_filter_get_by_id(wl_engine *e, uint64_t id, wl_filter *out);
int wl_engine_filter_get_by_key(wl_engine *e, const wl_guid *key, wl_filter *out);
/* Every filter of `provider` (NULL: all filters). *out is an array of *n filters; release with
 * wl_engine_free. */
int wl_engine_filter_enum(wl_engine *e, const wl_guid *provider, wl_filter **out, size_t *n);
void wl_engine_free(void *p);

/* FwpmGetAppIdFromFileName0: a DOS path ("C:\\Program Files\\x.exe") → the app id blob (the NT
 * device path, lower-case, UTF-16LE, terminator included). WL_E_NOTFOUND when the file's
 * volume is unknown. */
int wl_engine_app_id(wl_engine *e, const char *dos_path, uint8_t *out, size_t cap, size_t *len);

/* DOS drive letters → NT device names (wl_drive, event/paths.h), for showing NT paths to
 * people. On Windows from QueryDosDeviceW; on the sim from its configured drive map. */
int wl_engine_drive_map(wl_engine *e, wl_drive *out, size_t cap, size_t *n);

/* What enforce needs to know about the machine and the session the command runs in: where
 * Windows' own binaries are (the DNS client's svchost.exe is matched by app id), and whether
 * this is a remote desktop session (enforce --inbound must not cut its listener). Windows:
 * GetSystemDirectoryW, GetSystemMetrics(SM_REMOTESESSION) and the RDP-Tcp WinStation's
 * PortNumber (0 when it cannot be read); the sim: C:\Windows\System32 and its state
 * (wl_sim_set_remote_session). */
typedef struct wl_machine {
  char system_dir[WL_PATH_MAX]; /* DOS path, no trailing separator */
  uint8_t remote;               /* 1: a remote (RDP) session */
  uint16_t remote_port;         /* its listener's TCP port; 0: unknown */
} wl_machine;
int wl_engine_machine(wl_engine *e, wl_machine *out);

/* The machine's connection tables (issue 19, the self-check: what is open, to compare with the
 * allow events recorded). Windows: GetExtendedTcpTable (TCP_TABLE_OWNER_PID_ALL) and
 * GetExtendedUdpTable (UDP_TABLE_OWNER_PID) for AF_INET and AF_INET6, each owner pid's image
 * through QueryFullProcessImageNameW; the sim: the connections it classified as allowed, each
 * open for WL_SIM_CONN_HOLD_MS (engine/sim/sim.h). UDP has no connections, only bound
 * endpoints: they are listeners. Writes at most cap entries; *n is how many were written,
 * *total how many there were (NULL: not wanted). */
enum wl_conn_state { WL_CONN_LISTEN = 1, WL_CONN_ESTABLISHED = 2 };
typedef struct wl_conn {
  uint8_t state;      /* enum wl_conn_state; other TCP states (SYN_SENT, TIME_WAIT...) are left out */
  uint8_t proto;      /* 6 or 17 */
  uint8_t ip_version; /* 4 or 6 */
  uint16_t local_port, remote_port; /* host order; remote 0 for a listener */
  uint8_t local_addr[16], remote_addr[16]; /* network byte order, v4 in [0..3] */
  uint32_t pid;       /* owner; 0 unknown */
  char app[WL_PATH_MAX]; /* the owner's image, DOS path; "" when it could not be read */
} wl_conn;
int wl_engine_connections(wl_engine *e, wl_conn *out, size_t cap, size_t *n, size_t *total);

/* Who signed a binary (issue 15, item 4: an app update is re-bound to its rule only when the
 * new binary has the ruled one's signer). Windows: WinVerifyTrust (WINTRUST_ACTION_GENERIC_
 * VERIFY_V2, embedded Authenticode signature, no revocation check over the network, no UI) and
 * the leaf signer certificate's simple display name (WTHelperProvDataFromStateData,
 * WTHelperGetProvSignerFromChain, CertGetNameStringW); catalog-signed files (Windows' own) read
 * as unsigned. The sim: the signer its traffic lines and wl_sim_set_file_signer declared
 * (engine/sim/sim.h). WL_E_NOTFOUND when the file is not there; WL_E_UNSUPPORTED when the
 * backend cannot tell (callers then say "signer unknown"). */
#define WL_SIGNER_MAX 256
enum wl_sign_status {
  WL_SIGN_UNSIGNED = 0,  /* no embedded signature */
  WL_SIGN_SIGNED = 1,    /* a valid signature; name is its signer */
  WL_SIGN_UNTRUSTED = 2, /* signed, but the signature does not verify (tampered, untrusted
                          * root, expired without timestamp); name may still be filled */
};
typedef struct wl_signer {
  uint8_t status;           /* enum wl_sign_status */
  char name[WL_SIGNER_MAX]; /* UTF-8, "" when unsigned */
} wl_signer;
int wl_engine_signer(wl_engine *e, const char *dos_path, wl_signer *out);
const char *wl_sign_status_name(int status); /* "unsigned" | "signed" | "untrusted" */

#endif
