/* sim.h — the sim's own contract: controls that only a simulated engine has (classify a
 * connection attempt, run a traffic file, set the drive map). Each takes a wl_engine from
 * wl_engine_open and returns WL_E_UNSUPPORTED for any other backend ("wfp"): they are not in
 * the backend table (engine/backend.h); sim_ctl.c finds the sim behind the handle. Tests that
 * drive the fake fwpuclnt.dll under wine use its own exports (tests/support/fake_ctl.h).
 *
 * Also the sim's fixed facts: the baseline "Windows Firewall" policy every new state file gets
 * (keys and run-time ids are stable, so review can say "blocked by Windows Firewall's default
 * inbound rule"), and the default drive map. Engine options of a new state: net event
 * collection ON, keywords 0 (classify drops only) — as on current Windows, where BFE collects
 * net events by default; set WL_OPT_COLLECT_NET_EVENTS to 0 to see "collection off".
 *
 * What the sim does not model (WFP does): callouts, vetoes and action types other than
 * permit/block; filters at layers other than the four ALE auth layers (no ALE flow-established,
 * resource assignment, transport or packet layers: but every allowed attempt is followed by
 * the ALE_FLOW_ESTABLISHED allow event BFE sends for it, see sim_events.c; no listen or bind
 * events), re-authorisation (reauth reason 0) and per-flow
 * caching (every attempt is classified); conditions and match types beyond engine.h — the user
 * condition compares the SID instead of an access check against a security descriptor (no group
 * membership); BFE's own low 60 weight bits (the sim's specificity order is in sim_check.c) and
 * its order of equal weights (the sim: lower id first); boot-time filters (refused); a reboot
 * (non-persistent objects of non-dynamic sessions live until the state file is deleted);
 * security descriptors, elevation and WL_E_PERM; event types other than classify allow/drop
 * (capability, IPsec, port-scanning drops), header fields scope id, enterprise id, policy
 * flags, effective name, and the S-1-0-0 package SID in the events of non-container apps (filter
 * conditions do see it, below);
 * net event enum templates (subscribers get every event); sharing events between processes
 * (the event buffer and subscribers belong to the classifying process, per state path string);
 * subnet masks (inbound broadcast = 255.255.255.255 or a v4 address ending in .255); pid reuse
 * (a dead owner's pid reused by a new process keeps its dynamic objects alive); the session's
 * txnWaitTimeoutInMSec and the FWPM_ENGINE_TXN_WATCHDOG_TIMEOUT_IN_MSEC option (a session waits
 * WL_SIM_LOCK_TIMEOUT_MS, 10 s, for another's transaction); "soft blocks" (a Block whose action
 * right stays writable exists only for callouts: every sim Block is final).
 * Delivery timing: a traffic file run as fast as possible (speed 0) hands events to the
 * delivery thread in batches of up to 64, flushed when the run ends; at a speed, and for
 * wl_sim_classify, each event is handed over at once.
 */
#ifndef WL_SIM_H
#define WL_SIM_H

#include <stddef.h>
#include <stdint.h>

#include "common/wl_text.h"
#include "event/event.h"
#include "engine/engine.h"
#include "engine/keys.h"

/* ---- one connection attempt (a line of a traffic file) ---- */
typedef struct wl_attempt {
  uint64_t ts;               /* 100 ns ticks since 1601 UTC; the event's timestamp */
  char app[WL_PATH_MAX];     /* DOS ("C:\\x\\a.exe") or NT ("\\device\\...") path; "" none */
  uint8_t dir;               /* enum wl_dir: WL_DIR_IN (recv/accept) or WL_DIR_OUT (connect) */
  uint8_t proto;             /* IPPROTO number */
  uint8_t ip_version;        /* 4 or 6 (local and remote must agree) */
  uint8_t has_ports;         /* 1 when the endpoints carried ports (TCP/UDP always do) */
  uint16_t local_port, remote_port;
  uint8_t local_addr[16];    /* network byte order, v4 in [0..3] */
  uint8_t remote_addr[16];
  char user[WL_SID_STR_MAX];    /* "S-1-5-21-..." or "" */
  char package[WL_SID_STR_MAX]; /* app container SID or "" */
  char signer[WL_SIGNER_MAX];   /* the image's Authenticode signer, "" not said (issue 15) */
} wl_attempt;

