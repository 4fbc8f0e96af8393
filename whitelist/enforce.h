/* enforce.h — the default block under the whitelist, and the watchdog that makes trying it
 * safe: enforce, confirm, relax.
 *
 * Rules are permits (whitelist/apply.h); enforce puts a block beneath them, with hard permits
 * for what a machine needs to stay reachable (loopback, DHCP, DNS, ICMPv6 neighbour discovery).
 * It is tried before it is kept: `enforce` starts a watchdog process that holds the block in a
 * dynamic WFP session, which WFP removes when the session closes or the process dies, so a
 * policy that cuts the user off rolls itself back at the deadline unless `confirm` makes it
 * persistent. The mode and the watchdog's handshake live in the store's meta table; mode
 * changes are compare-and-set in one store transaction. See whitelist/enforce.c.
 */
#ifndef WL_WHITELIST_ENFORCE_H
#define WL_WHITELIST_ENFORCE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "common/wl_os.h"
#include "engine/engine.h"
#include "store/store.h"

/* Store meta keys: "mode" = learn | pending | enforce; "enforce_inbound" = 0 | 1;
 * "watchdog_pid", "watchdog_start" (with the pid, the watchdog's identity: a dead watchdog's
 * reused pid is never taken for it), "watchdog_token", "watchdog_deadline" (ticks), "watchdog_cmd"
 * ("exit:TOKEN" asks the watchdog to leave). */
#define WL_META_MODE "mode"
#define WL_META_INBOUND "enforce_inbound"
#define WL_META_WD_PID "watchdog_pid"
#define WL_META_WD_START "watchdog_start" /* wl_os_pid_start of that pid: 0 = unknown */
#define WL_META_WD_TOKEN "watchdog_token"
#define WL_META_WD_DEADLINE "watchdog_deadline"
#define WL_META_WD_CMD "watchdog_cmd"
#define WL_META_BASELINE "enforce_baseline"       /* "keep" (default) | "drop" */
#define WL_META_REMOTE_PORT "enforce_remote_port" /* inbound port kept for a remote session */
#define WL_ENFORCE_MAX_FILTERS 32

/* ---- the filters (whitelist/enforce_set.c, which explains each) ----
 * What the enforce filters depend on: chosen by `enforce`, kept in the store's meta. */
typedef struct wl_enforce_set {
  int inbound;          /* the inbound layers too */
  int baseline;         /* keep the Windows essentials baseline (NCSI, Windows Update, CRL/OCSP,
                           time sync: svchost.exe to TCP 80/443 and UDP 123) */
  uint16_t remote_port; /* inbound: the remote desktop session's listener kept open; 0 none */
  size_t svchost_len;   /* app id of SYSTEM32\svchost.exe: DNS and the baseline match it */
  uint8_t svchost[WL_APP_ID_MAX];
} wl_enforce_set;
/* Fill a set; the svchost.exe app id from the engine (wl_engine_machine's system folder). */
int wl_enforce_set_make(wl_engine *e, int inbound, int baseline, uint16_t remote_port,
                        wl_enforce_set *out);
/* The set the store's meta describes (the one enforce chose). */
int wl_enforce_set_load(wl_engine *e, wl_store *s, wl_enforce_set *out);
/* The default block and its exceptions. persistent selects the variant: dynamic (held by the
 * watchdog) and persistent filters have different keys, so confirm can add the persistent set
 * before the watchdog lets go. */
int wl_enforce_filters(const wl_enforce_set *set, int persistent, wl_filter *out, size_t cap,
                       size_t *n);
/* 1 when `key` is one of the enforce filters (any kind, variant or direction). */
int wl_enforce_owns(const wl_guid *key);
/* `enforce --list-baseline`: the baseline and the exceptions, for people. */
void wl_enforce_baseline_list(FILE *f);

typedef struct wl_enforce_opts {
  const char *db_path, *engine_spec;
  unsigned within_s;      /* the watchdog's deadline */
  int inbound;
  int baseline;           /* 1 keep (default), 0 drop */
  int force;              /* inbound in a remote session whose listener port is unknown */
  const char *log_path;   /* watchdog stdout/stderr (NULL: DB.watchdog.log) */
  uint16_t remote_port;   /* out: the remote session's listener kept open (0: none) */
} wl_enforce_opts;

/* Serialise enforce, confirm and relax on one store (issue 18, item 8): an exclusive lock on
 * "DB.enforce.lock", held for the whole command (enforce: until its watchdog holds the block).
 * Two enforces at once would otherwise both start a watchdog; the second adopts the first's
 * dynamic filters (same keys) and the first, leaving, takes the block away under "pending".
 * Waits up to WL_ENFORCE_LOCK_WAIT_MS, then WL_E_BUSY. Release with wl_os_lock_release. */
#define WL_ENFORCE_LOCK_WAIT_MS 30000u
int wl_enforce_lock(const char *db_path, wl_os_lock **out);

/* enforce: put back the rules' missing or altered filters (a block over a whitelist whose
 * permits are gone is a lockout: issue 18, item 3) — or refuse, naming what cannot be put back
 * (an app that no longer resolves) —, then start the watchdog and wait (bounded) until it holds
 * the dynamic block and the store says pending. *pid receives the watchdog's pid, *repaired
 * how many filters were put back first. */
int wl_enforce_start(wl_store *s, wl_enforce_opts *o, uint32_t *pid, size_t *repaired);
/* The watchdog's body: opens a dynamic session, adds the block, writes pending, waits for
 * confirm, relax, its deadline or an interrupt, and returns (its session closes, and WFP — or
 * the sim — removes the dynamic filters). *outcome: "confirmed", "released" or "expired". */
typedef struct wl_watchdog_opts {
  const char *db_path, *engine_spec, *token;
  unsigned within_s;
  int inbound, baseline;
  uint16_t remote_port;
} wl_watchdog_opts;
int wl_enforce_watchdog(const wl_watchdog_opts *o, const char **outcome);
/* confirm: the persistent block, mode=enforce, and the watchdog told to leave. */
int wl_enforce_confirm(wl_engine *e, wl_store *s);
/* relax: release a pending watchdog, remove the persistent block, mode=learn. */
int wl_enforce_relax(wl_engine *e, wl_store *s);
/* "learn", "pending" or "enforce" (learn when unset). */
int wl_enforce_mode(wl_store *s, char *out, size_t cap);

#endif
