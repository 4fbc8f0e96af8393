/* dryrun.h — `enforce --dry-run`: the recorded week replayed against the filters the machine
 * would have after enforce, before enforcing (issue 15, item 3).
 *
 * The filter set: every filter the engine has now (Windows Firewall's sublayers, other
 * providers, ours), with the enforce filters replaced by the set enforce would install (the
 * default block and its exceptions, for the options given) and the rules' filters as enforce
 * would put them back (built from the store's rule rows). Each recorded connection event (the
 * store's raw events; FLOW_ESTABLISHED, listen and bind notifications are not attempts) is
 * decided by engine/arbitrate.c — the code the sim classifies with — and counted per app and
 * direction. Nothing is written: no engine transaction, no store change.
 *
 * App ids: an event's app becomes what filter conditions carry, the engine's app id of its DOS
 * path (wl_engine_app_id). An app whose file is gone (or whose volume has no drive letter now)
 * has none: it is replayed with the app id its events recorded, and counted as missing.
 */
#ifndef WL_WHITELIST_DRYRUN_H
#define WL_WHITELIST_DRYRUN_H

#include <stddef.h>
#include <stdint.h>

#include "engine/engine.h"
#include "store/store.h"

typedef struct wl_dryrun_opts {
  uint64_t since; /* ticks; replay events at or after it (0: every event kept) */
  int inbound;    /* as enforce --inbound: the inbound block too */
  int baseline;   /* as enforce --baseline: 1 keep, 0 drop */
} wl_dryrun_opts;

typedef struct wl_dryrun_app {
  char app[WL_PATH_MAX]; /* DOS path when known, else as recorded; "" for events with no app */
  uint8_t dir;           /* enum wl_dir */
  uint8_t missing;       /* the file is gone: no app id now (replayed with the recorded one) */
  uint64_t allowed, blocked;
  uint64_t by_rule;      /* allowed by a rule's filter */
  uint64_t by_exception; /* allowed by an exception of the default block */
  uint64_t by_block;     /* blocked by the default block (the rest: by others, Windows Firewall) */
} wl_dryrun_app;

typedef struct wl_dryrun {
  uint64_t since;
  uint64_t events; /* connection attempts replayed */
  uint64_t would_block;
  uint64_t by_rule, by_exception; /* of the allowed */
  uint64_t by_block;              /* of the blocked: by the default block */
  uint64_t skipped; /* connection events with no direction or IP version: not replayable */
  size_t filters;   /* in the replayed set */
  size_t rules, rules_unresolved; /* rules; those whose filters cannot be built (app gone) */
  size_t apps_missing;            /* distinct apps with no app id now */
  size_t napps;
  wl_dryrun_app *apps; /* most blocked first, then by app and direction */
} wl_dryrun;

/* Run the backtest. *out: release with wl_dryrun_free. Reads the engine and the store only. */
int wl_dryrun_run(wl_engine *e, wl_store *s, const wl_dryrun_opts *o, wl_dryrun **out);
void wl_dryrun_free(wl_dryrun *d); /* NULL-safe */

#endif