/* ---- what the engine decided ---- */
typedef struct wl_decision {
  uint32_t action;     /* WL_ACTION_PERMIT or WL_ACTION_BLOCK */
  uint64_t filter_id;  /* the deciding filter; 0 when no filter matched (layer default) */
  uint16_t layer_id;   /* WL_LAYER_ALE_AUTH_CONNECT_V4/V6 or _RECV_ACCEPT_V4/V6 */
  uint8_t matched;     /* 0: no filter matched at all, the layer's default (permit) applied */
  uint8_t hard;        /* 1: the permit cleared the action right (lower blocks were ignored) */
  uint32_t event_type; /* WL_RAW_TYPE_CLASSIFY_* emitted, or 0 when options suppressed it */
} wl_decision;

/* Parse one traffic-file line (JSON object: "ts" RFC 3339, "app", "dir" in|out, "proto" number
 * or tcp|udp|icmp|icmpv6, "local" and "remote" as addr[:port] ([v6]:port), optional "user" and
 * "package" SIDs, optional "signer": the name of the binary's Authenticode signer, which the
 * classify records for the file, wl_engine_signer's answer from then on). WL_E_PARSE with a message naming the column or the field. Pure: no engine. */
int wl_sim_parse_attempt(const char *line, size_t len, wl_attempt *out);

/* Arbitrate the attempt at its layer (engine/arbitrate.h has the rules), emit the net event
 * (when the engine options ask for it) into the net event buffer and to subscribers, and say
 * what happened. Waits, never drops, when the delivery queue is full. */
int wl_sim_classify(wl_engine *e, const wl_attempt *a, wl_decision *out);

#define WL_SIM_ERRORS_KEPT 5    /* first malformed lines reported in the stats */
#define WL_SIM_ERROR_MAX 256

typedef struct wl_sim_stats {
  uint64_t lines;      /* lines read (blank lines and '#' comments included) */
  uint64_t attempts;   /* lines that parsed and were classified */
  uint64_t allowed, blocked;
  uint64_t events;     /* attempts whose net event was emitted (buffered, and queued when someone
                        * subscribed); an allowed one also emits its FLOW_ESTABLISHED event */
  uint64_t flow_events; /* FLOW_ESTABLISHED allow events emitted after allowed attempts */
  uint64_t suppressed; /* attempts whose event the options suppressed (collection off/keyword) */
  uint64_t malformed;  /* lines that did not parse */
  uint64_t full_waits; /* times a subscriber said WL_E_FULL or the queue was full and we waited */
  uint32_t errors_kept;
  char errors[WL_SIM_ERRORS_KEPT][WL_SIM_ERROR_MAX]; /* "FILE:LINE: what was wrong" */
} wl_sim_stats;

/* Classify every attempt of a traffic file. speed 0: as fast as possible; 1: recorded time
 * (gaps between the attempts' ts are waited out); X: X times faster. Malformed lines are
 * counted and skipped. Returns when every event has been delivered to the subscribers
 * (a file source never loses an event). WL_E_STOPPED when wl_sim_stop was called. */
int wl_sim_run_traffic(wl_engine *e, const char *path, double speed, wl_sim_stats *stats);

/* Ask wl_sim_run_traffic (any thread) to stop after the current attempt: the run in progress,
 * or else the next one on this handle, returns WL_E_STOPPED (so a stop that comes just before
 * the run starts is not lost). */
int wl_sim_stop(wl_engine *e);

/* Wait until every emitted event has been handed to the subscribers (tests; the learn source
 * at the end of a file). WL_E_TIMEOUT after timeout_ms. */
int wl_sim_drain(wl_engine *e, unsigned timeout_ms);

/* Which FWPM_NET_EVENT_KEYWORD_* bits the simulated Windows knows, kept in the state file:
 * default WL_SIM_KW_SUPPORTED_DEFAULT (all six, as Windows 10); WL_KW_INBOUND_MCAST |
 * WL_KW_INBOUND_BCAST models a Windows 7 (no allow or capability events); 0 an engine without
 * the keyword option. Setting the keyword option with a bit outside the mask fails
 * (WL_E_INVAL, nothing changed); getting or setting it with mask 0 is WL_E_UNSUPPORTED. The
 * current keywords lose the bits outside the new mask. */
int wl_sim_set_keyword_support(wl_engine *e, uint32_t mask);
#define WL_SIM_KW_SUPPORTED_DEFAULT 0x3Fu

/* The Base Filtering Engine restarts (issue 12, item 6): BFE gives its filters new run-time ids
 * when it starts (the ids are per run; the keys stay), ends every net event subscription, and
 * handles opened before answer like handles whose RPC binding is gone. The sim: the filters'
 * run-time ids are renumbered (reversed among the ids in use, so an id now names another
 * filter: the case that misattributes events if a cache survives the restart), every
 * subscription of this process on the state ends, and every engine handle of this process on
 * the state opened before fails with WL_E_ENGINE from then on (close it and open a new one),
 * `e` included. Not modelled: dynamic objects survive; other processes' handles go on
 * (the sim's "BFE" is per process, like its event bus). */
int wl_sim_bfe_restart(wl_engine *e);

/* The connection table (wl_engine_connections, issue 19): every allowed attempt opens a
 * connection that stays open WL_SIM_CONN_HOLD_MS after its last classify (sim_conns.c). */
#define WL_SIM_CONN_HOLD_MS 30000u
/* on 1: allowed attempts emit no allow event (neither the auth-layer one nor its
 * FLOW_ESTABLISHED twin) whatever the options say, as reported for a Windows 11 build (26200)
 * that delivered only CLASSIFY_DROP events to a subscriber asking for allow events (issue 19);
 * their connections still open. Per process and state file, like the events; not kept in the
 * state file. on 0: back to normal. */
int wl_sim_suppress_allow(wl_engine *e, int on);

/* Write one record into the sim's Security log as if Windows had (issue 19): every open
 * Security-log subscription on this state file receives xml as it is, whatever the audit
 * policy (engine/evtlog.h; the records the sim writes itself follow the policy). */
int wl_sim_evtlog_inject(wl_engine *e, const char *xml);

/* Drive map used by wl_engine_app_id and wl_engine_drive_map; kept in the state file. A
 * classified attempt's event still carries an app id when its drive is not in the map (a volume
 * this session has no letter for: \device\harddiskvolume(100 + letter index)) or its path is
 * longer than an app id copy (the blob's full size, larger than the copy), as BFE records the
 * image's NT path regardless (sim_appid.c, wl_sim_event_app_id); wl_engine_app_id
 * (FwpmGetAppIdFromFileName0) still fails for both.
 * device NULL or "" removes the letter. Default: C: = \device\harddiskvolume3,
 * D: = \device\harddiskvolume4. */
int wl_sim_set_drive(wl_engine *e, char letter, const char *device);
#define WL_SIM_DEFAULT_DRIVE_C "\\device\\harddiskvolume3"
/* A volume renumbered (issue 12, item 15: persistent filters bake in \device\harddiskvolumeN,
 * and the number can change when disks are added or partitions moved): wl_sim_set_drive with
 * the letter's new device; its files stay (they are keyed by DOS path). */

/* Files the simulated Windows has. FwpmGetAppIdFromFileName0 opens the file, so on Windows it
 * fails (ERROR_FILE_NOT_FOUND) for a binary that was deleted or moved; the sim's app id does
 * too (WL_E_NOTFOUND) for a DOS or UNC path it was not told exists (issue 12, item 8). It is
 * told by this control, by the baseline (WL_SIM_SVCHOST), and by every connection attempt
 * classified (a process that connects has its image on disk). exists 0 deletes the file. Kept
 * in the state file. WL_E_INVAL for a path that is not DOS or UNC. */
int wl_sim_set_file(wl_engine *e, const char *path, int exists);
/* The file exists and is signed by `signer` ("" : unsigned), as wl_engine_signer will say
 * (issue 15 item 4; the stand-in for an Authenticode signature). Kept in the state file. */
int wl_sim_set_file_signer(wl_engine *e, const char *path, const char *signer);
#define WL_SIM_SYSTEM_DIR "C:\\Windows\\System32"
#define WL_SIM_SVCHOST WL_SIM_SYSTEM_DIR "\\svchost.exe"

/* Whether the command runs in a remote (RDP) session, and the port of that session's listener
 * (0: it cannot be read); kept in the state file. The sim's stand-in for
 * GetSystemMetrics(SM_REMOTESESSION) and the RDP-Tcp PortNumber (wl_engine_machine). */
int wl_sim_set_remote_session(wl_engine *e, int remote, uint16_t port);
#define WL_SIM_DEFAULT_DRIVE_D "\\device\\harddiskvolume4"

/* ---- the baseline policy every new state gets (a sim choice modelled on Windows Firewall) ----
 * Provider FWPM_PROVIDER_MPSSVC_WF and two of its sublayers under their fwpmu.h keys
 * (engine/keys.h): FWPM_SUBLAYER_MPSSVC_WF (...2301), where Windows Firewall's rules live, and
 * FWPM_SUBLAYER_MPSSVC_WSH (...2300), Windows Service Hardening; all persistent. In WF: inbound
 * loopback permit and inbound default block on RECV_ACCEPT_V4/V6, outbound default allow on
 * AUTH_CONNECT_V4/V6. In WSH: an AppContainer block on AUTH_CONNECT_V4/V6 (below). Filters a caller adds without a sublayer go to FWPM_SUBLAYER_UNIVERSAL.
 * Run-time ids of added filters start at WL_SIM_FIRST_FILTER_ID.
 *
 * The weights are assumptions: Microsoft does not document the MPSSVC sublayers' weights, and
 * a real machine is read, never assumed (status and verify print them). The sim puts WSH just
 * above WF and both below wfplearn's own sublayer (0xF000, whitelist/apply.h): the case in
 * which a hard permit of ours would override service-hardening blocks unless its conditions
 * keep it off them (issue 12, item 2). QUARANTINE, EDP, APP_ISOLATION and
 * TENANT_RESTRICTIONS are not modelled. */
#define WL_SIM_WF_PROVIDER_NAME "Microsoft Windows Firewall (simulated)"
#define WL_SIM_WF_SUBLAYER_WEIGHT 0x1000u  /* assumption, see above */
#define WL_SIM_WSH_SUBLAYER_WEIGHT 0x1001u /* assumption, see above */
#define WL_SIM_UNIVERSAL_SUBLAYER_WEIGHT 0x8000u /* sim choice */
#define WL_SIM_ID_IN_BLOCK_V4 65001u     /* "Windows Firewall: default inbound block (IPv4)" */
#define WL_SIM_ID_IN_BLOCK_V6 65002u
#define WL_SIM_ID_OUT_ALLOW_V4 65003u    /* "Windows Firewall: default outbound allow (IPv4)" */
#define WL_SIM_ID_OUT_ALLOW_V6 65004u
#define WL_SIM_ID_IN_LOOPBACK_V4 65005u  /* "Windows Firewall: inbound loopback permit" */
#define WL_SIM_ID_IN_LOOPBACK_V6 65006u
/* In WSH: a block on AUTH_CONNECT_V4/V6 for the processes of one AppContainer package, the
 * sim's stand-in for Windows' AppContainer network isolation (an AppContainer without a
 * network capability may not connect; Windows keeps those filters in the MPSSVC sublayers,
 * see J. Forshaw, "Understanding Network Access in Windows AppContainers", Project Zero,
 * 2021). The real filters match every such package; the sim's matches WL_SIM_ISOLATED_PACKAGE. */
#define WL_SIM_ID_WSH_APPCONTAINER_V4 65007u /* "Windows Service Hardening: AppContainer block" */
#define WL_SIM_ID_WSH_APPCONTAINER_V6 65008u
#define WL_SIM_ISOLATED_PACKAGE "S-1-15-2-1111-2222-3333-4444-5555-6666-7777"
/* FWPM_CONDITION_ALE_PACKAGE_ID of a process that is not in an AppContainer: the NULL SID
 * (Windows Firewall's classic rules carry ALE_PACKAGE_ID == S-1-0-0 so that they never match
 * an AppContainer; Forshaw, same post). The sim matches a PACKAGE condition of S-1-0-0 for an
 * attempt with no package. */
#define WL_SIM_NULL_PACKAGE "S-1-0-0"
#define WL_SIM_FIRST_FILTER_ID 70001u

/* The keys of Windows Firewall's objects the sim models (engine/keys.h). */
#define WL_SIM_WF_PROVIDER_KEY WL_KEY_MPSSVC_WF_PROVIDER
#define WL_SIM_WF_SUBLAYER_KEY WL_KEY_MPSSVC_WF_SUBLAYER
#define WL_SIM_WSH_SUBLAYER_KEY WL_KEY_MPSSVC_WSH_SUBLAYER
#define WL_SIM_UNIVERSAL_SUBLAYER_KEY WL_KEY_UNIVERSAL_SUBLAYER

#endif
